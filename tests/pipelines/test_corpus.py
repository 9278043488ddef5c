"""Corpus readers: formats, compression, globs, and errors that name file, line and field."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from assay._core import InputError
from assay.pipelines import CorpusOptions, corpus_format, expand_paths, iter_batches

DOCS = [{"text": f"document {i} " + "é" * (i % 3), "id": i} for i in range(25)]


def write_jsonl(path, rows, compression=None):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return str(path)


def read_all(path, **kw):
    texts, ids, rows = [], [], []
    for b in iter_batches(path, CorpusOptions(**kw)):
        texts += b.texts
        ids += b.ids or [None] * len(b.texts)
        rows += range(b.first_row, b.first_row + len(b.texts))
    return texts, ids, rows


@pytest.mark.parametrize(
    ("name", "compression"), [("c.jsonl", None), ("c.jsonl.gz", "gzip"), ("c.jsonl.zst", "zstd")]
)
def test_jsonl_plain_gzip_zstd(tmp_path, name, compression):
    path = write_jsonl(tmp_path / name, DOCS, compression)
    texts, ids, rows = read_all(path, id_field="id", batch_bytes=50)
    assert texts == [d["text"] for d in DOCS]
    assert ids == [str(d["id"]) for d in DOCS]
    assert rows == list(range(25))


def test_parquet(tmp_path):
    path = str(tmp_path / "c.parquet")
    pq.write_table(
        pa.table({"content": [d["text"] for d in DOCS], "key": [f"k{i}" for i in range(25)]}),
        path,
        row_group_size=7,
    )
    texts, ids, rows = read_all(path, text_field="content", id_field="key", batch_bytes=40)
    assert texts == [d["text"] for d in DOCS] and ids[3] == "k3" and rows == list(range(25))


def test_text_file_and_lines(tmp_path):
    p = tmp_path / "a.txt.gz"
    p.write_bytes(gzip.compress(b"line one\nline two\n\nline four"))
    assert read_all(str(p))[0] == ["line one\nline two\n\nline four"]
    assert read_all(str(p), text_unit="line")[0] == ["line one", "line two", "", "line four"]


def test_expand_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    for n in ("b.jsonl", "a.jsonl", "sub/c.jsonl"):
        write_jsonl(tmp_path / n, DOCS[:1])
    found = expand_paths([str(tmp_path / "*.jsonl"), str(tmp_path / "a.jsonl")])
    assert [p.rsplit("/", 1)[1] for p in found] == ["a.jsonl", "b.jsonl"]
    assert len(expand_paths(str(tmp_path))) == 3
    assert len(expand_paths(str(tmp_path / "**" / "*.jsonl"))) == 3


def test_formats():
    assert corpus_format("x.JSONL.ZST") == ("jsonl", "zstd")
    assert corpus_format("x.parquet") == ("parquet", None)
    assert corpus_format("x.txt.gz") == ("text", "gzip")


def test_errors(tmp_path):
    with pytest.raises(InputError, match="nope.jsonl: no such file or folder"):
        expand_paths(str(tmp_path / "nope.jsonl"))
    with pytest.raises(InputError, match=r"\*.zzz: the pattern matches no file"):
        expand_paths(str(tmp_path / "*.zzz"))
    with pytest.raises(InputError, match="x.csv: cannot tell the corpus format from the name"):
        corpus_format("x.csv")
    with pytest.raises(InputError, match="Parquet files compress internally"):
        corpus_format("x.parquet.gz")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": broken}\n')
    with pytest.raises(InputError, match=r"bad.jsonl: line 2: invalid JSON"):
        read_all(str(bad))
    bad.write_text('{"text": "ok"}\n\n{"body": "x"}\n')
    with pytest.raises(
        InputError, match=r"bad.jsonl: line 3: field 'text': missing; the record has body"
    ):
        read_all(str(bad))
    bad.write_text('{"text": 5}\n')
    with pytest.raises(
        InputError, match=r"bad.jsonl: line 1: field 'text': must be a string; got int"
    ):
        read_all(str(bad))
    bad.write_text("[1, 2]\n")
    with pytest.raises(InputError, match=r"bad.jsonl: line 1: expected a JSON object; got list"):
        read_all(str(bad))
    bad.write_bytes(b'{"text": "\xff\xfe"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl: not UTF-8 text"):
        read_all(str(bad))
    gz = tmp_path / "trunc.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"text": "a"}\n' * 100)[:30])
    with pytest.raises(InputError, match=r"trunc.jsonl.gz: cannot read the file"):
        read_all(str(gz))
    pqf = str(tmp_path / "n.parquet")
    pq.write_table(pa.table({"text": ["a", None]}), pqf)
    with pytest.raises(InputError, match=r"n.parquet: row 1: field 'text': is null"):
        read_all(pqf)
    with pytest.raises(
        InputError, match=r"n.parquet: field 'body': no such column; the file has text"
    ):
        read_all(pqf, text_field="body")
    pq.write_table(pa.table({"text": [1, 2]}), pqf)
    with pytest.raises(
        InputError, match=r"n.parquet: field 'text': must be a string column; got int64"
    ):
        read_all(pqf)
    (tmp_path / "fake.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="fake.parquet: not a readable Parquet file"):
        read_all(str(tmp_path / "fake.parquet"))
    with pytest.raises(InputError, match="`text_unit` must be 'file' or 'line'; got 'page'"):
        CorpusOptions(text_unit="page")
    with pytest.raises(InputError, match="`batch_bytes` must be a positive integer; got 0"):
        CorpusOptions(batch_bytes=0)
