"""Power planned at the level of the test that is reported (issue 24, points 1 and 4)."""

import math

import numpy as np
import pytest
from statsmodels.stats.power import TTestIndPower, TTestPower

from assay.stats._power import minimum_detectable_effect, sample_size

# ------------------------------------------------------------------ point 1: noncentral t at large n


@pytest.mark.parametrize("n", [50, 100, 300, 638, 2000, 100_000])
def test_t_mde_solves_at_large_noncentrality(n):
    # Before: scipy's nct.cdf(-crit, df, nc) is NaN for nc above ~20 and brentq raised
    # "function value ... is NaN" at n = 100, 300, 2000. Oracle: statsmodels TTestPower.power
    # (0.15) at our solution equals the target power.
    res = minimum_detectable_effect(n, sd_diff=1.0, method="t")
    assert math.isfinite(res.delta)
    assert TTestPower().power(res.delta, n, 0.05) == pytest.approx(0.8, abs=1e-8)
    one = minimum_detectable_effect(n, sd_diff=2.0, method="t", alternative="greater")
    assert TTestPower().power(one.delta / 2.0, n, 0.05, alternative="larger") == pytest.approx(
        0.8, abs=1e-8
    )
    unp = minimum_detectable_effect(n, sd=1.0, paired=False, method="t")
    assert TTestIndPower().power(unp.delta, n, 0.05, ratio=1) == pytest.approx(0.8, abs=1e-8)


def test_t_sample_size_for_a_small_effect():
    # Oracle: statsmodels TTestPower.power at the returned n reaches 0.8, at n - 1 it does not.
    res = sample_size(0.01, sd_diff=1.0, method="t")
    assert TTestPower().power(0.01, res.n, 0.05) >= 0.8
    assert TTestPower().power(0.01, res.n - 1, 0.05) < 0.8


def test_nct_tail_fallback_is_tiny_and_finite():
    # Where scipy gives NaN (nc = 40) the lower tail is far below 1e-100; the fallback must be
    # finite and negligible, and equal scipy where scipy is finite (nc = 3).
    from assay.stats._power import _nct_tail

    assert _nct_tail(-2.0, 99.0, 40.0, upper=False) < 1e-100
    from scipy import stats

    assert _nct_tail(-2.0, 99.0, 3.0, upper=False) == stats.nct.cdf(-2.0, 99.0, 3.0)
    assert not np.isnan(_nct_tail(2.0, 99.0, 40.0, upper=True))
