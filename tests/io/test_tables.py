"""Plain tables: the MMLU-Pro sample in tests/data/tables as CSV, JSONL, Parquet, DataFrame, wide.

Expected values come from the CSV itself: single rows looked up by hand (line numbers given), and
per-model sums computed with the standard library's csv module, not with the reader under test.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import assay
from assay._core import InputError
from assay.io import detect_format
from assay.io._tables import claim

DATA = Path(__file__).resolve().parents[1] / "data" / "tables"
CSV = DATA / "mmlu_pro_sample.csv"
MAP = {"item": "question_id"}
MODELS = {
    "Llama-2-7b-hf_5shots",
    "Meta-Llama-3_1-8B_5shots",
    "Meta-Llama-3_1-8B-Instruct_5shots",
    "Mistral-7B-v0.1_5shots",
}


def _stdlib_rows() -> list[dict[str, str]]:
    with open(CSV, newline="") as fh:
        return list(csv.DictReader(fh))


def _key(table: pa.Table) -> list[tuple]:
    """The long table's essentials, sorted: (model, task, item, sample, metric, score)."""
    cols = ["model", "task", "item", "sample", "metric", "score"]
    return sorted(zip(*(table.column(c).to_pylist() for c in cols), strict=True))


def _one(table: pa.Table, **where) -> dict:
    for k, v in where.items():
        table = table.filter(pc.equal(table.column(k), v))
    (row,) = table.to_pylist()
    return row


# -- the CSV, long ----------------------------------------------------------------------------


def test_csv_long_facts():
    result = assay.read(CSV, column_map=MAP)
    t = result.responses
    assert t.num_rows == 2000
    assert set(t.column("model").to_pylist()) == MODELS
    assert len(set(t.column("item").to_pylist())) == 500
    assert set(t.column("metric").to_pylist()) == {"correct"}  # named after the score column
    assert set(t.column("task").to_pylist()) == {"mmlu_pro_sample"}  # the file's stem
    assert set(t.column("sample").to_pylist()) == {0}
    # Line 7: Llama-2-7b-hf_5shots,75,A,1,business; line 1502: Mistral-7B-v0.1_5shots,70,I,1,...
    assert _one(t, model="Llama-2-7b-hf_5shots", item="75")["score"] == 1.0
    assert _one(t, model="Mistral-7B-v0.1_5shots", item="70")["score"] == 1.0
    assert _one(t, model="Llama-2-7b-hf_5shots", item="70")["score"] == 0.0
    # Per-model number correct, counted with the csv module.
    expected: dict[str, float] = {}
    for row in _stdlib_rows():
        expected[row["model"]] = expected.get(row["model"], 0.0) + float(row["correct"])
    for model, total in expected.items():
        scores = t.filter(pc.equal(t.column("model"), model)).column("score")
        assert pc.sum(scores).as_py() == total
    notes = " ".join(result.notes)
    assert "task = 'mmlu_pro_sample'" in notes
    assert "metric = 'correct'" in notes
    assert "column(s) not read: pred, category" in notes


def test_runs_one_per_model():
    result = assay.read(CSV, column_map=MAP, task="mmlu_pro")
    runs = result.runs.to_pylist()
    assert len(runs) == 4
    sha = hashlib.sha256(CSV.read_bytes()).hexdigest()
    for run in runs:
        model_hash = hashlib.sha256(run["model"].encode()).hexdigest()[:8]
        assert run["run_id"] == f"table-{sha[:16]}-{model_hash}"
        assert run["sha256"] == sha
        assert run["harness"] == "table"
        assert run["task"] == "mmlu_pro"
        assert run["source"] == str(CSV)
        assert json.loads(run["config"])["columns"]["item"] == "question_id"
    t = result.responses
    for run in runs:
        rows = t.filter(pc.equal(t.column("run_id"), run["run_id"]))
        assert set(rows.column("model").to_pylist()) == {run["model"]}
        assert rows.num_rows == 500
    again = assay.read(CSV, column_map=MAP, task="mmlu_pro")
    assert again.runs.column("run_id").to_pylist() == result.runs.column("run_id").to_pylist()


def test_extra_columns_by_map_and_subject_field():
    result = assay.read(CSV, column_map={**MAP, "prediction": "pred"}, subject_field="category")
    t = result.responses
    row = _one(t, model="Llama-2-7b-hf_5shots", item="75")  # line 7
    assert row["prediction"] == "A"
    assert row["subject"] == "business"
    # Line 68: Llama-2-7b-hf_5shots,137,,0,business: no extracted answer.
    row = _one(t, model="Llama-2-7b-hf_5shots", item="137")
    assert row["prediction"] is None
    assert row["score"] == 0.0
    n_empty = sum(r["pred"] == "" for r in _stdlib_rows())
    assert pc.sum(pc.is_null(t.column("prediction"))).as_py() == n_empty
    assert not any("not read" in n for n in result.notes)


# -- the same data in other formats -------------------------------------------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype={"question_id": str, "pred": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def reference() -> list[tuple]:
    return _key(assay.read(CSV, column_map=MAP, task="mmlu_pro").responses)


def _write_jsonl(path: Path, rows: list[dict], *, gz: bool = False) -> None:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)


def test_jsonl_parquet_dataframe_tsv_give_the_same_table(tmp_path, frame, reference):
    rows = [
        {**r, "question_id": int(r["question_id"]), "correct": int(r["correct"])}
        for r in _stdlib_rows()
    ]
    _write_jsonl(tmp_path / "a.jsonl", rows)
    _write_jsonl(tmp_path / "b.ndjson.gz", rows, gz=True)
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    frame.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    with open(CSV, "rb") as src, gzip.open(tmp_path / "e.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    for name in ("a.jsonl", "b.ndjson.gz", "c.parquet", "d.tsv", "e.csv.gz"):
        path = tmp_path / name
        assert detect_format(path) == "tables", name
        assert _key(assay.read(path, column_map=MAP, task="mmlu_pro").responses) == reference, name
    assert _key(assay.read(frame, column_map=MAP, task="mmlu_pro").responses) == reference
    # A DataFrame whose id column pandas made numeric reads the same ids.
    numeric = pd.read_csv(CSV)
    assert _key(assay.read(numeric, column_map=MAP, task="mmlu_pro").responses) == reference


def test_wide_gives_the_same_table(tmp_path, frame, reference):
    wide = frame.pivot(index="question_id", columns="model", values="correct").reset_index()
    wide.columns.name = None
    wide.to_csv(tmp_path / "wide.csv", index=False)
    wide.to_parquet(tmp_path / "wide.parquet", index=False)
    for path in (tmp_path / "wide.csv", tmp_path / "wide.parquet"):
        result = assay.read(path, column_map=MAP, task="mmlu_pro", metric="correct")
        assert _key(result.responses) == reference, path.name
        assert any("wide table" in n for n in result.notes)
        explicit = assay.read(path, column_map=MAP, task="mmlu_pro", metric="correct", wide=True)
        assert _key(explicit.responses) == reference
    result = assay.read(wide, column_map=MAP, task="mmlu_pro", metric="correct")
    assert _key(result.responses) == reference
    # Indexed by item: the named index becomes the item column.
    indexed = wide.set_index("question_id")
    result = assay.read(indexed, column_map=MAP, task="mmlu_pro", metric="correct")
    assert _key(result.responses) == reference
    # Without a metric, a wide table's metric is "score".
    result = assay.read(tmp_path / "wide.csv", column_map=MAP)
    assert set(result.responses.column("metric").to_pylist()) == {"score"}


def test_wide_empty_cell_is_missing_not_zero(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("item,model_a,model_b\nq1,1,0\nq2,,1\n")
    result = assay.read(path)
    assert _one(result.responses, model="model_a", item="q2")["score"] is None
    assert _one(result.responses, model="model_b", item="q2")["score"] == 1.0
    assert any("1 response(s) have no score" in n for n in result.notes)
    assert result.runs.num_rows == 2


def test_long_csv_is_not_taken_for_wide(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("item,system,acc\nq1,a,1\n")
    with pytest.raises(
        InputError,
        match=r"field 'model': no column for 'model' and 'score'.*--map model=COLUMN,score=COLUMN",
    ):
        assay.read(path)
    assert (
        _one(assay.read(path, column_map={"model": "system", "score": "acc"}).responses, item="q1")[
            "metric"
        ]
        == "acc"
    )


# -- values -------------------------------------------------------------------------------------


def test_booleans_and_true_false_strings(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("model,item,score\nm,1,True\nm,2,false\nm,3, TRUE \nm,4,0.5\nm,5,\n")
    t = assay.read(path).responses
    assert [r["score"] for r in sorted(t.to_pylist(), key=lambda r: r["item"])] == [
        1.0,
        0.0,
        1.0,
        0.5,
        None,
    ]
    jl = tmp_path / "b.jsonl"
    _write_jsonl(
        jl,
        [
            {"model": "m", "item": "1", "score": True},
            {"model": "m", "item": "2", "score": "false"},
            {"model": "m", "item": "3", "score": 1},
        ],
    )
    t = assay.read(jl).responses  # mixed types in one column: read line by line
    assert [r["score"] for r in sorted(t.to_pylist(), key=lambda r: r["item"])] == [1.0, 0.0, 1.0]


def test_ids_are_text_as_written(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("model,item,score\nm,007,1\nm,7,0\n")
    assert sorted(assay.read(path).responses.column("item").to_pylist()) == ["007", "7"]


def test_optional_columns(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(
        "model,task,item,sample,metric,score,confidence,choice_logprobs,step,cluster\n"
        'm,t,q1,0,acc,1,0.9,"[-0.1, -2.5]",100,c1\n'
        'm,t,q1,1,acc,0,0.4,"[-1.0, -0.5]",100,c1\n'
    )
    result = assay.read(path)
    assert result.notes == []
    row = _one(result.responses, sample=1)
    assert row["confidence"] == 0.4
    assert row["choice_logprobs"] == [-1.0, -0.5]
    assert row["step"] == 100
    assert row["cluster"] == "c1"
    assert row["metric"] == "acc"
    assert row["task"] == "t"


def test_model_option(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("item,score\nq1,1\nq2,0\n")
    t = assay.read(path, model="my-model", wide=False).responses
    assert set(t.column("model").to_pylist()) == {"my-model"}
    with pytest.raises(InputError, match=r"`model`='x' names one model but the column holds 4"):
        assay.read(CSV, column_map=MAP, model="x")


# -- claim ----------------------------------------------------------------------------------------


def test_claim(tmp_path):
    assert claim(CSV)
    assert not claim(DATA / "README.md")
    assert not claim(DATA)
    (tmp_path / "samples_mmlu_2024.jsonl").write_text('{"doc_id": 0, "acc": 1}\n')
    assert not claim(tmp_path / "samples_mmlu_2024.jsonl")
    (tmp_path / "evals.jsonl").write_text('{"spec": {"eval_name": "x"}}\n{"final_report": {}}\n')
    assert not claim(tmp_path / "evals.jsonl")
    (tmp_path / "events.jsonl").write_text('{"run_id": "r", "type": "match", "data": {}}\n')
    assert not claim(tmp_path / "events.jsonl")
    (tmp_path / "list.jsonl").write_text("[1, 2]\n")
    assert not claim(tmp_path / "list.jsonl")
    (tmp_path / "pretty.jsonl").write_text('{\n  "model": "m"\n}\n')
    assert not claim(tmp_path / "pretty.jsonl")
    (tmp_path / "r.json").write_text('{"model": "m", "item": "1", "score": 1}\n')
    assert not claim(tmp_path / "r.json")
    (tmp_path / "json.csv").write_text('{"model": "m"}\n')
    assert not claim(tmp_path / "json.csv")
    (tmp_path / "one_column.csv").write_text("model\nm\n")
    assert not claim(tmp_path / "one_column.csv")
    (tmp_path / "fake.parquet").write_text("model,item\n")
    assert not claim(tmp_path / "fake.parquet")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert claim(tmp_path / "empty.csv")
    (tmp_path / "blank_first.jsonl").write_text('\n  \n{"model": "m", "item": "1", "score": 1}\n')
    assert claim(tmp_path / "blank_first.jsonl")
    (tmp_path / "blank_then_spec.jsonl").write_text('\n{"spec": {}}\n')
    assert not claim(tmp_path / "blank_then_spec.jsonl")


def test_folder_of_tables(tmp_path):
    shutil.copy(CSV, tmp_path / "a.csv")
    (tmp_path / "README.md").write_text("notes\n")
    result = assay.read(tmp_path, column_map=MAP)
    assert result.responses.num_rows == 2000


# -- broken inputs ------------------------------------------------------------------------------


def _broken_csv(tmp_path: Path, line: int, new: str) -> Path:
    lines = CSV.read_text().splitlines(keepends=True)
    lines[line - 1] = new
    path = tmp_path / "broken.csv"
    path.write_text("".join(lines))
    return path


def test_non_numeric_score_names_the_line(tmp_path):
    path = _broken_csv(tmp_path, 1234, "Meta-Llama-3_1-8B_5shots,70,B,yes,business\n")
    with pytest.raises(
        InputError,
        match=r"broken\.csv: line 1234: field 'correct': expected a "
        r"number \(or true/false\); got 'yes'",
    ):
        assay.read(path, column_map=MAP)


def test_line_numbers_count_quoted_newlines(tmp_path):
    lines = CSV.read_text().splitlines(keepends=True)
    lines[2] = 'Llama-2-7b-hf_5shots,71,"D\nsecond line",0,business\n'  # line 3 spans 2 lines
    lines[9] = "Llama-2-7b-hf_5shots,78,E,x,business\n"  # file line 10 + 1 = 11
    path = tmp_path / "q.csv"
    path.write_text("".join(lines))
    with pytest.raises(InputError, match=r"q\.csv: line 11: field 'correct'.*got 'x'"):
        assay.read(path, column_map=MAP)


def test_missing_column_lists_columns_and_suggests_map():
    with pytest.raises(InputError) as info:
        assay.read(CSV)
    err = info.value
    assert err.path == str(CSV)
    assert err.field == "item"
    assert "the table's columns are: model, question_id, pred, correct, category" in str(err)
    assert "--map item=COLUMN" in str(err)


def test_bad_map(tmp_path):
    with pytest.raises(InputError, match=r"field 'itme': --map names 'itme', which is not one of"):
        assay.read(CSV, column_map={"itme": "question_id"})
    with pytest.raises(
        InputError,
        match=r"field 'qid': --map item=qid: the table has no column "
        r"'qid'; its columns are: model, question_id",
    ):
        assay.read(CSV, column_map={"item": "qid"})
    with pytest.raises(InputError, match=r"`subject_field`='topic': the table has no such column"):
        assay.read(CSV, column_map=MAP, subject_field="topic")


def test_empty_cell_in_model(tmp_path):
    path = _broken_csv(tmp_path, 5, ",73,G,0,business\n")
    with pytest.raises(
        InputError, match=r"line 5: field 'model': expected a value; the cell is empty"
    ):
        assay.read(path, column_map=MAP)


def test_bad_sample_and_confidence(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("model,item,score,sample\nm,q1,1,0\nm,q1,1,1.5\n")
    with pytest.raises(
        InputError, match=r"line 3: field 'sample': expected an integer >= 0; got 1\.5"
    ):
        assay.read(path)
    path.write_text("model,item,score,confidence\nm,q1,1,0.5\nm,q2,1,1.2\n")
    with pytest.raises(InputError, match=r"line 3: field 'confidence': expected a probability"):
        assay.read(path)
    path.write_text('model,item,score,choice_logprobs\nm,q1,1,"[-1, -2]"\nm,q2,1,oops\n')
    with pytest.raises(InputError, match=r"line 3: field 'choice_logprobs': expected a JSON list"):
        assay.read(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.parquet", "empty.csv.gz"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wb"):
            pass
    else:
        path.write_bytes(b"")
    with pytest.raises(InputError, match=rf"{name}: empty file"):
        assay.read(path)


def test_header_only(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("model,question_id,correct\n")
    with pytest.raises(InputError, match=r"h\.csv: no data rows \(columns: model, question_id"):
        assay.read(path, column_map=MAP)


def test_duplicate_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("model,item,score,score\nm,q,1,0\n")
    with pytest.raises(
        InputError, match=r"d\.csv: line 1: field 'score': the header names a column"
    ):
        assay.read(path)


def test_ragged_csv_row(tmp_path):
    path = _broken_csv(tmp_path, 40, "Llama-2-7b-hf_5shots,108\n")
    with pytest.raises(InputError, match=r"broken\.csv: line 40: not a readable CSV file"):
        assay.read(path, column_map=MAP)


def test_truncated_jsonl_line(tmp_path):
    rows = _stdlib_rows()
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path = tmp_path / "t.jsonl"
    path.write_text(text[: len(text) - 20])  # cuts the last (2,000th) line
    with pytest.raises(InputError, match=r"t\.jsonl: line 2000: not valid JSON"):
        assay.read(path, column_map=MAP)


def test_jsonl_line_not_an_object(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"model": "m", "item": "1", "score": 1}\n\n[1, 2]\n')
    with pytest.raises(InputError, match=r"n\.jsonl: line 3: expected a JSON object; got list"):
        assay.read(path)


def test_jsonl_non_numeric_score_names_the_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"model": "m", "item": "1", "score": "1"}\n\n'
        '{"model": "m", "item": "2", "score": "high"}\n'
    )
    with pytest.raises(InputError, match=r"s\.jsonl: line 3: field 'score'.*got 'high'"):
        assay.read(path)


def test_parquet_and_dataframe_name_the_row(tmp_path, frame):
    bad = frame.copy()
    bad["correct"] = bad["correct"].astype(str)
    bad.loc[41, "correct"] = "n/a"
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(InputError, match=r"bad\.parquet: row 42: field 'correct'.*got 'n/a'"):
        assay.read(tmp_path / "bad.parquet", column_map=MAP)
    with pytest.raises(InputError, match=r"<DataFrame>: row 42: field 'correct'.*got 'n/a'"):
        assay.read(bad, column_map=MAP)


def test_broken_parquet(tmp_path):
    data = tmp_path / "x.parquet"
    pq.write_table(pa.table({"model": ["m"], "item": ["1"], "score": [1.0]}), data)
    raw = data.read_bytes()
    data.write_bytes(raw[: len(raw) // 2] + raw[-8:])
    with pytest.raises(InputError, match=r"x\.parquet: not a readable Parquet file"):
        assay.read(data)


def test_dataframe_with_mixed_object_column():
    df = pd.DataFrame({"model": ["m", "m", "m"], "item": ["1", "2", "3"], "score": [1, True, 0.5]})
    assert assay.read(df).responses.column("score").to_pylist() == [1.0, 1.0, 0.5]
    df.loc[2, "score"] = "a"
    with pytest.raises(InputError, match=r"<DataFrame>: row 3: field 'score'.*got 'a'"):
        assay.read(df)


def test_not_wide_because_of_a_text_column(tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("item,a,b\nq1,1,x\n")
    with pytest.raises(
        InputError,
        match=r"no column for 'model' and 'score' \(nor is it a wide "
        r"table.*column 'b' is not numeric",
    ):
        assay.read(path)


def test_all_null_optional_columns_read_back_from_pandas_and_parquet(tmp_path):
    # issue 14: `assay demo --export-data`, filtered in pandas and saved again, must read back;
    # pandas writes an all-None object column as Parquet's null type (was: "field
    # 'choice_logprobs': expected lists of numbers ... the column holds null").
    from assay import datasets

    df = datasets.mmlu_pro().to_pandas()
    models = sorted(df["model"].unique())[:2]
    df = df[df["model"].isin(models)].reset_index(drop=True)
    assert df["choice_logprobs"].isna().all() and df["confidence"].isna().all()
    path = tmp_path / "filtered.parquet"
    df.to_parquet(path)
    import pyarrow.parquet as pq

    assert str(pq.read_schema(path).field("choice_logprobs").type) == "null"
    for source in (path, df):
        result = assay.read(source)
        assert result.responses.num_rows == len(df)
        assert result.responses.column("choice_logprobs").null_count == len(df)
        assert result.responses.column("confidence").null_count == len(df)
