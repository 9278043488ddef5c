"""`assay agreement`: does a judge agree with humans, and do raters agree with each other?"""

from __future__ import annotations

import math

import click
import numpy as np

from assay.cli._common import echo_json, handle_errors, print_table

JSON_VERSION = 1


def _split(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def _f(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


@click.command()
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("--human", default=None, help="Column of the human (gold) labels.")
@click.option("--judge", default=None, help="Column of the judge's labels for the same items.")
@click.option(
    "--raters",
    "--rater-columns",
    "raters",
    default=None,
    metavar="A,B,...",
    help="Two or more columns, one per rater (empty cell: the rater did not label the item).",
)
@click.option(
    "--level",
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    default="nominal",
    show_default=True,
    help="Level of measurement of the raters' labels (Krippendorff's alpha).",
)
@click.option(
    "--missing",
    type=click.Choice(["raise", "omit"]),
    default="raise",
    show_default=True,
    help="With --human/--judge: an item missing either label is an error, or is left out "
    "(and counted).",
)
@click.option("--confidence-level", type=float, default=0.95, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds Fleiss' bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def agreement(table, human, judge, raters, level, missing, confidence_level, seed, as_json) -> None:
    """Agreement in a table of labels (CSV, TSV, JSONL or JSON; one row per item).

    With --human and --judge: an LLM judge against human labels (confusion matrix, observed and
    chance agreement, Cohen's kappa with its interval, per-label recall and precision). With
    --raters: agreement among several raters (Krippendorff's alpha, any missing cells; Fleiss'
    kappa with its interval when every rater labelled every item).
    """
    from assay._core import InputError
    from assay.io import read_rows

    cols = _split(raters)
    if (human is None) != (judge is None) or bool(cols) == (human is not None):
        raise click.UsageError("give --human and --judge, or --raters A,B,... (not both).")
    rows = read_rows(table)
    if cols:
        if len(cols) < 2:
            raise InputError("--raters needs at least two columns.", field="raters")
        _raters(rows, cols, level, confidence_level, seed, as_json)
        return
    _judge(rows, human, judge, missing, confidence_level, as_json)


def _judge(rows, human, judge, missing, level, as_json) -> None:
    from assay.stats import judge_agreement

    y = rows.text(human, missing="keep" if missing == "omit" else "raise")
    yhat = rows.text(judge, missing="keep" if missing == "omit" else "raise")
    keep = [a is not None and b is not None for a, b in zip(y, yhat, strict=True)]
    y = [a for a, k in zip(y, keep, strict=True) if k]
    yhat = [b for b, k in zip(yhat, keep, strict=True) if k]
    res = judge_agreement(y, yhat, confidence_level=level)
    n_omitted = len(keep) - sum(keep)
    if as_json:
        echo_json({"version": JSON_VERSION, "source": rows.path, "human": human, "judge": judge,
                   "n_omitted": n_omitted, "result": res.to_dict()})  # fmt: skip
        return
    k = res.kappa
    pct = f"{100 * level:g}%"
    click.echo(
        f"{judge} against {human}: {res.n:,} items"
        + (f" ({n_omitted} left out: a label missing)" if n_omitted else "")
        + f"; observed agreement {_f(res.observed_agreement)}, chance agreement "
        f"{_f(res.chance_agreement)} (from the base rates); Cohen's kappa {_f(k.estimate)} "
        f"({pct} CI {_f(k.ci_low)} to {_f(k.ci_high)}, {k.method})."
    )
    labels = [str(v) for v in res.labels]
    print_table(
        "confusion (rows: human, columns: judge)",
        ["human \\ judge", *labels, "base rate", "judge recall", "judge precision"],
        [
            [
                lab,
                *[f"{int(c):,}" for c in res.confusion[i]],
                _f(res.base_rate_human[i]),
                _f(res.recall[i]),
                _f(res.precision[i]),
            ]
            for i, lab in enumerate(labels)
        ],  # fmt: skip
    )


def _raters(rows, cols, level, confidence_level, seed, as_json) -> None:
    from assay.stats import fleiss_kappa, krippendorff_alpha, ratings_to_counts

    if level == "nominal":
        texts = [rows.text(c, missing="keep") for c in cols]
        codes = sorted({v for t in texts for v in t if v is not None})
        index = {v: float(i) for i, v in enumerate(codes)}
        data = np.array([[math.nan if v is None else index[v] for v in t] for t in texts])
    else:
        codes = None
        data = np.array([rows.numbers(c, missing="keep") for c in cols])
    alpha = krippendorff_alpha(data, level=level)
    fleiss = None
    complete = bool(np.all(np.isfinite(data)))
    if complete and level == "nominal" and len(codes) >= 2:
        counts, _ = ratings_to_counts(data.T, labels=[float(i) for i in range(len(codes))])
        fleiss = fleiss_kappa(counts, confidence_level=confidence_level, rng=seed)
    out = {"version": JSON_VERSION, "source": rows.path, "raters": cols, "level": level,
           "labels": codes, "krippendorff_alpha": alpha.to_dict(),
           "fleiss_kappa": None if fleiss is None else fleiss.to_dict()}  # fmt: skip
    if as_json:
        echo_json(out)
        return
    click.echo(
        f"{len(cols)} raters ({', '.join(cols)}), {len(rows.rows):,} items ({alpha.n_units:,} "
        f"with two or more labels): Krippendorff's alpha ({level}) {_f(alpha.estimate)} from "
        f"{alpha.n:,} pairable labels (a point estimate, no interval)."
    )
    if fleiss is not None:
        pct = f"{100 * confidence_level:g}%"
        click.echo(
            f"Fleiss' kappa {_f(fleiss.estimate)} ({pct} CI {_f(fleiss.ci_low)} to "
            f"{_f(fleiss.ci_high)}, {fleiss.method})."
        )
    elif level == "nominal":
        click.echo(
            "Fleiss' kappa: not computed ("
            + ("some raters left items unlabelled)." if not complete else "only one label used).")
        )
