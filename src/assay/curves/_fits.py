"""Parametric learning-curve fits with residual-bootstrap bands, forecasts and a stopping rule."""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize

from assay._core import InputError, Result
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.curves._common import check_steps

__all__ = [
    "CURVE_MODELS",
    "CurveFitResult",
    "ForecastResult",
    "StoppingResult",
    "fit_curve",
    "stopping_rule",
]


# --------------------------------------------------------------------------------------------
# The models: f(u, *params) with u = step / scale; start values from the data; bounds
# --------------------------------------------------------------------------------------------


def _pow3(u, c, a, alpha):
    return c - a * u ** (-alpha)


def _exp3(u, c, a, b):
    return c - a * np.exp(-b * u)


def _log2(u, a, b):
    return a + b * np.log(u)


def _pow2(u, a, b):
    return a * u**b


def _mmf(u, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) / (1.0 + (kappa * u) ** delta)


def _weibull(u, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-((kappa * u) ** delta))


def _starts(name: str, u: np.ndarray, y: np.ndarray) -> list[list[float]]:
    lo, hi, span = float(y[0]), float(y[-1]), float(np.ptp(y)) or 1e-3
    top = hi + 0.1 * span if hi >= lo else hi - 0.1 * span
    if name == "pow3":
        return [[top, (top - lo) * u[0] ** a, a] for a in (0.3, 1.0, 2.0)]
    if name == "exp3":
        return [[top, (top - lo) * math.exp(b * u[0]), b] for b in (1.0, 4.0, 10.0)]
    if name == "log2":
        return [[hi, (hi - lo) / max(math.log(u[-1] / u[0]), 1e-9)]]
    if name == "pow2":
        return [[max(abs(hi), 1e-6) * (1 if hi >= 0 else -1), b] for b in (0.1, 0.5)]
    k0 = 1.0 / float(np.median(u))
    return [[top, lo, k * k0, d] for k in (0.5, 2.0) for d in (1.0, 2.0)]


_INF = np.inf
#: name -> (function, parameter names, bounds, index of the asymptote or None)
CURVE_MODELS: dict[str, tuple[Callable, tuple[str, ...], tuple, int | None]] = {
    "pow3": (_pow3, ("c", "a", "alpha"), ([-_INF, -_INF, 1e-3], [_INF, _INF, 10.0]), 0),
    "exp3": (_exp3, ("c", "a", "b"), ([-_INF, -_INF, 1e-3], [_INF, _INF, 200.0]), 0),
    "log2": (_log2, ("a", "b"), ([-_INF, -_INF], [_INF, _INF]), None),
    "pow2": (_pow2, ("a", "b"), ([-_INF, -5.0], [_INF, 5.0]), None),
    "mmf": (
        _mmf,
        ("alpha", "beta", "kappa", "delta"),
        ([-_INF, -_INF, 1e-6, 0.05], [_INF, _INF, 1e6, 10.0]),
        0,
    ),
    "weibull": (
        _weibull,
        ("alpha", "beta", "kappa", "delta"),
        ([-_INF, -_INF, 1e-6, 0.05], [_INF, _INF, 1e6, 10.0]),
        0,
    ),
}
#: Parameters that are levels of the score itself (the asymptote; MMF's and Weibull's start),
#: held inside the score's range when one is given.
_LEVELS: dict[str, tuple[int, ...]] = {"pow3": (0,), "exp3": (0,), "mmf": (0, 1), "weibull": (0, 1)}

"""Curve models (Domhan, Springenberg and Hutter 2015, table 1): power law and exponential
saturation with an asymptote (``pow3``, ``exp3``), log-linear (``log2``), pure power law
(``pow2``), and the sigmoidal MMF and Weibull curves. ``u`` is the step over the largest
observed step."""


def _fit_once(f, u, y, p0, bounds) -> tuple[np.ndarray, float] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                p, _ = optimize.curve_fit(f, u, y, p0=p0, bounds=bounds, maxfev=4000)
                sse = float(np.sum((y - f(u, *p)) ** 2))
    except (RuntimeError, ValueError, optimize.OptimizeWarning, FloatingPointError):
        return None
    if not np.all(np.isfinite(p)) or not math.isfinite(sse):
        return None
    return p, sse


def _fit(f, u, y, starts, bounds) -> tuple[np.ndarray, float] | None:
    lo, hi = (np.asarray(b, dtype=float) for b in bounds)
    with np.errstate(invalid="ignore"):
        lo_in = np.where(np.isfinite(lo), lo + 1e-9 * (np.abs(lo) + 1), -np.inf)
        hi_in = np.where(np.isfinite(hi), hi - 1e-9 * (np.abs(hi) + 1), np.inf)
    best = None
    for p0 in starts:
        got = _fit_once(f, u, y, np.clip(np.asarray(p0, dtype=float), lo_in, hi_in), bounds)
        if got is not None and (best is None or got[1] < best[1]):
            best = got
    return best


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class ForecastResult(Result):
    """A forecast of the score at a later step.

    Attributes
    ----------
    step : float
    estimate : float
        The fitted curve at ``step``.
    ci_low, ci_high : float
        Bootstrap interval of the curve itself (where the mean score will be).
    pi_low, pi_high : float
        Prediction interval for one checkpoint's observed score at ``step``.
    confidence_level : float
    method : str
    score_range : (float, float)
        The range every bound was kept inside (``(-inf, inf)`` when none).
    """

    step: float
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    confidence_level: float
    method: str
    score_range: tuple[float, float] = (-math.inf, math.inf)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CurveFitResult(Result):
    """A fitted learning curve with its bootstrap distribution.

    Attributes
    ----------
    model : str
    params : dict of str to float
        Parameters, with the step measured in units of ``scale``.
    param_ci : dict of str to (float, float)
        Percentile bootstrap intervals of the parameters.
    asymptote, asymptote_ci_low, asymptote_ci_high : float
        The score as the step grows without bound (NaN for models without one).
    residual_sd : float
        :math:`\\sqrt{SSE / (n - p)}`.
    sse, aic, bic : float
        Fit criteria (Gaussian errors; AIC :math:`n \\log(SSE/n) + 2p`).
    n : int
        Checkpoints fitted.
    n_params, n_resamples, n_failed : int
        Parameters; bootstrap refits asked for and those that did not converge.
    scale : float
        The step unit of ``params`` (the largest step fitted).
    last_step : float
    confidence_level : float
    method : str
    score_range : (float, float)
        The range the score can take (``(-inf, inf)``: none). The asymptote (and the start of
        MMF and Weibull) is fitted inside it, and ``predict``, ``band`` and ``forecast`` are
        clipped to it.
    """

    _array_fields = ("steps", "y", "residuals", "boot_params", "boot_new_residual")

    model: str
    params: dict[str, float]
    param_ci: dict[str, tuple[float, float]]
    asymptote: float
    asymptote_ci_low: float
    asymptote_ci_high: float
    residual_sd: float
    sse: float
    aic: float
    bic: float
    n: int
    n_params: int
    n_resamples: int
    n_failed: int
    scale: float
    last_step: float
    confidence_level: float
    method: str
    score_range: tuple[float, float] = (-math.inf, math.inf)
    steps: np.ndarray = dataclasses.field(repr=False)
    y: np.ndarray = dataclasses.field(repr=False)
    residuals: np.ndarray = dataclasses.field(repr=False)
    boot_params: np.ndarray = dataclasses.field(repr=False)
    boot_new_residual: np.ndarray = dataclasses.field(repr=False)

    def _f(self) -> Callable:
        return CURVE_MODELS[self.model][0]

    def _u(self, steps: Any) -> np.ndarray:
        x = check_array(steps, "steps", ndim=(0, 1))
        if np.any(x <= 0):
            raise InputError("`steps` must be positive to evaluate a learning curve.")
        return np.atleast_1d(x) / self.scale

    def _clip(self, v):
        return np.clip(v, *self.score_range)

    def predict(self, steps: Any) -> np.ndarray:
        """The fitted curve at ``steps``, inside ``score_range``."""
        with np.errstate(all="ignore"):
            return self._clip(self._f()(self._u(steps), *self.params.values()))

    def _boot_curves(self, steps: Any) -> np.ndarray:
        u = self._u(steps)
        f = self._f()
        with np.errstate(all="ignore"):
            curves = np.array([f(u, *p) for p in self.boot_params])
        return self._clip(curves.reshape(len(self.boot_params), u.size))

    def band(
        self, steps: Any, *, confidence_level: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise percentile bootstrap band of the curve at ``steps``."""
        level = (
            self.confidence_level
            if confidence_level is None
            else check_confidence_level(confidence_level)
        )
        curves = self._boot_curves(steps)
        lo, hi = np.nanpercentile(curves, [50 * (1 - level), 50 * (1 + level)], axis=0)
        return lo, hi

    def forecast(self, step: float, *, confidence_level: float | None = None) -> ForecastResult:
        """The score at ``step``, with a confidence interval and a prediction interval.

        The prediction interval is the residual-bootstrap one of Davison and Hinkley (1997,
        alg. 6.4): prediction errors :math:`\\delta^* = (\\hat f(x) + e^*) - f^*(x)` with a
        fresh resampled residual :math:`e^*` per refit, so it holds the curve's uncertainty and
        one checkpoint's own noise.
        """
        level = (
            self.confidence_level
            if confidence_level is None
            else check_confidence_level(confidence_level)
        )
        est = float(self.predict(step)[0])
        curves = self._boot_curves(step)[:, 0]
        ok = np.isfinite(curves)
        q = [50 * (1 - level), 50 * (1 + level)]
        lo, hi = np.percentile(curves[ok], q)
        delta = est + self.boot_new_residual[ok] - curves[ok]
        d_lo, d_hi = np.percentile(delta, q)
        lo_r, hi_r = self.score_range
        return ForecastResult(
            step=float(step),
            estimate=est,
            ci_low=float(lo),
            ci_high=float(hi),
            pi_low=float(np.clip(est + d_lo, lo_r, hi_r)),
            pi_high=float(np.clip(est + d_hi, lo_r, hi_r)),
            confidence_level=level,
            method="residual-bootstrap",
            score_range=self.score_range,
        )


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


def _check_range(score_range: Any, y: np.ndarray) -> tuple[float, float]:
    """``"auto"`` -> [0, 1] when every score is in it, else unbounded; a pair is checked."""
    if score_range is None:
        return (-math.inf, math.inf)
    if isinstance(score_range, str):
        check_choice(score_range, "score_range", ("auto",))
        inside = y.size and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
        return (0.0, 1.0) if inside else (-math.inf, math.inf)
    try:
        lo, hi = (float(v) for v in score_range)
    except (TypeError, ValueError):
        raise InputError(
            f"`score_range` must be 'auto', None or a (low, high) pair; got {score_range!r}."
        ) from None
    if not lo < hi or math.isnan(lo) or math.isnan(hi):
        raise InputError(f"`score_range` must have low < high; got {score_range!r}.")
    if float(y.min()) < lo or float(y.max()) > hi:
        raise InputError(
            f"`scores` must lie in `score_range` [{lo:g}, {hi:g}]; they run from "
            f"{float(y.min()):g} to {float(y.max()):g}."
        )
    return (lo, hi)


def _bounded(model: str, bounds: tuple, score_range: tuple[float, float]) -> tuple:
    """Parameter bounds with the score-level parameters held inside ``score_range``."""
    lo, hi = (list(b) for b in bounds)
    for j in _LEVELS.get(model, ()):
        lo[j], hi[j] = max(lo[j], score_range[0]), min(hi[j], score_range[1])
    return (lo, hi)


def _fit_iv(steps, scores, model, confidence_level, n_resamples, rng):
    model = check_choice(model, "model", tuple(CURVE_MODELS))
    level = check_confidence_level(confidence_level)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    rng = check_rng(rng)
    y = check_array(scores, "scores", ndim=1)
    x = check_steps(steps, y.size)
    if np.any(x <= 0):
        raise InputError("`steps` must be positive (power laws and logs of the step need it).")
    p = len(CURVE_MODELS[model][1])
    if y.size < p + 2:
        raise InputError(
            f"the {model!r} fit has {p} parameters and needs at least {p + 2} checkpoints; "
            f"got {y.size}."
        )
    order = np.argsort(x)
    return x[order], y[order], model, level, n_resamples, rng


def fit_curve(
    steps: Any,
    scores: Any,
    *,
    model: str = "pow3",
    confidence_level: float = 0.95,
    n_resamples: int = 200,
    score_range: Any = "auto",
    rng: Any = None,
) -> CurveFitResult:
    """Fit a learning curve to checkpoint scores, with residual-bootstrap uncertainty.

    Parameters
    ----------
    steps : array_like, shape (n_points,)
        Positive training steps (or data sizes).
    scores : array_like, shape (n_points,)
        The score at each step.
    model : str, default "pow3"
        One of :data:`CURVE_MODELS`: ``pow3`` :math:`c - a u^{-\\alpha}`, ``exp3``
        :math:`c - a e^{-bu}`, ``log2`` :math:`a + b \\log u`, ``pow2`` :math:`a u^b`, ``mmf``
        :math:`\\alpha - (\\alpha-\\beta)/(1 + (\\kappa u)^\\delta)`, ``weibull``
        :math:`\\alpha - (\\alpha-\\beta) e^{-(\\kappa u)^\\delta}`, with u the step over the
        largest step.
    confidence_level : float, default 0.95
    n_resamples : int, default 200
        Bootstrap refits.
    score_range : "auto", None or (float, float), default "auto"
        The range the score can take. The asymptote (and MMF's and Weibull's start) is fitted
        inside it, so its interval stays inside too, and every prediction, band and forecast
        is clipped to it. ``"auto"``: [0, 1] when every score lies in [0, 1] (accuracies, pass
        rates; pass ``(0, 100)`` for percentages), otherwise unbounded; ``None``: unbounded.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    CurveFitResult
        With ``predict``, ``band`` and ``forecast`` methods.

    Notes
    -----
    Least squares (``scipy.optimize.curve_fit``, trust-region with bounds) from a few start
    values. The bootstrap resamples the centred residuals, inflated by :math:`\\sqrt{n/(n-p)}`,
    around the fitted curve and refits from the fitted parameters (Davison and Hinkley 1997,
    sec. 6.3); the checkpoint-to-checkpoint noise of training is in the residuals, so the
    bands hold it too. Residuals of a learning curve are often autocorrelated, which makes the
    bands too narrow: check coverage on curves like yours (docs/curves.md reports it on
    simulated ones).

    References
    ----------
    .. [1] T. Domhan, J. T. Springenberg and F. Hutter, "Speeding up Automatic Hyperparameter
       Optimization of Deep Neural Networks by Extrapolation of Learning Curves", IJCAI 2015.
    .. [2] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import fit_curve
    >>> steps = np.arange(1, 21) * 100.0
    >>> y = 0.8 - 0.5 * (steps / 2000) ** -0.5 / 4
    >>> fit = fit_curve(steps, y, rng=0)
    >>> round(fit.asymptote, 3)
    0.8
    """
    x, y, model, level, n_resamples, rng = _fit_iv(
        steps, scores, model, confidence_level, n_resamples, rng
    )
    score_range = _check_range(score_range, y)
    f, names, bounds, asym = CURVE_MODELS[model]
    bounds = _bounded(model, bounds, score_range)
    scale = float(x.max())
    u = x / scale
    got = _fit(f, u, y, _starts(model, u, y), bounds)
    if got is None:
        raise InputError(
            f"the {model!r} curve could not be fitted to these {y.size} points; try another "
            f"`model` ({', '.join(CURVE_MODELS)})."
        )
    p_hat, sse = got
    fitted = f(u, *p_hat)
    n, p = y.size, len(names)
    resid = y - fitted
    adj = (resid - resid.mean()) * math.sqrt(n / (n - p))
    boot, new_resid = [], []
    for _ in range(n_resamples):
        y_star = fitted + rng.choice(adj, size=n, replace=True)
        e_new = float(rng.choice(adj))
        refit = _fit(f, u, y_star, [p_hat], bounds)
        if refit is not None:
            boot.append(refit[0])
            new_resid.append(e_new)
    boot_arr = np.array(boot).reshape(len(boot), p)
    q = [50 * (1 - level), 50 * (1 + level)]
    param_ci = {
        name: tuple(np.percentile(boot_arr[:, j], q).tolist())
        if len(boot)
        else (math.nan, math.nan)
        for j, name in enumerate(names)
    }
    asymptote, a_lo, a_hi = math.nan, math.nan, math.nan
    if asym is not None:
        asymptote = float(p_hat[asym])
        a_lo, a_hi = param_ci[names[asym]]
    sse = max(sse, 1e-300)
    return CurveFitResult(
        model=model,
        params={nm: float(v) for nm, v in zip(names, p_hat, strict=True)},
        param_ci=param_ci,
        asymptote=asymptote,
        asymptote_ci_low=a_lo,
        asymptote_ci_high=a_hi,
        residual_sd=math.sqrt(sse / (n - p)),
        sse=sse,
        aic=n * math.log(sse / n) + 2 * p,
        bic=n * math.log(sse / n) + p * math.log(n),
        n=n,
        n_params=p,
        n_resamples=n_resamples,
        n_failed=n_resamples - len(boot),
        scale=scale,
        last_step=float(x[-1]),
        confidence_level=level,
        method="least-squares, residual bootstrap",
        score_range=score_range,
        steps=x,
        y=y,
        residuals=resid,
        boot_params=boot_arr,
        boot_new_residual=np.array(new_resid),
    )


# --------------------------------------------------------------------------------------------
# Stopping rule
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoppingResult(Result):
    """Whether to stop: is the predicted further gain below ``epsilon`` with confidence?

    Attributes
    ----------
    stop : bool
        ``gain_upper < epsilon``.
    gain : float
        Predicted gain from the last step to ``horizon`` (improvement: a decrease when lower is
        better).
    gain_upper : float
        One-sided upper bootstrap bound of the gain at ``confidence_level``.
    epsilon : float
    horizon : float
        The step the gain is measured to (``inf``: the asymptote).
    last_step : float
    confidence_level : float
    method : str
    """

    stop: bool
    gain: float
    gain_upper: float
    epsilon: float
    horizon: float
    last_step: float
    confidence_level: float
    method: str


def stopping_rule(
    fit: CurveFitResult,
    *,
    epsilon: float,
    horizon: float | None = None,
    higher_is_better: bool = True,
    confidence_level: float = 0.95,
) -> StoppingResult:
    """Stop training when the predicted further gain is below ``epsilon`` with confidence.

    Parameters
    ----------
    fit : CurveFitResult
        From :func:`fit_curve`.
    epsilon : float
        The smallest gain worth training for (score units).
    horizon : float, optional
        The step the gain is measured to; default the asymptote (models that have one).
    higher_is_better : bool, default True
    confidence_level : float, default 0.95
        The one-sided confidence that the gain is below ``epsilon``.

    Returns
    -------
    StoppingResult

    Notes
    -----
    The gain :math:`G = f(x_h) - f(x_{last})` is computed on every bootstrap refit of the curve;
    stop when its ``confidence_level`` quantile is below ``epsilon``. The rule is as good as the
    curve model: docs/curves.md reports its error rate on simulated curves.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import fit_curve, stopping_rule
    >>> steps = np.arange(1, 31) * 100.0
    >>> y = 0.7 - 0.3 * np.exp(-steps / 400) + np.random.default_rng(0).normal(0, 0.003, 30)
    >>> fit = fit_curve(steps, y, model="exp3", rng=0)
    >>> stopping_rule(fit, epsilon=0.01).stop
    True
    """
    if not isinstance(fit, CurveFitResult):
        raise InputError(
            f"`fit` must be a CurveFitResult from fit_curve; got {type(fit).__name__}."
        )
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
        raise InputError(f"`epsilon` must be a positive number; got {epsilon!r}.")
    level = check_confidence_level(confidence_level)
    f, names, _, asym = CURVE_MODELS[fit.model]
    u_last = fit.last_step / fit.scale
    sign = 1.0 if higher_is_better else -1.0
    if horizon is None:
        if asym is None:
            raise InputError(
                f"the {fit.model!r} curve has no asymptote; give `horizon` (a later step)."
            )
        ends = fit.boot_params[:, asym]
        end_hat = fit.params[names[asym]]
        h = math.inf
    else:
        if (
            isinstance(horizon, bool)
            or not isinstance(horizon, numbers.Real)
            or horizon <= fit.last_step
        ):
            raise InputError(
                f"`horizon` must be a step after the last one ({fit.last_step:g}); got {horizon!r}."
            )
        h = float(horizon)
        with np.errstate(all="ignore"):
            ends = fit._clip(np.array([f(h / fit.scale, *p) for p in fit.boot_params]))
        end_hat = float(fit.predict(h)[0])
    with np.errstate(all="ignore"):
        lasts = fit._clip(np.array([f(u_last, *p) for p in fit.boot_params]))
    gains = sign * (ends - lasts)
    gains = gains[np.isfinite(gains)]
    gain = sign * (end_hat - float(fit.predict(fit.last_step)[0]))
    upper = float(np.quantile(gains, level)) if gains.size else math.inf
    return StoppingResult(
        stop=bool(upper < epsilon),
        gain=float(gain),
        gain_upper=upper,
        epsilon=float(epsilon),
        horizon=h,
        last_step=fit.last_step,
        confidence_level=level,
        method=f"bootstrap upper bound of the gain ({fit.model})",
    )
