"""The lm-evaluation-harness reader, on the real files in tests/data/logs/lm_eval and broken copies.

Facts asserted for the real runs were read by hand from the files themselves (the line of the
samples file is named beside each); the per-task means are checked against the aggregate that
lm-eval itself wrote into the results file, an outside reference for what the rows hold.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

import assay
from assay._core import InputError
from assay.io import _lm_eval

DATA = Path(__file__).resolve().parents[1] / "data" / "logs" / "lm_eval"
ASDIV = "llama3-8b-instruct_asdiv"
ASDIV_DATE = "2024-08-21T03-44-09.494230"
MATH = "math_perturbed"
MATH_DATE = "2026-01-21T03-44-18.458309"
NEGO = "qwen3-8b_negotiationtom"
NEGO_DATE = "2026-07-08T18-15-33.115417"


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """A writable copy of the real lm-eval folder."""
    dst = tmp_path / "lm_eval"
    shutil.copytree(DATA, dst)
    for p in dst.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    return dst


def _results(folder: Path, run: str, date: str) -> Path:
    return folder / run / f"results_{date}.json"


def _samples(folder: Path, run: str, task: str, date: str) -> Path:
    return folder / run / f"samples_{task}_{date}.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _score(table, *, task: str, item: str, metric: str, sample: int = 0) -> float:
    mask = pc.and_(
        pc.and_(pc.equal(table["task"], task), pc.equal(table["item"], item)),
        pc.and_(pc.equal(table["metric"], metric), pc.equal(table["sample"], sample)),
    )
    rows = table.filter(mask).to_pylist()
    assert len(rows) == 1, rows
    return rows[0]


def _task_rows(table, task: str) -> list[dict]:
    return table.filter(pc.equal(table["task"], task)).to_pylist()


def _make_large_samples(results: Path, task: str, dst: Path, target_bytes: int) -> Path:
    """Copy a real run to ``dst``, repeating its samples rows with new doc ids up to ``target_bytes``.

    For the ingest benchmark (issue 2: lm-eval samples JSONL read at >= 50 MB/s). Returns the new
    results file; its samples file sits beside it, as lm-eval writes them.
    """
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(results, dst / results.name)
    date = results.name[len("results_") : -len(".json")]
    source = results.parent / f"samples_{task}_{date}.jsonl"
    tails = [re.sub(rb'^\{"doc_id": \d+', b"", line) for line in source.read_bytes().splitlines()]
    size = doc_id = 0
    with open(dst / source.name, "wb") as fh:
        while size < target_bytes:
            for tail in tails:
                line = b'{"doc_id": %d' % doc_id + tail + b"\n"
                fh.write(line)
                size += len(line)
                doc_id += 1
    return dst / results.name


# ------------------------------------------------------------------------------- real runs


def test_asdiv_2024_loglikelihood_run():
    res = assay.read(_results(DATA, ASDIV, ASDIV_DATE))
    t = res.responses
    assert t.num_rows == 50  # 50 lines, one per doc, one metric
    assert set(t["item"].to_pylist()) == {str(i) for i in range(50)}
    assert set(t["model"].to_pylist()) == {"meta-llama/Meta-Llama-3-8B-Instruct"}
    assert set(t["metric"].to_pylist()) == {"acc,none"}  # 2024 rows: no 'filter' key, one filter
    row = _score(t, task="asdiv", item="30", metric="acc,none")  # line 31: "acc": 0, target "13"
    assert row["score"] == 0.0
    assert row["target"] == "13"
    assert row["choice_logprobs"] is None  # one continuation scored: no choice distribution
    row0 = _score(t, task="asdiv", item="0", metric="acc,none")  # line 1: "acc": 1
    assert row0["score"] == 1.0
    assert row0["input"].endswith(
        "Seven red apples and two green apples are in the basket.\nQuestion:"
        "How many apples are in the basket?\nAnswer:<|eot_id|><|start_header_id|>"
        "assistant<|end_header_id|>\n\n"
    )
    # lm-eval's own aggregate in the results file: "acc,none": 0.92
    assert pc.mean(t["score"]).as_py() == pytest.approx(0.92)
    (run,) = res.runs.to_pylist()
    assert run["harness"] == "lm_eval"
    assert run["harness_version"] == "git 59170e85"
    assert run["created"] == "2024-08-21T03:43:56.101268+00:00"  # "date": 1724211836.1012678 (UTC)
    assert run["task"] == "asdiv" and run["task_group"] is None
    assert run["run_id"].startswith("lm_eval-") and run["run_id"].endswith("-asdiv")
    config = json.loads(run["config"])
    assert config["task_config"]["output_type"] == "loglikelihood"
    assert config["run_config"]["model_args"] == "pretrained=meta-llama/Meta-Llama-3-8B-Instruct"
    assert len(res.sources) == 2


def test_math_perturbed_generative_run():
    res = assay.read(_results(DATA, MATH, MATH_DATE))
    t = res.responses
    assert t.num_rows == 10
    assert set(t["model"].to_pylist()) == {
        "RylanSchaeffer/mem_Qwen3-93M_minerva_math_rep_0_sbst_1.0000_epch_1_ot_1"
    }
    assert set(t["metric"].to_pylist()) == {"exact_match,none"}
    assert set(t["task"].to_pylist()) == {"math_perturbed_full"}
    row = _score(t, task="math_perturbed_full", item="3", metric="exact_match,none")  # line 4
    assert row["score"] == 0.0
    assert row["target"] == "-3"
    assert row["prediction"].startswith(" 1.1.1.1.1.1")
    assert (
        row["input"]
        == _rows(_samples(DATA, MATH, "math_perturbed_full", MATH_DATE))[3]["arguments"][
            "gen_args_0"
        ]["arg_0"]
    )
    assert row["choice_logprobs"] is None
    # the results file lists math_rephrased_full too, without samples; and says 5000 docs ran
    assert any("math_rephrased_full" in n and "no samples file" in n for n in res.notes)
    assert any("10 item(s)" in n and "5000" in n for n in res.notes)
    # math_rephrased_full has a run too (aggregates only, issue 15); one run has samples
    runs = {r["task"]: r for r in res.runs.to_pylist()}
    assert set(runs) == {"math_perturbed_full", "math_rephrased_full"}
    assert set(res.responses["run_id"].to_pylist()) == {runs["math_perturbed_full"]["run_id"]}
    run = runs["math_perturbed_full"]
    assert run["harness_version"] == "0.4.9.2 (git 1f84a09f)"


def test_negotiationtom_group_with_multiple_choice_and_corpus_metrics():
    res = assay.read(_results(DATA, NEGO, NEGO_DATE))
    t = res.responses
    assert set(t["model"].to_pylist()) == {"Qwen/Qwen3-8B"}
    runs = {r["task"]: r for r in res.runs.to_pylist()}
    # the group has a run of its own that holds only lm-eval's aggregates (issue 15)
    assert runs.pop("negotiationtom")["task_group"] is None
    assert set(runs) == {
        "negotiationtom_belief",
        "negotiationtom_desire",
        "negotiationtom_intention",
    }
    assert {r["task_group"] for r in runs.values()} == {"negotiationtom"}
    for task in runs:
        assert len({r["item"] for r in _task_rows(t, task)}) == 20
    # line 1 of the belief samples: target "3", acc 0.0, four choices
    row = _score(t, task="negotiationtom_belief", item="0", metric="acc,none")
    assert row["score"] == 0.0 and row["target"] == "3"
    assert row["choice_logprobs"] == [-10.125, -17.625, -21.125, -17.875]
    row = _score(t, task="negotiationtom_belief", item="13", metric="acc,none")  # line 14
    assert row["score"] == 0.0 and row["choice_logprobs"] == [-12.75, -17.0, -20.75, -18.0]
    row = _score(t, task="negotiationtom_desire", item="0", metric="acc,none")  # line 1
    assert row["score"] == 1.0 and len(row["choice_logprobs"]) == 4
    assert row["choice_logprobs"][0] == pytest.approx(-0.005401611328125)
    # intention: micro_f1/macro_f1 rows hold (gold, pred) pairs for a corpus-level F1
    assert {r["metric"] for r in _task_rows(t, "negotiationtom_intention")} == {"exact_match,none"}
    row = _score(
        t, task="negotiationtom_intention", item="10", metric="exact_match,none"
    )  # line 11
    assert row["score"] == 1.0 and row["prediction"] == "A  " and row["target"] == "Build-Rapport"
    assert sum("micro_f1" in n and "corpus-level" in n for n in res.notes) == 1
    assert sum("macro_f1" in n and "corpus-level" in n for n in res.notes) == 1
    # lm-eval's aggregates in the results file: belief 0.45, desire 0.6, intention exact_match 0.2
    for task, expected in (
        ("negotiationtom_belief", 0.45),
        ("negotiationtom_desire", 0.6),
        ("negotiationtom_intention", 0.2),
    ):
        scores = [r["score"] for r in _task_rows(t, task)]
        assert sum(scores) / len(scores) == pytest.approx(expected)
    config = json.loads(runs["negotiationtom_belief"]["config"])
    assert config["run_config"]["model_args"] == {
        "pretrained": "Qwen/Qwen3-8B",
        "dtype": "bfloat16",
        "enable_thinking": False,
    }
    assert runs["negotiationtom_belief"]["harness_version"] == (
        "0.4.13.dev0 (git eb02ba327fb7c76475b12c8cdcf88623ec013a24)"
    )
    assert len(res.sources) == 4


def test_whole_folder_in_one_call():
    res = assay.read(DATA)
    assert res.responses.num_rows == 50 + 10 + 20 * 3
    # 5 runs with samples, and 2 with aggregates only: math_rephrased_full, the negotiationtom group
    assert res.runs.num_rows == 7
    assert len(set(res.responses["run_id"].to_pylist())) == 5
    assert set(res.responses["model"].to_pylist()) == {
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "Qwen/Qwen3-8B",
        "RylanSchaeffer/mem_Qwen3-93M_minerva_math_rep_0_sbst_1.0000_epch_1_ot_1",
    }
    files = {str(p) for p in DATA.rglob("*.json*")}
    assert files <= set(res.sources)
    assert not any("skipped" in n for n in res.notes)


def test_samples_file_alone_reads_its_task_through_the_results_file():
    samples = _samples(DATA, NEGO, "negotiationtom_desire", NEGO_DATE)
    res = assay.read(samples)
    assert set(res.responses["task"].to_pylist()) == {"negotiationtom_desire"}
    assert res.responses.num_rows == 20
    assert str(_results(DATA, NEGO, NEGO_DATE)) in res.sources and str(samples) in res.sources


def test_options_model_cluster_subject():
    res = assay.read(
        _results(DATA, NEGO, NEGO_DATE),
        model="qwen3-8b-nothink",
        cluster_field="dialogue_id",
        subject_field="slot",
    )
    assert set(res.responses["model"].to_pylist()) == {"qwen3-8b-nothink"}
    row = _score(res.responses, task="negotiationtom_belief", item="13", metric="acc,none")
    assert row["subject"] == "medium"  # line 14 of the belief samples: doc.slot
    assert row["cluster"] is not None
    # the intention docs have no 'slot': their subject is empty, and the notes say so
    assert all(r["subject"] is None for r in _task_rows(res.responses, "negotiationtom_intention"))
    assert any("no doc key 'slot'" in n for n in res.notes)


def test_claim():
    assert _lm_eval.claim(_results(DATA, ASDIV, ASDIV_DATE))
    assert _lm_eval.claim(_samples(DATA, ASDIV, "asdiv", ASDIV_DATE))
    assert not _lm_eval.claim(DATA / "README.md")
    assert not _lm_eval.claim(DATA)
    assert (
        assay.io.detect_format(_samples(DATA, MATH, "math_perturbed_full", MATH_DATE)) == "lm_eval"
    )


def test_claim_rejects_other_json(tmp_path: Path):
    other = tmp_path / "results.json"
    other.write_text(json.dumps({"results": {"task": {"acc": 0.5}}, "config_general": {}}))
    assert not _lm_eval.claim(other)
    table = tmp_path / "scores.jsonl"
    table.write_text('{"item": "a", "score": 1}\n')
    assert not _lm_eval.claim(table)
    table.write_text('{"doc_id": "a", "score": 1}\n')  # a plain table that starts with doc_id
    assert not _lm_eval.claim(table)


def test_results_and_samples_without_a_date(logs: Path):
    """Some lm-eval versions and --output_path forms write results.json and samples_<task>.jsonl."""
    folder = logs / ASDIV
    _results(logs, ASDIV, ASDIV_DATE).rename(folder / "results.json")
    _samples(logs, ASDIV, "asdiv", ASDIV_DATE).rename(folder / "samples_asdiv.jsonl")
    assert _lm_eval.claim(folder / "results.json")
    assert assay.read(folder).responses.num_rows == 50
    alone = assay.read(folder / "samples_asdiv.jsonl")
    assert alone.responses.num_rows == 50 and str(folder / "results.json") in alone.sources


# ------------------------------------------------------------------------------------- gzip


def test_gzipped_samples_give_the_same_table(logs: Path):
    plain = assay.read(_results(logs, NEGO, NEGO_DATE)).responses
    for p in (logs / NEGO).glob("samples_*.jsonl"):
        p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes()))
        p.unlink()
    assert _lm_eval.claim(next((logs / NEGO).glob("samples_*.jsonl.gz")))
    zipped = assay.read(logs / NEGO)
    # run ids hash the files read, so they differ; everything else is the same
    assert zipped.responses.drop_columns(["run_id"]).equals(plain.drop_columns(["run_id"]))
    assert sum(s.endswith(".jsonl.gz") for s in zipped.sources) == 3
    alone = assay.read(next((logs / NEGO).glob("samples_negotiationtom_belief_*.jsonl.gz")))
    assert set(alone.responses["task"].to_pylist()) == {"negotiationtom_belief"}


def test_plain_and_gzipped_twins_are_read_once(logs: Path):
    p = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes()))
    res = assay.read(logs / ASDIV)
    assert res.responses.num_rows == 50
    assert any("read " + p.name + " only" in n for n in res.notes)


def test_corrupt_gzip(logs: Path):
    p = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    data = gzip.compress(p.read_bytes())
    p.with_name(p.name + ".gz").write_bytes(data[: len(data) // 2])
    p.unlink()
    with pytest.raises(InputError, match=r"samples_asdiv_.*\.jsonl\.gz.*truncated or corrupt gzip"):
        assay.read(logs / ASDIV)


# ----------------------------------------------------------------------- shapes and features


def test_filters_become_part_of_the_metric(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    strict = [dict(r, filter="strict-match", exact_match=1.0) for r in rows]
    _write_rows(path, rows + strict)
    t = assay.read(_results(logs, MATH, MATH_DATE)).responses
    assert set(t["metric"].to_pylist()) == {"exact_match,none", "exact_match,strict-match"}
    assert (
        _score(t, task="math_perturbed_full", item="2", metric="exact_match,strict-match")["score"]
        == 1.0
    )


def test_rows_without_filter_key_follow_the_results_filter_order(logs: Path):
    """lm-eval before mid-2024 wrote one row per (doc, filter) with no 'filter' key."""
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = [{k: v for k, v in r.items() if k not in ("filter", "metrics")} for r in _rows(path)]
    _write_rows(path, rows + [dict(r, exact_match=1.0) for r in rows])

    def two_filters(d):
        d["results"]["math_perturbed_full"] = {
            "alias": "math_perturbed_full",
            "exact_match,strict-match": 0.0,
            "exact_match_stderr,strict-match": 0.0,
            "exact_match,flexible-extract": 1.0,
        }

    _edit_json(_results(logs, MATH, MATH_DATE), two_filters)
    res = assay.read(_results(logs, MATH, MATH_DATE))
    t = res.responses
    assert (
        _score(t, task="math_perturbed_full", item="0", metric="exact_match,strict-match")["score"]
        == 0.0
    )
    assert (
        _score(t, task="math_perturbed_full", item="0", metric="exact_match,flexible-extract")[
            "score"
        ]
        == 1.0
    )
    assert any("k-th filter" in n for n in res.notes)


def test_repeats_become_samples(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    for r in rows:
        r["resps"] = [["x1", "x2", "x3"]]
        r["filtered_resps"] = [["a", "b", "c"]]
        r["exact_match"] = [0.0, 1.0, 0.0]
    _write_rows(path, rows)
    _edit_json(
        _results(logs, MATH, MATH_DATE),
        lambda d: d["configs"]["math_perturbed_full"].update(repeats=3),
    )
    t = assay.read(_results(logs, MATH, MATH_DATE)).responses
    assert t.num_rows == 30
    assert sorted(set(t["sample"].to_pylist())) == [0, 1, 2]
    row = _score(t, task="math_perturbed_full", item="4", metric="exact_match,none", sample=1)
    assert row["score"] == 1.0 and row["prediction"] == "b"


def test_repeats_combined_by_a_filter_stay_one_sample(logs: Path):
    _edit_json(
        _results(logs, MATH, MATH_DATE),
        lambda d: d["configs"]["math_perturbed_full"].update(repeats=4),
    )
    res = assay.read(_results(logs, MATH, MATH_DATE))
    assert set(res.responses["sample"].to_pylist()) == {0}
    assert any("repeats=4" in n and "one sample" in n for n in res.notes)


def test_older_list_shape_of_arguments_and_json_array_file(logs: Path):
    """lm-eval 0.4.0-0.4.2 wrote ``arguments`` as ``[[context, continuation], ...]``, one JSON array."""
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    rows = _rows(path)
    for r in rows:
        r["arguments"] = [[r["arguments"]["gen_args_0"]["arg_0"], " " + r["target"]]]
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert _lm_eval.claim(path)
    t = assay.read(_results(logs, ASDIV, ASDIV_DATE)).responses
    assert t.num_rows == 50
    assert _score(t, task="asdiv", item="0", metric="acc,none")["input"].endswith(
        "Answer:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_model_from_model_args_with_revision_and_step(logs: Path):
    def pythia(d):
        del d["model_name"]
        d["config"]["model_args"] = (
            "pretrained=EleutherAI/pythia-160m,revision=step1000,dtype=float16"
        )

    _edit_json(_results(logs, ASDIV, ASDIV_DATE), pythia)
    t = assay.read(_results(logs, ASDIV, ASDIV_DATE)).responses
    assert set(t["model"].to_pylist()) == {"EleutherAI/pythia-160m@step1000"}
    assert set(t["step"].to_pylist()) == {1000}


def test_model_from_model_args_dict(logs: Path):
    _edit_json(_results(logs, NEGO, NEGO_DATE), lambda d: d.pop("model_name"))
    t = assay.read(_results(logs, NEGO, NEGO_DATE)).responses
    assert set(t["model"].to_pylist()) == {"Qwen/Qwen3-8B"}


def test_nested_groups_keep_the_chain(logs: Path):
    _edit_json(
        _results(logs, NEGO, NEGO_DATE),
        lambda d: d["group_subtasks"].update(theory_of_mind=["negotiationtom"]),
    )
    runs = assay.read(_results(logs, NEGO, NEGO_DATE)).runs
    sub = runs.filter(pc.field("task") != "negotiationtom")  # the group's own aggregate run
    assert set(sub["task_group"].to_pylist()) == {"theory_of_mind/negotiationtom"}


def test_output_folder_with_several_models(tmp_path: Path):
    """lm-eval writes OUT/<model_name_sanitized>/results_<date>.json; several models in one call."""
    out = tmp_path / "out"
    first = out / "meta-llama__Meta-Llama-3-8B-Instruct"
    shutil.copytree(DATA / ASDIV, first)
    second = out / "meta-llama__Meta-Llama-3-8B"
    second.mkdir()
    date = "2024-08-22T10-00-00.000001"
    results = json.loads(_results(DATA, ASDIV, ASDIV_DATE).read_text())
    results.update(
        model_name="meta-llama/Meta-Llama-3-8B", model_name_sanitized="meta-llama__Meta-Llama-3-8B"
    )
    (second / f"results_{date}.json").write_text(json.dumps(results, indent=2))
    rows = _rows(_samples(DATA, ASDIV, "asdiv", ASDIV_DATE))
    _write_rows(second / f"samples_asdiv_{date}.jsonl", [dict(r, acc=1 - r["acc"]) for r in rows])
    res = assay.read(out)
    assert res.runs.num_rows == 2 and res.responses.num_rows == 100
    m = assay.io.build_matrix(res.responses, task="asdiv", metric="acc,none")
    assert m.models == ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct")
    assert m.values.shape[:2] == (2, 50)


def test_make_large_samples_helper(tmp_path: Path):
    res = _make_large_samples(_results(DATA, ASDIV, ASDIV_DATE), "asdiv", tmp_path / "big", 400_000)
    t = assay.read(res).responses
    assert t.num_rows == len(set(t["item"].to_pylist())) >= 100


# ----------------------------------------------------------------------------- broken inputs


def _break_line(path: Path, lineno: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[lineno - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_truncated_line_in_the_middle(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    line = path.read_text(encoding="utf-8").splitlines()[2]
    _break_line(path, 3, line[: len(line) // 2])
    with pytest.raises(
        InputError, match=r"samples_asdiv_.*jsonl: line 3: not valid JSON \(a truncated line\?\)"
    ):
        assay.read(logs / ASDIV)


def test_truncated_last_line(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 500])
    with pytest.raises(InputError, match=r"line 50: not valid JSON") as info:
        assay.read(_results(logs, ASDIV, ASDIV_DATE))
    assert info.value.path == str(path) and info.value.record == 50


def test_doc_id_of_wrong_type(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    rows[4]["doc_id"] = {"id": 4}
    _write_rows(path, rows)
    with pytest.raises(
        InputError, match=r"line 5: field 'doc_id': expected an integer or string; got an object"
    ):
        assay.read(logs / MATH)


def test_metric_value_a_string(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    rows = _rows(path)
    rows[6]["acc"] = "1"
    _write_rows(path, rows)
    with pytest.raises(
        InputError, match=r"line 7: field 'acc': expected a number; got a string '1'"
    ):
        assay.read(logs / ASDIV)


def test_row_not_an_object(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    _break_line(path, 2, "[1, 2]")
    with pytest.raises(InputError, match=r"line 2: expected a JSON object; got list"):
        assay.read(logs / ASDIV)


def test_metric_listed_but_missing(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    del rows[1]["exact_match"]
    _write_rows(path, rows)
    with pytest.raises(
        InputError, match=r"line 2: field 'exact_match': listed in 'metrics' but not in the row"
    ):
        assay.read(logs / MATH)


def test_row_without_any_metric(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    rows = _rows(path)
    del rows[9]["acc"]
    _write_rows(path, rows)
    with pytest.raises(
        InputError,
        match=r"line 10: field 'metrics': the row has none of the task's metrics \(acc\)",
    ):
        assay.read(logs / ASDIV)


def test_metrics_of_wrong_type(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    rows[0]["metrics"] = "exact_match"
    _write_rows(path, rows)
    with pytest.raises(
        InputError, match=r"line 1: field 'metrics': expected a list of metric names"
    ):
        assay.read(logs / MATH)


def test_filter_of_wrong_type(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    rows[3]["filter"] = 7
    _write_rows(path, rows)
    with pytest.raises(InputError, match=r"line 4: field 'filter': expected a string; got int"):
        assay.read(logs / MATH)


def test_bad_choice_loglikelihoods(logs: Path):
    path = _samples(logs, NEGO, "negotiationtom_belief", NEGO_DATE)
    rows = _rows(path)
    rows[5]["filtered_resps"] = [["oops", "False"], ["-1", "True"]]
    _write_rows(path, rows)
    with pytest.raises(
        InputError,
        match=r"belief.*line 6: field 'filtered_resps': expected \[loglikelihood, is_greedy\]",
    ):
        assay.read(logs / NEGO)


def test_filtered_resps_not_a_list(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    rows[2]["filtered_resps"] = "text"
    _write_rows(path, rows)
    with pytest.raises(
        InputError, match=r"line 3: field 'filtered_resps': expected a list; got a string"
    ):
        assay.read(logs / MATH)


def test_duplicate_doc_and_filter(logs: Path):
    path = _samples(logs, MATH, "math_perturbed_full", MATH_DATE)
    rows = _rows(path)
    _write_rows(path, [*rows, rows[2]])
    with pytest.raises(
        InputError,
        match=r"line 11: field 'doc_id': doc_id 2 with filter 'none' appears twice \(also at line 3\)",
    ):
        assay.read(logs / MATH)


def test_duplicate_doc_without_filter_key(logs: Path):
    path = _samples(logs, ASDIV, "asdiv", ASDIV_DATE)
    rows = _rows(path)
    _write_rows(path, [*rows, rows[0]])
    with pytest.raises(
        InputError,
        match=r"line 51: field 'doc_id': doc_id 0 appears 2 times but the task has 1 filter",
    ):
        assay.read(logs / ASDIV)


def test_empty_samples_file(logs: Path):
    _samples(logs, ASDIV, "asdiv", ASDIV_DATE).write_text("")
    with pytest.raises(InputError, match=r"samples_asdiv_.*jsonl: empty file"):
        assay.read(_results(logs, ASDIV, ASDIV_DATE))


def test_empty_results_file(logs: Path):
    _results(logs, ASDIV, ASDIV_DATE).write_text("")
    with pytest.raises(InputError, match=r"results_.*\.json: empty file"):
        assay.read(logs / ASDIV)


def test_results_without_results_key(logs: Path):
    _edit_json(_results(logs, ASDIV, ASDIV_DATE), lambda d: d.pop("results"))
    with pytest.raises(InputError, match=r"results_.*\.json: field 'results': no 'results' key"):
        assay.read(logs / ASDIV)


def test_results_field_of_wrong_type(logs: Path):
    _edit_json(_results(logs, ASDIV, ASDIV_DATE), lambda d: d.update(configs=["asdiv"]))
    with pytest.raises(InputError, match=r"field 'configs': expected an object; got list"):
        assay.read(logs / ASDIV)


def test_repeats_of_wrong_type(logs: Path):
    _edit_json(
        _results(logs, ASDIV, ASDIV_DATE), lambda d: d["configs"]["asdiv"].update(repeats="3")
    )
    with pytest.raises(
        InputError, match=r"configs.asdiv: field 'repeats': expected an integer >= 1; got '3'"
    ):
        assay.read(logs / ASDIV)


def test_results_not_json(logs: Path):
    path = _results(logs, ASDIV, ASDIV_DATE)
    path.write_text(path.read_text()[:2000])
    with pytest.raises(InputError, match=r"results_.*\.json: line \d+: not valid JSON"):
        assay.read(logs / ASDIV)


def test_results_not_an_object(logs: Path):
    _results(logs, ASDIV, ASDIV_DATE).write_text("[1, 2]")
    with pytest.raises(InputError, match=r"expected a JSON object at the top; got list"):
        assay.read(logs / ASDIV)


def test_samples_without_results_file(logs: Path):
    _results(logs, ASDIV, ASDIV_DATE).unlink()
    with pytest.raises(
        InputError, match=r"samples_asdiv_.*jsonl: the lm-eval results file is missing"
    ):
        assay.read(logs / ASDIV)


def test_results_without_any_samples_reads_the_aggregates(logs: Path):
    # issue 15: a results file without samples was refused; it reads, with lm-eval's values
    _samples(logs, ASDIV, "asdiv", ASDIV_DATE).unlink()
    res = assay.read(_results(logs, ASDIV, ASDIV_DATE))
    assert res.responses.num_rows == 0
    (row,) = res.aggregates.to_pylist()
    assert (row["task"], row["metric"], row["value"]) == ("asdiv", "acc,none", 0.92)
    assert row["stderr"] == pytest.approx(0.0387561713321444)
    assert any("--log_samples" in n for n in res.notes)


def test_results_without_samples_or_values(logs: Path):
    _samples(logs, ASDIV, "asdiv", ASDIV_DATE).unlink()
    _edit_json(_results(logs, ASDIV, ASDIV_DATE), lambda d: d["results"]["asdiv"].pop("acc,none"))
    with pytest.raises(InputError, match=r"no samples file found for any task.*--log_samples"):
        assay.read(_results(logs, ASDIV, ASDIV_DATE))


def test_no_model_name(logs: Path):
    def anonymous(d):
        for key in ("model_name", "model_name_sanitized"):
            d.pop(key)
        d["config"]["model_args"] = "dtype=float16"

    _edit_json(_results(logs, ASDIV, ASDIV_DATE), anonymous)
    with pytest.raises(InputError, match=r"field 'model_name': no model name.*pass model="):
        assay.read(logs / ASDIV)
    assert set(assay.read(logs / ASDIV, model="mine").responses["model"].to_pylist()) == {"mine"}


def test_cluster_field_absent_from_every_doc():
    with pytest.raises(
        InputError, match=r"results_.*field 'no_such_key': no sample's doc has the key"
    ):
        assay.read(_results(DATA, ASDIV, ASDIV_DATE), cluster_field="no_such_key")
