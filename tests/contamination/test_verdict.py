"""Verdicts and per-benchmark rates."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay._core import InputError
from assay.contamination import ScanPartial, TopK, build_index, scan_texts, summarize

Q = [f"question number {i} asks about topic {i} in a rather long sentence" for i in range(10)]


def test_statuses_and_rates_against_statsmodels():
    idx = build_index(
        Q + ["tiny"],
        targets=[f"answer {i}" for i in range(10)] + [None],
        n=6,
        benchmarks=["A"] * 6 + ["B"] * 5,
    )
    docs = [Q[0], Q[1] + " the answer 1 is here", Q[7]]
    res = summarize(idx, scan_texts(docs, idx), confidence_level=0.9)
    status = {v.item: v.status for v in res.items}
    assert status["0"] == "input" and status["1"] == "input_and_answer" and status["7"] == "input"
    assert status["10"] == "unchecked" and status["2"] == "clean"
    assert res.counts() == {"clean": 7, "input": 2, "input_and_answer": 1, "unchecked": 1}
    a, b = res.benchmarks
    assert (a.benchmark, a.n, a.n_input, a.n_input_and_answer) == ("A", 6, 1, 1)
    lo, hi = proportion_confint(2, 6, alpha=0.1, method="wilson")  # statsmodels' Wilson interval
    assert a.ci_low == pytest.approx(lo) and a.ci_high == pytest.approx(hi)
    assert (b.n, b.n_input, b.n_unchecked) == (5, 1, 1)
    assert res.contaminated.tolist() == [
        s in ("input", "input_and_answer") for s in status.values()
    ]
    d = res.to_dict()
    assert d["items"][0]["status"] == "input" and d["n_docs"] == 3


def test_min_share():
    idx = build_index(Q[:1], n=3)
    half = " ".join(Q[0].split()[:6])
    assert summarize(idx, scan_texts([half], idx)).items[0].status == "input"
    assert summarize(idx, scan_texts([half], idx), min_share=0.5).items[0].status == "clean"


def test_embedding_candidates_and_judge():
    idx = build_index(Q[:3], n=6)
    part = scan_texts(["unrelated"], idx)
    top = TopK(np.array([[0.95], [0.5], [0.85]]), [[{"shard": 0, "row": r}] for r in range(3)])
    judge = {0: [{"verdict": True, "error": None}], 2: [{"verdict": None, "error": "unreachable"}]}
    res = summarize(idx, part, embedding=top, judge=judge, embedding_threshold=0.8)
    v0, v1, v2 = res.items
    assert v0.status == "input" and v0.stages == ("embedding", "judge")
    assert v1.status == "clean" and v1.stages == ()
    assert (
        v2.status == "clean"
        and v2.stages == ("embedding",)
        and v2.judge[0]["error"] == "unreachable"
    )
    assert res.benchmarks[0].n_embedding_candidates == 2
    assert res.stages == ("ngram", "embedding", "judge")


def test_errors():
    idx = build_index(Q[:2])
    part = ScanPartial()
    with pytest.raises(InputError, match="`index` must be a TestIndex; got str"):
        summarize("x", part)
    with pytest.raises(InputError, match="`partial` must be a ScanPartial; got list"):
        summarize(idx, [])
    with pytest.raises(InputError, match="`embedding` must be a TopK with one row per test item"):
        summarize(idx, part, embedding=TopK.empty(3, 2))
    with pytest.raises(InputError, match=r"`min_share` must be in \[0, 1\]; got 2"):
        summarize(idx, part, min_share=2)
    with pytest.raises(
        InputError, match="`judge` must be a dict of item index to verdicts; got list"
    ):
        summarize(idx, part, judge=[1])
    with pytest.raises(InputError, match=r"`confidence_level` must be in \(0, 1\); got 1.2"):
        summarize(idx, part, confidence_level=1.2)
