"""Result dataclasses of :mod:`assay.irt`."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy import special

from assay._core import Result, to_builtin

__all__ = ["AbilityResult", "IRTFit"]


def per_model_rows(result: Any) -> list[dict[str, Any]]:
    """One JSON-safe dict per model from a result with per-model estimate/se/ci/n arrays."""
    return [
        {
            "model": m,
            "estimate": float(e),
            "se": float(s),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "n": int(k),
        }
        for m, e, s, lo, hi, k in zip(
            result.models, result.estimate, result.se, result.ci_low, result.ci_high, result.n
        )
    ]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AbilityResult(Result):
    """Abilities of several models with standard errors and intervals.

    Attributes
    ----------
    models : tuple of str
        One name per row.
    estimate, se, ci_low, ci_high : ndarray of shape (n_models,)
        Ability (on the fit's N(0, 1) scale), its standard error and the interval
        ``estimate -/+ z * se`` at ``confidence_level``.
    confidence_level : float
    method : str
        'eap' (posterior mean and SD, adaptive Gauss-Hermite), 'map' (posterior mode, SE from the
        information plus prior precision) or 'ml' (no prior).
    n : ndarray of int, shape (n_models,)
        Items each model answered.
    """

    models: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    confidence_level: float
    method: str
    n: np.ndarray

    def rows(self) -> list[dict[str, Any]]:
        """One dict per model (JSON-safe)."""
        return per_model_rows(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class IRTFit(Result):
    """A fitted item response model.

    Identification: abilities ~ N(0, 1); ``P = c + (1 - c) * sigmoid(a * (theta - b))``, so a larger
    difficulty ``b`` means a harder item and a well-behaved item has a positive discrimination
    ``a``. For the graded response model ``difficulty`` has one column per threshold.

    Attributes
    ----------
    model : {'1pl', '2pl', '3pl', 'continuous', 'grm'}
    method : {'mml', 'jml'}
    backend : {'numpy', 'torch'}
    items, models : tuple of str
    discrimination : ndarray (n_items,)
    difficulty : ndarray (n_items,) or (n_items, n_categories - 1)
    intercept : ndarray, same shape as ``difficulty``: ``d = -a * b``
    guessing : ndarray (n_items,)
        Lower asymptote ``c`` (0 unless 3PL).
    discrimination_se, difficulty_se, guessing_se : ndarray
        Standard errors (NaN where not computed; see ``se_method``).
    ability : AbilityResult
        Each model's ability.
    loglik : float
        Marginal log-likelihood at the estimates (without the prior).
    aic, bic : float
        ``-2 loglik + 2 k`` and ``-2 loglik + k log(n_models)``.
    n_params : int
        ``k``, the free item parameters.
    n_responses : int
        Observed responses used (missing ones are left out of the likelihood).
    n_categories : int
        2 for binary and continuous models, K for the graded model.
    converged : bool
    n_iter : int
    n_quad : int
    prior : dict or None
        The item priors used (None: pure maximum likelihood).
    se_method : str
        How the item standard errors were computed.
    """

    _array_fields = (
        "discrimination",
        "difficulty",
        "intercept",
        "guessing",
        "discrimination_se",
        "difficulty_se",
        "guessing_se",
    )

    model: str
    method: str
    backend: str
    items: tuple[str, ...]
    models: tuple[str, ...]
    discrimination: np.ndarray
    difficulty: np.ndarray
    intercept: np.ndarray
    guessing: np.ndarray
    discrimination_se: np.ndarray
    difficulty_se: np.ndarray
    guessing_se: np.ndarray
    ability: AbilityResult
    loglik: float
    aic: float
    bic: float
    n_params: int
    n_responses: int
    n_categories: int
    converged: bool
    n_iter: int
    n_quad: int
    prior: dict[str, float] | None
    se_method: str

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_models(self) -> int:
        return len(self.models)

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        out = super().to_dict(arrays=arrays)
        out["n_items"] = self.n_items
        out["n_models"] = self.n_models
        return out

    def item_rows(self) -> list[dict[str, Any]]:
        """One dict per item: parameters and standard errors (JSON-safe)."""
        rows = []
        for i, item in enumerate(self.items):
            row = {
                "item": item,
                "discrimination": self.discrimination[i],
                "discrimination_se": self.discrimination_se[i],
                "difficulty": self.difficulty[i],
                "difficulty_se": self.difficulty_se[i],
            }
            if self.model == "3pl":
                row.update(guessing=self.guessing[i], guessing_se=self.guessing_se[i])
            rows.append(to_builtin(row))
        return rows

    def probability(self, theta: Any) -> np.ndarray:
        """Expected score at each ability, shape (n_theta, n_items), in [0, 1].

        Binary models: P(correct). Graded model: expected category divided by ``K - 1``.
        """
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        if self.model == "grm":
            z = (
                self.discrimination[None, :, None] * theta[:, None, None]
                + self.intercept[None, :, :]
            )
            return special.expit(z).sum(2) / (self.n_categories - 1)
        z = self.discrimination[None, :] * theta[:, None] + self.intercept[None, :]
        c = self.guessing[None, :]
        return c + (1 - c) * special.expit(z)

    def information(self, theta: Any) -> np.ndarray:
        """Item information at each ability, shape (n_theta, n_items); sum over items for the test.

        Binary: ``a**2 * (P - c)**2 / (1 - c)**2 * (1 - P) / P`` (``a**2 P (1 - P)`` when c = 0).
        Graded: ``sum_k (dP_k / dtheta)**2 / P_k``.
        """
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        a = self.discrimination[None, :]
        if self.model == "grm":
            z = a[..., None] * theta[:, None, None] + self.intercept[None, :, :]
            s = special.expit(z)
            n_t, n_i, _ = s.shape
            ps = np.concatenate([np.ones((n_t, n_i, 1)), s, np.zeros((n_t, n_i, 1))], axis=2)
            psi = ps * (1 - ps)
            P = np.maximum(ps[..., :-1] - ps[..., 1:], 1e-300)
            dP = a[..., None] * (psi[..., :-1] - psi[..., 1:])
            return (dP * dP / P).sum(2)
        s = special.expit(a * theta[:, None] + self.intercept[None, :])
        c = self.guessing[None, :]
        p = c + (1 - c) * s
        return a * a * ((p - c) / (1 - c)) ** 2 * (1 - p) / np.maximum(p, 1e-300)
