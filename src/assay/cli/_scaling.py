"""`assay scaling`: how a score grows with the number of training examples (a power law)."""

from __future__ import annotations

import click

from assay.cli._common import echo_json, handle_errors

JSON_VERSION = 1


@click.command()
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("--size", "col_n", default="n_examples", show_default=True,
              help="Column of the number of training examples (or tokens).")  # fmt: skip
@click.option("--score", "col_y", default="score", show_default=True, help="Column of the score.")
@click.option(
    "--target",
    type=click.Choice(["score", "error"]),
    default="score",
    show_default=True,
    help="Fit score = a N^b, or 1 - score = a N^b (scores in (0, 1)).",
)
@click.option(
    "--at", "at", type=float, multiple=True, help="Also give the fitted score at this size."
)
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handle_errors
def scaling(table, col_n, col_y, target, at, confidence_level, as_json) -> None:
    """Fit a score against data size as a power law on log-log axes, from a table (CSV, TSV,
    JSONL or JSON; one row per model or run, with its data size and score)."""
    from assay.curves import data_scaling
    from assay.io import read_rows

    rows = read_rows(table)
    n, y = rows.numbers(col_n), rows.numbers(col_y)
    res = data_scaling(n, y, target=target, confidence_level=confidence_level)
    preds = {float(x): float(res.predict([x])[0]) for x in at}
    if as_json:
        echo_json({"version": JSON_VERSION, "source": rows.path, "result": res.to_dict(),
                   "predictions": [{"size": k, "score": v} for k, v in preds.items()]})  # fmt: skip
        return
    pct = f"{100 * confidence_level:g}%"
    what = "score" if target == "score" else "1 - score"
    click.echo(
        f"{what} = {res.coefficient:.4g} N^{res.exponent:.4f} ({pct} CI of the exponent "
        f"{res.exponent_ci_low:.4f} to {res.exponent_ci_high:.4f}; R^2 {res.r_squared:.3f} on "
        f"log-log axes, p = {res.pvalue:.3g} for no growth; {res.n} sizes, {res.method})."
    )
    click.echo(f"measured: {min(y):.4g} to {max(y):.4g} over N = {min(n):g} to {max(n):g}.")
    for k, v in preds.items():
        click.echo(f"fitted score at N = {k:g}: {v:.4f} (a point on the fit, no interval).")
