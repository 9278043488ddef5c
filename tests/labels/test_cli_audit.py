"""`assay audit items` through click's CliRunner, on the packaged MMLU-Pro data (a subset)."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assay import datasets
from assay.cli import main
from assay.report._review import audit_responses


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    t = datasets.mmlu_pro()
    items = sorted(set(t.column("item").to_pylist()))[:800]
    t = t.filter(pc.is_in(t.column("item"), pa.array(items)))
    path = tmp_path_factory.mktemp("audit") / "mmlu.parquet"
    pq.write_table(t, path)
    return str(path), t


def test_audit_items_writes_suspects_for_review(results, tmp_path):
    path, table = results
    out = tmp_path / "suspects.csv"
    res = CliRunner().invoke(main, ["audit", "items", path, "-o", str(out), "--top", "7"])
    assert res.exit_code == 0, res.output
    assert "every model fails" in res.output and "assay report RESULTS --review" in res.output
    rows = list(csv.DictReader(out.open()))
    expected, _ = audit_responses(table)
    assert [r["item"] for r in rows] == [s["item"] for s in expected.suspects(7)]
    assert rows[0]["verdict"] == "" and rows[0]["gold"] and rows[0]["competing"]


def test_audit_items_json(results):
    path, table = results
    res = CliRunner().invoke(main, ["audit", "items", path, "--json", "--threshold", "0.6"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    expected, _ = audit_responses(table, threshold=0.6)
    assert doc["n_suspects"] == expected.n_suspects and doc["written"] is None
    assert doc["n_all_wrong"] == int(expected.all_wrong.sum())


def test_audit_items_errors(results, tmp_path):
    path, _ = results
    res = CliRunner().invoke(main, ["audit", "items", path, "--blind", "ghost"])
    assert res.exit_code == 2 and "blind baseline(s) 'ghost'" in res.output
    res = CliRunner().invoke(main, ["audit", "items", path, "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 2 and "give RESULTS files or --store, not both" in res.output
    res = CliRunner().invoke(main, ["audit", "items", path, "-o", str(tmp_path / "x.txt")])
    assert res.exit_code == 2 and "must end in .csv, .tsv or .json" in res.output
