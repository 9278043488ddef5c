"""What a harness's summary numbers support: intervals, unpaired comparisons, and their limits.

Many results have no per-item rows: only the value a harness reported, its standard error and
sometimes n (lm-eval results files without ``--log_samples``, HELM ``stats.json``, Inspect
header-only logs). This module says what can honestly be said from them:

- :func:`recover_n`: n of a 0/1 metric from its mean and lm-eval's standard error;
- :func:`aggregate_intervals`: an interval per reported value, Wilson (the method of per-item
  data) for a 0/1 metric with n known or recovered, otherwise a normal interval on the reported
  standard error, and none for a custom aggregation without one;
- :func:`aggregate_leaderboard`: models ordered by the reported value, with those intervals;
- :func:`compare_unpaired`: two models from their summaries (two-proportion or Welch), labelled
  as unpaired: weaker than the paired tests of per-item data, never mixed with them;
- :func:`per_item_requirements`: the analyses that need per-item rows, and the flag that writes
  them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import InputError, Result
from assay._core._validation import check_alternative, check_array, check_confidence_level
from assay.stats._proportion import proportion_ci

__all__ = [
    "AggregateIntervals",
    "AggregateLeaderboardResult",
    "PerItemRequirement",
    "UnpairedCompareResult",
    "aggregate_intervals",
    "aggregate_leaderboard",
    "compare_unpaired",
    "per_item_requirements",
    "recover_n",
]

_RANGES = {
    "f1": (0.0, 1.0),
    "matthews_corrcoef": (-1.0, 1.0),
    "bleu": (0.0, 100.0),
    "chrf": (0.0, 100.0),
    "ter": (0.0, math.inf),
    "perplexity": (1.0, math.inf),
    "weighted_perplexity": (1.0, math.inf),
    "bits_per_byte": (0.0, math.inf),
    "brier_score": (0.0, 2.0),
}
"""The range of each of lm-eval's named corpus aggregations: normal intervals are clipped to it."""

UNPAIRED_NOTE = (
    "unpaired: computed from each model's summary alone; when both models answered the same "
    "items a paired test on per-item rows is more powerful (lm-eval: --log_samples)"
)


# ------------------------------------------------------------------------------------ n


def recover_n(value: Any, stderr: Any, *, rtol: float = 1e-6) -> np.ndarray:
    """n of a 0/1 metric from its mean and standard error, or -1 where it cannot be recovered.

    Parameters
    ----------
    value : array_like
        Reported means (proportions).
    stderr : array_like
        Reported standard errors, broadcast against ``value``.
    rtol : float, default 1e-6
        How close to a whole number n must be, relative to n; the count n * value must be
        within 1e-6 of a whole number.

    Returns
    -------
    ndarray of int64
        n, or -1 where the value is 0 or 1, the stderr is missing or 0, or no whole n fits.

    Notes
    -----
    lm-eval's ``mean_stderr`` is the sample SD over :math:`\\sqrt n`, with n - 1 in the variance:
    for 0/1 scores :math:`se^2 = p(1-p)/(n-1)`, so :math:`n = p(1-p)/se^2 + 1`. The population
    form :math:`se^2 = p(1-p)/n` (Inspect's and HELM's binomial errors) is tried next. An n is
    accepted only when it and the count :math:`np` are whole numbers: a metric that is not 0/1
    almost never passes both (none of 2,000 simulated means of continuous scores did, in
    tests/stats/test_aggregate.py).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats import recover_n
    >>> p = 300 / 1000
    >>> recover_n([p, 0.5], [np.sqrt(p * (1 - p) / 999), 0.0]).tolist()
    [1000, -1]
    """
    p = check_array(value, "value", ndim=(0, 1), allow_nan=True)
    se = check_array(stderr, "stderr", ndim=(0, 1), allow_nan=True)
    p, se = np.broadcast_arrays(np.atleast_1d(p), np.atleast_1d(se))
    out = np.full(p.shape, -1, dtype=np.int64)
    ok = np.isfinite(p) & np.isfinite(se) & (se > 0) & (p > 0) & (p < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(ok, p * (1 - p) / np.where(ok, se, 1.0) ** 2, np.nan)
    for shift in (1.0, 0.0):  # n - 1 in the variance (lm-eval), then n
        n_hat = base + shift
        n_int = np.round(n_hat)
        k = p * n_int
        fits = (
            ok
            & (out < 0)
            & (n_int >= 2)
            & (np.abs(n_hat - n_int) <= rtol * np.maximum(n_hat, 1.0) + 1e-6)
            & (np.abs(k - np.round(k)) <= 1e-6)  # float error of n*p is ~1e-16 * n
        )
        out[fits] = n_int[fits].astype(np.int64)
    return out


# ------------------------------------------------------------------------------ intervals


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregateIntervals(Result):
    """Intervals of reported values, one per row of the input.

    Attributes
    ----------
    estimate, ci_low, ci_high, se : ndarray of float
        The reported value, its interval (NaN where none can be given) and the standard error
        the interval used.
    n : ndarray of int
        Items behind each value (-1 unknown).
    n_source : tuple of str
        ``reported``, ``recovered`` (from value and stderr, :func:`recover_n`) or ``unknown``.
    method : tuple of str
        ``wilson`` (a 0/1 metric with n), ``normal on reported stderr``, or ``none: ...`` saying
        why no interval is given.
    confidence_level : float
    """

    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_source: tuple[str, ...]
    method: tuple[str, ...]
    confidence_level: float

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as JSON-safe builtins."""
        return {
            "estimate": _f(self.estimate[i]),
            "ci_low": _f(self.ci_low[i]),
            "ci_high": _f(self.ci_high[i]),
            "se": _f(self.se[i]),
            "n": int(self.n[i]) if self.n[i] >= 0 else None,
            "n_source": self.n_source[i],
            "method": self.method[i],
            "confidence_level": self.confidence_level,
        }


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _optional(values: Any, name: str, size: int, dtype: Any, fill: Any) -> np.ndarray:
    if values is None:
        return np.full(size, fill, dtype=dtype)
    arr = np.array([fill if v is None else v for v in np.atleast_1d(np.asarray(values, object))])
    if arr.size != size:
        raise InputError(f"`{name}` must have one entry per value ({size}); got {arr.size}.")
    try:
        return arr.astype(dtype)
    except (TypeError, ValueError):
        raise InputError(f"`{name}` must hold numbers or None; got {values!r}.") from None


def _intervals_iv(value, stderr, n, binary, aggregation, confidence_level):
    level = check_confidence_level(confidence_level)
    v = np.atleast_1d(check_array(value, "value", ndim=(0, 1), allow_nan=True)).astype(float)
    se = _optional(stderr, "stderr", v.size, float, np.nan)
    nn = _optional(n, "n", v.size, float, np.nan)
    bad = np.isfinite(nn) & ((nn < 1) | (nn != np.round(nn)))
    if bad.any():
        raise InputError(f"`n` must hold whole numbers >= 1 or None; got {nn[bad][0]:g}.")
    if np.any(se[np.isfinite(se)] < 0):
        raise InputError("`stderr` must be >= 0 or None (NaN).")
    binary = _optional(binary, "binary", v.size, object, None)
    agg = _optional(aggregation, "aggregation", v.size, object, None)
    return v, se, nn, binary, agg, level


def aggregate_intervals(
    value: Any,
    stderr: Any = None,
    *,
    n: Any = None,
    binary: Any = None,
    aggregation: Any = None,
    confidence_level: float = 0.95,
) -> AggregateIntervals:
    """Confidence intervals of reported values from their standard errors and n.

    Parameters
    ----------
    value : array_like, shape (k,)
        The values the harness reported.
    stderr : array_like of float or None, shape (k,), optional
        Their reported standard errors (None or NaN where the harness gave none).
    n : array_like of int or None, shape (k,), optional
        Items behind each value, where the file says it.
    binary : array_like of bool or None, shape (k,), optional
        Whether each metric is 0/1 per item. None (default) infers it: a value in [0, 1] whose
        n (reported, or recovered by :func:`recover_n`) makes n * value and the stderr those
        of 0/1 scores.
    aggregation : array_like of str or None, shape (k,), optional
        The harness's aggregation (``mean``, ``f1``, ``custom``, ...); ``custom`` without a
        stderr gets no interval, and its reason says so.
    confidence_level : float, default 0.95

    Returns
    -------
    AggregateIntervals

    Notes
    -----
    A 0/1 metric with n: the Wilson interval of :func:`assay.stats.proportion_ci` on the count
    :math:`\\mathrm{round}(np)`, the interval per-item data would get, inside [0, 1]. Otherwise
    :math:`v \\pm z \\cdot se` on the reported standard error (for lm-eval's corpus metrics a
    bootstrap SE), clipped to [0, 1] when the metric is 0/1 and to the range of a named
    aggregation (BLEU [0, 100], MCC [-1, 1], perplexity >= 1, ...). Without an SE, no interval.

    Examples
    --------
    >>> from assay.stats import aggregate_intervals
    >>> res = aggregate_intervals([0.3, 21.4], [(0.3 * 0.7 / 999) ** 0.5, 1.2])
    >>> res.method
    ('wilson', 'normal on reported stderr')
    """
    v, se, nn, binary, agg, level = _intervals_iv(
        value, stderr, n, binary, aggregation, confidence_level
    )
    size = v.size
    rec = recover_n(v, se)
    n_out = np.where(np.isfinite(nn), nn, rec).astype(np.int64)
    n_source = tuple(
        "reported" if np.isfinite(nn[i]) else ("recovered" if rec[i] > 0 else "unknown")
        for i in range(size)
    )
    is_bin = np.zeros(size, dtype=bool)
    for i in range(size):
        if binary[i] is not None:
            is_bin[i] = bool(binary[i]) and n_out[i] > 0
        elif agg[i] in (None, "mean") and n_out[i] > 0 and 0 <= v[i] <= 1:
            k = v[i] * n_out[i]
            # 0/1 only when the stderr says so too: n recovered from it, equal to any n reported
            is_bin[i] = abs(k - round(k)) <= 1e-6 * n_out[i] and rec[i] == n_out[i]
    lo = np.full(size, np.nan)
    hi = np.full(size, np.nan)
    se_out = se.copy()
    methods = []
    z = float(special.ndtri(0.5 + level / 2.0))
    if is_bin.any():
        count = np.round(v[is_bin] * n_out[is_bin])
        res = proportion_ci(count, n_out[is_bin], method="wilson", confidence_level=level)
        lo[is_bin], hi[is_bin] = res.ci_low, res.ci_high
        se_out[is_bin] = np.where(np.isfinite(se[is_bin]), se[is_bin], res.se)
    for i in range(size):
        if not np.isfinite(v[i]):
            methods.append("none: no value reported")
        elif is_bin[i]:
            methods.append("wilson")
        elif np.isfinite(se[i]):
            lo[i], hi[i] = v[i] - z * se[i], v[i] + z * se[i]
            if binary[i] is not None and bool(binary[i]):  # a 0/1 metric stays in [0, 1]
                lo[i], hi[i] = max(lo[i], 0.0), min(hi[i], 1.0)
            elif agg[i] in _RANGES:  # a named aggregation stays inside its range
                lo[i], hi[i] = max(lo[i], _RANGES[agg[i]][0]), min(hi[i], _RANGES[agg[i]][1])
            methods.append("normal on reported stderr")
        elif agg[i] == "custom":
            methods.append(
                "none: a custom aggregation written as code in the log (never executed) and no "
                "stderr; the reported value is shown as is"
            )
        elif n_out[i] > 0:
            methods.append(
                "none: the harness reported no stderr and the metric is not known to be 0/1"
            )
        else:
            methods.append("none: the harness reported no stderr and n is unknown")
    return AggregateIntervals(
        estimate=v,
        ci_low=lo,
        ci_high=hi,
        se=se_out,
        n=n_out,
        n_source=n_source,
        method=tuple(methods),
        confidence_level=level,
    )


# ---------------------------------------------------------------------------- leaderboard


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregateLeaderboardResult(Result):
    """Models ordered by a reported value, with intervals from the harness's summaries.

    Attributes
    ----------
    models : tuple of str
        Best first.
    intervals : AggregateIntervals
        In the order of ``models``.
    higher_is_better : bool
    paired : bool
        Always False: the order comes from summaries, not from paired per-item comparisons.
    note : str
        What the table cannot say (no paired tests, no rank intervals from items).
    """

    models: tuple[str, ...]
    intervals: AggregateIntervals
    higher_is_better: bool
    confidence_level: float
    paired: bool = False
    note: str = ""

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per model, best first."""
        return [{"model": m, **self.intervals.row(i)} for i, m in enumerate(self.models)]

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        return {
            "rows": self.rows(),
            "higher_is_better": self.higher_is_better,
            "confidence_level": self.confidence_level,
            "paired": self.paired,
            "note": self.note,
        }


def aggregate_leaderboard(
    value: Any,
    stderr: Any = None,
    *,
    models: Any,
    n: Any = None,
    binary: Any = None,
    aggregation: Any = None,
    higher_is_better: bool = True,
    confidence_level: float = 0.95,
) -> AggregateLeaderboardResult:
    """Models ranked by their reported value on one task and metric, with intervals.

    Parameters
    ----------
    value, stderr, n, binary, aggregation
        One entry per model, as in :func:`aggregate_intervals`.
    models : sequence of str
        Model names (with the step, ``model@step``, when several checkpoints are ranked).
    higher_is_better : bool, default True
    confidence_level : float, default 0.95

    Returns
    -------
    AggregateLeaderboardResult

    Examples
    --------
    >>> from assay.stats import aggregate_leaderboard
    >>> res = aggregate_leaderboard([0.61, 0.64], [0.0154, 0.0152], models=["a", "b"], n=[1000, 1000])
    >>> res.models
    ('b', 'a')
    """
    names = [str(m) for m in np.atleast_1d(np.asarray(models, dtype=object))]
    iv = aggregate_intervals(
        value,
        stderr,
        n=n,
        binary=binary,
        aggregation=aggregation,
        confidence_level=confidence_level,
    )
    if len(names) != iv.estimate.size:
        raise InputError(
            f"`models` must have one name per value ({iv.estimate.size}); got {len(names)}."
        )
    if len(set(names)) != len(names):
        raise InputError("`models` must be distinct; add the step (model@step) to checkpoints.")
    key = np.where(np.isfinite(iv.estimate), iv.estimate, -np.inf if higher_is_better else np.inf)
    order = np.lexsort((np.array(names), -key if higher_is_better else key))
    picked = AggregateIntervals(
        estimate=iv.estimate[order],
        ci_low=iv.ci_low[order],
        ci_high=iv.ci_high[order],
        se=iv.se[order],
        n=iv.n[order],
        n_source=tuple(iv.n_source[i] for i in order),
        method=tuple(iv.method[i] for i in order),
        confidence_level=iv.confidence_level,
    )
    return AggregateLeaderboardResult(
        models=tuple(names[i] for i in order),
        intervals=picked,
        higher_is_better=bool(higher_is_better),
        confidence_level=iv.confidence_level,
        note=(
            "ordered by the harness's reported values; intervals come from each value's "
            "standard error or n; overlapping intervals do not make a tie and separate ones "
            "are not a paired test (per-item rows give paired comparisons and rank intervals)"
        ),
    )


# --------------------------------------------------------------------------------- compare


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnpairedCompareResult(Result):
    """Model A minus model B from their summaries alone.

    Attributes
    ----------
    estimate, ci_low, ci_high, se : float
        The difference A - B and its interval.
    statistic, pvalue : float
    alternative : str
    method : str
        ``two-proportion z (unpaired)`` or ``welch (unpaired)`` / ``normal (unpaired)``.
    df : float
        Welch-Satterthwaite degrees of freedom (inf for a normal reference).
    paired : bool
        Always False.
    note : str
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    statistic: float
    pvalue: float
    alternative: str
    confidence_level: float
    method: str
    n: tuple[int, int]
    df: float = math.inf
    paired: bool = False
    note: str = UNPAIRED_NOTE


def _newcombe(k1, n1, k2, n2, level):
    """Newcombe's hybrid score interval of p1 - p2 (Newcombe 1998, method 10)."""
    a = proportion_ci(k1, n1, method="wilson", confidence_level=level)
    b = proportion_ci(k2, n2, method="wilson", confidence_level=level)
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    lo = d - math.sqrt((p1 - a.ci_low) ** 2 + (b.ci_high - p2) ** 2)
    hi = d + math.sqrt((a.ci_high - p1) ** 2 + (p2 - b.ci_low) ** 2)
    return max(lo, -1.0), min(hi, 1.0)


def _unpaired_statistics(a, b, sa, sb, na, nb, binary):
    """Vectorised statistic and df of A - B: pooled two-proportion z where ``binary`` (df inf),
    else the difference over sqrt(se_a^2 + se_b^2) with Welch-Satterthwaite df when both n are
    known (> 1), inf otherwise. NaN where no test can be made."""
    a, b, sa, sb = (np.asarray(x, dtype=float) for x in (a, b, sa, sb))
    na, nb = np.asarray(na, dtype=float), np.asarray(nb, dtype=float)
    binary = np.asarray(binary, dtype=bool)
    d = a - b
    with np.errstate(divide="ignore", invalid="ignore"):
        k1, k2 = np.round(a * na), np.round(b * nb)
        pooled = (k1 + k2) / (na + nb)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z_bin = np.where(se0 > 0, d / se0, 0.0)
        se = np.sqrt(sa**2 + sb**2)
        z_se = np.where(se > 0, d / se, np.nan)
        ws = se**4 / (sa**4 / (na - 1) + sb**4 / (nb - 1))
        df_se = np.where((na > 1) & (nb > 1) & np.isfinite(ws), ws, np.inf)
    stat = np.where(binary, z_bin, z_se)
    df = np.where(binary, np.inf, df_se)
    return stat, df


def _pvalues(stat, df, alternative):
    stat, df = np.asarray(stat, dtype=float), np.asarray(df, dtype=float)
    if alternative == "two-sided":
        return 2 * stats.t.sf(np.abs(stat), df)
    return stats.t.sf(stat, df) if alternative == "greater" else stats.t.cdf(stat, df)


def compare_unpaired(
    value_a: float,
    value_b: float,
    *,
    stderr_a: float | None = None,
    stderr_b: float | None = None,
    n_a: int | None = None,
    n_b: int | None = None,
    binary: bool | None = None,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
) -> UnpairedCompareResult:
    """Compare two models from their reported values, standard errors and n (unpaired).

    Parameters
    ----------
    value_a, value_b : float
        Reported values of A and B.
    stderr_a, stderr_b : float, optional
    n_a, n_b : int, optional
        Items behind each value; for a 0/1 metric they are recovered from value and stderr
        (:func:`recover_n`) when not given.
    binary : bool, optional
        Whether the metric is 0/1; None infers it as :func:`aggregate_intervals` does.
    confidence_level : float, default 0.95
    alternative : {"two-sided", "greater", "less"}, default "two-sided"

    Returns
    -------
    UnpairedCompareResult

    Notes
    -----
    0/1 metric with both n: the pooled two-proportion z-test (as
    ``statsmodels.stats.proportion.proportions_ztest``) and Newcombe's hybrid score interval of
    the difference (``confint_proportions_2indep(method="newcomb")``), inside [-1, 1]. Otherwise
    the difference over :math:`\\sqrt{se_A^2 + se_B^2}`: Welch's t with Welch-Satterthwaite df
    when both n are known (as ``scipy.stats.ttest_ind_from_stats(equal_var=False)`` with
    SD = se * sqrt(n)), else a normal reference. Both ignore that two models answered the same
    items; with positively correlated errors they are conservative, and always weaker than a
    paired test on per-item rows. Never mix them into paired verdicts.

    Examples
    --------
    >>> from assay.stats import compare_unpaired
    >>> res = compare_unpaired(0.64, 0.60, n_a=1000, n_b=1000, binary=True)
    >>> res.method, round(res.pvalue, 4)
    ('two-proportion z (unpaired)', 0.0654)
    """
    level = check_confidence_level(confidence_level)
    alternative = check_alternative(alternative)
    iv = aggregate_intervals(
        [value_a, value_b],
        [stderr_a, stderr_b],
        n=[n_a, n_b],
        binary=None if binary is None else [binary, binary],
        confidence_level=level,
    )
    a, b = (float(x) for x in iv.estimate)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise InputError(f"`value_a` and `value_b` must be numbers; got {value_a!r}, {value_b!r}.")
    n1, n2 = (int(x) for x in iv.n)
    d = a - b
    z = float(special.ndtri(0.5 + level / 2.0))
    if iv.method[0] == "wilson" and iv.method[1] == "wilson":
        k1, k2 = round(a * n1), round(b * n2)
        stat, _ = _unpaired_statistics(a, b, math.nan, math.nan, n1, n2, True)
        stat = float(stat)
        lo, hi = _newcombe(k1, n1, k2, n2, level)
        se = math.sqrt(a * (1 - a) / n1 + b * (1 - b) / n2)
        return UnpairedCompareResult(
            estimate=d,
            ci_low=lo,
            ci_high=hi,
            se=se,
            statistic=stat,
            pvalue=float(_pvalues(stat, np.inf, alternative)),
            alternative=alternative,
            confidence_level=level,
            method="two-proportion z (unpaired)",
            n=(n1, n2),
        )
    s1, s2 = (float(x) for x in iv.se)
    if not (math.isfinite(s1) and math.isfinite(s2)):
        raise InputError(
            "an unpaired comparison needs both standard errors, or n of a 0/1 metric; "
            f"got stderr_a={stderr_a!r}, stderr_b={stderr_b!r}, n_a={n_a!r}, n_b={n_b!r}."
        )
    se = math.sqrt(s1**2 + s2**2)
    if se == 0:
        raise InputError("both standard errors are 0; the difference has no sampling error.")
    stat_a, df_a = _unpaired_statistics(a, b, s1, s2, n1, n2, False)
    stat, df = float(stat_a), float(df_a)
    method = "welch (unpaired)" if math.isfinite(df) else "normal (unpaired)"
    crit = float(stats.t.ppf(0.5 + level / 2.0, df)) if math.isfinite(df) else z
    return UnpairedCompareResult(
        estimate=d,
        ci_low=d - crit * se,
        ci_high=d + crit * se,
        se=se,
        statistic=stat,
        pvalue=float(_pvalues(stat, df, alternative)),
        alternative=alternative,
        confidence_level=level,
        method=method,
        n=(n1, n2),
        df=float(df),
    )


# ----------------------------------------------------------------------- what needs items


@dataclasses.dataclass(frozen=True, kw_only=True)
class PerItemRequirement(Result):
    """An analysis that summaries cannot support, and how to get the per-item rows it needs."""

    analysis: str
    reason: str
    enable: str


_ANALYSES = (
    ("paired comparisons", "a paired test needs both models' scores on each item"),
    ("rank intervals", "resampling ranks needs the items"),
    ("item audit (IRT, label errors)", "item difficulty and fit are properties of single items"),
    ("subsets and subgroups", "a subset's score needs its items' scores"),
    ("clustered intervals", "clusters are groups of items"),
    ("calibration", "needs each item's confidence and outcome"),
    ("bootstrap intervals of corpus-level metrics", "needs the per-item (gold, prediction) pairs"),
    ("checks of the harness's aggregate", "recomputing a value needs the items it came from"),
)

_ENABLE = {
    "lm_eval": "run lm-eval with --log_samples (writes samples_<task>_<date>.jsonl)",
    "inspect": "keep the samples in the Inspect log (do not write it header-only, "
    "log_samples=False / --no-log-samples)",
    "helm": "keep per_instance_stats.json and scenario_state.json beside stats.json",
    "lighteval": "run lighteval with --save-details (writes details_*.parquet)",
}


def per_item_requirements(harness: str | None = "lm_eval") -> tuple[PerItemRequirement, ...]:
    """The analyses that need per-item rows, and the option of ``harness`` that writes them.

    Parameters
    ----------
    harness : {"lm_eval", "inspect", "helm", "lighteval"} or None, default "lm_eval"
        None gives a generic instruction.

    Returns
    -------
    tuple of PerItemRequirement

    Examples
    --------
    >>> from assay.stats import per_item_requirements
    >>> per_item_requirements("lm_eval")[0].enable
    'run lm-eval with --log_samples (writes samples_<task>_<date>.jsonl)'
    """
    if harness is not None and harness not in _ENABLE:
        raise InputError(
            f"`harness` must be one of {', '.join(sorted(_ENABLE))} or None; got {harness!r}."
        )
    enable = _ENABLE.get(harness or "", "have the harness write its per-item results")
    return tuple(PerItemRequirement(analysis=a, reason=r, enable=enable) for a, r in _ANALYSES)
