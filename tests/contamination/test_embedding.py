"""Exact top-k cosine search against scikit-learn's brute-force nearest neighbours."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from assay._core import InputError
from assay.contamination import cosine_topk


def test_matches_sklearn_brute_force():
    rng = np.random.default_rng(0)
    items, docs = rng.normal(size=(30, 16)), rng.normal(size=(200, 16))
    top = cosine_topk(items, docs, k=5, method="numpy")
    nn = NearestNeighbors(n_neighbors=5, metric="cosine", algorithm="brute").fit(docs)
    dist, idx = nn.kneighbors(items)
    assert [[r["row"] for r in refs] for refs in top.refs] == idx.tolist()
    np.testing.assert_allclose(top.scores, 1 - dist, atol=1e-5)


def test_streamed_batches_equal_one_pass():
    rng = np.random.default_rng(1)
    items, docs = rng.normal(size=(10, 8)), rng.normal(size=(90, 8))
    one = cosine_topk(items, docs, k=4, method="numpy")
    parts = None
    for lo in range(0, 90, 25):
        refs = [{"shard": 0, "row": lo + j} for j in range(len(docs[lo : lo + 25]))]
        p = cosine_topk(items, docs[lo : lo + 25], k=4, refs=refs, method="numpy")
        parts = p if parts is None else parts.merge(p)
    assert parts.refs == one.refs
    np.testing.assert_allclose(parts.scores, one.scores, atol=1e-6)


def test_fewer_documents_than_k():
    top = cosine_topk(np.eye(3), np.eye(3)[:2], k=5, method="numpy")
    assert [len(r) for r in top.refs] == [2, 2, 2]
    assert np.isneginf(top.scores[:, 2:]).all()


def test_faiss_gives_the_same_neighbours():
    rng = np.random.default_rng(2)
    items, docs = rng.normal(size=(20, 12)), rng.normal(size=(100, 12))
    a = cosine_topk(items, docs, k=3, method="numpy")
    b = cosine_topk(items, docs, k=3, method="faiss")
    assert a.refs == b.refs
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)


def test_errors():
    with pytest.raises(
        InputError, match=r"`doc_embeddings` must have 4 columns like `item_embeddings`; got 3"
    ):
        cosine_topk(np.ones((2, 4)), np.ones((5, 3)))
    with pytest.raises(InputError, match=r"`refs` must have one entry per document \(5\); got 1"):
        cosine_topk(np.ones((2, 4)), np.ones((5, 4)), refs=[{}])
    with pytest.raises(
        InputError, match="`method` must be one of 'auto', 'numpy', 'faiss'; got 'annoy'"
    ):
        cosine_topk(np.ones((2, 4)), np.ones((5, 4)), method="annoy")
    with pytest.raises(InputError, match="`k` must be an integer >= 1; got 0"):
        cosine_topk(np.ones((2, 4)), np.ones((5, 4)), k=0)
