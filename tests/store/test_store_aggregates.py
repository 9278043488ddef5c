"""The store's aggregates table (issue 15): ingest, query, removal with the run, migration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import assay
from assay.io import AGGREGATE_SCHEMA
from assay.store import SCHEMA_VERSION, Store

DATA = Path(__file__).resolve().parents[1] / "data"
P160 = DATA / "pythia" / "pythia-160m" / "zero-shot"
NEGO = DATA / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"


def _sorted(table: pa.Table) -> list[dict]:
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: (r["run_id"], r["task"], r["metric"]))


@pytest.fixture
def pythia(tmp_path: Path) -> Path:
    out = tmp_path / "pythia"
    out.mkdir()
    for step in (0, 1000, 143000):
        shutil.copy(P160 / f"160m_step{step}.json", out)
    return out


def test_ingest_and_query_aggregates(tmp_path: Path, pythia: Path):
    store = Store(tmp_path / "s.duckdb")
    read = assay.read([pythia, NEGO])
    report = store.ingest([pythia, NEGO])
    assert len(report.added) == len(set(read.runs["run_id"].to_pylist())) == 3 + 4
    got = store.aggregates()
    assert got.schema.equals(AGGREGATE_SCHEMA)
    expected = read.aggregates.set_column(
        read.aggregates.schema.get_field_index("source"),
        "source",
        pa.array([str(Path(s).resolve()) for s in read.aggregates["source"].to_pylist()]),
    )
    assert _sorted(got) == _sorted(expected)
    only = store.aggregates(models="Qwen/Qwen3-8B", tasks=["negotiationtom_intention"])
    assert set(only["task"].to_pylist()) == {"negotiationtom_intention"}
    assert store.read_result().aggregates.num_rows == got.num_rows
    # ingesting again adds nothing
    again = store.ingest([pythia])
    assert not again.added and store.aggregates().num_rows == got.num_rows


def test_remove_a_run_removes_its_aggregates(tmp_path: Path, pythia: Path):
    store = Store(tmp_path / "s.duckdb")
    store.ingest(pythia)
    run_id = store.aggregates(tasks="arc_easy")["run_id"][0].as_py()
    before = store.aggregates().num_rows
    n_rows = sum(r == run_id for r in store.aggregates()["run_id"].to_pylist())
    assert n_rows == before // 3  # one run per results file (3 files), all its tasks
    assert store.remove(run_id) == 0  # no responses: a results file without samples
    after = store.aggregates()
    assert run_id not in after["run_id"].to_pylist()
    assert after.num_rows == before - n_rows
    assert run_id not in store.runs()["run_id"].to_pylist()


def test_changed_file_replaces_its_aggregates(tmp_path: Path, pythia: Path):
    store = Store(tmp_path / "s.duckdb")
    path = pythia / "160m_step0.json"
    store.ingest(path)
    data = assay.read(path).aggregates.num_rows
    d = json.loads(path.read_text())
    d["results"]["sciq"]["acc"] = 0.5
    path.write_text(json.dumps(d))
    report = store.ingest(path)
    assert report.replaced
    rows = store.aggregates(tasks="sciq").to_pylist()
    assert [r["value"] for r in rows if r["metric"] == "acc"] == [0.5]
    assert store.aggregates().num_rows == data


def test_corpus_items_are_stored_and_removed_with_their_run(tmp_path: Path):
    # the real negotiationtom run with an lm-eval "mcc" metric added to the desire samples
    out = tmp_path / "nego"
    shutil.copytree(NEGO, out)
    task, date = "negotiationtom_desire", "2026-07-08T18-15-33.115417"
    samples = out / f"samples_{task}_{date}.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    for row in rows:
        row["mcc"] = [int(row["target"]), 0]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = out / f"results_{date}.json"
    data = json.loads(results.read_text())
    data["results"][task]["mcc,none"] = 0.0
    data["configs"][task]["metric_list"].append(
        {"metric": "mcc", "aggregation": "matthews_corrcoef"}
    )
    results.write_text(json.dumps(data))
    read = assay.read(results)
    assert read.corpus_items.num_rows == 20
    store = Store(tmp_path / "s.duckdb")
    store.add(read)
    got = store.corpus_items()
    key = lambda r: (r["run_id"], r["metric"], int(r["item"]))  # noqa: E731
    assert sorted(got.to_pylist(), key=key) == sorted(read.corpus_items.to_pylist(), key=key)
    assert store.read_result().corpus_items.num_rows == 20
    store.remove(got["run_id"][0].as_py())
    assert store.corpus_items().num_rows == 0


def test_a_version_1_store_gains_the_aggregates_table(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    store = Store(path)
    store.ingest(DATA / "logs" / "lm_eval" / "llama3-8b-instruct_asdiv")
    n = store.responses().num_rows
    con = duckdb.connect(str(path))  # make it what assay 0.1 (schema 1) wrote
    con.execute("DROP TABLE aggregates")
    con.execute("DROP TABLE corpus_items")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (1, 'assay 0.1.0')")
    con.close()
    store = Store(path)
    assert store.responses().num_rows == n
    assert store.aggregates().num_rows == 0 and store.corpus_items().num_rows == 0
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    con.close()
    store.ingest(P160 / "160m_step0.json")
    assert store.aggregates().num_rows > 0


def test_a_version_2_store_without_the_table_is_damaged(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    Store(path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE aggregates")
    con.close()
    with pytest.raises(assay.InputError, match="lacks its table.*aggregates"):
        Store(path)
