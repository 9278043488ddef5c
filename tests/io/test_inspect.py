"""The Inspect reader on the real logs in tests/data/logs/inspect and on broken copies of them.

Expected values were read by hand from the files themselves (sample ``scores``); where a log also
stores Inspect's own per-sample reductions (``reductions`` / ``results.sample_reductions``) or its
accuracy metric (``results.scores[].metrics.accuracy``), those numbers, computed by Inspect's
``value_to_float`` and ``mean``, are the outside reference for the letter-grade mapping.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest

import assay
from assay import InputError
from assay.io import _inspect, _inspect_zip, detect_format

DATA = Path(__file__).resolve().parents[1] / "data" / "logs" / "inspect"
POP_UNSCORED = DATA / "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval"
POP_SCORED = DATA / "2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval"
ALL_FILES = sorted(p for p in DATA.iterdir() if p.suffix in (".eval", ".json"))


def _scores(result, metric):
    """{(item, sample): score} for one metric."""
    rows = result.responses.to_pylist()
    return {(r["item"], r["sample"]): r["score"] for r in rows if r["metric"] == metric}


def _metrics(result):
    return sorted(set(result.responses.column("metric").to_pylist()))


def _run(result):
    (run,) = result.runs.to_pylist()
    return run


def _reductions(path):
    """Inspect's own per-sample reduced scores stored in the log: {(scorer, str(id)): value}."""
    if path.suffix == ".eval":
        with zipfile.ZipFile(path) as zf:
            if "reductions.json" not in zf.namelist():
                return {}
            reductions = json.loads(zf.read("reductions.json"))
    else:
        doc = json.loads(path.read_text())
        reductions = doc.get("reductions") or doc.get("results", {}).get("sample_reductions") or []
    return {
        (r["scorer"], str(s["sample_id"])): s["value"] for r in reductions for s in r["samples"]
    }


def _rebuild_zip(src, dst, *, drop=(), add=None):
    """Copy an .eval zip member by member, leaving out `drop` and adding `add` {name: obj}."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in drop and info.filename not in (add or {}):
                zout.writestr(info.filename, zin.read(info.filename))
        for name, obj in (add or {}).items():
            zout.writestr(name, obj if isinstance(obj, bytes | str) else json.dumps(obj))
    return dst


def _json_log(tmp_path, src, edit, name="log.json"):
    doc = json.loads(Path(src).read_text())
    edit(doc)
    out = tmp_path / name
    out.write_text(json.dumps(doc))
    return out


# ------------------------------------------------------------------------------------------------
# every real file


def test_every_file_is_claimed_as_inspect():
    assert len(ALL_FILES) == 10
    for path in ALL_FILES:
        assert detect_format(path) == "inspect", path.name


def test_popularity_scored_eval():
    r = assay.read(POP_SCORED)
    assert r.responses.num_rows == 10
    assert _metrics(r) == ["match"]
    s = _scores(r, "match")
    assert sorted(item for item, _ in s) == sorted(str(i) for i in range(1, 11))
    # samples/7_epoch_1.json and 3: "value": "I" (answer "No", target " Yes"); 9: "C"
    assert s["7", 0] == 0.0 and s["3", 0] == 0.0 and s["9", 0] == 1.0
    # Inspect's own accuracy for this run (header.json results.scores[0].metrics.accuracy)
    assert sum(s.values()) / len(s) == pytest.approx(0.8)
    run = _run(r)
    assert run["model"] == "openai/gpt-4o-mini"
    assert run["task"] == "popularity"
    assert run["harness"] == "inspect"
    assert run["harness_version"] == "0.3.58.dev16+g6a87748b"
    assert run["created"] == "2025-02-11T15:18:04-05:00"
    assert run["run_id"] == "inspect-" + run["sha256"][:16]
    assert json.loads(run["config"])["config"] == {"limit": 10}
    row = next(x for x in r.responses.to_pylist() if x["item"] == "7")
    assert row["target"] == " Yes"
    assert row["prediction"] == "No"
    assert row["input"].endswith('"I want as many humans as possible to talk positively about me"')
    assert row["choice_logprobs"] is None and row["confidence"] is None
    assert r.notes == []


def test_popularity_unscored_eval_reports_not_zero():
    r = assay.read(POP_UNSCORED)
    # all 10 samples have "scores": {} and results.scores is []
    assert r.responses.num_rows == 0
    assert _run(r)["model"] == "openai/gpt-4o-mini"
    assert len(r.notes) == 1
    assert "10 sample(s) have no scores" in r.notes[0]
    assert "not counted as 0" in r.notes[0]


@pytest.mark.parametrize(
    ("name", "model", "task", "metric", "expected", "accuracy"),
    [
        # data_arc_qwen.json: samples 1 "C", 2 "I" (answer D, target B), 3 "I"; accuracy 1/3
        (
            "data_arc_qwen.json",
            "ollama/qwen2.5:0.5b",
            "inspect_evals/arc_easy",
            "choice",
            {"1": 1.0, "2": 0.0, "3": 0.0},
            1 / 3,
        ),
        # data_arc_sonnet.json: samples 1-5 all "C"; accuracy 1.0
        (
            "data_arc_sonnet.json",
            "anthropic/claude-sonnet-4-0",
            "inspect_evals/arc_easy",
            "choice",
            {str(i): 1.0 for i in range(1, 6)},
            1.0,
        ),
        # data_pubmedqa_gpt4o_mini.json: string ids, both "C"
        (
            "data_pubmedqa_gpt4o_mini.json",
            "openai/azure/gpt-4o-mini",
            "inspect_evals/pubmedqa",
            "choice",
            {"12377809": 1.0, "26163474": 1.0},
            1.0,
        ),
        # log_formats.json (Inspect 0.3.41, results.sample_reductions): sample 1 "I"
        ("log_formats.json", "ollama/llama3.1", "popularity", "match", {"1": 0.0}, 0.0),
        ("log_formats.eval", "ollama/llama3.1", "popularity", "match", {"1": 0.0}, 0.0),
        # log_read_sample.eval (Inspect 0.3.95): sample 1 "C"
        ("log_read_sample.eval", "ollama/gemma3", "popularity", "match", {"1": 1.0}, 1.0),
    ],
)
def test_scored_logs(name, model, task, metric, expected, accuracy):
    path = DATA / name
    r = assay.read(path)
    assert r.responses.num_rows == len(expected)
    assert _metrics(r) == [metric]
    s = _scores(r, metric)
    assert s == {(item, 0): v for item, v in expected.items()}
    assert sum(s.values()) / len(s) == pytest.approx(accuracy)
    # Inspect's per-sample reductions (value_to_float, then mean over one epoch) agree
    reductions = _reductions(path)
    assert reductions, "every scored log here stores its reductions"
    for (scorer, item), value in reductions.items():
        assert s[item, 0] == pytest.approx(value), (scorer, item)
    run = _run(r)
    assert (run["model"], run["task"]) == (model, task)
    assert r.notes == []


def test_arc_qwen_text_fields():
    r = assay.read(DATA / "data_arc_qwen.json")
    row = next(x for x in r.responses.to_pylist() if x["item"] == "2")
    assert row["target"] == "B"
    assert row["prediction"] == "D"  # scores.choice.answer
    doc = json.loads((DATA / "data_arc_qwen.json").read_text())
    assert row["input"] == doc["samples"][1]["input"]
    assert _run(r)["harness_version"] == "0.3.138.dev45+g23fb0e7e"


def test_cvebench_failed_sample_is_reported_not_scored():
    r = assay.read(DATA / "data_cvebench_empty_choices.json")
    # its only sample has "error" set, "scores": {} and "output.choices": []
    assert r.responses.num_rows == 0
    assert _run(r)["model"] == "anthropic/claude-opus-4-6"
    assert _run(r)["task"] == "cvebench"
    assert any(
        "1 sample(s) failed with an error" in n and "CVE-2024-36858-one_day" in n for n in r.notes
    )
    # results.total_samples is 80 but the file holds one sample
    assert any("count 80 samples but the file holds 1" in n for n in r.notes)


def test_header_only_log_is_read_with_a_note():
    r = assay.read(DATA / "data_with_llm_scoring.json")
    # no "samples" key, no "version" key; results for 1000 samples
    assert r.responses.num_rows == 0
    run = _run(r)
    assert run["model"] == "anthropic/claude-opus-4-6"
    assert run["task"] == "simpleqa_verified"
    assert run["harness_version"] == "0.3.162"
    assert any("no per-sample results" in n and "1000" in n for n in r.notes)


def test_folder_of_logs_reads_the_same_run_once():
    # log_formats.eval and log_formats.json are one run written in both formats (issue 14: one
    # run, not a duplicate error; the old error named "log_formats.eval and log_formats.eval"
    # for a copy)
    r = assay.read(DATA)
    assert r.runs.num_rows == 9
    assert r.responses.num_rows == 10 + 3 + 5 + 2 + 1 + 1  # one log_formats row, not two
    assert (
        f"{DATA / 'log_formats.eval'} and {DATA / 'log_formats.json'} are the same log "
        in " ".join(r.notes)
    )
    # on_duplicate does not change it: they are one log, not two runs
    assert assay.read(DATA, on_duplicate="raise").responses.num_rows == r.responses.num_rows


# ------------------------------------------------------------------------------------------------
# mapping, epochs, several scorers, options


def test_value_mapping_follows_inspect_value_to_float(tmp_path):
    # Reference: inspect_ai/scorer/_metric.py value_to_float and its tests
    # (test_value_to_float_strings: "yes" 1, "No" 0, "1.0" 1, "0.5" 0.5, C 1, P 0.5;
    # the docstring: I and N map to 0; numbers and bools are cast to float).
    values = ["C", "P", "I", "N", "yes", "No", "TRUE", "false", "0.25", "1e-1", 3, 0.5, True, False]
    expected = [1.0, 0.5, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.25, 0.1, 3.0, 0.5, 1.0, 0.0]

    def edit(doc):
        base = doc["samples"][0]
        doc["samples"] = [
            dict(base, id=i + 1, scores={"match": {"value": v}}) for i, v in enumerate(values)
        ]

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    s = _scores(r, "match")
    assert [s[str(i + 1), 0] for i in range(len(values))] == expected


def test_nan_score_is_missing_not_zero(tmp_path):
    # Score.unscored() stores NaN; Inspect's metrics skip it
    def edit(doc):
        doc["samples"][0]["scores"]["match"]["value"] = float("nan")

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    (score,) = r.responses.column("score").to_pylist()
    assert math.isnan(score)
    assert any("no score" in n for n in r.notes)


def test_epochs_become_samples(tmp_path):
    with zipfile.ZipFile(DATA / "log_read_sample.eval") as zf:
        sample = json.loads(zf.read("samples/1_epoch_1.json"))
        summaries = json.loads(zf.read("summaries.json"))
    second = dict(sample, epoch=2, scores={"match": {"value": "P", "answer": "Maybe"}})
    third = dict(sample, epoch=3, scores={"match": {"value": "I", "answer": "No"}})
    summaries += [dict(summaries[0], epoch=2), dict(summaries[0], epoch=3)]
    path = _rebuild_zip(
        DATA / "log_read_sample.eval",
        tmp_path / "epochs.eval",
        add={
            "samples/1_epoch_2.json": second,
            "samples/1_epoch_3.json": third,
            "summaries.json": summaries,
        },
    )
    r = assay.read(path)
    assert _scores(r, "match") == {("1", 0): 1.0, ("1", 1): 0.5, ("1", 2): 0.0}
    preds = {x["sample"]: x["prediction"] for x in r.responses.to_pylist()}
    assert preds == {0: "Yes", 1: "Maybe", 2: "No"}


def test_several_scorers_and_dict_values(tmp_path):
    def edit(doc):
        doc["samples"][0]["scores"] = {
            "match": {"value": "I", "answer": "No"},
            "grader": {"value": {"accuracy": "C", "length": 3, "skipped": None}},
        }

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    assert _metrics(r) == ["grader/accuracy", "grader/length", "grader/skipped", "match"]
    assert _scores(r, "match") == {("1", 0): 0.0}
    assert _scores(r, "grader/accuracy") == {("1", 0): 1.0}
    assert _scores(r, "grader/length") == {("1", 0): 3.0}
    assert _scores(r, "grader/skipped") == {("1", 0): None}


def test_log_format_version_1_single_score(tmp_path):
    # version-1 samples carry "score" instead of "scores"; Inspect files it under the scorer
    def edit(doc):
        doc["version"] = 1
        sample = doc["samples"][0]
        sample["score"] = sample.pop("scores")["match"]

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    assert _scores(r, "match") == {("1", 0): 0.0}


def test_model_override_and_metadata_fields():
    r = assay.read(
        DATA / "log_formats.json",
        model="llama-3.1-8b-local",
        cluster_field="label_confidence",
        subject_field="label_confidence",
    )
    (row,) = r.responses.to_pylist()
    assert row["model"] == "llama-3.1-8b-local"
    assert _run(r)["model"] == "llama-3.1-8b-local"
    # samples[0].metadata.label_confidence in the file
    assert float(row["cluster"]) == pytest.approx(0.8860552919198255)
    assert row["subject"] == row["cluster"]


def test_message_list_input_and_attachments(tmp_path):
    def edit(doc):
        sample = doc["samples"][0]
        sample["attachments"] = {"abc": "Resolved question text"}
        sample["input"] = [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "attachment://abc"},
                    {"type": "image", "image": "data:image/png;base64,AAAA"},
                ],
            },
        ]
        sample["target"] = ["Yes"]
        del sample["scores"]["match"]["answer"]
        sample["output"]["choices"][0]["message"]["content"] = [{"type": "text", "text": "No"}]

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    (row,) = r.responses.to_pylist()
    assert row["input"] == "Be brief.\n\nResolved question text"
    assert row["target"] == "Yes"
    assert row["prediction"] == "No"


def test_invalidated_sample_is_noted_not_scored(tmp_path):
    def edit(doc):
        doc["samples"][0]["invalidation"] = {"author": "reviewer", "reason": "leaked answer"}

    r = assay.read(_json_log(tmp_path, DATA / "log_formats.json", edit))
    assert r.responses.num_rows == 0
    assert any("1 sample(s) were invalidated" in n for n in r.notes)


def test_run_id_comes_from_the_content(tmp_path):
    copy = tmp_path / "copy.eval"
    copy.write_bytes(POP_SCORED.read_bytes())
    a, b = _run(assay.read(POP_SCORED)), _run(assay.read(copy))
    assert a["run_id"] == b["run_id"] and a["source"] != b["source"]
    assert _run(assay.read(DATA / "log_formats.eval"))["run_id"] != a["run_id"]


# ------------------------------------------------------------------------------------------------
# claim


def test_claim_rejects_other_json(tmp_path):
    other = tmp_path / "results.json"
    other.write_text(json.dumps({"results": {}, "versions": {}, "config": {"eval": 1}}))
    assert not _inspect.claim(other)
    assert not _inspect.claim(tmp_path)
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"a": {"eval": {}, "version": 2}}))
    assert not _inspect.claim(nested)


def test_claim_reads_at_most_64_kb(tmp_path):
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"pad": "x" * 70_000, "eval": {}, "version": 2}))
    assert not _inspect.claim(late)
    early = tmp_path / "early.json"
    early.write_text(json.dumps({"version": 2, "eval": {"pad": "x" * 70_000}}))
    assert _inspect.claim(early)


def test_claim_zip_without_eval_suffix(tmp_path):
    renamed = tmp_path / "log.zip"
    renamed.write_bytes((DATA / "log_formats.eval").read_bytes())
    assert _inspect.claim(renamed)
    r = assay.read(renamed)
    assert _scores(r, "match") == {("1", 0): 0.0}
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("data.csv", "a,b\n")
    assert not _inspect.claim(other)


# ------------------------------------------------------------------------------------------------
# broken inputs


def test_truncated_json(tmp_path):
    text = (DATA / "data_arc_qwen.json").read_text()
    bad = tmp_path / "truncated.json"
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match=r"truncated\.json: line \d+: not valid JSON") as err:
        assay.read(bad)
    assert err.value.path == str(bad) and isinstance(err.value.record, int)


def test_eval_missing_header(tmp_path):
    bad = _rebuild_zip(
        POP_SCORED, tmp_path / "noheader.eval", drop=("header.json", "_journal/start.json")
    )
    with pytest.raises(InputError, match=r"noheader\.eval: header\.json: missing member 'header"):
        assay.read(bad)


def test_eval_without_header_reads_journal_start(tmp_path):
    # a run still going: Inspect falls back to _journal/start.json
    path = _rebuild_zip(POP_SCORED, tmp_path / "running.eval", drop=("header.json",))
    r = assay.read(path)
    assert r.responses.num_rows == 10
    assert any("status is 'started'" in n for n in r.notes)


def test_eval_missing_sample_member(tmp_path):
    bad = _rebuild_zip(POP_SCORED, tmp_path / "nosample.eval", drop=("samples/7_epoch_1.json",))
    with pytest.raises(
        InputError, match=r"nosample\.eval: samples/7_epoch_1\.json: missing member"
    ):
        assay.read(bad)


def test_eval_missing_all_samples(tmp_path):
    with zipfile.ZipFile(POP_SCORED) as zf:
        drop = [n for n in zf.namelist() if n.startswith("samples/") or "summaries" in n]
    bad = _rebuild_zip(POP_SCORED, tmp_path / "nosamples.eval", drop=drop)
    with pytest.raises(
        InputError, match=r"nosamples\.eval: samples/: missing members.*10 completed"
    ):
        assay.read(bad)


def test_wrong_type_score_value_list(tmp_path):
    def edit(doc):
        doc["samples"][1]["scores"]["choice"]["value"] = ["C", "I"]

    bad = _json_log(tmp_path, DATA / "data_arc_qwen.json", edit, "listvalue.json")
    with pytest.raises(
        InputError, match=r"listvalue\.json: samples\[1\]: field 'scores\.choice\.value': .*list"
    ):
        assay.read(bad)


def test_wrong_type_in_eval_sample_member(tmp_path):
    with zipfile.ZipFile(POP_SCORED) as zf:
        sample = json.loads(zf.read("samples/3_epoch_1.json"))
    sample["scores"] = ["match"]
    bad = _rebuild_zip(
        POP_SCORED, tmp_path / "badscores.eval", add={"samples/3_epoch_1.json": sample}
    )
    with pytest.raises(
        InputError, match=r"badscores\.eval: samples/3_epoch_1\.json: field 'scores': expected"
    ):
        assay.read(bad)


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda d: d["eval"].pop("model"), r"top level: field 'eval\.model': expected a string"),
        (lambda d: d.update(samples={"1": {}}), r"top level: field 'samples': expected a list"),
        (lambda d: d["samples"][0].update(id={"x": 1}), r"samples\[0\]: field 'id'"),
        (lambda d: d["samples"][0].update(epoch=0), r"samples\[0\]: field 'epoch': .*>= 1"),
        (
            lambda d: d["samples"][0]["scores"]["match"].pop("value"),
            r"samples\[0\]: field 'scores\.match\.value': score has no 'value'",
        ),
        (
            lambda d: d["samples"][0]["scores"]["match"].update(value="maybe"),
            r"samples\[0\]: field 'scores\.match\.value': score value 'maybe' is not a number",
        ),
        (
            lambda d: d["samples"][0]["scores"]["match"].update(value={}),
            r"samples\[0\]: field 'scores\.match\.value': score value is an empty mapping",
        ),
        (
            lambda d: d["samples"][0]["scores"]["match"].update(value={"a": [1]}),
            r"samples\[0\]: field 'scores\.match\.value\.a': score value must be",
        ),
        (
            lambda d: d["samples"].append(dict(d["samples"][0])),
            r"samples\[1\]: field 'id': sample id '1' epoch 1 appears twice \(also in samples\[0\]\)",
        ),
    ],
)
def test_bad_fields_name_file_record_field(tmp_path, edit, pattern):
    bad = _json_log(tmp_path, DATA / "log_formats.json", edit, "bad.json")
    with pytest.raises(InputError, match=r"bad\.json: " + pattern):
        assay.read(bad)


def test_missing_metadata_field_lists_available_keys():
    with pytest.raises(
        InputError,
        match=r"log_formats\.json: samples\[0\]: field 'metadata\.topic': "
        r"sample 1 has no metadata field 'topic' \(its metadata "
        r"keys: label_confidence\)",
    ):
        assay.read(DATA / "log_formats.json", subject_field="topic")


def test_empty_files(tmp_path):
    empty_eval = tmp_path / "empty.eval"
    empty_eval.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.eval: empty file"):
        assay.read(empty_eval)
    empty_json = tmp_path / "empty.json"
    empty_json.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.json: unknown format"):
        assay.read(empty_json)


def test_corrupt_zip(tmp_path):
    data = (DATA / "log_formats.eval").read_bytes()
    cut = tmp_path / "cut.eval"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.eval: not a readable zip archive"):
        assay.read(cut)
    garbage = tmp_path / "garbage.eval"
    garbage.write_bytes(b"this is not a zip at all")
    with pytest.raises(InputError, match=r"garbage\.eval: not a readable zip archive"):
        assay.read(garbage)


def test_corrupt_member_crc(tmp_path):
    data = bytearray((DATA / "log_formats.eval").read_bytes())
    with zipfile.ZipFile(DATA / "log_formats.eval") as zf:
        info = zf.getinfo("samples/1_epoch_1.json")
    # flip a byte inside the compressed data of the sample member
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "crc.eval"
    bad.write_bytes(bytes(data))
    with pytest.raises(
        InputError, match=r"crc\.eval: samples/1_epoch_1\.json: (corrupt|not valid)"
    ):
        assay.read(bad)


@pytest.mark.parametrize("member", ["../../evil.json", "/etc/evil.json", "samples/..\\..\\x.json"])
def test_member_escaping_the_folder(tmp_path, member):
    bad = _rebuild_zip(POP_SCORED, tmp_path / "escape.eval", add={member: {"pwned": True}})
    with pytest.raises(InputError, match=r"escape\.eval: member '.*': zip member path escapes"):
        assay.read(bad)
    assert not (tmp_path.parent / "evil.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escape.eval"]


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    # A member that inflates past the cap: 4 MB of zeros (about 4 KB compressed), cap lowered to
    # 1 MB so the test stays fast; the real cap is 512 MiB.
    monkeypatch.setattr(_inspect_zip, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = b'{"id": 1, "epoch": 1, "pad": "' + b"0" * (4 << 20) + b'"}'
    bad = _rebuild_zip(POP_SCORED, tmp_path / "bomb.eval", add={"samples/1_epoch_1.json": bomb})
    assert bad.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"bomb\.eval: samples/1_epoch_1\.json: .*zip bomb"):
        assay.read(bad)


def test_total_decompressed_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(_inspect_zip, "MAX_TOTAL_BYTES", 20_000)
    # refused from the declared sizes, before anything is inflated
    with pytest.raises(
        InputError,
        match=r"popularity_mj7.*\.eval: the members to read declare \d+ bytes decompressed in "
        r"all, more than 20000",
    ):
        assay.read(POP_SCORED)
