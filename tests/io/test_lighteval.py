"""The lighteval reader on fixtures written by lighteval's own EvaluationTracker.

Fixtures: tests/data/logs/lighteval/ (README.md there; `nested/` by lighteval 0.13.0, `flat/` by
lighteval 0.8.1, both from make_fixtures.py). Expected facts are read off the answer tables in
make_fixtures.py and the files themselves, and the per-task means are checked against the
aggregates lighteval itself wrote into each results JSON.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import assay
from assay import InputError
from assay.io import detect_format
from assay.io._lighteval import claim

DATA = Path(__file__).resolve().parents[1] / "data" / "logs" / "lighteval"
LAYOUTS = {
    # layout: (folder, multiple-choice task, generative task)
    "nested": ("nested", "science_mc|0", "arith_gen|0"),
    "flat": ("flat", "custom|science_mc|0", "custom|arith_gen|0"),
}


def _results(layout: str, model: str) -> Path:
    (path,) = (DATA / LAYOUTS[layout][0] / "results" / "org" / model).glob("results_*.json")
    return path


def _details(layout: str, model: str, task: str) -> Path:
    folder = DATA / LAYOUTS[layout][0] / "details" / "org" / model
    (path,) = folder.glob(f"*/details_{task}_*.parquet")
    return path


def _rows(result, **where):
    t = result.responses
    for k, v in where.items():
        t = t.filter(pc.equal(t.column(k), v))
    return t.to_pylist()


def _copy_tree(layout: str, tmp_path: Path) -> Path:
    dest = tmp_path / layout
    shutil.copytree(DATA / LAYOUTS[layout][0], dest)
    return dest


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_reads_both_models_and_tasks_with_hand_checked_facts(layout):
    _, mc, gen = LAYOUTS[layout]
    r = assay.read(DATA / LAYOUTS[layout][0])
    assert sorted(set(r.responses.column("model").to_pylist())) == ["org/model-a", "org/model-b"]
    assert sorted(set(r.responses.column("task").to_pylist())) == sorted([mc, gen])
    for model in ("org/model-a", "org/model-b"):
        # 5 multiple-choice items scored by "acc", 4 generative items scored by "em".
        mc_rows = _rows(r, model=model, task=mc)
        gen_rows = _rows(r, model=model, task=gen)
        assert sorted(row["item"] for row in mc_rows) == ["0", "1", "2", "3", "4"]
        assert {row["metric"] for row in mc_rows} == {"acc"}
        assert sorted(row["item"] for row in gen_rows) == ["0", "1", "2", "3"]
        assert {row["metric"] for row in gen_rows} == {"em"}
    # model-a, item 2 ("closest planet to the Sun"): log-likelihoods favour " Venus"; gold " Mercury".
    (row,) = _rows(r, model="org/model-a", task=mc, item="2")
    assert row["score"] == 0.0
    assert row["choice_logprobs"] == [-1.2, -2.0, -2.2, -1.9]
    assert row["target"] == " Mercury"
    assert row["input"] == "Question: Which planet is closest to the Sun?\nAnswer:"
    # model-b answers "41" to "What is 7 * 6?" (item 1).
    (row,) = _rows(r, model="org/model-b", task=gen, item="1")
    assert (row["score"], row["prediction"], row["target"]) == (0.0, "41", "42")
    assert r.notes == []


@pytest.mark.parametrize("layout", ["nested", "flat"])
@pytest.mark.parametrize("model", ["model-a", "model-b"])
def test_task_means_equal_lighteval_own_aggregates(layout, model):
    # Reference: the "results" block lighteval's MetricsLogger.aggregate wrote into the results JSON.
    results_path = _results(layout, model)
    aggregates = json.loads(results_path.read_text())["results"]
    r = assay.read(results_path)
    for task in LAYOUTS[layout][1:]:
        for metric in ("acc", "em"):
            if metric not in aggregates[task]:
                continue
            scores = [row["score"] for row in _rows(r, task=task, metric=metric)]
            assert sum(scores) / len(scores) == pytest.approx(aggregates[task][metric])


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_details_file_is_read_through_its_results_file(layout):
    _, mc, gen = LAYOUTS[layout]
    details = _details(layout, "model-a", mc)
    results = _results(layout, "model-a")
    r = assay.read(details)
    # The whole run, both tasks, with every consumed file listed, so read() skips them later.
    assert sorted(set(r.responses.column("task").to_pylist())) == sorted([mc, gen])
    assert r.sources == [str(results), str(_details(layout, "model-a", gen)), str(details)]
    # Reading the results file, or both files at once, gives the same rows once.
    both = assay.read([details, results])
    assert both.responses.num_rows == r.responses.num_rows == 9
    assert assay.read(results).responses.equals(r.responses)


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_run_metadata(layout):
    results = _results(layout, "model-a")
    _, mc, gen = LAYOUTS[layout]
    r = assay.read(results)
    h = hashlib.sha256()
    for f in [results, _details(layout, "model-a", gen), _details(layout, "model-a", mc)]:
        h.update(f.read_bytes())
    runs = r.runs.to_pylist()
    # lighteval's "all" average has a run row too, for its aggregate rows (issue 15)
    assert [run["task"] for run in runs if run["task"] != "all"] == sorted([mc, gen])
    for run in runs:
        assert run["run_id"] == f"lighteval-{h.hexdigest()[:16]}"
        assert run["sha256"] == h.hexdigest()
        assert run["model"] == "org/model-a"
        assert run["harness"] == "lighteval"
        assert run["source"] == str(results)
        # results_2026-11-27T12-48-32.382766.json -> 2026-11-27T12:48:32.382766
        date = results.name[len("results_") : -len(".json")]
        assert run["created"] == date[:13] + ":" + date[14:16] + ":" + date[17:]
        assert json.loads(run["config"])["config_general"]["model_name"] == "org/model-a"
    assert set(r.responses.column("run_id").to_pylist()) == {runs[0]["run_id"]}


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_subject_from_doc_specific(layout):
    _, mc, gen = LAYOUTS[layout]
    r = assay.read(_results(layout, "model-b"), subject_field="subject")
    rows = sorted(_rows(r, task=mc), key=lambda row: row["item"])
    # make_fixtures.py: SUBJECTS = ["biology", "physics", "astronomy", "biology", "biology"]
    assert [row["subject"] for row in rows] == [
        "biology",
        "physics",
        "astronomy",
        "biology",
        "biology",
    ]
    assert {row["subject"] for row in _rows(r, task=gen)} == {None}


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_formats_are_detected_from_content(layout):
    _, mc, _ = LAYOUTS[layout]
    assert detect_format(_results(layout, "model-a")) == "lighteval"
    assert detect_format(_details(layout, "model-a", mc)) == "lighteval"
    assert not claim(DATA / "README.md")
    assert not claim(DATA / LAYOUTS[layout][0])


def test_other_parquet_and_json_are_not_claimed(tmp_path):
    table = pa.table({"model": ["m"], "item": ["1"], "score": [1.0]})
    pq.write_table(table, tmp_path / "scores.parquet")
    (tmp_path / "results_x.json").write_text('{"results": {"arc": {"acc": 0.5}}}')
    assert not claim(tmp_path / "scores.parquet")
    assert not claim(tmp_path / "results_x.json")


def test_item_id_is_doc_id_in_nested_layout(tmp_path):
    # Nested details hold doc.id: reorder the rows and the ids follow the documents.
    src = _details("nested", "model-a", "science_mc|0")
    table = pq.read_table(src)
    reversed_ = table.take(list(range(table.num_rows - 1, -1, -1)))
    dest = tmp_path / "details_science_mc|0_x.parquet"
    pq.write_table(reversed_, dest)
    r = assay.read(dest, model="m")
    (row,) = _rows(r, item="2")
    assert row["choice_logprobs"] == [-1.2, -2.0, -2.2, -1.9]


def test_item_id_falls_back_to_row_index_without_doc_id(tmp_path):
    src = _details("nested", "model-a", "science_mc|0")
    rows = pq.read_table(src).to_pylist()
    for i, row in enumerate(rows):
        row["doc"]["id"] = "" if i == 0 else row["doc"]["id"]
    dest = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows), dest)
    r = assay.read(dest, model="m")
    assert sorted(r.responses.column("item").to_pylist()) == ["0", "1", "2", "3", "4"]


# --------------------------------------------------------------------------- lone details files


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_lone_details_file_takes_model_from_its_folder(layout, tmp_path):
    _, mc, _ = LAYOUTS[layout]
    root = _copy_tree(layout, tmp_path)
    shutil.rmtree(root / "results")
    (details,) = (root / "details" / "org" / "model-b").glob(f"*/details_{mc}_*.parquet")
    r = assay.read(details)
    assert set(r.responses.column("model").to_pylist()) == {"org/model-b"}
    assert set(r.responses.column("task").to_pylist()) == {mc}
    assert r.responses.num_rows == 5
    run = r.runs.to_pylist()[0]
    assert run["run_id"] == "lighteval-" + hashlib.sha256(details.read_bytes()).hexdigest()[:16]
    assert r.sources == [str(details)]


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_lone_details_file_without_model_needs_one(layout, tmp_path):
    _, mc, _ = LAYOUTS[layout]
    dest = tmp_path / _details(layout, "model-a", mc).name
    shutil.copy(_details(layout, "model-a", mc), dest)
    with pytest.raises(InputError, match=r"field 'model': a lighteval details file holds no model"):
        assay.read(dest)
    with pytest.raises(InputError) as info:
        assay.read(dest)
    assert info.value.path == str(dest)
    r = assay.read(dest, model="my-model")
    assert set(r.responses.column("model").to_pylist()) == {"my-model"}
    assert set(r.responses.column("task").to_pylist()) == {mc}


def test_results_without_details_is_a_note(tmp_path):
    root = _copy_tree("nested", tmp_path)
    shutil.rmtree(root / "details")
    (results,) = (root / "results" / "org" / "model-a").glob("*.json")
    r = assay.read(results)
    assert r.responses.num_rows == 0
    assert len(r.notes) == 1
    assert "no details file for task(s) arith_gen|0, science_mc|0" in r.notes[0]


def test_task_group_from_an_average_entry(tmp_path):
    root = _copy_tree("nested", tmp_path)
    (results,) = (root / "results" / "org" / "model-a").glob("*.json")
    data = json.loads(results.read_text())
    data["results"]["science_mc:_average|0"] = {"acc": 0.8}
    results.write_text(json.dumps(data))
    runs = {run["task"]: run for run in assay.read(results).runs.to_pylist()}
    assert runs["science_mc|0"]["task_group"] == "science_mc:_average|0"
    assert runs["arith_gen|0"]["task_group"] is None


def test_metrics_as_json_text_and_non_score_metrics(tmp_path):
    # Some lighteval versions stored metrics as JSON text; corpus-level metrics keep per-sample
    # inputs (not scores) in the metrics dict: those are left out and named in the notes.
    src = _details("flat", "model-a", "custom|science_mc|0")
    rows = pq.read_table(src).to_pylist()
    for row in rows:
        row["metrics"] = json.dumps({**row["metrics"], "loglikelihood_f1": [0, 1]})
    dest = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows), dest)
    r = assay.read(dest, model="m")
    assert set(r.responses.column("metric").to_pylist()) == {"acc"}
    assert [row["score"] for row in _rows(r, item="2")] == [0.0]
    assert any("'loglikelihood_f1'" in n and "5 left out" in n for n in r.notes)


def test_metric_logged_in_two_rows_is_merged(tmp_path):
    # lighteval logs a document once per sampling method; a struct column then holds nulls for
    # the metrics of the other row. Each (item, metric) keeps its one real score.
    src = _details("nested", "model-a", "science_mc|0")
    rows = pq.read_table(src).to_pylist()
    extra = [
        {
            **row,
            "metric": {"acc": None, "em": 1},
            "model_response": {**row["model_response"], "text": ["x"]},
        }
        for row in rows
    ]
    for row in rows:
        row["metric"] = {"acc": row["metric"]["acc"], "em": None}
    dest = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows + extra), dest)
    r = assay.read(dest, model="m")
    assert r.responses.num_rows == 10
    assert [row["score"] for row in _rows(r, item="2", metric="acc")] == [0.0]
    assert [row["score"] for row in _rows(r, item="2", metric="em")] == [1.0]


# --------------------------------------------------------------------------- broken files


def test_truncated_results_json(tmp_path):
    root = _copy_tree("nested", tmp_path)
    (results,) = (root / "results" / "org" / "model-a").glob("*.json")
    text = results.read_bytes()
    results.write_bytes(text[: len(text) // 2])
    with pytest.raises(InputError, match=rf"{results.name}: line \d+: not valid JSON"):
        assay.read(results)


def test_empty_results_json(tmp_path):
    path = tmp_path / "results_2025-01-01T00-00-00.json"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=rf"{path.name}: unknown format"):
        assay.read(path)
    with pytest.raises(InputError, match=rf"{path.name}: empty file"):
        assay.read(path, format="lighteval")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda d: d["config_general"].update(model_name=42),
            r"field 'model_name': expected the model name",
        ),
        (lambda d: d["config_general"].pop("model_name"), r"field 'model_name': .*got nothing"),
        (
            lambda d: d.update(config_general="x"),
            r"config_general: field 'config_general': expected an object",
        ),
        (lambda d: d.update(results=[1]), r"results: field 'results': expected an object of task"),
    ],
)
def test_wrong_types_in_results_json(tmp_path, edit, pattern):
    root = _copy_tree("nested", tmp_path)
    (results,) = (root / "results" / "org" / "model-a").glob("*.json")
    data = json.loads(results.read_text())
    edit(data)
    results.write_text(json.dumps(data))
    with pytest.raises(InputError, match=pattern) as info:
        assay.read(results, format="lighteval")
    assert info.value.path == str(results)


def test_results_json_that_is_not_an_object(tmp_path):
    path = tmp_path / "results_x.json"
    path.write_text('["config_general"]')
    with pytest.raises(InputError, match="expected a JSON object; got list"):
        assay.read(path, format="lighteval")


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_truncated_details_parquet(layout, tmp_path):
    _, mc, _ = LAYOUTS[layout]
    root = _copy_tree(layout, tmp_path)
    (details,) = (root / "details" / "org" / "model-a").glob(f"*/details_{mc}_*.parquet")
    data = details.read_bytes()
    details.write_bytes(data[: len(data) // 2])
    assert detect_format(details) == "lighteval"  # still ours: its results file is beside it
    with pytest.raises(InputError, match=r"not a readable Parquet file") as info:
        assay.read(root)
    assert info.value.path == str(details)


def test_empty_details_parquet(tmp_path):
    root = _copy_tree("nested", tmp_path)
    (details,) = (root / "details" / "org" / "model-a").glob("*/details_science_mc*.parquet")
    details.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty file; expected a lighteval details"):
        assay.read(details)


def _rewrite(src: Path, dest: Path, edit) -> Path:
    rows = pq.read_table(src).to_pylist()
    edit(rows)
    pq.write_table(pa.Table.from_pylist(rows), dest)
    return dest


def test_metrics_of_wrong_type(tmp_path):
    src = _details("flat", "model-a", "custom|science_mc|0")

    def edit(rows):
        for row in rows:
            row["metrics"] = json.dumps(row["metrics"])
        rows[3]["metrics"] = "not json"

    dest = _rewrite(src, tmp_path / "d.parquet", edit)
    with pytest.raises(InputError, match=r"d\.parquet: row 3: field 'metrics': expected an object"):
        assay.read(dest, model="m")


def test_nested_metric_column_of_wrong_type(tmp_path):
    table = pq.read_table(_details("nested", "model-a", "science_mc|0"))
    table = table.set_column(table.column_names.index("metric"), "metric", pa.array([1] * 5))
    dest = tmp_path / "d.parquet"
    pq.write_table(table, dest)
    with pytest.raises(InputError, match=r"row 0: field 'metric': expected an object .*got int 1"):
        assay.read(dest, model="m")


def test_nested_doc_column_of_wrong_type(tmp_path):
    table = pq.read_table(_details("nested", "model-a", "science_mc|0"))
    table = table.set_column(table.column_names.index("doc"), "doc", pa.array(["q"] * 5))
    dest = tmp_path / "d.parquet"
    pq.write_table(table, dest)
    with pytest.raises(InputError, match=r"field 'doc': expected a struct column; got string"):
        assay.read(dest, model="m")


def test_choice_logprob_that_is_not_a_number(tmp_path):
    def edit(rows):
        rows[1]["model_response"]["logprobs"][2] = None

    dest = _rewrite(_details("nested", "model-a", "science_mc|0"), tmp_path / "d.parquet", edit)
    with pytest.raises(InputError, match=r"row 1: field 'model_response.logprobs': expected one"):
        assay.read(dest, model="m")


def test_duplicate_item_metric(tmp_path):
    table = pq.read_table(_details("nested", "model-a", "science_mc|0"))
    dest = tmp_path / "d.parquet"
    pq.write_table(pa.concat_tables([table, table]), dest)
    with pytest.raises(InputError, match=r"row 5: field 'acc': two rows give item '0' a score"):
        assay.read(dest, model="m")


def test_parquet_without_lighteval_columns_when_forced(tmp_path):
    dest = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": [1]}), dest)
    with pytest.raises(InputError, match=r"not a lighteval details file: .*got a"):
        assay.read(dest, format="lighteval", model="m")
