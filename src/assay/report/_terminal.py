"""A short rich summary of the report for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from assay._core import visible_controls
from assay.report._model import ReportModel

__all__ = ["print_summary"]


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
        for task in board.data.get("tasks", [])[:3]:
            level = int(round(100 * task.get("confidence_level", 0.95)))
            table = Table(title=escape(f"{task['task']} ({task['metric']})"), title_justify="left")
            for col in ("rank", "model", "score", f"{level}% CI", "rank interval", "n"):
                table.add_column(col, justify="right" if col not in ("model",) else "left")
            groups = task.get("tie_groups") or [[]]
            best = "tied best" if len(groups[0]) > 1 else "best"
            for row in task["rows"][:max_rows]:
                table.add_row(
                    str(row["rank"]),
                    escape(row["model"])
                    + (f" [dim]({best})[/dim]" if row.get("tied_best") else ""),
                    _pct(row["estimate"]),
                    f"{_pct(row['ci_low'])} to {_pct(row['ci_high'])}",
                    f"{row['rank_low']}-{row['rank_high']}",
                    f"{row['n']:,}",
                )
            if len(task["rows"]) > max_rows:
                table.caption = f"... and {len(task['rows']) - max_rows} more in the report"
            console.print(table)
    absent = [s for s in model.sections if s.status != "present"]
    if absent:
        console.print("[dim]Not in this report:[/dim]")
        for s in absent:
            console.print(f"[dim]  - {escape(s.title)}: {escape(s.reason or '')}[/dim]")
