"""Leaderboard: each model's score with its interval, rank intervals, tie groups and the noise floor."""

from __future__ import annotations

import math
import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError, ScoreMatrix
from assay.report._context import ReportContext
from assay.report._figures import forest_plot
from assay.report._model import SectionModel
from assay.report._sections._common import is_binary, level_pct, unit_scale
from assay.stats import clustered_mean_ci, leaderboard, mean_ci, power_from_data, proportion_ci

ID = "leaderboard"
TITLE = "Leaderboard"


def _own_scores(matrix: ScoreMatrix, level: float) -> list[dict]:
    """Each model on every item it answered (Wilson for 0/1 scores, t otherwise)."""
    items = matrix.item_scores()
    binary = is_binary(matrix)
    out = []
    for k, model in enumerate(matrix.models):
        x = items[k][np.isfinite(items[k])]
        if x.size == 0:
            out.append(
                {
                    "model": model,
                    "estimate": None,
                    "ci_low": None,
                    "ci_high": None,
                    "n": 0,
                    "method": None,
                }
            )
            continue
        if binary and matrix.n_samples == 1:
            r = proportion_ci(int(x.sum()), x.size, method="wilson", confidence_level=level)
            est, lo, hi, method = float(r.estimate), float(r.ci_low), float(r.ci_high), "wilson"
        elif x.size >= 2:
            with warnings.catch_warnings():  # a zero-width interval shows as such in the table
                warnings.simplefilter("ignore", DegenerateDataWarning)
                r = mean_ci(x, method="t", confidence_level=level)
            est, lo, hi, method = r.estimate, r.ci_low, r.ci_high, "t (over item means)"
        else:
            est, lo, hi, method = float(x[0]), math.nan, math.nan, "single item"
        out.append(
            {
                "model": model,
                "estimate": est,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(x.size),
                "method": method,
            }
        )
    return out


def _clustered(matrix: ScoreMatrix, level: float) -> dict[str, dict] | None:
    if matrix.cluster is None or any(c is None for c in matrix.cluster):
        return None
    items = matrix.item_scores()
    out = {}
    for k, model in enumerate(matrix.models):
        ok = np.isfinite(items[k])
        if ok.sum() < 3:
            continue
        with warnings.catch_warnings():  # few clusters: shown with the interval, not as a warning
            warnings.simplefilter("ignore", DegenerateDataWarning)
            r = clustered_mean_ci(items[k][ok], matrix.cluster[ok], confidence_level=level)
        out[model] = {
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n_clusters": r.n_clusters,
            "design_effect": r.design_effect,
            "method": r.method,
        }
    return out


def _noise_floor(common: ScoreMatrix, order: list[str]) -> dict | None:
    """Median minimum detectable difference (80% power, alpha 0.05) of adjacent-ranked pairs."""
    if len(order) < 2 or common.n_items < 10:
        return None
    items = common.item_scores()
    index = {m: k for k, m in enumerate(common.models)}
    deltas = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for a, b in zip(order[:-1], order[1:], strict=True):
            try:
                r = power_from_data(items[index[a]], items[index[b]], n=common.n_items)
            except InputError:
                continue
            if math.isfinite(r.delta):
                deltas.append(r.delta)
    if not deltas:
        return None
    return {
        "delta": float(np.median(deltas)),
        "n": common.n_items,
        "power": 0.8,
        "alpha": 0.05,
        "pairs": len(deltas),
        "method": "paired test, variance of differences from adjacent-ranked pairs",
    }


def _task_block(ctx: ReportContext, task: str, metric: str, index: int) -> tuple[dict, str | None]:
    level = ctx.options.confidence_level
    matrix = ctx.matrix(task, metric)
    own = {row["model"]: row for row in _own_scores(matrix, level)}
    clustered = _clustered(matrix, level)
    scale = unit_scale(matrix)
    answered = ~np.all(np.isnan(matrix.values), axis=2)
    common_mask = answered.all(axis=0)
    block = {
        "task": task,
        "metric": metric,
        "confidence_level": level,
        "scale": scale,
        "n_items": matrix.n_items,
        "n_common": int(common_mask.sum()),
        "rows": [],
        "tie_groups": [],
        "noise_floor": None,
        "ranked": False,
    }
    board = None
    if matrix.n_models >= 2 and common_mask.sum() >= 2:
        common = matrix.subset(
            items=[it for it, keep in zip(matrix.items, common_mask, strict=True) if keep]
        )
        try:
            board = leaderboard(
                common,
                confidence_level=level,
                n_resamples=ctx.options.n_resamples,
                rng=ctx.rng(f"board:{task}:{metric}"),
            )
        except InputError as exc:  # too little shared data to rank: show the scores, say why
            block["rank_note"] = str(exc)
    if board is not None:
        block["ranked"] = True
        block["tie_groups"] = [list(g) for g in board.tie_groups]
        block["rank_method"] = board.ranks.method
        block["n_resamples"] = board.ranks.n_resamples
        best_group = set(board.tie_groups[0]) if board.tie_groups else set()
        for e in board.entries:
            o = own[e.model]
            block["rows"].append({
                "model": e.model, "rank": e.rank, "rank_low": e.rank_low, "rank_high": e.rank_high,
                "p_best": e.p_best, "tier": e.tier, "tied_best": e.model in best_group,
                "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high, "method": e.method, "n": e.n,
                "own": o, "clustered": (clustered or {}).get(e.model),
            })  # fmt: skip
        block["noise_floor"] = _noise_floor(common, [e.model for e in board.entries])
    else:
        ordered = sorted(
            own.values(), key=lambda r: -(r["estimate"] if r["estimate"] is not None else -math.inf)
        )
        for rank, o in enumerate(ordered, start=1):
            block["rows"].append({
                "model": o["model"], "rank": rank, "rank_low": rank, "rank_high": rank, "p_best": None, "tier": rank,
                "tied_best": False, "estimate": o["estimate"], "ci_low": o["ci_low"], "ci_high": o["ci_high"],
                "method": o["method"], "n": o["n"], "own": o, "clustered": (clustered or {}).get(o["model"]),
            })  # fmt: skip
    figure = None
    rows = [r for r in block["rows"] if r["estimate"] is not None]
    if rows:
        figure = forest_plot(
            [r["model"] for r in rows],
            [r["estimate"] * scale for r in rows],
            [
                r["ci_low"] * scale
                if r["ci_low"] is not None and math.isfinite(r["ci_low"])
                else r["estimate"] * scale
                for r in rows
            ],
            [
                r["ci_high"] * scale
                if r["ci_high"] is not None and math.isfinite(r["ci_high"])
                else r["estimate"] * scale
                for r in rows
            ],
            xlabel=f"{metric} ({'%' if scale == 100 else 'score'}), {level_pct(level)} intervals",
            highlight=[r["tied_best"] or not block["ranked"] for r in rows],
        )
    return block, figure


def _headline(block: dict) -> list[str]:
    if not block["ranked"] or not block["tie_groups"]:
        return []
    best = block["tie_groups"][0]
    scale = block["scale"]
    top = block["rows"][0]
    unit = " points" if scale == 100 else ""
    lines = []
    if len(best) == 1:
        lines.append(
            f"{block['task']}: {best[0]} is best ({top['estimate'] * scale:.1f}, "
            f"{level_pct(block['confidence_level'])} CI {top['ci_low'] * scale:.1f} to {top['ci_high'] * scale:.1f}), "
            "distinguishable from every other model."
        )
    else:
        lines.append(
            f"{block['task']}: {len(best)} models cannot be told apart from the best: {', '.join(best)}."
        )
    if block["noise_floor"]:
        nf = block["noise_floor"]
        lines.append(
            f"{block['task']}: with {nf['n']:,} items this task resolves differences of about "
            f"{nf['delta'] * scale:.1f}{unit} between neighbouring models at 80% power."
        )
    return lines


def build(ctx: ReportContext) -> SectionModel:
    if not ctx.task_metrics:
        return SectionModel(
            id=ID, title=TITLE, status="absent", reason="no scored responses were read."
        )
    blocks, figures, headline = [], {}, []
    for k, (task, metric) in enumerate(ctx.task_metrics):
        block, figure = _task_block(ctx, task, metric, k)
        blocks.append(block)
        if figure is not None:
            figures[f"forest-{k}"] = figure
        headline += _headline(block)
    notes = [
        "Scores and intervals use the items every model answered, so that models are compared on the same "
        "items; 'all its items' shows each model's score on every item it answered. Intervals are Wilson for "
        "0/1 scores and t over item means otherwise. Rank intervals are simultaneous, from a paired bootstrap "
        "over items; the tie group of the best holds the models not distinguishable from it. The noise floor "
        "is the median minimum detectable difference (paired test, alpha 0.05, 80% power) between models "
        "adjacent in the ranking.",
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": blocks},
        headline=headline[:8],
        figures=figures,
        notes=notes,
    )
