"""Tests of assay.stats._proportion.proportion_ci."""

import warnings

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay._core import DegenerateDataWarning, InputError
from assay.stats._proportion import proportion_ci

# our method name -> statsmodels.stats.proportion.proportion_confint method name
SM_NAMES = {
    "wilson": "wilson",
    "jeffreys": "jeffreys",
    "clopper-pearson": "beta",
    "agresti-coull": "agresti_coull",
    "wald": "normal",
}


@pytest.mark.parametrize("method", list(SM_NAMES))
@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
@pytest.mark.parametrize("n", [7, 50, 1319])
def test_agrees_with_statsmodels(method, level, n):
    # Oracle: statsmodels 0.15 proportion_confint, to 1e-8, over every count 0..n (vectorised).
    # Jeffreys at x = 0 / x = n: we set the bound to 0 / 1 (Brown, Cai & DasGupta 2001,
    # sec. 4.1.2); statsmodels keeps the beta quantile there, so those two ends are checked apart.
    x = np.arange(n + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = proportion_ci(x, n, method=method, confidence_level=level)
    lo, hi = proportion_confint(x, n, alpha=1 - level, method=SM_NAMES[method])
    inner = slice(1, -1) if method == "jeffreys" else slice(None)
    np.testing.assert_allclose(res.ci_low[inner], lo[inner], atol=1e-8, rtol=0)
    np.testing.assert_allclose(res.ci_high[inner], hi[inner], atol=1e-8, rtol=0)
    if method == "jeffreys":
        assert res.ci_low[0] == 0.0 and res.ci_high[-1] == 1.0
        assert res.ci_high[0] == pytest.approx(hi[0], abs=1e-8)
        assert res.ci_low[-1] == pytest.approx(lo[-1], abs=1e-8)
    np.testing.assert_allclose(res.estimate, x / n)
    assert res.n.shape == x.shape and res.count.tolist() == x.tolist()


def test_published_wilson_value():
    # Reference: Newcombe (1998), "Two-sided confidence intervals for the single proportion",
    # Stat. Med. 17, Table I: 81/263 -> Wilson 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    res = proportion_ci([81, 15], [263, 148])
    np.testing.assert_allclose(res.ci_low, [0.2553, 0.0624], atol=5e-5)
    np.testing.assert_allclose(res.ci_high, [0.3662, 0.1605], atol=5e-5)


def test_scalar_in_scalar_out_and_to_dict():
    res = proportion_ci(24, 25)
    assert isinstance(res.ci_low, float) and isinstance(res.n, int)
    d = res.to_dict()
    assert d["method"] == "wilson" and d["n"] == 25 and d["count"] == 24
    assert d["se"] == pytest.approx(np.sqrt(0.96 * 0.04 / 25))
    arr = proportion_ci([1, 2], 10).to_dict()
    assert arr["ci_low"] == pytest.approx(
        proportion_confint([1, 2], 10, method="wilson")[0].tolist()
    )


@pytest.mark.parametrize("method", ["wilson", "jeffreys", "clopper-pearson", "agresti-coull"])
def test_coverage_near_nominal(method):
    # Exact coverage (binomial sum, no simulation) at n = 200 over p in a grid: the recommended
    # intervals stay within 1.5 points of 95% on average (Brown et al. 2001, fig. 5 and 11).
    from scipy import stats

    n = 200
    x = np.arange(n + 1)
    res = proportion_ci(x, n, method=method)
    ps = np.linspace(0.05, 0.95, 91)
    cover = [stats.binom.pmf(x, n, p)[(res.ci_low <= p) & (p <= res.ci_high)].sum() for p in ps]
    assert abs(np.mean(cover) - 0.95) < 0.015
    if method == "clopper-pearson":
        assert min(cover) >= 0.95  # exact interval: never below nominal


def test_intervals_nest_with_level_and_contain_estimate():
    x = np.arange(0, 41)
    for method in ("wilson", "jeffreys", "clopper-pearson", "agresti-coull"):
        a = proportion_ci(x, 40, method=method, confidence_level=0.9)
        b = proportion_ci(x, 40, method=method, confidence_level=0.99)
        assert np.all(b.ci_low <= a.ci_low + 1e-15) and np.all(b.ci_high >= a.ci_high - 1e-15)
        assert np.all((a.ci_low <= a.estimate) & (a.estimate <= a.ci_high))


def test_wald_warns_at_small_n_and_at_the_boundary():
    with pytest.warns(DegenerateDataWarning, match=r"p is 0 or 1, for 1 proportion"):
        r = proportion_ci(25, 25, method="wald")
    assert (r.ci_low, r.ci_high) == (1.0, 1.0)
    with pytest.warns(DegenerateDataWarning, match=r"n < 30 or n\*p or n\*\(1-p\) < 5"):
        proportion_ci(10, 20, method="wald")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proportion_ci(500, 1000, method="wald")  # fine: no warning
        proportion_ci(0, 10)  # Wilson never warns


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (
            (3, 10),
            {"method": "exact"},
            r"`method` must be one of 'wilson', 'jeffreys', .*got 'exact'",
        ),
        ((3, 10), {"confidence_level": 0}, r"`confidence_level` must be in \(0, 1\); got 0"),
        ((11, 10), {}, r"`count` must be <= `n`; got count 11 > n 10"),
        ((-1, 10), {}, r"`count` must be >= 0; got -1"),
        ((1, 0), {}, r"`n` must be >= 1; got 0"),
        ((1.5, 10), {}, r"`count` must hold whole numbers; got 1.5"),
        ((1, 10.5), {}, r"`n` must hold whole numbers; got 10.5"),
        (([1, 2, 3], [10, 20]), {}, r"`count` and `n` must have broadcastable shapes"),
        ((np.nan, 10), {}, r"`count` contains 1 NaN value"),
        (([], 10), {}, r"`count` must have at least 1 element"),
        (("a", 10), {}, r"`count` must be numeric array-like"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        proportion_ci(*args, **kwargs)
