"""Per-subject (per-tag) results with intervals, and a test of heterogeneity across subjects."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_array, check_choice, check_confidence_level
from assay.stats._means import bounded_interval
from assay.stats._proportion import proportion_ci
from assay.stats._results import EstimateResult, TestResult

__all__ = ["SubgroupResult", "subgroups"]

_METHODS = ("auto", "wilson", "jeffreys", "clopper-pearson", "agresti-coull", "t")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubgroupEstimate(EstimateResult):
    """The mean score of one subgroup with its interval; ``group`` names it."""

    group: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubgroupResult(Result):
    """Per-subgroup means with intervals and tests of heterogeneity across subgroups.

    Attributes
    ----------
    groups : tuple of SubgroupEstimate
        One per subgroup, sorted by name.
    overall : EstimateResult
        The mean over all items, with the same kind of interval.
    homogeneity : TestResult or None
        For binary scores: Pearson's chi-square test of homogeneity of the (subgroup x
        right/wrong) table, ``df = G - 1``. None for other scores.
    q : TestResult
        Cochran's Q of meta-analysis: :math:`Q = \\sum_g w_g (\\bar x_g - \\bar x_w)^2` with
        :math:`w_g = 1/\\mathrm{se}_g^2`, chi-square with ``G' - 1`` df over the ``G'`` subgroups with
        a positive standard error.
    i2 : float
        :math:`I^2 = \\max(0, (Q - \\mathrm{df}) / Q)`: the share of the spread of subgroup means
        beyond what sampling error explains.
    tau2 : float
        DerSimonian-Laird between-subgroup variance.
    confidence_level : float
    method : str
        The per-subgroup interval.
    n : int
        Items (each counted once, also when it belongs to several subgroups).
    overlapping : bool
        True when some item belongs to several subgroups (multi-label tags); then the tests
        across subgroups are not computed (``homogeneity`` None, ``q``, ``i2``, ``tau2`` NaN).
    note : str
        Why a test is missing, when it is.
    """

    groups: tuple[SubgroupEstimate, ...]
    overall: EstimateResult
    homogeneity: TestResult | None
    q: TestResult
    i2: float
    tau2: float
    confidence_level: float
    method: str
    n: int
    overlapping: bool = False
    note: str = ""


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _membership(groups, n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(names, item index, group code) pairs: one pair per (item, group) membership.

    A label is a string or number (one group), or a list, tuple, set or array of them (an item
    in several groups: multi-label tags; a 2-D array holds one row of labels per item).
    """
    labels = list(groups) if not isinstance(groups, str) else [groups]
    if len(labels) != n_items:
        raise InputError(f"`groups` must have one label per item ({n_items}); got {len(labels)}.")
    items, tags = [], []
    unlabelled = 0
    for i, label in enumerate(labels):
        many = isinstance(label, list | tuple | set | frozenset | np.ndarray)
        these = [v for v in (list(label) if many else [label]) if not _is_missing(v)]
        if not these:
            unlabelled += 1
        for v in dict.fromkeys(str(v) for v in these):  # a tag repeated on one item counts once
            items.append(i)
            tags.append(v)
    if unlabelled:
        raise InputError(f"`groups` has no label for {unlabelled} of {n_items} item(s).")
    names, codes = np.unique(np.asarray(tags, dtype=str), return_inverse=True)
    return names, np.asarray(items, dtype=np.intp), codes.reshape(-1)


def _subgroups_iv(scores, groups, method, confidence_level):
    level = check_confidence_level(confidence_level)
    method = check_choice(method, "method", _METHODS)
    x = check_array(scores, "scores", ndim=(1, 2))
    if x.ndim == 2:
        x = x.mean(axis=1)  # item means over samples
    names, items, codes = _membership(groups, x.size)
    if names.size < 2:
        raise InputError(
            f"`groups` must name at least 2 subgroups; got {names.size} ({str(names[0])!r})."
        )
    binary = bool(np.all((x == 0) | (x == 1)))
    if method == "auto":
        method = "wilson" if binary else "t"
    elif method != "t" and not binary:
        raise InputError(f"`method={method!r}` needs binary (0/1) scores; use method='t'.")
    return x, names, items, codes, method, level, binary


def _group_intervals(x, codes, names, method, level):
    n = np.bincount(codes).astype(float)
    s = np.bincount(codes, weights=x)
    mean = s / n
    ss = np.bincount(codes, weights=(x - mean[codes]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = ss / (n - 1)
    if method == "t":
        se = np.sqrt(var / n)
        half = sps.t.ppf(0.5 + level / 2.0, n - 1) * se
        lo, hi = mean - half, mean + half
        if np.all((x >= 0) & (x <= 1)):  # scores in [0, 1]: an interval that stays inside
            lo, hi = bounded_interval(mean, se, n, df=n - 1, confidence_level=level)
        se_q = se
    else:
        ci = proportion_ci(s, n, method=method, confidence_level=level)
        lo, hi = np.asarray(ci.ci_low), np.asarray(ci.ci_high)
        se_q = np.sqrt(mean * (1.0 - mean) / n)
        se = se_q
    return n, mean, lo, hi, se, se_q


def _cochran_q(mean, se):
    use = np.isfinite(se) & (se > 0)
    if use.sum() < mean.size:
        warnings.warn(
            f"{int((~use).sum())} subgroup(s) have no spread (or one item) and are left out of "
            "Cochran's Q.",
            DegenerateDataWarning,
            stacklevel=3,
        )
    w = 1.0 / se[use] ** 2
    k = int(use.sum())
    if k < 2:
        return math.nan, math.nan, 0, math.nan, math.nan
    pooled = np.sum(w * mean[use]) / w.sum()
    q = float(np.sum(w * (mean[use] - pooled) ** 2))
    df = k - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    tau2 = max(0.0, (q - df) / (w.sum() - np.sum(w**2) / w.sum()))
    return q, float(sps.chi2.sf(q, df)), df, i2, float(tau2)


def _overlapping_result(estimates, overall, level, method, n_items) -> SubgroupResult:
    """Multi-label subgroups share items: the tests across subgroups, which assume disjoint
    subgroups (independent means), are not computed."""
    nan = math.nan
    note = (
        "Some items belong to several subgroups: the subgroup means are not independent, so "
        "the tests of heterogeneity across subgroups (chi-square, Cochran's Q, I^2, tau^2) are "
        "not computed."
    )
    q = TestResult(
        statistic=nan, pvalue=nan, alternative="two-sided", method="cochran-q",
        n=len(estimates), df=nan,
    )  # fmt: skip
    return SubgroupResult(
        groups=estimates, overall=overall, homogeneity=None, q=q, i2=nan, tau2=nan,
        confidence_level=level, method=method, n=int(n_items), overlapping=True, note=note,
    )  # fmt: skip


def subgroups(
    scores: Any,
    groups: Any,
    *,
    method: str = "auto",
    confidence_level: float = 0.95,
) -> SubgroupResult:
    """Mean score per subgroup (subject, tag) with intervals, and whether subgroups differ.

    Parameters
    ----------
    scores : array_like of shape (n_items,) or (n_items, n_samples)
        Item scores (item means are used with several samples). For a per-subject *difference*
        between two models, pass ``b - a``.
    groups : sequence of length n_items
        Subgroup label of each item: a string (or number), or a list / tuple / set of them for
        an item in several subgroups (multi-label tags). An item in several subgroups counts in
        each of their means; the tests across subgroups then are not computed, since they
        assume disjoint subgroups.
    method : {'auto', 'wilson', 'jeffreys', 'clopper-pearson', 'agresti-coull', 't'}
        Per-subgroup interval; 'auto' is Wilson for binary scores and t otherwise.
    confidence_level : float, default 0.95

    Returns
    -------
    SubgroupResult

    Notes
    -----
    Binary scores: Pearson's :math:`\\chi^2 = \\sum_g n_g (p_g - \\bar p)^2 / (\\bar p (1 - \\bar p))`
    (as ``scipy.stats.chi2_contingency(correction=False)``). Any scores: Cochran's Q with
    inverse-variance weights, :math:`I^2` (Higgins & Thompson 2002) and the DerSimonian-Laird
    :math:`\\tau^2`, as ``statsmodels.stats.meta_analysis.combine_effects``.

    References
    ----------
    Cochran (1954), Biometrics 10:101-129. Higgins & Thompson (2002), Stat. Med. 21:1539-1558.
    DerSimonian & Laird (1986), Control. Clin. Trials 7:177-188.

    Examples
    --------
    >>> from assay.stats import subgroups
    >>> res = subgroups([1, 1, 1, 0, 0, 1, 0, 0], ["x", "x", "x", "x", "y", "y", "y", "y"])
    >>> [g.estimate for g in res.groups]
    [0.75, 0.25]
    """
    x, names, items, codes, method, level, binary = _subgroups_iv(
        scores, groups, method, confidence_level
    )
    overlapping = items.size > x.size
    n, mean, lo, hi, se, se_q = _group_intervals(x[items], codes, names, method, level)
    estimates = tuple(
        SubgroupEstimate(
            group=str(g),
            estimate=float(m),
            ci_low=float(a),
            ci_high=float(b),
            confidence_level=level,
            method=method,
            n=int(k),
            se=float(s),
        )  # fmt: skip
        for g, m, a, b, k, s in zip(names, mean, lo, hi, n, se)
    )
    _, o_mean, o_lo, o_hi, o_se, _ = _group_intervals(
        x, np.zeros(x.size, dtype=int), names[:1], method, level
    )
    overall = EstimateResult(
        estimate=float(o_mean[0]), ci_low=float(o_lo[0]), ci_high=float(o_hi[0]),
        confidence_level=level, method=method, n=int(x.size), se=float(o_se[0]),
    )  # fmt: skip
    if overlapping:
        return _overlapping_result(estimates, overall, level, method, x.size)
    homogeneity = None
    if binary:
        p = x.mean()
        chi2 = float(np.sum(n * (mean - p) ** 2) / (p * (1 - p))) if 0 < p < 1 else 0.0
        homogeneity = TestResult(
            statistic=chi2, pvalue=float(sps.chi2.sf(chi2, names.size - 1)),
            alternative="two-sided", method="chi2-homogeneity", n=int(x.size), df=float(names.size - 1),
        )  # fmt: skip
    q, q_p, q_df, i2, tau2 = _cochran_q(mean, se_q)
    return SubgroupResult(
        groups=estimates,
        overall=overall,
        homogeneity=homogeneity,
        q=TestResult(
            statistic=q,
            pvalue=q_p,
            alternative="two-sided",
            method="cochran-q",
            n=names.size,
            df=float(q_df),
        ),
        i2=i2,
        tau2=tau2,
        confidence_level=level,
        method=method,
        n=int(x.size),
    )
