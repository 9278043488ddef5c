"""What the reference models say about each item: its parameters' posterior as weighted nodes.

An item bank fitted to a few dozen reference models knows each item's slope and intercept only
roughly: the 2PL of one item is a logistic regression on as many points as there are reference
models. An adaptive test that uses the point estimates picks the items whose slopes were
overestimated (they look the most informative) and reports an interval that is too narrow. The
Bayesian answer is to score a new model with each item's posterior-predictive curve,

    P_i(theta) = integral of c_i + (1 - c_i) sigmoid(a theta + d) p(a, d | references) da dd,

which is what the reference data support about that item. Given the reference models' abilities
(known to a few hundredths of a unit when they answered hundreds of items) the items' posteriors
are independent, so the answers of a new model factor into these curves, and selecting items by
their estimated information no longer biases the ability posterior (selection on observed data
is ignorable in a Bayesian analysis).

Each item's posterior ``p(a, d | references)`` (the fit's item prior times the Bernoulli
likelihood of the references' answers at their EAP abilities) is evaluated on a 13 x 13 grid
spanning +-6.8 standard deviations of its Laplace approximation at the fit's estimates, so a
skewed or long-tailed posterior (an item nearly every reference model solved) is represented
by the grid, not by the normal approximation.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from assay.irt._refit import prior_of
from assay.irt._results import IRTFit

__all__: list[str] = []

GRID_N = 13
_GRID_HALF = 4.0  # nodes at -4 .. 4 in units of the scaled Laplace SD
_GRID_SCALE = 1.7  # the Laplace SD is widened by this (posteriors are skewed and heavier-tailed)


def _laplace(fit: IRTFit, obs: np.ndarray, prior) -> np.ndarray:
    """Cholesky factors (n_items, 2, 2) of the Laplace covariance of (a, d) at the fit's estimates."""
    a_mean, a_sd, d_sd = prior
    th = fit.ability.estimate
    p = special.expit(fit.discrimination[:, None] * th[None, :] + fit.intercept[:, None])
    w = np.where(obs.T, p * (1 - p), 0.0)  # (items, models)
    iaa = (w * th**2).sum(1) + 1.0 / a_sd**2
    iad = (w * th).sum(1)
    idd = w.sum(1) + 1.0 / d_sd**2
    det = iaa * idd - iad**2
    cov = np.empty((iaa.size, 2, 2))
    cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 0], cov[:, 1, 1] = idd, -iad, -iad, iaa
    return np.linalg.cholesky(cov / det[:, None, None])


def item_posterior_nodes(
    fit: IRTFit, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``(a, d)`` and weights of every item's posterior, each of shape (n_items, 169).

    ``scores`` are the reference models' answers the fit was made from (n_models, n_items;
    NaN where missing); the item prior is the fit's (its weak default if it had none).
    """
    prior = prior_of(fit.prior if fit.prior is not None else "weak")
    a_mean, a_sd, d_sd = prior
    obs = ~np.isnan(scores)
    chol = _laplace(fit, obs, prior)
    x1 = np.linspace(-_GRID_HALF, _GRID_HALF, GRID_N) * _GRID_SCALE
    xa, xd = np.meshgrid(x1, x1, indexing="ij")
    z = np.stack([xa.ravel(), xd.ravel()])  # (2, S)
    pts = np.stack([fit.discrimination, fit.intercept], -1)[:, :, None] + chol @ z
    a, d = pts[:, 0], pts[:, 1]
    logw = -0.5 * ((a - a_mean) / a_sd) ** 2 - 0.5 * (d / d_sd) ** 2
    for j, t in enumerate(fit.ability.estimate):
        logw += reference_loglik(a, d, fit.guessing, scores[j], t)
    w = np.exp(logw - logw.max(1, keepdims=True))
    return a, d, w / w.sum(1, keepdims=True)


def reference_loglik(
    a: np.ndarray, d: np.ndarray, c: np.ndarray, y: np.ndarray, theta: float
) -> np.ndarray:
    """Log-likelihood of one reference model's answers ``y`` (n_items,; NaN: unanswered, 0) at
    ability ``theta``, at every item's parameter nodes ``a``, ``d`` (n_items, S)."""
    obs = ~np.isnan(y)
    yj = np.where(obs, y, 0.0)[:, None]
    z = a * theta + d
    if np.any(c):
        cc = c[:, None]
        p = np.clip(cc + (1 - cc) * special.expit(z), 1e-12, 1 - 1e-12)
        ll = yj * np.log(p) + (1 - yj) * np.log1p(-p)
    else:  # y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))
        ll = yj * z - np.logaddexp(0.0, z)
    return np.where(obs[:, None], ll, 0.0)
