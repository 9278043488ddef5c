"""Reader for HELM run folders (``run_spec.json`` + ``per_instance_stats.json``).

A HELM run folder (``benchmark_output/runs/<suite>/<run name>/``) holds ``run_spec.json``,
``per_instance_stats.json``, ``scenario_state.json``, ``stats.json`` and ``scenario.json``. The
folder is the unit read; any of its JSON files given alone reads the whole folder.

Mapping to the long table
-------------------------
- **score**: the ``mean`` of each per-instance stat in ``per_instance_stats.json`` (not
  ``scenario_state.json``, which holds no correctness). Stats with ``count == 0`` carry no value
  and are left out; HELM's bookkeeping stats (token counts, runtimes, ``finish_reason_*``,
  ``batch_size``, ``max_prob``, ``logprob``, ... see :data:`NON_SCORE_STATS`) are not per-item
  scores and are left out, as the notes say.
- **metric**: the stat's ``name.name`` (``exact_match``, ``quasi_exact_match``, ``f1_score``,
  ``exact_match@5``, ...). A stat computed on a perturbed instance is kept apart from the
  unperturbed one by a suffix ``,perturbation=<name>`` (``exact_match,perturbation=typos``),
  followed by the perturbation's own parameters when it has any
  (``exact_match,perturbation=typos;prob=0.1``). The comma form matches how lm-eval filters are
  suffixed, so ``exact_match,perturbation=typos`` still counts as a binary metric; ``@`` is not
  used because HELM itself writes ``exact_match@5``.
- **item**: ``instance_id``; **sample**: ``train_trial_index`` (train trials are repeats).
- **model**: ``adapter_spec.model`` of ``run_spec.json`` (``openai/gpt2``), unless
  :attr:`ReadOptions.model` is given.
- **task**: the run-spec name with its ``model=`` and ``model_deployment=`` arguments removed, so
  that runs of several models on one scenario share a task: ``mmlu:subject=philosophy,
  method=multiple_choice_joint`` from ``mmlu:subject=philosophy,method=multiple_choice_joint,
  model=openai_gpt2``; ``narrative_qa`` from ``narrative_qa:model=openai_gpt2``.
- **subject**: the scenario argument ``subject`` (MMLU) when present. ``subject_field`` and
  ``cluster_field`` may name a key of the instance in ``scenario_state.json`` (``split``,
  ``sub_split``) or a scenario argument instead.
- **target** (the correct references' text; a JSON list when there are several),
  **prediction** (the first completion's text, stripped of surrounding white space) and
  **input** (the instance's input text) come from ``scenario_state.json`` when it is there,
  matched on (instance id, train trial, perturbation).
- **run**: harness ``helm``; ``run_id`` is ``helm-`` and the first 16 hex digits of the SHA-256 of
  ``run_spec.json`` followed by ``per_instance_stats.json`` (``sha256`` is the full digest);
  ``config`` is the run spec; ``created`` is None (HELM writes no run time).
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections import Counter
from pathlib import Path
from typing import Any

from assay._core import InputError
from assay.io import _aggregates
from assay.io._options import ReadOptions
from assay.io._schema import TOO_DEEP, ReadResult, ResponseBuilder, RunInfo

__all__ = ["NAME", "NON_SCORE_STATS", "claim", "read"]

NAME = "helm"

RUN_SPEC = "run_spec.json"
PER_INSTANCE_STATS = "per_instance_stats.json"
SCENARIO_STATE = "scenario_state.json"
_OTHER_MEMBERS = ("stats.json", "scenario.json")

NON_SCORE_STATS = frozenset(
    {
        "batch_size",
        "bits_per_byte",
        "logprob",
        "logprob_per_byte",
        "max_prob",
        "perplexity",
        "predicted_index",
        "prompt_truncated",
    }
)
"""HELM per-instance stats that describe the request, not the answer's quality."""

_NON_SCORE_PREFIXES = ("num_", "finish_reason_", "inference_", "training_", "estimated_")

# Perturbation fields that say how a stat was aggregated, not which perturbation it was.
_PERTURBATION_FLAGS = ("name", "robustness", "fairness", "computed_on")


def claim(path: Path) -> bool:
    """Whether ``path`` is a HELM run folder or one of the JSON files in one.

    A folder is claimed when it holds ``run_spec.json`` and ``per_instance_stats.json``. The
    files ``run_spec.json``, ``per_instance_stats.json`` and ``scenario_state.json`` are claimed by
    name (so a broken run folder is reported as HELM, not as an unknown file), ``stats.json`` and
    ``scenario.json`` only beside one of them. Reads no file content.
    """
    path = Path(path)
    if path.is_dir():  # stats.json alone (no per-instance stats) reads as aggregates only
        return (path / RUN_SPEC).is_file() and (
            (path / PER_INSTANCE_STATS).is_file() or (path / "stats.json").is_file()
        )
    if path.name in (RUN_SPEC, PER_INSTANCE_STATS, SCENARIO_STATE):
        return True
    if path.name in _OTHER_MEMBERS:
        return (path.parent / RUN_SPEC).is_file() or (path.parent / PER_INSTANCE_STATS).is_file()
    return False


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read one HELM run folder (or the folder of a HELM JSON file) into the long table.

    Parameters
    ----------
    path : Path
        The run folder, or any of its JSON files.
    options : ReadOptions
        ``model`` overrides the run spec's model; ``subject_field`` and ``cluster_field`` name an
        instance key or scenario argument.

    Returns
    -------
    ReadResult
        One row per (instance, train trial, per-item stat, perturbation); one run.

    Raises
    ------
    InputError
        A missing ``run_spec.json`` or ``per_instance_stats.json``, an empty or malformed file, or
        a field of the wrong type, naming the file, the record and the field.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    spec_bytes, run_spec = _load(folder, RUN_SPEC)
    if not (folder / PER_INSTANCE_STATS).is_file() and (folder / "stats.json").is_file():
        return _read_stats_only(folder, spec_bytes, run_spec, options)
    stats_bytes, records = _load(folder, PER_INSTANCE_STATS)
    state = _load(folder, SCENARIO_STATE)[1] if (folder / SCENARIO_STATE).is_file() else None

    spec_path = str(folder / RUN_SPEC)
    model, task, scenario_args = _run_spec_fields(run_spec, spec_path, options)
    texts = _scenario_texts(state, str(folder / SCENARIO_STATE))
    _check_field_option(options, scenario_args, texts, folder)

    digest = hashlib.sha256(spec_bytes + stats_bytes).hexdigest()
    run_id = f"helm-{digest[:16]}"
    builder = ResponseBuilder(folder / PER_INSTANCE_STATS)
    stats_path = str(folder / PER_INSTANCE_STATS)
    if not isinstance(records, list):
        raise InputError(
            f"expected a JSON list of per-instance stats; got {type(records).__name__}",
            path=stats_path,
        )
    splits: Counter[str] = Counter()
    left_out: set[str] = set()
    for i, record in enumerate(records):
        _add_record(
            builder,
            record,
            index=i,
            path=stats_path,
            fixed={"model": model, "task": task, "run_id": run_id},
            scenario_args=scenario_args,
            texts=texts,
            options=options,
            splits=splits,
            left_out=left_out,
        )
    run = RunInfo(
        run_id=run_id,
        model=model,
        task=task,
        harness=NAME,
        source=str(folder),
        sha256=digest,
        config=run_spec,
    )
    notes = _notes(folder, len(records), splits, left_out, has_state=state is not None)
    sources = [folder] + [
        folder / n
        for n in (RUN_SPEC, PER_INSTANCE_STATS, SCENARIO_STATE, *_OTHER_MEMBERS)
        if (folder / n).is_file()
    ]
    aggregates = _stats_aggregates(folder, model, task, run_id, notes)
    return ReadResult.from_parts(
        builder, [run], notes=notes, sources=sources, aggregates=aggregates
    )


def _stats_aggregates(
    folder: Path, model: str, task: str, run_id: str, notes: list[str]
) -> _aggregates.AggregateBuilder:
    """HELM's run-level means from ``stats.json`` (issue 15); a broken one is a note."""
    builder = _aggregates.AggregateBuilder()
    if (folder / "stats.json").is_file():
        try:
            stats = _load(folder, "stats.json")[1]
        except InputError as exc:
            notes.append(f"{folder / 'stats.json'}: not read ({exc})")
            return builder
        _aggregates.helm_rows(
            stats, builder, model=model, task=task, run_id=run_id, source=str(folder)
        )
    return builder


def _read_stats_only(
    folder: Path, spec_bytes: bytes, run_spec: Any, options: ReadOptions
) -> ReadResult:
    """A run folder with ``stats.json`` but no ``per_instance_stats.json``: aggregates only."""
    stats_bytes, stats = _load(folder, "stats.json")
    model, task, _ = _run_spec_fields(run_spec, str(folder / RUN_SPEC), options)
    digest = hashlib.sha256(spec_bytes + stats_bytes).hexdigest()
    run_id = f"helm-{digest[:16]}"
    builder = _aggregates.AggregateBuilder()
    _aggregates.helm_rows(stats, builder, model=model, task=task, run_id=run_id, source=str(folder))
    run = RunInfo(
        run_id=run_id,
        model=model,
        task=task,
        harness=NAME,
        source=str(folder),
        sha256=digest,
        config=run_spec,
    )
    notes = [
        f"{folder.name}: no {PER_INSTANCE_STATS}; only HELM's run-level means in stats.json are "
        f"read (keep {PER_INSTANCE_STATS} for per-item analyses)"
    ]
    return ReadResult.from_parts(
        ResponseBuilder(), [run], notes=notes, sources=[folder], aggregates=builder
    )


# -- files ---------------------------------------------------------------------------------------


def _load(folder: Path, name: str) -> tuple[bytes, Any]:
    """Return the bytes and parsed JSON of ``folder/name``, or raise an ``InputError``."""
    path = folder / name
    if not path.is_file():
        raise InputError(
            f"not a complete HELM run folder: {name} is missing (a run folder holds "
            f"{RUN_SPEC} and {PER_INSTANCE_STATS})",
            path=str(folder),
            field=name,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if not data.strip():
        raise InputError("empty file; expected HELM JSON", path=str(path))
    try:
        return data, json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None
    except RecursionError:
        raise InputError(TOO_DEEP, path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg} at column {exc.colno}); is the file truncated?",
            path=str(path),
            record=exc.lineno,
        ) from None


def _run_spec_fields(spec: Any, path: str, options: ReadOptions) -> tuple[str, str, dict[str, Any]]:
    """Return (model, task, scenario args) from a run spec."""
    if not isinstance(spec, dict):
        raise InputError(f"expected a JSON object; got {type(spec).__name__}", path=path)
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(
            f"expected the run name as a string; got {name!r}",
            path=path,
            record="run_spec",
            field="name",
        )
    adapter = spec.get("adapter_spec")
    if not isinstance(adapter, dict):
        raise InputError(
            f"expected an object; got {type(adapter).__name__}",
            path=path,
            record="run_spec",
            field="adapter_spec",
        )
    model = adapter.get("model")
    if options.model is None and (not isinstance(model, str) or not model):
        raise InputError(
            f"expected the model name as a string; got {model!r}",
            path=path,
            record="adapter_spec",
            field="model",
        )
    scenario = spec.get("scenario_spec") or {}
    args = scenario.get("args") if isinstance(scenario, dict) else None
    if args is not None and not isinstance(args, dict):
        raise InputError(
            f"expected an object; got {type(args).__name__}",
            path=path,
            record="scenario_spec",
            field="args",
        )
    return options.model or model, task_name(name), dict(args or {})


def task_name(run_name: str) -> str:
    """The task of a HELM run name: the name without its ``model=``/``model_deployment=`` args.

    >>> task_name("mmlu:subject=philosophy,method=multiple_choice_joint,model=openai_gpt2")
    'mmlu:subject=philosophy,method=multiple_choice_joint'
    >>> task_name("narrative_qa:model=openai_gpt2")
    'narrative_qa'
    """
    scenario, sep, args = run_name.partition(":")
    if not sep:
        return run_name
    kept = [a for a in args.split(",") if a.split("=", 1)[0] not in ("model", "model_deployment")]
    return f"{scenario}:{','.join(kept)}" if kept else scenario


# -- scenario_state.json -------------------------------------------------------------------------


def _scenario_texts(state: Any, path: str) -> dict[tuple[str, int, str | None], dict[str, Any]]:
    """Map (instance id, train trial, perturbation label) to target, prediction, input, instance."""
    if state is None:
        return {}
    states = state.get("request_states") if isinstance(state, dict) else None
    if not isinstance(states, list):
        raise InputError(
            "expected an object with a list 'request_states'", path=path, field="request_states"
        )
    out: dict[tuple[str, int, str | None], dict[str, Any]] = {}
    for i, rs in enumerate(states):
        record = f"request_states[{i}]"
        if not isinstance(rs, dict) or not isinstance(rs.get("instance"), dict):
            raise InputError(
                "expected an object with an 'instance' object",
                path=path,
                record=record,
                field="instance",
            )
        instance = rs["instance"]
        iid = _instance_id(instance.get("id"), path, record, "instance.id")
        trial = _trial(rs.get("train_trial_index", 0), path, record)
        key = (iid, trial, _perturbation_label(instance.get("perturbation"), path, record))
        prediction = None
        if rs.get("reference_index") is None:
            result = _typed(rs.get("result"), dict, path, record, "result")
            completions = _typed(
                result.get("completions"), list, path, record, "result.completions"
            )
            if completions and isinstance(completions[0], dict):
                text = completions[0].get("text")
                prediction = text.strip() if isinstance(text, str) else text
        entry = out.get(key)
        if entry is None:
            refs = _typed(instance.get("references"), list, path, record, "instance.references")
            out[key] = {
                "target": _correct_references(refs, path, record),
                "prediction": prediction,
                "input": _typed(instance.get("input"), dict, path, record, "instance.input").get(
                    "text"
                ),
                "instance": instance,
            }
        elif entry["prediction"] is None:
            entry["prediction"] = prediction
    return out


def _typed(value: Any, kind: type, path: str, record: str, field: str) -> Any:
    """``value`` if of ``kind``, an empty one when null or absent; else an InputError."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        what = "an object" if kind is dict else "a list"
        raise InputError(
            f"expected {what} or null; got {type(value).__name__}",
            path=path,
            record=record,
            field=field,
        )
    return value


def _correct_references(references: list, path: str, record: str) -> Any:
    correct = []
    for j, r in enumerate(references):
        where = f"instance.references[{j}]"
        r = _typed(r, dict, path, record, where)
        if "correct" in _typed(r.get("tags"), list, path, record, f"{where}.tags"):
            correct.append(
                _typed(r.get("output"), dict, path, record, f"{where}.output").get("text")
            )
    if not correct:
        return None
    return correct[0] if len(correct) == 1 else correct


def _check_field_option(options: ReadOptions, args: dict, texts: dict, folder: Path) -> None:
    """A named subject/cluster field must exist as a scenario arg or an instance key."""
    keys = set(args)
    for entry in texts.values():
        keys.update(entry["instance"])
    for option in ("subject_field", "cluster_field"):
        name = getattr(options, option)
        if name is not None and name not in keys:
            raise InputError(
                f"`{option}`={name!r} is neither a scenario argument nor an instance key; "
                f"available: {', '.join(sorted(keys)) or 'none'}",
                path=str(folder),
                field=name,
            )


def _field_value(name: str, args: dict, instance: dict | None) -> Any:
    if instance is not None and name in instance:
        return instance[name]
    return args.get(name)


# -- per_instance_stats.json ---------------------------------------------------------------------


def _add_record(
    builder: ResponseBuilder,
    record: Any,
    *,
    index: int,
    path: str,
    fixed: dict[str, str],
    scenario_args: dict[str, Any],
    texts: dict,
    options: ReadOptions,
    splits: Counter[str],
    left_out: set[str],
) -> None:
    """Add the rows of one per-instance record (one instance x train trial x perturbation)."""
    where = f"record [{index}]"
    if not isinstance(record, dict):
        raise InputError(
            f"expected an object; got {type(record).__name__}", path=path, record=where
        )
    iid = _instance_id(record.get("instance_id"), path, where, "instance_id")
    where = f"record [{index}] (instance {iid})"
    trial = _trial(record.get("train_trial_index", 0), path, where)
    stats = record.get("stats")
    if not isinstance(stats, list):
        raise InputError(
            f"expected a list of stats; got {type(stats).__name__}",
            path=path,
            record=where,
            field="stats",
        )
    base_label = _perturbation_label(record.get("perturbation"), path, where)
    text = texts.get((iid, trial, base_label), {})
    instance = text.get("instance")
    subject_name = options.subject_field or "subject"
    subject = _field_value(subject_name, scenario_args, instance)
    cluster = (
        _field_value(options.cluster_field, scenario_args, instance)
        if options.cluster_field
        else None
    )
    split = None
    for j, stat in enumerate(stats):
        metric, score, split_j = _stat(stat, path, f"{where} stats[{j}]", base_label, left_out)
        split = split or split_j
        if metric is None:
            continue
        builder.add(
            **fixed,
            item=iid,
            sample=trial,
            metric=metric,
            score=score,
            record=f"{where} stats[{j}]",
            target=text.get("target"),
            prediction=text.get("prediction"),
            input=text.get("input"),
            subject=subject,
            cluster=cluster,
        )
    splits[split or "unknown"] += 1


def _stat(
    stat: Any, path: str, where: str, base_label: str | None, left_out: set[str]
) -> tuple[str | None, float | None, str | None]:
    """Return (metric, score, split) of one stat, or (None, None, split) when it is no score."""
    name = stat.get("name") if isinstance(stat, dict) else None
    if not isinstance(name, dict) or not isinstance(name.get("name"), str):
        raise InputError(
            "expected a stat with an object 'name' holding a string 'name'",
            path=path,
            record=where,
            field="name.name",
        )
    metric = name["name"]
    split = name.get("split") if isinstance(name.get("split"), str) else None
    count = stat.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
        raise InputError(
            f"expected a count >= 0; got {count!r}",
            path=path,
            record=where,
            field=f"{metric}.count",
        )
    if metric in NON_SCORE_STATS or metric.startswith(_NON_SCORE_PREFIXES):
        left_out.add(metric)
        return None, None, split
    if count == 0:
        return None, None, split
    score = stat.get("mean")
    if score is None and _is_number(stat.get("sum")):
        score = stat["sum"] / count
    if not _is_number(score):
        raise InputError(
            f"expected a number; got {score!r}", path=path, record=where, field=f"{metric}.mean"
        )
    label = _perturbation_label(name.get("perturbation"), path, where) or base_label
    if label is not None:
        metric = f"{metric},perturbation={label}"
    return metric, float(score), split


def _perturbation_label(desc: Any, path: str, where: str) -> str | None:
    """``typos`` or ``typos;prob=0.1`` from a HELM PerturbationDescription; None when absent."""
    if desc is None:
        return None
    if not isinstance(desc, dict) or not isinstance(desc.get("name"), str):
        raise InputError(
            f"expected a perturbation object with a string 'name'; got {desc!r}",
            path=path,
            record=where,
            field="perturbation",
        )
    extras = [f"{k}={desc[k]}" for k in sorted(desc) if k not in _PERTURBATION_FLAGS]
    computed_on = desc.get("computed_on")
    if computed_on not in (None, "perturbed"):
        extras.append(f"computed_on={computed_on}")
    return ";".join([desc["name"], *extras])


def _instance_id(value: Any, path: str, where: str, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InputError(
            f"expected an instance id (a string); got {value!r}",
            path=path,
            record=where,
            field=field,
        )
    return str(value)


def _trial(value: Any, path: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InputError(
            f"expected an integer >= 0; got {value!r}",
            path=path,
            record=where,
            field="train_trial_index",
        )
    return int(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _notes(
    folder: Path, n_records: int, splits: Counter, left_out: set[str], *, has_state: bool
) -> list[str]:
    notes = []
    if len(splits) > 1:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(splits.items()))
        notes.append(
            f"{folder.name}: {n_records} HELM instance record(s) from several splits "
            f"({parts}); all are read"
        )
    if left_out:
        notes.append(
            f"{folder.name}: left out {len(left_out)} HELM bookkeeping stat(s) that are "
            f"not per-item scores ({', '.join(sorted(left_out)[:6])}"
            + (", ..." if len(left_out) > 6 else "")
            + ")"
        )
    if not has_state:
        notes.append(f"{folder.name}: no {SCENARIO_STATE}; target, prediction and input are empty")
    return notes
