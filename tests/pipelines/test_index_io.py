"""Test items from tables and files; saving and loading an index."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay._core import InputError
from assay.contamination import MinHasher, build_index
from assay.io import RESPONSE_SCHEMA
from assay.pipelines import (
    index_from_items_file,
    index_from_responses,
    load_index,
    read_items,
    save_index,
)


def responses(rows):
    cols = {f.name: [r.get(f.name) for r in rows] for f in RESPONSE_SCHEMA}
    return pa.Table.from_pydict(cols, schema=RESPONSE_SCHEMA)


def row(model, task, item, inp, tgt):
    return {
        "model": model,
        "task": task,
        "item": item,
        "sample": 0,
        "metric": "acc",
        "score": 1.0,
        "input": inp,
        "target": tgt,
        "run_id": "r",
    }


def test_save_load_round_trip(tmp_path):
    idx = build_index(
        ["one two three four five six", "seven eight nine ten"],
        targets=["a", None],
        n=3,
        benchmarks=["A", "B"],
        minhash=MinHasher(num_perm=32, bands=8),
    )
    path = str(tmp_path / "i.npz")
    save_index(idx, path)
    back = load_index(path)
    assert back.fingerprint == idx.fingerprint
    assert back.inputs == idx.inputs and back.minhasher == idx.minhasher
    assert np.array_equal(back.minhash, idx.minhash)


def test_from_responses_takes_first_text_per_item():
    t = responses(
        [
            row("m1", "T", "1", None, None),
            row("m2", "T", "1", "the question", "B"),
            row("m1", "T", "2", None, None),
            row("m1", "U", "1", "other task", "C"),
        ]
    )
    idx = index_from_responses(t, n=2)
    assert idx.item_ids == ("1", "1") and idx.benchmarks == ("T", "U") and idx.targets == ("b", "c")
    assert index_from_responses(t, tasks=["U"], n=2).benchmarks == ("U",)
    with pytest.raises(InputError, match="field 'input': no item has input text"):
        index_from_responses(responses([row("m", "T", "1", None, "x")]))


def test_items_files(tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("question,answer,qid\nWhat is two plus two,4,a\nName a colour,red,b\n")
    cols = read_items(str(csv), input_field="question", target_field="answer", id_field="qid")
    assert (
        cols["input"][1] == "Name a colour"
        and cols["target"] == ["4", "red"]
        and cols["benchmark"] == ["items"] * 2
    )
    pqf = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"text": ["a b c", "d e f"], "split": ["x", "y"]}), pqf)
    idx = index_from_items_file(str(pqf), benchmark_field="split")
    assert idx.benchmarks == ("x", "y") and idx.item_ids == ("0", "1")


def test_errors(tmp_path):
    bad = tmp_path / "items.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": ""}\n')
    with pytest.raises(InputError, match=r"items.jsonl: line 2: field 'text': is empty"):
        read_items(str(bad), input_field="text")
    bad.write_text('{"text": 3}\n')
    with pytest.raises(
        InputError, match=r"items.jsonl: line 1: field 'text': must be text; got int"
    ):
        read_items(str(bad), input_field="text")
    bad.write_text('{"text": "a"}\n{oops}\n')
    with pytest.raises(InputError, match=r"items.jsonl: line 2: invalid JSON"):
        read_items(str(bad), input_field="text")
    bad.write_text("")
    with pytest.raises(InputError, match="items.jsonl: holds no test items"):
        read_items(str(bad), input_field="text")
    with pytest.raises(
        InputError, match="items.txt: a file of items must be JSONL, Parquet or CSV"
    ):
        read_items(str(tmp_path / "items.txt"), input_field="text")
    np.savez(tmp_path / "other.npz", meta=np.array('{"format": "x"}'))
    with pytest.raises(InputError, match="other.npz: unknown index format 'x'"):
        load_index(str(tmp_path / "other.npz"))
