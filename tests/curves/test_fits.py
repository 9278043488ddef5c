"""Tests of fit_curve, forecasts and the stopping rule (assay.curves._fits)."""

import numpy as np
import pytest
import statsmodels.api as sm

from assay._core import InputError
from assay.curves import CURVE_MODELS, fit_curve, stopping_rule

TRUE = {
    "pow3": (0.8, 0.2, 0.6),
    "exp3": (0.75, 0.4, 3.0),
    "log2": (0.6, 0.05),
    "pow2": (0.5, 0.3),
    "mmf": (0.8, 0.2, 5.0, 1.5),
    "weibull": (0.8, 0.2, 4.0, 1.2),
}


@pytest.mark.parametrize("model", sorted(CURVE_MODELS))
def test_noiseless_curves_recover_their_parameters(model):
    steps = np.arange(1, 26) * 40.0
    f = CURVE_MODELS[model][0]
    y = f(steps / steps.max(), *TRUE[model])
    fit = fit_curve(steps, y, model=model, n_resamples=20, rng=0)
    np.testing.assert_allclose(list(fit.params.values()), TRUE[model], rtol=1e-4, atol=1e-6)
    assert fit.sse < 1e-12 and fit.n_failed == 0
    if CURVE_MODELS[model][3] is not None:
        assert fit.asymptote == pytest.approx(TRUE[model][0], rel=1e-4)


def test_log_linear_fit_equals_statsmodels_ols():
    # Oracle: statsmodels OLS of y on log(step / max step) (the log2 model is linear in it).
    rng = np.random.default_rng(0)
    steps = np.arange(1, 31) * 100.0
    y = 0.3 + 0.05 * np.log(steps) + rng.normal(0, 0.01, 30)
    fit = fit_curve(steps, y, model="log2", n_resamples=50, rng=0)
    ols = sm.OLS(y, sm.add_constant(np.log(steps / steps.max()))).fit()
    np.testing.assert_allclose(list(fit.params.values()), ols.params, rtol=1e-6)
    assert fit.residual_sd == pytest.approx(np.sqrt(ols.scale), rel=1e-6)
    assert fit.aic == pytest.approx(30 * np.log(ols.ssr / 30) + 4, rel=1e-9)


def _pow3_curve(rng):
    c, a, al = rng.uniform(0.6, 0.9), rng.uniform(0.2, 0.4), rng.uniform(0.3, 1.0)
    return lambda s: c - a * (s / 1000) ** (-al)


@pytest.mark.slow
def test_forecast_prediction_interval_coverage_on_simulated_curves():
    # Known truth: power-law curves with a known asymptote, observed to step 10,000 with
    # checkpoint noise SD 0.005; forecast one checkpoint at step 20,000. Coverage over
    # 40 curves (docs/curves.md reports a longer run of the same simulation).
    rng = np.random.default_rng(11)
    steps = np.arange(1, 21) * 500.0
    hits90 = hits_curve = 0
    reps = 40
    for _ in range(reps):
        f = _pow3_curve(rng)
        fit = fit_curve(steps, f(steps) + rng.normal(0, 0.005, 20), n_resamples=100, rng=rng)
        fc = fit.forecast(20_000.0, confidence_level=0.9)
        hits90 += fc.pi_low <= f(20_000.0) + rng.normal(0, 0.005) <= fc.pi_high
        hits_curve += fc.ci_low - 0.02 <= f(20_000.0) <= fc.ci_high + 0.02
        assert fc.pi_low <= fc.ci_low and fc.ci_high <= fc.pi_high
    assert 0.75 <= hits90 / reps <= 1.0
    assert hits_curve / reps >= 0.9


@pytest.mark.slow
def test_stopping_rule_error_rate_on_simulated_curves():
    # Known truth: the gain from step 10,000 to 20,000 of each simulated power law. A stop is
    # an error when the true gain is at least epsilon; the rule must almost never make it,
    # and must stop on most curves whose gain is small.
    rng = np.random.default_rng(12)
    steps = np.arange(1, 21) * 500.0
    eps = 0.01
    wrong = stops_small = n_big = n_small = 0
    for _ in range(40):
        c, a, al = rng.uniform(0.6, 0.9), rng.uniform(0.05, 0.3), rng.uniform(0.5, 2.5)
        f = lambda s, c=c, a=a, al=al: c - a * (s / 1000) ** (-al)  # noqa: E731
        fit = fit_curve(steps, f(steps) + rng.normal(0, 0.004, 20), n_resamples=100, rng=rng)
        stop = stopping_rule(fit, epsilon=eps, horizon=20_000.0).stop
        big = f(20_000.0) - f(steps[-1]) >= eps
        n_big += big
        n_small += not big
        wrong += stop and big
        stops_small += stop and not big
    assert n_big >= 3 and n_small >= 10
    assert wrong / n_big <= 0.1
    assert stops_small / n_small >= 0.7


def test_stopping_rule_to_the_asymptote_and_for_losses():
    steps = np.arange(1, 31) * 100.0
    rng = np.random.default_rng(3)
    y = 0.7 - 0.3 * np.exp(-steps / 400) + rng.normal(0, 0.003, 30)
    fit = fit_curve(steps, y, model="exp3", n_resamples=100, rng=0)
    st = stopping_rule(fit, epsilon=0.01)
    assert st.stop and st.horizon == np.inf and st.gain_upper < 0.01
    early = fit_curve(steps[:6], y[:6], model="exp3", n_resamples=100, rng=0)
    assert not stopping_rule(early, epsilon=0.01).stop
    loss = fit_curve(steps, 2.0 - y, model="exp3", n_resamples=100, rng=0)
    as_loss = stopping_rule(loss, epsilon=0.01, higher_is_better=False)
    as_score = stopping_rule(loss, epsilon=0.01)
    assert as_loss.stop and as_loss.gain > 0  # a falling loss is a gain
    assert as_score.gain == pytest.approx(-as_loss.gain)


def test_band_and_predict():
    steps = np.arange(1, 21) * 100.0
    rng = np.random.default_rng(4)
    y = 0.8 - 0.2 * (steps / 2000) ** -0.5 + rng.normal(0, 0.005, 20)
    fit = fit_curve(steps, y, n_resamples=100, rng=0)
    lo, hi = fit.band(steps)
    pred = fit.predict(steps)
    assert np.all(lo <= pred + 1e-9) and np.all(pred <= hi + 1e-9)
    assert np.mean((lo <= y) & (y <= hi)) < 1.0  # a band for the curve, not for the points
    assert fit.to_dict()["model"] == "pow3" and "boot_params" not in fit.to_dict()


def test_fit_errors():
    steps = np.arange(1, 11) * 1.0
    with pytest.raises(InputError, match="`model` must be one of 'pow3'"):
        fit_curve(steps, steps, model="cubic")
    with pytest.raises(InputError, match="needs at least 5 checkpoints; got 4"):
        fit_curve(steps[:4], steps[:4])
    with pytest.raises(InputError, match="`steps` must be positive"):
        fit_curve(steps - 5, steps)
    with pytest.raises(InputError, match="`scores` contains 1 NaN"):
        fit_curve(steps, np.r_[steps[:-1], np.nan])
    fit = fit_curve(steps, 1 - 1 / steps, n_resamples=10, rng=0)
    with pytest.raises(InputError, match="`epsilon` must be a positive number"):
        stopping_rule(fit, epsilon=0)
    with pytest.raises(InputError, match="`horizon` must be a step after the last one"):
        stopping_rule(fit, epsilon=0.1, horizon=5.0)
    with pytest.raises(InputError, match="`fit` must be a CurveFitResult"):
        stopping_rule("fit", epsilon=0.1)
    log_fit = fit_curve(steps, np.log(steps), model="log2", n_resamples=10, rng=0)
    with pytest.raises(InputError, match="has no asymptote; give `horizon`"):
        stopping_rule(log_fit, epsilon=0.1)
    with pytest.raises(InputError, match="`steps` must be positive to evaluate"):
        fit.predict([0.0])


def _noisy_accuracy_curve(seed):
    """Accuracy rising to 0.97 as a power law, 10 checkpoints, checkpoint noise SD 0.015."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, 11) * 1000.0
    y = np.clip(0.97 - 0.6 * (steps / 1000) ** -0.5 + rng.normal(0, 0.015, 10), 0, 1)
    return steps, y


def test_accuracy_forecasts_and_asymptote_stay_in_unit_range():
    # issues 13 and 24: unbounded, the asymptote of these accuracy curves reached 1.76 (seed 3,
    # interval up to 182) and 36 of 40 fits had a bound above 1
    for seed in range(4):
        steps, y = _noisy_accuracy_curve(seed)
        for model in ("pow3", "exp3", "mmf", "log2"):
            fit = fit_curve(steps, y, model=model, n_resamples=20, rng=seed)
            fc = fit.forecast(50_000)
            assert fit.score_range == (0.0, 1.0)
            bounds = [fc.estimate, fc.ci_low, fc.ci_high, fc.pi_low, fc.pi_high]
            bounds += list(fit.band([500.0, 1e6])[0]) + list(fit.band([500.0, 1e6])[1])
            if model != "log2":
                bounds += [fit.asymptote, fit.asymptote_ci_low, fit.asymptote_ci_high]
            assert all(0.0 <= b <= 1.0 for b in bounds), (seed, model, bounds)
    unbounded = fit_curve(*_noisy_accuracy_curve(3), n_resamples=40, score_range=None, rng=3)
    assert unbounded.asymptote > 1.0  # the same data without the range: the old behaviour


def test_score_range_in_percent_and_for_unbounded_scores():
    steps, y = _noisy_accuracy_curve(3)
    pct = fit_curve(steps, 100 * y, n_resamples=40, score_range=(0, 100), rng=3)
    assert pct.asymptote_ci_high <= 100.0 and pct.forecast(1e6).pi_high <= 100.0
    loss = fit_curve(steps, 3.0 - 2 * y, n_resamples=20, rng=0)  # not in [0, 1]: unbounded
    assert loss.score_range == (-np.inf, np.inf)
    with pytest.raises(InputError, match=r"`scores` must lie in `score_range` \[0, 1\]"):
        fit_curve(steps, 3.0 - 2 * y, score_range=(0, 1))
    with pytest.raises(InputError, match="`score_range` must have low < high"):
        fit_curve(steps, y, score_range=(1, 0))
    with pytest.raises(InputError, match="`score_range` must be 'auto', None or a"):
        fit_curve(steps, y, score_range=3)
    with pytest.raises(InputError, match="`score_range` must be one of"):
        fit_curve(steps, y, score_range="unit")
