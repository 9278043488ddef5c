"""Tests of assay.stats._clustered: CR1 and Miller clustered SEs, design effect, ICC."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from assay._core import DegenerateDataWarning, InputError
from assay.stats._clustered import clustered_mean_ci, intraclass_correlation


def _data(seed=0, g=40, icc_sd=0.7):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, size=g)
    codes = np.repeat(np.arange(g), sizes)
    x = rng.normal(0, icc_sd, size=g)[codes] + rng.normal(size=codes.size)
    labels = np.array([f"c{c}" for c in codes])
    return x, labels, codes


def _ols(x, codes, **cov_kwds):
    return sm.OLS(x, np.ones_like(x)).fit(
        cov_type="cluster", cov_kwds={"groups": codes, **cov_kwds}, use_t=True
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cr1_agrees_with_statsmodels_cluster_ols(seed):
    # Oracle: statsmodels OLS on a constant, cov_type="cluster" (CR1 with G/(G-1)), use_t=True
    # (t with G - 1 df), to 1e-8.
    x, labels, codes = _data(seed)
    res = clustered_mean_ci(x, labels, method="cr1", confidence_level=0.9)
    ref = _ols(x, codes)
    assert res.se == pytest.approx(ref.bse[0], abs=1e-8)
    np.testing.assert_allclose((res.ci_low, res.ci_high), ref.conf_int(alpha=0.1)[0], atol=1e-8)
    assert res.df == 39.0 and res.n_clusters == 40 and res.n == x.size


def test_miller_equals_cr0_plus_ddof_term():
    # Oracle: statsmodels CR0 (use_correction=False) gives sum_c U_c^2 / N^2. Miller (2024, eq. 4)
    # is s^2/N + (sum_c U_c^2 - sum_i u_i^2)/N^2, i.e. CR0^2 + sum u^2 (1/(N(N-1)) - 1/N^2).
    x, labels, codes = _data(3)
    res = clustered_mean_ci(x, labels, method="miller")
    cr0 = _ols(x, codes, use_correction=False).bse[0]
    n = x.size
    u2 = np.sum((x - x.mean()) ** 2)
    assert res.se**2 == pytest.approx(cr0**2 + u2 * (1 / (n * (n - 1)) - 1 / n**2), abs=1e-12)
    assert res.df == float("inf")


def test_miller_equals_its_double_sum_definition():
    # Reference: Miller (2024) eq. 4 written out literally, double loop over pairs in a cluster.
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    c = np.array([0, 0, 0, 1, 1, 2, 2])
    s = x.mean()
    cross = sum(
        (x[i] - s) * (x[j] - s) for i in range(7) for j in range(7) if i != j and c[i] == c[j]
    )
    expected = np.sqrt(x.var(ddof=1) / 7 + cross / 49)
    with pytest.warns(DegenerateDataWarning):
        res = clustered_mean_ci(x, c, method="miller")
    assert res.se == pytest.approx(expected, abs=1e-14)


def test_icc_agrees_with_anova_table():
    # Oracle: statsmodels anova_lm of x ~ C(cluster) gives MSB and MSW; ICC by Donner (1986)
    # eq. 2.2 with n0 = (N - sum n_c^2 / N) / (G - 1).
    x, labels, codes = _data(4)
    table = sm.stats.anova_lm(smf.ols("x ~ C(g)", data=pd.DataFrame({"x": x, "g": codes})).fit())
    msb, msw = table["mean_sq"].iloc[0], table["mean_sq"].iloc[1]
    sizes = np.bincount(codes)
    n, g = x.size, sizes.size
    n0 = (n - np.sum(sizes**2) / n) / (g - 1)
    expected = (msb - msw) / (msb + (n0 - 1) * msw)
    assert intraclass_correlation(x, labels) == pytest.approx(expected, abs=1e-10)
    assert clustered_mean_ci(x, labels).icc == pytest.approx(expected, abs=1e-10)


def test_icc_and_design_effect_recover_known_truth():
    # Simulation with known ICC = 0.5^2 / (0.5^2 + 1) = 0.2 and equal clusters of m = 10: the
    # design effect is 1 + (m - 1) ICC = 2.8 (Kish 1965, eq. 5.4.2).
    rng = np.random.default_rng(7)
    g, m = 3000, 10
    codes = np.repeat(np.arange(g), m)
    x = rng.normal(0, 0.5, size=g)[codes] + rng.normal(size=g * m)
    res = clustered_mean_ci(x, codes)
    assert res.icc == pytest.approx(0.2, abs=0.02)
    assert res.design_effect == pytest.approx(2.8, rel=0.1)


@pytest.mark.parametrize("method", ["cr2", "cr1", "miller"])
def test_coverage_with_clustered_binary_scores(method):
    # Simulation: items in 100 clusters of 8 share a cluster difficulty; true mean known.
    # Clustered intervals cover near 95%; the iid interval (se_iid) does not.
    rng = np.random.default_rng(11)
    g, m, reps = 100, 8, 600
    codes = np.repeat(np.arange(g), m)
    hits = hits_iid = 0
    for _ in range(reps):
        p = rng.beta(2, 2, size=g)  # E[p] = 0.5
        x = (rng.random(g * m) < p[codes]).astype(float)
        r = clustered_mean_ci(x, codes, method=method)
        hits += r.ci_low <= 0.5 <= r.ci_high
        hits_iid += abs(r.estimate - 0.5) <= 1.96 * r.se_iid
    assert abs(hits / reps - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / reps)
    assert hits_iid / reps < 0.85


def test_missing_policies():
    x, labels, _ = _data(5)
    x = x.copy()
    x[[0, 5]] = np.nan
    r = clustered_mean_ci(x, labels, missing="omit")
    keep = ~np.isnan(x)
    ref = clustered_mean_ci(x[keep], labels[keep])
    assert r.n == keep.sum() and r.se == ref.se
    p = clustered_mean_ci(x, labels, missing="propagate")
    assert np.isnan(p.se) and np.isnan(p.estimate)


def test_few_clusters_warn():
    with pytest.warns(DegenerateDataWarning, match=r"Only 3 clusters"):
        clustered_mean_ci([1, 1, 0, 0, 1, 0], ["a", "a", "b", "b", "c", "c"])


@pytest.mark.parametrize(
    ("x", "clusters", "kwargs", "match"),
    [
        ([1.0, 2.0], ["a", "a"], {}, r"`clusters` must hold at least 2 distinct clusters.*got 1"),
        ([1.0, 2.0], ["a"], {}, r"`clusters` must have one label per item \(2\); got 1"),
        ([1.0, np.nan], ["a", "b"], {}, r"`x` contains 1 NaN value\(s\); pass `missing='omit'`"),
        (
            [1.0, 2.0],
            ["a", "b"],
            {"method": "cr3"},
            r"`method` must be one of 'cr2', 'cr1', 'miller'",
        ),
        ([1.0, 2.0], ["a", "b"], {"missing": "skip"}, r"`missing` must be one of"),
        ([1.0, 2.0], ["a", "b"], {"confidence_level": 2}, r"`confidence_level` must be in"),
        ([[1.0, 2.0]], ["a", "b"], {}, r"`x` must have 1 dimension"),
    ],
)
def test_bad_input(x, clusters, kwargs, match):
    with pytest.raises(InputError, match=match):
        clustered_mean_ci(x, clusters, **kwargs)


def test_icc_bad_input():
    with pytest.raises(InputError, match=r"`x` contains 1 NaN"):
        intraclass_correlation([1.0, np.nan], [0, 1])
    with pytest.raises(InputError, match=r"`clusters` must have one label per item"):
        intraclass_correlation([1.0, 2.0], [0])
    assert np.isnan(intraclass_correlation([1.0, 2.0], [0, 1]))  # singletons: ICC undefined
