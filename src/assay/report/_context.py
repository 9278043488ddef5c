"""What every section builder receives: the responses, cached score matrices and the options."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import ScoreMatrix
from assay.io import MissingItemsWarning, ReadResult, build_matrix

__all__ = ["ReportContext", "ReportOptions"]


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    """Options of :func:`assay.report.build_report`.

    Parameters
    ----------
    baseline : str, optional
        Compare every model against this one; otherwise all pairs when there are at most
        ``max_pairs_models`` models, else each model against the best.
    confidence_level : float, default 0.95
    seed : int, default 0
        Seeds every resampling step, so that the same inputs give byte-identical JSON.
    n_resamples : int, default 2000
        Bootstrap resamples for rank intervals.
    alpha : float, default 0.05
        Level of the tests (after adjustment for multiple comparisons).
    adjust : str, default 'holm'
        Multiple-comparison adjustment of the pairwise p-values.
    max_pairs_models : int, default 8
    corpus : tuple of str, default ()
        Training-corpus files or globs (JSONL, Parquet, text) for the contamination section.
    corpus_text_field : str, default 'text'
        The field of each corpus record that holds its text.
    contamination_scan : str, optional
        The ``result.json`` of an earlier ``assay contamination scan --out``, instead of a corpus.
    contamination_preset : str, default 'gpt3'
        The n-gram recipe of the contamination scan.
    irt_subset_sizes : bool, default False
        In the IRT section, also say how many items would have told the same story
        (:func:`assay.irt.subset_sizes`: one IRT fit per model, minutes of CPU on MMLU-Pro).
    """

    baseline: str | None = None
    confidence_level: float = 0.95
    seed: int = 0
    n_resamples: int = 2000
    alpha: float = 0.05
    adjust: str = "holm"
    max_pairs_models: int = 8
    corpus: tuple[str, ...] = ()
    corpus_text_field: str = "text"
    contamination_scan: str | None = None
    contamination_preset: str = "gpt3"
    irt_subset_sizes: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ReportContext:
    """The inputs of a report, with score matrices built once and shared by the sections."""

    def __init__(self, result: ReadResult, options: ReportOptions) -> None:
        self.result = result
        self.responses: pa.Table = result.responses
        self.runs: pa.Table = result.runs
        self.options = options
        self.notes: list[str] = list(result.notes)

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded by the report seed and a stable salt (section/task name)."""
        digest = sum((i + 1) * b for i, b in enumerate(salt.encode("utf-8")))
        return np.random.default_rng([self.options.seed, digest])

    @functools.cached_property
    def task_metrics(self) -> list[tuple[str, str]]:
        """Sorted (task, metric) pairs that have at least one finite score."""
        t = self.responses
        if t.num_rows == 0:
            return []
        keyed = t.group_by(["task", "metric"]).aggregate([("score", "count")])
        pairs = zip(
            keyed.column("task").to_pylist(),
            keyed.column("metric").to_pylist(),
            keyed.column("score_count").to_pylist(),
            strict=True,
        )
        return sorted((a, b) for a, b, n in pairs if n)

    @functools.cache  # noqa: B019 - the context lives for one report
    def matrix(self, task: str, metric: str) -> ScoreMatrix:
        """The (models x items x samples) matrix of one task and metric, NaN where missing."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingItemsWarning)  # the inventory reports it
            return build_matrix(self.responses, task, metric, missing="keep")

    def column_present(self, name: str) -> int:
        """How many rows have a non-null value in ``name``."""
        col = self.responses.column(name)
        return len(col) - col.null_count

    def models(self) -> list[str]:
        return sorted(set(self.responses.column("model").to_pylist()))

    def steps_present(self) -> bool:
        return self.column_present("step") > 0

    def max_samples(self) -> int:
        if self.responses.num_rows == 0:
            return 0
        return int(pc.max(self.responses.column("sample")).as_py()) + 1
