"""Marginal maximum likelihood by EM over quadrature, and joint ML with a weak prior.

EM (Bock and Aitkin 1981): the E-step computes, for every person and quadrature node, the posterior
weight of the node from the log-likelihood of the person's responses (matrix products over all
items at once; for logistic items two passes over the responses per step, see
:func:`assay.irt._binary.em_step`); the M-step takes Fisher-scoring steps on every item at once
from the expected counts. Joint ML (for very large matrices) alternates Newton steps on all abilities and all items,
with N(0, 1) and the item priors acting as weak priors, and rescales to mean 0, SD 1 at the end.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay.irt import _binary as B

__all__ = ["EMOutput", "em_binary", "jml_binary", "marginal_gradient", "start_values"]


@dataclasses.dataclass
class EMOutput:
    params: dict
    loglik: float
    n_iter: int
    converged: bool
    W: Any


def start_values(Y: np.ndarray, M: np.ndarray | None, spec: B.BinarySpec) -> dict[str, np.ndarray]:
    """Starting values from item means and item-rest correlations (numpy, cheap)."""
    obs = np.ones_like(Y) if M is None else M
    n_obs = obs.sum(0)
    p = (Y.sum(0) + 0.5) / (n_obs + 1.0)
    person = (Y.sum(1) + 0.5) / (obs.sum(1) + 1.0)
    pc = person - person.mean()
    yc = (Y - p[None, :]) * obs
    cov = (yc * pc[:, None]).sum(0) / np.maximum(n_obs, 1)
    sd_y = np.sqrt(np.maximum((yc * yc).sum(0) / np.maximum(n_obs, 1), 1e-12))
    sd_p = max(float(pc.std()), 1e-6)
    r = np.clip(cov / (sd_y * sd_p), -0.9, 0.9)
    a = np.clip(1.7 * r / np.sqrt(1 - r * r), -1.0, 3.0)
    a[~np.isfinite(a)] = 1.0
    if spec.slope == "common":
        a[:] = float(np.clip(np.mean(a), 0.3, 3.0))
    elif spec.slope == "fixed":
        a[:] = spec.fixed_a
    c = np.zeros_like(p)
    if spec.guessing in ("free", "fixed"):
        c[:] = (
            spec.fixed_c
            if spec.guessing == "fixed"
            else 1.0 / (1.0 + np.exp(-(spec.prior or B.Prior()).g_mean))
        )
        q = np.clip((p - c) / (1 - c), 0.02, 0.98)
    else:
        q = np.clip(p, 0.005, 0.995)
    d = np.log(q / (1 - q)) * np.sqrt(1 + np.pi * a * a / 8)
    out = {"a": a, "d": d}
    if spec.guessing == "free":
        out["g"] = np.log(c / (1 - c))
    elif spec.guessing == "fixed":
        out["c_fixed"] = c
    return out


def _c_of(ops: Any, params: dict):
    if "g" in params:
        return ops.sigmoid(params["g"])
    return params.get("c_fixed")


def em_binary(
    ops: Any, Y, M, spec: B.BinarySpec, theta, logw, params: dict, *, max_iter: int, tol: float
) -> EMOutput:
    """Run EM, accelerated by SQUAREM, to convergence or ``max_iter`` EM steps.

    Each cycle takes two EM steps ``x1 = F(x0)``, ``x2 = F(x1)``, extrapolates
    ``x' = x0 - 2 alpha r + alpha^2 v`` (``r = x1 - x0``, ``v = x2 - 2 x1 + x0``,
    ``alpha = -|r| / |v|``, capped at -1) and takes one EM step from ``x'``; if that lowers the
    log-likelihood below the plain EM path it keeps ``x2`` (Varadhan and Roland 2008, scheme S3).
    Converged when an EM step moves no parameter by more than ``tol``.
    """
    keys = [k for k in ("a", "d", "g") if k in params]

    y_sum = ops.f64(ops.sum(Y, 0))

    def step(x: dict) -> tuple[dict, float, Any]:
        return B.em_step(ops, Y, M, x, spec, theta, logw, y_sum)

    def change(x: dict, y: dict) -> float:
        return max(ops.max_abs(x[k] - y[k]) for k in keys)

    converged, n_steps = False, 0
    x0 = params
    while n_steps < max_iter:
        x1, _, _ = step(x0)
        x2, ll1, _ = step(x1)
        n_steps += 2
        if change(x2, x1) < tol:
            x0, converged = x2, True
            break
        r = {k: x1[k] - x0[k] for k in keys}
        v = {k: x2[k] - x1[k] - r[k] for k in keys}
        nr = sum(ops.item(ops.sum(r[k] * r[k])) for k in keys) ** 0.5
        nv = sum(ops.item(ops.sum(v[k] * v[k])) for k in keys) ** 0.5
        alpha = min(-1.0, -nr / nv) if nv > 0 else -1.0
        xp = dict(x2)
        for k in keys:
            xp[k] = x0[k] - 2 * alpha * r[k] + alpha * alpha * v[k]
        x3, llp, _ = step(xp)
        n_steps += 1
        x0 = x3 if (llp == llp and llp >= ll1 - 1e-9 * abs(ll1)) else x2
    W, loglik = B.e_step(ops, Y, M, x0["a"], x0["d"], _c_of(ops, x0), theta, logw)
    return EMOutput(params=x0, loglik=loglik, n_iter=n_steps, converged=converged, W=W)


def marginal_gradient(ops: Any, Y, M, spec: B.BinarySpec, theta, logw, params: dict):
    """Gradient of the marginal log-likelihood (plus log prior) in every free parameter, flattened.

    By Fisher's identity it equals the expected complete-data score under the posterior at
    ``params``. Order: per-item columns ``spec.cols`` item by item, then the common slope.
    """
    W, _ = B.e_step(ops, Y, M, params["a"], params["d"], _c_of(ops, params), theta, logw)
    r, n = B.counts(ops, Y, M, W)
    score, _, common = B.full_score(ops, r, n, params, spec, theta)
    out = ops.to_numpy(score).reshape(-1)
    if common is not None:
        sa = ops.item(common[0])
        if spec.prior is not None:
            sa -= (ops.item(params["a"][0]) - spec.prior.a_mean) / spec.prior.a_sd**2
        out = np.append(out, sa)
    return out


def jml_binary(
    ops: Any,
    Y,
    M,
    spec: B.BinarySpec,
    params: dict,
    *,
    max_iter: int,
    tol: float,
    ability_sd: float = 1.0,
) -> tuple[dict, Any, int, bool]:
    """Joint ML with weak priors: alternate Newton steps on every ability and every item.

    Abilities get an N(0, ``ability_sd``**2) prior and items the spec's prior, which keeps perfect
    and zero scores finite. After convergence the scale is standardised to ability mean 0, SD 1
    (slopes and intercepts transformed to match), so the result reads like an MML fit.
    """
    n_p = Y.shape[0]
    theta = ops.zeros((n_p,))
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        c = _c_of(ops, params)
        theta_new, _ = B.person_newton(
            ops, Y, M, params["a"], params["d"], c, theta, prior_sd=ability_sd, n_iter=1
        )
        # item step: the persons act as quadrature nodes with one response each
        new = _item_step_persons(ops, Y, M, params, spec, theta_new)
        change = max(
            ops.max_abs(theta_new - theta),
            *(ops.max_abs(new[k] - params[k]) for k in ("a", "d", "g") if k in params),
        )
        theta, params = theta_new, new
        if change < tol:
            converged = True
            break
    mean = ops.sum(theta) / n_p
    sd = ops.sqrt(ops.sum((theta - mean) ** 2) / n_p)
    sd_f = max(ops.item(sd), 1e-8)
    mean_f = ops.item(mean)
    theta = (theta - mean_f) / sd_f
    params = dict(params)
    params["d"] = params["d"] + params["a"] * mean_f
    params["a"] = params["a"] * sd_f
    return params, theta, it, converged


def _item_step_persons(ops: Any, Y, M, params: dict, spec: B.BinarySpec, theta):
    """One Fisher-scoring step for every item, treating each person's ability as known.

    The same score/information as the EM M-step, with persons in place of nodes: responses and
    masks transposed act as the counts ``r`` and ``n``.
    """
    r = Y.T
    n = M.T if M is not None else 1.0
    return B.m_step(ops, r, n, params, spec, theta, n_inner=1)
