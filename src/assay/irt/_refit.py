"""Leave-one-model-out folds without a new fit per fold: items re-estimated at fixed abilities.

A leave-one-model-out fold needs the item parameters fitted without the held-out model. A new
marginal-ML fit per fold (:func:`assay.irt._subset._lomo_errors`) costs minutes on MMLU-Pro. With
hundreds or thousands of items each reference model's ability posterior is narrow and hardly moves
when one other model is left out, so the fold's item parameters are well approximated by the EM
M-step at the all-models fit's ability posteriors: one MAP logistic regression per item on the
other models' answers, each model's ability integrated over a 3-point Gauss-Hermite rule of its
posterior (mean EAP, SD PSD), started from the all-models item estimates. That is a few Newton
steps on all items at once, milliseconds per fold.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import check_choice, check_positive_int, check_rng
from assay.irt import _binary as B
from assay.irt._anchors import (
    ANCHOR_METHODS,
    _choose,
    _difficulty_strata,
    _mean_information,
    resolve_method,
)
from assay.irt._fit import fit as _fit
from assay.irt._results import AbilityResult, IRTFit
from assay.irt._subset import (
    ESTIMATORS,
    SUBSET_PRIOR,
    _error_summary,
    _estimates,
    _in_sample_errors,
    _new_subset,
)

__all__: list[str] = []

# 3-point Gauss-Hermite rule (probabilists'): exact for polynomials of degree 5 under N(0, 1)
_GH3_X = np.array([-math.sqrt(3.0), 0.0, math.sqrt(3.0)])
_GH3_W = np.array([1.0, 4.0, 1.0]) / 6.0
_MAX_NEWTON = 50
_TOL = 1e-7
# Newton converges quadratically from the all-models estimates: on MMLU-Pro three steps leave
# every slope within 2e-6 and every intercept within 1e-4 of the converged fold estimates
_FOLD_NEWTON = 3


def prior_of(prior: Any) -> tuple[float, float, float]:
    """``(a_mean, a_sd, d_sd)`` of a ``prior=`` option of :func:`assay.irt.fit` (inf: no prior)."""
    if prior is None:
        return 1.0, math.inf, math.inf
    if isinstance(prior, dict) and set(prior) <= {"a_mean", "a_sd", "d_sd"}:
        p = B.Prior(**{k: float(v) for k, v in prior.items()})
    elif isinstance(prior, str) and prior == "weak":
        p = B.Prior()
    else:
        raise InputError(
            f"`prior` must be 'weak', None or a dict of a_mean, a_sd, d_sd; got {prior!r}."
        )
    return p.a_mean, p.a_sd, p.d_sd


def item_map(
    values: np.ndarray,
    theta: np.ndarray,
    theta_sd: np.ndarray,
    prior: tuple[float, float, float],
    start: tuple[np.ndarray, np.ndarray],
    *,
    max_iter: int = _MAX_NEWTON,
) -> tuple[np.ndarray, np.ndarray]:
    """MAP slopes and intercepts of every item at fixed ability posteriors (vectorised Newton).

    ``values`` (n_models, n_items) in [0, 1] with NaN where missing (Bernoulli quasi-likelihood
    for partial scores); model ``j``'s ability is ``N(theta[j], theta_sd[j]**2)``, integrated by
    a 3-point rule. Returns ``(a, d)`` of shape (n_items,).
    """
    a_mean, a_sd, d_sd = prior
    nodes = theta[:, None] + theta_sd[:, None] * _GH3_X[None, :]  # (models, 3)
    obs = ~np.isnan(values)
    w = obs.T[:, :, None] * _GH3_W[None, None, :]  # (items, models, 3)
    y = np.where(obs, values, 0.0).T[:, :, None]
    t = nodes[None, :, :]
    pa, pd = 1.0 / a_sd**2, 1.0 / d_sd**2
    a, d = start[0].astype(float).copy(), start[1].astype(float).copy()
    for _ in range(max_iter):
        p = special.expit(a[:, None, None] * t + d[:, None, None])
        r = w * (y - p)
        h = w * p * (1 - p)
        ga = (r * t).sum((1, 2)) - pa * (a - a_mean)
        gd = r.sum((1, 2)) - pd * d
        haa = (h * t * t).sum((1, 2)) + pa
        had = (h * t).sum((1, 2))
        hdd = h.sum((1, 2)) + pd
        det = np.maximum(haa * hdd - had * had, 1e-12)
        da = (hdd * ga - had * gd) / det
        dd = (haa * gd - had * ga) / det
        step = np.maximum(1.0, np.maximum(np.abs(da), np.abs(dd)))  # at most 1 per Newton step
        a += da / step
        d += dd / step
        if max(np.abs(da).max(initial=0.0), np.abs(dd).max(initial=0.0)) < _TOL:
            break
    return a, d


def _fold_fit(base: IRTFit, a, d, keep, ok, items, models) -> IRTFit:
    """An IRTFit of one fold: its items' re-estimated parameters, the kept models' abilities."""
    ab = base.ability
    ability = AbilityResult(
        models=tuple(models[i] for i in np.flatnonzero(keep)),
        estimate=ab.estimate[keep],
        se=ab.se[keep],
        ci_low=ab.ci_low[keep],
        ci_high=ab.ci_high[keep],
        confidence_level=ab.confidence_level,
        method=ab.method,
        n=ab.n[keep],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        b = -d / a
    nan = np.full(a.size, np.nan)
    return dataclasses.replace(
        base,
        items=tuple(items[i] for i in np.flatnonzero(ok)),
        models=ability.models,
        discrimination=a,
        intercept=d,
        difficulty=b,
        guessing=np.zeros(a.size),
        discrimination_se=nan,
        difficulty_se=nan,
        guessing_se=nan,
        ability=ability,
        se_method="",
    )


def lomo_errors_fast(
    values: np.ndarray,
    items: tuple[str, ...],
    models: tuple[str, ...],
    runs: list[tuple[int, str, Any]],
    *,
    fit: IRTFit | None = None,
    mix: bool = True,
    progress: Callable[[str], None] | None = None,
    **fit_options: Any,
) -> tuple[np.ndarray, dict[tuple[int, str, Any], dict[str, np.ndarray]]]:
    """As :func:`assay.irt._subset._lomo_errors`, with each fold's items re-estimated at fixed abilities.

    ``fit`` (optional) is a binary or continuous fit of ``values`` on all models whose ability
    posteriors are used (default: one fit with ``fit_options``); the folds' item prior is
    ``fit_options['prior']`` (default ``SUBSET_PRIOR``). Without ``mix`` the subsets' in-sample
    errors, which only gp-IRT's mix needs, are not computed and the 'gp-irt' errors are NaN.
    """
    if values.shape[0] < 3:
        raise InputError(f"leave-one-model-out needs at least 3 models; got {values.shape[0]}.")
    for k, method, _ in runs:
        check_choice(method, "method", ANCHOR_METHODS)
        check_positive_int(k, "k")
    fit_options.setdefault("prior", SUBSET_PRIOR)
    prior = prior_of(fit_options["prior"])
    if fit is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            fit = _fit(values, items=items, models=models, standard_errors=False, **fit_options)
    elif fit.models != tuple(models) or fit.items != tuple(items):
        raise InputError("`fit` must be a fit of the same models and items as `scores`.")
    if fit.model not in ("2pl", "continuous") or fit.method != "mml":
        raise InputError(
            f"refit='items' needs a 2PL or continuous MML fit; got model={fit.model!r}, "
            f"method={fit.method!r} (use refit='full')."
        )
    theta, theta_sd = fit.ability.estimate, np.nan_to_num(fit.ability.se)
    start = item_map(values, theta, theta_sd, prior, (fit.discrimination, fit.intercept))
    n = values.shape[0]
    truth = np.full(n, np.nan)
    errors = {run: {e: np.full(n, np.nan) for e in ESTIMATORS} for run in runs}
    for m in range(n):
        if progress is not None:
            progress(models[m])
        keep = np.arange(n) != m
        ref = values[keep]
        ok = ~np.isnan(ref).all(0) & ~np.isnan(values[m])
        a, d = item_map(
            ref[:, ok],
            theta[keep],
            theta_sd[keep],
            prior,
            (start[0][ok], start[1][ok]),
            max_iter=_FOLD_NEWTON,
        )
        fold = _fold_fit(fit, a, d, keep, ok, items, models)
        truth[m] = float(np.mean(values[m, ok]))
        strata = _difficulty_strata(ref[:, ok])  # shared by every design of the fold
        info = _mean_information(fold)
        for run in runs:
            k, method, rng = run
            seed = rng if isinstance(rng, int) else None
            idx, w = _choose(ref[:, ok], k, method, fold, strata, check_rng(rng), info)
            used = resolve_method(method, k)
            sub = _new_subset(idx, w, used, seed, fold.items, fold.models, fold, False)
            if mix:
                sub = dataclasses.replace(sub, **_error_summary(_in_sample_errors(sub, ref[:, ok])))
            est = _estimates(sub, values[m : m + 1, ok][:, sub.indices])
            for e in ESTIMATORS:
                if mix or e != "gp-irt":
                    errors[run][e][m] = est[e][0] - truth[m]
    return truth, errors
