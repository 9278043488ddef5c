"""MinHash signatures of word shingles and banded locality-sensitive hashing (LSH)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_positive_int, check_probability
from assay.contamination._hashing import gram_hashes, hash_texts, mix64

__all__ = ["MinHasher", "lsh_candidates"]

_MAX_CELLS = 1 << 22  # shingles x permutations per chunk (32 MiB of uint64)
_EMPTY = np.uint64(2**64 - 1)


@dataclasses.dataclass(frozen=True)
class MinHasher:
    """MinHash over word shingles, with LSH bands.

    Parameters
    ----------
    num_perm : int, default 128
        Permutations (signature length).
    shingle : int, default 5
        Words per shingle. A text shorter than this is one shingle of all its words.
    bands : int, default 16
        LSH bands; ``num_perm`` must be a multiple of it (``rows = num_perm // bands``).
    threshold : float, default 0.8
        Estimated Jaccard similarity at or above which a candidate is a near duplicate.
    seed : int, default 1
        Seeds the permutations.

    Notes
    -----
    Permutation :math:`j` maps a shingle hash :math:`x` to :math:`\\mathrm{mix}(x \\oplus a_j)`,
    a bijection of 64-bit integers; the signature is the minimum over the shingles, and the share
    of equal signature entries estimates the Jaccard similarity of two shingle sets, with variance
    :math:`J(1-J)/\\text{num\\_perm}` (Broder 1997). Two sets of similarity :math:`s` share at least
    one band with probability :math:`1 - (1 - s^r)^b` (Leskovec, Rajaraman and Ullman, *Mining of
    Massive Datasets*, ch. 3).
    """

    num_perm: int = 128
    shingle: int = 5
    bands: int = 16
    threshold: float = 0.8
    seed: int = 1

    def __post_init__(self) -> None:
        check_positive_int(self.num_perm, "num_perm")
        check_positive_int(self.shingle, "shingle")
        check_positive_int(self.bands, "bands")
        check_probability(self.threshold, "threshold")
        check_positive_int(self.seed, "seed", minimum=0)
        if self.num_perm % self.bands:
            raise InputError(
                f"`num_perm` must be a multiple of `bands`; got num_perm={self.num_perm}, "
                f"bands={self.bands}."
            )

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def _salts(self) -> np.ndarray:
        return np.random.default_rng(self.seed).integers(0, 2**63, self.num_perm, dtype=np.uint64)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures, shape (len(texts), num_perm); an empty text gets all 2**64 - 1."""
        batch = hash_texts(list(texts))
        return self.signatures_from_words(batch.hashes, batch.doc_start)

    def signatures_from_words(self, hashes: np.ndarray, doc_start: np.ndarray) -> np.ndarray:
        """Signatures from word hashes and document boundaries (see :func:`hash_texts`)."""
        shingles, owner = self._shingles(hashes, doc_start)
        return self.signatures_from_shingles(shingles, owner, len(doc_start) - 1)

    def signatures_from_shingles(
        self, shingles: np.ndarray, owner: np.ndarray, n_docs: int
    ) -> np.ndarray:
        """Signatures of sets given as shingle hashes and the (sorted) set each belongs to."""
        sig = np.full((n_docs, self.num_perm), _EMPTY, np.uint64)
        if len(shingles) == 0:
            return sig
        salts = self._salts
        step = max(1, _MAX_CELLS // self.num_perm)
        for lo in range(0, len(shingles), step):
            s, o = shingles[lo : lo + step], owner[lo : lo + step]
            values = mix64(s[:, None] ^ salts[None, :])
            cut = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
            part = np.minimum.reduceat(values, cut, axis=0)
            rows = o[cut]
            sig[rows] = np.minimum(sig[rows], part)
        return sig

    def _shingles(self, hashes: np.ndarray, doc_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self.shingle
        lengths = np.diff(doc_start)
        grams = gram_hashes(hashes, k)
        owner_of_word = np.repeat(np.arange(len(lengths)), lengths)
        starts = np.arange(len(grams))
        ok = owner_of_word[starts] == owner_of_word[np.minimum(starts + k - 1, len(hashes) - 1)]
        ok &= starts + k - 1 < len(hashes)
        sh, ow = [grams[ok]], [owner_of_word[starts[ok]]]
        for m in np.unique(lengths[(lengths > 0) & (lengths < k)]):  # short texts: one shingle
            docs = np.flatnonzero(lengths == m)
            g = gram_hashes(hashes, int(m))
            sh.append(g[doc_start[docs]])
            ow.append(docs)
        shingles, owner = np.concatenate(sh), np.concatenate(ow)
        order = np.argsort(owner, kind="stable")
        return shingles[order], owner[order]

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band, shape (n, bands); equal keys mean an equal band."""
        n = len(signatures)
        rows = signatures.reshape(n, self.bands, self.rows)
        key = np.zeros((n, self.bands), np.uint64)
        with np.errstate(over="ignore"):
            for r in range(self.rows):
                key = mix64(key * np.uint64(0x9E3779B97F4A7C15) + rows[:, :, r])
        return key


def lsh_candidates(doc_keys: np.ndarray, item_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(doc, item) pairs that share at least one LSH band key, sorted, without repeats.

    Parameters
    ----------
    doc_keys : ndarray of uint64, shape (n_docs, bands)
    item_keys : ndarray of uint64, shape (n_items, bands)
    """
    docs, items = [], []
    for b in range(item_keys.shape[1]):
        order = np.argsort(item_keys[:, b], kind="stable")
        sorted_keys = item_keys[order, b]
        lo = np.searchsorted(sorted_keys, doc_keys[:, b], side="left")
        hi = np.searchsorted(sorted_keys, doc_keys[:, b], side="right")
        count = hi - lo
        hit = np.flatnonzero(count)
        if hit.size == 0:
            continue
        reps = count[hit]
        d = np.repeat(hit, reps)
        offsets = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        docs.append(d)
        items.append(order[np.repeat(lo[hit], reps) + offsets])
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = np.unique(np.stack([np.concatenate(docs), np.concatenate(items)], axis=1), axis=0)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
