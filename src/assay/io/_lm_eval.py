"""Reader for lm-evaluation-harness output (``results_<date>.json`` + ``samples_<task>_<date>.jsonl``).

lm-eval run with ``--output_path OUT --log_samples`` writes, per model,
``OUT/<model_name_sanitized>/results_<date>.json`` and one ``samples_<task>_<date>.jsonl`` per task
(this reader also takes them gzipped, ``.jsonl.gz``). The results file is the unit read: it names
the model, the tasks, their configs and groups, and the samples files that belong to it are found
beside it by task name and the same ``<date>`` suffix. A samples file given alone is read through
its results sibling (only its own task); without one it is an error, since only the results file
says which model produced it.

Mapping to the long table
-------------------------
- **rows**: lm-eval writes one sample row per (``doc_id``, filter). The filter becomes part of the
  metric name as in the results file: ``exact_match,strict-match``, ``acc,none``. Rows written
  before lm-eval logged ``filter`` (2024 and earlier) have no ``filter`` key; their filter is
  ``none`` when the task has one filter, else the k-th row of a ``doc_id`` gets the k-th filter
  named in the results file (the order lm-eval wrote them in).
- **metric values** are the row's top-level keys: those listed in the row's ``metrics`` (2025 and
  later), else the task's metrics known from the results file (``higher_is_better``,
  ``metric_list``, the ``results`` keys). A number (or bool) is the score; ``null`` is a missing
  score (counted by :func:`~assay.io.validate_responses`). A list or object is the per-item input of
  a corpus-level aggregation (``micro_f1``'s (gold, pred) pair, ``bleu``'s texts): it is not a
  per-item score, so that metric is left out and the notes say so. A string is an error.
- **item**: ``str(doc_id)``; **sample**: 0, or the repeat index when the task's config has
  ``repeats`` > 1 and the metric value is a list with one score per repeat.
- **choice_logprobs**: for ``output_type: multiple_choice``, the log-likelihood of each choice, the
  first element of each ``[loglikelihood, is_greedy]`` pair in ``filtered_resps`` (lm-eval writes
  them as strings). A ``loglikelihood`` task scores one continuation; its single log-likelihood is
  not a choice distribution and is not stored.
- **target**: ``target``; **prediction**: the filtered response of a generative task;
  **input**: the prompt, ``arguments.gen_args_0.arg_0`` (the 2024+ dict shape) or the first element
  of the first request (the older list shape ``[[context, continuation], ...]``).
- **cluster**, **subject**: the values of the ``doc`` keys named by
  :attr:`ReadOptions.cluster_field` and :attr:`ReadOptions.subject_field`.
- **model**: ``model_name``, else ``pretrained=`` (or ``peft=``, ``model=``, ...) of
  ``config.model_args`` (a string or, in 2026 files, a dict), else ``model_name_sanitized``; a
  revision other than ``main`` is appended as ``name@revision``. :attr:`ReadOptions.model`
  overrides it. **step**: from a revision ``step<N>`` or a ``checkpoint-<N>`` path.
- **run**: one per (results file, task). Harness ``lm_eval``; ``harness_version`` is
  ``lm_eval_version`` and ``git_hash``; ``created`` is ``date`` as ISO 8601 (UTC); ``task_group``
  is the chain of groups holding the task in ``group_subtasks``, outermost first, joined by ``/``;
  ``sha256`` is the SHA-256 of the results file followed by the task's samples file, and
  ``run_id`` is ``lm_eval-<first 16 hex digits>-<task>``; ``source`` is the results file.
- **aggregates** (:data:`~assay.io.AGGREGATE_SCHEMA`, :mod:`assay.io._lm_eval_results`): every
  (task, metric) value of ``results``, for every layout (2023's ``results``/``versions``/
  ``config`` too), with or without samples. A task with samples shares its run; the tasks and
  groups without samples form one run of the results file, ``lm_eval-<16 hex digits>`` with
  the SHA-256 of the results file, one runs-table row per task. A results file without any
  samples file reads (its responses are empty); the notes say that per-item rows need
  ``--log_samples``.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import re
import zlib
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io import _lm_eval_results as _agg
from assay.io._lm_eval_samples import _SamplesReader, _TaskSpec
from assay.io._options import ReadOptions
from assay.io._schema import (
    TOO_DEEP,
    AggregateBuilder,
    MissingCompanionError,
    ReadResult,
    ResponseBuilder,
    RunInfo,
    file_sha256,
)

NAME = "lm_eval"

_HEAD_BYTES = 65536
_DATE_RE = re.compile(r"(?:^|[^0-9])(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)$")
_ROW_START = re.compile(rb'^\s*\[?\s*\{\s*"doc_id"\s*:')
_METRIC_KEY = re.compile(rb'"[A-Za-z0-9_@.\-]+,[^"]*"\s*:')
_RESULTS_MARKERS = (
    b'"group_subtasks"',
    b'"n-shot"',
    b'"lm_eval_version"',
    b'"configs"',
    b'"n-samples"',
)
_ROW_MARKERS = (b'"filtered_resps"', b'"resps"', b'"arguments"')
_LIGHTEVAL_MARKERS = (b'"config_general"', b'"config_tasks"', b'"summary_tasks"')
_MODEL_ARG_KEYS = ("peft", "delta", "pretrained", "model", "path", "engine")
_NUMBER = (int, float)  # bool is an int
_RUN_KEYS = (
    "model_source",
    "model_name",
    "model_name_sanitized",
    "git_hash",
    "upper_git_hash",
    "lm_eval_version",
    "transformers_version",
    "system_instruction_sha",
    "chat_template_sha",
    "fewshot_as_multiturn",
    "max_length",
)


# --------------------------------------------------------------------------------------- claim


def claim(path: Path) -> bool:
    """Whether ``path`` is an lm-eval results file or samples file; reads at most 64 KB."""
    path = Path(path)
    if not path.is_file():
        return False
    name = path.name
    if name.endswith((".jsonl", ".jsonl.gz")):
        head = _head(path)
        if not _ROW_START.match(head):
            return False
        return name.startswith("samples_") or any(k in head for k in _ROW_MARKERS)
    if name.endswith(".json"):
        head = _head(path)
        if _looks_like_results(head):
            return True
        # A results file lm-eval named, beside samples of the same date: ours even when broken.
        date = _date_of(path)
        return (
            name.startswith("results")
            and date is not None
            and any(path.parent.glob(f"samples_*_{date}.jsonl*"))
        )
    return False


def _head(path: Path) -> bytes:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read(_HEAD_BYTES)
        with open(path, "rb") as fh:
            return fh.read(_HEAD_BYTES)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        return b""


def _looks_like_results(head: bytes) -> bool:
    if not head.lstrip().startswith(b"{") or b'"results"' not in head:
        return False
    if any(m in head for m in _LIGHTEVAL_MARKERS):
        return False
    if any(m in head for m in _RESULTS_MARKERS) or _agg.looks_like_2023_results(head):
        return True
    return b'"alias"' in head and _METRIC_KEY.search(head) is not None


def _date_of(path: Path) -> str | None:
    stem = path.name.split(".json")[0]
    m = _DATE_RE.search(stem)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------- read


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read an lm-eval results file with its samples files, or one samples file, into the long table.

    Parameters
    ----------
    path : Path
        A ``results_<date>.json`` (every task that has a samples file is read) or a
        ``samples_<task>_<date>.jsonl[.gz]`` (read through its results sibling, that task only).
    options : ReadOptions
        ``model`` overrides the model name; ``cluster_field`` and ``subject_field`` name keys of
        each sample's ``doc``.

    Returns
    -------
    ReadResult
        The long table, one run per (results file, task), notes, and in ``sources`` the results
        file and every samples file read.

    Raises
    ------
    InputError
        An empty or malformed file, a results file without ``results``, a samples file without a
        results file, a row with a wrong type in a field (naming the file, line and field).
    """
    path = Path(path)
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        results_path, task = _results_for_samples(path)
        return _read_run(results_path, options, only_task=task)
    return _read_run(path, options)


def _results_for_samples(path: Path) -> tuple[Path, str]:
    """Find the results file that a samples file belongs to, and the samples file's task."""
    base = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    date = _date_of(Path(base))
    if date is not None and base.startswith("samples_"):
        task = base[len("samples_") : -len(f"_{date}.jsonl")]
        for candidate in sorted(path.parent.glob(f"*{date}.json")):
            if _date_of(candidate) != date:
                continue
            if _looks_like_results(_head(candidate)) or candidate.name.startswith("results"):
                return candidate, task
    elif base.startswith("samples_"):
        task = base[len("samples_") : -len(".jsonl")]
        for candidate in sorted(path.parent.glob("results*.json")):
            if _date_of(candidate) is None:
                return candidate, task
    raise MissingCompanionError(
        "the lm-eval results file is missing: lm-eval writes results_<date>.json beside "
        "samples_<task>_<date>.jsonl, and the samples alone do not say which model produced them; "
        "copy the results file beside it (or read a plain table with a model column instead)",
        path=str(path),
    )


def _read_run(path: Path, options: ReadOptions, *, only_task: str | None = None) -> ReadResult:
    results = _load_results(path)
    model, step = _model_and_step(results, path, options)
    tasks = _leaf_tasks(results, path)
    if only_task is not None:
        tasks = [t for t in tasks if t == only_task] or [only_task]
    parents = _group_parents(results)
    builder = ResponseBuilder()
    runs: list[RunInfo] = []
    notes: list[str] = []
    sources: list[str] = [str(path)]
    n_rows = 0
    missing = {"cluster": 0, "subject": 0}
    no_samples: list[str] = []
    any_samples = any(path.parent.glob("samples_*.jsonl*"))  # one listing, not two stats a task
    for task in tasks:
        files = _samples_files(path, task) if any_samples else []
        if not files:
            if only_task is None:
                no_samples.append(task)
            continue
        sources.extend(str(f) for f in files)
        if len(files) > 1:
            notes.append(f"{files[0]}: also found {files[1].name}; read {files[0].name} only")
        spec = _TaskSpec.from_results(results, task, path)
        sha = file_sha256([path, files[0]])
        run_id = f"lm_eval-{sha[:16]}-{task}"
        reader = _SamplesReader(files[0], spec, options, model=model, run_id=run_id, step=step)
        reader.read_into(builder)
        notes.extend(reader.notes())
        n_rows += reader.n_rows
        for column in missing:
            missing[column] += reader.missing_field[column]
        runs.append(
            RunInfo(
                run_id=run_id,
                model=model,
                task=task,
                harness=NAME,
                source=str(path),
                sha256=sha,
                harness_version=_harness_version(results),
                created=_created(results, path),
                config=_run_config(results, task, files[0]),
                task_group=_group_path(task, parents),
            )
        )
    if no_samples:
        shown = ", ".join(no_samples[:3]) + (" ..." if len(no_samples) > 3 else "")
        notes.append(
            f"{path}: {len(no_samples)} task(s) have no samples file beside the results file "
            f"({shown}): only the harness's aggregate values are read for them (lm-eval writes "
            "per-item samples only with --log_samples)"
        )
    aggregates = _aggregate_runs(results, path, model, step, runs, notes, only_task=only_task)
    corpus = _corpus_items(path, aggregates, runs, notes)
    if not runs:
        raise InputError(
            "no samples file found for any task of this results file (expected "
            + ", ".join(f"samples_{t}_{_date_of(path) or '<date>'}.jsonl" for t in tasks[:3])
            + ") and no metric value in its results; lm-eval writes per-item samples only when "
            "run with --log_samples",
            path=str(path),
        )
    for column, field in (("cluster", options.cluster_field), ("subject", options.subject_field)):
        if field is not None and missing[column] == n_rows:
            raise InputError(
                f"no sample's doc has the key '{field}' named as {column}_field",
                path=str(path),
                field=field,
            )
    return ReadResult.from_parts(
        builder, runs, notes=notes, sources=sources, aggregates=aggregates, corpus_items=corpus
    )


def _corpus_items(
    path: Path, aggregates: AggregateBuilder, runs: list[RunInfo], notes: list[str]
) -> list[dict[str, Any]]:
    """The (gold, prediction) pairs of the named corpus-level metrics of tasks with samples."""
    if not any((r.config or {}).get("samples_file") for r in runs):
        return []
    table = aggregates.to_table()
    models = dict(zip(table["task"].to_pylist(), table["model"].to_pylist(), strict=True))
    out: list[dict[str, Any]] = []
    for run in runs:
        sample_name = (run.config or {}).get("samples_file")
        if not sample_name:
            continue
        metrics = {
            m: a
            for t, m, a, lvl in zip(
                table["task"].to_pylist(),
                table["metric"].to_pylist(),
                table["aggregation"].to_pylist(),
                table["level"].to_pylist(),
                strict=True,
            )
            if t == run.task and lvl == "task" and a in _agg.CORPUS_AGGREGATIONS
        }
        if metrics:
            out.extend(
                _agg.corpus_item_rows(
                    path.parent / sample_name,
                    metrics,
                    model=models.get(run.task, run.model),
                    task=run.task,
                    run_id=run.run_id,
                    notes=notes,
                )
            )
    return out


def _aggregate_runs(
    results: dict[str, Any],
    path: Path,
    model: str,
    step: int | None,
    runs: list[RunInfo],
    notes: list[str],
    *,
    only_task: str | None,
) -> AggregateBuilder:
    """The results file's aggregate rows. The tasks and groups without a samples file form one
    run of the results file, ``lm_eval-<sha16>`` (one row per task in the runs table), so that
    every aggregate row belongs to a run and a file of summaries is added or removed whole."""
    run_ids = {r.task: r.run_id for r in runs}
    table = results.get("results") or {}
    names = [t for t in table if only_task is None or t == only_task]
    missing = [t for t in names if t not in run_ids]
    sha = file_sha256(path) if missing else ""
    parents = _group_parents(results)
    for task in missing:
        run_ids[task] = f"lm_eval-{sha[:16]}"
    builder = AggregateBuilder()
    done = _agg.aggregate_rows(
        results,
        path,
        builder,
        model=_agg.series_model(model, step),
        step=step,
        run_ids=run_ids,
        notes=notes,
    )
    version, created = _harness_version(results), _created(results, path)
    for task in (t for t in done if t in missing):
        config = {
            "n_shot": (results.get("n-shot") or {}).get(task),
            "version": (results.get("versions") or {}).get(task),
            "run_config": results.get("config"),
        }
        runs.append(
            RunInfo(
                run_id=run_ids[task],
                model=model,
                task=task,
                harness=NAME,
                source=str(path),
                sha256=sha,
                harness_version=version,
                created=created,
                config={k: v for k, v in config.items() if v is not None},
                task_group=_group_path(task, parents),
            )
        )
    return builder


# ------------------------------------------------------------------------------ results file


def _load_results(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("empty file; expected an lm-eval results JSON object", path=str(path))
    try:
        results = json.loads(raw)
    except RecursionError:
        raise InputError(TOO_DEEP, path=str(path)) from None
    except ValueError as exc:
        lineno = getattr(exc, "lineno", None)
        msg = getattr(exc, "msg", str(exc))
        raise InputError(f"not valid JSON: {msg}", path=str(path), record=lineno) from None
    if not isinstance(results, dict):
        raise InputError(
            f"expected a JSON object at the top; got {type(results).__name__}", path=str(path)
        )
    if "results" not in results:
        raise InputError(
            "no 'results' key: not an lm-eval results file, or a truncated one",
            path=str(path),
            field="results",
        )
    for key in (
        "results",
        "configs",
        "group_subtasks",
        "groups",
        "higher_is_better",
        "config",
        "n-samples",
    ):
        value = results.get(key)
        if value is not None and not isinstance(value, dict):
            raise InputError(
                f"expected an object; got {type(value).__name__}", path=str(path), field=key
            )
    return results


def _parse_model_args(model_args: Any) -> dict[str, Any]:
    """``pretrained=a,revision=b`` or ``{"pretrained": "a"}`` -> dict."""
    if isinstance(model_args, dict):
        return model_args
    if not isinstance(model_args, str):
        return {}
    out: dict[str, Any] = {}
    for part in model_args.split(","):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _model_and_step(
    results: dict[str, Any], path: Path, options: ReadOptions
) -> tuple[str, int | None]:
    config = results.get("config") or {}
    args = _parse_model_args(config.get("model_args"))
    name = results.get("model_name")
    if not isinstance(name, str) or not name:
        name = next(
            (args[k] for k in _MODEL_ARG_KEYS if isinstance(args.get(k), str) and args[k]), None
        )
    if not name:
        name = results.get("model_name_sanitized")
    revision = args.get("revision") or config.get("model_revision")
    revision = (
        revision if isinstance(revision, str) and revision not in ("", "main", "master") else None
    )
    step = _step(revision, name if isinstance(name, str) else None)
    if options.step_pattern is not None:
        step = _agg.step_from(
            options.step_pattern, revision, name if isinstance(name, str) else None, str(path)
        )
    elif step is None:
        step = _step_field(results, config) or _agg.step_from(None, path.stem)
    if options.model is not None:
        return options.model, step
    if not isinstance(name, str) or not name:
        raise InputError(
            "no model name: none of model_name, config.model_args pretrained=... or "
            "model_name_sanitized is set; pass model=... (--model)",
            path=str(path),
            field="model_name",
        )
    return (f"{name}@{revision}" if revision else name), step


def _step(revision: str | None, name: str | None) -> int | None:
    if revision:
        m = re.search(r"(?:^|[^A-Za-z])step[-_]?(\d+)", revision)
        if m:
            return int(m.group(1))
    if name:
        m = re.search(r"checkpoint[-_](\d+)", name)
        if m:
            return int(m.group(1))
    return None


def _step_field(results: dict[str, Any], config: dict[str, Any]) -> int | None:
    for value in (results.get("step"), config.get("step")):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _leaf_tasks(results: dict[str, Any], path: Path) -> list[str]:
    """Tasks with per-item samples: the config keys, else result keys that are not groups."""
    configs = results.get("configs") or {}
    if configs:
        return list(configs)
    subtasks = results.get("group_subtasks") or {}
    groups = set(results.get("groups") or {}) | {g for g, s in subtasks.items() if s}
    tasks = [t for t in results["results"] if t not in groups]
    if not tasks:
        raise InputError("'results' names no task", path=str(path), field="results")
    return tasks


def _group_parents(results: dict[str, Any]) -> dict[str, str]:
    parents: dict[str, str] = {}
    for group, subtasks in (results.get("group_subtasks") or {}).items():
        if isinstance(subtasks, list):
            for sub in subtasks:
                if isinstance(sub, str) and sub != group:
                    parents.setdefault(sub, group)
    return parents


def _group_path(task: str, parents: dict[str, str]) -> str | None:
    chain: list[str] = []
    node = task
    while node in parents and parents[node] not in chain and len(chain) < 32:
        node = parents[node]
        chain.append(node)
    return "/".join(reversed(chain)) or None


def _samples_files(results_path: Path, task: str) -> list[Path]:
    date = _date_of(results_path)
    suffix = f"_{date}" if date else ""
    folder = results_path.parent
    names = [f"samples_{task}{suffix}.jsonl", f"samples_{task}{suffix}.jsonl.gz"]
    return [folder / n for n in names if (folder / n).is_file()]


def _harness_version(results: dict[str, Any]) -> str | None:
    version = results.get("lm_eval_version")
    git = results.get("git_hash")
    version = str(version) if version else None
    if git:
        return f"{version} (git {git})" if version else f"git {git}"
    return version


def _created(results: dict[str, Any], path: Path) -> str | None:
    date = results.get("date")
    if isinstance(date, _NUMBER) and not isinstance(date, bool):
        try:
            return _dt.datetime.fromtimestamp(float(date), tz=_dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(date, str) and date:
        return date
    stamp = _date_of(path)  # results_2024-08-21T03-44-09.494230.json: local time of writing
    if stamp:
        day, _, clock = stamp.partition("T")
        return f"{day}T{clock.replace('-', ':')}"
    return None


def _run_config(results: dict[str, Any], task: str, samples: Path) -> dict[str, Any]:
    def per_task(key: str) -> Any:
        value = results.get(key)
        return value.get(task) if isinstance(value, dict) else None

    config: dict[str, Any] = {
        "task_config": per_task("configs"),
        "n_shot": per_task("n-shot"),
        "version": per_task("versions"),
        "n_samples": per_task("n-samples"),
        "higher_is_better": per_task("higher_is_better"),
        "task_hash": per_task("task_hashes"),
        "run_config": results.get("config"),
        "samples_file": samples.name,
    }
    config.update({k: results[k] for k in _RUN_KEYS if results.get(k) is not None})
    return {k: v for k, v in config.items() if v is not None}
