"""Build a `ScoreMatrix` from the long table for one task and metric."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError, ScoreMatrix
from assay._core._validation import check_choice

__all__ = ["MissingItemsWarning", "alignment_note", "build_matrix"]


class MissingItemsWarning(UserWarning):
    """Some models were not scored on every item; the matrix says which and how many."""


_MATRIX_COLUMNS = ("model", "task", "item", "sample", "metric", "score", "cluster", "subject")


def keep_rows(table: pa.Table, mask: pa.ChunkedArray | pa.Array) -> pa.Table:
    """``table.filter(mask)``, but the table itself (no copy) when the mask keeps every row."""
    if mask.null_count == 0 and pc.all(mask).as_py():
        return table
    return table.filter(mask)


def _rows_equal(table: pa.Table, column: str, value: str) -> pa.Table:
    """The rows whose ``column`` is ``value``."""
    return keep_rows(table, pc.equal(table.column(column), value))


def build_matrix(
    responses: pa.Table,
    task: str | None = None,
    metric: str | None = None,
    *,
    align: str | None = None,
    models: list[str] | None = None,
    missing: str | None = None,
) -> ScoreMatrix:
    """Arrange the long table's scores for one task and metric as a `ScoreMatrix`.

    Parameters
    ----------
    responses : pyarrow.Table
        The long table (:data:`assay.io.RESPONSE_SCHEMA`).
    task, metric : str, optional
        Which task and metric; may be omitted when the table holds only one.
    align : {'raise', 'intersect', 'keep'}, default 'raise'
        How to align the models' item sets when they were scored on different items: raise an
        error that says how many items each model lacks, with examples; keep only the items every
        model has (``'intersect'``, by :meth:`ScoreMatrix.common`, which first sets aside models
        that answered fewer than half the items); or keep every item with NaN where a response is
        missing (``'keep'``). The matrix's ``missing`` attribute records what was lacking, and a
        warning says so. (Aligning item sets across models is ``align``; what an analysis does
        with a NaN inside one vector is its ``missing`` option, ``'raise'`` or ``'omit'``.)
    models : list of str, optional
        Restrict to these models.
    missing : str, optional
        Deprecated name of ``align``.
    """
    align = _align_option(align, missing)
    task = _pick(responses, "task", task)
    # only the columns a matrix needs: filtering would otherwise copy every prediction and input
    keep = [c for c in _MATRIX_COLUMNS if c in responses.column_names]
    table = _rows_equal(responses.select(keep), "task", task)
    metric = _pick(table, "metric", metric, context=f" for task {task!r}")
    table = _rows_equal(table, "metric", metric)
    if models is not None:
        table = table.filter(pc.is_in(table.column("model"), pa.array(list(models), pa.string())))
        absent = sorted(set(models) - set(table.column("model").unique().to_pylist()))
        if absent:
            known = sorted(
                v
                for v in responses.filter(pc.equal(responses.column("task"), task))
                .column("model")
                .unique()
                .to_pylist()
                if v is not None
            )
            raise InputError(
                f"model(s) {', '.join(map(repr, absent))} have no {metric!r} scores on task "
                f"{task!r}{suggest(absent, known)}"
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
    matrix = ScoreMatrix(
        models=tuple(model_names),
        items=tuple(item_names),
        values=values,
        task=task,
        metric=metric,
        cluster=cluster,
        subject=subject,
        missing=lacking,
    )
    if not lacking:
        return matrix
    summary = "; ".join(
        f"{name} lacks {n} of {len(item_names)} items (e.g. {', '.join(ex)})"
        for name, (n, ex) in lacking.items()
    )
    if align == "raise":
        raise InputError(
            f"models were scored on different items of task {task!r}, metric {metric!r}: {summary}. "
            "Choose align='intersect' to keep the items every model has, or align='keep' to keep NaN."
        )
    note = "; missing responses kept as NaN"
    if align == "intersect":
        common = matrix.common()
        if common.matrix.n_items == 0:
            raise InputError(f"no item of task {task!r} was scored for every model; {summary}.")
        matrix = dataclasses.replace(common.matrix, missing=lacking)
        note = f"; {common.n_dropped} item(s) left out (intersect)"
        if common.set_aside:
            note += "; set aside (answered under half the items): " + ", ".join(
                f"{m} ({n} items)" for m, n in common.set_aside.items()
            )
    warnings.warn(
        f"task {task!r}, metric {metric!r}: {summary}{note}", MissingItemsWarning, stacklevel=2
    )
    return matrix


def _align_option(align: str | None, missing: str | None) -> str:
    if missing is not None:
        if align is not None:
            raise InputError("give `align` (the item-set alignment), not also `missing`.")
        warnings.warn(
            "build_matrix(missing=...) is deprecated; it is called `align` now.",
            DeprecationWarning,
            stacklevel=3,
        )
        align = missing
    return check_choice(
        "raise" if align is None else align, "align", ("raise", "intersect", "keep")
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
    """The first non-null label of each item, in row order (dictionary codes: no Python strings
    per row, which at 3.5M rows cost hundreds of MB)."""
    vals = table.column(column)
    if vals.null_count == len(vals):
        return None
    encoded = pc.dictionary_encode(vals).combine_chunks()
    codes = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)
    labels = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
    rows = np.flatnonzero(codes >= 0)[::-1]  # assigning in reverse keeps the first row per item
    first = np.full(n_items, -1, dtype=np.int64)
    first[ii[rows]] = codes[rows]
    return labels[first]


def alignment_note(matrix: ScoreMatrix) -> str | None:
    """The one sentence every output prints about which items a matrix kept, or None if all.

    Examples
    --------
    >>> import numpy as np
    >>> from assay import ScoreMatrix
    >>> m = ScoreMatrix(models=("a",), items=("1",), values=np.ones((1, 1)), dropped_items=2)
    >>> alignment_note(m)
    '1 item used: those every model answered (2 left out: not scored for every model).'
    """
    if not matrix.dropped_items and not matrix.set_aside:
        return None
    n = matrix.n_items
    text = f"{n:,} item{'' if n == 1 else 's'} used: those every model answered"
    if matrix.dropped_items:
        text += f" ({matrix.dropped_items:,} left out: not scored for every model)"
    if matrix.set_aside:
        text += "; set aside (answered under half the items): " + ", ".join(
            f"{m} ({k:,} items)" for m, k in sorted(matrix.set_aside.items())
        )
    return text + "."


def suggest(names: list[str], known: list[str], *, shown: int = 8) -> str:
    """'; did you mean ...?' for the closest known names (case-insensitive), else the known names.

    Used wherever a model, task or metric name is not found, so every command answers alike.
    """
    import difflib

    lower = {k.lower(): k for k in known}
    close: list[str] = []
    for name in names:
        if name.lower() in lower:
            close.append(lower[name.lower()])
            continue
        for hit in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6):
            close.append(lower[hit])
    close = list(dict.fromkeys(close))
    if close:
        return f"; did you mean {' or '.join(map(repr, close))}?"
    listed = ", ".join(known[:shown]) + (
        f", ... ({len(known)} in all)" if len(known) > shown else ""
    )
    return f"; known: {listed}." if known else "."
