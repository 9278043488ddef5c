"""Classic tests over many models in the comparisons section (issue 16): Cochran's Q / Friedman
with Nemenyi's critical difference per task, and Friedman over tasks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, contradictions, render_html

SECTIONS = ("leaderboard", "comparisons")


def _result(tables: dict[str, np.ndarray], missing: dict | None = None) -> ReadResult:
    """``{task: scores (n_models, n_items)}``; ``missing[(task, model_index)]`` = items skipped."""
    b, runs = ResponseBuilder(), []
    for task, x in tables.items():
        for m in range(x.shape[0]):
            run = f"{task}-m{m}"
            runs.append(RunInfo(run_id=run, model=f"m{m}", task=task, harness="h", source="mem",
                                sha256="0"))  # fmt: skip
            skip = (missing or {}).get((task, m), set())
            for i in range(x.shape[1]):
                if i not in skip:
                    b.add(model=f"m{m}", task=task, item=str(i), metric="score",
                          score=float(x[m, i]), run_id=run)  # fmt: skip
    return ReadResult.from_parts(b, runs)


def _build(result):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_report(result, options=ReportOptions(n_resamples=200), sections=SECTIONS)


def test_cochran_q_on_the_common_items_matches_statsmodels():
    from statsmodels.stats.contingency_tables import cochrans_q

    rng = np.random.default_rng(3)
    x = (rng.random((4, 80)) < np.array([[0.3], [0.45], [0.5], [0.7]])).astype(float)
    # m3 skipped items 5 and 9: the claims use the 78 items every model answered
    model = _build(_result({"qa": x}, missing={("qa", 3): {5, 9}}))
    om = model.section("comparisons").data["tasks"][0]["omnibus"]
    keep = [i for i in range(80) if i not in (5, 9)]
    ref = cochrans_q(x[:, keep].T)  # statsmodels: rows are items (subjects)
    assert om["test"] == "cochran-q" and om["n"] == 78 and om["k"] == 4
    assert om["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert om["pvalue"] == pytest.approx(ref.pvalue, rel=1e-10)
    # Friedman beside it, as scipy computes it on the same items
    fr = sps.friedmanchisquare(*x[:, keep])
    assert om["friedman"]["statistic"] == pytest.approx(fr.statistic, rel=1e-10)
    # Nemenyi: q_0.05 for k = 4 is 2.569 (Demšar 2006, Table 5a); CD = q sqrt(k(k+1)/(6n))
    nem = om["nemenyi"]
    assert nem["q_alpha"] == pytest.approx(2.569, abs=5e-4)
    assert nem["critical_difference"] == pytest.approx(2.569 * np.sqrt(4 * 5 / (6 * 78)), rel=1e-3)
    ranks = sps.rankdata(x[:, keep], axis=0).mean(axis=1)
    shown = {r["model"]: r["mean_rank"] for r in nem["mean_ranks"]}
    assert [shown[f"m{m}"] for m in range(4)] == pytest.approx(list(5 - ranks))  # 1 = best
    assert contradictions(model.to_dict()) == []


def test_continuous_scores_use_friedman_as_scipy():
    rng = np.random.default_rng(4)
    x = rng.beta(2, 2, size=(3, 40))
    om = _build(_result({"qa": x})).section("comparisons").data["tasks"][0]["omnibus"]
    ref = sps.friedmanchisquare(*x)
    assert om["test"] == "friedman"
    assert (om["statistic"], om["pvalue"]) == pytest.approx((ref.statistic, ref.pvalue))


def test_two_models_get_no_omnibus_test():
    x = np.array([[1, 0, 1, 1, 0, 1], [0, 0, 1, 0, 0, 1]], float)
    block = _build(_result({"qa": x})).section("comparisons").data["tasks"][0]
    assert block["omnibus"] is None and block["omnibus_text"] == []


def test_where_ranks_and_means_part_the_report_says_what_each_claims():
    # A beats B by 0.01 on 80% of the items and loses by 0.49 on the rest: A ranks above B,
    # B's mean is higher. Both tests are significant, in opposite directions.
    n = 200
    a = np.where(np.arange(n) < 160, 0.5, 0.01)
    b = np.where(np.arange(n) < 160, 0.49, 0.5)
    c = np.zeros(n)
    model = _build(_result({"qa": np.vstack([a, b, c])}))
    block = model.section("comparisons").data["tasks"][0]
    om = block["omnibus"]
    [d] = [d for d in om["disagreements"] if {d["model_a"], d["model_b"]} == {"m0", "m1"}]
    assert d["kind"] == "opposite"
    assert d["nemenyi"] == "m0 ranks above m1" and d["paired"] == "m1 scores above m0"
    assert any("opposite directions" in h for h in model.section("comparisons").headline)
    assert contradictions(model.to_dict()) == []  # explained, not contradicted
    assert "Where Nemenyi and the paired tests disagree" in render_html(model)


def test_a_restated_verdict_that_differs_is_caught():
    n = 200
    a = np.where(np.arange(n) < 160, 0.5, 0.01)
    b = np.where(np.arange(n) < 160, 0.49, 0.5)
    report = _build(_result({"qa": np.vstack([a, b, np.zeros(n)])})).to_dict()
    om = next(s for s in report["sections"] if s["id"] == "comparisons")["data"]["tasks"][0]
    om["omnibus"]["disagreements"][0]["paired"] = "no detectable difference"
    assert any("restate the verdict" in p for p in contradictions(report))


def test_friedman_over_tasks_matches_scipy_and_demsar_critical_difference():
    # 14 tasks, 4 models: Demšar (2006, section 3.2.2) gives CD = 1.25 at alpha 0.05
    rng = np.random.default_rng(5)
    p = np.array([[0.4], [0.5], [0.55], [0.6]])
    tables = {f"t{t:02d}": (rng.random((4, 30)) < p).astype(float) for t in range(14)}
    model = _build(_result(tables))
    ac = model.section("comparisons").data["across_tasks"]
    assert ac["n"] == 14 and ac["k"] == 4
    assert round(ac["nemenyi"]["critical_difference"], 2) == 1.25
    board = model.section("leaderboard").data["tasks"]
    est = np.array(
        [[{r["model"]: r["estimate"] for r in blk["rows"]}[f"m{m}"] for blk in board]
         for m in range(4)]
    )  # fmt: skip
    ref = sps.friedmanchisquare(*est)
    assert ac["statistic"] == pytest.approx(ref.statistic) and ac["pvalue"] == pytest.approx(
        ref.pvalue
    )
    assert "Across 14 tasks" in model.section("comparisons").data["across_text"][0]
    assert contradictions(model.to_dict()) == []


def test_two_tasks_get_no_ranking_across_tasks():
    x = np.array([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]], float)
    model = _build(_result({"a": x, "b": x[::-1]}))
    assert model.section("comparisons").data["across_tasks"] is None


@st.composite
def _odd(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n_models = draw(st.integers(1, 5))
    tables = {}
    for t in range(draw(st.integers(1, 3))):
        n_items = draw(st.integers(2, 8))
        kind = draw(st.sampled_from(["binary", "ties", "continuous"]))
        if kind == "binary":
            x = (rng.random((n_models, n_items)) < 0.5).astype(float)
        elif kind == "ties":
            x = np.tile(rng.choice([0.0, 1.0], n_items), (n_models, 1))
        else:
            x = rng.random((n_models, n_items))
        tables[f"t{t}"] = x
    return _result(tables)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_odd())
def test_odd_inputs_never_contradict_the_leaderboard(result):
    model = _build(result)
    assert contradictions(model.to_dict()) == []
    sec = model.section("comparisons")
    if sec.status != "present":
        return
    for block in sec.data["tasks"]:
        om = block["omnibus"]
        if om and not om["reason"]:
            assert 0 <= om["pvalue"] <= 1 and om["k"] >= 3
    ac = sec.data["across_tasks"]
    if ac and not ac["reason"] and ac["nemenyi"]:
        assert all(1 <= r["mean_rank"] <= ac["k"] for r in ac["nemenyi"]["mean_ranks"])
    render_html(model)


def test_markdown_summary_carries_the_omnibus_and_across_tasks_lines():
    from assay.report import render_markdown

    rng = np.random.default_rng(6)
    p = np.array([[0.3], [0.5], [0.7]])
    tables = {f"t{t}": (rng.random((3, 60)) < p).astype(float) for t in range(3)}
    md = render_markdown(_build(_result(tables)))
    assert "the 3 models differ as a whole (Cochran's Q" in md
    assert "Across 3 tasks, the 3 models" in md


def test_several_binary_samples_per_item_use_friedman_on_the_item_means():
    rng = np.random.default_rng(8)
    b, runs = ResponseBuilder(), []
    for m, p in enumerate([0.3, 0.5, 0.7]):
        runs.append(RunInfo(run_id=f"m{m}", model=f"m{m}", task="qa", harness="h", source="mem",
                            sha256="0"))  # fmt: skip
        for i in range(40):
            for s in range(2):
                b.add(model=f"m{m}", task="qa", item=str(i), sample=s, metric="pass",
                      score=float(rng.random() < p), run_id=f"m{m}")  # fmt: skip
    model = _build(ReadResult.from_parts(b, runs))
    om = model.section("comparisons").data["tasks"][0]["omnibus"]
    assert om["test"] == "friedman" and om["reason"] is None
    assert contradictions(model.to_dict()) == []


def test_nemenyi_pvalues_shown_match_scikit_posthocs():
    import scikit_posthocs as sp  # dev extra; posthoc_nemenyi_friedman takes items x models

    n = 200
    a = np.where(np.arange(n) < 160, 0.5, 0.01)
    b = np.where(np.arange(n) < 160, 0.49, 0.5)
    x = np.vstack([a, b, np.zeros(n)])
    om = _build(_result({"qa": x})).section("comparisons").data["tasks"][0]["omnibus"]
    ref = sp.posthoc_nemenyi_friedman(x.T).to_numpy()
    assert om["disagreements"]
    for d in om["disagreements"]:
        i, j = int(d["model_a"][1:]), int(d["model_b"][1:])
        assert d["nemenyi_pvalue"] == pytest.approx(ref[i, j], abs=1e-6)
