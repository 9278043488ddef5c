"""Tests of assay.stats._means.mean_ci."""

import numpy as np
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from assay._core import DegenerateDataWarning, InputError
from assay.stats._means import mean_ci


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_agrees_with_statsmodels(level):
    # Oracle: statsmodels DescrStatsW.tconfint_mean / zconfint_mean (ddof=1 SE), to 1e-10.
    x = np.random.default_rng(0).gamma(2.0, size=37)
    d = DescrStatsW(x)
    r_t = mean_ci(x, confidence_level=level)
    r_z = mean_ci(x, method="normal", confidence_level=level)
    np.testing.assert_allclose(
        (r_t.ci_low, r_t.ci_high), d.tconfint_mean(alpha=1 - level), atol=1e-10
    )
    np.testing.assert_allclose(
        (r_z.ci_low, r_z.ci_high), d.zconfint_mean(alpha=1 - level), atol=1e-10
    )
    assert r_t.se == pytest.approx(d.std_mean, abs=1e-12)
    assert (r_t.df, r_z.df, r_t.n) == (36.0, float("inf"), 37)


def test_doc_example_against_scipy():
    # Oracle: scipy.stats.t.interval(0.95, 3, loc=2.5, scale=sem([1, 2, 3, 4])).
    from scipy import stats

    r = mean_ci([1.0, 2.0, 3.0, 4.0])
    lo, hi = stats.t.interval(0.95, 3, loc=2.5, scale=stats.sem([1, 2, 3, 4]))
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-12)


def test_t_coverage_simulation():
    # Simulation with known mean 0 (normal data, n = 10): the t interval covers at 95%.
    rng = np.random.default_rng(1)
    reps = 2000
    hits = sum((r := mean_ci(rng.normal(size=10))).ci_low <= 0 <= r.ci_high for _ in range(reps))
    assert abs(hits / reps - 0.95) < 3.5 * np.sqrt(0.95 * 0.05 / reps)


def test_missing_policies():
    x = [1.0, np.nan, 3.0, 2.0]
    r = mean_ci(x, missing="omit")
    assert (r.n, r.n_omitted, r.estimate) == (3, 1, 2.0)
    p = mean_ci(x, missing="propagate")
    assert np.isnan(p.estimate) and np.isnan(p.ci_low)
    assert mean_ci([1.0, 3.0, 2.0]).to_dict() == {**r.to_dict(), "n_omitted": 0}


def test_constant_data_warns():
    with pytest.warns(DegenerateDataWarning, match=r"All 5 values of `x` equal 1.0"):
        r = mean_ci(np.ones(5))
    assert r.ci_low == r.ci_high == 1.0


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        ([1.0, np.nan], {}, r"`x` contains 1 NaN value\(s\); pass `missing='omit'`"),
        ([1.0, np.nan, np.nan], {"missing": "omit"}, r"`x` needs at least 2 non-missing values"),
        ([1.0], {}, r"`x` needs at least 2 non-missing values for an interval; got 1"),
        ([], {}, r"`x` must have at least 1 element"),
        ([[1.0, 2.0]], {}, r"`x` must have 1 dimension"),
        ([1.0, 2.0], {"method": "z"}, r"`method` must be one of 't', 'normal', 'score', 'auto'; got 'z'"),
        ([1.0, 2.0], {"missing": "drop"}, r"`missing` must be one of 'raise', 'omit', 'propagate'"),
        (
            [1.0, 2.0],
            {"confidence_level": "0.9"},
            r"`confidence_level` must be a number in \(0, 1\)",
        ),
        ([1.0, np.inf], {}, r"`x` contains infinite values"),
    ],
)
def test_bad_input(x, kwargs, match):
    with pytest.raises(InputError, match=match):
        mean_ci(x, **kwargs)
