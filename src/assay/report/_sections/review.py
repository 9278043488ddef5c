"""What a human review changed: the ranking before and after the reviewer's verdicts.

Present when the report was run with ``--review FILE``; both rankings come from the same claims
machinery (:class:`~assay.report._context.ReportContext` on the results before and after), so the
'after' column equals the leaderboard above it.
"""

from __future__ import annotations

from assay.report._context import ReportContext
from assay.report._model import SectionModel

ID = "review"
TITLE = "What your review changed"

HOW = (
    "run `assay audit items RESULTS -o suspects.csv`, fill in the verdict column (ok, error with "
    "a corrected answer, ambiguous or broken), then `assay report RESULTS --review suspects.csv`."
)


def _rows(claims) -> dict[str, dict]:
    board = claims.board
    if board is None:
        return {
            m: {"estimate": None, "rank": None, "n": claims.common.n_items}
            for m in claims.common.models
        }
    return {e.model: {"estimate": e.estimate, "rank": e.rank, "n": e.n} for e in board.entries}


def build(ctx: ReportContext) -> SectionModel:
    outcome = ctx.review
    if outcome is None:
        return SectionModel(id=ID, title=TITLE, status="absent", reason=f"no review given: {HOW}")
    before_ctx = ReportContext(outcome.before, ctx.options)
    s = outcome.summary
    blocks, headline = [], []
    reviewed_tasks = {task for task, _ in outcome.verdicts}
    for claims in ctx.claim_groups:
        if claims.task not in reviewed_tasks:
            continue
        try:
            old = before_ctx.claims(claims.task, claims.metric)
        except KeyError:
            continue
        before, after = _rows(old), _rows(claims)
        rows = []
        for model in sorted(
            set(before) | set(after), key=lambda m: (after.get(m) or {}).get("rank") or 1e9
        ):
            b, a = before.get(model, {}), after.get(model, {})
            rows.append({
                "model": model, "estimate_before": b.get("estimate"), "estimate_after": a.get("estimate"),
                "rank_before": b.get("rank"), "rank_after": a.get("rank"),
                "moved": b.get("rank") != a.get("rank"),
            })  # fmt: skip
        moved = [r for r in rows if r["moved"]]
        block = {
            "task": claims.task, "metric": claims.metric, "label": claims.label,
            "scale": claims.scale.factor, "n_before": old.common.n_items,
            "n_after": claims.common.n_items, "rows": rows, "n_moved": len(moved),
        }  # fmt: skip
        blocks.append(block)
        if moved:
            headline.append(
                f"{claims.label}: after the review ({s.reviewed} verdicts), {len(moved)} model(s) "
                f"change rank: "
                + ", ".join(
                    f"{r['model']} {r['rank_before']}->{r['rank_after']}" for r in moved[:4]
                )
                + ("" if len(moved) <= 4 else ", ...")
                + "."
            )
        else:
            headline.append(
                f"{claims.label}: the review ({s.reviewed} verdicts, {s.confirmed_errors} confirmed "
                "error(s)) changes no model's rank."
            )
    data = {
        "source": s.source, "reviewed": s.reviewed, "confirmed_errors": s.confirmed_errors,
        "corrected": s.corrected, "excluded_items": s.excluded_items, "confirmed_ok": s.confirmed_ok,
        "rows_rescored": s.rows_rescored, "rows_unanswered": s.rows_unanswered,
        "rows_removed": s.rows_removed, "unmatched": list(s.unmatched), "note": s.note(),
        "tasks": blocks,
    }  # fmt: skip
    return SectionModel(id=ID, title=TITLE, data=data, headline=headline[:4], notes=[s.note()])
