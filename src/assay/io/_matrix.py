"""Build a `ScoreMatrix` from the long table for one task and metric."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError, ScoreMatrix
from assay._core._validation import check_choice

__all__ = ["MissingItemsWarning", "build_matrix"]


class MissingItemsWarning(UserWarning):
    """Some models were not scored on every item; the matrix says which and how many."""


def build_matrix(
    responses: pa.Table,
    task: str | None = None,
    metric: str | None = None,
    *,
    missing: str = "raise",
    models: list[str] | None = None,
) -> ScoreMatrix:
    """Arrange the long table's scores for one task and metric as a `ScoreMatrix`.

    Parameters
    ----------
    responses : pyarrow.Table
        The long table (:data:`assay.io.RESPONSE_SCHEMA`).
    task, metric : str, optional
        Which task and metric; may be omitted when the table holds only one.
    missing : {'raise', 'intersect', 'keep'}, default 'raise'
        When models were scored on different item sets: raise an error that says how many items
        each model lacks, with examples; keep only the items every model has (``'intersect'``);
        or keep every item with NaN where a response is missing (``'keep'``). Either way the
        matrix's ``missing`` attribute records what was lacking, and a warning says so.
    models : list of str, optional
        Restrict to these models.
    """
    check_choice(missing, "missing", ("raise", "intersect", "keep"))
    task = _pick(responses, "task", task)
    table = responses.filter(pc.equal(responses.column("task"), task))
    metric = _pick(table, "metric", metric, context=f" for task {task!r}")
    table = table.filter(pc.equal(table.column("metric"), metric))
    if models is not None:
        table = table.filter(pc.is_in(table.column("model"), pa.array(list(models), pa.string())))
        absent = sorted(set(models) - set(table.column("model").unique().to_pylist()))
        if absent:
            raise InputError(
                f"model(s) {', '.join(map(repr, absent))} have no {metric!r} scores on task {task!r}."
            )
    model_names, mi = _codes(table.column("model"))
    item_names, ii = _codes(table.column("item"))
    sample_vals = np.asarray(table.column("sample"), dtype=np.int64)
    sample_levels, si = np.unique(sample_vals, return_inverse=True)
    score = np.asarray(pc.fill_null(table.column("score"), np.nan), dtype=np.float64)
    values = np.full((len(model_names), len(item_names), len(sample_levels)), np.nan)
    values[mi, ii, si] = score
    cluster = _per_item(table, "cluster", ii, len(item_names))
    subject = _per_item(table, "subject", ii, len(item_names))
    answered = ~np.all(np.isnan(values), axis=2)  # (models, items)
    lacking = {}
    for m, name in enumerate(model_names):
        gaps = np.flatnonzero(~answered[m])
        if gaps.size:
            lacking[name] = (int(gaps.size), tuple(item_names[g] for g in gaps[:5]))
    dropped = 0
    if lacking:
        summary = "; ".join(
            f"{name} lacks {n} of {len(item_names)} items (e.g. {', '.join(ex)})"
            for name, (n, ex) in lacking.items()
        )
        if missing == "raise":
            raise InputError(
                f"models were scored on different items of task {task!r}, metric {metric!r}: {summary}. "
                "Choose missing='intersect' to keep the items every model has, or missing='keep' to keep NaN."
            )
        if missing == "intersect":
            keep = answered.all(axis=0)
            dropped = int((~keep).sum())
            values = values[:, keep]
            item_names = [n for n, k in zip(item_names, keep, strict=True) if k]
            cluster = None if cluster is None else cluster[keep]
            subject = None if subject is None else subject[keep]
            if not item_names:
                raise InputError(f"no item of task {task!r} was scored for every model; {summary}.")
        warnings.warn(
            f"task {task!r}, metric {metric!r}: {summary}"
            + (
                f"; {dropped} item(s) left out (intersect)"
                if dropped
                else "; missing responses kept as NaN"
            ),
            MissingItemsWarning,
            stacklevel=2,
        )
    return ScoreMatrix(
        models=tuple(model_names),
        items=tuple(item_names),
        values=values,
        task=task,
        metric=metric,
        cluster=cluster,
        subject=subject,
        missing=lacking,
        dropped_items=dropped,
    )


def _pick(table: pa.Table, column: str, value: str | None, context: str = "") -> str:
    levels = sorted(v for v in table.column(column).unique().to_pylist() if v is not None)
    if value is None:
        if len(levels) == 1:
            return levels[0]
        if not levels:
            raise InputError(f"there are no responses{context}.")
        raise InputError(
            f"several {column}s{context}; choose one of: {', '.join(levels)}.", field=column
        )
    if value not in levels:
        raise InputError(
            f"{column} {value!r} not found{context}; available: {', '.join(levels)}.", field=column
        )
    return value


def _codes(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Sorted unique strings and the integer code of every row."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(dictionary, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[np.asarray(encoded.indices, dtype=np.int64)]
    return [dictionary[k] for k in order], codes


def _per_item(table: pa.Table, column: str, ii: np.ndarray, n_items: int) -> np.ndarray | None:
    vals = table.column(column)
    if vals.null_count == len(vals):
        return None
    out = np.full(n_items, None, dtype=object)
    py = np.array(vals.to_pylist(), dtype=object)
    have = np.array([v is not None for v in py])
    # first non-null label per item, in row order
    rows = np.flatnonzero(have)[::-1]
    out[ii[rows]] = py[rows]
    return out
