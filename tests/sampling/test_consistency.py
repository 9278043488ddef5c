"""Tests of consistency across runs and samples needed for a target SE."""

import itertools
import math

import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from assay._core import InputError
from assay.sampling import consistency, samples_needed


def test_fleiss_kappa_and_agreement_match_statsmodels_and_pairs():
    rng = np.random.default_rng(0)
    p = rng.beta(0.7, 0.7, 300)
    x = (rng.random((300, 5)) < p[:, None]).astype(float)
    res = consistency(x, rng=0, n_resamples=500)
    # Oracle: statsmodels' Fleiss kappa on the item x category counts (runs as raters).
    table, _ = aggregate_raters(x.astype(int))
    assert res.fleiss_kappa == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-12)
    assert res.kappa_ci_low < res.fleiss_kappa < res.kappa_ci_high
    # Oracle: the share of agreeing run pairs, enumerated.
    pairs = list(itertools.combinations(range(5), 2))
    brute = np.array([np.mean([row[a] == row[b] for a, b in pairs]) for row in x])
    np.testing.assert_allclose(res.per_item_agreement, brute, atol=1e-12)
    assert res.agreement == pytest.approx(brute.mean(), abs=1e-12)


def test_run_spread_and_cv_interval():
    # Known truth: runs are independent draws given item rates; the CV interval should cover
    # the CV seen across many fresh sets of runs of the same model.
    rng = np.random.default_rng(1)
    p = rng.beta(2, 2, 500)
    x = (rng.random((500, 8)) < p[:, None]).astype(float)
    res = consistency(x, rng=0, n_resamples=1000)
    acc = x.mean(axis=0)
    assert res.run_accuracy.tolist() == acc.tolist()
    assert res.accuracy_sd == pytest.approx(np.std(acc, ddof=1), abs=1e-15)
    assert res.cv == pytest.approx(np.std(acc, ddof=1) / acc.mean(), abs=1e-15)
    assert res.accuracy_range == pytest.approx(np.ptp(acc), abs=1e-15)
    assert res.cv_ci_low <= res.cv <= res.cv_ci_high or res.cv_ci_low <= res.cv_ci_high
    assert res.n_always_right + res.n_always_wrong + res.n_mixed == 500


def test_consistent_failures_on_cruxeval(cruxeval):
    # Oracle: plain Python over the raw generations: items every sample fails, with one answer.
    _, data = cruxeval
    res = consistency(data["correct"], predictions=data["answers"], rng=0, n_resamples=200)
    always_wrong = [i for i, s in enumerate(data["scored"]) if not any(s)]
    same = [i for i in always_wrong if len(set(data["answers"][i])) == 1]
    ever_wrong = [i for i, s in enumerate(data["scored"]) if not all(s)]
    assert res.n_always_wrong == len(always_wrong)
    assert res.n_consistent_failures == len(same) > 0
    assert res.consistent_failure_share == pytest.approx(len(same) / len(ever_wrong))
    assert res.n_runs == 10 and res.n == 800


def test_consistency_errors():
    with pytest.raises(InputError, match="needs at least 2 runs"):
        consistency([[1], [0]])
    with pytest.raises(InputError, match="needs at least 2 items"):
        consistency([[1, 0]])
    with pytest.raises(InputError, match="missing outcome"):
        consistency([[1, np.nan], [0, 1]])
    with pytest.raises(InputError, match=r"`predictions` must have the shape of `correct`"):
        consistency([[1, 0], [0, 1]], predictions=[["a"]])


def test_samples_needed_reaches_the_target_in_simulation():
    # Known truth: item means ~ N(0.5, 0.1^2) (sigma_b^2 = 0.01) and samples Bernoulli: the SE
    # of the benchmark mean with K samples is sqrt((sigma_b^2 + E[p(1-p)]/K)/n).
    rng = np.random.default_rng(2)
    n, target = 400, 0.01
    p = np.clip(rng.normal(0.5, 0.1, n), 0, 1)
    x = (rng.random((n, 6)) < p[:, None]).astype(float)
    res = samples_needed(x, target_se=target)
    vb, vw = p.var(ddof=1), np.mean(p * (1 - p))
    k_true = math.ceil(vw / (n * target**2 - vb))
    assert abs(res.k_needed - k_true) <= 1
    assert res.se_at_k_needed <= target and res.se_floor < target
    # the SE of the mean over fresh samples at K = k_needed, with items fixed (sampling noise)
    # plus the item variance, is near the target
    means = [(rng.random((n, res.k_needed)) < p[:, None]).mean() for _ in range(400)]
    within = np.std(means, ddof=1)
    assert math.sqrt(within**2 + vb / n) == pytest.approx(target, rel=0.15)
    assert res.k_per_item_worst_case == math.ceil(0.25 / target**2)


def test_samples_needed_when_no_k_is_enough():
    rng = np.random.default_rng(3)
    p = rng.beta(0.5, 0.5, 100)
    x = (rng.random((100, 4)) < p[:, None]).astype(float)
    res = samples_needed(x, target_se=0.01)
    assert res.k_needed is None and "No number of samples reaches SE 0.01" in res.note
    assert res.items_needed > 100


def test_samples_needed_errors():
    x = [[1, 0], [0, 1], [1, 1]]
    with pytest.raises(InputError, match="`target_se` must be a positive number; got 0"):
        samples_needed(x, target_se=0)
    with pytest.raises(InputError, match="`target_se` must be a positive number; got 'a'"):
        samples_needed(x, target_se="a")
    with pytest.raises(InputError, match="`missing` must be one of"):
        samples_needed(x, target_se=0.1, missing="propagate")
    with pytest.raises(InputError, match="at least 2 samples per item"):
        samples_needed([[1], [0]], target_se=0.1)
