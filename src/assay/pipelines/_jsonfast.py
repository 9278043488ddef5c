"""JSON lines to the UTF-8 of one string field and its normalised text, in one compiled pass
(numba, optional).

For every line it can vouch for, the kernel writes the UTF-8 of the field's string value (escapes
decoded) and, in the same pass over the bytes, its normalised text for the n-gram scan (the bytes
:func:`assay.contamination._fast.normalize_utf8` would write from that UTF-8), without building a
Python object per line. A line it cannot vouch for (not an object, the field missing, repeated
or not a string, an escaped key, invalid JSON or UTF-8, a lone surrogate, nesting deeper than
64) is handed back: the reader decodes it with orjson or the standard library, which accept it
or raise the error that names the line. The check is stricter than RFC 8259 parsers, never
looser: what it accepts, they accept with the same value.

:class:`BatchWriter` is what the reader uses: the kernel (:func:`_fill`) writes each document
straight into the buffers of its batch and stops where the batch's characters are reached or a
line must go to the exact decoder.

Without numba (``pip install 'assay[fast]'``) the reader decodes every line with orjson.
"""

from __future__ import annotations

import numpy as np

from assay.contamination import _fast
from assay.contamination._fast import HAVE_NUMBA, enabled

__all__ = [
    "BLANK",
    "FALLBACK",
    "NUL",
    "OK",
    "PYTHON",
    "BatchWriter",
    "enabled",
]

OK, BLANK, FALLBACK = 0, 1, 2
# flags of a document's normalised form: Python lowers it (a character whose lower case is several
# code points or depends on context, or one past the kernel's table), or it holds NUL (the scan then
# normalises its whole batch the numpy way, which treats such batches apart)
PYTHON, NUL = 1, 2
# why :func:`_fill` stopped
STOP_END, STOP_BUDGET, STOP_FALLBACK, STOP_ROOM = 0, 1, 2, 3
_MAX_DEPTH = 64
_TRUE = np.frombuffer(b"true", np.uint8).copy()
_FALSE = np.frombuffer(b"false", np.uint8).copy()
_NULL = np.frombuffer(b"null", np.uint8).copy()

if HAVE_NUMBA:
    import numba

    _njit = numba.njit(cache=True, nogil=True, boundscheck=False)
    # the kernels shared with the scan's normaliser
    _put_cp = _fast._put_cp
    _norm_plain8 = _fast._plain8
    _words8 = _fast._words8
    load8 = _fast.load8
    store8 = _fast.store8

    @_njit
    def _ws(a, p, e):
        """The first position from ``p`` that is not JSON white space, a line feed excepted (a
        record is one line: parsing never goes past one)."""
        while p < e:
            c = a[p]
            if c == 32 or c == 9 or c == 13:
                p += 1
            else:
                break
        return p

    @_njit
    def _hex4(a, p, e):
        """The value of four hex digits at ``p``, or -1."""
        if p + 4 > e:
            return -1
        v = 0
        for j in range(4):
            c = a[p + j]
            if 48 <= c <= 57:
                d = c - 48
            elif 97 <= c <= 102:
                d = c - 87
            elif 65 <= c <= 70:
                d = c - 55
            else:
                return -1
            v = v * 16 + d
        return v

    @_njit
    def _utf8_len(a, p, e):
        """Length of the valid UTF-8 sequence at ``p`` (lead byte >= 0x80), or -1."""
        c = a[p]
        if 0xC2 <= c <= 0xDF:
            n, lo, hi = 2, 0x80, 0xBF
        elif c == 0xE0:
            n, lo, hi = 3, 0xA0, 0xBF
        elif 0xE1 <= c <= 0xEC or 0xEE <= c <= 0xEF:
            n, lo, hi = 3, 0x80, 0xBF
        elif c == 0xED:
            n, lo, hi = 3, 0x80, 0x9F
        elif c == 0xF0:
            n, lo, hi = 4, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            n, lo, hi = 4, 0x80, 0xBF
        elif c == 0xF4:
            n, lo, hi = 4, 0x80, 0x8F
        else:
            return -1
        if p + n > e:
            return -1
        c1 = a[p + 1]
        if c1 < lo or c1 > hi:
            return -1
        for j in range(2, n):
            cj = a[p + j]
            if cj < 0x80 or cj > 0xBF:
                return -1
        return n

    @_njit
    def _first_special(x):
        """How many bytes of ``x`` come before its first quote, backslash, byte below 0x20 or
        above 0x7F (8 when there is none). SWAR: the lowest flagged byte is exact (a borrow or
        a false zero only ever flags bytes above a true one)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        q = x ^ np.uint64(0x2222222222222222)
        b = x ^ np.uint64(0x5C5C5C5C5C5C5C5C)
        special = ((q - ones) & ~q) | ((b - ones) & ~b) | (x - np.uint64(0x2020202020202020)) | x
        special &= high
        if special == 0:
            return 8
        low = special & (~special + np.uint64(1))
        # the bytes below the flagged one: a 1 in each of their low bits, summed by a multiply
        return np.int64(((((low >> np.uint64(7)) - np.uint64(1)) & ones) * ones) >> np.uint64(56))

    @_njit
    def _norm_ascii(x, j):
        """The normalised form of the first ``j`` bytes of ``x`` (printable ASCII other than a
        quote or a backslash: letters lowered, punctuation deleted), eight bytes at a time:
        (those bytes packed from the lowest, how many). The bytes from ``j`` on may be anything
        (a carry from them only reaches the bytes above)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        keep, upper = _words8(x)
        de = x ^ (ones * np.uint64(0x7F))
        keep |= ~((de & ~high) + ~high) & ~de & high  # DEL is kept, as the table keeps it
        y = x + (upper >> np.uint64(2))
        drop = ~keep & high
        if j < 8:  # the bytes from j on are not this chunk's to write
            drop |= high & ~((np.uint64(1) << np.uint64(8 * j)) - np.uint64(1))
        n = 8
        while drop:  # each dropped byte: the bytes above it move down one
            lb = drop & (~drop + np.uint64(1))
            below = (lb >> np.uint64(7)) - np.uint64(1)
            y = (y & below) | ((y >> np.uint64(8)) & ~below)
            drop = (drop ^ lb) >> np.uint64(8)
            n -= 1
        return y, n

    @_njit
    def _newline(a, p, n):
        """Position of the first \\n at or after ``p``, or ``n`` (eight bytes at a time)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        nl = np.uint64(0x0A0A0A0A0A0A0A0A)
        while p + 8 <= n:
            y = load8(a, p) ^ nl
            if ((y - ones) & ~y & high) != 0:
                break
            p += 8
        while p < n and a[p] != 10:
            p += 1
        return p

    @_njit
    def _string(a, p, e):
        """The end of the JSON string whose opening quote is at ``p`` (the position after its
        closing quote), or -1 when it is not one this module vouches for."""
        p += 1
        while p < e:
            # eight bytes at a time up to the first that needs a closer look
            while p + 8 <= e:
                j = _first_special(load8(a, p))
                p += j
                if j < 8:
                    break
            if p >= e:
                break
            c = a[p]
            if c == 34:  # "
                return p + 1
            if c == 92:  # backslash
                cp, p = _escape(a, p, e)
                if cp < 0:
                    return -1
                continue
            if c < 0x20:
                return -1
            if c < 0x80:
                p += 1
                continue
            n = _utf8_len(a, p, e)
            if n < 0:
                return -1
            p += n
        return -1

    @_njit
    def _escape(a, p, e):
        """The code point of the escape at ``p`` (a backslash) and the position after it, or
        (-1, p) when it is not one this module vouches for (a lone surrogate among them)."""
        if p + 1 >= e:
            return -1, p
        x = a[p + 1]
        if x == 34 or x == 92 or x == 47:
            return x, p + 2
        if x == 98:
            return 8, p + 2
        if x == 102:
            return 12, p + 2
        if x == 110:
            return 10, p + 2
        if x == 114:
            return 13, p + 2
        if x == 116:
            return 9, p + 2
        if x != 117:
            return -1, p
        cp = _hex4(a, p + 2, e)
        if cp < 0 or 0xDC00 <= cp <= 0xDFFF:
            return -1, p
        p += 6
        if 0xD800 <= cp <= 0xDBFF:
            if p + 1 >= e or a[p] != 92 or a[p + 1] != 117:
                return -1, p
            lo = _hex4(a, p + 2, e)
            if lo < 0xDC00 or lo > 0xDFFF:
                return -1, p
            p += 6
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
        return cp, p

    @_njit
    def _norm_cp(nout, no, cp, ascii_t, lower):
        """Append the normalised form of code point ``cp`` (as
        :func:`assay.contamination._fast._normalize_kernel` writes it). Returns (position,
        flag): :data:`PYTHON` when Python must lower the document, :data:`NUL` for NUL."""
        if cp < 0x80:
            if cp == 0:
                return no, NUL
            t = ascii_t[cp]
            if t >= 0:
                nout[no] = t
                no += 1
            return no, 0
        m = lower[cp] if cp < len(lower) else -1
        if m == -1:
            return no, PYTHON
        if m == -2:  # Unicode white space: one space per byte of its UTF-8
            for _ in range(2 if cp < 0x800 else (3 if cp < 0x10000 else 4)):
                nout[no] = 32
                no += 1
            return no, 0
        if m < 0x80:
            t = ascii_t[m]
            if t >= 0:
                nout[no] = t
                no += 1
            return no, 0
        lm = lower[m] if m < len(lower) else m
        if lm == -2:
            for _ in range(2 if m < 0x800 else (3 if m < 0x10000 else 4)):
                nout[no] = 32
                no += 1
            return no, 0
        return _put_cp(nout, no, m), 0

    @_njit
    def _text(a, p, e, out, o, nout, no, ascii_t, lower):
        """The text field's JSON string at ``p``: its UTF-8 to ``out`` and its normalised form
        to ``nout``, in one pass. Returns (position after the closing quote or -1, end in
        ``out``, characters, end in ``nout``, flags)."""
        p += 1
        nch = 0
        flag = 0
        chunk_end = p
        while p < e:
            if p >= chunk_end:
                p0 = p
                while p + 8 <= e:
                    x = load8(a, p)
                    ok, y = _norm_plain8(x)
                    if ok:  # eight letters, digits or spaces (the common case)
                        store8(out, o, x)
                        store8(nout, no, y)
                        o += 8
                        no += 8
                        p += 8
                        continue
                    # ASCII with punctuation among it, up to the first byte that needs a closer
                    # look (a quote: the end of the text): normalised eight bytes at a time, no
                    # byte stores (the buffers have room past the text's end)
                    j = _first_special(x)
                    if j == 0:
                        break
                    y, k = _norm_ascii(x, j)
                    store8(out, o, x)
                    store8(nout, no, y)
                    o += j
                    no += k
                    p += j
                    if j < 8:
                        if a[p] == 34:  # "
                            return p + 1, o, nch + (p - p0), no, flag
                        break
                nch += p - p0
                if p >= e:
                    break
                chunk_end = p + 8  # one character at a time to here
            c = a[p]
            if c == 34:  # "
                return p + 1, o, nch, no, flag
            if c == 92:  # backslash
                cp, q = _escape(a, p, e)
                if cp < 0:
                    return -1, o, nch, no, flag
                o = _put_cp(out, o, cp)
                no, f = _norm_cp(nout, no, cp, ascii_t, lower)
                flag |= f
                nch += 1
                p = q
                continue
            if c < 0x20:
                return -1, o, nch, no, flag
            if c < 0x80:
                out[o] = c
                o += 1
                t = ascii_t[c]
                if t >= 0:
                    nout[no] = t
                    no += 1
                nch += 1
                p += 1
                continue
            n = _utf8_len(a, p, e)
            if n < 0:
                return -1, o, nch, no, flag
            for j in range(n):
                out[o + j] = a[p + j]
            o += n
            if n == 2:
                cp = ((c & 0x1F) << 6) | (a[p + 1] & 0x3F)
            elif n == 3:
                cp = ((c & 0x0F) << 12) | ((a[p + 1] & 0x3F) << 6) | (a[p + 2] & 0x3F)
            else:
                cp = (
                    ((c & 0x07) << 18)
                    | ((a[p + 1] & 0x3F) << 12)
                    | ((a[p + 2] & 0x3F) << 6)
                    | (a[p + 3] & 0x3F)
                )
            no, f = _norm_cp(nout, no, cp, ascii_t, lower)
            flag |= f
            nch += 1
            p += n
        return -1, o, nch, no, flag

    @_njit
    def _number(a, p, e):
        """End of the JSON number at ``p``, or -1."""
        if p < e and a[p] == 45:
            p += 1
        if p >= e:
            return -1
        if a[p] == 48:
            p += 1
        elif 49 <= a[p] <= 57:
            while p < e and 48 <= a[p] <= 57:
                p += 1
        else:
            return -1
        if p < e and a[p] == 46:
            p += 1
            if p >= e or not (48 <= a[p] <= 57):
                return -1
            while p < e and 48 <= a[p] <= 57:
                p += 1
        if p < e and (a[p] == 101 or a[p] == 69):
            p += 1
            if p < e and (a[p] == 43 or a[p] == 45):
                p += 1
            if p >= e or not (48 <= a[p] <= 57):
                return -1
            while p < e and 48 <= a[p] <= 57:
                p += 1
        return p

    @_njit
    def _literal(a, p, e, word):
        if p + len(word) > e:
            return -1
        for j in range(len(word)):
            if a[p + j] != word[j]:
                return -1
        return p + len(word)

    @_njit
    def _key(a, p, e):
        """An object member's key (a string, validated, not kept) and its colon, from ``p``:
        where the member's value may start (white space first), or -1."""
        if p >= e or a[p] != 34:
            return -1
        p = _string(a, p, e)
        if p < 0:
            return -1
        p = _ws(a, p, e)
        if p >= e or a[p] != 58:
            return -1
        return p + 1

    @_njit
    def _value(a, p, e, stack):
        """End of the JSON value at ``p`` (any kind, nested to 64 levels), or -1."""
        depth = 0
        while True:
            # a value starts at p (after white space)
            p = _ws(a, p, e)
            if p >= e:
                return -1
            c = a[p]
            closed = False
            if c == 123 or c == 91:  # { or [
                q = _ws(a, p + 1, e)
                if q < e and a[q] == c + 2:  # {} or []
                    p = q + 1
                    closed = True
                elif depth == _MAX_DEPTH:
                    return -1
                else:
                    stack[depth] = c
                    depth += 1
                    p = q
                    if c == 123:  # a key, then a colon
                        p = _key(a, p, e)
                        if p < 0:
                            return -1
                    continue
            elif c == 34:
                p = _string(a, p, e)
                closed = p >= 0
            elif c == 116:
                p = _literal(a, p, e, _TRUE)
                closed = p >= 0
            elif c == 102:
                p = _literal(a, p, e, _FALSE)
                closed = p >= 0
            elif c == 110:
                p = _literal(a, p, e, _NULL)
                closed = p >= 0
            else:
                p = _number(a, p, e)
                closed = p >= 0
            if not closed:
                return -1
            # after a value: close containers, or go on to the next member
            while True:
                if depth == 0:
                    return p
                p = _ws(a, p, e)
                if p >= e:
                    return -1
                c = a[p]
                top = stack[depth - 1]
                if c == 44:  # ,
                    p += 1
                    if top == 123:
                        p = _key(a, _ws(a, p, e), e)
                        if p < 0:
                            return -1
                    break
                if c == top + 2:  # } or ]
                    depth -= 1
                    p += 1
                    continue
                return -1

    @_njit
    def _line(a, p, e, field, out, o, stack, nout, no, ascii_t, lower):
        """The line from ``p``: (status, text start, text end, characters, normalised end, flags,
        the line's end). The normalised text starts at ``no`` and is followed by one space. The
        line ends at the first line feed, or at ``e``; that end is found by the parse (-1 for a
        line handed back), so a caller may pass the block's end as ``e``."""
        o0 = o  # where this line's text starts (and where the next starts when it fails)
        n0 = n1 = no
        q = p
        while q < e:
            c = a[q]
            if c == 32 or c == 9 or c == 13 or c == 11 or c == 12:
                q += 1
            else:
                break
        if q == e or a[q] == 10:
            return BLANK, o, o, 0, no, 0, q
        p = _ws(a, p, e)
        if a[p] != 123:
            return FALLBACK, o0, o0, 0, n0, 0, -1
        p = _ws(a, p + 1, e)
        t0 = -1
        t1 = -1
        nch = 0
        flag = 0
        if p < e and a[p] == 125:
            return FALLBACK, o0, o0, 0, n0, 0, -1
        while True:
            if p >= e or a[p] != 34:
                return FALLBACK, o0, o0, 0, n0, 0, -1
            # the key: compared as raw bytes; an escaped key goes to the exact path
            k0 = p + 1
            k1 = k0
            while k1 < e and a[k1] != 34:
                if a[k1] == 92 or a[k1] < 0x20 or a[k1] >= 0x80:
                    return FALLBACK, o0, o0, 0, n0, 0, -1
                k1 += 1
            if k1 >= e:
                return FALLBACK, o0, o0, 0, n0, 0, -1
            is_field = k1 - k0 == len(field)
            if is_field:
                for j in range(len(field)):
                    if a[k0 + j] != field[j]:
                        is_field = False
                        break
            p = _ws(a, k1 + 1, e)
            if p >= e or a[p] != 58:
                return FALLBACK, o0, o0, 0, n0, 0, -1
            p = _ws(a, p + 1, e)
            if is_field:
                if t0 >= 0 or p >= e or a[p] != 34:  # repeated, or not a string
                    return FALLBACK, o0, o0, 0, n0, 0, -1
                t0 = o
                p, o, nch, n1, flag = _text(a, p, e, out, o, nout, no, ascii_t, lower)
                if p < 0:
                    return FALLBACK, o0, o0, 0, n0, 0, -1
                t1 = o
            else:
                p = _value(a, p, e, stack)
                if p < 0:
                    return FALLBACK, o0, o0, 0, n0, 0, -1
            p = _ws(a, p, e)
            if p >= e:
                return FALLBACK, o0, o0, 0, n0, 0, -1
            if a[p] == 44:
                p = _ws(a, p + 1, e)
                continue
            if a[p] == 125:
                p = _ws(a, p + 1, e)
                break
            return FALLBACK, o0, o0, 0, n0, 0, -1
        if (p != e and a[p] != 10) or t0 < 0:
            return FALLBACK, o0, o0, 0, n0, 0, -1
        nout[n1] = 32  # the separator
        return OK, t0, t1, nch, n1 + 1, flag, p

    @_njit
    def _fill(
        a,
        p,
        field,
        out,
        o,
        nout,
        no,
        budget,
        raw_end,
        norm_end,
        flags,
        n_chars,
        ascii_t,
        lower,
    ):
        """The lines of ``a`` from ``p`` (split at \\n), each document's UTF-8 written at
        ``out[o:]`` and its normalised text at ``nout[no:]``, until the characters reach
        ``budget`` (after that document: :data:`STOP_BUDGET`), a line needs the exact decoder
        (:data:`STOP_FALLBACK`), the next line may not fit (:data:`STOP_ROOM`) or the block
        ends (:data:`STOP_END`). Per document: its ends in ``out`` and ``nout``, flags and
        characters. Returns (stop, where to go on, end of the line stopped at, documents,
        lines done)."""
        stack = np.zeros(_MAX_DEPTH, np.uint8)
        n = len(a)
        nd = 0
        nl = 0
        chars = 0
        rest = n - p  # (the buffers have room for the rest of the block, or the caller grows them)
        if o + rest + 64 > len(out) or no + rest + rest // 2 + 64 > len(nout):
            return STOP_ROOM, p, n, nd, nl
        while True:
            if nd == len(raw_end):
                return STOP_ROOM, p, p, nd, nl
            # the line's end is where its parse ends: no separate search for the line feed
            st, s0, s1, nc, ne, fl, e = _line(
                a, p, n, field, out, o, stack, nout, no, ascii_t, lower
            )
            if st == FALLBACK:
                return STOP_FALLBACK, p, _newline(a, p, n), nd, nl
            nl += 1
            if st == OK:
                o = s1
                no = ne
                raw_end[nd] = o
                norm_end[nd] = no
                flags[nd] = fl
                n_chars[nd] = nc
                nd += 1
                chars += nc
                if chars >= budget:
                    return STOP_BUDGET, e + 1, e, nd, nl
            if e >= n:
                return STOP_END, e + 1, e, nd, nl
            p = e + 1


# the smallest buffers a batch starts with (they grow for long lines; tests make them tiny)
_MIN_BYTES, _MIN_DOCS = 1 << 16, 64


class BatchWriter:
    """Documents of JSON lines written straight into the buffers of the batch they belong to
    (UTF-8 and normalised text), so that a batch is handed out without a copy.

    :meth:`fill` runs :func:`_fill` on a block; the reader handles what it stops at (a line for
    the exact decoder: :meth:`append`; a full batch: :meth:`take`).
    """

    def __init__(self, budget: int, field: str, size_hint: int) -> None:
        self.budget = budget
        self.field = np.frombuffer(field.encode("utf-8"), np.uint8)
        self.hint = max(size_hint, _MIN_BYTES)
        self.tables = _fast._tables()
        self._new()

    def _new(self) -> None:
        self.raw = np.empty(self.hint, np.uint8)
        self.norm = np.empty(self.hint + self.hint // 2 + 64, np.uint8)
        docs = max(self.hint // 512, _MIN_DOCS)
        self.raw_end = np.empty(docs, np.int64)
        self.norm_end = np.empty(docs, np.int64)
        self.flags = np.empty(docs, np.int8)
        self.n_chars = np.empty(docs, np.int64)
        self.o = self.no = self.n_docs = self.chars = 0

    def grow(self, line_bytes: int) -> None:
        """Room for ``line_bytes`` more bytes of JSON (the buffers and, when they are full, the
        per-document arrays); later batches start with the grown sizes."""
        need_raw = self.o + line_bytes + 64
        need_norm = self.no + line_bytes + line_bytes // 2 + 64
        if need_raw > len(self.raw) or need_norm > len(self.norm):
            raw = np.empty(max(2 * len(self.raw), need_raw), np.uint8)
            raw[: self.o] = self.raw[: self.o]
            norm = np.empty(max(2 * len(self.norm), need_norm), np.uint8)
            norm[: self.no] = self.norm[: self.no]
            self.raw, self.norm = raw, norm
            self.hint = len(raw)
        if self.n_docs == len(self.raw_end):
            k = 2 * len(self.raw_end)
            for name in ("raw_end", "norm_end", "flags", "n_chars"):
                old = getattr(self, name)
                new = np.empty(k, old.dtype)
                new[: self.n_docs] = old[: self.n_docs]
                setattr(self, name, new)

    def fill(self, a: np.ndarray, p: int):
        """:func:`_fill` from ``p``; returns (stop, where to go on, line end, lines done)."""
        nd = self.n_docs
        ascii_t, lower = self.tables
        stop, q, e, got, nl = _fill(
            a, p, self.field, self.raw, self.o, self.norm, self.no, self.budget - self.chars,
            self.raw_end[nd:], self.norm_end[nd:], self.flags[nd:], self.n_chars[nd:], ascii_t,
            lower,
        )  # fmt: skip
        if got:
            self.n_docs += got
            self.o = int(self.raw_end[self.n_docs - 1])
            self.no = int(self.norm_end[self.n_docs - 1])
            self.chars += int(self.n_chars[nd : self.n_docs].sum())
        return stop, q, e, nl

    def append(self, text: str) -> None:
        """A document decoded by the exact path (its normalised text is left to Python)."""
        data = text.encode("utf-8")  # (valid: the exact path checked it)
        self.grow(len(data))
        self.raw[self.o : self.o + len(data)] = np.frombuffer(data, np.uint8)
        self.o += len(data)
        self.norm[self.no] = 32  # an empty normalised text and its separator
        self.no += 1
        nd = self.n_docs
        self.raw_end[nd], self.norm_end[nd] = self.o, self.no
        self.flags[nd] = PYTHON | (NUL if "\x00" in text else 0)
        self.n_chars[nd] = len(text)
        self.n_docs += 1
        self.chars += len(text)

    @property
    def full(self) -> bool:
        return self.chars >= self.budget

    def take(self):
        """The batch's UTF-8, offsets and ``normalized`` (see
        :class:`~assay.contamination.EncodedTexts`); the writer starts a new batch."""
        n = self.n_docs
        offsets = np.zeros(n + 1, np.int64)
        offsets[1:] = self.raw_end[:n]
        norm_off = np.zeros(n + 1, np.int64)
        norm_off[1:] = self.norm_end[:n]
        self.norm[self.no : self.no + 15] = 32  # the numpy path's padding
        flags = self.flags[:n]
        normalized = None  # a NUL: the scan normalises the batch the numpy way
        if not (flags & NUL).any():
            python_docs = np.flatnonzero(flags & PYTHON).astype(np.int64)
            normalized = (self.norm[: self.no + 15], norm_off, python_docs)
        raw = self.raw[: self.o]
        self._new()
        return raw, offsets, normalized
