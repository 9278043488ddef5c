"""Rank agreement of two metrics over the same models: Kendall tau-b and Spearman, with
bootstrap intervals over models. Does a cheap proxy rank models like the expensive benchmark?"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_array,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._results import EstimateResult

__all__ = ["CorrelationResult", "RankAgreementResult", "rank_agreement"]

_CHUNK_CELLS = 8 * 2**20  # resamples x models^2 cells per chunk of the Kendall computation


@dataclasses.dataclass(frozen=True, kw_only=True)
class CorrelationResult(EstimateResult):
    """A rank correlation with its bootstrap interval and its test of no association.

    Attributes
    ----------
    pvalue : float
        Two-sided p-value of no association (scipy's ``kendalltau`` / ``spearmanr``).
    n_degenerate : int
        Bootstrap resamples where the correlation was undefined (a constant metric), left out.
    """

    pvalue: float
    n_degenerate: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class RankAgreementResult(Result):
    """Kendall tau-b and Spearman correlation of two metrics over the same models.

    Attributes
    ----------
    kendall_tau, spearman_rho : CorrelationResult
    n : int
        Models.
    """

    kendall_tau: CorrelationResult
    spearman_rho: CorrelationResult
    n: int


def _kendall_b(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kendall tau-b of each row pair of ``a``, ``b`` (shape (r, m)); NaN when undefined."""
    r, m = a.shape
    step = max(1, _CHUNK_CELLS // max(m * m, 1))
    out = np.empty(r)
    for s in range(0, r, step):
        sa = np.sign(a[s : s + step, :, None] - a[s : s + step, None, :])
        sb = np.sign(b[s : s + step, :, None] - b[s : s + step, None, :])
        num = (sa * sb).sum(axis=(1, 2))
        den = np.sqrt(np.abs(sa).sum(axis=(1, 2)) * np.abs(sb).sum(axis=(1, 2)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s : s + step] = np.where(den > 0, num / den, np.nan)
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation (Pearson of average ranks) of each row pair; NaN when undefined."""
    ra = stats.rankdata(a, axis=1)
    rb = stats.rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=1) / den, np.nan)


def _interval(name, estimate, dist, pvalue, n, confidence_level):
    finite = dist[np.isfinite(dist)]
    alpha = (1.0 - confidence_level) / 2.0
    if finite.size >= 2:
        lo, hi = np.percentile(finite, [100 * alpha, 100 * (1 - alpha)])
        se = float(finite.std(ddof=1))
    else:
        lo = hi = se = math.nan
    return CorrelationResult(
        estimate=float(estimate), ci_low=float(lo), ci_high=float(hi),
        confidence_level=confidence_level, method=f"{name}-bootstrap-percentile", n=n, se=se,
        pvalue=float(pvalue), n_degenerate=int(dist.size - finite.size),
    )  # fmt: skip


def rank_agreement(
    metric_a: Any,
    metric_b: Any,
    *,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    rng: Any = None,
) -> RankAgreementResult:
    """How well two metrics rank the same models alike: Kendall tau-b and Spearman, with CIs.

    Parameters
    ----------
    metric_a, metric_b : array_like, shape (n_models,)
        The two metrics' scores of the same models, in the same order.
    n_resamples : int, default 2000
        Bootstrap resamples of models.
    confidence_level : float, default 0.95
        Coverage of the percentile intervals.
    rng : numpy.random.Generator, int or None
        Seed or generator.

    Returns
    -------
    RankAgreementResult

    Warns
    -----
    DegenerateDataWarning
        With fewer than 10 models (the bootstrap over models is rough) and when one metric
        is constant.

    Notes
    -----
    Kendall :math:`\\tau_b = \\sum_{i<j} \\mathrm{sgn}(a_i - a_j)\\mathrm{sgn}(b_i - b_j) /
    \\sqrt{(n_0 - n_1)(n_0 - n_2)}` with :math:`n_0 = m(m-1)/2` and :math:`n_1, n_2` the tied
    pairs (Kendall 1945); Spearman's :math:`\\rho` is the Pearson correlation of average ranks.
    Resampling models with replacement creates ties, which tau-b and average ranks handle. The
    intervals are percentile intervals of the bootstrap distribution over models (the models
    are taken as a sample from a population of models); the p-values are scipy's.

    References
    ----------
    .. [1] M. G. Kendall, "The treatment of ties in ranking problems", *Biometrika* 33(3),
       239-251, 1945.
    .. [2] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 6.

    Examples
    --------
    >>> from assay.stats._rank_agreement import rank_agreement
    >>> res = rank_agreement([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 1, 3, 4, 6, 5, 7, 8, 9, 10],
    ...                      n_resamples=500, rng=0)
    >>> round(res.kendall_tau.estimate, 4), round(res.spearman_rho.estimate, 4)
    (0.9111, 0.9758)
    """
    confidence_level = check_confidence_level(confidence_level)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    rng = check_rng(rng)
    a = check_array(metric_a, "metric_a", ndim=1)
    b = check_array(metric_b, "metric_b", ndim=1)
    if a.size != b.size:
        raise InputError(
            f"`metric_a` and `metric_b` must score the same models; got {a.size} and {b.size}."
        )
    m = a.size
    if m < 3:
        raise InputError(f"`metric_a` needs at least 3 models for a rank correlation; got {m}.")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        warnings.warn("A metric is constant over the models: rank correlations are undefined.",
                      DegenerateDataWarning, stacklevel=2)  # fmt: skip
    elif m < 10:
        warnings.warn(f"Only {m} models: the bootstrap interval over models is rough.",
                      DegenerateDataWarning, stacklevel=2)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on constant input; we warned above
        kt = stats.kendalltau(a, b)
        sp = stats.spearmanr(a, b)
    idx = rng.integers(0, m, size=(n_resamples, m))
    ra, rb = a[idx], b[idx]
    return RankAgreementResult(
        kendall_tau=_interval("kendall-tau-b", _kendall_b(a[None], b[None])[0], _kendall_b(ra, rb), kt.pvalue, m,
                              confidence_level),
        spearman_rho=_interval("spearman", _spearman(a[None], b[None])[0], _spearman(ra, rb), sp.pvalue, m,
                               confidence_level),
        n=m,
    )  # fmt: skip
