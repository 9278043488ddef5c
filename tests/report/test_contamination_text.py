"""The contamination evidence shows each flagged item's text beside the corpus snippet (issue 16)."""

from __future__ import annotations

import json

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.io import ReadResult, ResponseBuilder, RunInfo
from assay.report import ReportOptions, build_report, render_html

WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split()
)


def _question(i: int) -> str:
    return "<b>" + " ".join(f"{w}{i}" for w in WORDS) + "</b>"


def _result(with_text: bool = True) -> ReadResult:
    b = ResponseBuilder()
    runs = []
    for model, shift in (("m1", 0), ("m2", 1)):
        runs.append(
            RunInfo(run_id=model, model=model, task="t", harness="h", source="mem", sha256="0")
        )
        for i in range(12):
            b.add(model=model, task="t", item=f"q{i}", metric="acc", score=float((i + shift) % 2),
                  run_id=model, input=_question(i) if with_text else None,
                  target=f"answer {i}" if with_text else None)  # fmt: skip
    return ReadResult.from_parts(b, runs)


def _corpus(tmp_path, i: int = 3):
    leaked = " ".join(f"{w}{i}" for w in WORDS)
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        json.dumps({"text": f"some preamble. {leaked}. and more"})
        + "\n"
        + json.dumps({"text": "an unrelated document about nothing in particular"})
        + "\n"
    )
    return str(path)


def test_flagged_item_shows_its_question_and_answer_beside_the_snippet(tmp_path):
    model = build_report(
        _result(),
        options=ReportOptions(n_resamples=200, corpus=(_corpus(tmp_path),)),
        sections=("contamination",),
    )
    sec = model.section("contamination")
    assert sec.status == "present", sec.reason
    [item] = sec.data["items"]
    assert item["item"] == "q3"
    assert item["question"] == _question(3)  # the text that was indexed, from the responses
    assert item["answer"] == "answer 3"
    assert "gamma3 delta3" in item["evidence"][0]["snippet"]
    html = render_html(model)
    # escaped, inside a folded <details>
    assert "&lt;b&gt;alpha3" in html and "<b>alpha3" not in html
    assert '<details class="item-text"><summary>question and answer</summary>' in html


def test_separate_benchmark_items_show_their_own_text(tmp_path):
    items = pa.table(
        {
            "task": ["bench"] * 3,
            "item": ["a", "b", "c"],
            "input": [_question(3), _question(4), _question(5)],
            "target": [None, None, None],
        }
    )
    model = build_report(
        _result(with_text=False),
        options=ReportOptions(n_resamples=200, corpus=(_corpus(tmp_path),)),
        sections=("contamination",),
        contamination_items=items,
    )
    [item] = model.section("contamination").data["items"]
    assert (item["benchmark"], item["item"]) == ("bench", "a")
    assert item["question"] == _question(3) and item["answer"] is None


def test_long_text_is_cut_and_says_so(tmp_path):
    from assay.report._sections import contamination

    long = _question(3) + " filler" * 1000
    items = pa.table({"task": ["bench"], "item": ["a"], "input": [long], "target": ["x"]})
    model = build_report(
        _result(with_text=False),
        options=ReportOptions(n_resamples=200, corpus=(_corpus(tmp_path),)),
        sections=("contamination",),
        contamination_items=items,
    )
    [item] = model.section("contamination").data["items"]
    assert item["question"].startswith(long[: contamination.MAX_TEXT])
    assert item["question"].endswith(
        f"[... {len(long) - contamination.MAX_TEXT:,} more characters]"
    )


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=40))
def test_odd_text_is_escaped_next_to_its_evidence(tmp_path_factory, noise):
    # the leaked question with arbitrary text (markup, control characters, quotes) around it
    tmp = tmp_path_factory.mktemp("odd")
    text = f"{noise} {_question(3)} <script>x</script> {noise}"
    items = pa.table({"task": ["bench"], "item": ["a"], "input": [text], "target": [noise or None]})
    model = build_report(
        _result(with_text=False),
        options=ReportOptions(n_resamples=200, corpus=(_corpus(tmp),)),
        sections=("contamination",),
        contamination_items=items,
    )
    [item] = model.section("contamination").data["items"]
    assert item["question"] == text
    html = render_html(model)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
