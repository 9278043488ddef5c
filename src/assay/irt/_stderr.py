"""Standard errors of the item parameters: numerical Hessian, Louis' information, cross-products."""

from __future__ import annotations

import numpy as np
from scipy import special

from assay.irt import _binary as B
from assay.irt import _graded as G
from assay.irt import _mml
from assay.irt._backend import get_backend
from assay.irt._posterior import louis_adaptive

__all__ = ["binary_se", "difficulty", "graded_se_blocks"]

_FULL_HESSIAN_MAX = 200
_HESSIAN_BUDGET = 30_000_000  # parameters x cells x nodes for the numerical Hessian
_SHARP = 0.3  # median posterior SD below which the fixed grid is not trusted for the Hessian


def n_params(spec: B.BinarySpec, n_items: int) -> int:
    return n_items * len(spec.cols) + (1 if spec.slope == "common" else 0)


def difficulty(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        b = -d / (a if d.ndim == 1 else a[:, None])
    b[~np.isfinite(b)] = np.nan
    return b


def _delta_b(a, d, va, vd, cad):
    """SE of b = -d / a by the delta method."""
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (d / a**2) ** 2 * va + vd / a**2 - 2 * d / a**3 * cad
        return np.sqrt(np.maximum(var, 0.0))


def binary_se(ops, Y, M, spec: B.BinarySpec, theta_q, logw_q, p: dict, method: str, post) -> dict:
    cols = spec.cols
    n_i = p["a"].size
    common = spec.slope == "common"
    npar = n_params(spec, n_i)
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
        info = louis_adaptive(np_ops, Y, M, post, p, lcols, dtype=ops.np_dtype)
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


def graded_se_blocks(Y, K, theta_q, logw_q, W, a, d, prior) -> dict:
    """Standard errors of the graded model's slopes and thresholds."""
    n_i = a.size
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
    return {
        "a_se": np.sqrt(np.maximum(va, 0)),
        "b_se": _delta_b(a[:, None], d, va[:, None], vd, cad),
        "se_method": method_name,
    }
