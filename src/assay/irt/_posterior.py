"""Each person's ability posterior by adaptive Gauss-Hermite quadrature, and what follows from it.

A fixed quadrature grid cannot resolve a posterior narrower than its spacing: with thousands of
items a model's ability posterior has an SD of a few hundredths, and the grid EM then snaps every
model to one node, which stretches the scale. The posterior is therefore recomputed here on
person-specific nodes centred at the mode and scaled by the curvature there (Liu and Pierce 1994;
Schilling and Bock 2005), which is accurate whether the posterior is wide (a 5-item test) or sharp
(10,000 items). From it come EAP abilities and SDs, the marginal log-likelihood, the scale
standardisation and Louis' information for the item standard errors.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

from assay.irt import _binary as B
from assay.irt import _graded as G
from assay.irt._quadrature import adaptive_nodes

__all__ = [
    "Posterior",
    "binary_posterior",
    "graded_posterior",
    "louis_adaptive",
    "nodes_for",
    "rescale",
    "standardise",
]

_LOG_2PI = math.log(2 * math.pi)
_BOUND = 8.0  # person_newton's bound on the modes
_SHIFT = 0.25  # Newton step of the mode, in posterior SDs, up to which the mapped nodes are kept
_SPREAD = 0.02  # relative error of the mapped nodes' spread up to which they are kept


@dataclasses.dataclass
class Posterior:
    """Per-person nodes (n_persons, n_nodes) and normalised log weights, with the mode and information."""

    nodes: np.ndarray
    logpost: np.ndarray  # unnormalised log(L(theta) phi(theta)) + log quadrature weight
    mode: np.ndarray
    info: np.ndarray  # likelihood information at the mode, plus the prior precision
    ll: np.ndarray  # log L at the nodes
    logw: np.ndarray  # log quadrature weights of the nodes

    @property
    def weights(self) -> np.ndarray:
        return np.exp(self.logpost - special.logsumexp(self.logpost, axis=1, keepdims=True))

    @property
    def eap(self) -> np.ndarray:
        return (self.weights * self.nodes).sum(1)

    @property
    def psd(self) -> np.ndarray:
        w, m = self.weights, self.eap
        return np.sqrt(np.maximum((w * (self.nodes - m[:, None]) ** 2).sum(1), 0.0))

    @property
    def loglik(self) -> float:
        """Marginal log-likelihood ``sum_p log integral L_p(theta) phi(theta) d theta``."""
        return float(special.logsumexp(self.logpost, axis=1).sum())


def _finish(nodes, ll, logw, mode, info) -> Posterior:
    logpost = ll - 0.5 * nodes**2 - 0.5 * _LOG_2PI + logw
    return Posterior(nodes=nodes, logpost=logpost, mode=mode, info=info, ll=ll, logw=logw)


def rescale(
    post: Posterior, m: float, s: float, recompute: Callable, newton: Callable
) -> Posterior:
    """The posteriors after the items are mapped to ``a * s`` and ``d + a * m`` (``theta -> (theta - m) / s``).

    ``a theta + d`` is unchanged at the mapped nodes ``(theta - m) / s``, so is the likelihood
    there: only the N(0, 1) prior and the Jacobian ``1 / s`` of the weights move, and nothing is
    recomputed from the responses. The mode and information come from one Newton step: at the old
    mode the likelihood's gradient equals the mode (the N(0, 1) prior's pull) and its information
    is ``info - 1``, so at ``mode' = (mode - m) / s`` the new posterior has gradient
    ``s mode - mode'`` and information ``s^2 (info - 1) + 1``. The mapped nodes stay an adaptive
    rule for the new posterior where that step is under 0.25 of its SD and the node spread is
    within 2% of its SD (sharp posteriors, many items: the prior barely moves them); the other
    persons, and those whose old mode sat at the +-8 bound, are recomputed by
    ``recompute(rows, theta0)``. ``newton(theta)`` (one Fisher-scoring step on the responses,
    returning the new modes and the information at ``theta``) then refines the modes.
    """
    start = (post.mode - m) / s
    info = s * s * (post.info - 1.0) + 1.0
    info = np.maximum(info, 1e-12)
    mode = start + (s * post.mode - start) / info
    spread = s * np.sqrt(np.maximum(post.info, 1e-12) / info)  # ideal / mapped node spread
    redo = (
        (np.abs(mode - start) * np.sqrt(info) > _SHIFT)
        | (np.abs(spread - 1.0) > _SPREAD)
        | (np.abs(post.mode) >= _BOUND - 1e-9)
    )
    out = _finish((post.nodes - m) / s, post.ll, post.logw - math.log(s), mode, info)
    rows = np.flatnonzero(redo)
    if rows.size:
        fresh = recompute(rows, start[rows])
        for field in ("nodes", "logpost", "ll", "logw"):
            getattr(out, field)[rows] = getattr(fresh, field)
        out.mode[rows], out.info[rows] = fresh.mode, fresh.info
    out.mode, out.info = newton(out.mode)
    return out


def binary_posterior(
    ops: Any, Y, M, a, d, c, *, n_nodes: int | None = None, theta0=None
) -> Posterior:
    """Adaptive-quadrature posteriors under N(0, 1) for the binary family (any backend)."""
    n_p = Y.shape[0]
    n_nodes = n_nodes or nodes_for(Y.shape[0] * Y.shape[1])
    start = ops.zeros((n_p,)) if theta0 is None else ops.asarray(theta0)
    mode, info = B.person_newton(ops, Y, M, a, d, c, start, prior_sd=1.0, tol=1e-4)
    mode_np, info_np = ops.to_numpy(mode), np.maximum(ops.to_numpy(info), 1e-12)
    nodes, logw = adaptive_nodes(mode_np, 1.0 / np.sqrt(info_np), n_nodes)
    yad = None if c is not None else (ops.mv(Y, a), ops.mv(Y, d))
    ll = np.stack(
        [
            ops.to_numpy(B.person_loglik(ops, Y, M, a, d, c, ops.asarray(nodes[:, q]), yad=yad))
            for q in range(n_nodes)
        ],
        axis=1,
    )
    return _finish(nodes, ll, logw, mode_np, info_np)


def nodes_for(n_cells: int) -> int:
    """Adaptive nodes per person: 11 for small matrices, 5 beyond 2 million cells (posteriors are
    then close to normal, where 5 adaptive nodes are already accurate)."""
    return 11 if n_cells <= 2_000_000 else 5


def graded_posterior(Y, a, d, *, n_nodes: int = 11, theta0=None) -> Posterior:
    start = np.zeros(Y.shape[0]) if theta0 is None else theta0
    mode, info = G.person_newton(Y, a, d, start, prior_sd=1.0, tol=1e-5)
    info = np.maximum(info, 1e-12)
    nodes, logw = adaptive_nodes(mode, 1.0 / np.sqrt(info), n_nodes)
    ll = np.stack([G.person_loglik(Y, a, d, nodes[:, q]) for q in range(n_nodes)], axis=1)
    return _finish(nodes, ll, logw, mode, info)


def standardise(post: Posterior, *, scale_free: bool) -> tuple[float, float]:
    """Location ``m`` and scale ``s`` that put the population moments at mean 0 and variance 1.

    At the marginal ML estimate of a model closed under affine maps of theta (free slopes and
    intercepts), ``mean(EAP) = 0`` and ``mean(EAP^2 + PSD^2) = 1`` hold exactly; a fixed quadrature
    grid breaks them when posteriors are sharp. Mapping ``theta -> (theta - m) / s`` restores them:
    the items become ``a * s`` and ``d + a * m``. With a fixed slope only the location moves.
    """
    eap, psd = post.eap, post.psd
    m = float(eap.mean())
    s = math.sqrt(max(float((eap**2 + psd**2).mean()) - m * m, 1e-12)) if scale_free else 1.0
    return m, s


def louis_adaptive(
    ops: Any, Y, M, post: Posterior, params: dict, cols: tuple[str, ...], *, dtype=np.float64
) -> np.ndarray:
    """Per-item blocks of Louis' observed information on the adaptive nodes (numpy, (n_items, k, k)).

    ``I_i = sum_p sum_q w_pq m_pi J J' / v  -  sum_p Var_post(s_pi)`` with the complete-data score
    ``s_pi(theta) = m_pi (y_pi - P_i(theta)) J_i(theta) / v_i(theta)``. Without a lower asymptote
    this runs in ``dtype`` (the fit's working precision) by :func:`_louis_logistic`.
    """
    a, d = params["a"], params["d"]
    c = special.expit(params["g"]) if "g" in params else params.get("c_fixed")
    if c is None:
        return _louis_logistic(Y, M, post, a, d, cols, dtype)
    W = post.weights
    obs = np.ones_like(Y) if M is None else M
    k = len(cols)
    n_i = a.size
    complete = np.zeros((n_i, k, k))
    second = np.zeros((n_i, k, k))
    mean_s = np.zeros((Y.shape[0], n_i, k))
    for q in range(post.nodes.shape[1]):
        t = post.nodes[:, q][:, None]
        s = special.expit(t * a[None, :] + d[None, :])
        if c is None:
            p = s
            v = np.maximum(s * (1 - s), 1e-12)
            J = {"a": v * t, "d": v}
        else:
            p = c[None, :] + (1 - c[None, :]) * s
            v = np.maximum(p * (1 - p), 1e-12)
            base = (1 - c[None, :]) * s * (1 - s)
            J = {"a": base * t, "d": base, "g": c[None, :] * (1 - c[None, :]) * (1 - s)}
        wq = W[:, q][:, None] * obs
        resid = Y - obs * p
        h = [J[x] / v for x in cols]
        for j in range(k):
            mean_s[:, :, j] += W[:, q][:, None] * resid * h[j]
            for m in range(j, k):
                complete[:, j, m] += (wq * J[cols[j]] * J[cols[m]] / v).sum(0)
                second[:, j, m] += (W[:, q][:, None] * resid * resid * h[j] * h[m]).sum(0)
    info = complete - second + np.einsum("pij,pik->ijk", mean_s, mean_s)
    for j in range(k):
        for m in range(j):
            info[:, j, m] = info[:, m, j]
    return info


def _louis_logistic(Y, M, post: Posterior, a, d, cols: tuple[str, ...], dtype) -> np.ndarray:
    """Louis' per-item information for the logistic items (no asymptote), in a few passes per node.

    With ``P = sigmoid(a theta + d)`` the complete-data score of item i for person p is
    ``(y - m P) theta^h`` (``h = 1`` for the slope, 0 for the intercept) and ``J J' / v`` is
    ``P (1 - P) theta^(h + l)``. With the posterior moments ``mu_k = sum_q w_q t_q^k`` and
    ``S_h = sum_q w_q t_q^h P_q``, ``T_k = sum_q w_q t_q^k P_q^2`` (per person and item), block
    ``(h, l)`` with ``k = h + l`` is

        sum_p m (S_k - T_k)                                   complete-data information
        - sum_p [y^2 (mu_k - mu_h mu_l) - 2 y S_k + m T_k + y (mu_h S_l + mu_l S_h) - m S_h S_l]

    (the second line is ``sum_p Var_post(score)``, the missing information). Per node: one sigmoid
    over the matrix, and the column sums as products of it with the 3 weight columns
    ``w t^k``; ``S_0`` and ``S_1`` are kept per person and item for the last term.
    """
    idx = {"d": 0, "a": 1}
    hs = [idx[k] for k in cols]
    Yw = np.asarray(Y, dtype=dtype)
    Mw = None if M is None else np.asarray(M, dtype=dtype)
    aw, dw = np.asarray(a, dtype=dtype), np.asarray(d, dtype=dtype)
    W, T = post.weights, post.nodes
    n_p, n_i = Yw.shape
    cS = np.zeros((3, n_i))  # sum_p m w t^k P
    cT = np.zeros((3, n_i))  # sum_p m w t^k P^2
    cYS = np.zeros((3, n_i))  # sum_p y w t^k P
    S = np.zeros((2, n_p, n_i), dtype=dtype)
    for q in range(T.shape[1]):
        t, w = T[:, q], W[:, q]
        wk = np.stack([w, w * t, w * t * t], 1).astype(dtype)
        z = t.astype(dtype)[:, None] * aw[None, :]
        z += dw[None, :]
        with np.errstate(over="ignore"):
            P = np.exp(-z, out=z)
        P += 1.0
        np.reciprocal(P, out=P)
        mP = P if Mw is None else P * Mw
        cS += _colsums(wk, mP)
        cYS += _colsums(wk, Yw * P)
        cT += _colsums(wk, mP * P)
        for h in set(hs):
            S[h] += wk[:, h : h + 1] * P
    mu = np.stack([(W * T**k).sum(1) for k in range(3)])  # (3, n_p)
    Y2 = Yw * Yw
    SS = {}
    for h in set(hs):
        for g in set(hs):
            if (g, h) not in SS:
                prod = S[h] * S[g]
                SS[(h, g)] = SS[(g, h)] = (
                    prod.sum(0, dtype=np.float64)
                    if Mw is None
                    else np.einsum("pi,pi->i", prod, Mw, dtype=np.float64)
                )
    YS = {h: (Yw * S[h]) for h in set(hs)}
    k_n = len(cols)
    info = np.zeros((n_i, k_n, k_n))
    for j, h in enumerate(hs):
        for m_, g in enumerate(hs):
            if m_ < j:
                continue
            k = h + g
            cov = (mu[k] - mu[h] * mu[g]).astype(dtype)
            missing = (
                _colsums(cov[:, None], Y2)[0]
                - 2 * cYS[k]
                + cT[k]
                + _colsums(mu[h].astype(dtype)[:, None], YS[g])[0]
                + _colsums(mu[g].astype(dtype)[:, None], YS[h])[0]
                - SS[(h, g)]
            )
            info[:, j, m_] = info[:, m_, j] = cS[k] - cT[k] - missing
    return info


def _colsums(wk: np.ndarray, X: np.ndarray, block: int = 128) -> np.ndarray:
    """``wk.T @ X`` (float64) by numpy's loops, in float64 sums of ``block``-row partial sums.

    numpy's loops rather than BLAS threads (see ``_NumpyOps.mv``); they add sequentially, so in
    float32 the partial sums are kept short.
    """
    k = X.shape[0] - X.shape[0] % block
    out = np.einsum("pk,pi->ki", wk[k:], X[k:]).astype(np.float64)
    if k:
        part = np.einsum(
            "bjk,bji->bki",
            wk[:k].reshape(-1, block, wk.shape[1]),
            X[:k].reshape(-1, block, X.shape[1]),
        )
        out += part.sum(0, dtype=np.float64)
    return out
