"""Where the report asks a person to judge an item, it shows the item's text (issue 16)."""

from __future__ import annotations

import numpy as np

from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, render_html


def _result(with_text: bool) -> ReadResult:
    rng = np.random.default_rng(1)
    b = ResponseBuilder()
    runs = []
    for k, p in enumerate([0.4, 0.8]):
        model = f"m{k}"
        runs.append(
            RunInfo(run_id=model, model=model, task="qa", harness="t", source="mem", sha256="0")
        )
        for i in range(60):
            right = rng.random() < p
            b.add(
                model=model, task="qa", item=str(i), metric="acc", score=float(right),
                run_id=model, target="B", prediction="B" if right else "C",
                input=(f"<script>alert({i})</script> Question {i}?" if with_text and k == 0 else None),
            )  # fmt: skip
    return ReadResult.from_parts(b, runs)


def test_flips_show_the_question_and_both_answers_escaped():
    model = build_report(
        _result(True),
        options=ReportOptions(n_resamples=200),
        sections=("leaderboard", "comparisons"),
    )
    row = model.section("comparisons").data["tasks"][0]["rows"][0]
    assert row["flip_texts"]
    f = row["flip_texts"][0]
    assert f["question"].endswith(f"Question {f['item']}?") and f["gold"] == "B"
    assert {f["answer_a"], f["answer_b"]} == {"B", "C"}
    html = render_html(model)
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html


def test_without_text_the_report_says_so():
    model = build_report(
        _result(False),
        options=ReportOptions(n_resamples=200),
        sections=("leaderboard", "comparisons"),
    )
    row = model.section("comparisons").data["tasks"][0]["rows"][0]
    assert row["flip_texts"] and all(f["question"] is None for f in row["flip_texts"])
    assert "The logs carry no question text for this item." in render_html(model)


def test_irt_flagged_items_show_their_question():
    rng = np.random.default_rng(2)
    b = ResponseBuilder()
    runs = []
    ability = np.linspace(-1, 1, 8)
    difficulty = rng.normal(0, 1, 80)
    for k in range(8):
        model = f"m{k}"
        runs.append(
            RunInfo(run_id=model, model=model, task="qa", harness="t", source="mem", sha256="0")
        )
        p = 1 / (1 + np.exp(-(ability[k] - difficulty)))
        right = rng.random(80) < p
        right[:3] = False  # three items no model solves: flagged, a person should look
        for i in range(80):
            b.add(model=model, task="qa", item=str(i), metric="acc", score=float(right[i]),
                  run_id=model, input=f"What is item {i}?" if k == 0 else None)  # fmt: skip
    model = build_report(ReadResult.from_parts(b, runs), sections=("irt",))
    flagged = model.section("irt").data["tasks"][0]["flagged"]
    assert flagged and all(r["question"] == f"What is item {r['item']}?" for r in flagged)
