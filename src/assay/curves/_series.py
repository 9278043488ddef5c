"""Training curves from reported values: checkpoint series of (step, value, stderr, n).

The other curve functions take per-item scores at each checkpoint, so that checkpoints are
compared on the same items (paired). Results files without samples (the Pythia evals, any lm-eval
run without ``--log_samples``) give only a value, its standard error and sometimes n per step.
This module turns the aggregate table into series and says what such series support:

- :func:`aggregate_series`: one :class:`AggregateSeries` per (model, task, metric);
- :func:`series_curve`: per-step intervals (:func:`assay.stats.aggregate_intervals`: Wilson for
  a 0/1 metric whose n is known or recoverable), step-to-step unpaired tests
  (:func:`assay.stats.compare_unpaired`), end-of-run noise against the sampling error, and
  checkpoints that depart from their neighbours by more than both explain;
- :func:`series_fit`: :func:`assay.curves.fit_curve` on the values (forecasts, asymptotes);
- :func:`series_signal_to_noise`: :func:`assay.curves.signal_to_noise_from_curves` over runs.

Unpaired tests between checkpoints ignore that both answered the same items: they are
conservative (errors of neighbouring checkpoints are positively correlated) and weaker than the
paired tests of :func:`assay.curves.learning_curve` on per-item rows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError, Result
from assay._core._validation import (
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_probability,
)
from assay.curves._fits import CurveFitResult, fit_curve
from assay.curves._forgetting import ForgettingResult
from assay.curves._noise import SignalNoiseResult, signal_to_noise_from_curves
from assay.stats import ADJUST_METHODS, adjust_pvalues, aggregate_intervals
from assay.stats._aggregate import UNPAIRED_NOTE, _pvalues, _unpaired_statistics

__all__ = [
    "AggregateSeries",
    "SeriesCurveResult",
    "aggregate_series",
    "series_curve",
    "series_fit",
    "series_forgetting",
    "series_signal_to_noise",
]

_NEEDED = ("model", "task", "metric", "step", "value", "stderr")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregateSeries(Result):
    """One checkpoint series: a model's reported values on one task and metric, by step.

    Attributes
    ----------
    model, task, metric : str
    steps : ndarray of int64, shape (n_points,)
        Sorted, distinct.
    value, stderr : ndarray of float, shape (n_points,)
        NaN where the harness gave none.
    n : ndarray of int64, shape (n_points,)
        Items behind each value, -1 where the file does not say.
    corpus_level : bool
    higher_is_better : bool or None
    """

    model: str
    task: str
    metric: str
    steps: np.ndarray
    value: np.ndarray
    stderr: np.ndarray
    n: np.ndarray
    corpus_level: bool = False
    higher_is_better: bool | None = None

    _array_fields = ("steps", "value", "stderr", "n")


def aggregate_series(
    aggregates: Mapping[str, Sequence[Any]],
    *,
    tasks: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    level: str = "task",
    min_points: int = 2,
) -> tuple[AggregateSeries, ...]:
    """Group the aggregate table into checkpoint series.

    Parameters
    ----------
    aggregates : mapping of column name to sequence
        The aggregate table as columns (``ReadResult.aggregates.to_pydict()``); needs ``model,
        task, metric, step, value, stderr`` and uses ``n``, ``level``, ``corpus_level`` and
        ``higher_is_better`` when present.
    tasks, metrics : sequence of str, optional
        Keep only these.
    level : {"task", "group", "all"}, default "task"
        Which rows: tasks, the harness's group aggregates, or both.
    min_points : int, default 2
        Series with fewer steps are left out.

    Returns
    -------
    tuple of AggregateSeries
        Sorted by model, task, metric. Rows without a step are not part of any series.

    Raises
    ------
    InputError
        A column is missing, or one step appears twice in a series with different values
        (two runs of one checkpoint: keep one before building series).
    """
    level = check_choice(level, "level", ("task", "group", "all"))
    min_points = check_positive_int(min_points, "min_points")
    missing = [c for c in _NEEDED if c not in aggregates]
    if missing:
        raise InputError(f"`aggregates` lacks column(s) {', '.join(missing)}.", field=missing[0])
    cols = {k: list(v) for k, v in aggregates.items()}
    size = len(cols["model"])
    n_col = cols.get("n", [None] * size)
    lvl = cols.get("level", ["task"] * size)
    corpus = cols.get("corpus_level", [False] * size)
    hib = cols.get("higher_is_better", [None] * size)
    keep_t = None if tasks is None else set(tasks)
    keep_m = None if metrics is None else set(metrics)
    groups: dict[tuple[str, str, str], dict[int, tuple[float, float, int]]] = {}
    flags: dict[tuple[str, str, str], tuple[bool, bool | None]] = {}
    for i in range(size):
        step = cols["step"][i]
        if step is None or (level != "all" and lvl[i] != level):
            continue
        key = (cols["model"][i], cols["task"][i], cols["metric"][i])
        if (keep_t is not None and key[1] not in keep_t) or (
            keep_m is not None and key[2] not in keep_m
        ):
            continue
        point = (_num(cols["value"][i]), _num(cols["stderr"][i]), _int(n_col[i]))
        seen = groups.setdefault(key, {})
        if int(step) in seen and not _same(seen[int(step)], point):
            raise InputError(
                f"step {int(step)} of {key[0]} / {key[1]} / {key[2]} appears twice with different "
                "values (two runs of one checkpoint?); keep one run per checkpoint.",
                field="step",
            )
        seen[int(step)] = point
        flags[key] = (bool(corpus[i]), hib[i] if isinstance(hib[i], bool) else None)
    out = []
    for key in sorted(groups):
        points = sorted(groups[key].items())
        if len(points) < min_points:
            continue
        out.append(
            AggregateSeries(
                model=key[0],
                task=key[1],
                metric=key[2],
                steps=np.array([s for s, _ in points], dtype=np.int64),
                value=np.array([p[0] for _, p in points], dtype=float),
                stderr=np.array([p[1] for _, p in points], dtype=float),
                n=np.array([p[2] for _, p in points], dtype=np.int64),
                corpus_level=flags[key][0],
                higher_is_better=flags[key][1],
            )
        )
    return tuple(out)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _int(x: Any) -> int:
    return -1 if x is None else int(x)


def _same(a: tuple, b: tuple) -> bool:
    return all(
        (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b)
    )


# -------------------------------------------------------------------------------- the curve


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeriesCurveResult(Result):
    """Per-step intervals, step-to-step unpaired tests, end-of-run noise and outliers.

    Attributes
    ----------
    steps, estimate, ci_low, ci_high, se : ndarray, shape (n_points,)
    n : ndarray of int64
        Items per step (-1 unknown); ``n_source`` says reported or recovered.
    method : tuple of str
        The interval of each step (``wilson``, ``normal on reported stderr``, ``none: ...``).
    step_pvalues, step_pvalues_adjusted : ndarray, shape (n_points - 1,)
        Unpaired test of each step against the next (NaN where no test can be made).
    step_significant : ndarray of bool
    noise_sd : float
        SD of the last ``n_last`` values: training noise and sampling noise together.
    sampling_se : float
        Root mean square of those values' standard errors: the sampling noise alone.
    noise_ratio : float
        ``noise_sd / sampling_se``; well above 1 when checkpoint-to-checkpoint training noise
        dominates (Heineman et al. 2025, arXiv:2508.13144).
    outlier_steps : tuple of int
        Checkpoints whose departure from their neighbours is both significant (unpaired, after
        ``adjust``) and unusual for the curve (modified z above ``outlier_threshold``).
    paired : bool
        Always False. ``note`` says what that means.
    """

    steps: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_source: tuple[str, ...]
    method: tuple[str, ...]
    confidence_level: float
    step_pvalues: np.ndarray
    step_pvalues_adjusted: np.ndarray
    step_significant: np.ndarray
    adjust: str
    alpha: float
    noise_sd: float
    sampling_se: float
    noise_ratio: float
    n_last: int
    outlier_steps: tuple[int, ...]
    paired: bool = False
    note: str = UNPAIRED_NOTE

    _array_fields = (
        "steps",
        "estimate",
        "ci_low",
        "ci_high",
        "se",
        "n",
        "step_pvalues",
        "step_pvalues_adjusted",
        "step_significant",
    )

    def points(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per step."""
        return [
            {
                "step": int(self.steps[i]),
                "estimate": _f(self.estimate[i]),
                "ci_low": _f(self.ci_low[i]),
                "ci_high": _f(self.ci_high[i]),
                "se": _f(self.se[i]),
                "n": int(self.n[i]) if self.n[i] >= 0 else None,
                "n_source": self.n_source[i],
                "method": self.method[i],
            }
            for i in range(self.steps.size)
        ]


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _step_pvalues(iv: Any) -> np.ndarray:
    """Unpaired test of each checkpoint against the previous one, vectorised."""
    wilson = np.array([m == "wilson" for m in iv.method])
    a, b = iv.estimate[1:], iv.estimate[:-1]
    sa, sb = iv.se[1:], iv.se[:-1]
    na = np.where(iv.n[1:] > 0, iv.n[1:], np.nan)
    nb = np.where(iv.n[:-1] > 0, iv.n[:-1], np.nan)
    binary = wilson[1:] & wilson[:-1]
    stat, df = _unpaired_statistics(a, b, sa, sb, na, nb, binary)
    p = _pvalues(stat, df, "two-sided")
    return np.where(np.isfinite(stat), p, np.nan)


def _reference(x, y, se):
    """Each point's value interpolated from its two neighbours (extrapolated from the next two
    at the ends) on x, and that reference's variance from the neighbours' standard errors."""
    k = y.size
    left = np.r_[1, np.arange(0, k - 2), k - 3]
    right = np.r_[2, np.arange(2, k), k - 2]
    w = (x - x[left]) / (x[right] - x[left])
    ref = (1 - w) * y[left] + w * y[right]
    return ref, (1 - w) ** 2 * se[left] ** 2 + w**2 * se[right] ** 2


def _outliers(x, y, se, threshold, alpha, adjust) -> np.ndarray:
    """Departures from the neighbours' line that are significant and unusual (modified z)."""
    k = y.size
    if k < 5:
        return np.zeros(k, dtype=bool)
    ref, ref_var = _reference(x, y, se)
    r = y - ref
    with np.errstate(divide="ignore", invalid="ignore"):
        z = r / np.sqrt(se**2 + ref_var)
    p = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), 1.0)
    significant = adjust_pvalues(p, method=adjust, alpha=alpha).reject
    flagged = np.zeros(k, dtype=bool)
    # an isolated departure pulls its neighbours' references its way, so their residuals take
    # the other sign; a bend of the curve gives neighbouring residuals of one sign
    sign = np.sign(r)
    isolated = np.zeros(k, dtype=bool)
    isolated[1:-1] = (sign[:-2] == -sign[1:-1]) & (sign[2:] == -sign[1:-1])
    isolated[0] = sign[1] == -sign[0]
    isolated[-1] = sign[-2] == -sign[-1]
    for i in np.flatnonzero(significant & isolated):
        others = np.ones(k, dtype=bool)
        others[max(i - 1, 0) : i + 2] = False
        rest = r[others]
        med = np.median(rest)
        mad = np.median(np.abs(rest - med))
        if mad > 0 and abs(0.6745 * (r[i] - med) / mad) > threshold:
            flagged[i] = True
    return flagged


def series_curve(
    series: AggregateSeries,
    *,
    confidence_level: float = 0.95,
    alpha: float = 0.05,
    adjust: str = "holm",
    n_last: int = 5,
    outlier_threshold: float = 3.5,
) -> SeriesCurveResult:
    """Per-step intervals, unpaired step tests, end-of-run noise and outliers of one series.

    Parameters
    ----------
    series : AggregateSeries
    confidence_level : float, default 0.95
    alpha : float, default 0.05
        Level of the step tests and of the outlier test, after ``adjust``.
    adjust : str, default "holm"
        :data:`assay.stats.ADJUST_METHODS`.
    n_last : int, default 5
        Checkpoints at the end whose spread measures end-of-run noise.
    outlier_threshold : float, default 3.5
        Modified z-score of a departure above which it is unusual for this curve.

    Returns
    -------
    SeriesCurveResult

    Notes
    -----
    Intervals: :func:`assay.stats.aggregate_intervals`. Step tests:
    :func:`assay.stats.compare_unpaired` of each checkpoint with the previous one. Outliers: the
    departure :math:`r_i` of a value from the line through its two neighbours on
    :math:`\\log(1 + \\mathrm{step})` (at the ends, from the line through the next two), tested
    against :math:`\\sqrt{se_i^2 + se_{ref}^2}` (unpaired) and
    flagged when that test rejects after ``adjust`` and :math:`|0.6745 (r_i - \\tilde r) /
    \\mathrm{MAD}(r)| > 3.5` over the checkpoints other than i and its neighbours (Iglewicz and
    Hoaglin 1993), as :func:`assay.curves.outlier_checkpoints` does with paired tests.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import AggregateSeries, series_curve
    >>> p = np.array([0.25, 0.3, 0.4, 0.45, 0.5, 0.52, 0.53, 0.53])
    >>> s = AggregateSeries(model="m", task="t", metric="acc", steps=np.arange(8) * 1000,
    ...     value=p, stderr=np.sqrt(p * (1 - p) / 1999), n=np.full(8, -1))
    >>> res = series_curve(s)
    >>> res.method[0], int(res.n[0]), bool(res.step_significant[1])
    ('wilson', 2000, True)
    """
    if not isinstance(series, AggregateSeries):
        raise InputError(f"`series` must be an AggregateSeries; got {type(series).__name__}.")
    level = check_confidence_level(confidence_level)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    n_last = check_positive_int(n_last, "n_last", minimum=2)
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    threshold = float(outlier_threshold)
    if not (math.isfinite(threshold) and threshold > 0):
        raise InputError(
            f"`outlier_threshold` must be a positive number; got {outlier_threshold!r}."
        )
    iv = aggregate_intervals(
        series.value,
        series.stderr,
        n=[None if k < 0 else int(k) for k in series.n],
        confidence_level=level,
    )
    p = _step_pvalues(iv)
    ok = np.isfinite(p)
    p_adj = np.full(p.shape, np.nan)
    sig = np.zeros(p.shape, dtype=bool)
    if ok.any():
        res = adjust_pvalues(p[ok], method=adjust, alpha=alpha)
        p_adj[ok], sig[ok] = res.pvalues_adjusted, res.reject
    se = iv.se
    fine = np.isfinite(iv.estimate) & np.isfinite(se)
    flagged = np.zeros(series.steps.size, dtype=bool)
    if fine.all():
        x = np.log1p(series.steps.astype(float))  # checkpoints are often log-spaced early on
        flagged = _outliers(x, iv.estimate, se, threshold, alpha, adjust)
    keep = ~flagged & np.isfinite(iv.estimate)
    tail, tail_se = iv.estimate[keep][-n_last:], se[keep][-n_last:]
    noise = float(tail.std(ddof=1)) if tail.size >= 2 else math.nan
    sampling = float(np.sqrt(np.nanmean(tail_se**2))) if np.isfinite(tail_se).any() else math.nan
    return SeriesCurveResult(
        steps=series.steps.copy(),
        estimate=iv.estimate,
        ci_low=iv.ci_low,
        ci_high=iv.ci_high,
        se=se,
        n=iv.n,
        n_source=iv.n_source,
        method=iv.method,
        confidence_level=level,
        step_pvalues=p,
        step_pvalues_adjusted=p_adj,
        step_significant=sig,
        adjust=adjust,
        alpha=float(alpha),
        noise_sd=noise,
        sampling_se=sampling,
        noise_ratio=noise / sampling if sampling and math.isfinite(sampling) else math.nan,
        n_last=n_last,
        outlier_steps=tuple(int(s) for s in series.steps[flagged]),
    )


def series_fit(
    series: AggregateSeries,
    *,
    model: str = "pow3",
    confidence_level: float = 0.95,
    n_resamples: int = 200,
    rng: Any = None,
) -> CurveFitResult:
    """:func:`assay.curves.fit_curve` on a series' values (steps > 0; step 0 has no log-scale).

    Returns
    -------
    CurveFitResult
        With ``predict``, ``band`` and ``forecast``.
    """
    if not isinstance(series, AggregateSeries):
        raise InputError(f"`series` must be an AggregateSeries; got {type(series).__name__}.")
    use = (series.steps > 0) & np.isfinite(series.value)
    return fit_curve(
        series.steps[use].astype(float),
        series.value[use],
        model=model,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        rng=rng,
    )


def series_signal_to_noise(
    series: Sequence[AggregateSeries],
    *,
    n_last: int = 5,
    noise: str = "pooled",
    confidence_level: float = 0.95,
) -> SignalNoiseResult:
    """:func:`assay.curves.signal_to_noise_from_curves` over several runs' series of one task.

    The runs' values are aligned on the steps all of them have; the last ``n_last`` of those
    give signal and noise.
    """
    series = list(series)
    if len(series) < 2 or not all(isinstance(s, AggregateSeries) for s in series):
        raise InputError("`series` must be at least 2 AggregateSeries (one per run).")
    if len({(s.task, s.metric) for s in series}) > 1:
        raise InputError("`series` must all be of one task and metric.")
    common = sorted(set.intersection(*(set(s.steps.tolist()) for s in series)))
    curves = np.array(
        [[s.value[np.searchsorted(s.steps, st)] for st in common] for s in series], dtype=float
    )
    return signal_to_noise_from_curves(
        curves, n_last=n_last, noise=noise, confidence_level=confidence_level
    )


def series_forgetting(
    series: Sequence[AggregateSeries],
    *,
    trained_at: Sequence[int] | None = None,
    confidence_level: float = 0.95,
) -> ForgettingResult:
    r"""The forgetting matrix of :func:`assay.curves.forgetting` from reported values.

    Parameters
    ----------
    series : sequence of AggregateSeries
        One per task, of one model; the stages are the steps all of them have, in order.
    trained_at : sequence of int, optional
        The stage (index into those steps) at which each task was trained; default task j at
        stage j. For pretraining checkpoints, ``[0] * n_tasks`` gives each task's change from the
        first checkpoint and its drop from its best checkpoint to the last.
    confidence_level : float, default 0.95

    Returns
    -------
    ForgettingResult
        Cells with the intervals of :func:`assay.stats.aggregate_intervals`; transfer with
        unpaired standard errors :math:`\sqrt{se_{S-1,j}^2 + se_{t_j,j}^2}` and a normal
        interval (conservative: the per-item version pairs them on the task's items).
    """
    level = check_confidence_level(confidence_level)
    series = list(series)
    if not series or not all(isinstance(s, AggregateSeries) for s in series):
        raise InputError("`series` must be a non-empty sequence of AggregateSeries.")
    if len({s.model for s in series}) > 1:
        raise InputError("`series` must all be of one model (one per task).")
    common = sorted(set.intersection(*(set(s.steps.tolist()) for s in series)))
    if len(common) < 2:
        raise InputError("the series share fewer than 2 steps; no stages to compare.")
    n_stages, n_tasks = len(common), len(series)
    trained = tuple(range(n_tasks)) if trained_at is None else tuple(int(t) for t in trained_at)
    if len(trained) != n_tasks or any(t < 0 or t >= n_stages for t in trained):
        raise InputError(
            f"`trained_at` must give one stage in 0..{n_stages - 1} per task ({n_tasks}); "
            f"got {trained_at!r}."
        )
    cells = [np.searchsorted(s.steps, common) for s in series]
    ivs = [
        aggregate_intervals(
            s.value[c],
            s.stderr[c],
            n=[None if k < 0 else int(k) for k in s.n[c]],
            confidence_level=level,
        )
        for s, c in zip(series, cells, strict=True)
    ]
    matrix = np.column_stack([iv.estimate for iv in ivs])
    se = np.column_stack([iv.se for iv in ivs])
    z = float(stats.norm.ppf(0.5 + level / 2))
    last = n_stages - 1
    bwt = np.full((3, n_tasks), np.nan)
    forget = np.full(n_tasks, np.nan)
    ses = []
    for j, tj in enumerate(trained):
        if tj < last:
            d = matrix[last, j] - matrix[tj, j]
            s_d = math.sqrt(se[last, j] ** 2 + se[tj, j] ** 2)
            bwt[:, j] = (d, d - z * s_d, d + z * s_d)
            ses.append(s_d)
            forget[j] = float(matrix[tj:last, j].max() - matrix[last, j])
    used = ~np.isnan(bwt[0])
    b_est = float(bwt[0, used].mean()) if used.any() else math.nan
    b_se = math.sqrt(sum(x * x for x in ses)) / int(used.sum()) if used.any() else math.nan
    return ForgettingResult(
        matrix=matrix,
        ci_low=np.column_stack([iv.ci_low for iv in ivs]),
        ci_high=np.column_stack([iv.ci_high for iv in ivs]),
        trained_at=trained,
        backward_transfer=b_est,
        bwt_ci_low=b_est - z * b_se,
        bwt_ci_high=b_est + z * b_se,
        bwt_se=b_se,
        task_bwt=bwt[0],
        task_bwt_ci_low=bwt[1],
        task_bwt_ci_high=bwt[2],
        task_forgetting=forget,
        average_forgetting=float(np.nanmean(forget)) if used.any() else math.nan,
        forward_transfer=math.nan,
        final_average=float(matrix[last].mean()),
        n_items=tuple(int(iv.n.max()) for iv in ivs),
        confidence_level=level,
        method="reported values; cells as aggregate_intervals; transfer unpaired (normal)",
    )
