"""Training curves, continued (issue 16): time to target and the forgetting matrix, checked
against the library functions they display; odd inputs give no out-of-range interval."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.curves import forgetting, time_to_target
from assay.io import ReadResult, ResponseBuilder, RunInfo, build_matrix
from assay.report import ReportOptions, build_report, contradictions, render_html

STEPS = [1000, 2000, 3000, 4000, 5000, 6000]


def _run(p_by_task: dict[str, list[float]], n_items: int = 200, seed: int = 0, run="org/a"):
    """One run's checkpoints on each task, with success probability p at each step."""
    rng = np.random.default_rng(seed)
    b, runs = ResponseBuilder(), []
    for task, ps in p_by_task.items():
        for step, p in zip(STEPS, ps, strict=False):
            model = f"{run}@step{step}"
            y = rng.random(n_items) < p
            for i in range(n_items):
                b.add(model=model, task=task, item=f"q{i}", metric="acc", score=float(y[i]),
                      run_id=f"{model}-{task}", step=step)  # fmt: skip
            runs.append(RunInfo(run_id=f"{model}-{task}", model=model, task=task, harness="x",
                                source="x", sha256="0"))  # fmt: skip
    return ReadResult.from_parts(b, runs)


def _build(result, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_report(
            result, sections=["curves"], options=ReportOptions(n_resamples=200, **options)
        )


def test_time_to_a_stated_target_is_the_library_rule_on_the_points_and_their_intervals():
    result = _run({"gsm8k": [0.2, 0.35, 0.5, 0.6, 0.65, 0.67]})
    sec = _build(result, curve_target=0.5).section("curves")
    [row] = sec.data["time_to_target"]
    points = sec.data["tasks"][0]["runs"][0]["points"]
    steps = [p["step"] for p in points]
    assert row["stated"] and row["target"] == 0.5
    assert row["step"] == time_to_target(steps, [p["estimate"] for p in points], 0.5)
    assert row["step_low"] == time_to_target(steps, [p["ci_high"] for p in points], 0.5)
    assert row["step_high"] == time_to_target(steps, [p["ci_low"] for p in points], 0.5)
    assert row["step_low"] <= row["step"] <= row["step_high"]
    assert any(h.startswith("gsm8k (acc), org/a: reached 0.5 at step") for h in sec.headline)


def test_an_unreached_target_says_so_with_the_measured_level():
    result = _run({"gsm8k": [0.2, 0.25, 0.3, 0.3, 0.31, 0.3]})
    sec = _build(result, curve_target=0.9).section("curves")
    [row] = sec.data["time_to_target"]
    assert row["step"] is None and row["step_high"] is None
    assert any("did not reach 0.9 by step 6000 (measured 0.3" in h for h in sec.headline)
    assert "not reached" in render_html(_build(result, curve_target=0.9))


def test_default_target_is_the_final_level():
    result = _run({"gsm8k": [0.2, 0.35, 0.5, 0.6, 0.65, 0.67]})
    sec = _build(result).section("curves")
    [row] = sec.data["time_to_target"]
    final = sec.data["tasks"][0]["runs"][0]["points"][-1]
    assert not row["stated"] and row["target"] == final["ci_low"]
    assert row["step"] is not None and row["step_high"] <= 6000


def test_forgetting_matrix_matches_the_library_on_the_common_items():
    # task b rises then falls back: lower at the end than at the start is not claimed, the drop
    # from its best checkpoint is shown
    result = _run(
        {
            "a": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
            "b": [0.6, 0.7, 0.8, 0.6, 0.4, 0.3],
        },
        n_items=150,
    )
    sec = _build(result).section("curves")
    [f] = sec.data["forgetting"]
    names = [f"org/a@step{s}" for s in STEPS]
    cols = [
        build_matrix(result.responses, t, "acc").subset(models=names).item_scores() for t in "ab"
    ]
    ref = forgetting(cols, trained_at=[0, 0])
    np.testing.assert_allclose(f["matrix"], ref.matrix)
    rows = {r["task"]: r for r in f["rows"]}
    assert rows["b"]["change"] == pytest.approx(ref.task_bwt[1])
    assert rows["b"]["change_ci_high"] == pytest.approx(ref.task_bwt_ci_high[1])
    assert rows["b"]["drop_from_best"] == pytest.approx(ref.task_forgetting[1])
    assert rows["b"]["best_step"] == 3000.0
    assert f["mean_change"] == pytest.approx(ref.backward_transfer)
    assert any(h.startswith("org/a: lower at the last checkpoint than at the first on 1 of 2")
               for h in sec.headline)  # fmt: skip
    html = render_html(_build(result))
    assert "tbl-forgetting-0" in html and "Forgetting: org/a" in html


def test_one_task_has_no_forgetting_matrix_and_says_why():
    sec = _build(_run({"gsm8k": [0.2, 0.35, 0.5, 0.6, 0.65, 0.67]})).section("curves")
    assert sec.data["forgetting"] == []
    assert any(n.startswith("Forgetting matrix: needs one run") for n in sec.notes)
    assert any("Data-scaling fits" in n for n in sec.notes)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.integers(2, 6),
    st.integers(2, 5),
    st.integers(1, 3),
    st.sampled_from([None, 0.0, 0.5, 1.0]),
    st.integers(0, 2**31 - 1),
)
def test_odd_checkpoint_runs_keep_intervals_in_range(n_steps, n_items, n_tasks, target, seed):
    rng = np.random.default_rng(seed)
    tasks = {f"t{k}": list(rng.choice([0.0, 0.5, 1.0], n_steps)) for k in range(n_tasks)}
    model = _build(_run(tasks, n_items=n_items, seed=seed), curve_target=target)
    assert contradictions(model.to_dict()) == []
    sec = model.section("curves")
    if sec.status != "present":
        return
    for row in sec.data["time_to_target"]:
        if row["step"] is not None:
            assert (row["step_low"] or -math.inf) <= row["step"]
            assert row["step_high"] is None or row["step"] <= row["step_high"]
    for f in sec.data["forgetting"]:
        assert np.all(np.array(f["ci_low"]) >= 0) and np.all(np.array(f["ci_high"]) <= 1)
        for r in f["rows"]:
            if r["change_ci_low"] is not None and math.isfinite(r["change_ci_low"]):
                assert -1 <= r["change_ci_low"] <= r["change_ci_high"] <= 1
    render_html(model)


def test_cli_curve_target_reaches_the_section(tmp_path):
    import json

    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from assay.cli import main

    path = tmp_path / "runs.parquet"
    pq.write_table(_run({"gsm8k": [0.2, 0.35, 0.5, 0.6, 0.65, 0.67]}).responses, path)
    out = tmp_path / "r.json"
    r = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "r.html"), "--json",
                                  str(out), "--resamples", "200", "--curve-target", "0.5"])  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["settings"]["curve_target"] == 0.5
    sec = next(s for s in data["sections"] if s["id"] == "curves")
    assert sec["data"]["time_to_target"][0]["stated"] is True


def test_a_run_that_never_moved_says_so_instead_of_reaching_at_step_one():
    result = _run({"gsm8k": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}, n_items=100, seed=2)
    sec = _build(result).section("curves")
    [row] = sec.data["time_to_target"]
    assert row["at_start"] and row["step"] == 1000
    from assay.report._sections._curves_more import target_sentence

    assert "already at its final level" in target_sentence(row)
    assert "no measurable gain" in render_html(_build(result))
