"""`assay compare`, `assay leaderboard` and `assay power`: the statistics core from the shell.

Each command parses options, calls one library function (:func:`assay.stats.compare_models`,
:func:`assay.stats.leaderboard`, :func:`assay.stats.minimum_detectable_effect` or
:func:`assay.stats.sample_size`) and prints; no statistics live here.
"""

from __future__ import annotations

import math
from typing import Any

import click

from assay.cli._common import (
    align_option,
    collect_read_options,
    echo_json,
    echo_wrapped,
    handle_errors,
    load_matrix,
    read_options,
    store_option,
)

__all__ = ["JSON_VERSION", "compare", "leaderboard", "power"]

JSON_VERSION = 1
"""Version of the ``--json`` documents of these commands."""

_FLIPS_SHOWN = 10


# ------------------------------------------------------------------------------- data access


def _split_args(args: tuple[str, ...], n_models: int) -> tuple[list[str], list[str]]:
    """Model names and RESULTS paths in any order: an argument naming an existing file or folder
    is a path; the others are model names (``assay compare RESULTS A B`` and ``A B RESULTS``)."""
    import os

    from assay._core import InputError

    paths = [a for a in args if os.path.exists(a)]
    names = [a for a in args if not os.path.exists(a)]
    if len(names) != n_models:
        raise InputError(
            f"expected {n_models} model names besides the RESULTS paths; got "
            f"{len(names)} ({', '.join(map(repr, names)) or 'none'})"
            + (". A path that does not exist counts as a model name." if names else ".")
        )
    return names, paths


def _common_options(f):
    decorators = [
        click.option("--task", default=None, help="Task (needed when the results hold several)."),
        click.option("--metric", default=None, help="Metric (needed when the task has several)."),
        click.option(
            "--cluster-by",
            type=click.Choice(["cluster", "subject"]),
            default=None,
            help="Cluster-robust errors over the items' cluster or subject labels.",
        ),
        align_option,
        click.option("--confidence-level", type=float, default=0.95, show_default=True),
        click.option(
            "--resamples", type=int, default=None, help="Bootstrap / permutation resamples."
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text."),
        store_option,
        read_options,
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _echo(text: str = "") -> None:
    """One line of a command's text output, wrapped to the terminal (at most 100 columns)."""
    if not text:
        click.echo("")
        return
    echo_wrapped(text)


def _pct(x: float, scale: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x * scale:.1f}"


def _p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return f"{p:.2e}" if p < 1e-4 else f"{p:.4f}"


# ------------------------------------------------------------------------------- compare


@click.command()
@click.argument("args", nargs=-1, metavar="[RESULTS...] MODEL_A MODEL_B [RESULTS...]")
@click.option(
    "--margin",
    type=float,
    default=None,
    help="Non-inferiority/equivalence margin, in points for 0-1 scores.",
)
@click.option(
    "--flips",
    "n_flips",
    type=int,
    default=_FLIPS_SHOWN,
    show_default=True,
    help="Flipped item ids to list per side.",
)
@_common_options
@handle_errors
def compare(
    args: tuple[str, ...],
    margin: float | None,
    n_flips: int,
    task: str | None,
    metric: str | None,
    cluster_by: str | None,
    align: str,
    confidence_level: float,
    resamples: int | None,
    seed: int,
    as_json: bool,
    store_path: str | None,
    **kwargs: Any,
) -> None:
    """Is B really better than A? Compare MODEL_B against MODEL_A item by item.

    Reads RESULTS files or folders when given, the store otherwise. Prints a one-line verdict,
    then the paired difference with its interval, McNemar's tests (binary scores), the sign-flip
    permutation and paired bootstrap tests, and the items that flipped.
    """
    from assay.stats import compare_models

    (model_a, model_b), paths = _split_args(args, 2)
    matrix = load_matrix(
        paths, store_path, collect_read_options(kwargs), task=task, metric=metric,
        models=[model_a, model_b], align=align,
    )  # fmt: skip
    dropped = matrix.dropped_items
    scale, unit = matrix.scale.factor, matrix.scale.unit
    options: dict[str, Any] = {"confidence_level": confidence_level, "rng": seed}
    if resamples is not None:
        options["n_resamples"] = resamples
    if margin is not None:
        options["margin"] = margin / scale
    res = compare_models(matrix, model_a, model_b, cluster_by=cluster_by, **options)
    verdict = res.verdict(model_a, model_b, scale=scale)
    if as_json:
        echo_json(
            {
                "version": JSON_VERSION,
                "command": "compare",
                "model_a": model_a,
                "model_b": model_b,
                "task": matrix.task,
                "metric": matrix.metric,
                "cluster_by": cluster_by,
                "scale": scale,
                "verdict": verdict,
                "dropped_items": dropped,
                "result": res.to_dict(),
            }  # fmt: skip
        )
        return
    _print_compare(res, model_a, model_b, matrix, scale, unit, verdict, n_flips, cluster_by)


def _print_compare(
    res, model_a, model_b, matrix, scale, unit, verdict, n_flips, cluster_by
) -> None:
    level = f"{100 * res.confidence_level:g}%"
    echo = _echo
    echo(verdict)
    echo("")
    echo(
        f"task {matrix.task}, metric {matrix.metric}, {res.n:,} items"
        + (f", {res.n_samples} samples each" if res.n_samples > 1 else "")
    )
    echo(f"  {model_a}: {_pct(res.mean_a, scale)}    {model_b}: {_pct(res.mean_b, scale)}")
    how = f"CR2 over {res.n_clusters} {cluster_by} clusters" if res.n_clusters else "paired"
    how += f" SE, {res.df:g} df" + (
        ", score interval inside [-1, 1]" if "score" in res.method else ""
    )
    echo(
        f"  difference {model_b} - {model_a}: {_pct(res.estimate, scale)} {unit}, {level} CI "
        f"{_pct(res.ci_low, scale)} to {_pct(res.ci_high, scale)} ({how}, SE {_pct(res.se, scale)}); "
        f"t = {res.statistic:.3f}, p = {_p(res.pvalue)}"
    )
    echo(
        f"  correlation of item scores {res.correlation:.3f}; effect size d_z = {res.effect_size:.3f}"
    )
    if res.mcnemar is not None:
        mc = res.mcnemar
        echo(
            f"  McNemar: {mc.n_a_only:,} items only {model_a} got right, {mc.n_b_only:,} only {model_b}; "
            f"exact p = {_p(mc.pvalue)}, mid-p = {_p(mc.pvalue_midp)}, chi2 = {mc.chi2:.3f} "
            f"(p = {_p(mc.chi2_pvalue)}), with continuity correction {mc.chi2_cc:.3f} (p = {_p(mc.chi2_cc_pvalue)})"
        )
    echo(f"  sign-flip permutation p = {_p(res.permutation.pvalue)} ({res.permutation.method})")
    b = res.bootstrap
    echo(
        f"  paired bootstrap ({b.n_resamples:,} resamples{', clusters' if b.n_clusters else ''}): "
        f"{level} CI {_pct(b.ci_low, scale)} to {_pct(b.ci_high, scale)}, p = {_p(res.bootstrap_pvalue)}"
    )
    if res.margin is not None:
        m = res.margin
        echo(
            f"  margin {_pct(m.margin, scale)} {unit}: {model_b} non-inferior to {model_a}: "
            f"{'yes' if m.noninferior else 'no'} (p = {_p(m.noninferiority_pvalue)}); equivalent: "
            f"{'yes' if m.equivalent else 'no'} (TOST p = {_p(m.equivalence_pvalue)}, "
            f"{100 * m.confidence_level:g}% CI {_pct(m.ci_low, scale)} to {_pct(m.ci_high, scale)})"
        )
    for who, other, ids in ((model_a, model_b, res.a_wins), (model_b, model_a, res.b_wins)):
        shown = ", ".join(map(str, ids[:n_flips])) + (", ..." if len(ids) > n_flips else "")
        what = (
            f"{who} got right and {other} wrong"
            if res.binary
            else f"{who} scored higher than {other}"
        )
        echo(f"flips: {len(ids):,} items {what}" + (f": {shown}" if ids and n_flips > 0 else ""))


# ------------------------------------------------------------------------------- leaderboard


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--top-k", type=int, default=None, help="k of P(top-k) (default 3).")
@click.option(
    "--alpha", type=float, default=0.05, show_default=True, help="Level of the all-pairs tests."
)
@click.option(
    "--adjust",
    type=click.Choice(["holm", "hochberg", "bh", "by", "bonferroni", "none"]),
    default="holm",
    show_default=True,
    help="Multiple-testing adjustment of the all-pairs tests behind ranks and tiers.",
)
@_common_options
@handle_errors
def leaderboard(
    paths: tuple[str, ...],
    top_k: int | None,
    alpha: float,
    adjust: str,
    task: str | None,
    metric: str | None,
    cluster_by: str | None,
    align: str,
    confidence_level: float,
    resamples: int | None,
    seed: int,
    as_json: bool,
    store_path: str | None,
    **kwargs: Any,
) -> None:
    """Models with intervals, simultaneous rank intervals, P(best) and tie groups.

    Reads RESULTS files or folders when given, the store otherwise.
    """
    from assay.stats import leaderboard as make_leaderboard

    matrix = load_matrix(
        paths, store_path, collect_read_options(kwargs), task=task, metric=metric, align=align
    )
    dropped = matrix.dropped_items
    options: dict[str, Any] = {
        "confidence_level": confidence_level, "rng": seed, "top_k": top_k, "alpha": alpha,
        "adjust": adjust,
    }  # fmt: skip
    if resamples is not None:
        options["n_resamples"] = resamples
    board = make_leaderboard(matrix, cluster_by=cluster_by, **options)
    if as_json:
        echo_json(
            {
                "version": JSON_VERSION,
                "command": "leaderboard",
                "task": matrix.task,
                "metric": matrix.metric,
                "cluster_by": cluster_by,
                "dropped_items": dropped,
                "result": board.to_dict(),
            }  # fmt: skip
        )
        return
    _print_leaderboard(board, matrix, cluster_by)


def _print_leaderboard(board, matrix, cluster_by) -> None:
    scale = matrix.scale.factor
    level = f"{100 * board.confidence_level:g}%"
    pw = board.pairwise
    clusters = f" in {board.n_clusters} {cluster_by} clusters" if board.n_clusters else ""
    click.echo(
        f"task {board.task}, metric {board.metric}: {len(board.entries)} models on "
        f"{board.n:,} items{clusters}"
    )
    click.echo(f"  {level} intervals: {board.entries[0].method}")
    click.echo(
        "  ranks and tiers: "
        + (
            f"{pw.test}, all {len(pw.model_a)} pairs, {pw.adjust}-adjusted, alpha {pw.alpha:g}"
            if pw is not None
            else board.ranks.method
        )
    )
    header = ("tier", "rank", "rank CI", "model", "score", f"{level} CI")
    rows = [
        (
            str(e.tier),
            str(e.rank),
            f"{e.rank_low}-{e.rank_high}",
            e.model,
            _pct(e.estimate, scale),
            f"{_pct(e.ci_low, scale)}-{_pct(e.ci_high, scale)}",
        )  # fmt: skip
        for e in board.entries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    widths[3] = min(widths[3], 48)  # long model names are cut, so a row fits 100 columns
    numeric = {0, 1, 2, 4, 5}

    def line(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            c = c if len(c) <= w else c[: w - 1] + "~"
            out.append(c.rjust(w) if i in numeric else c.ljust(w))
        return "  ".join(out).rstrip()

    click.echo(line(header))
    for r in rows:
        click.echo(line(r))
    click.echo("")
    best = board.ranks.best_group
    if len(best) == 1:
        click.echo(f"best: {best[0]} (significantly ahead of every other model)")
    else:
        click.echo(f"cannot be told apart from the best: {', '.join(best)}")


# ------------------------------------------------------------------------------- power


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@store_option
@click.option(
    "--model-a", default=None, help="With RESULTS or --store: estimate the variance from A and B."
)
@click.option("--model-b", default=None, help="The second model of the pilot comparison.")
@click.option("--task", default=None, help="Task of the pilot data.")
@click.option("--metric", default=None, help="Metric of the pilot data.")
@click.option(
    "--cluster-by",
    type=click.Choice(["cluster", "subject"]),
    default=None,
    help="Pilot data: estimate the design effect of these clusters.",
)
@read_options
@click.option(
    "--n", "n_items", type=int, default=None, help="Items: give the minimum detectable effect."
)
@click.option(
    "--delta",
    type=float,
    default=None,
    help="Difference to detect (points for 0-1 scores): give the items needed.",
)
@click.option(
    "--accuracy",
    "--baseline",
    "baseline",
    type=float,
    default=0.5,
    show_default=True,
    help="Expected accuracy (binary scores); 0.5 is the largest variance. (--baseline: old name.)",
)
@click.option(
    "--sd",
    type=float,
    default=None,
    help="Per-item SD of continuous scores (instead of --baseline); --delta and the answer are then in score units.",
)
@click.option(
    "--rho",
    type=float,
    default=0.0,
    show_default=True,
    help="Correlation of A's and B's item scores.",
)
@click.option(
    "--deff", type=float, default=1.0, show_default=True, help="Design effect of clustered items."
)
@click.option("--k", type=int, default=1, show_default=True, help="Samples per item.")
@click.option(
    "--icc",
    type=float,
    default=None,
    help="Share of one sample's variance between items (needed with --k > 1).",
)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--power", "target", type=float, default=0.8, show_default=True)
@click.option("--unpaired", is_flag=True, help="The two models answer different items.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handle_errors
def power(
    paths: tuple[str, ...], store_path: str | None, model_a: str | None, model_b: str | None,
    task: str | None, metric: str | None, cluster_by: str | None,
    n_items: int | None, delta: float | None, baseline: float, sd: float | None, rho: float,
    deff: float, k: int, icc: float | None, alpha: float, target: float, unpaired: bool,
    as_json: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Minimum detectable effect at --n items, or the items needed to detect --delta.

    From assumptions: binary scores by default (give --accuracy), continuous scores with --sd.
    From data: give RESULTS (or --store) with --model-a and --model-b; the variance of the paired
    differences (and the design effect with --cluster-by) is estimated from their item scores.
    """
    from assay._core import InputError
    from assay.stats import minimum_detectable_effect, sample_size

    if (n_items is None) == (delta is None):
        raise InputError(
            "give exactly one of --n (for the minimum detectable effect) and --delta (for the items needed)."
        )
    read_kwargs = collect_read_options(kwargs)
    if model_a or model_b or paths or store_path:
        _power_from_data(
            paths,
            store_path,
            read_kwargs,
            model_a,
            model_b,
            task,
            metric,
            cluster_by,
            n_items,
            delta,
            k,
            alpha,
            target,
            as_json,
        )
        return
    scale = 1.0 if sd is not None else 100.0
    spec: dict[str, Any] = {
        "rho": rho, "paired": not unpaired, "design_effect": deff, "k": k, "icc": icc,
        "alpha": alpha, "power": target,
    }  # fmt: skip
    if sd is not None:
        spec["sd"] = sd
    else:
        spec["baseline"] = baseline
    if n_items is not None:
        res = minimum_detectable_effect(n_items, **spec)
    else:
        res = sample_size(delta / scale, **spec)
    if as_json:
        echo_json(
            {"version": JSON_VERSION, "command": "power", "scale": scale, "result": res.to_dict()}
        )
        return
    unit = "points" if scale == 100.0 else "units"
    what = f"baseline accuracy {baseline:g}" if sd is None else f"per-item SD {sd:g}"
    design = f"{res.design}, rho = {rho:g}, design effect {deff:g}, k = {k}"
    if res.solved_for == "delta":
        if math.isnan(res.delta):
            click.echo(res.note)
        else:
            click.echo(
                f"With {res.n:,} items, a difference of {res.delta * scale:.2f} {unit} is detected with "
                f"power {target:g} at alpha {alpha:g} ({what}; {design})."
            )
    else:
        click.echo(
            f"To detect {delta:g} {unit} with power {target:g} at alpha {alpha:g}, you need {res.n:,} "
            f"items ({what}; {design})."
        )
    if res.note and not math.isnan(res.delta):
        click.echo(res.note)


def _power_from_data(paths, store_path, read_kwargs, model_a, model_b, task, metric, cluster_by,
                     n_items, delta, k, alpha, target, as_json) -> None:  # fmt: skip
    """`assay power` with pilot data: the variance of the paired differences comes from A and B."""
    from assay._core import InputError
    from assay.stats import power_from_matrix

    if not (model_a and model_b):
        raise InputError("power from data needs --model-a and --model-b (and RESULTS or --store).")
    matrix = load_matrix(
        paths, store_path, read_kwargs, task=task, metric=metric, models=[model_a, model_b]
    )
    scale, unit = matrix.scale.factor, matrix.scale.unit
    res = power_from_matrix(
        matrix, model_a, model_b, cluster_by=cluster_by, n=n_items,
        delta=None if delta is None else delta / scale, k=None if k == 1 else k, alpha=alpha,
        power=target,
    )  # fmt: skip
    if as_json:
        echo_json(
            {
                "version": JSON_VERSION,
                "command": "power",
                "scale": scale,
                "from_data": {
                    "model_a": model_a,
                    "model_b": model_b,
                    "task": matrix.task,
                    "metric": matrix.metric,
                    "pilot_items": matrix.n_items,
                    "cluster_by": cluster_by,
                },
                "result": res.to_dict(),
            }
        )
        return
    pilot = (
        f"variance from {model_a} vs {model_b} on {matrix.n_items:,} items of {matrix.task}; "
        f"{res.design} design, {res.method} test"
    )
    if cluster_by:
        pilot += f"; clustered by {cluster_by}: design effect {res.design_effect:.1f}"
    if res.solved_for == "delta":
        if math.isnan(res.delta):
            click.echo(res.note)
        else:
            click.echo(
                f"With {res.n:,} items, a difference of {res.delta * scale:.2f} {unit} is detected with "
                f"power {target:g} at alpha {alpha:g} ({pilot})."
            )
    else:
        click.echo(
            f"To detect {delta:g} {unit} with power {target:g} at alpha {alpha:g}, you need {res.n:,} "
            f"items ({pilot})."
        )
