"""The other demo data: CRUXEval samples, real LLM confidences, Pythia checkpoints, HumanEval."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from assay._core import InputError
from assay.datasets._mmlu import data_path, mmlu_pro_result
from assay.datasets._sources import SOURCES, Source, source
from assay.io import RUN_SCHEMA, ReadResult, RunInfo, file_sha256
from assay.io._schema import concat_results

__all__ = [
    "DemoInputs",
    "calibration_result",
    "codealpaca_corpus",
    "demo_embeddings",
    "cruxeval",
    "cruxeval_reported",
    "cruxeval_result",
    "demo_inputs",
    "demo_result",
    "humaneval",
    "humaneval_codealpaca_pairs",
    "humaneval_rephrased_corpus",
    "pythia_paths",
]

CRUXEVAL_TASKS = ("cruxeval-i", "cruxeval-o")


def _fs_path(name: str) -> Path:
    """The data file or folder ``name`` as a file-system path (the package must be unzipped)."""
    p = data_path(name)
    if not isinstance(p, Path):
        raise InputError(
            f"assay's data {name!r} is inside a zip archive ({p!r}); the demo data needs assay "
            "installed as files (pip install, not a zipapp).",
            field="datasets",
        )
    return p


def cruxeval() -> pa.Table:
    """CRUXEval: CodeLlama-7B, 800 problems x 10 samples, on two tasks, as assay's long table.

    Returns
    -------
    pyarrow.Table
        16,000 rows (:data:`assay.io.RESPONSE_SCHEMA`): ``model='codellama-7b'``, ``task``
        ``'cruxeval-i'`` (predict an input from the output) or ``'cruxeval-o'`` (predict the
        output), ``item`` the problem id (``sample_0`` ... ``sample_799``), ``sample`` 0-9,
        ``metric='pass'``, ``score`` 1 or 0 (the sample passed the execution check),
        ``prediction`` the raw generation (for majority vote and consistency), ``target`` the
        gold input or output, ``input`` the problem (its code and the assertion to complete) on
        the sample-0 row of each item, null on the others.

    Notes
    -----
    Generated at temperature 0.2. The unbiased pass@k estimator
    (:func:`assay.sampling.pass_at_k`) reproduces the stored pass@1 and pass@5
    (:func:`cruxeval_reported`). Source: facebookresearch/cruxeval (commit 190faf1), MIT;
    Gu et al. 2024, arXiv:2401.03065.
    """
    return pq.read_table(_fs_path("cruxeval.parquet"))


def cruxeval_reported() -> dict[str, dict[str, Any]]:
    """The pass@1 and pass@5 stored in the CRUXEval result files, per task, in percent.

    Returns
    -------
    dict
        ``{"cruxeval-i": {"pass@1": 35.95, "pass@5": 44.99, "unit": "percent", "file": ...},
        "cruxeval-o": {...}}`` (values as stored, unrounded).
    """
    with open(_fs_path("cruxeval_reported.json"), encoding="utf-8") as fh:
        return json.load(fh)


def cruxeval_result() -> ReadResult:
    """:func:`cruxeval` with one run row per task, as :func:`assay.read` would return it."""
    table = cruxeval()
    reported = cruxeval_reported()
    src = source("cruxeval").citation
    sha = file_sha256([_fs_path("cruxeval.parquet"), _fs_path("cruxeval_reported.json")])
    runs = []
    for task, kind in zip(CRUXEVAL_TASKS, ("input", "output"), strict=True):
        runs.append(
            RunInfo(
                run_id=f"cruxeval-codellama-7b-{kind}",
                model="codellama-7b",
                task=task,
                harness="cruxeval",
                source=src,
                sha256=sha,
                config={
                    "temperature": 0.2,
                    "n_samples": 10,
                    "prediction": kind,
                    "reported": {k: reported[task][k] for k in ("pass@1", "pass@5", "unit")},
                },
            ).as_row()
        )
    return ReadResult(table, pa.Table.from_pylist(runs, schema=RUN_SCHEMA), [], [src])


def calibration_result() -> ReadResult:
    """Real LLM confidences: Qwen3-8B's per-choice log-likelihoods on two 4-choice tasks.

    Reads the packaged lm-evaluation-harness output (``lm_eval/qwen3-8b_negotiationtom``, the
    results file and the samples of the two ``multiple_choice`` subtasks, unchanged) with
    :func:`assay.read`: 40 rows, tasks ``negotiationtom_belief`` and ``negotiationtom_desire``,
    20 questions each, ``choice_logprobs`` of length 4 on every row.

    Returns
    -------
    ReadResult
        As :func:`assay.read` returns it, plus a ``cluster`` per row: the three questions asked
        about one dialogue (its high, medium and low preference) share one prompt and therefore
        one set of log-likelihoods, so they are not independent; ``cluster`` is
        ``"<task>/prompt-<first item>"`` for the rows that share a prompt, for cluster-aware
        intervals.

    Notes
    -----
    This is the only source of real LLM confidences in the project's shared data (HELM's runs
    keep only the greedy token's log-probability, Inspect's none; the CIFAR-10 and MNIST
    softmax outputs are image classifiers). With 20 questions a task, every calibration
    estimate has a wide interval: the demo shows the method, not a verdict on Qwen3-8B.
    Source: lm-evaluation-harness output collected in evaleval/every_eval_ever (commit 9bce413),
    MIT.
    """
    from assay.io import read

    folder = _fs_path("lm_eval/qwen3-8b_negotiationtom")
    res = read(folder)
    t = res.responses
    tasks, items, inputs = (t.column(c).to_pylist() for c in ("task", "item", "input"))
    first: dict[tuple[str, str | None], str] = {}
    clusters = []
    for task, item, inp in zip(tasks, items, inputs, strict=True):
        clusters.append(f"{task}/prompt-{first.setdefault((task, inp), item)}")
    col = t.schema.get_field_index("cluster")
    t = t.set_column(col, t.schema.field(col), pa.array(clusters, pa.string()))
    notes = list(res.notes) + [
        "demo calibration data: only the two multiple-choice subtasks of negotiationtom are "
        "shipped (the generative negotiationtom_intention carries no confidences); three "
        "questions share each prompt (cluster column)."
    ]
    return ReadResult(t, res.runs, notes, [source("calibration").citation])


def pythia_paths() -> list[Path]:
    """The folders of the shipped Pythia series, each holding ``zero-shot/<size>_step<N>.json``.

    Returns
    -------
    list of pathlib.Path
        One folder per series (``pythia-70m``, ``pythia-410m``, ``pythia-1.4b``,
        ``pythia-1.4b-deduped``, ``pythia-6.9b``, ``pythia-6.9b-deduped``), sorted by name; each
        has 27 raw lm-evaluation-harness results files (2023 layout: ``results``, ``versions``,
        ``config``; aggregate accuracy and its standard error per task, no per-item rows), the
        checkpoint in ``config.model_args`` (``revision=stepN``) and in the file name.

    Notes
    -----
    Source: EleutherAI/pythia (commit a19eecb) ``evals/pythia-v1``, Apache-2.0 (``LICENSE``
    in the ``pythia`` folder); Biderman et al. 2023, arXiv:2304.01373.
    """
    root = _fs_path("pythia")
    return sorted(p for p in root.iterdir() if p.is_dir())


def humaneval() -> pa.Table:
    """The 164 HumanEval problems as items to scan for contamination.

    Returns
    -------
    pyarrow.Table
        Columns ``task`` (``'humaneval'``), ``item`` (``HumanEval/0`` ... ``HumanEval/163``),
        ``input`` (the problem: signature, docstring and canonical solution, as
        llm-decontaminator stores it) and ``target`` (null). The columns
        :func:`assay.pipelines.index_from_responses` reads; there are no scores.
    """
    rows = _jsonl(_fs_path("contamination/humaneval.jsonl"))
    return pa.table(
        {
            "task": pa.array(["humaneval"] * len(rows), pa.string()),
            "item": pa.array([r["id"] for r in rows], pa.string()),
            "input": pa.array([r["text"] for r in rows], pa.string()),
            "target": pa.nulls(len(rows), pa.string()),
        }
    )


def codealpaca_corpus() -> Path:
    """A JSONL training corpus (field ``text``): the CodeAlpaca snippets nearest to HumanEval.

    Returns
    -------
    pathlib.Path
        ``contamination/codealpaca.jsonl``: the 164 CodeAlpaca training snippets that
        llm-decontaminator retrieved (by embedding similarity) as the nearest neighbour of each
        HumanEval problem, duplicates removed. Not the whole CodeAlpaca set (20k examples): a
        scan of it measures how many HumanEval problems have a copy or rephrasing among their
        nearest CodeAlpaca neighbours, not a contamination rate of CodeAlpaca.
    """
    return _fs_path("contamination/codealpaca.jsonl")


def demo_embeddings() -> Path:
    """Precomputed all-MiniLM-L6-v2 embeddings of the HumanEval items and the CodeAlpaca corpus.

    Returns
    -------
    pathlib.Path
        ``contamination/embeddings.npz`` (:func:`assay.pipelines.save_embeddings`, float16): the
        demo's scan takes its embeddings from here, so its embedding stage and rephrase estimate
        run in the demo without loading the model (or without ``assay[embed]`` installed).
        Rebuilt by ``scripts/build_demo_data.py``; a test checks it against the model.
    """
    return _fs_path("contamination/embeddings.npz")


def humaneval_rephrased_corpus() -> Path:
    """A JSONL corpus whose contamination is known: a rephrasing of 147 of the 164 HumanEval
    problems.

    Returns
    -------
    pathlib.Path
        ``contamination/humaneval_rephrased_python.jsonl``: 164 documents (fields ``id``,
        ``HumanEval/i``, and ``text``), document ``i`` llm-decontaminator's Python rephrasing of
        HumanEval problem ``i`` (renamed identifiers, reworded docstring, changed examples),
        made to evade n-gram decontamination. 17 of the documents are empty (the rephrasing
        failed in the source; HumanEval/17, 19, 44, 68, 81, 87, 94, 105, 107, 118, 123, 124,
        129, 148, 152, 156 and 160): the other 147 items are contaminated, and a scan's flag
        rate over them is the stage's recall against rephrasing: the 13-gram and MinHash stages
        flag 1 of 147.
    """
    return _fs_path("contamination/humaneval_rephrased_python.jsonl")


def humaneval_codealpaca_pairs() -> pa.Table:
    """The LLM decontaminator's verdict on each (HumanEval problem, nearest CodeAlpaca snippet).

    Returns
    -------
    pyarrow.Table
        164 rows: ``item`` (``HumanEval/i``), ``test`` (the problem), ``train`` (the CodeAlpaca
        snippet) and ``rephrased`` (the LLM judge's verdict that the snippet is a rephrasing of
        the problem). 18 pairs are marked; the paper reports 21 of 164 HumanEval problems
        rephrased in CodeAlpaca (Yang et al. 2023, arXiv:2311.04850), a count the
        shipped file does not reproduce (its verdicts may come from another judge run).
    """
    rows = _jsonl(_fs_path("contamination/humaneval_codealpaca_pairs.jsonl"))
    for i, r in enumerate(rows):
        if len(r["train"]) != 1 or len(r["results"]) != 1:
            raise InputError(
                "expected one training snippet and one verdict per pair",
                path=str(_fs_path("contamination/humaneval_codealpaca_pairs.jsonl")),
                record=i + 1,
                field="train",
            )
    return pa.table(
        {
            "item": pa.array([r["id"] for r in rows], pa.string()),
            "test": pa.array([r["test"] for r in rows], pa.string()),
            "train": pa.array([r["train"][0] for r in rows], pa.string()),
            "rephrased": pa.array([bool(r["results"][0]) for r in rows], pa.bool_()),
        }
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def demo_result() -> ReadResult:
    """Everything ``assay report`` reads as a long table, in one :class:`~assay.io.ReadResult`.

    MMLU-Pro with the questions' text (:func:`mmlu_pro_result`), CRUXEval
    (:func:`cruxeval_result`) and the real LLM confidences (:func:`calibration_result`):
    363,255 rows, 31 models, 5 tasks. The Pythia series and the contamination scan are separate
    inputs (aggregate results files and a corpus): see :func:`demo_inputs`.
    """
    return concat_results([mmlu_pro_result(), cruxeval_result(), calibration_result()])


@dataclasses.dataclass(frozen=True)
class DemoInputs:
    """What ``assay demo`` gives the report.

    Attributes
    ----------
    result : ReadResult
        :func:`demo_result`.
    pythia : list of pathlib.Path
        :func:`pythia_paths`: results folders for the training-curves section.
    contamination_items : pyarrow.Table
        :func:`humaneval`: the items to index (task, item, input, target).
    corpus : pathlib.Path
        :func:`codealpaca_corpus`: a JSONL corpus, text in the ``text`` field.
    contamination_pairs : pyarrow.Table
        :func:`humaneval_codealpaca_pairs`: the paper's evidence (LLM-judged rephrasings).
    embeddings : pathlib.Path
        :func:`demo_embeddings`: the scan's embeddings, precomputed.
    rephrased_corpus : pathlib.Path
        :func:`humaneval_rephrased_corpus`: a corpus with 147 of the 164 items rephrased
        (known truth; the other 17 documents are empty).
    sources : tuple of Source
        :data:`SOURCES`, for the report's attribution.
    """

    result: ReadResult
    pythia: list[Path]
    contamination_items: pa.Table
    corpus: Path
    contamination_pairs: pa.Table
    embeddings: Path
    rephrased_corpus: Path
    sources: tuple[Source, ...]


def demo_inputs() -> DemoInputs:
    """All the demo data: :func:`demo_result` and the inputs that are not a long table."""
    return DemoInputs(
        result=demo_result(),
        pythia=pythia_paths(),
        contamination_items=humaneval(),
        corpus=codealpaca_corpus(),
        contamination_pairs=humaneval_codealpaca_pairs(),
        embeddings=demo_embeddings(),
        rephrased_corpus=humaneval_rephrased_corpus(),
        sources=SOURCES,
    )
