"""`assay audit items`: suspect gold answers, with reasons, for human review.

The command reads RESULTS (or the store), calls :func:`assay.report._review.audit_responses`,
prints the top suspects and writes them to ``-o FILE`` (CSV, TSV or JSON) with empty ``verdict``
and ``corrected`` columns for reviewers; ``assay report --review FILE`` feeds the verdicts back.
"""

from __future__ import annotations

from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    echo_json,
    handle_errors,
    load_responses,
    read_options,
    store_option,
)

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Audit benchmark items: wrong gold answers, broken items."""


def _responses(paths: tuple[str, ...], store_path: str | None, read_kwargs: dict[str, Any]):
    return load_responses(paths, store_path, read_kwargs)


def _print(rows: list[dict[str, Any]], result, data, shown: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{data.task}[/bold] ({data.metric}): {result.n_items:,} items, {len(result.models)} models; "
        f"{result.n_suspects:,} suspect(s) with suspicion >= {result.threshold:g}; "
        f"{int(result.all_correct.sum()):,} items every model solves, {int(result.all_wrong.sum()):,} every model "
        f"fails (hard or easy, not broken); error correlation {result.error_correlation:.2f}; "
        f"estimated share of wrong gold answers {result.prior_error:.1%}." + _rates_line(result),
        markup=True,
        highlight=False,
    )
    table = Table(show_lines=False)
    for col in ("item", "gold", "competing", "votes", "P(gold wrong)", "reasons"):
        table.add_column(col, overflow="fold")
    for r in rows[:shown]:
        table.add_row(r["item"], r["gold"], r["competing"], f"{r['competing_votes']}/{r['n_voters']}",
                      f"{r['p_wrong']:.2f}", r["reasons"])  # fmt: skip
    console.print(table)


def _rates_line(result) -> str:
    r = result.flag_error_rates.get("suspect") or {}
    if r.get("false_flag_rate") is None:
        return ""
    return (f" Measured on simulations ({r['simulation']}): {100 * r['false_flag_rate']:.2g}% of clean items "
            f"flagged, precision >= {r['precision']:.2f}, recall >= {r['recall']:.2f}.")  # fmt: skip


@audit.command("items")
@click.argument("results", nargs=-1, type=click.Path(exists=True))
@store_option
@read_options
@click.option("--task", default=None, help="Task to audit (needed when the results hold several).")
@click.option(
    "--metric",
    default=None,
    help="Metric whose rows carry the predictions (default: the only one).",
)
@click.option(
    "--blind",
    multiple=True,
    metavar="MODEL",
    help="A baseline run without the needed input (repeatable).",
)
@click.option(
    "--threshold",
    type=float,
    default=0.5,
    show_default=True,
    help="Suspicion at which an item is a suspect.",
)
@click.option(
    "--prior-error",
    default="estimate",
    show_default=True,
    help="Prior probability of a wrong gold answer, or 'estimate' (from the data, method irt).",
)
@click.option(
    "--method",
    type=click.Choice(["irt", "vote"]),
    default="irt",
    show_default=True,
    help="Answer model: abilities, difficulties and distractor attraction (irt), or the weighted vote.",
)
@click.option(
    "--n-choices",
    type=int,
    default=None,
    help="Number of possible answers (default: distinct answers seen).",
)
@click.option("--top", type=int, default=None, help="Write only the top N suspects.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the suspects to FILE (.csv, .tsv or .json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON.")
@handle_errors
def items(
    results,
    store_path,
    task,
    metric,
    blind,
    threshold,
    prior_error,
    method,
    n_choices,
    top,
    output,
    as_json,
    **kwargs,
):  # noqa: PLR0913
    """Suspect gold answers in RESULTS, ranked, with the competing answer, votes and reasons."""
    from assay.report._review import audit_responses, suspect_rows, write_suspects

    if prior_error != "estimate":
        try:
            prior_error = float(prior_error)
        except ValueError:
            raise click.BadParameter(f"must be 'estimate' or a number in [0, 1); got {prior_error!r}.",
                                     param_hint="--prior-error") from None  # fmt: skip
    responses = _responses(results, store_path, collect_read_options(kwargs))
    result, data = audit_responses(
        responses, task=task, metric=metric, blind=list(blind) or None, threshold=threshold,
        prior_error=prior_error, n_choices=n_choices, method=method,
    )  # fmt: skip
    rows = suspect_rows(result, data, top=top)
    written = write_suspects(rows, output) if output else None
    if as_json:
        echo_json({"task": data.task, "metric": data.metric, "n_items": result.n_items,
                   "n_suspects": result.n_suspects, "n_all_correct": int(result.all_correct.sum()),
                   "n_all_wrong": int(result.all_wrong.sum()), "error_correlation": result.error_correlation,
                   "method": result.method, "prior_error": result.prior_error,
                   "flag_error_rates": result.flag_error_rates, "suspects": rows, "written": written})  # fmt: skip
        return
    shown = 20 if top is None else top
    _print(rows, result, data, shown)
    if len(rows) > shown:
        click.echo(
            f"showing the top {shown} of {len(rows):,} suspects"
            + ("; all are in the file written." if written else "; write them all with -o FILE.")
        )
    if not any(data.questions):
        click.echo(
            "note: these logs carry no question text (the `input` column is empty), so the "
            "suspects file's 'question' column is empty; lm-eval samples, Inspect and HELM logs "
            "carry it, and `assay demo --export-data` includes MMLU-Pro's."
        )
    if written:
        click.echo(f"wrote {len(rows)} suspect(s) to {written}; fill in 'verdict' (error/ok/ambiguous) and "
                   f"'corrected', then run: assay report RESULTS --review {written}")  # fmt: skip
