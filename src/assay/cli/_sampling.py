"""`assay passk` and `assay curves`: repeated samples and checkpoint curves from the shell.

Each command reads results (files or the store), calls one library function per model or run
(:func:`assay.sampling.pass_at_k_curve`, :func:`assay.curves.learning_curve`) and prints; no
statistics live here.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    echo_json,
    handle_errors,
    load_responses,
    load_result,
    print_table,
    read_options,
    store_option,
)

__all__ = ["JSON_VERSION", "curves", "passk"]

JSON_VERSION = 1
"""Version of the ``--json`` documents of these commands."""


def _responses(paths: tuple[str, ...], store_path: str | None, read_kwargs: dict[str, Any]):
    return load_responses(paths, store_path, read_kwargs)


def _matrix(table, task: str | None, metric: str | None):
    from assay.io import MissingItemsWarning, build_matrix

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingItemsWarning)
        return build_matrix(table, task, metric, align="keep")


def _options(f):
    decorators = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--task", default=None, help="Task (needed when the results hold several)."),
        click.option("--metric", default=None, help="Metric (needed when the task has several)."),
        click.option("--confidence-level", type=float, default=0.95, show_default=True),
        click.option(
            "--resamples", type=int, default=2000, show_default=True, help="Bootstrap resamples."
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text."),
        store_option,
        read_options,
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}"


def _print(title: str, columns: list[str], rows: list[list[str]]) -> None:
    print_table(title, columns, rows, left=("model", "run", "checkpoint"))


# ------------------------------------------------------------------------------------- passk


@click.command()
@_options
@click.option(
    "-k",
    "ks",
    type=int,
    multiple=True,
    help="k to estimate (repeat the option); default 1, 2, 4, ... and the samples per item.",
)
@click.option("--model", "models", multiple=True, help="Only these models (repeat the option).")
@handle_errors
def passk(
    paths,
    task,
    metric,
    confidence_level,
    resamples,
    seed,
    as_json,
    store_path,
    ks,
    models,
    **kwargs: Any,
) -> None:
    """pass@k with intervals and a simultaneous band over k, per model.

    Reads RESULTS files or folders (or the store) with several 0/1-scored samples per item.
    Items with fewer samples than the largest k are left out and counted.
    """
    import numpy as np

    from assay._core import InputError
    from assay.sampling import pass_at_k_curve

    table = _responses(paths, store_path, collect_read_options(kwargs))
    m = _matrix(table, task, metric)
    chosen = list(models) or list(m.models)
    out = []
    for model in chosen:
        row = m.row(model)
        counts = np.sum(~np.isnan(row), axis=1)
        if counts.max(initial=0) < 2 and not ks:
            raise InputError(
                f"model {model!r} has one sample per item on {m.task!r}; pass@k needs several."
            )
        k = list(ks) or _default_ks(
            int(counts[counts > 0].min(initial=1)), int(counts.max(initial=1))
        )
        res = pass_at_k_curve(
            row[counts > 0],
            k,
            confidence_level=confidence_level,
            missing="omit",
            n_resamples=resamples,
            rng=np.random.default_rng([seed, len(out)]),
        )
        d = res.to_dict()
        d["n_omitted"] += int((counts == 0).sum())
        out.append({"model": model, **d})
    if as_json:
        echo_json({"version": JSON_VERSION, "task": m.task, "metric": m.metric, "models": out})
        return
    level = f"{100 * confidence_level:g}%"
    rows = [
        [
            r["model"],
            str(k),
            _pct(r["estimate"][j]),
            f"{_pct(r['ci_low'][j])} to {_pct(r['ci_high'][j])}",
            f"{_pct(r['band_low'][j])} to {_pct(r['band_high'][j])}",
            f"{r['n']:,}",
            str(r["n_omitted"]),
        ]
        for r in out
        for j, k in enumerate(r["k"])
    ]
    _print(
        f"pass@k on {m.task} ({m.metric})",
        ["model", "k", "pass@k", f"{level} CI", f"{level} band (all k)", "items", "omitted"],
        rows,
    )


def _default_ks(fewest: int, most: int) -> list[int]:
    n = fewest if fewest >= 2 else most
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]


# ------------------------------------------------------------------------------------ curves


@click.command()
@_options
@handle_errors
def curves(
    paths, task, metric, confidence_level, resamples, seed, as_json, store_path, **kwargs: Any
) -> None:
    """Checkpoint curves: intervals, step-to-step tests, end-of-training noise and outliers.

    Reads RESULTS files or folders (or the store) whose runs carry a training step; checkpoints
    of one run share the model name without the step (org/model@step1000, org/model@step2000).
    """
    import numpy as np

    from assay._core import InputError
    from assay.curves import group_series, learning_curve

    result = load_result(paths, store_path, collect_read_options(kwargs))
    table = result.responses
    if table.num_rows == 0 and result.aggregates.num_rows:  # harness summaries only (issue 15)
        _summary_curves(result, task, metric, confidence_level, as_json)
        return
    m = _matrix(table, task, metric)
    pairs = table.select(["model", "step"]).group_by(["model", "step"]).aggregate([]).to_pylist()
    steps_of = {}
    for p in pairs:
        if p["step"] is not None and p["model"] in m.models:
            steps_of.setdefault(p["model"], int(p["step"]))
    runs = {
        k: v
        for k, v in group_series(list(steps_of), list(steps_of.values())).items()
        if len(v) >= 2
    }
    if not runs:
        raise InputError(
            f"no run has 2 or more checkpoints with a training step on {m.task!r}; curves need the "
            "step column (from a revision like step1000 or a checkpoint-1000 path)."
        )
    out = []
    for name, points in runs.items():
        names = [model for _, model in points]
        res = learning_curve(
            m.subset(models=names).item_scores(),
            [s for s, _ in points],
            confidence_level=confidence_level,
            missing="omit",
            n_resamples=resamples,
            rng=np.random.default_rng([seed, len(out)]),
        )
        out.append({"run": name, "checkpoints": names, **res.to_dict()})
    if as_json:
        echo_json({"version": JSON_VERSION, "task": m.task, "metric": m.metric, "runs": out})
        return
    level = f"{100 * confidence_level:g}%"
    for r in out:
        flagged = set(r["outliers"]["flagged_steps"])
        rows = []
        for i, step in enumerate(r["steps"]):
            t = r["step_tests"][i - 1] if i else None
            rows.append(
                [
                    f"{step:g}",
                    r["checkpoints"][i],
                    _pct(r["estimate"][i]),
                    f"{_pct(r['ci_low'][i])} to {_pct(r['ci_high'][i])}",
                    "" if t is None else f"{100 * t['estimate']:+.2f}",
                    ""
                    if t is None
                    else f"{t['pvalue_adjusted']:.4f}" + (" *" if t["significant"] else ""),
                    "yes" if step in flagged else "",
                ]
            )
        _print(
            f"{r['run']} on {m.task} ({m.metric}): {r['n']:,} items; last-{r['n_last']} noise SD "
            f"{_pct(r['noise_sd'])} vs sampling SE {_pct(r['sampling_se'])} points",
            ["step", "checkpoint", "score", f"{level} CI", "change", "adjusted p", "outlier"],
            rows,
        )


def _summary_curves(result, task, metric, confidence_level, as_json) -> None:
    """`assay curves` on checkpoint series the harness summarised (no per-item rows)."""
    import numpy as np

    from assay._core import InputError
    from assay.curves import aggregate_series, series_curve

    series = aggregate_series(
        result.aggregates.to_pydict(),
        tasks=None if task is None else [task],
        metrics=None if metric is None else [metric],
        min_points=2,
    )
    keys = sorted({(s.task, s.metric) for s in series})
    if not keys:
        raise InputError(
            "no checkpoint series (2 or more steps of one model) in the harness summaries"
            + ("" if task is None else f" of task {task!r}")
            + "; give the step in the model's revision (stepN) or --step-pattern."
        )
    if len(keys) > 1:
        shown = ", ".join(f"{t}/{m}" for t, m in keys[:8]) + (", ..." if len(keys) > 8 else "")
        raise InputError(
            f"several tasks and metrics have series; choose with --task/--metric: {shown}."
        )
    out = []
    for s in series:
        res = series_curve(s, confidence_level=confidence_level)
        out.append({
            "run": s.model, "steps": res.steps.tolist(), "estimate": res.estimate.tolist(),
            "ci_low": res.ci_low.tolist(), "ci_high": res.ci_high.tolist(),
            "step_pvalues_adjusted": res.step_pvalues_adjusted.tolist(),
            "outlier_steps": list(res.outlier_steps), "noise_sd": res.noise_sd,
            "sampling_se": res.sampling_se, "n_last": res.n_last, "method": list(res.method),
            "note": res.note,
        })  # fmt: skip
    if as_json:
        echo_json({"version": JSON_VERSION, "task": keys[0][0], "metric": keys[0][1],
                   "source": "harness summaries (unpaired)", "runs": out})  # fmt: skip
        return
    level = f"{100 * confidence_level:g}%"
    for r in out:
        flagged = set(r["outlier_steps"])
        rows = []
        for i, step in enumerate(r["steps"]):
            change = "" if i == 0 else f"{100 * (r['estimate'][i] - r['estimate'][i - 1]):+.2f}"
            p = "" if i == 0 else r["step_pvalues_adjusted"][i - 1]
            rows.append([
                f"{step:g}", _pct(r["estimate"][i]), f"{_pct(r['ci_low'][i])} to {_pct(r['ci_high'][i])}",
                change, "" if p == "" or p is None or not np.isfinite(p) else f"{p:.4f}",
                "yes" if step in flagged else "",
            ])  # fmt: skip
        _print(
            f"{r['run']} on {keys[0][0]} ({keys[0][1]}), from the harness's summaries (unpaired); "
            f"last-{r['n_last']} noise SD {_pct(r['noise_sd'])} vs sampling SE {_pct(r['sampling_se'])} points",
            ["step", "score", f"{level} CI", "change", "adjusted p", "outlier"],
            rows,
        )
