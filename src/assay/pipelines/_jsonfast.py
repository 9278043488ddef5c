"""JSON lines to the UTF-8 of one string field, in one compiled pass (numba, optional).

:func:`json_field_utf8` reads a block of JSON lines and writes, for every line it can vouch for,
the UTF-8 of the field's string value (escapes decoded) into one buffer, without building a
Python object per line. A line it cannot vouch for (not an object, the field missing, repeated
or not a string, an escaped key, invalid JSON or UTF-8, a lone surrogate, nesting deeper than
64) is handed back: the reader decodes it with orjson or the standard library, which accept it
or raise the error that names the line. The check is stricter than RFC 8259 parsers, never
looser: what it accepts, they accept with the same value.

Without numba (``pip install 'assay[fast]'``) the reader decodes every line with orjson.
"""

from __future__ import annotations

import numpy as np

from assay.contamination._fast import HAVE_NUMBA, enabled

__all__ = ["BLANK", "FALLBACK", "OK", "enabled", "json_field_utf8"]

OK, BLANK, FALLBACK = 0, 1, 2
_MAX_DEPTH = 64
_TRUE = np.frombuffer(b"true", np.uint8).copy()
_FALSE = np.frombuffer(b"false", np.uint8).copy()
_NULL = np.frombuffer(b"null", np.uint8).copy()

if HAVE_NUMBA:
    import numba

    _njit = numba.njit(cache=True, nogil=True, boundscheck=False)

    @_njit
    def _ws(a, p, e):
        while p < e:
            c = a[p]
            if c == 32 or c == 9 or c == 13 or c == 10:
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
    def _plain8(x):
        """Whether none of the 8 bytes of ``x`` is a quote, a backslash, below 0x20 or above
        0x7F (SWAR: the bytes that need a closer look)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        q = x ^ np.uint64(0x2222222222222222)
        b = x ^ np.uint64(0x5C5C5C5C5C5C5C5C)
        special = ((q - ones) & ~q) | ((b - ones) & ~b) | (x - np.uint64(0x2020202020202020)) | x
        return (special & high) == 0

    @_njit
    def _newline(a, a64, p, n):
        """Position of the first \\n at or after ``p``, or ``n`` (eight bytes at a time)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        nl = np.uint64(0x0A0A0A0A0A0A0A0A)
        while p + 8 <= n:
            y = a64[p] ^ nl
            if ((y - ones) & ~y & high) != 0:
                break
            p += 8
        while p < n and a[p] != 10:
            p += 1
        return p

    @_njit
    def _string(a, p, e, out, o, write, a64, o64):
        """Read the JSON string whose opening quote is at ``p``.

        Returns (position after the closing quote, bytes written end, characters), or p = -1
        when the string is not one this module vouches for. Writes its UTF-8 when ``write``.
        ``a64`` and ``o64`` are unaligned 8-byte views of ``a`` and ``out``.
        """
        p += 1
        nch = 0
        while p < e:
            # eight plain ASCII bytes at a time (tight loops: the common case)
            p0 = p
            if write:
                while p + 8 <= e:
                    x = a64[p]
                    if not _plain8(x):
                        break
                    o64[o] = x
                    o += 8
                    p += 8
            else:
                while p + 8 <= e and _plain8(a64[p]):
                    p += 8
            nch += p - p0
            if p >= e:
                break
            c = a[p]
            if c == 34:  # "
                return p + 1, o, nch
            if c == 92:  # backslash
                if p + 1 >= e:
                    return -1, o, nch
                x = a[p + 1]
                ch = -1
                if x == 34 or x == 92 or x == 47:
                    ch = x
                elif x == 98:
                    ch = 8
                elif x == 102:
                    ch = 12
                elif x == 110:
                    ch = 10
                elif x == 114:
                    ch = 13
                elif x == 116:
                    ch = 9
                elif x == 117:
                    cp = _hex4(a, p + 2, e)
                    if cp < 0:
                        return -1, o, nch
                    p += 6
                    if 0xDC00 <= cp <= 0xDFFF:
                        return -1, o, nch
                    if 0xD800 <= cp <= 0xDBFF:
                        if p + 1 >= e or a[p] != 92 or a[p + 1] != 117:
                            return -1, o, nch
                        lo = _hex4(a, p + 2, e)
                        if lo < 0xDC00 or lo > 0xDFFF:
                            return -1, o, nch
                        p += 6
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    if write:
                        if cp < 0x80:
                            out[o] = cp
                            o += 1
                        elif cp < 0x800:
                            out[o] = 0xC0 | (cp >> 6)
                            out[o + 1] = 0x80 | (cp & 0x3F)
                            o += 2
                        elif cp < 0x10000:
                            out[o] = 0xE0 | (cp >> 12)
                            out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
                            out[o + 2] = 0x80 | (cp & 0x3F)
                            o += 3
                        else:
                            out[o] = 0xF0 | (cp >> 18)
                            out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
                            out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
                            out[o + 3] = 0x80 | (cp & 0x3F)
                            o += 4
                    nch += 1
                    continue
                else:
                    return -1, o, nch
                if write:
                    out[o] = ch
                    o += 1
                nch += 1
                p += 2
                continue
            if c < 0x20:
                return -1, o, nch
            if c < 0x80:
                if write:
                    out[o] = c
                    o += 1
                nch += 1
                p += 1
                continue
            n = _utf8_len(a, p, e)
            if n < 0:
                return -1, o, nch
            if write:
                for j in range(n):
                    out[o + j] = a[p + j]
                o += n
            nch += 1
            p += n
        return -1, o, nch

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
    def _value(a, p, e, out, stack, a64, o64):
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
                        if p >= e or a[p] != 34:
                            return -1
                        p, _o, _n = _string(a, p, e, out, 0, False, a64, o64)
                        if p < 0:
                            return -1
                        p = _ws(a, p, e)
                        if p >= e or a[p] != 58:
                            return -1
                        p += 1
                    continue
            elif c == 34:
                p, _o, _n = _string(a, p, e, out, 0, False, a64, o64)
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
                        p = _ws(a, p, e)
                        if p >= e or a[p] != 34:
                            return -1
                        p, _o, _n = _string(a, p, e, out, 0, False, a64, o64)
                        if p < 0:
                            return -1
                        p = _ws(a, p, e)
                        if p >= e or a[p] != 58:
                            return -1
                        p += 1
                    break
                if c == top + 2:  # } or ]
                    depth -= 1
                    p += 1
                    continue
                return -1

    @_njit
    def _line(a, p, e, field, out, o, stack, a64, o64):
        """One line: (status, text start, text end, characters)."""
        q = p
        while q < e:
            c = a[q]
            if c == 32 or c == 9 or c == 13 or c == 11 or c == 12 or c == 10:
                q += 1
            else:
                break
        if q == e:
            return BLANK, o, o, 0
        p = _ws(a, p, e)
        if a[p] != 123:
            return FALLBACK, o, o, 0
        p = _ws(a, p + 1, e)
        t0 = -1
        t1 = -1
        nch = 0
        if p < e and a[p] == 125:
            return FALLBACK, o, o, 0
        while True:
            if p >= e or a[p] != 34:
                return FALLBACK, o, o, 0
            # the key: compared as raw bytes; an escaped key goes to the exact path
            k0 = p + 1
            k1 = k0
            while k1 < e and a[k1] != 34:
                if a[k1] == 92 or a[k1] < 0x20 or a[k1] >= 0x80:
                    return FALLBACK, o, o, 0
                k1 += 1
            if k1 >= e:
                return FALLBACK, o, o, 0
            is_field = k1 - k0 == len(field)
            if is_field:
                for j in range(len(field)):
                    if a[k0 + j] != field[j]:
                        is_field = False
                        break
            p = _ws(a, k1 + 1, e)
            if p >= e or a[p] != 58:
                return FALLBACK, o, o, 0
            p = _ws(a, p + 1, e)
            if is_field:
                if t0 >= 0 or p >= e or a[p] != 34:  # repeated, or not a string
                    return FALLBACK, o, o, 0
                t0 = o
                p, o, nch = _string(a, p, e, out, o, True, a64, o64)
                if p < 0:
                    return FALLBACK, t0, t0, 0
                t1 = o
            else:
                p = _value(a, p, e, out, stack, a64, o64)
                if p < 0:
                    return FALLBACK, o if t0 < 0 else t0, o if t0 < 0 else t0, 0
            p = _ws(a, p, e)
            if p >= e:
                return FALLBACK, o if t0 < 0 else t0, o if t0 < 0 else t0, 0
            if a[p] == 44:
                p = _ws(a, p + 1, e)
                continue
            if a[p] == 125:
                p = _ws(a, p + 1, e)
                break
            return FALLBACK, o if t0 < 0 else t0, o if t0 < 0 else t0, 0
        if p != e or t0 < 0:
            return FALLBACK, o if t0 < 0 else t0, o if t0 < 0 else t0, 0
        return OK, t0, t1, nch

    @_njit
    def _block(a, field, out, status, t0, t1, nch, lstart, lend, a64, o64):
        """Every line of ``a`` (lines split at \\n). Returns the number of lines."""
        stack = np.zeros(_MAX_DEPTH, np.uint8)
        n = len(a)
        p = 0
        line = 0
        o = 0
        while True:
            if line == len(status):
                return -1  # more lines than room: the caller counts them and runs again
            e = _newline(a, a64, p, n)
            lstart[line] = p
            lend[line] = e
            st, s0, s1, nc = _line(a, p, e, field, out, o, stack, a64, o64)
            status[line] = st
            t0[line] = s0
            t1[line] = s1
            nch[line] = nc
            o = s1 if st == OK else s0
            line += 1
            if e >= n:
                return line
            p = e + 1


def _views(a: np.ndarray, out: np.ndarray):
    """Unaligned 8-byte views of ``a`` and ``out`` (element ``i`` is bytes ``i .. i + 7``)."""
    n = max(len(a) - 7, 0)
    a64 = np.ndarray(shape=(n,), dtype="<u8", buffer=a, strides=(1,)) if n else np.zeros(0, "<u8")
    o64 = np.ndarray(shape=(n,), dtype="<u8", buffer=out, strides=(1,)) if n else np.zeros(0, "<u8")
    return a64, o64


def json_field_utf8(block: bytes, field: str):
    """The UTF-8 of ``field`` in each JSON line of ``block`` (lines split at ``\\n``).

    Returns ``(out, status, start, end, n_chars, line_start, line_end)``, one entry per line:
    status :data:`OK` (the text is ``out[start:end]``, ``n_chars`` characters long),
    :data:`BLANK` (white space only: no document) or :data:`FALLBACK` (decode the line,
    ``block[line_start:line_end]``, another way).
    """
    a = np.frombuffer(block, np.uint8)
    out = np.empty(len(a), np.uint8)
    f = np.frombuffer(field.encode("utf-8"), np.uint8)
    views = _views(a, out)
    n = len(a) // 256 + 64  # a guess (corpus lines are long); counted when it is too small
    for _ in range(2):
        status = np.empty(n, np.int8)
        t0, t1, nch, ls, le = (np.empty(n, np.int64) for _ in range(5))
        got = _block(a, f, out, status, t0, t1, nch, ls, le, *views)
        if got >= 0:
            break
        n = block.count(b"\n") + 1
    return out, status[:got], t0[:got], t1[:got], nch[:got], ls[:got], le[:got]
