"""The binary-response family (1PL, 2PL, 3PL and the continuous-response 2PL), backend-generic.

Every item has a slope ``a``, an intercept ``d`` and a lower asymptote ``c`` (0 unless 3PL):

    P_i(theta) = c_i + (1 - c_i) * sigmoid(a_i * theta + d_i),   difficulty b_i = -d_i / a_i.

The functions here take the array operations of :mod:`assay.irt._backend` as ``ops`` so that the
same code runs on numpy arrays or torch tensors. Responses arrive as ``Y`` (persons x items, the
score where observed and 0 where missing) and ``M`` (the 0/1 observation mask, or None when every
response is observed); a missing response contributes nothing to any likelihood (no imputation).
Scores in [0, 1] (the continuous-response model) use the same Bernoulli quasi-likelihood
``y log P + (1 - y) log(1 - P)``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = [
    "BinarySpec",
    "Prior",
    "counts",
    "e_step",
    "em_step",
    "live_nodes",
    "louis_information",
    "m_step",
    "person_loglik",
    "person_newton",
    "score_info",
]

_EPS = 1e-12


@dataclasses.dataclass(frozen=True)
class Prior:
    """Independent normal priors on the item parameters (a MAP fit; None of them means pure ML).

    ``a ~ N(a_mean, a_sd**2)``, ``d ~ N(0, d_sd**2)``, ``logit(c) ~ N(g_mean, g_sd**2)``.
    """

    a_mean: float = 1.0
    a_sd: float = 2.0
    d_sd: float = 5.0
    g_mean: float = math.log(0.25 / 0.75)
    g_sd: float = 1.0


@dataclasses.dataclass(frozen=True)
class BinarySpec:
    """Which parameters are free.

    ``slope``: 'free' (one per item), 'common' (one shared, estimated) or 'fixed' (``fixed_a``).
    ``guessing``: 'none', 'free' (per item, logit-normal prior) or 'fixed' (``fixed_c``).
    """

    slope: str = "free"
    guessing: str = "none"
    fixed_a: float = 1.0
    fixed_c: float = 0.0
    prior: Prior | None = None

    @property
    def cols(self) -> tuple[str, ...]:
        """Per-item free parameters, in order."""
        out = ("a", "d") if self.slope == "free" else ("d",)
        return out + (("g",) if self.guessing == "free" else ())


def _logits(ops: Any, a, d, theta):
    return a[:, None] * theta[None, :] + d[:, None]


def log_probs(ops: Any, a, d, c, theta):
    """log P and log(1 - P) on the nodes ``theta``: arrays of shape (n_items, n_nodes)."""
    z = _logits(ops, a, d, theta)
    if c is None:
        return ops.log_sigmoid(z), ops.log_sigmoid(-z)
    s = ops.sigmoid(z)
    p = c[:, None] + (1.0 - c[:, None]) * s
    return ops.log(ops.maximum(p, _EPS)), ops.log(
        ops.maximum(1.0 - c[:, None], _EPS)
    ) + ops.log_sigmoid(-z)


def e_step(ops: Any, Y, M, a, d, c, theta, logw):
    """Posterior weights over the nodes, shape (n_persons, n_nodes), and the marginal log-likelihood.

    The person-by-node log-likelihood is ``Y @ (log P - log(1 - P)) + M @ log(1 - P)``. Without a
    lower asymptote ``log P - log(1 - P)`` is the logit ``a theta_q + d``, so the first product is
    ``(Y @ a) theta_q + Y @ d``: one pass over ``Y`` with two columns instead of a product with
    every node (and the second is a column sum when nothing is missing). The products with ``Y``
    and ``M`` run in the working precision, everything after them in float64: the log-likelihoods
    are in the thousands, where float32 would leave the weights with errors of 1e-3.
    """
    if c is None:
        z = _logits(ops, a, d, theta)
        log1mp = ops.log_sigmoid(-z)
        yad = ops.f64(Y @ ops.work(ops.stack([a, d], 1)))
        L = yad[:, 0:1] * theta[None, :] + yad[:, 1:2]
    else:
        logp, log1mp = log_probs(ops, a, d, c, theta)
        L = ops.f64(Y @ ops.work(logp - log1mp))
    L = L + (ops.f64(M @ ops.work(log1mp)) if M is not None else ops.sum(log1mp, 0)[None, :])
    L = L + logw[None, :]
    W, lse = ops.normalise_log(L)
    return W, ops.item(ops.sum(lse))


def em_step(ops: Any, Y, M, params: dict, spec: BinarySpec, theta, logw, y_sum, *, n_inner=1):
    """One EM step: the new parameters, and the marginal log-likelihood and weights at ``params``.

    Without a lower asymptote the step needs two passes over ``Y`` whatever the number of nodes:
    the E-step's ``Y @ a`` (``Y @ d`` is the same at every node, so it enters only the
    log-likelihood, as ``y_sum @ d`` with the item totals ``y_sum``) and the M-step's
    ``Y.T @ EAP`` (the expected correct responses weighted by the node: their plain sum over the
    nodes is ``y_sum``). ``sigmoid(z)`` for the first Fisher step is ``exp(z + log(1 - P))`` from
    the E-step. Nodes with no posterior mass are left out of the M-step (:func:`live_nodes`).
    The M-step takes ``n_inner`` Fisher-scoring steps (one is enough: the fixed point of EM is
    where the score vanishes, whatever the number of inner steps).
    """
    a, d = params["a"], params["d"]
    c = ops.sigmoid(params["g"]) if "g" in params else params.get("c_fixed")
    if c is not None:
        W, ll = e_step(ops, Y, M, a, d, c, theta, logw)
        r, n = counts(ops, Y, M, W)
        live = live_nodes(ops, n)
        r, n, theta = r[:, live], n[:, live], theta[live]
        return m_step(ops, r, n, params, spec, theta, n_inner=n_inner), ll, W
    z = _logits(ops, a, d, theta)
    log1mp = ops.log_sigmoid(-z)
    ya = ops.f64(ops.mv(Y, a))
    L = ya[:, None] * theta[None, :] + logw[None, :]
    L = L + (ops.f64(M @ ops.work(log1mp)) if M is not None else ops.sum(log1mp, 0)[None, :])
    W, lse = ops.normalise_log(L)
    ll = ops.item(ops.sum(lse)) + ops.item(ops.sum(y_sum * d))
    r = (y_sum, ops.f64(ops.tmv(Y, ops.mv(W, theta))))
    mass = ops.sum(W, 0)[None, :]  # bounds every item's expected count at each node
    live = live_nodes(ops, mass)
    n = ops.f64(M.T @ ops.work(W[:, live])) if M is not None else mass[:, live]
    theta, z, log1mp = theta[live], z[:, live], log1mp[:, live]
    s = ops.exp(z + log1mp)
    return m_step(ops, r, n, params, spec, theta, s=s, n_inner=n_inner), ll, W


def live_nodes(ops: Any, n) -> slice:
    """The range of nodes outside which no item's expected count reaches 1e-10 of the persons.

    The tails of a 41-node grid carry no posterior mass (persons lie within about +-4); leaving
    them out of the M-step changes the score by less than 1e-10 of a response and halves its work.
    """
    mass = ops.to_numpy(n).max(0)
    live = np.flatnonzero(mass > 1e-10 * max(float(mass.sum()), 1.0))
    return slice(int(live[0]), int(live[-1]) + 1) if live.size else slice(None)


def counts(ops: Any, Y, M, W):
    """Expected correct ``r`` and expected responses ``n`` per item and node, (n_items, n_nodes).

    (:func:`em_step` needs only two moments of ``r`` without an asymptote and computes them itself.)
    """
    n = ops.f64(M.T @ ops.work(W)) if M is not None else ops.sum(W, 0)[None, :]
    return ops.f64(Y.T @ ops.work(W)), n


def score_info(ops: Any, r, n, a, d, g, theta, cols: tuple[str, ...], *, s=None):
    """Expected complete-data score (n_items, k) and information (n_items, k, k) of ``cols``.

    ``g`` is logit(c) per item, or None when there is no lower asymptote. With no asymptote the
    logistic link is canonical and the information is the observed one. ``s`` is
    ``sigmoid(a theta + d)`` when the caller has it already.
    """
    if s is None:
        s = ops.sigmoid(_logits(ops, a, d, theta))
    if g is None:
        r0, r1 = r if isinstance(r, tuple) else (ops.sum(r, 1), ops.mv(r, theta))
        ns = n * s
        w = ns - ns * s
        sums = {"d": r0 - ops.sum(ns, 1), "a": r1 - ops.mv(ns, theta)}
        wt = ops.mv(w, theta)
        infos = {
            ("d", "d"): ops.sum(w, 1),
            ("a", "d"): wt,
            ("a", "a"): ops.mv(w, theta * theta),
        }
        infos[("d", "a")] = infos[("a", "d")]
        score = ops.stack([sums[k] for k in cols], -1)
        info = ops.stack([ops.stack([infos[(k, m)] for m in cols], -1) for k in cols], -2)
        return score, info
    c = ops.sigmoid(g)[:, None]
    p = c + (1.0 - c) * s
    v = ops.maximum(p * (1.0 - p), _EPS)
    base = (1.0 - c) * s * (1.0 - s)
    J = {"a": base * theta[None, :], "d": base, "g": c * (1.0 - c) * (1.0 - s)}
    resid = (r - n * p) / v
    score = [ops.sum(resid * J[k], 1) for k in cols]
    info = [[ops.sum(n / v * J[k] * J[m], 1) for m in cols] for k in cols]
    return ops.stack(score, -1), ops.stack([ops.stack(row, -1) for row in info], -2)


def prior_terms(ops: Any, params: dict, cols: tuple[str, ...], prior: Prior | None, n_items: int):
    """Gradient (n_items, k) and negative Hessian (diagonal, (n_items, k)) of the log prior."""
    zeros = ops.zeros((n_items,))
    if prior is None:
        return ops.stack([zeros for _ in cols], -1), ops.stack([zeros for _ in cols], -1)
    grad, prec = [], []
    for k in cols:
        if k == "a":
            grad.append(-(params["a"] - prior.a_mean) / prior.a_sd**2)
            prec.append(zeros + 1.0 / prior.a_sd**2)
        elif k == "d":
            grad.append(-params["d"] / prior.d_sd**2)
            prec.append(zeros + 1.0 / prior.d_sd**2)
        else:
            grad.append(-(params["g"] - prior.g_mean) / prior.g_sd**2)
            prec.append(zeros + 1.0 / prior.g_sd**2)
    return ops.stack(grad, -1), ops.stack(prec, -1)


def full_score(ops: Any, r, n, params: dict, spec: BinarySpec, theta, *, s=None):
    """Score and information of every free parameter (per item, plus the common slope when there is one)."""
    cols = spec.cols
    g = params.get("g")
    common = None
    if spec.slope == "common":  # the slope's terms come from the same pass as the intercepts'
        both = ("a",) + cols
        score, info = score_info(ops, r, n, params["a"], params["d"], g, theta, both, s=s)
        common = (ops.sum(score[:, 0]), ops.sum(info[:, 0, 0]))
        score, info = score[:, 1:], info[:, 1:, 1:]
    else:
        score, info = score_info(ops, r, n, params["a"], params["d"], g, theta, cols, s=s)
    pg, pp = prior_terms(ops, params, cols, spec.prior, score.shape[0])
    score = score + pg
    for j in range(len(cols)):
        info[:, j, j] = info[:, j, j] + pp[:, j]
    return score, info, common


def m_step(
    ops: Any,
    r,
    n,
    params: dict,
    spec: BinarySpec,
    theta,
    *,
    n_inner: int = 2,
    max_step: float = 1.0,
    s=None,
):
    """Fisher-scoring steps on every item at once (no loop over items); returns new parameters.

    ``s``: ``sigmoid(a theta + d)`` at ``params``, when the caller has it (the E-step does).
    """
    cols = spec.cols
    params = dict(params)
    for it in range(n_inner):
        score, info, common = full_score(ops, r, n, params, spec, theta, s=s if it == 0 else None)
        step = ops.solve(info, score)
        big = ops.max_abs(step)
        scale = 1.0 if big <= max_step else max_step / big
        for j, k in enumerate(cols):
            params[k] = params[k] + scale * step[:, j]
        if common is not None:
            sa, ia = common
            prior = spec.prior
            if prior is not None:
                a0 = ops.item(params["a"][0])
                sa = sa - (a0 - prior.a_mean) / prior.a_sd**2
                ia = ia + 1.0 / prior.a_sd**2
            delta = max(-max_step, min(max_step, ops.item(sa) / max(ops.item(ia), _EPS)))
            params["a"] = params["a"] + delta
    return params


def louis_information(ops: Any, Y, M, W, params: dict, spec: BinarySpec, theta, *, Y2=None):
    """Per-item blocks of the observed information of the marginal likelihood (Louis 1982).

    ``I_i = sum_q n_iq J J' / v  -  sum_p Var_post(s_pi)``: the complete-data information minus the
    missing information, where ``s_pi`` is person p's complete-data score for item i. Cross-item
    blocks are left out (block-diagonal approximation). Returns (n_items, k, k) for ``spec.cols``
    (plus the slope when it is common, as column 0).
    """
    cols = ("a",) + spec.cols if spec.slope == "common" else spec.cols
    a, d, g = params["a"], params["d"], params.get("g")
    r, n = counts(ops, Y, M, W)
    z = _logits(ops, a, d, theta)
    s = ops.sigmoid(z)
    if g is None:
        p = s
        v = ops.maximum(s * (1.0 - s), _EPS)
        J = {"a": v * theta[None, :], "d": v}
    else:
        c = ops.sigmoid(g)[:, None]
        p = c + (1.0 - c) * s
        v = ops.maximum(p * (1.0 - p), _EPS)
        base = (1.0 - c) * s * (1.0 - s)
        J = {"a": base * theta[None, :], "d": base, "g": c * (1.0 - c) * (1.0 - s)}
    h = {k: J[k] / v for k in cols}
    r2 = r if Y2 is None else Y2.T @ W
    sq = r2 - 2.0 * p * r + p * p * n  # sum_p W m (y - P)^2
    Ex = {}
    for k in cols:
        A = W @ h[k].T
        B = W @ (p * h[k]).T
        Ex[k] = Y * A - (M * B if M is not None else B)
    rows = []
    for k in cols:
        row = []
        for m in cols:
            complete = ops.sum(n / v * J[k] * J[m], 1)
            var = ops.sum(sq * h[k] * h[m], 1) - ops.sum(Ex[k] * Ex[m], 0)
            row.append(complete - var)
        rows.append(ops.stack(row, -1))
    return ops.stack(rows, -2)


def person_loglik(ops: Any, Y, M, a, d, c, theta_p, *, yad=None):
    """Log-likelihood of each person at a person-specific ability; ``theta_p`` shape (n_persons,).

    Without an asymptote ``sum_i y z`` is linear in theta (``yad = (Y @ a, Y @ d)``, which the
    caller may pass when it evaluates several abilities) and the rest is one softplus pass.
    """
    z = theta_p[:, None] * a[None, :] + d[None, :]
    if c is None:
        ya, yd = (ops.mv(Y, a), ops.mv(Y, d)) if yad is None else yad
        return theta_p * ya + yd - ops.softplus_rowsum(z, M)
    s = ops.sigmoid(z)
    p = ops.clip(c[None, :] + (1.0 - c[None, :]) * s, _EPS, 1.0 - _EPS)
    ll = Y * ops.log(p) + ops.log(1.0 - p) - Y * ops.log(1.0 - p)
    if M is not None:
        ll = ll * M
    return ops.sum(ll, 1)


def person_newton(
    ops: Any,
    Y,
    M,
    a,
    d,
    c,
    theta0,
    *,
    prior_sd: float | None,
    n_iter: int = 30,
    tol: float = 1e-6,
    bound: float = 8.0,
):
    """MAP (or ML when ``prior_sd`` is None) abilities of all persons at once by Fisher scoring.

    Returns the estimates and the information at them (likelihood plus prior precision). Stops
    when no estimate moves by ``tol`` (an estimate held at ``bound`` does not move).
    """
    theta = theta0
    prec = 0.0 if prior_sd is None else 1.0 / prior_sd**2
    info = None
    ya = ops.mv(Y, a) if c is None else None
    for _ in range(n_iter):
        z = theta[:, None] * a[None, :] + d[None, :]
        if c is None:  # grad = Y @ a - (M P) @ a, info = (M P (1 - P)) @ a^2, P in place of z
            s = ops.sigmoid_(z)
            if M is not None:
                s = s * M
            grad = ya - ops.mv(s, a)
            w = 1.0 - s if M is None else M - s
            w *= s
            info = ops.mv(w, a * a)
        else:
            s = ops.sigmoid(z)
            p = ops.clip(c[None, :] + (1.0 - c[None, :]) * s, _EPS, 1.0 - _EPS)
            v = p * (1.0 - p)
            jt = (1.0 - c[None, :]) * s * (1.0 - s) * a[None, :]
            obs = M if M is not None else 1.0
            grad = ops.sum((Y - obs * p) * jt / v, 1)
            info = ops.sum(obs * jt * jt / v, 1)
        grad = grad - prec * theta
        info = info + prec
        step = ops.clip(grad / ops.maximum(info, _EPS), -1.0, 1.0)
        new = ops.clip(theta + step, -bound, bound)
        moved = ops.max_abs(new - theta)
        theta = new
        if moved < tol:
            break
    return theta, info
