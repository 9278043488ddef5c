"""Vectorised, seeded bootstrap of means over items (or over clusters of items).

The private primitive :func:`_bootstrap_means` draws resampled means of one or several rows of
scores that share the same items, so a resample is paired across rows. Two exact strategies:

* few distinct values (binary outcomes, paired differences in {-1, 0, 1}, a few score levels):
  the counts of each distinct value (or distinct column of values) in a resample of ``n`` items
  are multinomial(``n``, value frequencies). Drawing those counts is the item bootstrap exactly,
  in O(n_resamples x n_distinct) instead of O(n_resamples x n_items);
* many distinct values in one row (continuous scores) and at least ``_BINNED_MIN_ITEMS`` items:
  the items are grouped into about 256 bins (half the edges at quantiles, half equally spaced, so
  that outliers sit in narrow bins of their own); the counts of each bin in a resample are
  multinomial exactly, and the sum of the ``K_b`` draws inside bin ``b`` is drawn from the normal
  law with its exact conditional mean ``K_b mu_b`` and variance ``K_b sigma_b^2``. The bootstrap
  distribution's mean and variance are then exact and only the within-bin third and higher
  cumulants are replaced; the part of the skewness and excess kurtosis so dropped is computed on
  the data and the exact index strategy is used instead when it exceeds ``_BINNED_TOLERANCE``
  (on smooth, skewed and heavy-tailed data it is 1e-7 or less, against a Monte Carlo error of the
  interval ends of about 3% of the SE at 10,000 resamples);
* otherwise: resampled indices drawn in chunks of bounded memory.

With clusters, whole clusters are resampled and the mean is the ratio estimator
(sum of resampled cluster sums over sum of resampled cluster sizes), with the same multinomial
trick over distinct (size, sums) cluster patterns.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._results import BootstrapResult

__all__ = ["bootstrap_mean"]

#: Memory bound (bytes) of one chunk of resampled indices in the index strategy.
_CHUNK_BYTES = 64 * 2**20
#: Use the multinomial strategy when there are at most this many distinct patterns ...
_MAX_DISTINCT = 2048
#: ... and at most this fraction of the number of units (items or clusters).
_MAX_DISTINCT_FRACTION = 0.25

#: The binned strategy for one row of continuous scores needs at least this many items ...
_BINNED_MIN_ITEMS = 4096
#: ... uses at most this many bins ...
_BINNED_BINS = 256
#: ... and is used only when the within-bin skewness and excess kurtosis it drops (standardised
#: as cumulants of the resampled sum) are both below this.
_BINNED_TOLERANCE = 1e-4

BOOTSTRAP_METHODS = ("percentile", "basic", "bca")


# --------------------------------------------------------------------------------------------
# The primitive
# --------------------------------------------------------------------------------------------


def _bootstrap_means(
    x: np.ndarray,
    *,
    n_resamples: int,
    rng: np.random.Generator,
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    """Bootstrap distribution of the mean of each row of ``x`` over a shared item resample.

    Parameters
    ----------
    x : ndarray, shape (n_items,) or (m, n_items)
        Finite scores; with two dimensions, ``m`` statistics over the same items, resampled
        together (paired).
    n_resamples : int
        Number of resamples.
    rng : numpy.random.Generator
        Source of randomness.
    clusters : ndarray of int, shape (n_items,), optional
        Cluster codes ``0 .. n_clusters - 1`` (as from ``np.unique(..., return_inverse=True)``);
        whole clusters are resampled and each mean is a ratio estimator.

    Returns
    -------
    ndarray, shape (n_resamples,) or (n_resamples, m)
        Resampled means, one row per resample.

    Notes
    -----
    Input is trusted (finite, non-empty); public functions validate first.
    """
    x = np.asarray(x, dtype=np.float64)
    one_d = x.ndim == 1
    rows = x[None, :] if one_d else x
    if clusters is None:
        out = _item_means(rows, n_resamples, rng)
    else:
        out = _cluster_means(rows, np.asarray(clusters), n_resamples, rng)
    return out[:, 0] if one_d else out


def _distinct_columns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct columns of ``rows`` and their counts, or None when there are too many."""
    n = rows.shape[1]
    limit = min(_MAX_DISTINCT, int(_MAX_DISTINCT_FRACTION * n))
    if limit < 1:
        return None
    # A cheap early exit: a row with many distinct values means many distinct columns.
    for row in rows:
        if np.unique(row[: min(n, 4 * limit + 1)]).size > limit:
            return None
    if rows.shape[0] == 1:
        values, counts = np.unique(rows[0], return_counts=True)
        patterns = values[None, :]
    else:
        patterns_t, counts = np.unique(rows.T, axis=0, return_counts=True)
        patterns = patterns_t.T
    if counts.size > limit:
        return None
    return patterns, counts


def _multinomial_means(
    patterns: np.ndarray,
    counts: np.ndarray,
    totals: np.ndarray | None,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Means from multinomial counts of distinct patterns.

    ``patterns`` (m, d) holds per-pattern sums; ``totals`` (d,) the number of items per pattern
    (None: one item each, i.e. the plain mean).
    """
    n_units = int(counts.sum())
    draws = rng.multinomial(n_units, counts / n_units, size=n_resamples).astype(np.float64)
    sums = draws @ patterns.T  # (n_resamples, m)
    if totals is None:
        return sums / n_units
    return sums / (draws @ totals)[:, None]


def _chunk_size(n_units: int, n_resamples: int) -> int:
    return int(max(1, min(n_resamples, _CHUNK_BYTES // (4 * max(n_units, 1)))))


def _index_dtype(n_units: int) -> type:
    return np.int32 if n_units < 2**31 - 1 else np.int64


def _bin_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Bins of ``x`` for the binned bootstrap: (items, means, variances) per bin, or None.

    None when the within-bin cumulants that the normal draw of within-bin sums drops are too
    large to neglect (see the module docstring).
    """
    n = x.size
    lo, hi = float(x.min()), float(x.max())
    half = _BINNED_BINS // 2
    quantile_edges = np.quantile(x, np.linspace(0.0, 1.0, half + 1))
    edges = np.unique(np.r_[quantile_edges, np.linspace(lo, hi, half + 1)])
    raw = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max(edges.size - 2, 0))
    codes = np.unique(raw, return_inverse=True)[1].reshape(-1)
    g = int(codes.max()) + 1
    size = np.bincount(codes, minlength=g).astype(np.float64)
    mean = np.bincount(codes, weights=x, minlength=g) / size
    dev = x - mean[codes]
    var = np.bincount(codes, weights=dev**2, minlength=g) / size
    k3 = np.bincount(codes, weights=dev**3, minlength=g) / size
    k4 = np.bincount(codes, weights=dev**4, minlength=g) / size - 3.0 * var**2
    total_var = n * float(x.var())
    if total_var <= 0.0:
        return None
    dropped_skew = abs(float(size @ k3)) / total_var**1.5
    dropped_kurt = abs(float(size @ k4)) / total_var**2
    if max(dropped_skew, dropped_kurt) > _BINNED_TOLERANCE:
        return None
    return size, mean, var


def _binned_means(
    size: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    n: int,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Resampled means from multinomial bin counts and normal within-bin sums, shape (B,)."""
    out = np.empty(n_resamples)
    step = max(1, min(n_resamples, _CHUNK_BYTES // (8 * size.size)))
    for start in range(0, n_resamples, step):
        r = min(step, n_resamples - start)
        counts = rng.multinomial(n, size / n, size=r).astype(np.float64)
        within_sd = np.sqrt(counts @ var)
        out[start : start + r] = (counts @ mean + within_sd * rng.standard_normal(r)) / n
    return out


def _item_means(rows: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Item bootstrap of row means, shape (n_resamples, m)."""
    m, n = rows.shape
    distinct = _distinct_columns(rows)
    if distinct is not None:
        return _multinomial_means(distinct[0], distinct[1], None, n_resamples, rng)
    if m == 1 and n >= _BINNED_MIN_ITEMS:
        binned = _bin_moments(rows[0])
        if binned is not None:
            return _binned_means(*binned, n, n_resamples, rng)[:, None]
    out = np.empty((n_resamples, m))
    # With several rows, count how often each item is drawn and take one matrix product
    # (counts @ rows.T) instead of m gathers: the same resample, m times less memory traffic.
    step = (
        _chunk_size(n, n_resamples) if m == 1 else max(1, min(n_resamples, _CHUNK_BYTES // (8 * n)))
    )
    for start in range(0, n_resamples, step):
        r = min(step, n_resamples - start)
        idx = rng.integers(0, n, size=(r, n), dtype=_index_dtype(n))
        if m == 1:
            out[start : start + r, 0] = rows[0][idx].mean(axis=1)
            continue
        idx += (np.arange(r, dtype=idx.dtype) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=r * n).reshape(r, n).astype(np.float64)
        out[start : start + r] = (counts @ rows.T) / n
    return out


def _cluster_means(
    rows: np.ndarray, codes: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Cluster bootstrap of row means (ratio estimator), shape (n_resamples, m)."""
    m = rows.shape[0]
    n_clusters = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    sums = np.stack([np.bincount(codes, weights=row, minlength=n_clusters) for row in rows])
    stacked = np.vstack([sizes[None, :], sums])  # (1 + m, n_clusters)
    distinct = _distinct_columns(stacked)
    if distinct is not None:
        patterns, counts = distinct
        return _multinomial_means(patterns[1:], counts, patterns[0], n_resamples, rng)
    out = np.empty((n_resamples, m))
    step = _chunk_size(n_clusters, n_resamples)
    for start in range(0, n_resamples, step):
        r = min(step, n_resamples - start)
        idx = rng.integers(0, n_clusters, size=(r, n_clusters), dtype=_index_dtype(n_clusters))
        size_tot = sizes[idx].sum(axis=1)
        for j in range(m):
            out[start : start + r, j] = sums[j][idx].sum(axis=1) / size_tot
    return out


# --------------------------------------------------------------------------------------------
# Intervals from a bootstrap distribution (shared with the paired comparison code)
# --------------------------------------------------------------------------------------------


def _jackknife_means(x: np.ndarray, clusters: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-out means (or leave-one-cluster-out ratio means) of a 1-D ``x``, closed form.

    Returns shape (n_items,) without clusters and (n_clusters,) with.
    """
    x = np.asarray(x, dtype=np.float64)
    total = x.sum()
    if clusters is None:
        n = x.size
        if n < 2:
            return np.full(n, np.nan)
        return (total - x) / (n - 1)
    codes = np.asarray(clusters)
    n_clusters = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    sums = np.bincount(codes, weights=x, minlength=n_clusters)
    if n_clusters < 2:
        return np.full(n_clusters, np.nan)
    return (total - sums) / (x.size - sizes)


def _acceleration(jackknife: np.ndarray) -> float:
    """BCa acceleration from jackknife values (Efron & Tibshirani 1993, eq. 14.15)."""
    d = jackknife.mean() - jackknife
    den = np.sum(d**2)
    if not np.isfinite(den) or den == 0.0:
        return float("nan")
    return float(np.sum(d**3) / (6.0 * den**1.5))


def _bootstrap_interval(
    estimate: float,
    distribution: np.ndarray,
    *,
    method: str,
    confidence_level: float,
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """Interval end points from a bootstrap distribution.

    ``method`` is ``"percentile"``, ``"basic"`` (reverse percentile) or ``"bca"`` (which needs the
    jackknife values of the statistic). Percentiles use numpy's linear interpolation, as
    ``scipy.stats.bootstrap`` does. Returns (NaN, NaN) when BCa is undefined (a constant
    distribution or jackknife).
    """
    alpha = (1.0 - confidence_level) / 2.0
    if method == "bca":
        if jackknife is None:
            raise ValueError("BCa needs the jackknife values")  # internal misuse, not user input
        b = distribution.size
        below = np.count_nonzero(distribution < estimate)
        below_eq = np.count_nonzero(distribution <= estimate)
        z0 = ndtri((below + below_eq) / (2.0 * b))
        a = _acceleration(jackknife)
        z = ndtri(np.array([alpha, 1.0 - alpha]))
        num = z0 + z
        levels = ndtr(z0 + num / (1.0 - a * num))
        if not np.all(np.isfinite(levels)):
            return float("nan"), float("nan")
        lo, hi = np.percentile(distribution, 100.0 * levels)
        return float(lo), float(hi)
    lo, hi = np.percentile(distribution, [100.0 * alpha, 100.0 * (1.0 - alpha)])
    if method == "basic":
        return float(2.0 * estimate - hi), float(2.0 * estimate - lo)
    return float(lo), float(hi)


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def _encode_clusters(clusters: Any, n: int) -> np.ndarray:
    """Validate cluster labels (any hashable, one per item) and return int codes 0..G-1."""
    arr = np.asarray(clusters)
    if arr.ndim != 1:
        raise InputError(f"`clusters` must be one-dimensional; got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise InputError(f"`clusters` must have one label per item ({n}); got {arr.shape[0]}.")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InputError(f"`clusters` contains {int(np.isnan(arr).sum())} NaN label(s).")
    if arr.dtype == object and any(v is None for v in arr):
        raise InputError("`clusters` contains None labels; every item needs a cluster.")
    try:
        _, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise InputError(
            f"`clusters` labels must be comparable (all str or all numbers); {exc}."
        ) from None
    return codes.reshape(-1)


def _bootstrap_mean_iv(x, clusters, n_resamples, method, confidence_level, rng):
    x = check_array(x, "x", ndim=1)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    method = check_choice(method, "method", BOOTSTRAP_METHODS)
    confidence_level = check_confidence_level(confidence_level)
    rng = check_rng(rng)
    codes = None if clusters is None else _encode_clusters(clusters, x.size)
    return x, codes, n_resamples, method, confidence_level, rng


def bootstrap_mean(
    x: Any,
    *,
    clusters: Any = None,
    n_resamples: int = 10_000,
    method: str = "percentile",
    confidence_level: float = 0.95,
    rng: Any = None,
) -> BootstrapResult:
    """Bootstrap confidence interval of a mean over items, or over clusters of items.

    Parameters
    ----------
    x : array_like, shape (n_items,)
        One score per item (0/1 outcomes or any finite scores).
    clusters : array_like, shape (n_items,), optional
        A cluster label per item (passage, subject, ...). When given, whole clusters are
        resampled and the mean is the ratio estimator (sum of scores over number of items).
    n_resamples : int, default 10_000
        Number of bootstrap resamples.
    method : {"percentile", "bca", "basic"}, default "percentile"
        Interval: percentile, bias-corrected and accelerated (jackknife acceleration), or basic
        (reverse percentile).
    confidence_level : float, default 0.95
        Nominal coverage of the interval.
    rng : numpy.random.Generator, int or None
        Seed or generator.

    Returns
    -------
    BootstrapResult
        ``estimate`` (the sample mean), ``ci_low``, ``ci_high``, ``se`` (standard deviation of the
        bootstrap distribution, ddof=1), ``n``, ``n_clusters``, ``method`` and the
        ``distribution`` (kept off ``to_dict()``).

    Warns
    -----
    DegenerateDataWarning
        When all resampled means are equal (one item, one cluster or constant scores): the
        interval collapses to the point (NaN for BCa, as its acceleration is undefined).

    Notes
    -----
    With ``n`` items, a resample draws ``n`` items with replacement; its mean is
    :math:`\\bar x^* = \\sum_v c_v v / n` where :math:`c` counts each distinct value ``v``, and
    :math:`c \\sim \\mathrm{Multinomial}(n, p_v)` exactly, :math:`p_v` being the frequency of ``v``.
    With few distinct values this is how resamples are drawn. With clusters ``g = 1..G`` of sizes
    :math:`n_g` and sums :math:`S_g`, a resample draws ``G`` clusters and its mean is
    :math:`\\sum w_g S_g / \\sum w_g n_g`.

    BCa (Efron & Tibshirani 1993, ch. 14): :math:`\\hat z_0 = \\Phi^{-1}(\\#\\{\\theta^* <
    \\hat\\theta\\} / B)` (ties counted half), acceleration
    :math:`\\hat a = \\sum d_i^3 / (6 (\\sum d_i^2)^{3/2})` with :math:`d_i = \\bar\\theta_{(\\cdot)} -
    \\theta_{(i)}` from the leave-one-out means :math:`\\theta_{(i)} = (S - x_i)/(n-1)` (leave one
    cluster out with clusters), as in ``scipy.stats.bootstrap``.

    References
    ----------
    .. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993.
    .. [2] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, CUP, 1997,
       section 3.8 (resampling clusters).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats._bootstrap import bootstrap_mean
    >>> correct = np.r_[np.ones(70), np.zeros(30)]
    >>> res = bootstrap_mean(correct, rng=0)
    >>> res.estimate
    0.7
    >>> bool(0.6 < res.ci_low < 0.7 < res.ci_high < 0.8)
    True
    """
    x, codes, n_resamples, method, confidence_level, rng = _bootstrap_mean_iv(
        x, clusters, n_resamples, method, confidence_level, rng
    )
    estimate = float(x.mean())
    dist = _bootstrap_means(x, n_resamples=n_resamples, rng=rng, clusters=codes)
    n_clusters = None if codes is None else int(codes.max()) + 1
    if np.ptp(dist) == 0.0:
        warnings.warn(
            f"All {n_resamples} bootstrap means are equal to {estimate!r} (n = {x.size}"
            + ("" if n_clusters is None else f", {n_clusters} cluster(s)")
            + "); the interval has zero width.",
            DegenerateDataWarning,
            stacklevel=2,
        )
    jack = _jackknife_means(x, codes) if method == "bca" else None
    lo, hi = _bootstrap_interval(
        estimate, dist, method=method, confidence_level=confidence_level, jackknife=jack
    )
    return BootstrapResult(
        estimate=estimate,
        ci_low=lo,
        ci_high=hi,
        confidence_level=confidence_level,
        method=f"bootstrap-{method}" + ("" if codes is None else "-cluster"),
        n=int(x.size),
        se=float(dist.std(ddof=1)),
        n_resamples=n_resamples,
        n_clusters=n_clusters,
        distribution=dist,
    )
