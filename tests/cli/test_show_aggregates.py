"""`assay show` lists per-item groups and the harness's aggregates, saying which is which."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assay.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
ASDIV = DATA / "logs" / "lm_eval" / "llama3-8b-instruct_asdiv"
P160 = DATA / "pythia" / "pythia-160m" / "zero-shot"
DOC = Path(__file__).resolve().parents[2] / "docs" / "show-json.md"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _documented(title: str) -> set[str]:
    body = DOC.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", body, re.MULTILINE))


@pytest.fixture
def logs(tmp_path):
    dest = tmp_path / "logs"
    shutil.copytree(ASDIV, dest / "asdiv")
    (dest / "pythia").mkdir()
    shutil.copy(P160 / "160m_step1000.json", dest / "pythia")
    return dest


def test_show_json_aggregates_have_the_documented_fields(logs, tmp_path):
    store = tmp_path / "s.duckdb"
    from_files = json.loads(run("show", logs, "--json").stdout)
    run("ingest", logs, "--store", store)
    from_store = json.loads(run("show", "--store", store, "--json").stdout)
    for doc in (from_files, from_store):
        assert set(doc) == _documented("Top level")
        assert {g["kind"] for g in doc["groups"]} == {"per-item"}
        assert {a["kind"] for a in doc["aggregates"]} == {"aggregate"}
        for row in doc["aggregates"]:
            assert set(row) == _documented("Each aggregate")
    assert from_files["aggregates"] == from_store["aggregates"]
    # the asdiv value is lm-eval's, from its results file: acc 0.92, stderr 0.03875..., n 50
    (asdiv,) = [a for a in from_files["aggregates"] if a["task"] == "asdiv"]
    assert (asdiv["value"], asdiv["n"], asdiv["aggregation"]) == (0.92, 50, "mean")
    # the Pythia file (no samples) is only in the aggregates, at its step
    pythia = [a for a in from_files["aggregates"] if a["model"] == "EleutherAI/pythia-v1.1-160m"]
    assert pythia and {a["step"] for a in pythia} == {1000}
    assert not [g for g in from_files["groups"] if "pythia" in g["model"]]


def test_show_table_has_both_kinds(logs):
    out = run("show", logs).stdout
    per_item, aggregates = out.split("\n\n", 1)
    assert per_item.splitlines()[0].startswith("model\ttask\tmetric\titems")
    header, *rows = aggregates.splitlines()
    assert header.split("\t")[0] == "kind" and rows
    assert {r.split("\t")[0] for r in rows} == {"aggregate"}


def test_show_only_aggregates(logs):
    out = run("show", logs / "pythia").stdout
    assert out.startswith("no per-item responses; the harness's aggregates follow")
