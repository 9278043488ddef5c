"""`assay passk` and the report's sampling section, on CRUXEval and on simulated long tables."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, render_html
from assay.sampling import consistency, pass_at_k, pass_at_k_curve


def _cruxeval_result(data, mode):
    """The CRUXEval samples as a long table: what docs/sampling.md shows a user doing."""
    b = ResponseBuilder()
    task = f"cruxeval-{mode}"
    for key, scores, answers in zip(data["keys"], data["correct"], data["answers"], strict=True):
        for j, (score, answer) in enumerate(zip(scores, answers, strict=True)):
            b.add(
                model="codellama-7b",
                task=task,
                item=key,
                sample=j,
                metric="pass",
                score=score,
                prediction=answer,
                run_id=f"cruxeval-{mode}",
            )
    run = RunInfo(
        run_id=f"cruxeval-{mode}",
        model="codellama-7b",
        task=task,
        harness="cruxeval",
        source="cruxeval",
        sha256="0" * 64,
    )
    return ReadResult.from_parts(b, [run], sources=[f"cruxeval-{mode}"])


def test_report_section_on_cruxeval_matches_the_library(cruxeval):
    mode, data = cruxeval
    report = build_report(
        _cruxeval_result(data, mode),
        sections=["inventory", "sampling"],
        options=ReportOptions(n_resamples=300),
    )
    sec = report.section("sampling")
    assert sec.status == "present"
    block = sec.data["tasks"][0]
    model = block["models"][0]
    curve = model["curve"]
    assert curve["k"] == [1, 2, 4, 8, 10]
    # pass@1 and pass@5 as stored by CRUXEval
    assert 100 * curve["estimate"][0] == pytest.approx(data["pass_at_1"], rel=1e-13)
    assert curve["estimate"][2] == pytest.approx(pass_at_k(data["correct"], 4).estimate, abs=1e-15)
    ref = consistency(data["correct"], predictions=data["answers"], rng=0, n_resamples=200)
    cons = model["consistency"]
    assert cons["fleiss_kappa"] == pytest.approx(ref.fleiss_kappa, abs=1e-12)
    assert cons["n_consistent_failures"] == ref.n_consistent_failures
    assert "passk-0" in sec.figures and sec.headline
    html = render_html(report)
    assert "tbl-sampling-passk-0" in html and "tbl-sampling-consistency-0" in html
    assert "simultaneous band" in html


def _simulated(n_models=2, n_items=120, n_samples=6, predictions=True, seed=0):
    rng = np.random.default_rng(seed)
    b = ResponseBuilder()
    runs = []
    for m in range(n_models):
        p = rng.beta(1 + m, 2, n_items)
        for i in range(n_items):
            for s in range(n_samples):
                if m == 1 and i < 10 and s >= 3:
                    continue  # model 1 has only 3 samples of the first 10 items
                ok = rng.random() < p[i]
                pred = "right" if ok else rng.choice(["x", "y"])
                b.add(
                    model=f"m{m}",
                    task="math",
                    item=f"q{i}",
                    sample=s,
                    metric="acc",
                    score=float(ok),
                    prediction=pred if predictions else None,
                    run_id=f"r{m}",
                )
        runs.append(
            RunInfo(
                run_id=f"r{m}", model=f"m{m}", task="math", harness="x", source="x", sha256="0" * 64
            )
        )
    return ReadResult.from_parts(b, runs)


def test_report_section_on_simulated_table_with_missing_samples():
    result = _simulated()
    report = build_report(
        result, sections=["inventory", "sampling"], options=ReportOptions(n_resamples=200)
    )
    sec = report.section("sampling")
    m1 = sec.data["tasks"][0]["models"][1]
    assert m1["available"] and m1["curve"]["n"] == 110 and m1["curve"]["n_omitted"] == 10
    assert m1["consistency"]["n"] == 110 and m1["consistency"]["n_incomplete"] == 10
    # the section's values are the library's on the same arrays
    from assay.io import build_matrix

    row = build_matrix(result.responses, "math", "acc").row("m1")
    ref = pass_at_k_curve(row, [1, 2, 4, 6], missing="omit", n_resamples=200, rng=0)
    np.testing.assert_allclose(m1["curve"]["estimate"], ref.estimate, atol=1e-15)
    # deterministic JSON for the same seed
    again = build_report(
        result, sections=["inventory", "sampling"], options=ReportOptions(n_resamples=200)
    )
    assert again.to_json() == report.to_json()


def test_section_absent_with_one_sample_or_non_binary_scores():
    one = _simulated(n_samples=1)
    sec = build_report(one, sections=["sampling"]).section("sampling")
    assert sec.status == "absent" and "several samples per item" in sec.reason
    b = ResponseBuilder()
    for i in range(5):
        for s in range(3):
            b.add(model="m", task="t", item=f"q{i}", sample=s, metric="f1", score=0.5, run_id="r")
    sec = build_report(ReadResult.from_parts(b, []), sections=["sampling"]).section("sampling")
    assert sec.status == "absent" and "scores are not 0/1" in sec.reason


def _write_jsonl(result, path):
    rows = result.responses.select(
        ["model", "task", "item", "sample", "metric", "score", "prediction"]
    )
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows.to_pylist():
            fh.write(json.dumps(r) + "\n")


def test_cli_passk_json_and_text(tmp_path, cruxeval):
    mode, data = cruxeval
    path = tmp_path / "crux.jsonl"
    _write_jsonl(_cruxeval_result(data, mode), path)
    out = CliRunner().invoke(
        main, ["passk", str(path), "-k", "1", "-k", "5", "--json", "--resamples", "200"]
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["version"] == 1 and doc["models"][0]["k"] == [1, 5]
    assert 100 * doc["models"][0]["estimate"][1] == pytest.approx(data["pass_at_5"], rel=1e-13)
    text = CliRunner().invoke(main, ["passk", str(path), "--resamples", "200"])
    assert text.exit_code == 0 and "pass@k on" in text.output and "codellama-7b" in text.output


def test_cli_passk_errors(tmp_path):
    path = tmp_path / "one.jsonl"
    _write_jsonl(_simulated(n_samples=1), path)
    out = CliRunner().invoke(main, ["passk", str(path)])
    assert out.exit_code == 2 and "one sample per item" in out.output
    out = CliRunner().invoke(main, ["passk", str(path), "-k", "3"])
    assert out.exit_code == 2 and "no item has 3 or more samples" in out.output
    out = CliRunner().invoke(main, ["passk", str(path), "--store", str(tmp_path / "s.duckdb")])
    assert out.exit_code == 2 and "not both" in out.output
