"""Reader for lighteval logs: ``results_<date>.json`` and ``details_<task>_<date>.parquet``.

lighteval's ``EvaluationTracker.save()`` writes, under its output folder::

    results/<model>/results_<date>.json
    details/<model>/<date>/details_<task>_<date>.parquet      (one per task)

The results file holds ``config_general`` (with ``model_name``) and aggregate ``results`` per
task (``suite|task|fewshot`` before lighteval 0.10, ``task|fewshot`` since). Per-item scores are
only in the details files, which come in two layouts:

- **flat** (lighteval < 0.10): one column per field: ``example``, ``instruction``,
  ``full_prompt``, ``predictions``, ``choices``, ``gold``, ``gold_index``, ``metrics`` (a
  struct or JSON object of metric name -> score), ``specifics``, ... There is no document id:
  the item id is the row's 0-based index in the file, which lighteval writes in document order.
- **nested** (lighteval >= 0.10): three struct columns, ``doc`` (``query``, ``choices``,
  ``gold_index``, ``id``, ``task_name``, ``specific``, ...), ``model_response`` (``text``,
  ``logprobs``, ...) and ``metric`` (metric name -> score). The item id is ``doc.id`` (lighteval
  sets it to the document's index in the task), or the row index when a file lacks it.

Mapping to the long table: one row per (item, metric) with ``sample`` 0; ``score`` from the
metrics dict (booleans as 0/1; a metric whose per-sample value is not a number, such as the
inputs a corpus-level metric keeps per sample, is left out and named in ``notes``);
``choice_logprobs`` from the per-choice log-likelihoods where the details hold one per choice
(nested ``model_response.logprobs`` of a response without text; flat ``predictions`` of
``[logprob, is_greedy]`` pairs or floats); ``target`` the gold choice(s) or gold text;
``prediction`` the generated text; ``input`` the query. ``cluster`` and ``subject`` come from
the named key of ``doc.specific`` / ``specifics``.

A results file is read together with its details (all listed in ``ReadResult.sources``), and a
details file that has its results sibling is read through it, so that a folder reads each run
once. The run id is ``"lighteval-"`` plus the first 16 hex digits of the SHA-256 of the results
file followed by its details files (sorted), or of the lone details file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assay._core import InputError
from assay.io import _aggregates
from assay.io._options import ReadOptions
from assay.io._schema import TOO_DEEP, ReadResult, ResponseBuilder, RunInfo, file_sha256

__all__ = ["NAME", "claim", "read"]

NAME = "lighteval"

_HEAD_BYTES = 64 * 1024
_RESULTS_NAME = re.compile(r"^results_(?P<date>.+)\.json$")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}(?:\.\d+)?)$")
_NESTED = ("doc", "model_response", "metric")
_FLAT = ("example", "metrics")
_AGGREGATE_TASK = re.compile(r"(^all$|:_average\|)")


# --------------------------------------------------------------------------- claim


def claim(path: Path) -> bool:
    """Whether ``path`` is a lighteval results JSON or details parquet; reads at most 64 KB.

    A results file is a JSON object whose first 64 KB name ``config_general``; a details file is
    a Parquet file with the columns of either layout (read from its footer only), or a
    ``details_*.parquet`` that cannot be read but has its results file beside it.
    """
    path = Path(path)
    if not path.is_file():
        return False
    name = path.name.lower()
    if name.endswith(".json"):
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
        return head.lstrip().startswith(b"{") and b'"config_general"' in head
    if name.endswith(".parquet"):
        try:
            names = set(pq.read_schema(path).names)
        except (pa.ArrowException, OSError):
            # A broken details file in lighteval's layout is still ours: read() reports it.
            return name.startswith("details_") and _results_sibling(path) is not None
        return _layout(names) is not None
    return False


def _layout(names: set[str]) -> str | None:
    if all(c in names for c in _NESTED):
        return "nested"
    if all(c in names for c in _FLAT) and ("predictions" in names or "choices" in names):
        return "flat"
    return None


# --------------------------------------------------------------------------- read


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read a results JSON with its details, or a details parquet, into the long table."""
    path = Path(path)
    if path.name.lower().endswith(".parquet"):
        results = _results_sibling(path)
        if results is None:
            return _read_lone_details(path, options)
        path = results
    return _read_results(path, options)


def _read_results(path: Path, options: ReadOptions) -> ReadResult:
    data = _load_results(path)
    general = data["config_general"]
    model = options.model or general["model_name"]
    date = _RESULTS_NAME.match(path.name)
    date_id = date.group("date") if date else None
    details = _details_of(path, date_id, general["model_name"])
    sha = file_sha256([path, *[f for _, f in details]])
    run_id = f"{NAME}-{sha[:16]}"
    created = _created(date_id)
    results = data.get("results", {})  # absent: the details still hold every item
    builder = ResponseBuilder()
    runs: list[RunInfo] = []
    notes: list[str] = []

    def run_of(task: str, extra: dict[str, Any], task_group: str | None = None) -> RunInfo:
        return RunInfo(
            run_id=run_id,
            model=model,
            task=task,
            harness=NAME,
            source=str(path),
            sha256=sha,
            created=created,
            config={"config_general": general, "results": results.get(task), **extra},
            task_group=task_group,
        )

    for task, details_path in details:
        _read_details(details_path, task, model, run_id, options, builder, notes)
        version = {"version": (data.get("versions") or {}).get(task)}
        runs.append(run_of(task, version, _group_of(task, results)))
    read_tasks = {t for t, _ in details}
    missing = sorted(t for t in results if t not in read_tasks and not _AGGREGATE_TASK.search(t))
    if missing:
        notes.append(
            f"{path}: no details file for task(s) {', '.join(missing)}; lighteval's results JSON "
            "holds only aggregate scores for them: they are in the aggregates, without per-item "
            "rows (lighteval writes details with --save-details)"
        )
    aggregates = _aggregates.AggregateBuilder()
    with_rows = _aggregates.lighteval_rows(
        data,
        aggregates,
        model=model,
        run_id=run_id,
        source=str(path),
        is_group=lambda t: bool(_AGGREGATE_TASK.search(t)),
    )
    for task in (t for t in with_rows if t not in read_tasks):  # a run row per task read
        runs.append(run_of(task, {}))
    sources = [str(path), *[str(f) for _, f in details]]
    return ReadResult.from_parts(builder, runs, notes=notes, sources=sources, aggregates=aggregates)


def _read_lone_details(path: Path, options: ReadOptions) -> ReadResult:
    model = options.model or _model_from_details_path(path)
    if model is None:
        raise InputError(
            "a lighteval details file holds no model name and no results_<date>.json was found "
            "beside it (results/<model>/); pass model=... (--model)",
            path=str(path),
            field="model",
        )
    sha = file_sha256(path)
    run_id = f"{NAME}-{sha[:16]}"
    table, layout = _load_details(path)
    task = _task_from_details(path, table, layout)
    builder = ResponseBuilder()
    notes: list[str] = []
    _read_details(path, task, model, run_id, options, builder, notes, loaded=(table, layout))
    run = RunInfo(
        run_id=run_id,
        model=model,
        task=task,
        harness=NAME,
        source=str(path),
        sha256=sha,
        created=_created(path.parent.name if _DATE.search(path.parent.name) else None),
    )
    return ReadResult.from_parts(builder, [run], notes=notes, sources=[str(path)])


# --------------------------------------------------------------------------- results JSON


def _load_results(path: Path) -> dict[str, Any]:
    text = path.read_bytes()
    if not text.strip():
        raise InputError("empty file; expected a lighteval results JSON object", path=str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg}); is the file truncated?", path=str(path), record=exc.lineno
        ) from None
    except UnicodeDecodeError:
        raise InputError("not valid JSON (not UTF-8 text)", path=str(path)) from None
    except RecursionError:
        raise InputError(TOO_DEEP, path=str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object; got {type(data).__name__}", path=str(path))
    general = data.get("config_general")
    if not isinstance(general, dict):
        raise InputError(
            f"expected an object; got {_kind(general)}",
            path=str(path),
            record="config_general",
            field="config_general",
        )
    name = general.get("model_name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"expected the model name as a non-empty string; got {_kind(name)}",
            path=str(path),
            record="config_general",
            field="model_name",
        )
    results = data.get("results", {})
    if not isinstance(results, dict):
        raise InputError(
            f"expected an object of task -> metrics; got {_kind(results)}",
            path=str(path),
            record="results",
            field="results",
        )
    return data


def _details_of(results: Path, date_id: str | None, model_name: str) -> list[tuple[str, Path]]:
    """(task, details file) pairs of a results file, sorted by task."""
    if date_id is None:
        return []
    folders = []
    root = _ancestor_named(results.parent, "results")
    if root is not None:
        folders.append(root.parent / "details" / results.parent.relative_to(root) / date_id)
    folders.append(results.parent.parent / "details" / model_name.strip("/") / date_id)
    for folder in folders:
        if folder.is_dir():
            found = []
            suffix = f"_{date_id}.parquet"
            for f in sorted(folder.glob(f"details_*{suffix}")):
                found.append((f.name[len("details_") : -len(suffix)], f))
            if found:
                return sorted(found)
    return []


def _results_sibling(details: Path) -> Path | None:
    """The results file of a details file in lighteval's layout, or None."""
    date_id = details.parent.name
    root = _ancestor_named(details.parent.parent, "details")
    if root is None:
        return None
    candidate = (
        root.parent
        / "results"
        / details.parent.parent.relative_to(root)
        / f"results_{date_id}.json"
    )
    return candidate if candidate.is_file() else None


def _ancestor_named(path: Path, name: str) -> Path | None:
    for p in (path, *path.parents):
        if p.name == name:
            return p
    return None


def _model_from_details_path(path: Path) -> str | None:
    root = _ancestor_named(path.parent.parent, "details")
    if root is None or root == path.parent.parent:
        return None
    return str(path.parent.parent.relative_to(root).as_posix())


def _task_from_details(path: Path, table: pa.Table, layout: str) -> str:
    if layout == "nested":
        names = {n for n in _column(table, "doc", "task_name") if isinstance(n, str) and n}
        if len(names) == 1:
            return names.pop()
    stem = path.name[: -len(".parquet")]
    stem = stem[len("details_") :] if stem.startswith("details_") else stem
    date_id = path.parent.name
    if stem.endswith(f"_{date_id}"):
        return stem[: -len(date_id) - 1]
    return re.sub(r"_\d{4}-\d{2}-\d{2}T[\d\-.]+$", "", stem)


def _created(date_id: str | None) -> str | None:
    """lighteval's date id ``2025-03-19T13-26-01.123456`` back to ISO 8601."""
    if date_id is None:
        return None
    m = _DATE.search(date_id)
    return f"{m.group(1)}:{m.group(2)}:{m.group(3)}" if m else date_id


def _group_of(task: str, results: dict[str, Any]) -> str | None:
    """The ``<family>:_average|<fewshot>`` entry lighteval computed over this task, if any."""
    parts = task.split("|")
    if len(parts) < 2:
        return None
    family = parts[-2].split(":")[0]
    group = "|".join([*parts[:-2], f"{family}:_average", parts[-1]])
    return group if group != task and group in results else None


# --------------------------------------------------------------------------- details parquet


def _load_details(path: Path) -> tuple[pa.Table, str]:
    if path.stat().st_size == 0:
        raise InputError("empty file; expected a lighteval details Parquet file", path=str(path))
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file ({exc}); is it truncated?", path=str(path)
        ) from None
    layout = _layout(set(table.column_names))
    if layout is None:
        raise InputError(
            "not a lighteval details file: expected the columns doc, model_response and metric "
            f"(lighteval >= 0.10) or example, metrics and predictions (older); got "
            f"{', '.join(table.column_names)}",
            path=str(path),
        )
    return table, layout


def _children(table: pa.Table, column: str) -> list[str]:
    typ = table.column(column).type
    if not pa.types.is_struct(typ):
        return []
    return [typ.field(i).name for i in range(typ.num_fields)]


def _read_details(
    path: Path,
    task: str,
    model: str,
    run_id: str,
    options: ReadOptions,
    builder: ResponseBuilder,
    notes: list[str],
    *,
    loaded: tuple[pa.Table, str] | None = None,
) -> None:
    builder.path = str(path)
    table, layout = loaded or _load_details(path)
    rows = _nested_rows(path, table) if layout == "nested" else _flat_rows(path, table)
    scores: dict[tuple[str, str], dict[str, Any]] = {}
    skipped: dict[str, int] = {}
    for index, row in enumerate(rows):
        metrics = _metrics_dict(
            path, index, row.pop("metrics"), "metric" if layout == "nested" else "metrics"
        )
        item = row.pop("item")
        for metric, value in metrics.items():
            score = _score(value)
            if score is _NOT_A_SCORE:
                skipped[metric] = skipped.get(metric, 0) + 1
                continue
            key = (item, metric)
            if key in scores:
                if score is None:
                    continue  # a struct column's null for a metric logged in another row
                if scores[key]["score"] is not None:
                    raise InputError(
                        f"two rows give item {item!r} a score on metric {metric!r}",
                        path=str(path),
                        record=f"row {index}",
                        field=metric,
                    )
            scores[key] = {"score": score, "record": f"row {index}", **row}
    for (item, metric), row in scores.items():
        specific = row.pop("specific")
        builder.add(
            model=model,
            task=task,
            item=item,
            metric=metric,
            run_id=run_id,
            cluster=_pick(specific, options.cluster_field),
            subject=_pick(specific, options.subject_field),
            **row,
        )
    for metric, n in sorted(skipped.items()):
        notes.append(
            f"{path}: metric {metric!r} holds per-sample values that are not scores (the inputs of "
            f"a corpus-level metric); {n} left out"
        )


class _NotAScore:
    pass


_NOT_A_SCORE = _NotAScore()


def _score(value: Any) -> float | None | _NotAScore:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return _NOT_A_SCORE


def _metrics_dict(path: Path, index: int, value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except RecursionError:
            raise InputError(TOO_DEEP, path=str(path), record=f"row {index}", field=field) from None
        except json.JSONDecodeError:
            value = None if not value else value
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"expected an object of metric name -> score; got {_kind(value)}",
            path=str(path),
            record=f"row {index}",
            field=field,
        )
    return value


def _pick(specific: Any, key: str | None) -> Any:
    if key is None or not isinstance(specific, dict):
        return None
    return specific.get(key)


def _column(table: pa.Table, struct: str | None, name: str) -> list[Any]:
    """A column (or a struct column's child) as a Python list; Nones when absent."""
    if struct is None:
        if name not in table.column_names:
            return [None] * table.num_rows
        return table.column(name).to_pylist()
    if name not in _children(table, struct):
        return [None] * table.num_rows
    return pc.struct_field(table.column(struct), name).to_pylist()


def _nested_rows(path: Path, table: pa.Table) -> Iterable[dict[str, Any]]:
    for col in ("doc", "model_response"):
        if not pa.types.is_struct(table.column(col).type):
            raise InputError(
                f"expected a struct column; got {table.column(col).type}", path=str(path), field=col
            )
    ids = _column(table, "doc", "id")
    use_ids = all(
        isinstance(i, str | int) and not isinstance(i, bool) and str(i) != "" for i in ids
    )
    cols = {
        "query": _column(table, "doc", "query"),
        "choices": _column(table, "doc", "choices"),
        "gold": _column(table, "doc", "gold_index"),
        "specific": _column(table, "doc", "specific"),
        "text": _column(table, "model_response", "text"),
        "logprobs": _column(table, "model_response", "logprobs"),
        "metric": table.column("metric").to_pylist(),
    }
    for i in range(table.num_rows):
        choices = _list_cell(path, i, cols["choices"][i], "doc.choices")
        text = _list_cell(path, i, cols["text"][i], "model_response.text")
        logprobs = _list_cell(path, i, cols["logprobs"][i], "model_response.logprobs")
        per_choice = not text and len(choices) > 1 and len(logprobs) == len(choices)
        yield {
            "item": str(ids[i]) if use_ids else str(i),
            "metrics": cols["metric"][i],
            "choice_logprobs": _floats(path, i, logprobs, "model_response.logprobs")
            if per_choice
            else None,
            "target": _gold_text(choices, cols["gold"][i]),
            "prediction": text[0] if len(text) == 1 else (text or None),
            "input": cols["query"][i],
            "specific": cols["specific"][i],
        }


def _flat_rows(path: Path, table: pa.Table) -> Iterable[dict[str, Any]]:
    cols = {
        name: _column(table, None, name)
        for name in (
            "example",
            "choices",
            "gold",
            "gold_index",
            "predictions",
            "metrics",
            "specifics",
        )
    }
    for i in range(table.num_rows):
        choices = _list_cell(path, i, cols["choices"][i], "choices")
        predictions = _list_cell(path, i, cols["predictions"][i], "predictions")
        gold = _list_cell(path, i, cols["gold"][i], "gold")
        logprobs = _flat_logprobs(predictions, len(choices))
        yield {
            "item": str(i),
            "metrics": cols["metrics"][i],
            "choice_logprobs": None
            if logprobs is None
            else _floats(path, i, logprobs, "predictions"),
            "target": (gold[0] if len(gold) == 1 else gold)
            if gold
            else _gold_text(choices, cols["gold_index"][i]),
            "prediction": None
            if logprobs is not None
            else (predictions[0] if len(predictions) == 1 else (predictions or None)),
            "input": cols["example"][i],
            "specific": cols["specifics"][i],
        }


def _list_cell(path: Path, index: int, value: Any, field: str) -> list[Any]:
    """A list cell of a details file (null is an empty list); another type is an InputError."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InputError(
            f"expected a list; got {type(value).__name__} {str(value)[:40]!r}",
            path=str(path),
            record=f"row {index}",
            field=field,
        )
    return list(value)


def _flat_logprobs(predictions: list[Any], n_choices: int) -> list[Any] | None:
    """Per-choice log-likelihoods from flat ``predictions``: ``[[logprob, is_greedy], ...]`` or floats."""
    if n_choices < 2 or len(predictions) != n_choices:
        return None
    if all(isinstance(p, list | tuple) and p and _is_number(p[0]) for p in predictions):
        return [p[0] for p in predictions]
    if all(_is_number(p) for p in predictions):
        return list(predictions)
    return None


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _floats(path: Path, index: int, values: list[Any], field: str) -> list[float]:
    out = []
    for v in values:
        if not _is_number(v):
            raise InputError(
                f"expected one log-probability (a number) per choice; got {v!r}",
                path=str(path),
                record=f"row {index}",
                field=field,
            )
        out.append(float(v))
    return out


def _gold_text(choices: list[Any], gold: Any) -> Any:
    if gold is None or not choices:
        return None
    idx = gold if isinstance(gold, list) else [gold]
    picked = [
        choices[g]
        for g in idx
        if isinstance(g, int) and not isinstance(g, bool) and 0 <= g < len(choices)
    ]
    if len(picked) != len(idx):
        return idx[0] if len(idx) == 1 else idx
    return picked[0] if len(picked) == 1 else picked


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]
