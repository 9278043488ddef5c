"""The test-side index: every n-gram of every test item, hashed, sorted and owned."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_positive_int
from assay.contamination import _fast
from assay.contamination._hashing import gram_hashes, hash_texts, same_document, value_grams
from assay.contamination._minhash import MinHasher
from assay.contamination._normalize import Recipe, normalize, recipe

__all__ = ["INPUT", "TARGET", "TestIndex", "build_index"]

INPUT, TARGET = 0, 1
_MIN_BITS, _MAX_BITS = 20, 31


@dataclasses.dataclass(frozen=True)
class TestIndex(Result):
    """Hashed n-grams of a test set, with the items that own each one.

    Attributes
    ----------
    recipe : Recipe
        Normalisation and n-gram settings.
    item_ids, benchmarks : tuple of str
        One entry per test item.
    keys : ndarray of uint64, shape (n_keys,)
        Sorted distinct gram hashes.
    owner_ptr : ndarray of int64, shape (n_keys + 1,)
        ``owner_code[owner_ptr[j]:owner_ptr[j + 1]]`` are the owners of ``keys[j]``.
    owner_code : ndarray of int64
        ``2 * item + part`` with part 0 for the input and 1 for the target.
    n_grams : ndarray of int64, shape (n_items, 2)
        Distinct grams per item and part.
    n_words : ndarray of int64, shape (n_items, 2)
        Normalised words per item and part.
    short_lengths : tuple of int
        Word counts of the whole-item grams of inputs shorter than ``recipe.n``.
    targets : tuple of str
        Normalised targets ("" where none), for the answer check in matching documents.
    inputs : tuple of str
        The inputs as given (for the embedding and judge stages).
    minhash : ndarray of uint64, shape (n_items, num_perm), optional
        MinHash signatures of the inputs (see :class:`MinHasher`), when built with ``minhash=``.
    """

    recipe: Recipe
    item_ids: tuple[str, ...]
    benchmarks: tuple[str, ...]
    keys: np.ndarray
    owner_ptr: np.ndarray
    owner_code: np.ndarray
    n_grams: np.ndarray
    n_words: np.ndarray
    short_lengths: tuple[int, ...]
    targets: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    minhasher: MinHasher | None = None
    minhash: np.ndarray | None = None

    _array_fields = (
        "item_ids",
        "benchmarks",
        "keys",
        "owner_ptr",
        "owner_code",
        "n_grams",
        "n_words",
        "targets",
        "inputs",
        "minhash",
    )

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays (the scan's memory bound, with the probe and bitmap)."""
        arrays = (self.keys, self.owner_ptr, self.owner_code, self.n_grams, self.n_words)
        extra = 0 if self.minhash is None else self.minhash.nbytes
        probe = self.probe
        if probe is not None:
            extra += probe[1].nbytes + probe[2][0].nbytes
            bloom, _, table, _ = self.kernel_filter
            extra += bloom.nbytes + table.nbytes
        return int(sum(a.nbytes for a in arrays) + extra + self.bitmap[0].nbytes)

    @property
    def kernel_filter(self):
        """The compiled scan's filters over the probe keys (see
        :func:`assay.contamination._fast.bit_filter`); None without a probe."""
        if "_kernel_filter" not in self.__dict__:
            probe = self.probe
            filt = None if probe is None else _fast.bit_filter(probe[1])
            object.__setattr__(self, "_kernel_filter", filt)
        return self.__dict__["_kernel_filter"]

    @property
    def bitmap(self) -> tuple[np.ndarray, int]:
        """A bit set over the top ``shift``-complement bits of the keys: a fast first filter."""
        cached = self.__dict__.get("_bitmap")
        if cached is None:
            cached = _build_bitmap(self.keys)
            object.__setattr__(self, "_bitmap", cached)
        return cached

    @property
    def probe(self) -> tuple[int, np.ndarray, tuple[np.ndarray, int]] | None:
        """The scan's first filter: ``(k, keys, (table, shift))`` over the first ``k`` words of
        every key.

        ``k`` is the shortest gram length the index holds (``recipe.n``, or the shortest
        whole-item gram); ``keys`` are the sorted unmixed gram values
        (:func:`~assay.contamination._hashing.value_grams`) of those first ``k`` words, and
        ``table`` a byte per value of their top bits. A document position can only match a key
        when its ``k``-gram value is in ``keys``, so the scan computes one cheap value per word
        and hashes grams only at the few candidates. Derived from :attr:`inputs` and
        :attr:`targets` (None when the index does not hold its inputs).
        """
        if "_probe" not in self.__dict__:
            object.__setattr__(self, "_probe", _build_probe(self))
        return self.__dict__["_probe"]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of everything that decides a scan's result (for resumable scans)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            h = hashlib.sha256()
            h.update(json.dumps(self.recipe.to_dict(), sort_keys=True).encode())
            h.update(json.dumps([self.item_ids, self.benchmarks, self.targets]).encode())
            for a in (self.keys, self.owner_ptr, self.owner_code, self.n_grams):
                h.update(np.ascontiguousarray(a).tobytes())
            if self.minhasher is not None:
                h.update(json.dumps(self.minhasher.to_dict(), sort_keys=True).encode())
            cached = h.hexdigest()
            object.__setattr__(self, "_fingerprint", cached)
        return cached

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        out = super().to_dict(arrays=arrays)
        out.update(n_items=self.n_items, n_keys=len(self.keys), fingerprint=self.fingerprint)
        return out


def _build_probe(index: TestIndex):
    if len(index.inputs) != index.n_items or len(index.keys) == 0:
        return None
    rec = index.recipe
    k0 = min((rec.n, *index.short_lengths))
    probes = []
    for part, texts in ((INPUT, index.inputs), (TARGET, index.targets)):
        batch = hash_texts(list(texts))
        lengths = np.diff(batch.doc_start)
        if batch.n_words < k0:
            continue
        starts = np.arange(max(batch.n_words - rec.n + 1, 0))
        starts = starts[same_document(starts, rec.n, batch.doc_start)]
        if part == INPUT:
            short = np.flatnonzero((lengths >= rec.min_tokens) & (lengths < rec.n))
            starts = np.concatenate([starts, batch.doc_start[short]])
        probes.append(value_grams(batch.values, k0, starts))
    keys = np.unique(np.concatenate(probes)) if probes else np.zeros(0, np.uint64)
    bits = int(np.clip(np.ceil(np.log2(max(len(keys), 1) * 32)), 16, 28))
    table = np.zeros(1 << bits, np.bool_)
    table[keys >> np.uint64(64 - bits)] = True
    return k0, keys, (table, 64 - bits)


def _build_bitmap(keys: np.ndarray) -> tuple[np.ndarray, int]:
    bits = int(np.clip(np.ceil(np.log2(max(len(keys), 1) * 64)), _MIN_BITS, _MAX_BITS))
    shift = 64 - bits
    table = np.zeros(1 << (bits - 3), np.uint8)
    top = (keys >> np.uint64(shift)).astype(np.int64)
    np.bitwise_or.at(table, top >> 3, (1 << (top & 7)).astype(np.uint8))
    return table, shift


def _texts(values: Any, name: str, n: int | None) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise InputError(f"`{name}` must be a sequence of strings; got {type(values).__name__}.")
    out = list(values)
    if n is not None and len(out) != n:
        raise InputError(f"`{name}` must have one entry per input ({n}); got {len(out)}.")
    for i, v in enumerate(out):
        if v is None and name == "targets":
            out[i] = ""
        elif not isinstance(v, str):
            raise InputError(f"`{name}[{i}]` must be a string; got {type(v).__name__}.")
    return out


def _build_index_iv(inputs, targets, ids, benchmarks):
    inputs = _texts(inputs, "inputs", None)
    if not inputs:
        raise InputError("`inputs` must hold at least one test item; got none.")
    targets = [""] * len(inputs) if targets is None else _texts(targets, "targets", len(inputs))
    ids = [str(i) for i in range(len(inputs))] if ids is None else _texts(ids, "ids", len(inputs))
    if benchmarks is None:
        benchmarks = [""] * len(inputs)
    elif isinstance(benchmarks, str):
        benchmarks = [benchmarks] * len(inputs)
    else:
        benchmarks = _texts(benchmarks, "benchmarks", len(inputs))
    pairs = list(zip(benchmarks, ids, strict=True))
    if len(set(pairs)) != len(pairs):
        seen: set[tuple[str, str]] = set()
        dup = next(p for p in pairs if p in seen or seen.add(p))
        raise InputError(
            f"`ids` must be unique within a benchmark; item {dup[1]!r} of benchmark "
            f"{dup[0]!r} appears more than once."
        )
    return inputs, targets, ids, benchmarks


def build_index(
    inputs: Sequence[str],
    *,
    targets: Sequence[str | None] | None = None,
    ids: Sequence[str] | None = None,
    benchmarks: str | Sequence[str] | None = None,
    preset: str | Recipe = "gpt3",
    n: int | None = None,
    min_tokens: int | None = None,
    minhash: MinHasher | None = None,
) -> TestIndex:
    """Build the test-side index of a benchmark's items.

    Parameters
    ----------
    inputs : sequence of str
        Question or prompt text of each test item.
    targets : sequence of str or None, optional
        Gold answers; used to tell input-only from input-and-answer contamination.
    ids : sequence of str, optional
        Item ids (default ``"0", "1", ...``); unique within a benchmark.
    benchmarks : str or sequence of str, optional
        Benchmark (task) of each item, for per-benchmark rates.
    preset : {'gpt3', 'tulu3', 'open-r1'} or Recipe, default 'gpt3'
        The recipe: GPT-3's 13-gram (Brown et al. 2020) or the 8-gram of Tulu 3 and open-r1.
    n, min_tokens : int, optional
        Override the preset's n-gram size or minimum length of whole-item grams.
    minhash : MinHasher, optional
        Also index MinHash signatures of the inputs for near-duplicate search.

    Returns
    -------
    TestIndex

    Notes
    -----
    Text is normalised by :func:`normalize` (lowercase, ASCII punctuation deleted, whitespace
    collapsed) and split into words. Each input and target with at least ``n`` words contributes
    all its word n-grams; an input of ``min_tokens <= m < n`` words contributes itself as one
    ``m``-word gram; a shorter input is unchecked by the n-gram stage.

    Examples
    --------
    >>> idx = build_index(["What is the capital of France? Answer with one word please."],
    ...                   targets=["Paris"], n=4)
    >>> len(idx.keys), idx.n_grams.tolist()
    (8, [[8, 0]])
    """
    inputs, targets, ids, benchmarks = _build_index_iv(inputs, targets, ids, benchmarks)
    rec = recipe(preset, n=n, min_tokens=min_tokens)
    if minhash is not None and not isinstance(minhash, MinHasher):
        raise InputError(f"`minhash` must be a MinHasher; got {type(minhash).__name__}.")
    check_positive_int(rec.n, "n")
    hashes, codes, short = [], [], set()
    n_words = np.zeros((len(inputs), 2), np.int64)
    for part, texts in ((0, inputs), (1, targets)):
        batch = hash_texts(texts)
        lengths = np.diff(batch.doc_start)
        n_words[:, part] = lengths
        grams = gram_hashes(batch.hashes, rec.n)
        starts = np.flatnonzero(same_document(np.arange(len(grams)), rec.n, batch.doc_start))
        item = np.searchsorted(batch.doc_start, starts, side="right") - 1
        hashes.append(grams[starts])
        codes.append(2 * item + part)
        if part == INPUT:
            for k in np.unique(lengths[(lengths >= rec.min_tokens) & (lengths < rec.n)]):
                items = np.flatnonzero(lengths == k)
                g = gram_hashes(batch.hashes, int(k))
                hashes.append(g[batch.doc_start[items]])
                codes.append(2 * items)
                short.add(int(k))
    h, c = np.concatenate(hashes), np.concatenate(codes)
    order = np.lexsort((c, h))
    h, c = h[order], c[order]
    keep = np.ones(len(h), bool)
    keep[1:] = (h[1:] != h[:-1]) | (c[1:] != c[:-1])  # one entry per (gram, owner)
    h, c = h[keep], c[keep]
    first = np.ones(len(h), bool)
    first[1:] = h[1:] != h[:-1]
    keys = h[first]
    owner_ptr = np.append(np.flatnonzero(first), len(h)).astype(np.int64)
    n_grams = np.bincount(c, minlength=2 * len(inputs)).reshape(-1, 2).astype(np.int64)
    signatures = None
    if minhash is not None:
        signatures = minhash.signatures(inputs)
    return TestIndex(
        recipe=rec,
        item_ids=tuple(ids),
        benchmarks=tuple(benchmarks),
        keys=keys,
        owner_ptr=owner_ptr,
        owner_code=c.astype(np.int64),
        n_grams=n_grams,
        n_words=n_words,
        short_lengths=tuple(sorted(short)),
        targets=tuple(normalize(t) for t in targets),
        inputs=tuple(inputs),
        minhasher=minhash,
        minhash=signatures,
    )
