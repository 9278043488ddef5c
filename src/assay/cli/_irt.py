"""`assay irt fit|items` and `assay subset build|estimate`: item response theory from the shell."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    echo_json,
    handle_errors,
    load_result,
    read_options,
    step_progress,
    store_option,
)

__all__ = ["irt", "subset"]


def _matrix(
    results: tuple[str, ...],
    store_path: str | None,
    task: str | None,
    metric: str | None,
    read_kw: dict[str, Any],
):
    from assay.io import alignment_note
    from assay.store import load_matrix

    if not results and not store_path:
        raise click.UsageError("give results files or folders, or --store PATH.")
    result = load_result(results, store_path, read_kw)
    matrix = load_matrix(result, task, metric, align="keep")
    note = alignment_note(matrix)
    if matrix.missing:
        lacking = "; ".join(
            f"{name} lacks {n:,} of {matrix.n_items:,} items"
            for name, (n, _) in matrix.missing.items()
        )
        click.echo(f"note: {lacking} (kept as missing; IRT uses the responses there are)", err=True)
    elif note:
        click.echo(f"note: {note}", err=True)
    return matrix


def _source_options(f):
    for d in reversed(
        [
            click.argument("results", nargs=-1, type=click.Path(exists=True)),
            store_option,
            click.option(
                "--task",
                default=None,
                help="Task to analyse (needed when the results hold several).",
            ),
            click.option(
                "--metric", default=None, help="Metric to analyse (needed when a task has several)."
            ),
        ]
    ):
        f = d(f)
    return f


def _fit_options(f):
    for d in reversed(
        [
            click.option(
                "--model",
                "irt_model",
                type=click.Choice(["2pl", "1pl", "3pl", "continuous", "grm"]),
                default="2pl",
                show_default=True,
                help="Item response model.",
            ),
            click.option(
                "--method",
                type=click.Choice(["mml", "jml"]),
                default="mml",
                show_default=True,
                help="Marginal ML (EM) or joint ML.",
            ),
            click.option(
                "--n-choices", type=int, default=None, help="Answer choices (3PL guessing)."
            ),
            click.option(
                "--backend",
                type=click.Choice(["numpy", "torch"]),
                default="numpy",
                show_default=True,
            ),
            click.option("--device", default=None, help="torch device, e.g. cuda or cpu."),
        ]
    ):
        f = d(f)
    return f


def _fit_kw(irt_model, method, n_choices, backend, device) -> dict[str, Any]:
    return {
        "model": irt_model,
        "method": method,
        "n_choices": n_choices,
        "backend": backend,
        "device": device,
    }


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, list):
        return ";".join(_cell(x) for x in v)
    return str(v)


def _table(title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title)
        for c in columns:
            t.add_column(c)
        for r in rows:
            t.add_row(*(_cell(r.get(c)) for c in columns))
        Console(highlight=False).print(t)
        return
    click.echo("\t".join(columns))
    for r in rows:
        click.echo("\t".join(_cell(r.get(c)) for c in columns))


@click.group()
def irt() -> None:
    """Item response theory: fit a model, audit the items."""


@irt.command("fit")
@_source_options
@_fit_options
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the fit and abilities as JSON.")
@read_options
@handle_errors
def fit_cmd(
    results,
    store_path,
    task,
    metric,
    irt_model,
    method,
    n_choices,
    backend,
    device,
    confidence_level,
    as_json,
    **kwargs,
):
    """Fit an IRT model and print each model's ability with its interval."""
    from assay import irt as airt

    m = _matrix(results, store_path, task, metric, collect_read_options(kwargs))
    f = airt.fit(
        m,
        confidence_level=confidence_level,
        **_fit_kw(irt_model, method, n_choices, backend, device),
    )
    if as_json:
        echo_json(
            {"fit": f.to_dict(), "abilities": f.ability.rows(), "task": m.task, "metric": m.metric}
        )
        return
    click.echo(
        f"{f.model} {f.method} fit of {f.n_models} models x {f.n_items} items ({m.task}/{m.metric}): "
        f"log-likelihood {f.loglik:.2f}, AIC {f.aic:.1f}, BIC {f.bic:.1f}, "
        f"{'converged' if f.converged else 'NOT converged'} in {f.n_iter} EM steps."
    )
    rows = sorted(f.ability.rows(), key=lambda r: -r["estimate"])
    _table(
        f"Abilities ({f.ability.method}, {100 * confidence_level:g}% intervals)",
        ["model", "estimate", "se", "ci_low", "ci_high", "n"],
        rows,
    )


@irt.command("items")
@_source_options
@_fit_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--flagged-only", is_flag=True, help="Only items with a flag.")
@click.option("--min-discrimination", type=float, default=0.25, show_default=True)
@click.option("--max-mean-square", type=float, default=1.5, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@read_options
@handle_errors
def items_cmd(
    results,
    store_path,
    task,
    metric,
    irt_model,
    method,
    n_choices,
    backend,
    device,
    fmt,
    flagged_only,
    min_discrimination,
    max_mean_square,
    alpha,
    **kwargs,
):
    """The item audit: parameters, fit statistics and flags with reasons, one row per item."""
    from assay import irt as airt

    m = _matrix(results, store_path, task, metric, collect_read_options(kwargs))
    au = airt.audit(
        m,
        min_discrimination=min_discrimination,
        max_mean_square=max_mean_square,
        alpha=alpha,
        **_fit_kw(irt_model, method, n_choices, backend, device),
    )
    rows = au.flagged() if flagged_only else au.rows
    if fmt == "json":
        out = au.to_dict()
        out["rows"] = rows
        echo_json(out)
        return
    cols = [
        "item",
        "mean_score",
        "n",
        "discrimination",
        "discrimination_se",
        "difficulty",
        "difficulty_se",
        "infit",
        "outfit",
        "sx2_pvalue",
        "item_total",
        "flags",
        "reasons",
    ]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in cols])
        click.echo(buf.getvalue(), nl=False)
        return
    click.echo(
        f"{au.n_flagged} of {au.fit.n_items} items flagged ({m.task}/{m.metric}, {au.fit.model})."
    )
    _table("Item audit", cols, rows)


@click.group()
def subset() -> None:
    """Efficient evaluation: choose anchor items, estimate accuracy from them."""


@subset.command("build")
@_source_options
@click.option("--k", type=int, required=True, help="Number of anchor items.")
@click.option(
    "--method",
    type=click.Choice(
        [
            "auto",
            "info-stratified",
            "info-cluster",
            "stratified",
            "cluster",
            "cluster-info",
            "information",
        ]
    ),
    default="auto",  # irt.ANCHOR_METHODS and its default, spelled out: irt loads lazily
    show_default=True,
    help="How anchors are chosen (see docs/irt.md for the error of each on MMLU-Pro).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-validate", is_flag=True, help="Skip the leave-one-model-out error estimate.")
@click.option(
    "-o", "--output", default="subset.json", show_default=True, help="Subset file to write."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@read_options
@handle_errors
def build_cmd(
    results, store_path, task, metric, k, method, seed, no_validate, output, as_json, **kwargs
):
    """Choose K anchor items from the reference models in RESULTS and write the subset file."""
    from assay import irt as airt

    m = _matrix(results, store_path, task, metric, collect_read_options(kwargs))
    if no_validate:
        sub = airt.build_subset(m, k, method=method, validate=False, rng=seed)
    else:
        with step_progress("leave-one-model-out", len(m.models)) as step:
            sub = airt.build_subset(m, k, method=method, rng=seed, progress=step)
    record = sub.to_dict()
    record.update(task=m.task, metric=m.metric)
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(record, fh, sort_keys=True, allow_nan=False)
        fh.write("\n")
    summary = {
        "output": output,
        "k": sub.k,
        "method": sub.method,
        "seed": seed,
        "task": m.task,
        "metric": m.metric,
        "reference_models": len(sub.reference_models),
        "validation": sub.validation,
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(f"wrote {sub.k} {sub.method} anchors of {len(sub.all_items)} items to {output}")
    if sub.validation:
        mae = ", ".join(f"{e} {100 * v:.2f}" for e, v in sorted(sub.validation["mae"].items()))
        click.echo(f"leave-one-model-out mean absolute error (accuracy points): {mae}")


@subset.command("estimate")
@_source_options
@click.option(
    "--subset",
    "subset_path",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Subset file written by `assay subset build`.",
)
@click.option(
    "--estimator", type=click.Choice(["gp-irt", "irt", "mean"]), default="gp-irt", show_default=True
)
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@read_options
@handle_errors
def estimate_cmd(
    results, store_path, task, metric, subset_path, estimator, confidence_level, as_json, **kwargs
):
    """Estimate the full-benchmark accuracy of the models in RESULTS from their anchor answers."""
    import numpy as np

    from assay import irt as airt
    from assay._core import InputError

    try:
        with open(subset_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc}).", path=subset_path) from None
    sub = airt.Subset.from_dict(data, path=subset_path)
    m = _matrix(
        results,
        store_path,
        task or data.get("task"),
        metric or data.get("metric"),
        collect_read_options(kwargs),
    )
    col = {it: j for j, it in enumerate(m.items)}
    values = m.item_scores()
    anchor = np.full((m.n_models, sub.k), np.nan)
    for j, it in enumerate(sub.items):
        if it in col:
            anchor[:, j] = values[:, col[it]]
    est = airt.estimate_accuracy(
        sub, anchor, method=estimator, models=m.models, confidence_level=confidence_level
    )
    rows = est.rows()
    if as_json:
        echo_json({"method": est.method, "confidence_level": confidence_level, "estimates": rows})
        return
    _table(
        f"Estimated accuracy ({est.method}; interval from the validated error)",
        ["model", "estimate", "se", "ci_low", "ci_high", "n"],
        rows,
    )
