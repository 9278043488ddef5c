"""MMLU-Pro: 29 models' per-question results, and the questions' text."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from assay.datasets._sources import source
from assay.io import RUN_SCHEMA, ReadResult, RunInfo, file_sha256

__all__ = ["mmlu_pro", "mmlu_pro_questions", "mmlu_pro_result", "question_text"]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def data_path(name: str):
    """A file or folder in ``assay/datasets/data`` (a Traversable; see :func:`as_path`)."""
    return resources.files("assay.datasets") / "data" / name


def question_text(question: str, options: list[str]) -> str:
    """The question followed by its lettered options, one per line (``A. ...``).

    Examples
    --------
    >>> print(question_text("2 + 2 =", ["3", "4"]))
    2 + 2 =
    <BLANKLINE>
    A. 3
    B. 4
    """
    lines = [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options)]
    return question + "\n\n" + "\n".join(lines)


def mmlu_pro_questions() -> pa.Table:
    """The 12,032 MMLU-Pro questions' text: one row per question.

    Returns
    -------
    pyarrow.Table
        Columns ``item`` (the question id, as in :func:`mmlu_pro`), ``subject`` (one of 14),
        ``question``, ``options`` (list of strings, 3 to 10 of them, lettered A, B, ... in order)
        and ``answer`` (the gold letter). The answer differs from the results table's ``target``
        on 3 questions (the two files of the MMLU-Pro repository disagree there; the results
        are scored against ``target``).

    Notes
    -----
    Source: TIGER-AI-Lab/MMLU-Pro (commit f418b11), Apache-2.0; Wang et al. 2024,
    arXiv:2406.01574. Built by ``scripts/build_demo_data.py``.
    """
    with resources.as_file(data_path("mmlu_pro_questions.parquet")) as p:
        return pq.read_table(p)


def mmlu_pro(text: bool = True) -> pa.Table:
    """MMLU-Pro: 29 models x 12,032 questions, 5-shot CoT, as assay's long table.

    Parameters
    ----------
    text : bool, default True
        Fill ``input`` with the question and its lettered options (:func:`question_text`) on the
        first row of each item in table order, null on every other row: the report takes an
        item's first non-null input, so one copy per item costs about 8 MB instead of the 230 MB
        a copy on each of the 347,215 rows would. ``False`` leaves ``input`` null everywhere.

    Returns
    -------
    pyarrow.Table
        One row per (model, question), sorted by model then item: ``task='mmlu_pro'``,
        ``metric='acc'``, ``score`` 1 or 0, ``target`` the gold letter, ``prediction`` the
        extracted letter (null when none was extracted, scored as wrong), ``subject`` one of 14
        categories, ``cluster`` the question's original source (e.g.
        ``ori_mmlu-business_ethics``). Some models lack some questions.

    Notes
    -----
    Source: TIGER-AI-Lab/MMLU-Pro (commit f418b11), Apache-2.0; Wang et al. 2024,
    arXiv:2406.01574. See ``datasets/data/ATTRIBUTION.md``.

    Examples
    --------
    >>> from assay import datasets
    >>> table = datasets.mmlu_pro()
    >>> table.num_rows, table.column("input").null_count
    (347215, 335183)
    """
    with resources.as_file(data_path("mmlu_pro.parquet")) as p:
        table = pq.read_table(p)
    if not text:
        return table
    return _with_text(table, mmlu_pro_questions())


def _with_text(table: pa.Table, questions: pa.Table) -> pa.Table:
    items = table.column("item").combine_chunks()
    # First row of each item in table order: np.unique's return_index is the first occurrence.
    codes = items.dictionary_encode()
    _, first = np.unique(codes.indices.to_numpy(zero_copy_only=False), return_index=True)
    text_of = {
        item: question_text(q, opts)
        for item, q, opts in zip(
            questions.column("item").to_pylist(),
            questions.column("question").to_pylist(),
            questions.column("options").to_pylist(),
            strict=True,
        )
    }
    values: list[str | None] = [None] * table.num_rows
    first_items = items.take(pa.array(first)).to_pylist()
    for row, item in zip(first.tolist(), first_items, strict=True):
        values[row] = text_of.get(item)
    col = table.schema.get_field_index("input")
    return table.set_column(col, table.schema.field(col), pa.array(values, pa.string()))


def mmlu_pro_result(text: bool = True) -> ReadResult:
    """:func:`mmlu_pro` with one run row per model, as :func:`assay.read` would return it.

    Parameters
    ----------
    text : bool, default True
        Passed to :func:`mmlu_pro`.
    """
    table = mmlu_pro(text=text)
    names = ["mmlu_pro.parquet"] + (["mmlu_pro_questions.parquet"] if text else [])
    paths = [str(data_path(n)) for n in names]
    sha = file_sha256(paths)
    src = source("mmlu_pro").citation
    models = sorted(set(table.column("model").to_pylist()))
    runs = [
        RunInfo(
            run_id=f"mmlu_pro-{m}",
            model=m,
            task="mmlu_pro",
            harness="mmlu-pro",
            source=src,
            sha256=sha,
            config={"shots": 5, "prompt": "chain of thought"},
        ).as_row()
        for m in models
    ]
    return ReadResult(table, pa.Table.from_pylist(runs, schema=RUN_SCHEMA), [], [src])
