"""Training curves, continued (issue 16): time to a target and the forgetting matrix.

Both read what the curves section already computed or the one matrix of each task
(:meth:`ReportContext.matrix`); nothing here re-aligns items across tasks by other rules.

- Time to target: per run, the first checkpoint whose score reaches the target
  (:func:`assay.curves.time_to_target`, AlgoPerf's rule), bracketed by the first checkpoint whose
  interval's upper end reaches it and the first whose lower end does. The target is
  ``ReportOptions.curve_target`` when stated, else the final checkpoint's lower interval bound
  (when the run reached its final level, within its precision).
- Forgetting: per run scored on at least two tasks at the same checkpoints, the matrix of scores
  (checkpoints x tasks) with each task's change from the first checkpoint to the last (paired on
  the task's items, or unpaired from harness summaries) and its drop from its best checkpoint
  (:func:`assay.curves.forgetting` / :func:`assay.curves.series_forgetting` with every task
  "trained" from the first checkpoint, as those functions document for pretraining runs).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from assay._core import AssayError, DegenerateDataWarning
from assay.curves import forgetting, group_series, series_forgetting, time_to_target
from assay.report._context import ReportContext

__all__ = ["forgetting_blocks", "time_to_target_rows"]

MAX_FORGETTING_TASKS = 12


def _first(steps: list[float], values: list[float], target: float) -> float | None:
    t = time_to_target(steps, [math.nan if v is None else v for v in values], target)
    return None if math.isinf(t) else t


def time_to_target_rows(blocks: list[dict], target: float | None) -> list[dict]:
    """One row per run of every task block: steps to reach the target, with its bracket."""
    rows = []
    for block in blocks:
        for run in block["runs"]:
            p = sorted(run["points"], key=lambda r: r["step"])
            if len(p) < 2:
                continue
            steps = [r["step"] for r in p]
            final = p[-1]
            stated = target is not None
            goal = float(target) if stated else final["ci_low"]
            if goal is None or not math.isfinite(goal):
                continue
            rows.append({
                "task": block["task"], "metric": block["metric"], "run": run["run"],
                "target": goal, "stated": stated,
                "step": _first(steps, [r["estimate"] for r in p], goal),
                "step_low": _first(steps, [r["ci_high"] for r in p], goal),
                "step_high": _first(steps, [r["ci_low"] for r in p], goal),
                "final_step": final["step"], "final_estimate": final["estimate"],
                "final_ci_low": final["ci_low"], "final_ci_high": final["ci_high"],
                "n_checkpoints": len(p),
            })  # fmt: skip
            rows[-1]["at_start"] = rows[-1]["step"] == steps[0]
    return rows


def target_sentence(row: dict) -> str:
    what = (
        f"{row['target']:.3g}"
        if row["stated"]
        else f"its final level ({row['target']:.3g}, the last checkpoint's lower bound)"
    )
    head = f"{row['task']} ({row['metric']}), {row['run']}"
    if row["step"] is None:
        return (
            f"{head}: did not reach {what} by step {row['final_step']:g} (measured "
            f"{row['final_estimate']:.3g} there)."
        )
    if row.get("at_start"):
        return f"{head}: already at {what} at its first checkpoint (step {row['step']:g})" + (
            "; no measurable gain by the end." if not row["stated"] else "."
        )
    hi = "not by the last checkpoint" if row["step_high"] is None else f"{row['step_high']:g}"
    return (
        f"{head}: reached {what} at step {row['step']:g} (first checkpoint whose interval reaches "
        f"it: {row['step_low']:g}; whose whole interval does: {hi})."
    )


def _clip(x, lo: float, hi: float):
    return np.clip(np.asarray(x, float), lo, hi)


def _result_block(res, tasks: list[str], stages: list[float], bounds: tuple, source: str) -> dict:
    lo, hi = bounds
    width = hi - lo
    rows = []
    for j, task in enumerate(tasks):
        col = res.matrix[:, j]
        best = int(np.argmax(col[:-1])) if len(col) > 1 else 0
        rows.append({
            "task": task, "first": float(col[0]), "final": float(col[-1]),
            "best": float(col[best]), "best_step": stages[best],
            "change": float(res.task_bwt[j]),
            "change_ci_low": float(np.clip(res.task_bwt_ci_low[j], -width, width)),
            "change_ci_high": float(np.clip(res.task_bwt_ci_high[j], -width, width)),
            "drop_from_best": float(res.task_forgetting[j]), "n": int(res.n_items[j]),
        })  # fmt: skip
    return {
        "steps": stages,
        "tasks": tasks,
        "matrix": res.matrix.tolist(),
        "ci_low": _clip(res.ci_low, lo, hi).tolist(),
        "ci_high": _clip(res.ci_high, lo, hi).tolist(),
        "rows": rows,
        "mean_change": res.backward_transfer,
        "mean_change_ci_low": float(np.clip(res.bwt_ci_low, -width, width)),
        "mean_change_ci_high": float(np.clip(res.bwt_ci_high, -width, width)),
        "average_drop_from_best": res.average_forgetting,
        "confidence_level": res.confidence_level,
        "method": res.method,
        "source": source,
    }


def _per_item(ctx: ReportContext, steps_of: dict[str, int]) -> list[dict]:
    """Runs with per-item scores on two or more tasks at the same checkpoints."""
    runs = group_series(list(steps_of), list(steps_of.values()))
    tasks: dict[str, str] = {}
    for task, metric in ctx.task_metrics:  # one metric per task: the first, as the curves list
        tasks.setdefault(task, metric)
    out = []
    for name, points in runs.items():
        models = [m for _, m in points]
        if len(models) < 2:
            continue
        cols, names, bounds = [], [], (0.0, 1.0)
        for task, metric in tasks.items():
            m = ctx.matrix(task, metric)
            if not set(models) <= set(m.models):
                continue
            x = m.subset(models=models).item_scores()
            x = x[:, np.all(np.isfinite(x), axis=0)]  # items every checkpoint answered
            if x.shape[1] < 2:
                continue
            cols.append(x)
            names.append(task)
            sc = m.scale
            if sc.bounded:
                bounds = (min(bounds[0], sc.lower), max(bounds[1], sc.upper))
            else:
                bounds = (-math.inf, math.inf)
        if len(cols) < 2:
            continue
        cols, names = cols[:MAX_FORGETTING_TASKS], names[:MAX_FORGETTING_TASKS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DegenerateDataWarning, RuntimeWarning))
            try:
                res = forgetting(cols, trained_at=[0] * len(cols),
                                 confidence_level=ctx.options.confidence_level)  # fmt: skip
            except AssayError:
                continue
        block = _result_block(res, names, [float(s) for s, _ in points], bounds, "per item")
        out.append({"run": name, **block})
    return out


def _summarised(ctx: ReportContext, series_blocks: list[dict]) -> list[dict]:
    """Runs from harness summaries: the tasks the curves section shows, one metric each."""
    from assay.curves import aggregate_series

    agg = ctx.aggregate_only
    if agg is None or not series_blocks:
        return []
    shown = {(b["task"], b["metric"]) for b in series_blocks}
    by_model: dict[str, dict[str, object]] = {}
    for s in aggregate_series(agg.to_pydict(), min_points=2):
        if (s.task, s.metric) in shown:
            by_model.setdefault(s.model, {}).setdefault(s.task, s)
    out = []
    for model in sorted(by_model):
        series = list(by_model[model].values())[:MAX_FORGETTING_TASKS]
        if len(series) < 2:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DegenerateDataWarning, RuntimeWarning))
            try:
                res = series_forgetting(series, trained_at=[0] * len(series),
                                        confidence_level=ctx.options.confidence_level)  # fmt: skip
            except AssayError:
                continue
        common = sorted(set.intersection(*(set(s.steps.tolist()) for s in series)))
        block = _result_block(res, [s.task for s in series], [float(s) for s in common],
                              (0.0, 1.0), "harness summaries (unpaired)")  # fmt: skip
        out.append({"run": model, **block})
    return out


def forgetting_blocks(
    ctx: ReportContext, steps_of: dict[str, int] | None, series_blocks: list[dict]
) -> list[dict]:
    """The forgetting matrix of each run with two or more tasks at the same checkpoints."""
    if steps_of:
        return _per_item(ctx, steps_of)
    return _summarised(ctx, series_blocks)


def forgetting_sentences(blocks: list[dict], alpha_level: float) -> list[str]:
    out = []
    for b in blocks:
        dropped = [
            r for r in b["rows"] if r["change_ci_high"] is not None and r["change_ci_high"] < 0
        ]
        if dropped:
            names = ", ".join(f"{r['task']} ({100 * r['change']:+.1f} points)" for r in dropped[:4])
            out.append(
                f"{b['run']}: lower at the last checkpoint than at the first on "
                f"{len(dropped)} of {len(b['rows'])} task(s): {names} "
                f"({100 * alpha_level:g}% intervals exclude zero)."
            )
    return out
