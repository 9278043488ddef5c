"""Clustered standard errors of a mean: CR2 with Imbens-Kolesar degrees of freedom, CR1, Miller.

With many clusters of very unequal sizes (MMLU-Pro's ``src`` field: 91 clusters of 4 to 1,569
items) CR1 with G - 1 degrees of freedom covers 91% for a nominal 95% (``benchmarks/interval_coverage.py``).
The default is the bias-reduced CR2 variance (Bell & McCaffrey 2002) with the degrees of freedom
of Imbens & Kolesar (2016), which follow from the cluster sizes and the estimated intra-cluster
correlation, and the warning is driven by the effective number of clusters (Carter, Schnepel &
Steigerwald 2017), not their count.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_missing_policy,
)
from assay.stats._bootstrap import _encode_clusters
from assay.stats._means import _critical
from assay.stats._results import EstimateResult

__all__ = ["ClusteredMeanResult", "clustered_mean_ci", "intraclass_correlation"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClusteredMeanResult(EstimateResult):
    """A mean with a cluster-aware standard error and interval.

    Attributes
    ----------
    n_clusters : int
        Number of clusters.
    se_iid : float
        The standard error that ignores clusters, :math:`s/\\sqrt n`.
    design_effect : float
        :math:`(\\mathrm{se} / \\mathrm{se_{iid}})^2`: how many times larger the variance is than
        under independent items.
    icc : float
        Intra-cluster correlation (one-way ANOVA estimator); NaN when every cluster has one item.
    df : float
        Degrees of freedom of the interval's t reference: Imbens-Kolesar for CR2, G - 1 for CR1,
        inf for Miller.
    effective_clusters : float
        Carter, Schnepel & Steigerwald's effective number of clusters :math:`G^*` (at the
        estimated ICC): how many equal clusters the data are worth for a cluster-robust SE.
    """

    n_clusters: int
    se_iid: float
    design_effect: float
    icc: float
    df: float
    effective_clusters: float = float("nan")


def _cluster_sums(x: np.ndarray, codes: np.ndarray):
    g = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=g).astype(np.float64)
    sums = np.bincount(codes, weights=x, minlength=g)
    return sizes, sums


def _icc_anova(x: np.ndarray, codes: np.ndarray) -> float:
    """One-way ANOVA estimator of the intra-cluster correlation (unequal cluster sizes)."""
    sizes, sums = _cluster_sums(x, codes)
    n, g = x.size, sizes.size
    if g < 2 or n <= g:
        return float("nan")
    means = sums / sizes
    msb = np.sum(sizes * (means - x.mean()) ** 2) / (g - 1)
    msw = np.sum((x - means[codes]) ** 2) / (n - g)
    n0 = (n - np.sum(sizes**2) / n) / (g - 1)
    den = msb + (n0 - 1.0) * msw
    return float((msb - msw) / den) if den > 0 else float("nan")


def _se_cr1(x: np.ndarray, codes: np.ndarray) -> float:
    sizes, sums = _cluster_sums(x - x.mean(), codes)
    g, n = sizes.size, x.size
    return float(np.sqrt(g / (g - 1.0) * np.sum(sums**2)) / n)


def _se_miller(x: np.ndarray, codes: np.ndarray) -> float:
    u = x - x.mean()
    _, sums = _cluster_sums(u, codes)
    n = x.size
    cross = np.sum(sums**2) - np.sum(u**2)  # sum over clusters of sum_{i != j} u_i u_j
    var = x.var(ddof=1) / n + cross / n**2
    return float(np.sqrt(max(var, 0.0)))


def _ik_traces(sizes: np.ndarray, rho: float) -> tuple[float, float]:
    """:math:`\\mathrm{tr}\\,M` and :math:`\\mathrm{tr}\\,M^2` of :func:`_df_imbens_kolesar`."""
    n = sizes.astype(np.float64)
    big_n = n.sum()
    c = n / big_n
    k = 1.0 / (big_n * np.sqrt(1.0 - c))
    total_sq = float(np.sum(n**2))
    diag = k**2 * ((1.0 - rho) * n + rho * n**2)
    # low-rank terms alpha * (k u)(k v)^T of M
    terms = [
        (-(1.0 - rho) * big_n + rho * total_sq, k * c, k * c),
        (-rho, k * n**2, k * c),
        (-rho, k * c, k * n**2),
    ]
    tr = diag.sum() + sum(a * float(u @ v) for a, u, v in terms)
    fro = float(np.sum(diag**2))
    fro += 2.0 * sum(a * float(u @ (diag * v)) for a, u, v in terms)
    fro += sum(
        a1 * a2 * float(u1 @ u2) * float(v1 @ v2) for a1, u1, v1 in terms for a2, u2, v2 in terms
    )
    return float(tr), float(fro)


def _df_imbens_kolesar(sizes: np.ndarray, rho: Any) -> Any:
    """Bell-McCaffrey degrees of freedom of CR2 for a mean, working model of Imbens & Kolesar.

    The working covariance is :math:`\\Omega = (1 - \\rho) I + \\rho\\,\\mathrm{blockdiag}(J)`;
    ``rho = 0`` gives Bell & McCaffrey's original (independent errors). With
    :math:`G_{\\cdot c} = (I - H)_{\\cdot c} A_c 1 / N = (1_c - \\frac{n_c}{N} 1)/(N\\sqrt{1 - n_c/N})`,
    the degrees of freedom are :math:`(\\mathrm{tr} M)^2 / \\mathrm{tr}(M^2)` with
    :math:`M = G^\\top \\Omega G`. For a mean, M is a diagonal plus a rank-3 matrix, so both traces
    take O(G) operations (checked against the dense matrices in the tests). M is linear in rho,
    so :math:`\\mathrm{tr} M` is linear and :math:`\\mathrm{tr} M^2` quadratic in rho: an array of
    rho (one per pair of models) costs three evaluations.
    """
    if np.ndim(rho) == 0:
        tr, fro = _ik_traces(sizes, float(rho))
        return float(tr**2 / fro) if fro > 0 else float("nan")
    rho = np.asarray(rho, dtype=np.float64)
    t0, f0 = _ik_traces(sizes, 0.0)
    t1, f1 = _ik_traces(sizes, 1.0)
    fh = _ik_traces(sizes, 0.5)[1]
    tr = t0 + (t1 - t0) * rho
    fro = f0 + rho * (4.0 * fh - 3.0 * f0 - f1) + rho**2 * (2.0 * f0 - 4.0 * fh + 2.0 * f1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(fro > 0, tr**2 / np.where(fro > 0, fro, 1.0), np.nan)


def _effective_clusters(sizes: np.ndarray, rho: Any) -> Any:
    """Carter, Schnepel & Steigerwald (2017) :math:`G^* = G / (1 + \\Gamma)` for a mean.

    :math:`\\gamma_c = (1 - \\rho) n_c + \\rho n_c^2` (the variance of cluster c's score sum up to
    a constant) and :math:`\\Gamma = \\frac1G \\sum_c (\\gamma_c - \\bar\\gamma)^2 / \\bar\\gamma^2`.
    ``rho`` may be an array (one per pair of models).
    """
    n = sizes.astype(np.float64)
    if np.ndim(rho) == 0:
        gamma = (1.0 - rho) * n + rho * n**2
        return float(n.size / (1.0 + gamma.var() / gamma.mean() ** 2))
    rho = np.asarray(rho, dtype=np.float64)
    n2 = n**2
    mean = (1.0 - rho) * n.mean() + rho * n2.mean()
    cov = np.cov(np.vstack([n, n2]), bias=True)
    var = (1.0 - rho) ** 2 * cov[0, 0] + 2.0 * rho * (1.0 - rho) * cov[0, 1] + rho**2 * cov[1, 1]
    return n.size / (1.0 + var / mean**2)


@dataclasses.dataclass(frozen=True)
class _CR2:
    """CR2 SE of a mean, its Imbens-Kolesar df, the ICC and the effective number of clusters
    (floats, or arrays of one shape: one per pair of models)."""

    se: Any
    df: Any
    icc: Any
    effective_clusters: Any


def _cr2_from_sums(ss: Any, sq_w: Any, sq_n: Any, sizes: np.ndarray) -> _CR2:
    """The one CR2 computation behind ``clustered_mean_ci``, ``compare`` and ``pairwise``.

    With :math:`u_i = x_i - \\bar x` and cluster sums :math:`U_c`: ``ss`` is
    :math:`\\sum_i u_i^2`, ``sq_w`` :math:`\\sum_c U_c^2 / (1 - n_c/N)` and ``sq_n``
    :math:`\\sum_c U_c^2 / n_c` (elementwise arrays for many contrasts at once). CR2:
    :math:`\\mathrm{SE}^2 = \\mathrm{sq\\_w}/N^2`; the ICC is the one-way ANOVA estimator
    (MSB = sq_n/(G - 1), MSW = (ss - sq_n)/(N - G)); the df and :math:`G^*` are taken at the
    ICC floored at 0 (0 where it is undefined).
    """
    big_n, g = float(sizes.sum()), sizes.size
    ss, sq_w, sq_n = (np.asarray(v, dtype=np.float64) for v in (ss, sq_w, sq_n))
    se = np.sqrt(np.clip(sq_w, 0.0, None)) / big_n
    with np.errstate(invalid="ignore", divide="ignore"):
        msb = sq_n / (g - 1) if g > 1 else np.full_like(sq_n, np.nan)
        msw = (ss - sq_n) / (big_n - g) if big_n > g else np.full_like(sq_n, np.nan)
        n0 = (big_n - np.sum(sizes.astype(float) ** 2) / big_n) / (g - 1) if g > 1 else np.nan
        den = msb + (n0 - 1.0) * msw
        icc = np.where(den > 0, (msb - msw) / np.where(den > 0, den, 1.0), np.nan)
    rho = np.where(np.isfinite(icc), np.clip(icc, 0.0, 1.0), 0.0)
    df = _df_imbens_kolesar(sizes, rho)
    g_star = _effective_clusters(sizes, rho)
    if se.ndim == 0:
        return _CR2(float(se), float(df), float(icc), float(g_star))
    return _CR2(se, df, icc, g_star)


def _cr2_se_df(x: np.ndarray, codes: np.ndarray) -> _CR2:
    """CR2 for mean(x) over clusters ``codes``: SE, Imbens-Kolesar df, ICC, :math:`G^*`.

    Input trusted: codes 0..G-1, G >= 2. ``compare`` calls it on the paired differences."""
    u = x - x.mean()
    sizes, sums = _cluster_sums(u, codes)
    n = x.size
    return _cr2_from_sums(
        float(u @ u), float(np.sum(sums**2 / (1.0 - sizes / n))), float(np.sum(sums**2 / sizes)),
        sizes.astype(np.int64),
    )  # fmt: skip


def _cr2_pairs(x: np.ndarray, codes: np.ndarray) -> _CR2:
    """CR2 of every difference of rows, :math:`\\overline{x_j - x_i}`, as (m, m) arrays.

    By Gram matrices of the centred rows and of their cluster sums (``pairwise``)."""
    m, n = x.shape
    g = int(codes.max()) + 1
    xc = x - x.mean(axis=1, keepdims=True)
    sizes = np.bincount(codes, minlength=g).astype(np.float64)
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.intp)
    sums = np.add.reduceat(xc[:, order], starts, axis=1)  # (m, G) cluster sums

    def contrast(gram: np.ndarray) -> np.ndarray:
        d = np.diag(gram)
        return d[:, None] + d[None, :] - 2.0 * gram

    return _cr2_from_sums(
        contrast(xc @ xc.T),
        contrast((sums / (1.0 - sizes / n)) @ sums.T),
        contrast((sums / sizes) @ sums.T),
        sizes.astype(np.int64),
    )


def _warn_effective_clusters(
    g: int, g_star: float, rho: float, stacklevel: int, what: str = ""
) -> None:
    """Warn when the effective number of clusters is below :data:`_MIN_EFFECTIVE_CLUSTERS`."""
    if g_star < _MIN_EFFECTIVE_CLUSTERS:
        warnings.warn(
            f"Only {g} clusters, worth {g_star:.1f} equal clusters (effective number of "
            f"clusters at ICC {rho:.2f}{what}): cluster-robust intervals are unreliable with so "
            "few.",
            DegenerateDataWarning,
            stacklevel=stacklevel + 1,
        )


#: Below this effective number of clusters a warning is given (the level at which the coverage
#: study of ``benchmarks/interval_coverage.py`` finds CR2 with Imbens-Kolesar df still near nominal).
_MIN_EFFECTIVE_CLUSTERS = 10.0

_METHODS = {"cr2": lambda x, codes: _cr2_se_df(x, codes).se, "cr1": _se_cr1, "miller": _se_miller}


def _clustered_iv(x, clusters, method, confidence_level, missing):
    method = check_choice(method, "method", tuple(_METHODS))
    confidence_level = check_confidence_level(confidence_level)
    missing = check_missing_policy(missing)
    arr = check_array(x, "x", ndim=1, allow_nan=True)
    codes = _encode_clusters(clusters, arr.size)
    nan = np.isnan(arr)
    if nan.any():
        if missing == "raise":
            raise InputError(
                f"`x` contains {int(nan.sum())} NaN value(s); pass `missing='omit'` or remove them."
            )
        if missing == "omit":
            arr = arr[~nan]
            _, codes = np.unique(codes[~nan], return_inverse=True)
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if n_clusters < 2:
        raise InputError(
            f"`clusters` must hold at least 2 distinct clusters for a clustered SE; got {n_clusters}."
        )
    return arr, codes.reshape(-1), method, confidence_level, int(nan.sum()), missing


def clustered_mean_ci(
    x: Any,
    clusters: Any,
    *,
    method: str = "cr2",
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> ClusteredMeanResult:
    """Mean with a clustered standard error (CR2, CR1 or Miller), design effect and ICC.

    Parameters
    ----------
    x : array_like, shape (n_items,)
        One score per item.
    clusters : array_like, shape (n_items,)
        A cluster label per item (passage, subject, scenario).
    method : {"cr2", "cr1", "miller"}, default "cr2"
        ``"cr2"``: the bias-reduced sandwich SE (Bell & McCaffrey 2002), interval from t with
        the Imbens-Kolesar (2016) degrees of freedom at the estimated ICC; it holds its level
        with few or very unequal clusters, where CR1 does not (``benchmarks/interval_coverage.py``).
        ``"cr1"``: the cluster-robust sandwich SE with the G/(G-1) small-sample factor, interval
        from t with G - 1 degrees of freedom (Cameron & Miller 2015). ``"miller"``: Miller's
        clustered SE, normal interval.
    confidence_level : float, default 0.95
        Nominal coverage.
    missing : {"raise", "omit", "propagate"}, default "raise"
        NaN policy; with ``"omit"`` ``n`` counts the items used.

    Returns
    -------
    ClusteredMeanResult
        ``estimate, ci_low, ci_high, se, n, n_clusters, se_iid, design_effect, icc, df``.

    Warns
    -----
    DegenerateDataWarning
        When the effective number of clusters :math:`G^*` (Carter, Schnepel & Steigerwald 2017)
        is below 10: a few large clusters carry the estimate, however many clusters there are;
        with ``method="cr1"`` also when it is below 30.

    Notes
    -----
    With :math:`u_i = x_i - \\bar x`, :math:`U_c = \\sum_{i \\in c} u_i`, ``N`` items and ``G``
    clusters:

    * CR2: :math:`\\mathrm{SE}^2 = \\sum_c U_c^2 / (1 - n_c/N) / N^2` (the regression on a
      constant, :math:`H_{cc} = J/N`, so :math:`(I - H_{cc})^{-1/2}` scales the cluster sum by
      :math:`(1 - n_c/N)^{-1/2}`); degrees of freedom :math:`(\\mathrm{tr} M)^2/\\mathrm{tr} M^2`
      with :math:`M = G^\\top\\Omega G` (Bell & McCaffrey 2002, Imbens & Kolesar 2016, with
      :math:`\\Omega` the random-effects working model at the estimated ICC, floored at 0);
    * CR1: :math:`\\mathrm{SE}^2 = \\frac{G}{G-1} \\sum_c U_c^2 / N^2` (the OLS-on-a-constant
      sandwich; the (N-1)/(N-K) factor is 1 with K = 1);
    * Miller (2024, eq. 4): :math:`\\mathrm{SE}^2 = s^2/N + N^{-2} \\sum_c \\sum_i \\sum_{j \\ne i}
      u_{ic} u_{jc}` with :math:`s^2` the n - 1 sample variance.

    The ICC is the one-way ANOVA estimator :math:`(MSB - MSW) / (MSB + (n_0 - 1) MSW)`, with
    :math:`n_0 = (N - \\sum n_c^2 / N)/(G - 1)` (Donner 1986).

    References
    ----------
    .. [1] E. Miller, "Adding Error Bars to Evals", arXiv:2411.00640, 2024, sec. 2.2.
    .. [2] A. C. Cameron and D. L. Miller, "A Practitioner's Guide to Cluster-Robust Inference",
       *J. Human Resources* 50(2), 2015.
    .. [3] A. Donner, "A review of inference procedures for the intraclass correlation
       coefficient in the one-way random effects model", *Int. Stat. Rev.* 54, 1986.
    .. [4] R. M. Bell and D. F. McCaffrey, "Bias reduction in standard errors for linear
       regression with multi-stage samples", *Survey Methodology* 28(2), 169-181, 2002.
    .. [5] G. W. Imbens and M. Kolesar, "Robust standard errors in small samples: some practical
       advice", *Review of Economics and Statistics* 98(4), 701-712, 2016.
    .. [6] A. V. Carter, K. T. Schnepel and D. G. Steigerwald, "Asymptotic behavior of a t-test
       robust to cluster heterogeneity", *Review of Economics and Statistics* 99(4), 698-709, 2017.

    Examples
    --------
    >>> from assay.stats._clustered import clustered_mean_ci
    >>> res = clustered_mean_ci([1, 1, 0, 0, 1, 0], ["a", "a", "b", "b", "c", "c"], method="cr1")
    >>> round(res.estimate, 4), round(res.se, 4), res.n_clusters
    (0.5, 0.2887, 3)
    """
    arr, codes, method, confidence_level, n_nan, missing = _clustered_iv(
        x, clusters, method, confidence_level, missing
    )
    n, g = int(arr.size), int(codes.max()) + 1
    df = float(g - 1) if method != "miller" else float("inf")
    if missing == "propagate" and n_nan:
        nan = float("nan")
        return ClusteredMeanResult(
            estimate=nan, ci_low=nan, ci_high=nan, confidence_level=confidence_level,
            method=method, n=n, se=nan, n_clusters=g, se_iid=nan, design_effect=nan,
            icc=nan, df=df,
        )  # fmt: skip
    sizes = np.bincount(codes, minlength=g)
    if method == "cr2":
        cr2 = _cr2_se_df(arr, codes)
        icc, df, g_star, se = cr2.icc, cr2.df, cr2.effective_clusters, cr2.se
    else:
        icc = _icc_anova(arr, codes)
        g_star = _effective_clusters(sizes, min(max(icc, 0.0), 1.0) if np.isfinite(icc) else 0.0)
        se = _METHODS[method](arr, codes)
    rho = min(max(icc, 0.0), 1.0) if np.isfinite(icc) else 0.0
    if g_star < _MIN_EFFECTIVE_CLUSTERS or (method == "cr1" and g < 30):
        warnings.warn(
            f"Only {g} clusters, worth {g_star:.1f} equal clusters (effective number of "
            f"clusters at ICC {rho:.2f}): cluster-robust intervals are unreliable with so few"
            + ("; CR1 needs about 30 clusters of similar size." if method == "cr1" else "."),
            DegenerateDataWarning,
            stacklevel=2,
        )
    mean = float(arr.mean())
    se_iid = float(arr.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    deff = (se / se_iid) ** 2 if se_iid > 0 else float("nan")
    half = _critical(confidence_level, df) * se
    return ClusteredMeanResult(
        estimate=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        confidence_level=confidence_level,
        method=method,
        n=n,
        se=se,
        n_clusters=g,
        se_iid=se_iid,
        design_effect=float(deff),
        icc=icc,
        df=df,
        effective_clusters=g_star,
    )


def intraclass_correlation(x: Any, clusters: Any) -> float:
    """Intra-cluster correlation of scores, one-way ANOVA estimator.

    Parameters
    ----------
    x : array_like, shape (n_items,)
        One score per item, no NaN.
    clusters : array_like, shape (n_items,)
        A cluster label per item.

    Returns
    -------
    float
        :math:`(MSB - MSW) / (MSB + (n_0 - 1) MSW)`, NaN when no cluster has two items.

    Notes
    -----
    See :func:`clustered_mean_ci`; Donner (1986), eq. 2.2, for unequal cluster sizes.

    Examples
    --------
    >>> from assay.stats._clustered import intraclass_correlation
    >>> round(intraclass_correlation([1, 1, 0, 0, 1, 1], [0, 0, 1, 1, 2, 2]), 4)
    1.0
    """
    arr = check_array(x, "x", ndim=1)
    codes = _encode_clusters(clusters, arr.size)
    return _icc_anova(arr, codes)
