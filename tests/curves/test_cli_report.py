"""`assay curves` and the report's curves section on simulated checkpoint runs."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.curves import learning_curve
from assay.io import ReadResult, ResponseBuilder, RunInfo, build_matrix
from assay.report import ReportOptions, build_report, render_html

STEPS = np.arange(1, 11) * 1000


def _checkpoints(broken_step=7000, n_items=300, seed=0):
    """Two runs of 10 checkpoints (org/a, org/b) as lm-eval names them; org/a has a broken
    checkpoint at ``broken_step`` (score - 0.25)."""
    rng = np.random.default_rng(seed)
    b = ResponseBuilder()
    runs = []
    for run, top in (("org/a", 0.62), ("org/b", 0.55)):
        p = top - 0.25 * (STEPS / 1000.0) ** -0.8
        if run == "org/a" and broken_step is not None:
            p[list(STEPS).index(broken_step)] -= 0.25
        for step, pp in zip(STEPS, p, strict=True):
            model = f"{run}@step{step}"
            y = rng.random(n_items) < pp
            for i in range(n_items):
                b.add(
                    model=model,
                    task="gsm8k",
                    item=f"q{i}",
                    metric="acc",
                    score=float(y[i]),
                    run_id=model,
                    step=int(step),
                )
            runs.append(
                RunInfo(
                    run_id=model,
                    model=model,
                    task="gsm8k",
                    harness="x",
                    source="x",
                    sha256="0" * 64,
                )
            )
    return ReadResult.from_parts(b, runs)


def test_curves_section_flags_the_broken_checkpoint_and_matches_the_library():
    result = _checkpoints()
    report = build_report(
        result, sections=["inventory", "curves"], options=ReportOptions(n_resamples=200)
    )
    sec = report.section("curves")
    assert sec.status == "present"
    block = sec.data["tasks"][0]
    runs = {r["run"]: r for r in block["runs"]}
    assert set(runs) == {"org/a", "org/b"}
    assert runs["org/a"]["outliers"] == [7000.0] and runs["org/b"]["outliers"] == []
    assert any("step 7000" in h for h in sec.headline)
    m = build_matrix(result.responses, "gsm8k", "acc")
    names = [f"org/a@step{s}" for s in STEPS]
    ref = learning_curve(m.subset(models=names).item_scores(), STEPS, rng=0, n_resamples=100)
    np.testing.assert_allclose(
        [p["estimate"] for p in runs["org/a"]["points"]], ref.estimate, atol=1e-15
    )
    np.testing.assert_allclose(
        [p["ci_low"] for p in runs["org/a"]["points"]], ref.ci_low, atol=1e-15
    )
    assert runs["org/a"]["noise_sd"] == pytest.approx(ref.noise_sd, abs=1e-15)
    assert [t["pvalue"] for t in runs["org/a"]["steps"]] == pytest.approx(
        [t.pvalue for t in ref.step_tests]
    )
    assert runs["org/b"]["fit"] is not None and block["snr"]["n_models"] == 2
    html = render_html(report)
    assert "tbl-curves-0-0" in html and "Outlier checkpoint(s): step 7000" in html


def test_curves_section_absent_without_steps():
    b = ResponseBuilder()
    for i in range(5):
        b.add(model="m", task="t", item=f"q{i}", metric="acc", score=1.0, run_id="r")
    sec = build_report(ReadResult.from_parts(b, []), sections=["curves"]).section("curves")
    assert sec.status == "absent" and "training step" in sec.reason


def _write_jsonl(result, path):
    rows = result.responses.select(["model", "task", "item", "metric", "score", "step"])
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows.to_pylist():
            fh.write(json.dumps(r) + "\n")


def test_cli_curves(tmp_path):
    path = tmp_path / "ckpts.jsonl"
    _write_jsonl(_checkpoints(), path)
    out = CliRunner().invoke(main, ["curves", str(path), "--json", "--resamples", "100"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["version"] == 1 and [r["run"] for r in doc["runs"]] == ["org/a", "org/b"]
    assert doc["runs"][0]["outliers"]["flagged_steps"] == [7000.0]
    text = CliRunner().invoke(main, ["curves", str(path), "--resamples", "100"])
    assert text.exit_code == 0 and "org/a on gsm8k" in text.output


def test_cli_curves_without_steps(tmp_path):
    path = tmp_path / "flat.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(4):
            fh.write(json.dumps({"model": "m", "task": "t", "item": f"q{i}", "score": 1}) + "\n")
    out = CliRunner().invoke(main, ["curves", str(path)])
    assert out.exit_code == 2 and "no run has 2 or more checkpoints" in out.output
