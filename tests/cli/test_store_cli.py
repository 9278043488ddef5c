"""`assay ingest`, `runs`, `rm` and `show`, through click's CliRunner and the real console script."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.store import Store

DATA = Path(__file__).resolve().parents[1] / "data"
ASDIV = DATA / "logs" / "lm_eval" / "llama3-8b-instruct_asdiv"
NEGOTIATION = DATA / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"
DOC = Path(__file__).resolve().parents[2] / "docs" / "show-json.md"


@pytest.fixture
def logs(tmp_path):
    dest = tmp_path / "logs"
    shutil.copytree(ASDIV, dest / "asdiv")
    shutil.copytree(NEGOTIATION, dest / "negotiationtom")
    return dest


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "store" / "results.duckdb")


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_help_lists_the_store_commands():
    out = run("--help").output
    for name in ("ingest", "runs", "rm", "show"):
        assert re.search(rf"^\s+{name}\s", out, re.MULTILINE), name


def test_ingest_prints_what_it_added_then_skips(logs, store):
    first = run("ingest", logs / "asdiv", "--store", store)
    assert first.exit_code == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].split("\t") == ["status", "run_id", "model", "task", "responses", "detail"]
    added = lines[1].split("\t")
    assert added[0] == "added" and added[1].startswith("lm_eval-") and added[4] == "50"
    assert added[2:4] == ["meta-llama/Meta-Llama-3-8B-Instruct", "asdiv"]
    assert lines[-1] == f"added 1 run(s), 50 responses ({store})"
    second = run("ingest", logs / "asdiv", "--store", store)
    assert second.exit_code == 0
    assert second.stdout.splitlines()[1].startswith("skipped\t")
    assert "already in the store as run lm_eval-" in second.stdout
    assert "skipped 1 already in the store" in second.stdout.splitlines()[-1]


def test_ingest_notes_go_to_stderr(logs, store):
    result = run("ingest", logs / "negotiationtom", "--store", store)
    assert result.exit_code == 0
    # negotiationtom_intention's micro_f1/macro_f1 are corpus-level: the reader says so
    assert "note: " in result.stderr and "micro_f1" in result.stderr
    assert "note:" not in result.stdout


def test_store_from_environment(logs, store):
    result = run("ingest", logs / "asdiv", env={"ASSAY_STORE": store})
    assert result.exit_code == 0 and Path(store).exists()
    listed = run("runs", "--json", env={"ASSAY_STORE": store})
    assert json.loads(listed.stdout)["store"] == store


def test_ingest_a_plain_table_with_a_column_map(tmp_path, store):
    table = tmp_path / "scores.csv"
    table.write_text("system,question_id,correct\nA,1,1\nA,2,0\nB,1,1\nB,2,1\n")
    result = run("ingest", table, "--store", store, "--map", "model=system,item=question_id")
    assert result.exit_code == 0, result.stderr
    runs = json.loads(run("runs", "--store", store, "--json").stdout)["runs"]
    assert sorted(r["model"] for r in runs) == ["A", "B"]
    assert {r["items"] for r in runs} == {2}
    assert {r["source"] for r in runs} == {str(table)}


def test_ingest_on_duplicate(tmp_path, store):
    (tmp_path / "a.csv").write_text("model,item,score\nA,1,1\n")
    (tmp_path / "b.csv").write_text("model,item,score,task\nA,1,0,a\n")
    assert run("ingest", tmp_path / "a.csv", "--store", store).exit_code == 0
    clash = run("ingest", tmp_path / "b.csv", "--store", store)
    assert clash.exit_code == 2
    assert clash.stderr.startswith("error: 1 response(s) are already in the store")
    assert str(tmp_path / "a.csv") in clash.stderr and str(tmp_path / "b.csv") in clash.stderr
    last = run("ingest", tmp_path / "b.csv", "--store", store, "--on-duplicate", "last")
    assert last.exit_code == 0
    show = json.loads(run("show", "--store", store, "--json").stdout)
    assert [(g["model"], g["mean_score"]) for g in show["groups"]] == [("A", 0.0)]


def test_errors_are_one_line_and_exit_2(tmp_path, store):
    cases = [
        (["ingest", tmp_path / "nowhere", "--store", store], "no such file or folder"),
        (["runs", "--store", store], "no results store here; add results first"),
        (
            ["ingest", tmp_path, "--store", store, "--map", "model"],
            "`--map` entries must look like",
        ),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.output


def test_runs_lists_runs(logs, store):
    run("ingest", logs, "--store", store)
    out = run("runs", "--store", store).stdout.splitlines()
    header = out[0].split("\t")
    assert header == [
        "run_id",
        "model",
        "task",
        "items",
        "samples",
        "metrics",
        "aggregates",
        "harness",
        "created",
        "source",
    ]
    rows = [dict(zip(header, line.split("\t"))) for line in out[1:]]
    # asdiv + the three negotiationtom subtasks + the group's run of lm-eval's aggregates only
    assert len(rows) == 5
    group = next(r for r in rows if r["task"] == "negotiationtom")
    assert (group["items"], group["aggregates"]) == ("0", "4")
    asdiv = next(r for r in rows if r["task"] == "asdiv")
    assert (asdiv["items"], asdiv["samples"], asdiv["metrics"], asdiv["harness"]) == (
        "50",
        "1",
        "acc,none",
        "lm_eval",
    )
    assert asdiv["created"] == "2024-08-21T03:43:56.101268+00:00"
    data = json.loads(run("runs", "--store", store, "--json").stdout)
    assert len(data["runs"]) == 5
    assert set(data["runs"][0]) == {
        "run_id",
        "model",
        "task",
        "task_group",
        "harness",
        "harness_version",
        "created",
        "source",
        "sha256",
        "items",
        "samples",
        "metrics",
        "responses",
        "aggregates",
    }


def test_runs_on_an_empty_store(store):
    Store(store)
    assert run("runs", "--store", store).stdout == f"no runs in the store {store}\n"


def test_rm(logs, store):
    run("ingest", logs / "asdiv", "--store", store)
    (run_id,) = Store(store).runs().column("run_id").to_pylist()
    result = run("rm", run_id, "--store", store)
    assert result.stdout == f"removed run {run_id} (50 responses) from {store}\n"
    again = run("rm", run_id, "--store", store)
    assert again.exit_code == 2 and f"no run '{run_id}' in the store" in again.stderr


def _documented_fields():
    """Field names of the tables under '## Top level' and '## Each group' in docs/show-json.md."""
    text = DOC.read_text()
    sections = {}
    for title in ("Top level", "Each group"):
        body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
        sections[title] = set(re.findall(r"^\| `([a-z_]+)` \|", body, re.MULTILINE))
    return sections


def test_show_json_has_exactly_the_documented_fields(logs, store):
    fields = _documented_fields()
    from_files = json.loads(run("show", logs, "--json").stdout)
    run("ingest", logs, "--store", store)
    from_store = json.loads(run("show", "--store", store, "--json").stdout)
    for doc in (from_files, from_store):
        assert set(doc) == fields["Top level"]
        assert doc["format"] == "assay.show" and doc["version"] == 1
        for group in doc["groups"]:
            assert set(group) == fields["Each group"]
    assert from_files["groups"] == from_store["groups"]
    assert from_files["source"] == {"kind": "files", "paths": [str(logs)]}
    assert from_store["source"] == {"kind": "store", "path": store}
    assert from_store["notes"] == [] and any("micro_f1" in n for n in from_files["notes"])


def test_show_facts_checked_against_the_files(logs):
    groups = json.loads(run("show", logs / "asdiv", "--json").stdout)["groups"]
    # the samples file has 50 rows; 46 have "acc": 1 and 4 "acc": 0 (counted with
    # `grep -o '"acc": [0-9.]*' samples_asdiv_*.jsonl | sort | uniq -c`), so the mean is 46 / 50
    assert groups == [
        {
            "kind": "per-item",
            "model": "meta-llama/Meta-Llama-3-8B-Instruct",
            "task": "asdiv",
            "metric": "acc,none",
            "items": 50,
            "scored_items": 50,
            "samples": 1,
            "responses": 50,
            "missing_scores": 0,
            "mean_score": 46 / 50,
        }
    ]


def test_show_json_is_byte_identical(logs):
    assert run("show", logs, "--json").stdout == run("show", logs, "--json").stdout


def test_show_table_and_errors(logs, store):
    out = run("show", logs / "asdiv").stdout.splitlines()
    assert out[0].split("\t") == [
        "model",
        "task",
        "metric",
        "items",
        "samples",
        "responses",
        "missing_scores",
        "mean_score",
    ]
    assert out[1].split("\t")[-1] == "0.9200"
    both = run("show", logs, "--store", store)
    assert both.exit_code == 2 and "give PATHS or --store, not both" in both.stderr
    Store(store)
    mapped = run("show", "--store", store, "--map", "item=id")
    assert mapped.exit_code == 2
    assert "--map apply only when reading PATHS, not the store" in mapped.stderr
    assert run("show", "--store", store).stdout == "no responses\n"


def test_console_script_in_a_real_process(logs, tmp_path):
    script = Path(sys.executable).with_name("assay")
    assert script.exists(), "the package is not installed with its console script"
    cwd = tmp_path / "project"
    cwd.mkdir()
    env = {"PATH": str(script.parent), "HOME": str(tmp_path)}
    ingest = subprocess.run(
        [str(script), "ingest", str(logs / "asdiv")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ingest.returncode == 0, ingest.stderr
    default = cwd / ".assay" / "results.duckdb"
    assert f"added 1 run(s), 50 responses ({default})" in ingest.stdout
    shown = subprocess.run(
        [str(script), "show", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(shown.stdout)["groups"][0]["mean_score"] == 46 / 50
    missing = subprocess.run(
        [str(script), "rm", "nope"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: field 'run_id': no run 'nope'")
    assert "Traceback" not in missing.stderr


def _in_a_terminal(args, cwd, tmp_path):
    """Run the console script with stdout and stderr on a real pseudo-terminal; return its text."""
    import os
    import pty  # noqa: F401 - POSIX only, like the store's lock

    script = Path(sys.executable).with_name("assay")
    master, slave = os.openpty()
    env = {"PATH": str(script.parent), "HOME": str(tmp_path), "COLUMNS": "200", "TERM": "xterm"}
    proc = subprocess.Popen([str(script), *args], cwd=cwd, env=env, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed when the process ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_output_is_a_table(logs, tmp_path):
    cwd = tmp_path / "project"
    cwd.mkdir()
    ingested = _in_a_terminal(["ingest", str(logs / "asdiv")], cwd, tmp_path)
    assert "added 1 run(s), 50 responses" in ingested
    shown = _in_a_terminal(["show"], cwd, tmp_path)
    assert "─" in shown and "Meta-Llama-3-8B-Instruct" in shown and "0.9200" in shown
    listed = _in_a_terminal(["runs"], cwd, tmp_path)
    assert "─" in listed and "acc,none" in listed
