"""The aggregate rows of an lm-evaluation-harness results file, every layout, samples or not.

lm-eval's results file holds, per task, what the harness computed over the items:

- **2023 layout** (lm-eval 0.3, e.g. the Pythia evals): ``{"results": {task: {"acc": 0.61,
  "acc_stderr": 0.01, ...}}, "versions": {...}, "config": {"model_args": "pretrained=...,
  revision=step1000", ...}}``. No filters, no n, no metric configs.
- **2024-2026 layouts** (lm-eval 0.4): metric keys ``"<metric>,<filter>"`` and
  ``"<metric>_stderr,<filter>"`` (a stderr of ``"N/A"`` when the harness made none), per-task
  ``configs`` with ``metric_list`` (each metric's ``aggregation``: a registered name such as
  ``mean``, ``f1``, ``bleu``, or, for a task defined in Python, the source code of a function),
  ``n-samples`` (``effective`` is the number of items scored), ``higher_is_better``, groups in
  ``groups`` / ``group_subtasks`` with ``sample_count`` per metric.

Each (task, metric) with a number becomes one row of :data:`~assay.io.AGGREGATE_SCHEMA`.
Nothing in the file is executed: an aggregation written as code is recorded as ``custom``.
Readers compute no statistics; ``n`` is what the file says, never inferred here.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.io._schema import AggregateBuilder

__all__ = [
    "CORPUS_AGGREGATIONS",
    "corpus_item_rows",
    "METRIC_AGGREGATIONS",
    "aggregate_rows",
    "looks_like_2023_results",
    "series_model",
    "step_from",
]

CORPUS_AGGREGATIONS = frozenset(
    {
        "f1",
        "matthews_corrcoef",
        "bleu",
        "chrf",
        "ter",
        "perplexity",
        "weighted_perplexity",
        "bits_per_byte",
        "brier_score",
    }
)
"""lm-eval's registered aggregations that are not a mean of per-item scores
(``lm_eval/api/metrics.py``)."""

METRIC_AGGREGATIONS: Mapping[str, str] = {
    "f1": "f1",
    "mcc": "matthews_corrcoef",
    "bleu": "bleu",
    "chrf": "chrf",
    "ter": "ter",
    "perplexity": "perplexity",
    "ppl": "perplexity",
    "word_perplexity": "weighted_perplexity",
    "byte_perplexity": "weighted_perplexity",
    "bits_per_byte": "bits_per_byte",
    "brier_score": "brier_score",
}
"""The aggregation lm-eval registers for its built-in corpus-level metrics, used when the file
has no ``configs`` (the 2023 layout); every other metric of a 2023 file is a mean."""

_SKIP_KEYS = frozenset({"alias", "name", "sample_len", "sample_count", "samples", " "})
_STEP_RE = re.compile(r"(?:^|[^A-Za-z])step[-_]?(\d+)", re.IGNORECASE)
_ROLLING_MEAN = frozenset({"mean", "nanmean"})


_RESULTS_FIRST = re.compile(rb'^\s*\{\s*"results"\s*:\s*\{')
_STDERR_KEY = re.compile(rb'"[^",]+_stderr"\s*:')


def looks_like_2023_results(head: bytes) -> bool:
    """Whether the first bytes of a JSON file are an lm-eval 0.3 results file: ``results``,
    ``versions`` and ``config`` with ``model_args``; or, when ``config`` lies beyond the bytes
    read (a file of many tasks), ``results`` first with ``<metric>_stderr`` keys."""
    if b'"config_general"' in head or not head.lstrip().startswith(b"{"):
        return False
    if (
        b'"results"' in head
        and b'"versions"' in head
        and b'"config"' in head
        and b'"model_args"' in head
    ):
        return True
    return _RESULTS_FIRST.match(head) is not None and _STDERR_KEY.search(head) is not None


def step_from(pattern: str | re.Pattern[str] | None, *texts: str | None) -> int | None:
    """The first step that ``pattern`` (default ``step<N>``) finds in ``texts``, in order.

    A pattern with a named group ``step`` or one capturing group gives the step from that
    group; the group must match digits.
    """
    rx = _STEP_RE if pattern is None else re.compile(pattern)
    for text in texts:
        if not text:
            continue
        m = rx.search(text)
        if m is None:
            continue
        group = m.group("step") if "step" in rx.groupindex else m.group(1)
        if group is not None and group.isdigit():
            return int(group)
    return None


def series_model(model: str, step: int | None) -> str:
    """The model name without a revision that names the step: ``org/m@step1000`` -> ``org/m``."""
    if step is None:
        return model
    stripped = re.sub(rf"@[^@]*?step[-_]?0*{step}(?!\d)[^@]*$", "", model, flags=re.IGNORECASE)
    return stripped or model


def _aggregation_of(results: Mapping[str, Any], task: str, metric: str) -> str | None:
    configs = results.get("configs")
    config = configs.get(task) if isinstance(configs, dict) else None
    if isinstance(config, dict) and isinstance(config.get("metric_list"), list):
        for entry in config["metric_list"]:
            if isinstance(entry, dict) and entry.get("metric") == metric:
                agg = entry.get("aggregation")
                if isinstance(agg, str):
                    if "\n" in agg or "def " in agg or "lambda" in agg or "(" in agg:
                        return "custom"
                    return agg
                return "custom" if agg is not None else None
        return None
    if configs:
        return None
    return METRIC_AGGREGATIONS.get(metric, "mean")


def _is_group(results: Mapping[str, Any], task: str) -> bool:
    groups = results.get("groups")
    if isinstance(groups, dict) and task in groups:
        return True
    subtasks = results.get("group_subtasks")
    return isinstance(subtasks, dict) and bool(subtasks.get(task))


def _n_of(results: Mapping[str, Any], task: str, entry: Mapping[str, Any], key: str) -> int | None:
    counts = entry.get("sample_count")
    if isinstance(counts, dict) and _count(counts.get(key)) is not None:
        return _count(counts.get(key))
    n_samples = results.get("n-samples")
    per_task = n_samples.get(task) if isinstance(n_samples, dict) else None
    if isinstance(per_task, dict) and _count(per_task.get("effective")) is not None:
        return _count(per_task.get("effective"))
    return _count(entry.get("sample_len"))


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value < 0 or int(value) != value:
        return None
    return int(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _split_key(key: str) -> tuple[str, str | None, bool]:
    """``acc_stderr,none`` -> ("acc", "none", True); ``acc`` -> ("acc", None, False)."""
    name, sep, flt = key.partition(",")
    filt = flt if sep else None
    if name.endswith("_stderr"):
        return name[: -len("_stderr")], filt, True
    return name, filt, False


def _higher(results: Mapping[str, Any], task: str, metric: str) -> bool | None:
    table = results.get("higher_is_better")
    per_task = table.get(task) if isinstance(table, dict) else None
    value = per_task.get(metric) if isinstance(per_task, dict) else None
    return value if isinstance(value, bool) else None


def aggregate_rows(
    results: Mapping[str, Any],
    path: Path,
    builder: AggregateBuilder,
    *,
    model: str,
    step: int | None,
    run_ids: Mapping[str, str],
    notes: list[str],
) -> list[str]:
    """Add one row per (task, metric) of ``results["results"]`` to ``builder``.

    ``run_ids`` maps each task (and group) to its run id. Returns the tasks that got rows, in
    file order. Values that are not numbers (lm-eval writes ``"N/A"`` for a stderr it did not
    compute) are left out; a metric value that is not a number is said in ``notes``.
    """
    table = results.get("results")
    done: list[str] = []
    if not isinstance(table, dict):
        return done
    source = str(path)
    for task, entry in table.items():
        if not isinstance(entry, dict) or task not in run_ids:
            continue
        level = "group" if _is_group(results, task) else "task"
        per_metric_n = isinstance(entry.get("sample_count"), dict)
        task_n = None if per_metric_n else _n_of(results, task, entry, "")
        values: dict[str, tuple[str, str | None]] = {}
        stderrs: dict[str, Any] = {}
        for key, raw in entry.items():
            if key in _SKIP_KEYS or not isinstance(key, str):
                continue
            name, filt, is_se = _split_key(key)
            full = name if filt is None else f"{name},{filt}"
            if is_se:
                stderrs[full] = raw
            else:
                values[full] = (name, filt)
        added = False
        for full, (name, _) in values.items():
            value = _number(entry[full])
            if value is None:
                if not isinstance(entry[full], dict | list):
                    notes.append(
                        f"{path}: task '{task}' metric '{full}' has a value that is not a number "
                        f"({str(entry[full])[:40]!r}); left out"
                    )
                continue
            if level == "group":
                subs = (results.get("group_subtasks") or {}).get(task) or []
                aggs = {_aggregation_of(results, s, name) for s in subs if isinstance(s, str)}
                aggregation = "group"
                corpus = bool(aggs & (CORPUS_AGGREGATIONS | {"custom"}))
            else:
                aggregation = _aggregation_of(results, task, name)
                if aggregation is None:
                    corpus = name in METRIC_AGGREGATIONS
                else:
                    corpus = aggregation not in _ROLLING_MEAN
            builder.add(
                model=model,
                task=task,
                metric=full,
                value=value,
                stderr=_number(stderrs.get(full)),
                n=_n_of(results, task, entry, full) if per_metric_n else task_n,
                step=step,
                aggregation=aggregation,
                corpus_level=corpus,
                higher_is_better=_higher(results, task, name),
                level=level,
                harness="lm_eval",
                run_id=run_ids[task],
                source=source,
            )
            added = True
        if added:
            done.append(task)
    return done


def corpus_item_rows(
    samples: Path,
    metrics: Mapping[str, str],
    *,
    model: str,
    task: str,
    run_id: str,
    notes: list[str],
) -> list[dict[str, Any]]:
    """The per-item ``[gold, prediction]`` of corpus-level metrics in an lm-eval samples file.

    ``metrics`` maps a metric with its filter (``bleu,none``) to its aggregation. A row's value
    for the metric is lm-eval's input to the aggregation: a two-element list (labels, texts,
    log-likelihood and weight) or one number (``perplexity``). Rows without the metric, or with
    a value of another shape, are counted in ``notes``. Nothing is evaluated.
    """
    wanted: dict[str, list[tuple[str, str, str]]] = {}
    for full, agg in metrics.items():
        name, _, filt = full.partition(",")
        wanted.setdefault(name, []).append((full, filt or "none", agg))
    out: list[dict[str, Any]] = []
    bad = 0
    seen: dict[tuple[str, str], int] = {}
    opener = gzip.open if samples.name.endswith(".gz") else open
    with opener(samples, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if not isinstance(row, dict):
                bad += 1
                continue
            item = str(row.get("doc_id"))
            for name, targets in wanted.items():
                if name not in row:
                    continue
                filt = row.get("filter")
                if not isinstance(filt, str):  # 2024 rows: the k-th row of a doc, k-th filter
                    k = seen.get((name, item), 0)
                    seen[name, item] = k + 1
                    filt = targets[min(k, len(targets) - 1)][1]
                for full, f, agg in targets:
                    if f != filt:
                        continue
                    value = row[name]
                    if isinstance(value, list) and len(value) == 2:
                        gold, pred = value
                    elif isinstance(value, int | float) and not isinstance(value, bool):
                        gold, pred = value, None
                    else:
                        bad += 1
                        continue
                    out.append(
                        {
                            "model": model,
                            "task": task,
                            "metric": full,
                            "item": item,
                            "gold": json.dumps(gold, ensure_ascii=False),
                            "prediction": None
                            if pred is None
                            else json.dumps(pred, ensure_ascii=False),
                            "aggregation": agg,
                            "run_id": run_id,
                        }
                    )
    if bad:
        notes.append(
            f"{samples}: {bad} row(s) without a usable [gold, prediction] pair for the "
            "corpus-level metric(s) " + ", ".join(sorted(metrics))
        )
    return out
