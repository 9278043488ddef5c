"""Write a decontaminated copy of a corpus: new files and a manifest; the input is never touched."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
from collections.abc import Sequence
from typing import Any

from assay._core import InputError, Result
from assay.contamination import TestIndex, clean_texts
from assay.pipelines._corpus import CorpusOptions, corpus_format, expand_paths, open_text

__all__ = ["CleanReport", "write_clean_copy"]


@dataclasses.dataclass(frozen=True)
class CleanReport(Result):
    """What :func:`write_clean_copy` did.

    Attributes
    ----------
    out : str
        The output folder.
    files : tuple of dict
        Per input file: ``source``, ``output``, ``n_docs``, ``n_kept``, ``n_cut``, ``n_dropped``.
    mode : str
    manifest : str
        Path of ``removed.jsonl``: one line per document changed, with the spans and items.
    """

    out: str
    files: tuple[dict[str, Any], ...]
    mode: str
    manifest: str

    @property
    def n_dropped(self) -> int:
        return sum(f["n_dropped"] for f in self.files)

    @property
    def n_cut(self) -> int:
        return sum(f["n_cut"] for f in self.files)


def _writer(path: str, compression: str | None) -> io.TextIOBase:
    if compression == "gzip":
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8")
    if compression == "zstd":
        import zstandard

        raw = open(path, "wb")  # noqa: SIM115 - closed with the wrapper
        return io.TextIOWrapper(
            zstandard.ZstdCompressor().stream_writer(raw, closefd=True), encoding="utf-8"
        )
    return open(path, "w", encoding="utf-8")  # noqa: SIM115


def write_clean_copy(
    paths: str | Sequence[str],
    index: TestIndex,
    out: str,
    *,
    mode: str = "spans",
    corpus: CorpusOptions | None = None,
    batch_docs: int = 2048,
) -> CleanReport:
    """Copy the corpus into ``out`` with contaminated documents dropped or their spans cut.

    Each input file gets an output file of the same name and format (JSONL rows keep their other
    fields; Parquet keeps its other columns; text files are rewritten). ``out/removed.jsonl``
    records every document changed: source, row, action, reason, removed character spans of the
    original text, and the test items matched.

    Raises
    ------
    InputError
        When ``out`` holds (or is) an input file: the input is never overwritten.
    """
    corpus = corpus or CorpusOptions()
    files = expand_paths(paths)
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    names = _output_names(files, out)
    manifest_path = os.path.join(out, "removed.jsonl")
    summary = []
    with open(manifest_path, "w", encoding="utf-8") as log:
        for src, dst in zip(files, names, strict=True):
            fmt, compression = corpus_format(src)
            writer = {"jsonl": _clean_jsonl, "parquet": _clean_parquet, "text": _clean_text}[fmt]
            counts = writer(src, dst, compression, index, mode, corpus, batch_docs, log)
            summary.append({"source": src, "output": dst, **counts})
    return CleanReport(out=out, files=tuple(summary), mode=mode, manifest=manifest_path)


def _output_names(files: list[str], out: str) -> list[str]:
    common = os.path.commonpath([os.path.dirname(f) for f in files])
    names = [os.path.join(out, os.path.relpath(f, common)) for f in files]
    inputs = {os.path.realpath(f) for f in files}
    for n in names:
        if os.path.realpath(n) in inputs:
            raise InputError(
                "the output would overwrite an input file; choose another --out folder.", path=n
            )
        os.makedirs(os.path.dirname(n), exist_ok=True)
    return names


def _log(log, src: str, row: int, cleaned) -> None:
    if cleaned.action != "kept":
        log.write(
            json.dumps({"source": src, "row": row, **cleaned.to_dict()}, sort_keys=True) + "\n"
        )


def _counts(results) -> dict[str, int]:
    return {
        "n_docs": len(results),
        "n_kept": sum(r.action == "kept" for r in results),
        "n_cut": sum(r.action == "cut" for r in results),
        "n_dropped": sum(r.action == "dropped" for r in results),
    }


def _clean_jsonl(src, dst, compression, index, mode, corpus, batch_docs, log) -> dict[str, int]:
    from assay.pipelines._corpus import _field

    totals = {"n_docs": 0, "n_kept": 0, "n_cut": 0, "n_dropped": 0}
    with open_text(src, compression) as fh, _writer(dst, compression) as w:
        rows: list[tuple[int, dict]] = []

        def flush() -> None:
            results = clean_texts([r[corpus.text_field] for _, r in rows], index, mode=mode)
            for (row, rec), res in zip(rows, results, strict=True):
                _log(log, src, row, res)
                if res.text is not None:
                    rec[corpus.text_field] = res.text
                    w.write(json.dumps(rec, ensure_ascii=False) + "\n")
            for k, v in _counts(results).items():
                totals[k] += v
            rows.clear()

        row = 0
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg}).", path=src, record=line_no) from None
            if not isinstance(rec, dict):
                raise InputError("expected a JSON object.", path=src, record=line_no)
            _field(rec, corpus.text_field, src, line_no, required=True)
            rows.append((row, rec))
            row += 1
            if len(rows) >= batch_docs:
                flush()
        flush()
    return totals


def _clean_parquet(src, dst, compression, index, mode, corpus, batch_docs, log) -> dict[str, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(src)
    if corpus.text_field not in pf.schema_arrow.names:
        raise InputError("no such column.", path=src, field=corpus.text_field)
    totals = {"n_docs": 0, "n_kept": 0, "n_cut": 0, "n_dropped": 0}
    col = pf.schema_arrow.get_field_index(corpus.text_field)
    row = 0
    with pq.ParquetWriter(dst, pf.schema_arrow) as w:
        for rb in pf.iter_batches(batch_size=batch_docs):
            texts = rb.column(col).to_pylist()
            results = clean_texts([t or "" for t in texts], index, mode=mode)
            keep = []
            for i, res in enumerate(results):
                _log(log, src, row + i, res)
                if res.text is not None:
                    keep.append(i)
            row += len(texts)
            table = pa.Table.from_batches([rb]).take(keep)
            new_text = pa.array([results[i].text for i in keep], type=rb.schema.field(col).type)
            w.write_table(table.set_column(col, rb.schema.field(col), new_text))
            for k, v in _counts(results).items():
                totals[k] += v
    return totals


def _clean_text(src, dst, compression, index, mode, corpus, batch_docs, log) -> dict[str, int]:
    with open_text(src, compression) as fh:
        docs = [fh.read()] if corpus.text_unit == "file" else fh.read().split("\n")
    results = clean_texts(docs, index, mode=mode)
    for row, res in enumerate(results):
        _log(log, src, row, res)
    if corpus.text_unit == "file":
        kept = [r.text for r in results if r.text is not None]
    else:  # one document per line: the pieces of a cut line stay on one line
        kept = [r.text.replace("\n", " ") for r in results if r.text is not None]
    with _writer(dst, compression) as w:
        w.write(("" if corpus.text_unit == "file" else "\n").join(kept))
    return _counts(results)
