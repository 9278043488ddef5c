"""A report checks itself: no two statements disagree, and no interval leaves its score's range.

:func:`contradictions` reads a report's JSON (``ReportModel.to_dict()``) and lists every broken
rule of the output contract (DESIGN.md): statements about the same pair of models that disagree on
order or significance, intervals outside the range the score can take, rankings of a single model.
The property test of the report runs it on thousands of random small and odd inputs; ``assay
report`` runs it on every report it writes and says so if anything is found.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["contradictions"]

_TOL = 1e-9


def contradictions(report: dict[str, Any]) -> list[str]:
    """Every violated invariant of a report, as sentences (empty when the report is consistent).

    Parameters
    ----------
    report : dict
        ``ReportModel.to_dict()`` (or the parsed ``--json`` file).

    Returns
    -------
    list of str
    """
    sections = {s["id"]: s for s in report.get("sections", [])}
    problems: list[str] = []
    boards = {}
    board_section = sections.get("leaderboard")
    if board_section and board_section.get("status") == "present":
        for block in board_section["data"]["tasks"]:
            boards[block["label"]] = block
            problems += _leaderboard(block)
    comparisons = sections.get("comparisons")
    if comparisons and comparisons.get("status") == "present":
        for block in comparisons["data"]["tasks"]:
            problems += _comparisons(block, boards.get(block["label"]))
    subjects = sections.get("subjects")
    if subjects and subjects.get("status") == "present":
        for block in subjects["data"]["tasks"]:
            problems += _subjects(block, boards.get(block.get("label")))
    problems += _headline(report, boards)
    return problems


def _inside(lo: Any, hi: Any, est: Any, low: float, high: float) -> bool:
    if lo is None or hi is None:
        return True
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return False
    ok = low - _TOL <= lo <= hi + _TOL and lo - _TOL <= hi <= high + _TOL
    if est is not None and math.isfinite(est):
        ok = ok and lo - _TOL <= est <= hi + _TOL
    return ok


def _bounds(block: dict) -> tuple[float, float] | None:
    rng = block.get("score_range") or {}
    if rng.get("lower") is None or rng.get("upper") is None:
        return None
    return float(rng["lower"]), float(rng["upper"])


def _leaderboard(block: dict) -> list[str]:
    out = []
    label = block["label"]
    bounds = _bounds(block)
    rows = block["rows"]
    for row in rows:
        for what, r in (("score", row), ("all its items", row.get("own") or {})):
            if bounds and not _inside(
                r.get("ci_low"), r.get("ci_high"), r.get("estimate"), *bounds
            ):
                out.append(
                    f"{label}: {row['model']}'s {what} interval {r.get('ci_low')} to "
                    f"{r.get('ci_high')} leaves the score's range {bounds}."
                )
        cl = row.get("clustered")
        if bounds and cl and not _inside(cl["ci_low"], cl["ci_high"], None, *bounds):
            out.append(f"{label}: {row['model']}'s clustered interval leaves {bounds}.")
    ranked_models = len(rows)
    if ranked_models < 2 and block.get("ranked"):
        out.append(f"{label}: a single model is ranked.")
    if not block.get("ranked"):
        if any(r.get("rank") is not None for r in rows):
            out.append(f"{label}: unranked task shows ranks.")
        return out
    est = [r["estimate"] for r in rows]
    if any(a < b - _TOL for a, b in zip(est, est[1:], strict=False)):
        out.append(f"{label}: rows are not in score order.")
    best = set(block["best_group"])
    flagged = {r["model"] for r in rows if r["tied_best"]}
    if best != flagged:
        out.append(f"{label}: the best group {sorted(best)} differs from the rows marked best.")
    tiers = [r["tier"] for r in rows]
    if any(a > b for a, b in zip(tiers, tiers[1:], strict=False)):
        out.append(f"{label}: tiers are out of rank order ({tiers}).")
    for r in rows:
        if not r["rank_low"] <= r["rank"] <= r["rank_high"]:
            out.append(f"{label}: {r['model']}'s rank {r['rank']} is outside its rank interval.")
    if len(best) == len(rows) and len(rows) > 1 and rows[0]["rank_high"] == 1:
        out.append(f"{label}: every model is tied with the best, yet the best's rank is certain.")
    return out


def _comparisons(block: dict, board: dict | None) -> list[str]:
    out = []
    label = block["label"]
    rows = block["rows"]
    if not rows:
        return out
    if board is None or not board.get("ranked"):
        return [f"{label}: pairs are compared but the task is not ranked."]
    bounds = _bounds(board)
    est = {r["model"]: r["estimate"] for r in board["rows"]}
    rank = {r["model"]: r for r in board["rows"]}
    best_model = board["rows"][0]["model"]
    best_group = set(board["best_group"])
    if block.get("n_common") != board.get("n_common"):
        out.append(f"{label}: comparisons and leaderboard use different item sets.")
    out += _omnibus(block, board)
    for r in rows:
        a, b = r["model_a"], r["model_b"]
        pair = f"{label}: {b} vs {a}"
        if abs((est[b] - est[a]) - r["estimate"]) > 1e-7:
            out.append(f"{pair}: difference {r['estimate']} disagrees with the leaderboard.")
        if bounds:
            width = bounds[1] - bounds[0]
            if not _inside(r["ci_low"], r["ci_high"], r["estimate"], -width, width):
                out.append(f"{pair}: interval {r['ci_low']} to {r['ci_high']} leaves [-1, 1].")
        kind = r["kind"]
        if kind == "better" and not r["estimate"] > 0 or kind == "worse" and not r["estimate"] < 0:
            out.append(f"{pair}: verdict {kind!r} has the wrong sign.")
        winner, loser = (b, a) if kind == "better" else (a, b)
        if kind in ("better", "worse"):
            if rank[loser]["rank_low"] < 2 or rank[winner]["rank_high"] > len(board["rows"]) - 1:
                out.append(f"{pair}: significant, yet the rank intervals allow either order.")
            if winner == best_model and loser in best_group:
                out.append(f"{pair}: {loser} is behind the best yet listed as tied with it.")
        elif best_model in (a, b):
            other = b if a == best_model else a
            if other not in best_group:
                out.append(f"{pair}: no detectable difference from the best, yet {other} is not "
                           "in the best group.")  # fmt: skip
    return out


def _omnibus(block: dict, board: dict) -> list[str]:
    """The classic tests use the task's item set and models, and state the paired verdicts as the
    comparisons do wherever they list a pair on which the two kinds of test disagree."""
    om, label, out = block.get("omnibus"), block["label"], []
    if not om or om.get("reason"):
        return out
    k = len(board["rows"])
    if om["n"] != board.get("n_common") or om["k"] != k:
        out.append(f"{label}: the omnibus test uses other items or models than the leaderboard.")
    if not 0.0 <= om["pvalue"] <= 1.0:
        out.append(f"{label}: omnibus p-value {om['pvalue']} outside [0, 1].")
    nem = om.get("nemenyi") or {}
    if any(not 1 - _TOL <= r["mean_rank"] <= k + _TOL for r in nem.get("mean_ranks", [])):
        out.append(f"{label}: a mean rank lies outside [1, {k}].")
    verdicts = {(r["model_a"], r["model_b"]): r for r in block["rows"]}
    for d in om.get("disagreements", []):
        a, b = d["model_a"], d["model_b"]
        r = verdicts.get((a, b)) or verdicts.get((b, a))
        if r is None:
            continue
        winner = {"better": r["model_b"], "worse": r["model_a"]}.get(r["kind"])
        said = "no detectable difference" if winner is None else f"{winner} scores above"
        if not d["paired"].startswith(said):
            out.append(f"{label}: {b} vs {a}: the classic tests restate the verdict otherwise.")
    return out


def _subjects(block: dict, board: dict | None) -> list[str]:
    out = []
    bounds = _bounds(board) if board else None
    if not bounds:
        return out
    for model in block["models"]:
        for name, g in model["subjects"].items():
            if not _inside(g["ci_low"], g["ci_high"], g["estimate"], *bounds):
                out.append(
                    f"{block['label']}: {model['model']} on {name}: interval leaves {bounds}."
                )
    if board and block.get("n_common") != board.get("n_common"):
        out.append(f"{block['label']}: subjects and leaderboard use different item sets.")
    return out


def _headline(report: dict, boards: dict) -> list[str]:
    out = []
    for h in report.get("headline", []):
        if h["section"] in ("leaderboard", "comparisons", "subjects"):
            if not any(h["text"].startswith(label + ":") for label in boards):
                out.append(f"headline line does not name its task and metric: {h['text'][:80]}")
    texts = [h["text"] for h in report.get("headline", [])]
    if len(texts) != len(set(texts)):
        out.append("the headline repeats a line.")
    return out
