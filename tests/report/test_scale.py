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


def _suite(n_tasks: int, n_models: int = 5, n_items: int = 40, seed: int = 0) -> ReadResult:
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, n_models)
    b = ResponseBuilder()
    runs = []
    for t in range(n_tasks):
        difficulty = rng.normal(0, 1, n_items)
        p = 1 / (1 + np.exp(-(ability[:, None] - difficulty)))
        scores = rng.random(p.shape) < p
        for m in range(n_models):
            run = f"m{m}-t{t}"
            runs.append(RunInfo(run_id=run, model=f"model-{m}", task=f"task{t:02d}", harness="t",
                                source="mem", sha256="0"))  # fmt: skip
            for i in range(n_items):
                b.add(model=f"model-{m}", task=f"task{t:02d}", item=str(i), metric="acc",
                      score=float(scores[m, i]), run_id=run)  # fmt: skip
    return ReadResult.from_parts(b, runs)


def test_figures_stop_at_the_task_budget_and_say_so():
    from assay.report._context import MAX_FIGURE_TASKS

    sections = ("inventory", "leaderboard", "comparisons", "irt")
    opts = ReportOptions(n_resamples=100)
    many = build_report(_suite(MAX_FIGURE_TASKS + 4), options=opts, sections=sections)
    budget = build_report(_suite(MAX_FIGURE_TASKS), options=opts, sections=sections)
    for sid, prefix in (
        ("leaderboard", "forest-"),
        ("comparisons", "heat-"),
        ("irt", "abilities-"),
    ):
        sec = many.section(sid)
        assert sum(k.startswith(prefix) for k in sec.figures) == MAX_FIGURE_TASKS
        assert len(sec.data["tasks"]) == MAX_FIGURE_TASKS + 4  # every task keeps its table
        assert any(
            f"first {MAX_FIGURE_TASKS} of {MAX_FIGURE_TASKS + 4} tasks" in n for n in sec.notes
        )
        assert not any("Figures are drawn" in n for n in budget.section(sid).notes)
    # four more tasks add their tables, not their figures
    extra = len(render_html(many).encode()) - len(render_html(budget).encode())
    figure_bytes = sum(len(v) for s in budget.sections for v in s.figures.values())
    assert extra < 0.25 * figure_bytes
