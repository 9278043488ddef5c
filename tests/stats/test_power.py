"""Tests of assay.stats._power: detectable effects and sample sizes."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

from assay._core import InputError
from assay.stats._power import (
    _power,
    _spec_iv,
    minimum_detectable_effect,
    sample_size,
)
from assay.stats._power_data import power_from_data

SM_ALT = {"two-sided": "two-sided", "greater": "larger"}


def _spec(**kw):
    base = dict(sd=None, baseline=None, discordant=None, sd_diff=None, rho=0.0, paired=True,
                design_effect=1.0, k=1, icc=None, alpha=0.05, power=0.8,
                alternative="two-sided", method="normal")  # fmt: skip
    return _spec_iv(**{**base, **kw})[0]


# ------------------------------------------------------------------ outside oracle: statsmodels


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
@pytest.mark.parametrize(("delta", "n"), [(0.1, 50), (0.3, 120), (0.05, 2000)])
def test_power_function_agrees_with_statsmodels(alternative, delta, n):
    # Oracle: statsmodels.stats.power (0.15): NormalIndPower (ratio=1 unpaired, ratio=0 one-sample
    # i.e. paired differences), TTestIndPower and TTestPower; effect size delta / sd, to 1e-10.
    alt = SM_ALT[alternative]
    kw = {"alpha": 0.05, "alternative": alt}
    cases = [
        (_spec(sd=1.0, paired=False, alternative=alternative),
         NormalIndPower().power(delta, n, ratio=1, **kw)),
        (_spec(sd_diff=1.0, alternative=alternative),
         NormalIndPower().power(delta, n, ratio=0, **kw)),
        (_spec(sd=1.0, paired=False, method="t", alternative=alternative),
         TTestIndPower().power(delta, n, ratio=1, **kw)),
        (_spec(sd_diff=1.0, method="t", alternative=alternative),
         TTestPower().power(delta, n, **kw)),
    ]  # fmt: skip
    for spec, ref in cases:
        assert _power(delta, n, spec) == pytest.approx(ref, abs=1e-10)


def test_solutions_agree_with_statsmodels_solve_power():
    # Oracle: statsmodels solve_power (its root finder is good to about 1e-6 relative).
    mde = minimum_detectable_effect(200, sd=2.0, paired=False)
    assert mde.delta / 2.0 == pytest.approx(
        NormalIndPower().solve_power(nobs1=200, alpha=0.05, power=0.8, ratio=1), rel=1e-5
    )
    mde_t = minimum_detectable_effect(50, sd_diff=1.0, method="t", power=0.9)
    assert mde_t.delta == pytest.approx(
        TTestPower().solve_power(nobs=50, alpha=0.05, power=0.9), rel=1e-5
    )
    n_t = sample_size(0.3, sd=1.0, paired=False, method="t")
    ref = TTestIndPower().solve_power(effect_size=0.3, alpha=0.05, power=0.8)
    assert n_t.n_exact == pytest.approx(ref, rel=1e-5) and n_t.n == math.ceil(ref)
    assert n_t.power >= 0.8


def test_paired_continuous_uses_rho():
    # Reference: Var(d) = 2 sd^2 (1 - rho) (Cohen 1988, sec. 2.3.5: d_z = d / sqrt(2(1 - rho))).
    r = minimum_detectable_effect(100, sd=1.0, rho=0.6)
    ref = NormalIndPower().solve_power(nobs1=100, alpha=0.05, power=0.8, ratio=0)
    assert r.delta == pytest.approx(ref * math.sqrt(2 * 0.4), rel=1e-5)
    assert r.sd_diff == pytest.approx(math.sqrt(0.8))


def test_mcnemar_matches_connor_formula():
    # Reference: Connor (1987, Biometrics 43:207, eq. 3),
    # n = (z_{a/2} sqrt(psi) + z_b sqrt(psi - delta^2))^2 / delta^2; it ignores the far tail, so
    # our exact-tail solution is at most a fraction of an item smaller.
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    for psi, delta in [(0.1, 0.02), (0.2, 0.05), (0.3, 0.1)]:
        connor = (za * math.sqrt(psi) + zb * math.sqrt(psi - delta**2)) ** 2 / delta**2
        r = sample_size(delta, discordant=psi, method="normal")
        assert connor - 0.5 < r.n_exact <= connor
        assert r.design == "mcnemar"


# ------------------------------------------------------------------ simulation with known truth


def _assert_power(hits, reps, target=0.8, slack=0.0):
    assert abs(hits / reps - target) < 3.5 * math.sqrt(target * (1 - target) / reps) + slack


def test_mcnemar_power_by_simulation():
    # Simulation: p10 = 0.125, p01 = 0.075 (psi = 0.2, delta = 0.05), n from the formula; reject
    # with the McNemar chi-square test (no continuity correction), as statsmodels computes it.
    r = sample_size(0.05, discordant=0.2, method="normal")
    rng = np.random.default_rng(0)
    reps = 4000
    cells = rng.multinomial(r.n, [0.125, 0.075, 0.8], size=reps)
    b, c = cells[:, 0], cells[:, 1]
    chi2 = (b - c) ** 2 / (b + c)
    ref = mcnemar([[0, b[0]], [c[0], 0]], exact=False, correction=False).statistic
    assert chi2[0] == pytest.approx(ref)
    _assert_power(np.sum(stats.chi2.sf(chi2, 1) < 0.05), reps)


def test_binary_paired_with_rho_by_simulation():
    # Simulation: A ~ Bern(0.7), B ~ Bern(0.75) with item correlation 0.5; paired z test on d.
    pa, pb, rho = 0.7, 0.75, 0.5
    r = sample_size(0.05, baseline=pa, rho=rho, method="normal")
    p11 = pa * pb + rho * math.sqrt(pa * (1 - pa) * pb * (1 - pb))
    probs = [p11, pa - p11, pb - p11, 1 - pa - pb + p11]  # (1,1), (1,0), (0,1), (0,0)
    rng = np.random.default_rng(1)
    reps = 4000
    cells = rng.multinomial(r.n, probs, size=reps)
    n = r.n
    mean = (cells[:, 2] - cells[:, 1]) / n
    var = (cells[:, 2] + cells[:, 1]) / n - mean**2
    z = mean / np.sqrt(var * n / (n - 1) / n)
    _assert_power(np.sum(np.abs(z) > stats.norm.ppf(0.975)), reps)


def test_binary_unpaired_by_simulation():
    # Simulation: two independent item sets, Wald z test with unpooled variance.
    r = sample_size(0.05, baseline=0.6, paired=False)
    rng = np.random.default_rng(2)
    reps, n = 4000, r.n
    pa, pb = rng.binomial(n, 0.6, reps) / n, rng.binomial(n, 0.65, reps) / n
    z = (pb - pa) / np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n)
    _assert_power(np.sum(np.abs(z) > stats.norm.ppf(0.975)), reps)


def test_clustered_design_effect_by_simulation():
    # Simulation: paired differences in clusters of m = 5 with ICC 0.2 (deff = 1 + 4 * 0.2 = 1.8,
    # Kish 1965); n from sample_size(design_effect=1.8), test on cluster means (t, G - 1 df).
    m, icc, delta = 5, 0.2, 0.15
    r = sample_size(delta, sd_diff=1.0, design_effect=1 + (m - 1) * icc)
    g = math.ceil(r.n / m)
    rng = np.random.default_rng(3)
    reps = 3000
    d = (
        delta
        + rng.normal(0, math.sqrt(icc), size=(reps, g, 1))
        + rng.normal(0, math.sqrt(1 - icc), size=(reps, g, m))
    )
    cm = d.mean(axis=2)
    t = cm.mean(axis=1) / (cm.std(axis=1, ddof=1) / math.sqrt(g))
    _assert_power(np.sum(np.abs(t) > stats.t.ppf(0.975, g - 1)), reps, slack=0.01)
    iid = sample_size(delta, sd_diff=1.0)
    assert r.n_exact == pytest.approx(1.8 * iid.n_exact, rel=1e-6)


def test_k_samples_by_simulation():
    # Simulation: per model, item effect variance icc = 0.3 and sample noise 0.7, K = 4 samples;
    # B is better by delta; paired z test on item-mean differences.
    icc, k, delta = 0.3, 4, 0.15
    r = sample_size(delta, sd=1.0, icc=icc, k=k)
    item_var = icc + (1 - icc) / k
    assert r.sd_diff == pytest.approx(math.sqrt(2 * item_var))
    rng = np.random.default_rng(4)
    reps, n = 2000, r.n

    def model(shift):
        item = rng.normal(0, math.sqrt(icc), size=(reps, n, 1))
        return (shift + item + rng.normal(0, math.sqrt(1 - icc), size=(reps, n, k))).mean(axis=2)

    d = model(delta) - model(0.0)
    z = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    _assert_power(np.sum(np.abs(z) > stats.norm.ppf(0.975)), reps)


def test_power_from_data_recovers_known_variance_parts():
    # Simulation with known truth: pilot with K0 = 2 samples, item effect var 0.3 per model
    # (independent models), sample noise 0.7. Planning K = 8: V = 2 (0.3 + 0.7 / 8) = 0.775.
    rng = np.random.default_rng(5)
    n = 20_000
    a = rng.normal(0, math.sqrt(0.3), size=(n, 1)) + rng.normal(0, math.sqrt(0.7), size=(n, 2))
    b = rng.normal(0, math.sqrt(0.3), size=(n, 1)) + rng.normal(0, math.sqrt(0.7), size=(n, 2))
    r = power_from_data(a, b, n=1000, k=8)
    assert r.sd_diff**2 == pytest.approx(0.775, rel=0.03)
    assert r.assumptions["var_within"] == pytest.approx(1.4, rel=0.03)
    assert r.k == 8 and r.solved_for == "delta"
    # clustered pilot: clusters of 10 items sharing an effect on the difference (ICC 0.1)
    codes = np.repeat(np.arange(n // 10), 10)
    shared = rng.normal(0, math.sqrt(0.1), size=n // 10)[codes]
    a1 = shared + rng.normal(0, math.sqrt(0.9), size=n)
    rc = power_from_data(a1, np.zeros(n), delta=0.05, clusters=codes)
    assert rc.design_effect == pytest.approx(1 + 9 * 0.1, rel=0.12)
    assert rc.solved_for == "n"


# ------------------------------------------------------------------ behaviour and bad input


def test_mde_and_n_are_inverse():
    r = sample_size(0.04, baseline=0.6, rho=0.3)
    back = minimum_detectable_effect(r.n, baseline=0.6, rho=0.3)
    assert back.delta <= 0.04 + 1e-9
    assert minimum_detectable_effect(r.n - 1, baseline=0.6, rho=0.3).delta > 0.04 - 1e-4


def test_no_detectable_effect():
    r = minimum_detectable_effect(5, baseline=0.99, paired=False)
    assert math.isnan(r.delta) and "No difference up to the largest possible" in r.note
    assert r.to_dict()["delta"] is None


@pytest.mark.parametrize(
    ("fn", "args", "kw", "match"),
    [
        (sample_size, (0.1,), {}, r"Give exactly one of `sd` .*got none"),
        (sample_size, (0.1,), {"sd": 1, "baseline": 0.5}, r"got \['sd', 'baseline'\]"),
        (sample_size, (0.1,), {"sd": -1}, r"`sd` must be in \(0, inf\]; got -1"),
        (sample_size, (0.1,), {"sd": float("nan")}, r"`sd` must be a finite number"),
        (sample_size, (0.1,), {"baseline": 1.0}, r"`baseline` must be in \(0, 1\); got 1.0"),
        (
            sample_size,
            (0.1,),
            {"discordant": 0.2, "paired": False},
            r"`discordant` \(McNemar\) needs paired",
        ),
        (sample_size, (0.3,), {"discordant": 0.2}, r"`delta` must be in \(0, 0.2\]; got 0.3"),
        (
            sample_size,
            (0.2,),
            {"discordant": 0.2},
            r"`delta` must be below 0.2 for this design \(the discordant rate\)",
        ),
        (
            sample_size,
            (0.5,),
            {"baseline": 0.5},
            r"`delta` must be below 0.5 for this design \(1 - baseline\)",
        ),
        (sample_size, (0,), {"sd": 1}, r"`delta` must be in \(0, inf\]; got 0"),
        (sample_size, (1e-9,), {"sd": 1}, r"`delta` = 1e-09 is too small to detect"),
        (sample_size, (0.1,), {"sd": 1, "rho": 1.5}, r"`rho` must be in \[-1, 1\]; got 1.5"),
        (sample_size, (0.1,), {"sd": 1, "paired": "yes"}, r"`paired` must be True or False"),
        (
            sample_size,
            (0.1,),
            {"sd": 1, "design_effect": 0},
            r"`design_effect` must be in \(0, inf\]",
        ),
        (sample_size, (0.1,), {"sd": 1, "k": 4}, r"`k` = 4 samples per item needs `icc`"),
        (sample_size, (0.1,), {"sd": 1, "k": 0}, r"`k` must be an integer >= 1; got 0"),
        (sample_size, (0.1,), {"sd": 1, "k": 2, "icc": 2}, r"`icc` must be in \[0, 1\]; got 2"),
        (sample_size, (0.1,), {"sd": 1, "alpha": 0}, r"`alpha` must be in \(0, 1\); got 0"),
        (sample_size, (0.1,), {"sd": 1, "power": 1}, r"`power` must be in \(0, 1\); got 1"),
        (sample_size, (0.1,), {"sd": 1, "alternative": "larger"}, r"`alternative` must be one of"),
        (
            sample_size,
            (0.1,),
            {"sd": 1, "method": "exact"},
            r"`method` must be one of 'auto', 'normal', 't', 'mcnemar-exact'",
        ),
        (
            sample_size,
            (0.1,),
            {"baseline": 0.5, "method": "t"},
            r"`method='t'` needs continuous scores",
        ),
        (minimum_detectable_effect, (1,), {"sd": 1}, r"`n` must be an integer >= 2; got 1"),
        (
            power_from_data,
            ([1.0, 0, 1], [1.0, 0]),
            {"n": 10},
            r"`a` and `b` must have the same shape",
        ),
        (
            power_from_data,
            ([1.0, 0, 1], [1.0, 0, 0]),
            {},
            r"Give exactly one of `n` .* and `delta`",
        ),
        (
            power_from_data,
            ([1.0, 0], [1.0, 0]),
            {"n": 5},
            r"`a` and `b` need at least 3 items to estimate a variance; got 2",
        ),
        (power_from_data, ([1.0, 0, 1], [1.0, 0, 1]), {"n": 5}, r"`a` and `b` agree on every item"),
        (
            power_from_data,
            ([1.0, 0, 1], [0.0, 0, 1]),
            {"n": 5, "clusters": [1, 1, 1]},
            r"at least 2 distinct clusters",
        ),
        (power_from_data, ([1.0, np.nan, 1], [0.0, 0, 1]), {"n": 5}, r"`a` contains 1 NaN"),
    ],
)
def test_bad_input(fn, args, kw, match):
    with pytest.raises(InputError, match=match):
        fn(*args, **kw)
