"""A against B, item by item: the paired comparison of two models on the same items."""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result, ScoreMatrix
from assay._core._validation import (
    check_alternative,
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._bootstrap import _bootstrap_interval, _bootstrap_means, _encode_clusters
from assay.stats._clustered import _cr2_se_df, _warn_effective_clusters
from assay.stats._means import bounded_interval
from assay.stats._models import _matrix_clusters
from assay.stats._results import BootstrapResult, TestResult

__all__ = [
    "CompareResult",
    "MarginResult",
    "McNemarResult",
    "compare",
    "compare_models",
]

#: Exact sign-flip enumeration when 2**(non-zero differences) is at most this (and n_resamples).
_MAX_EXACT_FLIPS = 2**16
#: Draw the sign-flip null through binomial counts when there are at most this many |d| values.
_MAX_DISTINCT_ABS = 512
_CHUNK_ELEMENTS = 8_000_000


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class McNemarResult(TestResult):
    """McNemar's test on the discordant pairs of two binary score vectors.

    ``statistic`` and ``pvalue`` are the exact (binomial) test: the statistic is the smaller of the
    two discordant counts, as in statsmodels. ``n`` is the number of discordant pairs.

    Attributes
    ----------
    n_a_only, n_b_only : int
        Items A got right and B wrong, and the reverse.
    pvalue_midp : float
        The mid-p variant of the exact test (Fagerland et al. 2013).
    chi2, chi2_pvalue : float
        :math:`(n_{01} - n_{10})^2 / (n_{01} + n_{10})`, two-sided.
    chi2_cc, chi2_cc_pvalue : float
        With Edwards' continuity correction, :math:`(|n_{01} - n_{10}| - 1)^2 / (n_{01} + n_{10})`.
    """

    n_a_only: int
    n_b_only: int
    pvalue_midp: float
    chi2: float
    chi2_pvalue: float
    chi2_cc: float
    chi2_cc_pvalue: float


@dataclasses.dataclass(frozen=True, kw_only=True)
class MarginResult(Result):
    """Non-inferiority and equivalence (TOST) of B against A with a margin.

    Attributes
    ----------
    margin : float
        Differences ``b - a`` within ``(-margin, margin)`` count as practically nil.
    noninferiority_pvalue : float
        Test of H0: ``b - a <= -margin`` against H1: ``b - a > -margin``.
    noninferior : bool
        ``noninferiority_pvalue < 1 - confidence_level``.
    equivalence_pvalue : float
        Two one-sided tests: the larger of the p-values of H0: ``b - a <= -margin`` and
        H0: ``b - a >= margin``.
    equivalent : bool
        ``equivalence_pvalue < 1 - confidence_level``.
    ci_low, ci_high : float
        The ``1 - 2 alpha`` interval, which lies inside ``(-margin, margin)`` exactly when
        equivalence is shown.
    confidence_level : float
    method : str
    """

    margin: float
    noninferiority_pvalue: float
    noninferior: bool
    equivalence_pvalue: float
    equivalent: bool
    ci_low: float
    ci_high: float
    confidence_level: float
    method: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompareResult(Result):
    """A paired comparison of B against A on the same items.

    The estimate is the mean difference ``b - a``: positive when B scores higher.

    Attributes
    ----------
    estimate, ci_low, ci_high, se : float
        Mean difference ``b - a``, its interval and paired standard error (CR2 over clusters when
        clusters were given).
    confidence_level : float
    method : str
        ``"paired-t"`` or ``"paired-cr2"``, with ``"-score"`` when both score vectors lie in
        [0, 1]: the interval is then :func:`bounded_interval` on [-1, 1] (the paired SE with a
        Wilson-type form), so it never leaves the range a difference can take.
    n : int
        Items compared (after omitting missing ones).
    statistic, pvalue, alternative, df
        The paired t-test (clustered: Wald t with ``n_clusters - 1`` df) of a zero difference.
    mean_a, mean_b : float
    correlation : float
        Pearson correlation of A's and B's item scores.
    effect_size : float
        Cohen's :math:`d_z`: mean difference over the standard deviation of the differences.
    n_samples : int
        Samples per item (item means are compared when more than one).
    n_clusters : int or None
    n_omitted : int
        Items left out because a score was missing (``missing='omit'``).
    binary : bool
        Whether both score vectors are 0/1 (McNemar applies).
    mcnemar : McNemarResult or None
        For binary scores with one sample per item.
    permutation : TestResult
        The paired sign-flip permutation test of the mean difference.
    bootstrap : BootstrapResult
        The paired bootstrap interval (percentile) of the mean difference, and its p-value in
        ``bootstrap_pvalue``.
    bootstrap_pvalue : float
    margin : MarginResult or None
    a_wins, b_wins : tuple
        Item ids where A scored higher than B (binary: A right, B wrong), and the reverse.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    confidence_level: float
    method: str
    n: int
    statistic: float
    pvalue: float
    alternative: str
    df: float
    mean_a: float
    mean_b: float
    correlation: float
    effect_size: float
    n_samples: int
    n_clusters: int | None
    n_omitted: int
    binary: bool
    mcnemar: McNemarResult | None
    permutation: TestResult
    bootstrap: BootstrapResult
    bootstrap_pvalue: float
    margin: MarginResult | None
    a_wins: tuple
    b_wins: tuple

    def verdict(self, label_a: str = "A", label_b: str = "B", *, scale: float = 100.0) -> str:
        """One plain-language sentence, e.g. "B is better by 2.1 points, 95% CI 0.9 to 3.3, ...".

        ``scale`` converts the difference to points (100 for scores in [0, 1]).
        """
        level = f"{100 * self.confidence_level:g}%"
        lo, hi = self.ci_low * scale, self.ci_high * scale
        est = self.estimate * scale
        if self.mcnemar is not None and self.n_clusters is None:
            test, p = "McNemar", self.mcnemar.pvalue
        else:
            test, p = ("clustered t" if self.n_clusters else "paired t"), self.pvalue
        significant = math.isfinite(p) and p < 1.0 - self.confidence_level
        if est > 0:
            head = f"{label_b} is better by {abs(est):.1f} points"
        elif est < 0:
            head = f"{label_b} is worse by {abs(est):.1f} points"
        else:
            head = f"{label_a} and {label_b} score the same"
        if not significant and est != 0:
            head += f" (not significant at {100 * (1.0 - self.confidence_level):g}%)"
        tail = f", {level} CI {lo:.1f} to {hi:.1f}, {test} p = {_fmt_p(p)}, n = {self.n:,}"
        if self.n_clusters:
            tail += f" in {self.n_clusters:,} clusters"
        return head + tail


def _fmt_p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.2g}" if p < 0.01 else f"{p:.3f}".rstrip("0").rstrip(".") if p < 1 else "1"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Paired:
    a: np.ndarray  # item means
    b: np.ndarray
    ids: tuple
    codes: np.ndarray | None
    n_samples: int
    n_omitted: int
    binary: bool


def _as_scores(x: Any, name: str) -> np.ndarray:
    arr = check_array(x, name, ndim=(1, 2), allow_nan=True)
    return arr if arr.ndim == 2 else arr[:, None]


def _is_id_pair(item_ids: Any) -> bool:
    if isinstance(item_ids, str) or not isinstance(item_ids, Sequence) or len(item_ids) != 2:
        return False
    return all(not isinstance(x, str) and isinstance(x, Sequence | np.ndarray) for x in item_ids)


def _check_ids(ids: Any, name: str, n: int) -> list:
    ids = list(np.asarray(ids, dtype=object).ravel()) if not isinstance(ids, list) else ids
    if len(ids) != n:
        raise InputError(f"`{name}` must have one id per item ({n}); got {len(ids)}.")
    if len(set(ids)) != len(ids):
        seen, dup = set(), []
        for i in ids:
            if i in seen:
                dup.append(i)
            seen.add(i)
        raise InputError(f"`{name}` has {len(dup)} duplicate id(s), e.g. {dup[:5]!r}.")
    return ids


def _examples(values: set) -> str:
    ordered = sorted(values, key=str)
    shown = ", ".join(map(repr, ordered[:5]))
    return shown + (", ..." if len(ordered) > 5 else "")


def _align(a: np.ndarray, b: np.ndarray, item_ids: Any) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Align B's rows to A's items; refuse when the items differ."""
    if item_ids is not None and _is_id_pair(item_ids):
        ids_a = _check_ids(item_ids[0], "item_ids[0]", a.shape[0])
        ids_b = _check_ids(item_ids[1], "item_ids[1]", b.shape[0])
        only_a, only_b = set(ids_a) - set(ids_b), set(ids_b) - set(ids_a)
        if only_a or only_b:
            raise InputError(
                f"the items of `a` and `b` do not align: {len(only_a)} of A's {len(ids_a)} items are "
                f"not in B ({_examples(only_a) or 'none'}) and {len(only_b)} of B's {len(ids_b)} "
                f"items are not in A ({_examples(only_b) or 'none'}). Compare the same items, e.g. "
                "their intersection."
            )
        where = {item: k for k, item in enumerate(ids_b)}
        order = np.fromiter((where[i] for i in ids_a), dtype=np.intp, count=len(ids_a))
        return a, b[order], tuple(ids_a)
    if a.shape[0] != b.shape[0]:
        raise InputError(
            f"`a` has {a.shape[0]} items and `b` has {b.shape[0]}; the items do not align. Pass "
            "item_ids=(ids_a, ids_b) to align them by id (the ids that differ are then listed)."
        )
    if item_ids is None:
        return a, b, tuple(range(a.shape[0]))
    return a, b, tuple(_check_ids(item_ids, "item_ids", a.shape[0]))


def _item_means(x: np.ndarray) -> np.ndarray:
    counts = np.sum(~np.isnan(x), axis=1)
    with np.errstate(invalid="ignore"):
        means = np.nansum(x, axis=1) / counts
    means[counts == 0] = np.nan
    return means


def _missing(a: np.ndarray, b: np.ndarray, ids: tuple, policy: str) -> np.ndarray:
    """Boolean mask of items kept; raises under ``policy='raise'`` when a score is missing."""
    bad_a = np.isnan(a).any(axis=1)
    bad_b = np.isnan(b).any(axis=1)
    if policy == "raise" and (bad_a.any() or bad_b.any()):
        ex_a = {ids[i] for i in np.flatnonzero(bad_a)}
        ex_b = {ids[i] for i in np.flatnonzero(bad_b)}
        raise InputError(
            f"scores are missing (NaN) for {int(bad_a.sum())} item(s) of `a` "
            f"({_examples(ex_a) or 'none'}) and {int(bad_b.sum())} of `b` ({_examples(ex_b) or 'none'}); "
            "pass missing='omit' to compare the items both have."
        )
    keep = ~(np.isnan(a).all(axis=1) | np.isnan(b).all(axis=1))
    if not keep.any():
        raise InputError("no item has a score for both `a` and `b`.")
    return keep


def _compare_iv(a, b, clusters, item_ids, missing) -> _Paired:
    a2, b2 = _as_scores(a, "a"), _as_scores(b, "b")
    missing = check_choice(missing, "missing", ("raise", "omit"))
    a2, b2, ids = _align(a2, b2, item_ids)
    codes = None if clusters is None else _encode_clusters(clusters, a2.shape[0])
    keep = _missing(a2, b2, ids, missing)
    if not keep.all():
        a2, b2 = a2[keep], b2[keep]
        ids = tuple(i for i, k in zip(ids, keep) if k)
        if codes is not None:
            codes = np.unique(codes[keep], return_inverse=True)[1].reshape(-1)
    if a2.shape[0] < 2:
        raise InputError(f"`a` and `b` must share at least 2 scored items; got {a2.shape[0]}.")
    n_samples = max(a2.shape[1], b2.shape[1])
    finite = np.concatenate([a2[~np.isnan(a2)], b2[~np.isnan(b2)]])
    binary = bool(n_samples == 1 and np.all((finite == 0) | (finite == 1)))
    return _Paired(
        _item_means(a2), _item_means(b2), ids, codes, n_samples, int((~keep).sum()), binary
    )


def _margin_iv(margin: Any) -> float | None:
    if margin is None:
        return None
    if (
        isinstance(margin, bool)
        or not isinstance(margin, numbers.Real)
        or not math.isfinite(margin)
    ):
        raise InputError(f"`margin` must be a positive number; got {margin!r}.")
    if margin <= 0:
        raise InputError(f"`margin` must be a positive number; got {margin!r}.")
    return float(margin)


# --------------------------------------------------------------------------------------------
# Compute stages (trusted input)
# --------------------------------------------------------------------------------------------


def _paired_se(d: np.ndarray, codes: np.ndarray | None, stacklevel: int):
    """Standard error of mean(d) and its degrees of freedom: plain (n - 1 df), or over clusters
    CR2 with Imbens-Kolesar df (:func:`~assay.stats._clustered._cr2_se_df`, as the clustered
    intervals of one model), warning when the effective number of clusters is small."""
    n = d.size
    if codes is None:
        return float(d.std(ddof=1) / math.sqrt(n)), float(n - 1), None
    g = int(codes.max()) + 1
    if g < 2:
        return math.nan, math.nan, g
    cr2 = _cr2_se_df(d, codes)
    rho = cr2.icc if math.isfinite(cr2.icc) else 0.0
    _warn_effective_clusters(
        g, cr2.effective_clusters, max(rho, 0.0), stacklevel + 1, " of the differences"
    )
    return cr2.se, cr2.df, g


def _t_pvalue(t: float, df: float, alternative: str) -> float:
    if alternative == "greater":
        return float(sps.t.sf(t, df))
    if alternative == "less":
        return float(sps.t.cdf(t, df))
    return float(min(1.0, 2.0 * sps.t.sf(abs(t), df)))


def _mcnemar(a: np.ndarray, b: np.ndarray, alternative: str) -> McNemarResult:
    a_only = int(np.sum((a == 1) & (b == 0)))
    b_only = int(np.sum((a == 0) & (b == 1)))
    n = a_only + b_only
    if n == 0:
        return McNemarResult(
            statistic=0.0, pvalue=1.0, alternative=alternative, method="mcnemar-exact", n=0,
            n_a_only=0, n_b_only=0, pvalue_midp=1.0, chi2=0.0, chi2_pvalue=1.0, chi2_cc=0.0,
            chi2_cc_pvalue=1.0,
        )  # fmt: skip
    # B better <=> more B-only pairs: 'greater' tests P(B-only) > 1/2.
    exact = sps.binomtest(b_only, n, 0.5, alternative=alternative).pvalue
    if alternative == "two-sided":
        k = min(a_only, b_only)
        midp = min(1.0, 2.0 * (sps.binom.cdf(k, n, 0.5) - 0.5 * sps.binom.pmf(k, n, 0.5)))
    elif alternative == "greater":
        midp = sps.binom.sf(b_only, n, 0.5) + 0.5 * sps.binom.pmf(b_only, n, 0.5)
    else:
        midp = sps.binom.cdf(b_only, n, 0.5) - 0.5 * sps.binom.pmf(b_only, n, 0.5)
    chi2 = (b_only - a_only) ** 2 / n
    chi2_cc = (abs(b_only - a_only) - 1) ** 2 / n
    return McNemarResult(
        statistic=float(min(a_only, b_only)), pvalue=float(exact), alternative=alternative,
        method="mcnemar-exact", n=n, df=None, n_a_only=a_only, n_b_only=b_only,
        pvalue_midp=float(midp), chi2=float(chi2), chi2_pvalue=float(sps.chi2.sf(chi2, 1)),
        chi2_cc=float(chi2_cc), chi2_cc_pvalue=float(sps.chi2.sf(chi2_cc, 1)),
    )  # fmt: skip


def _sign_flip_null(
    d: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Null distribution of mean(d) under random sign flips; exact when small enough."""
    n = d.size
    nz = np.abs(d[d != 0])
    if nz.size == 0:
        return np.zeros(1), True
    if 2**nz.size <= min(n_resamples, _MAX_EXACT_FLIPS):
        signs = 1 - 2 * ((np.arange(2**nz.size)[:, None] >> np.arange(nz.size)) & 1)
        return signs @ nz / n, True
    values, counts = np.unique(nz, return_counts=True)
    if values.size <= _MAX_DISTINCT_ABS:
        # the sum of c_v values v with random signs is v * (2 Binomial(c_v, 1/2) - c_v)
        plus = rng.binomial(counts, 0.5, size=(n_resamples, values.size))
        null = (2.0 * plus - counts) @ values / n
    else:
        null = np.empty(n_resamples)
        step = max(1, _CHUNK_ELEMENTS // nz.size)
        for start in range(0, n_resamples, step):
            r = min(step, n_resamples - start)
            signs = 1.0 - 2.0 * rng.integers(0, 2, size=(r, nz.size), dtype=np.int8)
            null[start : start + r] = signs @ nz / n
    # every sign pattern comes with its negation (antithetic): the null is symmetric, so the
    # test of (b, a) is exactly the mirror of the test of (a, b)
    return np.concatenate([null, -null]), False


def _permutation(
    d: np.ndarray, alternative: str, n_resamples: int, rng: np.random.Generator
) -> TestResult:
    observed = float(d.mean())
    null, exact = _sign_flip_null(d, n_resamples, rng)
    adjustment = 0 if exact else 1
    gamma = abs(observed) * np.finfo(float).eps * 100  # scipy's tolerance for equal values
    size = null.size
    less = (np.count_nonzero(null <= observed + gamma) + adjustment) / (size + adjustment)
    greater = (np.count_nonzero(null >= observed - gamma) + adjustment) / (size + adjustment)
    p = {"less": less, "greater": greater, "two-sided": 2.0 * min(less, greater)}[alternative]
    return TestResult(
        statistic=observed, pvalue=float(min(1.0, p)), alternative=alternative,
        method="sign-flip-exact" if exact else "sign-flip", n=int(d.size),
    )  # fmt: skip


def _bootstrap(
    d: np.ndarray, codes, alternative: str, level: float, n_resamples: int, rng
) -> tuple[BootstrapResult, float]:
    estimate = float(d.mean())
    dist = _bootstrap_means(d, n_resamples=n_resamples, rng=rng, clusters=codes)
    lo, hi = _bootstrap_interval(estimate, dist, method="percentile", confidence_level=level)
    below = (np.count_nonzero(dist <= 0) + 1) / (n_resamples + 1)
    above = (np.count_nonzero(dist >= 0) + 1) / (n_resamples + 1)
    # H1 'greater' (b > a) is supported when few resampled differences fall at or below 0
    p = {"greater": below, "less": above, "two-sided": min(1.0, 2.0 * min(below, above))}[
        alternative
    ]
    res = BootstrapResult(
        estimate=estimate, ci_low=lo, ci_high=hi, confidence_level=level,
        method="bootstrap-percentile" + ("" if codes is None else "-cluster"), n=int(d.size),
        se=float(dist.std(ddof=1)), n_resamples=n_resamples,
        n_clusters=None if codes is None else int(codes.max()) + 1, distribution=dist,
    )  # fmt: skip
    return res, float(p)


def _margin(est: float, se: float, df: float, margin: float, level: float) -> MarginResult:
    alpha = 1.0 - level
    if se > 0:
        p_low = float(sps.t.sf((est + margin) / se, df))  # H0: diff <= -margin
        p_high = float(sps.t.cdf((est - margin) / se, df))  # H0: diff >= +margin
        half = float(sps.t.ppf(1.0 - alpha, df) * se)
    else:
        p_low = 0.0 if est > -margin else 1.0
        p_high = 0.0 if est < margin else 1.0
        half = 0.0
    p_eq = max(p_low, p_high)
    return MarginResult(
        margin=margin, noninferiority_pvalue=p_low, noninferior=p_low < alpha,
        equivalence_pvalue=p_eq, equivalent=p_eq < alpha, ci_low=est - half, ci_high=est + half,
        confidence_level=1.0 - 2.0 * alpha, method="tost-t" if se > 0 else "tost-degenerate",
    )  # fmt: skip


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def compare(
    a: Any,
    b: Any,
    *,
    clusters: Any = None,
    item_ids: Any = None,
    margin: float | None = None,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    n_resamples: int = 10_000,
    missing: str = "raise",
    rng: Any = None,
) -> CompareResult:
    """Compare B against A item by item: difference, paired interval, tests and flips.

    Parameters
    ----------
    a, b : array_like of shape (n_items,) or (n_items, n_samples)
        Scores of A and B on the same items (0/1 for binary metrics). With several samples per
        item, item means are compared; their spread already holds the within-item variance, so
        the paired SE over items is the nested SE.
    clusters : array_like of shape (n_items,), optional
        Cluster label of each of A's items (passage, subject); the SE becomes CR2 over clusters
        (Imbens-Kolesar df) and the bootstrap resamples clusters.
    item_ids : sequence or pair of sequences, optional
        One id per item shared by ``a`` and ``b``, or ``(ids_a, ids_b)``: B is then aligned to A by
        id, and items that are not in both make a refusal that lists them.
    margin : float, optional
        Non-inferiority and equivalence (TOST) margin on the score scale (e.g. 0.01).
    confidence_level : float, default 0.95
    alternative : {'two-sided', 'greater', 'less'}, default 'two-sided'
        'greater' is H1: B scores higher than A.
    n_resamples : int, default 10_000
        Resamples of the sign-flip permutation test and of the paired bootstrap.
    missing : {'raise', 'omit'}, default 'raise'
        What to do with items whose score is NaN for A or B (``n_omitted`` counts them).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    CompareResult

    Notes
    -----
    With :math:`d_i = b_i - a_i`, the estimate is :math:`\\bar d`, the SE :math:`s_d/\\sqrt n`
    (t with ``n - 1`` df); with clusters, CR2: :math:`V = \\sum_g U_g^2 / (1 - n_g/n) / n^2` with
    :math:`U_g = \\sum_{i \\in g} (d_i - \\bar d)` and the Imbens-Kolesar degrees of freedom at the
    estimated ICC of the differences, as for one model's clustered interval
    (:func:`~assay.stats.clustered_mean_ci`): CR1 (:math:`G/(G-1)` and ``G - 1`` df, statsmodels'
    cluster-robust OLS) covered 92% on 91 unequal clusters (``benchmarks/interval_coverage.py``). With
    equal clusters CR2 equals CR1 and the df are ``G - 1``. A warning is given when the
    effective number of clusters of the differences is below 10.
    McNemar's exact test is the binomial test of the B-only count among the discordant pairs.
    The sign-flip test draws the signs of the non-zero :math:`d_i` (exactly enumerated when
    :math:`2^{n_{\\ne 0}}` is small); its p-value follows ``scipy.stats.permutation_test``.
    The bootstrap p-value is :math:`2 \\min(\\#\\{\\bar d^* \\le 0\\}+1, \\#\\{\\bar d^* \\ge 0\\}+1)/(B+1)`,
    the level at which the percentile interval starts to exclude 0.

    References
    ----------
    McNemar (1947), Psychometrika 12:153-157. Fagerland, Lydersen & Laake (2013), BMC Med. Res.
    Methodol. 13:91 (mid-p). Schuirmann (1987), J. Pharmacokin. Biopharm. 15:657-680 (TOST).
    Bell & McCaffrey (2002), Survey Methodology 28:169-181 (CR2). Imbens & Kolesar (2016),
    Rev. Econ. Stat. 98:701-712 (df).

    Examples
    --------
    >>> from assay.stats import compare
    >>> a = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
    >>> b = [1, 1, 1, 1, 1, 0, 1, 1, 1, 0]
    >>> res = compare(a, b, rng=0)
    >>> round(res.estimate, 2), res.mcnemar.n_b_only, res.b_wins
    (0.3, 3, (1, 4, 7))
    """
    confidence_level = check_confidence_level(confidence_level)
    alternative = check_alternative(alternative)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    margin = _margin_iv(margin)
    rng = check_rng(rng)
    p = _compare_iv(a, b, clusters, item_ids, missing)
    return _compute_compare(p, margin, confidence_level, alternative, n_resamples, rng)


def _compute_compare(p: _Paired, margin, level, alternative, n_resamples, rng) -> CompareResult:
    d = p.b - p.a
    n = d.size
    est = float(d.mean())
    se, df, g = _paired_se(d, p.codes, stacklevel=3)
    if not se > 0:
        warnings.warn(
            f"the differences b - a have no spread (n = {n}"
            + ("" if g is None else f", {g} cluster(s)")
            + "); the t interval has zero width and its test is undefined.",
            DegenerateDataWarning,
            stacklevel=3,
        )
        t, pval, half = math.nan, math.nan, 0.0 if se == 0 else math.nan
    else:
        t = est / se
        pval = _t_pvalue(t, df, alternative)
        half = float(sps.t.ppf(0.5 + level / 2.0, df) * se)
    lo, hi = est - half, est + half
    bounded = bool(np.all((p.a >= 0) & (p.a <= 1) & (p.b >= 0) & (p.b <= 1)))
    if bounded and math.isfinite(
        se
    ):  # a difference of [0, 1] scores: the interval stays in [-1, 1]
        units = n if g is None else g
        lo, hi = (
            float(v)
            for v in bounded_interval(
                est, se, units, lower=-1.0, upper=1.0, df=df, confidence_level=level
            )
        )
    sd = float(d.std(ddof=1))
    permutation = _permutation(d, alternative, n_resamples, rng)
    boot, boot_p = _bootstrap(d, p.codes, alternative, level, n_resamples, rng)
    ids = np.asarray(p.ids, dtype=object)
    return CompareResult(
        estimate=est, ci_low=lo, ci_high=hi, se=se, confidence_level=level,
        method=("paired-t" if g is None else "paired-cr2") + ("-score" if bounded else ""), n=n, statistic=t, pvalue=pval,
        alternative=alternative, df=df, mean_a=float(p.a.mean()), mean_b=float(p.b.mean()),
        correlation=_correlation(p.a, p.b), effect_size=est / sd if sd > 0 else math.nan,
        n_samples=p.n_samples, n_clusters=g, n_omitted=p.n_omitted, binary=p.binary,
        mcnemar=_mcnemar(p.a, p.b, alternative) if p.binary else None,
        permutation=permutation, bootstrap=boot, bootstrap_pvalue=boot_p,
        margin=None if margin is None else _margin(est, se, df, margin, level),
        a_wins=tuple(ids[d < 0].tolist()), b_wins=tuple(ids[d > 0].tolist()),
    )  # fmt: skip


def compare_models(
    matrix: ScoreMatrix,
    model_a: str,
    model_b: str,
    *,
    cluster_by: str | None = None,
    **options: Any,
) -> CompareResult:
    """:func:`compare` two rows of a :class:`~assay.ScoreMatrix` (B against A).

    Parameters
    ----------
    matrix : ScoreMatrix
    model_a, model_b : str
        Row names; the estimate is ``model_b - model_a``.
    cluster_by : {'cluster', 'subject'}, optional
        Use the matrix's per-item labels as clusters.
    **options
        Passed to :func:`compare` (``margin``, ``confidence_level``, ``missing``, ``rng``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from assay import ScoreMatrix
    >>> from assay.stats import compare_models
    >>> m = ScoreMatrix(models=("a", "b"), items=("q1", "q2", "q3"), values=np.array([[1, 0, 0], [1, 1, 1.0]]))
    >>> compare_models(m, "a", "b", rng=0).b_wins
    ('q2', 'q3')
    """
    if not isinstance(matrix, ScoreMatrix):
        raise InputError(f"`matrix` must be a ScoreMatrix; got {type(matrix).__name__}.")
    for key in ("clusters", "item_ids"):
        if key in options:
            raise InputError(f"`{key}` comes from the matrix in compare_models; use `cluster_by`.")
    a, b = matrix.row(model_a), matrix.row(model_b)
    clusters = None if cluster_by is None else _matrix_clusters(matrix, cluster_by)
    return compare(a, b, clusters=clusters, item_ids=list(matrix.items), **options)
