"""The long table of responses and the table of runs (DESIGN.md, "Data model")."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from assay._core import InputError

__all__ = [
    "AGGREGATE_SCHEMA",
    "CORPUS_ITEM_SCHEMA",
    "AggregateBuilder",
    "RESPONSE_SCHEMA",
    "RUN_SCHEMA",
    "MissingCompanionError",
    "ReadResult",
    "ResponseBuilder",
    "RunInfo",
    "concat_results",
    "empty_aggregates",
    "empty_responses",
    "TOO_DEEP",
    "bad_score",
    "empty_runs",
    "file_sha256",
]

RESPONSE_SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),
        pa.field("sample", pa.int32(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("score", pa.float64()),
        pa.field("confidence", pa.float64()),
        pa.field("choice_logprobs", pa.list_(pa.float64())),
        pa.field("target", pa.string()),
        pa.field("prediction", pa.string()),
        pa.field("input", pa.string()),
        pa.field("cluster", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("step", pa.int64()),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
"""Arrow schema of the long table: one row per (model, task, item, sample, metric)."""

RUN_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("task_group", pa.string()),
        pa.field("harness", pa.string(), nullable=False),
        pa.field("harness_version", pa.string()),
        pa.field("created", pa.string()),
        pa.field("config", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
    ]
)
"""Arrow schema of the runs table: one row per (run, task). ``config`` is a JSON string."""

AGGREGATE_SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("stderr", pa.float64()),
        pa.field("n", pa.int64()),
        pa.field("step", pa.int64()),
        pa.field("aggregation", pa.string()),
        pa.field("corpus_level", pa.bool_(), nullable=False),
        pa.field("higher_is_better", pa.bool_()),
        pa.field("level", pa.string(), nullable=False),
        pa.field("harness", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)
"""Arrow schema of the aggregate table: one row per (run, model, task, metric) as the harness
reported it (docs/aggregates.md).

- ``model``: as in the long table, except that a revision that names a training step
  (``revision=step1000``) is dropped, so the checkpoints of one run form one series; the step is
  in ``step``.
- ``metric``: the harness's metric name, with lm-eval's filter as in the long table
  (``acc,none``; the 2023 layout has none: ``acc``).
- ``value``: the reported value, on the harness's scale (BLEU 0-100 as lm-eval writes it).
- ``stderr``: the reported standard error; null when the harness wrote none or ``"N/A"``.
- ``n``: the number of items when the file says it (lm-eval ``n-samples``, ``sample_count``;
  HELM ``count``; Inspect ``total_samples``); null otherwise (see
  :func:`assay.stats.recover_n` for 0/1 metrics).
- ``aggregation``: how the harness aggregated items: ``mean``, a named corpus-level aggregation
  (``f1``, ``matthews_corrcoef``, ``bleu``, ``chrf``, ``ter``, ``perplexity``, ...),
  ``custom`` (code written in the log: never executed), or null when the file does not say.
- ``corpus_level``: the value is not a mean of per-item scores (a named corpus aggregation or
  custom code), so per-item intervals and paired tests do not apply to it as is.
- ``level``: ``task``, or ``group`` for a harness's aggregate over subtasks.
- ``run_id``: the run (joins the runs table); ``source``: the file the value was read from.
"""

CORPUS_ITEM_SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),
        pa.field("gold", pa.string()),
        pa.field("prediction", pa.string()),
        pa.field("aggregation", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
"""Arrow schema of the per-item inputs of corpus-level metrics: one row per (run, task, metric,
item), ``gold`` and ``prediction`` as compact JSON (a label, a text, a list of references, a
log-likelihood), as lm-eval's samples file holds ``[gold, prediction]`` for the metric. Only
for lm-eval's named corpus aggregations (``f1``, ``matthews_corrcoef``, ``bleu``, ...); see
:func:`assay.stats.corpus_metric`. ``model`` is as in :data:`AGGREGATE_SCHEMA`."""

_STR_COLUMNS = ("target", "prediction", "input", "cluster", "subject")

TOO_DEEP = "JSON nested too deeply to read (more levels of [ or { than the parser allows)"
"""The one message for JSON whose nesting exceeds Python's recursion limit (``RecursionError``)."""

_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_ABS_SCORE = 1e150
"""Largest score magnitude accepted. A score must be a finite number: ``inf`` is never a score
(it is an input error naming where it is), NaN is a missing score. Beyond 1e150 the squares that
variances and intervals need overflow float64 on tables of 10^8 rows, so such a number is refused
as well (no real metric comes near it)."""


def file_sha256(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """SHA-256 of one file, or of several files' contents in the given order."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@dataclasses.dataclass
class RunInfo:
    """Metadata of one run (one results file or harness invocation) for one task."""

    run_id: str
    model: str
    task: str
    harness: str
    source: str
    sha256: str
    harness_version: str | None = None
    created: str | None = None
    config: dict[str, Any] | None = None
    task_group: str | None = None

    def as_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # no deep copy
        row["config"] = (
            None if self.config is None else json.dumps(self.config, sort_keys=True, default=str)
        )
        return row


class ResponseBuilder:
    """Accumulate response rows column by column, then make a pyarrow Table.

    Readers call :meth:`add` once per (item, sample, metric). A score that is infinite or beyond
    :data:`MAX_ABS_SCORE` is an :class:`InputError` naming ``path``, the record, model, item and
    field; otherwise nothing is validated here beyond types: :func:`assay.io.validate_responses`
    reports NaN, out-of-range and missing ids.

    Parameters
    ----------
    path : str, optional
        The file the rows come from, named in errors.
    """

    def __init__(self, path: Any = None) -> None:
        self._cols: dict[str, list[Any]] = {f.name: [] for f in RESPONSE_SCHEMA}
        self._records: list[int | str | None] = []
        self._paths: list[tuple[int, str | None]] = []  # (first row, file) as the file changes
        self.notes: list[str] = []
        self.path = path

    @property
    def path(self) -> str | None:
        """The file that the next rows come from (a reader of several files sets it per file)."""
        return self._paths[-1][1] if self._paths else None

    @path.setter
    def path(self, value: Any) -> None:
        self._paths.append((len(self._records), None if value is None else str(value)))

    def _path_of(self, row: int) -> str | None:
        return next((p for start, p in reversed(self._paths) if start <= row), None)

    def __len__(self) -> int:
        return len(self._cols["model"])

    def add(
        self,
        *,
        model: str,
        task: str,
        item: str,
        metric: str,
        score: float | None,
        run_id: str,
        sample: int = 0,
        confidence: float | None = None,
        choice_logprobs: list[float] | None = None,
        target: Any = None,
        prediction: Any = None,
        input: Any = None,  # noqa: A002 - the column name of DESIGN.md
        cluster: Any = None,
        subject: Any = None,
        step: int | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        c = self._cols
        if score is not None:
            score = float(score)
            if not abs(score) <= MAX_ABS_SCORE and score == score:  # inf or huge; NaN is missing
                raise bad_score(
                    score,
                    path=self.path,
                    record=record,
                    model=model,
                    item=item,
                    field=field or metric,
                )
        if confidence is not None:
            confidence = float(confidence)
            if not abs(confidence) <= MAX_ABS_SCORE and confidence == confidence:
                raise bad_score(
                    confidence,
                    path=self.path,
                    record=record,
                    model=model,
                    item=item,
                    field=field or "confidence",
                )
        c["model"].append(model)
        c["task"].append(task)
        c["item"].append(item)
        c["sample"].append(int(sample))
        c["metric"].append(metric)
        c["score"].append(score)
        c["confidence"].append(confidence)
        c["choice_logprobs"].append(
            None if choice_logprobs is None else [float(x) for x in choice_logprobs]
        )
        c["target"].append(_text(target))
        c["prediction"].append(_text(prediction))
        c["input"].append(_text(input))
        c["cluster"].append(_text(cluster))
        c["subject"].append(_text(subject))
        c["step"].append(None if step is None else int(step))
        c["run_id"].append(run_id)
        self._records.append(record)

    def to_table(self) -> pa.Table:
        """The rows as a table of :data:`RESPONSE_SCHEMA`.

        Text that is not valid Unicode (a lone UTF-16 surrogate such as ``"\\ud800"``, which
        JSON allows) is replaced by U+FFFD in the text columns and counted in :attr:`notes`; in
        an id column (model, task, item, metric) it is an :class:`InputError` naming the record.
        """
        try:
            arrays = [pa.array(self._cols[f.name], type=f.type) for f in RESPONSE_SCHEMA]
        except UnicodeEncodeError:
            self._clean_surrogates()
            arrays = [pa.array(self._cols[f.name], type=f.type) for f in RESPONSE_SCHEMA]
        return pa.Table.from_arrays(arrays, schema=RESPONSE_SCHEMA)

    def _clean_surrogates(self) -> None:
        first, n = None, 0
        for f in RESPONSE_SCHEMA:
            if not pa.types.is_string(f.type):
                continue
            column = self._cols[f.name]
            for i, value in enumerate(column):
                if value is None or not _SURROGATE.search(value):
                    continue
                if f.name not in _STR_COLUMNS:
                    raise InputError(
                        f"{value!r} is not valid Unicode (a lone UTF-16 surrogate)",
                        path=self._path_of(i),
                        record=self._records[i],
                        field=f.name,
                    )
                column[i] = _SURROGATE.sub("\ufffd", value)
                n += 1
                first = first or (self._path_of(i), self._records[i], f.name)
        if n:
            rec = _record_label(first[1])
            self.notes.append(
                f"{first[0]}: {n} text value(s) held lone UTF-16 surrogates (not valid Unicode), "
                f"replaced by U+FFFD (the first in {rec}field '{first[2]}')"
            )


def _record_label(record: int | str | None) -> str:
    if record is None:
        return ""
    return f"line {record}, " if isinstance(record, int) else f"{record}, "


class MissingCompanionError(InputError):
    """A file that cannot be read without another one that is missing (an lm-eval samples file
    without its results file). An error when the file is named; found in a folder, it is listed
    in the notes and the rest of the folder is still read."""


def bad_score(
    value: float, *, path: Any, record: Any, model: Any, item: Any, field: str | None
) -> InputError:
    """The one error for a score that is infinite or beyond :data:`MAX_ABS_SCORE`."""
    what = "not finite" if math.isinf(value) else f"beyond +-{MAX_ABS_SCORE:g}"
    return InputError(
        f"score {value!r} of model {model!r}, item {item!r} is {what}; a score must be a finite "
        "number (write NaN or null for a missing one)",
        path=path,
        record=record,
        field=field,
    )


def _text(value: Any) -> str | None:
    """Text columns hold strings; lists and dicts from logs are kept as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int | float | bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class AggregateBuilder:
    """Accumulate aggregate rows (:data:`AGGREGATE_SCHEMA`) column by column, then make a Table."""

    def __init__(self) -> None:
        self._cols: dict[str, list[Any]] = {f.name: [] for f in AGGREGATE_SCHEMA}

    def __len__(self) -> int:
        return len(self._cols["model"])

    def add(
        self,
        *,
        model: str,
        task: str,
        metric: str,
        value: float | None,
        run_id: str,
        source: str,
        harness: str,
        stderr: float | None = None,
        n: int | None = None,
        step: int | None = None,
        aggregation: str | None = None,
        corpus_level: bool = False,
        higher_is_better: bool | None = None,
        level: str = "task",
    ) -> None:
        c = self._cols
        c["model"].append(model)
        c["task"].append(task)
        c["metric"].append(metric)
        c["value"].append(_finite_or_none(value))
        c["stderr"].append(_finite_or_none(stderr))
        c["n"].append(None if n is None else int(n))
        c["step"].append(None if step is None else int(step))
        c["aggregation"].append(aggregation)
        c["corpus_level"].append(bool(corpus_level))
        c["higher_is_better"].append(higher_is_better)
        c["level"].append(level)
        c["harness"].append(harness)
        c["run_id"].append(run_id)
        c["source"].append(str(source))

    def to_table(self) -> pa.Table:
        arrays = [pa.array(self._cols[f.name], type=f.type) for f in AGGREGATE_SCHEMA]
        return pa.Table.from_arrays(arrays, schema=AGGREGATE_SCHEMA)


def _finite_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def empty_aggregates() -> pa.Table:
    return AGGREGATE_SCHEMA.empty_table()


def empty_responses() -> pa.Table:
    return RESPONSE_SCHEMA.empty_table()


def empty_runs() -> pa.Table:
    return RUN_SCHEMA.empty_table()


@dataclasses.dataclass
class ReadResult:
    """What reading one or more sources gives.

    Attributes
    ----------
    responses : pyarrow.Table
        The long table (:data:`RESPONSE_SCHEMA`).
    runs : pyarrow.Table
        One row per (run, task) (:data:`RUN_SCHEMA`).
    notes : list of str
        Things the user should know that are not errors: failed samples left unscored, NaN
        scores, duplicates resolved, items without ids. Never empty when something was left out.
    sources : list of str
        The files or folders read.
    aggregates : pyarrow.Table
        What the harnesses reported as summaries (:data:`AGGREGATE_SCHEMA`): one row per (run,
        task, metric), for runs with per-item rows and for runs without them.
    corpus_items : pyarrow.Table
        Per-item (gold, prediction) pairs of corpus-level metrics (:data:`CORPUS_ITEM_SCHEMA`).
    """

    responses: pa.Table
    runs: pa.Table
    notes: list[str] = dataclasses.field(default_factory=list)
    sources: list[str] = dataclasses.field(default_factory=list)
    aggregates: pa.Table = dataclasses.field(default_factory=lambda: empty_aggregates())
    corpus_items: pa.Table = dataclasses.field(
        default_factory=lambda: CORPUS_ITEM_SCHEMA.empty_table()
    )

    @classmethod
    def from_parts(
        cls,
        builder: ResponseBuilder,
        runs: Iterable[RunInfo],
        *,
        notes: Iterable[str] = (),
        sources: Iterable[str] = (),
        aggregates: AggregateBuilder | None = None,
        corpus_items: list[dict[str, Any]] | None = None,
    ) -> ReadResult:
        rows = [r.as_row() for r in runs]
        for row in rows:
            for key, value in row.items():
                if isinstance(value, str) and _SURROGATE.search(value):
                    raise InputError(
                        f"{value!r} is not valid Unicode (a lone UTF-16 surrogate)",
                        path=row["source"] if key != "source" else None,
                        field=key,
                    )
        run_table = pa.Table.from_pylist(rows, schema=RUN_SCHEMA) if rows else empty_runs()
        responses = builder.to_table()
        notes = [*notes, *builder.notes]
        agg = empty_aggregates() if aggregates is None else aggregates.to_table()
        corpus = (
            pa.Table.from_pylist(corpus_items, schema=CORPUS_ITEM_SCHEMA)
            if corpus_items
            else CORPUS_ITEM_SCHEMA.empty_table()
        )
        return cls(responses, run_table, notes, [str(s) for s in sources], agg, corpus)

    def __repr__(self) -> str:
        return (
            f"ReadResult(responses={self.responses.num_rows} rows, runs={self.runs.num_rows}, "
            f"aggregates={self.aggregates.num_rows}, notes={len(self.notes)})"
        )


def concat_results(results: Iterable[ReadResult]) -> ReadResult:
    """Concatenate several read results (no de-duplication; see :func:`resolve_duplicates`)."""
    results = list(results)
    if not results:
        return ReadResult(empty_responses(), empty_runs())
    responses = pa.concat_tables([r.responses for r in results])
    runs = pa.concat_tables([r.runs for r in results])
    notes = [n for r in results for n in r.notes]
    sources = [s for r in results for s in r.sources]
    aggregates = pa.concat_tables([r.aggregates for r in results])
    corpus = pa.concat_tables([r.corpus_items for r in results])
    return ReadResult(responses, runs, notes, sources, aggregates, corpus)


def require(
    condition: bool, message: str, *, path: Any, record: Any = None, field: str | None = None
) -> None:
    """Raise an :class:`InputError` naming the file, record and field when ``condition`` is false."""
    if not condition:
        raise InputError(message, path=path, record=record, field=field)
