"""`fit` and `abilities`: validate, estimate the item parameters, their standard errors and abilities."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import DegenerateDataWarning, InputError, ScoreMatrix
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
)
from assay.irt import _binary as B
from assay.irt import _graded as G
from assay.irt import _mml
from assay.irt._backend import get_backend
from assay.irt._posterior import binary_posterior, graded_posterior, louis_adaptive, standardise
from assay.irt._quadrature import normal_quadrature
from assay.irt._results import AbilityResult, IRTFit

__all__ = ["MODELS", "abilities", "fit"]

MODELS = ("1pl", "2pl", "3pl", "continuous", "grm")
METHODS = ("mml", "jml")
ABILITY_METHODS = ("eap", "map", "ml")
_FULL_HESSIAN_MAX = 200
_HESSIAN_BUDGET = 30_000_000  # parameters x cells x nodes for the numerical Hessian
_FLOAT32_CELLS = 10_000_000
_SHARP = 0.3  # median posterior SD below which the fixed grid is not trusted for the Hessian


# ----------------------------------------------------------------------------------------- inputs
def as_scores(
    scores: Any,
    *,
    items: Any = None,
    models: Any = None,
    missing: str = "omit",
    name: str = "scores",
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Return (values (n_models, n_items) with NaN where missing, item names, model names)."""
    check_choice(missing, "missing", ("omit", "raise"))
    if isinstance(scores, ScoreMatrix):
        values = scores.item_scores()
        items = scores.items if items is None else items
        models = scores.models if models is None else models
    else:
        values = check_array(scores, name, ndim=2, allow_nan=True)
    if missing == "raise" and np.isnan(values).any():
        raise InputError(
            f"`{name}` has {int(np.isnan(values).sum())} missing response(s); pass "
            "missing='omit' to leave them out of the likelihood."
        )
    n_m, n_i = values.shape
    items = tuple(f"item {j}" for j in range(n_i)) if items is None else tuple(map(str, items))
    models = tuple(f"model {j}" for j in range(n_m)) if models is None else tuple(map(str, models))
    if len(items) != n_i:
        raise InputError(f"`items` has {len(items)} names but `{name}` has {n_i} columns.")
    if len(models) != n_m:
        raise InputError(f"`models` has {len(models)} names but `{name}` has {n_m} rows.")
    return values, items, models


def _check_values(values: np.ndarray, model: str, items, models) -> int:
    """Check the score range for ``model``; return the number of categories."""
    finite = values[~np.isnan(values)]
    if model in ("1pl", "2pl", "3pl"):
        bad = (finite != 0) & (finite != 1)
        if bad.any():
            raise InputError(
                f"model={model!r} needs binary scores (0 or 1); found {int(bad.sum())} other "
                f"value(s), e.g. {finite[bad][0]!r}. Use model='continuous' for scores in [0, 1]."
            )
        return 2
    if model == "continuous":
        bad = (finite < 0) | (finite > 1)
        if bad.any():
            raise InputError(
                f"model='continuous' needs scores in [0, 1]; found {int(bad.sum())} outside, "
                f"e.g. {finite[bad][0]!r}."
            )
        return 2
    bad = (finite < 0) | (finite != np.round(finite))
    if bad.any():
        raise InputError(
            f"model='grm' needs ordinal scores 0, 1, 2, ...; found {int(bad.sum())} other "
            f"value(s), e.g. {finite[bad][0]!r}."
        )
    K = int(finite.max()) + 1 if finite.size else 0
    if K < 2:
        raise InputError(f"model='grm' needs at least 2 categories; the scores use {K}.")
    return K


def _check_coverage(values: np.ndarray, items, models) -> None:
    obs = ~np.isnan(values)
    if values.shape[0] < 2 or values.shape[1] < 2:
        raise InputError(f"`scores` needs at least 2 models and 2 items; got shape {values.shape}.")
    empty_i = np.flatnonzero(~obs.any(0))
    if empty_i.size:
        raise InputError(
            f"item {items[empty_i[0]]!r} has no response from any model "
            f"({empty_i.size} such item(s)); remove them."
        )
    empty_m = np.flatnonzero(~obs.any(1))
    if empty_m.size:
        raise InputError(
            f"model {models[empty_m[0]]!r} answered no item ({empty_m.size} such model(s)); remove them."
        )


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


# ---------------------------------------------------------------------------------------- public
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
    ``Y @ (log P - log(1 - P)) + M @ log(1 - P)`` over all items at once, the M-step takes Fisher
    scoring steps on all items at once. Item standard errors come from the inverse of the
    numerically differentiated gradient of the marginal log-likelihood (Fisher's identity) when
    there are at most 200 free parameters and that is cheap (parameters x cells x nodes up to
    3e7) and the posteriors are wide enough for the fixed grid; otherwise from per-item blocks of
    Louis' (1982) observed information on the adaptive nodes (binary models; the expected
    complete-data information for 3PL) or of the cross-product of person scores (graded model).
    Priors enter the information (posterior standard errors).

    A fixed grid cannot resolve posteriors narrower than its spacing (thousands of items), so
    after EM each model's posterior is recomputed by adaptive Gauss-Hermite quadrature and the
    scale is standardised so that ``mean(EAP) = 0`` and ``mean(EAP^2 + PSD^2) = 1``, which holds
    exactly at the marginal ML estimate; the reported log-likelihood uses the adaptive nodes.

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


# ----------------------------------------------------------------------------------- estimation
def _binary_data(ops: Any, values: np.ndarray):
    obs = ~np.isnan(values)
    Y = np.where(obs, values, 0.0)
    M = None if obs.all() else obs.astype(float)
    return Y, M


def _n_params(spec: B.BinarySpec, n_items: int) -> int:
    return n_items * len(spec.cols) + (1 if spec.slope == "common" else 0)


def _fit_binary(ops, values, spec: B.BinarySpec, method, n_quad, max_iter, tol, want_se) -> dict:
    Y, M = _binary_data(ops, values)
    start = _mml.start_values(Y, M, spec)
    Yo, Mo = ops.asarray(Y), None if M is None else ops.asarray(M)
    params = {k: ops.asarray(v) for k, v in start.items()}
    theta_q, logw_q = normal_quadrature(n_quad)
    if method == "mml":
        out = _mml.em_binary(
            ops,
            Yo,
            Mo,
            spec,
            ops.asarray(theta_q),
            ops.asarray(logw_q),
            params,
            max_iter=max_iter,
            tol=tol,
        )
        params, n_iter, converged = out.params, out.n_iter, out.converged
        theta0 = ops.to_numpy(out.W) @ theta_q
    else:
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
    post = _binary_post(ops, Yo, Mo, p, theta0=(post.mode - m) / s)
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


def _binary_post(ops, Yo, Mo, p: dict, theta0=None):
    c = special.expit(p["g"]) if "g" in p else p.get("c_fixed")
    return binary_posterior(
        ops,
        Yo,
        Mo,
        ops.asarray(p["a"]),
        ops.asarray(p["d"]),
        None if c is None else ops.asarray(c),
        theta0=theta0,
    )


def _difficulty(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        b = -d / (a if d.ndim == 1 else a[:, None])
    b[~np.isfinite(b)] = np.nan
    return b


def _delta_b(a, d, va, vd, cad):
    """SE of b = -d / a by the delta method."""
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (d / a**2) ** 2 * va + vd / a**2 - 2 * d / a**3 * cad
        return np.sqrt(np.maximum(var, 0.0))


def _binary_se(ops, Y, M, spec: B.BinarySpec, theta_q, logw_q, p: dict, method: str, post) -> dict:
    cols = spec.cols
    n_i = p["a"].size
    common = spec.slope == "common"
    npar = _n_params(spec, n_i)
    np_ops = get_backend("numpy")
    if method == "jml":
        return {
            **_jml_se(np_ops, Y, M, spec, p),
            "se_method": "jml-conditional (abilities taken as known)",
        }
    cost = npar * Y.size * theta_q.size
    if (
        npar <= _FULL_HESSIAN_MAX
        and cost <= _HESSIAN_BUDGET
        and float(np.median(post.psd)) >= _SHARP
    ):
        cov = _numerical_cov(
            lambda x: _mml.marginal_gradient(
                np_ops, Y, M, spec, theta_q, logw_q, _unpack(x, p, cols, common)
            ),
            _pack(p, cols, common),
        )
        per = cov[: n_i * len(cols), : n_i * len(cols)]
        blocks = np.stack(
            [
                per[i * len(cols) : (i + 1) * len(cols), i * len(cols) : (i + 1) * len(cols)]
                for i in range(n_i)
            ]
        )
        cad = np.zeros(n_i)
        if common:
            va = np.full(n_i, cov[-1, -1])
            cad = cov[-1, :n_i]  # cols == ('d',)
        method_name = "observed information (numerical Hessian of the marginal log-likelihood)"
    else:
        lcols = ("a",) + cols if common else cols
        info = louis_adaptive(np_ops, Y, M, post, p, lcols)
        if spec.prior is not None:
            _, prec = B.prior_terms(np_ops, p, lcols, spec.prior, n_i)
            info = info + np.einsum("ik,kl->ikl", prec, np.eye(len(lcols)))
        if common:  # Schur complement of each item's (a, d) block for the shared slope
            ia = np.sum(info[:, 0, 0] - info[:, 0, 1] ** 2 / np.maximum(info[:, 1, 1], 1e-12))
            va = np.full(n_i, 1.0 / ia if ia > 0 else np.nan)
            info = info[:, 1:, 1:]
        blocks = _safe_inv(info)
        cad = np.zeros(n_i)
        method_name = "observed information, per-item blocks (Louis 1982, adaptive quadrature)"
    idx = {k: j for j, k in enumerate(cols)}
    vd = blocks[:, idx["d"], idx["d"]]
    if "a" in idx:
        va = blocks[:, idx["a"], idx["a"]]
        cad = blocks[:, idx["a"], idx["d"]]
    elif not common:
        va = np.zeros(n_i)
    a, d = p["a"], p["d"]
    c_se = np.zeros(n_i)
    if "g" in idx:
        c = special.expit(p["g"])
        c_se = c * (1 - c) * np.sqrt(np.maximum(blocks[:, idx["g"], idx["g"]], 0))
    return {
        "a_se": np.sqrt(np.maximum(va, 0)),
        "b_se": _delta_b(a, d, va, vd, cad),
        "c_se": c_se,
        "se_method": method_name,
    }


def _is_binary(Y: np.ndarray) -> bool:
    return bool(np.all((Y == 0) | (Y == 1)))


def _posterior(ops, Y, M, theta_q, logw_q, p):
    c = special.expit(p["g"]) if "g" in p else p.get("c_fixed")
    W, _ = B.e_step(ops, Y, M, p["a"], p["d"], c, theta_q, logw_q)
    return W


def _jml_se(ops, Y, M, spec, p) -> dict:
    theta, _ = B.person_newton(
        ops, Y, M, p["a"], p["d"], p.get("c_fixed"), np.zeros(Y.shape[0]), prior_sd=1.0
    )
    _, info = B.score_info(
        ops,
        Y.T,
        M.T if M is not None else 1.0,
        p["a"],
        p["d"],
        p.get("g"),
        theta,
        ("a", "d") if spec.slope == "free" else ("d",),
    )
    blocks = _safe_inv(info)
    n_i = p["a"].size
    va = blocks[:, 0, 0] if spec.slope == "free" else np.zeros(n_i)
    cad = blocks[:, 0, 1] if spec.slope == "free" else np.zeros(n_i)
    vd = blocks[:, -1, -1]
    return {
        "a_se": np.sqrt(va),
        "b_se": _delta_b(p["a"], p["d"], va, vd, cad),
        "c_se": np.zeros(n_i),
    }


def _safe_inv(info: np.ndarray) -> np.ndarray:
    out = np.full_like(info, np.nan)
    ok = np.linalg.cond(info) < 1e12
    if ok.any():
        out[ok] = np.linalg.inv(info[ok])
    return out


def _pack(p: dict, cols, common: bool) -> np.ndarray:
    x = np.stack([p[k] for k in cols], axis=1).reshape(-1)
    return np.append(x, p["a"][0]) if common else x


def _unpack(x: np.ndarray, p: dict, cols, common: bool) -> dict:
    n_i = p["a"].size
    out = dict(p)
    body = x[: n_i * len(cols)].reshape(n_i, len(cols))
    for j, k in enumerate(cols):
        out[k] = body[:, j]
    if common:
        out["a"] = np.full(n_i, x[-1])
    return out


def _numerical_cov(grad, x: np.ndarray) -> np.ndarray:
    """Inverse of minus the central-difference Jacobian of ``grad`` at ``x`` (NaN if singular)."""
    n = x.size
    H = np.empty((n, n))
    for j in range(n):
        h = 1e-4 * max(1.0, abs(x[j]))
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (grad(x + e) - grad(x - e)) / (2 * h)
    H = 0.5 * (H + H.T)
    try:
        return np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        return np.full((n, n), np.nan)


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
    ):  # reflect: P(Y >= k) = sigmoid(a theta + d_k) is invariant to (a, theta) -> (-a, -theta)
        a = -a
    post = graded_posterior(Y, a, d)
    m, s = standardise(post, scale_free=True)
    d, a = d + a[:, None] * m, a * s
    post = graded_posterior(Y, a, d)
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
    if n_i * K <= _FULL_HESSIAN_MAX:
        x = np.concatenate([a[:, None], d], axis=1).reshape(-1)
        cov = _numerical_cov(
            lambda v: G.marginal_gradient(
                Y, K, theta_q, logw_q, v.reshape(n_i, K)[:, 0], v.reshape(n_i, K)[:, 1:], prior
            ),
            x,
        )
        blocks = np.stack([cov[i * K : (i + 1) * K, i * K : (i + 1) * K] for i in range(n_i)])
        method_name = "observed information (numerical Hessian of the marginal log-likelihood)"
    else:
        blocks = _safe_inv(_graded_xpd(Y, K, theta_q, W, a, d))
        method_name = "cross-product of person scores, per-item blocks"
    va = blocks[:, 0, 0]
    vd = np.stack([blocks[:, k, k] for k in range(1, K)], axis=1)
    cad = np.stack([blocks[:, 0, k] for k in range(1, K)], axis=1)
    est.update(
        a_se=np.sqrt(np.maximum(va, 0)),
        b_se=_delta_b(a[:, None], d, va[:, None], vd, cad),
        se_method=method_name,
    )
    return est


def _graded_xpd(Y, K, theta, W, a, d) -> np.ndarray:
    """Per-item sum over persons of the outer product of each person's posterior-expected score."""
    ps = G._cum(a, d, theta)
    psi = ps * (1 - ps)
    P = np.maximum(ps[:, :-1] - ps[:, 1:], 1e-12)
    n_i, _, n_q = P.shape
    J = np.zeros((n_i, K, n_q, K))
    J[..., 0] = theta[None, None, :] * (psi[:, :-1] - psi[:, 1:])
    for j in range(1, K):
        J[:, j, :, j] += psi[:, j]
        J[:, j - 1, :, j] -= psi[:, j]
    ind = G.indicators(Y, K)
    S = np.zeros((Y.shape[0], n_i, K))
    for k in range(K):
        for m in range(K):
            S[:, :, m] += ind[k] * (W @ (J[:, k, :, m] / P[:, k, :]).T)
    return np.einsum("pik,pil->ikl", S, S)


# ------------------------------------------------------------------------------------ abilities
def _abilities(values, est, model, method, confidence_level, models, *, ops) -> AbilityResult:
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
    _check_values(values, fit.model if fit.model != "grm" else "grm", fit.items, models)
    empty = np.flatnonzero(np.isnan(values).all(1))
    if empty.size:
        raise InputError(f"model {models[empty[0]]!r} answered none of the fit's items.")
    est = {"a": fit.discrimination, "d": fit.intercept, "c": fit.guessing}
    if fit.model == "grm":
        est["Y"] = np.where(np.isnan(values), -1, values).astype(int)
    return _abilities(
        values, est, fit.model, method, confidence_level, models, ops=get_backend("numpy")
    )
