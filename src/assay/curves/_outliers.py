"""Outlier checkpoints: a point far off its neighbours, beyond both sampling and training noise."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats

from assay._core import Result
from assay._core._validation import check_choice, check_probability
from assay.curves._common import check_curve
from assay.stats._multiple import ADJUST_METHODS, adjust_pvalues

__all__ = ["OutlierResult", "outlier_checkpoints"]

#: 1 / Phi^{-1}(3/4): scales a median absolute deviation to a normal SD.
_MAD_SCALE = 1.482602218505602
_MIN_POINTS = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutlierResult(Result):
    """Checkpoints that depart from their neighbours.

    Attributes
    ----------
    steps : ndarray
    residual : ndarray
        Score minus the neighbours' reference on the same items (mean of the two neighbours
        inside, the line through the next two at the ends), over the square root of its variance
        factor (1.5 inside, 6 at the ends).
    modified_z : ndarray
        ``residual`` against the median and MAD of the residuals of the checkpoints not next to
        it (Iglewicz and Hoaglin's modified z-score).
    pvalue, pvalue_adjusted : ndarray
        Paired t-test over items of the departure, and its adjustment across checkpoints.
    flagged : ndarray of bool
    flagged_steps : tuple of float
    threshold : float
    alpha : float
    adjust : str
    method : str
    n : int
        Items.
    note : str
    """

    steps: np.ndarray
    residual: np.ndarray
    modified_z: np.ndarray
    pvalue: np.ndarray
    pvalue_adjusted: np.ndarray
    flagged: np.ndarray
    flagged_steps: tuple[float, ...]
    threshold: float
    alpha: float
    adjust: str
    method: str
    n: int
    note: str = ""


def _departures(y: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised departure and paired-t p-value of each active point from its neighbours.

    Interior points are compared with the mean of their two active neighbours, end points with
    the straight line through the next two (both unbiased for a locally linear curve); the
    departure is divided by the square root of its variance in units of one point's variance
    (1.5 inside, 6 at the ends) so the two kinds are on one scale.
    """
    idx = np.flatnonzero(active)
    resid = np.full(y.shape[0], np.nan)
    pval = np.full(y.shape[0], np.nan)
    last = idx.size - 1
    for pos, i in enumerate(idx):
        if 0 < pos < last:
            ref, factor = (y[idx[pos - 1]] + y[idx[pos + 1]]) / 2, 1.5
        else:
            near, far = (idx[1], idx[2]) if pos == 0 else (idx[last - 1], idx[last - 2])
            ref, factor = 2 * y[near] - y[far], 6.0
        d = y[i] - ref
        resid[i] = d.mean() / math.sqrt(factor)
        sd = d.std(ddof=1) if d.size > 1 else 0.0
        if sd > 0:
            pval[i] = 2 * stats.t.sf(abs(d.mean()) / (sd / math.sqrt(d.size)), d.size - 1)
        else:
            pval[i] = 1.0 if d.mean() == 0 else 0.0
    return resid, pval


def _robust_z(r: np.ndarray, value: float) -> float:
    """Modified z-score of ``value`` against the median and MAD of ``r``."""
    med = np.median(r)
    scale = _MAD_SCALE * np.median(np.abs(r - med))
    if scale == 0:
        scale = math.sqrt(math.pi / 2) * np.mean(np.abs(r - med))  # mean absolute deviation
    if scale == 0:
        return 0.0 if value == med else math.copysign(math.inf, value - med)
    return float((value - med) / scale)


def _modified_z(resid: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each active point's residual against the residuals of the points not next to it.

    Leaving out the point and its neighbours keeps an outlier from inflating the spread it is
    judged against (its neighbours' residuals carry half of its departure).
    """
    idx = np.flatnonzero(active)
    z = np.full(resid.size, np.nan)
    for pos, i in enumerate(idx):
        others = np.r_[idx[: max(pos - 1, 0)], idx[pos + 2 :]]
        if others.size >= 3:
            z[i] = _robust_z(resid[others], resid[i])
    return z


def _best_candidate(
    y: np.ndarray, active: np.ndarray, candidates: np.ndarray, z: np.ndarray
) -> int:
    """The candidate whose removal best explains the others' departures.

    An outlier also displaces its neighbours' residuals (an end point's by twice its own
    departure), so among the three most extreme candidates the one is flagged after whose
    removal the largest remaining |z| is smallest.
    """
    idx = np.flatnonzero(candidates)
    idx = idx[np.argsort(-np.abs(z[idx]), kind="stable")][:3]
    if idx.size == 1:
        return int(idx[0])
    left = []
    for c in idx:
        trial = active.copy()
        trial[c] = False
        zz = _modified_z(_departures(y, trial)[0], trial)
        left.append(np.nanmax(np.abs(zz)) if np.isfinite(zz).any() else 0.0)
    return int(idx[int(np.argmin(left))])


def outlier_checkpoints(
    scores: Any,
    steps: Any,
    *,
    threshold: float = 3.5,
    alpha: float = 0.05,
    adjust: str = "holm",
    max_fraction: float = 0.25,
    missing: str = "raise",
) -> OutlierResult:
    """Flag checkpoints whose score departs from their neighbours (a bad upload, a broken run).

    Parameters
    ----------
    scores : array_like, shape (n_points, n_items[, n_samples])
        Per-item scores at each checkpoint (the same items at every checkpoint).
    steps : array_like, shape (n_points,)
    threshold : float, default 3.5
        Modified z-score above which a departure is unusual for this curve.
    alpha : float, default 0.05
        Level of the paired test of the departure, after ``adjust`` across checkpoints.
    adjust : str, default "holm"
        Multiple-comparison adjustment (:data:`assay.stats.ADJUST_METHODS`).
    max_fraction : float, default 0.25
        Flag at most this share of the checkpoints.
    missing : {"raise", "omit"}, default "raise"

    Returns
    -------
    OutlierResult

    Notes
    -----
    Each checkpoint is compared on the same items with the mean of its two neighbours (at the
    ends, with the line through the next two): the mean departure :math:`r_i` and a paired
    t-test. A checkpoint is flagged
    when its departure is both statistically clear (adjusted p below ``alpha``: not sampling
    noise of the items) and unusual for the curve (:math:`|0.6745 (r_i - \\tilde r) /
    \\mathrm{MAD}(r)| > 3.5`, Iglewicz and Hoaglin 1993, with median and MAD over the checkpoints
    other than i and its neighbours: not the ordinary checkpoint-to-checkpoint noise of
    training). Of the three most extreme candidates, the one whose removal leaves the smallest
    largest |z| is flagged and left out of its neighbours' references before the search
    repeats. Needs at least 5 checkpoints.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import outlier_checkpoints
    >>> rng = np.random.default_rng(0)
    >>> p = np.linspace(0.4, 0.6, 10); p[6] = 0.25
    >>> scores = (rng.random((10, 2000)) < p[:, None]).astype(float)
    >>> outlier_checkpoints(scores, np.arange(10) * 100).flagged_steps
    (600.0,)
    """
    threshold = float(threshold)
    if not (math.isfinite(threshold) and threshold > 0):
        from assay._core import InputError

        raise InputError(f"`threshold` must be a positive number; got {threshold!r}.")
    alpha = check_probability(alpha, "alpha", open_interval=True)
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    max_fraction = check_probability(max_fraction, "max_fraction")
    y, x, _ = check_curve(scores, steps, missing=missing)
    n_pts = y.shape[0]
    flagged = np.zeros(n_pts, dtype=bool)
    nan = np.full(n_pts, np.nan)
    if n_pts < _MIN_POINTS:
        return OutlierResult(
            steps=x,
            residual=nan,
            modified_z=nan,
            pvalue=nan,
            pvalue_adjusted=nan,
            flagged=flagged,
            flagged_steps=(),
            threshold=threshold,
            alpha=alpha,
            adjust=adjust,
            method="neighbour-departure",
            n=int(y.shape[1]),
            note=f"needs at least {_MIN_POINTS} checkpoints; got {n_pts}.",
        )
    resid_out, z_out, p_out, padj_out = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    while True:
        active = ~flagged
        resid, pval = _departures(y, active)
        z = _modified_z(resid, active)
        padj = np.full(n_pts, np.nan)
        padj[active] = adjust_pvalues(pval[active], method=adjust, alpha=alpha).pvalues_adjusted
        for arr, src in ((resid_out, resid), (z_out, z), (p_out, pval), (padj_out, padj)):
            arr[active] = src[active]
        candidates = active & (padj < alpha) & (np.abs(z) > threshold)
        if not candidates.any() or flagged.sum() + 1 > max_fraction * n_pts:
            break
        flagged[_best_candidate(y, active, candidates, z)] = True
        if active.sum() - 1 < 3:
            break
    return OutlierResult(
        steps=x,
        residual=resid_out,
        modified_z=z_out,
        pvalue=p_out,
        pvalue_adjusted=padj_out,
        flagged=flagged,
        flagged_steps=tuple(float(s) for s in x[flagged]),
        threshold=threshold,
        alpha=alpha,
        adjust=adjust,
        method="neighbour-departure",
        n=int(y.shape[1]),
    )
