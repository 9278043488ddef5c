"""Runs read more than once, and reruns: which responses to keep when sources overlap.

Two situations are told apart before any row-level duplicate check
(:func:`~assay.io.resolve_duplicates`):

- **the same log read twice**: a file read under two names (identical content, so the same
  ``run_id``), or an Inspect log present both as ``.eval`` and as its ``.json`` export (the same
  ``eval_id``, or for logs older than ``eval_id`` the same Inspect ``run_id`` and ``task_id``). It is
  one run: :func:`merge_same_logs` keeps the copy with the most responses (the first read on a
  tie) and says so in a note.
- **a rerun**: two different runs of one model on one task that give the same items, as when
  lm-eval writes a second ``results_<date>.json`` into the same output folder. With
  ``on_duplicate='newest'`` (the default of :func:`assay.read`) :func:`keep_newest_runs` keeps every
  response of the newest run (by ``created``; by read order where a date is missing) and leaves the
  older runs out whole, naming them in a note, so that a model's scores never mix two runs.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay.io._schema import ReadResult
from assay.io._validate import group_rows

__all__ = ["keep_newest_runs", "merge_same_logs"]

_KEY = ("model", "task", "item", "sample", "metric")


def _identity(run: dict[str, Any]) -> tuple:
    """What makes two run rows the same log."""
    if run["harness"] == "inspect" and run.get("config"):
        try:
            config = json.loads(run["config"])
        except ValueError:
            config = {}
        if not isinstance(config, dict):
            config = {}
        config = {k: v for k, v in config.items() if isinstance(v, str) and v}
        if config.get("eval_id"):
            return ("inspect", config["eval_id"], run["model"], run["task"])
        if config.get("inspect_run_id") and config.get("task_id"):
            ids = (config["inspect_run_id"], config["task_id"])
            return ("inspect", *ids, run["model"], run["task"])
    return ("run_id", run["run_id"])


def merge_same_logs(results: Sequence[ReadResult]) -> tuple[list[ReadResult], list[str]]:
    """Keep one copy of each log read more than once; a note names the copies left out.

    Parameters
    ----------
    results : sequence of ReadResult
        What each source gave, in read order.

    Returns
    -------
    results : list of ReadResult
        The same results less the runs (run rows and responses) of the copies left out.
    notes : list of str
    """
    copies: dict[tuple, list[tuple[int, dict[str, Any], int]]] = {}
    for i, result in enumerate(results):
        counts = _rows_per_run(result.responses)
        for run in result.runs.to_pylist():
            copies.setdefault(_identity(run), []).append((i, run, counts.get(run["run_id"], 0)))
    drop: dict[int, set[str]] = {}
    notes = []
    for ident, found in copies.items():
        if len({i for i, _, _ in found}) < 2:
            continue
        keep = max(found, key=lambda f: (f[2], -f[0]))  # most responses, then first read
        others = [f for f in found if f[0] != keep[0]]
        for i, run, _ in others:
            drop.setdefault(i, set()).add(run["run_id"])
        if ident[0] == "run_id":
            why = "identical content"
        elif len(ident) == 4:
            why = f"Inspect eval_id {ident[1]}"
        else:
            why = f"Inspect run_id {ident[1]}, task_id {ident[2]}"
        left = sorted({run["source"] for _, run, _ in others} - {keep[1]["source"]})
        notes.append(
            f"{keep[1]['source']} and {', '.join(left) or 'another copy of it'} are the same log "
            f"({why}; model {keep[1]['model']!r}, task {keep[1]['task']!r}); read once, from "
            f"{keep[1]['source']}"
        )
    if not drop:
        return list(results), []
    out = []
    for i, result in enumerate(results):
        if i not in drop:
            out.append(result)
            continue
        gone = pa.array(sorted(drop[i]), pa.string())
        out.append(
            ReadResult(
                result.responses.filter(pc.invert(pc.is_in(result.responses["run_id"], gone))),
                result.runs.filter(pc.invert(pc.is_in(result.runs["run_id"], gone))),
                list(result.notes),
                list(result.sources),
            )
        )
    return out, notes


def keep_newest_runs(table: pa.Table, runs: pa.Table) -> tuple[pa.Table, pa.Table, list[str]]:
    """Where runs of one (model, task) give the same responses, keep only the newest run.

    Parameters
    ----------
    table : pyarrow.Table
        The long table.
    runs : pyarrow.Table
        Its runs; ``created`` orders them (ISO 8601; a date without a zone is taken as UTC), and
        a run without a date counts as older than any dated one, then by read order.

    Returns
    -------
    table, runs : pyarrow.Table
        Without the older runs that overlapped a newer one. Runs of one model and task that give
        different items (a task read in shards) are all kept.
    notes : list of str
        One per (model, task) resolved, naming the run kept and the runs left out.
    """
    if table.num_rows == 0:
        return table, runs, []
    overlapping = _overlapping_runs(table)
    if not overlapping:
        return table, runs, []
    info = {r["run_id"]: (k, r) for k, r in enumerate(runs.to_pylist())}
    by_pair: dict[tuple[str, str], set[str]] = {}
    for group in overlapping:
        for run_id in group:
            _, run = info.get(run_id, (0, {"model": "?", "task": "?"}))
            by_pair.setdefault((run["model"], run["task"]), set()).update(group)
    dropped: set[str] = set()
    notes = []
    for (model, task), run_ids in sorted(by_pair.items()):
        order = sorted(run_ids, key=lambda r: _age_key(info.get(r)))
        newest, older = order[-1], order[:-1]
        dropped.update(older)
        notes.append(_rerun_note(model, task, info.get(newest), [info.get(r) for r in older]))
    gone = pa.array(sorted(dropped), pa.string())
    table = table.filter(pc.invert(pc.is_in(table["run_id"], gone)))
    runs = runs.filter(pc.invert(pc.is_in(runs["run_id"], gone)))
    return table, runs, notes


def _rows_per_run(table: pa.Table) -> dict[str, int]:
    if table.num_rows == 0:
        return {}
    counts = pc.value_counts(table["run_id"])
    return {c["values"].as_py(): c["counts"].as_py() for c in counts}


def _overlapping_runs(table: pa.Table) -> list[frozenset[str]]:
    """Sets of distinct runs that give at least one same (model, task, item, sample, metric)."""
    _, inverse, counts = group_rows(table, _KEY)
    run_codes = pc.dictionary_encode(table.column("run_id")).combine_chunks()
    run_idx = np.asarray(run_codes.indices, np.int64)
    run_names = run_codes.dictionary.to_pylist()
    dup_rows = np.flatnonzero(counts[inverse] > 1)
    if dup_rows.size == 0:
        return []
    pairs = np.unique(np.stack([inverse[dup_rows], run_idx[dup_rows]], axis=1), axis=0)
    group, run = pairs[:, 0], pairs[:, 1]
    starts = np.r_[True, group[1:] != group[:-1]]
    anchor = run[starts][np.cumsum(starts) - 1]  # the first run of each duplicate group
    edges = np.unique(np.stack([anchor, run], axis=1)[anchor != run], axis=0)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    for a, b in edges.tolist():
        parent[root(b)] = root(a)
    components: dict[int, set[str]] = {}
    for i in list(parent):
        components.setdefault(root(i), set()).add(run_names[i])
    return [frozenset(c) for c in components.values() if len(c) > 1]


def _age_key(entry: tuple[int, dict[str, Any]] | None) -> tuple:
    if entry is None:
        return (0, _dt.datetime.min.replace(tzinfo=_dt.UTC), -1)
    k, run = entry
    when = _parse_created(run.get("created"))
    return (when is not None, when or _dt.datetime.min.replace(tzinfo=_dt.UTC), k)


def _parse_created(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=_dt.UTC)


def _describe(entry: tuple[int, dict[str, Any]] | None) -> str:
    if entry is None:
        return "an unknown run"
    run = entry[1]
    return f"{run['source']} ({run.get('created') or 'no date'})"


def _rerun_note(model: str, task: str, newest, older: list) -> str:
    return (
        f"model {model!r}, task {task!r}: {len(older) + 1} runs give the same items; kept the "
        f"newest, {_describe(newest)}, and left out {', '.join(_describe(o) for o in older)} "
        "(on_duplicate='newest'; 'first', 'last' or 'raise' choose otherwise)"
    )
