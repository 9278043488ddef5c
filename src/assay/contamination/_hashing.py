"""Vectorised word and n-gram hashing: 64-bit hashes without a Python object per word.

A batch of documents is normalised (see :mod:`._normalize`) into one byte buffer. Word boundaries
come from one comparison over the bytes; each word's hash is built from the word's bytes read
eight at a time through a strided ``uint64`` view of the buffer, so the work per byte is a few
numpy passes and the rest is per word. An n-gram's hash is a polynomial in its words' hashes
modulo 2**64, computed for every position at once from a prefix sum, then mixed.

Hashes are deterministic: the same text gives the same hashes in every process and on every
machine (no Python ``hash()``, which is salted per process).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from assay.contamination import _fast
from assay.contamination._normalize import _BYTES_DELETE, _BYTES_TABLE, normalized_bytes

__all__ = [
    "EncodedTexts",
    "TokenBatch",
    "gram_hashes",
    "grams_at",
    "grams_from_prefix",
    "hash_texts",
    "mix64",
    "prefix_hashes",
    "same_document",
    "value_grams",
]

_U = np.uint64
_MASKS = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [2**64 - 1], dtype=np.uint64)
_GOLD = _U(0x9E3779B97F4A7C15)  # odd: invertible modulo 2**64
_GOLD_INV = _U(pow(0x9E3779B97F4A7C15, -1, 2**64))
_LEN_SALT = _U(0xD6E8FEB86659FD93)
_PAD = b" " * 16

_powers_lock = threading.Lock()
_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def mix64(x: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """The splitmix64 finaliser, applied elementwise to a ``uint64`` array.

    Returns a new array, or ``x`` itself mixed in place when ``inplace`` is True.
    """
    if not inplace:
        x = x.copy()
    tmp = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.right_shift(x, _U(30), out=tmp)
        x ^= tmp
        x *= _U(0xBF58476D1CE4E5B9)
        np.right_shift(x, _U(27), out=tmp)
        x ^= tmp
        x *= _U(0x94D049BB133111EB)
        np.right_shift(x, _U(31), out=tmp)
        x ^= tmp
    return x


def _power_tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``GOLD**i`` and ``GOLD**-i`` modulo 2**64 for i < size (cached, grown by doubling)."""
    global _powers
    pw, inv = _powers
    if len(pw) >= size:
        return pw, inv
    with _powers_lock:
        new = max(size, 2 * len(_powers[0]), 1 << 16)
        with np.errstate(over="ignore"):
            pw = np.empty(new, np.uint64)
            pw[0] = 1
            pw[1:] = np.cumprod(np.full(new - 1, _GOLD, dtype=np.uint64))
            inv = np.empty(new, np.uint64)
            inv[0] = 1
            inv[1:] = np.cumprod(np.full(new - 1, _GOLD_INV, dtype=np.uint64))
        _powers = (pw, inv)
    return pw, inv


class TokenBatch:
    """The words of a batch of documents.

    Attributes
    ----------
    hashes : ndarray of uint64, shape (n_words,)
        One hash per word, documents one after another (computed on first use).
    doc_start : ndarray of int64, shape (n_docs + 1,)
        ``hashes[doc_start[d]:doc_start[d + 1]]`` are the words of document ``d``.
    n_bytes : int
        Bytes of normalised text hashed (separators between documents not counted).
    buf : bytes, bytearray or ndarray of uint8
        The normalised text (words separated by spaces, padded).
    doc_bytes : ndarray of int64, shape (n_docs + 1,)
        Document ``d`` is ``buf[doc_bytes[d]:doc_bytes[d + 1] - 1]``.
    starts, lengths : ndarray of int64, shape (n_words,)
        Each word's first byte in ``buf`` and its length in bytes (found on first use; the
        compiled scan needs only the word count and ``doc_start``, which it sets).
    """

    __slots__ = (
        "_doc_start",
        "_hashes",
        "_lengths",
        "_n_words",
        "_starts",
        "_values",
        "buf",
        "doc_bytes",
        "n_bytes",
    )

    def __init__(self, buf, doc_bytes, n_bytes) -> None:
        self.buf, self.doc_bytes, self.n_bytes = buf, doc_bytes, n_bytes
        self._hashes = self._values = None
        self._starts = self._lengths = self._doc_start = self._n_words = None

    def _bounds(self) -> None:
        a = np.frombuffer(self.buf, np.uint8)
        space = a == 32  # after the table, every separator is a space
        edges = np.flatnonzero(space[1:] != space[:-1]) + 1
        if len(a) and not space[0]:
            edges = np.concatenate([np.zeros(1, np.int64), edges])
        self._starts, ends = edges[0::2], edges[1::2]
        self._lengths = ends - self._starts
        if self._doc_start is None:
            self._doc_start = np.searchsorted(self._starts, self.doc_bytes)
            self._n_words = len(self._starts)

    def set_words(self, n_words: int, doc_start: np.ndarray) -> None:
        """Record the word count and document starts found by a compiled kernel."""
        self._n_words, self._doc_start = int(n_words), doc_start

    @property
    def starts(self) -> np.ndarray:
        if self._starts is None:
            self._bounds()
        return self._starts

    @property
    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._bounds()
        return self._lengths

    @property
    def doc_start(self) -> np.ndarray:
        if self._doc_start is None:
            self._bounds()
        return self._doc_start

    @property
    def n_docs(self) -> int:
        return len(self.doc_bytes) - 1

    @property
    def n_words(self) -> int:
        if self._n_words is None:
            self._bounds()
        return self._n_words

    @property
    def hashes(self) -> np.ndarray:
        if self._hashes is None:
            self._hashes = _word_hashes(self.buf, self.starts, self.lengths)
        return self._hashes

    def hashes_of(self, words: np.ndarray) -> np.ndarray:
        """The hashes of the words at indices ``words`` (without hashing the others)."""
        if self._hashes is not None:
            return self._hashes[words]
        return _word_hashes(self.buf, self.starts[words], self.lengths[words])

    @property
    def values(self) -> np.ndarray:
        """Cheap, unmixed word values (equal words, equal values): the scan's first filter."""
        if self._values is None:
            self._values = _word_values(self.buf, self.starts, self.lengths)
        return self._values


class EncodedTexts(Sequence):
    """Documents held as their UTF-8 bytes, one after another, decoded to str only when asked.

    A reader that decodes JSON straight to bytes (see :mod:`assay.pipelines`) hands these to
    :func:`~assay.contamination.scan_texts`, so that the scan normalises the bytes without
    building a Python string per document; only the documents with a match are decoded.

    Parameters
    ----------
    buf : bytes or ndarray of uint8
        The documents' UTF-8 (valid UTF-8: the reader checks it).
    offsets : ndarray of int64, shape (n_docs + 1,)
        Document ``d`` is ``buf[offsets[d]:offsets[d + 1]]``.
    normalized : tuple, optional
        The documents already normalised by the reader (its one pass over the JSON decodes and
        normalises, see :class:`assay.pipelines._jsonfast.BatchWriter`): ``(norm, norm_offsets,
        python_docs)`` as :func:`assay.contamination._fast.normalize_utf8` returns them. The
        scan then starts from these bytes; they must be those that the kernel would write.
    """

    __slots__ = ("buf", "normalized", "offsets")

    def __init__(self, buf, offsets: np.ndarray, normalized=None) -> None:
        self.buf = buf
        self.offsets = np.asarray(offsets, np.int64)
        self.normalized = normalized

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, d):
        if isinstance(d, slice):
            return [self[i] for i in range(*d.indices(len(self)))]
        n = len(self)
        if d < 0:
            d += n
        if not 0 <= d < n:
            raise IndexError(d)
        a, b = int(self.offsets[d]), int(self.offsets[d + 1])
        return bytes(self.buf[a:b]).decode("utf-8")


# Characters other than ASCII that str.split() treats as whitespace, by their UTF-8 lead byte
# (tests check this list against str.isspace over every code point).
_UNICODE_SPACES = "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE_SEQS = tuple(c.encode("utf-8") for c in _UNICODE_SPACES)


def _normalized_batch(texts: list[str]) -> tuple[bytes | bytearray, np.ndarray]:
    """The normalised UTF-8 of ``texts`` separated by single spaces, and each document's offset.

    One encode and one ``bytes.translate`` for the whole batch (ASCII letters lowered by the
    table); the non-ASCII characters are decoded with numpy and only the documents holding one
    that ``str.lower`` changes are lowered in Python; the Unicode whitespace that ``str.split``
    knows is found with numpy. Falls back to one document at a time when a text holds NUL (the
    separator used here).
    """
    n = len(texts)
    joined = "\x00".join(texts)
    ascii_only = joined.isascii()
    buf = joined.encode("ascii" if ascii_only else "utf-8").translate(_BYTES_TABLE, _BYTES_DELETE)
    a = np.frombuffer(buf, np.uint8)
    seps = np.flatnonzero(a == 0)
    if len(seps) != n - 1 and n:  # a text holds NUL: the slow path, one document at a time
        parts = [normalized_bytes(t) for t in texts]
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.fromiter(map(len, parts), np.int64, n) + 1, out=offsets[1:])
        return b" ".join(parts) + _PAD, offsets
    lead = np.zeros(0, np.int64)
    if not ascii_only:
        lead = np.flatnonzero(a >= 0xC0)
        docs = _docs_to_lower(a, seps, lead)
        if docs.size:
            starts = np.r_[0, seps + 1]
            ends = np.r_[seps, len(buf)]
            pieces, prev = [], 0
            for d in docs.tolist():
                pieces.append(buf[prev : starts[d]])
                pieces.append(
                    texts[d].lower().encode("utf-8").translate(_BYTES_TABLE, _BYTES_DELETE)
                )
                prev = ends[d]
            pieces.append(buf[prev:])
            buf = b"".join(pieces)
            a = np.frombuffer(buf, np.uint8)
            seps = np.flatnonzero(a == 0)
            lead = np.flatnonzero(a >= 0xC0)
    out = bytearray(buf)
    out += _PAD
    a = np.frombuffer(out, np.uint8)
    a[seps] = 32
    if lead.size:
        _unicode_spaces(a, lead)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    offsets[1:n] = seps + 1
    offsets[n] = len(buf) + 1
    return out, offsets


_LOWER_CHANGES: dict[int, bool] = {}


def _docs_to_lower(a: np.ndarray, seps: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Documents holding a non-ASCII character that ``str.lower`` changes (sorted, unique).

    ``lead`` holds the positions of the lead bytes of multi-byte characters in ``a``.
    """
    if lead.size == 0:
        return np.zeros(0, np.int64)
    b = np.zeros((len(lead), 4), np.int64)
    for j in range(4):
        ok = lead + j < len(a)
        b[ok, j] = a[lead[ok] + j]
    b0 = b[:, 0]
    cont = b[:, 1:] & 0x3F
    cp = np.where(
        b0 < 0xE0,
        ((b0 & 0x1F) << 6) | cont[:, 0],
        np.where(
            b0 < 0xF0,
            ((b0 & 0x0F) << 12) | (cont[:, 0] << 6) | cont[:, 1],
            ((b0 & 0x07) << 18) | (cont[:, 0] << 12) | (cont[:, 1] << 6) | cont[:, 2],
        ),
    )
    values, inverse = np.unique(cp, return_inverse=True)
    changes = np.zeros(len(values), bool)
    for i, c in enumerate(values.tolist()):
        hit = _LOWER_CHANGES.get(c)
        if hit is None:
            try:
                ch = chr(c)
                hit = _LOWER_CHANGES[c] = ch.lower() != ch
            except ValueError:  # pragma: no cover - not a code point (cannot come from str)
                hit = True
        changes[i] = hit
    where = lead[changes[inverse]]
    return np.unique(np.searchsorted(seps, where))


def _unicode_spaces(a: np.ndarray, lead: np.ndarray) -> None:
    """Overwrite the UTF-8 bytes of Unicode whitespace with ASCII spaces, in place.

    ``lead`` holds the positions of the lead bytes of multi-byte characters (``a`` is padded).
    """
    first = a[lead]
    lead = lead[(first == 0xC2) | ((first >= 0xE1) & (first <= 0xE3))]
    if lead.size == 0:
        return
    for seq in _SPACE_SEQS:
        hit = lead[a[lead] == seq[0]]
        for j in range(1, len(seq)):
            hit = hit[a[hit + j] == seq[j]]
        for j in range(len(seq)):
            a[hit + j] = 32


def hash_texts(texts) -> TokenBatch:
    """Normalise and hash the words of ``texts`` (a list of str, or :class:`EncodedTexts`),
    vectorised over the batch."""
    if isinstance(texts, EncodedTexts):
        out = _normalized_encoded(texts)
        if out is not None:
            buf, doc_bytes = out
            return TokenBatch(buf, doc_bytes, len(buf) - len(_PAD) - max(len(texts) - 1, 0))
    texts = list(texts)
    buf, doc_bytes = _normalized_batch(texts)
    # the separators between documents are not counted, so that the total does not depend on how
    # documents were batched
    n_bytes = len(buf) - len(_PAD) - max(len(texts) - 1, 0)
    return TokenBatch(buf, doc_bytes, n_bytes)


def _normalized_encoded(texts: EncodedTexts):
    """:func:`_normalized_batch` of encoded texts by the compiled kernel (or as the reader
    normalised them), or None (no kernel, no documents, or a NUL in one: then the caller
    decodes and takes the numpy path)."""
    if not _fast.enabled() or len(texts) == 0:
        return None
    res = texts.normalized
    if res is None:
        res = _fast.normalize_utf8(texts.buf, texts.offsets)
    if res is None:
        return None
    out, offsets, python_docs = res
    if python_docs.size == 0:
        return out, offsets
    return _splice_lowered(texts, out, offsets, python_docs)


def _splice_lowered(texts: EncodedTexts, out, offsets, python_docs):
    """Documents holding a character whose lowercase Python decides (several code points, or
    the capital sigma), lowered in Python as the numpy path does and spliced into the
    normalised buffer ``out`` (where they are left empty)."""
    pieces, prev = [], 0
    n = len(texts)
    ends = np.r_[offsets[1:n] - 1, offsets[n] - 1]
    for d in python_docs.tolist():
        pieces.append(out[prev : offsets[d]].tobytes())
        low = bytearray(texts[d].lower().encode("utf-8").translate(_BYTES_TABLE, _BYTES_DELETE))
        low += _PAD
        a = np.frombuffer(low, np.uint8)
        lead = np.flatnonzero(a >= 0xC0)
        if lead.size:
            _unicode_spaces(a, lead)
        pieces.append(bytes(low[: len(low) - len(_PAD)]))
        prev = int(ends[d])
    pieces.append(out[prev:].tobytes())
    lens = np.diff(offsets) - 1  # each document's bytes (the separator after it not counted)
    for d, piece in zip(python_docs.tolist(), pieces[1::2], strict=True):
        lens[d] = len(piece)
    new = np.empty(n + 1, np.int64)
    new[0] = 0
    np.cumsum(lens + 1, out=new[1:])
    return np.frombuffer(b"".join(pieces), np.uint8), new


def _word_hashes(buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hash each word from its bytes, eight at a time (exact before mixing for words <= 8 bytes)."""
    if len(starts) == 0:
        return np.zeros(0, np.uint64)
    words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    with np.errstate(over="ignore"):
        h = words[starts] & _MASKS[np.minimum(lengths, 8)]
        h ^= lengths.astype(np.uint64) * _GOLD
        h = mix64(h, inplace=True)
        rest = np.flatnonzero(lengths > 8)
        offset = 8
        while rest.size:
            chunk = words[starts[rest] + offset] & _MASKS[np.minimum(lengths[rest] - offset, 8)]
            h[rest] = mix64(h[rest] ^ chunk, inplace=True)
            offset += 8
            rest = rest[lengths[rest] > offset]
    return h


_VALUE_MULT = _U(0xFF51AFD7ED558CCD)


def _word_values(buf, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Unmixed word values: the first eight bytes, later bytes folded in by a multiply.

    Equal words give equal values (different words rarely do); the scan's probe filter uses
    them, and verifies its candidates with the real hashes.
    """
    if len(starts) == 0:
        return np.zeros(0, np.uint64)
    words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    with np.errstate(over="ignore"):
        v = words[starts]
        v &= _MASKS[np.minimum(lengths, 8)]
        rest = np.flatnonzero(lengths > 8)
        offset = 8
        while rest.size:
            chunk = words[starts[rest] + offset] & _MASKS[np.minimum(lengths[rest] - offset, 8)]
            v[rest] = (v[rest] * _VALUE_MULT) ^ chunk
            offset += 8
            rest = rest[lengths[rest] > offset]
    return v


def value_grams(values: np.ndarray, k: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Unmixed polynomial gram values of word values (every start, or those in ``starts``)."""
    prefix = prefix_hashes(values)
    _, inv = _power_tables(len(prefix))
    with np.errstate(over="ignore"):
        if starts is None:
            m = len(prefix) - k
            grams = prefix[k:] - prefix[:m]
            grams *= inv[:m]
        else:
            grams = prefix[starts + k] - prefix[starts]
            grams *= inv[starts]
    return grams


def grams_at(batch: TokenBatch, starts: np.ndarray, k: int) -> np.ndarray:
    """Hashes of the ``k``-word grams at ``starts`` (equal to ``gram_hashes(batch.hashes, k)``
    there), hashing only the words those grams cover."""
    if len(starts) == 0:
        return np.zeros(0, np.uint64)
    pw, _ = _power_tables(k + 1)
    words = starts[:, None] + np.arange(k)
    need, inverse = np.unique(words, return_inverse=True)
    h = batch.hashes_of(need)[inverse.reshape(words.shape)]
    with np.errstate(over="ignore"):
        h *= pw[:k]
        grams = h.sum(axis=1, dtype=np.uint64)
        grams += _U(k) * _LEN_SALT
    return mix64(grams, inplace=True)


def gram_hashes(hashes: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every run of ``k`` consecutive words.

    Parameters
    ----------
    hashes : ndarray of uint64
        Word hashes (:attr:`TokenBatch.hashes`).
    k : int
        Words per gram.

    Returns
    -------
    ndarray of uint64
        ``grams[i]`` is the hash of words ``i .. i + k - 1``, for every start ``i`` (length
        ``n_words - k + 1``, or 0). Grams that straddle two documents are not removed here: check
        the starts you keep with :func:`same_document`.

    Notes
    -----
    With word hashes :math:`w_i` and :math:`g` an odd constant,
    :math:`G_i = \\sum_{j<i} w_j g^j \\bmod 2^{64}` and the gram at :math:`i` is
    :math:`\\mathrm{mix}((G_{i+k} - G_i) g^{-i} + k s)`, which depends only on the words and ``k``.
    """
    m = len(hashes) - k + 1
    if m <= 0:
        return np.zeros(0, np.uint64)
    return grams_from_prefix(prefix_hashes(hashes), k)


def prefix_hashes(hashes: np.ndarray) -> np.ndarray:
    """The prefix sums :math:`G_i` of :func:`gram_hashes` (length ``len(hashes) + 1``)."""
    pw, _ = _power_tables(len(hashes) + 1)
    prefix = np.empty(len(hashes) + 1, np.uint64)
    prefix[0] = 0
    with np.errstate(over="ignore"):
        np.cumsum(hashes * pw[: len(hashes)], out=prefix[1:])
    return prefix


def grams_from_prefix(prefix: np.ndarray, k: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Hashes of the ``k``-word grams at ``starts`` (default: every start), from the prefix sums.

    Starts must satisfy ``start + k <= len(prefix) - 1``. Equal to ``gram_hashes(h, k)[starts]``.
    """
    _, inv = _power_tables(len(prefix))
    with np.errstate(over="ignore"):
        if starts is None:
            m = len(prefix) - k
            grams = prefix[k:] - prefix[:m]
            grams *= inv[:m]
        else:
            grams = prefix[starts + k] - prefix[starts]
            grams *= inv[starts]
        grams += _U(k) * _LEN_SALT
    return mix64(grams, inplace=True)


def same_document(starts: np.ndarray, k: int, doc_start: np.ndarray) -> np.ndarray:
    """Whether the ``k``-word gram at each word index in ``starts`` lies inside one document."""
    first = np.searchsorted(doc_start, starts, side="right")
    last = np.searchsorted(doc_start, starts + (k - 1), side="right")
    return first == last
