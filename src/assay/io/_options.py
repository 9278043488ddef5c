"""Options that every reader accepts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

__all__ = ["ReadOptions"]


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """How to read sources.

    Parameters
    ----------
    model : str, optional
        Use this model name instead of the one the log gives.
    cluster_field, subject_field : str, optional
        A per-sample metadata field (Inspect ``metadata``, an lm-eval ``doc`` key, a table column)
        whose value becomes the ``cluster`` or ``subject`` column.
    column_map : mapping of str to str, optional
        Plain tables: our column name -> the table's column name (``item='question_id'``).
    task, metric : str, optional
        Plain tables without a task or metric column: the name to give them.
    wide : bool, optional
        Plain tables: one column per model (True), long format (False) or detect (None).
    step_pattern : str, optional
        A regular expression that finds the training step (its named group ``step`` or its
        first group, digits) in the model revision, the model name or the file path, tried in
        that order; it replaces the default ``step<N>`` detection (docs/aggregates.md).
    """

    model: str | None = None
    cluster_field: str | None = None
    subject_field: str | None = None
    column_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    task: str | None = None
    metric: str | None = None
    wide: bool | None = None
    step_pattern: str | None = None
