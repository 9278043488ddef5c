"""Reader for Inspect (``inspect_ai``) evaluation logs: ``.eval`` zip archives and ``.json`` logs.

Neither needs ``inspect_ai`` installed. The layout read here is Inspect's log schema
(``inspect_ai/log/_log.py``: ``EvalLog``, ``EvalSpec``, ``EvalSample``, ``Score``) as written by
its two recorders:

- ``.json`` (``_recorders/json.py``): one object ``{version, status, eval, plan, results, stats,
  error, samples, reductions}``; logs of Inspect < 0.3.50 keep reductions in
  ``results.sample_reductions``; log-format version 1 samples carry a single ``score`` instead of
  the ``scores`` mapping.
- ``.eval`` (``_recorders/eval.py``): a zip holding ``header.json`` (the log without samples;
  absent while a run is still going, when ``_journal/start.json`` holds ``eval`` and ``plan``),
  one ``samples/<id>_epoch_<n>.json`` per sample and epoch, ``summaries.json`` (id, epoch and
  scores of each sample) and ``reductions.json``.

One row per (sample id, epoch, scorer or scorer/key): ``item`` is ``str(id)`` and ``sample`` is
``epoch - 1``. Per-epoch scores are read, never the epoch-reduced ``reductions``. Score values
map to floats as Inspect's ``value_to_float`` does (``C`` 1, ``P`` 0.5, ``I`` and ``N`` 0;
``yes``/``true`` 1, ``no``/``false`` 0; numbers and numeric strings as floats), except that a
value Inspect would coerce to 0 with a warning (an unknown string, a list) is an error here.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io import _aggregates
from assay.io._inspect_zip import (
    HEADER,
    START,
    _eval_index,
    _open_zip,
    _read_member,
    _require_type,
    _short,
)
from assay.io._options import ReadOptions
from assay.io._schema import ReadResult, ResponseBuilder, RunInfo, file_sha256

__all__ = ["NAME", "claim", "read"]

NAME = "inspect"

PEEK_BYTES = 64 * 1024
"""How much of a file :func:`claim` reads at most."""


# Inspect's value_to_float (inspect_ai/scorer/_metric.py): exact letters first, then words.
_LETTERS = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
_WORDS = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}
_ATTACHMENT = "attachment://"
_ZIP_MAGIC = b"PK\x03\x04"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


# --------------------------------------------------------------------------------------------
# claim


def claim(path: Path) -> bool:
    """Whether ``path`` is an Inspect log; reads at most :data:`PEEK_BYTES`.

    A file named ``*.eval`` is claimed whatever it holds, so that a broken one gets an error that
    says what is wrong with it; another zip is claimed when its first member is Inspect's
    ``_journal/start.json`` or ``header.json``. A ``.json`` file is claimed when its top-level
    object has an ``eval`` key and a ``version`` or ``status`` key.
    """
    path = Path(path)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".eval":
        return True
    with open(path, "rb") as fh:
        head = fh.read(PEEK_BYTES)
    if head.startswith(_ZIP_MAGIC):
        return _first_member_name(head) in (START, HEADER)
    if path.suffix.lower() != ".json":
        return False
    keys = _top_level_keys(head.decode("utf-8", errors="replace"))
    return "eval" in keys and ("version" in keys or "status" in keys)


def _first_member_name(head: bytes) -> str | None:
    """Name of the first member from a zip's first local file header (30 fixed bytes + name)."""
    if len(head) < 30:
        return None
    name_len = int.from_bytes(head[26:28], "little")
    return head[30 : 30 + name_len].decode("utf-8", errors="replace")


def _top_level_keys(text: str) -> set[str]:
    """Keys of the outermost JSON object found in a (possibly cut) prefix of a JSON document."""
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return set()
    keys: set[str] = set()
    depth, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = _STRING.match(text, i)
            if m is None:  # string cut by the peek limit
                break
            i = m.end()
            if depth == 1 and text[i:].lstrip().startswith(":"):
                keys.add(m.group()[1:-1])
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                break
        i += 1
    return keys


# --------------------------------------------------------------------------------------------
# read


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read one Inspect log (``.eval`` or ``.json``) into the long table.

    Parameters
    ----------
    path : Path
        The log file.
    options : ReadOptions
        ``model`` overrides ``eval.model``; ``cluster_field`` and ``subject_field`` name keys of
        each sample's ``metadata``.

    Returns
    -------
    ReadResult
        One row per (sample id, epoch, metric) and one run row. ``notes`` count the samples left
        unscored (errors, no scores) and say when the file holds fewer samples than the run had.

    Raises
    ------
    InputError
        A corrupt zip or JSON, a zip member whose path escapes the archive, a missing member, a
        wrong type in a field, a score value that cannot be mapped to a number, or a named
        metadata field that a sample lacks; each names the file, the record and the field.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise InputError("empty file: not an Inspect log", path=str(path))
    builder, tally = ResponseBuilder(path), _Tally()
    if path.suffix.lower() == ".eval" or _is_zip(path):
        with _open_zip(path) as zf:
            header, members, budget = _eval_index(zf, path)
            spec = _LogSpec.from_header(header, path, options)
            for name in members:
                sample = _read_member(zf, name, path, budget)
                _add_sample(builder, tally, spec, sample, name, options)
    else:
        header, samples = _open_json(path)
        spec = _LogSpec.from_header(header, path, options)
        for record, sample in samples:
            _add_sample(builder, tally, spec, sample, record, options)
    notes = _notes(spec, tally, path)
    aggregates = (
        _aggregates.AggregateBuilder()
    )  # results.scores: what Inspect summarised (issue 15)
    _aggregates.inspect_rows(
        spec.results,
        aggregates,
        model=spec.model,
        task=spec.task,
        run_id=spec.run_id,
        source=str(path),
    )
    return ReadResult.from_parts(
        builder, [spec.run_info()], notes=notes, sources=[path], aggregates=aggregates
    )


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == _ZIP_MAGIC


# --------------------------------------------------------------------------------------------
# loading: .json


def _open_json(path: Path) -> tuple[dict, list[tuple[str, Any]]]:
    """The header fields and ``[(record, sample), ...]`` of a ``.json`` log."""
    try:
        with open(path, "rb") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg}, column {exc.colno}); is the file truncated?",
            path=str(path),
            record=exc.lineno,
        ) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"not readable as JSON: {type(exc).__name__}", path=str(path)) from None
    _require_type(doc, dict, path=path, record="top level", field=None, what="a JSON object")
    samples = doc.get("samples")
    if samples is None:  # a header-only log (written without samples)
        return doc, []
    _require_type(samples, list, path=path, record="top level", field="samples", what="a list")
    return doc, [(f"samples[{i}]", s) for i, s in enumerate(samples)]


# --------------------------------------------------------------------------------------------
# the run


@dataclasses.dataclass(frozen=True)
class _LogSpec:
    """What every row of one log shares, and the run row."""

    path: Path
    model: str
    task: str
    run_id: str
    sha256: str
    created: str | None
    harness_version: str | None
    status: Any
    results: dict[str, Any]
    default_scorer: str
    config: dict[str, Any]

    @classmethod
    def from_header(cls, header: dict, path: Path, options: ReadOptions) -> _LogSpec:
        rec = HEADER if path.suffix.lower() == ".eval" else "top level"
        ev = header.get("eval")
        _require_type(ev, dict, path=path, record=rec, field="eval", what="a JSON object")
        model = ev.get("model")
        task = ev.get("task")
        _require_type(model, str, path=path, record=rec, field="eval.model", what="a string")
        _require_type(task, str, path=path, record=rec, field="eval.task", what="a string")
        results = header.get("results")
        if results is not None:
            _require_type(
                results, dict, path=path, record=rec, field="results", what="a JSON object"
            )
        sha = file_sha256(path)
        packages = ev.get("packages") if isinstance(ev.get("packages"), dict) else {}
        version = header.get("version")
        return cls(
            path=path,
            model=options.model or model,
            task=task,
            run_id="inspect-" + sha[:16],
            sha256=sha,
            created=_str_or_none(ev.get("created")),
            harness_version=_str_or_none(packages.get("inspect_ai")),
            status=header.get("status"),
            results=results or {},
            default_scorer=_default_scorer(ev, results or {}),
            config=_config(header, ev, version),
        )

    def run_info(self) -> RunInfo:
        return RunInfo(
            run_id=self.run_id,
            model=self.model,
            task=self.task,
            harness="inspect",
            source=str(self.path),
            sha256=self.sha256,
            harness_version=self.harness_version,
            created=self.created,
            config=self.config,
        )


def _config(header: dict, ev: dict, version: Any) -> dict[str, Any]:
    plan = header.get("plan") if isinstance(header.get("plan"), dict) else {}
    dataset = ev.get("dataset") if isinstance(ev.get("dataset"), dict) else {}
    scorers = ev.get("scorers") if isinstance(ev.get("scorers"), list) else []
    config = {
        "log_version": version,
        "status": header.get("status"),
        "inspect_run_id": ev.get("run_id"),
        "eval_id": ev.get("eval_id"),
        "task_id": ev.get("task_id"),
        "task_version": ev.get("task_version"),
        "config": ev.get("config"),
        "task_args": ev.get("task_args"),
        "model_args": ev.get("model_args"),
        "model_generate_config": ev.get("model_generate_config"),
        "plan_config": plan.get("config"),
        "solver": ev.get("solver"),
        "dataset": {k: dataset.get(k) for k in ("name", "location", "samples") if k in dataset},
        "scorers": [s.get("name") for s in scorers if isinstance(s, dict)],
        "revision": ev.get("revision"),
    }
    return {k: v for k, v in config.items() if v not in (None, {}, [])}


def _default_scorer(ev: dict, results: dict) -> str:
    """Scorer name for a log-format-1 sample's single ``score``."""
    scorers = ev.get("scorers")
    if isinstance(scorers, list) and scorers and isinstance(scorers[0], dict):
        if isinstance(scorers[0].get("name"), str):
            return scorers[0]["name"]
    for key in ("scores", "scorer"):
        first = results.get(key)
        first = first[0] if isinstance(first, list) and first else first
        if isinstance(first, dict) and isinstance(first.get("name"), str):
            return first["name"]
    return "score"


# --------------------------------------------------------------------------------------------
# samples -> rows


@dataclasses.dataclass
class _Tally:
    """Samples met in one log: (item, epoch) -> record, and those left unscored, by reason."""

    seen: dict[tuple[str, int], str] = dataclasses.field(default_factory=dict)
    failed: list[str] = dataclasses.field(default_factory=list)
    unscored: list[str] = dataclasses.field(default_factory=list)
    invalidated: list[str] = dataclasses.field(default_factory=list)


def _add_sample(
    builder: ResponseBuilder,
    tally: _Tally,
    spec: _LogSpec,
    sample: dict,
    record: str,
    options: ReadOptions,
) -> None:
    path = spec.path
    _require_type(sample, dict, path=path, record=record, field=None, what="a JSON object")
    sid, epoch = sample.get("id"), sample.get("epoch")
    if isinstance(sid, bool) or not isinstance(sid, int | str):
        raise InputError(
            f"sample id must be an integer or a string; got {_short(sid)}",
            path=str(path),
            record=record,
            field="id",
        )
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise InputError(
            f"epoch must be an integer >= 1; got {_short(epoch)}",
            path=str(path),
            record=record,
            field="epoch",
        )
    item = str(sid)
    label = f"{item!r} epoch {epoch}"
    if (item, epoch) in tally.seen:
        raise InputError(
            f"sample id {item!r} epoch {epoch} appears twice (also in {tally.seen[item, epoch]})",
            path=str(path),
            record=record,
            field="id",
        )
    tally.seen[item, epoch] = record
    if sample.get("error"):
        tally.failed.append(label)
        return
    if sample.get("invalidation"):
        tally.invalidated.append(label)
        return
    scores = _sample_scores(sample, spec, record)
    if not scores:
        tally.unscored.append(label)
        return
    attachments = sample.get("attachments") if isinstance(sample.get("attachments"), dict) else {}
    shared = {
        "target": _target(sample.get("target"), attachments),
        "input": _input_text(sample.get("input"), attachments),
        "cluster": _metadata_field(sample, options.cluster_field, path, record),
        "subject": _metadata_field(sample, options.subject_field, path, record),
    }
    completion = _completion(sample.get("output"), attachments)
    for scorer, score in scores.items():
        where = f"scores.{scorer}"
        _require_type(score, dict, path=path, record=record, field=where, what="a JSON object")
        if "value" not in score:
            raise InputError(
                "score has no 'value'", path=str(path), record=record, field=f"{where}.value"
            )
        answer = score.get("answer")
        prediction = _resolve(answer, attachments) if isinstance(answer, str) else completion
        for metric, value in _score_values(scorer, score["value"], path, record):
            builder.add(
                model=spec.model,
                task=spec.task,
                item=item,
                sample=epoch - 1,
                metric=metric,
                score=value,
                run_id=spec.run_id,
                prediction=prediction,
                record=record,
                field=f"scores.{scorer}.value",
                **shared,
            )


def _sample_scores(sample: dict, spec: _LogSpec, record: str) -> dict[str, Any]:
    """The ``scores`` mapping, or a log-format-1 ``score`` under the task's scorer name."""
    if "scores" in sample and sample["scores"] is not None:
        scores = sample["scores"]
        _require_type(
            scores,
            dict,
            path=spec.path,
            record=record,
            field="scores",
            what="a mapping of scorer name to score",
        )
        return scores
    if sample.get("score") is not None:
        return {spec.default_scorer: sample["score"]}
    return {}


def _score_values(
    scorer: str, value: Any, path: Path, record: str
) -> list[tuple[str, float | None]]:
    """``[(metric, score)]``: one for a scalar value, one per key (``scorer/key``) for a dict."""
    field = f"scores.{scorer}.value"
    if isinstance(value, dict):
        if not value:
            raise InputError(
                "score value is an empty mapping; expected a number, a letter "
                "(C/P/I/N) or a mapping of names to those",
                path=str(path),
                record=record,
                field=field,
            )
        return [
            (f"{scorer}/{k}", _value_to_float(v, path, record, f"{field}.{k}"))
            for k, v in value.items()
        ]
    return [(scorer, _value_to_float(value, path, record, field))]


def _value_to_float(value: Any, path: Path, record: str, field: str) -> float | None:
    """Inspect's ``value_to_float``, strict: what it would coerce to 0 with a warning raises.

    None (a NaN that JSON could not hold) and NaN are kept as missing, as Inspect's metrics skip
    them.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value in _LETTERS:
            return _LETTERS[value]
        word = value.strip().lower()
        if word in _WORDS:
            return _WORDS[word]
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
        raise InputError(
            f"score value {value!r} is not a number, a letter grade (C/P/I/N) or yes/no/true/false",
            path=str(path),
            record=record,
            field=field,
        )
    raise InputError(
        f"score value must be a number, a string or a mapping; got "
        f"{type(value).__name__} {_short(value)}",
        path=str(path),
        record=record,
        field=field,
    )


def _metadata_field(sample: dict, name: str | None, path: Path, record: str) -> Any:
    if name is None:
        return None
    metadata = sample.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if name not in metadata:
        keys = ", ".join(sorted(map(str, metadata))) or "none"
        raise InputError(
            f"sample {sample.get('id')!r} has no metadata field {name!r} "
            f"(its metadata keys: {keys})",
            path=str(path),
            record=record,
            field=f"metadata.{name}",
        )
    return metadata[name]


# --------------------------------------------------------------------------------------------
# text fields


def _resolve(text: str, attachments: dict) -> str:
    """Replace an ``attachment://<hash>`` reference by the attachment's content."""
    if text.startswith(_ATTACHMENT):
        found = attachments.get(text[len(_ATTACHMENT) :])
        if isinstance(found, str):
            return found
    return text


def _content_text(content: Any, attachments: dict) -> str | None:
    """Text of a message's content: a string, or the ``text`` parts of a content list."""
    if isinstance(content, str):
        return _resolve(content, attachments)
    if isinstance(content, list):
        parts = [
            _resolve(c["text"], attachments)
            for c in content
            if isinstance(c, dict) and c.get("type") == "text" and isinstance(c.get("text"), str)
        ]
        return "\n".join(parts) if parts else None
    return None


def _input_text(value: Any, attachments: dict) -> Any:
    if isinstance(value, str):
        return _resolve(value, attachments)
    if isinstance(value, list):
        texts = [_content_text(m.get("content"), attachments) for m in value if isinstance(m, dict)]
        return "\n\n".join(t for t in texts if t)
    return value


def _target(value: Any, attachments: dict) -> Any:
    if isinstance(value, str):
        return _resolve(value, attachments)
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return _resolve(value[0], attachments)
    return value  # several targets are kept as a JSON list


def _completion(output: Any, attachments: dict) -> str | None:
    """``output.completion``, or the text of the first choice's message (older logs)."""
    if not isinstance(output, dict):
        return None
    if isinstance(output.get("completion"), str):
        return _resolve(output["completion"], attachments)
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return _content_text(message.get("content"), attachments)
    return None


# --------------------------------------------------------------------------------------------
# notes and small helpers


def _notes(spec: _LogSpec, tally: _Tally, path: Path) -> list[str]:
    name = path.name
    notes = []
    for labels, what in (
        (tally.failed, "failed with an error"),
        (tally.unscored, "have no scores"),
        (tally.invalidated, "were invalidated"),
    ):
        if labels:
            notes.append(
                f"{name}: {len(labels)} sample(s) {what} and were not scored "
                f"(not counted as 0): {_examples(labels)}"
            )
    if spec.status not in (None, "success"):
        notes.append(
            f"{name}: the run's status is {spec.status!r}, not 'success'; only the "
            "samples it logged are read"
        )
    total = spec.results.get("total_samples")
    held = len(tally.seen)
    if held == 0 and isinstance(total, int) and total > 0:
        notes.append(
            f"{name}: the log holds no per-sample results (header only) although its "
            f"results count {total} samples; nothing to read per item"
        )
    elif isinstance(total, int) and held < total:
        notes.append(f"{name}: the log's results count {total} samples but the file holds {held}")
    return notes


def _examples(labels: list[str], k: int = 5) -> str:
    counts = Counter(labels)
    shown = ", ".join(list(counts)[:k])
    return shown + (" ..." if len(counts) > k else "")


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
