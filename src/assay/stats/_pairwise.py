"""Every pair of models on the same items at once, with multiple-testing adjustment."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import Result
from assay._core._validation import check_choice, check_confidence_level
from assay.stats._clustered import _cr2_pairs, _warn_effective_clusters
from assay.stats._means import bounded_interval
from assay.stats._models import _Models, _models_iv
from assay.stats._multiple import ADJUST_METHODS, adjust_pvalues

__all__ = ["PairwiseResult", "better_matrix", "pairwise"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairwiseResult(Result):
    """Paired comparisons of every pair of models, with multiple-testing adjustment.

    Pairs are listed for ``i < j`` in the order of ``models``; each row compares
    ``model_b = models[j]`` against ``model_a = models[i]`` (estimate ``b - a``).

    Attributes
    ----------
    models : tuple of str
    model_a, model_b : tuple of str, one per pair
    estimate, ci_low, ci_high, se : ndarray, one per pair
        Mean difference ``b - a`` with its unadjusted paired interval (CR2 with clusters). For
        scores in [0, 1] the interval is :func:`bounded_interval` on [-1, 1], so it never leaves
        the range a difference can take; otherwise t.
    pvalue : ndarray
        McNemar exact (binary, unclustered) or paired t (clustered: CR2 Wald t with Imbens-Kolesar
        df per pair, as :func:`compare`).
    pvalue_adjusted : ndarray
    reject : ndarray of bool
        ``pvalue_adjusted <= alpha``.
    n_a_only, n_b_only : ndarray of int or None
        Discordant counts (binary scores).
    test : str
    adjust : str
    alpha : float
    confidence_level : float
    n : int
        Items.
    n_clusters : int or None
    """

    models: tuple[str, ...]
    model_a: tuple[str, ...]
    model_b: tuple[str, ...]
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray
    pvalue: np.ndarray
    pvalue_adjusted: np.ndarray
    reject: np.ndarray
    n_a_only: np.ndarray | None
    n_b_only: np.ndarray | None
    test: str
    adjust: str
    alpha: float
    confidence_level: float
    n: int
    n_clusters: int | None


def _pair_se(p: _Models, stacklevel: int | None = None) -> tuple[np.ndarray, np.ndarray | float]:
    """(m, m) SE of mean differences and their df: paired (n - 1 df, by the Gram matrix of
    centred scores), or over clusters CR2 with Imbens-Kolesar df per pair
    (:func:`~assay.stats._clustered._cr2_pairs`, the computation ``compare`` makes for one pair).
    With ``stacklevel``, warn when the fewest effective clusters of a pair is below 10."""
    x = p.x
    n = x.shape[1]
    if p.codes is None:
        xc = x - x.mean(axis=1, keepdims=True)
        gram = xc @ xc.T / (n - 1)
        d = np.diag(gram)
        var = (d[:, None] + d[None, :] - 2.0 * gram) / n
        return np.sqrt(np.clip(var, 0.0, None)), float(n - 1)
    cr2 = _cr2_pairs(x, p.codes)
    m = x.shape[0]
    if stacklevel is not None and m > 1:
        off = ~np.eye(m, dtype=bool)
        k = int(np.argmin(np.where(off, cr2.effective_clusters, np.inf)))
        icc = float(cr2.icc.flat[k])
        _warn_effective_clusters(
            int(p.codes.max()) + 1, float(cr2.effective_clusters.flat[k]),
            max(icc, 0.0) if math.isfinite(icc) else 0.0, stacklevel + 1,
            " of the pair's differences",
        )  # fmt: skip
    return cr2.se, cr2.df


def _pair_mcnemar(x: np.ndarray, iu) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact McNemar p-values for all pairs, from A (1 - B)^T counts."""
    xf = x.astype(np.float32)
    right_wrong = xf @ (1.0 - xf).T  # [i, j]: i right, j wrong
    a_only = np.rint(right_wrong[iu]).astype(np.int64)
    b_only = np.rint(right_wrong.T[iu]).astype(np.int64)
    total = a_only + b_only
    with np.errstate(invalid="ignore"):
        pv = np.minimum(1.0, 2.0 * sps.binom.cdf(np.minimum(a_only, b_only), total, 0.5))
    return np.where(total == 0, 1.0, pv), a_only, b_only


def pairwise(
    scores: Any,
    *,
    models: Any = None,
    clusters: Any = None,
    cluster_by: str | None = None,
    adjust: str = "holm",
    alpha: float = 0.05,
    confidence_level: float = 0.95,
) -> PairwiseResult:
    """Compare every pair of models on the same items, with Holm (or another) adjustment.

    Parameters
    ----------
    scores : ScoreMatrix or array_like of shape (n_models, n_items[, n_samples])
    models, clusters, cluster_by
        As in :func:`rank_intervals`.
    adjust : {'holm', 'hochberg', 'bh', 'by', 'bonferroni', 'none'}, default 'holm'
    alpha : float, default 0.05
    confidence_level : float, default 0.95
        Level of the (unadjusted) interval of each difference.

    Returns
    -------
    PairwiseResult

    Notes
    -----
    Vectorised: the discordant counts of all pairs are one matrix product
    :math:`A(1 - A)^T`, and the paired variances come from the Gram matrix of centred scores
    (of centred cluster sums with clusters: CR2 with Imbens-Kolesar df for each pair, the
    computation :func:`compare` makes). Binary scores without clusters use McNemar's exact
    test (as :func:`compare`); other scores and clustered data the paired t-test. With clusters a
    warning is given when a pair's differences are worth fewer than 10 equal clusters.

    Examples
    --------
    >>> from assay.stats import pairwise
    >>> res = pairwise([[1, 1, 1, 1, 0, 1], [0, 0, 0, 0, 0, 1], [1, 1, 1, 0, 0, 1]], models=["x", "y", "z"])
    >>> res.model_a, res.model_b, res.n_b_only.tolist()
    (('x', 'x', 'y'), ('y', 'z', 'z'), [0, 0, 3])
    """
    level = check_confidence_level(confidence_level)
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    p = _models_iv(scores, models, clusters, cluster_by)
    return _compute_pairwise(p, adjust=adjust, alpha=alpha, level=level, stacklevel=2)


def _compute_pairwise(
    p: _Models, *, adjust: str, alpha: float, level: float, stacklevel: int | None = None
) -> PairwiseResult:
    """All pairs of ``p`` (trusted input): estimates, in-range intervals, tests, one adjustment."""
    m = len(p.names)
    iu = np.triu_indices(m, 1)
    mu = p.x.mean(axis=1)
    est = (mu[None, :] - mu[:, None])[iu]  # b - a with a = row i, b = column j
    se_full, df_full = _pair_se(p, None if stacklevel is None else stacklevel + 1)
    se = se_full[iu]
    df = df_full if np.ndim(df_full) == 0 else df_full[iu]
    n_units = p.x.shape[1] if p.codes is None else int(p.codes.max()) + 1
    if p.bounded:  # differences of scores in [0, 1] lie in [-1, 1]; so does the interval
        lo, hi = bounded_interval(
            est, se, n_units, lower=-1.0, upper=1.0, df=df, confidence_level=level
        )
    else:
        half = sps.t.ppf(0.5 + level / 2.0, df) * se
        lo, hi = est - half, est + half
    if p.binary and p.codes is None:
        pv, a_only, b_only = _pair_mcnemar(p.x, iu)
        test = "mcnemar-exact"
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(se > 0, est / np.where(se > 0, se, 1.0), 0.0)
        pv = np.minimum(1.0, 2.0 * sps.t.sf(np.abs(t), df))
        a_only = b_only = None
        test = "paired-t" if p.codes is None else "paired-cr2"
    if pv.size:
        adj = adjust_pvalues(pv, method=adjust, alpha=alpha)
        p_adj, reject, alpha = adj.pvalues_adjusted, adj.reject, adj.alpha
    else:  # one model: no pair to test
        p_adj, reject = pv.copy(), np.zeros(0, dtype=bool)
    return PairwiseResult(
        models=p.names, model_a=tuple(p.names[i] for i in iu[0]),
        model_b=tuple(p.names[j] for j in iu[1]), estimate=est, ci_low=np.asarray(lo),
        ci_high=np.asarray(hi), se=se, pvalue=pv, pvalue_adjusted=p_adj,
        reject=reject, n_a_only=a_only, n_b_only=b_only, test=test, adjust=adjust,
        alpha=alpha, confidence_level=level, n=int(p.x.shape[1]),
        n_clusters=None if p.codes is None else int(p.codes.max()) + 1,
    )  # fmt: skip


def better_matrix(res: PairwiseResult) -> np.ndarray:
    """``better[i, j]``: model j is significantly better than model i (adjusted tests of ``res``).

    The one relation from which tie groups, rank intervals, verdicts and heat-map marks are read.
    """
    index = {name: k for k, name in enumerate(res.models)}
    m = len(res.models)
    better = np.zeros((m, m), dtype=bool)
    for a, b, est, rej in zip(res.model_a, res.model_b, res.estimate, res.reject, strict=True):
        if rej and est > 0:
            better[index[a], index[b]] = True
        elif rej and est < 0:
            better[index[b], index[a]] = True
    return better
