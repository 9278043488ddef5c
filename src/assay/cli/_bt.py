"""`assay bt`: Bradley-Terry strengths from pairwise preferences (arena battles, judge votes)."""

from __future__ import annotations

import click
import numpy as np

from assay.cli._common import echo_json, handle_errors, print_table

JSON_VERSION = 1


@click.command()
@click.argument("pairs", type=click.Path(dir_okay=False))
@click.option("--model-a", "col_a", default="model_a", show_default=True, help="Column of model A.")
@click.option("--model-b", "col_b", default="model_b", show_default=True, help="Column of model B.")
@click.option(
    "--winner",
    "col_w",
    default="winner",
    show_default=True,
    help="Column of the outcome: a/model_a, b/model_b, or tie... (half a win each).",
)
@click.option("--reference", default=None, help="Fix this model's strength at 0 (default: sum 0).")
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def bt(pairs, col_a, col_b, col_w, reference, confidence_level, as_json) -> None:
    """Bradley-Terry strengths with intervals from a table of pairwise outcomes (CSV, TSV, JSONL
    or JSON; one row per comparison), as Chatbot Arena fits them."""
    from assay._core import InputError
    from assay.io import read_rows
    from assay.stats import bradley_terry

    rows = read_rows(pairs)
    a, b, w = rows.text(col_a), rows.text(col_b), rows.text(col_w)
    for k, (x, y, v) in enumerate(zip(a, b, w, strict=True)):
        v = v.strip().lower()
        if x == y:
            raise InputError(f"a model against itself ({x!r}).", path=rows.path,
                             record=rows.lines[k], field=col_b)  # fmt: skip
        if v not in ("a", "b", "model_a", "model_b") and not v.startswith("tie"):
            raise InputError(
                f"expected a, b, model_a, model_b or tie...; got {v!r}.",
                path=rows.path, record=rows.lines[k], field=col_w,
            )  # fmt: skip
    res = bradley_terry(a, b, w, reference=reference, confidence_level=confidence_level)
    if as_json:
        echo_json({"version": JSON_VERSION, "source": rows.path, "result": res.to_dict()})
        return
    from collections import Counter

    seen = Counter(a) + Counter(b)  # comparisons each model took part in
    order = np.argsort(-res.estimate, kind="stable")
    pct = f"{100 * confidence_level:g}%"
    print_table(
        f"Bradley-Terry strengths (log-odds, {res.identification}) from {res.n:,} comparisons "
        f"({res.n_ties:,} ties); P(i beats j) = 1 / (1 + exp(-(s_i - s_j)))",
        ["model", "strength", f"{pct} CI", "SE", "comparisons"],
        [
            [
                res.models[i],
                f"{res.estimate[i]:+.3f}",
                f"{res.ci_low[i]:+.3f} to {res.ci_high[i]:+.3f}",
                f"{res.se[i]:.3f}",
                f"{seen[res.models[i]]:,}",
            ]
            for i in order
        ],  # fmt: skip
    )
