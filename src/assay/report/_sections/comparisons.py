"""Comparisons: paired, item-level differences against a baseline (or between all pairs)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay.report._context import ReportContext
from assay.report._figures import heat_map
from assay.report._model import SectionModel
from assay.report._sections._common import fmt_p, fmt_points, level_pct, unit_scale
from assay.stats import adjust_pvalues, compare_models, pairwise

ID = "comparisons"
TITLE = "Is B really better than A? Paired comparisons"

MAX_FLIP_EXAMPLES = 25


def _pairs(
    models: list[str], means: np.ndarray, ctx: ReportContext
) -> tuple[list[tuple[str, str]], str]:
    baseline = ctx.options.baseline
    if baseline is not None and baseline in models:
        return [
            (baseline, m) for m in models if m != baseline
        ], f"each model against the baseline {baseline}"
    if len(models) <= ctx.options.max_pairs_models:
        return list(itertools.combinations(models, 2)), "all pairs of models"
    best = models[int(np.nanargmax(means))]
    return [
        (m, best) for m in models if m != best
    ], f"the best model ({best}) against each other model"


def _verdict(
    a: str, b: str, res, p: float, alpha: float, scale: float, unit: str, level: float
) -> tuple[str, str]:
    ci = f"{level_pct(level)} CI {fmt_points(res.ci_low, scale, True)} to {fmt_points(res.ci_high, scale, True)}"
    test = "McNemar exact" if res.binary else "paired t"
    tail = f"({ci}; {test} {fmt_p(p)} adjusted; n = {res.n:,})"
    size = fmt_points(abs(res.estimate), scale)
    if p < alpha and res.estimate > 0:
        return f"{b} is better than {a} by {size} {unit} {tail}", "better"
    if p < alpha and res.estimate < 0:
        return f"{b} is worse than {a} by {size} {unit} {tail}", "worse"
    return (
        f"No detectable difference between {b} and {a}: {fmt_points(res.estimate, scale, True)} {unit} {tail}",
        "unclear",
    )


def _task_block(ctx: ReportContext, task: str, metric: str) -> dict | None:
    matrix = ctx.matrix(task, metric)
    if matrix.n_models < 2:
        return None
    models = list(matrix.models)
    means = np.nanmean(matrix.item_scores(), axis=1)
    pairs, scheme = _pairs(models, means, ctx)
    scale = unit_scale(matrix)
    unit = "points" if scale == 100 else metric
    level = ctx.options.confidence_level
    cluster_by = (
        "subject"
        if matrix.subject is not None and all(s is not None for s in matrix.subject)
        else None
    )
    if (
        cluster_by is None
        and matrix.cluster is not None
        and all(c is not None for c in matrix.cluster)
    ):
        cluster_by = "cluster"
    results, clustered, kept, skipped = [], [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for a, b in pairs:
            opts = dict(
                missing="omit",
                confidence_level=level,
                n_resamples=2000,
                rng=ctx.rng(f"cmp:{task}:{metric}:{a}:{b}"),
            )
            try:
                res = compare_models(matrix, a, b, **opts)
            except InputError as exc:  # e.g. fewer than 2 shared items: say so, keep the others
                skipped.append({"model_a": a, "model_b": b, "reason": str(exc)})
                continue
            try:
                cres = (
                    compare_models(matrix, a, b, cluster_by=cluster_by, **opts)
                    if cluster_by
                    else None
                )
            except InputError:
                cres = None
            kept.append((a, b))
            results.append(res)
            clustered.append(cres)
    pairs = kept
    if not results:
        return {
            "task": task,
            "metric": metric,
            "scheme": scheme,
            "scale": scale,
            "unit": unit,
            "rows": [],
            "skipped": skipped,
            "adjust": ctx.options.adjust,
            "alpha": ctx.options.alpha,
            "confidence_level": level,
        }
    raw = np.array(
        [r.mcnemar.pvalue if r.mcnemar is not None else r.pvalue for r in results], dtype=float
    )
    finite = np.isfinite(raw)
    adjusted = np.full_like(raw, np.nan)
    if finite.any():
        adjusted[finite] = adjust_pvalues(
            raw[finite], method=ctx.options.adjust, alpha=ctx.options.alpha
        ).pvalues_adjusted
    rows = []
    for (a, b), res, cres, p_raw, p_adj in zip(
        pairs, results, clustered, raw, adjusted, strict=True
    ):
        verdict, kind = _verdict(a, b, res, p_adj, ctx.options.alpha, scale, unit, level)
        rows.append({
            "model_a": a, "model_b": b, "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
            "se": res.se, "method": res.method, "confidence_level": level, "n": res.n, "n_omitted": res.n_omitted,
            "test": "mcnemar-exact" if res.mcnemar is not None else "paired-t", "pvalue": p_raw, "pvalue_adjusted": p_adj,
            "correlation": res.correlation, "a_wins": len(res.a_wins), "b_wins": len(res.b_wins),
            "a_wins_examples": list(res.a_wins[:MAX_FLIP_EXAMPLES]), "b_wins_examples": list(res.b_wins[:MAX_FLIP_EXAMPLES]),
            "permutation_pvalue": res.permutation.pvalue, "bootstrap_pvalue": res.bootstrap_pvalue,
            "clustered": None if cres is None else {
                "by": cluster_by, "n_clusters": cres.n_clusters, "ci_low": cres.ci_low, "ci_high": cres.ci_high,
                "se": cres.se, "pvalue": cres.pvalue, "method": cres.method},
            "verdict": verdict, "kind": kind,
        })  # fmt: skip
    return {
        "task": task,
        "metric": metric,
        "scheme": scheme,
        "scale": scale,
        "unit": unit,
        "rows": rows,
        "skipped": skipped,
        "adjust": ctx.options.adjust,
        "alpha": ctx.options.alpha,
        "confidence_level": level,
    }


def _heat(ctx: ReportContext, task: str, metric: str, block: dict) -> str | None:
    """All-pairs differences on the items every model answered, starred where significant."""
    matrix = ctx.matrix(task, metric)
    answered = ~np.all(np.isnan(matrix.values), axis=2)
    keep = answered.all(axis=0)
    if matrix.n_models < 3 or keep.sum() < 2:
        return None
    common = matrix.subset(items=[it for it, k in zip(matrix.items, keep, strict=True) if k])
    res = pairwise(
        common,
        adjust=ctx.options.adjust,
        alpha=ctx.options.alpha,
        confidence_level=ctx.options.confidence_level,
    )
    order = [
        common.models[k]
        for k in np.argsort(-np.nanmean(common.item_scores(), axis=1), kind="stable")
    ]
    pos = {m: k for k, m in enumerate(order)}
    m = len(order)
    diff = np.zeros((m, m))
    marks = np.zeros((m, m), dtype=bool)
    for a, b, est, rej in zip(res.model_a, res.model_b, res.estimate, res.reject, strict=True):
        i, j = pos[a], pos[b]
        diff[i, j], diff[j, i] = -est * block["scale"], est * block["scale"]  # row minus column
        marks[i, j] = marks[j, i] = bool(rej)
    block["pairwise"] = {
        "n": res.n,
        "test": res.test,
        "adjust": res.adjust,
        "n_pairs": len(res.model_a),
        "n_significant": int(np.sum(res.reject)),
    }
    return heat_map(
        order,
        diff,
        title=f"{task}: row minus column ({block['unit']})",
        colorbar_label=f"difference ({block['unit']})",
        marks=marks,
    )


def _headline(block: dict, baseline: str | None) -> list[str]:
    rows = block["rows"]
    if len(rows) <= 3:
        return [f"{block['task']}: {r['verdict']}" for r in rows if r["kind"] != "unclear"]
    lines = []
    kinds = [r["kind"] for r in rows]
    if baseline is not None:
        lines.append(
            f"{block['task']}: against {baseline}, {kinds.count('better')} model(s) are better, "
            f"{kinds.count('worse')} worse and {kinds.count('unclear')} not distinguishable."
        )
        # variants of the baseline (names that extend it, e.g. an -Instruct of a base model)
        lines += [
            f"{block['task']}: {r['verdict']}" for r in rows if r["model_b"].startswith(baseline)
        ][:3]
    if "pairwise" in block:
        pw = block["pairwise"]
        lines.append(
            f"{block['task']}: {pw['n_significant']} of {pw['n_pairs']} pairs of models differ "
            f"after {pw['adjust']} adjustment."
        )
    return lines


def build(ctx: ReportContext) -> SectionModel:
    blocks = [b for tm in ctx.task_metrics if (b := _task_block(ctx, *tm)) is not None]
    figures = {}
    for k, block in enumerate(blocks):
        try:
            svg = _heat(ctx, block["task"], block["metric"], block)
        except InputError as exc:  # the all-pairs map needs shared items; the table above stands
            block["heat_skipped"] = str(exc)
            svg = None
        if svg is not None:
            figures[f"heat-{k}"] = svg
    if not blocks:
        return SectionModel(
            id=ID,
            title=TITLE,
            status="absent",
            reason="needs at least two models scored on the same task.",
        )
    headline = [line for block in blocks for line in _headline(block, ctx.options.baseline)]
    notes = [
        "The difference is B minus A on the items both models answered, with a paired t interval "
        "(items are the unit; for several samples per item, item means). Binary scores are tested with "
        "McNemar's exact test on the discordant items; p-values are adjusted across the comparisons of a "
        "task. 'A wins' counts items A got right and B wrong. The clustered interval (CR1) treats items of "
        "one subject or cluster as correlated."
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": blocks},
        headline=headline[:8],
        figures=figures,
        notes=notes,
    )
