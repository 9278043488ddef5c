"""The binned bootstrap of continuous scores (issue 19, point 3): as fast as binary, same intervals.

The speed is measured in ``benchmarks/stats.py`` (against ``scipy.stats.bootstrap``); here the
intervals are checked against scipy and against the exact index bootstrap, within Monte Carlo error.
"""

import numpy as np
import pytest
from scipy import stats

import assay.stats._bootstrap as bs
from assay.stats import bootstrap_mean

DATA = {
    "beta": lambda rng, n: rng.beta(2.0, 5.0, n),
    "lognormal": lambda rng, n: rng.lognormal(0.0, 1.0, n),
    "t3": lambda rng, n: rng.standard_t(3, n),
    "f1-like": lambda rng, n: np.where(
        rng.random(n) < 0.4, 0.0, np.where(rng.random(n) < 0.5, 1.0, rng.random(n))
    ),
}


def test_continuous_bootstrap_does_not_draw_every_index(monkeypatch):
    # Before: a 100,000-item continuous mean drew 10^9 indices (8.3 s against scipy's 15.5 s).
    # Now the index strategy (the only user of `_chunk_size` for one row) must not run.
    def forbidden(*args, **kwargs):
        raise AssertionError("the index strategy ran for one row of continuous scores")

    monkeypatch.setattr(bs, "_chunk_size", forbidden)
    x = np.random.default_rng(0).beta(2.0, 5.0, 100_000)
    res = bootstrap_mean(x, n_resamples=2_000, method="bca", rng=1)
    assert res.ci_low < x.mean() < res.ci_high


@pytest.mark.parametrize("name", ["lognormal", "f1-like"])
def test_binned_matches_scipy_bootstrap_within_monte_carlo_error(name):
    # Oracle: scipy.stats.bootstrap (1.17), percentile and BCa (its default), 2,000 resamples.
    # The Monte Carlo SD of a 2.5% / 97.5% end point with B resamples is about
    # SE * sqrt(0.025 * 0.975) / (phi(1.96) sqrt(B)) = 0.060 SE at B = 2,000; the ends may differ by
    # that from each of the two runs, so we allow 4 x sqrt(2) x 0.060 SE = 0.34 SE.
    rng = np.random.default_rng(11)
    x = DATA[name](rng, 4_096)
    assert bs._bin_moments(x) is not None  # the binned strategy is the one under test
    se = x.std(ddof=1) / np.sqrt(x.size)
    for method in ("percentile", "bca"):
        ours = bootstrap_mean(x, n_resamples=2_000, method=method, rng=3)
        ref = stats.bootstrap((x,), np.mean, n_resamples=2_000, method=method, rng=4, batch=500)
        ci = ref.confidence_interval
        assert abs(ours.ci_low - ci.low) < 0.34 * se, (name, method)
        assert abs(ours.ci_high - ci.high) < 0.34 * se, (name, method)
        # the SE of a bootstrap SE from B resamples is about SE / sqrt(2B) = 1.6% at B = 2,000
        assert ours.se == pytest.approx(ref.standard_error, rel=0.07)


@pytest.mark.parametrize("name", list(DATA))
def test_binned_distribution_equals_the_index_bootstrap(name, monkeypatch):
    # Property: the binned resampled means have the law of the exact item bootstrap. Two-sample
    # Kolmogorov-Smirnov test of 6,000 binned against 6,000 exact resampled means (fixed seeds).
    rng = np.random.default_rng(5)
    x = DATA[name](rng, 4_096)
    binned = bs._bootstrap_means(x, n_resamples=6_000, rng=np.random.default_rng(6))
    monkeypatch.setattr(bs, "_BINNED_MIN_ITEMS", 10**12)
    exact = bs._bootstrap_means(x, n_resamples=6_000, rng=np.random.default_rng(7))
    assert stats.ks_2samp(binned, exact).pvalue > 0.001
    # skewness of the bootstrap distribution (the third cumulant is what binning could lose); the
    # SE of a sample skewness of 6,000 values is sqrt(6 / 6000) = 0.032, of the difference 0.045
    assert stats.skew(binned) == pytest.approx(stats.skew(exact), abs=0.15)


def test_binning_is_refused_when_the_dropped_cumulants_are_not_negligible(monkeypatch):
    # The guard: with a tolerance of 0 any within-bin third or fourth cumulant refuses binning,
    # and the exact index strategy gives the interval.
    x = np.random.default_rng(2).lognormal(0.0, 2.0, 10_000)
    assert bs._bin_moments(x) is not None
    monkeypatch.setattr(bs, "_BINNED_TOLERANCE", 0.0)
    assert bs._bin_moments(x) is None
    res = bootstrap_mean(x, n_resamples=200, rng=0)
    assert res.ci_low < x.mean() < res.ci_high


def test_a_lone_outlier_gets_a_bin_of_its_own():
    # One value 10^4 SD away sits alone in an equally spaced bin: no within-bin spread, exact.
    x = np.random.default_rng(2).normal(size=10_000)
    x[0] = 1e4
    size, _, var = bs._bin_moments(x)
    assert size[-1] == 1 and var[-1] == 0
