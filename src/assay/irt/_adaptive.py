"""Computerised adaptive testing: the most informative item next, until a target standard error."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int
from assay.irt._results import IRTFit

__all__ = ["AdaptiveResult", "adaptive_test"]

# The ability posterior of a test of a few items to a few hundred is wider than 0.05 on the
# N(0, 1) scale; a fixed grid this fine gives its mean and SD to better than 1e-4.
_GRID = np.linspace(-7.0, 7.0, 561)
_LOG_PRIOR = -0.5 * _GRID**2
# Gauss-Hermite nodes (probabilists') for integrating an item curve over its parameters' errors
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(7)
_GH_W = _GH_W / _GH_W.sum()
# Below this many reference models an item bank's free slopes need a tight prior for honest
# intervals (benchmarks/irt.py --adaptive: 28 models, slope prior SD 2 -> 95% intervals cover
# 25 to 60%; SD 0.5 -> 75 to 83%).
_FEW_MODELS = 200
_TIGHT_SLOPE_SD = 0.5


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdaptiveResult(Result):
    """An adaptive test: the items given in order, the answers, and the ability path."""

    items: tuple[str, ...]
    answers: np.ndarray
    theta_path: np.ndarray
    se_path: np.ndarray
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence_level: float
    accuracy: float
    stopped: str
    method: str
    item_uncertainty: bool
    min_items: int
    n: int


def _curves(fit: IRTFit, idx: np.ndarray, theta: np.ndarray, uncertain: bool):
    """P and dP/dtheta of items ``idx`` at ``theta``, shape (len(theta), len(idx)).

    With ``uncertain`` each curve is averaged over its discrimination and difficulty drawn from
    independent normals at the fit's standard errors (7 x 7 Gauss-Hermite nodes): the
    posterior-predictive item curve, flatter than the point-estimate one.
    """
    a, b, c = fit.discrimination[idx], fit.difficulty[idx], fit.guessing[idx]
    t = theta[:, None]
    if not uncertain:
        s = special.expit(a * t - a * b)
        return c + (1 - c) * s, (1 - c) * a * s * (1 - s)
    sa, sb = fit.discrimination_se[idx], fit.difficulty_se[idx]
    p = np.zeros((theta.size, idx.size))
    dp = np.zeros_like(p)
    for xa, wa in zip(_GH_X, _GH_W, strict=True):
        aa = a + sa * xa
        for xb, wb in zip(_GH_X, _GH_W, strict=True):
            s = special.expit(aa * (t - (b + sb * xb)))
            p += wa * wb * s
            dp += wa * wb * aa * s * (1 - s)
    return c + (1 - c) * p, (1 - c) * dp


def adaptive_test(
    fit: IRTFit,
    answer: Any,
    *,
    target_se: float = 0.3,
    max_items: int | None = None,
    min_items: int = 1,
    item_uncertainty: bool = False,
    confidence_level: float = 0.95,
) -> AdaptiveResult:
    """Computerised adaptive testing: give the most informative item next, stop at ``target_se``.

    Parameters
    ----------
    fit : IRTFit
        A binary-model fit (the item bank).
    answer : array_like (n_items,) or callable
        The model's score on each item (a simulation from full responses), or a function
        ``answer(item_index) -> score`` that runs the model on one item.
    target_se : float, default 0.3
        Stop once the posterior SD of ability is at most this (and ``min_items`` were given).
    max_items : int, optional
        Stop after this many items (default: all).
    min_items : int, default 1
        Give at least this many items before stopping at ``target_se``.
    item_uncertainty : bool, default False
        Integrate each item's curve over the errors of its estimated discrimination and
        difficulty (needs a fit with item standard errors). Widens the interval by what the
        reference fit does not know, and stops the choice of items from favouring slopes that
        were overestimated.

    Notes
    -----
    At each step the ability posterior (N(0, 1) prior, on a fixed grid of 561 points over
    [-7, 7]) is updated and the unused item with the largest Fisher information at the
    posterior mean is given next (Lord 1980). ``accuracy`` is the predicted full-benchmark
    accuracy: observed answers plus ``P_i(theta_hat)`` for the rest. The interval is
    ``estimate -/+ z * se``. With item parameters estimated from few reference models the
    point-estimate interval undercovers (see docs/irt.md, "Adaptive tests").
    """
    if fit.model == "grm":
        raise InputError("adaptive_test needs a binary-model fit; got model='grm'.")
    if isinstance(target_se, bool) or not isinstance(target_se, int | float) or not target_se > 0:
        raise InputError(f"`target_se` must be a positive number; got {target_se!r}.")
    confidence_level = check_confidence_level(confidence_level)
    min_items = check_positive_int(min_items, "min_items")
    if not isinstance(item_uncertainty, bool):
        raise InputError(f"`item_uncertainty` must be True or False; got {item_uncertainty!r}.")
    n = fit.n_items
    max_items = n if max_items is None else min(check_positive_int(max_items, "max_items"), n)
    if item_uncertainty and not (
        np.isfinite(fit.discrimination_se).all() and np.isfinite(fit.difficulty_se).all()
    ):
        raise InputError(
            "`item_uncertainty=True` needs the fit's item standard errors; refit with "
            "standard_errors=True (some discrimination_se/difficulty_se are NaN)."
        )
    slope_sd = float((fit.prior or {}).get("a_sd", np.inf))
    if fit.n_models < _FEW_MODELS and slope_sd > _TIGHT_SLOPE_SD and np.ptp(fit.discrimination) > 0:
        warnings.warn(
            f"the item bank's slopes were estimated from {fit.n_models} models with a slope prior "
            f"SD of {slope_sd:g}: the items that look most informative are those whose slopes "
            "were overestimated, so the ability interval will cover less often than stated; "
            "refit the bank with prior={'a_mean': 1.0, 'a_sd': 0.5, 'd_sd': 2.0} (docs/irt.md, "
            "'Adaptive tests: coverage').",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if callable(answer):
        ask: Callable[[int], float] = answer
    else:
        arr = np.asarray(answer, dtype=float)
        if arr.shape != (n,):
            raise InputError(f"`answer` must have one score per item ({n}); got shape {arr.shape}.")
        ask = lambda i: arr[i]  # noqa: E731
    given: list[int] = []
    answers: list[float] = []
    thetas, ses = [], []
    theta, se = 0.0, 1.0
    logpost = _LOG_PRIOR.copy()
    unused = np.ones(n, dtype=bool)
    all_items = np.arange(n)
    stopped = "max_items"
    while len(given) < max_items:
        p, dp = _curves(fit, all_items, np.array([theta]), item_uncertainty)
        info = dp[0] ** 2 / np.maximum(p[0] * (1 - p[0]), 1e-300)
        info[~unused] = -np.inf
        i = int(np.argmax(info))
        y = float(ask(i))
        if not (0.0 <= y <= 1.0):
            raise InputError(
                f"`answer` returned {y!r} for item {fit.items[i]!r}; scores must be in [0, 1]."
            )
        given.append(i)
        answers.append(y)
        unused[i] = False
        pg, _ = _curves(fit, np.array([i]), _GRID, item_uncertainty)
        pg = np.clip(pg[:, 0], 1e-12, 1 - 1e-12)
        logpost += y * np.log(pg) + (1 - y) * np.log1p(-pg)  # quasi-likelihood for 0 < y < 1
        w = np.exp(logpost - logpost.max())
        w /= w.sum()
        theta = float(w @ _GRID)
        se = float(np.sqrt(max(w @ (_GRID - theta) ** 2, 0.0)))
        thetas.append(theta)
        ses.append(se)
        if se <= target_se and len(given) >= min_items:
            stopped = "target_se"
            break
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    p_all = fit.probability(theta)[0]
    p_all[given] = answers
    return AdaptiveResult(
        items=tuple(fit.items[i] for i in given),
        answers=np.asarray(answers),
        theta_path=np.asarray(thetas),
        se_path=np.asarray(ses),
        estimate=theta,
        se=se,
        ci_low=theta - z * se,
        ci_high=theta + z * se,
        confidence_level=confidence_level,
        accuracy=float(p_all.mean()),
        stopped=stopped,
        method="maximum Fisher information, EAP updates"
        + (" (item curves integrated over their parameters' errors)" if item_uncertainty else ""),
        item_uncertainty=item_uncertainty,
        min_items=min_items,
        n=len(given),
    )
