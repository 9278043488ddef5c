"""Samejima's graded response model (numpy).

Ordinal scores 0, 1, ..., K-1. For item i with slope ``a`` and intercepts ``d_1 > ... > d_{K-1}``:

    P(Y >= k | theta) = sigmoid(a * theta + d_k),   P(Y = k) = P(Y >= k) - P(Y >= k + 1),

with thresholds ``b_k = -d_k / a`` (larger = harder to reach category k). Missing responses are
coded -1 and contribute nothing.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from assay.irt._binary import Prior

__all__ = [
    "e_step",
    "em_graded",
    "marginal_gradient",
    "person_loglik",
    "person_newton",
    "start_values",
]

_EPS = 1e-12


def _cum(a: np.ndarray, d: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """P(Y >= k) for k = 0..K, shape (n_items, K+1, n_nodes) (1 at k = 0 and 0 at k = K)."""
    z = a[:, None, None] * theta[None, None, :] + d[:, :, None]
    s = special.expit(z)
    n_i, _, n_q = s.shape
    return np.concatenate([np.ones((n_i, 1, n_q)), s, np.zeros((n_i, 1, n_q))], axis=1)


def probs(a, d, theta):
    """Category probabilities, shape (n_items, K, n_nodes)."""
    ps = _cum(a, d, theta)
    return np.maximum(ps[:, :-1] - ps[:, 1:], _EPS)


def indicators(Y: np.ndarray, K: int) -> list[np.ndarray]:
    """One 0/1 matrix per category (missing, coded -1, is 0 in all)."""
    return [(Y == k).astype(float) for k in range(K)]


def e_step(ind, a, d, theta, logw):
    logp = np.log(probs(a, d, theta))
    L = logw[None, :] + sum(ind[k] @ logp[:, k, :] for k in range(len(ind)))
    lse = special.logsumexp(L, axis=1)
    return np.exp(L - lse[:, None]), float(lse.sum())


def _score_info(R, a, d, theta):
    """Expected complete-data score (n_items, K) and information (n_items, K, K) in (a, d_1..)."""
    n_i, K, n_q = R.shape
    ps = _cum(a, d, theta)
    psi = ps * (1.0 - ps)
    P = np.maximum(ps[:, :-1] - ps[:, 1:], _EPS)
    J = np.zeros((n_i, K, n_q, K))
    J[..., 0] = theta[None, None, :] * (psi[:, :-1] - psi[:, 1:])
    for j in range(1, K):
        J[:, j, :, j] += psi[:, j]
        J[:, j - 1, :, j] -= psi[:, j]
    n = R.sum(1)
    score = np.einsum("ikq,ikqm->im", R / P, J)
    info = np.einsum("ikq,ikqm,ikql->iml", n[:, None, :] / P, J, J)
    return score, info


def _prior(a, d, prior):
    K = d.shape[1] + 1
    if prior is None:
        return np.zeros((a.size, K)), np.zeros((a.size, K))
    grad = np.concatenate(
        [(-(a - prior.a_mean) / prior.a_sd**2)[:, None], -d / prior.d_sd**2], axis=1
    )
    prec = np.concatenate(
        [np.full((a.size, 1), 1 / prior.a_sd**2), np.full(d.shape, 1 / prior.d_sd**2)], axis=1
    )
    return grad, prec


def _full_score(R, a, d, theta, prior):
    score, info = _score_info(R, a, d, theta)
    g, p = _prior(a, d, prior)
    info = info + np.einsum("ik,kl->ikl", p, np.eye(p.shape[1]))
    return score + g, info


def m_step(R, a, d, theta, prior, *, n_inner: int = 2, max_step: float = 1.0):
    for _ in range(n_inner):
        score, info = _full_score(R, a, d, theta, prior)
        step = np.linalg.solve(info, score[..., None])[..., 0]
        big = np.abs(step).max(axis=1, keepdims=True)
        step = step * np.minimum(1.0, max_step / np.maximum(big, _EPS))
        for _ in range(30):  # keep the intercepts strictly decreasing
            nd = d + step[:, 1:]
            bad = (
                (np.diff(nd, axis=1) >= -1e-6).any(axis=1)
                if nd.shape[1] > 1
                else np.zeros(a.size, bool)
            )
            if not bad.any():
                break
            step[bad] *= 0.5
        a, d = a + step[:, 0], d + step[:, 1:]
    return a, d


def start_values(Y: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    obs = Y >= 0
    Yf = np.where(obs, Y, 0).astype(float)
    n_obs = np.maximum(obs.sum(0), 1)
    mean_i = Yf.sum(0) / n_obs
    person = Yf.sum(1) / np.maximum(obs.sum(1), 1)
    pc = person - person.mean()
    yc = (Yf - mean_i) * obs
    r = (
        (yc * pc[:, None]).sum(0)
        / n_obs
        / np.maximum(np.sqrt((yc**2).sum(0) / n_obs) * max(pc.std(), 1e-6), 1e-12)
    )
    r = np.clip(r, -0.9, 0.9)
    a = np.clip(1.7 * r / np.sqrt(1 - r * r), 0.2, 3.0)
    d = np.empty((Y.shape[1], K - 1))
    for k in range(1, K):
        q = np.clip(((Y >= k) & obs).sum(0) / n_obs, 0.01, 0.99)
        d[:, k - 1] = np.log(q / (1 - q)) * np.sqrt(1 + np.pi * a * a / 8)
    d = -np.sort(-d, axis=1) - np.arange(K - 1)[None, :] * 1e-3
    return a, d


def em_graded(Y, K, theta, logw, a, d, prior: Prior | None, *, max_iter: int, tol: float):
    ind = indicators(Y, K)
    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007
        W, _ = e_step(ind, a, d, theta, logw)
        R = np.stack([x.T @ W for x in ind], axis=1)
        na, nd = m_step(R, a, d, theta, prior)
        change = max(np.abs(na - a).max(), np.abs(nd - d).max())
        a, d = na, nd
        if change < tol:
            converged = True
            break
    W, loglik = e_step(ind, a, d, theta, logw)
    return a, d, loglik, it, converged, W


def marginal_gradient(Y, K, theta, logw, a, d, prior):
    """Gradient of the marginal log-likelihood (plus log prior), flattened item by item."""
    ind = indicators(Y, K)
    W, _ = e_step(ind, a, d, theta, logw)
    R = np.stack([x.T @ W for x in ind], axis=1)
    score, _ = _full_score(R, a, d, theta, prior)
    return score.reshape(-1)


def _person_terms(Y, a, d, theta_p):
    """Per person and item: log P(observed category), its theta-derivative and Fisher information."""
    z = theta_p[:, None, None] * a[None, :, None] + d[None, :, :]
    s = special.expit(z)
    n_p, n_i, _ = s.shape
    ps = np.concatenate([np.ones((n_p, n_i, 1)), s, np.zeros((n_p, n_i, 1))], axis=2)
    psi = ps * (1 - ps)
    P = np.maximum(ps[..., :-1] - ps[..., 1:], _EPS)
    dP = a[None, :, None] * (psi[..., :-1] - psi[..., 1:])
    obs = Y >= 0
    idx = np.where(obs, Y, 0)[..., None]
    logp = np.take_along_axis(np.log(P), idx, axis=2)[..., 0] * obs
    dlog = np.take_along_axis(dP / P, idx, axis=2)[..., 0] * obs
    info = (dP * dP / P).sum(2) * obs
    return logp, dlog, info


def person_loglik(Y, a, d, theta_p):
    return _person_terms(Y, a, d, theta_p)[0].sum(1)


def person_newton(
    Y, a, d, theta0, *, prior_sd, n_iter: int = 30, tol: float = 1e-6, bound: float = 8.0
):
    prec = 0.0 if prior_sd is None else 1.0 / prior_sd**2
    theta = theta0.copy()
    info = None
    for _ in range(n_iter):
        _, dlog, inf = _person_terms(Y, a, d, theta)
        grad = dlog.sum(1) - prec * theta
        info = inf.sum(1) + prec
        step = np.clip(grad / np.maximum(info, _EPS), -1.0, 1.0)
        theta = np.clip(theta + step, -bound, bound)
        if np.abs(step).max() < tol:
            break
    return theta, info
