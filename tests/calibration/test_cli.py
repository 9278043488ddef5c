"""`assay calibration` with click's CliRunner, on plain tables written from real probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assay.calibration import Calibrator, calibration_metrics, confidence_from_logprobs
from assay.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "calibration"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """Two CSVs from netcal's CIFAR-10 outputs (first 1,500 answers): a confidence column, and
    per-choice log-probabilities as JSON lists."""
    root = tmp_path_factory.mktemp("cal")
    out = {}
    for name in ("lenet-5-cifar-10", "wideresnet-16-4-cifar-10"):
        d = np.load(DATA / f"{name}.npz")
        p, y = d["predictions"][:1500].astype(np.float64), d["ground_truth"][:1500]
        out[name] = (p, y)
    conf_csv = root / "quiz.csv"
    lines = ["model,item,score,confidence"]
    for name, (p, y) in out.items():
        lines += [
            f"{name},q{i},{int(p[i].argmax() == y[i])},{float(p[i].max())!r}" for i in range(y.size)
        ]
    conf_csv.write_text("\n".join(lines) + "\n")
    lp_csv = root / "mc.csv"
    p, y = out["lenet-5-cifar-10"]
    lines = ["model,item,score,choice_logprobs"]
    lines += [f'lenet,q{i},{int(p[i].argmax() == y[i])},"{json.dumps(np.log(np.clip(p[i], 1e-300, 1)).tolist())}"'
              for i in range(y.size)]  # fmt: skip
    lp_csv.write_text("\n".join(lines) + "\n")
    return conf_csv, lp_csv, out


def test_json_matches_the_library(tables):
    conf_csv, _, data = tables
    res = CliRunner().invoke(
        main, ["calibration", str(conf_csv), "--json", "--n-resamples", "200", "--seed", "3"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    block = doc["tasks"][0]
    assert block["task"] == "quiz" and [m["model"] for m in block["models"]] == sorted(data)
    p, y = data["lenet-5-cifar-10"]
    ref = calibration_metrics(
        p.max(axis=1), (p.argmax(axis=1) == y).astype(float), n_resamples=10, rng=0
    )
    got = block["models"][0]["metrics"]
    for name in ("ece", "brier", "auroc", "aurc"):
        assert got[name]["estimate"] == pytest.approx(ref[name].estimate, rel=1e-12)
        assert got[name]["ci_low"] <= got[name]["estimate"] <= got[name]["ci_high"]
    assert block["comparisons"][0]["model_a"] == "lenet-5-cifar-10"
    assert block["models"][0]["source"] == "column"


def test_logprobs_source_recalibration_save_and_apply(tables, tmp_path):
    _, lp_csv, data = tables
    cal_path = tmp_path / "cal.json"
    res = CliRunner().invoke(main, ["calibration", str(lp_csv), "--json", "--n-resamples", "100",
                                    "--recalibrate", "platt", "--save-calibrator", str(cal_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    model = doc["tasks"][0]["models"][0]
    assert model["source"] == "logprobs" and "softmax" in model["definition"]
    rec = doc["tasks"][0]["recalibration"][0]
    assert rec["after"]["ece"] < rec["before"]["ece"]
    cal = Calibrator.from_json(cal_path.read_text())
    assert cal.method == "platt"
    applied = CliRunner().invoke(main, ["calibration", str(lp_csv), "--json", "--n-resamples", "50",
                                        "--apply-calibrator", str(cal_path)])  # fmt: skip
    assert applied.exit_code == 0, applied.output
    after = json.loads(applied.output)["tasks"][0]["models"][0]
    p, y = data["lenet-5-cifar-10"]
    conf = cal.predict(confidence_from_logprobs(np.log(np.clip(p, 1e-300, 1))).confidence)
    ref = calibration_metrics(
        conf, (p.argmax(axis=1) == y).astype(float), metrics="ece", n_resamples=10, rng=0
    )
    assert after["metrics"]["ece"]["estimate"] == pytest.approx(ref["ece"].estimate, rel=1e-9)
    assert after["metrics"]["ece"]["estimate"] < model["metrics"]["ece"]["estimate"]


def test_table_output_and_errors(tables, tmp_path):
    conf_csv, _, _ = tables
    res = CliRunner().invoke(main, ["calibration", str(conf_csv), "--n-resamples", "50"])
    assert res.exit_code == 0, res.output
    assert "ECE" in res.output or "ece" in res.output
    assert "the confidence column, as given" in res.output
    plain = tmp_path / "plain.csv"
    plain.write_text("model,item,score\na,1,1\na,2,0\n")
    bad = CliRunner().invoke(main, ["calibration", str(plain)])
    assert (
        bad.exit_code == 2
        and "no task has confidences or per-choice log-probabilities" in bad.output
    )
    two = CliRunner().invoke(main, ["calibration", str(conf_csv), "--recalibrate", "platt", "--n-resamples", "20",
                                    "--save-calibrator", str(tmp_path / "x.json")])  # fmt: skip
    assert two.exit_code == 2 and "exactly one model; got 2 fit(s)" in two.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "assay.calibrator/1", "method": "platt"}')
    out = CliRunner().invoke(
        main, ["calibration", str(conf_csv), "--apply-calibrator", str(broken)]
    )
    assert out.exit_code == 2 and "broken.json: field 'kind'" in out.output
    both = CliRunner().invoke(
        main, ["calibration", str(conf_csv), "--store", str(tmp_path / "s.duckdb")]
    )
    assert both.exit_code == 2 and "not both" in both.output
    nostore = CliRunner().invoke(main, ["calibration", "--store", str(tmp_path / "none.duckdb")])
    assert nostore.exit_code == 2 and "no results store here" in nostore.output


@pytest.fixture(scope="module")
def mc_with_gold(tables, tmp_path_factory):
    """LeNet's per-choice log-probabilities with the gold class in a `target` column."""
    _, _, data = tables
    p, y = data["lenet-5-cifar-10"]
    path = tmp_path_factory.mktemp("calgold") / "mcgold.csv"
    lines = ["model,item,score,target,choice_logprobs"]
    lines += [f'lenet,q{i},{int(p[i].argmax() == y[i])},{int(y[i])},"{json.dumps(np.log(np.clip(p[i], 1e-300, 1)).tolist())}"'
              for i in range(y.size)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path, np.log(np.clip(p, 1e-300, 1)), y


@pytest.mark.parametrize("method", ["temperature", "vector", "matrix"])
def test_recalibration_on_the_full_logprob_vector(mc_with_gold, method):
    # issue 16: `--recalibrate temperature` fitted only the top-label confidence (LeNet ECE
    # 0.108 -> 0.080 on the full set); with the gold choice it now scales the whole vector,
    # as the library's multiclass recalibrate() does on the same data (the oracle here).
    from assay.calibration import recalibrate

    path, logp, y = mc_with_gold
    res = CliRunner().invoke(main, ["calibration", str(path), "--json", "--n-resamples", "50",
                                    "--recalibrate", method, "--seed", "0"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)["tasks"][0]["recalibration"][0]
    assert rec["fitted_on"].startswith("per-choice log-probabilities (10 choices")
    ref = recalibrate(logp, y, method=method, input="logits", n_folds=5, rng=0)
    assert rec["after"]["ece"] == pytest.approx(ref.after["ece"], abs=1e-12)
    assert rec["after"]["ece"] < rec["before"]["ece"]
    if method == "temperature":
        top = recalibrate(np.exp(logp).max(axis=1), (logp.argmax(axis=1) == y).astype(float),
                          method="temperature", n_folds=5, rng=0)  # fmt: skip
        assert rec["after"]["ece"] < top.after["ece"]  # the vector fit beats the top-label one


def test_vector_scaling_needs_logprobs_and_interval_is_selectable(tables):
    conf_csv, _, _ = tables
    res = CliRunner().invoke(main, ["calibration", str(conf_csv), "--json", "--n-resamples", "50",
                                    "--recalibrate", "vector"])  # fmt: skip
    assert res.exit_code != 0 and "needs per-choice log-probabilities" in res.output
    basic = CliRunner().invoke(main, ["calibration", str(conf_csv), "--json", "--n-resamples", "50",
                                      "--interval", "basic"])  # fmt: skip
    assert basic.exit_code == 0, basic.output
    doc = json.loads(basic.output)
    metrics = doc["tasks"][0]["models"][0]["metrics"]
    assert doc["interval"] == "basic" and metrics["ece"]["method"] == "bootstrap-basic"
    assert metrics["ece_debiased"]["method"] == "double-bootstrap-bias-corrected-normal"
