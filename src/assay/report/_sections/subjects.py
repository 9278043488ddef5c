"""Per-subject results with intervals and a test of heterogeneity across subjects."""

from __future__ import annotations

import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay.report._context import ReportContext, TaskClaims
from assay.report._figures import subject_bars
from assay.report._model import SectionModel
from assay.report._sections._common import level_pct
from assay.stats import subgroups

ID = "subjects"
TITLE = "Results by subject"
MAX_MODELS = 8


def _models_to_show(ctx: ReportContext, models: tuple[str, ...], means: np.ndarray) -> list[str]:
    order = [models[k] for k in np.argsort(-np.nan_to_num(means, nan=-np.inf), kind="stable")]
    chosen = order[:MAX_MODELS]
    baseline = ctx.options.baseline
    if baseline in models and baseline not in chosen:
        chosen = chosen[:-1] + [baseline]
    return chosen


def _task_block(ctx: ReportContext, claims: TaskClaims) -> tuple[dict | None, str | None]:
    matrix = claims.common  # the task's one item set, as in the leaderboard and comparisons
    task, metric = claims.task, claims.metric
    if matrix.subject is None or matrix.n_items == 0:
        return None, None
    level = ctx.options.confidence_level
    items = matrix.item_scores()
    means = np.nanmean(items, axis=1)
    shown = _models_to_show(ctx, matrix.models, means)
    labelled = np.array([s is not None for s in matrix.subject])
    subjects = sorted({str(s) for s in matrix.subject[labelled]})
    if len(subjects) < 2:
        return None, None
    per_model = []
    for model in shown:
        row = items[matrix.models.index(model)]
        ok = np.isfinite(row) & labelled
        if ok.sum() < 2:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateDataWarning)
                res = subgroups(row[ok], matrix.subject[ok].astype(str), confidence_level=level)
        except InputError:
            continue
        het = res.homogeneity or res.q
        per_model.append({
            "model": model, "overall": res.overall.estimate, "n": res.n, "method": res.method,
            "heterogeneity": {"statistic": het.statistic, "pvalue": het.pvalue, "method": het.method, "df": het.df},
            "i2": getattr(res, "i2", None),
            "subjects": {g.group: {"estimate": g.estimate, "ci_low": g.ci_low, "ci_high": g.ci_high, "n": g.n}
                         for g in res.groups},
        })  # fmt: skip
    if not per_model:
        return None, None
    scale = claims.scale.factor
    top = per_model[0]
    names = [s for s in subjects if s in top["subjects"]]
    names.sort(key=lambda s: -top["subjects"][s]["estimate"])
    figure = (
        None
        if not ctx.figure_allowed(ID)
        else subject_bars(
            names,
            [top["subjects"][s]["estimate"] * scale for s in names],
            [top["subjects"][s]["ci_low"] * scale for s in names],
            [top["subjects"][s]["ci_high"] * scale for s in names],
            xlabel=f"{top['model']}: {metric} by subject ({level_pct(level)} intervals)",
            overall=top["overall"] * scale,
        )
    )
    block = {
        "task": task,
        "metric": metric,
        "metrics": list(claims.metrics),
        "label": claims.label,
        "n_common": matrix.n_items,
        "subjects": subjects,
        "models": per_model,
        "scale": scale,
        "confidence_level": level,
        "figure_model": top["model"],
    }
    return block, figure


def build(ctx: ReportContext) -> SectionModel:
    if ctx.column_present("subject") == 0:
        return SectionModel(
            id=ID,
            title=TITLE,
            status="absent",
            reason="needs a subject per item (a subject column, or --subject-field naming a metadata field).",
        )
    blocks, figures, headline = [], {}, []
    for claims in ctx.claim_groups:
        block, figure = _task_block(ctx, claims)
        if block is None:
            continue
        if figure is not None:
            figures[f"bars-{len(blocks)}"] = figure
        blocks.append(block)
        top = block["models"][0]
        best = max(top["subjects"], key=lambda s: top["subjects"][s]["estimate"])
        worst = min(top["subjects"], key=lambda s: top["subjects"][s]["estimate"])
        sc = block["scale"]
        headline.append(
            f"{block['label']}: {top['model']} ranges from {top['subjects'][worst]['estimate'] * sc:.1f} ({worst}) to "
            f"{top['subjects'][best]['estimate'] * sc:.1f} ({best}) across {len(block['subjects'])} subjects."
        )
    if not blocks:
        return SectionModel(
            id=ID, title=TITLE, status="absent", reason="needs at least two subjects within a task."
        )
    notes = [
        "Intervals per subject are Wilson for 0/1 scores and t otherwise. The heterogeneity test asks whether "
        "a model's score differs across subjects more than chance allows (Pearson chi-square for 0/1 scores, "
        "Cochran's Q otherwise)."
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": blocks},
        headline=headline[:4],
        figures=figures,
        notes=notes,
    )
