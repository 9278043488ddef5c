"""`assay calibration`: does the model's confidence mean anything?

Parses options, reads RESULTS (or the store), and calls :func:`assay.calibration.calibration_by_model`
for each task and metric that has confidences; with ``--recalibrate`` it also calls
:func:`assay.calibration.recalibrate` per model, and ``--apply-calibrator`` applies a saved
calibrator (JSON) to the confidences first. No statistics live here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    echo_json,
    handle_errors,
    load_responses,
    read_options,
    store_option,
)

__all__ = ["JSON_VERSION", "calibration"]

JSON_VERSION = 1
"""Version of the ``assay calibration --json`` document."""

_SHOWN = (
    "accuracy",
    "ece",
    "ece_debiased",
    "ece_mass",
    "smooth_ece",
    "brier",
    "nll",
    "auroc",
    "aurc",
    "wrong_at_high_confidence",
)


def _responses(paths, store_path, read_kwargs):
    return load_responses(paths, store_path, read_kwargs)


def _columns(table, task: str, metric: str) -> dict[str, Any] | None:
    import numpy as np
    import pyarrow.compute as pc

    mask = pc.and_(pc.and_(pc.equal(table.column("task"), task), pc.equal(table.column("metric"), metric)),
                   pc.equal(table.column("sample"), 0))  # fmt: skip
    sub = table.filter(mask)
    has_conf = sub.column("confidence").null_count < sub.num_rows
    has_lp = sub.column("choice_logprobs").null_count < sub.num_rows
    if sub.num_rows == 0 or not (has_conf or has_lp):
        return None
    return {
        "model": np.asarray(sub.column("model").to_pylist(), dtype=object),
        "item": np.asarray(sub.column("item").to_pylist(), dtype=object),
        "score": sub.column("score").fill_null(np.nan).to_numpy(zero_copy_only=False),
        "confidence": sub.column("confidence").fill_null(np.nan).to_numpy(zero_copy_only=False)
        if has_conf
        else None,
        "choice_logprobs": sub.column("choice_logprobs").to_pylist() if has_lp else None,
        "target": sub.column("target").to_pylist() if "target" in sub.column_names else None,
    }


def _apply(columns: dict[str, Any], calibrator) -> dict[str, Any]:
    """Replace the confidences by the calibrated ones (a binary calibrator on the column)."""
    import numpy as np

    from assay._core import InputError
    from assay.calibration import confidence_from_logprobs

    if calibrator.kind != "binary":
        raise InputError(
            "--apply-calibrator takes a binary calibrator (fitted on confidence and correctness)."
        )
    conf = columns["confidence"]
    if conf is None:
        conf = confidence_from_logprobs(columns["choice_logprobs"]).confidence
    out = np.full(conf.shape, np.nan)
    ok = ~np.isnan(conf)
    out[ok] = calibrator.predict(conf[ok])
    return {**columns, "confidence": out, "choice_logprobs": None}


def _recalibrated(models, method: str, n_folds: int, seed: int) -> list[tuple[dict[str, Any], Any]]:
    from assay.calibration import recalibrate_model

    out = []
    for m in models:
        r, fitted_on = recalibrate_model(m, method=method, n_folds=n_folds, rng=seed)
        out.append(({"model": m.model, "method": method, "fitted_on": fitted_on, "n_folds": n_folds,
                     "before": r.before, "after": r.after, "calibrator": r.calibrator.to_dict()},
                    r.calibrator))  # fmt: skip
    return out


def _fmt(v: float) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.4f}"


def _print(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    level = f"{100 * doc['confidence_level']:g}%"
    for block in doc["tasks"]:
        table = Table(title=f"{block['task']} ({block['metric']}): estimate [{level} bootstrap CI]")
        table.add_column("model")
        table.add_column("source")
        table.add_column("n", justify="right")
        for name in _SHOWN:
            table.add_column(name, justify="right")
        for r in block["models"]:
            cells = [f"{_fmt(r['metrics'][k]['estimate'])} [{_fmt(r['metrics'][k]['ci_low'])}, "
                     f"{_fmt(r['metrics'][k]['ci_high'])}]" for k in _SHOWN]  # fmt: skip
            table.add_row(r["model"], r["source"], f"{r['n']:,}", *cells)
        console.print(table)
        for r in block["models"]:
            console.print(
                f"  {r['model']}: confidence = {r['definition']}", markup=False, highlight=False
            )
        for c in block["comparisons"]:
            console.print(
                f"  ECE {c['model_b']} minus {c['model_a']}: {_fmt(c['estimate'])} "
                f"[{_fmt(c['ci_low'])}, {_fmt(c['ci_high'])}], p = {_fmt(c['pvalue'])} (paired bootstrap)",
                markup=False, highlight=False,
            )  # fmt: skip
        for r in block.get("recalibration", []):
            console.print(
                f"  {r['model']}: {r['method']} on the {r['fitted_on']} ({r['n_folds']}-fold "
                f"cross-fitted) ECE "
                f"{_fmt(r['before']['ece'])} -> {_fmt(r['after']['ece'])}, NLL {_fmt(r['before']['nll'])} -> "
                f"{_fmt(r['after']['nll'])}", markup=False, highlight=False,
            )  # fmt: skip
        for n in block["notes"]:
            console.print(f"  note: {n}", markup=False, highlight=False)


@click.command("calibration")
@click.argument("paths", nargs=-1, type=click.Path())
@store_option
@read_options
@click.option("--task", default=None, help="Only this task (default: every task with confidences).")
@click.option("--metric", default=None, help="Only this metric.")
@click.option(
    "--source",
    type=click.Choice(["auto", "column", "logprobs"]),
    default="auto",
    show_default=True,
    help="Confidence source: the confidence column, or per-choice log-probabilities.",
)
@click.option(
    "--definition",
    type=click.Choice(["chosen", "max", "raw"]),
    default="chosen",
    show_default=True,
    help="From log-probabilities: softmax of the chosen answer, largest softmax, or raw exp(logprob).",
)
@click.option("--n-bins", type=int, default=15, show_default=True)
@click.option(
    "--threshold", type=float, default=0.9, show_default=True, help="High-confidence threshold."
)
@click.option(
    "--coverage",
    type=float,
    default=0.8,
    show_default=True,
    help="Coverage of accuracy-at-coverage.",
)
@click.option("--n-resamples", type=int, default=1000, show_default=True)
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--recalibrate",
    "method",
    default=None,
    type=click.Choice(
        [
            "platt",
            "isotonic",
            "histogram",
            "beta",
            "temperature",
            "ca-temperature",
            "vector",
            "matrix",
        ]
    ),
    help="Also fit this recalibration map per model, cross-fitted, and report ECE before and after. "
    "temperature, ca-temperature, vector and matrix scale the full per-choice log-probability vector "
    "where the data have one (with the gold choice); otherwise temperature and ca-temperature fit the "
    "top-label confidence.",
)
@click.option(
    "--interval",
    type=click.Choice(["percentile", "basic"]),
    default="percentile",
    show_default=True,
    help="Bootstrap interval of the metrics (ece_debiased always has its double-bootstrap one).",
)
@click.option(
    "--n-folds", type=int, default=5, show_default=True, help="Folds of the cross-fitting."
)
@click.option(
    "--save-calibrator",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --recalibrate and one model: write the calibrator fitted on all answers (JSON).",
)
@click.option(
    "--apply-calibrator",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Apply a saved calibrator (JSON) to the confidences before computing the metrics.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def calibration(paths, store_path, task, metric, source, definition, n_bins, threshold, coverage, n_resamples,
                confidence_level, seed, method, interval, n_folds, save_calibrator, apply_calibrator, as_json,
                **kwargs):  # fmt: skip
    """Calibration of each model's confidence: ECE, Brier, AUROC, risk-coverage, with intervals.

    RESULTS are results files or folders (or use --store). Confidences come from a confidence
    column or from per-choice log-probabilities; the output says which and how.
    """
    from assay._core import InputError, to_builtin
    from assay.calibration import Calibrator, calibration_by_model

    table = _responses(paths, store_path, collect_read_options(kwargs))
    calibrator = None
    if apply_calibrator:
        calibrator = Calibrator.from_json(
            Path(apply_calibrator).read_text(encoding="utf-8"), path=apply_calibrator
        )
    pairs = sorted(
        set(zip(table.column("task").to_pylist(), table.column("metric").to_pylist(), strict=True))
    )
    pairs = [
        (t, m) for t, m in pairs if (task is None or t == task) and (metric is None or m == metric)
    ]
    blocks, fitted = [], []
    for t, m in pairs:
        cols = _columns(table, t, m)
        if cols is None:
            continue
        if calibrator is not None:
            cols = _apply(cols, calibrator)
        models, comps, notes = calibration_by_model(
            cols, source=source, definition=definition, n_bins=n_bins, threshold=threshold, coverage=coverage,
            n_resamples=n_resamples, interval=interval, confidence_level=confidence_level, rng=seed,
        )  # fmt: skip
        block = {
            "task": t, "metric": m, "notes": notes,
            "models": [{"model": x.model, "source": x.source.source, "definition": x.source.definition,
                        "n": x.result.n, "metrics": x.result.to_dict()["metrics"]} for x in models],
            "comparisons": [{"model_a": a, "model_b": b, **c.to_dict()} for a, b, c in comps],
        }  # fmt: skip
        if method:
            fits = _recalibrated(models, method, n_folds, seed)
            block["recalibration"] = [d for d, _ in fits]
            fitted += [c for _, c in fits]
        blocks.append(block)
    if not blocks:
        raise InputError("no task has confidences or per-choice log-probabilities"
                         + (f" (task {task!r}, metric {metric!r})" if task or metric else "") + ".")  # fmt: skip
    if save_calibrator:
        if len(fitted) != 1:
            raise InputError(
                f"--save-calibrator needs --recalibrate and exactly one model; got {len(fitted)} fit(s)."
            )
        Path(save_calibrator).write_text(fitted[0].to_json(), encoding="utf-8")
    doc = to_builtin({"version": JSON_VERSION, "confidence_level": confidence_level, "seed": seed,
                      "interval": interval, "tasks": blocks})  # fmt: skip
    if as_json:
        echo_json(doc)
    else:
        _print(doc)
