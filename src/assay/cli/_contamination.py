"""`assay contamination index | scan | clean`: did the test set leak into the training data?

Each command parses options, calls one library function (:func:`assay.pipelines.save_index` after
building an index, :func:`assay.pipelines.run_scan`, :func:`assay.pipelines.write_clean_copy`) and
prints; no scanning logic lives here.
"""

from __future__ import annotations

import os
from typing import Any

import click

from assay.cli._common import (
    collect_read_options,
    default_store_path,
    echo_json,
    handle_errors,
    read_options,
    store_option,
)

__all__ = ["contamination"]

_SHOWN = 20


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def contamination() -> None:
    """Find test items in training data: exact, n-gram, near-duplicate, embedding and judge checks.

    Build an index of the test items once (`index`), scan corpora against it (`scan`), and write a
    decontaminated copy (`clean`).
    """


def _corpus_options(f):
    for d in reversed(
        [
            click.option(
                "--text-field",
                default="text",
                show_default=True,
                help="JSONL key or Parquet column of the text.",
            ),
            click.option(
                "--id-field",
                default=None,
                help="Field with a document id, copied into the evidence.",
            ),
            click.option(
                "--text-unit",
                type=click.Choice(["file", "line"]),
                default="file",
                show_default=True,
                help="Text files: one document per file or per line.",
            ),
        ]
    ):
        f = d(f)
    return f


@contamination.command("index")
@click.argument("items", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Index file to write (.npz).",
)
@click.option(
    "--input-field",
    default="text",
    show_default=True,
    help="Items files: the question/prompt field.",
)
@click.option("--target-field", default=None, help="Items files: the gold answer field.")
@click.option(
    "--id-field", default=None, help="Items files: the item id field (default: row number)."
)
@click.option(
    "--benchmark-field", default=None, help="Items files: the benchmark field (default: file name)."
)
@click.option(
    "--results",
    "results",
    multiple=True,
    type=click.Path(),
    help="Results files: index their input/target text.",
)
@click.option(
    "--from-store", is_flag=True, help="Index the input/target text of the items in the store."
)
@store_option
@click.option("--task", "tasks", multiple=True, help="Only these tasks (results or store).")
@click.option(
    "--preset",
    type=click.Choice(["gpt3", "tulu3", "open-r1"]),
    default="gpt3",
    show_default=True,
    help="Recipe: GPT-3 13-gram, or the 8-gram of Tulu 3 / open-r1.",
)
@click.option("-n", "--ngram", "n", type=int, default=None, help="Override the recipe's n.")
@click.option(
    "--minhash/--no-minhash", default=True, show_default=True, help="Index MinHash signatures too."
)
@click.option("--num-perm", type=int, default=128, show_default=True)
@click.option("--bands", type=int, default=16, show_default=True)
@click.option("--shingle", type=int, default=5, show_default=True)
@click.option(
    "--jaccard", type=float, default=0.8, show_default=True, help="Near-duplicate threshold."
)
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print the index summary as JSON.")
@handle_errors
def index_cmd(
    items,
    out,
    input_field,
    target_field,
    id_field,
    benchmark_field,
    results,
    from_store,
    store_path,
    tasks,
    preset,
    n,
    minhash,
    num_perm,
    bands,
    shingle,
    jaccard,
    as_json,
    **kw,
):
    """Build the test-side index from ITEMS files (JSONL/Parquet/CSV), results files or the store."""
    from assay._core import InputError
    from assay.contamination import MinHasher, build_index
    from assay.pipelines import index_from_responses, read_items, save_index

    read_kwargs = collect_read_options(kw)
    sources = sum(bool(x) for x in (items, results, from_store))
    if sources != 1:
        raise InputError(
            "give exactly one source of test items: ITEMS files, --results or --from-store."
        )
    mh = (
        MinHasher(num_perm=num_perm, bands=bands, shingle=shingle, threshold=jaccard)
        if minhash
        else None
    )
    opts: dict[str, Any] = {"preset": preset, "n": n, "minhash": mh}
    if items:
        cols: dict[str, list] = {"input": [], "target": [], "id": [], "benchmark": []}
        for path in items:
            part = read_items(
                path,
                input_field=input_field,
                target_field=target_field,
                id_field=id_field,
                benchmark_field=benchmark_field,
            )
            for k in cols:
                cols[k].extend(part[k])
        idx = build_index(
            cols["input"],
            targets=cols["target"],
            ids=cols["id"],
            benchmarks=cols["benchmark"],
            **opts,
        )
    else:
        if results:
            from assay.io import read

            table = read(list(results), **read_kwargs).responses
        else:
            from assay.store import Store

            table = Store(store_path or default_store_path(), create=False).responses()
        idx = index_from_responses(table, tasks=list(tasks) or None, **opts)
    save_index(idx, out)
    summary = {"index": os.path.abspath(out), **idx.to_dict()}
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"indexed {idx.n_items:,} test items ({len(idx.keys):,} distinct {idx.recipe.n}-grams, "
        f"recipe {idx.recipe.name}) -> {out}"
    )


@contamination.command("scan")
@click.argument("corpus", nargs=-1, required=True)
@click.option(
    "-i",
    "--index",
    "index_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="From `assay contamination index`.",
)
@click.option(
    "-o",
    "--out",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder for the manifest, range results and result.json; a re-run resumes from it.",
)
@_corpus_options
@click.option(
    "--range-mib",
    type=float,
    default=64.0,
    show_default=True,
    help="Split files into ranges of about this many MiB (the unit of work; see docs).",
)
@click.option("--workers", type=int, default=None, help="Processes (default: all cores).")
@click.option(
    "--dask",
    "dask_mode",
    type=click.Choice(["local"]),
    default=None,
    help="Run ranges as Dask tasks on a local cluster.",
)
@click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT", help="Run ranges on this Dask cluster."
)
@click.option(
    "--embed", is_flag=True, help="Embedding stage (all-MiniLM-L6-v2, offline; assay[embed])."
)
@click.option("--embed-k", type=int, default=20, show_default=True)
@click.option(
    "--embed-null",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Corpus documents used as pseudo-queries, the null of the rephrase test (0: the F "
    "test): spread over every file by bytes, each file at evenly spaced places, the same on a "
    "re-run (docs/contamination.md).",
)
@click.option(
    "--embed-cache",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Precomputed embeddings (assay.pipelines.save_embeddings): texts found there are not "
    "encoded again. Implies --embed.",
)
@click.option("--embedding-threshold", type=float, default=0.8, show_default=True)
@click.option(
    "--min-share",
    type=float,
    default=None,
    help="Flag only items with this share of n-grams found (default: any).",
)
@click.option(
    "--judge-url",
    default=None,
    help="OpenAI-compatible endpoint for the judge stage, e.g. http://127.0.0.1:8000/v1.",
)
@click.option("--judge-model", default=None)
@click.option(
    "--judge-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="Environment variable with the API key.",
)
@click.option(
    "--judge-cache", default=None, type=click.Path(dir_okay=False), help="Verdict cache (JSONL)."
)
@click.option("--judge-min-score", type=float, default=0.5, show_default=True)
@click.option(
    "--price-in", type=float, default=0.0, help="Price per million input tokens (cost preview)."
)
@click.option(
    "--price-out", type=float, default=0.0, help="Price per million output tokens (cost preview)."
)
@click.option(
    "-y", "--yes", is_flag=True, help="Run the judge without asking after the cost preview."
)
@click.option(
    "--restart", is_flag=True, help="Ignore the manifest in --out and scan everything again."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def scan(
    corpus,
    index_path,
    out,
    text_field,
    id_field,
    text_unit,
    range_mib,
    workers,
    dask_mode,
    scheduler,
    embed,
    embed_k,
    embed_null,
    embed_cache,
    embedding_threshold,
    min_share,
    judge_url,
    judge_model,
    judge_key_env,
    judge_cache,
    judge_min_score,
    price_in,
    price_out,
    yes,
    restart,
    progress,
    as_json,
):
    """Scan CORPUS files, folders or globs against the index; per-item verdicts with evidence."""
    from assay._core import InputError
    from assay.pipelines import CorpusOptions, JudgeConfig, ScanOptions, load_index, run_scan

    if dask_mode and scheduler:
        raise InputError("give --dask local or --scheduler ADDRESS, not both.")
    judge = None
    if judge_url or judge_model:
        if not (judge_url and judge_model):
            raise InputError("the judge needs both --judge-url and --judge-model.")
        judge = JudgeConfig(
            base_url=judge_url,
            model=judge_model,
            api_key_env=judge_key_env,
            cache=judge_cache,
            min_score=judge_min_score,
            price_in=price_in,
            price_out=price_out,
        )
        embed = True

    def confirm(preview: dict[str, Any]) -> bool:
        click.echo(
            f"judge: {preview['n_calls']:,} calls to {preview['model']} ({preview['n_cached']:,} cached), "
            f"about {preview['tokens_in']:,} input tokens, estimated cost {preview['cost']:.4f}",
            err=True,
        )
        return (
            yes
            or preview["n_calls"] == 0
            or click.confirm("run the judge?", err=True, default=False)
        )

    options = ScanOptions(
        corpus=CorpusOptions(
            text_field=text_field,
            id_field=id_field,
            text_unit=text_unit,
            range_bytes=max(1, int(range_mib * 2**20)),
        ),
        embed=embed or embed_cache is not None,
        embed_k=embed_k,
        embed_null=embed_null,
        embed_cache=embed_cache,
    )
    result = run_scan(
        list(corpus),
        load_index(index_path),
        options=options,
        judge=judge,
        confirm=confirm,
        min_share=min_share,
        embedding_threshold=embedding_threshold,
        out=out,
        workers=workers,
        scheduler=dask_mode or scheduler,
        progress=progress,
        restart=restart,
    )
    if as_json:
        from assay.pipelines._scan import _trim

        echo_json(_trim(result.to_dict()))
        return
    _print_scan(result)


def _print_scan(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"scanned {result.n_docs:,} documents ({result.n_bytes / 1e6:,.1f} MB); stages: "
        f"{', '.join(result.stages)}"
    )
    t = Table(title="Contamination per benchmark")
    for col in (
        "benchmark",
        "items",
        "input",
        "input+answer",
        "rate",
        "95% CI (Wilson)",
        "embedding cand.",
        "rephrased (lower bound)",
    ):
        t.add_column(col)
    for b in result.benchmarks:
        rephrased = (
            "-"
            if b.rephrased != b.rephrased
            else f">= {b.rephrased_ci_low:.0f} ({b.n_rephrase_flags} at p >= 0.5)"
        )
        t.add_row(
            b.benchmark or "-",
            f"{b.n:,}",
            f"{b.n_input:,}",
            f"{b.n_input_and_answer:,}",
            f"{100 * b.estimate:.1f}%",
            f"{100 * b.ci_low:.1f}-{100 * b.ci_high:.1f}%",
            f"{b.n_embedding_candidates:,}",
            rephrased,
        )
    console.print(t)
    for note in result.settings.get("notes", []):
        console.print(f"note: {note}", style="yellow")
    flagged = [v for v in result.items if v.contaminated]
    flagged.sort(key=lambda v: (-v.longest, v.benchmark, v.item))
    if flagged:
        t = Table(
            title=f"Contaminated items (first {min(_SHOWN, len(flagged))} of {len(flagged):,})"
        )
        for col in ("benchmark", "item", "status", "stages", "n-gram share", "longest", "docs"):
            t.add_column(col)
        for v in flagged[:_SHOWN]:
            share = "-" if v.input_share != v.input_share else f"{100 * v.input_share:.0f}%"
            t.add_row(
                v.benchmark or "-",
                v.item,
                v.status,
                ",".join(v.stages),
                share,
                str(v.longest),
                f"{v.n_docs:,}",
            )
        console.print(t)


@contamination.command("clean")
@click.argument("corpus", nargs=-1, required=True)
@click.option("-i", "--index", "index_path", required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the cleaned copy.",
)
@click.option(
    "--mode",
    type=click.Choice(["spans", "drop"]),
    default="spans",
    show_default=True,
    help="Cut matched spans (GPT-3 window and fragment rules) or drop whole documents.",
)
@_corpus_options
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def clean(corpus, index_path, out, mode, text_field, id_field, text_unit, as_json):
    """Write a decontaminated copy of CORPUS into --out, with removed.jsonl saying what and why."""
    from assay.pipelines import CorpusOptions, load_index, write_clean_copy

    report = write_clean_copy(
        list(corpus),
        load_index(index_path),
        out,
        mode=mode,
        corpus=CorpusOptions(text_field=text_field, id_field=id_field, text_unit=text_unit),
    )
    if as_json:
        echo_json(report.to_dict())
        return
    n = sum(f["n_docs"] for f in report.files)
    click.echo(
        f"{n:,} documents: {report.n_cut:,} cut, {report.n_dropped:,} dropped -> {report.out} "
        f"(what and why: {report.manifest})"
    )
