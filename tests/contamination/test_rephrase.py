"""Rephrase probability: the spacing test is exact on its model, calibrated on simulated corpora
with known truth, and the measured flag rates carried on results are the benchmark's numbers."""

import json
import os
import sys

import numpy as np
import pytest
from scipy import stats

from assay._core import InputError
from assay.contamination import (
    FLAG_RATES,
    TopK,
    build_index,
    flag_rates,
    rephrase_probability,
    scan_texts,
    spacing_pvalues,
    summarize,
)
from assay.contamination._rephrase import _grenander

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


def simulated_scores(rng, n_items, n_docs, k, rephrased, lift=0.25):
    """Top-k cosines of items against unrelated documents (normal similarities, a Gumbel-domain
    tail), with a rephrasing at similarity ``max + lift`` for the rephrased items."""
    sims = rng.normal(0.3, 0.08, (n_items, n_docs))
    top = -np.sort(-sims, axis=1)[:, :k]
    top[rephrased, 1:] = top[rephrased, :-1]
    top[rephrased, 0] = top[rephrased, 1] + lift
    return top


def test_spacing_pvalues_are_uniform_under_the_exponential_model():
    # reference: for exponential draws the normalised spacings of the top order statistics are
    # i.i.d. exponential (Renyi 1953), so D / b-hat ~ F(2, 2m) exactly; a KS test against U(0, 1)
    rng = np.random.default_rng(0)
    top = -np.sort(-rng.exponential(1.0, (2000, 2000)), axis=1)[:, :12]
    p = spacing_pvalues(top)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    # for the normal similarities of unrelated documents (a lighter tail) it is conservative:
    # measured 2.4% below 0.05
    p = spacing_pvalues(simulated_scores(rng, 2000, 2000, 20, np.zeros(2000, bool), 0))
    assert 0.01 < np.mean(p < 0.05) <= 0.06 and np.mean(p < 0.2) <= 0.22


def test_copies_ties_and_too_few_neighbours():
    s = np.array(
        [[0.9, 0.9, 0.9, 0.5, 0.45, 0.42, 0.4], [0.9, 0.5, -np.inf, -np.inf, -np.inf, 0, 0]]
    )
    p = spacing_pvalues(s)
    # three exact copies of one document count once: neighbours 0.9, 0.5, 0.45, 0.42, 0.4, spacings
    # 2 * 0.05, 3 * 0.03, 4 * 0.02 (mean 0.09), gap 0.4: F(2, 6) tail at 0.4 / 0.09
    assert p[0] == pytest.approx(stats.f.sf(0.4 / 0.09, 2, 6))
    assert np.isnan(p[1])  # 3 distinct neighbours: untested
    assert np.isnan(spacing_pvalues([[0.5, 0.4, 0.3]])[0])
    with pytest.raises(InputError, match="`scores` must be 2-dimensional"):
        spacing_pvalues([0.5, 0.4])


def test_grenander_matches_a_brute_force_concave_majorant():
    # reference: the min-max formula of antitonic regression (Robertson, Wright and Dykstra 1988,
    # thm 1.4.4): the slope on (x[j-1], x[j]) is min over a < j of max over b >= j of the chord
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=40), rng.beta(0.2, 1, 20)])
    x = np.r_[0, np.sort(p)]
    y = np.arange(len(x)) / len(p)
    dens = _grenander(p)
    for i, pi in enumerate(p):
        j = int(np.searchsorted(x, pi))  # p is the right end of segment (x[j-1], x[j])
        right = min(max((y[b] - y[a]) / (x[b] - x[a]) for b in range(j, len(x))) for a in range(j))
        assert dens[i] == pytest.approx(right, rel=1e-9)


@pytest.mark.parametrize("share", [0.0, 0.2, 0.6, 1.0])
def test_count_and_probability_are_calibrated_on_simulations(share):
    """Known truth: rephrasings planted at a clear lift, over 20 simulated corpora. Flags at
    probability >= 0.5 find most and are mostly right, the mean probability of the flagged items
    matches their precision (calibration), and the count errs low, never high: its interval's
    lower end stays at or below the truth (the null p-values of a light tail are conservative, so
    Storey's null share is too high; measured coverage of the interval is 50% at a 20% share,
    documented in docs/contamination.md)."""
    rng = np.random.default_rng(7)
    cover, precision, mean_prob, recall, false = [], [], [], [], []
    for rep in range(20):
        truth = rng.random(300) < share
        top = simulated_scores(rng, 300, 2000, 20, truth)
        res = rephrase_probability(top, rng=rep, n_boot=200)
        cover.append(res.ci_low <= truth.sum())
        flag = res.probability >= 0.5
        if flag.any():
            precision.append(truth[flag].mean())
            mean_prob.append(res.probability[flag].mean())
        if truth.any():
            recall.append(flag[truth].mean())
        if (~truth).any():
            false.append(flag[~truth].mean())
    assert np.mean(cover) >= 0.9
    if share > 0:
        assert np.mean(recall) > 0.8
        assert abs(np.mean(precision) - np.mean(mean_prob)) < 0.1
    if share < 1:
        assert np.mean(false) < 0.03


def test_summarize_carries_rephrase_estimates_and_flag_rates():
    rng = np.random.default_rng(3)
    items = [f"question number {i} about topic {i % 7} with enough words here" for i in range(60)]
    idx = build_index(items, benchmarks=["a"] * 30 + ["b"] * 30)
    truth = np.arange(60) < 20
    top = simulated_scores(rng, 60, 500, 20, truth)
    emb = TopK(top, [[{"shard": 0, "row": j} for j in range(20)] for _ in range(60)])
    res = summarize(idx, scan_texts(["nothing to see"], idx), embedding=emb)
    a, b = res.benchmarks
    assert a.n_rephrase_flags >= 15 and b.n_rephrase_flags <= 2
    assert a.rephrased_ci_low <= 20 <= a.rephrased_ci_high + 2
    probs = np.array([v.rephrase_probability for v in res.items])
    assert np.all((probs >= 0) & (probs <= 1))
    assert ["rephrase" in v.stages for v in res.items] == list(probs >= 0.5)
    assert all(v.status == "clean" for v in res.items)  # the status stays with the other stages
    assert res.flag_rates["ngram"] == FLAG_RATES["ngram_13"]
    assert res.to_dict()["flag_rates"]["rephrase"]["false_flag_rate"] > 0.1
    again = summarize(idx, scan_texts(["nothing to see"], idx), embedding=emb)
    assert again.to_dict() == res.to_dict()  # same seed, same result
    assert "ngram" in flag_rates("tulu3") and "ngram" not in flag_rates("custom")


def test_carried_ngram_and_near_duplicate_rates_are_the_benchmarks_numbers():
    """The rates carried on every result are recomputed here by the benchmark's own code (the
    stages that need no model): a number in FLAG_RATES that the benchmark no longer gives fails."""
    sys.path.insert(0, BENCH)
    try:
        import contamination as bench
    finally:
        sys.path.remove(BENCH)
    got: dict = {}
    bench.flag_rates(None, 1, stop_before_embeddings=got)
    for key in ("ngram_13", "ngram_8", "near_duplicate"):
        assert got[key] == FLAG_RATES[key], key
    assert json.loads(json.dumps(got)) == got
