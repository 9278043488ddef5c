"""Example data shipped inside the package, for the demo, the docs and quick experiments.

>>> from assay import datasets
>>> table = datasets.mmlu_pro()
>>> table.num_rows, len(set(table.column("model").to_pylist()))
(347215, 29)
"""

from __future__ import annotations

from importlib import resources

import pyarrow as pa
import pyarrow.parquet as pq

from assay.io import RUN_SCHEMA, ReadResult, RunInfo

__all__ = ["mmlu_pro", "mmlu_pro_result"]

_SOURCE = "TIGER-AI-Lab/MMLU-Pro@f418b11 eval_results (Apache-2.0; arXiv:2406.01574)"


def _path(name: str):
    return resources.files("assay.datasets") / "data" / name


def mmlu_pro() -> pa.Table:
    """MMLU-Pro: 29 models x 12,032 questions, 5-shot CoT, as assay's long table.

    One row per (model, question): ``task='mmlu_pro'``, ``metric='acc'``, ``score`` 1 or 0,
    ``target`` the gold letter, ``prediction`` the extracted letter (null when none was
    extracted, scored as wrong), ``subject`` one of 14 categories, ``cluster`` the question's
    original source (e.g. ``ori_mmlu-business_ethics``). Some models lack some questions.

    Source: TIGER-AI-Lab/MMLU-Pro (commit f418b11), Apache-2.0; Wang et al. 2024,
    arXiv:2406.01574. See ``datasets/data/ATTRIBUTION.md``.
    """
    with resources.as_file(_path("mmlu_pro.parquet")) as p:
        return pq.read_table(p)


def mmlu_pro_result() -> ReadResult:
    """:func:`mmlu_pro` with one run row per model, as :func:`assay.read` would return it."""
    table = mmlu_pro()
    with resources.as_file(_path("mmlu_pro.parquet")) as p:
        from assay.io import file_sha256

        sha = file_sha256(p)
    models = sorted(set(table.column("model").to_pylist()))
    runs = [
        RunInfo(
            run_id=f"mmlu_pro-{m}",
            model=m,
            task="mmlu_pro",
            harness="mmlu-pro",
            source=_SOURCE,
            sha256=sha,
            config={"shots": 5, "prompt": "chain of thought"},
        ).as_row()
        for m in models
    ]
    return ReadResult(table, pa.Table.from_pylist(runs, schema=RUN_SCHEMA), [], [_SOURCE])
