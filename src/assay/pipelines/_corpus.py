"""Stream training documents from JSONL, Parquet or text shards (plain, gzip or zstd)."""

from __future__ import annotations

import dataclasses
import glob
import gzip
import io
import json
import os
from collections.abc import Iterator, Sequence

from assay._core import InputError

__all__ = ["CorpusOptions", "Batch", "corpus_format", "expand_paths", "iter_batches", "open_text"]

_COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
}


@dataclasses.dataclass(frozen=True)
class CorpusOptions:
    """How to read a corpus.

    Parameters
    ----------
    text_field : str, default 'text'
        The field (JSONL key or Parquet column) holding the document text.
    id_field : str, optional
        A field holding a document id, copied into the evidence.
    text_unit : {'file', 'line'}, default 'file'
        For text files: one document per file, or one per line.
    batch_bytes : int, default 8 MiB
        Text per batch handed to the scan (memory per worker is about ten times this).
    """

    text_field: str = "text"
    id_field: str | None = None
    text_unit: str = "file"
    batch_bytes: int = 8 << 20

    def __post_init__(self) -> None:
        if self.text_unit not in ("file", "line"):
            raise InputError(f"`text_unit` must be 'file' or 'line'; got {self.text_unit!r}.")
        if not isinstance(self.batch_bytes, int) or self.batch_bytes < 1:
            raise InputError(f"`batch_bytes` must be a positive integer; got {self.batch_bytes!r}.")


@dataclasses.dataclass(frozen=True)
class Batch:
    """Consecutive documents of one shard: ``texts[i]`` is row ``first_row + i``."""

    first_row: int
    texts: list[str]
    ids: list[str | None] | None


def expand_paths(patterns: str | Sequence[str]) -> list[str]:
    """Files named or matched by ``patterns`` (globs, ``**`` allowed; folders give their files).

    The order is sorted and without repeats, so that shard numbers are stable between runs.
    """
    if isinstance(patterns, str | os.PathLike):
        patterns = [patterns]
    out: list[str] = []
    for pat in patterns:
        pat = os.fspath(pat)
        if os.path.isdir(pat):
            found = [
                p
                for p in glob.glob(os.path.join(pat, "**", "*"), recursive=True)
                if os.path.isfile(p)
            ]
        elif glob.has_magic(pat):
            found = [p for p in glob.glob(pat, recursive=True) if os.path.isfile(p)]
        elif os.path.isfile(pat):
            found = [pat]
        else:
            raise InputError("no such file or folder.", path=pat)
        if not found:
            raise InputError("the pattern matches no file.", path=pat)
        out.extend(os.path.abspath(p) for p in found)
    return sorted(set(out))


def corpus_format(path: str) -> tuple[str, str | None]:
    """(format, compression) from the file name: jsonl/parquet/text and gzip/zstd/None."""
    base, ext = os.path.splitext(path.lower())
    compression = _COMPRESSION.get(ext)
    if compression:
        base, ext = os.path.splitext(base)
    fmt = _FORMATS.get(ext)
    if fmt is None:
        raise InputError(
            f"cannot tell the corpus format from the name; expected one of "
            f"{sorted(_FORMATS)} (optionally .gz or .zst).",
            path=path,
        )
    if fmt == "parquet" and compression:
        raise InputError(
            "Parquet files compress internally; remove the .gz/.zst wrapper.", path=path
        )
    return fmt, compression


def open_text(path: str, compression: str | None) -> io.TextIOBase:
    """Open a possibly compressed file as UTF-8 text."""
    if compression == "gzip":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError("reading .zst files needs the zstandard package.", path=path) from None
        raw = open(path, "rb")  # noqa: SIM115 - closed with the wrapper
        return io.TextIOWrapper(
            zstandard.ZstdDecompressor().stream_reader(raw, closefd=True), encoding="utf-8"
        )
    return open(path, encoding="utf-8")  # noqa: SIM115


def iter_batches(path: str, options: CorpusOptions | None = None) -> Iterator[Batch]:
    """Yield the documents of one shard in batches of about ``options.batch_bytes`` characters.

    Raises
    ------
    InputError
        Naming the file, line (or row) and field, for malformed JSON, a missing or non-text field,
        or undecodable bytes.
    """
    options = options or CorpusOptions()
    fmt, compression = corpus_format(path)
    reader = {"jsonl": _jsonl, "parquet": _parquet, "text": _text}[fmt]
    try:
        yield from reader(path, compression, options)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start}).", path=path) from None
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError("no such file.", path=path) from None
        raise InputError(f"cannot read the file: {exc}.", path=path) from None


def _batcher(options: CorpusOptions):
    texts: list[str] = []
    ids: list[str | None] = []
    size = 0
    first = 0

    def add(row: int, text: str, doc_id: str | None):
        nonlocal size, first, texts, ids
        if not texts:
            first = row
        texts.append(text)
        ids.append(doc_id)
        size += len(text)
        if size >= options.batch_bytes:
            return flush()
        return None

    def flush():
        nonlocal size, texts, ids
        if not texts:
            return None
        b = Batch(first, texts, ids if options.id_field else None)
        texts, ids, size = [], [], 0
        return b

    return add, flush


def _jsonl(path: str, compression: str | None, options: CorpusOptions) -> Iterator[Batch]:
    add, flush = _batcher(options)
    row = 0
    with open_text(path, compression) as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON ({exc.msg}, column {exc.colno}).", path=path, record=line_no
                ) from None
            if not isinstance(rec, dict):
                raise InputError(
                    f"expected a JSON object; got {type(rec).__name__}.", path=path, record=line_no
                )
            text = _field(rec, options.text_field, path, line_no, required=True)
            doc_id = _field(rec, options.id_field, path, line_no) if options.id_field else None
            b = add(row, text, doc_id)
            row += 1
            if b:
                yield b
    b = flush()
    if b:
        yield b


def _field(rec: dict, name: str, path: str, line_no: int, *, required: bool = False) -> str | None:
    if name not in rec:
        keys = ", ".join(sorted(rec)[:8])
        raise InputError(
            f"missing; the record has {keys or 'no fields'}.", path=path, record=line_no, field=name
        )
    value = rec[name]
    if value is None and not required:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and not required:
        return str(value)
    if not isinstance(value, str):
        raise InputError(
            f"must be a string; got {type(value).__name__}.", path=path, record=line_no, field=name
        )
    return value


def _parquet(path: str, compression: str | None, options: CorpusOptions) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except pa.ArrowException as exc:
        raise InputError(f"not a readable Parquet file ({exc}).", path=path) from None
    names = pf.schema_arrow.names
    for name in (options.text_field, options.id_field):
        if name is not None and name not in names:
            raise InputError(
                f"no such column; the file has {', '.join(names[:8])}.", path=path, field=name
            )
    if not pa.types.is_string(
        pf.schema_arrow.field(options.text_field).type
    ) and not pa.types.is_large_string(pf.schema_arrow.field(options.text_field).type):
        raise InputError(
            f"must be a string column; got {pf.schema_arrow.field(options.text_field).type}.",
            path=path,
            field=options.text_field,
        )
    cols = [options.text_field] + ([options.id_field] if options.id_field else [])
    add, flush = _batcher(options)
    row = 0
    for rb in pf.iter_batches(batch_size=4096, columns=cols):
        texts = rb.column(0).to_pylist()
        ids = (
            rb.column(1).cast(pa.string()).to_pylist() if options.id_field else [None] * len(texts)
        )
        for t, i in zip(texts, ids, strict=True):
            if t is None:
                raise InputError(
                    "is null; every document needs text.",
                    path=path,
                    record=f"row {row}",
                    field=options.text_field,
                )
            b = add(row, t, i)
            row += 1
            if b:
                yield b
    b = flush()
    if b:
        yield b


def _text(path: str, compression: str | None, options: CorpusOptions) -> Iterator[Batch]:
    add, flush = _batcher(options)
    with open_text(path, compression) as fh:
        if options.text_unit == "file":
            b = add(0, fh.read(), None)
            if b:
                yield b
        else:
            for row, line in enumerate(fh):
                b = add(row, line.rstrip("\n"), None)
                if b:
                    yield b
    b = flush()
    if b:
        yield b
