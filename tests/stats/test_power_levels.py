"""Power planned at the level of the test that is reported (issue 24, points 1 and 4)."""

import math

import numpy as np
import pytest
from scipy import special, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import TTestIndPower, TTestPower

from assay._core import InputError
from assay.stats._power import minimum_detectable_effect, sample_size
from assay.stats._power_data import power_from_data

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
    assert _nct_tail(-2.0, 99.0, 3.0, upper=False) == stats.nct.cdf(-2.0, 99.0, 3.0)
    assert not np.isnan(_nct_tail(2.0, 99.0, 40.0, upper=True))


# ------------------------------------------------------------------ point 4: exact McNemar power


def _enumerated_power(n, p_a_only, p_b_only, alpha=0.05, alternative="two-sided"):
    """Power of the exact McNemar test by summing over every (A-only, B-only) table of n items.

    The p-value of each table is the one `compare` reports (scipy.stats.binomtest of the B-only
    count among the discordant items, p = 1/2); for p = 1/2 it is min(1, 2 * smaller tail), which
    the test checks against statsmodels' mcnemar(exact=True) on sample tables.
    """
    a, b = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = a + b <= n
    a, b = a[ok], b[ok]
    rest = 1.0 - p_a_only - p_b_only
    logp = (
        special.gammaln(n + 1) - special.gammaln(a + 1) - special.gammaln(b + 1)
        - special.gammaln(n - a - b + 1)
        + a * np.log(p_a_only) + b * np.log(p_b_only) + (n - a - b) * np.log(rest)
    )  # fmt: skip
    m = a + b
    if alternative == "two-sided":
        p = np.minimum(1.0, 2.0 * stats.binom.cdf(np.minimum(a, b), m, 0.5))
    else:
        p = stats.binom.sf(b - 1, m, 0.5)
    p = np.where(m == 0, 1.0, p)
    return float(np.sum(np.exp(logp) * (p <= alpha)))


def test_enumeration_uses_the_reported_pvalue():
    for a, b in [(3, 11), (10, 4), (0, 6), (25, 40)]:
        ref = mcnemar([[0, b], [a, 0]], exact=True).pvalue  # statsmodels 0.15
        ours = min(1.0, 2.0 * stats.binom.cdf(min(a, b), a + b, 0.5))
        assert ours == pytest.approx(ref, rel=1e-12)
        assert stats.binomtest(b, a + b, 0.5).pvalue == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_exact_mcnemar_power_equals_enumeration(alternative):
    # Oracle: the sum over all tables of 30 items above (statsmodels' exact McNemar p-values).
    from assay.stats._power_exact import mcnemar_exact_power

    tails = 2 if alternative == "two-sided" else 1
    for n, pa, pb in [(30, 0.1, 0.25), (57, 0.05, 0.12), (200, 0.2, 0.25)]:
        ours = mcnemar_exact_power(pb - pa, n, pa + pb, alpha=0.05, tails=tails)
        assert ours == pytest.approx(
            _enumerated_power(n, pa, pb, alternative=alternative), abs=1e-12
        )


@pytest.mark.parametrize(("psi", "delta"), [(0.2, 0.05), (0.3, 0.1)])
def test_sample_size_reaches_the_power_of_the_reported_test(psi, delta):
    # Before: the normal (Connor) n gave 0.78 power for the exact McNemar test that `compare`
    # reports (0.779 and 0.776 here; 0.783 at psi = 0.1, delta = 0.02). Now the default plans for that test: at the returned n
    # the enumerated power reaches 0.80, and at 98% of n it does not.
    res = sample_size(delta, discordant=psi)
    pa, pb = (psi - delta) / 2, (psi + delta) / 2
    assert res.method == "mcnemar-exact"
    assert _enumerated_power(res.n, pa, pb) >= 0.8
    assert _enumerated_power(int(0.98 * res.n), pa, pb) < 0.8


def test_mde_with_baseline_and_rho_is_exact_mcnemar():
    # Binary paired scores given by A's accuracy and the item correlation: the table's cells follow
    # from p11 = pa pb + rho sqrt(pa(1-pa) pb(1-pb)); the enumerated power at the MDE is 0.80.
    pa, rho, n = 0.7, 0.5, 400
    res = minimum_detectable_effect(n, baseline=pa, rho=rho)
    pb = pa + res.delta
    p11 = pa * pb + rho * math.sqrt(pa * (1 - pa) * pb * (1 - pb))
    assert res.method == "mcnemar-exact"
    assert _enumerated_power(n, pa - p11, pb - p11) == pytest.approx(0.8, abs=1e-6)


def test_power_from_binary_pilot_data_plans_for_exact_mcnemar():
    # Simulation with known truth: pilot data with p_A_only = 0.06, p_B_only = 0.10; the n planned
    # from the pilot for delta = 0.04 is tested on fresh data with the exact McNemar test.
    rng = np.random.default_rng(4)
    cells = rng.choice(3, size=3000, p=[0.06, 0.10, 0.84])
    a = np.where(cells == 0, 1.0, np.where(cells == 1, 0.0, rng.integers(0, 2, 3000)))
    b = np.where(cells == 0, 0.0, np.where(cells == 1, 1.0, a))
    res = power_from_data(a, b, delta=0.04)
    assert res.method == "mcnemar-exact" and res.design == "mcnemar"
    assert res.assumptions["discordant"] == pytest.approx(np.mean(a != b))
    psi = res.assumptions["discordant"]
    assert _enumerated_power(res.n, (psi - 0.04) / 2, (psi + 0.04) / 2) >= 0.8
    # continuous scores keep the normal plan
    cont = power_from_data(a + rng.normal(0, 0.1, 3000), b, delta=0.04)
    assert cont.method == "normal"


def test_exact_method_refuses_designs_it_does_not_fit():
    with pytest.raises(InputError, match=r"`method='mcnemar-exact'` needs binary paired"):
        sample_size(0.02, discordant=0.1, design_effect=1.5, method="mcnemar-exact")
    with pytest.raises(InputError, match=r"`method='mcnemar-exact'` needs binary paired"):
        sample_size(0.02, sd=1.0, method="mcnemar-exact")
    with pytest.raises(InputError, match=r"`method='mcnemar-exact'` needs binary \(0/1\)"):
        power_from_data([0.5, 1.0, 0.0], [1.0, 0.0, 0.0], n=100, method="mcnemar-exact")
    with pytest.raises(InputError, match=r"not below the observed discordant rate"):
        power_from_data([1.0, 0, 0, 1], [1.0, 1, 0, 1], delta=0.3)
    # clustered binary designs stay on the normal approximation with the design effect
    assert sample_size(0.02, discordant=0.1, design_effect=1.5).method == "normal"
