"""Optional compiled kernels (numba) for the scan's hot loops; the numpy code is the fallback.

Two kernels, each one pass over the bytes of a batch:

- :func:`normalize_utf8`: the UTF-8 of a batch of documents -> the normalised buffer that
  :func:`assay.contamination._hashing._normalized_batch` builds from the same texts (same bytes,
  same offsets);
- :func:`probe_hits`: the normalised buffer -> the word count, each document's first word, and
  the index grams found, as :func:`assay.contamination._scan._gram_hits` finds them with numpy.

numba is not a dependency (``pip install 'assay[fast]'`` adds it). Without it, or with the
environment variable ``ASSAY_NO_NUMBA=1``, or with :data:`ENABLED` set to False, the numpy code
runs; the tests check that both give identical results.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings

import numpy as np

try:  # pragma: no cover - depends on the environment
    import numba

    _njit = functools.partial(numba.njit, cache=True, nogil=True, boundscheck=False)
    HAVE_NUMBA = True
except ModuleNotFoundError as exc:  # pragma: no cover - not installed: the numpy path runs
    numba = None
    HAVE_NUMBA = False
    if exc.name != "numba":  # installed, but something it needs is not
        _BROKEN: Exception | None = exc
    else:
        _BROKEN = None
except Exception as exc:  # pragma: no cover - installed but broken: the numpy path runs
    # (any error: a numba that fails to import, e.g. because a local coverage.py shadows the
    # coverage package it probes for, must not take the scan down with it, but must be said)
    numba = None
    HAVE_NUMBA = False
    _BROKEN = exc
else:
    _BROKEN = None
if _BROKEN is not None:
    warnings.warn(
        f"numba is installed but failed to import ({type(_BROKEN).__name__}: {_BROKEN}); the "
        "contamination scan runs its numpy path, about 4 times slower. A file in the current "
        "folder or on PYTHONPATH named like a package numba imports (coverage.py) is a common "
        "cause.",
        RuntimeWarning,
        stacklevel=2,
    )

__all__ = ["ENABLED", "HAVE_NUMBA", "enabled", "normalize_utf8", "probe_hits"]

# (the kernels read and write eight bytes at a time as little-endian words)
ENABLED = (
    HAVE_NUMBA and sys.byteorder == "little" and os.environ.get("ASSAY_NO_NUMBA", "") in ("", "0")
)

# code points >= this go to Python's str.lower (none is cased in Unicode 15; kept exact anyway)
_TABLE_CPS = 0x20000
_PUNCT = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_SPACES = (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


def enabled() -> bool:
    """Whether the compiled kernels run (numba installed and not switched off)."""
    return ENABLED and HAVE_NUMBA


def _ascii_table() -> np.ndarray:
    """Byte -> normalised byte for ASCII, -1 to delete (the table of :mod:`._normalize`)."""
    t = np.arange(256, dtype=np.int16)
    t[ord("A") : ord("Z") + 1] += 32
    for c in b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f":
        t[c] = 32
    for c in _PUNCT:
        t[c] = -1
    return t


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """The ASCII table, and per code point below 0x20000: its lowercase (one code point), -1 where
    ``str.lower`` gives several code points or depends on context (capital sigma), -2 for the
    Unicode whitespace that ``str.split`` knows."""
    lower = np.arange(_TABLE_CPS, dtype=np.int32)
    lower[0xD800:0xE000] = -1  # surrogates: never in valid UTF-8
    cps = [c for c in range(0x80, _TABLE_CPS) if not 0xD800 <= c < 0xE000]
    chars = list(map(chr, cps))
    # one str.lower over all of them, NUL-separated (NUL is not cased: no context leaks)
    lows = "\x00".join(chars).lower().split("\x00")
    for c, ch, low in zip(cps, chars, lows, strict=True):
        if low != ch:
            lower[c] = ord(low) if len(low) == 1 and c != 0x3A3 else -1
    for c in _SPACES:
        lower[c] = -2
    return _ascii_table(), lower


if HAVE_NUMBA:
    from llvmlite import ir as _ir
    from numba.core import types as _types
    from numba.extending import intrinsic as _intrinsic

    def _byte_array(arr) -> bool:
        return isinstance(arr, _types.Array) and arr.dtype == _types.uint8 and arr.layout == "C"

    def _address(context, builder, ary_type, ary, idx):
        data = context.make_array(ary_type)(context, builder, ary).data
        return builder.bitcast(builder.gep(data, [idx]), _ir.IntType(64).as_pointer())

    @_intrinsic
    def load8(typingctx, arr, i):
        """Bytes ``arr[i:i + 8]`` of a contiguous uint8 array as one little-endian uint64: one
        unaligned load (a strided 8-byte view costs a multiply by its stride and spills its
        base and stride to the stack in a busy loop). No bounds check: the caller keeps ``i +
        8 <= len(arr)``."""
        if not _byte_array(arr) or not isinstance(i, _types.Integer):
            return None

        def codegen(context, builder, sig, args):
            return builder.load(_address(context, builder, sig.args[0], *args), align=1)

        return _types.uint64(arr, i), codegen

    @_intrinsic
    def store8(typingctx, arr, i, x):
        """Write the uint64 ``x`` little-endian to ``arr[i:i + 8]`` (one unaligned store; no
        bounds check)."""
        if not _byte_array(arr) or not arr.mutable or not isinstance(i, _types.Integer):
            return None
        if x != _types.uint64:
            return None

        def codegen(context, builder, sig, args):
            ptr = _address(context, builder, sig.args[0], args[0], args[1])
            builder.store(args[2], ptr, align=1)
            return context.get_dummy_value()

        return _types.void(arr, i, x), codegen

    @_njit
    def _put_cp(out, o, cp):
        if cp < 0x80:
            out[o] = cp
            return o + 1
        if cp < 0x800:
            out[o] = 0xC0 | (cp >> 6)
            out[o + 1] = 0x80 | (cp & 0x3F)
            return o + 2
        if cp < 0x10000:
            out[o] = 0xE0 | (cp >> 12)
            out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
            out[o + 2] = 0x80 | (cp & 0x3F)
            return o + 3
        out[o] = 0xF0 | (cp >> 18)
        out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
        out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
        out[o + 3] = 0x80 | (cp & 0x3F)
        return o + 4

    @_njit
    def _words8(x):
        """(high bit of each byte of ``x`` that is a letter, digit or space; high bit of each
        upper-case letter), by SWAR range tests. Exact for the ASCII bytes below the first
        byte >= 0x80 (a carry from a byte only reaches the bytes above it)."""
        ones = np.uint64(0x0101010101010101)
        high = np.uint64(0x8080808080808080)
        lo_a = x + ones * np.uint64(0x80 - 0x61)
        hi_z = x + ones * np.uint64(0x7F - 0x7A)
        lower = lo_a & ~hi_z
        lo_cap = x + ones * np.uint64(0x80 - 0x41)
        hi_cap = x + ones * np.uint64(0x7F - 0x5A)
        upper = lo_cap & ~hi_cap & high
        lo_0 = x + ones * np.uint64(0x80 - 0x30)
        hi_9 = x + ones * np.uint64(0x7F - 0x39)
        digit = lo_0 & ~hi_9
        sp = x ^ (ones * np.uint64(0x20))
        space = ~((sp & ~high) + ~high) & ~sp  # high bit set where the byte is 0x20
        return (lower | upper | digit | space) & high, upper

    @_njit
    def _plain8(x):
        """(ok, normalised x): ok when the 8 ASCII bytes of ``x`` are letters, digits or spaces
        (upper case lowered by adding 0x20)."""
        high = np.uint64(0x8080808080808080)
        if x & high:
            return False, x
        ok, upper = _words8(x)
        return ok == high, x + (upper >> np.uint64(2))

    @_njit
    def _normalize_kernel(buf, offsets, ascii_t, lower, out, out_off, python_docs):
        """Returns (bytes written, documents left to Python, 1 if a NUL was seen else 0)."""
        n = len(offsets) - 1
        o = 0
        n_py = 0
        for d in range(n):
            if d > 0:
                out[o] = 32  # the separator between documents
                o += 1
            out_off[d] = o
            p = offsets[d]
            end = offsets[d + 1]
            start_o = o
            chunk_end = p
            while p < end:
                if p >= chunk_end:
                    # eight letters, digits or spaces at a time (a tight loop: the common case)
                    while p + 8 <= end:
                        ok, x = _plain8(load8(buf, p))
                        if not ok:
                            break
                        store8(out, o, x)
                        o += 8
                        p += 8
                    if p >= end:
                        break
                    chunk_end = p + 8  # then one character at a time to here
                c = buf[p]
                if c < 0x80:
                    if c == 0:
                        return o, n_py, 1
                    t = ascii_t[c]
                    if t >= 0:
                        out[o] = t
                        o += 1
                    p += 1
                    continue
                # decode one UTF-8 character (the input is valid UTF-8)
                if c < 0xE0:
                    cp = ((c & 0x1F) << 6) | (buf[p + 1] & 0x3F)
                    ln = 2
                elif c < 0xF0:
                    cp = ((c & 0x0F) << 12) | ((buf[p + 1] & 0x3F) << 6) | (buf[p + 2] & 0x3F)
                    ln = 3
                else:
                    cp = (
                        ((c & 0x07) << 18)
                        | ((buf[p + 1] & 0x3F) << 12)
                        | ((buf[p + 2] & 0x3F) << 6)
                        | (buf[p + 3] & 0x3F)
                    )
                    ln = 4
                m = lower[cp] if cp < len(lower) else -1
                if m == -1:  # Python lowers this document (unless a NUL comes later in it)
                    for q in range(p + ln, end):
                        if buf[q] == 0:
                            return o, n_py, 1
                    python_docs[n_py] = d
                    n_py += 1
                    o = start_o
                    break
                if m == -2:  # Unicode whitespace: one space per byte, as the numpy path does
                    for _ in range(ln):
                        out[o] = 32
                        o += 1
                elif m == cp:
                    for j in range(ln):
                        out[o + j] = buf[p + j]
                    o += ln
                elif m < 0x80:
                    t = ascii_t[m]
                    if t >= 0:
                        out[o] = t
                        o += 1
                else:
                    lm = lower[m] if m < len(lower) else m
                    if lm == -2:
                        w = 2 if m < 0x800 else (3 if m < 0x10000 else 4)
                        for _ in range(w):
                            out[o] = 32
                            o += 1
                    else:
                        o = _put_cp(out, o, m)
                p += ln
        out_off[n] = o
        return o, n_py, 0

    @_njit
    def _mix(x):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        return x

    @_njit
    def _word_hash(buf, s, ln):
        """:func:`assay.contamination._hashing._word_hashes` of one word."""
        gold = np.uint64(0x9E3779B97F4A7C15)
        h = np.uint64(0)
        for j in range(min(ln, 8)):
            h |= np.uint64(buf[s + j]) << np.uint64(8 * j)
        h ^= np.uint64(ln) * gold
        h = _mix(h)
        off = 8
        while off < ln:
            chunk = np.uint64(0)
            for j in range(min(ln - off, 8)):
                chunk |= np.uint64(buf[s + off + j]) << np.uint64(8 * j)
            h = _mix(h ^ chunk)
            off += 8
        return h

    @_njit
    def _find(keys, g):
        lo = 0
        hi = len(keys)
        while lo < hi:
            mid = (lo + hi) >> 1
            if keys[mid] < g:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(keys) and keys[lo] == g:
            return lo
        return -1

    @_njit
    def _word_bounds(a, n_buf, starts, ends, positions):
        """Starts and ends of the words in ``a[:n_buf]`` (space-separated), eight bytes at a
        time and without branches: a bit per space byte (SWAR, gathered by one multiply), the
        bits where a word starts and ends, and their positions from a table (at most four of
        each in eight bytes) stored whether or not they are there (``starts`` and ``ends``
        hold 8 entries of slack)."""
        low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
        sp8 = np.uint64(0x2020202020202020)
        gather = np.uint64(0x0102040810204080)
        byte = np.uint64(0xFF)
        nw = 0
        ne = 0
        prev = np.uint64(1)  # 1 when the byte before was a space
        p = 0
        while p + 8 <= n_buf:
            y = load8(a, p) ^ sp8
            nz = (((y & low7) + low7) | y) & ~low7  # high bit of each byte that is not a space
            m = (((~nz & ~low7) >> np.uint64(7)) * gather) >> np.uint64(56)  # bit j: a space
            before = ((m << np.uint64(1)) | prev) & byte  # bit j: byte j - 1 is a space
            prev = m >> np.uint64(7)
            t = positions[~m & before & byte]
            for k in range(4):
                starts[nw + k] = p + np.int64((t >> np.uint64(8 * k)) & byte)
            nw += np.int64(t >> np.uint64(32))
            t = positions[m & ~before & byte]
            for k in range(4):
                ends[ne + k] = p + np.int64((t >> np.uint64(8 * k)) & byte)
            ne += np.int64(t >> np.uint64(32))
            p += 8
        pv = np.int64(prev)
        for i in range(p, n_buf):
            sp = np.int64(a[i] == 32)
            starts[nw] = i
            nw += pv & (1 - sp)
            ends[ne] = i
            ne += sp & (1 - pv)
            pv = sp
        if pv == 0:  # a word runs to the end
            ends[ne] = n_buf
            ne += 1
        return nw

    @_njit
    def _probe_kernel(
        a,
        starts,
        ends,
        nw,
        doc_bytes,
        k0,
        probe_keys,
        bloom,
        wbits,
        bits,
        shift,
        keys,
        lengths,
        pw,
        gold_inv,
        hits,
    ):
        """Per word: its cheap value, the rolling ``k0``-gram value and the Bloom filter; then,
        at the words the filter passes, the bit set, the probe keys and the real gram hashes of
        every length. Returns hits written.

        Two loops: the first, over every word, keeps only what it needs in registers and notes
        the few candidates; the rare work after the filter in the same loop had made the
        compiler spill the common path's values to the stack (17% slower)."""
        vmult = np.uint64(0xFF51AFD7ED558CCD)
        salt = np.uint64(0xD6E8FEB86659FD93)
        top = pw[k0 - 1]
        ring_n = 1
        while ring_n < k0:
            ring_n *= 2
        ring = np.zeros(ring_n, np.uint64)
        rmask = ring_n - 1
        max_k = 0
        for k in lengths:
            max_k = max(max_k, k)
        wh = np.zeros(max_k, np.uint64)
        n_hits = 0
        gram = np.uint64(0)
        ush = np.uint64(shift)
        bmult = np.uint64(0x9E3779B97F4A7C15)
        wsh = np.uint64(64 - wbits)
        s1 = np.uint64(58 - wbits)
        s2 = np.uint64(52 - wbits)
        s3 = np.uint64(46 - wbits)
        m63 = np.uint64(63)
        one = np.uint64(1)
        # (the candidates' arrays: untouched memory costs nothing, and most stays untouched)
        cands = np.empty(nw, np.int64)
        cand_grams = np.empty(nw, np.uint64)
        n_cands = 0
        every = np.uint64(0xFFFFFFFFFFFFFFFF)
        for i in range(nw):
            s = starts[i]
            ln = ends[i] - s
            v = load8(a, s) & (every >> np.uint64(8 * (8 - min(ln, 8))))
            off = 8
            while off < ln:
                v = (v * vmult) ^ (
                    load8(a, s + off) & (every >> np.uint64(8 * (8 - min(ln - off, 8))))
                )
                off += 8
            if i >= k0:
                gram = (gram - ring[(i - k0) & rmask]) * gold_inv + v * top
            else:
                gram += v * pw[i]
            ring[i & rmask] = v
            if i + 1 < k0:
                continue
            h = gram * bmult
            need = (
                (one << ((h >> s1) & m63)) | (one << ((h >> s2) & m63)) | (one << ((h >> s3) & m63))
            )
            if bloom[h >> wsh] & need != need:
                continue
            cands[n_cands] = i
            cand_grams[n_cands] = gram
            n_cands += 1
        for ci in range(n_cands):
            i = cands[ci]
            gram = cand_grams[ci]
            t = gram >> ush
            if not (bits[t >> np.uint64(3)] >> (t & np.uint64(7))) & 1:
                continue
            if _find(probe_keys, gram) < 0:
                continue
            c = i - k0 + 1
            # the document of word c
            lo = 0
            hi = len(doc_bytes)
            while lo < hi:
                mid = (lo + hi) >> 1
                if doc_bytes[mid] <= starts[c]:
                    lo = mid + 1
                else:
                    hi = mid
            doc_end = doc_bytes[lo] if lo < len(doc_bytes) else 1 << 62
            got = 0
            while got < max_k and c + got < nw and starts[c + got] < doc_end:
                ws = starts[c + got]
                wh[got] = _word_hash(a, ws, ends[c + got] - ws)
                got += 1
            for ki in range(len(lengths)):
                k = lengths[ki]
                if k > got:
                    continue
                g = np.uint64(0)
                for j in range(k):
                    g += wh[j] * pw[j]
                g += np.uint64(k) * salt
                g = _mix(g)
                key = _find(keys, g)
                if key >= 0:
                    if n_hits == len(hits):
                        return -1  # out of room: the caller grows and reruns
                    hits[n_hits, 0] = c
                    hits[n_hits, 1] = key
                    hits[n_hits, 2] = ki
                    n_hits += 1
        return n_hits


def normalize_utf8(buf, offsets: np.ndarray):
    """Normalise documents given as UTF-8 (``buf[offsets[d]:offsets[d + 1]]``), as
    :func:`assay.contamination._hashing._normalized_batch` does.

    Returns ``(out, out_offsets, python_docs)``: the buffer (separators and padding included,
    with the documents in ``python_docs`` left empty for Python to lower), the offsets in the
    numpy path's convention, and the documents for Python; or None when a document holds NUL
    (the numpy path then decides, since it treats such batches apart).
    """
    ascii_t, lower = _tables()
    a = np.frombuffer(buf, np.uint8)
    n = len(offsets) - 1
    out = np.empty(len(a) + len(a) // 2 + n + 16, np.uint8)
    out_off = np.empty(n + 1, np.int64)
    python_docs = np.empty(n, np.int64)
    o, n_py, nul = _normalize_kernel(a, offsets, ascii_t, lower, out, out_off, python_docs)
    if nul:
        return None
    out_off[n] = o + 1  # the numpy path's convention: one past a separator after the last
    out[o : o + 16] = 32
    return out[: o + 16], out_off, python_docs[:n_py]


def _positions() -> np.ndarray:
    """Per 8-bit mask: the positions of its first four set bits, a byte each, and the number
    of set bits in bits 32 and up (for :func:`_word_bounds`)."""
    t = np.zeros(256, np.uint64)
    for m in range(256):
        pos = [j for j in range(8) if (m >> j) & 1]
        t[m] = sum(j << (8 * k) for k, j in enumerate(pos[:4])) | (len(pos) << 32)
    return t


_POSITIONS = _positions()


_BLOOM_MULT = np.uint64(0x9E3779B97F4A7C15)


def bit_filter(keys: np.ndarray):
    """The probe's filters for the kernel: a blocked Bloom filter (three bits in one 64-bit word
    per key, 16 bits per key, small enough to stay in cache for usual test sets) and a plain bit
    set over the top bits of the keys (64 bits per key). Together they pass about one word in
    10,000 that is not a probe key; the binary search in the keys decides."""
    keys = np.asarray(keys, np.uint64)
    wbits = int(np.clip(np.ceil(np.log2(max(len(keys), 1) / 4)), 10, 30))
    bloom = np.zeros(1 << wbits, np.uint64)
    with np.errstate(over="ignore"):
        h = keys * _BLOOM_MULT
    word = (h >> np.uint64(64 - wbits)).astype(np.int64)
    bits = np.zeros(len(keys), np.uint64)
    for j in range(3):
        bits |= np.uint64(1) << ((h >> np.uint64(58 - wbits - 6 * j)) & np.uint64(63))
    np.bitwise_or.at(bloom, word, bits)
    nbits = int(np.clip(np.ceil(np.log2(max(len(keys), 1) * 64)), 16, 31))
    shift = 64 - nbits
    table = np.zeros(1 << (nbits - 3), np.uint8)
    top = (keys >> np.uint64(shift)).astype(np.int64)
    np.bitwise_or.at(table, top >> 3, (1 << (top & 7)).astype(np.uint8))
    return bloom, wbits, table, shift


_local = threading.local()


def _scratch(n: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of at least ``n`` entries, reused by the thread from batch to batch (fresh
    memory costs a page fault per 4 KiB, a tenth of this pass)."""
    have = getattr(_local, "bounds", None)
    if have is None or have[0].dtype != dtype or len(have[0]) < n:
        have = (np.empty(n, dtype), np.empty(n, dtype))
        _local.bounds = have
    return have[0][:n], have[1][:n]


def probe_hits(buf, n_buf: int, doc_bytes, k0, probe_keys, filt, keys, lengths, pw, gold_inv):
    """Run the probe kernel; returns (n_words, doc_start, pos, key, length index).

    ``buf`` is padded with at least 8 spaces after ``n_buf``; ``pw`` holds the powers of the
    gram multiplier up to the longest length, ``gold_inv`` its inverse modulo 2**64; ``filt``
    is a :func:`bit_filter` of ``probe_keys``.
    """
    bloom, wbits, table, shift = filt
    a = np.frombuffer(buf, np.uint8)
    # int32 halves the memory traffic of this pass (a batch is far below 2**31 bytes)
    idx_t = np.int32 if len(a) < 2**31 - 16 else np.int64
    starts, ends = _scratch(n_buf // 2 + 8, idx_t)
    nw = _word_bounds(a, n_buf, starts, ends, _POSITIONS)
    starts, ends = starts[:nw], ends[:nw]
    doc_start = np.searchsorted(starts, doc_bytes.astype(starts.dtype)).astype(np.int64)
    lengths = np.asarray(lengths, np.int64)
    room = 1024
    while True:
        hits = np.empty((room, 3), np.int64)
        n_hits = _probe_kernel(
            a,
            starts,
            ends,
            nw,
            doc_bytes,
            k0,
            probe_keys,
            bloom,
            wbits,
            table,
            shift,
            keys,
            lengths,
            pw,
            gold_inv,
            hits,
        )
        if n_hits >= 0:
            break
        room *= 8
    hits = hits[:n_hits]
    return nw, doc_start, hits[:, 0], hits[:, 1], hits[:, 2]
