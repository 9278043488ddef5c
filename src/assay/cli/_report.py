"""`assay report` and `assay demo`."""

from __future__ import annotations

import os

import click
from rich.console import Console

from assay.cli._common import (
    collect_read_options,
    handle_errors,
    load_result,
    progress_bars,
    read_options,
    store_option,
)

__all__ = ["demo", "report"]


def _report_options(f):
    for d in reversed(
        [
            click.option("--baseline", default=None, help="Compare every model against this one."),
            click.option(
                "--seed",
                type=int,
                default=0,
                show_default=True,
                help="Seed of every resampling step.",
            ),
            click.option("--confidence-level", type=float, default=0.95, show_default=True),
            click.option(
                "--alpha",
                type=float,
                default=0.05,
                show_default=True,
                help="Test level after adjustment.",
            ),
            click.option(
                "--resamples",
                "n_resamples",
                type=int,
                default=2000,
                show_default=True,
                help="Resamples of every bootstrap and permutation step (P(best), the "
                "comparisons' sign-flip and bootstrap checks).",
            ),
            click.option(
                "--adjust",
                type=click.Choice(["holm", "hochberg", "bh", "by", "bonferroni", "none"]),
                default="holm",
                show_default=True,
                help="Multiple-testing adjustment of the all-pairs tests behind ranks and verdicts.",
            ),
        ]
    ):
        f = d(f)
    return f


def _run(
    result, sources, html, json_path, markdown, options_kw, read_kw, title, review=None,
    contamination_items=None,
):  # fmt: skip
    from assay.report import SECTIONS, ReportOptions, write_report
    from assay.report._registry import section_module
    from assay.report._terminal import print_summary

    console = Console(highlight=False)
    options = ReportOptions(**options_kw)
    titles = {section_module(s).TITLE for s in SECTIONS}
    with progress_bars() as bars:
        reading = bars.add_task("reading results", total=None)
        sections = bars.add_task("analyses", total=len(SECTIONS), visible=False)
        started = []

        def progress(what: str) -> None:
            if what in titles:
                bars.update(reading, visible=False)
                if started:
                    bars.advance(sections)
                started.append(what)
                bars.update(sections, description=what, visible=True)
            else:
                bars.update(reading, description=f"reading {os.path.basename(what)}")

        files = write_report(
            sources, result=result, html=html, json=json_path, markdown=markdown, options=options,
            read_options=read_kw, title=title, progress=progress, review=review,
            contamination_items=contamination_items,
        )  # fmt: skip
        bars.update(sections, completed=len(SECTIONS))
    print_summary(files.model, console)
    for kind in ("html", "json", "markdown"):
        path = getattr(files, kind)
        if path:
            console.print(f"{kind:>8}: {os.path.abspath(path)}", highlight=False, soft_wrap=True)
    return files


@click.command("report")
@click.argument("results", nargs=-1, type=click.Path(exists=True))
@store_option
@click.option(
    "-o",
    "--output",
    "html",
    default="assay-report.html",
    show_default=True,
    help="HTML report path.",
)
@click.option("--json", "json_path", default=None, help="Also write the report model as JSON here.")
@click.option("--markdown", default=None, help="Also write a short Markdown summary here.")
@click.option("--title", default="assay report", show_default=True)
@click.option(
    "--review",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A reviewed item-audit file (CSV or JSON with a verdict column): re-score with confirmed "
    "errors excluded or corrected (see docs/labels.md).",
)
@click.option(
    "--corpus",
    multiple=True,
    metavar="PATH_OR_GLOB",
    help="Training corpus (JSONL, Parquet or text; repeatable) to check for contamination.",
)
@click.option(
    "--corpus-text-field",
    default="text",
    show_default=True,
    help="Field of a corpus record with its text.",
)
@click.option(
    "--corpus-embed",
    is_flag=True,
    help="Also run the embedding stage on the corpus and estimate how many items were rephrased "
    "into it (assay[embed]).",
)
@click.option(
    "--corpus-embed-cache",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Precomputed embeddings (assay.pipelines.save_embeddings) for the embedding stage; "
    "implies --corpus-embed.",
)
@click.option(
    "--contamination-scan",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="result.json of an earlier `assay contamination scan --out`, instead of --corpus.",
)
@click.option(
    "--contamination-known",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A text file of item ids known to be contaminated (one per line, e.g. a judge's "
    "verdicts): the contamination section says how many each stage flags.",
)
@click.option(
    "--irt-subset-sizes",
    is_flag=True,
    help="In the IRT section, say how many items would have told the same story with a new IRT "
    "fit per held-out model (minutes on large benchmarks; by default each fold's items are "
    "re-estimated at the fit's abilities, seconds).",
)
@click.option(
    "--curve-target",
    type=float,
    default=None,
    help="In the training-curves section, the score whose time to target is reported (in the "
    "score's units, e.g. 0.6 for 60% accuracy); default each run's final level.",
)
@_report_options
@read_options
@handle_errors
def report(
    results,
    store_path,
    html,
    json_path,
    markdown,
    title,
    baseline,
    seed,
    confidence_level,
    alpha,
    n_resamples,
    adjust,
    review,
    corpus,
    corpus_text_field,
    corpus_embed,
    corpus_embed_cache,
    contamination_scan,
    contamination_known,
    irt_subset_sizes,
    curve_target,
    **kwargs,
):
    """Read RESULTS (files or folders, any supported format) or the store, run every analysis the
    data supports, and write one self-contained HTML report (plus JSON and Markdown if asked)."""
    read_kw = collect_read_options(kwargs)
    result = None
    if not results:
        if store_path is None:
            raise click.UsageError("give results files or folders, or --store PATH.")
        result = load_result((), store_path, read_kw)
    options_kw = dict(
        corpus=tuple(corpus),
        corpus_text_field=corpus_text_field,
        corpus_embed=corpus_embed or corpus_embed_cache is not None,
        corpus_embed_cache=corpus_embed_cache,
        contamination_scan=contamination_scan,
        contamination_known=_known_items(contamination_known),
        contamination_known_source=None if contamination_known is None else contamination_known,
        baseline=baseline,
        seed=seed,
        confidence_level=confidence_level,
        alpha=alpha,
        n_resamples=n_resamples,
        adjust=adjust,
        irt_subset_sizes=irt_subset_sizes,
        curve_target=curve_target,
    )
    _run(
        result, list(results) or None, html, json_path, markdown, options_kw, read_kw, title,
        review=review,
    )  # fmt: skip


def _known_items(path: str | None) -> tuple[str, ...]:
    """Item ids, one per line (blank lines and lines starting with # skipped)."""
    if path is None:
        return ()
    from assay._core import InputError

    try:
        with open(path, encoding="utf-8") as fh:
            lines = [line.strip() for line in fh]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the known-contaminated item ids ({exc}).") from None
    ids = tuple(dict.fromkeys(x for x in lines if x and not x.startswith("#")))
    if not ids:
        raise InputError(f"{path}: no item ids (one per line).")
    return ids


@click.command("demo")
@click.option(
    "-o", "--output", "html", default="assay-demo.html", show_default=True, help="HTML report path."
)
@click.option(
    "--json", "json_path", default="assay-demo.json", show_default=True, help="JSON report path."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--export-data",
    type=click.Path(dir_okay=False),
    default=None,
    help="Instead of the report, write the demo data as a Parquet long table here, to try the "
    "other commands on it (assay leaderboard mmlu_pro.parquet --missing intersect, ...).",
)
@handle_errors
def demo(html, json_path, seed, export_data):
    """Run the report on real data shipped with assay and write assay-demo.html here: MMLU-Pro
    (29 models x 12,032 questions in 14 subjects, with their text), CRUXEval (10 samples per
    problem), real LLM confidences, the Pythia checkpoint series, and HumanEval checked against
    the CodeAlpaca training set. Each source and its license is named in the report."""
    from assay import datasets

    if export_data is not None:
        import pyarrow.parquet as pq

        pq.write_table(datasets.mmlu_pro(), export_data)  # with the questions' text
        click.echo(
            f"wrote {os.path.abspath(export_data)} (347,215 responses: 29 models x 12,032 questions)"
        )
        return
    from assay.report._demo import demo_report_inputs

    demo = demo_report_inputs(seed=seed)
    _run(
        demo.result, None, html, json_path, None, demo.options, {}, demo.title,
        contamination_items=demo.contamination_items,
    )  # fmt: skip
