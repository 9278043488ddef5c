"""`read`: detect the format of each file or folder from its content and read it."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from assay._core import InputError
from assay.io._duplicates import keep_newest_runs, merge_same_logs
from assay.io._options import ReadOptions
from assay.io._schema import TOO_DEEP, MissingCompanionError, ReadResult, concat_results
from assay.io._validate import resolve_duplicates, validate_responses

__all__ = ["FORMATS", "ON_DUPLICATE", "detect_format", "read"]

# Order matters: folder formats and specific formats first, plain tables last. lm_eval's claim
# (byte markers) runs before Inspect's (which parses the top-level keys of each JSON file): on a
# folder of 432 lm-eval results files that is a third of the reading time (issue 15).
FORMATS: tuple[str, ...] = ("helm", "lm_eval", "inspect", "lighteval", "openai_evals", "tables")

ON_DUPLICATE: tuple[str, ...] = ("newest", "raise", "first", "last")
"""The choices of ``on_duplicate`` (:func:`read`), the default first."""

# Files that are never results: skipped quietly inside folders.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", ".gitkeep"}
_IGNORED_SUFFIXES = {".md", ".txt", ".log", ".yaml", ".yml", ".py", ".sh", ".html", ".png", ".svg"}


def _reader(name: str) -> ModuleType:
    return importlib.import_module(f"assay.io._{name}")


def detect_format(path: str | os.PathLike) -> str | None:
    """Return the name of the format of a file or folder, or None when no reader claims it."""
    p = Path(path)
    for name in FORMATS:
        try:
            if _reader(name).claim(p):
                return name
        except InputError:
            raise
        except RecursionError:
            raise InputError(TOO_DEEP, path=str(p)) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    return None


def read(
    paths: Any,
    *,
    format: str | None = None,  # noqa: A002
    on_duplicate: str = "newest",
    model: str | None = None,
    cluster_field: str | None = None,
    subject_field: str | None = None,
    column_map: Mapping[str, str] | None = None,
    task: str | None = None,
    metric: str | None = None,
    wide: bool | None = None,
    step_pattern: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReadResult:
    """Read results files, folders or DataFrames into one long table.

    Parameters
    ----------
    paths : path, DataFrame, or a list of them
        Files or folders; the format of each is detected from its content. A folder is searched
        recursively; files in it that no reader claims are listed in ``notes``, never silently
        skipped. A pandas DataFrame is read as a plain table.
    format : str, optional
        Force a format (one of :data:`FORMATS`) instead of detecting it.
    on_duplicate : {'newest', 'raise', 'first', 'last'}, default 'newest'
        What to do with two rows for the same (model, task, item, sample, metric). The same log
        read twice (a copy, or an Inspect ``.eval`` and its ``.json`` export) is always read once.
        ``'newest'``: where two runs of one model and task give the same items (a rerun into the
        same lm-eval output folder), the newest run is kept whole and the older ones are left
        out, named in ``notes``; duplicates inside one run raise. ``'raise'``: any duplicate is
        an error naming both sources. ``'first'``/``'last'``: keep the row read first/last.
    model, cluster_field, subject_field, column_map, task, metric, wide, step_pattern
        See :class:`~assay.io.ReadOptions`.
    progress : callable, optional
        Called with each source path before it is read.

    Returns
    -------
    ReadResult
        ``responses`` (the long table), ``runs``, ``notes``, ``sources`` and ``aggregates``
        (what the harnesses reported as summaries, :data:`~assay.io.AGGREGATE_SCHEMA`).

    Raises
    ------
    InputError
        A path that does not exist, a file no reader claims, a malformed file (naming the file,
        the line or record and the field), or duplicates with ``on_duplicate='raise'``.
    """
    from assay._core._validation import check_choice

    check_choice(on_duplicate, "on_duplicate", ON_DUPLICATE)
    if format is not None:
        check_choice(format, "format", FORMATS)
    _check_step_pattern(step_pattern)
    options = ReadOptions(
        model=model,
        cluster_field=cluster_field,
        subject_field=subject_field,
        column_map=dict(column_map or {}),
        task=task,
        metric=metric,
        wide=wide,
        step_pattern=step_pattern,
    )
    if isinstance(paths, str | os.PathLike) or _is_dataframe(paths):
        paths = [paths]
    results: list[ReadResult] = []
    consumed: set[Path] = set()
    skipped: list[str] = []
    orphans: list[str] = []
    for source in paths:
        if _is_dataframe(source):
            results.append(_read_source("tables", source, options))
            continue
        p = Path(source)
        if not p.exists():
            raise InputError("no such file or folder", path=str(p))
        for name, target in _expand(p, format, skipped):
            if target.resolve() in consumed:
                continue
            if progress is not None:
                progress(str(target))
            try:
                result = _read_source(name, target, options)
            except MissingCompanionError as exc:
                if target == p:  # named by the caller: an error
                    raise
                orphans.append(str(exc))
                continue
            consumed.update(Path(s).resolve() for s in result.sources)
            consumed.add(target.resolve())
            results.append(result)
    if not results:
        where = ", ".join(str(p) for p in paths)
        raise InputError(
            f"found no results in {where}"
            + (
                f" (skipped, no known format: {', '.join(skipped[:5])})"
                if skipped
                else " (no file of a known format there)"
            )
            + (f"; {orphans[0]}" if orphans else "")
            + ". Looked for: lm-evaluation-harness results_*.json (with samples_*.jsonl), Inspect "
            ".eval/.json logs, HELM run folders, lighteval results and details, OpenAI evals "
            "JSONL, and CSV/JSONL/Parquet tables."
        )
    results, same = merge_same_logs(results)
    merged = concat_results(results)
    merged.notes.extend(same)
    merged.responses, notes = validate_responses(merged.responses)
    merged.notes.extend(notes)
    if on_duplicate == "newest":
        merged.responses, merged.runs, notes = keep_newest_runs(merged.responses, merged.runs)
        merged.notes.extend(notes)
    merged.responses, notes = resolve_duplicates(
        merged.responses,
        merged.runs,
        on_duplicate="raise" if on_duplicate == "newest" else on_duplicate,
    )
    merged.notes.extend(notes)
    if orphans:
        merged.notes.append(
            f"{len(orphans)} file(s) not read for want of a companion file: "
            + "; ".join(orphans[:5])
            + (" ..." if len(orphans) > 5 else "")
        )
    if skipped:
        merged.notes.append(
            f"skipped {len(skipped)} file(s) of no known format: {', '.join(skipped[:5])}"
            + (" ..." if len(skipped) > 5 else "")
        )
    return merged


def _read_source(name: str, source: Any, options: ReadOptions) -> ReadResult:
    """One reader on one source; what no reader should let escape becomes an InputError."""
    where = str(source) if not _is_dataframe(source) else "<DataFrame>"
    try:
        if _is_dataframe(source):
            return _reader(name).read_dataframe(source, options)
        return _reader(name).read(source, options)
    except RecursionError:
        raise InputError(TOO_DEEP, path=where) from None
    except UnicodeEncodeError as exc:
        raise InputError(
            f"holds text that is not valid Unicode ({exc.reason}: {exc.object[exc.start : exc.end]!r})",
            path=where,
        ) from None


def _expand(path: Path, format: str | None, skipped: list[str]) -> Iterable[tuple[str, Path]]:
    """Yield (format, path) for a file or for every readable source in a folder."""
    if path.is_file():
        name = format or detect_format(path)
        if name is None:
            raise InputError(
                "unknown format: not an lm-evaluation-harness, Inspect, HELM, lighteval or OpenAI "
                "evals log, nor a CSV, JSONL or Parquet table",
                path=str(path),
            )
        yield name, path
        return
    if not path.is_dir():  # a device, a pipe or a socket: not something to read results from
        raise InputError("is neither a file nor a folder", path=str(path))
    name = format if format in ("helm",) else detect_format(path)
    if name is not None:
        yield name, path
        return
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or child.name in _IGNORED_NAMES:
            continue
        if child.is_dir():
            yield from _expand(child, format, skipped)
            continue
        name = format or detect_format(child)
        if name is None:
            if child.suffix.lower() not in _IGNORED_SUFFIXES:
                skipped.append(str(child))
            continue
        yield name, child


def _check_step_pattern(pattern: str | None) -> None:
    if pattern is None:
        return
    import re

    if not isinstance(pattern, str):
        raise InputError(f"`step_pattern` must be a regular expression string; got {pattern!r}.")
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"`step_pattern` is not a valid regular expression: {exc}; got {pattern!r}."
        ) from None
    if "step" not in rx.groupindex and rx.groups < 1:
        raise InputError(
            "`step_pattern` must have a group (named 'step' or the first) that matches the "
            rf"step's digits, e.g. 'ckpt(\d+)'; got {pattern!r}."
        )


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")
