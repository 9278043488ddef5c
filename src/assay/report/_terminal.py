"""A short rich summary of the report for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from assay._core import visible_controls
from assay.report._model import ReportModel

__all__ = ["print_summary"]


def _fmt(v, scale: float) -> str:
    if v is None:
        return "n/a"
    return f"{100 * v:.1f}" if scale == 100 else f"{v:.3g}"


def escape(text: str) -> str:
    """Rich markup escaped, and control characters from logs (U+202E ...) shown, not obeyed."""
    return _escape_markup(visible_controls(str(text)))


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}"


def print_summary(model: ReportModel, console: Console, *, max_rows: int = 10) -> None:
    """Headline findings, the top of each leaderboard, and which sections were left out."""
    inv = model.section("inventory").data
    console.print(
        f"[bold]assay[/bold]: {inv.get('n_responses', 0):,} responses, {inv.get('n_models', 0)} model(s), "
        f"{inv.get('n_tasks', 0)} task(s)"
    )
    for h in model.headline:
        console.print(f"  [cyan]•[/cyan] {escape(h['text'])}")
    try:
        board = model.section("leaderboard")
    except KeyError:
        board = None
    if board is not None and board.status == "present":
        tasks = sorted(board.data.get("tasks", []), key=lambda t: -len(t["rows"]))
        for task in tasks[:3]:
            level = int(round(100 * task.get("confidence_level", 0.95)))
            scale = task.get("scale", 100)
            table = Table(title=escape(task.get("label", task["task"])), title_justify="left")
            for col in ("rank", "model", "score", f"{level}% CI", "rank interval", "n"):
                table.add_column(col, justify="right" if col not in ("model",) else "left")
            best = "tied best" if len(task.get("best_group") or []) > 1 else "best"
            if not task.get("ranked", True):
                table.caption = f"not ranked: {task.get('unranked_reason') or ''}"
            for row in task["rows"][:max_rows]:
                ci = (
                    "too few items"
                    if row["ci_low"] is None
                    else f"{_fmt(row['ci_low'], scale)} to {_fmt(row['ci_high'], scale)}"
                )
                table.add_row(
                    "" if row["rank"] is None else str(row["rank"]),
                    escape(row["model"])
                    + (f" [dim]({best})[/dim]" if row.get("tied_best") else ""),
                    _fmt(row["estimate"], scale),
                    ci,
                    "" if row["rank"] is None else f"{row['rank_low']}-{row['rank_high']}",
                    f"{row['n']:,}",
                )
            if len(task["rows"]) > max_rows:
                table.caption = f"... and {len(task['rows']) - max_rows} more in the report"
            console.print(table)
    _review_table(model, console, max_rows)
    absent = [s for s in model.sections if s.status != "present"]
    if absent:
        console.print("[dim]Not in this report:[/dim]")
        for s in absent:
            console.print(f"[dim]  - {escape(s.title)}: {escape(s.reason or '')}[/dim]")


def _review_table(model: ReportModel, console: Console, max_rows: int) -> None:
    """Rank before and after a human review, when the report had one."""
    try:
        review = model.section("review")
    except KeyError:
        return
    if review.status != "present":
        return
    for task in review.data.get("tasks", []):
        scale = task.get("scale", 100)
        table = Table(title=escape(f"review: {task['label']}"), title_justify="left")
        for col in ("model", "before", "after", "rank before", "rank after"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for row in task["rows"][:max_rows]:
            table.add_row(
                escape(row["model"]),
                _fmt(row["estimate_before"], scale),
                _fmt(row["estimate_after"], scale),
                str(row["rank_before"] or ""),
                str(row["rank_after"] or ""),
            )
        console.print(table)
