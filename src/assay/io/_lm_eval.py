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
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io._options import ReadOptions
from assay.io._schema import ReadResult, ResponseBuilder, RunInfo, file_sha256

try:  # orjson parses JSON lines about twice as fast; it is optional
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

NAME = "lm_eval"

_HEAD_BYTES = 65536
_DATE_RE = re.compile(r"_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)$")
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
    if any(m in head for m in _RESULTS_MARKERS):
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
        for candidate in sorted(path.parent.glob(f"*_{date}.json")):
            if _looks_like_results(_head(candidate)) or candidate.name.startswith("results"):
                return candidate, task
    elif base.startswith("samples_"):
        task = base[len("samples_") : -len(".jsonl")]
        for candidate in sorted(path.parent.glob("results*.json")):
            if _date_of(candidate) is None:
                return candidate, task
    raise InputError(
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
    for task in tasks:
        files = _samples_files(path, task)
        if not files:
            if only_task is None:
                notes.append(
                    f"{path}: task '{task}' has no samples file beside the results file "
                    f"(lm-eval writes samples only with --log_samples); it has no per-item rows"
                )
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
    if not runs:
        raise InputError(
            "no samples file found for any task of this results file (expected "
            + ", ".join(f"samples_{t}_{_date_of(path) or '<date>'}.jsonl" for t in tasks[:3])
            + "); lm-eval writes per-item samples only when run with --log_samples",
            path=str(path),
        )
    for column, field in (("cluster", options.cluster_field), ("subject", options.subject_field)):
        if field is not None and missing[column] == n_rows:
            raise InputError(
                f"no sample's doc has the key '{field}' named as {column}_field",
                path=str(path),
                field=field,
            )
    return ReadResult.from_parts(builder, runs, notes=notes, sources=sources)


# ------------------------------------------------------------------------------ results file


def _load_results(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("empty file; expected an lm-eval results JSON object", path=str(path))
    try:
        results = json.loads(raw)
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
    for key in ("results", "configs", "group_subtasks", "groups", "higher_is_better", "config"):
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


# ------------------------------------------------------------------------------ samples file


class _TaskSpec:
    """What the results file says about one task: output type, repeats, metrics, filters."""

    __slots__ = ("effective", "filters", "metrics", "output_type", "repeats", "task")

    def __init__(
        self,
        task: str,
        output_type: str | None,
        repeats: int,
        metrics: list[str],
        filters: list[str],
        effective: int | None,
    ) -> None:
        self.task, self.output_type, self.repeats = task, output_type, repeats
        self.metrics, self.filters, self.effective = metrics, filters, effective

    @classmethod
    def from_results(cls, results: dict[str, Any], task: str, path: Path) -> _TaskSpec:
        cfg = (results.get("configs") or {}).get(task) or {}
        if not isinstance(cfg, dict):
            raise InputError(
                f"expected an object; got {type(cfg).__name__}",
                path=str(path),
                record=f"configs.{task}",
            )
        repeats = cfg.get("repeats", 1)
        if repeats is None:
            repeats = 1
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise InputError(
                f"expected an integer >= 1; got {repeats!r}",
                path=str(path),
                record=f"configs.{task}",
                field="repeats",
            )
        metrics: list[str] = []
        hib = (results.get("higher_is_better") or {}).get(task)
        if isinstance(hib, dict):
            metrics.extend(k for k in hib if isinstance(k, str))
        metric_list = cfg.get("metric_list")
        if isinstance(metric_list, list):
            metrics.extend(
                m["metric"]
                for m in metric_list
                if isinstance(m, dict) and isinstance(m.get("metric"), str)
            )
        filters: list[str] = []
        entry = results["results"].get(task)
        for key in entry if isinstance(entry, dict) else ():
            metric, sep, filt = key.partition(",")
            if sep and not metric.endswith("_stderr"):
                metrics.append(metric)
                if filt not in filters:
                    filters.append(filt)
        n = (results.get("n-samples") or {}).get(task)
        effective = n.get("effective") if isinstance(n, dict) else None
        output_type = cfg.get("output_type")
        return cls(
            task,
            output_type if isinstance(output_type, str) else None,
            repeats,
            list(dict.fromkeys(metrics)),
            filters or ["none"],
            effective if isinstance(effective, int) and not isinstance(effective, bool) else None,
        )


def _loads(line: bytes) -> Any:
    if _orjson is not None:
        try:
            return _orjson.loads(line)
        except ValueError:
            pass  # NaN and Infinity, which lm-eval may write, are valid for json but not orjson
    return json.loads(line)


class _SamplesReader:
    """Stream one samples file into a :class:`ResponseBuilder`, counting what is left out."""

    def __init__(
        self,
        path: Path,
        spec: _TaskSpec,
        options: ReadOptions,
        *,
        model: str,
        run_id: str,
        step: int | None,
    ) -> None:
        self.path, self.spec, self.options = path, spec, options
        self.model, self.run_id, self.step = model, run_id, step
        self.seen: dict[tuple[str, str], int] = {}
        self.occurrences: dict[str, int] = {}
        self.corpus_level: dict[str, int] = {}
        self.scalar_repeats = 0
        self.missing_field = {"cluster": 0, "subject": 0}
        self.n_rows = 0

    # ----- iteration over records
    def _records(self) -> Iterator[tuple[int | str, Any]]:
        path = self.path
        opener = gzip.open if path.name.endswith(".gz") else open
        lineno = 0
        try:
            with opener(path, "rb") as fh:
                first = fh.read(_HEAD_BYTES)
                if not first.strip():
                    raise InputError(
                        "empty file; expected lm-eval sample rows, one JSON object a line",
                        path=str(path),
                    )
                if first.lstrip().startswith(b"["):  # lm-eval 0.4.0-0.4.2: one indented JSON array
                    yield from self._array_records(first + fh.read())
                    return
                fh.seek(0)
                for line in fh:
                    lineno += 1
                    try:
                        yield lineno, _loads(line)
                    except ValueError as exc:
                        if not line.strip():
                            continue
                        raise _json_error(path, lineno, line) from exc
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(
                f"truncated or corrupt gzip data ({exc})",
                path=str(path),
                record=lineno + 1 if lineno else None,
            ) from None

    def _array_records(self, raw: bytes) -> Iterator[tuple[int | str, Any]]:
        try:
            rows = json.loads(raw)
        except ValueError as exc:
            raise InputError(
                f"not valid JSON: {getattr(exc, 'msg', exc)}",
                path=str(self.path),
                record=getattr(exc, "lineno", None),
            ) from None
        if not isinstance(rows, list):
            raise InputError("expected a JSON array of sample rows", path=str(self.path))
        for i, row in enumerate(rows):
            yield f"record {i}", row

    # ----- rows
    def read_into(self, builder: ResponseBuilder) -> None:
        for record, row in self._records():
            if type(row) is not dict:
                raise InputError(
                    f"expected a JSON object; got {type(row).__name__}",
                    path=str(self.path),
                    record=record,
                )
            self._row(builder, record, row)
        if self.n_rows == 0:
            raise InputError("no sample rows", path=str(self.path))

    def _fail(self, record: int | str, field: str, message: str) -> InputError:
        return InputError(message, path=str(self.path), record=record, field=field)

    def _row(self, builder: ResponseBuilder, record: int | str, row: dict[str, Any]) -> None:
        spec = self.spec
        doc_id = row.get("doc_id")
        if type(doc_id) is int or type(doc_id) is str:
            item = str(doc_id)
        else:
            raise self._fail(
                record, "doc_id", f"expected an integer or string; got {_kind(doc_id)}"
            )
        filt = self._filter(record, row, item)
        names = row.get("metrics")
        if names is None:
            names = [m for m in spec.metrics if m in row]
            if not names:
                raise self._fail(
                    record,
                    "metrics",
                    "the row has none of the task's metrics "
                    f"({', '.join(spec.metrics) or 'none named in the results file'})",
                )
        elif type(names) is not list or not all(type(n) is str for n in names):
            raise self._fail(
                record, "metrics", f"expected a list of metric names; got {_kind(names)}"
            )
        self.n_rows += 1
        fr = row.get("filtered_resps")
        if fr is not None and type(fr) is not list:
            raise self._fail(record, "filtered_resps", f"expected a list; got {_kind(fr)}")
        logprobs = (
            self._choice_logprobs(record, fr, names) if self._is_multiple_choice(fr) else None
        )
        prediction = None if logprobs is not None else self._prediction(fr)
        common = dict(
            model=self.model,
            task=spec.task,
            item=item,
            run_id=self.run_id,
            step=self.step,
            target=row.get("target"),
            input=_prompt(row.get("arguments")),
            choice_logprobs=logprobs,
            cluster=self._doc_field(row, self.options.cluster_field, "cluster"),
            subject=self._doc_field(row, self.options.subject_field, "subject"),
        )
        for name in names:
            if name not in row:
                raise self._fail(record, name, "listed in 'metrics' but not in the row")
            self._add_scores(builder, record, name, row[name], filt, prediction, common)

    def _add_scores(
        self,
        builder: ResponseBuilder,
        record: int | str,
        name: str,
        value: Any,
        filt: str,
        prediction: Any,
        common: dict[str, Any],
    ) -> None:
        """Add one metric of one row: a score, one score per repeat, or nothing (corpus-level)."""
        repeats = self.spec.repeats
        if value is None or type(value) in (float, int, bool):
            builder.add(metric=f"{name},{filt}", score=value, prediction=prediction, **common)
            if repeats > 1:
                self.scalar_repeats += 1
        elif type(value) is str:
            raise self._fail(record, name, f"expected a number; got a string {value[:40]!r}")
        elif (
            repeats > 1
            and type(value) is list
            and len(value) == repeats
            and all(v is None or type(v) in (float, int, bool) for v in value)
        ):
            per_repeat = type(prediction) is list and len(prediction) == repeats
            for i, v in enumerate(value):
                pred = prediction[i] if per_repeat else prediction
                builder.add(metric=f"{name},{filt}", score=v, sample=i, prediction=pred, **common)
        else:
            self.corpus_level[name] = self.corpus_level.get(name, 0) + 1

    def _prediction(self, fr: list[Any] | None) -> Any:
        """The filtered response of a generative task; None for log-likelihood tasks."""
        if not fr or self.spec.output_type in ("loglikelihood", "loglikelihood_rolling"):
            return None
        return fr[0] if len(fr) == 1 else fr

    def _filter(self, record: int | str, row: dict[str, Any], item: str) -> str:
        filt = row.get("filter")
        if filt is None:  # 2024 rows: the k-th row of a doc belongs to the k-th filter
            k = self.occurrences.get(item, 0)
            self.occurrences[item] = k + 1
            if k >= len(self.spec.filters):
                raise self._fail(
                    record,
                    "doc_id",
                    f"doc_id {item} appears {k + 1} times but the task has "
                    f"{len(self.spec.filters)} filter(s) ({', '.join(self.spec.filters)})",
                )
            return self.spec.filters[k]
        if type(filt) is not str:
            raise self._fail(record, "filter", f"expected a string; got {_kind(filt)}")
        key = (item, filt)
        if key in self.seen:
            raise self._fail(
                record,
                "doc_id",
                f"doc_id {item} with filter '{filt}' appears twice "
                f"(also at {_where(self.seen[key])})",
            )
        self.seen[key] = record if isinstance(record, int) else 0
        return filt

    def _is_multiple_choice(self, fr: list[Any] | None) -> bool:
        output_type = self.spec.output_type
        if output_type is not None:
            return output_type == "multiple_choice" and bool(fr)
        return bool(fr) and len(fr) > 1 and all(type(x) is list and len(x) == 2 for x in fr)

    def _choice_logprobs(
        self, record: int | str, fr: list[Any] | None, names: list[str]
    ) -> list[float]:
        try:
            values = [float(pair[0]) for pair in fr]  # [[loglikelihood, is_greedy], ...]
        except (TypeError, ValueError, IndexError, KeyError):
            raise self._fail(
                record,
                "filtered_resps",
                "expected [loglikelihood, is_greedy] pairs, "
                f"one per choice; got {json.dumps(fr)[:80]}",
            ) from None
        if "acc_mutual_info" in names and len(values) % 2 == 0:  # conditional, then unconditional
            values = values[: len(values) // 2]
        return values

    def _doc_field(self, row: dict[str, Any], field: str | None, column: str) -> Any:
        if field is None:
            return None
        doc = row.get("doc")
        if type(doc) is dict and field in doc:
            return doc[field]
        self.missing_field[column] += 1
        return None

    def notes(self) -> list[str]:
        spec, path, out = self.spec, self.path, []
        n_items = len(self.occurrences) if self.occurrences else len({k[0] for k in self.seen})
        if spec.effective is not None and n_items != spec.effective:
            out.append(
                f"{path}: {n_items} item(s) in the samples file, but the results file says "
                f"{spec.effective} were evaluated (n-samples.effective); its aggregate scores "
                "cover items that are not here"
            )
        for name, n in sorted(self.corpus_level.items()):
            out.append(
                f"{path}: metric '{name}' left out of {n} row(s): its per-row value is the input "
                "of a corpus-level aggregation, not a per-item score"
            )
        if self.scalar_repeats:
            out.append(
                f"{path}: task '{spec.task}' has repeats={spec.repeats} but {self.scalar_repeats} "
                "score(s) are one number per (item, filter): the filter combined the repeats, "
                "so they are read as one sample"
            )
        if not self.seen and len(spec.filters) > 1:
            out.append(
                f"{path}: rows carry no 'filter'; the k-th row of each doc_id was given the k-th "
                f"filter of the results file ({', '.join(spec.filters)})"
            )
        for column, field in (
            ("cluster", self.options.cluster_field),
            ("subject", self.options.subject_field),
        ):
            n = self.missing_field[column]
            if n:
                out.append(f"{path}: {n} row(s) have no doc key '{field}'; their {column} is empty")
        return out


def _prompt(arguments: Any) -> Any:
    """The prompt: ``gen_args_0.arg_0`` (dict shape) or the first request's first element (list)."""
    first: Any
    if type(arguments) is dict:
        first = arguments.get("gen_args_0")
        if type(first) is dict:
            return first.get("arg_0")
    elif type(arguments) is list and arguments:
        first = arguments[0]
    else:
        return None
    if type(first) is list and first:
        return first[0]
    return first if type(first) is str else None


def _json_error(path: Path, lineno: int, line: bytes) -> InputError:
    try:
        json.loads(line)
        detail = "not valid JSON"
    except ValueError as exc:
        detail = f"{getattr(exc, 'msg', exc)} at column {getattr(exc, 'colno', '?')}"
    truncated = " (a truncated line?)" if not line.rstrip().endswith(b"}") else ""
    return InputError(f"not valid JSON{truncated}: {detail}", path=str(path), record=lineno)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _where(record: int) -> str:
    return f"line {record}" if record else "an earlier record"
