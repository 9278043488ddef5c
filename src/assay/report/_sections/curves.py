"""Training curves: checkpoints with intervals, paired step tests, noise, outliers and fits."""

from __future__ import annotations

import math
import warnings

import numpy as np

from assay._core import AssayError, DegenerateDataWarning, ScoreMatrix
from assay.curves import fit_curve, group_series, learning_curve, signal_to_noise_from_curves
from assay.report._context import ReportContext
from assay.report._figures_sampling import CurveLine, checkpoint_curves
from assay.report._model import SectionModel
from assay.report._sections._absent import absent
from assay.report._sections._common import level_pct
from assay.report._sections._curves_more import (
    forgetting_blocks,
    forgetting_sentences,
    target_sentence,
    time_to_target_rows,
)

ID = "curves"
TITLE = "Training curves"

_MAX_RESAMPLES = 500
_FIT_RESAMPLES = 100
_MIN_FIT_POINTS = 6
_N_LAST = 5


def _steps_by_model(ctx: ReportContext) -> dict[str, int]:
    """The training step of each model that has one (the first one seen when runs disagree)."""
    t = ctx.responses.select(["model", "step"]).group_by(["model", "step"]).aggregate([])
    out: dict[str, int] = {}
    for model, step in zip(
        t.column("model").to_pylist(), t.column("step").to_pylist(), strict=True
    ):
        if step is not None:
            out.setdefault(model, int(step))
    return out


def _fit_block(steps: np.ndarray, est: np.ndarray, ctx: ReportContext, salt: str) -> dict | None:
    if steps.size < _MIN_FIT_POINTS or np.any(steps <= 0):
        return None
    try:
        fit = fit_curve(
            steps,
            est,
            model="pow3",
            n_resamples=_FIT_RESAMPLES,
            confidence_level=ctx.options.confidence_level,
            rng=ctx.rng(salt),
        )
    except AssayError:
        return None
    grid = np.linspace(steps.min(), steps.max() * 1.5, 40)
    horizon = float(steps.max() * 2)
    fc = fit.forecast(horizon)
    return {
        "model": fit.model,
        "asymptote": fit.asymptote,
        "asymptote_ci_low": fit.asymptote_ci_low,
        "asymptote_ci_high": fit.asymptote_ci_high,
        "residual_sd": fit.residual_sd,
        "forecast": fc.to_dict(),
        "grid": grid.tolist(),
        "curve": fit.predict(grid).tolist(),
        "n_resamples": fit.n_resamples,
        "n_failed": fit.n_failed,
    }


def _run_block(
    ctx: ReportContext, m: ScoreMatrix, name: str, points: list[tuple[int, str]]
) -> dict:
    models = [model for _, model in points]
    steps = np.array([s for s, _ in points], dtype=float)
    scores = m.subset(models=models).item_scores()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = learning_curve(
            scores,
            steps,
            confidence_level=ctx.options.confidence_level,
            alpha=ctx.options.alpha,
            missing="omit",
            n_last=_N_LAST,
            n_resamples=min(ctx.options.n_resamples, _MAX_RESAMPLES),
            rng=ctx.rng(f"curves/{m.task}/{m.metric}/{name}"),
        )
    order = np.argsort(steps, kind="stable")
    rows = [
        {
            "step": float(res.steps[i]),
            "model": models[order[i]],
            "estimate": float(res.estimate[i]),
            "ci_low": float(res.ci_low[i]),
            "ci_high": float(res.ci_high[i]),
            "flagged": bool(res.outliers.flagged[i]),
            "modified_z": res.outliers.modified_z[i],
            "pvalue_adjusted": res.outliers.pvalue_adjusted[i],
        }
        for i in range(res.steps.size)
    ]
    return {
        "run": name,
        "n": res.n,
        "n_omitted": res.n_omitted,
        "points": rows,
        "steps": [t.to_dict() for t in res.step_tests],
        "outliers": list(res.outliers.flagged_steps),
        "outlier_note": res.outliers.note,
        "noise_sd": res.noise_sd,
        "sampling_se": res.sampling_se,
        "n_last": res.n_last,
        "fit": _fit_block(res.steps, res.estimate, ctx, f"fit/{m.task}/{name}"),
        "_estimate": res.estimate[~res.outliers.flagged],
    }


def _task_block(
    ctx: ReportContext, task: str, metric: str, steps_of: dict[str, int]
) -> dict | None:
    m = ctx.matrix(task, metric)
    present = [model for model in m.models if model in steps_of]
    runs = group_series(present, [steps_of[model] for model in present])
    blocks, notes = [], []
    for name, points in runs.items():
        if len(points) < 2:
            continue
        try:
            blocks.append(_run_block(ctx, m, name, points))
        except AssayError as exc:
            notes.append(f"{task} ({metric}), {name}: {exc}")
    if not blocks and not notes:
        return None
    snr = None
    tails = [b["_estimate"][-_N_LAST:] for b in blocks if len(b["_estimate"]) >= _N_LAST]
    if len(tails) >= 2:
        snr = signal_to_noise_from_curves(
            np.array(tails),
            n_last=_N_LAST,
            noise="within",
            confidence_level=ctx.options.confidence_level,
        ).to_dict()
    for b in blocks:
        b.pop("_estimate")
    return {"task": task, "metric": metric, "runs": blocks, "snr": snr, "notes": notes}


def _figure(block: dict, level: float) -> str:
    lines = []
    for b in block["runs"]:
        p = b["points"]
        fit = b["fit"]
        lines.append(
            CurveLine(
                b["run"],
                [r["step"] for r in p],
                [r["estimate"] for r in p],
                [r["ci_low"] for r in p],
                [r["ci_high"] for r in p],
                flagged=[r["flagged"] for r in p],
                fit_x=None if fit is None else fit["grid"],
                fit_y=None if fit is None else fit["curve"],
            )
        )
    return checkpoint_curves(lines, ylabel=f"{block['metric']} ({block['task']})")


def _headline(block: dict) -> list[str]:
    out = []
    for b in block["runs"]:
        if b["outliers"]:
            steps = ", ".join(f"{s:g}" for s in b["outliers"])
            out.append(f"{block['task']}, {b['run']}: outlier checkpoint(s) at step {steps}.")
        sd, se = b["noise_sd"], b["sampling_se"]
        if sd is not None and math.isfinite(sd) and se and sd > 2 * se:
            out.append(
                f"{block['task']}, {b['run']}: the last {b['n_last']} checkpoints vary by "
                f"{100 * sd:.1f} points (SD), more than twice the items' sampling SE "
                f"({100 * se:.1f}): training noise dominates."
            )
    return out


_MAX_SERIES_TASKS = 12
"""Harness-summarised checkpoint series: the tasks shown with a figure and fit (all are counted)."""


def _series_blocks(ctx: ReportContext) -> tuple[list[dict], list[str]]:
    """Training curves from the harness's summaries (no per-item rows): one block per task and
    metric in [0, 1], one run per model; points with intervals from the reported values."""
    from assay.curves import aggregate_series, series_curve

    agg = ctx.aggregate_only
    if agg is None or agg.column("step").null_count == agg.num_rows:
        return [], []
    series = [
        s
        for s in aggregate_series(agg.to_pydict(), min_points=2)
        if np.all((np.asarray(s.value) >= 0) & (np.asarray(s.value) <= 1))
    ]
    groups: dict[tuple[str, str], list] = {}
    for s in series:
        groups.setdefault((s.task, s.metric), []).append(s)
    keys = sorted(groups, key=lambda k: (k[1] not in ("acc", "accuracy"), k))
    blocks, notes = [], []
    for task, metric in keys[:_MAX_SERIES_TASKS]:
        runs = []
        for s in groups[(task, metric)]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DegenerateDataWarning)
                    res = series_curve(
                        s, confidence_level=ctx.options.confidence_level,
                        alpha=ctx.options.alpha, adjust=ctx.options.adjust, n_last=_N_LAST,
                    )  # fmt: skip
            except AssayError as exc:
                notes.append(f"{task} ({metric}), {s.model}: {exc}")
                continue
            flagged = set(res.outlier_steps)
            points = [
                {"step": float(st), "model": f"{s.model}@step{int(st)}", "estimate": float(e),
                 "ci_low": float(lo), "ci_high": float(hi), "flagged": int(st) in flagged,
                 "modified_z": None, "pvalue_adjusted": None}
                for st, e, lo, hi in zip(res.steps, res.estimate, res.ci_low, res.ci_high, strict=True)
            ]  # fmt: skip
            runs.append({
                "run": s.model, "n": int(np.nanmax(res.n)) if np.isfinite(res.n).any() else 0,
                "n_omitted": 0, "points": points, "steps": _unpaired_steps(res, ctx),
                "outliers": sorted(flagged),
                "outlier_note": res.note, "noise_sd": res.noise_sd, "sampling_se": res.sampling_se,
                "n_last": res.n_last,
                "fit": _fit_block(res.steps, res.estimate, ctx, f"fit/{task}/{metric}/{s.model}"),
            })  # fmt: skip
        if runs:
            blocks.append({"task": task, "metric": metric, "runs": runs, "snr": None,
                           "source": "harness summaries (unpaired)"})  # fmt: skip
    if len(keys) > _MAX_SERIES_TASKS:
        notes.append(
            f"{len(keys)} task-metric series were read from harness summaries; the first "
            f"{_MAX_SERIES_TASKS} (accuracy first) are shown with fits, every value is in the "
            "'Results the harness summarised' section."
        )
    notes.append(
        "Curves from harness summaries: each point's interval comes from the reported value and "
        "standard error (Wilson when n is known or recovered); step-to-step changes are unpaired, "
        "so smaller changes than with per-item logs stay undetected."
    )
    return blocks, notes


def _unpaired_steps(res, ctx: ReportContext) -> list[dict]:
    """Step-to-step changes of a summarised series: unpaired, in-range intervals, adjusted tests."""
    from assay.stats import bounded_interval

    out = []
    for i in range(len(res.steps) - 1):
        d = float(res.estimate[i + 1] - res.estimate[i])
        se = float(np.hypot(res.se[i], res.se[i + 1]))
        n = (
            float(np.nanmin([res.n[i], res.n[i + 1]]))
            if np.isfinite(res.n[i : i + 2]).any()
            else 2.0
        )
        lo, hi = bounded_interval(
            d, se, n, lower=-1.0, upper=1.0, confidence_level=ctx.options.confidence_level
        )
        out.append({
            "estimate": d, "ci_low": float(lo), "ci_high": float(hi),
            "pvalue_adjusted": float(res.step_pvalues_adjusted[i]),
            "significant": bool(res.step_significant[i]), "method": "unpaired (harness summaries)",
            "test": "unpaired z (harness summaries)", "n": int(n), "pvalue": float(res.step_pvalues[i]),
        })  # fmt: skip
    return out


def _more(ctx: ReportContext, blocks: list[dict], steps_of: dict[str, int] | None) -> dict:
    """Time to target, the forgetting matrix and what the data cannot support (data scaling)."""
    target = getattr(ctx.options, "curve_target", None)
    ttt = time_to_target_rows(blocks, target)
    forget = forgetting_blocks(ctx, steps_of, blocks)
    level = ctx.options.confidence_level
    headline = [target_sentence(r) for r in ttt if target is not None][:3]
    headline += forgetting_sentences(forget, level)[:2]
    notes = [
        "Time to target: the first checkpoint whose score reaches the target (AlgoPerf's rule, "
        "assay.curves.time_to_target), between the first checkpoint whose interval reaches it and "
        "the first whose whole interval does (pointwise intervals). The target is "
        + (
            f"{target:g}, as stated (--curve-target)."
            if target is not None
            else "each run's final level, the lower end of its last checkpoint's interval; state "
            "one with --curve-target."
        ),
        "Data-scaling fits (score against the number of training examples, "
        "assay.curves.data_scaling) are not drawn: the report cannot tell whether a step counts "
        "examples or tokens; fit them with `assay scaling` on a table of data sizes and scores.",
    ]
    if forget:
        notes.append(
            "Forgetting matrix: score on each task (columns) at each checkpoint (rows) of one run, "
            "on the items every checkpoint answered; the change from the first checkpoint to the "
            f"last has a {level_pct(level)} interval ("
            + forget[0]["method"]
            + "); the drop from the best checkpoint is a point estimate (the best is picked after "
            "looking, so it errs toward finding a drop). Intervals are clipped to the score's "
            "range."
        )
    else:
        notes.append(
            "Forgetting matrix: needs one run scored on two or more tasks at the same checkpoints."
        )
    return {"time_to_target": ttt, "curve_target": target, "forgetting": forget,
            "headline": headline, "notes": notes}  # fmt: skip


def build(ctx: ReportContext) -> SectionModel:
    if not ctx.steps_present():
        blocks, notes = _series_blocks(ctx)
        if not blocks:
            return absent(ID, TITLE, "needs a training step per run (checkpoints).")
        figures = {
            f"curve-{k}": _figure(b, ctx.options.confidence_level) for k, b in enumerate(blocks)
        }
        headline = [line for b in blocks for line in _headline(b)][:4]
        more = _more(ctx, blocks, None)
        notes += more.pop("notes")
        return SectionModel(
            id=ID, title=TITLE, headline=headline + more.pop("headline"), figures=figures,
            notes=notes,
            data={"tasks": blocks, "confidence_level": ctx.options.confidence_level, **more},
        )  # fmt: skip
    steps_of = _steps_by_model(ctx)
    tasks, figures, headline, notes = [], {}, [], []
    for task, metric in ctx.task_metrics:
        block = _task_block(ctx, task, metric, steps_of)
        if block is None:
            continue
        notes += block.pop("notes")
        if block["runs"]:
            if ctx.figure_allowed(ID):
                figures[f"curve-{len(tasks)}"] = _figure(block, ctx.options.confidence_level)
            headline += _headline(block)
            tasks.append(block)
    if not tasks:
        return absent(
            ID,
            TITLE,
            "needs at least 2 checkpoints (models with a step) of one run "
            "on the same task. " + " ".join(notes),
        )
    level = level_pct(ctx.options.confidence_level)
    more = _more(ctx, tasks, steps_of)
    headline += more.pop("headline")
    more_notes = more.pop("notes")
    notes += [
        f"Points: mean over items with a {level} t interval; step-to-step changes compare each "
        "checkpoint with the next on the same items (McNemar's exact test for 0/1 scores, paired "
        f"t otherwise), {ctx.options.adjust}-adjusted along each run.",
        "Outliers: checkpoints whose departure from their neighbours is significant on the items "
        "and beyond 3.5 robust SDs of the curve's other departures (marked x in the figure).",
        "Dashed: a power-law fit c - a (step)^-alpha with residual-bootstrap intervals; noise is "
        f"the SD of the last {_N_LAST} checkpoints (Heineman et al. 2025).",
        "Checkpoints of one run are grouped by model name without the step (org/model@step100 and "
        "org/model@step200 form the run org/model).",
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": tasks, "confidence_level": ctx.options.confidence_level, **more},
        headline=headline[:8],
        figures=figures,
        notes=notes + more_notes,
    )
