"""`assay contamination index | scan | clean` with click's CliRunner."""

import json

import pytest
from click.testing import CliRunner

from assay.cli import main

ITEMS = [
    {
        "q": "Which river flows through the ancient city of Baghdad in modern Iraq today",
        "a": "Tigris",
        "id": "r1",
    },
    {
        "q": "What is the chemical symbol of the element gold on the periodic table",
        "a": "Au",
        "id": "r2",
    },
]


@pytest.fixture
def files(tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps(r) + "\n" for r in ITEMS))
    corpus = tmp_path / "corpus.jsonl"
    docs = [
        {
            "text": "Quiz. " + ITEMS[0]["q"] + "? Answer: Tigris. " + "filler words " * 40,
            "id": "d0",
        },
        {"text": "Nothing relevant here. " * 30, "id": "d1"},
    ]
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return tmp_path, str(items), str(corpus)


def test_index_scan_clean(files):
    tmp, items, corpus = files
    r = CliRunner()
    index = str(tmp / "idx.npz")
    res = r.invoke(
        main,
        [
            "contamination",
            "index",
            items,
            "-o",
            index,
            "--input-field",
            "q",
            "--target-field",
            "a",
            "--id-field",
            "id",
            "--preset",
            "open-r1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "indexed 2 test items" in res.output and "recipe open-r1" in res.output
    res = r.invoke(
        main,
        [
            "contamination",
            "scan",
            corpus,
            "-i",
            index,
            "--id-field",
            "id",
            "--workers",
            "1",
            "--json",
            "-o",
            str(tmp / "scan"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    status = {v["item"]: v["status"] for v in data["items"]}
    assert status == {"r1": "input_and_answer", "r2": "clean"}
    assert data["items"][0]["evidence"][0]["doc_id"] == "d0"
    assert (
        json.loads((tmp / "scan" / "result.json").read_text())["result"]["items"] == data["items"]
    )
    res = r.invoke(main, ["contamination", "scan", corpus, "-i", index, "--workers", "1"])
    assert res.exit_code == 0 and "Contaminated items" in res.output and "r1" in res.output
    res = r.invoke(
        main,
        ["contamination", "clean", corpus, "-i", index, "-o", str(tmp / "clean"), "--mode", "drop"],
    )
    assert res.exit_code == 0 and "1 dropped" in res.output
    assert len((tmp / "clean" / "corpus.jsonl").read_text().splitlines()) == 1


def test_index_from_results_file(tmp_path):
    table = tmp_path / "results.csv"
    table.write_text(
        "model,task,item,score,input,target\n"
        f"m1,quiz,1,1,{ITEMS[0]['q']},Tigris\nm2,quiz,1,0,{ITEMS[0]['q']},Tigris\n"
    )
    res = CliRunner().invoke(
        main,
        [
            "contamination",
            "index",
            "--results",
            str(table),
            "-o",
            str(tmp_path / "i.npz"),
            "--json",
            "--no-minhash",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n_items"] == 1


def test_errors(files):
    tmp, items, corpus = files
    r = CliRunner()
    res = r.invoke(main, ["contamination", "index", "-o", str(tmp / "i.npz")])
    assert res.exit_code == 2 and "give exactly one source of test items" in res.output
    res = r.invoke(
        main,
        ["contamination", "index", items, "-o", str(tmp / "i.npz"), "--input-field", "question"],
    )
    assert res.exit_code == 2 and "items.jsonl: line 1: field 'question': missing" in res.output
    res = r.invoke(main, ["contamination", "scan", corpus, "-i", str(tmp / "none.npz")])
    assert res.exit_code == 2 and "none.npz: no such index file" in res.output
    r.invoke(
        main, ["contamination", "index", items, "-o", str(tmp / "i.npz"), "--input-field", "q"]
    )
    res = r.invoke(
        main,
        [
            "contamination",
            "scan",
            corpus,
            "-i",
            str(tmp / "i.npz"),
            "--dask",
            "local",
            "--scheduler",
            "tcp://x:1",
        ],
    )
    assert res.exit_code == 2 and "give --dask local or --scheduler ADDRESS, not both" in res.output
    res = r.invoke(
        main, ["contamination", "scan", corpus, "-i", str(tmp / "i.npz"), "--judge-url", "http://x"]
    )
    assert res.exit_code == 2 and "the judge needs both --judge-url and --judge-model" in res.output
    (tmp / "bad.npz").write_text("junk")
    res = r.invoke(main, ["contamination", "scan", corpus, "-i", str(tmp / "bad.npz")])
    assert res.exit_code == 2 and "bad.npz: not an index written by assay" in res.output
