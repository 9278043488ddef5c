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


def _coordinate(x: np.ndarray) -> np.ndarray:
    """Where checkpoints sit along the curve: log step when every step is positive, else step.

    Learning curves bend most early in training; on a log-step axis power-law and exponential
    curves are far closer to quadratic, and log-spaced checkpoints (Pythia's) are evenly spaced.
    """
    return np.log(x) if np.all(x > 0) else x.astype(np.float64)


def _reference_weights(t: np.ndarray, idx: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and weights of the local quadratic that predicts point ``idx[pos]`` from others.

    The (up to) four nearest active checkpoints by rank, two on each side where they exist,
    get a least-squares quadratic in ``t``; its value at the point is a fixed linear combination
    of theirs. With three others the quadratic interpolates; with two, a line.
    """
    order = np.r_[idx[max(pos - 2, 0) : pos], idx[pos + 1 : pos + 3]]
    if order.size < 4:  # near an end: take more from the side that has them
        order = np.r_[idx[max(pos - 4, 0) : pos], idx[pos + 1 : pos + 5]]
        dist = np.abs(np.searchsorted(idx, order) - pos)
        order = order[np.argsort(dist, kind="stable")[:4]]
    dt = t[order] - t[idx[pos]]
    span = float(np.max(np.abs(dt))) or 1.0
    degree = min(2, order.size - 1)
    design = np.vander(dt / span, degree + 1, increasing=True)
    weights = np.linalg.pinv(design)[0]  # the fitted value at dt = 0
    return order, weights


def _departures(
    y: np.ndarray, active: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised departure and paired-t p-value of each active point from its neighbours.

    Each point is compared on the same items with the local quadratic through its nearest
    active neighbours (:func:`_reference_weights`): unbiased for a curve that is locally
    quadratic in ``t``, so the curvature of a learning curve is not read as a departure. The
    departure is divided by the square root of its variance in units of one point's variance,
    :math:`1 + \\sum_k w_k^2`, so interior and end points are on one scale. Also returns the
    sampling standard error of each standardised departure.
    """
    idx = np.flatnonzero(active)
    resid = np.full(y.shape[0], np.nan)
    pval = np.full(y.shape[0], np.nan)
    se = np.full(y.shape[0], np.nan)
    for pos, i in enumerate(idx):
        order, w = _reference_weights(t, idx, pos)
        d = y[i] - w @ y[order]
        factor = 1.0 + float(w @ w)
        resid[i] = d.mean() / math.sqrt(factor)
        sd = d.std(ddof=1) if d.size > 1 else 0.0
        se[i] = sd / math.sqrt(d.size * factor)
        if sd > 0:
            pval[i] = 2 * stats.t.sf(abs(d.mean()) / (sd / math.sqrt(d.size)), d.size - 1)
        else:
            pval[i] = 1.0 if d.mean() == 0 else 0.0
    return resid, pval, se


def _robust_z(r: np.ndarray, value: float, floor: float = 0.0) -> float:
    """Modified z-score of ``value`` against the median and MAD of ``r`` (scale >= ``floor``)."""
    med = np.median(r)
    scale = max(_MAD_SCALE * np.median(np.abs(r - med)), floor)
    if scale == 0:
        scale = math.sqrt(math.pi / 2) * np.mean(np.abs(r - med))  # mean absolute deviation
    if scale == 0:
        return 0.0 if value == med else math.copysign(math.inf, value - med)
    return float((value - med) / scale)


def _modified_z(resid: np.ndarray, active: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Each active point's residual against the residuals of the points not next to it.

    Leaving out the point and its neighbours keeps an outlier from inflating the spread it is
    judged against (its neighbours' residuals carry part of its departure). The spread is never
    taken below the items' sampling SE of the residuals (their median ``se``): a MAD of a few
    residuals can be near 0 by chance, and no curve is smoother than its sampling noise.
    """
    floor = float(np.nanmedian(se[active])) if np.isfinite(se[active]).any() else 0.0
    idx = np.flatnonzero(active)
    z = np.full(resid.size, np.nan)
    for pos, i in enumerate(idx):
        others = np.r_[idx[: max(pos - 2, 0)], idx[pos + 3 :]]
        if others.size < 5:  # short curves: leave out only the next neighbours
            others = np.r_[idx[: max(pos - 1, 0)], idx[pos + 2 :]]
        if others.size >= 3:
            z[i] = _robust_z(resid[others], resid[i], floor)
    return z


def _best_candidate(
    y: np.ndarray, active: np.ndarray, candidates: np.ndarray, z: np.ndarray, t: np.ndarray
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
        r, _, se = _departures(y, trial, t)
        zz = _modified_z(r, trial, se)
        left.append(np.nanmax(np.abs(zz)) if np.isfinite(zz).any() else 0.0)
    return int(idx[int(np.argmin(left))])


def _screen(y, t, active, alpha, adjust):
    """Departure, p-value, modified z and adjusted p-value of every active point."""
    resid, pval, se = _departures(y, active, t)
    z = _modified_z(resid, active, se)
    padj = np.full(y.shape[0], np.nan)
    padj[active] = adjust_pvalues(pval[active], method=adjust, alpha=alpha).pvalues_adjusted
    return resid, pval, z, padj


def _search(y, t, threshold, alpha, adjust, max_fraction) -> np.ndarray:
    """Forward search: flag the best candidate, leave it out, repeat while any qualifies."""
    n_pts = y.shape[0]
    flagged = np.zeros(n_pts, dtype=bool)
    while True:
        active = ~flagged
        _, _, z, padj = _screen(y, t, active, alpha, adjust)
        candidates = active & (padj < alpha) & (np.abs(z) > threshold)
        if not candidates.any() or flagged.sum() + 1 > max_fraction * n_pts:
            return flagged
        flagged[_best_candidate(y, active, candidates, z, t)] = True
        if active.sum() - 1 < 3:
            return flagged


def _prune(y, t, flagged, threshold, alpha, adjust) -> np.ndarray:
    """Backward step: unflag a point that does not qualify once the other flags are left out.

    A large outlier displaces its neighbours' references, and one of them can be flagged before
    it; with the outlier left out that neighbour is ordinary again.
    """
    flagged = flagged.copy()
    for i in np.flatnonzero(flagged):
        active = ~flagged
        active[i] = True
        _, _, z, padj = _screen(y, t, active, alpha, adjust)
        if not (padj[i] < alpha and abs(z[i]) > threshold):
            flagged[i] = False
    return flagged


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
    t = _coordinate(x)
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
    flagged = _search(y, t, threshold, alpha, adjust, max_fraction)
    flagged = _prune(y, t, flagged, threshold, alpha, adjust)
    resid_out, z_out, p_out, padj_out = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    # each flagged point's numbers with the other flagged points left out; the rest without all
    for i in [*np.flatnonzero(flagged), None]:
        active = ~flagged
        if i is not None:
            active[i] = True
        resid, pval, z, padj = _screen(y, t, active, alpha, adjust)
        keep = active if i is None else np.arange(n_pts) == i
        for arr, src in ((resid_out, resid), (z_out, z), (p_out, pval), (padj_out, padj)):
            arr[keep] = src[keep]
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
