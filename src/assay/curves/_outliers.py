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
        Score minus the mean of the neighbouring (unflagged) checkpoints, on the same items.
    modified_z : ndarray
        ``residual`` against the robust spread of all residuals (Iglewicz and Hoaglin's
        modified z-score, median and MAD).
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
    """Mean departure and paired-t p-value of each active point from its active neighbours."""
    idx = np.flatnonzero(active)
    resid = np.full(y.shape[0], np.nan)
    pval = np.full(y.shape[0], np.nan)
    for pos, i in enumerate(idx):
        nb = [idx[j] for j in (pos - 1, pos + 1) if 0 <= j < idx.size]
        d = y[i] - y[nb].mean(axis=0)
        resid[i] = d.mean()
        sd = d.std(ddof=1) if d.size > 1 else 0.0
        if sd > 0:
            pval[i] = 2 * stats.t.sf(abs(resid[i]) / (sd / math.sqrt(d.size)), d.size - 1)
        else:
            pval[i] = 1.0 if resid[i] == 0 else 0.0
    return resid, pval


def _modified_z(resid: np.ndarray) -> np.ndarray:
    r = resid[np.isfinite(resid)]
    med = np.median(r)
    scale = _MAD_SCALE * np.median(np.abs(r - med))
    if scale == 0:
        scale = math.sqrt(math.pi / 2) * np.mean(np.abs(r - med))  # mean absolute deviation
    with np.errstate(invalid="ignore", divide="ignore"):
        if scale == 0:
            return np.where(resid == med, 0.0, np.inf * np.sign(resid - med))
        return (resid - med) / scale


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
    Each checkpoint is compared with the mean of its two neighbours (one at the ends) on the
    same items: the mean departure :math:`r_i` and a paired t-test. A checkpoint is flagged
    when its departure is both statistically clear (adjusted p below ``alpha``: not sampling
    noise of the items) and unusual for the curve (:math:`|0.6745 (r_i - \\tilde r) /
    \\mathrm{MAD}(r)| > 3.5`, Iglewicz and Hoaglin 1993: not the ordinary checkpoint-to-checkpoint
    noise of training). The most extreme is flagged first and left out of its neighbours'
    references before the search repeats. Needs at least 5 checkpoints.

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
            steps=x, residual=nan, modified_z=nan, pvalue=nan, pvalue_adjusted=nan,
            flagged=flagged, flagged_steps=(), threshold=threshold, alpha=alpha, adjust=adjust,
            method="neighbour-departure", n=int(y.shape[1]),
            note=f"needs at least {_MIN_POINTS} checkpoints; got {n_pts}.",
        )  # fmt: skip
    resid_out, z_out, p_out, padj_out = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    while True:
        active = ~flagged
        resid, pval = _departures(y, active)
        z = _modified_z(resid)
        padj = np.full(n_pts, np.nan)
        padj[active] = adjust_pvalues(pval[active], method=adjust, alpha=alpha).pvalues_adjusted
        for arr, src in ((resid_out, resid), (z_out, z), (p_out, pval), (padj_out, padj)):
            arr[active] = src[active]
        candidates = active & (padj < alpha) & (np.abs(z) > threshold)
        if not candidates.any() or flagged.sum() + 1 > max_fraction * n_pts:
            break
        worst = int(np.flatnonzero(candidates)[np.argmax(np.abs(z[candidates]))])
        flagged[worst] = True
        if active.sum() - 1 < 3:
            break
    return OutlierResult(
        steps=x, residual=resid_out, modified_z=z_out, pvalue=p_out, pvalue_adjusted=padj_out,
        flagged=flagged, flagged_steps=tuple(float(s) for s in x[flagged]), threshold=threshold,
        alpha=alpha, adjust=adjust, method="neighbour-departure", n=int(y.shape[1]),
    )  # fmt: skip
