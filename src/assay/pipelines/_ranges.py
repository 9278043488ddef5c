"""Split corpus files into ranges, the unit of work of a scan, and read the documents of a range.

A range is a part of one file that can be read on its own:

- uncompressed JSONL and line-unit text: a byte range ``(start, end]`` that owns the lines whose
  first byte lies in it (the first range also owns the line at byte 0), as Hadoop's line reader
  does: a range skips the line it starts inside of and reads past its end to finish its last line,
  so the ranges of a file hold every line exactly once, wherever the cut points fall;
- zstd with several frames: consecutive frames, with the same line rule on the decompressed bytes
  (frames need not end at a line end);
- Parquet: consecutive row groups;
- anything else (gzip, zstd written as one frame, text read as one document per file): the whole
  file, with a note that a single compressed stream cannot be split.

Rows in a range are numbered from 0; :func:`assay.pipelines.scan_corpus` adds the rows of the
file's earlier ranges when it merges, so results name the same rows as a scan of the whole file.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from assay._core import InputError
from assay.contamination import EncodedTexts
from assay.pipelines import _jsonfast
from assay.pipelines._corpus import Batch, CorpusOptions, _batcher, _field, corpus_format

try:  # orjson decodes JSON lines several times faster; the stdlib module is the fallback
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
    _JSONError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - depends on the environment
    _loads, _JSONError = json.loads, ValueError

__all__ = ["Range", "iter_batches", "iter_range_batches", "plan_ranges", "zstd_frames"]

_READ = 4 << 20  # bytes read at a time
_TAIL = 64 << 10  # the first read past a range's end, to finish its last line
_ZSTD_MAGIC = 0xFD2FB528


@dataclasses.dataclass(frozen=True)
class Range:
    """A part of one corpus file that can be scanned on its own.

    Attributes
    ----------
    shard : int
        The file's number in the sorted list of corpus files.
    path : str
    part : int
        The range's number within the file (0 for the first).
    kind : {'bytes', 'frames', 'row_groups', 'whole'}
    start, end : int
        Byte offsets (``bytes``; ``frames``: compressed offsets of frame starts), row-group
        numbers (``row_groups``, end exclusive), or 0 and the file size (``whole``).
    """

    shard: int
    path: str
    part: int
    kind: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def plan_ranges(
    files: list[str], options: CorpusOptions | None = None
) -> tuple[list[Range], list[str]]:
    """Split ``files`` into ranges of about ``options.range_bytes``; returns ranges and notes.

    The plan depends only on the files and ``range_bytes``, never on the number of workers, so a
    resumed scan finds the same ranges.
    """
    options = options or CorpusOptions()
    ranges: list[Range] = []
    notes: list[str] = []
    size = options.range_bytes
    for shard, path in enumerate(files):
        fmt, compression = corpus_format(path)
        try:
            total = os.path.getsize(path)
        except OSError:
            raise InputError("no such file.", path=path) from None
        cuts: list[tuple[int, int]] = []
        kind = "whole"
        if fmt == "parquet":
            kind, cuts = "row_groups", _row_group_cuts(path, size)
        elif fmt == "text" and options.text_unit == "file":
            pass
        elif compression is None:
            kind = "bytes"
            cuts = [(a, min(a + size, total)) for a in range(0, total, size)] or [(0, 0)]
        elif compression == "zstd":
            frames = zstd_frames(path)
            if len(frames) > 2:
                kind, cuts = "frames", _group(frames, max(size // 4, 1))
            elif total > size:
                notes.append(
                    f"{path} is one zstd frame: it cannot be split, one worker reads it (write "
                    "it as several frames, e.g. with pzstd or one frame per 64 MB of lines, or "
                    "as several files, to use more)."
                )
        elif total > size:
            notes.append(
                f"{path} is one gzip stream: it cannot be split, one worker reads it (write it "
                "as zstd with several frames, or as several files, to use more)."
            )
        if not cuts:
            cuts = [(0, total)]
        ranges.extend(Range(shard, path, part, kind, a, b) for part, (a, b) in enumerate(cuts))
    return ranges, notes


def _group(bounds: list[int], size: int) -> list[tuple[int, int]]:
    """Consecutive pieces between ``bounds`` grouped into ranges of at least ``size`` bytes."""
    cuts, a = [], bounds[0]
    for b in bounds[1:-1]:
        if b - a >= size:
            cuts.append((a, b))
            a = b
    cuts.append((a, bounds[-1]))
    return cuts


def _row_group_cuts(path: str, size: int) -> list[tuple[int, int]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except pa.ArrowException as exc:
        raise InputError(f"not a readable Parquet file ({exc}).", path=path) from None
    cuts, a, acc = [], 0, 0
    for g in range(meta.num_row_groups):
        acc += meta.row_group(g).total_byte_size
        if acc >= size and g + 1 < meta.num_row_groups:
            cuts.append((a, g + 1))
            a, acc = g + 1, 0
    cuts.append((a, meta.num_row_groups))
    return cuts


def zstd_frames(path: str) -> list[int]:
    """Offsets where the zstd frames of ``path`` start, and the file size (from frame headers).

    Walks the frame and block headers (RFC 8878) without decompressing. Skippable frames are
    kept inside the frame before them.

    Raises
    ------
    InputError
        When the bytes are not a sequence of zstd frames.
    """
    bounds = []
    with open(path, "rb") as fh:
        total = os.fstat(fh.fileno()).st_size
        pos = 0
        while pos < total:
            fh.seek(pos)
            head = fh.read(18)
            if len(head) < 4:
                raise InputError(f"truncated zstd frame at byte {pos}.", path=path)
            magic = int.from_bytes(head[:4], "little")
            if magic & 0xFFFFFFF0 == 0x184D2A50:  # skippable frame
                pos += 8 + int.from_bytes(head[4:8], "little")
                continue
            if magic != _ZSTD_MAGIC or len(head) < 6:
                raise InputError(f"not a zstd frame at byte {pos}.", path=path)
            bounds.append(pos)
            fhd = head[4]
            single = (fhd >> 5) & 1
            fcs = fhd >> 6
            header = 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3]
            header += (1 if single else 0, 2, 4, 8)[fcs]
            pos += header
            while True:
                fh.seek(pos)
                b = fh.read(3)
                if len(b) < 3:
                    raise InputError(f"truncated zstd block at byte {pos}.", path=path)
                h = int.from_bytes(b, "little")
                btype, bsize = (h >> 1) & 3, h >> 3
                if btype == 3:
                    raise InputError(f"invalid zstd block at byte {pos}.", path=path)
                pos += 3 + (1 if btype == 1 else bsize)
                if h & 1:
                    break
            pos += 4 if (fhd >> 2) & 1 else 0
    bounds.append(total)
    return bounds


# -- reading a range ----------------------------------------------------------------------------


def _file_chunks(fh, start: int, end: int | None) -> Iterator[bytes]:
    fh.seek(start)
    pos = start
    while end is None or pos < end:
        data = fh.read(_READ if end is None else min(_READ, end - pos))
        if not data:
            return
        pos += len(data)
        yield data


def _stream_chunks(stream) -> Iterator[bytes]:
    while True:
        data = stream.read(_READ)
        if not data:
            return
        yield data


def _owned_lines(
    region: Iterator[bytes], tail: Callable[[], Iterator[bytes]], first: bool
) -> Iterator[bytes]:
    """Blocks of complete lines starting in the region (see the module notes), joined by
    ``\\n``, without the last line's ``\\n``."""
    carry = b""
    skipping = not first
    for data in region:
        if skipping:
            i = data.find(b"\n")
            if i < 0:
                continue
            data, skipping = data[i + 1 :], False
        if carry:
            data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        yield data[:cut]
        carry = data[cut + 1 :]
    if skipping:  # no line starts inside the region
        return
    for data in tail():  # finish the last line (or read the one starting at the region's end)
        i = data.find(b"\n")
        if i >= 0:
            yield carry + data[:i]
            return
        carry += data
    if carry:
        yield carry


def _file_views(path: str, start: int, end: int) -> Iterator[memoryview]:
    """:func:`_owned_lines` of the byte range ``[start, end)`` of an uncompressed file, without
    copying: the file is read into one buffer, whose unfinished last line is moved to its
    front before the next read, and each block is a view of it, valid only until the next
    block is asked for (a consumer copies what it keeps)."""
    buf = bytearray(_READ)
    keep = 0  # bytes of an unfinished line at the front of buf
    skipping = start != 0
    pos = start
    # past the range only its last line is wanted: read on in small, growing steps (a whole
    # buffer there cost a small range, such as the null sample's windows, 16 times its size)
    tail = _TAIL
    with open(path, "rb") as fh:
        fh.seek(start)
        while True:
            if keep > len(buf) // 2:  # a long line: a bigger buffer (the old one may be viewed)
                bigger = bytearray(2 * len(buf))
                bigger[:keep] = buf[:keep]
                buf = bigger
            mv = memoryview(buf)
            room = len(buf) - keep
            in_region = pos < end
            n = fh.readinto(mv[keep : keep + min(room, end - pos if in_region else tail)])
            pos += n
            have = keep + n
            if in_region:
                if n == 0:  # the file ends inside the range
                    if keep and not skipping:
                        yield mv[:keep]
                    return
                if skipping:  # the line that started before the range is the last one's
                    i = buf.find(b"\n", 0, have)
                    if i < 0:
                        keep = 0
                        if pos >= end:
                            return  # no line starts inside the range
                        continue
                    buf[: have - i - 1] = buf[i + 1 : have]
                    have, skipping = have - i - 1, False
                cut = buf.rfind(b"\n", 0, have)
                if cut < 0:
                    keep = have
                    continue
                yield mv[:cut]
                buf[: have - cut - 1] = buf[cut + 1 : have]
                keep = have - cut - 1
                continue
            # after the range: finish its last line (or read the one starting at its end)
            i = buf.find(b"\n", keep, have)
            if i >= 0:
                yield mv[:i]
                return
            if n == 0:
                if keep:
                    yield mv[:keep]
                return
            keep = have
            tail *= 2


def _lines(
    rng: Range, compression: str | None, views: bool = False
) -> Iterator[bytes | memoryview]:
    """Blocks of the complete lines of a range (see :func:`_owned_lines`); ``views``: an
    uncompressed range may come as views of a reused buffer (see :func:`_file_views`)."""
    if rng.kind == "bytes" and views:
        yield from _file_views(rng.path, rng.start, rng.end)
        return
    if rng.kind == "bytes":
        with open(rng.path, "rb") as fh, open(rng.path, "rb") as fh2:
            yield from _owned_lines(
                _file_chunks(fh, rng.start, rng.end),
                lambda: _file_chunks(fh2, rng.end, None),
                rng.start == 0,
            )
        return
    if compression == "gzip":
        import gzip

        with gzip.open(rng.path, "rb") as gz:
            yield from _owned_lines(_stream_chunks(gz), lambda: iter(()), True)
        return
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(
                "reading .zst files needs the zstandard package.", path=rng.path
            ) from None
        dctx = zstandard.ZstdDecompressor()
        if rng.kind == "whole":
            with open(rng.path, "rb") as fh:
                stream = dctx.stream_reader(fh, read_across_frames=True)
                yield from _owned_lines(_stream_chunks(stream), lambda: iter(()), True)
            return
        with open(rng.path, "rb") as fh:
            fh.seek(rng.start)
            comp = fh.read(rng.end - rng.start)
            region = dctx.stream_reader(io.BytesIO(comp), read_across_frames=True)

            def tail() -> Iterator[bytes]:
                fh.seek(rng.end)
                return _stream_chunks(
                    zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
                )

            yield from _owned_lines(_stream_chunks(region), tail, rng.start == 0)
        return
    with open(rng.path, "rb") as fh:
        yield from _owned_lines(_stream_chunks(fh), lambda: iter(()), True)


def _line_number(rng: Range, compression: str | None, index: int) -> int | str:
    """1-based line number in the file of line ``index`` of the range (counted on error only)."""
    if rng.start == 0:
        return index + 1
    if rng.kind == "bytes":
        with open(rng.path, "rb") as fh:
            before = sum(c.count(b"\n") for c in _file_chunks(fh, 0, rng.start))
        return before + index + 2  # the range skipped the line ending at its first newline
    return f"line {index + 1} of the range starting at compressed byte {rng.start}"


def iter_range_batches(
    rng: Range, options: CorpusOptions | None = None, counts: dict[str, int] | None = None
) -> Iterator[Batch]:
    """Yield the documents of one range in batches; rows are numbered from 0 within the range.

    ``counts``, when given, receives ``rows``: the documents the range holds.

    Raises
    ------
    InputError
        Naming the file, line (or row) and field, for malformed JSON, a missing or non-text field,
        or undecodable bytes.
    """
    options = options or CorpusOptions()
    counts = {} if counts is None else counts
    counts["rows"] = 0
    fmt, compression = corpus_format(rng.path)
    try:
        if fmt == "parquet":
            yield from _parquet(rng, options, counts)
        elif fmt == "text" and options.text_unit == "file":
            yield from _text_file(rng, compression, options, counts)
        else:
            yield from _line_records(rng, fmt, compression, options, counts)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}).", path=rng.path
        ) from None
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError("no such file.", path=rng.path) from None
        raise InputError(f"cannot read the file: {exc}.", path=rng.path) from None
    except Exception as exc:
        if type(exc).__module__.startswith("zstandard") or "zstd" in type(exc).__name__.lower():
            raise InputError(f"cannot read the file: {exc}.", path=rng.path) from None
        raise


def iter_batches(path: str, options: CorpusOptions | None = None) -> Iterator[Batch]:
    """Yield the documents of one whole file in batches of about ``options.batch_bytes``."""
    options = options or CorpusOptions()
    total = os.path.getsize(path) if os.path.exists(path) else 0
    fmt, compression = corpus_format(path)
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq

            end = pq.ParquetFile(path).metadata.num_row_groups
        except Exception:
            end = -1  # let the reader raise the error that names the file
        rng = Range(0, path, 0, "row_groups", 0, end)
    else:
        rng = Range(0, path, 0, "bytes" if compression is None else "whole", 0, total)
    if not os.path.exists(path):
        raise InputError("no such file.", path=path)
    yield from iter_range_batches(rng, options)


def _text_file(rng, compression, options, counts) -> Iterator[Batch]:
    from assay.pipelines._corpus import open_text

    add, flush = _batcher(options)
    with open_text(rng.path, compression) as fh:
        b = add(0, fh.read(), None)
        counts["rows"] = 1
        if b:
            yield b
    b = flush()
    if b:
        yield b


def _line_records(rng, fmt, compression, options, counts) -> Iterator[Batch]:
    if fmt == "jsonl" and options.id_field is None and _jsonfast.enabled():
        yield from _json_encoded(rng, compression, options, counts)
        return
    add, flush = _batcher(options)
    row = 0
    n_lines = 0
    jsonl = fmt == "jsonl"
    for block in _lines(rng, compression):
        lines = block.split(b"\n")
        if jsonl:
            docs = _fast_json(lines, options) or _exact_json(
                lines, rng, compression, options, n_lines
            )
        else:
            docs = _text_lines(lines)
        n_lines += len(lines)
        for text, doc_id in docs:
            b = add(row, text, doc_id)
            row += 1
            if b:
                yield b
    counts["rows"] = row
    b = flush()
    if b:
        yield b


def _json_encoded(rng, compression, options, counts) -> Iterator[Batch]:
    """JSON lines read by the compiled kernel: batches of :class:`EncodedTexts` (with the
    normalised text the same pass wrote), cut where :func:`_batcher` cuts (after the document
    that brings the characters to ``batch_bytes``). The kernel writes every document straight
    into its batch's buffers and stops where a batch is full or a line needs the exact decoder."""
    w = _jsonfast.BatchWriter(options.batch_bytes, options.text_field, options.batch_bytes + _READ)
    first = row = n_lines = 0
    for block in _lines(rng, compression, views=True):
        a = np.frombuffer(block, np.uint8)
        p = 0
        while True:
            before = w.n_docs
            stop, q, e, nl = w.fill(a, p)
            row += w.n_docs - before
            n_lines += nl
            if stop == _jsonfast.STOP_ROOM:
                w.grow(e - q)
                p = q
                continue
            if stop == _jsonfast.STOP_FALLBACK:
                docs = _exact_json([bytes(block[q:e])], rng, compression, options, n_lines)
                n_lines += 1
                if docs:
                    w.append(docs[0][0])
                    row += 1
            if w.full:
                yield Batch(first, EncodedTexts(*w.take()), None)
                first = row
            if stop == _jsonfast.STOP_END or e >= len(a):
                break
            p = e + 1
    counts["rows"] = row
    if w.n_docs:
        yield Batch(first, EncodedTexts(*w.take()), None)


def _text_lines(lines: list[bytes]) -> Iterator[tuple[str, None]]:
    for line in lines:
        yield (line[:-1] if line.endswith(b"\r") else line).decode("utf-8"), None


def _fast_json(lines: list[bytes], options: CorpusOptions) -> list[tuple[str, Any]] | None:
    """Texts and ids of a block of JSON lines, or None when any line needs a closer look."""
    text_field, id_field = options.text_field, options.id_field
    try:
        recs = list(map(_loads, [line for line in lines if line and not line.isspace()]))
        texts = [r[text_field] for r in recs]
        ids = [r[id_field] for r in recs] if id_field else [None] * len(recs)
    except Exception:  # noqa: BLE001 - the exact path below raises the error that names the line
        return None
    if not all(type(t) is str for t in texts):
        return None
    if id_field and not all(type(i) is str for i in ids):
        return None
    return list(zip(texts, ids, strict=True))


def _exact_json(lines, rng, compression, options, n_before) -> list[tuple[str, Any]]:
    """The documents of a block of JSON lines, one line at a time, with errors naming the line."""
    text_field, id_field = options.text_field, options.id_field
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        index = n_before + i
        rec = _decode_json(line, rng, compression, index)
        if type(rec) is not dict:
            raise InputError(
                f"expected a JSON object; got {type(rec).__name__}.",
                path=rng.path,
                record=_line_number(rng, compression, index),
            )
        text = rec.get(text_field)
        if type(text) is not str:  # an error naming the line
            text = _field(
                rec, text_field, rng.path, _line_number(rng, compression, index), required=True
            )
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    f"holds a lone surrogate (\\u{ord(text[exc.start]):04x} at character "
                    f"{exc.start}); it is not Unicode text.",
                    path=rng.path,
                    record=_line_number(rng, compression, index),
                    field=text_field,
                ) from None
        doc_id = None
        if id_field:
            doc_id = rec.get(id_field)
            if type(doc_id) is not str:  # converted, or an error naming the line
                doc_id = _field(rec, id_field, rng.path, _line_number(rng, compression, index))
        out.append((text, doc_id))
    return out


def _decode_json(line: bytes, rng: Range, compression: str | None, index: int) -> Any:
    try:
        return _loads(line)
    except _JSONError:
        pass
    # the standard library decides what orjson refuses (NaN, invalid UTF-8, ...) and names it
    try:
        return json.loads(line.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg}, column {exc.colno}).",
            path=rng.path,
            record=_line_number(rng, compression, index),
        ) from None


def _parquet(rng: Range, options: CorpusOptions, counts) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = rng.path
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
    ftype = pf.schema_arrow.field(options.text_field).type
    if not pa.types.is_string(ftype) and not pa.types.is_large_string(ftype):
        raise InputError(
            f"must be a string column; got {ftype}.", path=path, field=options.text_field
        )
    cols = [options.text_field] + ([options.id_field] if options.id_field else [])
    first_row = sum(pf.metadata.row_group(g).num_rows for g in range(rng.start))
    add, flush = _batcher(options)
    row = 0
    groups = list(range(rng.start, rng.end))
    if not groups:
        return
    for rb in pf.iter_batches(batch_size=4096, columns=cols, row_groups=groups):
        texts = rb.column(0).to_pylist()
        ids = (
            rb.column(1).cast(pa.string()).to_pylist() if options.id_field else [None] * len(texts)
        )
        for t, i in zip(texts, ids, strict=True):
            if t is None:
                raise InputError(
                    "is null; every document needs text.",
                    path=path,
                    record=f"row {first_row + row}",
                    field=options.text_field,
                )
            b = add(row, t, i)
            row += 1
            if b:
                yield b
    counts["rows"] = row
    b = flush()
    if b:
        yield b
