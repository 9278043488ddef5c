"""Exact top-k cosine search of test items against training documents, streamed in batches."""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_array, check_choice, check_positive_int

__all__ = ["TopK", "cosine_topk"]


@dataclasses.dataclass
class TopK:
    """The ``k`` most similar documents per test item so far; merge batches with :meth:`merge`.

    Attributes
    ----------
    scores : ndarray of float64, shape (n_items, k)
        Cosine similarities, best first; -inf where fewer than ``k`` documents were seen.
    refs : list of list of dict
        Per item, the matching documents' references (and snippets), best first.
    """

    scores: np.ndarray
    refs: list[list[dict[str, Any]]]

    @classmethod
    def empty(cls, n_items: int, k: int) -> TopK:
        return cls(np.full((n_items, k), -np.inf), [[] for _ in range(n_items)])

    @property
    def k(self) -> int:
        return self.scores.shape[1]

    def merge(self, other: TopK) -> TopK:
        """Keep the ``k`` best of both; ties go to the earlier document (shard, then row)."""
        k = self.k
        scores = np.full_like(self.scores, -np.inf)
        refs: list[list[dict[str, Any]]] = []
        for i in range(len(self.refs)):
            both = list(zip(self.scores[i][: len(self.refs[i])], self.refs[i], strict=True))
            both += list(zip(other.scores[i][: len(other.refs[i])], other.refs[i], strict=True))
            both.sort(key=lambda sr: (-sr[0], sr[1]["shard"], sr[1]["row"]))
            both = both[:k]
            scores[i, : len(both)] = [s for s, _ in both]
            refs.append([r for _, r in both])
        return TopK(scores, refs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": [
                [float(s) for s in row[: len(r)]]
                for row, r in zip(self.scores, self.refs, strict=True)
            ],
            "refs": self.refs,
            "k": self.k,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopK:
        k = int(data["k"])
        scores = np.full((len(data["refs"]), k), -np.inf)
        for i, row in enumerate(data["scores"]):
            scores[i, : len(row)] = row
        return cls(scores, [list(r) for r in data["refs"]])


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm == 0, 1.0, norm)


def cosine_topk(
    item_embeddings: Any,
    doc_embeddings: Any,
    *,
    k: int = 5,
    refs: list[dict[str, Any]] | None = None,
    method: str = "auto",
) -> TopK:
    """The ``k`` documents most similar to each test item, by exact cosine similarity.

    Parameters
    ----------
    item_embeddings : array_like, shape (n_items, dim)
    doc_embeddings : array_like, shape (n_docs, dim)
    k : int, default 5
        Neighbours kept per item (fewer when there are fewer documents).
    refs : list of dict, optional
        One reference per document (``shard`` and ``row`` at least); default ``{"shard": 0,
        "row": j}``.
    method : {'auto', 'numpy', 'faiss'}, default 'auto'
        Exact search by a matrix product, or by FAISS's ``IndexFlatIP`` (also exact) when installed
        ('auto' uses FAISS when it is importable).

    Returns
    -------
    TopK
    """
    items = check_array(item_embeddings, "item_embeddings", ndim=2, dtype=np.float32)
    docs = check_array(doc_embeddings, "doc_embeddings", ndim=2, dtype=np.float32, min_size=0)
    k = check_positive_int(k, "k")
    method = check_choice(method, "method", ("auto", "numpy", "faiss"))
    if docs.shape[0] and docs.shape[1] != items.shape[1]:
        raise InputError(
            f"`doc_embeddings` must have {items.shape[1]} columns like `item_embeddings`; "
            f"got {docs.shape[1]}."
        )
    if refs is None:
        refs = [{"shard": 0, "row": j} for j in range(len(docs))]
    elif len(refs) != len(docs):
        raise InputError(f"`refs` must have one entry per document ({len(docs)}); got {len(refs)}.")
    out = TopK.empty(len(items), k)
    if len(docs) == 0:
        return out
    kk = min(k, len(docs))
    items, docs = _unit_rows(items), _unit_rows(docs)
    has_faiss = importlib.util.find_spec("faiss") is not None
    if method == "faiss" and not has_faiss:
        raise InputError("`method` 'faiss' needs the faiss package (pip install faiss-cpu).")
    if method == "faiss" or (method == "auto" and has_faiss):
        import faiss

        flat = faiss.IndexFlatIP(docs.shape[1])
        flat.add(np.ascontiguousarray(docs))
        sims, idx = flat.search(np.ascontiguousarray(items), kk)
    else:
        full = items @ docs.T
        idx = np.argsort(-full, axis=1, kind="stable")[:, :kk]
        sims = np.take_along_axis(full, idx, axis=1)
    out.scores[:, :kk] = sims
    out.refs = [[dict(refs[j]) for j in row] for row in idx.tolist()]  # one dict per (item, doc)
    return out
