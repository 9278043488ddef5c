"""Results the harness summarised in the report (issue 15; issue 13 point 5).

Real data: Pythia's 2023-layout lm-eval results files (no per-item samples) and an lm-eval run
whose only metric is a corpus-level F1 with a custom aggregation (built from the real
negotiationtom logs, as in tests/io/test_aggregates.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assay
from assay.report import ReportOptions, build_report, render_html, render_markdown
from assay.report._consistency import contradictions

DATA = Path(__file__).resolve().parents[1] / "data"
PYTHIA = DATA / "pythia"
NEGO = DATA / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"


@pytest.fixture(scope="module")
def pythia_report():
    result = assay.read([PYTHIA / "pythia-410m", PYTHIA / "pythia-160m"])
    return result, build_report(result, options=ReportOptions(n_resamples=200))


def test_pythia_checkpoints_give_training_curves_and_the_files_values(pythia_report):
    result, model = pythia_report
    assert result.responses.num_rows == 0 and result.aggregates.num_rows > 0
    curves = model.section("curves")
    assert curves.status == "present" and curves.data["tasks"]
    assert any("harness summaries" in n for n in curves.notes)
    for block in curves.data["tasks"]:
        for run in block["runs"]:
            for p in run["points"]:
                assert 0.0 <= p["ci_low"] <= p["estimate"] <= p["ci_high"] <= 1.0
    summarised = model.section("summarised")
    assert summarised.status == "present"
    arc = next(
        b for b in summarised.data["tasks"] if b["task"] == "arc_easy" and b["metric"] == "acc"
    )
    # the latest checkpoint's value is the file's own number (independent read of the JSON)
    latest = max(
        (PYTHIA / "pythia-410m" / "zero-shot").glob("*.json"),
        key=lambda p: int(p.stem.split("step")[1]),
    )
    value = json.loads(latest.read_text())["results"]["arc_easy"]["acc"]
    row = next(r for r in arc["rows"] if r["model"].startswith("EleutherAI/pythia-v1.1-410m"))
    assert row["estimate"] == pytest.approx(value, abs=1e-12)
    assert row["n"] == 2376 and row["method"] == "wilson"  # n recovered from value and stderr
    assert model.section("comparisons").status == "absent"  # no paired claims from summaries
    assert contradictions(model.to_dict()) == []
    assert "Results the harness summarised" in render_html(model)
    assert any("per-item logs" in h["text"] for h in model.headline)


def test_a_run_with_only_a_corpus_level_metric_is_named_with_what_can_be_said(corpus_f1_only_run):
    path = corpus_f1_only_run
    keep = "negotiationtom_intention"
    model = build_report(assay.read(path), options=ReportOptions(n_resamples=200))
    text = " ".join(h["text"] for h in model.headline)
    assert keep in text and "does not recompute" in text and "--log_samples" in text
    block = next(
        b for b in model.section("summarised").data["tasks"] if b["metric"] == "micro_f1,none"
    )
    (row,) = block["rows"]
    assert row["estimate"] == pytest.approx(0.2857142857142857) and row["ci_low"] is None
    assert keep.replace("_", "\\_") in render_markdown(model)  # Markdown-escaped


def test_assay_curves_reads_summarised_checkpoints():
    # issue 15: `assay curves` on a checkpoint series with no per-item rows
    from click.testing import CliRunner

    from assay.cli import main

    path = str(PYTHIA / "pythia-410m")
    res = CliRunner().invoke(
        main, ["curves", path, "--task", "arc_easy", "--metric", "acc", "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (run,) = doc["runs"]
    assert doc["source"].startswith("harness summaries") and run["run"].endswith("pythia-v1.1-410m")
    files = sorted(
        (PYTHIA / "pythia-410m" / "zero-shot").glob("*.json"),
        key=lambda p: int(p.stem.split("step")[1]),
    )
    values = [json.loads(p.read_text())["results"]["arc_easy"]["acc"] for p in files]
    assert run["estimate"] == pytest.approx(
        values, abs=1e-12
    )  # the files' own numbers, in step order
    assert all(0 <= lo <= hi <= 1 for lo, hi in zip(run["ci_low"], run["ci_high"], strict=True))
    many = CliRunner().invoke(main, ["curves", path])
    assert many.exit_code == 2 and "choose with --task/--metric" in many.output
