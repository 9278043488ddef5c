"""Reader for plain tables: CSV, TSV, JSONL and Parquet files, and pandas DataFrames.

Layouts
-------
**Long** (one row per response). Our columns are those of :data:`RESPONSE_SCHEMA`; a table column of
the same name is used as is, and ``ReadOptions.column_map`` (``--map item=question_id,model=system``)
maps our name to another column. Required: ``model``, ``item`` and ``score`` (a column named
``correct`` serves as ``score`` when there is no ``score``). Optional: ``task`` (default
``ReadOptions.task``, else the file's stem), ``metric`` (default ``ReadOptions.metric``, else the
name of the score column, e.g. ``correct``), ``sample`` (default 0), ``confidence``,
``choice_logprobs`` (a list, or a JSON list in text), ``target``, ``prediction``, ``input``,
``cluster``, ``subject``, ``step``. ``ReadOptions.subject_field`` / ``cluster_field`` name a column
for ``subject`` / ``cluster``. Columns left unused are listed in the notes.

**Wide** (one row per item, one numeric column per model; the column name is the model name).
Chosen by ``ReadOptions.wide=True``, or detected when the table has an item column, no model and no
score column, and every other column is numeric. ``task``, ``metric``, ``subject``, ``cluster``,
``sample``, ``step``, ``target`` and ``input`` columns, when mapped or so named, apply to every model
of the row; the metric defaults to ``score``. An empty cell is a missing response (a null score,
counted in the notes), not a zero.

Values
------
Scores may be numbers, booleans or the strings ``true``/``false`` (1/0, any case); an empty cell is
a missing score. Anything else raises :class:`InputError` naming the file, the line (CSV, JSONL) or
the 1-based data row (Parquet, DataFrame) and the column. Item, model and other text columns are
read as text (CSV cells are never type-guessed, so ``007`` stays ``007``; integral floats, such as a
pandas id column with NaN in it, are written without ``.0``).

Runs
----
One run per (source, model): ``run_id`` is ``table-<first 16 hex of the source's SHA-256>-<first 8
hex of the SHA-256 of the model name>``, so a table of 29 models is 29 runs that can be listed and
removed one by one, and reading the same file twice gives the same ids. The runs table has one row
per (run, task). Harness ``table``; ``config`` records the format, layout and column mapping. A
DataFrame's SHA-256 is that of its Arrow IPC serialisation; its ``source`` is ``<DataFrame>``.

Detection
---------
:func:`claim` takes ``.csv``, ``.tsv``, ``.jsonl``, ``.ndjson`` (each also ``.gz``) and
``.parquet`` files whose content fits: a parseable CSV header of two or more named columns, a first
JSONL line that is a JSON object, the Parquet magic bytes. It leaves lm-eval ``samples_*.jsonl`` and
OpenAI-evals records (lines keyed ``spec``, ``final_report``, or ``run_id`` with ``type``) to their
readers, and never takes ``.json``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError
from assay.io._options import ReadOptions
from assay.io._schema import (
    RESPONSE_SCHEMA,
    RUN_SCHEMA,
    TOO_DEEP,
    ReadResult,
    RunInfo,
    file_sha256,
)
from assay.io._table_columns import (
    Locate,
    _check_finite,
    _float,
    _integer,
    _logprobs,
    _number_text,
    _raise_at,
    _Source,
    _text,
)

__all__ = ["NAME", "claim", "read", "read_dataframe"]

NAME = "tables"
HARNESS = "table"

_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_PARQUET_MAGIC = b"PAR1"
_HEAD_BYTES = 1 << 16
_LM_EVAL_SAMPLES = re.compile(r"^samples_.*\.jsonl(\.gz)?$", re.IGNORECASE)

OUR_COLUMNS = tuple(f.name for f in RESPONSE_SCHEMA if f.name != "run_id")
_TEXT = ("target", "prediction", "input", "cluster", "subject")
_WIDE_SHARED = ("item", "task", "metric", "subject", "cluster", "sample", "step", "target", "input")
_DATAFRAME = "<DataFrame>"


# -- detection -----------------------------------------------------------------------------------


def _kind(path: Path) -> tuple[str, bool] | None:
    """(format, gzipped) from the file name, or None."""
    name = path.name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    for suffix, kind in _SUFFIXES.items():
        if base.endswith(suffix):
            return kind, gz
    if base.endswith(".parquet") and not gz:
        return "parquet", False
    return None


def claim(path: Path) -> bool:
    """Whether ``path`` is a plain table: by extension, then a cheap look at its first bytes.

    Reads at most 64 KiB of a CSV or TSV file, the first non-blank line (up to 1 MiB) of a JSONL
    file, and 4 bytes of a Parquet file.
    """
    path = Path(path)
    kind = _kind(path) if path.is_file() else None
    if kind is None or _LM_EVAL_SAMPLES.match(path.name):
        return False
    fmt, gz = kind
    if path.stat().st_size == 0:
        return True  # read() reports the empty file, which is more use than "unknown format"
    try:
        if fmt == "parquet":
            with open(path, "rb") as fh:
                return fh.read(4) == _PARQUET_MAGIC
        with _open_binary(path, gz) as fh:
            head = _first_line(fh) if fmt == "jsonl" else fh.read(_HEAD_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    if not head.strip():
        return True
    return _jsonl_head_ok(head) if fmt == "jsonl" else _csv_header_ok(head, fmt)


def _first_line(fh: Any, limit: int = 1 << 20) -> bytes:
    """The first non-blank line of a binary file, up to ``limit`` bytes read in all."""
    read = 0
    while read < limit:
        line = fh.readline(limit - read)
        if not line or line.strip():
            return line
        read += len(line)
    return b""


def _jsonl_head_ok(line: bytes) -> bool:
    text = line.strip()
    if not text.startswith(b"{"):
        return False
    try:
        first = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return text != b"{"  # a long or broken first line: read() will say where
    if not isinstance(first, dict):
        return False
    keys = set(first)
    return not ({"spec", "final_report"} & keys or {"run_id", "type"} <= keys)


def _csv_header_ok(head: bytes, fmt: str) -> bool:
    if b"\0" in head:
        return False
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if text.lstrip().startswith(("{", "[")):
        return False
    try:
        fields = next(csv.reader([text], delimiter=_delimiter(fmt)))
    except (csv.Error, StopIteration):
        return False
    return len(fields) >= 2 and sum(bool(f.strip()) for f in fields) >= 2


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _open_binary(path: Path, gz: bool):
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _open_text(path: Path, gz: bool):
    return io.TextIOWrapper(_open_binary(path, gz), encoding="utf-8-sig", newline="")


# -- entry points --------------------------------------------------------------------------------


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read a CSV, TSV, JSONL or Parquet file into the long table.

    Parameters
    ----------
    path : Path
        The file (``.csv``, ``.tsv``, ``.jsonl``, ``.ndjson``, each possibly ``.gz``, or
        ``.parquet``).
    options : ReadOptions
        ``column_map``, ``task``, ``metric``, ``model``, ``wide``, ``subject_field`` and
        ``cluster_field`` (see the module docstring).

    Returns
    -------
    ReadResult

    Raises
    ------
    InputError
        An empty or malformed file, a missing column, or a value that cannot be mapped, naming the
        file, the line or row, and the column.
    """
    path = Path(path)
    kind = _kind(path)
    if kind is None:
        raise InputError("not a .csv, .tsv, .jsonl, .ndjson or .parquet file", path=str(path))
    fmt, gz = kind
    loader = {"csv": _load_csv, "tsv": _load_csv, "jsonl": _load_jsonl, "parquet": _load_parquet}
    raw, locate = loader[fmt](path, fmt, gz)
    stem = path.name
    for suffix in (".gz", ".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    source = _Source(str(path), fmt, stem, file_sha256(path), locate)
    return _read_table(raw, options, source, sources=[str(path)])


def read_dataframe(df: Any, options: ReadOptions) -> ReadResult:
    """Read a pandas DataFrame (long or wide) into the long table.

    A named index becomes a column (so a wide frame indexed by ``question_id`` reads with
    ``column_map={'item': 'question_id'}``); an unnamed index is not read. The task defaults to
    ``ReadOptions.task``, else ``dataframe``. Errors name the 1-based data row. A column of
    Python objects of mixed types is read as text, so a bad value is named with its row.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame; got {type(df).__name__}", path=_DATAFRAME)
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    names = [str(c) for c in df.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"the DataFrame names a column twice: {', '.join(dupes)}",
            path=_DATAFRAME,
            field=dupes[0],
        )
    arrays = [_series_to_arrow(df.iloc[:, j]) for j in range(df.shape[1])]
    raw = pa.Table.from_arrays(arrays, names=names)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, raw.schema) as writer:
        writer.write_table(raw)
    sha = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
    source = _Source(_DATAFRAME, "dataframe", "dataframe", sha, lambda i: f"row {i + 1}")
    return _read_table(raw, options, source, sources=[])


def _series_to_arrow(series: Any) -> pa.Array:
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        values = []
        for v in series.tolist():
            if v is None or (isinstance(v, float) and v != v):
                values.append(None)
            elif isinstance(v, list | dict):
                values.append(json.dumps(v, default=str))
            else:
                values.append(str(v))
        return pa.array(values, pa.string())


# -- loaders: file -> (pyarrow Table, row locator) -----------------------------------------------


def _load_csv(path: Path, fmt: str, gz: bool) -> tuple[pa.Table, Locate]:
    import pyarrow.csv as pacsv

    delimiter = _delimiter(fmt)
    header = _csv_header(path, gz, delimiter)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(
            f"the header names a column twice: {', '.join(dupes)}",
            path=str(path),
            record=1,
            field=dupes[0],
        )
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=True,
        null_values=[""],
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    try:
        table = pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError, EOFError) as exc:
        line = _csv_bad_line(path, gz, delimiter, len(header))
        raise InputError(
            f"not a readable {fmt.upper()} file: {_arrow_message(exc)}", path=str(path), record=line
        ) from None
    return table, lambda i: _csv_line(path, gz, delimiter, i)


def _csv_header(path: Path, gz: bool, delimiter: str) -> list[str]:
    try:
        with _open_text(path, gz) as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the header row: {exc}", path=str(path), record=1) from None
    if header is None:
        raise InputError("empty file: no header row", path=str(path))
    return header


def _csv_line(path: Path, gz: bool, delimiter: str, row: int) -> int:
    """1-based line on which data row ``row`` (0-based, blank lines skipped) starts."""
    with _open_text(path, gz) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, None)
        prev, k = reader.line_num, -1
        for fields in reader:
            if fields:
                k += 1
                if k == row:
                    return prev + 1
            prev = reader.line_num
    return prev + 1


def _csv_bad_line(path: Path, gz: bool, delimiter: str, n_columns: int) -> int | None:
    """The first line whose field count differs from the header's, if any."""
    try:
        with _open_text(path, gz) as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader, None)
            prev = reader.line_num
            for fields in reader:
                if fields and len(fields) != n_columns:
                    return prev + 1
                prev = reader.line_num
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error):
        return None
    return None


def _load_jsonl(path: Path, fmt: str, gz: bool) -> tuple[pa.Table, Locate]:
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(path)
    except (pa.ArrowInvalid, OSError, EOFError):
        # Mixed types in a column, a line longer than a block, or a malformed line: read the
        # lines in Python, which either succeeds or names the line.
        table = _jsonl_python(path, gz)
    return table, lambda i: _jsonl_line(path, gz, i)


def _jsonl_python(path: Path, gz: bool) -> pa.Table:
    rows: list[dict] = []
    try:
        with _open_binary(path, gz) as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"not UTF-8 text: {exc.reason}", path=str(path), record=lineno
                    ) from None
                except RecursionError:
                    raise InputError(TOO_DEEP, path=str(path), record=lineno) from None
                except ValueError as exc:
                    raise InputError(
                        f"not valid JSON ({exc}); is the line truncated?",
                        path=str(path),
                        record=lineno,
                    ) from None
                if not isinstance(obj, dict):
                    raise InputError(
                        f"expected a JSON object; got {type(obj).__name__}",
                        path=str(path),
                        record=lineno,
                    )
                rows.append(obj)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    if not rows:
        raise InputError("empty file: no JSON lines", path=str(path))
    names = list(dict.fromkeys(k for r in rows for k in r))
    columns = {}
    for name in names:
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: keep as text, parse later
            columns[name] = pa.array(
                [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values],
                pa.string(),
            )
    return pa.table(columns)


def _jsonl_line(path: Path, gz: bool, row: int) -> int:
    k = -1
    with _open_binary(path, gz) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                k += 1
                if k == row:
                    return lineno
    return k + 2


def _load_parquet(path: Path, fmt: str, gz: bool) -> tuple[pa.Table, Locate]:
    import pyarrow.parquet as pq

    if path.stat().st_size == 0:
        raise InputError("empty file: not a Parquet file", path=str(path))
    try:
        # one chunk per column here, so that the row groups are freed when this returns
        # (combined later, they stayed alive beside their copy for the whole read)
        table = pq.read_table(path).combine_chunks()
    except (pa.ArrowException, OSError) as exc:  # a corrupt file raises any of Arrow's errors
        raise InputError(
            f"not a readable Parquet file: {_arrow_message(exc)}", path=str(path)
        ) from None
    return table, lambda i: f"row {i + 1}"


def _arrow_message(exc: Exception) -> str:
    return str(exc).split("\n")[0]


# -- table -> long table -------------------------------------------------------------------------


def _read_table(
    raw: pa.Table, options: ReadOptions, src: _Source, *, sources: list[str]
) -> ReadResult:
    if raw.num_columns == 0:
        raise src.error("empty table: no columns")
    if raw.num_rows == 0:
        raise src.error(f"no data rows (columns: {', '.join(raw.column_names)})")
    raw = raw.combine_chunks()
    cols = _resolve_columns(raw, options, src)
    notes: list[str] = []
    wide = options.wide
    if wide is None:
        wide = _looks_wide(raw, cols)
        if wide:
            notes.append(
                f"{src.path}: read as a wide table (one column per model), detected from "
                "its columns; pass wide=False to read it as a long table"
            )
    if wide:
        out = _wide(raw, cols, options, src, notes)
        layout = "wide"
    else:
        out = _long(raw, cols, options, src, notes)
        layout = "long"
    _check_finite(out, cols, src, raw.num_rows, wide)
    config = {"format": src.fmt, "layout": layout, "columns": dict(sorted(cols.items()))}
    responses, runs = _attach_runs(out, src, config)
    run_table = pa.Table.from_pylist([r.as_row() for r in runs], schema=RUN_SCHEMA)
    return ReadResult(responses, run_table, notes, sources)


def _resolve_columns(raw: pa.Table, options: ReadOptions, src: _Source) -> dict[str, str]:
    """Map our column names to the table's: column_map first, then same names, then aliases."""
    available = raw.column_names
    cols: dict[str, str] = {}
    for ours, theirs in dict(options.column_map).items():
        if ours not in OUR_COLUMNS:
            raise src.error(
                f"--map names '{ours}', which is not one of our columns ({', '.join(OUR_COLUMNS)})",
                field=ours,
            )
        if theirs not in available:
            raise src.error(
                f"--map {ours}={theirs}: the table has no column '{theirs}'; its "
                f"columns are: {', '.join(available)}",
                field=theirs,
            )
        cols[ours] = theirs
    for option, ours in (("subject_field", "subject"), ("cluster_field", "cluster")):
        theirs = getattr(options, option)
        if theirs is None:
            continue
        if theirs not in available:
            raise src.error(
                f"`{option}`={theirs!r}: the table has no such column; its columns "
                f"are: {', '.join(available)}",
                field=theirs,
            )
        if cols.get(ours, theirs) != theirs:
            raise src.error(
                f"`{option}`={theirs!r} and --map {ours}={cols[ours]} disagree", field=ours
            )
        cols[ours] = theirs
    taken = set(cols.values())
    for ours in OUR_COLUMNS:
        if ours not in cols and ours in available and ours not in taken:
            cols[ours] = ours
    if "score" not in cols and "correct" in available and "correct" not in set(cols.values()):
        cols["score"] = "correct"
    return cols


def _missing(src: _Source, raw: pa.Table, missing: list[str], hint: str = "") -> InputError:
    names = " and ".join(f"'{m}'" for m in missing)
    maps = ",".join(f"{m}=COLUMN" for m in missing)
    return src.error(
        f"no column for {names}{hint}; the table's columns are: {', '.join(raw.column_names)}. "
        f"Name {'it' if len(missing) == 1 else 'them'} with --map {maps} "
        f"(column_map={{'{missing[0]}': COLUMN, ...}} in Python)",
        field=missing[0],
    )


def _looks_wide(raw: pa.Table, cols: dict[str, str]) -> bool:
    if "item" not in cols or "model" in cols or "score" in cols:
        return False
    used = set(cols.values())
    values = [n for n in raw.column_names if n not in used]
    return bool(values) and all(_numeric_like(raw.column(n)) for n in values)


def _numeric_like(col: pa.ChunkedArray | pa.Array) -> bool:
    t = col.type
    if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t):
        return True
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:
            pc.cast(_number_text(col), pa.float64())
        except pa.ArrowInvalid:
            return False
        return True
    return False


def _long(
    raw: pa.Table, cols: dict[str, str], options: ReadOptions, src: _Source, notes: list[str]
) -> dict[str, pa.Array]:
    n = raw.num_rows
    missing = [c for c in ("model", "item", "score") if c not in cols]
    if options.model is not None and "model" in missing:
        missing.remove("model")
    if missing:
        hint = ""
        if "item" in cols and "model" in missing and "score" in missing:
            used = set(cols.values())
            text = [c for c in raw.column_names if c not in used and not _numeric_like(raw[c])]
            hint = (
                f" (nor is it a wide table, one numeric column per model: column '{text[0]}' "
                "is not numeric)"
                if text
                else ""
            )
        elif "score" in missing:
            hint = " (the score column may also be named 'correct')"
        raise _missing(src, raw, missing, hint)
    out: dict[str, pa.Array] = {}
    out["model"] = _model_column(raw, cols, options, src)
    out["item"] = _text(raw, cols["item"], src)
    out["score"] = _float(raw, cols["score"], src)
    out["task"] = _name_column(raw, cols, "task", options.task, src.stem, src, notes)
    out["metric"] = _name_column(raw, cols, "metric", options.metric, cols["score"], src, notes)
    out.update(_optional_columns(raw, cols, src, n))
    unused = [c for c in raw.column_names if c not in set(cols.values())]
    if unused:
        notes.append(
            f"{src.path}: column(s) not read: {', '.join(unused)} (map one with --map OURS=COLUMN)"
        )
    return out


def _model_column(
    raw: pa.Table, cols: dict[str, str], options: ReadOptions, src: _Source
) -> pa.Array:
    n = raw.num_rows
    if "model" not in cols:
        return pa.array([options.model] * n, pa.string())
    models = _text(raw, cols["model"], src, required=True)
    if options.model is not None:
        distinct = pc.unique(models).to_pylist()
        if len(distinct) > 1:
            raise src.error(
                f"`model`={options.model!r} names one model but the column holds "
                f"{len(distinct)}: {', '.join(sorted(distinct)[:5])}",
                field=cols["model"],
            )
        return pa.array([options.model] * n, pa.string())
    return models


def _name_column(raw, cols, ours, given, default, src, notes) -> pa.Array:
    if ours in cols:
        return _text(raw, cols[ours], src, required=True)
    if given is None:
        given = default
        notes.append(
            f"{src.path}: no '{ours}' column; {ours} = {default!r} (name a column with "
            f"--map {ours}=COLUMN, or pass {ours}=NAME to assay.read)"
        )
    return pa.array([given] * raw.num_rows, pa.string())


def _optional_columns(
    raw: pa.Table, cols: dict[str, str], src: _Source, n: int
) -> dict[str, pa.Array]:
    out: dict[str, pa.Array] = {}
    sample = (
        _integer(raw, cols["sample"], src, minimum=0, required=True) if "sample" in cols else None
    )
    out["sample"] = pa.array(np.zeros(n, np.int32)) if sample is None else sample.cast(pa.int32())
    out["step"] = (
        _integer(raw, cols["step"], src, minimum=None, required=False)
        if "step" in cols
        else pa.nulls(n, pa.int64())
    )
    if "confidence" in cols:
        conf = _float(raw, cols["confidence"], src)
        bad = pc.or_(pc.less(conf, 0.0), pc.greater(conf, 1.0))
        _raise_at(bad, src, cols["confidence"], conf, "expected a probability in [0, 1]")
        out["confidence"] = conf
    else:
        out["confidence"] = pa.nulls(n, pa.float64())
    out["choice_logprobs"] = (
        _logprobs(raw, cols["choice_logprobs"], src)
        if "choice_logprobs" in cols
        else pa.nulls(n, pa.list_(pa.float64()))
    )
    for ours in _TEXT:
        out[ours] = _text(raw, cols[ours], src) if ours in cols else pa.nulls(n, pa.string())
    return out


def _wide(
    raw: pa.Table, cols: dict[str, str], options: ReadOptions, src: _Source, notes: list[str]
) -> dict[str, pa.Array]:
    if "item" not in cols:
        raise _missing(src, raw, ["item"], " (a wide table needs one item column)")
    not_wide = sorted(set(cols) - set(_WIDE_SHARED))
    if not_wide:
        raise src.error(
            f"a wide table has one column per model, so '{not_wide[0]}' cannot be a "
            f"column (mapped: {', '.join(f'{k}={cols[k]}' for k in not_wide)})",
            field=not_wide[0],
        )
    if options.model is not None:
        raise src.error(
            "`model` cannot be given for a wide table: its columns are the models", field="model"
        )
    used = set(cols.values())
    models = [c for c in raw.column_names if c not in used]
    if not models:
        raise src.error(
            f"a wide table needs one column per model besides {', '.join(sorted(used))}",
            field="model",
        )
    n, k = raw.num_rows, len(models)
    shared = {"item": _text(raw, cols["item"], src)}
    shared["task"] = _name_column(raw, cols, "task", options.task, src.stem, src, notes)
    shared["metric"] = _name_column(raw, cols, "metric", options.metric, "score", src, notes)
    shared.update(_optional_columns(raw, cols, src, n))
    out = {name: pa.concat_arrays([arr] * k) for name, arr in shared.items()}
    out["model"] = pa.array(np.repeat(np.array(models, dtype=object), n), pa.string())
    out["score"] = pa.concat_arrays([_float(raw, m, src) for m in models])
    return out


def _attach_runs(
    out: dict[str, pa.Array], src: _Source, config: dict[str, Any]
) -> tuple[pa.Table, list[RunInfo]]:
    model = out["model"]
    encoded = pc.dictionary_encode(model)
    names = encoded.dictionary.to_pylist()
    ids = [f"table-{src.sha256[:16]}-{hashlib.sha256(m.encode()).hexdigest()[:8]}" for m in names]
    out["run_id"] = pa.array(ids, pa.string()).take(encoded.indices)
    arrays = [
        out[f.name].cast(f.type) if out[f.name].type != f.type else out[f.name]
        for f in RESPONSE_SCHEMA
    ]
    responses = pa.Table.from_arrays(arrays, schema=RESPONSE_SCHEMA)
    pairs = (
        pa.table({"model": model, "task": out["task"]}).group_by(["model", "task"]).aggregate([])
    )
    run_of = dict(zip(names, ids, strict=True))
    runs = [
        RunInfo(
            run_id=run_of[m],
            model=m,
            task=t,
            harness=HARNESS,
            source=src.path,
            sha256=src.sha256,
            config=config,
        )
        for m, t in sorted(
            zip(pairs.column("model").to_pylist(), pairs.column("task").to_pylist(), strict=True)
        )
    ]
    return responses, runs
