"""`assay audit items` through click's CliRunner, on the packaged MMLU-Pro data (a subset)."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assay import datasets
from assay.cli import main
from assay.report._review import audit_responses


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    t = datasets.mmlu_pro()
    items = sorted(set(t.column("item").to_pylist()))[:800]
    t = t.filter(pc.is_in(t.column("item"), pa.array(items)))
    path = tmp_path_factory.mktemp("audit") / "mmlu.parquet"
    pq.write_table(t, path)
    return str(path), t


def test_audit_items_writes_suspects_for_review(results, tmp_path):
    path, table = results
    out = tmp_path / "suspects.csv"
    res = CliRunner().invoke(main, ["audit", "items", path, "-o", str(out), "--top", "7"])
    assert res.exit_code == 0, res.output
    assert "every model fails" in res.output and "assay report RESULTS --review" in res.output
    rows = list(csv.DictReader(out.open()))
    expected, _ = audit_responses(table)
    assert [r["item"] for r in rows] == [s["item"] for s in expected.suspects(7)]
    assert rows[0]["verdict"] == "" and rows[0]["gold"] and rows[0]["competing"]


def test_audit_items_json(results):
    path, table = results
    res = CliRunner().invoke(main, ["audit", "items", path, "--json", "--threshold", "0.6"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    expected, _ = audit_responses(table, threshold=0.6)
    assert doc["n_suspects"] == expected.n_suspects and doc["written"] is None
    assert doc["n_all_wrong"] == int(expected.all_wrong.sum())


def test_audit_items_method_and_rates(results):
    path, table = results
    res = CliRunner().invoke(
        main, ["audit", "items", path, "--json", "--method", "vote", "--prior-error", "0.05"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    expected, _ = audit_responses(table, method="vote", prior_error=0.05)
    assert doc["method"] == "vote" and doc["n_suspects"] == expected.n_suspects
    assert doc["flag_error_rates"]["suspect"] == expected.flag_error_rates["suspect"]
    bad = CliRunner().invoke(main, ["audit", "items", path, "--prior-error", "lots"])
    assert bad.exit_code != 0 and "--prior-error" in bad.output


def test_audit_items_errors(results, tmp_path):
    path, _ = results
    res = CliRunner().invoke(main, ["audit", "items", path, "--blind", "ghost"])
    assert res.exit_code == 2 and "blind baseline(s) 'ghost'" in res.output
    res = CliRunner().invoke(main, ["audit", "items", path, "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 2 and "give RESULTS files or --store, not both" in res.output
    res = CliRunner().invoke(main, ["audit", "items", path, "-o", str(tmp_path / "x.txt")])
    assert res.exit_code == 2 and "must end in .csv, .tsv or .json" in res.output


def test_review_round_trip_through_assay_report(results, tmp_path):
    # audit -> reviewer marks the top suspect as an error with the consensus answer -> report --review
    path, table = results
    out = tmp_path / "suspects.csv"
    assert (
        CliRunner().invoke(main, ["audit", "items", path, "-o", str(out), "--top", "3"]).exit_code
        == 0
    )
    rows = list(csv.DictReader(out.open()))
    rows[0]["verdict"], rows[0]["corrected"] = "error", rows[0]["competing"]
    rows[1]["verdict"] = "ok"
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    args = ["report", path, "-o", str(tmp_path / "r.html"), "--resamples", "200"]
    before = CliRunner().invoke(main, [*args, "--json", str(tmp_path / "before.json")])
    after = CliRunner().invoke(
        main, [*args, "--json", str(tmp_path / "after.json"), "--review", str(out)]
    )
    assert before.exit_code == 0 and after.exit_code == 0, after.output
    notes = json.loads((tmp_path / "after.json").read_text())["sections"][0]["data"]["reader_notes"]
    assert any("review" in n.lower() for n in notes)
    # Independent re-scoring of the corrected item: 1 where the prediction equals the corrected answer.
    item, corrected = rows[0]["item"], rows[0]["corrected"]
    t = table.to_pandas()
    preds = t[t["item"] == item].set_index("model").prediction

    def board(p):
        data = json.loads((tmp_path / p).read_text())
        block = next(s for s in data["sections"] if s["id"] == "leaderboard")["data"]["tasks"][0]
        return {r["model"]: r["own"]["estimate"] * r["own"]["n"] for r in block["rows"]}

    b, a = board("before.json"), board("after.json")
    gold_score = t[t["item"] == item].set_index("model").score
    for model, pred in preds.items():
        assert a[model] - b[model] == pytest.approx(
            float(pred == corrected) - gold_score[model], abs=1e-6
        )
    # the review's effect: the ranking before and after, in the JSON, the Markdown and the terminal
    data = json.loads((tmp_path / "after.json").read_text())
    review = next(s for s in data["sections"] if s["id"] == "review")
    assert review["status"] == "present" and review["data"]["reviewed"] == 2
    ranks_before = {
        r["model"]: r["rank"]
        for r in next(s for s in json.loads((tmp_path / "before.json").read_text())["sections"]
                      if s["id"] == "leaderboard")["data"]["tasks"][0]["rows"]
    }  # fmt: skip
    ranks_after = {
        r["model"]: r["rank"]
        for r in next(s for s in data["sections"] if s["id"] == "leaderboard")["data"]["tasks"][0][
            "rows"
        ]
    }
    for row in review["data"]["tasks"][0]["rows"]:
        assert row["rank_before"] == ranks_before[row["model"]]
        assert row["rank_after"] == ranks_after[row["model"]]
    assert any(h["section"] == "review" for h in data["headline"])
    # the item the reviewer confirmed is marked, shown after the open suspects, and not counted open
    audit = next(s for s in data["sections"] if s["id"] == "item_audit")["data"]["tasks"][0]
    marks = [x.get("reviewed") for x in audit["suspects"]]
    if rows[1]["item"] in {x["item"] for x in audit["suspects"]}:
        assert "ok" in marks and marks.index("ok") == len(marks) - marks.count("ok")
        assert audit["n_open"] == audit["n_suspects"] - audit["n_reviewed_ok"]
    assert "review" in after.output.lower() and "rank before" in after.output
    md = tmp_path / "r.md"
    CliRunner().invoke(main, [*args, "--markdown", str(md), "--review", str(out)])
    assert "rank before and after the review" in md.read_text()
    bad = CliRunner().invoke(main, [*args, "--review", str(tmp_path / "r.html")])
    assert bad.exit_code == 2
