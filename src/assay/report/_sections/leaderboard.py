"""Leaderboard: each model's score with its interval, rank intervals, tie groups and the noise floor.

Every ranking statement comes from :attr:`ReportContext.claim_groups`: one item set per task, one
all-pairs test procedure (``TaskClaims.board.pairwise``) that the comparisons section reads too.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError, ScoreMatrix
from assay.report._context import ReportContext, TaskClaims
from assay.report._figures import forest_plot
from assay.report._model import SectionModel
from assay.report._sections._common import level_pct
from assay.stats import bounded_interval, clustered_mean_ci, mean_ci, power_from_data
from assay.stats._bootstrap import _encode_clusters

ID = "leaderboard"
TITLE = "Leaderboard"

NOISE_FLOOR_POWER = 0.8
#: The noise floor is a median over adjacent-ranked pairs; above this many, evenly spaced ones.
NOISE_FLOOR_PAIRS = 40
MAX_FOREST_MODELS = 40
"""The forest plot shows the top models; the table (filterable) holds them all."""


def own_score(x: np.ndarray, level: float) -> dict:
    """One model's score on the items it answered (interval by the scores' range: ``mean_ci``)."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "n": 0, "method": None}
    if x.size < 2:
        return {
            "estimate": float(x[0]), "ci_low": None, "ci_high": None, "n": 1,
            "method": "one item: no interval",
        }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        r = mean_ci(x, method="auto", confidence_level=level)
    return {
        "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n,
        "method": r.method,
    }  # fmt: skip


def _clustered(matrix: ScoreMatrix, level: float) -> dict[str, dict] | None:
    """Sensitivity: each model's interval with cluster-robust errors (an interval, no test)."""
    if matrix.cluster is None or any(c is None for c in matrix.cluster) or matrix.n_items < 3:
        return None
    items = matrix.item_scores()
    bounded = matrix.scale.bounded
    # integer codes once per task (labels are strings; encoding them per model cost O(models))
    try:
        codes = _encode_clusters(matrix.cluster, matrix.n_items)
    except InputError:
        return None
    out = {}
    for k, model in enumerate(matrix.models):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                r = clustered_mean_ci(items[k], codes, confidence_level=level)
            except InputError:
                continue
        lo, hi = r.ci_low, r.ci_high
        if bounded:
            lo, hi = (
                float(v)
                for v in bounded_interval(
                    r.estimate,
                    r.se,
                    r.n_clusters,
                    df=getattr(r, "df", np.inf),
                    confidence_level=level,
                )
            )
        out[model] = {
            "ci_low": lo, "ci_high": hi, "n_clusters": r.n_clusters,
            "design_effect": r.design_effect, "method": r.method,
        }  # fmt: skip
    return out


def _noise_floor(claims: TaskClaims, order: list[str], alpha: float) -> dict | None:
    """Median minimum detectable difference of adjacent-ranked pairs at the report's alpha."""
    common = claims.common
    if len(order) < 2 or common.n_items < 10:
        return None
    items = common.item_scores()
    index = {m: k for k, m in enumerate(common.models)}
    adjacent = list(zip(order[:-1], order[1:], strict=True))
    if len(adjacent) > NOISE_FLOOR_PAIRS:  # a median: evenly spaced pairs through the ranking
        pick = np.unique(np.linspace(0, len(adjacent) - 1, NOISE_FLOOR_PAIRS).round().astype(int))
        adjacent = [adjacent[i] for i in pick]
    deltas = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for a, b in adjacent:
            try:
                r = power_from_data(
                    items[index[a]], items[index[b]], n=common.n_items, alpha=alpha,
                    power=NOISE_FLOOR_POWER,
                )  # fmt: skip
            except InputError:
                continue
            if math.isfinite(r.delta):
                deltas.append(r.delta)
    if not deltas:
        return None
    return {
        "delta": float(np.median(deltas)),
        "n": common.n_items,
        "power": NOISE_FLOOR_POWER,
        "alpha": alpha,
        "pairs": len(deltas),
        "adjacent_pairs": len(order) - 1,
        "method": "paired test, variance of differences from adjacent-ranked pairs",
    }


def _task_block(ctx: ReportContext, claims: TaskClaims) -> tuple[dict, str | None]:
    level = ctx.options.confidence_level
    full, common, board = claims.full, claims.common, claims.board
    full_items = full.item_scores()
    own = {m: own_score(full_items[k], level) for k, m in enumerate(full.models)}
    block = {
        "task": claims.task,
        "metric": claims.metric,
        "metrics": list(claims.metrics),
        "label": claims.label,
        "confidence_level": level,
        "scale": claims.scale.factor,
        "score_range": claims.scale.to_dict(),
        "n_items": full.n_items,
        "n_common": common.n_items,
        "n_models": full.n_models,
        "set_aside": [
            {"model": m, "n_items": n, "own": own[m]} for m, n in sorted(claims.set_aside.items())
        ],
        "rows": [],
        "tie_groups": [],
        "best_group": [],
        "noise_floor": None,
        "ranked": board is not None,
        "unranked_reason": claims.unranked_reason,
    }
    if board is not None:
        clustered = _clustered(common, level)
        pw = board.pairwise
        block.update(
            tie_groups=[list(g) for g in board.tie_groups],
            best_group=list(board.ranks.best_group),
            rank_method=board.ranks.method,
            test=pw.test,
            adjust=pw.adjust,
            alpha=pw.alpha,
            n_pairs=len(pw.model_a),
        )
        best = set(board.ranks.best_group)
        for e in board.entries:
            block["rows"].append({
                "model": e.model, "rank": e.rank, "rank_low": e.rank_low, "rank_high": e.rank_high,
                "tier": e.tier, "tied_best": e.model in best, "estimate": e.estimate,
                "ci_low": e.ci_low, "ci_high": e.ci_high, "method": e.method, "n": e.n,
                "own": own[e.model], "clustered": (clustered or {}).get(e.model),
            })  # fmt: skip
        order = [e.model for e in board.entries]
        block["noise_floor"] = _noise_floor(claims, order, ctx.options.alpha)
    else:
        common_items = common.item_scores()
        for k, model in enumerate(common.models):
            o = own_score(common_items[k], level) if common.n_items else own[model]
            block["rows"].append({
                "model": model, "rank": None, "rank_low": None, "rank_high": None, "tier": None,
                "tied_best": False, "estimate": o["estimate"], "ci_low": o["ci_low"],
                "ci_high": o["ci_high"], "method": o["method"], "n": o["n"], "own": own[model],
                "clustered": None,
            })  # fmt: skip
    return block, (_figure(block, level) if ctx.figure_allowed(ID) else None)


def _figure(block: dict, level: float) -> str | None:
    rows = [r for r in block["rows"] if r["estimate"] is not None][:MAX_FOREST_MODELS]
    if not rows:
        return None
    scale = block["scale"]

    def bound(r: dict, key: str) -> float:
        v = r[key]
        return (v if v is not None and math.isfinite(v) else r["estimate"]) * scale

    return forest_plot(
        [r["model"] for r in rows],
        [r["estimate"] * scale for r in rows],
        [bound(r, "ci_low") for r in rows],
        [bound(r, "ci_high") for r in rows],
        xlabel=f"{block['metric']} ({'%' if scale == 100 else 'score'}), {level_pct(level)} intervals",
        highlight=[r["tied_best"] for r in rows],
    )


def headline(block: dict) -> list[str]:
    """The leaderboard's findings, each naming the task and metric."""
    label = block["label"]
    if not block["ranked"]:  # a single model is simply shown; too few shared items is a warning
        if block["n_models"] - len(block["set_aside"]) < 2:
            return []
        return [f"{label}: not ranked: {block['unranked_reason']}"]
    scale = block["scale"]
    unit = " points" if scale == 100 else ""
    best = block["best_group"]
    top = block["rows"][0]
    others = block["n_models"] - len(block["set_aside"]) - 1
    lines = []
    if len(best) == 1:
        lines.append(
            f"{label}: {best[0]} is best ({top['estimate'] * scale:.1f}, "
            f"{level_pct(block['confidence_level'])} CI {top['ci_low'] * scale:.1f} to "
            f"{top['ci_high'] * scale:.1f}; n = {block['n_common']:,}), significantly ahead of "
            f"{'the other model' if others == 1 else f'all {others} other models'} "
            f"({block['test']}, {block['adjust']}-adjusted over {block['n_pairs']} pair(s), "
            f"alpha {block['alpha']:g})."
        )
    else:
        lines.append(
            f"{label}: {len(best)} models cannot be told apart from the best "
            f"(n = {block['n_common']:,}; {block['test']}, {block['adjust']}-adjusted, alpha "
            f"{block['alpha']:g}): {', '.join(best)}."
        )
    if block["noise_floor"]:
        nf = block["noise_floor"]
        lines.append(
            f"{label}: with {nf['n']:,} items this task resolves differences of about "
            f"{nf['delta'] * scale:.1f}{unit} between neighbouring models "
            f"({100 * nf['power']:g}% power, alpha {nf['alpha']:g})."
        )
    return lines


def build(ctx: ReportContext) -> SectionModel:
    if not ctx.task_metrics:
        return SectionModel(
            id=ID, title=TITLE, status="absent", reason="no scored responses were read."
        )
    blocks, figures, lines = [], {}, []
    for claims in ctx.claim_groups:
        block, figure = _task_block(ctx, claims)
        if figure is not None:
            figures[f"forest-{len(blocks)}"] = figure
        blocks.append(block)
        lines += headline(block)
    notes = [
        "One item set per task: every statement about a task (this table, the headline, the "
        "comparisons, the subjects and the heat map) uses the items every model answered; a model "
        "that answered under half the items is set aside and shown on its own items below the "
        "table, and 'all its items' gives each model's score on every item it answered.",
        "Intervals stay inside the score's range: Wilson for 0/1 scores, the score (Wilson-type) "
        "interval with the observed variance for other scores in [0, 1], t otherwise.",
        "Ranks, rank intervals, tiers and the models tied with the best are read from the same "
        "all-pairs paired tests as the comparisons section (McNemar exact for 0/1 scores, paired t "
        "otherwise), adjusted together across all pairs of the task: model B is ahead of A only "
        "where that test rejects. A rank interval runs from 1 + the number of models significantly "
        "ahead to the number of models not significantly behind. Tiers split the models in score "
        "order where a model is significantly behind the first model of its tier.",
        "The noise floor is the median minimum detectable difference (paired test, at the report's "
        "alpha and 80% power) between models adjacent in the ranking.",
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": blocks},
        headline=_dedupe(lines)[:8],
        figures=figures,
        notes=notes,
    )


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in lines if not (x in seen or seen.add(x))]
