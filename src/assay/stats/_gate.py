"""Ship or block: non-inferiority of a candidate against a baseline, on one task or a whole suite.

One task: :func:`noninferiority` tests H0: candidate - baseline <= -margin on paired items, with a
test that holds its level for the kind of score (exact for small binary samples), and with
run-to-run variation in the uncertainty when a model was evaluated several times. A suite:
:func:`suite_gate` passes only when every task passes (an intersection-union test), and tests any
"better" claims as one family with Holm's adjustment.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_probability,
)
from assay.stats._gate_binary import (
    EXACT_MAX_N,
    exact_lower_bound,
    exact_pvalue,
    tango_lower_bound,
    tango_pvalue,
)
from assay.stats._multiple import adjust_pvalues

__all__ = [
    "AverageClaim",
    "GateTask",
    "NoninferiorityResult",
    "PairedDifferenceResult",
    "SuiteGateResult",
    "TaskVerdict",
    "noninferiority",
    "paired_difference",
    "suite_gate",
]

GATE_METHODS = ("auto", "exact", "score", "t", "random-effects")
CLAIMS = ("any", "average")
DIRECTIONS = ("higher", "lower")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoninferiorityResult(Result):
    """Is B non-inferior to A by ``margin``? One task, paired items.

    Differences are oriented so that positive means B is better (for ``direction='lower'`` the
    scores are negated first). All values are on the score scale.

    Attributes
    ----------
    estimate : float
        Mean difference B - A (better direction positive).
    bound : float
        One-sided ``1 - alpha`` lower confidence bound of the difference, from the same test.
    margin : float
        H0: difference <= -margin.
    pvalue : float
        p-value of that H0; ``passed`` is ``pvalue < alpha`` (equivalently ``bound > -margin``).
    superiority_pvalue : float
        The same test of H0: difference <= 0 (B not better), for "better" claims.
    alpha : float
    passed : bool
    se, df : float
        Standard error of the estimate and the degrees of freedom of its t reference (NaN for
        the exact and score tests, whose ``se`` is the Wald one, kept for averaging).
    n : int
        Items compared; ``n_omitted`` items lacked a score.
    n_runs_a, n_runs_b : int
        Runs (seeds, reruns) of each model; 1 when there is one.
    run_sd_a, run_sd_b : float or None
        Estimated run-to-run standard deviation of each model's mean score (None when a model
        has a single run, so it cannot be estimated).
    mean_a, mean_b : float
    binary : bool
    method : str
        ``"exact-unconditional-tango"``, ``"tango-score"``, ``"paired-t"`` or
        ``"random-effects-t"``.
    direction : str
    """

    estimate: float
    bound: float
    margin: float
    pvalue: float
    superiority_pvalue: float
    alpha: float
    passed: bool
    se: float
    df: float
    n: int
    n_omitted: int
    n_runs_a: int
    n_runs_b: int
    run_sd_a: float | None
    run_sd_b: float | None
    mean_a: float
    mean_b: float
    binary: bool
    method: str
    direction: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairedDifferenceResult(Result):
    """The paired mean difference B - A with run-to-run variation in its uncertainty.

    Attributes
    ----------
    estimate, ci_low, ci_high, se, df : float
        Mean difference, its two-sided t interval at ``confidence_level``, standard error and
        (Satterthwaite) degrees of freedom.
    confidence_level : float
    n, n_omitted : int
    n_runs_a, n_runs_b : int
    run_sd_a, run_sd_b : float or None
        Run-to-run standard deviation of each model's mean score (None with one run).
    mean_a, mean_b : float
    method : str
        ``"random-effects-t"`` when a model has several runs, else ``"paired-t"``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    df: float
    confidence_level: float
    n: int
    n_omitted: int
    n_runs_a: int
    n_runs_b: int
    run_sd_a: float | None
    run_sd_b: float | None
    mean_a: float
    mean_b: float
    method: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class GateTask:
    """One (task, metric) of a suite: the paired scores of baseline A and candidate B.

    Parameters
    ----------
    task, metric : str
    baseline, candidate : array_like of shape (n_items,) or (n_items, k)
        Scores on the same items (row ``i`` is the same item in both). With ``runs=False`` the
        ``k`` columns are samples of one run, averaged per item; with ``runs=True`` they are
        separate runs (seeds, reruns) and run-to-run variation enters the uncertainty.
    margin : float, optional
        Non-inferiority margin in points (percentage points for scores in [0, 1], the metric's
        own units otherwise); the suite's default when None.
    direction : {'higher', 'lower'}
        Whether higher or lower scores are better.
    weight : float
        Weight in the "better on the average" claim.
    runs : bool
    """

    task: str
    metric: str = ""
    baseline: Any
    candidate: Any
    margin: float | None = None
    direction: str = "higher"
    weight: float = 1.0
    runs: bool = False

    @property
    def name(self) -> str:
        return f"{self.task}/{self.metric}" if self.metric else self.task


@dataclasses.dataclass(frozen=True, kw_only=True)
class TaskVerdict(Result):
    """One task's line of a suite verdict, in points (see :class:`GateTask`).

    ``verdict`` is ``"pass"`` or ``"block"`` (the same as ``passed``); ``better`` is set only when
    the "any" claim was tested.
    """

    task: str
    metric: str
    verdict: str
    passed: bool
    n: int
    estimate: float
    bound: float
    margin: float
    units: str
    pvalue: float
    superiority_pvalue: float
    mean_baseline: float
    mean_candidate: float
    direction: str
    weight: float
    method: str
    n_omitted: int
    n_runs_baseline: int
    n_runs_candidate: int
    run_sd_baseline: float | None
    run_sd_candidate: float | None
    better: bool | None = None

    @property
    def name(self) -> str:
        return f"{self.task}/{self.metric}" if self.metric else self.task


@dataclasses.dataclass(frozen=True, kw_only=True)
class AverageClaim(Result):
    """Is B better on the weighted average of the tasks' differences (in points)?"""

    estimate: float
    se: float
    pvalue: float
    pvalue_adjusted: float
    shown: bool
    method: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SuiteGateResult(Result):
    """The gate's verdict over a suite of tasks.

    Attributes
    ----------
    passed : bool
        True when the candidate is shown non-inferior on every task (intersection-union test at
        ``alpha``: no adjustment is needed, see :func:`suite_gate`).
    blocked : tuple of str
        The tasks (``task/metric``) where non-inferiority was not shown.
    tasks : tuple of TaskVerdict
    alpha : float
    better_on : tuple of str or None
        With claim ``'any'``: the tasks where B is shown better, Holm-adjusted with the other
        "better" claims (family-wise error at most ``alpha``).
    average : AverageClaim or None
        With claim ``'average'``.
    method : str
    """

    passed: bool
    blocked: tuple
    tasks: tuple
    alpha: float
    better_on: tuple | None
    average: AverageClaim | None
    method: str

    def summary(self, baseline: str = "baseline", candidate: str = "candidate") -> str:
        """One sentence: pass or block, and which tasks blocked."""
        k = len(self.tasks)
        if self.passed:
            text = f"PASS: {candidate} is non-inferior to {baseline} on all {k} task(s)"
        else:
            names = ", ".join(self.blocked)
            text = (
                f"BLOCK: {candidate} is not shown non-inferior to {baseline} on "
                f"{len(self.blocked)} of {k} task(s): {names}"
            )
        text += f" (each at one-sided level {self.alpha:g})."
        if self.better_on:
            text += f" Better on: {', '.join(self.better_on)}."
        if self.average is not None and self.average.shown:
            text += f" Better on the weighted average by {self.average.estimate:.2f}."
        return text


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Pair:
    a: np.ndarray  # (n_items, k_a), oriented so that higher is better
    b: np.ndarray
    n_omitted: int
    binary: bool


def _as_2d(x: Any, name: str) -> np.ndarray:
    arr = check_array(x, name, ndim=(1, 2), allow_nan=True)
    return arr[:, None] if arr.ndim == 1 else arr


def _pair_iv(a, b, direction, runs, missing) -> _Pair:
    direction = check_choice(direction, "direction", DIRECTIONS)
    missing = check_choice(missing, "missing", ("raise", "omit"))
    a2, b2 = _as_2d(a, "a"), _as_2d(b, "b")
    if a2.shape[0] != b2.shape[0]:
        raise InputError(
            f"`a` has {a2.shape[0]} items and `b` has {b2.shape[0]}; row i must be the same item "
            "in both."
        )
    # with runs every run must score the item; with samples one score per model is enough
    bad = (
        np.isnan(a2).any(1) | np.isnan(b2).any(1)
        if runs
        else (np.isnan(a2).all(1) | np.isnan(b2).all(1))
    )
    if bad.any() and missing == "raise":
        raise InputError(
            f"{int(bad.sum())} item(s) lack a score of `a` or `b` (first at row "
            f"{int(np.flatnonzero(bad)[0])}); pass missing='omit' to compare the items both have."
        )
    a2, b2 = a2[~bad], b2[~bad]
    if a2.shape[0] < 2:
        raise InputError(f"`a` and `b` must share at least 2 scored items; got {a2.shape[0]}.")
    finite = np.concatenate([a2[np.isfinite(a2)], b2[np.isfinite(b2)]])
    binary = bool(np.all((finite == 0) | (finite == 1)))
    if direction == "lower":
        a2, b2 = (1.0 - a2, 1.0 - b2) if binary else (-a2, -b2)
    return _Pair(a2, b2, int(bad.sum()), binary)


def _margin_iv(margin: Any, name: str = "margin") -> float:
    if (
        isinstance(margin, bool)
        or not isinstance(margin, numbers.Real)
        or not math.isfinite(margin)
        or margin < 0
    ):
        raise InputError(f"`{name}` must be a non-negative number; got {margin!r}.")
    return float(margin)


# --------------------------------------------------------------------------------------------
# Compute stages (trusted input)
# --------------------------------------------------------------------------------------------


def _run_variance(x: np.ndarray) -> float:
    """Variance of one run's mean score across runs (two-way ANOVA without replication).

    ``x`` is (n_items, n_runs). With MS_runs = n var(run means) and MS_res the item x run
    residual mean square, :math:`\\hat\\sigma^2_{run} = \\max(0, (MS_{runs} - MS_{res}) / n)`.
    """
    n, r = x.shape
    run_means = x.mean(axis=0)
    resid = x - x.mean(axis=1, keepdims=True) - run_means[None, :] + x.mean()
    ms_res = float(np.sum(resid**2) / ((n - 1) * (r - 1)))
    ms_runs = float(n * run_means.var(ddof=1))
    return max(0.0, (ms_runs - ms_res) / n)


def paired_difference(
    a: Any,
    b: Any,
    *,
    runs: bool = False,
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> PairedDifferenceResult:
    """The paired mean difference B - A with a standard error that counts run-to-run variation.

    This is the estimate that :func:`noninferiority` tests when a model was evaluated several
    times; ``compare`` can call it for the same purpose.

    Parameters
    ----------
    a, b : array_like of shape (n_items,) or (n_items, n_runs)
        Row ``i`` is the same item in both; columns are runs (``runs=True``) or samples.
    runs : bool, default False
        Treat the columns as runs: a random run effect per model, crossed with items.
    confidence_level : float, default 0.95
    missing : {'raise', 'omit'}

    Returns
    -------
    PairedDifferenceResult

    Notes
    -----
    Model: :math:`y_{mri} = \\mu_m + u_{mr} + v_{mi} + e_{mri}` with run effects
    :math:`u_{mr} \\sim (0, \\sigma^2_m)`. With :math:`d_i` the difference of the run-averaged
    item scores, :math:`\\widehat{Var}(\\bar d) = s^2_d / n + \\hat\\sigma^2_A / R_A +
    \\hat\\sigma^2_B / R_B`: the first term is the paired item variance (which already holds the
    residual), the others the run effects that items cannot average away. Degrees of freedom by
    Satterthwaite, with ``n - 1`` and ``R_m - 1`` for the components. A model with one run has
    no estimable run variance (taken as 0 and reported as None).

    References
    ----------
    Satterthwaite (1946), Biometrics Bulletin 2:110-114. Searle, Casella & McCulloch (1992),
    Variance Components, ch. 4 (two-way crossed random effects).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((200, 3)) < 0.5
    >>> b = rng.random((200, 3)) < 0.5
    >>> out = paired_difference(a, b, runs=True)
    >>> out.n, out.n_runs_a, out.method
    (200, 3, 'random-effects-t')
    """
    confidence_level = check_confidence_level(confidence_level)
    p = _pair_iv(a, b, "higher", bool(runs), missing)
    d = _difference(p, bool(runs))
    half = float(sps.t.ppf(0.5 + confidence_level / 2.0, d["df"]) * d["se"])
    return PairedDifferenceResult(
        ci_low=d["estimate"] - half, ci_high=d["estimate"] + half,
        confidence_level=confidence_level, **d,
    )  # fmt: skip


def _difference(p: _Pair, runs: bool) -> dict:
    a_mean = np.nanmean(p.a, axis=1)
    b_mean = np.nanmean(p.b, axis=1)
    d = b_mean - a_mean
    n = d.size
    v_items = float(d.var(ddof=1) / n)
    comps, dfs = [v_items], [n - 1]
    sds = []
    for x in (p.a, p.b):
        if runs and x.shape[1] > 1:
            v = _run_variance(x)
            comps.append(v / x.shape[1])
            dfs.append(x.shape[1] - 1)
            sds.append(math.sqrt(v))
        else:
            sds.append(None)
    var = float(sum(comps))
    denom = sum(c * c / f for c, f in zip(comps, dfs))
    df = var * var / denom if denom > 0 else float(n - 1)
    multi = runs and (p.a.shape[1] > 1 or p.b.shape[1] > 1)
    return {
        "estimate": float(d.mean()),
        "se": math.sqrt(var),
        "df": float(df),
        "n": n,
        "n_omitted": p.n_omitted,
        "n_runs_a": p.a.shape[1] if runs else 1,
        "n_runs_b": p.b.shape[1] if runs else 1,
        "run_sd_a": sds[0],
        "run_sd_b": sds[1],
        "method": "random-effects-t" if multi else "paired-t",
        "mean_a": float(a_mean.mean()),
        "mean_b": float(b_mean.mean()),
    }


def _t_test(est: float, se: float, df: float, margin: float, alpha: float):
    if se > 0:
        p = float(sps.t.sf((est + margin) / se, df))
        p0 = float(sps.t.sf(est / se, df))
        bound = est - float(sps.t.ppf(1.0 - alpha, df)) * se
        return p, p0, bound
    warnings.warn(
        "the paired differences have no spread: the t bound has zero width; with few items "
        "this is not certainty.",
        DegenerateDataWarning,
        stacklevel=4,
    )
    return (0.0 if est > -margin else 1.0), (0.0 if est > 0 else 1.0), est


def _binary_test(p: _Pair, margin: float, alpha: float, method: str):
    a, b = p.a[:, 0], p.b[:, 0]
    x = int(np.sum((b == 1) & (a == 0)))
    y = int(np.sum((b == 0) & (a == 1)))
    n = a.size
    if method == "exact":
        return (
            exact_pvalue(x, y, n, -margin),
            exact_pvalue(x, y, n, 0.0),
            exact_lower_bound(x, y, n, alpha),
        )
    return (
        tango_pvalue(x, y, n, -margin),
        tango_pvalue(x, y, n, 0.0),
        tango_lower_bound(x, y, n, alpha),
    )


_METHOD_NAMES = {
    "exact": "exact-unconditional-tango",
    "score": "tango-score",
    "t": "paired-t",
    "random-effects": "random-effects-t",
}


def _pick_method(p: _Pair, runs: bool, method: str) -> str:
    single = p.a.shape[1] == 1 and p.b.shape[1] == 1
    if method == "auto":
        if runs and not single:
            return "random-effects"
        if p.binary and single:
            return "exact" if p.a.shape[0] <= EXACT_MAX_N else "score"
        return "t"
    if method in ("exact", "score") and not (p.binary and single):
        raise InputError(
            f"`method` {method!r} needs binary scores with one score per item and model; use "
            "'t' or 'auto'."
        )
    if method == "random-effects" and not runs:
        raise InputError("`method` 'random-effects' needs runs=True (columns are runs).")
    return method


def _compute(p: _Pair, margin, alpha, runs, method, direction) -> NoninferiorityResult:
    diff = _difference(p, runs)
    if method in ("exact", "score"):
        pval, p0, bound = _binary_test(p, margin, alpha, method)
        df = math.nan
    else:
        pval, p0, bound = _t_test(diff["estimate"], diff["se"], diff["df"], margin, alpha)
        df = diff["df"]
    if method in ("exact", "score"):
        bound = min(bound, diff["estimate"])
    return NoninferiorityResult(
        estimate=diff["estimate"], bound=float(bound), margin=margin, pvalue=float(pval),
        superiority_pvalue=float(p0), alpha=alpha, passed=bool(pval < alpha), se=diff["se"],
        df=df, n=diff["n"], n_omitted=diff["n_omitted"], n_runs_a=diff["n_runs_a"],
        n_runs_b=diff["n_runs_b"], run_sd_a=diff["run_sd_a"], run_sd_b=diff["run_sd_b"],
        mean_a=diff["mean_a"], mean_b=diff["mean_b"], binary=p.binary,
        method=_METHOD_NAMES[method], direction=direction,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def noninferiority(
    a: Any,
    b: Any,
    *,
    margin: float,
    alpha: float = 0.05,
    direction: str = "higher",
    runs: bool = False,
    method: str = "auto",
    missing: str = "raise",
) -> NoninferiorityResult:
    """Test whether B is non-inferior to A: H0 ``B - A <= -margin`` against H1 ``B - A > -margin``.

    Parameters
    ----------
    a, b : array_like of shape (n_items,) or (n_items, k)
        Baseline and candidate scores on the same items. The ``k`` columns are samples of one run
        (averaged per item) or, with ``runs=True``, separate runs (seeds, reruns).
    margin : float
        Non-negative margin on the score scale (0.005 is half a point of accuracy). A margin of
        0 tests whether B is better.
    alpha : float, default 0.05
        One-sided level.
    direction : {'higher', 'lower'}, default 'higher'
        Whether higher scores are better; with 'lower' the difference is A - B.
    runs : bool, default False
        Columns are runs: run-to-run variation enters the uncertainty (:func:`paired_difference`).
    method : {'auto', 'exact', 'score', 't', 'random-effects'}, default 'auto'
        'auto' picks the exact unconditional test for binary scores on at most
        ``EXACT_MAX_N`` (100) items, Tango's score test for more, the paired t for other
        scores and the random-effects t when a model has several runs.
    missing : {'raise', 'omit'}, default 'raise'

    Returns
    -------
    NoninferiorityResult

    Notes
    -----
    For paired binary scores with ``x`` items only B got right and ``y`` only A got right,
    Tango's statistic is :math:`T = (x - y + n\\delta)/\\sqrt{n(2\\tilde p_y - \\delta(1+\\delta))}`
    with :math:`\\tilde p_y` the MLE of :math:`p_y` under :math:`p_x - p_y = -\\delta`. The
    exact unconditional p-value is the largest, over the nuisance :math:`p_y` on the null
    boundary, probability of a statistic at least the observed one, so the test never rejects
    more often than ``alpha`` (the paired t does: 6.6% at n = 20 in issue 24's measurement). The
    lower bound inverts the same test, so ``passed`` is ``bound > -margin``.

    References
    ----------
    Tango (1998), Statistics in Medicine 17:891-908. Chan, Tang, Tang & Tang (2003), Biometrical
    Journal 45:1022-1032 (exact unconditional non-inferiority for matched pairs).

    Examples
    --------
    >>> a = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1] * 3
    >>> b = [1, 1, 1, 1, 0, 1, 1, 0, 1, 1] * 3
    >>> res = noninferiority(a, b, margin=0.05)
    >>> res.method, res.passed
    ('exact-unconditional-tango', True)
    """
    margin = _margin_iv(margin)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    method = check_choice(method, "method", GATE_METHODS)
    runs = bool(runs)
    p = _pair_iv(a, b, direction, runs, missing)
    chosen = _pick_method(p, runs, method)
    return _compute(p, margin, alpha, runs, chosen, direction)


def _points_scale(task: GateTask) -> tuple[float, str]:
    """Scores in [0, 1] are reported in percentage points (x 100); others in their own units."""
    vals = np.concatenate(
        [np.ravel(np.asarray(task.baseline, float)), np.ravel(np.asarray(task.candidate, float))]
    )
    vals = vals[np.isfinite(vals)]
    if vals.size and vals.min() >= 0 and vals.max() <= 1:
        return 100.0, "points"
    return 1.0, task.metric or "units"


def _task_iv(tasks: Any) -> list[GateTask]:
    if isinstance(tasks, GateTask):
        tasks = [tasks]
    if not isinstance(tasks, Sequence) or not tasks:
        raise InputError("`tasks` must be a non-empty sequence of GateTask; got none.")
    seen: set[str] = set()
    for k, t in enumerate(tasks):
        if not isinstance(t, GateTask):
            raise InputError(f"`tasks[{k}]` must be a GateTask; got {type(t).__name__}.")
        if t.name in seen:
            raise InputError(f"`tasks` lists {t.name!r} twice.")
        seen.add(t.name)
        if t.margin is not None:
            _margin_iv(t.margin, f"tasks[{k}].margin")
        if not (isinstance(t.weight, numbers.Real) and t.weight > 0 and math.isfinite(t.weight)):
            raise InputError(f"`tasks[{k}].weight` must be a positive number; got {t.weight!r}.")
    return list(tasks)


def _claims_iv(claims: Any) -> tuple[str, ...]:
    if isinstance(claims, str):
        claims = (claims,)
    out = tuple(claims or ())
    for c in out:
        check_choice(c, "claims", CLAIMS)
    return out


def _too_few(t: GateTask, m: float, units: str, runs: bool) -> TaskVerdict | None:
    """A blocked verdict for a task whose models share fewer than 2 scored items (no test)."""
    a, b = _as_2d(t.baseline, "baseline"), _as_2d(t.candidate, "candidate")
    if a.shape[0] != b.shape[0]:
        return None  # noninferiority's own error names the mismatch
    scored = (
        ~(np.isnan(a).any(1) | np.isnan(b).any(1))
        if runs
        else ~(np.isnan(a).all(1) | np.isnan(b).all(1))
    )
    k = int(scored.sum())
    if k >= 2:
        return None
    nan = math.nan
    return TaskVerdict(
        task=t.task, metric=t.metric, verdict="block", passed=False, n=k, estimate=nan, bound=nan, margin=m,
        units=units, pvalue=nan, superiority_pvalue=nan, mean_baseline=nan, mean_candidate=nan,
        direction=t.direction, weight=float(t.weight),
        method=f"too few items: the models share {k} scored item(s); no test is possible",
        n_omitted=int(a.shape[0] - k), n_runs_baseline=a.shape[1] if runs else 1,
        n_runs_candidate=b.shape[1] if runs else 1, run_sd_baseline=None, run_sd_candidate=None,
    )  # fmt: skip


def _one_task(t: GateTask, margin: float, alpha: float, method: str, missing: str):
    scale, units = _points_scale(t)
    m = margin if t.margin is None else float(t.margin)
    few = _too_few(t, m, units, t.runs)
    if few is not None:
        return few, math.nan
    res = noninferiority(
        t.baseline, t.candidate, margin=m / scale, alpha=alpha, direction=t.direction,
        runs=t.runs, method=method, missing=missing,
    )  # fmt: skip
    mean_a, mean_b = res.mean_a, res.mean_b
    if t.direction == "lower":  # report the means on the original scale
        mean_a, mean_b = (1 - mean_a, 1 - mean_b) if res.binary else (-mean_a, -mean_b)
    verdict = TaskVerdict(
        task=t.task, metric=t.metric, verdict="pass" if res.passed else "block",
        passed=res.passed, n=res.n, estimate=res.estimate * scale,
        bound=res.bound * scale, margin=m, units=units, pvalue=res.pvalue,
        superiority_pvalue=res.superiority_pvalue, mean_baseline=mean_a * scale,
        mean_candidate=mean_b * scale, direction=t.direction, weight=float(t.weight),
        method=res.method, n_omitted=res.n_omitted, n_runs_baseline=res.n_runs_a,
        n_runs_candidate=res.n_runs_b,
        run_sd_baseline=None if res.run_sd_a is None else res.run_sd_a * scale,
        run_sd_candidate=None if res.run_sd_b is None else res.run_sd_b * scale,
    )  # fmt: skip
    return verdict, res.se * scale


def _average(verdicts, ses) -> tuple[float, float, float]:
    w = np.array([v.weight for v in verdicts])
    est = np.array([v.estimate for v in verdicts])
    se = np.array(ses)
    avg = float(w @ est / w.sum())
    avg_se = float(math.sqrt(np.sum((w * se) ** 2)) / w.sum())
    p = float(sps.norm.sf(avg / avg_se)) if avg_se > 0 else (0.0 if avg > 0 else 1.0)
    return avg, avg_se, p


def suite_gate(
    tasks: Sequence[GateTask],
    *,
    margin: float = 0.5,
    alpha: float = 0.05,
    claims: Sequence[str] = (),
    method: str = "auto",
    missing: str = "omit",
) -> SuiteGateResult:
    """One verdict over a suite: is the candidate non-inferior on every task?

    Parameters
    ----------
    tasks : sequence of GateTask
        The (task, metric) pairs to decide over, each with its paired scores, margin, direction,
        weight and whether its columns are runs.
    margin : float, default 0.5
        Default margin in points (percentage points for scores in [0, 1]) for tasks without one.
    alpha : float, default 0.05
        Level of the gate and of the family of "better" claims.
    claims : sequence of {'any', 'average'}, default ()
        "Better" claims to test besides the gate: ``'any'`` names the tasks where the candidate
        is better; ``'average'`` tests the weighted mean of the tasks' differences (all tasks
        must share their units). All claims form one family, Holm-adjusted.
    method : str, default 'auto'
        Per-task test (:func:`noninferiority`).
    missing : {'raise', 'omit'}, default 'omit'
        Items without a score for both models are left out; each task's ``n_omitted`` counts
        them.

    Returns
    -------
    SuiteGateResult

    Notes
    -----
    The gate's null hypothesis is that the candidate is worse than the margin on *at least one*
    task; it is rejected (the gate passes) only when every task's own test rejects. This is an
    intersection-union test (Berger 1982): its type I error is at most ``alpha`` without any
    adjustment, because a false pass needs a false rejection on a task where the candidate
    really is worse, and that happens with probability at most ``alpha``. Adjusting (Bonferroni)
    would only make the gate block more often. A "better" claim is the opposite kind (a union
    of alternatives), so those claims are Holm-adjusted together, which keeps the family-wise
    error of all "better" statements at most ``alpha``. The average claim's standard error
    treats the tasks' item sets as independent.

    References
    ----------
    Berger (1982), Technometrics 24:295-300. Holm (1979), Scand. J. Statist. 6:65-70.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> a = (rng.random((2, 500)) < 0.6).astype(float)
    >>> tasks = [GateTask(task=f"t{k}", baseline=a[k], candidate=a[k]) for k in range(2)]
    >>> res = suite_gate(tasks, margin=5.0)
    >>> res.passed, res.blocked
    (True, ())
    """
    tasks = _task_iv(tasks)
    margin = _margin_iv(margin)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    claims = _claims_iv(claims)
    method = check_choice(method, "method", GATE_METHODS)
    pairs = [_one_task(t, margin, alpha, method, missing) for t in tasks]
    verdicts = [v for v, _ in pairs]
    ses = [s for _, s in pairs]
    better_on, average = None, None
    if claims:
        family = (
            [1.0 if math.isnan(v.superiority_pvalue) else v.superiority_pvalue for v in verdicts]
            if "any" in claims
            else []
        )
        if "average" in claims:
            units = {v.units for v in verdicts}
            if len(units) > 1:
                raise InputError(
                    "the 'average' claim needs every task in the same units; got "
                    f"{', '.join(sorted(units))}."
                )
            avg, avg_se, avg_p = _average(verdicts, ses)
            family.append(avg_p)
        adj = adjust_pvalues(np.asarray(family), method="holm", alpha=alpha)
        if "any" in claims:
            flags = adj.reject[: len(verdicts)]
            verdicts = [dataclasses.replace(v, better=bool(f)) for v, f in zip(verdicts, flags)]
            better_on = tuple(v.name for v in verdicts if v.better)
        if "average" in claims:
            average = AverageClaim(
                estimate=avg, se=avg_se, pvalue=avg_p,
                pvalue_adjusted=float(adj.pvalues_adjusted[-1]), shown=bool(adj.reject[-1]),
                method="weighted mean of task differences, one-sided z, Holm with the other claims",
            )  # fmt: skip
    blocked = tuple(v.name for v in verdicts if not v.passed)
    return SuiteGateResult(
        passed=not blocked, blocked=blocked, tasks=tuple(verdicts), alpha=alpha,
        better_on=better_on, average=average,
        method="intersection-union test: every task's one-sided non-inferiority test at alpha",
    )  # fmt: skip
