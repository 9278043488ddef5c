"""Inventory: what was read, and what is missing."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from assay.report._context import ReportContext
from assay.report._model import SectionModel

ID = "inventory"
TITLE = "What was read"


def build(ctx: ReportContext) -> SectionModel:
    t = ctx.responses
    runs = ctx.runs
    tasks = []
    for task, metric in ctx.task_metrics:
        m = ctx.matrix(task, metric)
        claims = ctx.claims(task, metric)
        tasks.append(
            {
                "task": task,
                "metric": metric,
                "models": m.n_models,
                "items": m.n_items,
                "samples": m.n_samples,
                "responses": int(np.sum(~np.isnan(m.values))),
                "has_subjects": m.subject is not None,
                "has_clusters": m.cluster is not None,
                "lacking": [
                    {"model": name, "missing_items": n, "examples": list(ex)}
                    for name, (n, ex) in sorted(m.missing.items())
                ],
                "complete_items": claims.common.n_items,
                "set_aside": dict(sorted(claims.set_aside.items())),
                "identical_metrics": [x for x in claims.metrics if x != metric],
            }
        )
    run_rows = []
    if runs.num_rows:
        for r in runs.sort_by(
            [("model", "ascending"), ("task", "ascending"), ("run_id", "ascending")]
        ).to_pylist():
            run_rows.append(
                {
                    k: r[k]
                    for k in (
                        "run_id",
                        "model",
                        "task",
                        "task_group",
                        "harness",
                        "harness_version",
                        "created",
                        "source",
                    )
                }
            )
    harnesses = sorted({r["harness"] for r in run_rows})
    data = {
        "models": ctx.models(),
        "tasks": tasks,
        "runs": run_rows,
        "harnesses": harnesses,
        "n_responses": t.num_rows,
        "n_models": len(ctx.models()),
        "n_tasks": len({tm[0] for tm in ctx.task_metrics}),
        "max_samples": ctx.max_samples(),
        "columns_present": {
            name: ctx.column_present(name)
            for name in (
                "confidence",
                "choice_logprobs",
                "target",
                "prediction",
                "input",
                "cluster",
                "subject",
                "step",
            )
        },
        "reader_notes": list(ctx.notes),
    }
    if t.num_rows:
        data["n_items_total"] = int(
            pc.count_distinct(
                pc.binary_join_element_wise(t.column("task"), t.column("item"), "\x1f")
            ).as_py()
        )
    lacking = sum(len(x["lacking"]) for x in tasks)
    headline = []
    if lacking:
        headline.append(
            f"{lacking} model-task pair(s) lack some items; every statement about a task uses the "
            "items all its models answered (the leaderboard names how many)."
        )
    return SectionModel(id=ID, title=TITLE, data=data, headline=headline)
