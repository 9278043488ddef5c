"""Was an item rephrased into the corpus? A calibrated probability from its nearest neighbours.

Without a judge, the only evidence is how far an item's nearest corpus neighbour stands above the
item's other neighbours, which are unrelated documents of the same corpus. The top order
statistics of similarities to unrelated documents have (for a light tail, the Gumbel domain)
normalised spacings ``j (s_j - s_{j+1})`` that are independent exponentials with one scale; so
the scale is estimated from the spacings of neighbours 2..k, and the gap between the first and
second neighbour is tested against it (an F test). A rephrasing of the item lifts the first
neighbour above the tail of unrelated documents and gives a small p-value.

Across the items of a benchmark the p-values are a two-group mixture: uniform for items without a
rephrasing, concentrated near 0 for items with one. The share of items without one is Storey's
estimate (p-values above 0.5, over their expected number); each item's probability of having been
rephrased into the corpus is one minus its local false discovery rate, ``pi0 / f(p)`` with ``f`` the
Grenander (decreasing) density estimate of the p-values (Efron 2001; Strimmer 2008); the number of
items rephrased is ``(1 - pi0)`` times the items, with a bootstrap interval.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int

__all__ = ["RephraseResult", "rephrase_probability", "spacing_pvalues"]

_MIN_K = 4
_TIE = 1e-6  # neighbours this close in similarity count as copies of one document


@dataclasses.dataclass(frozen=True)
class RephraseResult(Result):
    """Per-item probability of a rephrasing in the corpus, and how many items have one.

    Attributes
    ----------
    p_values : ndarray of float64, shape (n_items,)
        The spacing test's p-value per item (NaN with fewer than four distinct neighbours).
    probability : ndarray of float64, shape (n_items,)
        Posterior probability that the item's nearest neighbour is a rephrasing of it (NaN where
        untested).
    null_share : float
        Estimated share of tested items without a rephrasing (Storey's estimator, lambda 0.1).
    n_tested : int
        Items with a p-value.
    n_rephrased : float
        Estimated number of tested items with a rephrasing: ``(1 - null_share) * n_tested``.
    ci_low, ci_high : float
        Bootstrap percentile interval of ``n_rephrased`` (items resampled, the mixture refit).
    confidence_level : float
    n_probable : int
        Items whose probability is at least 0.5.
    method : str
    """

    p_values: np.ndarray
    probability: np.ndarray
    null_share: float
    n_tested: int
    n_rephrased: float
    ci_low: float
    ci_high: float
    confidence_level: float
    n_probable: int
    method: str = "top-1 spacing F test; Storey pi0, Grenander local fdr"

    _array_fields = ("p_values", "probability")


def spacing_pvalues(scores: Any) -> np.ndarray:
    """The spacing test's p-value for each item's nearest neighbour.

    Parameters
    ----------
    scores : array_like, shape (n_items, k)
        Each item's similarities to its ``k`` nearest documents, best first (-inf or NaN where
        fewer were found). Documents with equal similarity (within 1e-6; exact copies) count once.

    Returns
    -------
    ndarray of float64, shape (n_items,)
        ``P(F(2, 2m) >= (s_1 - s_2) / b)`` with ``b`` the mean of the ``m = k' - 2`` normalised
        spacings ``j (s_j - s_{j+1})``, ``j = 2 .. k' - 1``, of the ``k'`` distinct neighbours;
        NaN where ``k' < 4``, 1 where every spacing is zero.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise InputError(f"`scores` must be 2-dimensional (n_items, k); got {s.ndim} dimensions.")
    out = np.full(s.shape[0], np.nan)
    for i, row in enumerate(s):
        row = row[np.isfinite(row)]
        row = np.sort(row)[::-1]
        if row.size:
            keep = np.r_[True, np.abs(np.diff(row)) > _TIE]
            row = row[keep]
        k = row.size
        if k < _MIN_K:
            continue
        j = np.arange(2, k)
        b = float(np.mean(j * (row[1 : k - 1] - row[2:k])))
        gap = float(row[0] - row[1])
        if b <= 0:
            out[i] = 1.0 if gap <= 0 else 0.0
            continue
        out[i] = float(_f_sf(gap / b, 2, 2 * (k - 2)))
    return out


def _null_share(p: np.ndarray, lam: float = 0.1) -> float:
    """Storey's estimate of the share of true nulls: p-values above ``lam`` over their expectation."""
    return float(min(1.0, np.sum(p > lam) / (len(p) * (1 - lam))))


def _grenander(p: np.ndarray) -> np.ndarray:
    """Decreasing density estimate of ``p`` at each p-value: the slope of the least concave
    majorant of the empirical distribution function (Grenander 1956)."""
    order = np.argsort(p, kind="stable")
    x = np.r_[0.0, p[order]]
    y = np.arange(len(p) + 1) / len(p)
    hull = [0]
    for i in range(1, len(x)):  # upper hull, left to right
        while len(hull) >= 2:
            i0, i1 = hull[-2], hull[-1]
            # drop i1 when it lies on or below the chord from i0 to i
            if (y[i1] - y[i0]) * (x[i] - x[i0]) <= (y[i] - y[i0]) * (x[i1] - x[i0]):
                hull.pop()
            else:
                break
        hull.append(i)
    dens = np.empty(len(p))
    for a, b in zip(hull[:-1], hull[1:], strict=True):
        width = x[b] - x[a]
        slope = (y[b] - y[a]) / width if width > 0 else np.inf
        dens[order[a:b]] = slope  # points a+1..b of x are p[order[a..b-1]]
    return dens


def _posterior(p: np.ndarray, pi0: float) -> np.ndarray:
    """One minus the local false discovery rate ``pi0 / f(p)`` (Efron 2001), ``f`` Grenander's."""
    if pi0 >= 1.0:
        return np.zeros_like(p)
    with np.errstate(divide="ignore"):
        lfdr = np.minimum(1.0, pi0 / _grenander(p))
    return 1.0 - lfdr


def rephrase_probability(
    scores: Any,
    *,
    confidence_level: float = 0.95,
    n_boot: int = 400,
    rng: np.random.Generator | int | None = None,
) -> RephraseResult:
    """Probability that each item's nearest corpus neighbour is a rephrasing of it.

    Parameters
    ----------
    scores : array_like, shape (n_items, k)
        Similarities of each item to its ``k`` nearest corpus documents (cosine of sentence
        embeddings), best first; at least four distinct neighbours are needed per item (use
        ``k`` of 10 to 20: more neighbours estimate the tail of unrelated documents better).
    confidence_level : float, default 0.95
        Level of the bootstrap interval of the number of rephrased items.
    n_boot : int, default 400
        Bootstrap resamples.
    rng : numpy Generator, int or None
        Random source of the bootstrap.

    Returns
    -------
    RephraseResult

    Notes
    -----
    The p-values come from :func:`spacing_pvalues`. The mixture assumes most documents near an
    item are unrelated to it; a corpus holding several different rephrasings of one item, or near
    (not exact) copies of one, lowers the test's power for that item. Measured recall and false
    flags: ``docs/contamination.md``.
    """
    check_confidence_level(confidence_level)
    check_positive_int(n_boot, "n_boot")
    gen = np.random.default_rng(rng)
    p = spacing_pvalues(scores)
    tested = np.flatnonzero(np.isfinite(p))
    prob = np.full(len(p), np.nan)
    if tested.size == 0:
        return RephraseResult(
            p_values=p,
            probability=prob,
            null_share=float("nan"),
            n_tested=0,
            n_rephrased=float("nan"),
            ci_low=float("nan"),
            ci_high=float("nan"),
            confidence_level=confidence_level,
            n_probable=0,
        )
    pt = p[tested]
    pi0 = _null_share(pt)
    prob[tested] = _posterior(pt, pi0)
    n = len(pt)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        boots[b] = (1 - _null_share(pt[gen.integers(0, n, n)])) * n
    alpha = (1 - confidence_level) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    return RephraseResult(
        p_values=p,
        probability=prob,
        null_share=pi0,
        n_tested=n,
        n_rephrased=float((1 - pi0) * n),
        ci_low=float(lo),
        ci_high=float(hi),
        confidence_level=confidence_level,
        n_probable=int(np.sum(prob[tested] >= 0.5)),
    )


def _f_sf(x, d1, d2):
    """The F distribution's survival function; scipy imported on first use (a scan worker never
    needs it and starts about a second faster without it)."""
    from scipy import stats

    return stats.f.sf(x, d1, d2)
