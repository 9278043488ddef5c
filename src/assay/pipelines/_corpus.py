"""Stream training documents from JSONL, Parquet or text shards (plain, gzip or zstd)."""

from __future__ import annotations

import dataclasses
import glob
import gzip
import io
import os
from collections.abc import Sequence

from assay._core import InputError

__all__ = ["Batch", "CorpusOptions", "corpus_format", "expand_paths", "open_text"]

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
    range_bytes : int, default 64 MiB
        Size of the ranges a file is split into (the unit of work; see
        :func:`assay.pipelines.plan_ranges`): byte ranges of uncompressed JSONL and line text,
        groups of zstd frames (a quarter of this in compressed bytes), groups of Parquet row groups.
    """

    text_field: str = "text"
    id_field: str | None = None
    text_unit: str = "file"
    batch_bytes: int = 8 << 20
    range_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        if self.text_unit not in ("file", "line"):
            raise InputError(f"`text_unit` must be 'file' or 'line'; got {self.text_unit!r}.")
        if not isinstance(self.batch_bytes, int) or self.batch_bytes < 1:
            raise InputError(f"`batch_bytes` must be a positive integer; got {self.batch_bytes!r}.")
        if not isinstance(self.range_bytes, int) or self.range_bytes < 1:
            raise InputError(f"`range_bytes` must be a positive integer; got {self.range_bytes!r}.")


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
