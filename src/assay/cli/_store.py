"""`assay ingest`, `assay runs`, `assay rm` and `assay show`: the results store from the shell."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    default_store_path,
    echo_json,
    handle_errors,
    read_options,
    store_option,
)

__all__ = ["SHOW_JSON_VERSION", "ingest", "rm", "runs", "show"]

SHOW_JSON_VERSION = 1
"""Version of the ``assay show --json`` document (docs/show-json.md)."""

_RUN_COLUMNS = (
    "run_id",
    "model",
    "task",
    "items",
    "samples",
    "metrics",
    "aggregates",
    "harness",
    "created",
    "source",
)
_AGGREGATE_COLUMNS = (
    "kind",
    "model",
    "task",
    "metric",
    "step",
    "value",
    "stderr",
    "n",
    "aggregation",
    "level",
)
_AGGREGATE_FIELDS = (
    "model",
    "task",
    "metric",
    "step",
    "value",
    "stderr",
    "n",
    "aggregation",
    "corpus_level",
    "higher_is_better",
    "level",
    "harness",
    "run_id",
)
_SHOW_COLUMNS = (
    "model",
    "task",
    "metric",
    "items",
    "samples",
    "responses",
    "missing_scores",
    "mean_score",
)


def _tty() -> bool:
    return sys.stdout.isatty()


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str], None] | None]:
    """A spinner on stderr when it is a terminal; nothing otherwise (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting") as status:
        yield lambda message: status.update(message)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    if isinstance(value, int):
        return f"{value:,}" if _tty() else str(value)
    return str(value)


def _print_rows(title: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """A rich table on a terminal; otherwise a header and one tab-separated line per row."""
    if _tty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for c in columns:
            table.add_column(
                c, justify="right" if rows and isinstance(rows[0].get(c), int | float) else "left"
            )
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns), style=None)
        Console(highlight=False).print(table)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(_cell(row.get(c)) for c in columns))


def _open_store(store_path: str | None, *, create: bool) -> Any:
    from assay.store import Store

    return Store(store_path or default_store_path(), create=create)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_option
@read_options
@handle_errors
def ingest(paths: tuple[str, ...], store_path: str | None, **kwargs: Any) -> None:
    """Add results files or folders to the store (each run in its own transaction).

    A file already in the store (same content, by SHA-256) is skipped and said so; a file that
    changed since it was ingested replaces its old run.
    """
    from assay.io import read

    options = collect_read_options(kwargs)
    with _progress() as progress:
        reading = None if progress is None else (lambda p: progress(f"reading {p}"))
        result = read(list(paths), progress=reading, **options)  # read first: no store on error
        store = _open_store(store_path, create=True)
        stored = "raise" if options["on_duplicate"] == "newest" else options["on_duplicate"]
        report = store.add(result, on_duplicate=stored, progress=progress)
    rows = [
        {
            "status": "added",
            "run_id": r.run_id,
            "model": ",".join(r.models),
            "task": ",".join(r.tasks),
            "responses": r.responses,
            "detail": r.reason or r.source,
        }
        for r in report.added
    ] + [
        {
            "status": "skipped",
            "run_id": r.run_id,
            "model": ",".join(r.models),
            "task": ",".join(r.tasks),
            "responses": r.responses,
            "detail": r.reason,
        }
        for r in report.skipped
    ]
    if rows:
        _print_rows("ingest", ("status", "run_id", "model", "task", "responses", "detail"), rows)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(str(report))


@click.command()
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@handle_errors
def runs(store_path: str | None, as_json: bool) -> None:
    """List the runs in the store: model, task, items, samples, metrics, harness, created, source."""
    store = _open_store(store_path, create=False)
    rows = store.run_summary().to_pylist()
    if as_json:
        echo_json({"store": store.path, "runs": rows})
        return
    if not rows:
        click.echo(f"no runs in the store {store.path}")
        return
    _print_rows(f"runs in {store.path}", _RUN_COLUMNS, rows)


@click.command()
@click.argument("run_id")
@store_option
@handle_errors
def rm(run_id: str, store_path: str | None) -> None:
    """Remove a run and its responses from the store."""
    store = _open_store(store_path, create=False)
    n = store.remove(run_id)
    click.echo(f"removed run {run_id} ({n:,} responses) from {store.path}")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@store_option
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields: docs/show-json.md).")
@handle_errors
def show(paths: tuple[str, ...], store_path: str | None, as_json: bool, **kwargs: Any) -> None:
    """Summarise results: items, samples and mean score per model, task and metric.

    Two kinds of rows: per-item results (counted and averaged here from the items), and the
    aggregates the harness reported (value, stderr, n as the results file says them), listed
    after them with kind "aggregate". Reads PATHS (files or folders) when given; otherwise the
    store (--store, $ASSAY_STORE or .assay/results.duckdb).
    """
    from assay._core import InputError

    options = collect_read_options(kwargs)
    if paths:
        if store_path:
            raise InputError("give PATHS or --store, not both.")
        from assay.io import read
        from assay.store import summarize

        result = read(list(paths), **options)
        table, notes = summarize(result.responses), list(result.notes)
        aggregates = result.aggregates
        source: dict[str, Any] = {"kind": "files", "paths": list(paths)}
    else:
        flag = {"column_map": "--map"}
        given = [
            flag.get(k, f"--{k.replace('_', '-')}")
            for k, v in options.items()
            if v not in (None, {}, "raise", "newest")
        ]
        if given:
            raise InputError(f"{', '.join(given)} apply only when reading PATHS, not the store.")
        store = _open_store(store_path, create=False)
        table, notes = store.summary(), []
        aggregates = store.aggregates()
        source = {"kind": "store", "path": store.path}
    rows = [{"kind": "per-item", **r} for r in table.to_pylist()]
    agg_rows = _aggregate_rows(aggregates)
    if as_json:
        echo_json(
            {
                "format": "assay.show",
                "version": SHOW_JSON_VERSION,
                "source": source,
                "groups": rows,
                "aggregates": agg_rows,
                "notes": notes,
            }
        )
        return
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if not rows and not agg_rows:
        click.echo("no responses")
        return
    if rows:
        _print_rows("per-item results", _SHOW_COLUMNS, rows)
    else:
        click.echo("no per-item responses; the harness's aggregates follow")
    if agg_rows:
        click.echo("")
        _print_rows(
            "aggregates as the harness reported them (not recomputed from items)",
            _AGGREGATE_COLUMNS,
            agg_rows,
        )


def _aggregate_rows(aggregates: Any) -> list[dict[str, Any]]:
    """The aggregate table as show's rows, sorted by model, task, metric, step and run."""
    rows = [
        {"kind": "aggregate", **{k: r[k] for k in _AGGREGATE_FIELDS}}
        for r in aggregates.to_pylist()
    ]
    rows.sort(
        key=lambda r: (
            r["model"],
            r["task"],
            r["metric"],
            -1 if r["step"] is None else r["step"],
            r["run_id"],
        )
    )
    return rows
