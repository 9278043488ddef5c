"""`fit`: validate, then estimate the item parameters, their standard errors and the abilities."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from scipy import special

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_choice,
    check_confidence_level,
    check_positive_int,
)
from assay.irt import _binary as B
from assay.irt import _graded as G
from assay.irt import _mml
from assay.irt._abilities import ABILITY_METHODS
from assay.irt._abilities import abilities_of as _abilities
from assay.irt._backend import get_backend
from assay.irt._inputs import as_scores
from assay.irt._inputs import binary_data as _binary_data
from assay.irt._inputs import check_coverage as _check_coverage
from assay.irt._inputs import check_values as _check_values
from assay.irt._posterior import binary_posterior, graded_posterior, rescale, standardise
from assay.irt._quadrature import normal_quadrature
from assay.irt._results import IRTFit
from assay.irt._stderr import binary_se as _binary_se
from assay.irt._stderr import difficulty as _difficulty
from assay.irt._stderr import graded_se_blocks
from assay.irt._stderr import n_params as _n_params

__all__ = ["MODELS", "fit"]

MODELS = ("1pl", "2pl", "3pl", "continuous", "grm")
METHODS = ("mml", "jml")
_FLOAT32_CELLS = 10_000_000


def _prior_of(prior: Any, model: str, n_choices: int | None) -> B.Prior | None:
    if prior is None or prior == "none":
        return None
    if isinstance(prior, dict):
        unknown = set(prior) - {"a_mean", "a_sd", "d_sd"}
        bad = [
            k
            for k, v in prior.items()
            if isinstance(v, bool)
            or not isinstance(v, numbers.Real)
            or (k != "a_mean" and not v > 0)
        ]
        if unknown or bad:
            raise InputError(
                f"`prior` as a dict takes positive 'a_sd', 'd_sd' and a number 'a_mean'; got {prior!r}."
            )
        return B.Prior(**{k: float(v) for k, v in prior.items()})
    if prior != "weak":
        raise InputError(
            f"`prior` must be 'weak', None or a dict of a_mean, a_sd, d_sd; got {prior!r}."
        )
    g_mean = math.log(1.0 / (n_choices - 1)) if n_choices else math.log(0.25 / 0.75)
    return B.Prior(g_mean=g_mean)


def _spec(
    model: str, *, discrimination: Any, guessing: str, n_choices: int | None, prior: B.Prior | None
) -> B.BinarySpec:
    if model == "1pl":
        if discrimination is None:
            return B.BinarySpec(slope="common", prior=prior)
        if (
            isinstance(discrimination, bool)
            or not isinstance(discrimination, numbers.Real)
            or not discrimination > 0
        ):
            raise InputError(
                f"`discrimination` must be a positive number or None; got {discrimination!r}."
            )
        return B.BinarySpec(slope="fixed", fixed_a=float(discrimination), prior=prior)
    if model == "3pl":
        check_choice(guessing, "guessing", ("free", "fixed"))
        if guessing == "fixed":
            if n_choices is None:
                raise InputError(
                    "model='3pl' with guessing='fixed' needs `n_choices` (c = 1 / n_choices)."
                )
            return B.BinarySpec(guessing="fixed", fixed_c=1.0 / n_choices, prior=prior)
        if prior is None:  # pure ML for a and d; the asymptotes keep their weak logit-normal prior
            g_mean = math.log(1.0 / (n_choices - 1)) if n_choices else B.Prior().g_mean
            return B.BinarySpec(
                guessing="free", prior=B.Prior(a_sd=math.inf, d_sd=math.inf, g_mean=g_mean)
            )
        return B.BinarySpec(guessing="free", prior=prior)
    return B.BinarySpec(prior=prior)


def fit(
    scores: Any,
    *,
    model: str = "2pl",
    method: str = "mml",
    items: Any = None,
    models: Any = None,
    discrimination: float | None = None,
    guessing: str = "free",
    n_choices: int | None = None,
    prior: str | None = "weak",
    n_quad: int = 41,
    max_iter: int = 1000,
    tol: float = 1e-4,
    abilities: str = "eap",
    confidence_level: float = 0.95,
    standard_errors: bool = True,
    missing: str = "omit",
    backend: str = "numpy",
    device: str | None = None,
    dtype: str = "auto",
) -> IRTFit:
    """Fit an item response model to a models x items score matrix.

    Parameters
    ----------
    scores : array_like of shape (n_models, n_items), or ScoreMatrix
        Binary scores (1PL, 2PL, 3PL), scores in [0, 1] (``'continuous'``) or ordinal categories
        0..K-1 (``'grm'``); NaN where a model did not answer an item. A ``ScoreMatrix`` brings its
        own item and model names (its samples are averaged).
    model : {'2pl', '1pl', '3pl', 'continuous', 'grm'}, default '2pl'
        ``'1pl'`` shares one discrimination across items (estimated, or fixed by
        ``discrimination=1`` for the Rasch model).
    method : {'mml', 'jml'}, default 'mml'
        Marginal ML by EM over Gauss-Hermite quadrature, or joint ML with weak priors (for very
        large binary matrices; faster per iteration, biased for short tests).
    items, models : sequence of str, optional
        Names (default ``'item 0'``, ``'model 0'``, ...).
    discrimination : float, optional
        For ``'1pl'``: fix the common discrimination (1 gives the Rasch model).
    guessing : {'free', 'fixed'}, default 'free'
        For ``'3pl'``: estimate each lower asymptote (logit-normal prior centred on
        ``1 / n_choices``, or 1/4) or fix it at ``1 / n_choices``.
    n_choices : int, optional
        Answer choices of the multiple-choice items (3PL).
    prior : {'weak', None}, default 'weak'
        ``'weak'``: ``a ~ N(1, 2^2)``, ``d ~ N(0, 5^2)`` (keeps items that every or no model solved
        finite; a MAP fit). None: pure maximum likelihood.
    n_quad : int, default 41
        Gauss-Hermite nodes for the N(0, 1) ability distribution.
    max_iter : int, default 1000
    tol : float, default 1e-4
        Stop when no parameter moves more than this in an iteration.
    abilities : {'eap', 'map', 'ml'}, default 'eap'
        How each model's ability is estimated (see :func:`abilities`).
    confidence_level : float, default 0.95
    standard_errors : bool, default True
        Compute item-parameter standard errors.
    missing : {'omit', 'raise'}, default 'omit'
        NaN responses are left out of the likelihood (no imputation), or raise.
    backend : {'numpy', 'torch'}, default 'numpy'
        torch (``assay[torch]``) runs the estimation loops on ``device`` (CPU or GPU) with the same
        results to numerical tolerance. Binary and continuous models only.
    device : str, optional
        torch device (default: CUDA when available, else CPU).
    dtype : {'auto', 'float64', 'float32'}, default 'auto'
        Precision of the estimation loops; 'auto' is float32 from 10 million cells up (half the
        memory and time; the estimates move by far less than their standard errors).

    Returns
    -------
    IRTFit

    Notes
    -----
    Identification: ``theta ~ N(0, 1)``; ``P_i(theta) = c_i + (1 - c_i) sigmoid(a_i (theta - b_i))``,
    so a larger ``b`` is a harder item and a well-behaved item has ``a > 0``. If most slopes come
    out negative the scale is reflected so that ability runs the same way as the scores.

    EM (Bock and Aitkin 1981): the E-step's person x node log-likelihood is
    ``Y @ (log P - log(1 - P)) + M @ log(1 - P)`` over all items at once (``(Y @ a) theta + Y @ d``
    for the first term without an asymptote), the M-step takes Fisher scoring steps on all items at
    once. Item standard errors come from the inverse of the
    numerically differentiated gradient of the marginal log-likelihood (Fisher's identity) when
    there are at most 200 free parameters and that is cheap (parameters x cells x nodes up to
    3e7) and the posteriors are wide enough for the fixed grid; otherwise from per-item blocks of
    Louis' (1982) observed information on the adaptive nodes (binary models; the expected
    complete-data information for 3PL) or of the cross-product of person scores (graded model).
    Priors enter the information (posterior standard errors).

    A fixed grid cannot resolve posteriors narrower than its spacing (thousands of items), so
    after EM each model's posterior is recomputed by adaptive Gauss-Hermite quadrature and the
    scale is standardised so that ``mean(EAP) = 0`` and ``mean(EAP^2 + PSD^2) = 1``, which holds
    exactly at the marginal ML estimate (the standardised posteriors reuse the adaptive nodes,
    mapped, where the prior barely moves them); the reported log-likelihood uses the adaptive nodes.

    References
    ----------
    Bock, R. D. and Aitkin, M. (1981). Psychometrika 46, 443-459.
    Louis, T. A. (1982). JRSS B 44, 226-233.

    Examples
    --------
    >>> import numpy as np
    >>> from assay import irt
    >>> rng = np.random.default_rng(0)
    >>> theta, b = rng.normal(size=300), np.linspace(-1.5, 1.5, 20)
    >>> y = (rng.random((300, 20)) < 1 / (1 + np.exp(-(theta[:, None] - b)))).astype(float)
    >>> f = irt.fit(y, model="2pl")
    >>> bool(np.corrcoef(f.difficulty, b)[0, 1] > 0.95)
    True
    """
    check_choice(model, "model", MODELS)
    check_choice(method, "method", METHODS)
    check_choice(abilities, "abilities", ABILITY_METHODS)
    confidence_level = check_confidence_level(confidence_level)
    n_quad = check_positive_int(n_quad, "n_quad", minimum=5)
    max_iter = check_positive_int(max_iter, "max_iter")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise InputError(f"`tol` must be a positive number; got {tol!r}.")
    if n_choices is not None:
        n_choices = check_positive_int(n_choices, "n_choices", minimum=2)
    values, items, models = as_scores(scores, items=items, models=models, missing=missing)
    K = _check_values(values, model, items, models)
    _check_coverage(values, items, models)
    prior_obj = _prior_of(prior, model, n_choices)
    if dtype == "auto":
        dtype = "float32" if values.size >= _FLOAT32_CELLS else "float64"
    ops = get_backend(backend, device=device, dtype=dtype)
    if model == "grm" and (backend != "numpy" or method != "mml"):
        raise InputError(
            "model='grm' is fitted by method='mml' on backend='numpy' only; "
            f"got method={method!r}, backend={backend!r}."
        )
    if model == "grm":
        est = _fit_graded(values, K, prior_obj, n_quad, max_iter, tol, standard_errors)
    else:
        spec = _spec(
            model,
            discrimination=discrimination,
            guessing=guessing,
            n_choices=n_choices,
            prior=prior_obj,
        )
        est = _fit_binary(ops, values, spec, method, n_quad, max_iter, tol, standard_errors)
    if not est["converged"]:
        warnings.warn(
            f"IRT {method} fit did not converge in {max_iter} iterations (last change above "
            f"tol={tol}); estimates may be imprecise.",
            DegenerateDataWarning,
            stacklevel=2,
        )
    ability = _abilities(values, est, model, abilities, confidence_level, models, ops=ops)
    n_obs = int((~np.isnan(values)).sum())
    k = est["n_params"]
    return IRTFit(
        model=model,
        method=method,
        backend=ops.name,
        items=items,
        models=models,
        discrimination=est["a"],
        difficulty=est["b"],
        intercept=est["d"],
        guessing=est["c"],
        discrimination_se=est["a_se"],
        difficulty_se=est["b_se"],
        guessing_se=est["c_se"],
        ability=ability,
        loglik=est["loglik"],
        aic=-2 * est["loglik"] + 2 * k,
        bic=-2 * est["loglik"] + k * math.log(values.shape[0]),
        n_params=k,
        n_responses=n_obs,
        n_categories=K,
        converged=est["converged"],
        n_iter=est["n_iter"],
        n_quad=n_quad if method == "mml" else 0,
        prior=None
        if prior_obj is None
        else {"a_mean": prior_obj.a_mean, "a_sd": prior_obj.a_sd, "d_sd": prior_obj.d_sd},
        se_method=est["se_method"],
    )


def _fit_binary(ops, values, spec: B.BinarySpec, method, n_quad, max_iter, tol, want_se) -> dict:
    Y, M = _binary_data(ops, values)
    start = _mml.start_values(Y, M, spec)
    Yo, Mo = ops.asarray(Y), None if M is None else ops.asarray(M)
    theta_q, logw_q = normal_quadrature(n_quad)
    if method == "mml":  # the item x node and person x node arrays of the EM stay in float64
        out = _mml.em_binary(
            ops,
            Yo,
            Mo,
            spec,
            ops.f64(theta_q),
            ops.f64(logw_q),
            {k: ops.f64(v) for k, v in start.items()},
            max_iter=max_iter,
            tol=tol,
        )
        params, n_iter, converged = out.params, out.n_iter, out.converged
        theta0 = ops.to_numpy(out.W) @ theta_q
    else:
        params = {k: ops.asarray(v) for k, v in start.items()}
        params, theta0, n_iter, converged = _mml.jml_binary(
            ops, Yo, Mo, spec, params, max_iter=max_iter, tol=tol
        )
        theta0 = ops.to_numpy(theta0)
    p = {k: ops.to_numpy(v) for k, v in params.items()}
    if np.median(p["a"]) < 0:  # reflect the scale: ability runs the same way as the scores
        p["a"], theta0 = -p["a"], -theta0
    post = _binary_post(ops, Yo, Mo, p, theta0=theta0)
    m, s = standardise(post, scale_free=spec.slope != "fixed")
    p["d"] = p["d"] + p["a"] * m
    p["a"] = p["a"] * s
    n_nodes = post.nodes.shape[1]
    c_o = _c_of(ops, p)

    def newton(theta):
        mode, info = B.person_newton(
            ops,
            Yo,
            Mo,
            ops.asarray(p["a"]),
            ops.asarray(p["d"]),
            c_o,
            ops.asarray(theta),
            prior_sd=1.0,
            n_iter=1,
        )
        return ops.to_numpy(mode), np.maximum(ops.to_numpy(info), 1e-12)

    post = rescale(
        post,
        m,
        s,
        lambda rows, t0: _binary_post(
            ops, Yo[rows], None if Mo is None else Mo[rows], p, theta0=t0, n_nodes=n_nodes
        ),
        newton,
    )
    a, d = p["a"], p["d"]
    c = special.expit(p["g"]) if "g" in p else p.get("c_fixed", np.zeros_like(a))
    est = {
        "a": a,
        "d": d,
        "c": c,
        "b": _difficulty(a, d),
        "loglik": post.loglik,
        "n_iter": n_iter,
        "converged": converged,
        "n_params": _n_params(spec, a.size),
        "post": post,
    }
    nan = np.full(a.size, np.nan)
    est.update(a_se=nan, b_se=nan, c_se=nan, se_method="not computed")
    if want_se:
        est.update(_binary_se(ops, Y, M, spec, theta_q, logw_q, p, method, post))
    return est


def _c_of(ops, p: dict):
    c = special.expit(p["g"]) if "g" in p else p.get("c_fixed")
    return None if c is None else ops.asarray(c)


def _binary_post(ops, Yo, Mo, p: dict, theta0=None, n_nodes=None):
    return binary_posterior(
        ops,
        Yo,
        Mo,
        ops.asarray(p["a"]),
        ops.asarray(p["d"]),
        _c_of(ops, p),
        theta0=theta0,
        n_nodes=n_nodes,
    )


def _fit_graded(values, K, prior, n_quad, max_iter, tol, want_se) -> dict:
    Y = np.where(np.isnan(values), -1, values).astype(int)
    used = np.stack([(Y == k).any(0) for k in range(K)], axis=1)
    if prior is None and not used.all():
        i, k = np.argwhere(~used)[0]
        raise InputError(
            f"item {i} never uses category {k} of 0..{K - 1}, so its threshold has no ML "
            "estimate; pass prior='weak' or recode the categories."
        )
    theta_q, logw_q = normal_quadrature(n_quad)
    a0, d0 = G.start_values(Y, K)
    a, d, loglik, n_iter, converged, W = G.em_graded(
        Y, K, theta_q, logw_q, a0, d0, prior, max_iter=max_iter, tol=tol
    )
    if (
        np.median(a) < 0
    ):  # reflect: sigmoid(a theta + d_k) is unchanged by (a, theta) -> (-a, -theta)
        a = -a
    post = graded_posterior(Y, a, d)
    m, s = standardise(post, scale_free=True)
    d, a = d + a[:, None] * m, a * s
    post = rescale(
        post,
        m,
        s,
        lambda rows, t0: graded_posterior(Y[rows], a, d, theta0=t0),
        lambda t: G.person_newton(Y, a, d, t, prior_sd=1.0, n_iter=1),
    )
    W, _ = G.e_step(G.indicators(Y, K), a, d, theta_q, logw_q)
    n_i = a.size
    nan = np.full(n_i, np.nan)
    est = {
        "a": a,
        "d": d,
        "c": np.zeros(n_i),
        "b": _difficulty(a, d),
        "loglik": post.loglik,
        "n_iter": n_iter,
        "converged": converged,
        "n_params": n_i * K,
        "Y": Y,
        "K": K,
        "post": post,
        "a_se": nan,
        "b_se": np.full(d.shape, np.nan),
        "c_se": np.zeros(n_i),
        "se_method": "not computed",
    }
    if not want_se:
        return est
    est.update(graded_se_blocks(Y, K, theta_q, logw_q, W, a, d, prior))
    return est
