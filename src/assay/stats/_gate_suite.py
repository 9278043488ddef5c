"""Ship or block, a whole suite: one verdict over every task, with "better" claims Holm-adjusted.

:func:`suite_gate` passes only when the candidate is non-inferior on every task (an
intersection-union test: each task at alpha, no adjustment), and tests any "better" claims as one
family with Holm's adjustment.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import InputError, Result, score_scale
from assay._core._validation import check_choice, check_probability
from assay.stats._gate import GATE_METHODS, _as_2d, _margin_iv, noninferiority
from assay.stats._multiple import adjust_pvalues

__all__ = ["AverageClaim", "GateTask", "SuiteGateResult", "TaskVerdict", "suite_gate"]

CLAIMS = ("any", "average")


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
# Compute
# --------------------------------------------------------------------------------------------


def _points_scale(task: GateTask) -> tuple[float, str]:
    """Scores in [0, 1] are reported in percentage points (x 100); others in their own units."""
    vals = np.concatenate(
        [np.ravel(np.asarray(task.baseline, float)), np.ravel(np.asarray(task.candidate, float))]
    )
    scale = score_scale(vals)  # the one "[0, 1] means points" rule (assay._core)
    if scale.bounded:
        return scale.factor, scale.unit
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
