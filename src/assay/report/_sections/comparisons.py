"""Comparisons: paired, item-level differences against a baseline (or between all pairs).

Every verdict is read from the task's one all-pairs test result (``TaskClaims.board.pairwise``),
on the task's one item set, so that it agrees with the leaderboard's ranks and tie groups and with
the heat map. :func:`assay.stats.compare_models` adds, for the pairs shown, the sign-flip and
bootstrap tests and the items that flipped.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay.report._context import ReportContext, TaskClaims
from assay.report._figures import heat_map
from assay.report._model import SectionModel
from assay.report._sections._common import fmt_p, fmt_points, level_pct
from assay.report._sections._omnibus import (
    across_sentence,
    across_tasks,
    omnibus_block,
    omnibus_sentences,
)
from assay.stats import PairwiseResult, compare_models

ID = "comparisons"
TITLE = "Is B really better than A? Paired comparisons"

MAX_FLIP_EXAMPLES = 25
MAX_FLIP_TEXTS = 8
"""Flipped items shown with their question and both answers, per side and pair."""
MAX_DETAILED_PAIRS = 30
"""Pairs beyond this many (in the order shown) get their verdict from the all-pairs tests but no
sign-flip/bootstrap re-check and no flip list, so a 300-model zoo stays fast; the section says so."""
MAX_HEAT_MODELS = 30
"""The heat map shows the top models by score; every pair stays in the table."""


def _pairs(models: list[str], means: np.ndarray, ctx: ReportContext) -> tuple[list, str]:
    baseline = ctx.options.baseline
    if baseline is not None and baseline in models:
        return [(baseline, m) for m in models if m != baseline], f"each model against {baseline}"
    if len(models) <= ctx.options.max_pairs_models:
        return list(itertools.combinations(models, 2)), "all pairs of models"
    best = models[int(np.argmax(means))]
    return [(m, best) for m in models if m != best], f"the best model ({best}) against each other"


def _pair_index(pw: PairwiseResult) -> dict[tuple[str, str], int]:
    """Row of each pair in the all-pairs result (which lists each pair once, in model order)."""
    return {(x, y): k for k, (x, y) in enumerate(zip(pw.model_a, pw.model_b, strict=True))}


def _pair_row(pw: PairwiseResult, index: dict[tuple[str, str], int], a: str, b: str) -> dict:
    """Row ``b - a`` of the all-pairs result (the pair may be listed as ``(b, a)``)."""
    sign = 1.0 if (a, b) in index else -1.0
    k = index[(a, b)] if sign > 0 else index[(b, a)]
    lo, hi = float(pw.ci_low[k]), float(pw.ci_high[k])
    return {
        "estimate": sign * float(pw.estimate[k]),
        "ci_low": lo if sign > 0 else -hi,
        "ci_high": hi if sign > 0 else -lo,
        "se": float(pw.se[k]),
        "pvalue": float(pw.pvalue[k]),
        "pvalue_adjusted": float(pw.pvalue_adjusted[k]),
        "reject": bool(pw.reject[k]),
    }


def verdict_kind(row: dict) -> str:
    """'better' / 'worse' (B against A) when the adjusted test rejects, else 'unclear'."""
    if row["reject"] and row["estimate"] > 0:
        return "better"
    if row["reject"] and row["estimate"] < 0:
        return "worse"
    return "unclear"


def _verdict(a: str, b: str, row: dict, test: str, adjust: str, scale: float, unit: str,
             level: float) -> str:  # fmt: skip
    ci = (
        f"{level_pct(level)} CI {fmt_points(row['ci_low'], scale, True)} to "
        f"{fmt_points(row['ci_high'], scale, True)}"
    )
    tail = f"({ci}; {test} {fmt_p(row['pvalue_adjusted'])} {adjust}-adjusted; n = {row['n']:,})"
    size = fmt_points(abs(row["estimate"]), scale)
    kind = row["kind"]
    if kind == "better":
        return f"{b} is better than {a} by {size} {unit} {tail}"
    if kind == "worse":
        return f"{b} is worse than {a} by {size} {unit} {tail}"
    return (
        f"No detectable difference between {b} and {a}: "
        f"{fmt_points(row['estimate'], scale, True)} {unit} {tail}"
    )


def _cluster_by(matrix) -> str | None:
    for name in ("subject", "cluster"):
        labels = getattr(matrix, name)
        if labels is not None and all(v is not None for v in labels):
            return name
    return None


def _task_block(ctx: ReportContext, claims: TaskClaims) -> dict:
    level = ctx.options.confidence_level
    scale = claims.scale.factor
    block = {
        "task": claims.task, "metric": claims.metric, "metrics": list(claims.metrics),
        "label": claims.label, "scale": scale,
        "unit": "points" if scale == 100 else claims.metric, "rows": [], "skipped": [],
        "adjust": ctx.options.adjust, "alpha": ctx.options.alpha, "confidence_level": level,
        "n_common": claims.common.n_items, "unranked_reason": claims.unranked_reason,
        "scheme": None, "test": None, "n_pairs": 0,
    }  # fmt: skip
    board = claims.board
    if board is None:
        return block
    pw, common = board.pairwise, claims.common
    means = np.nanmean(common.item_scores(), axis=1)
    pairs, scheme = _pairs(list(common.models), means, ctx)
    cluster_by = _cluster_by(common)
    block.update(scheme=scheme, test=pw.test, n_pairs=len(pw.model_a))
    items = common.item_scores()
    index = {m: k for k, m in enumerate(common.models)}
    pair_index = _pair_index(pw)
    block["n_detailed"] = min(len(pairs), MAX_DETAILED_PAIRS)
    for k, (a, b) in enumerate(pairs):
        row = {"model_a": a, "model_b": b, "n": common.n_items, "test": pw.test}
        row.update(_pair_row(pw, pair_index, a, b))
        row["kind"] = verdict_kind(row)
        if k >= MAX_DETAILED_PAIRS:  # verdict from the all-pairs tests; flips counted directly
            d = items[index[b]] - items[index[a]]
            row.update({
                "method": pw.test, "confidence_level": level, "correlation": None,
                "a_wins": int(np.sum(d < 0)), "b_wins": int(np.sum(d > 0)),
                "a_wins_examples": [], "b_wins_examples": [], "permutation_pvalue": None,
                "bootstrap_pvalue": None, "n_resamples": None, "clustered": None, "flip_texts": [],
            })  # fmt: skip
            row["verdict"] = _verdict(a, b, row, pw.test, pw.adjust, scale, block["unit"], level)
            block["rows"].append(row)
            continue
        opts = dict(
            confidence_level=level,
            n_resamples=ctx.options.n_resamples,
            rng=ctx.rng(f"cmp:{claims.task}:{claims.metric}:{a}:{b}"),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                res = compare_models(common, a, b, **opts)
            except InputError as exc:  # e.g. fewer than 2 items: say so, keep the others
                block["skipped"].append({"model_a": a, "model_b": b, "reason": str(exc)})
                continue
            try:
                cres = (
                    compare_models(common, a, b, cluster_by=cluster_by, **opts)
                    if cluster_by
                    else None
                )
            except InputError:
                cres = None
        row.update({
            "method": res.method, "confidence_level": level, "correlation": res.correlation,
            "a_wins": len(res.a_wins), "b_wins": len(res.b_wins),
            "a_wins_examples": _numeric_sorted(res.a_wins)[:MAX_FLIP_EXAMPLES],
            "b_wins_examples": _numeric_sorted(res.b_wins)[:MAX_FLIP_EXAMPLES],
            "permutation_pvalue": res.permutation.pvalue, "bootstrap_pvalue": res.bootstrap_pvalue,
            "n_resamples": ctx.options.n_resamples,
            "clustered": None if cres is None else {
                "by": cluster_by, "n_clusters": cres.n_clusters, "ci_low": cres.ci_low,
                "ci_high": cres.ci_high, "se": cres.se, "method": cres.method},
        })  # fmt: skip
        row["verdict"] = _verdict(a, b, row, pw.test, pw.adjust, scale, block["unit"], level)
        row["flip_texts"] = _flip_texts(ctx, claims, a, b, row)
        block["rows"].append(row)
    return block


def _flip_texts(ctx: ReportContext, claims: TaskClaims, a: str, b: str, row: dict) -> list[dict]:
    """The first flipped items of each side with their question and both models' answers."""
    text = ctx.item_text(claims.task)
    items = row["a_wins_examples"][:MAX_FLIP_TEXTS] + row["b_wins_examples"][:MAX_FLIP_TEXTS]
    answers = ctx.answers(claims.task, claims.metric, [a, b], [str(i) for i in items])
    if not text and not any(p is not None for p, _ in answers.values()):
        return []
    out = []
    for item in items:
        pa_, gold = answers.get((a, str(item)), (None, None))
        pb_, gold_b = answers.get((b, str(item)), (None, None))
        out.append({
            "item": item, "question": text.get(str(item)), "gold": gold if gold is not None else gold_b,
            "answer_a": pa_, "answer_b": pb_,
            "winner": "A" if item in row["a_wins_examples"][:MAX_FLIP_TEXTS] else "B",
        })  # fmt: skip
    return out


def _numeric_sorted(ids: tuple) -> list:
    """Item ids in numeric order where they are numbers (1004 before 10037), else as text."""

    def key(x):
        s = str(x)
        return (0, int(s), "") if s.isdigit() else (1, 0, s)

    return sorted(ids, key=key)


def _heat(claims: TaskClaims, block: dict) -> str | None:
    """All-pairs differences on the task's item set, starred where the adjusted test rejects."""
    board = claims.board
    if board is None or claims.common.n_models < 3:
        return None
    pw = board.pairwise
    order = [e.model for e in board.entries][:MAX_HEAT_MODELS]
    pos = {m: k for k, m in enumerate(order)}
    m = len(order)
    diff = np.zeros((m, m))
    marks = np.zeros((m, m), dtype=bool)
    for a, b, est, rej in zip(pw.model_a, pw.model_b, pw.estimate, pw.reject, strict=True):
        if a not in pos or b not in pos:
            continue
        i, j = pos[a], pos[b]
        diff[i, j], diff[j, i] = -est * block["scale"], est * block["scale"]  # row minus column
        marks[i, j] = marks[j, i] = bool(rej)
    block["pairwise"] = {
        "n": pw.n, "test": pw.test, "adjust": pw.adjust, "n_pairs": len(pw.model_a),
        "n_significant": int(np.sum(pw.reject)), "heat_models": len(order),
        "n_models": len(board.entries),
    }  # fmt: skip
    return heat_map(
        order,
        diff,
        title=f"{claims.task}: row minus column ({block['unit']})",
        colorbar_label=f"difference ({block['unit']})",
        marks=marks,
    )


def headline(block: dict, baseline: str | None) -> list[str]:
    rows, label = block["rows"], block["label"]
    if len(rows) <= 3:
        return [f"{label}: {r['verdict']}" for r in rows if r["kind"] != "unclear"]
    lines = []
    kinds = [r["kind"] for r in rows]
    if baseline is not None:
        lines.append(
            f"{label}: against {baseline}, {kinds.count('better')} model(s) are better, "
            f"{kinds.count('worse')} worse and {kinds.count('unclear')} not distinguishable."
        )
        # variants of the baseline (names that extend it, e.g. an -Instruct of a base model)
        lines += [f"{label}: {r['verdict']}" for r in rows if r["model_b"].startswith(baseline)][:3]
    if "pairwise" in block:
        pw = block["pairwise"]
        lines.append(
            f"{label}: {pw['n_significant']} of {pw['n_pairs']} pairs of models differ "
            f"({pw['test']}, {pw['adjust']}-adjusted, n = {pw['n']:,})."
        )
    return lines


def build(ctx: ReportContext) -> SectionModel:
    blocks, figures = [], {}
    for claims in ctx.claim_groups:
        if claims.full.n_models < 2:
            continue
        block = _task_block(ctx, claims)
        block["omnibus"] = omnibus_block(ctx, claims)
        block["omnibus_text"] = omnibus_sentences(
            claims.label, block["omnibus"], ctx.options.adjust
        )
        svg = _heat(claims, block) if ctx.figure_allowed(ID) else None
        if svg is not None:
            figures[f"heat-{len(blocks)}"] = svg
        blocks.append(block)
    if not blocks:
        return SectionModel(
            id=ID,
            title=TITLE,
            status="absent",
            reason="needs at least two models scored on the same task.",
        )
    headline_lines = [line for b in blocks for line in headline(b, ctx.options.baseline)]
    headline_lines += [t for b in blocks for t in b["omnibus_text"] if "disagree on" in t]
    across = across_tasks(ctx)
    notes = [
        "The difference is B minus A on the task's one item set (the items every model answered, "
        "as in the leaderboard). Verdicts come from the same all-pairs paired tests as the "
        "leaderboard's ranks (McNemar exact for 0/1 scores, paired t otherwise), adjusted together "
        "across all pairs of the task, so a verdict here never disagrees with a rank interval or "
        "tie group there. Intervals are unadjusted and stay inside [-1, 1] for [0, 1] scores "
        "(score form around the paired SE). The sign-flip and bootstrap p-values are unadjusted "
        "checks of the same difference. 'A wins' counts items A got right and B wrong. The "
        "clustered interval is a sensitivity check with items of one subject or cluster "
        "correlated (no test is drawn from it).",
    ]
    if any(b["omnibus"] for b in blocks):
        notes.append(
            "Many models at once (three or more): Cochran's Q for 0/1 scores, Friedman's rank test "
            "otherwise, on the same item set, with Nemenyi's critical difference of mean ranks "
            "(Demšar 2006; rank 1 = best). These answer other questions than the verdicts: the "
            "omnibus test whether any model differs, Nemenyi which mean ranks differ at a family-wise "
            "level; pairs where Nemenyi and the paired tests disagree are listed with both claims, "
            "and every 'better' or 'worse' in this report comes from the paired tests."
        )
    if across is not None:
        notes.append(
            "Across tasks: Friedman's test over tasks as blocks, each model's leaderboard score on "
            "each task (the first metric of each task), models scored on every task; Nemenyi's "
            "critical difference of mean ranks (Demšar 2006). Tasks weigh alike whatever their size."
        )
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": blocks, "across_tasks": across, "across_text": across_sentence(across)},
        headline=headline_lines[:8],
        figures=figures,
        notes=notes,
    )
