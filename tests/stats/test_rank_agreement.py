"""Tests of assay.stats._rank_agreement.rank_agreement."""

import math

import numpy as np
import pytest
from scipy import stats

from assay._core import DegenerateDataWarning, InputError
from assay.stats import _rank_agreement as ra
from assay.stats._rank_agreement import rank_agreement


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimates_agree_with_scipy(seed):
    # Oracle: scipy.stats.kendalltau (tau-b) and spearmanr, with ties (rounded scores), to 1e-12.
    rng = np.random.default_rng(seed)
    a = np.round(rng.normal(size=29), 1)
    b = np.round(a + rng.normal(size=29), 1)
    r = rank_agreement(a, b, n_resamples=200, rng=0)
    kt, sp = stats.kendalltau(a, b), stats.spearmanr(a, b)
    assert r.kendall_tau.estimate == pytest.approx(kt.statistic, abs=1e-12)
    assert r.spearman_rho.estimate == pytest.approx(sp.statistic, abs=1e-12)
    assert r.kendall_tau.pvalue == pytest.approx(kt.pvalue, abs=1e-12)
    assert r.spearman_rho.pvalue == pytest.approx(sp.pvalue, abs=1e-12)
    assert r.n == 29


def test_vectorised_kendall_handles_bootstrap_ties(monkeypatch):
    # Oracle: scipy.stats.kendalltau / spearmanr on each resample (duplicated models = ties),
    # with a tiny chunk so the chunked path is used too.
    monkeypatch.setattr(ra, "_CHUNK_CELLS", 3 * 15 * 15)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=15), rng.normal(size=15)
    idx = rng.integers(0, 15, size=(20, 15))
    ours_k = ra._kendall_b(a[idx], b[idx])
    ours_s = ra._spearman(a[idx], b[idx])
    for i in range(20):
        assert ours_k[i] == pytest.approx(
            stats.kendalltau(a[idx[i]], b[idx[i]]).statistic, abs=1e-12
        )
        assert ours_s[i] == pytest.approx(
            stats.spearmanr(a[idx[i]], b[idx[i]]).statistic, abs=1e-12
        )


def test_interval_agrees_with_scipy_bootstrap():
    # Oracle: scipy.stats.bootstrap(paired=True, method="percentile") of kendalltau over models,
    # independent resamples: end points within Monte-Carlo error.
    rng = np.random.default_rng(4)
    a = rng.normal(size=30)
    b = a + rng.normal(size=30)
    r = rank_agreement(a, b, n_resamples=4000, rng=1)

    def tau(x, y, axis=-1):
        return stats.kendalltau(x, y).statistic

    ref = stats.bootstrap(
        (a, b), tau, paired=True, vectorized=False, n_resamples=4000, method="percentile", rng=2
    )
    se = ref.standard_error
    tol = 5 * math.sqrt(2) * math.sqrt(0.025 * 0.975 / 4000) / stats.norm.pdf(1.96) * se
    assert r.kendall_tau.ci_low == pytest.approx(ref.confidence_interval.low, abs=tol)
    assert r.kendall_tau.ci_high == pytest.approx(ref.confidence_interval.high, abs=tol)
    assert r.kendall_tau.se == pytest.approx(se, rel=0.1)


def test_coverage_on_bivariate_normal():
    # Known truth for a bivariate normal with correlation rho (Kendall 1949 / Greiner):
    # tau = (2/pi) asin(rho); Spearman's population rho_s = (6/pi) asin(rho/2).
    rho, m, reps = 0.6, 40, 150
    tau_true = 2 / math.pi * math.asin(rho)
    rs_true = 6 / math.pi * math.asin(rho / 2)
    rng = np.random.default_rng(5)
    cov = [[1, rho], [rho, 1]]
    hit_k = hit_s = 0
    for _ in range(reps):
        x = rng.multivariate_normal([0, 0], cov, size=m)
        r = rank_agreement(x[:, 0], x[:, 1], n_resamples=500, rng=rng)
        hit_k += r.kendall_tau.ci_low <= tau_true <= r.kendall_tau.ci_high
        hit_s += r.spearman_rho.ci_low <= rs_true <= r.spearman_rho.ci_high
    # percentile intervals of correlations undercover a little at m = 40: allow 4 points
    for hits in (hit_k, hit_s):
        assert abs(hits / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps) + 0.04


def test_symmetry_and_perfect_agreement():
    a = np.arange(12.0)
    r = rank_agreement(a, a**3, n_resamples=100, rng=0)
    assert r.kendall_tau.estimate == 1.0 and r.spearman_rho.estimate == 1.0
    assert r.kendall_tau.ci_low == 1.0
    # Property: both correlations are symmetric in (a, b); with the same seed, so are the CIs.
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=20), rng.normal(size=20)
    xy, yx = rank_agreement(x, y, rng=1), rank_agreement(y, x, rng=1)
    for name in ("kendall_tau", "spearman_rho"):
        d1, d2 = getattr(xy, name).to_dict(), getattr(yx, name).to_dict()
        assert d1 == pytest.approx(d2, abs=1e-12)


def test_warnings():
    with pytest.warns(DegenerateDataWarning, match=r"Only 5 models"):
        rank_agreement([1, 2, 3, 4, 5], [1, 3, 2, 5, 4], n_resamples=50, rng=0)
    with pytest.warns(DegenerateDataWarning, match=r"A metric is constant"):
        r = rank_agreement([1, 1, 1, 1], [1, 2, 3, 4], n_resamples=50, rng=0)
    assert math.isnan(r.kendall_tau.estimate) and r.kendall_tau.n_degenerate == 50


@pytest.mark.parametrize(
    ("a", "b", "kw", "match"),
    [
        (
            [1, 2, 3],
            [1, 2],
            {},
            r"`metric_a` and `metric_b` must score the same models; got 3 and 2",
        ),
        ([1, 2], [1, 2], {}, r"at least 3 models for a rank correlation; got 2"),
        ([1, np.nan, 3], [1, 2, 3], {}, r"`metric_a` contains 1 NaN"),
        ([[1, 2, 3]], [1, 2, 3], {}, r"`metric_a` must have 1 dimension"),
        ([1, 2, 3], [1, 2, 3], {"n_resamples": 0}, r"`n_resamples` must be an integer >= 2"),
        ([1, 2, 3], [1, 2, 3], {"confidence_level": -1}, r"`confidence_level` must be in"),
        ([1, 2, 3], [1, 2, 3], {"rng": 1.5}, r"`rng` must be a numpy Generator"),
    ],
)
def test_bad_input(a, b, kw, match):
    with pytest.raises(InputError, match=match):
        rank_agreement(a, b, **kw)
