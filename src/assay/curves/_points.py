"""A checkpoint curve: per-point intervals, paired step-to-step tests, noise, outliers."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from assay._core import DegenerateDataWarning, Result
from assay._core._validation import (
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_probability,
    check_rng,
)
from assay.curves._common import check_curve
from assay.curves._outliers import OutlierResult, outlier_checkpoints
from assay.stats._compare import compare
from assay.stats._multiple import ADJUST_METHODS, adjust_pvalues

__all__ = ["LearningCurveResult", "StepTest", "learning_curve"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class StepTest(Result):
    """A paired comparison of one checkpoint with the next on the same items.

    Attributes
    ----------
    step_from, step_to : float
    estimate, ci_low, ci_high : float
        Mean change (later minus earlier) and its paired t interval.
    pvalue : float
        McNemar's exact test for 0/1 scores, the paired t-test otherwise.
    pvalue_adjusted : float
        Adjusted across the curve's steps.
    test : str
    significant : bool
        ``pvalue_adjusted < alpha``.
    n : int
    """

    step_from: float
    step_to: float
    estimate: float
    ci_low: float
    ci_high: float
    pvalue: float
    pvalue_adjusted: float
    test: str
    significant: bool
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class LearningCurveResult(Result):
    """Scores of one training run's checkpoints with their uncertainty.

    Attributes
    ----------
    steps, estimate, ci_low, ci_high, se : ndarray, shape (n_points,)
        Mean score per checkpoint with its t interval over items.
    confidence_level : float
    method : str
    n : int
        Items (the same at every checkpoint).
    n_omitted : int
        Items left out for missing at some checkpoint.
    step_tests : tuple of StepTest
        Consecutive checkpoints compared on the same items.
    adjust : str
    alpha : float
    noise_sd : float
        Standard deviation (ddof=1) of the last ``n_last`` checkpoints' scores, outlier
        checkpoints left out: the checkpoint-to-checkpoint noise at the end of training
        (Heineman et al. 2025).
    sampling_se : float
        The mean item-sampling SE of those checkpoints, for comparison with ``noise_sd``.
    n_last : int
        Checkpoints the noise was measured on.
    outliers : OutlierResult
    """

    steps: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray
    confidence_level: float
    method: str
    n: int
    n_omitted: int
    step_tests: tuple[StepTest, ...]
    adjust: str
    alpha: float
    noise_sd: float
    sampling_se: float
    n_last: int
    outliers: OutlierResult


def _point_intervals(y: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
    n = y.shape[1]
    est = y.mean(axis=1)
    se = y.std(axis=1, ddof=1) / math.sqrt(n) if n > 1 else np.full(y.shape[0], np.nan)
    half = stats.t.ppf(0.5 + level / 2, max(n - 1, 1)) * se
    return est, est - half, est + half, se


def _step_tests(y, x, level, alpha, adjust, n_resamples, rng) -> tuple[StepTest, ...]:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for i in range(y.shape[0] - 1):
            r = compare(y[i], y[i + 1], confidence_level=level, n_resamples=n_resamples, rng=rng)
            if r.mcnemar is not None:
                p, test = r.mcnemar.pvalue, "mcnemar-exact"
            else:
                p, test = r.pvalue, "paired-t"
            rows.append((x[i], x[i + 1], r, 1.0 if not np.isfinite(p) else float(p), test))
    if not rows:
        return ()
    padj = adjust_pvalues([row[3] for row in rows], method=adjust, alpha=alpha).pvalues_adjusted
    return tuple(
        StepTest(
            step_from=float(a),
            step_to=float(b),
            estimate=r.estimate,
            ci_low=r.ci_low,
            ci_high=r.ci_high,
            pvalue=p,
            pvalue_adjusted=float(q),
            test=test,
            significant=bool(q < alpha),
            n=r.n,
        )
        for (a, b, r, p, test), q in zip(rows, padj, strict=True)
    )


def learning_curve(
    scores: Any,
    steps: Any,
    *,
    confidence_level: float = 0.95,
    alpha: float = 0.05,
    adjust: str = "holm",
    n_last: int = 5,
    outlier_threshold: float = 3.5,
    n_resamples: int = 1000,
    missing: str = "raise",
    rng: Any = None,
) -> LearningCurveResult:
    """Per-checkpoint intervals, step-to-step paired tests, end-of-training noise and outliers.

    Parameters
    ----------
    scores : array_like, shape (n_points, n_items[, n_samples])
        Per-item scores of each checkpoint on the same items.
    steps : array_like, shape (n_points,)
        Training step of each checkpoint (any order; points are sorted by step).
    confidence_level : float, default 0.95
    alpha : float, default 0.05
        Level of the step-to-step tests after ``adjust``, and of the outlier test.
    adjust : str, default "holm"
    n_last : int, default 5
        Checkpoints at the end of the curve whose spread measures training noise.
    outlier_threshold : float, default 3.5
        See :func:`assay.curves.outlier_checkpoints`.
    n_resamples : int, default 1000
        Resamples of the paired tests' permutation and bootstrap
        (:func:`assay.stats.compare`).
    missing : {"raise", "omit"}, default "raise"
    rng : numpy.random.Generator, int or None

    Returns
    -------
    LearningCurveResult

    Notes
    -----
    Points: mean over items with a t interval. Steps: :func:`assay.stats.compare` of each
    checkpoint with the next on the same items (McNemar's exact test for 0/1 scores), adjusted
    across the curve. Noise: the SD of the last ``n_last`` checkpoints' scores, which holds
    both the items' sampling noise and the training noise between checkpoints; when it is
    much larger than ``sampling_se`` the training noise dominates (Heineman et al. 2025,
    "Signal and Noise", arXiv:2508.13144).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import learning_curve
    >>> rng = np.random.default_rng(1)
    >>> p = np.array([0.3, 0.4, 0.5, 0.6, 0.6, 0.6])
    >>> scores = (rng.random((6, 1500)) < p[:, None]).astype(float)
    >>> res = learning_curve(scores, [100, 200, 300, 400, 500, 600], rng=0)
    >>> [t.significant for t in res.step_tests]
    [True, True, True, False, False]
    """
    level = check_confidence_level(confidence_level)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    n_last = check_positive_int(n_last, "n_last", minimum=2)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    rng = check_rng(rng)
    y, x, n_omitted = check_curve(scores, steps, missing=missing)
    est, lo, hi, se = _point_intervals(y, level)
    tests = _step_tests(y, x, level, alpha, adjust, n_resamples, rng)
    outliers = outlier_checkpoints(y, x, threshold=outlier_threshold, alpha=alpha, adjust=adjust)
    keep = ~outliers.flagged  # a broken checkpoint is not training noise
    tail, tail_se = est[keep][-n_last:], se[keep][-n_last:]
    noise = float(tail.std(ddof=1)) if tail.size >= 2 else math.nan
    return LearningCurveResult(
        steps=x,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        se=se,
        confidence_level=level,
        method="t over items",
        n=int(y.shape[1]),
        n_omitted=n_omitted,
        step_tests=tests,
        adjust=adjust,
        alpha=alpha,
        noise_sd=noise,
        sampling_se=float(np.mean(tail_se)),
        n_last=int(tail.size),
        outliers=outliers,
    )
