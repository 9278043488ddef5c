"""Abilities with intervals: EAP, MAP or ML, item parameters fixed."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError
from assay._core._validation import (
    check_choice,
    check_confidence_level,
)
from assay.irt import _binary as B
from assay.irt import _graded as G
from assay.irt._backend import get_backend
from assay.irt._inputs import as_scores, check_values
from assay.irt._inputs import binary_data as _binary_data
from assay.irt._posterior import binary_posterior, graded_posterior
from assay.irt._results import AbilityResult, IRTFit

__all__ = ["ABILITY_METHODS", "abilities", "abilities_of"]

ABILITY_METHODS = ("eap", "map", "ml")


def abilities_of(values, est, model, method, confidence_level, models, *, ops) -> AbilityResult:
    if model == "grm":
        Y = est["Y"]
        n = (Y >= 0).sum(1)
        post = est.get("post") or graded_posterior(Y, est["a"], est["d"])
        if method == "ml":
            theta, info = G.person_newton(Y, est["a"], est["d"], post.mode, prior_sd=None)
            return _interval(
                theta, 1 / np.sqrt(np.maximum(info, 1e-12)), confidence_level, method, models, n
            )
    else:
        Y, M = _binary_data(ops, values)
        n = (~np.isnan(values)).sum(1)
        c = None if model != "3pl" else est["c"]
        Yo, Mo = ops.asarray(Y), None if M is None else ops.asarray(M)
        post = est.get("post") or binary_posterior(
            ops,
            Yo,
            Mo,
            ops.asarray(est["a"]),
            ops.asarray(est["d"]),
            None if c is None else ops.asarray(c),
        )
        if method == "ml":
            theta, info = B.person_newton(
                ops,
                Yo,
                Mo,
                ops.asarray(est["a"]),
                ops.asarray(est["d"]),
                None if c is None else ops.asarray(c),
                ops.asarray(post.mode),
                prior_sd=None,
            )
            se = 1 / np.sqrt(np.maximum(ops.to_numpy(info), 1e-12))
            return _interval(ops.to_numpy(theta), se, confidence_level, method, models, n)
    if method == "map":
        return _interval(post.mode, 1 / np.sqrt(post.info), confidence_level, method, models, n)
    return _interval(post.eap, post.psd, confidence_level, "eap", models, n)


def _interval(est, se, confidence_level, method, models, n) -> AbilityResult:
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    return AbilityResult(
        models=tuple(models),
        estimate=est,
        se=se,
        ci_low=est - z * se,
        ci_high=est + z * se,
        confidence_level=confidence_level,
        method=method,
        n=np.asarray(n, dtype=int),
    )


def abilities(
    fit: IRTFit,
    scores: Any,
    *,
    method: str = "eap",
    models: Any = None,
    confidence_level: float = 0.95,
) -> AbilityResult:
    """Abilities of models (new or old) from their scores on the fit's items, item parameters fixed.

    Parameters
    ----------
    fit : IRTFit
    scores : array_like of shape (n_models, n_items) or ScoreMatrix
        Columns in the order of ``fit.items``; NaN for items a model did not answer (a model scored
        on a subset, e.g. anchors, simply has NaN elsewhere).
    method : {'eap', 'map', 'ml'}, default 'eap'
        'eap': posterior mean and SD under N(0, 1), by adaptive Gauss-Hermite quadrature around the
        mode (21 nodes; accurate however peaked the posterior). 'map': posterior mode, SE
        ``1 / sqrt(I(theta) + 1)``. 'ml': no prior, SE ``1 / sqrt(I(theta))`` (bounded at +-8 for
        perfect or zero scores).
    models : sequence of str, optional
    confidence_level : float, default 0.95
        Intervals are ``estimate -/+ z * se``.

    Returns
    -------
    AbilityResult
    """
    check_choice(method, "method", ABILITY_METHODS)
    confidence_level = check_confidence_level(confidence_level)
    values, _, models = as_scores(scores, models=models)
    if values.shape[1] != fit.n_items:
        raise InputError(
            f"`scores` has {values.shape[1]} columns but the fit has {fit.n_items} items."
        )
    check_values(values, fit.model if fit.model != "grm" else "grm", fit.items, models)
    empty = np.flatnonzero(np.isnan(values).all(1))
    if empty.size:
        raise InputError(f"model {models[empty[0]]!r} answered none of the fit's items.")
    est = {"a": fit.discrimination, "d": fit.intercept, "c": fit.guessing}
    if fit.model == "grm":
        est["Y"] = np.where(np.isnan(values), -1, values).astype(int)
    return abilities_of(
        values, est, fit.model, method, confidence_level, models, ops=get_backend("numpy")
    )
