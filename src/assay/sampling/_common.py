"""Validation and aggregation shared by the sampling analyses.

Every function of :mod:`assay.sampling` takes per-sample outcomes as an array of shape
``(n_items, n_samples)`` with NaN where a sample is missing, so an item's number of samples
``n_i`` is the count of its finite entries.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._bootstrap import _bootstrap_means, bootstrap_mean
from assay.stats._means import mean_ci

__all__ = [
    "INTERVAL_METHODS",
    "check_correct",
    "check_ks",
    "compact",
    "item_interval",
    "studentized_bootstrap",
]

#: Intervals over items: t, percentile bootstrap, studentized (bootstrap-t) bootstrap.
INTERVAL_METHODS = ("t", "bootstrap", "bootstrap-t")


def check_correct(correct: Any, name: str = "correct") -> np.ndarray:
    """``correct`` as a float (n_items, n_samples) array of 0/1 with NaN where missing."""
    arr = check_array(correct, name, ndim=(1, 2), allow_nan=True, binary=True)
    if arr.ndim == 1:
        arr = arr[:, None]
    return arr


def check_ks(k: Any, name: str = "k") -> tuple[int, ...]:
    """An int or a non-empty sequence of ints >= 1, as a sorted tuple without repeats."""
    if isinstance(k, Sequence | np.ndarray) and not isinstance(k, str):
        values = list(np.asarray(k).ravel().tolist())
        if not values:
            raise InputError(
                f"`{name}` must be a positive integer or a non-empty list of them; got {k!r}."
            )
    else:
        values = [k]
    return tuple(sorted({check_positive_int(v, name) for v in values}))


def check_options(confidence_level: Any, method: Any, missing: Any) -> tuple[float, str, str]:
    level = check_confidence_level(confidence_level)
    method = check_choice(method, "method", INTERVAL_METHODS)
    missing = check_choice(missing, "missing", ("raise", "omit"))
    return level, method, missing


def select_items(counts: np.ndarray, k_max: int, missing: str, what: str) -> np.ndarray:
    """Boolean mask of the items with at least ``k_max`` samples; raise or omit the others."""
    short = counts < k_max
    if short.any() and missing == "raise":
        idx = np.flatnonzero(short)
        examples = ", ".join(str(int(i)) for i in idx[:5])
        raise InputError(
            f"`k` = {k_max} exceeds the samples of {idx.size} item(s) "
            f"(fewest: {int(counts.min())}; "
            f"item index {examples}{', ...' if idx.size > 5 else ''}): {what} needs at least k "
            "samples per item. Lower `k` or pass `missing='omit'` to leave those items out."
        )
    keep = ~short
    if not keep.any():
        raise InputError(
            f"no item has {k_max} or more samples (most: {int(counts.max())}); lower `k`."
        )
    return keep


def warn_single_sample(counts: np.ndarray, what: str) -> None:
    """Warn when items have a single sample: their estimate is one 0/1 outcome."""
    ones = int(np.sum(counts == 1))
    if ones:
        warnings.warn(
            f"{ones} item(s) have a single sample (n = 1): their {what} is one 0/1 outcome, "
            "which says nothing about sampling variation; collect several samples per item.",
            DegenerateDataWarning,
            stacklevel=3,
        )


def compact(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move each row's finite entries to the front; return (compacted, counts)."""
    finite = ~np.isnan(values)
    order = np.argsort(~finite, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), finite.sum(axis=1)


def studentized_bootstrap(values: np.ndarray, level: float, n_resamples: int, rng) -> tuple:
    """Studentized bootstrap over items of each column mean of ``values`` (n_items, K).

    One shared item resample gives each column's resampled mean and SE (means of ``x`` and
    ``x**2`` together), and :math:`t^*_k = (\\bar x^*_k - \\bar x_k) / s^*_k`, which keeps the
    skew of the per-item values that a symmetric interval misses at few items (Efron and
    Tibshirani 1993, ch. 12). Returns ``(est, se, lo, hi, band_lo, band_hi, crit)``: pointwise
    equal-tailed intervals :math:`[\\bar x - q_{hi} s, \\bar x - q_{lo} s]` and the band
    :math:`\\bar x \\pm c\\,s` with ``c`` the ``level`` quantile of :math:`\\max_k |t^*_k|`,
    widened where needed to hold each pointwise interval, all clipped to [0, 1]; :math:`s` is
    the usual SE with ddof 1.
    """
    n, k = values.shape
    est = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / math.sqrt(n)
    boot = _bootstrap_means(np.vstack([values.T, values.T**2]), n_resamples=n_resamples, rng=rng)
    m1, m2 = boot[:, :k], boot[:, k:]
    se_star = np.sqrt(np.maximum(m2 - m1**2, 0.0) / (n - 1))
    diff = m1 - est
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se_star > 0, diff / se_star, np.sign(diff) * np.inf)
    t = np.where(np.isnan(t), 0.0, t)  # 0 / 0: a resample equal to the estimate
    q_lo, q_hi = np.quantile(t, [(1 - level) / 2, (1 + level) / 2], axis=0)
    crit = float(np.quantile(np.abs(t).max(axis=1), level))
    with np.errstate(invalid="ignore"):
        lo = np.clip(np.where(se > 0, est - q_hi * se, est), 0.0, 1.0)
        hi = np.clip(np.where(se > 0, est - q_lo * se, est), 0.0, 1.0)
        # the band holds each pointwise interval (an equal-tailed one can reach past
        # the symmetric band on its long side)
        band_lo = np.minimum(np.clip(np.where(se > 0, est - crit * se, est), 0.0, 1.0), lo)
        band_hi = np.maximum(np.clip(np.where(se > 0, est + crit * se, est), 0.0, 1.0), hi)
    return est, se, lo, hi, band_lo, band_hi, crit


def item_interval(
    per_item: np.ndarray, *, method: str, confidence_level: float, n_resamples: int, rng: Any
) -> tuple[float, float, float, float]:
    """(estimate, ci_low, ci_high, se) of the mean of per-item values, from assay.stats."""
    if per_item.size < 2:
        raise InputError(f"an interval over items needs at least 2 items; got {per_item.size}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        if method == "bootstrap-t":
            n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
            est, se, lo, hi, *_ = studentized_bootstrap(
                per_item[:, None], confidence_level, n_resamples, check_rng(rng)
            )
            return float(est[0]), float(lo[0]), float(hi[0]), float(se[0])
        if method == "t":
            r = mean_ci(per_item, method="t", confidence_level=confidence_level)
        else:
            r = bootstrap_mean(
                per_item,
                n_resamples=check_positive_int(n_resamples, "n_resamples", minimum=2),
                confidence_level=confidence_level,
                rng=check_rng(rng),
            )
    return float(r.estimate), float(r.ci_low), float(r.ci_high), float(r.se)
