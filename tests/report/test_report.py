"""The report model, its JSON, HTML and Markdown, on hand-made and real data."""

import html.parser
import json
import re

import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from assay import InputError, datasets
from assay.report import SECTIONS, ReportOptions, build_report, render_html, render_markdown


class _Collector(html.parser.HTMLParser):
    """Collect tags, attributes and the cells of each table by id."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.tables = [], [], {}
        self._table, self._cell, self._row = None, None, None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        d = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(d.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [d.get("data-value"), ""]
            self._row.append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def _parse(text):
    p = _Collector()
    p.feed(text)
    return p


def test_every_section_is_present_or_says_why(small_result):
    model = build_report(small_result, options=ReportOptions(n_resamples=200))
    assert [s.id for s in model.sections] == list(SECTIONS)
    for s in model.sections:
        assert s.status in ("present", "absent")
        if s.status == "absent":
            assert s.reason and s.reason.endswith(".")
    present = {s.id for s in model.sections if s.status == "present"}
    assert {"inventory", "leaderboard", "comparisons", "subjects"} <= present
    assert "needs several samples per item" in model.section("sampling").reason


def test_json_is_byte_identical_for_the_same_seed(small_result):
    a = build_report(small_result, options=ReportOptions(seed=7, n_resamples=300)).to_json()
    b = build_report(small_result, options=ReportOptions(seed=7, n_resamples=300)).to_json()
    assert a == b
    data = json.loads(a)
    assert data["schema"] == "assay.report/1"
    assert list(data) == sorted(data)  # sorted keys


def test_leaderboard_numbers_match_outside_references(small_result):
    # Reference: statsmodels' Wilson interval of each model's accuracy on the same items.
    model = build_report(small_result, options=ReportOptions(n_resamples=300))
    block = model.section("leaderboard").data["tasks"][0]
    scores = small_result.responses.to_pandas()
    for row in block["rows"]:
        x = scores[scores.model == row["model"]].score
        lo, hi = proportion_confint(int(x.sum()), len(x), alpha=0.05, method="wilson")
        assert row["estimate"] == pytest.approx(x.mean(), abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
        assert row["n"] == 300
        assert 1 <= row["rank_low"] <= row["rank"] <= row["rank_high"] <= 3


def test_comparison_numbers_match_statsmodels_mcnemar(small_result):
    model = build_report(small_result, options=ReportOptions(baseline="base", n_resamples=300))
    rows = model.section("comparisons").data["tasks"][0]["rows"]
    assert [(r["model_a"], r["model_b"]) for r in rows] == [("base", "dpo"), ("base", "sft")]
    t = small_result.responses.to_pandas().pivot(index="item", columns="model", values="score")
    for r in rows:
        a, b = t[r["model_a"]], t[r["model_b"]]
        assert r["estimate"] == pytest.approx((b - a).mean(), abs=1e-12)
        table = [
            [((a == 1) & (b == 1)).sum(), ((a == 1) & (b == 0)).sum()],
            [((a == 0) & (b == 1)).sum(), ((a == 0) & (b == 0)).sum()],
        ]
        assert r["pvalue"] == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-10)
        assert (r["a_wins"], r["b_wins"]) == (table[0][1], table[1][0])
    # one adjustment over all three pairs of the task (the leaderboard's ranks use the same):
    # Holm by statsmodels' multipletests on the three exact McNemar p-values
    from itertools import combinations

    from statsmodels.stats.multitest import multipletests

    pairs = list(combinations(["base", "dpo", "sft"], 2))
    raw = []
    for x, y in pairs:
        a, b = t[x], t[y]
        table = [
            [((a == 1) & (b == 1)).sum(), ((a == 1) & (b == 0)).sum()],
            [((a == 0) & (b == 1)).sum(), ((a == 0) & (b == 0)).sum()],
        ]
        raw.append(mcnemar(table, exact=True).pvalue)
    holm = dict(zip(pairs, multipletests(raw, method="holm")[1], strict=True))
    for r in rows:
        assert r["pvalue_adjusted"] == pytest.approx(holm[(r["model_a"], r["model_b"])], rel=1e-10)


def test_html_headline_numbers_equal_the_json(small_result):
    model = build_report(small_result, options=ReportOptions(n_resamples=300))
    page = _parse(render_html(model))
    data = json.loads(model.to_json())
    block = next(s for s in data["sections"] if s["id"] == "leaderboard")["data"]["tasks"][0]
    table = page.tables["tbl-leaderboard-0"]
    body = [r for r in table[1:]]
    assert len(body) == len(block["rows"])
    for html_row, row in zip(body, block["rows"], strict=True):
        cells = [c[1].strip() for c in html_row]
        assert cells[1].startswith(row["model"])
        assert cells[2] == f"{100 * row['estimate']:.1f}"
        assert cells[3] == f"{100 * row['ci_low']:.1f} to {100 * row['ci_high']:.1f}"
        assert float(html_row[2][0]) == pytest.approx(row["estimate"], rel=1e-9)
    for h in data["headline"]:
        assert h["text"].split(":")[0] in render_html(model)


def test_hostile_text_is_escaped_everywhere(hostile_result):
    model = build_report(hostile_result, options=ReportOptions(n_resamples=200))
    text = render_html(model)
    page = _parse(text)
    assert page.tags.count("script") == 1  # ours only
    assert page.tags.count("style") == 1
    assert not [a for a, _ in page.attrs if a.startswith("on")]
    assert not [v for _, v in page.attrs if v and v.strip().lower().startswith("javascript:")]
    assert "<script>window.__pwned" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.__pwned" in text
    assert "default-src 'none'" in text  # CSP: only our script, by hash, may run
    md = render_markdown(model)
    assert "<script>" not in md and "\\<script\\>" in md


def test_json_keeps_hostile_text_as_data(hostile_result):
    model = build_report(hostile_result, options=ReportOptions(n_resamples=200))
    data = json.loads(model.to_json())
    assert (
        "<script>window.__pwned = 1; alert('x')</script>" in data["sections"][0]["data"]["models"]
    )


def test_single_model_gets_a_leaderboard_without_ranks(result_factory):
    result = result_factory(["only"], n_items=50)
    model = build_report(result, options=ReportOptions(n_resamples=200))
    block = model.section("leaderboard").data["tasks"][0]
    assert block["ranked"] is False and block["rows"][0]["model"] == "only"
    assert model.section("comparisons").status == "absent"
    assert "at least two models" in model.section("comparisons").reason


def test_bad_options_are_refused(small_result):
    with pytest.raises(
        InputError, match="`baseline` 'nobody' is not among the models read: base, dpo, sft"
    ):
        build_report(small_result, options=ReportOptions(baseline="nobody"))
    with pytest.raises(InputError, match="`confidence_level` must be in"):
        build_report(small_result, options=ReportOptions(confidence_level=1.5))
    with pytest.raises(InputError, match="`n_resamples` must be an integer >= 100"):
        build_report(small_result, options=ReportOptions(n_resamples=10))


@pytest.mark.slow
def test_demo_report_shows_the_70b_pair_and_tie_groups():
    model = build_report(
        datasets.mmlu_pro_result(), options=ReportOptions(baseline="Meta-Llama-3_1-70B")
    )
    rows = model.section("comparisons").data["tasks"][0]["rows"]
    pair = next(r for r in rows if r["model_b"] == "Meta-Llama-3_1-70B-Instruct")
    # Independent check on the source data: accuracy difference on the questions every one of
    # the 29 models answered (the report's one item set for the task, as the leaderboard's).
    t = datasets.mmlu_pro().to_pandas().pivot(index="item", columns="model", values="score")
    both = t.dropna()[["Meta-Llama-3_1-70B", "Meta-Llama-3_1-70B-Instruct"]]
    d = both["Meta-Llama-3_1-70B-Instruct"] - both["Meta-Llama-3_1-70B"]
    assert pair["n"] == len(both) == 10326
    assert pair["estimate"] == pytest.approx(d.mean(), abs=1e-12)
    assert pair["b_wins"] == int((d > 0).sum()) and pair["a_wins"] == int((d < 0).sum())
    assert pair["ci_low"] > 0 and pair["kind"] == "better"
    assert pair["clustered"]["by"] == "subject" and pair["clustered"]["n_clusters"] == 14
    board = model.section("leaderboard").data["tasks"][0]
    assert len(board["rows"]) == 29 and board["tie_groups"]
    assert sum(len(g) for g in board["tie_groups"]) == 29
    assert any(
        "Meta-Llama-3_1-70B-Instruct is better than Meta-Llama-3_1-70B" in h["text"]
        for h in model.headline
    )
    assert re.search(
        r"resolves differences of about \d+\.\d points", " ".join(h["text"] for h in model.headline)
    )
    sub = model.section("subjects").data["tasks"][0]
    assert len(sub["subjects"]) == 14


def test_report_over_every_real_log_in_the_test_data():
    # All harness formats at once: heterogeneous tasks, metrics and model sets. A pair of models
    # sharing one item cannot be compared; the section says so and keeps the other comparisons.
    from pathlib import Path

    from assay import read

    logs = Path(__file__).resolve().parents[1] / "data" / "logs"
    result = read(logs, on_duplicate="first")
    model = build_report(result, options=ReportOptions(n_resamples=200))
    assert model.section("leaderboard").status == "present"
    comparisons = model.section("comparisons")
    assert comparisons.status == "present"
    popularity = next(b for b in comparisons.data["tasks"] if b["task"] == "popularity")
    assert popularity["rows"] == [] and "too few" in popularity["unranked_reason"]
    assert sum(len(b["rows"]) for b in comparisons.data["tasks"]) >= 5
    assert (
        model.section("calibration").status == "present"
    )  # lm-eval multiple choice has choice log-probs
    html = render_html(model)
    assert "Not compared:" in html
