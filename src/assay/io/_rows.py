"""Plain tables of labels, preferences or sizes (CSV, TSV, JSONL, a JSON list of objects).

The commands that take such a table (``assay agreement``, ``assay ppi``, ``assay bt``,
``assay scaling``) read it here; every problem is an :class:`InputError` that names the file, the
line (1-based, counting the header of a CSV) and the field.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import math
import os
from typing import Any

from assay._core import InputError

__all__ = ["RowTable", "read_rows"]

_MISSING = ("", "na", "nan", "null", "none")


@dataclasses.dataclass(frozen=True)
class RowTable:
    """Rows of a plain table, with the line each came from.

    Attributes
    ----------
    path : str
    fields : tuple of str
        Column names, in file order (for JSON, in order of first appearance).
    rows : tuple of dict
    lines : tuple of int
        The line (CSV, JSONL) or 1-based record (JSON list) of each row.
    """

    path: str
    fields: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    lines: tuple[int, ...]

    def _need(self, name: str) -> None:
        if name not in self.fields:
            raise InputError(
                f"no column {name!r}; the table has: {', '.join(self.fields) or '(none)'}.",
                path=self.path,
                field=name,
            )

    def text(self, name: str, *, missing: str = "raise") -> list[str | None]:
        """The column as text; empty cells are None (``missing='keep'``) or an error."""
        self._need(name)
        out = []
        for row, line in zip(self.rows, self.lines, strict=True):
            v = row.get(name)
            if _is_missing(v):
                if missing == "raise":
                    raise InputError("empty value.", path=self.path, record=line, field=name)
                out.append(None)
            elif isinstance(v, dict | list):
                raise InputError(
                    f"expected a single value; got {type(v).__name__}.",
                    path=self.path,
                    record=line,
                    field=name,
                )
            else:
                out.append(str(v))
        return out

    def numbers(self, name: str, *, missing: str = "raise") -> list[float]:
        """The column as finite numbers; empty cells NaN (``missing='keep'``) or an error."""
        self._need(name)
        out = []
        for row, line in zip(self.rows, self.lines, strict=True):
            v = row.get(name)
            if _is_missing(v):
                if missing == "raise":
                    raise InputError("empty value.", path=self.path, record=line, field=name)
                out.append(math.nan)
                continue
            try:
                if isinstance(v, bool) or isinstance(v, dict | list):
                    raise ValueError
                x = float(v)
            except (TypeError, ValueError):
                raise InputError(
                    f"expected a number; got {str(v)[:40]!r}.",
                    path=self.path,
                    record=line,
                    field=name,
                ) from None
            if not math.isfinite(x):
                raise InputError(
                    f"expected a finite number; got {v!r}.", path=self.path, record=line, field=name
                )
            out.append(x)
        return out


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip().lower() in _MISSING)


def _open(path: str):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller


def _csv(path: str, delimiter: str) -> RowTable:
    with _open(path) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        fields = tuple(reader.fieldnames or ())
        if not fields:
            raise InputError("the table is empty (no header line).", path=path, record=1)
        if len(set(fields)) < len(fields):
            raise InputError(f"repeated column names in the header: {fields}.", path=path, record=1)
        rows, lines = [], []
        for row in reader:
            if None in row:  # more cells than header columns
                raise InputError(
                    f"{len(fields) + len(row[None])} cells, but the header has {len(fields)}.",
                    path=path,
                    record=reader.line_num,
                )
            rows.append(row)
            lines.append(reader.line_num)
    return RowTable(path, fields, tuple(rows), tuple(lines))


def _json_lines(path: str) -> RowTable:
    rows, lines, fields = [], [], {}
    with _open(path) as fh:
        for k, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON ({exc.msg}).", path=path, record=k) from None
            if not isinstance(obj, dict):
                raise InputError(
                    f"expected a JSON object per line; got {type(obj).__name__}.",
                    path=path,
                    record=k,
                )
            fields.update(dict.fromkeys(obj))
            rows.append(obj)
            lines.append(k)
    return RowTable(path, tuple(fields), tuple(rows), tuple(lines))


def _json_list(path: str) -> RowTable:
    with _open(path) as fh:
        text = fh.read()
    if not text.lstrip().startswith("["):
        return _json_lines(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg}).", path=path, record=exc.lineno) from None
    fields: dict[str, None] = {}
    for k, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            raise InputError(
                f"expected a list of JSON objects; item {k} is {type(obj).__name__}.",
                path=path,
                record=k,
            )
        fields.update(dict.fromkeys(obj))
    return RowTable(path, tuple(fields), tuple(data), tuple(range(1, len(data) + 1)))


def read_rows(path: str | os.PathLike) -> RowTable:
    """Read a plain table: ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson`` or ``.json`` (a list of
    objects, or one object per line), optionally gzipped.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    RowTable

    Raises
    ------
    InputError
        Naming the file, the line and the field of anything that cannot be read.
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise InputError("no such file.", path=p)
    name = p[:-3].lower() if p.lower().endswith(".gz") else p.lower()
    try:
        if name.endswith(".csv"):
            table = _csv(p, ",")
        elif name.endswith((".tsv", ".tab")):
            table = _csv(p, "\t")
        elif name.endswith((".jsonl", ".ndjson")):
            table = _json_lines(p)
        elif name.endswith(".json"):
            table = _json_list(p)
        else:
            raise InputError(
                "unknown table format; expected .csv, .tsv, .jsonl, .ndjson or .json "
                "(optionally .gz).",
                path=p,
            )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason}).", path=p) from None
    except csv.Error as exc:
        raise InputError(f"not a valid CSV ({exc}).", path=p) from None
    if not table.rows:
        raise InputError("the table has no rows.", path=p)
    return table
