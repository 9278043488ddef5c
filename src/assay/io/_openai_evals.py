"""Reader for OpenAI evals records: the JSONL file that ``oaieval`` writes with ``LocalRecorder``.

The record holds one JSON object per line::

    {"spec": {"completion_fns": [...], "eval_name": "arith.dev.v0", "run_id": ..., "created_at": ...}}
    {"final_report": {"accuracy": 0.6, ...}, "run_id": ...}
    {"run_id": ..., "event_id": 0, "sample_id": "arith.dev.3", "type": "sampling", "data": {...}}
    {"run_id": ..., "event_id": 1, "sample_id": "arith.dev.3", "type": "match", "data": {...}}
    ...

The spec line is always first; the final report and the events follow in the order the recorder
flushed them (``oaieval`` writes the last events after the final report).

Mapping to the long table:

- ``model`` is the spec's ``completion_fns`` joined with ``,`` (one name in the usual case);
  ``task`` the spec's ``eval_name``; the run's ``created`` the spec's ``created_at``.
- ``item`` is the event's ``sample_id`` (``<eval>.<split>.<index>``, the sample's index in the
  eval's samples file, so it is stable across models).
- A ``match`` event gives metric ``match`` with score 1 when ``data.correct`` is true, else 0;
  ``target`` is ``data.expected`` (also given to the sample's other rows); ``prediction`` is ``data.sampled`` or, when the eval did not
  record it, what the sample's ``sampling`` event sampled.
- A ``metrics`` event gives one metric per numeric key of ``data`` (``accuracy``, ``f1_score``,
  ...); other values (text, lists) are left out and named in ``notes``.
- A ``sampling`` event gives the ``input`` (its ``prompt``) of the sample's rows.
- The k-th event of one metric for one sample becomes ``sample`` k (0-based), so an eval that
  records several matches per sample keeps them all.
- ``error`` events are failed samples: counted in ``notes``, never scored.
- Other event types (``embedding``, ``cond_logp``, ``pick_option``, ``raw_sample``, ``extra``,
  ``function_call``) carry no score and are skipped.

The run id is ``"openai_evals-"`` plus the first 16 hex digits of the file's SHA-256.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io._options import ReadOptions
from assay.io._schema import TOO_DEEP, ReadResult, ResponseBuilder, RunInfo, file_sha256

__all__ = ["NAME", "claim", "read"]

NAME = "openai_evals"

_HEAD_BYTES = 64 * 1024
_UNSCORED = {"embedding", "cond_logp", "pick_option", "raw_sample", "extra", "function_call"}


def claim(path: Path) -> bool:
    """Whether ``path`` is an OpenAI evals record: a ``.jsonl`` file whose first line is a
    ``{"spec": ...}`` object naming an ``eval_name``. Reads at most 64 KB."""
    path = Path(path)
    if not path.is_file() or not path.name.lower().endswith(".jsonl"):
        return False
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    first = head.lstrip().split(b"\n", 1)[0]
    return first.replace(b" ", b"").startswith(b'{"spec":{') and b'"eval_name"' in first


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read an OpenAI evals record into the long table."""
    path = Path(path)
    lines = _lines(path)
    spec = _spec(path, lines[0])
    model = options.model or ",".join(spec["completion_fns"])
    task = spec["eval_name"]
    sha = file_sha256(path)
    run_id = f"{NAME}-{sha[:16]}"

    final_report = None
    prompts: dict[str, Any] = {}
    sampled: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    scored: list[tuple[int, str, str, float | None, Any, Any]] = []
    errors = 0
    skipped: Counter[str] = Counter()
    for line_no, obj in lines[1:]:
        if "final_report" in obj and "type" not in obj:
            final_report = obj["final_report"]
            continue
        kind = _field(path, line_no, obj, "type", str)
        if kind in _UNSCORED:
            continue
        sample_id = _sample_id(path, line_no, obj)
        data = _field(path, line_no, obj, "data", dict)
        if kind == "sampling":
            prompts.setdefault(sample_id, data.get("prompt"))
            sampled.setdefault(sample_id, data.get("sampled"))
        elif kind == "match":
            correct = data.get("correct")
            if not isinstance(correct, bool):
                raise InputError(
                    f"expected true or false; got {_kind(correct)}",
                    path=str(path),
                    record=line_no,
                    field="data.correct",
                )
            pred = data.get("sampled")
            expected.setdefault(sample_id, data.get("expected"))
            scored.append((line_no, sample_id, "match", float(correct), data.get("expected"), pred))
        elif kind == "metrics":
            for key, value in data.items():
                score = _number(value)
                if score is _SKIP:
                    skipped[key] += 1
                    continue
                scored.append((line_no, sample_id, key, score, None, None))
        elif kind == "error":
            errors += 1

    builder = ResponseBuilder(path)
    seen: Counter[tuple[str, str]] = Counter()
    for line_no, sample_id, metric, score, target, pred in scored:
        k = seen[(sample_id, metric)]
        seen[(sample_id, metric)] += 1
        builder.add(
            model=model,
            task=task,
            item=sample_id,
            sample=k,
            metric=metric,
            score=score,
            run_id=run_id,
            record=line_no,
            target=_single(target if target is not None else expected.get(sample_id)),
            prediction=_single(pred if pred is not None else sampled.get(sample_id)),
            input=prompts.get(sample_id),
        )
    notes = _notes(path, errors, skipped, len(builder))
    run = RunInfo(
        run_id=run_id,
        model=model,
        task=task,
        harness=NAME,
        source=str(path),
        sha256=sha,
        created=spec.get("created_at") if isinstance(spec.get("created_at"), str) else None,
        config={
            "run_id": spec.get("run_id"),
            "base_eval": spec.get("base_eval"),
            "split": spec.get("split"),
            "created_by": spec.get("created_by"),
            "run_config": spec.get("run_config"),
            "final_report": final_report,
        },
    )
    return ReadResult.from_parts(builder, [run], notes=notes, sources=[str(path)])


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each non-blank line; errors name the line."""
    out: list[tuple[int, dict[str, Any]]] = []
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg}); is the line truncated?",
                    path=str(path),
                    record=line_no,
                ) from None
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", path=str(path), record=line_no) from None
            except RecursionError:
                raise InputError(TOO_DEEP, path=str(path), record=line_no) from None
            if not isinstance(obj, dict):
                raise InputError(
                    f"expected a JSON object; got {type(obj).__name__}",
                    path=str(path),
                    record=line_no,
                )
            out.append((line_no, obj))
    if not out:
        raise InputError(
            'empty file; expected an OpenAI evals record starting with {"spec": ...}',
            path=str(path),
        )
    return out


def _spec(path: Path, first: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    line_no, obj = first
    spec = obj.get("spec")
    if spec is None:
        raise InputError(
            'missing spec: the first line of an OpenAI evals record is {"spec": {...}}',
            path=str(path),
            record=line_no,
            field="spec",
        )
    if not isinstance(spec, dict):
        raise InputError(
            f"expected an object; got {_kind(spec)}", path=str(path), record=line_no, field="spec"
        )
    name = spec.get("eval_name")
    if not isinstance(name, str) or not name:
        raise InputError(
            f"expected the eval name as a non-empty string; got {_kind(name)}",
            path=str(path),
            record=line_no,
            field="spec.eval_name",
        )
    fns = spec.get("completion_fns")
    if not isinstance(fns, list) or not fns or not all(isinstance(f, str) and f for f in fns):
        raise InputError(
            f"expected a non-empty list of completion function names; got {_kind(fns)}",
            path=str(path),
            record=line_no,
            field="spec.completion_fns",
        )
    return spec


def _field(path: Path, line_no: int, obj: dict[str, Any], name: str, typ: type) -> Any:
    value = obj.get(name)
    if not isinstance(value, typ):
        raise InputError(
            f"expected {'an object' if typ is dict else 'a string'}; got {_kind(value)}",
            path=str(path),
            record=line_no,
            field=name,
        )
    return value


def _sample_id(path: Path, line_no: int, obj: dict[str, Any]) -> str:
    value = obj.get("sample_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise InputError(
            f"expected the sample id as a non-empty string; got {_kind(value)}",
            path=str(path),
            record=line_no,
            field="sample_id",
        )
    return value


class _Skip:
    pass


_SKIP = _Skip()


def _number(value: Any) -> float | None | _Skip:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    return _SKIP


def _single(value: Any) -> Any:
    """A one-element list (``sampled: ["5"]``) as its element; anything else unchanged."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _notes(path: Path, errors: int, skipped: Counter[str], n_rows: int) -> list[str]:
    notes = []
    if errors:
        notes.append(f"{path}: {errors} error event(s): failed samples, left unscored")
    for key, n in sorted(skipped.items()):
        notes.append(f"{path}: metrics value {key!r} is not a number in {n} event(s); left out")
    if n_rows == 0:
        notes.append(f"{path}: no match or metrics events, so no per-sample scores")
    return notes


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{type(value).__name__} {value!r}"[:80]
