"""Tests of assay.stats._bootstrap: the vectorised bootstrap of means."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from assay._core import DegenerateDataWarning, InputError
from assay.stats import _bootstrap as bs
from assay.stats._bootstrap import _bootstrap_means, _jackknife_means, bootstrap_mean

METHODS = ["percentile", "basic", "bca"]


def _endpoint_tol(se, n_resamples, k=5.0):
    """k Monte-Carlo SEs of the difference of two independent 2.5% bootstrap quantiles.

    SE of a sample quantile q: sqrt(q(1-q)/B) / density; with a normal bootstrap distribution of
    sd `se`, density at the 2.5% point is phi(1.96)/se.
    """
    q_se = np.sqrt(0.025 * 0.975 / n_resamples) / stats.norm.pdf(1.96) * se
    return k * np.sqrt(2.0) * q_se


# ---------------------------------------------------------------- outside oracle: scipy


@pytest.mark.parametrize("method", METHODS)
def test_interval_from_distribution_equals_scipy_exactly(method):
    # Oracle: scipy.stats.bootstrap computing its interval from OUR bootstrap distribution
    # (bootstrap_result=..., n_resamples=0), so the interval maths must agree to rounding.
    rng = np.random.default_rng(0)
    y = rng.exponential(size=60)
    res = bootstrap_mean(y, method=method, rng=1, n_resamples=2000)
    ref = stats.bootstrap(
        (y,),
        np.mean,
        method=method,
        n_resamples=0,
        bootstrap_result=SimpleNamespace(bootstrap_distribution=res.distribution),
    )
    assert res.ci_low == pytest.approx(ref.confidence_interval.low, abs=1e-12)
    assert res.ci_high == pytest.approx(ref.confidence_interval.high, abs=1e-12)
    assert res.se == pytest.approx(ref.standard_error, abs=1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_agrees_with_scipy_bootstrap_within_mc_error(method, kind):
    # Oracle: scipy.stats.bootstrap (scipy 1.17) on the same data, independent resamples.
    rng = np.random.default_rng(42)
    x = (rng.random(400) < 0.3).astype(float) if kind == "binary" else rng.gamma(2.0, size=300)
    b = 10_000
    res = bootstrap_mean(x, method=method, n_resamples=b, rng=7)
    ref = stats.bootstrap((x,), np.mean, method=method, n_resamples=b, rng=8)
    # binary data: the distribution is on a lattice of step 1/n; allow one step more
    tol = _endpoint_tol(ref.standard_error, b) + (1.0 / x.size if kind == "binary" else 0.0)
    assert res.ci_low == pytest.approx(ref.confidence_interval.low, abs=tol)
    assert res.ci_high == pytest.approx(ref.confidence_interval.high, abs=tol)
    # SE of a bootstrap SE estimate is about se / sqrt(2B)
    assert res.se == pytest.approx(ref.standard_error, rel=5 * np.sqrt(2.0 / b))
    assert res.n == x.size
    assert res.n_clusters is None
    assert res.method == f"bootstrap-{method}"


def test_paired_rows_match_scipy_paired_bootstrap():
    # Oracle: scipy.stats.bootstrap(paired=True) of the mean difference of two binary vectors.
    rng = np.random.default_rng(3)
    a = (rng.random(2000) < 0.6).astype(float)
    b = np.where(rng.random(2000) < 0.8, a, 1 - a)
    dist = _bootstrap_means(np.vstack([a, b]), n_resamples=10_000, rng=np.random.default_rng(1))
    diff = dist[:, 0] - dist[:, 1]
    ref = stats.bootstrap(
        (a, b),
        lambda u, v, axis: u.mean(axis) - v.mean(axis),
        paired=True,
        rng=2,
        method="percentile",
    )
    lo, hi = np.percentile(diff, [2.5, 97.5])
    tol = _endpoint_tol(ref.standard_error, 10_000) + 1.0 / a.size
    assert lo == pytest.approx(ref.confidence_interval.low, abs=tol)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=tol)
    assert diff.std(ddof=1) == pytest.approx(ref.standard_error, rel=5 * np.sqrt(2.0 / 10_000))


# ---------------------------------------------------------------- the two strategies agree


def _force_index_path(monkeypatch):
    monkeypatch.setattr(bs, "_MAX_DISTINCT", 0)


@pytest.mark.parametrize("rows", [1, 3])
def test_multinomial_path_equals_index_path_in_distribution(monkeypatch, rows):
    # Theory: multinomial counts of distinct values ARE the item bootstrap's distribution; compare
    # mean, SE and quantiles of both strategies within Monte-Carlo error.
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(rows, 500)).astype(float)
    x = x[0] if rows == 1 else x
    b = 20_000
    fast = _bootstrap_means(x, n_resamples=b, rng=np.random.default_rng(1))
    _force_index_path(monkeypatch)
    slow = _bootstrap_means(x, n_resamples=b, rng=np.random.default_rng(2))
    fast, slow = fast.reshape(b, -1), slow.reshape(b, -1)
    se = slow.std(axis=0, ddof=1)
    np.testing.assert_allclose(
        fast.mean(axis=0), slow.mean(axis=0), atol=5 * se.max() * np.sqrt(2 / b)
    )
    np.testing.assert_allclose(fast.std(axis=0, ddof=1), se, rtol=5 * np.sqrt(1 / b))
    for q in (2.5, 97.5):
        np.testing.assert_allclose(
            np.percentile(fast, q, axis=0),
            np.percentile(slow, q, axis=0),
            atol=_endpoint_tol(se.max(), b) + 1 / 500,
        )
    if rows == 3:  # the cross-row covariance (pairing) is kept too
        np.testing.assert_allclose(
            np.cov(fast.T), np.cov(slow.T), atol=6 * se.max() ** 2 / np.sqrt(b)
        )


def test_cluster_multinomial_equals_cluster_index(monkeypatch):
    # Same as above for the cluster bootstrap: equal-size binary clusters have few patterns.
    rng = np.random.default_rng(6)
    clusters = np.repeat(np.arange(200), 4)
    x = (rng.random(800) < 0.4).astype(float)
    b = 20_000
    fast = _bootstrap_means(x, n_resamples=b, rng=np.random.default_rng(1), clusters=clusters)
    _force_index_path(monkeypatch)
    slow = _bootstrap_means(x, n_resamples=b, rng=np.random.default_rng(2), clusters=clusters)
    assert fast.mean() == pytest.approx(slow.mean(), abs=5 * slow.std() * np.sqrt(2 / b))
    assert fast.std() == pytest.approx(slow.std(), rel=5 / np.sqrt(b))


def test_chunking_gives_the_same_resamples(monkeypatch):
    # Property: with many small chunks (7 resamples each, last one partial) every resample is
    # filled, and a seed reproduces them exactly.
    x = np.random.default_rng(1).normal(size=300)
    monkeypatch.setattr(bs, "_CHUNK_BYTES", 4 * 300 * 7)  # 7 resamples per chunk
    a = _bootstrap_means(x, n_resamples=50, rng=np.random.default_rng(9))
    b = _bootstrap_means(x, n_resamples=50, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50,) and np.all(np.isfinite(a)) and np.unique(a).size == 50


# ---------------------------------------------------------------- clusters


def test_singleton_clusters_equal_item_bootstrap():
    # Property: with one item per cluster, the cluster bootstrap is the item bootstrap.
    x = np.random.default_rng(2).normal(size=400)
    r1 = bootstrap_mean(x, rng=1, n_resamples=4000)
    r2 = bootstrap_mean(x, clusters=np.arange(400), rng=1, n_resamples=4000)
    np.testing.assert_array_equal(r1.distribution, r2.distribution)
    assert r2.n_clusters == 400


def test_cluster_bootstrap_se_matches_linearised_cluster_se():
    # Reference: the delta-method (linearisation) SE of a ratio mean under cluster sampling,
    # sqrt(sum_g (S_g - n_g xbar)^2) / N (Cochran 1977, Sampling Techniques, eq. 6.13 with
    # f = 0), which the cluster bootstrap estimates (Davison & Hinkley 1997, sec. 3.8).
    rng = np.random.default_rng(11)
    g = 300
    sizes = rng.integers(2, 9, size=g)
    clusters = np.repeat(np.arange(g), sizes)
    effect = rng.normal(0, 0.8, size=g)[clusters]
    x = effect + rng.normal(size=clusters.size)
    res = bootstrap_mean(x, clusters=clusters, rng=3, n_resamples=10_000)
    xbar = x.mean()
    s = np.bincount(clusters, weights=x)
    lin = np.sqrt(np.sum((s - sizes * xbar) ** 2)) / x.size
    assert res.se == pytest.approx(lin, rel=0.05)
    naive = x.std(ddof=1) / np.sqrt(x.size)
    assert res.se > 1.5 * naive  # the clusters matter here


def test_jackknife_means_closed_form():
    # Reference: the definition, leave one item (cluster) out and recompute the mean.
    x = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    expected = [np.delete(x, i).mean() for i in range(5)]
    np.testing.assert_allclose(_jackknife_means(x), expected)
    clusters = np.array([0, 0, 1, 2, 2])
    expected_c = [x[clusters != c].mean() for c in range(3)]
    np.testing.assert_allclose(_jackknife_means(x, clusters), expected_c)


# ---------------------------------------------------------------- coverage (simulation)


@pytest.mark.parametrize("method", METHODS)
def test_coverage_binary(method):
    # Simulation with known truth p = 0.3, n = 300: coverage within 3.5 MC SEs of 95%
    # (bootstrap intervals undercover slightly at finite n; allow 1.5 points more).
    rng = np.random.default_rng(123)
    reps, p = 400, 0.3
    hits = 0
    for _ in range(reps):
        x = (rng.random(300) < p).astype(float)
        r = bootstrap_mean(x, method=method, n_resamples=2000, rng=rng)
        hits += r.ci_low <= p <= r.ci_high
    assert abs(hits / reps - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / reps) + 0.015


def test_coverage_clustered():
    # Simulation: clustered normal data with known mean 0; the cluster bootstrap covers, and the
    # item bootstrap that ignores clusters undercovers.
    rng = np.random.default_rng(321)
    reps, g, m = 200, 80, 5
    clusters = np.repeat(np.arange(g), m)
    hits_c = hits_i = 0
    for _ in range(reps):
        x = rng.normal(0, 1, size=g)[clusters] + rng.normal(size=g * m)
        rc = bootstrap_mean(x, clusters=clusters, n_resamples=1000, rng=rng)
        ri = bootstrap_mean(x, n_resamples=1000, rng=rng)
        hits_c += rc.ci_low <= 0 <= rc.ci_high
        hits_i += ri.ci_low <= 0 <= ri.ci_high
    assert abs(hits_c / reps - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / reps) + 0.015
    assert hits_i / reps < 0.85


# ---------------------------------------------------------------- behaviour


def test_reproducible_and_to_dict():
    x = np.random.default_rng(0).normal(size=50)
    a = bootstrap_mean(x, rng=5, n_resamples=500)
    b = bootstrap_mean(x, rng=np.random.default_rng(5), n_resamples=500)
    assert a == a and a.to_dict() == b.to_dict()
    d = a.to_dict()
    assert "distribution" not in d
    assert set(d) >= {"estimate", "ci_low", "ci_high", "se", "n", "n_clusters", "method"}
    assert len(a.to_dict(arrays=True)["distribution"]) == 500


def test_degenerate_constant_data_warns():
    with pytest.warns(DegenerateDataWarning, match="All 100 bootstrap means are equal to 1.0"):
        r = bootstrap_mean(np.ones(20), n_resamples=100, rng=0)
    assert (r.ci_low, r.ci_high, r.se) == (1.0, 1.0, 0.0)
    with pytest.warns(DegenerateDataWarning, match="1 cluster"):
        r = bootstrap_mean([0.0, 1.0], clusters=["a", "a"], n_resamples=100, rng=0, method="bca")
    assert np.isnan(r.ci_low) and np.isnan(r.ci_high)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": []}, r"`x` must have at least 1 element\(s\); got 0"),
        ({"x": [[1.0, 2.0]]}, r"`x` must have 1 dimension\(s\); got shape \(1, 2\)"),
        ({"x": [1.0, np.nan]}, r"`x` contains 1 NaN value"),
        ({"x": [1.0, np.inf]}, r"`x` contains infinite values"),
        ({"x": ["a", "b"]}, r"`x` must be numeric array-like"),
        ({"n_resamples": 1}, r"`n_resamples` must be an integer >= 2; got 1"),
        ({"n_resamples": 10.5}, r"`n_resamples` must be an integer >= 2; got 10.5"),
        ({"method": "bc"}, r"`method` must be one of 'percentile', 'basic', 'bca'; got 'bc'"),
        ({"confidence_level": 95}, r"`confidence_level` must be in \(0, 1\); got 95"),
        ({"rng": "seed"}, r"`rng` must be a numpy Generator, an integer seed or None"),
        ({"rng": -1}, r"`rng` seed must be a non-negative integer; got -1"),
        ({"clusters": [0, 1]}, r"`clusters` must have one label per item \(3\); got 2"),
        ({"clusters": [[0, 1, 2]]}, r"`clusters` must be one-dimensional; got shape \(1, 3\)"),
        ({"clusters": [0.0, np.nan, 1.0]}, r"`clusters` contains 1 NaN label"),
        ({"clusters": ["a", None, "b"]}, r"`clusters` contains None labels"),
        (
            {"clusters": np.array(["a", 1, "b"], dtype=object)},
            r"`clusters` labels must be comparable",
        ),
    ],
)
def test_bad_input(kwargs, match):
    args = {"x": [0.0, 1.0, 1.0], **kwargs}
    x = args.pop("x")
    with pytest.raises(InputError, match=match):
        bootstrap_mean(x, **args)
