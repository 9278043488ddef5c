"""Plain tables, column by column: typed Arrow columns from raw ones, errors that name the row.

Used by :mod:`assay.io._tables`; each converter raises :class:`InputError` through the table's
:class:`_Source`, which names the file, the line or data row, and the column.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError
from assay.io._schema import MAX_ABS_SCORE, bad_score

Locate = Callable[[int], "int | str"]
"""Row index -> the record to name in an error (a file line, or a 1-based data row)."""


class _Source:
    """Where a table came from, and how to name one of its rows in an error."""

    def __init__(self, path: str, fmt: str, stem: str, sha256: str, locate: Locate) -> None:
        self.path, self.fmt, self.stem, self.sha256, self.locate = path, fmt, stem, sha256, locate

    def error(
        self, message: str, *, row: int | None = None, field: str | None = None
    ) -> InputError:
        record = None if row is None else self.locate(row)
        return InputError(message, path=self.path, record=record, field=field)


def _column(raw: pa.Table, name: str) -> pa.Array:
    col = raw.column(name)
    return col.chunk(0) if col.num_chunks == 1 else pa.concat_arrays(col.chunks)


def _number_text(col: pa.Array) -> pa.Array:
    """Trim, lower-case, map true/false to 1/0 and empty to null."""
    s = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    s = pc.if_else(pc.equal(s, "true"), "1", pc.if_else(pc.equal(s, "false"), "0", s))
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def _float(raw: pa.Table, name: str, src: _Source) -> pa.Array:
    col = _column(raw, name)
    t = col.type
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.float64())
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
    ):
        return pc.cast(col, pa.float64())
    if pa.types.is_dictionary(t):
        col, t = pc.cast(col, t.value_type), t.value_type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        raise src.error(f"expected numbers; the column holds {t}", field=name)
    text = _number_text(col)
    try:
        return pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        i = _first_bad_cast(text, pa.float64())
        raise src.error(
            f"expected a number (or true/false); got {col[i].as_py()!r}", row=i, field=name
        ) from None


def _first_bad_cast(arr: pa.Array, to: pa.DataType) -> int:
    """Index of the first value that does not cast: bisection with vectorised casts."""
    lo, hi = 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(arr.slice(lo, mid - lo), to)
            lo = mid
        except pa.ArrowInvalid:
            hi = mid
    return lo


def _raise_at(mask: pa.Array, src: _Source, field: str, values: pa.Array, message: str) -> None:
    mask = pc.fill_null(mask, False)
    if pc.any(mask).as_py():
        i = int(np.argmax(np.asarray(mask)))
        raise src.error(f"{message}; got {values[i].as_py()!r}", row=i, field=field)


def _integer(
    raw: pa.Table, name: str, src: _Source, *, minimum: int | None, required: bool
) -> pa.Array:
    values = _float(raw, name, src)
    if required:
        _raise_at(pc.is_null(values), src, name, values, "expected an integer; the cell is empty")
    bad = pc.not_equal(pc.floor(values), values)
    bad = pc.or_(bad, pc.greater_equal(pc.abs(values), float(2**63)))  # beyond int64
    if minimum is not None:
        bad = pc.or_(bad, pc.less(values, float(minimum)))
    expected = "an integer" if minimum is None else f"an integer >= {minimum}"
    _raise_at(pc.or_(bad, pc.is_nan(values)), src, name, values, f"expected {expected}")
    return pc.cast(values, pa.int64())


def _text(raw: pa.Table, name: str, src: _Source, *, required: bool = False) -> pa.Array:
    col = _column(raw, name)
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = pc.cast(col, t.value_type), t.value_type
    if pa.types.is_floating(t):
        # whole numbers in int64's range read as "70", not "70.0"; any other float stays a float
        finite = pc.fill_null(pc.less(pc.abs(col), float(2**63)), True)
        if pc.all(
            pc.and_(finite, pc.equal(pc.fill_null(pc.floor(col), 0.0), pc.fill_null(col, 0.0)))
        ).as_py():
            col, t = pc.cast(col, pa.int64()), pa.int64()
    if (
        pa.types.is_list(t)
        or pa.types.is_struct(t)
        or pa.types.is_map(t)
        or pa.types.is_large_list(t)
    ):
        col = pa.array(
            [
                None
                if v is None
                else json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
                for v in col.to_pylist()
            ],
            pa.string(),
        )
    elif not pa.types.is_string(t):
        try:
            col = pc.cast(col, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise src.error(f"cannot read the column as text (it holds {t})", field=name) from None
    if required:
        _raise_at(pc.is_null(col), src, name, col, "expected a value; the cell is empty")
    return col


def _logprobs(raw: pa.Table, name: str, src: _Source) -> pa.Array:
    col = _column(raw, name)
    t = col.type
    if pa.types.is_null(t):  # all null: pandas and Parquet keep no element type
        return pa.nulls(len(col), pa.list_(pa.float64()))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        try:
            return pc.cast(col, pa.list_(pa.float64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise src.error(
                f"expected lists of numbers; the column holds {t}", field=name
            ) from None
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        raise src.error(
            f"expected lists of numbers (or JSON lists); the column holds {t}", field=name
        )
    parsed = []
    for i, text in enumerate(col.to_pylist()):
        if text is None or not text.strip():
            parsed.append(None)
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise src.error(
                f"expected a JSON list of numbers; got {text[:80]!r}", row=i, field=name
            )
        parsed.append([float(v) for v in value])
    return pa.array(parsed, pa.list_(pa.float64()))


def _check_finite(
    out: dict[str, pa.Array], cols: dict[str, str], src: _Source, n: int, wide: bool
) -> None:
    """A score beyond :data:`MAX_ABS_SCORE` (``inf`` included) is an error naming its row."""
    score = out["score"]
    ok = pc.or_(pc.less_equal(pc.abs(score), MAX_ABS_SCORE), pc.is_nan(score))
    bad = pc.invert(pc.fill_null(ok, True))
    if not pc.any(bad).as_py():
        return
    i = int(np.argmax(np.asarray(bad)))
    model, item = out["model"][i].as_py(), out["item"][i].as_py()
    field = model if wide else cols["score"]
    err = bad_score(score[i].as_py(), path=None, record=None, model=model, item=item, field=None)
    raise src.error(err.message, row=i % n if wide else i, field=field)
