"""Aggregate rows of HELM ``stats.json``, Inspect ``results.scores`` and lighteval results JSON.

Each function adds rows of :data:`~assay.io.AGGREGATE_SCHEMA` to a builder from a file its reader
has already parsed; the readers call them with one line each. Readers compute no statistics:
values, standard errors and n are copied as the files give them (lm-eval's results files are
in :mod:`assay.io._lm_eval_results`).

- **HELM** ``stats.json``: one entry per (stat, split, perturbation) with ``mean`` over the
  instances (and train trials). Score stats only (the reader's ``NON_SCORE_STATS`` are left out);
  the metric is the stat's name, ``<name>,split=<split>`` for a split other than ``test``, and
  ``,perturbation=<label>`` as in the long table. n is the split's ``num_instances``; HELM writes
  no standard error over instances (its ``stddev`` is over train trials), so stderr is null.
- **Inspect** ``results.scores``: per scorer, ``metrics`` such as ``accuracy``, ``mean`` (the
  mean of the per-sample values: the metric is the scorer's name, as in the long table, with
  its ``stderr`` metric as the standard error) and others (``<scorer>/<metric>``, not a mean:
  corpus-level). n is ``scored_samples`` (else ``results.completed_samples``).
- **lighteval** ``results``: ``{task: {metric: value, metric_stderr: value}}``; the task's
  ``config_tasks`` entry says each metric's ``corpus_level_fn`` (``mean`` or a corpus-level
  aggregation). ``all`` and ``<family>:_average|k`` are group rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.io._schema import AggregateBuilder

__all__ = ["AggregateBuilder", "helm_rows", "inspect_rows", "lighteval_rows"]

_INSPECT_MEANS = frozenset({"accuracy", "mean"})
_INSPECT_SPREAD = frozenset({"stderr", "std", "var", "bootstrap_stderr"})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def helm_rows(
    stats: Any, builder: AggregateBuilder, *, model: str, task: str, run_id: str, source: str
) -> int:
    """Add the score stats of a HELM ``stats.json`` list; return how many rows were added."""
    from assay.io._helm import _NON_SCORE_PREFIXES, NON_SCORE_STATS, _perturbation_label

    if not isinstance(stats, list):
        return 0
    entries = [s for s in stats if isinstance(s, dict) and isinstance(s.get("name"), dict)]
    n_by_split = {
        s["name"].get("split"): _number(s.get("mean"))
        for s in entries
        if s["name"].get("name") == "num_instances" and not s["name"].get("perturbation")
    }
    added = 0
    for s in entries:
        name = s["name"]
        metric = name.get("name")
        if not isinstance(metric, str) or metric in NON_SCORE_STATS:
            continue
        if metric.startswith(_NON_SCORE_PREFIXES) or not s.get("count"):
            continue
        value = _number(s.get("mean"))
        if value is None:
            continue
        split = name.get("split") if isinstance(name.get("split"), str) else None
        if split not in (None, "test"):
            metric = f"{metric},split={split}"
        try:
            label = _perturbation_label(name.get("perturbation"), source, "stats.json")
        except Exception:  # noqa: BLE001 - a malformed perturbation is the per-item reader's error
            label = None
        if label is not None:
            metric = f"{metric},perturbation={label}"
        n = n_by_split.get(split)
        builder.add(
            model=model,
            task=task,
            metric=metric,
            value=value,
            stderr=None,
            n=int(n) if n is not None and n == int(n) else None,
            aggregation="mean",
            corpus_level=False,
            harness="helm",
            run_id=run_id,
            source=source,
        )
        added += 1
    return added


def inspect_rows(
    results: Mapping[str, Any],
    builder: AggregateBuilder,
    *,
    model: str,
    task: str,
    run_id: str,
    source: str,
) -> int:
    """Add the metrics of an Inspect log's ``results.scores``; return how many rows were added."""
    scores = results.get("scores") if isinstance(results, Mapping) else None
    if not isinstance(scores, list):
        return 0
    completed = results.get("completed_samples")
    added = 0
    for score in scores:
        if not isinstance(score, dict) or not isinstance(score.get("metrics"), dict):
            continue
        scorer = score.get("name") or score.get("scorer")
        if not isinstance(scorer, str):
            continue
        metrics = score["metrics"]
        stderr = metrics.get("stderr")
        se = _number(stderr.get("value")) if isinstance(stderr, dict) else None
        n = score.get("scored_samples", completed)
        n = n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None
        for key, entry in metrics.items():
            if key in _INSPECT_SPREAD or not isinstance(entry, dict):
                continue
            value = _number(entry.get("value"))
            if value is None:
                continue
            mean = key in _INSPECT_MEANS
            builder.add(
                model=model,
                task=task,
                metric=scorer if mean else f"{scorer}/{key}",
                value=value,
                stderr=se if mean else None,
                n=n,
                aggregation="mean" if mean else key,
                corpus_level=not mean,
                harness="inspect",
                run_id=run_id,
                source=source,
            )
            added += 1
    return added


def lighteval_rows(
    data: Mapping[str, Any],
    builder: AggregateBuilder,
    *,
    model: str,
    run_id: str,
    source: str,
    is_group: Any,
) -> list[str]:
    """Add every (task, metric) of a lighteval results JSON; return the tasks with rows."""
    results = data.get("results")
    config = data.get("config_tasks") if isinstance(data.get("config_tasks"), dict) else {}
    if not isinstance(results, dict):
        return []
    done = []
    for task, entry in results.items():
        if not isinstance(entry, dict):
            continue
        spec = config.get(task.rsplit("|", 1)[0]) if "|" in task else config.get(task)
        fns = {}
        if isinstance(spec, dict) and isinstance(spec.get("metric"), list):
            for m in spec["metric"]:
                if isinstance(m, dict) and isinstance(m.get("metric_name"), str):
                    fn = m.get("corpus_level_fn")
                    fns[m["metric_name"]] = fn if isinstance(fn, str) else None
        group = bool(is_group(task))
        added = False
        for key, raw in entry.items():
            if key.endswith("_stderr"):
                continue
            value = _number(raw)
            if value is None:
                continue
            agg = "group" if group else fns.get(key)
            builder.add(
                model=model,
                task=task,
                metric=key,
                value=value,
                stderr=_number(entry.get(f"{key}_stderr")),
                aggregation=agg,
                corpus_level=agg not in (None, "mean", "group"),
                level="group" if group else "task",
                harness="lighteval",
                run_id=run_id,
                source=source,
            )
            added = True
        if added:
            done.append(task)
    return done
