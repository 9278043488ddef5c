"""`assay ppi`: a mean from few human labels and many judge labels (prediction-powered)."""

from __future__ import annotations

import math

import click
import numpy as np

from assay.cli._common import echo_json, handle_errors

JSON_VERSION = 1


def _lam(value: str) -> float | str:
    if value == "tuned":
        return value
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(
            f"expected a number in [0, 1] or 'tuned'; got {value!r}."
        ) from None


@click.command()
@click.argument("table", type=click.Path(dir_okay=False))
@click.option(
    "--human",
    required=True,
    help="Column of the human (gold) score; empty on the items only the judge scored.",
)
@click.option("--judge", required=True, help="Column of the judge's score, on every item.")
@click.option(
    "--lam",
    default="1",
    show_default=True,
    help="Weight of the judge: 1 (PPI), 0 (human labels alone) or 'tuned' (PPI++).",
)
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handle_errors
def ppi(table, human, judge, lam, confidence_level, as_json) -> None:
    """Prediction-powered mean of a score from a table (CSV, TSV, JSONL or JSON; one row per
    item): the rows with a human score are the labelled set, the rest the judge-only set.

    The interval is valid whatever the judge's bias (Angelopoulos et al. 2023), and narrower than
    the human labels' own when the judge tracks them.
    """
    from assay._core import InputError
    from assay.io import read_rows
    from assay.stats import ppi_mean

    weight = _lam(lam)  # before any reading
    rows = read_rows(table)
    y = np.array(rows.numbers(human, missing="keep"))
    yhat = np.array(rows.numbers(judge, missing="raise"))
    labelled = np.isfinite(y)
    n, big_n = int(labelled.sum()), int((~labelled).sum())
    if n < 2 or big_n < 1:
        raise InputError(
            f"needs at least 2 rows with a human score and 1 without; got {n} and {big_n}.",
            path=rows.path,
            field=human,
        )
    res = ppi_mean(y[labelled], yhat[labelled], yhat[~labelled], lam=weight,
                   confidence_level=confidence_level)  # fmt: skip
    # a mean of scores in [0, 1] lies in [0, 1]: intersecting the intervals with it keeps
    # their coverage (the interval PPI gives, unclipped, is in "result")
    lo_hi = (0.0, 1.0) if np.all((y[labelled] >= 0) & (y[labelled] <= 1)) else (-np.inf, np.inf)
    shown = {
        "estimate": float(np.clip(res.estimate, *lo_hi)),
        "ci_low": float(np.clip(res.ci_low, *lo_hi)),
        "ci_high": float(np.clip(res.ci_high, *lo_hi)),
        "classical_ci_low": float(np.clip(res.classical_ci_low, *lo_hi)),
        "classical_ci_high": float(np.clip(res.classical_ci_high, *lo_hi)),
        "score_range": None if np.isinf(lo_hi[0]) else list(lo_hi),
    }
    if as_json:
        echo_json({"version": JSON_VERSION, "source": rows.path, "human": human, "judge": judge,
                   "n_labelled": n, "n_unlabelled": big_n, "result": res.to_dict(),
                   "in_range": shown})  # fmt: skip
        return
    pct = f"{100 * confidence_level:g}%"
    width = res.ci_high - res.ci_low
    clipped = " (within [0, 1])" if shown["score_range"] else ""
    click.echo(
        f"mean of {human}: {shown['estimate']:.4f} ({pct} CI {shown['ci_low']:.4f} to "
        f"{shown['ci_high']:.4f}{clipped}; {res.method}, lambda = {res.lam:.3f}) from {n:,} "
        f"human-labelled and {big_n:,} judge-only items."
    )
    classic = res.classical_ci_high - res.classical_ci_low
    click.echo(
        f"human labels alone: {float(np.mean(y[labelled])):.4f} ({pct} CI "
        f"{shown['classical_ci_low']:.4f} to {shown['classical_ci_high']:.4f}, normal, n = {n:,}); "
        f"the judge's bias on the labelled items is {res.rectifier:+.4f}"
        + (
            f"; with the judge the interval is {width / classic:.2f} times as wide."
            if classic > 0 and math.isfinite(width)
            else "."
        )
    )
