"""Helpers shared by the commands: error handling, store option, JSON output."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import click

from assay._core import AssayError

__all__ = [
    "STORE_ENV",
    "align_option",
    "collect_read_options",
    "default_store_path",
    "echo_json",
    "echo_wrapped",
    "handle_errors",
    "load_matrix",
    "load_responses",
    "load_result",
    "parse_map",
    "read_options",
    "store_option",
]

STORE_ENV = "ASSAY_STORE"


def default_store_path() -> str:
    """The store path: ``$ASSAY_STORE`` or ``.assay/results.duckdb`` under the working directory."""
    from assay.store import default_store_path as store_default

    return store_default()


def store_option(f: Callable) -> Callable:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"Results store (DuckDB file). Default: ${STORE_ENV} or .assay/results.duckdb.",
    )(f)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


def handle_errors(f: Callable) -> Callable:
    """Turn assay's own errors into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one plain line, not a source path and code
            try:
                return f(*args, **kwargs)
            except AssayError as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)

    return wrapper


def echo_json(data: Any) -> None:
    """Print JSON with sorted keys (stable for scripts)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False))


def text_width() -> int:
    """Columns to wrap printed text at: the terminal's ($COLUMNS), at most 100."""
    import shutil

    return max(40, min(100, shutil.get_terminal_size(fallback=(100, 24)).columns))


def echo_wrapped(text: str, *, indent: str = "", err: bool = False) -> None:
    """Print ``text`` wrapped to :func:`text_width`, continuation lines indented under the first."""
    import textwrap

    lead = len(text) - len(text.lstrip(" "))
    click.echo(
        textwrap.fill(
            text.strip(),
            width=text_width(),
            initial_indent=" " * lead,
            subsequent_indent=" " * lead + (indent or "    "),
            break_on_hyphens=False,
            break_long_words=False,
        ),
        err=err,
    )


def parse_map(value: str | None) -> dict[str, str]:
    """Parse ``--map item=question_id,model=system`` into a dict; errors name the bad part."""
    from assay._core import InputError

    out: dict[str, str] = {}
    if not value:
        return out
    for part in value.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(f"`--map` entries must look like ours=theirs; got {part!r}.")
        ours, theirs = (s.strip() for s in part.split("=", 1))
        if not ours or not theirs:
            raise InputError(f"`--map` entries must look like ours=theirs; got {part!r}.")
        out[ours] = theirs
    return out


def read_options(f: Callable) -> Callable:
    """Options every command that reads results accepts; they arrive as keyword arguments."""
    decorators = [
        click.option(
            "--on-duplicate",
            type=click.Choice(["newest", "raise", "first", "last"]),
            default="newest",
            show_default=True,
            help="Two rows for the same model, task, item, sample and metric: keep the newest run "
            "(a rerun into the same output folder; older runs are named in a note), refuse, or "
            "keep the first or last row read.",
        ),
        click.option(
            "--map",
            "column_map",
            default=None,
            metavar="OURS=THEIRS,...",
            help="Plain tables: map our columns to yours, e.g. item=question_id,model=system.",
        ),
        click.option(
            "--cluster-field", default=None, help="Per-item metadata field to use as the cluster."
        ),
        click.option(
            "--subject-field", default=None, help="Per-item metadata field to use as the subject."
        ),
        click.option(
            "--as-model", default=None, help="Use this model name instead of the one the log gives."
        ),
        click.option(
            "--step-pattern",
            default=None,
            metavar="REGEX",
            help="Checkpoints: a regular expression whose group 'step' (or first group) finds the "
            "training step in a run's model name, revision or file name.",
        ),
        click.option(
            "--as-task", default=None, help="Plain tables without a task column: the task name."
        ),
        click.option(
            "--as-metric",
            default=None,
            help="Plain tables without a metric column: the metric name.",
        ),
        click.option(
            "--wide/--long",
            "wide",
            default=None,
            help="Plain tables: one column per model (--wide) or long format (--long); default: detect.",
        ),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def collect_read_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the options of :func:`read_options` from ``kwargs`` as keyword arguments of ``assay.read``."""
    return {
        "on_duplicate": kwargs.pop("on_duplicate", "newest"),
        "column_map": parse_map(kwargs.pop("column_map", None)),
        "cluster_field": kwargs.pop("cluster_field", None),
        "subject_field": kwargs.pop("subject_field", None),
        "model": kwargs.pop("as_model", None),
        "step_pattern": kwargs.pop("step_pattern", None),
        "task": kwargs.pop("as_task", None),
        "metric": kwargs.pop("as_metric", None),
        "wide": kwargs.pop("wide", None),
    }


def load_result(
    paths: tuple[str, ...] | list[str],
    store_path: str | None,
    read_kwargs: dict[str, Any],
    progress: Callable[[str], None] | None = None,
):
    """What a command reads: RESULTS files or folders, or the store (``--store`` or the default one).

    The one loader (:func:`assay.store.load_results`), as the report uses. Giving both is refused;
    giving neither reads the default store, which must exist.
    """
    from assay.store import load_results

    return load_results(list(paths) or None, store=store_path, progress=progress, **read_kwargs)


def load_responses(
    paths: tuple[str, ...] | list[str], store_path: str | None, read_kwargs: dict[str, Any]
):
    """The long table of :func:`load_result`."""
    return load_result(paths, store_path, read_kwargs).responses


def load_matrix(
    paths: tuple[str, ...] | list[str],
    store_path: str | None,
    read_kwargs: dict[str, Any],
    *,
    task: str | None,
    metric: str | None,
    models: list[str] | None = None,
    align: str = "intersect",
):
    """One task and metric, item sets aligned by :meth:`assay.ScoreMatrix.common` (the report's rule).

    Prints, on stderr, the one sentence that says which items were used when models differ.
    """
    from assay.io import alignment_note
    from assay.store import load_matrix as library_load_matrix

    result = load_result(paths, store_path, read_kwargs)
    matrix = library_load_matrix(result, task, metric, models=models, align=align)
    note = alignment_note(matrix)
    if note:
        click.echo(f"note: {note}", err=True)
    return matrix


def align_option(f: Callable) -> Callable:
    """``--align``: the one rule for models scored on different items (``--missing`` also works)."""
    return click.option(
        "--align",
        "--missing",
        "align",
        type=click.Choice(["intersect", "raise"]),
        default="intersect",
        show_default=True,
        help="Models scored on different items: use the items all of them answered (as the "
        "report does), or refuse.",
    )(f)


def progress_bars() -> Any:
    """A rich ``Progress`` on stderr that shows only on a terminal and disappears when done.

    Quiet when stderr goes to a file or a pipe. Columns: spinner, description, bar, count, time.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class _Count(ProgressColumn):
        """'3/10', or how many so far when the total is not known (never '0/None')."""

        def render(self, task) -> Text:
            if task.total is None:
                return Text(f"{int(task.completed)}" if task.completed else "")
            return Text(f"{int(task.completed)}/{int(task.total)}")

    err = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _Count(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


@contextlib.contextmanager
def step_progress(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar (:func:`progress_bars`) for ``total`` named steps; yields the per-step callback.

    The callback takes the name of the step that is starting.
    """
    with progress_bars() as bars:
        task = bars.add_task(description, total=total)
        started: list[str] = []

        def step(name: str) -> None:
            if started:
                bars.advance(task)
            started.append(name)
            bars.update(task, description=f"{description}: {name}")

        yield step
        bars.update(task, completed=total)


def print_table(
    title: str, columns: list[str], rows: list[list[str]], *, left: tuple[str, ...] = ()
) -> None:
    """A rich table on a terminal; tab-separated lines (title, header, rows) in a pipe.

    The first column and the columns named in ``left`` are left-aligned, the rest right-aligned.
    """
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for k, c in enumerate(columns):
            table.add_column(c, justify="left" if k == 0 or c in left else "right")
        for r in rows:
            table.add_row(*r)
        Console(highlight=False).print(table)
        return
    click.echo(title)
    click.echo("\t".join(columns))
    for r in rows:
        click.echo("\t".join(r))
