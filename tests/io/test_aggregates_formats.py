"""Aggregate rows of HELM stats.json, Inspect results.scores and lighteval results (issue 15).

Expected values are the files' own numbers, read here with json; broken or trimmed copies are
made in temporary folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import assay
from assay.stats import check_aggregates

LOGS = Path(__file__).parents[1] / "data" / "logs"
HELM = LOGS / "helm" / "mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2"
ARC = LOGS / "inspect" / "data_arc_qwen.json"
LIGHT = LOGS / "lighteval" / "flat"


def _rows(table, **where):
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]


def _helm_stat(name, split, perturbation=None):
    stats = json.loads((HELM / "stats.json").read_text())
    for s in stats:
        n = s["name"]
        if n["name"] == name and n.get("split") == split and n.get("perturbation") == perturbation:
            return s
    raise AssertionError(name)


def test_helm_stats_json_rows():
    res = assay.read(HELM)
    (row,) = _rows(res.aggregates, metric="exact_match")
    assert row["value"] == _helm_stat("exact_match", "test")["mean"]
    assert row["n"] == _helm_stat("num_instances", "test")["mean"] == 9
    assert row["stderr"] is None and row["harness"] == "helm"
    (valid,) = _rows(res.aggregates, metric="exact_match,split=valid")
    assert valid["n"] == 1
    assert _rows(res.aggregates, metric="exact_match,perturbation=robustness;computed_on=worst")
    assert not [r for r in res.aggregates.to_pylist() if r["metric"].startswith("num_")]
    assert set(res.aggregates["run_id"].to_pylist()) == set(res.runs["run_id"].to_pylist())


def test_helm_folder_with_stats_json_only_reads(tmp_path: Path):
    out = tmp_path / HELM.name
    shutil.copytree(HELM, out)
    (out / "per_instance_stats.json").unlink()
    (out / "scenario_state.json").unlink()
    res = assay.read(out)
    assert res.responses.num_rows == 0 and res.runs.num_rows == 1
    assert _rows(res.aggregates, metric="exact_match")[0]["value"] == pytest.approx(1 / 9)
    assert any("per_instance_stats.json" in n for n in res.notes)


def test_inspect_results_scores_and_a_header_only_log(tmp_path: Path):
    data = json.loads(ARC.read_text())
    metrics = data["results"]["scores"][0]["metrics"]
    res = assay.read(ARC)
    (row,) = res.aggregates.to_pylist()
    assert (row["metric"], row["value"], row["stderr"], row["n"]) == (
        "choice",
        metrics["accuracy"]["value"],
        metrics["stderr"]["value"],
        data["results"]["scores"][0]["scored_samples"],
    )
    header_only = tmp_path / "header_only.json"
    data.pop("samples")
    header_only.write_text(json.dumps(data))
    res = assay.read(header_only)
    assert res.responses.num_rows == 0
    assert res.aggregates.to_pylist()[0]["value"] == metrics["accuracy"]["value"]


def test_lighteval_results_without_details(tmp_path: Path):
    out = tmp_path / "flat"
    shutil.copytree(LIGHT, out)
    shutil.rmtree(out / "details")
    path = next((out / "results").rglob("results_*.json"))
    data = json.loads(path.read_text())
    res = assay.read(path)
    assert res.responses.num_rows == 0
    for task, metrics in data["results"].items():
        for key, value in metrics.items():
            if key.endswith("_stderr"):
                continue
            (row,) = _rows(res.aggregates, task=task, metric=key)
            assert row["value"] == value and row["stderr"] == metrics[f"{key}_stderr"]
            assert row["level"] == ("group" if task == "all" else "task")
    assert set(res.runs["task"].to_pylist()) == set(data["results"])


@pytest.mark.parametrize(
    "path", [LOGS / "inspect", LIGHT / "results", LOGS / "lighteval" / "nested"]
)
def test_harness_aggregates_agree_with_their_items(path):
    res = assay.read(path, on_duplicate="first")
    assert res.aggregates.num_rows > 0
    assert check_aggregates(res.responses, res.aggregates) == []
