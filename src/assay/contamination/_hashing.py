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

import dataclasses
import threading

import numpy as np

from assay.contamination._normalize import normalized_bytes

__all__ = ["TokenBatch", "gram_hashes", "hash_texts", "mix64", "same_document"]

_U = np.uint64
_MASKS = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [2**64 - 1], dtype=np.uint64)
_GOLD = _U(0x9E3779B97F4A7C15)  # odd: invertible modulo 2**64
_GOLD_INV = _U(pow(0x9E3779B97F4A7C15, -1, 2**64))
_LEN_SALT = _U(0xD6E8FEB86659FD93)
_PAD = b" " * 16

_powers_lock = threading.Lock()
_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, applied elementwise to a ``uint64`` array (a new array)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _U(30))
        x *= _U(0xBF58476D1CE4E5B9)
        x ^= x >> _U(27)
        x *= _U(0x94D049BB133111EB)
        x ^= x >> _U(31)
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


@dataclasses.dataclass(frozen=True)
class TokenBatch:
    """The words of a batch of documents.

    Attributes
    ----------
    hashes : ndarray of uint64, shape (n_words,)
        One hash per word, documents one after another.
    doc_start : ndarray of int64, shape (n_docs + 1,)
        ``hashes[doc_start[d]:doc_start[d + 1]]`` are the words of document ``d``.
    n_bytes : int
        Bytes of normalised text hashed (separators between documents not counted).
    """

    hashes: np.ndarray
    doc_start: np.ndarray
    n_bytes: int

    @property
    def n_docs(self) -> int:
        return len(self.doc_start) - 1


def hash_texts(texts: list[str]) -> TokenBatch:
    """Normalise and hash the words of ``texts`` (a list of str), vectorised over the batch."""
    parts = [normalized_bytes(t) for t in texts]
    buf = b" ".join(parts) + _PAD
    doc_bytes = np.zeros(len(parts) + 1, np.int64)
    if parts:
        np.cumsum(np.fromiter(map(len, parts), np.int64, len(parts)) + 1, out=doc_bytes[1:])
    a = np.frombuffer(buf, np.uint8)
    space = a == 32  # after the table, every separator is a space
    edges = np.flatnonzero(space[1:] != space[:-1]) + 1
    if len(a) and not space[0]:
        edges = np.concatenate([np.zeros(1, np.int64), edges])
    starts, ends = edges[0::2], edges[1::2]
    hashes = _word_hashes(buf, starts, ends - starts)
    doc_start = np.searchsorted(starts, doc_bytes)
    # the separators between documents are not counted, so that the total does not depend on how
    # documents were batched
    n_bytes = len(buf) - len(_PAD) - max(len(parts) - 1, 0)
    return TokenBatch(hashes=hashes, doc_start=doc_start, n_bytes=n_bytes)


def _word_hashes(buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hash each word from its bytes, eight at a time (exact before mixing for words <= 8 bytes)."""
    if len(starts) == 0:
        return np.zeros(0, np.uint64)
    words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    with np.errstate(over="ignore"):
        h = words[starts] & _MASKS[np.minimum(lengths, 8)]
        h = mix64(h ^ (lengths.astype(np.uint64) * _GOLD))
        rest = np.flatnonzero(lengths > 8)
        offset = 8
        while rest.size:
            chunk = words[starts[rest] + offset] & _MASKS[np.minimum(lengths[rest] - offset, 8)]
            h[rest] = mix64(h[rest] ^ chunk)
            offset += 8
            rest = rest[lengths[rest] > offset]
    return h


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
    pw, inv = _power_tables(len(hashes) + 1)
    with np.errstate(over="ignore"):
        prefix = np.empty(len(hashes) + 1, np.uint64)
        prefix[0] = 0
        np.cumsum(hashes * pw[: len(hashes)], out=prefix[1:])
        grams = prefix[k:] - prefix[:m]
        grams *= inv[:m]
        grams += _U(k) * _LEN_SALT
    return mix64(grams)


def same_document(starts: np.ndarray, k: int, doc_start: np.ndarray) -> np.ndarray:
    """Whether the ``k``-word gram at each word index in ``starts`` lies inside one document."""
    first = np.searchsorted(doc_start, starts, side="right")
    last = np.searchsorted(doc_start, starts + (k - 1), side="right")
    return first == last
