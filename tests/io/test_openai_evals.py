"""The OpenAI evals reader on records written by evals' own oaieval run and LocalRecorder.

Fixtures: tests/data/logs/openai_evals/ (README.md there; written by make_fixtures.py with
evals 3.0.1.post1). Expected facts come from the answer table in make_fixtures.py and the files
themselves; per-eval means are checked against the final report the harness computed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

import assay
from assay import InputError
from assay.io import detect_format
from assay.io._openai_evals import claim

DATA = Path(__file__).resolve().parents[1] / "data" / "logs" / "openai_evals"
FILES = sorted(DATA.glob("*.jsonl"))


def _rows(result, **where):
    t = result.responses
    for k, v in where.items():
        t = t.filter(pc.equal(t.column(k), v))
    return t.to_pylist()


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines()]


def _write(tmp_path: Path, objs_or_lines: list, name: str = "rec.jsonl") -> Path:
    path = tmp_path / name
    text = "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs_or_lines)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- real files


def test_arith_model_a_hand_checked():
    r = assay.read(DATA / "arith_model-a.jsonl")
    assert set(r.responses.column("model").to_pylist()) == {"canned/model-a"}
    assert set(r.responses.column("task").to_pylist()) == {"arith.dev.v0"}
    assert set(r.responses.column("metric").to_pylist()) == {"match"}
    assert sorted(r.responses.column("item").to_pylist()) == [f"arith.dev.{i}" for i in range(5)]
    # make_fixtures.py: model-a answers "7" to "10 - 4 =" (arith.dev.2).
    (row,) = _rows(r, item="arith.dev.2")
    assert (row["score"], row["prediction"], row["target"], row["sample"]) == (0.0, "7", "6", 0)
    assert json.loads(row["input"])[-1] == {"role": "user", "content": "10 - 4 ="}
    assert [row["score"] for row in _rows(r, item="arith.dev.1")] == [1.0]
    assert r.notes == []


def test_capitals_model_b_hand_checked():
    r = assay.read(DATA / "capitals_model-b.jsonl")
    assert set(r.responses.column("model").to_pylist()) == {"canned/model-b"}
    assert set(r.responses.column("metric").to_pylist()) == {"match", "accuracy", "f1_score"}
    assert sorted(set(r.responses.column("item").to_pylist())) == [
        "capitals.dev.0",
        "capitals.dev.1",
        "capitals.dev.2",
    ]
    # "The capital is Paris": fuzzy match counts it right, f1 0.5 (2 of 4 tokens vs 1 of 1).
    scores = {row["metric"]: row["score"] for row in _rows(r, item="capitals.dev.0")}
    assert scores == {"match": 1.0, "accuracy": 1.0, "f1_score": 0.5}
    # FuzzyMatch records no "sampled" in its match events: the prediction comes from sampling.
    (row,) = _rows(r, item="capitals.dev.1", metric="match")
    assert (row["score"], row["prediction"], row["target"]) == (0.0, "Kyoto", "Tokyo")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_means_equal_the_harness_final_report(path):
    # Reference: final_report, computed by the eval's own run() (evals.metrics.get_accuracy, or
    # the mean of the recorded metrics for FuzzyMatch).
    report = _lines(path.name)[1]["final_report"]
    r = assay.read(path)
    match = [row["score"] for row in _rows(r, metric="match")]
    assert sum(match) / len(match) == pytest.approx(report["accuracy"])
    if "f1_score" in report:
        f1 = [row["score"] for row in _rows(r, metric="f1_score")]
        assert sum(f1) / len(f1) == pytest.approx(report["f1_score"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_run_metadata(path):
    spec = _lines(path.name)[0]["spec"]
    r = assay.read(path)
    (run,) = r.runs.to_pylist()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert run["run_id"] == f"openai_evals-{sha[:16]}"
    assert run["sha256"] == sha
    assert run["model"] == spec["completion_fns"][0]
    assert run["task"] == spec["eval_name"]
    assert run["created"] == spec["created_at"]
    assert run["harness"] == "openai_evals"
    config = json.loads(run["config"])
    assert config["run_id"] == spec["run_id"]
    assert config["final_report"] == _lines(path.name)[1]["final_report"]
    assert set(r.responses.column("run_id").to_pylist()) == {run["run_id"]}
    assert r.sources == [str(path)]


def test_folder_reads_all_runs():
    r = assay.read(DATA)
    assert r.runs.num_rows == 4
    assert sorted(set(r.responses.column("model").to_pylist())) == [
        "canned/model-a",
        "canned/model-b",
    ]
    # 5 arith samples x 1 metric + 3 capitals samples x 3 metrics, per model.
    assert r.responses.num_rows == 2 * (5 + 9)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_detected_from_content(path):
    assert detect_format(path) == "openai_evals"


def test_other_jsonl_is_not_claimed(tmp_path):
    assert not claim(_write(tmp_path, [{"model": "m", "item": "1", "score": 1}]))
    assert not claim(_write(tmp_path, [{"spec": {"name": "x"}}], "b.jsonl"))
    assert not claim(DATA / "README.md")
    assert not claim(DATA)


def test_options_model_overrides():
    r = assay.read(DATA / "arith_model-b.jsonl", model="renamed")
    assert set(r.responses.column("model").to_pylist()) == {"renamed"}
    assert r.runs.column("model").to_pylist() == ["renamed"]


# --------------------------------------------------------------------------- event handling


def test_repeated_match_events_become_samples_and_order_does_not_matter(tmp_path):
    lines = _lines("arith_model-a.jsonl")
    events = [e for e in lines[2:] if e["sample_id"] == "arith.dev.2"]
    match = next(e for e in events if e["type"] == "match")
    again = {**match, "event_id": 99, "data": {**match["data"], "correct": True, "sampled": "6"}}
    # Events before the final report, and a second match for the same sample.
    path = _write(tmp_path, [lines[0], *events, again, lines[1]])
    r = assay.read(path)
    rows = sorted(_rows(r, item="arith.dev.2"), key=lambda row: row["sample"])
    assert [(row["sample"], row["score"], row["prediction"]) for row in rows] == [
        (0, 0.0, "7"),
        (1, 1.0, "6"),
    ]


def test_error_and_unscored_events_and_text_metrics_are_noted(tmp_path):
    lines = _lines("arith_model-a.jsonl")
    base = {k: lines[2][k] for k in ("run_id", "created_by", "created_at")}
    extra = [
        {**base, "event_id": 50, "sample_id": "arith.dev.9", "type": "error", "data": {"type": "X"}},
        {**base, "event_id": 51, "sample_id": "arith.dev.0", "type": "embedding", "data": {}},
        {**base, "event_id": 52, "sample_id": "arith.dev.0", "type": "metrics",
         "data": {"score": 0.25, "answer": "five", "missing": None}},
    ]  # fmt: skip
    r = assay.read(_write(tmp_path, [*lines, *extra]))
    assert "1 error event(s): failed samples, left unscored" in " ".join(r.notes)
    assert "metrics value 'answer' is not a number in 1 event(s)" in " ".join(r.notes)
    assert [row["score"] for row in _rows(r, item="arith.dev.0", metric="score")] == [0.25]
    # A metric recorded as null is kept as a missing score (counted by read()), not dropped.
    (row,) = _rows(r, item="arith.dev.0", metric="missing")
    assert row["score"] is None
    assert any("no score" in n for n in r.notes)
    assert "arith.dev.9" not in r.responses.column("item").to_pylist()


def test_record_without_scoring_events_is_a_note(tmp_path):
    lines = _lines("arith_model-a.jsonl")
    kept = [lines[0], lines[1], *[e for e in lines[2:] if e["type"] == "sampling"]]
    r = assay.read(_write(tmp_path, kept))
    assert r.responses.num_rows == 0
    assert any("no match or metrics events" in n for n in r.notes)


# --------------------------------------------------------------------------- broken files


def test_truncated_line(tmp_path):
    text = (DATA / "arith_model-a.jsonl").read_text()
    path = tmp_path / "rec.jsonl"
    path.write_text(text[: len(text) - 40])
    n_lines = text.count("\n")
    with pytest.raises(InputError, match=rf"rec\.jsonl: line {n_lines}: not valid JSON"):
        assay.read(path)


def test_empty_file(tmp_path):
    path = tmp_path / "rec.jsonl"
    path.write_text("")
    with pytest.raises(
        InputError, match=r"rec\.jsonl: empty file; expected an OpenAI evals record"
    ):
        assay.read(path, format="openai_evals")
    path.write_text("\n\n")
    with pytest.raises(InputError, match=r"rec\.jsonl: empty file"):
        assay.read(path, format="openai_evals")


def test_missing_spec(tmp_path):
    lines = _lines("arith_model-a.jsonl")
    path = _write(tmp_path, lines[1:])
    with pytest.raises(InputError, match=r"rec\.jsonl: line 1: field 'spec': missing spec"):
        assay.read(path, format="openai_evals")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda s: s.update(spec="x"), r"line 1: field 'spec': expected an object; got str"),
        (lambda s: s["spec"].update(eval_name=3), r"line 1: field 'spec.eval_name': expected the"),
        (
            lambda s: s["spec"].update(completion_fns="gpt-4"),
            r"field 'spec.completion_fns': expected",
        ),
        (lambda s: s["spec"].update(completion_fns=[]), r"field 'spec.completion_fns': expected"),
    ],
)
def test_bad_spec(tmp_path, edit, pattern):
    lines = _lines("arith_model-a.jsonl")
    edit(lines[0])
    with pytest.raises(InputError, match=pattern):
        assay.read(_write(tmp_path, lines), format="openai_evals")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda e: e["data"].update(correct="yes"),
            r"field 'data.correct': expected true or false",
        ),
        (lambda e: e["data"].update(correct=None), r"field 'data.correct': .*got nothing"),
        (lambda e: e.update(data=[1]), r"field 'data': expected an object; got list"),
        (lambda e: e.pop("type"), r"field 'type': expected a string; got nothing"),
        (lambda e: e.update(sample_id=None), r"field 'sample_id': expected the sample id"),
    ],
)
def test_wrong_types_in_a_match_event(tmp_path, edit, pattern):
    lines = _lines("arith_model-a.jsonl")
    edit(lines[3])  # line 4: the first match event
    assert lines[3].get("type", "match") == "match"
    with pytest.raises(InputError, match=rf"rec\.jsonl: line 4: {pattern}"):
        assay.read(_write(tmp_path, lines))


def test_line_that_is_not_an_object(tmp_path):
    lines = _lines("arith_model-a.jsonl")
    path = _write(tmp_path, [*lines, "[1, 2]"])
    with pytest.raises(
        InputError, match=rf"line {len(lines) + 1}: expected a JSON object; got list"
    ):
        assay.read(path)


def test_line_that_is_not_utf8(tmp_path):
    path = tmp_path / "rec.jsonl"
    path.write_bytes((DATA / "arith_model-a.jsonl").read_bytes() + b'{"type": "\xff\xfe"}\n')
    with pytest.raises(InputError, match=r"line 13: not UTF-8 text"):
        assay.read(path)
