"""One truth: a report never contradicts itself, at any sample size (issue 13).

A property test draws small and odd results (1-6 models, 1-60 items, binary, graded, continuous
in [0, 1] and unbounded scores, ties, identical models and metrics, missing items, several tasks
and metrics), builds the report and checks its JSON with
:func:`assay.report._consistency.contradictions` plus the rules that need the inputs: one-model
tasks unranked, identical metrics merged into one claim, the same seed giving the same bytes, and
every option reaching what it affects.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay import datasets
from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report
from assay.report._consistency import contradictions

CLAIM_SECTIONS = ("inventory", "leaderboard", "comparisons", "subjects")
KINDS = ("binary", "graded", "continuous", "unbounded")


def _scores(kind: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    if kind == "binary":
        return (rng.random(shape) < rng.uniform(0.05, 0.95, (shape[0], 1))).astype(float)
    if kind == "graded":
        return rng.choice([0.0, 0.5, 1.0], size=shape)
    if kind == "continuous":
        return rng.beta(2, 2, size=shape)
    return rng.normal(0, 10, size=shape)


@st.composite
def results(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    b = ResponseBuilder()
    runs = []
    n_tasks = draw(st.integers(1, 2))
    plan = []
    for t in range(n_tasks):
        n_models = draw(st.integers(1, 6))
        n_items = draw(st.integers(1, 60))
        kind = draw(st.sampled_from(KINDS))
        twins = draw(st.booleans())  # a model identical to another
        twin_metric = draw(st.booleans())  # a second metric with identical values
        gap = draw(st.sampled_from([0.0, 0.0, 0.1, 0.6]))  # share of a model's items missing
        subjects = draw(st.booleans())
        values = _scores(kind, rng, (n_models, n_items))
        if twins and n_models >= 2:
            values[1] = values[0]
        plan.append((t, n_models, n_items, kind, twin_metric, gap, subjects))
        for m in range(n_models):
            model = f"m{m}"
            run_id = f"t{t}-{model}"
            runs.append(
                RunInfo(
                    run_id=run_id,
                    model=model,
                    task=f"task{t}",
                    harness="test",
                    source="mem",
                    sha256="0",
                )
            )
            for i in range(n_items):
                if m == n_models - 1 and n_models > 1 and rng.random() < gap:
                    continue
                for metric in ("score", "twin") if twin_metric else ("score",):
                    b.add(
                        model=model, task=f"task{t}", item=str(i), metric=metric,
                        score=float(values[m, i]), run_id=run_id,
                        subject=f"s{i % 3}" if subjects else None,
                    )  # fmt: skip
    return ReadResult.from_parts(b, runs), plan


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(results())
def test_random_small_and_odd_reports_never_contradict_themselves(drawn):
    result, plan = drawn
    options = ReportOptions(n_resamples=100, seed=3)
    model = build_report(result, options=options, sections=CLAIM_SECTIONS)
    report = model.to_dict()
    assert contradictions(report) == []
    board = {b["task"]: b for b in model.section("leaderboard").data["tasks"]}
    for t, n_models, _, kind, twin_metric, _, _ in plan:
        block = board[f"task{t}"]
        if n_models == 1:  # one model: shown, never ranked
            assert not block["ranked"] and "one model" in block["unranked_reason"]
        if twin_metric:  # identical per-item values: one claim naming both metrics
            assert block["metrics"] == ["score", "twin"]
        if kind != "unbounded":
            assert block["score_range"]["lower"] == 0 and block["score_range"]["upper"] == 1
    again = build_report(result, options=options, sections=CLAIM_SECTIONS)
    assert again.to_json() == model.to_json()  # same seed, same bytes


def _small():
    rng = np.random.default_rng(0)
    b = ResponseBuilder()
    runs = []
    for k, p in enumerate([0.5, 0.55, 0.62, 0.7]):
        run_id = f"r{k}"
        runs.append(
            RunInfo(
                run_id=run_id, model=f"m{k}", task="quiz", harness="test", source="mem", sha256="0"
            )
        )
        for i, s in enumerate(rng.random(300) < p):
            b.add(model=f"m{k}", task="quiz", item=str(i), metric="acc", score=float(s),
                  run_id=run_id, subject=f"s{i % 5}", cluster=f"c{i // 10}")  # fmt: skip
    return ReadResult.from_parts(b, runs)


@pytest.mark.parametrize(
    ("option", "value", "where"),
    [
        ("alpha", 0.2, [("leaderboard", "alpha"), ("leaderboard", "noise_floor")]),
        ("adjust", "bonferroni", [("leaderboard", "adjust"), ("comparisons", "adjust")]),
        ("confidence_level", 0.8, [("leaderboard", "rows"), ("comparisons", "rows"),
                                   ("subjects", "models")]),
        ("n_resamples", 150, [("comparisons", "rows")]),
        ("seed", 11, [("comparisons", "rows")]),
    ],
)  # fmt: skip
def test_every_option_reaches_every_section_it_affects(option, value, where):
    result = _small()
    base = build_report(result, options=ReportOptions(n_resamples=200), sections=CLAIM_SECTIONS)
    changed = build_report(
        result,
        options=ReportOptions(**{"n_resamples": 200, option: value}),
        sections=CLAIM_SECTIONS,
    )
    for section, key in where:
        a = base.section(section).data["tasks"][0][key]
        b = changed.section(section).data["tasks"][0][key]
        assert json.dumps(a, sort_keys=True, default=str) != json.dumps(
            b, sort_keys=True, default=str
        ), f"--{option} did not reach {section}.{key}"


def test_two_items_graded_scores_claim_nothing_they_cannot_support():
    # the reported case: a HELM-like task of 2 items scored 0 / 0.5 / 1
    b = ResponseBuilder()
    runs = []
    for model, scores in {"a": [1.0, 0.5], "b": [0.0, 0.5], "c": [0.0, 0.5]}.items():
        runs.append(
            RunInfo(
                run_id=model, model=model, task="helm", harness="test", source="mem", sha256="0"
            )
        )
        for i, s in enumerate(scores):
            b.add(model=model, task="helm", item=str(i), metric="em", score=s, run_id=model)
    model = build_report(ReadResult.from_parts(b, runs), sections=CLAIM_SECTIONS)
    report = model.to_dict()
    assert contradictions(report) == []
    block = model.section("leaderboard").data["tasks"][0]
    # with 2 items nothing is distinguishable: every model shares the best's group
    assert block["best_group"] == ["a", "b", "c"]
    assert all(0 <= r["ci_low"] <= r["ci_high"] <= 1 for r in block["rows"])
    rows = model.section("comparisons").data["tasks"][0]["rows"]
    assert all(r["kind"] == "unclear" and -1 <= r["ci_low"] < r["ci_high"] <= 1 for r in rows)
    same = next(r for r in rows if {r["model_a"], r["model_b"]} == {"b", "c"})
    assert same["ci_low"] < 0 < same["ci_high"]  # identical on 2 items is not "0.00 to 0.00"
    assert not any("distinguishable from every other" in h["text"] for h in report["headline"])


@pytest.mark.slow
def test_demo_report_has_no_contradictions():
    model = build_report(
        datasets.mmlu_pro_result(),
        options=ReportOptions(n_resamples=300),
        sections=CLAIM_SECTIONS,
    )
    assert contradictions(model.to_dict()) == []
    board = model.section("leaderboard").data["tasks"][0]
    comp = model.section("comparisons").data["tasks"][0]
    assert board["n_common"] == comp["n_common"] == 10326
    # the user's case: Llama-3-70B against Llama-3.1-70B, same sign in both sections
    est = {r["model"]: r["estimate"] for r in board["rows"]}
    diff = est["Meta-Llama-3_1-70B"] - est["Meta-Llama-3-70B"]
    full = build_report(
        datasets.mmlu_pro_result(),
        options=ReportOptions(n_resamples=300, baseline="Meta-Llama-3-70B"),
        sections=CLAIM_SECTIONS,
    )
    row = next(
        r
        for r in full.section("comparisons").data["tasks"][0]["rows"]
        if r["model_b"] == "Meta-Llama-3_1-70B"
    )
    assert row["estimate"] == pytest.approx(diff, abs=1e-12)
    assert contradictions(full.to_dict()) == []


def test_every_real_log_gives_a_consistent_report():
    from pathlib import Path

    from assay import read

    logs = Path(__file__).resolve().parents[1] / "data" / "logs"
    model = build_report(
        read(logs, on_duplicate="first"),
        options=ReportOptions(n_resamples=200),
        sections=CLAIM_SECTIONS,
    )
    assert contradictions(model.to_dict()) == []
