"""Agreement between raters and judges: Cohen's and Fleiss' kappa, Krippendorff's alpha, an LLM
judge against human labels, and prediction-powered inference of a mean."""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError, Result
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._bootstrap import _bootstrap_means
from assay.stats._results import EstimateResult

__all__ = [
    "FleissKappaResult",
    "JudgeAgreementResult",
    "KappaResult",
    "KrippendorffResult",
    "PPIResult",
    "cohen_kappa",
    "fleiss_kappa",
    "judge_agreement",
    "krippendorff_alpha",
    "ppi_mean",
    "ratings_to_counts",
]


def _z(confidence_level: float) -> float:
    return float(special.ndtri(0.5 + confidence_level / 2.0))


# ------------------------------------------------------------------------------ Cohen's kappa


@dataclasses.dataclass(frozen=True, kw_only=True)
class KappaResult(EstimateResult):
    """Cohen's kappa with its large-sample interval.

    Attributes
    ----------
    weights : str
        ``"none"``, ``"linear"`` or ``"quadratic"``.
    observed_agreement, chance_agreement : float
        Weighted observed and chance-expected agreement :math:`p_o, p_e`.
    pvalue : float
        Two-sided test of kappa = 0 (SE under the null).
    labels : tuple
        The categories, in the order used for weights.
    """

    weights: str
    observed_agreement: float
    chance_agreement: float
    pvalue: float
    labels: tuple


def _paired_labels(y1: Any, y2: Any, labels: Any, names=("y1", "y2")):
    a, b = np.asarray(y1), np.asarray(y2)
    for arr, name in ((a, names[0]), (b, names[1])):
        if arr.ndim != 1:
            raise InputError(f"`{name}` must be one-dimensional; got shape {arr.shape}.")
        if arr.size == 0:
            raise InputError(f"`{name}` must have at least 1 element(s); got 0.")
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise InputError(f"`{name}` contains {int(np.isnan(arr).sum())} NaN label(s).")
    if a.shape != b.shape:
        raise InputError(
            f"`{names[0]}` and `{names[1]}` must have the same length; got {a.size} and {b.size}."
        )
    try:
        found = np.unique(np.concatenate([a, b]))
    except TypeError:
        raise InputError(f"`{names[0]}` and `{names[1]}` labels must be comparable.") from None
    if labels is None:
        labels = found
    else:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size < 2 or np.unique(labels).size != labels.size:
            raise InputError(f"`labels` must list at least 2 distinct categories; got {labels!r}.")
        missing = np.setdiff1d(found, labels)
        if missing.size:
            raise InputError(f"`labels` misses categories found in the data: {missing.tolist()!r}.")
    index = {v: i for i, v in enumerate(labels.tolist())}
    ia = np.fromiter((index[v] for v in a.tolist()), np.int64, a.size)
    ib = np.fromiter((index[v] for v in b.tolist()), np.int64, b.size)
    k = labels.size
    table = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k).astype(np.float64)
    return table, tuple(labels.tolist())


def _kappa_from_table(table: np.ndarray, weights: str):
    """Weighted kappa and its variances (Fleiss, Cohen & Everitt 1969) from a k x k table."""
    k = table.shape[0]
    n = table.sum()
    p = table / n
    row, col = p.sum(1), p.sum(0)
    idx = np.arange(k, dtype=np.float64)
    d = np.abs(idx[:, None] - idx[None, :]) / max(k - 1, 1)
    w = {"none": np.eye(k), "linear": 1.0 - d, "quadratic": 1.0 - d**2}[weights]
    po = float((w * p).sum())
    pe = float((w * np.outer(row, col)).sum())
    if pe == 1.0:
        return math.nan, math.nan, math.nan, po, pe
    kappa = (po - pe) / (1.0 - pe)
    w_row = w @ col  # sum_j p_.j w_ij
    w_col = row @ w  # sum_i p_i. w_ij
    cross = w_row[:, None] + w_col[None, :]
    fac = 1.0 / ((1.0 - pe) ** 2 * n)
    var = ((p * (w - cross * (1 - kappa)) ** 2).sum() - (kappa - pe * (1 - kappa)) ** 2) * fac
    var0 = ((np.outer(row, col) * (w - cross) ** 2).sum() - pe**2) * fac
    return float(kappa), float(var), float(var0), po, pe


def cohen_kappa(
    y1: Any,
    y2: Any,
    *,
    weights: str | None = None,
    labels: Any = None,
    confidence_level: float = 0.95,
) -> KappaResult:
    """Cohen's kappa of two raters, unweighted or weighted, with a large-sample interval.

    Parameters
    ----------
    y1, y2 : array_like, shape (n_items,)
        The two raters' labels (numbers or strings), no missing values.
    weights : {None, "linear", "quadratic"}, default None
        Disagreement weights for ordered categories: :math:`|i-j|` or :math:`(i-j)^2` in the
        order of ``labels``.
    labels : array_like, optional
        All categories, in order (default: the sorted labels found).
    confidence_level : float, default 0.95
        Nominal coverage of the normal interval.

    Returns
    -------
    KappaResult

    Notes
    -----
    With agreement weights :math:`w_{ij}` (1 on the diagonal; :math:`1 - |i-j|/(k-1)` or
    :math:`1 - (i-j)^2/(k-1)^2`), :math:`p_o = \\sum w_{ij} p_{ij}`,
    :math:`p_e = \\sum w_{ij} p_{i\\cdot} p_{\\cdot j}` and :math:`\\kappa = (p_o - p_e)/(1 - p_e)`.
    The variance is that of Fleiss, Cohen & Everitt (1969):
    :math:`[\\sum p_{ij}(w_{ij} - (\\bar w_{i\\cdot} + \\bar w_{\\cdot j})(1-\\kappa))^2 -
    (\\kappa - p_e(1-\\kappa))^2] / (n (1-p_e)^2)`.

    References
    ----------
    .. [1] J. Cohen, "Weighted kappa", *Psychological Bulletin* 70(4), 213-220, 1968.
    .. [2] J. L. Fleiss, J. Cohen and B. S. Everitt, "Large sample standard errors of kappa and
       weighted kappa", *Psychological Bulletin* 72(5), 323-327, 1969.

    Examples
    --------
    >>> from assay.stats._agreement import cohen_kappa
    >>> res = cohen_kappa(["a", "a", "b", "b", "a"], ["a", "b", "b", "b", "a"])
    >>> round(res.estimate, 4)
    0.6154
    """
    weights = check_choice("none" if weights is None else weights, "weights",
                           ("none", "linear", "quadratic"))  # fmt: skip
    confidence_level = check_confidence_level(confidence_level)
    table, labs = _paired_labels(y1, y2, labels)
    kappa, var, var0, po, pe = _kappa_from_table(table, weights)
    se = math.sqrt(var) if var >= 0 else math.nan
    z = _z(confidence_level)
    pvalue = float(2 * special.ndtr(-abs(kappa) / math.sqrt(var0))) if var0 > 0 else math.nan
    return KappaResult(
        estimate=kappa, ci_low=kappa - z * se, ci_high=kappa + z * se,
        confidence_level=confidence_level, method=f"cohen-kappa-{weights}", n=int(table.sum()),
        se=se, weights=weights, observed_agreement=po, chance_agreement=pe, pvalue=pvalue,
        labels=labs,
    )  # fmt: skip


# ------------------------------------------------------------------------------ Fleiss' kappa


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleissKappaResult(EstimateResult):
    """Fleiss' kappa with a bootstrap interval over items.

    Attributes
    ----------
    n_raters : int
        Ratings per item.
    observed_agreement, chance_agreement : float
        :math:`\\bar P` and :math:`\\bar P_e`.
    """

    n_raters: int
    observed_agreement: float
    chance_agreement: float


def ratings_to_counts(ratings: Any, *, labels: Any = None) -> tuple[np.ndarray, tuple]:
    """Turn ratings of shape (n_items, n_raters) into counts per category, (n_items, k).

    Parameters
    ----------
    ratings : array_like, shape (n_items, n_raters)
        Each rater's label for each item.
    labels : array_like, optional
        All categories (default: the sorted labels found).

    Returns
    -------
    counts : ndarray of int, shape (n_items, n_categories)
    labels : tuple

    Examples
    --------
    >>> from assay.stats._agreement import ratings_to_counts
    >>> counts, labels = ratings_to_counts([["x", "y"], ["y", "y"]])
    >>> counts.tolist(), labels
    ([[1, 1], [0, 2]], ('x', 'y'))
    """
    arr = np.asarray(ratings)
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(
            f"`ratings` must be a non-empty 2-D array (items x raters); got shape {arr.shape}."
        )
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InputError(f"`ratings` contains {int(np.isnan(arr).sum())} NaN label(s).")
    found, inverse = np.unique(arr, return_inverse=True)
    labels = found if labels is None else np.asarray(labels)
    position = {v: i for i, v in enumerate(labels.tolist())}
    missing = [v for v in found.tolist() if v not in position]
    if missing:
        raise InputError(f"`labels` misses categories found in the data: {missing!r}.")
    codes = np.array([position[v] for v in found.tolist()])[inverse.reshape(arr.shape)]
    counts = np.zeros((arr.shape[0], labels.size), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(arr.shape[0]), arr.shape[1]), codes.ravel()), 1)
    return counts, tuple(labels.tolist())


def _fleiss_parts(counts: np.ndarray):
    m = counts.sum(axis=1)[0]
    pi = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    return np.vstack([pi[None, :], (counts / m).T])  # rows: P_i, then n_ij / m per category


def _fleiss_from_means(means: np.ndarray) -> np.ndarray:
    pbar, pj = means[..., 0], means[..., 1:]
    pe = (pj**2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (pbar - pe) / (1.0 - pe)


def fleiss_kappa(
    counts: Any,
    *,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: Any = None,
) -> FleissKappaResult:
    """Fleiss' kappa of many raters, with a percentile bootstrap interval over items.

    Parameters
    ----------
    counts : array_like of int, shape (n_items, n_categories)
        How many raters put each item in each category; the same number of raters per item
        (:func:`ratings_to_counts` builds it from raw ratings).
    confidence_level : float, default 0.95
        Nominal coverage.
    n_resamples : int, default 2000
        Bootstrap resamples of items.
    rng : numpy.random.Generator, int or None
        Seed or generator.

    Returns
    -------
    FleissKappaResult

    Notes
    -----
    With ``m`` raters, :math:`P_i = (\\sum_j n_{ij}^2 - m)/(m(m-1))`, :math:`p_j = \\sum_i n_{ij}
    /(N m)`, :math:`\\bar P_e = \\sum_j p_j^2` and :math:`\\kappa = (\\bar P - \\bar P_e)/(1 - \\bar
    P_e)` (Fleiss 1971). :math:`\\bar P` and :math:`p_j` are means over items, so the item
    bootstrap runs through the shared vectorised bootstrap of means.

    References
    ----------
    .. [1] J. L. Fleiss, "Measuring nominal scale agreement among many raters",
       *Psychological Bulletin* 76(5), 378-382, 1971.

    Examples
    --------
    >>> from assay.stats._agreement import fleiss_kappa
    >>> res = fleiss_kappa([[3, 0], [0, 3], [2, 1], [3, 0]], rng=0)
    >>> round(res.estimate, 4)
    0.625
    """
    confidence_level = check_confidence_level(confidence_level)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    rng = check_rng(rng)
    c = check_array(counts, "counts", ndim=2)
    if (c < 0).any() or (c != np.round(c)).any():
        raise InputError("`counts` must hold non-negative whole numbers of raters.")
    m = c.sum(axis=1)
    if np.unique(m).size != 1:
        raise InputError(
            f"`counts` must have the same number of raters for every item; got row sums from "
            f"{int(m.min())} to {int(m.max())}."
        )
    if m[0] < 2:
        raise InputError(f"`counts` needs at least 2 raters per item; got {int(m[0])}.")
    if c.shape[1] < 2:
        raise InputError(f"`counts` needs at least 2 categories; got {c.shape[1]}.")
    parts = _fleiss_parts(c)
    means = parts.mean(axis=1)
    kappa = float(_fleiss_from_means(means))
    dist = _fleiss_from_means(_bootstrap_means(parts, n_resamples=n_resamples, rng=rng))
    alpha = (1 - confidence_level) / 2
    finite = dist[np.isfinite(dist)]
    lo, hi = (np.percentile(finite, [100 * alpha, 100 * (1 - alpha)]) if finite.size
              else (math.nan, math.nan))  # fmt: skip
    return FleissKappaResult(
        estimate=kappa, ci_low=float(lo), ci_high=float(hi), confidence_level=confidence_level,
        method="fleiss-kappa-bootstrap-percentile", n=int(c.shape[0]),
        se=float(finite.std(ddof=1)) if finite.size > 1 else math.nan, n_raters=int(m[0]),
        observed_agreement=float(means[0]), chance_agreement=float((means[1:] ** 2).sum()),
    )  # fmt: skip


# ------------------------------------------------------------------------------ Krippendorff


@dataclasses.dataclass(frozen=True, kw_only=True)
class KrippendorffResult(Result):
    """Krippendorff's alpha.

    Attributes
    ----------
    estimate : float
        Alpha.
    level : str
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    n : int
        Pairable values (values in units coded by at least two raters).
    n_units : int
        Units with at least two values.
    observed_disagreement, expected_disagreement : float
        :math:`D_o` and :math:`D_e`.
    method : str
        ``"krippendorff-alpha"``.
    """

    estimate: float
    level: str
    n: int
    n_units: int
    observed_disagreement: float
    expected_disagreement: float
    method: str = "krippendorff-alpha"


def _delta2(values: np.ndarray, nc: np.ndarray, level: str) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        s = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = ((values[:, None] - values[None, :]) / s) ** 2
        return np.where(s == 0, 0.0, out)
    cum = np.concatenate([[0.0], np.cumsum(nc)])  # ordinal
    i, j = (
        np.minimum.outer(np.arange(nc.size), np.arange(nc.size)),
        np.maximum.outer(np.arange(nc.size), np.arange(nc.size)),
    )
    between = cum[j + 1] - cum[i]
    return (between - (nc[i] + nc[j]) / 2.0) ** 2


def krippendorff_alpha(reliability_data: Any, *, level: str = "nominal") -> KrippendorffResult:
    """Krippendorff's alpha for any number of raters, with missing values.

    Parameters
    ----------
    reliability_data : array_like, shape (n_raters, n_units)
        Numeric codes, NaN where a rater did not code a unit.
    level : {"nominal", "ordinal", "interval", "ratio"}, default "nominal"
        Level of measurement (the difference function).

    Returns
    -------
    KrippendorffResult

    Notes
    -----
    Units coded by fewer than two raters are not pairable and are left out. The coincidence
    matrix is :math:`o_{ck} = \\sum_u \\sum_{i \\ne j} 1[v_{iu}=c, v_{ju}=k] / (m_u - 1)`, with
    :math:`n_c = \\sum_k o_{ck}` and :math:`n = \\sum_c n_c`; then
    :math:`\\alpha = 1 - (n - 1) \\sum o_{ck} \\delta^2_{ck} / \\sum n_c n_k \\delta^2_{ck}`, with
    :math:`\\delta^2` nominal :math:`1[c \\ne k]`, ordinal :math:`(\\sum_{g=c}^{k} n_g - (n_c +
    n_k)/2)^2`, interval :math:`(c - k)^2`, ratio :math:`((c-k)/(c+k))^2` (Krippendorff 2011).

    References
    ----------
    .. [1] K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", University of
       Pennsylvania, 2011, https://repository.upenn.edu/asc_papers/43.

    Examples
    --------
    >>> from assay.stats._agreement import krippendorff_alpha
    >>> a = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    >>> round(krippendorff_alpha(a).estimate, 3)
    0.095
    """
    level = check_choice(level, "level", ("nominal", "ordinal", "interval", "ratio"))
    x = check_array(reliability_data, "reliability_data", ndim=2, allow_nan=True)
    present = ~np.isnan(x)
    values = np.unique(x[present])
    if level == "ratio" and (values < 0).any():
        raise InputError("`reliability_data` must be >= 0 for the ratio level.")
    m = present.sum(axis=0)
    keep = m >= 2
    if keep.sum() == 0:
        raise InputError("`reliability_data` has no unit coded by at least 2 raters.")
    codes = np.searchsorted(values, np.where(present, x, values[0]))
    v = values.size
    cnt = np.zeros((x.shape[1], v))
    for r in range(x.shape[0]):  # loop over raters (few), vectorised over units
        np.add.at(cnt, (np.arange(x.shape[1])[present[r]], codes[r][present[r]]), 1.0)
    cnt, mu = cnt[keep], m[keep].astype(np.float64)
    scaled = cnt / (mu - 1.0)[:, None]
    o = scaled.T @ cnt - np.diag(scaled.sum(axis=0))
    nc = o.sum(axis=1)
    n = nc.sum()
    d2 = _delta2(values, nc, level)
    d_o = float((o * d2).sum() / n)
    d_e = float((np.outer(nc, nc) * d2).sum() / (n * (n - 1.0)))
    alpha = 1.0 - d_o / d_e if d_e > 0 else math.nan
    return KrippendorffResult(
        estimate=float(alpha), level=level, n=int(round(n)), n_units=int(keep.sum()),
        observed_disagreement=d_o, expected_disagreement=d_e,
    )  # fmt: skip


# ------------------------------------------------------------------------------ judge vs human


@dataclasses.dataclass(frozen=True, kw_only=True)
class JudgeAgreementResult(Result):
    """An LLM judge against human labels.

    Attributes
    ----------
    labels : tuple
        Categories, the order of the confusion matrix.
    confusion : ndarray, shape (k, k)
        Counts; rows are human labels, columns the judge's.
    n : int
        Items.
    observed_agreement : float
        Share of items where judge and human agree.
    chance_agreement : float
        Agreement expected from the base rates alone, :math:`\\sum_c p^{human}_c p^{judge}_c`.
    kappa : KappaResult
        Cohen's kappa (unweighted) with its interval.
    base_rate_human, base_rate_judge : tuple of float
        Share of each category in the human and the judge labels.
    recall, precision : tuple of float
        Per category: the judge's recall (of human labels) and precision (NaN if never used).
    """

    labels: tuple
    confusion: np.ndarray
    n: int
    observed_agreement: float
    chance_agreement: float
    kappa: KappaResult
    base_rate_human: tuple
    base_rate_judge: tuple
    recall: tuple
    precision: tuple


def judge_agreement(
    y_true: Any, y_pred: Any, *, labels: Any = None, confidence_level: float = 0.95
) -> JudgeAgreementResult:
    """How well an LLM judge's labels agree with human labels, beyond the base rates.

    Parameters
    ----------
    y_true : array_like, shape (n_items,)
        Human labels.
    y_pred : array_like, shape (n_items,)
        The judge's labels for the same items.
    labels : array_like, optional
        All categories, in order.
    confidence_level : float, default 0.95
        For the kappa interval.

    Returns
    -------
    JudgeAgreementResult

    Notes
    -----
    A judge that always says "correct" on a benchmark where 90% of answers are correct agrees
    with humans 90% of the time and adds nothing: the chance agreement
    :math:`p_e = \\sum_c p^{human}_c p^{judge}_c` is 0.9 and kappa is 0 (Cohen 1960).

    References
    ----------
    .. [1] J. Cohen, "A coefficient of agreement for nominal scales", *Educational and
       Psychological Measurement* 20(1), 37-46, 1960.

    Examples
    --------
    >>> from assay.stats._agreement import judge_agreement
    >>> res = judge_agreement([1, 1, 1, 0], [1, 1, 1, 1])
    >>> res.observed_agreement, res.chance_agreement, res.kappa.estimate
    (0.75, 0.75, 0.0)
    """
    confidence_level = check_confidence_level(confidence_level)
    table, labs = _paired_labels(y_true, y_pred, labels, names=("y_true", "y_pred"))
    n = table.sum()
    human, judge = table.sum(axis=1) / n, table.sum(axis=0) / n
    diag = np.diag(table)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = diag / table.sum(axis=1)
        precision = diag / table.sum(axis=0)
    kappa = cohen_kappa(y_true, y_pred, labels=labs, confidence_level=confidence_level)
    return JudgeAgreementResult(
        labels=labs, confusion=table.astype(np.int64), n=int(n),
        observed_agreement=float(diag.sum() / n), chance_agreement=float(human @ judge),
        kappa=kappa, base_rate_human=tuple(human.tolist()), base_rate_judge=tuple(judge.tolist()),
        recall=tuple(recall.tolist()), precision=tuple(precision.tolist()),
    )  # fmt: skip


# ------------------------------------------------------------------------------ PPI


@dataclasses.dataclass(frozen=True, kw_only=True)
class PPIResult(EstimateResult):
    """A prediction-powered mean.

    Attributes
    ----------
    n_unlabeled : int
        Judge-only items.
    lam : float
        Weight of the judge's predictions (1: classic PPI; tuned: PPI++).
    rectifier : float
        :math:`\\overline{\\hat y - y}` on the labelled set: the judge's bias.
    classical_ci_low, classical_ci_high : float
        The normal interval from the labelled set alone, for comparison.
    """

    n_unlabeled: int
    lam: float
    rectifier: float
    classical_ci_low: float
    classical_ci_high: float


def ppi_mean(
    y: Any,
    yhat: Any,
    yhat_unlabeled: Any,
    *,
    lam: float | str = 1.0,
    confidence_level: float = 0.95,
) -> PPIResult:
    """Mean and CI from a small human-labelled set plus a large judge-labelled set (PPI).

    Parameters
    ----------
    y : array_like, shape (n,)
        Human (gold) scores on the labelled items.
    yhat : array_like, shape (n,)
        The judge's scores on the same labelled items.
    yhat_unlabeled : array_like, shape (N,)
        The judge's scores on the items without human labels.
    lam : float or "tuned", default 1.0
        Weight of the predictions: 1 is the PPI estimator of Angelopoulos et al. (2023);
        ``"tuned"`` picks the variance-minimising weight (PPI++), clipped to [0, 1] as
        ppi-python's ``ppi_mean_ci(lam=None)`` clips it; 0 ignores the judge.
    confidence_level : float, default 0.95
        Nominal coverage (normal interval).

    Returns
    -------
    PPIResult

    Notes
    -----
    :math:`\\hat\\theta = \\lambda \\bar{\\hat y}^{U} - \\overline{(\\lambda\\hat y - y)}`, with
    :math:`\\mathrm{SE}^2 = \\lambda^2 \\hat\\sigma^2_{\\hat y^U}/N + \\hat\\sigma^2_{\\lambda\\hat y - y}/n`
    (variances with 1/N and 1/n, as in the paper's algorithm) and interval
    :math:`\\hat\\theta \\pm z_{1-\\alpha/2} \\mathrm{SE}`. PPI++ (Angelopoulos, Duchi & Zrnic 2023):
    :math:`\\lambda^* = \\mathrm{Cov}(y, \\hat y) / ((1 + n/N) \\mathrm{Var}(\\hat y))`, the
    covariance from the labelled pairs (1/n) and the variance from all predictions (1/(n+N-1)),
    clipped to [0, 1] as in ppi-python (``_calc_lam_glm(clip=True)``, version 0.2.3). Clipping
    matters when the judge is anti-correlated with the truth (the unclipped weight is negative) or
    the judge's scale is compressed (above 1); a clipped weight is no longer the variance
    minimiser but keeps the estimator between the classical mean (0) and PPI (1). Unclipped, the
    interval also covers (0.947 against 0.946 for ppi-python in the outside check of issue 24).

    References
    ----------
    .. [1] A. N. Angelopoulos, S. Bates, C. Fannjiang, M. I. Jordan and T. Zrnic,
       "Prediction-powered inference", *Science* 382(6671), 669-674, 2023.
    .. [2] A. N. Angelopoulos, J. C. Duchi and T. Zrnic, "PPI++: Efficient prediction-powered
       inference", arXiv:2311.01453, 2023.

    Examples
    --------
    >>> from assay.stats._agreement import ppi_mean
    >>> res = ppi_mean([1, 0, 1, 1], [1, 0, 0, 1], [1, 1, 0, 1, 1, 0, 1, 1])
    >>> res.estimate, res.rectifier
    (1.0, -0.25)
    """
    confidence_level = check_confidence_level(confidence_level)
    yy = check_array(y, "y", ndim=1, min_size=2)
    yh = check_array(yhat, "yhat", ndim=1, min_size=2)
    yu = check_array(yhat_unlabeled, "yhat_unlabeled", ndim=1, min_size=2)
    if yy.size != yh.size:
        raise InputError(f"`y` and `yhat` must have the same length; got {yy.size} and {yh.size}.")
    n, big_n = yy.size, yu.size
    if isinstance(lam, str):
        check_choice(lam, "lam", ("tuned",))
        allp = np.concatenate([yh, yu])
        var_f = allp.var(ddof=1)
        cov = float(np.mean((yy - yy.mean()) * (yh - yh.mean())))
        lam_v = cov / ((1.0 + n / big_n) * var_f) if var_f > 0 else 0.0
        lam_v = min(max(lam_v, 0.0), 1.0)  # clipped to [0, 1], as ppi-python does
    elif isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not math.isfinite(lam):
        raise InputError(f"`lam` must be a finite number or 'tuned'; got {lam!r}.")
    else:
        lam_v = float(lam)
    rect = lam_v * yh - yy
    est = float(lam_v * yu.mean() - rect.mean())
    se = math.sqrt(lam_v**2 * yu.var() / big_n + rect.var() / n)
    z = _z(confidence_level)
    cse = math.sqrt(yy.var() / n)
    return PPIResult(
        estimate=est, ci_low=est - z * se, ci_high=est + z * se, confidence_level=confidence_level,
        method="ppi" if lam_v == 1.0 and not isinstance(lam, str) else "ppi++", n=n, se=se,
        n_unlabeled=big_n, lam=lam_v, rectifier=float(np.mean(yh - yy)),
        classical_ci_low=float(yy.mean() - z * cse), classical_ci_high=float(yy.mean() + z * cse),
    )  # fmt: skip
