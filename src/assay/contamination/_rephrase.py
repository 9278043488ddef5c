"""Was an item rephrased into the corpus? Its nearest neighbours against the corpus' own null.

Without a judge, the only evidence is how far an item's nearest corpus neighbour stands above the
item's other neighbours. The top order statistics of similarities to unrelated documents have
(for a light tail, the Gumbel domain) normalised spacings ``j (s_j - s_{j+1})`` that are
independent exponentials with one scale; so the scale is estimated from the spacings of
neighbours 2..k, and the gap between the first and second neighbour is scored against it (an F
statistic, :func:`spacing_pvalues`). A rephrasing of the item lifts the first neighbour above the
tail of unrelated documents.

The F distribution is only the statistic's model. Where corpus documents themselves are given as
pseudo-queries (their own neighbours in the same corpus, themselves and exact copies left out:
``null_scores``), each item's p-value is the empirical one against that null: the share of
pseudo-queries whose nearest neighbour stands out at least as far, ``(1 + b) / (m + 1)`` (Phipson
and Smyth 2010). A corpus whose documents have similar siblings gets a heavier null.

Across a benchmark's items the p-values are a two-group mixture. Each item's probability of having
been rephrased into the corpus is one minus its local false discovery rate ``pi0 / f(p)``, ``f``
the Grenander density of the p-values and ``pi0`` Storey's share of nulls (Efron 2001; Strimmer
2008). The number of items rephrased is not identified: a rephrasing that does not stand out is
indistinguishable from none. What the p-values support is a one-sided lower confidence bound:
with ``R(t)`` items at p <= t and the nulls' count below ``t`` at most binomial, the smallest
number of rephrased items not rejected by the binomial tail, the largest such bound over a grid of
``t`` with a Bonferroni correction (and, for an empirical null, the null sample's own error bound
by a beta quantile), a bound of the family of Meinshausen and Rice (2006). ``(1 - pi0) n`` is
reported beside it as the number of items whose rephrasing stands out, an estimate that errs low
by the rephrasings the test misses. A point estimate with an interval, from each item's chance of
standing out had it been rephrased (a reference sample of how close rephrasings are to their
items, inserted into the item's neighbours), was built and measured cross-fitted and is not here:
its interval covered 60% when every item of a benchmark was rephrased, because how close a
rephrasing is to its item is not independent of the item's neighbours (docs/contamination.md,
"Why the report says 'at least N' and not 'about N'").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level

__all__ = ["RephraseResult", "rephrase_probability", "spacing_pvalues"]

_MIN_K = 4
_TIE = 1e-6  # neighbours this close in similarity count as copies of one document
# Storey's threshold (p-values above it count as nulls): 0.5 for the empirical null, whose null
# p-values are close to uniform; 0.1 for the F null, conservative on a light tail (its null
# p-values pile up above 0.5, and lambda 0.5 put the share of nulls at 1 when 10% were rephrased)
_LAMBDA = {"empirical": 0.5, "f": 0.1}
_GRID = (0.01, 0.05, 0.1, 0.2, 0.5)  # thresholds of the lower bound (Bonferroni over them)
_MIN_NULL = 20  # pseudo-queries needed for an empirical null


@dataclasses.dataclass(frozen=True)
class RephraseResult(Result):
    """Per-item probability of a rephrasing in the corpus, and a lower bound on how many have one.

    Attributes
    ----------
    p_values : ndarray of float64, shape (n_items,)
        Each item's p-value: empirical against the corpus' pseudo-queries when ``n_null > 0``,
        else the spacing F test's; NaN with fewer than four distinct neighbours.
    probability : ndarray of float64, shape (n_items,)
        Posterior probability that the item's nearest neighbour is a rephrasing of it (NaN where
        untested).
    null_share : float
        Estimated share of tested items without a rephrasing that stands out (Storey's
        estimator; lambda 0.5 with an empirical null, 0.1 with the F null).
    n_tested : int
        Items with a p-value.
    n_rephrased : float
        Items whose rephrasing stands out, ``(1 - null_share) * n_tested``: an estimate that errs
        low by the rephrasings the test misses (not the number rephrased).
    ci_low : int
        One-sided lower confidence bound, at ``confidence_level``, on the number of tested items
        with a rephrasing (or a document as close as one) in the corpus.
    ci_high : int
        ``n_tested``: the upper end is not identified (a rephrasing that does not stand out is
        indistinguishable from none).
    confidence_level : float
    n_probable : int
        Items whose probability is at least 0.5.
    n_null : int
        Pseudo-queries in the empirical null (0: the F distribution is the null).
    method : str
    """

    p_values: np.ndarray
    probability: np.ndarray
    null_share: float
    n_tested: int
    n_rephrased: float
    ci_low: int
    ci_high: int
    confidence_level: float
    n_probable: int
    n_null: int = 0
    method: str = "top-1 spacing F test; Storey pi0, Grenander local fdr; binomial lower bound"

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


def _null_share(p: np.ndarray, lam: float) -> float:
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


def _empirical_pvalues(p: np.ndarray, null_p: np.ndarray) -> np.ndarray:
    """``(1 + #{null <= p}) / (m + 1)``: each p-value's rank among the pseudo-queries' p-values
    (a smaller spacing p-value stands out more)."""
    null_sorted = np.sort(null_p)
    return (1.0 + np.searchsorted(null_sorted, p, side="right")) / (len(null_sorted) + 1.0)


def _lower_bound(p: np.ndarray, confidence_level: float, n_null: int) -> int:
    """One-sided lower confidence bound on the number of non-null p-values.

    At each threshold ``t`` of the grid, with ``R`` p-values at or below it, a number ``n1`` of
    non-nulls is rejected when ``P(Binomial(n - n1, t') >= R - n1) < a``: the nulls' count below
    ``t`` is at most binomial with rate ``t' = t`` for valid p-values. For empirical p-values
    against ``n_null`` pseudo-queries, ``t'`` is the beta upper bound of the null's distribution
    function at the order statistic the threshold stands for. ``a`` is ``1 - confidence_level``
    over the tests (Bonferroni), so the largest smallest-unrejected ``n1`` over the grid is a
    lower bound at ``confidence_level``.
    """
    from scipy import stats

    n = len(p)
    n_tests = len(_GRID) * (2 if n_null else 1)
    a = (1.0 - confidence_level) / n_tests
    best = 0
    for t in _GRID:
        rate = t
        if n_null:
            # p_emp <= t exactly when the item's statistic is below the null's order statistic
            # j = floor(t (m + 1)), whose distribution function value is Beta(j, m + 1 - j)
            j = int(np.floor(t * (n_null + 1) + 1e-9))
            rate = 0.0 if j < 1 else float(stats.beta.ppf(1 - a, j, n_null + 1 - j))
        r = int(np.sum(p <= t))
        n1 = np.arange(r + 1)
        kept = stats.binom.sf(r - n1 - 1, n - n1, rate) >= a  # at n1 = r always kept
        best = max(best, int(n1[np.argmax(kept)]))
    return best


def _rephrase_iv(scores, null_scores, confidence_level):
    check_confidence_level(confidence_level)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise InputError(f"`scores` must be 2-dimensional (n_items, k); got {s.ndim} dimensions.")
    if null_scores is None:
        return s, None
    q = np.asarray(null_scores, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != s.shape[1]:
        raise InputError(
            f"`null_scores` must be 2-dimensional with {s.shape[1]} columns like `scores`; "
            f"got shape {q.shape}."
        )
    return s, q


def rephrase_probability(
    scores: Any,
    *,
    null_scores: Any = None,
    confidence_level: float = 0.95,
) -> RephraseResult:
    """Probability that each item's nearest corpus neighbour is a rephrasing of it.

    Parameters
    ----------
    scores : array_like, shape (n_items, k)
        Similarities of each item to its ``k`` nearest corpus documents (cosine of sentence
        embeddings), best first; at least four distinct neighbours are needed per item (use
        ``k`` of 10 to 20: more neighbours estimate the tail of unrelated documents better).
    null_scores : array_like, shape (n_null, k), optional
        The same for corpus documents used as pseudo-queries against the rest of the corpus
        (themselves and their exact copies left out). With at least 20 of them testable, item
        p-values are empirical against this null; otherwise the F distribution is the null.
    confidence_level : float, default 0.95
        Level of the one-sided lower bound on the number of rephrased items.

    Returns
    -------
    RephraseResult

    Notes
    -----
    The lower bound holds when the items without a rephrasing have p-values at least uniform
    (and independent): for the empirical null, when the pseudo-queries' nearest neighbours stand
    out as far as an unrephrased item's do. A corpus holding, for an item, a similar problem that
    is not a rephrasing (a sibling the pseudo-queries do not have) breaks that, and the item counts
    as rephrased: measured rates, and the coverage of the bound, are in ``docs/contamination.md``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> top = -np.sort(-rng.normal(0.3, 0.08, (200, 2000)), axis=1)[:, :20]
    >>> top[:50, 0] += 0.3  # 50 items whose nearest neighbour stands out
    >>> res = rephrase_probability(top)
    >>> 0 < res.ci_low <= 50 and res.ci_high == 200
    True
    """
    s, q = _rephrase_iv(scores, null_scores, confidence_level)
    p = spacing_pvalues(s)
    n_null = 0
    if q is not None:
        null_p = spacing_pvalues(q)
        null_p = null_p[np.isfinite(null_p)]
        if len(null_p) >= _MIN_NULL:
            n_null = len(null_p)
            finite = np.isfinite(p)
            p[finite] = _empirical_pvalues(p[finite], null_p)
    tested = np.flatnonzero(np.isfinite(p))
    prob = np.full(len(p), np.nan)
    method = (
        f"top-1 spacing statistic, empirical p-value against {n_null} corpus pseudo-queries"
        if n_null
        else "top-1 spacing F test"
    ) + "; Storey pi0, Grenander local fdr; binomial lower bound"
    if tested.size == 0:
        return RephraseResult(
            p_values=p,
            probability=prob,
            null_share=float("nan"),
            n_tested=0,
            n_rephrased=float("nan"),
            ci_low=0,
            ci_high=0,
            confidence_level=confidence_level,
            n_probable=0,
            n_null=n_null,
            method=method,
        )
    pt = p[tested]
    pi0 = _null_share(pt, _LAMBDA["empirical" if n_null else "f"])
    prob[tested] = _posterior(pt, pi0)
    n = len(pt)
    return RephraseResult(
        p_values=p,
        probability=prob,
        null_share=pi0,
        n_tested=n,
        n_rephrased=float((1 - pi0) * n),
        ci_low=_lower_bound(pt, confidence_level, n_null),
        ci_high=n,
        confidence_level=confidence_level,
        n_probable=int(np.sum(prob[tested] >= 0.5)),
        n_null=n_null,
        method=method,
    )


def _f_sf(x, d1, d2):
    """The F distribution's survival function; scipy imported on first use (a scan worker never
    needs it and starts about a second faster without it)."""
    from scipy import stats

    return stats.f.sf(x, d1, d2)
