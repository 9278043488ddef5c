"""The rephrase test's empirical null in the scan: corpus documents as pseudo-queries (the spread
sample of :func:`assay.pipelines.spread_sample`, tested in test_null_sample.py), the same however
the corpus is split, equal to a brute-force computation, and carried to the verdicts."""

import hashlib
import json

import numpy as np
import pytest

from assay._core import InputError
from assay.contamination import TopK, build_index, summarize
from assay.pipelines import (
    CorpusOptions,
    ScanOptions,
    _embed,
    run_scan,
    scan_corpus,
    spread_sample,
)


def fake_encode(texts, *, batch_size=64, cache=None):
    """Unit vectors seeded by each text (so equal texts get equal vectors), in place of the model;
    texts that start alike share a direction (similar documents)."""
    out = []
    for t in texts:
        base = np.random.default_rng(int(hashlib.sha256(t[:3].encode()).hexdigest()[:8], 16))
        own = np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16))
        v = 0.5 * base.normal(size=32) + own.normal(size=32)
        out.append(v / np.linalg.norm(v))
    return np.array(out, dtype=np.float32)


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(_embed, "encode", fake_encode)
    rng = np.random.default_rng(0)
    docs = [
        f"{rng.integers(0, 30):03d} document {i} " + "x" * int(rng.integers(0, 50))
        for i in range(240)
    ]
    docs[5] = docs[2]  # an exact copy of a pseudo-query: left out of its neighbours
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs), encoding="utf-8")
    return str(path), docs


def brute_force_null(queries, docs, k):
    """Each query's k most similar documents, itself and exact copies left out (all pairs)."""
    sims = fake_encode(queries).astype(np.float64) @ fake_encode(docs).astype(np.float64).T
    sims[sims >= 1 - 1e-4] = -np.inf
    return -np.sort(-sims, axis=1)[:, :k]


def test_null_neighbours_are_the_sample_against_the_rest(corpus):
    path, docs = corpus
    index = build_index([f"{i:03d} an item" for i in range(30)])
    opts = ScanOptions(embed=True, embed_k=10, embed_null=50)
    one = scan_corpus(path, index, workers=1, options=opts)
    sample = spread_sample([path], 50)
    assert len(sample) == 50 and sample != docs[:50] and docs[2] in sample
    want = brute_force_null(sample, docs, 10)
    np.testing.assert_allclose(one.null_neighbours.scores, want, atol=1e-5)
    assert np.isfinite(one.null_neighbours.scores).all()  # the copy of doc 2 and doc 2 left out
    # the same when the file is cut into many ranges
    small = ScanOptions(
        embed=True, embed_k=10, embed_null=50, corpus=CorpusOptions(range_bytes=2000)
    )
    split = scan_corpus(path, index, workers=1, options=small)
    assert len(split.ranges) > 3
    np.testing.assert_array_equal(split.null_neighbours.scores, one.null_neighbours.scores)
    # more pseudo-queries asked for than documents: all of them
    every = scan_corpus(
        path, index, workers=1, options=ScanOptions(embed=True, embed_k=10, embed_null=999)
    )
    assert every.null_neighbours.scores.shape == (240, 10)
    none = scan_corpus(
        path, index, workers=1, options=ScanOptions(embed=True, embed_k=10, embed_null=0)
    )
    assert none.null_neighbours is None


def test_verdicts_use_the_corpus_null(corpus, tmp_path):
    """run_scan's verdicts are the library's summarize with the brute-force null; items whose
    copy is in the corpus get a high probability and the bound counts them."""
    path, docs = corpus
    items = [f"{i:03d} an item" for i in range(30)]
    with open(path, "a", encoding="utf-8") as fh:  # ten items' texts in the corpus, at its end
        fh.write("".join(json.dumps({"text": t}) + "\n" for t in items[:10]))
    index = build_index(items)
    opts = ScanOptions(embed=True, embed_k=10, embed_null=200)
    res = run_scan(path, index, workers=1, options=opts)
    run = scan_corpus(path, index, workers=1, options=opts)
    corpus_docs = docs + items[:10]
    null = TopK(
        brute_force_null(spread_sample([path], 200), corpus_docs, 10), [[] for _ in range(200)]
    )
    want = summarize(index, run.partial, embedding=run.neighbours, embedding_null=null)
    assert res.to_dict() == want.to_dict()
    bench = res.benchmarks[0]
    assert bench.rephrase_null == 200 and 0 < bench.rephrased_ci_low <= 10
    prob = np.array([v.rephrase_probability for v in res.items])
    assert (prob[:10] > 0.5).all() and prob[:10].mean() > prob[10:].mean() + 0.5
    f_null = run_scan(
        path, index, workers=1, options=ScanOptions(embed=True, embed_k=10, embed_null=0)
    )
    assert f_null.benchmarks[0].rephrase_null == 0


@pytest.mark.parametrize("bad", [-1, 2.5, True, "500"])
def test_embed_null_must_be_a_count(bad):
    with pytest.raises(
        InputError, match=rf"`embed_null` must be a non-negative integer; got {bad!r}"
    ):
        ScanOptions(embed=True, embed_null=bad)
