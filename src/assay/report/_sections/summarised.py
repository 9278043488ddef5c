"""Results the harness summarised: what aggregate-only results support, and what they cannot.

lm-eval runs without ``--log_samples``, published results folders, HELM ``stats.json`` and
header-only Inspect logs give one value (and maybe a standard error) per model, task and metric.
Where a (model, task, metric) has per-item rows those are the truth and the harness's value is only
checked against them (:func:`assay.stats.check_aggregates`); everything else is shown here, with
intervals from the reported value (:func:`assay.stats.aggregate_leaderboard`), labelled unpaired,
and the analyses that need per-item data named with the flag that enables them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import AssayError, DegenerateDataWarning
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.stats import aggregate_leaderboard, check_aggregates, per_item_requirements

ID = "summarised"
TITLE = "Results the harness summarised"

MAX_TASKS = 40
"""Tasks shown with a table each; the rest are counted (every value is in the JSON)."""


def _latest_checkpoints(t: pa.Table) -> tuple[pa.Table, int]:
    """Each model's latest checkpoint (the training-curves section shows every step)."""
    steps = t.column("step").to_pylist()
    if all(s is None for s in steps):
        return t, 0
    last: dict[str, int] = {}
    for m, s in zip(t.column("model").to_pylist(), steps, strict=True):
        if s is not None and s >= last.get(m, -1):
            last[m] = s
    keep = [
        s is None or s == last[m] for m, s in zip(t.column("model").to_pylist(), steps, strict=True)
    ]
    return t.filter(pa.array(keep, pa.bool_())), keep.count(False)


def _names(c: dict) -> list[str]:
    names = [m if s is None else f"{m}@step{s}" for m, s in zip(c["model"], c["step"], strict=True)]
    seen: dict[str, int] = {}
    out = []
    for name in names:  # one (model, step) reported by several runs: keep each, named apart
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} (run {seen[name]})")
    return out


def _task_blocks(ctx: ReportContext, agg: pa.Table) -> list[dict]:
    blocks = []
    keys = sorted({(t, m) for t, m in zip(agg.column("task").to_pylist(),
                                          agg.column("metric").to_pylist(), strict=True)})  # fmt: skip
    level = ctx.options.confidence_level
    for task, metric in keys:
        t = agg.filter(
            pc.and_(pc.equal(agg.column("task"), task), pc.equal(agg.column("metric"), metric))
        )
        t, n_steps = _latest_checkpoints(t)
        c = t.to_pydict()
        block = {"task": task, "metric": metric, "label": f"{task} ({metric})", "n_models": t.num_rows,
                 "checkpoints_left_out": n_steps}  # fmt: skip
        higher = c["higher_is_better"][0] is not False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateDataWarning)
                lb = aggregate_leaderboard(
                    np.asarray(c["value"], float),
                    np.asarray([np.nan if s is None else s for s in c["stderr"]], float),
                    models=_names(c),
                    n=list(c["n"]),
                    aggregation=c["aggregation"],
                    higher_is_better=higher,
                    confidence_level=level,
                )
            block["rows"] = lb.rows()
            block["note"] = lb.note
        except AssayError as exc:  # e.g. a value that is not a number: say so, keep the rest
            block["rows"] = []
            block["note"] = str(exc)
        block["corpus_level"] = any(bool(x) for x in c["corpus_level"])
        block["higher_is_better"] = higher
        blocks.append(block)
    return blocks


def _headline(blocks: list[dict], harnesses: list[str]) -> list[str]:
    if not blocks:
        return []
    models = sorted({r["model"].split("@step")[0] for b in blocks for r in b["rows"]})
    shown = ", ".join(models[:4]) + (", ..." if len(models) > 4 else "")
    custom = [b["label"] for b in blocks if any(r.get("ci_low") is None for r in b["rows"])]
    lines = [
        f"{len(blocks)} task-metric(s) have only the harness's summary for {len(models)} model(s) "
        f"({shown}): scores with intervals from the reported standard errors, unpaired; paired "
        "tests, the item audit, IRT and subsets need per-item logs"
        + (" (lm-eval: --log_samples)." if "lm_eval" in harnesses else ".")
    ]
    if custom:
        lines.append(
            f"{len(custom)} of them ({', '.join(custom[:3])}{', ...' if len(custom) > 3 else ''}) "
            "use an aggregation assay does not recompute: the harness's value is shown without an "
            "interval."
        )
    return lines


def build(ctx: ReportContext) -> SectionModel:
    agg = ctx.aggregate_only
    findings = _findings(ctx)
    if agg is None and not findings:
        return SectionModel(
            id=ID, title=TITLE, status="absent",
            reason="every result read has per-item rows (nothing only summarised).",
        )  # fmt: skip
    harnesses = sorted(set(agg.column("harness").to_pylist())) if agg is not None else []
    blocks = _task_blocks(ctx, agg) if agg is not None else []
    needs = [
        {"analysis": r.analysis, "reason": r.reason, "enable": r.enable}
        for r in per_item_requirements(harnesses[0] if len(harnesses) == 1 else None)
    ]
    headline = _headline(blocks, harnesses)
    headline += [f"harness check: {f['message']}" for f in findings[:2]]
    data = {
        "tasks": blocks[:MAX_TASKS], "n_tasks": len(blocks), "needs_per_item": needs,
        "findings": findings, "harnesses": harnesses,
    }  # fmt: skip
    notes = [
        "Intervals from the harness's numbers: Wilson when the metric is 0/1 and n is known or "
        "recovered from the value and its standard error, otherwise a normal interval on the "
        "reported standard error (clipped to the metric's range); each row names its method. "
        "These are unpaired: two models' summaries cannot show the item-level agreement a paired "
        "test uses, so differences here are weaker evidence than the paired comparisons above.",
    ]
    return SectionModel(id=ID, title=TITLE, data=data, headline=headline[:3], notes=notes)


def _findings(ctx: ReportContext) -> list[dict]:
    agg = getattr(ctx.result, "aggregates", None)
    if agg is None or agg.num_rows == 0 or ctx.responses.num_rows == 0:
        return []
    try:
        found = check_aggregates(ctx.responses, agg, getattr(ctx.result, "corpus_items", None))
    except AssayError:
        return []
    return [
        {"run_id": f.run_id, "model": f.model, "task": f.task, "metric": f.metric, "kind": f.kind,
         "reported": f.reported, "recomputed": f.recomputed, "message": f.message}
        for f in found
    ]  # fmt: skip
