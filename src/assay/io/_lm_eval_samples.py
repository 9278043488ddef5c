"""lm-evaluation-harness samples files (``samples_<task>_<date>.jsonl``): one response row per line.

Used by :mod:`assay.io._lm_eval`, which reads the results file and hands each task's spec
(:class:`_TaskSpec`) and samples file to :class:`_SamplesReader`.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io._options import ReadOptions
from assay.io._schema import TOO_DEEP, ResponseBuilder

try:  # orjson parses JSON lines about twice as fast; it is optional
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_HEAD_BYTES = 65536


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
                    except RecursionError:
                        raise InputError(TOO_DEEP, path=str(path), record=lineno) from None
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
        except RecursionError:
            raise InputError(TOO_DEEP, path=str(self.path)) from None
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
        builder.path = str(self.path)
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
            record=record,
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
