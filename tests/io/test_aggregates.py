"""The aggregate table (issue 15): lm-eval results files of every layout, with or without samples.

Expected values are read from the real files themselves (the harness's numbers), never from our
output: tests/data/pythia (2023 layout) and tests/data/logs/lm_eval (2024-2026 layouts).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

import assay
from assay._core import InputError
from assay.io import AGGREGATE_SCHEMA

DATA = Path(__file__).parents[1] / "data"
PYTHIA = DATA / "pythia"
P160 = PYTHIA / "pythia-160m" / "zero-shot"
NEGO = DATA / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"


def _rows(table, **where):
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]


def test_pythia_2023_layout_reads_as_one_series_per_model():
    res = assay.read(P160)
    agg = res.aggregates
    assert agg.schema.equals(AGGREGATE_SCHEMA)
    assert res.responses.num_rows == 0
    assert set(agg["model"].to_pylist()) == {"EleutherAI/pythia-v1.1-160m"}  # revision dropped
    steps = sorted(set(agg["step"].to_pylist()))
    assert len(steps) == 27 and steps[0] == 0 and steps[-1] == 143000
    # every (task, metric) of every file is there, with the file's own numbers
    for path in sorted(P160.glob("*.json")):
        data = json.loads(path.read_text())
        step = int(path.stem.rsplit("step", 1)[1])
        rows = {(r["task"], r["metric"]): r for r in _rows(agg, step=step)}
        expected = {
            (task, key): value
            for task, metrics in data["results"].items()
            for key, value in metrics.items()
            if not key.endswith("_stderr")
        }
        assert set(rows) == set(expected)
        for (task, metric), value in expected.items():
            assert rows[task, metric]["value"] == value
            assert rows[task, metric]["stderr"] == data["results"][task].get(f"{metric}_stderr")
            assert rows[task, metric]["n"] is None  # the 2023 files do not say n
    # lambada's perplexity is a corpus-level aggregation; acc is a mean
    row = _rows(agg, task="lambada_openai", metric="ppl", step=143000)[0]
    assert row["aggregation"] == "perplexity" and row["corpus_level"]
    row = _rows(agg, task="arc_easy", metric="acc", step=143000)[0]
    assert row["aggregation"] == "mean" and not row["corpus_level"] and row["level"] == "task"
    # one run per (file, task), each aggregate row belongs to a run of its file
    runs = {r["run_id"]: r for r in res.runs.to_pylist()}
    assert set(agg["run_id"].to_pylist()) == set(runs)
    assert {r["model"] for r in runs.values()} >= {"EleutherAI/pythia-v1.1-160m@step1000"}


def test_step_from_the_file_name_and_from_a_step_pattern(tmp_path: Path):
    src = P160 / "160m_step1000.json"
    data = json.loads(src.read_text())
    data["config"]["model_args"] = "pretrained=EleutherAI/pythia-160m"  # no revision
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "run_step2000.json").write_text(json.dumps(data))
    agg = assay.read(tmp_path / "a").aggregates
    assert set(agg["step"].to_pylist()) == {2000}
    assert set(agg["model"].to_pylist()) == {"EleutherAI/pythia-160m"}
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "eval-ckpt-00500.json").write_text(json.dumps(data))
    assert set(assay.read(tmp_path / "b").aggregates["step"].to_pylist()) == {None}
    agg = assay.read(tmp_path / "b", step_pattern=r"ckpt-(?P<step>\d+)").aggregates
    assert set(agg["step"].to_pylist()) == {500}
    # the pattern overrides the revision too
    agg = assay.read(src, step_pattern=r"_step(\d+)0\.json").aggregates
    assert set(agg["step"].to_pylist()) == {100}


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("step(", "not a valid regular expression"),
        (r"step\d+", "must have a group"),
        (5, "must be a regular expression string"),
    ],
)
def test_bad_step_pattern(pattern, message):
    with pytest.raises(InputError, match=message):
        assay.read(P160 / "160m_step0.json", step_pattern=pattern)


def test_2026_layout_custom_and_corpus_metrics_and_groups():
    res = assay.read(NEGO / "results_2026-07-08T18-15-33.115417.json")
    agg = res.aggregates
    data = json.loads((NEGO / "results_2026-07-08T18-15-33.115417.json").read_text())
    micro = _rows(agg, task="negotiationtom_intention", metric="micro_f1,none")[0]
    # the aggregation is Python source inside the log: recorded as custom, never run
    assert micro["aggregation"] == "custom" and micro["corpus_level"]
    assert micro["value"] == data["results"]["negotiationtom_intention"]["micro_f1,none"]
    assert micro["stderr"] is None  # lm-eval wrote "N/A"
    assert micro["n"] == 20  # n-samples effective
    em = _rows(agg, task="negotiationtom_intention", metric="exact_match,none")[0]
    assert em["aggregation"] == "mean" and not em["corpus_level"] and em["higher_is_better"]
    assert em["stderr"] == data["results"]["negotiationtom_intention"]["exact_match_stderr,none"]
    group = _rows(agg, task="negotiationtom", metric="acc,none")[0]
    assert group["level"] == "group" and group["n"] == 40  # sample_count of the group
    assert _rows(agg, task="negotiationtom", metric="micro_f1,none")[0]["corpus_level"]
    # per-item runs and aggregate rows share the run id of their task
    item_runs = set(res.responses["run_id"].to_pylist())
    belief = _rows(agg, task="negotiationtom_belief")[0]
    assert belief["run_id"] in item_runs


def test_a_run_whose_only_metric_is_corpus_level_reads(corpus_f1_only_run: Path):
    """Issue 15: a run whose only metric is a corpus-level F1 read as zero groups and vanished."""
    path = corpus_f1_only_run
    res = assay.read(path)
    assert res.responses.num_rows == 0  # no per-item score: F1 rows are (gold, pred) pairs
    assert sorted(res.aggregates["metric"].to_pylist()) == ["macro_f1,none", "micro_f1,none"]
    assert res.runs.num_rows == 1
    (row,) = _rows(res.aggregates, metric="micro_f1,none")
    assert row["value"] == pytest.approx(0.2857142857142857) and row["aggregation"] == "custom"


def test_aggregates_concatenate_across_formats():
    res = assay.read([P160 / "160m_step0.json", NEGO])
    assert pc.count_distinct(res.aggregates["harness"]).as_py() == 1
    assert res.aggregates.num_rows > 100


def test_a_2023_file_larger_than_the_claim_window_is_claimed(tmp_path: Path):
    data = json.loads((P160 / "160m_step0.json").read_text())
    for k in range(3000):  # 3,000 more tasks: config lies past the first 64 KB
        data["results"][f"extra_{k}"] = {"acc": 0.5, "acc_stderr": 0.01}
    path = tmp_path / "big_step7.json"
    path.write_text(json.dumps(data, indent=1))
    assert path.stat().st_size > 65536
    agg = assay.read(path).aggregates
    assert agg.num_rows > 3000 and set(agg["step"].to_pylist()) == {0}


def test_odd_values_in_a_results_file(tmp_path: Path):
    data = json.loads((P160 / "160m_step0.json").read_text())
    data["results"]["sciq"]["acc"] = "N/A"  # a string where a number belongs
    data["results"]["piqa"] = ["not", "an", "object"]
    data["results"]["arc_easy"]["acc_stderr"] = None
    data["results"]["winogrande"]["acc"] = float("nan")
    path = tmp_path / "odd_step0.json"
    path.write_text(json.dumps(data))
    res = assay.read(path)
    agg = res.aggregates
    assert not _rows(agg, task="sciq", metric="acc") and not _rows(agg, task="piqa")
    assert any("'sciq' metric 'acc'" in n and "not a number" in n for n in res.notes)
    assert _rows(agg, task="arc_easy", metric="acc")[0]["stderr"] is None
    assert _rows(agg, task="winogrande", metric="acc")[0]["value"] is None  # NaN is no value
