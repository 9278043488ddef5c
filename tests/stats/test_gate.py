"""The gate's single-task test: Tango's score test, its exact version, and runs as a random effect."""

import math

import numpy as np
import pytest
from scipy import optimize, special
from scipy import stats as sps

from assay._core import InputError
from assay.stats import noninferiority, paired_difference
from assay.stats._gate_binary import (
    _outcomes,
    exact_lower_bound,
    exact_pvalue,
    tango_lower_bound,
    tango_statistic,
)


def _tango_by_optimizer(x, y, n, delta0):
    # Reference: the score statistic from the restricted MLE found numerically by scipy's
    # bounded optimizer on the trinomial log-likelihood (no closed form involved).
    def nll(py):
        px = py + delta0
        return -(
            special.xlogy(x, px) + special.xlogy(y, py) + special.xlogy(n - x - y, 1 - px - py)
        )

    lo, hi = max(0.0, -delta0) + 1e-12, (1 - delta0) / 2 - 1e-12
    py = optimize.minimize_scalar(
        nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    ).x
    return (x - y - n * delta0) / math.sqrt(n * (2 * py + delta0 * (1 - delta0)))


@pytest.mark.parametrize(
    "x,y,n,delta0", [(10, 4, 50, -0.05), (3, 9, 40, -0.1), (40, 20, 160, 0.02), (0, 2, 20, -0.05)]
)
def test_tango_statistic_matches_a_numerical_restricted_mle(x, y, n, delta0):
    assert float(tango_statistic(x, y, n, delta0)) == pytest.approx(
        _tango_by_optimizer(x, y, n, delta0), rel=1e-6
    )


def test_tango_at_zero_is_the_mcnemar_score_statistic():
    # Reference: statsmodels' asymptotic McNemar chi2 without continuity correction = T(0)^2.
    from statsmodels.stats.contingency_tables import mcnemar

    for x, y in [(12, 5), (3, 9), (30, 31)]:
        chi2 = mcnemar([[50, y], [x, 50]], exact=False, correction=False).statistic
        assert float(tango_statistic(x, y, 117 + x + y, 0.0)) ** 2 == pytest.approx(chi2)


def _size(n, delta, reject, grid=41):
    """Exact rejection probability, maximised over the nuisance on the null boundary."""
    ox, oy, logc = _outcomes(n)
    rej = np.array([reject(int(a), int(b)) for a, b in zip(ox, oy)])
    worst = 0.0
    for py in np.linspace(delta, (1 + delta) / 2, grid):
        px = py - delta
        logp = (
            logc
            + special.xlogy(ox, px)
            + special.xlogy(oy, py)
            + special.xlogy(n - ox - oy, max(0.0, 1 - px - py))
        )
        worst = max(worst, float(np.exp(logp)[rej].sum()))
    return worst


def test_exact_test_holds_its_level_where_the_paired_t_does_not():
    # Known truth by enumeration (no simulation): the largest probability of passing a candidate
    # that is worse by exactly the margin, over every discordance rate, at n = 20.
    n, delta, alpha = 20, 0.05, 0.05

    def paired_t(x, y):
        d = np.r_[np.ones(x), -np.ones(y), np.zeros(n - x - y)]
        se = d.std(ddof=1) / math.sqrt(n)
        return d.mean() > -delta if se == 0 else (d.mean() + delta) / se > sps.t.ppf(0.95, n - 1)

    exact_size = _size(n, delta, lambda x, y: exact_pvalue(x, y, n, -delta) < alpha)
    t_size = _size(n, delta, paired_t)
    assert exact_size <= alpha
    assert t_size > 0.066  # issue 24 measured 6.6% at one point; the worst case is far higher


def test_exact_and_score_bounds_invert_their_tests():
    for x, y, n in [(7, 3, 40), (2, 6, 30)]:
        lb = exact_lower_bound(x, y, n, 0.05)
        assert exact_pvalue(x, y, n, lb + 1e-4) > 0.05 >= exact_pvalue(x, y, n, lb - 1e-4)
        tb = tango_lower_bound(x, y, n, 0.05)
        assert float(sps.norm.sf(tango_statistic(x, y, n, tb))) == pytest.approx(0.05, abs=1e-5)


def test_noninferiority_picks_the_test_for_the_data():
    rng = np.random.default_rng(0)
    a = (rng.random(60) < 0.6).astype(float)
    b = a.copy()
    b[:3] = 1 - b[:3]
    assert noninferiority(a, b, margin=0.05).method == "exact-unconditional-tango"
    big = np.tile(a, 3)
    assert noninferiority(big, np.tile(b, 3), margin=0.05).method == "tango-score"
    graded = a * 0.5 + 0.25
    res = noninferiority(graded, graded + 0.01 * rng.standard_normal(60), margin=0.05)
    assert res.method == "paired-t"


def test_paired_t_bound_matches_scipy():
    # Reference: scipy's one-sided t interval of the paired differences.
    rng = np.random.default_rng(1)
    a, b = rng.random(80), rng.random(80)
    res = noninferiority(a, b, margin=0.1, alpha=0.05)
    d = b - a
    ci = sps.ttest_1samp(d, 0, alternative="greater").confidence_interval(0.95)
    assert res.bound == pytest.approx(ci.low)
    assert res.pvalue == pytest.approx(sps.ttest_1samp(d + 0.1, 0, alternative="greater").pvalue)
    assert res.passed == (res.bound > -0.1)


def test_lower_is_better_mirrors_higher():
    rng = np.random.default_rng(2)
    a = (rng.random(150) < 0.3).astype(float)
    b = (rng.random(150) < 0.25).astype(float)
    low = noninferiority(a, b, margin=0.02, direction="lower")
    high = noninferiority(1 - a, 1 - b, margin=0.02)
    assert (low.estimate, low.bound, low.pvalue) == pytest.approx(
        (high.estimate, high.bound, high.pvalue)
    )
    cont = noninferiority(a * 3.0, b * 3.0 + 0.1, margin=0.1, direction="lower", method="t")
    assert cont.estimate == pytest.approx(np.mean(a * 3 - b * 3 - 0.1))


def test_run_variance_matches_a_two_way_anova():
    # Reference: statsmodels' ANOVA table of score ~ C(item) + C(run) gives MS_run and MS_res.
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    from assay.stats._gate import _run_variance

    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 4)) + rng.normal(size=4)[None, :] * 0.5 + rng.normal(size=30)[:, None]
    df = pd.DataFrame(
        {"y": x.ravel(), "item": np.repeat(np.arange(30), 4), "run": np.tile(np.arange(4), 30)}
    )
    table = anova_lm(smf.ols("y ~ C(item) + C(run)", df).fit())
    ms_run, ms_res = table.loc["C(run)", "mean_sq"], table.loc["Residual", "mean_sq"]
    assert _run_variance(x) == pytest.approx((ms_run - ms_res) / 30)


def _runs_sim(rng, n_items=2000, runs=3, run_sd=0.03):
    p = rng.uniform(0.2, 0.8, n_items)
    out = []
    for _ in range(2):  # two models, equal in truth
        shift = rng.normal(0, run_sd, runs)
        prob = np.clip(p[:, None] + shift[None, :], 0, 1)
        out.append((rng.random((n_items, runs)) < prob).astype(float))
    return out


def test_runs_keep_the_level_when_seeds_shift_the_score():
    # Known truth: both models have the same mean; each run (seed) shifts the whole score by
    # N(0, 3 points). Counting the runs as a random effect keeps "B is better" near 5%; averaging
    # the runs per item and ignoring them calls the seed noise real far more often.
    rng = np.random.default_rng(4)
    re_rej = naive_rej = 0
    reps = 300
    for _ in range(reps):
        a, b = _runs_sim(rng)
        re_rej += noninferiority(a, b, margin=0.0, runs=True).passed
        naive_rej += noninferiority(a, b, margin=0.0, runs=False).passed
    # binomial 99.9% band around 5% for 300 draws reaches about 10%
    assert re_rej / reps <= 0.10
    assert naive_rej / reps > 0.25


def test_paired_difference_reports_runs():
    rng = np.random.default_rng(5)
    a, b = _runs_sim(rng, runs=4)
    out = paired_difference(a, b, runs=True)
    assert out.n_runs_a == 4 and out.run_sd_a is not None and out.method == "random-effects-t"
    one = paired_difference(a[:, :1], b, runs=True)
    assert one.run_sd_a is None and one.n_runs_a == 1
    plain = paired_difference(a, b)
    assert plain.method == "paired-t"
    # without runs the interval is scipy's paired t interval of the item means
    ci = sps.ttest_1samp(b.mean(1) - a.mean(1), 0).confidence_interval(0.9)
    p90 = paired_difference(a, b, confidence_level=0.9)
    assert (p90.ci_low, p90.ci_high) == pytest.approx((ci.low, ci.high))
    assert out.to_dict()["method"] == "random-effects-t"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"margin": -1}, "`margin` must be a non-negative number; got -1"),
        ({"margin": float("nan")}, "`margin` must be a non-negative number"),
        ({"margin": 0.1, "alpha": 1.5}, "`alpha` must be in (0, 1); got 1.5"),
        (
            {"margin": 0.1, "direction": "up"},
            "`direction` must be one of 'higher', 'lower'; got 'up'",
        ),
        ({"margin": 0.1, "method": "z"}, "`method` must be one of 'auto'"),
        ({"margin": 0.1, "method": "random-effects"}, "needs runs=True"),
    ],
)
def test_bad_arguments(kwargs, message):
    a = np.array([1, 0, 1, 1, 0.0])
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        noninferiority(a, a, **kwargs)


def test_bad_data():
    with pytest.raises(InputError, match="`a` has 3 items and `b` has 2"):
        noninferiority([1, 0, 1], [1, 0], margin=0.1)
    with pytest.raises(InputError, match="1 item\\(s\\) lack a score"):
        noninferiority([1, 0, np.nan], [1, 0, 1], margin=0.1)
    res = noninferiority([1, 0, np.nan, 1], [1, 0, 1, 0], margin=0.1, missing="omit")
    assert res.n == 3 and res.n_omitted == 1
    with pytest.raises(InputError, match="needs binary scores"):
        noninferiority([0.5, 0.2, 0.1], [0.5, 0.3, 0.1], margin=0.1, method="exact")


@pytest.mark.parametrize("n", [40, 300])
def test_swapping_the_models_mirrors_the_estimate(n):
    # Property: B against A is the mirror of A against B (estimate and superiority evidence).
    rng = np.random.default_rng(n)
    a = (rng.random(n) < 0.5).astype(float)
    b = (rng.random(n) < 0.6).astype(float)
    ab = noninferiority(a, b, margin=0.0)
    ba = noninferiority(b, a, margin=0.0)
    assert ab.estimate == pytest.approx(-ba.estimate)
    assert not (ab.passed and ba.passed)
