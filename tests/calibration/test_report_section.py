"""The calibration report section on real out-of-sample probabilities, the demo, and hostile text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assay import datasets
from assay.calibration import confidence_from_logprobs, point_metrics
from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, render_html

DATA = Path(__file__).resolve().parents[1] / "data" / "calibration"
HOSTILE = "<script>window.__pwned=1</script>$x$"


def _result(
    models: dict[str, tuple[np.ndarray, np.ndarray]], *, column: bool = False
) -> ReadResult:
    """A long table, one row per answer: score = argmax == label, and either the per-choice
    log-probabilities or (``column``) the top probability as the confidence column."""
    b = ResponseBuilder()
    runs = []
    for model, (probs, labels) in models.items():
        pred = probs.argmax(axis=1)
        logp = np.log(np.clip(probs, 1e-300, 1.0))
        for i in range(labels.size):
            b.add(model=model, task="cifar10", item=str(i), metric="acc", score=float(pred[i] == labels[i]),
                  confidence=float(probs[i].max()) if column else None,
                  choice_logprobs=None if column else logp[i].tolist(), run_id=model)  # fmt: skip
        runs.append(RunInfo(run_id=model, model=model, task="cifar10", harness="test", source=f"{model}.npy",
                            sha256="0" * 64))  # fmt: skip
    return ReadResult.from_parts(b, runs, sources=[f"{m}.npy" for m in models])


@pytest.fixture(scope="module")
def cleanlab_cifar():
    # cleanlab/label-errors: cross-validated (out-of-sample) probabilities of the CIFAR-10 test set
    return np.load(DATA / "cifar10_test_set_pyx.npy"), np.load(
        DATA / "cifar10_test_set_original_labels.npy"
    )


def test_section_on_out_of_sample_probabilities(cleanlab_cifar):
    probs, labels = cleanlab_cifar
    model = build_report(
        _result({"cv-resnet": (probs, labels)}), sections=["inventory", "calibration"]
    )
    sec = model.section("calibration")
    assert sec.status == "present", sec.reason
    block = sec.data["tasks"][0]
    row = block["rows"][0]
    assert row["source"] == "logprobs" and "softmax" in row["definition"]
    # the section's numbers are the library's (the log-probabilities give back the probabilities)
    conf = confidence_from_logprobs(np.log(np.clip(probs, 1e-300, 1))).confidence
    ref = point_metrics(conf, (probs.argmax(axis=1) == labels).astype(float))
    for name, v in row["metrics"].items():
        if name == "ece_debiased":  # a bootstrap quantity, checked in test_metrics.py
            continue
        assert v["estimate"] == pytest.approx(ref[name], rel=1e-9, abs=1e-12), name
        if np.isfinite(v["ci_low"]):
            assert v["ci_low"] <= v["estimate"] <= v["ci_high"], name
    assert row["screen"] is None  # the validity screen is for stated confidences
    assert sum(row["reliability"]["count"]) == labels.size
    assert "reliability-0" in sec.figures and "risk-0" in sec.figures
    html = render_html(model)
    assert 'id="tbl-calibration-0"' in html and "n/a (log-probabilities)" in html
    assert sec.headline and "ECE" in sec.headline[0]


def test_two_models_with_a_confidence_column_compare_and_screen(cleanlab_cifar):
    probs, labels = cleanlab_cifar
    rng = np.random.default_rng(0)
    sharpened = probs**2 / (probs**2).sum(axis=1, keepdims=True)  # same argmax, overconfident
    idx = rng.choice(labels.size, 3000, replace=False)
    res = _result(
        {"base": (probs[idx], labels[idx]), HOSTILE: (sharpened[idx], labels[idx])}, column=True
    )
    model = build_report(res, sections=["calibration"], options=ReportOptions(n_resamples=300))
    sec = model.section("calibration")
    block = sec.data["tasks"][0]
    assert [r["source"] for r in block["rows"]] == ["column", "column"]
    assert all(r["screen"]["verdict"] in ("valid", "invalid") for r in block["rows"])
    comp = block["comparisons"][0]
    assert {comp["model_a"], comp["model_b"]} == {"base", HOSTILE}
    assert comp["estimate"] == pytest.approx(comp["estimate_b"] - comp["estimate_a"])
    html = render_html(model)
    assert "<script>window.__pwned" not in html and "&lt;script&gt;window.__pwned" in html
    # same inputs and seed: byte-identical JSON
    again = build_report(res, sections=["calibration"], options=ReportOptions(n_resamples=300))
    assert model.to_json() == again.to_json()
    json.loads(model.to_json())


def test_demo_has_no_confidences_and_says_what_would_enable_the_section():
    sec = build_report(datasets.mmlu_pro_result(), sections=["calibration"]).section("calibration")
    assert sec.status == "absent"
    assert "`confidence` column" in sec.reason and "`choice_logprobs`" in sec.reason
    html = render_html(build_report(datasets.mmlu_pro_result(), sections=["calibration"]))
    assert "choice_logprobs" in html


def test_reliability_diagram_shows_per_bin_wilson_intervals():
    # issue 16: the reliability diagram shows each bin's interval. Oracle: statsmodels'
    # proportion_confint(method="wilson") per bin.
    from statsmodels.stats.proportion import proportion_confint

    from assay.report._figures_calibration import bin_intervals, reliability_diagrams

    count = np.array([0, 4, 20, 200])
    acc = [None, 0.5, 0.75, 0.9]
    lo, hi = bin_intervals(count, acc, confidence_level=0.9)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    for j in (1, 2, 3):
        ref = proportion_confint(round(acc[j] * count[j]), count[j], alpha=0.1, method="wilson")
        assert (lo[j], hi[j]) == pytest.approx(ref, abs=1e-12)
    svg = reliability_diagrams([{"label": "m", "edges": [0, 0.25, 0.5, 0.75, 1.0], "count": count,
                                 "mean_confidence": [None, 0.4, 0.6, 0.95], "accuracy": acc,
                                 "ece": 0.05}], confidence_level=0.9)  # fmt: skip
    assert "90% Wilson interval" in svg
