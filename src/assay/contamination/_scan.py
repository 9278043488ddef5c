"""Scan a batch of training documents against a test index: n-gram and near-duplicate matches.

The result of a batch, :class:`ScanPartial`, is small (it grows with the matches, not with the
documents) and merges associatively, so shards can be scanned anywhere and combined in shard order
to the same answer.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_positive_int
from assay.contamination import _fast
from assay.contamination._hashing import (
    EncodedTexts,
    TokenBatch,
    _power_tables,
    gram_hashes,
    grams_at,
    hash_texts,
    same_document,
    value_grams,
)
from assay.contamination._index import INPUT, TARGET, TestIndex
from assay.contamination._minhash import lsh_candidates
from assay.contamination._normalize import tokenize

__all__ = ["DocRef", "ScanPartial", "scan_texts", "word_spans"]

_SNIPPET = 300
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
# a run of non-space characters holding at least one that is not ASCII punctuation: exactly the
# runs that leave a word after normalisation (str.lower never empties a character)
_WORD = re.compile(r"(?<!\S)\S*[^\s" + re.escape(_PUNCT) + r"]\S*")


@dataclasses.dataclass(frozen=True)
class DocRef:
    """Where a batch of documents comes from: shard number, source name, first row, ids."""

    shard: int = 0
    source: str = ""
    first_row: int = 0
    doc_ids: Sequence[str | None] | None = None

    def ref(self, d: int) -> dict[str, Any]:
        doc_id = None if self.doc_ids is None else self.doc_ids[d]
        return {
            "shard": self.shard,
            "source": self.source,
            "row": self.first_row + d,
            "doc_id": doc_id,
        }


@dataclasses.dataclass
class ScanPartial:
    """What a scan found so far; merge partials with :meth:`merge` in shard order.

    Attributes
    ----------
    n_docs, n_bytes, n_words : int
        Documents, normalised bytes and words scanned.
    found : ndarray of int64
        Sorted indices into ``index.keys`` of the grams seen at least once.
    items : dict of int to dict
        Per test item with a match: ``n_docs`` (documents matching its input), ``n_answer_docs``
        (of those, documents that also hold its answer), ``n_target_docs`` (documents matching its
        target's n-grams), ``longest`` (words of the longest match) and ``evidence`` (the strongest
        ``max_evidence`` matches: document reference, grams matched, longest run, character span,
        answer found, snippet).
    near : dict of int to list of dict
        Per test item, near-duplicate documents (MinHash): reference and estimated Jaccard.
    max_evidence : int
        Evidence records kept per item.
    """

    n_docs: int = 0
    n_bytes: int = 0
    n_words: int = 0
    found: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    items: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    near: dict[int, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    max_evidence: int = 20

    def merge(self, other: ScanPartial) -> ScanPartial:
        """Combine two partials (``self`` first in corpus order); returns a new partial."""
        items = {k: dict(v) for k, v in self.items.items()}
        for k, v in other.items.items():
            if k not in items:
                items[k] = dict(v)
                continue
            a = items[k]
            for f in ("n_docs", "n_answer_docs", "n_target_docs"):
                a[f] = a[f] + v[f]
            a["longest"] = max(a["longest"], v["longest"])
            a["evidence"] = _top_evidence(a["evidence"] + v["evidence"], self.max_evidence)
        near = {k: list(v) for k, v in self.near.items()}
        for k, v in other.near.items():
            near[k] = _top_near(near.get(k, []) + v, self.max_evidence)
        return ScanPartial(
            n_docs=self.n_docs + other.n_docs,
            n_bytes=self.n_bytes + other.n_bytes,
            n_words=self.n_words + other.n_words,
            found=np.union1d(self.found, other.found).astype(np.int64),
            items=items,
            near=near,
            max_evidence=self.max_evidence,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for manifests); :meth:`from_dict` reverses it."""
        return {
            "n_docs": self.n_docs,
            "n_bytes": self.n_bytes,
            "n_words": self.n_words,
            "found": self.found.tolist(),
            "items": {str(k): v for k, v in sorted(self.items.items())},
            "near": {str(k): v for k, v in sorted(self.near.items())},
            "max_evidence": self.max_evidence,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanPartial:
        return cls(
            n_docs=int(data["n_docs"]),
            n_bytes=int(data["n_bytes"]),
            n_words=int(data["n_words"]),
            found=np.asarray(data["found"], np.int64),
            items={int(k): v for k, v in data["items"].items()},
            near={int(k): v for k, v in data["near"].items()},
            max_evidence=int(data["max_evidence"]),
        )


def _evidence_key(e: dict[str, Any]) -> tuple:
    return (-e["longest"], -e["n_grams"], e["shard"], e["row"])


def _top_evidence(records: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    return sorted(records, key=_evidence_key)[:cap]


def _top_near(records: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    return sorted(records, key=lambda e: (-e["jaccard"], e["shard"], e["row"]))[:cap]


def word_spans(text: str, stop: int | None = None) -> list[tuple[int, int]]:
    """Character spans in ``text`` of the words of ``normalize(text)``, in order (the first
    ``stop`` words only, when given).

    The runs of characters that are not white space (as ``str.split`` knows it) and hold one
    that is not ASCII punctuation, found with numpy over the code points (a regular expression,
    ``_WORD``, finds the same spans one Python object at a time: several times slower on long
    documents).
    """
    if len(text) < 64:
        return [m.span() for m in itertools.islice(_WORD.finditer(text), stop)]
    table = _span_table()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    kind = table[np.minimum(cps, len(table) - 1)]  # 1 white space, 2 ASCII punctuation, else 0
    edges = np.flatnonzero(np.diff((kind != 1).view(np.int8), prepend=0, append=0))
    starts, ends = edges[0::2], edges[1::2]
    if starts.size:
        ok = np.logical_or.reduceat(kind == 0, starts)  # (the white space after a run is not 0)
        starts, ends = starts[ok][:stop], ends[ok][:stop]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


@functools.cache
def _span_table() -> np.ndarray:
    """Per code point up to U+3001 (white space ends at U+3000): 1 for white space as
    ``str.isspace`` and the regular expressions' ``\\s`` know it, 2 for ASCII punctuation."""
    table = np.array([chr(c).isspace() for c in range(0x3002)], np.uint8)
    table[[ord(c) for c in _PUNCT]] = 2
    return table


def scan_texts(
    texts: Sequence[str],
    index: TestIndex,
    *,
    ref: DocRef | None = None,
    max_evidence: int = 20,
    answer_window: int = 100,
    near_duplicates: bool = True,
) -> ScanPartial:
    """Find the test items' n-grams (and near duplicates) in a batch of training documents.

    Parameters
    ----------
    texts : sequence of str, or EncodedTexts
        The documents (a reader may pass their UTF-8 as :class:`EncodedTexts`).
    index : TestIndex
        From :func:`build_index`.
    ref : DocRef, optional
        Where the documents come from, for the evidence records.
    max_evidence : int, default 20
        Evidence records kept per test item (the strongest matches).
    answer_window : int, default 100
        An answer shorter than ``n`` words counts as found when its words occur within this many
        words of the input's match in the same document.
    near_duplicates : bool, default True
        Run the MinHash stage when the index has signatures.

    Returns
    -------
    ScanPartial

    Examples
    --------
    >>> from assay.contamination import build_index, summarize
    >>> idx = build_index(["Name the largest planet of the solar system, please."],
    ...                   targets=["Jupiter"], n=5)
    >>> part = scan_texts(["Quiz: name the largest planet of the solar system! Jupiter.", "Hi"], idx)
    >>> part.items[0]["longest"], part.items[0]["evidence"][0]["row"]
    (8, 0)
    >>> summarize(idx, part).items[0].status
    'input_and_answer'
    """
    texts = _scan_iv(texts, index, max_evidence, answer_window)
    ref = ref or DocRef()
    batch = hash_texts(texts)
    pos, key, k = _gram_hits(batch, index)  # (the compiled kernel also counts the words)
    out = ScanPartial(
        n_docs=len(texts),
        n_bytes=batch.n_bytes,
        n_words=batch.n_words,
        max_evidence=max_evidence,
    )
    if pos.size:
        out.found = np.unique(key)
        _collect_items(out, texts, batch.doc_start, index, ref, pos, key, k, answer_window)
    if near_duplicates and index.minhash is not None and len(texts):
        _collect_near(out, batch, index, ref)
    return out


def _scan_iv(texts, index, max_evidence, answer_window) -> list[str]:
    if not isinstance(index, TestIndex):
        raise InputError(
            f"`index` must be a TestIndex from build_index; got {type(index).__name__}."
        )
    check_positive_int(max_evidence, "max_evidence")
    check_positive_int(answer_window, "answer_window", minimum=0)
    if isinstance(texts, EncodedTexts):
        return texts
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputError(f"`texts[{i}]` must be a string; got {type(t).__name__}.")
    return texts


def _gram_hits(batch: TokenBatch, index: TestIndex):
    """Word positions, key indices and gram lengths of every gram found in the index.

    A cheap unmixed value of one gram length (the index's probe, see :attr:`TestIndex.probe`)
    is computed at every word and filtered by a byte table and a binary search; the real hashes
    of the grams of every indexed length are computed at the few candidates only.
    """
    empty = np.zeros(0, np.int64)
    keys = index.keys
    probe = index.probe
    if len(keys) == 0:
        return empty, empty, empty
    if probe is None:
        return _gram_hits_every_length(batch.hashes, batch.doc_start, index)
    k0, probe_keys, (table, shift) = probe
    if len(probe_keys) == 0:
        return empty, empty, empty
    if _fast.enabled():
        return _gram_hits_compiled(batch, index)
    if batch.n_words < k0 or batch.n_words == 0:
        return empty, empty, empty
    grams = value_grams(batch.values, k0)
    cand = np.flatnonzero(table[grams >> np.uint64(shift)])
    if cand.size == 0:
        return empty, empty, empty
    g = grams[cand]
    j = np.minimum(np.searchsorted(probe_keys, g), len(probe_keys) - 1)
    cand = cand[probe_keys[j] == g]
    pos_l, key_l, k_l = [], [], []
    for k in (index.recipe.n, *index.short_lengths):
        c = cand[cand + k <= batch.n_words]
        if c.size == 0:
            continue
        gk = grams_at(batch, c, k)
        j = np.minimum(np.searchsorted(keys, gk), len(keys) - 1)
        ok = keys[j] == gk
        c, j = c[ok], j[ok]
        ok = same_document(c, k, batch.doc_start)
        pos_l.append(c[ok])
        key_l.append(j[ok])
        k_l.append(np.full(int(ok.sum()), k, np.int64))
    if not pos_l:
        return empty, empty, empty
    return np.concatenate(pos_l), np.concatenate(key_l), np.concatenate(k_l)


def _gram_hits_compiled(batch: TokenBatch, index: TestIndex):
    """:func:`_gram_hits` in one compiled pass over the bytes (the same hits, same order)."""
    k0, probe_keys, _ = index.probe
    filt = index.kernel_filter
    lengths = (index.recipe.n, *index.short_lengths)
    pw, inv = _power_tables(max(*lengths, k0) + 1)
    n_buf = batch.n_bytes + max(batch.n_docs - 1, 0)
    n_words, doc_start, pos, key, ki = _fast.probe_hits(
        batch.buf, n_buf, batch.doc_bytes, k0, probe_keys, filt, index.keys, lengths, pw, inv[1]
    )
    batch.set_words(n_words, doc_start)
    order = np.lexsort((pos, ki))  # the numpy path's order: by length, then by position
    return pos[order], key[order], np.asarray(lengths, np.int64)[ki[order]]


def _gram_hits_every_length(hashes: np.ndarray, doc_start: np.ndarray, index: TestIndex):
    """:func:`_gram_hits` for an index without its inputs: every gram length at every word."""
    table, shift = index.bitmap
    keys = index.keys
    pos_l, key_l, k_l = [], [], []
    for k in (index.recipe.n, *index.short_lengths):
        grams = gram_hashes(hashes, k)
        if grams.size == 0:
            continue
        top = (grams >> np.uint64(shift)).astype(np.int64)
        cand = np.flatnonzero((table[top >> 3] >> (top & 7).astype(np.uint8)) & 1)
        if cand.size == 0:
            continue
        g = grams[cand]
        j = np.minimum(np.searchsorted(keys, g), len(keys) - 1)
        ok = keys[j] == g
        cand, j = cand[ok], j[ok]
        ok = same_document(cand, k, doc_start)
        pos_l.append(cand[ok])
        key_l.append(j[ok])
        k_l.append(np.full(int(ok.sum()), k, np.int64))
    if not pos_l:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pos_l), np.concatenate(key_l), np.concatenate(k_l)


def _expand_owners(index: TestIndex, pos, key, k):
    lo, hi = index.owner_ptr[key], index.owner_ptr[key + 1]
    cnt = hi - lo
    rep = np.repeat(np.arange(len(key)), cnt)
    offset = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    code = index.owner_code[lo[rep] + offset]
    return code, pos[rep], key[rep], k[rep]


def _groups(index: TestIndex, doc_start, pos, key, k):
    """One row per (owner code, document): grams matched, longest run and its word span."""
    code, pos, key, k = _expand_owners(index, pos, key, k)
    doc = np.searchsorted(doc_start, pos, side="right") - 1
    order = np.lexsort((pos, doc, code))
    code, doc, pos, key, k = code[order], doc[order], pos[order], key[order], k[order]
    n = index.recipe.n
    new_group = np.r_[True, (code[1:] != code[:-1]) | (doc[1:] != doc[:-1])]
    is_short = k != n
    new_run = new_group | np.r_[True, (np.diff(pos) != 1) | is_short[1:] | is_short[:-1]]
    run = np.cumsum(new_run) - 1
    run_first = np.flatnonzero(new_run)
    run_count = np.diff(np.r_[run_first, len(pos)])
    run_words = run_count + k[run_first] - 1
    run_group = np.cumsum(new_group)[run_first] - 1
    group_first = np.flatnonzero(new_group)
    # longest run per group (first of equal length)
    order = np.lexsort((run_first, -run_words, run_group))
    best = order[np.r_[True, run_group[order][1:] != run_group[order][:-1]]]
    # distinct grams per group
    gk = np.unique(np.stack([np.cumsum(new_group) - 1, key], axis=1), axis=0)
    n_grams = np.bincount(gk[:, 0], minlength=len(group_first))
    del run
    return {
        "code": code[group_first],
        "doc": doc[group_first],
        "n_grams": n_grams,
        "longest": run_words[best],
        "start": pos[run_first[best]] - doc_start[doc[group_first]],
        "words": run_words[best],
    }


def _collect_items(out, texts, doc_start, index, ref, pos, key, k, answer_window) -> None:
    g = _groups(index, doc_start, pos, key, k)
    item, part = g["code"] // 2, g["code"] % 2
    target_docs = set(zip(item[part == TARGET].tolist(), g["doc"][part == TARGET].tolist()))
    spans_cache: dict[int, list[tuple[int, int]]] = {}
    words_cache: dict[int, list[str]] = {}
    for i in np.flatnonzero(part == TARGET):
        rec = out.items.setdefault(int(item[i]), _new_item())
        rec["n_target_docs"] += 1
    for i in np.flatnonzero(part == INPUT):
        it, d = int(item[i]), int(g["doc"][i])
        rec = out.items.setdefault(it, _new_item())
        start, words = int(g["start"][i]), int(g["words"][i])
        answer = (it, d) in target_docs or _short_answer(
            index, it, texts, d, start, words, answer_window, words_cache
        )
        rec["n_docs"] += 1
        rec["n_answer_docs"] += int(answer)
        rec["longest"] = max(rec["longest"], words)
        rec["evidence"].append(
            {
                **ref.ref(d),
                "n_grams": int(g["n_grams"][i]),
                "longest": words,
                "word_start": start,
                "answer": bool(answer),
                "_doc": d,
            }
        )
    kept = []
    for rec in out.items.values():
        rec["evidence"] = _top_evidence(rec["evidence"], out.max_evidence)
        kept += [e for e in rec["evidence"] if "_doc" in e]
    need: dict[int, int] = {}  # words of each document the kept evidence reaches
    for e in kept:
        need[e["_doc"]] = max(need.get(e["_doc"], 0), e["word_start"] + e["longest"])
    for rec in out.items.values():
        for e in rec["evidence"]:
            d = e.pop("_doc", None)
            if d is None:
                continue
            spans = spans_cache.get(d)
            if spans is None:
                spans = spans_cache[d] = word_spans(texts[d], need[d])
            a, b = spans[e["word_start"]][0], spans[e["word_start"] + e["longest"] - 1][1]
            e["start"], e["end"] = a, b
            e["snippet"] = texts[d][a:b][:_SNIPPET]


def _new_item() -> dict[str, Any]:
    return {"n_docs": 0, "n_answer_docs": 0, "n_target_docs": 0, "longest": 0, "evidence": []}


def _short_answer(index, item, texts, d, start, words, window, cache) -> bool:
    """Whether a short target's words occur within ``window`` words of an input match."""
    m = int(index.n_words[item, TARGET])
    if m == 0 or m >= index.recipe.n:
        return False
    doc_words = cache.get(d)
    if doc_words is None:
        doc_words = cache[d] = tokenize(texts[d])
    target = index.targets[item].split()
    lo, hi = max(0, start - window), min(len(doc_words), start + words + window)
    region = doc_words[lo:hi]
    first = target[0]
    for j, w in enumerate(region[: len(region) - m + 1]):
        if w == first and region[j : j + m] == target:
            return True
    return False


def _collect_near(out: ScanPartial, batch, index: TestIndex, ref: DocRef) -> None:
    mh = index.minhasher
    sig = mh.signatures_from_words(batch.hashes, batch.doc_start)
    docs, items = lsh_candidates(mh.band_keys(sig), mh.band_keys(index.minhash))
    if docs.size == 0:
        return
    jac = (sig[docs] == index.minhash[items]).mean(axis=1)
    keep = jac >= mh.threshold
    for d, it, j in zip(docs[keep].tolist(), items[keep].tolist(), jac[keep].tolist(), strict=True):
        out.near.setdefault(it, []).append({**ref.ref(d), "jaccard": round(float(j), 6)})
    for it in out.near:
        out.near[it] = _top_near(out.near[it], out.max_evidence)
