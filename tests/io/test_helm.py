"""HELM run folders: facts read by hand from the files in tests/data/logs/helm.

Every expected value below was looked up in the JSON files themselves (per_instance_stats.json,
run_spec.json, scenario_state.json), not taken from the reader's output.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

import assay
from assay._core import InputError
from assay.io import detect_format
from assay.io._helm import claim, task_name

HELM = Path(__file__).resolve().parents[1] / "data" / "logs" / "helm"
MMLU = HELM / "mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2"
HELLASWAG = (
    HELM
    / "commonsense-dataset=hellaswag,method=multiple_choice_joint,model=eleutherai_pythia-1b-v0"
)
NARRATIVE = HELM / "narrative_qa-model=openai_gpt2"

MC_METRICS = {
    "exact_match",
    "quasi_exact_match",
    "prefix_exact_match",
    "quasi_prefix_exact_match",
    "exact_match@5",
    "quasi_exact_match@5",
    "prefix_exact_match@5",
    "quasi_prefix_exact_match@5",
}

# (folder, n instances, model, task, metric names, (instance, metric, score))
# per_instance_stats.json: mmlu has 10 records, id222 is the only exact_match 1.0;
# hellaswag has 10 records, id45277 has exact_match 1.0; narrative_qa has 5 records and
# id1332 has f1_score mean 0.3333333333333333 (line 604 of its per_instance_stats.json).
CASES = [
    (
        MMLU,
        10,
        "openai/gpt2",
        "mmlu:subject=philosophy,method=multiple_choice_joint",
        MC_METRICS,
        ("id222", "exact_match", 1.0),
    ),
    (
        HELLASWAG,
        10,
        "eleutherai/pythia-1b-v0",
        "commonsense:dataset=hellaswag,method=multiple_choice_joint",
        MC_METRICS,
        ("id45277", "exact_match", 1.0),
    ),
    (
        NARRATIVE,
        5,
        "openai/gpt2",
        "narrative_qa",
        {"exact_match", "quasi_exact_match", "f1_score", "rouge_l", "bleu_1", "bleu_4"},
        ("id1332", "f1_score", 0.3333333333333333),
    ),
]


def _rows(result, **where):
    t = result.responses
    for k, v in where.items():
        t = t.filter(pc.equal(t.column(k), v))
    return t.to_pylist()


@pytest.mark.parametrize(
    ("folder", "n_items", "model", "task", "metrics", "named"),
    CASES,
    ids=["mmlu", "hellaswag", "narrative_qa"],
)
def test_run_folder_facts(folder, n_items, model, task, metrics, named):
    result = assay.read(folder)
    t = result.responses
    assert set(t.column("model").to_pylist()) == {model}
    assert set(t.column("task").to_pylist()) == {task}
    assert set(t.column("metric").to_pylist()) == metrics
    assert len(set(t.column("item").to_pylist())) == n_items
    assert t.num_rows == n_items * len(metrics)
    assert set(t.column("sample").to_pylist()) == {0}
    item, metric, score = named
    (row,) = _rows(result, item=item, metric=metric)
    assert row["score"] == pytest.approx(score, abs=1e-15)


def test_texts_come_from_scenario_state():
    result = assay.read(MMLU)
    (row,) = _rows(result, item="id222", metric="exact_match")
    # scenario_state.json: id222's correct reference is "enjoyments", the completion is " D".
    assert row["target"] == "enjoyments"
    assert row["prediction"] == "D"
    assert row["input"].startswith("Mill says that the ultimate end of utilitarianism")
    assert row["subject"] == "philosophy"  # scenario_spec.args.subject in run_spec.json

    (row,) = _rows(assay.read(NARRATIVE), item="id1332", metric="f1_score")
    # Two references tagged correct: kept as a JSON list.
    assert json.loads(row["target"]) == ["She is his neice.", "His niece."]
    assert row["prediction"].startswith("Isabel is a very good and intelligent woman.")
    assert row["subject"] is None


def test_run_metadata():
    result = assay.read(MMLU)
    (run,) = result.runs.to_pylist()
    spec_bytes = (MMLU / "run_spec.json").read_bytes()
    stats_bytes = (MMLU / "per_instance_stats.json").read_bytes()
    digest = hashlib.sha256(spec_bytes + stats_bytes).hexdigest()
    assert run["run_id"] == "helm-" + digest[:16]
    assert run["sha256"] == digest
    assert run["harness"] == "helm"
    assert run["model"] == "openai/gpt2"
    assert run["created"] is None
    assert json.loads(run["config"]) == json.loads(spec_bytes)
    assert set(result.responses.column("run_id").to_pylist()) == {run["run_id"]}


def test_parent_folder_reads_all_three_runs():
    result = assay.read(HELM)
    assert result.runs.num_rows == 3
    assert result.responses.num_rows == 10 * 8 + 10 * 8 + 5 * 6
    pairs = {(r["model"], r["task"]) for r in result.runs.to_pylist()}
    assert pairs == {(c[2], c[3]) for c in CASES}
    # One file of a run folder reads the whole folder, once.
    both = assay.read([MMLU / "per_instance_stats.json", MMLU, MMLU / "stats.json"])
    assert both.responses.num_rows == 80
    assert both.runs.num_rows == 1


def test_options_model_and_fields():
    result = assay.read(MMLU, model="gpt2-local")
    assert set(result.responses.column("model").to_pylist()) == {"gpt2-local"}
    assert result.runs.column("model").to_pylist() == ["gpt2-local"]
    # scenario_state.json: id11 is the one instance of split "valid" in the mmlu run.
    by_split = assay.read(MMLU, subject_field="split", cluster_field="subject")
    (row,) = _rows(by_split, item="id11", metric="exact_match")
    assert row["subject"] == "valid"
    assert row["cluster"] == "philosophy"
    with pytest.raises(InputError, match=r"field 'topic'.*`subject_field`='topic'.*available:"):
        assay.read(MMLU, subject_field="topic")


def test_train_trials_become_samples(tmp_path):
    run = _copy(MMLU, tmp_path)
    records = json.loads((run / "per_instance_stats.json").read_text())
    second = [dict(r, train_trial_index=1) for r in records]
    (run / "per_instance_stats.json").write_text(json.dumps(records + second))
    t = assay.read(run).responses
    assert sorted(set(t.column("sample").to_pylist())) == [0, 1]
    assert t.num_rows == 2 * 80
    assert len(set(t.column("item").to_pylist())) == 10


def test_perturbations_are_kept_apart(tmp_path):
    run = _copy(MMLU, tmp_path)
    records = json.loads((run / "per_instance_stats.json").read_text())
    typos = {
        "name": "typos",
        "robustness": True,
        "fairness": False,
        "computed_on": "perturbed",
        "prob": 0.1,
    }
    perturbed = []
    for r in records:
        stats = [dict(s, name=dict(s["name"], perturbation=typos)) for s in r["stats"]]
        perturbed.append(dict(r, perturbation=typos, stats=stats))
    (run / "per_instance_stats.json").write_text(json.dumps(records + perturbed))
    t = assay.read(run).responses
    metrics = set(t.column("metric").to_pylist())
    assert metrics == MC_METRICS | {f"{m},perturbation=typos;prob=0.1" for m in MC_METRICS}
    assert t.num_rows == 160
    assert assay.io.is_binary_metric("exact_match,perturbation=typos;prob=0.1")


def test_claim():
    assert claim(MMLU)
    assert not claim(HELM)
    assert claim(MMLU / "per_instance_stats.json")
    assert claim(MMLU / "stats.json")
    assert claim(MMLU / "scenario.json")
    assert not claim(HELM / "README.md")
    assert detect_format(MMLU) == "helm"
    assert detect_format(MMLU / "run_spec.json") == "helm"


def test_task_name():
    assert (
        task_name("mmlu:subject=anatomy,model=a_b,model_deployment=x/y") == "mmlu:subject=anatomy"
    )
    assert task_name("narrative_qa:model=openai_gpt2") == "narrative_qa"
    assert task_name("boolq") == "boolq"


# -- broken inputs, made from the real files -----------------------------------------------------


def _copy(folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / folder.name
    shutil.copytree(folder, dest)
    for p in dest.iterdir():
        p.chmod(0o644)
    return dest


def test_truncated_per_instance_stats(tmp_path):
    run = _copy(MMLU, tmp_path)
    path = run / "per_instance_stats.json"
    data = path.read_bytes()
    cut = data[: len(data) // 2]
    path.write_bytes(cut)
    last_line = cut.count(b"\n") + 1
    with pytest.raises(
        InputError, match=rf"per_instance_stats\.json: line {last_line}: not valid JSON"
    ):
        assay.read(run)


def test_instance_id_of_wrong_type(tmp_path):
    run = _copy(MMLU, tmp_path)
    path = run / "per_instance_stats.json"
    records = json.loads(path.read_text())
    records[3]["instance_id"] = ["id344"]
    path.write_text(json.dumps(records, indent=2))
    with pytest.raises(InputError) as info:
        assay.read(run)
    err = info.value
    assert err.path == str(path)
    assert err.record == "record [3]"
    assert err.field == "instance_id"
    assert "['id344']" in str(err)


def test_score_of_wrong_type(tmp_path):
    run = _copy(NARRATIVE, tmp_path)
    path = run / "per_instance_stats.json"
    records = json.loads(path.read_text())
    for stat in records[1]["stats"]:
        if stat["name"]["name"] == "f1_score":
            stat["mean"] = "0.33"
    path.write_text(json.dumps(records))
    with pytest.raises(
        InputError,
        match=r"record \[1\] \(instance id1332\) stats\[\d+\]: "
        r"field 'f1_score\.mean': expected a number; got '0\.33'",
    ):
        assay.read(run)


def test_train_trial_of_wrong_type(tmp_path):
    run = _copy(MMLU, tmp_path)
    path = run / "per_instance_stats.json"
    records = json.loads(path.read_text())
    records[0]["train_trial_index"] = "0"
    path.write_text(json.dumps(records))
    with pytest.raises(InputError, match=r"instance id147\): field 'train_trial_index'"):
        assay.read(run)


def test_missing_run_spec(tmp_path):
    run = _copy(MMLU, tmp_path)
    (run / "run_spec.json").unlink()
    # The folder alone is no longer a run folder, but its per_instance_stats.json is still HELM's.
    assert not claim(run)
    with pytest.raises(
        InputError,
        match=r"field 'run_spec\.json': not a complete HELM run folder: "
        r"run_spec\.json is missing",
    ):
        assay.read(run)
    with pytest.raises(InputError, match=r"run_spec\.json is missing"):
        assay.read(tmp_path)


def test_missing_model_in_run_spec(tmp_path):
    run = _copy(MMLU, tmp_path)
    spec = json.loads((run / "run_spec.json").read_text())
    del spec["adapter_spec"]["model"]
    (run / "run_spec.json").write_text(json.dumps(spec))
    with pytest.raises(InputError, match=r"run_spec\.json: adapter_spec: field 'model'"):
        assay.read(run)
    # Naming the model is enough to read it.
    assert assay.read(run, model="gpt2").responses.num_rows == 80


@pytest.mark.parametrize(
    "name", ["per_instance_stats.json", "run_spec.json", "scenario_state.json"]
)
def test_empty_file(tmp_path, name):
    run = _copy(MMLU, tmp_path)
    (run / name).write_bytes(b"")
    with pytest.raises(InputError, match=rf"{name}: empty file"):
        assay.read(run)


def test_not_a_list(tmp_path):
    run = _copy(MMLU, tmp_path)
    (run / "per_instance_stats.json").write_text('{"instance_id": "id1"}')
    with pytest.raises(InputError, match=r"per_instance_stats\.json: expected a JSON list"):
        assay.read(run)


def test_bad_scenario_state(tmp_path):
    run = _copy(MMLU, tmp_path)
    state = json.loads((run / "scenario_state.json").read_text())
    state["request_states"][2]["instance"]["id"] = 3.5
    (run / "scenario_state.json").write_text(json.dumps(state))
    with pytest.raises(
        InputError,
        match=r"scenario_state\.json: request_states\[2\]: "
        r"field 'instance\.id'",
    ):
        assay.read(run)


def test_without_scenario_state(tmp_path):
    run = _copy(MMLU, tmp_path)
    (run / "scenario_state.json").unlink()
    result = assay.read(run)
    assert result.responses.num_rows == 80
    assert set(result.responses.column("target").to_pylist()) == {None}
    assert any("no scenario_state.json" in n for n in result.notes)
