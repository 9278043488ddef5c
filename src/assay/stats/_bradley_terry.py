"""Bradley-Terry strengths from pairwise preference records (arena votes, LLM-judge verdicts)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.sparse.csgraph import connected_components

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level

__all__ = ["BradleyTerryResult", "bradley_terry"]

_A_WINS = ("a", "model_a")
_B_WINS = ("b", "model_b")
_MAX_ITER = 100


@dataclasses.dataclass(frozen=True, kw_only=True)
class BradleyTerryResult(Result):
    """Bradley-Terry strengths on the log-odds scale, with Wald intervals.

    :math:`P(i \\text{ beats } j) = 1 / (1 + e^{-(\\theta_i - \\theta_j)})`.

    Attributes
    ----------
    models : tuple of str
        Sorted model names.
    estimate, ci_low, ci_high, se : ndarray of shape (n_models,)
        Strengths and their intervals, identified by ``identification``.
    confidence_level : float
    method : str
    n : int
        Records used.
    n_ties : int
        Records that were ties (each counts half a win for both models).
    identification : str
        ``"sum-zero"`` or ``"reference=<model>"`` (that model's strength is 0 with SE 0).
    covariance : ndarray of shape (n_models, n_models)
        Covariance of the strengths (inverse Fisher information).
    log_likelihood : float
    iterations : int
        Newton iterations to convergence.
    """

    _array_fields = ("covariance",)

    models: tuple[str, ...]
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray
    confidence_level: float
    method: str
    n: int
    n_ties: int
    identification: str
    covariance: np.ndarray
    log_likelihood: float
    iterations: int

    def win_probability(self, model_a: str, model_b: str) -> float:
        """The fitted probability that ``model_a`` beats ``model_b``."""
        i, j = self._index(model_a), self._index(model_b)
        return float(1.0 / (1.0 + math.exp(-(self.estimate[i] - self.estimate[j]))))

    def _index(self, model: str) -> int:
        try:
            return self.models.index(model)
        except ValueError:
            raise InputError(
                f"model {model!r} is not among the fitted models: {', '.join(self.models)}."
            ) from None


def _outcome(winner: np.ndarray) -> np.ndarray:
    """Score of model_a per record: 1 (a wins), 0 (b wins), 0.5 (tie)."""
    w = np.char.lower(np.asarray(winner, dtype=str))
    out = np.full(w.shape, np.nan)
    out[np.isin(w, _A_WINS)] = 1.0
    out[np.isin(w, _B_WINS)] = 0.0
    out[np.char.startswith(w, "tie")] = 0.5
    bad = np.isnan(out)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"`winner` must be 'a'/'model_a', 'b'/'model_b' or 'tie...'; record {k} is {winner[k]!r} "
            f"({int(bad.sum())} such record(s)).",
            record=k,
            field="winner",
        )
    return out


def _bt_iv(model_a, model_b, winner, reference, confidence_level):
    confidence_level = check_confidence_level(confidence_level)
    ma = np.asarray(model_a, dtype=object).ravel()
    mb = np.asarray(model_b, dtype=object).ravel()
    wi = np.asarray(winner, dtype=object).ravel()
    if not (ma.size == mb.size == wi.size):
        raise InputError(
            f"`model_a`, `model_b` and `winner` must have the same length; got {ma.size}, {mb.size}, {wi.size}."
        )
    if ma.size == 0:
        raise InputError("no records: `model_a`, `model_b` and `winner` are empty.")
    for name, arr in (("model_a", ma), ("model_b", mb)):
        if any(v is None for v in arr):
            raise InputError(f"`{name}` contains None; every record needs two model names.")
    ma, mb = ma.astype(str), mb.astype(str)
    same = np.flatnonzero(ma == mb)
    if same.size:
        raise InputError(
            f"{same.size} record(s) compare a model with itself, e.g. record {same[0]} ({ma[same[0]]!r}).",
            record=int(same[0]),
        )
    score = _outcome(wi)
    models, codes = np.unique(np.concatenate([ma, mb]), return_inverse=True)
    if models.size < 2:
        raise InputError("the records name fewer than 2 models.")
    if reference is not None and reference not in set(models.tolist()):
        raise InputError(f"`reference` {reference!r} is not among the models: {', '.join(models)}.")
    ia, ib = codes[: ma.size], codes[ma.size :]
    return tuple(models.tolist()), ia, ib, score, reference, confidence_level


def _check_identifiable(models, wins: np.ndarray, counts: np.ndarray) -> None:
    """The MLE exists iff the graph of 'i won (at least half) against j' is strongly connected."""
    n_comp, labels = connected_components(counts > 0, directed=False)
    if n_comp > 1:
        groups = [[m for m, lab in zip(models, labels) if lab == c] for c in range(n_comp)]
        raise InputError(
            "the models are not all linked by comparisons, so their strengths cannot be put on one "
            f"scale; separate groups: {'; '.join(', '.join(g) for g in groups)}."
        )
    n_comp, labels = connected_components(wins > 0, directed=True, connection="strong")
    if n_comp > 1:
        undefeated = [m for m, lost in zip(models, wins.sum(axis=0)) if lost == 0]
        winless = [m for m, won in zip(models, wins.sum(axis=1)) if won == 0]
        raise InputError(
            "the Bradley-Terry estimate is infinite: some models never lost (or never won) against "
            "the rest of the field"
            + (f"; never lost: {', '.join(undefeated)}" if undefeated else "")
            + (f"; never won: {', '.join(winless)}" if winless else "")
            + ". Add records (or ties) that link them."
        )


def _newton(wins: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Maximise the BT log-likelihood with model 0 fixed at 0. Returns theta, information, loglik."""
    m = wins.shape[0]
    theta = np.zeros(m)

    def loglik(th):
        diff = th[:, None] - th[None, :]
        return float(np.sum(wins * -np.logaddexp(0.0, -diff)))

    current = loglik(theta)
    iterations = 0
    for _ in range(_MAX_ITER):
        iterations += 1
        p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))
        grad = wins.sum(axis=1) - np.sum(counts * p, axis=1)
        w = counts * p * (1.0 - p)
        info = np.diag(w.sum(axis=1)) - w
        step = np.zeros(m)
        step[1:] = np.linalg.solve(info[1:, 1:], grad[1:])
        scale = 1.0
        while True:
            proposal = theta + scale * step
            new = loglik(proposal)
            if new >= current - 1e-12 or scale < 1e-8:
                break
            scale /= 2.0
        theta, current = proposal, new
        if np.max(np.abs(scale * step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))
    w = counts * p * (1.0 - p)
    info = np.diag(w.sum(axis=1)) - w
    return theta, info, current, iterations


def bradley_terry(
    model_a: Any,
    model_b: Any,
    winner: Any,
    *,
    reference: str | None = None,
    confidence_level: float = 0.95,
) -> BradleyTerryResult:
    """Fit Bradley-Terry strengths, with intervals, from pairwise preference records.

    Parameters
    ----------
    model_a, model_b : array_like of str, shape (n_records,)
        The two models of each record.
    winner : array_like of str, shape (n_records,)
        ``'a'`` or ``'model_a'``, ``'b'`` or ``'model_b'``, or a tie (any value starting with
        ``'tie'``, e.g. ``'tie (bothbad)'``); case-insensitive. A tie counts half a win for each.
    reference : str, optional
        Fix this model's strength at 0. Default: strengths sum to zero.
    confidence_level : float, default 0.95

    Returns
    -------
    BradleyTerryResult

    Raises
    ------
    InputError
        When the strengths are not identifiable: the models are not linked by comparisons, or
        some group of models never lost to the rest (the MLE is infinite).

    Notes
    -----
    Maximum likelihood by Newton's method on
    :math:`\\ell(\\theta) = \\sum_{i \\ne j} w_{ij} \\log \\sigma(\\theta_i - \\theta_j)`, where
    :math:`w_{ij}` counts wins of i over j (ties half). The information matrix is the weighted graph
    Laplacian :math:`L` with weights :math:`n_{ij} p_{ij}(1 - p_{ij})`; the sum-zero covariance is
    its pseudo-inverse and the reference covariance the inverse of ``L`` without the reference
    row and column. Intervals are Wald: :math:`\\hat\\theta \\pm z\\, \\mathrm{se}`. This is the logistic
    regression of the outcome on +1/-1 model indicators that Chatbot Arena fits.

    The MLE exists iff the directed graph "i beat j at least once" is strongly connected
    (Zermelo 1929; Ford 1957).

    References
    ----------
    Bradley & Terry (1952), Biometrika 39:324-345. Hunter (2004), Ann. Statist. 32:384-406.
    Chiang et al. (2024), Chatbot Arena, arXiv:2403.04132.

    Examples
    --------
    >>> from assay.stats import bradley_terry
    >>> res = bradley_terry(["x", "x", "y", "x"], ["y", "z", "z", "z"], ["a", "a", "a", "b"])
    >>> res.models, bool(res.estimate[0] > res.estimate[2])
    (('x', 'y', 'z'), True)
    """
    models, ia, ib, score, reference, level = _bt_iv(
        model_a, model_b, winner, reference, confidence_level
    )
    m = len(models)
    wins = np.zeros((m, m))
    np.add.at(wins, (ia, ib), score)
    np.add.at(wins, (ib, ia), 1.0 - score)
    counts = wins + wins.T
    _check_identifiable(models, wins, counts)
    theta, info, loglik, iterations = _newton(wins, counts)
    if reference is None:
        cov = np.linalg.pinv(info)
        theta = theta - theta.mean()
        ident = "sum-zero"
    else:
        r = models.index(reference)
        keep = np.arange(m) != r
        cov = np.zeros((m, m))
        cov[np.ix_(keep, keep)] = np.linalg.inv(info[np.ix_(keep, keep)])
        theta = theta - theta[r]
        ident = f"reference={reference}"
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    z = float(sps.norm.ppf(0.5 + level / 2.0))
    return BradleyTerryResult(
        models=models, estimate=theta, ci_low=theta - z * se, ci_high=theta + z * se, se=se,
        confidence_level=level, method="bradley-terry-mle-wald", n=int(score.size),
        n_ties=int(np.sum(score == 0.5)), identification=ident, covariance=cov,
        log_likelihood=loglik, iterations=iterations,
    )  # fmt: skip
