"""Decontaminated copies: new files and a manifest; the input is never modified."""

import gzip
import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay._core import InputError
from assay.contamination import build_index, normalize
from assay.pipelines import CorpusOptions, write_clean_copy

ITEM = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron"
FILLER = "Ordinary training text that has nothing to do with the test set at all. " * 8


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_jsonl_gz_spans_and_drop(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    rows = [
        {"text": FILLER, "meta": 1},
        {"text": FILLER + ITEM + " " + FILLER, "meta": 2},
        {"text": ITEM, "meta": 3},
    ]
    path = src / "c.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    before = digest(path)
    idx = build_index([ITEM], ids=["q7"])
    rep = write_clean_copy(str(src), idx, str(tmp_path / "out"))
    assert digest(path) == before
    f = rep.files[0]
    assert (f["n_docs"], f["n_kept"], f["n_cut"], f["n_dropped"]) == (3, 1, 1, 1)
    out = [json.loads(line) for line in gzip.open(f["output"], "rt")]
    assert [r["meta"] for r in out] == [1, 2]
    assert normalize(ITEM) not in normalize(out[1]["text"]) and out[0]["text"] == FILLER
    log = [json.loads(line) for line in open(rep.manifest)]
    assert [(r["row"], r["action"], r["items"]) for r in log] == [
        (1, "cut", ["q7"]),
        (2, "dropped", ["q7"]),
    ]
    a, b = log[0]["removed"][0]
    assert rows[1]["text"][a + 200 : b - 200] == ITEM
    rep = write_clean_copy(str(src), idx, str(tmp_path / "out2"), mode="drop")
    assert rep.n_dropped == 2 and rep.n_cut == 0


def test_parquet_keeps_other_columns(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table({"id": [1, 2, 3], "body": [FILLER, ITEM, FILLER + ITEM + FILLER]}), path
    )
    rep = write_clean_copy(
        str(path), build_index([ITEM]), str(tmp_path / "o"), corpus=CorpusOptions(text_field="body")
    )
    t = pq.read_table(rep.files[0]["output"])
    assert t.column("id").to_pylist() == [1, 3]
    assert t.column("body").to_pylist()[0] == FILLER
    assert normalize(ITEM) not in normalize(t.column("body").to_pylist()[1])


def test_text_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(f"{FILLER}\n{ITEM}\n{FILLER}")
    rep = write_clean_copy(
        str(path), build_index([ITEM]), str(tmp_path / "o"), corpus=CorpusOptions(text_unit="line")
    )
    assert open(rep.files[0]["output"]).read() == f"{FILLER}\n{FILLER}"


def test_never_overwrites_the_input(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": ITEM}) + "\n")
    with pytest.raises(InputError, match="c.jsonl: the output would overwrite an input file"):
        write_clean_copy(str(path), build_index([ITEM]), str(tmp_path))
    assert json.loads(path.read_text())["text"] == ITEM
