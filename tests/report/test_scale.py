"""A 300-model report stays readable and small (issue 19): top models in the figures, every model
in the (paged, filterable) tables, the HTML inside a stated budget."""

from __future__ import annotations

import numpy as np

from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, render_html

HTML_BUDGET_MB = 1.5
"""The 300-model x 200-item report's HTML budget (leaderboard and comparisons)."""


def test_a_300_model_report_fits_its_budget():
    rng = np.random.default_rng(0)
    n_models, n_items = 300, 200
    ability = rng.normal(0, 1, n_models)
    difficulty = rng.normal(0, 1, n_items)
    scores = rng.random((n_models, n_items)) < 1 / (1 + np.exp(-(ability[:, None] - difficulty)))
    b = ResponseBuilder()
    runs = []
    for m in range(n_models):
        name = f"model-{m:03d}"
        runs.append(
            RunInfo(run_id=name, model=name, task="quiz", harness="t", source="mem", sha256="0")
        )
        for i in range(n_items):
            b.add(
                model=name,
                task="quiz",
                item=str(i),
                metric="acc",
                score=float(scores[m, i]),
                run_id=name,
            )
    model = build_report(
        ReadResult.from_parts(b, runs),
        options=ReportOptions(n_resamples=200),
        sections=("inventory", "leaderboard", "comparisons"),
    )
    html = render_html(model)
    assert len(html.encode()) / 2**20 <= HTML_BUDGET_MB
    comparisons = model.section("comparisons").data["tasks"][0]
    assert (
        comparisons["pairwise"]["heat_models"] == 30 and comparisons["pairwise"]["n_models"] == 300
    )
    assert len(model.section("leaderboard").data["tasks"][0]["rows"]) == 300
    assert "The top 40 of 300 models" in html and "The top 30 of 300 models" in html
