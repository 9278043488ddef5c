"""The results store: ingest, idempotency, duplicates, queries and every error message."""

import json
import os
import shutil

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import assay
from assay import AssayError, InputError
from assay.io import RESPONSE_SCHEMA, RUN_SCHEMA, ReadResult, ResponseBuilder, build_matrix
from assay.store import SCHEMA_VERSION, IngestReport, Store, default_store_path, summarize

# -- creating and opening ----------------------------------------------------------------------


def test_new_store_has_empty_tables_and_creates_its_folder(store_path):
    assert not store_path.parent.exists()
    with Store(store_path) as store:
        assert store_path.exists()
        assert store.runs().schema == RUN_SCHEMA
        assert store.responses().schema == RESPONSE_SCHEMA
        assert store.responses().num_rows == 0
    con = duckdb.connect(str(store_path), read_only=True)
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    con.close()


def test_assay_store_is_the_same_class():
    assert assay.Store is Store


def test_default_path_is_env_or_dot_assay(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSAY_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_store_path() == str(tmp_path / ".assay" / "results.duckdb")
    assert Store().path == str(tmp_path / ".assay" / "results.duckdb")
    monkeypatch.setenv("ASSAY_STORE", str(tmp_path / "elsewhere.duckdb"))
    assert Store().path == str(tmp_path / "elsewhere.duckdb")


def test_bad_timeout_is_refused(store_path):
    for bad in (-1, "10", True, float("nan")):
        with pytest.raises(InputError, match=r"`timeout` must be a number of seconds >= 0"):
            Store(store_path, timeout=bad)


def test_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder; the store is a file"):
        Store(tmp_path)


def test_missing_store_without_create(store_path):
    with pytest.raises(InputError, match="no results store here; add results first"):
        Store(store_path, create=False)
    assert not store_path.exists()


def test_file_that_is_not_duckdb(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database " * 200)
    with pytest.raises(InputError, match=r"notes.duckdb: cannot open the results store"):
        Store(path)


def test_duckdb_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    with pytest.raises(InputError, match=r"not an assay results store \(it has tables sales\)"):
        Store(path)


def test_store_from_a_newer_assay_is_refused(store_path):
    Store(store_path)
    con = duckdb.connect(str(store_path))
    con.execute("INSERT INTO schema_version VALUES (?, 'assay 99')", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(
        AssayError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this assay .* upgrade"
    ):
        Store(store_path)


def test_store_without_a_schema_version_is_refused(store_path):
    Store(store_path)
    con = duckdb.connect(str(store_path))
    con.execute("DELETE FROM schema_version")
    con.close()
    with pytest.raises(InputError, match=r"empty schema_version table; it is damaged"):
        Store(store_path)


def test_store_missing_a_table_is_refused(store_path):
    Store(store_path)
    con = duckdb.connect(str(store_path))
    con.execute("DROP TABLE runs")
    con.close()
    with pytest.raises(InputError, match=r"lacks its table\(s\) runs"):
        Store(store_path)


def test_closed_store_refuses_work(store_path):
    store = Store(store_path)
    store.close()
    assert "closed" in repr(store)
    with pytest.raises(AssayError, match="is closed"):
        store.runs()


# -- adding ---------------------------------------------------------------------------------------


def test_add_then_read_back(store_path, make_result):
    result = make_result([("r1", "m1"), ("r2", "m2")], items=3, metrics=("acc", "f1"))
    store = Store(store_path)
    report = store.add(result)
    assert isinstance(report, IngestReport)
    assert [r.run_id for r in report.added] == ["r1", "r2"]
    assert [r.responses for r in report.added] == [6, 6]
    assert report.n_responses == 12 and report.skipped == ()
    assert str(report).startswith("added 2 run(s), 12 responses")
    assert json.loads(json.dumps(report.to_dict()))["added"][0]["models"] == ["m1"]
    back = store.responses()
    assert back.num_rows == 12
    # deterministic order: model, task, item, sample, metric, run
    rows = [(r["model"], r["item"], r["metric"]) for r in back.to_pylist()]
    assert rows == sorted(rows)
    runs = store.runs()
    assert runs.column("run_id").to_pylist() == ["r1", "r2"]
    assert runs.column("sha256").to_pylist() == ["sha-r1", "sha-r2"]


def test_same_content_is_skipped_and_said_so(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")]))
    report = store.add(make_result([("r1", "m1")]))
    assert report.added == ()
    assert [r.run_id for r in report.skipped] == ["r1"]
    assert (
        "already in the store as run r1 (same content, sha256 sha-r1)" in report.skipped[0].reason
    )
    assert "skipped 1 already in the store" in str(report)
    assert store.responses().num_rows == 4


def test_progress_reports_each_run(store_path, make_result):
    messages = []
    store = Store(store_path)
    store.add(make_result([("r1", "m1"), ("r2", "m2")]), progress=messages.append)
    store.add(make_result([("r1", "m1")]), progress=messages.append)
    assert messages == [
        "added r1: 4 responses",
        "added r2: 4 responses",
        "skipped r1: already in the store",
    ]


def test_duplicates_from_another_source_raise_naming_both(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], source_dir="/a"))
    clash = make_result([("r2", "m1"), ("r3", "m9")], source_dir="/b")
    with pytest.raises(InputError, match=r"4 response\(s\) are already in the store") as err:
        store.add(clash)
    message = str(err.value)
    assert "/b/r2.jsonl (run r2)" in message and "/a/r1.jsonl (run r1)" in message
    assert "model='m1', task='t', item='q0', sample=0, metric='acc'" in message
    assert "Nothing was written" in message and "on_duplicate='first'" in message
    assert store.runs().column("run_id").to_pylist() == ["r1"]  # r3 was not written either


def test_duplicates_first_keeps_the_stored_responses(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], items=3, score=lambda k, i, s: 1.0, source_dir="/a"))
    new = make_result([("r2", "m1")], items=5, score=lambda k, i, s: 0.0, source_dir="/b")
    report = store.add(new, on_duplicate="first")
    assert report.added[0].responses == 2  # q3, q4
    assert any("3 response(s) already in the store" in n for n in report.notes)
    scores = {r["item"]: (r["score"], r["run_id"]) for r in store.responses().to_pylist()}
    assert scores == {
        "q0": (1.0, "r1"),
        "q1": (1.0, "r1"),
        "q2": (1.0, "r1"),
        "q3": (0.0, "r2"),
        "q4": (0.0, "r2"),
    }


def test_duplicates_last_replaces_the_stored_responses(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], items=3, score=lambda k, i, s: 1.0, source_dir="/a"))
    new = make_result([("r2", "m1")], items=2, score=lambda k, i, s: 0.0, source_dir="/b")
    report = store.add(new, on_duplicate="last")
    assert report.added[0].responses == 2
    assert any(
        "replaced responses already in the store from other sources (2 of run r1)" in n
        for n in report.notes
    )
    scores = {r["item"]: (r["score"], r["run_id"]) for r in store.responses().to_pylist()}
    assert scores == {"q0": (0.0, "r2"), "q1": (0.0, "r2"), "q2": (1.0, "r1")}


def test_duplicates_within_the_input_follow_on_duplicate(store_path, make_result):
    one = make_result([("r1", "m1")], source_dir="/a")
    two = make_result([("r2", "m1")], source_dir="/b")
    both = ReadResult(
        pa.concat_tables([one.responses, two.responses]), pa.concat_tables([one.runs, two.runs])
    )
    store = Store(store_path)
    with pytest.raises(InputError, match=r"duplicate response\(s\).*/a/r1.jsonl and /b/r2.jsonl"):
        store.add(both)
    report = store.add(both, on_duplicate="first")
    assert [r.responses for r in report.added] == [4, 0]
    assert any("duplicate response(s) resolved by keeping the first" in n for n in report.notes)


def test_same_run_id_with_other_content_is_a_conflict(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], source_dir="/a"))
    other = make_result([("r1", "m2")], source_dir="/b")
    with pytest.raises(
        InputError,
        match=r"run id 'r1' is already in the store, read from /a/r1.jsonl"
        r" with different content; remove it first \(assay rm r1\)",
    ):
        store.add(other)


def test_add_refuses_what_is_not_a_read_result(store_path):
    with pytest.raises(InputError, match=r"`result` must be an assay.io.ReadResult; got dict"):
        Store(store_path).add({})


def test_add_refuses_invalid_on_duplicate(store_path, make_result):
    with pytest.raises(InputError, match=r"`on_duplicate` must be one of 'raise', 'first', 'last'"):
        Store(store_path).add(make_result([("r1", "m1")]), on_duplicate="newest")


def test_add_refuses_tables_without_required_columns(store_path, make_result):
    result = make_result([("r1", "m1")])
    broken = ReadResult(result.responses.drop_columns(["score"]), result.runs)
    with pytest.raises(
        InputError, match=r"field 'score': the responses table lacks column\(s\) score"
    ):
        Store(store_path).add(broken)


def test_add_refuses_null_keys(store_path, make_result):
    result = make_result([("r1", "m1")])
    items = pa.array([None, "q1", "q2", "q3"], pa.string())
    broken = ReadResult(
        result.responses.set_column(2, pa.field("item", pa.string()), items), result.runs
    )
    with pytest.raises(InputError, match=r"field 'item': the responses table has empty values"):
        Store(store_path).add(broken)


def test_add_refuses_wrong_types(store_path, make_result):
    result = make_result([("r1", "m1")])
    idx = result.responses.schema.get_field_index("score")
    broken = ReadResult(
        result.responses.set_column(idx, "score", pa.array(["high"] * 4, pa.string())), result.runs
    )
    with pytest.raises(InputError, match="does not have the expected types"):
        Store(store_path).add(broken)


def test_add_refuses_responses_of_unknown_runs(store_path, make_result):
    result = make_result([("r1", "m1"), ("r2", "m2")])
    broken = ReadResult(result.responses, result.runs.slice(0, 1))
    with pytest.raises(
        InputError, match=r"field 'run_id': responses name run\(s\) r2 that the runs"
    ):
        Store(store_path).add(broken)


def test_add_refuses_a_run_with_two_sources(store_path, make_result):
    result = make_result([("r1", "m1")])
    runs = pa.concat_tables(
        [
            result.runs,
            result.runs.set_column(
                RUN_SCHEMA.get_field_index("source"), RUN_SCHEMA.field("source"), pa.array(["/x"])
            ),
        ]
    )
    with pytest.raises(InputError, match=r"run 'r1' has several sources or hashes"):
        Store(store_path).add(ReadResult(result.responses, runs))


def test_run_without_responses_is_recorded(store_path, make_result):
    result = make_result([("r1", "m1")])
    empty = ReadResult(result.responses.slice(0, 0), result.runs)
    report = Store(store_path).add(empty)
    assert report.added[0].responses == 0
    assert Store(store_path).run_summary().to_pylist()[0]["responses"] == 0


# -- ingesting files --------------------------------------------------------------------------------


def test_ingest_real_lm_eval_log(store_path, asdiv):
    store = Store(store_path)
    expected = assay.read(asdiv)
    report = store.ingest([asdiv])
    # facts of the file: 50 asdiv docs of Meta-Llama-3-8B-Instruct, metric acc (filter none)
    assert report.n_responses == 50 == expected.responses.num_rows
    summary = store.run_summary().to_pylist()
    assert len(summary) == 1
    assert summary[0]["model"] == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert summary[0]["items"] == 50 and summary[0]["metrics"] == ["acc,none"]
    assert summary[0]["source"] == str(asdiv / "results_2024-08-21T03-44-09.494230.json")
    sort = [("item", "ascending"), ("metric", "ascending")]
    assert store.responses().equals(expected.responses.sort_by(sort))


def test_ingest_twice_skips_and_a_copy_elsewhere_is_skipped_too(store_path, asdiv, tmp_path):
    store = Store(store_path)
    store.ingest(asdiv)
    again = store.ingest(asdiv)
    assert again.added == () and len(again.skipped) == 1
    copy = tmp_path / "copy"
    shutil.copytree(asdiv, copy)
    third = store.ingest(copy)
    assert third.added == ()
    assert f"read from {asdiv}" in third.skipped[0].reason
    assert store.responses().num_rows == 50


def test_changed_file_replaces_its_old_run(store_path, asdiv):
    store = Store(store_path)
    old = store.ingest(asdiv).added[0].run_id
    samples = next(asdiv.glob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()[:30]  # the file now holds 30 of the 50 docs
    samples.write_text("\n".join(lines) + "\n")
    report = store.ingest(asdiv)
    assert report.replaced == (old,)
    assert "replaces " + old in report.added[0].reason
    assert store.runs().column("run_id").to_pylist() == [report.added[0].run_id]
    assert store.responses().num_rows == 30


def test_same_run_from_another_file_is_a_duplicate(store_path, asdiv, tmp_path):
    store = Store(store_path)
    store.ingest(asdiv)
    other = tmp_path / "rerun"
    shutil.copytree(asdiv, other)
    results = next(other.glob("results_*.json"))
    results.write_text(results.read_text() + "\n")  # new content, same responses
    with pytest.raises(InputError, match=r"50 response\(s\) are already in the store from another"):
        store.ingest(other)
    assert store.ingest(other, on_duplicate="last").n_responses == 50
    assert store.responses().num_rows == 50


def test_ingest_passes_read_options(store_path, asdiv):
    report = Store(store_path).ingest(asdiv, model="my-model")
    assert report.added[0].models == ("my-model",)


def test_ingest_refuses_unknown_read_options(store_path, asdiv):
    with pytest.raises(InputError, match=r"unknown read option\(s\) colour; valid: format, model"):
        Store(store_path).ingest(asdiv, colour="red")


def test_ingest_of_missing_path(store_path, tmp_path):
    with pytest.raises(InputError, match="nowhere: no such file or folder"):
        Store(store_path).ingest(tmp_path / "nowhere")


# -- queries ----------------------------------------------------------------------------------------


def test_responses_filters(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1"), ("r2", "m2")]))
    store.add(make_result([("r3", "m1")], task="u"))
    assert set(store.responses(models="m1").column("run_id").to_pylist()) == {"r1", "r3"}
    assert set(store.responses(models=["m1"], tasks=["u"]).column("run_id").to_pylist()) == {"r3"}
    assert store.responses(tasks=[]).num_rows == 0
    with pytest.raises(InputError, match=r"`models` must be a string or a list of strings; got 3"):
        store.responses(models=3)
    with pytest.raises(InputError, match=r"`tasks` must hold strings; got 1"):
        store.responses(tasks=["t", 1])


def test_matrix_matches_build_matrix(store_path, make_result):
    result = make_result([("r1", "m1"), ("r2", "m2")], items=5, samples=2)
    store = Store(store_path)
    store.add(result)
    got = store.matrix("t", "acc")
    want = build_matrix(result.responses, "t", "acc")
    assert got.models == want.models == ("m1", "m2")
    assert got.items == want.items
    np.testing.assert_array_equal(got.values, want.values)
    assert got.values[1, 0, 1] == 0.0  # m2 (k=1), q0, sample 1: (0 + 1 + 1) % 2
    assert store.matrix().values.shape == (2, 5, 2)  # one task and metric: no need to name them


def test_matrix_errors(store_path, make_result):
    store = Store(store_path)
    with pytest.raises(InputError, match="the store holds no responses"):
        store.matrix()
    store.add(make_result([("r1", "m1")], metrics=("acc", "f1")))
    store.add(make_result([("r2", "m1")], task="u"))
    with pytest.raises(InputError, match="field 'task': several tasks; choose one of: t, u"):
        store.matrix()
    with pytest.raises(
        InputError, match="field 'task': task 'v' not in the store; available: t, u"
    ):
        store.matrix("v", "acc")
    with pytest.raises(InputError, match="several metrics of task 't'; choose one of: acc, f1"):
        store.matrix("t")
    with pytest.raises(InputError, match="metric 'bleu' not in the store of task 't'"):
        store.matrix("t", "bleu")
    with pytest.raises(InputError, match="`align` must be one of"):
        store.matrix("t", "acc", align="drop")


def test_matrix_missing_policy(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], items=4))
    store.add(make_result([("r2", "m2")], items=3))
    with pytest.raises(InputError, match=r"m2 lacks 1 of 4 items \(e.g. q3\)"):
        store.matrix("t", "acc")
    with pytest.warns(UserWarning, match="m2 lacks 1 of 4 items"):
        m = store.matrix("t", "acc", align="intersect")
    assert m.items == ("q0", "q1", "q2")
    with pytest.warns(UserWarning):
        assert np.isnan(store.matrix("t", "acc", align="keep").values[1, 3, 0])


def test_remove(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("run-a", "m1"), ("run-b", "m2")]))
    assert store.remove("run-a") == 4
    assert store.runs().column("run_id").to_pylist() == ["run-b"]
    assert set(store.responses().column("run_id").to_pylist()) == {"run-b"}
    with pytest.raises(
        InputError, match=r"field 'run_id': no run 'run-c' in the store .*; closest: run-b"
    ):
        store.remove("run-c")
    store.remove("run-b")
    with pytest.raises(InputError, match=r"no run 'run-b' .*; the store has no runs"):
        store.remove("run-b")
    with pytest.raises(InputError, match=r"`run_id` must be a string; got 3"):
        store.remove(3)


def test_run_summary_counts(store_path, make_result):
    store = Store(store_path)
    store.add(make_result([("r1", "m1")], items=3, samples=2, metrics=("b", "a")))
    (row,) = store.run_summary().to_pylist()
    assert (row["items"], row["samples"], row["metrics"], row["responses"]) == (
        3,
        2,
        ["a", "b"],
        12,
    )


# -- summaries ---------------------------------------------------------------------------------------


def _summary_input():
    b = ResponseBuilder()
    rows = [  # (item, sample, score)
        ("q0", 0, 1.0),
        ("q0", 1, 0.0),  # item mean 0.5
        ("q1", 0, 1.0),
        ("q1", 1, float("nan")),  # item mean 1.0; one missing score
        ("q2", 0, None),
        ("q2", 1, None),  # no score at all: not in the mean
        ("q3", 0, 0.0),  # one sample only: item mean 0
    ]
    for item, sample, score in rows:
        b.add(model="m", task="t", item=item, sample=sample, metric="acc", score=score, run_id="r")
    b.add(model="a", task="t", item="q0", metric="acc", score=0.25, run_id="r")
    return b.to_table()


def test_summarize_by_hand():
    (a, m) = summarize(_summary_input()).to_pylist()
    assert a == {
        "model": "a",
        "task": "t",
        "metric": "acc",
        "items": 1,
        "scored_items": 1,
        "samples": 1,
        "responses": 1,
        "missing_scores": 0,
        "mean_score": 0.25,
    }
    # by hand: items q0..q3; scored q0, q1, q3; mean of item means (0.5 + 1.0 + 0.0) / 3
    assert m == {
        "model": "m",
        "task": "t",
        "metric": "acc",
        "items": 4,
        "scored_items": 3,
        "samples": 2,
        "responses": 7,
        "missing_scores": 3,
        "mean_score": 0.5,
    }


def test_summarize_matches_pandas_and_the_store(store_path, make_result):
    # outside reference: pandas groupby (mean over samples per item, then over items)
    result = make_result(
        [("r1", "m1"), ("r2", "m2")],
        items=7,
        samples=3,
        metrics=("x", "y"),
        score=lambda k, i, s: ((k + 1) * (i + 2) * (s + 3)) % 5 / 4,
    )
    df = result.responses.to_pandas()
    ref = (
        df.groupby(["model", "task", "metric", "item"])
        .score.mean()
        .groupby(["model", "task", "metric"])
        .mean()
    )
    got = summarize(result.responses).to_pandas().set_index(["model", "task", "metric"])
    pd.testing.assert_series_equal(got.mean_score, ref, check_names=False)
    store = Store(store_path)
    store.add(result)
    assert store.summary().equals(summarize(result.responses))


def test_summarize_empty_and_bad_input():
    assert summarize(RESPONSE_SCHEMA.empty_table()).num_rows == 0
    with pytest.raises(InputError, match=r"field 'score': `responses` lacks column\(s\) score"):
        summarize(RESPONSE_SCHEMA.empty_table().drop_columns(["score"]))


def test_summary_is_deterministic(store_path, make_result):
    result = make_result(
        [(f"r{k}", f"m{k}") for k in range(3)],
        items=500,
        samples=2,
        score=lambda k, i, s: ((i * 7919 + s * 31 + k) % 997) / 997,
    )
    store = Store(store_path)
    store.add(result)
    first = store.summary()
    assert all(store.summary().equals(first) for _ in range(3))


def test_relative_source_is_stored_absolute(store_path, make_result, tmp_path, monkeypatch):
    (tmp_path / "results.jsonl").write_text("{}")
    monkeypatch.chdir(tmp_path)
    result = make_result([("r1", "m1")], source_dir=".")
    runs = result.runs.set_column(
        RUN_SCHEMA.get_field_index("source"),
        RUN_SCHEMA.field("source"),
        pa.array(["results.jsonl"]),
    )
    Store(store_path).add(ReadResult(result.responses, runs))
    assert Store(store_path).runs().column("source").to_pylist() == [
        os.path.join(str(tmp_path), "results.jsonl")
    ]


def test_lock_file_that_cannot_be_made(tmp_path):
    path = tmp_path / "s.duckdb"
    (tmp_path / "s.duckdb.lock").mkdir()  # a folder where the lock file should be
    with pytest.raises(InputError, match=r"s.duckdb: cannot create the store's lock file"):
        Store(path)
