"""The item_audit report section: its data equal the library's results; absent without predictions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from assay import datasets
from assay.labels import ranking_stability
from assay.report import build_report
from assay.report._render import render_html
from assay.report._review import audit_responses


@pytest.fixture(scope="module")
def result():
    r = datasets.mmlu_pro_result()
    t = r.responses
    items = sorted(set(t.column("item").to_pylist()))[:1500]
    t = t.filter(pc.is_in(t.column("item"), pa.array(items)))
    # log text is untrusted: the top suspect's question holds markup, which must come out escaped
    top = audit_responses(t)[0].suspects(1)[0]["item"]
    text = pc.if_else(
        pc.equal(t.column("item"), top), "<script>alert(1)</script>", pa.scalar(None, pa.string())
    )
    t = t.set_column(t.schema.get_field_index("input"), "input", text)
    return dataclasses.replace(r, responses=t)


def test_section_data_match_the_library(result):
    model = build_report(result, sections=["inventory", "item_audit"])
    sec = model.section("item_audit")
    assert sec.status == "present"
    block = sec.data["tasks"][0]
    audit, _ = audit_responses(result.responses)
    assert block["n_suspects"] == audit.n_suspects
    assert [s["item"] for s in block["suspects"]] == [s["item"] for s in audit.suspects(25)]
    assert block["n_all_wrong"] == int(audit.all_wrong.sum())
    st = ranking_stability(audit, scenario="relabel", top=10)
    rel = next(b for b in block["stability"] if b["scenario"] == "relabel")
    np.testing.assert_allclose([m["score_after"] for m in rel["models"]], st.score_after)
    assert rel["n_flipped"] == st.n_flipped
    # every flag cites its measured false-flag rate (issue 21), in the data and in the notes
    assert block["flag_error_rates"] == audit.flag_error_rates
    assert any(
        "of clean items flagged" in n and "benchmarks/labels.py --audit" in n for n in sec.notes
    )
    json.loads(model.to_json())  # JSON-safe and deterministic
    assert model.to_json() == build_report(result, sections=["inventory", "item_audit"]).to_json()


def test_html_escapes_log_text(result):
    model = build_report(result, sections=["item_audit"])
    html = render_html(model)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "tbl-item-audit-0" in html


def test_absent_without_predictions(result):
    t = result.responses
    t = t.set_column(
        t.schema.get_field_index("prediction"), "prediction", pa.nulls(t.num_rows, pa.string())
    )
    sec = build_report(dataclasses.replace(result, responses=t), sections=["item_audit"]).section(
        "item_audit"
    )
    assert sec.status == "absent" and "predictions" in sec.reason


def test_review_note_is_shown(result):
    r = dataclasses.replace(result, notes=["Human review (r.csv): 3 item verdicts; ..."])
    sec = build_report(r, sections=["item_audit"]).section("item_audit")
    assert sec.data["review"] == ["Human review (r.csv): 3 item verdicts; ..."]
    assert "Reviewed:" in render_html(build_report(r, sections=["item_audit"]))
