"""`assay gate`: from results read to the suite's tasks, and the verdict as JSON or Markdown.

The decision itself is :func:`assay.stats.suite_gate` (or :func:`assay.stats.sequential_noninferiority`
per task for ``--sequential``); this module only arranges the data into tasks and renders.
"""

from __future__ import annotations

import fnmatch
import warnings
from typing import Any

import numpy as np
import pyarrow.compute as pc

from assay._core import InputError
from assay.io import MissingItemsWarning, ReadResult, build_matrix
from assay.io._matrix import suggest
from assay.report._render import _md_escape
from assay.stats import (
    GateConfig,
    GateTask,
    SuiteGateResult,
    gate_config,
    sequential_noninferiority,
    suite_gate,
)

__all__ = ["GATE_SCHEMA", "gate_result", "gate_tasks", "render_gate_markdown"]

GATE_SCHEMA = "assay.gate/2"


def _match(models: list[str], pattern: str, role: str) -> list[str]:
    if pattern in models:
        return [pattern]
    found = [m for m in models if fnmatch.fnmatchcase(m, pattern)]
    if not found:
        raise InputError(
            f"`{role}` {pattern!r} is not among the models read (nor a pattern matching one)"
            f"{suggest([pattern], models)}"
        )
    return found


def _pairs(responses, base: list[str], cand: list[str]) -> list[tuple[str, str]]:
    """The (task, metric) pairs that every baseline and candidate model has scores for."""
    table = responses.select(["model", "task", "metric"]).group_by(["model", "task", "metric"])
    have: dict[tuple[str, str], set[str]] = {}
    for row in table.aggregate([]).to_pylist():
        have.setdefault((row["task"], row["metric"]), set()).add(row["model"])
    need = set(base) | set(cand)
    return sorted(k for k, v in have.items() if need <= v)


def _side(values: np.ndarray, rows: list[int], samples_are_runs: bool) -> np.ndarray:
    """(n_items, n_runs): a run per model (item means over samples), or the samples as runs."""
    if samples_are_runs:
        return values[rows[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN items stay NaN
        return np.stack([np.nanmean(values[r], axis=1) for r in rows], axis=1)


def _log_order(responses, task: str, metric: str, items: tuple) -> np.ndarray:
    """Positions of ``items`` in the order they first appear in the log (arrival order)."""
    mask = pc.and_(
        pc.equal(responses.column("task"), task), pc.equal(responses.column("metric"), metric)
    )
    seen = responses.filter(mask).column("item").to_pylist()
    first: dict[str, int] = {}
    for k, item in enumerate(seen):
        first.setdefault(item, k)
    return np.argsort([first.get(i, len(seen)) for i in items], kind="stable")


def gate_tasks(
    result: ReadResult,
    *,
    baseline: str,
    candidate: str,
    tasks: list[str] | None = None,
    config: GateConfig | None = None,
    split_by: str | None = None,
    samples_are_runs: bool = False,
    order: bool = False,
) -> list[GateTask]:
    """Arrange ``result`` as the gate's tasks: one :class:`~assay.stats.GateTask` per (task, metric).

    ``baseline`` and ``candidate`` are model names or glob patterns; several matching models are
    several runs of one checkpoint. ``tasks`` (names or ``task/metric``) restricts the suite;
    ``split_by='subject'`` makes each subject of a task a task of its own (``task:subject``).
    With ``order=True`` the items are in the order the log lists them (for ``--sequential``).
    """
    config = config or gate_config(None)
    responses = result.responses
    models = sorted(v for v in pc.unique(responses.column("model")).to_pylist() if v is not None)
    base = _match(models, baseline, "baseline")
    cand = _match(models, candidate, "candidate")
    if set(base) & set(cand):
        raise InputError("`baseline` and `candidate` must be different models.")
    if samples_are_runs and (len(base) > 1 or len(cand) > 1):
        raise InputError("samples as runs needs one baseline and one candidate model.")
    pairs = _pairs(responses, base, cand)
    if tasks:
        wanted = set(tasks)
        pairs = [p for p in pairs if p[0] in wanted or f"{p[0]}/{p[1]}" in wanted]
        missing = wanted - {p[0] for p in pairs} - {f"{t}/{m}" for t, m in pairs}
        if missing:
            raise InputError(
                f"task(s) {', '.join(sorted(missing))} are not shared by the baseline and the "
                "candidate."
            )
    if not pairs:
        raise InputError("the baseline and the candidate share no task and metric.")
    out: list[GateTask] = []
    runs = samples_are_runs or len(base) > 1 or len(cand) > 1
    for task, metric in pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingItemsWarning)
            m = build_matrix(responses, task, metric, align="keep", models=base + cand)
        a = _side(m.values, [m.models.index(x) for x in base], samples_are_runs)
        b = _side(m.values, [m.models.index(x) for x in cand], samples_are_runs)
        if order:
            idx = _log_order(responses, task, metric, m.items)
            a, b = a[idx], b[idx]
        groups: list[tuple[str, np.ndarray]] = [(task, np.ones(len(m.items), bool))]
        if split_by is not None:
            labels = getattr(m, split_by)
            if labels is None:
                raise InputError(f"task {task!r} has no per-item {split_by} labels to split by.")
            if order:
                labels = labels[idx]
            names = sorted({str(x) for x in labels if x is not None})
            groups = [(f"{task}:{s}", np.array([str(x) == s for x in labels])) for s in names]
            unlabelled = np.array([x is None for x in labels])
            if unlabelled.any():  # items without a label are a task of their own, not dropped
                groups.append((f"{task}:(no {split_by})", unlabelled))
        for name, keep in groups:
            s = config.settings(name, metric)
            if s.exclude:
                continue
            out.append(
                GateTask(
                    task=name,
                    metric=metric,
                    baseline=a[keep],
                    candidate=b[keep],
                    margin=s.margin,
                    direction=s.direction,
                    weight=s.weight,
                    runs=runs,
                )  # fmt: skip
            )
    if not out:
        raise InputError("every shared task is excluded by the gate config.")
    return out


def _sequential(tasks: list[GateTask], margin: float, alpha: float) -> dict[str, Any]:
    rows = []
    for t in tasks:
        m = margin if t.margin is None else t.margin
        a = np.nanmean(np.asarray(t.baseline, float), axis=1)
        b = np.nanmean(np.asarray(t.candidate, float), axis=1)
        keep = np.isfinite(a) & np.isfinite(b)
        vals = np.concatenate([a[keep], b[keep]])
        if vals.size == 0 or vals.min() < 0 or vals.max() > 1:
            raise InputError(
                f"--sequential needs scores in [0, 1] (a known range); task {t.name!r} has others."
            )
        res = sequential_noninferiority(
            a[keep], b[keep], margin=m / 100.0, alpha=alpha, direction=t.direction
        )
        rows.append(
            {
                "task": t.task,
                "metric": t.metric,
                "decision": res.decision,
                "passed": res.passed,
                "n": res.n,
                "stopped_at": res.stopped_at,
                "estimate": 100 * res.estimate,
                "bound": 100 * res.bound,
                "upper": 100 * res.upper,
                "margin": m,
                "units": "points",
                "direction": t.direction,
                "method": res.method,
            }  # fmt: skip
        )
    blocked = [f"{r['task']}/{r['metric']}" for r in rows if r["decision"] == "block"]
    waiting = [f"{r['task']}/{r['metric']}" for r in rows if r["decision"] == "continue"]
    decision = "block" if blocked else "continue" if waiting else "pass"
    return {"decision": decision, "tasks": rows, "blocked": blocked, "undecided": waiting}


def gate_result(
    result: ReadResult,
    *,
    baseline: str,
    candidate: str,
    margin: float | None = None,
    alpha: float | None = None,
    config: dict[str, Any] | None = None,
    tasks: list[str] | None = None,
    split_by: str | None = None,
    samples_are_runs: bool = False,
    claims: tuple[str, ...] = (),
    sequential: bool = False,
    method: str = "auto",
) -> dict[str, Any]:
    """The gate's verdict over ``result`` as JSON-safe data (schema ``assay.gate/2``).

    ``config`` is the parsed TOML (see :func:`assay.stats.gate_config`); ``margin`` and
    ``alpha`` given here override its suite defaults, and tasks without a margin of their own
    get ``margin`` (0.5 points when neither says).
    """
    cfg = gate_config(config)
    margin = margin if margin is not None else cfg.margin if cfg.margin is not None else 0.5
    alpha = alpha if alpha is not None else cfg.alpha if cfg.alpha is not None else 0.05
    claims = tuple(claims) or cfg.claims
    suite = gate_tasks(
        result, baseline=baseline, candidate=candidate, tasks=tasks, config=cfg,
        split_by=split_by, samples_are_runs=samples_are_runs, order=sequential,
    )  # fmt: skip
    head = {"schema": GATE_SCHEMA, "baseline": baseline, "candidate": candidate,
            "alpha": alpha, "margin": margin}  # fmt: skip
    if sequential:
        if any(t.runs for t in suite):
            raise InputError("--sequential decides one run per model; runs are not supported.")
        seq = _sequential(suite, margin, alpha)
        passed = seq["decision"] == "pass"
        return {**head, "mode": "sequential", "passed": passed, **seq,
                "message": _sequential_message(seq, baseline, candidate, alpha)}  # fmt: skip
    res: SuiteGateResult = suite_gate(
        suite, margin=margin, alpha=alpha, claims=claims, method=method
    )
    out = {**head, "mode": "fixed", **res.to_dict(), "message": res.summary(baseline, candidate)}
    out["blocked"] = list(res.blocked)
    return out


def _sequential_message(seq: dict[str, Any], baseline: str, candidate: str, alpha: float) -> str:
    k = len(seq["tasks"])
    if seq["decision"] == "pass":
        return f"PASS: {candidate} is non-inferior to {baseline} on all {k} task(s) (anytime-valid, level {alpha:g})."
    if seq["decision"] == "block":
        return f"BLOCK: {candidate} is worse than {baseline} by more than the margin on: {', '.join(seq['blocked'])}."
    return (
        f"CONTINUE: not settled yet on {len(seq['undecided'])} of {k} task(s): "
        f"{', '.join(seq['undecided'])}; evaluate more items and check again."
    )


def _fmt(x: Any, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def render_gate_markdown(verdict: dict[str, Any]) -> str:
    """The verdict as a pull-request comment (Markdown, log text escaped)."""
    esc = _md_escape
    status = (
        "PASS"
        if verdict["passed"]
        else ("CONTINUE" if verdict.get("decision") == "continue" else "BLOCK")
    )
    lines = [f"## assay gate: {status}", "", esc(verdict["message"]), ""]
    seq = verdict.get("mode") == "sequential"
    head = ["task", "metric", "n", "difference", "lower bound", "margin", "verdict"]
    if seq:
        head[2] = "items used"
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in verdict["tasks"]:
        if seq:
            verdict_text = t["decision"]
            n = f"{t['stopped_at'] or t['n']:,} of {t['n']:,}"
        else:
            verdict_text = "pass" if t["passed"] else "**block**"
            if t.get("better"):
                verdict_text += " (better)"
            n = f"{t['n']:,}"
        unit = "" if t["units"] == "points" else f" {esc(t['units'])}"
        lines.append(
            f"| {esc(t['task'])} | {esc(t['metric'])} | {n} | {_fmt(t['estimate'])}{unit} | "
            f"{_fmt(t['bound'])} | -{t['margin']:g} | {verdict_text} |"
        )
    lines.append("")
    blocked = [t for t in verdict["tasks"] if not t["passed"] and t.get("decision") != "continue"]
    if blocked and not seq:
        lines.append("Blocked:")
        for t in blocked:
            if t["bound"] is None:
                why = esc(t["method"])
            else:
                why = (
                    f"the lower bound {_fmt(t['bound'])} is not above -{t['margin']:g} "
                    f"(difference {_fmt(t['estimate'])}, n = {t['n']:,})"
                )
            lines.append(f"- {esc(t['task'])} ({esc(t['metric'])}): {why}")
        lines.append("")
    method = "anytime-valid confidence sequences" if seq else verdict.get("method", "")
    lines.append(
        f"_Difference = candidate - baseline in points (lower-is-better metrics flipped); the gate "
        f"passes a task when the one-sided {100 * (1 - verdict['alpha']):g}% lower bound is above "
        f"-margin. Method: {esc(method)}._"
    )
    avg = verdict.get("average")
    if avg:
        lines.append("")
        lines.append(
            f"Weighted average difference {_fmt(avg['estimate'])} points, Holm-adjusted "
            f"p = {avg['pvalue_adjusted']:.3g}: {'better' if avg['shown'] else 'not shown better'}."
        )
    return "\n".join(lines) + "\n"
