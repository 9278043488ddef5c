"""`assay report` and `assay demo` from the command line (`assay gate`: tests/cli/test_gate.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assay.cli import main


@pytest.fixture
def table_file(tmp_path, small_result):
    path = tmp_path / "results.parquet"
    pq.write_table(small_result.responses, path)
    return path


def test_report_writes_html_json_markdown(tmp_path, table_file):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main,
        [
            "report",
            str(table_file),
            "-o",
            str(out / "r.html"),
            "--json",
            str(out / "r.json"),
            "--markdown",
            str(out / "r.md"),
            "--seed",
            "3",
            "--resamples",
            "300",
        ],
    )
    assert r.exit_code == 0, r.output
    assert (out / "r.html").read_text().startswith("<!DOCTYPE html>")
    data = json.loads((out / "r.json").read_text())
    assert data["settings"]["seed"] == 3
    assert (out / "r.md").read_text().startswith("## assay report")
    assert "r.html" in r.output


def test_report_json_is_byte_identical_across_runs(tmp_path, table_file):
    texts = []
    for k in range(2):
        path = tmp_path / f"r{k}.json"
        r = CliRunner().invoke(
            main,
            [
                "report",
                str(table_file),
                "-o",
                str(tmp_path / f"r{k}.html"),
                "--json",
                str(path),
                "--resamples",
                "300",
            ],
        )
        assert r.exit_code == 0, r.output
        texts.append(path.read_bytes())
    assert texts[0] == texts[1]


def test_report_usage_errors(tmp_path, table_file):
    r = CliRunner().invoke(main, ["report"])
    assert r.exit_code == 2 and "give results files or folders, or --store PATH" in r.output
    r = CliRunner().invoke(
        main, ["report", str(table_file), "--baseline", "nobody", "-o", str(tmp_path / "x.html")]
    )
    assert r.exit_code == 2 and "`baseline` 'nobody' is not among the models read" in r.output


@pytest.mark.slow
def test_demo_in_a_temporary_directory(tmp_path):
    # The README's main command, as a real process.
    env = dict(os.environ, COLUMNS="100")
    proc = subprocess.run(
        [sys.executable, "-m", "assay.cli", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "assay-demo.html").read_text()
    data = json.loads((tmp_path / "assay-demo.json").read_text())
    assert "Meta-Llama-3_1-70B-Instruct" in html
    assert "significantly ahead of every other model" in html or "Cannot be told apart" in html
    boards = next(s for s in data["sections"] if s["id"] == "leaderboard")["data"]["tasks"]
    assert len(next(b for b in boards if b["task"] == "mmlu_pro")["rows"]) == 29
    # issue 16: every section on real data (the review needs a reviewer's file) ...
    status = {s["id"]: s["status"] for s in data["sections"]}
    assert [k for k, v in status.items() if v != "present"] == ["review"]
    # ... each source named with its license, and the questions' text where a person must judge
    notes = next(s for s in data["sections"] if s["id"] == "inventory")["data"]["reader_notes"]
    assert sum(n.startswith("Demo data:") for n in notes) >= 5
    assert "Apache-2.0" in html and "MIT" in html
    assert "class=\"question\"" in html
    assert str(Path(tmp_path / "assay-demo.html")) in proc.stdout.replace("\n", "")


def test_report_and_gate_from_the_store(tmp_path, table_file):
    store = tmp_path / "s.duckdb"
    runner = CliRunner()
    r = runner.invoke(main, ["ingest", str(table_file), "--store", str(store)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        main,
        [
            "report",
            "--store",
            str(store),
            "-o",
            str(tmp_path / "r.html"),
            "--json",
            str(tmp_path / "r.json"),
            "--resamples",
            "300",
        ],
    )
    assert r.exit_code == 0, r.output
    from_store = json.loads((tmp_path / "r.json").read_text())
    r = runner.invoke(
        main,
        [
            "report",
            str(table_file),
            "-o",
            str(tmp_path / "f.html"),
            "--json",
            str(tmp_path / "f.json"),
            "--resamples",
            "300",
        ],
    )
    from_file = json.loads((tmp_path / "f.json").read_text())
    board = [s for s in from_store["sections"] if s["id"] == "leaderboard"]
    assert board == [s for s in from_file["sections"] if s["id"] == "leaderboard"]
    g = runner.invoke(
        main,
        [
            "gate",
            "--store",
            str(store),
            "--baseline",
            "base",
            "--candidate",
            "dpo",
            "--margin",
            "1",
        ],
    )
    assert g.exit_code == 0, g.output
    missing = runner.invoke(main, ["report", "--store", str(tmp_path / "nope.duckdb")])
    assert missing.exit_code == 2 and "no results store here" in missing.output


def test_plain_table_naming_options(tmp_path):
    # A wide CSV (a column per model) without task or metric columns, named from the command line.
    csv = tmp_path / "wide.csv"
    csv.write_text("item,m1,m2\n" + "".join(f"q{i},{i % 2},{(i // 2) % 2}\n" for i in range(40)))
    r = CliRunner().invoke(
        main, ["show", str(csv), "--wide", "--as-task", "quiz", "--as-metric", "acc", "--json"]
    )
    assert r.exit_code == 0, r.output
    groups = json.loads(r.stdout)["groups"]
    assert {(g["model"], g["task"], g["metric"]) for g in groups} == {
        ("m1", "quiz", "acc"),
        ("m2", "quiz", "acc"),
    }
    assert all(g["items"] == 40 and g["mean_score"] == 0.5 for g in groups)


def test_report_with_a_corpus_flags_the_leaked_item(tmp_path):
    # Items with long questions; the training corpus holds item q3's question verbatim.
    from assay.io import ResponseBuilder

    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()
    b = ResponseBuilder()
    for model, shift in (("m1", 0), ("m2", 1)):
        for i in range(12):
            question = " ".join(f"{w}{i}" for w in words)
            b.add(
                model=model,
                task="t",
                item=f"q{i}",
                metric="acc",
                score=float((i + shift) % 2),
                run_id=model,
                input=question,
                target=f"answer {i}",
            )
    results = tmp_path / "results.parquet"
    pq.write_table(b.to_table(), results)
    corpus = tmp_path / "corpus.jsonl"
    leaked = " ".join(f"{w}3" for w in words)
    corpus.write_text(
        json.dumps({"text": f"some preamble. {leaked}. and more"})
        + "\n"
        + json.dumps({"text": "an unrelated document about nothing in particular"})
        + "\n"
    )
    out = tmp_path / "r.json"
    r = CliRunner().invoke(
        main,
        [
            "report",
            str(results),
            "--corpus",
            str(corpus),
            "-o",
            str(tmp_path / "r.html"),
            "--json",
            str(out),
            "--resamples",
            "200",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["settings"]["corpus"] == [str(corpus)]
    section = next(s for s in data["sections"] if s["id"] == "contamination")
    assert section["status"] == "present", section["reason"]
    assert section["data"]["n_flagged"] == 1
    assert [it["item"] for it in section["data"]["items"]] == ["q3"]


def test_demo_exports_its_data_for_the_other_commands(tmp_path):
    out = tmp_path / "mmlu.parquet"
    r = CliRunner().invoke(main, ["demo", "--export-data", str(out)])
    assert r.exit_code == 0, r.output
    assert pq.read_metadata(out).num_rows == 347215  # the source CSV's row count
    r = CliRunner().invoke(main, ["leaderboard", str(out), "--missing", "intersect", "--json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["result"]["entries"]) == 29
