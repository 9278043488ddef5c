"""The audit on the long table and the human-review round trip (report/_review.py).

Real data: the packaged MMLU-Pro results (TIGER-AI-Lab/MMLU-Pro f418b11, Apache-2.0) restricted
to a few hundred questions; choice log-probabilities from the real lm-eval negotiationtom log.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import assay
from assay import datasets
from assay._core import InputError
from assay.labels import audit_items
from assay.report._review import (
    apply_review,
    apply_review_file,
    audit_input,
    audit_responses,
    read_review,
    suspect_rows,
    write_suspects,
)

LM_EVAL = (
    Path(__file__).resolve().parents[1] / "data" / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"
)


@pytest.fixture(scope="module")
def mmlu():
    t = datasets.mmlu_pro()
    items = sorted(set(t.column("item").to_pylist()))[:600]
    return t.filter(pc.is_in(t.column("item"), pa.array(items)))


def test_audit_input_matches_the_table(mmlu):
    data = audit_input(mmlu)
    assert data.task == "mmlu_pro" and data.metric == "acc"
    assert data.predictions.shape == (29, 600) and data.choice_probs is None
    rows = mmlu.to_pylist()
    m_idx = {m: k for k, m in enumerate(data.models)}
    i_idx = {it: k for k, it in enumerate(data.items)}
    for r in rows[::97]:
        code = data.predictions[m_idx[r["model"]], i_idx[r["item"]]]
        assert (None if code < 0 else data.answers[code]) == r["prediction"]
        assert data.answers[data.gold[i_idx[r["item"]]]] == r["target"]


def test_audit_responses_equals_audit_items_on_strings(mmlu):
    res, data = audit_responses(mmlu)
    rows = mmlu.to_pylist()
    models, items = sorted({r["model"] for r in rows}), sorted({r["item"] for r in rows})
    pred = np.full((len(models), len(items)), None, dtype=object)
    gold = np.full(len(items), None, dtype=object)
    for r in rows:
        pred[models.index(r["model"]), items.index(r["item"])] = r["prediction"]
        gold[items.index(r["item"])] = r["target"]
    direct = audit_items(pred, gold, models=models, items=items)
    np.testing.assert_allclose(
        res.p_wrong, direct.p_wrong, atol=1e-6
    )  # EM sums in another answer order
    assert res.n_suspects == direct.n_suspects
    assert [s["item"] for s in res.suspects()] == [s["item"] for s in direct.suspects()]


def _logprob_table(letters: bool) -> pa.Table:
    # The real lm-eval log of one model, copied under three model names with shifted log-probs.
    t = assay.read(str(LM_EVAL)).responses
    t = t.filter(pc.is_valid(t.column("choice_logprobs")))
    parts = []
    for k, name in enumerate(["m0", "m1", "m2"]):
        lp = [
            [v + (0.5 * k if j == 0 else 0.0) for j, v in enumerate(row)]
            for row in t.column("choice_logprobs").to_pylist()
        ]
        target = t.column("target").to_pylist()
        if letters:
            target = [chr(65 + int(x)) for x in target]
        part = t.set_column(
            t.schema.get_field_index("model"), "model", pa.array([name] * t.num_rows)
        )
        part = part.set_column(part.schema.get_field_index("choice_logprobs"), "choice_logprobs",
                               pa.array(lp, pa.list_(pa.float64())))  # fmt: skip
        part = part.set_column(
            part.schema.get_field_index("target"), "target", pa.array(target, pa.string())
        )
        parts.append(part)
    return pa.concat_tables(parts)


@pytest.mark.parametrize("letters", [False, True])
def test_predictions_from_choice_logprobs(letters):
    t = _logprob_table(letters)
    task = t.column("task")[0].as_py()
    metric = t.column("metric")[0].as_py()
    data = audit_input(t, task=task, metric=metric)
    t = t.filter(pc.equal(t.column("task"), task))
    rows = t.filter(pc.equal(t.column("metric"), metric)).to_pylist()
    for r in rows:
        i, m = data.items.index(r["item"]), data.models.index(r["model"])
        lp = np.asarray(r["choice_logprobs"])
        want = int(np.argmax(lp))
        assert data.answers[data.predictions[m, i]] == (chr(65 + want) if letters else str(want))
        p = np.exp(lp - lp.max())
        np.testing.assert_allclose(data.choice_probs[m, i, : lp.size], p / p.sum())
        target = r["target"]
        assert data.gold_index[i] == (ord(target) - 65 if letters else int(target))


def test_suspects_file_round_trip(tmp_path, mmlu):
    res, data = audit_responses(mmlu)
    rows = suspect_rows(res, data, top=5)
    assert len(rows) == min(5, res.n_suspects) and rows
    for suffix in (".csv", ".tsv", ".json"):
        path = write_suspects(rows, tmp_path / f"s{suffix}")
        review = read_review(path)
        assert [v.item for v in review] == [r["item"] for r in rows]
        assert all(v.action == "none" for v in review)


def _write_review(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["item", "verdict", "corrected"])
        w.writeheader()
        w.writerows(rows)
    return path


def test_apply_review_rescores_and_excludes(tmp_path, mmlu):
    res, data = audit_responses(mmlu)
    a, b, c = (s["item"] for s in res.suspects(3))
    fixed = res.suspects(3)[0]["competing"]
    path = _write_review(tmp_path / "r.csv", [
        {"item": a, "verdict": "error", "corrected": fixed},
        {"item": b, "verdict": "error", "corrected": ""},
        {"item": c, "verdict": "OK", "corrected": ""},
        {"item": "no-such-item", "verdict": "ok", "corrected": ""},
    ])  # fmt: skip
    table, summary = apply_review(mmlu, path)
    assert summary.confirmed_errors == 2 and summary.corrected == 1 and summary.excluded_items == 1
    assert summary.confirmed_ok == 2 and summary.unmatched == ("no-such-item",)
    assert b not in set(table.column("item").to_pylist())
    before = {(r["model"]): r for r in mmlu.to_pylist() if r["item"] == a}
    after = [r for r in table.to_pylist() if r["item"] == a]
    n_no_pred = sum(r["prediction"] is None for r in before.values())
    # a response without a prediction is wrong whatever the gold: scored 0, never dropped, so the
    # item stays in every model's item set (issue 23: the common set shrank 10,326 -> 10,321)
    assert len(after) == len(before)
    for r in after:
        assert r["target"] == fixed
        assert r["score"] == float(r["prediction"] is not None and r["prediction"] == fixed)
    assert summary.rows_unanswered == n_no_pred
    untouched = table.filter(pc.equal(table.column("item"), c))
    assert untouched.to_pylist() == mmlu.filter(pc.equal(mmlu.column("item"), c)).to_pylist()
    assert summary.rows_removed == int((pc.equal(mmlu.column("item"), b)).to_numpy().sum())
    note = summary.note()
    assert (
        "Human review (r.csv)" in note
        and "2 confirmed label error(s)" in note
        and "not in these results" in note
    )
    result = apply_review_file(datasets.mmlu_pro_result(), path)
    assert result.notes[-1].startswith("Human review")


@pytest.mark.parametrize(
    ("content", "suffix", "match"),
    [
        (
            "item,verdict\nq1,maybe\n",
            ".csv",
            r"r\.csv: line 2: field 'verdict': unknown verdict 'maybe'",
        ),
        (
            "item,verdict\n,ok\n",
            ".csv",
            r"line 2: field 'item': every reviewed row needs an item id",
        ),
        (
            "item,verdict,corrected\nq1,ok,B\n",
            ".csv",
            r"field 'corrected': a corrected answer \('B'\) needs",
        ),
        ('{"item": "q1"}', ".json", r"a review JSON file must hold a list of objects"),
        ("[{", ".json", r"cannot read the review file"),
        ("item\n", ".txt", r"must end in \.csv, \.tsv or \.json"),
    ],
)
def test_bad_review_files(tmp_path, content, suffix, match):
    path = tmp_path / f"r{suffix}"
    path.write_text(content)
    with pytest.raises(InputError, match=match):
        read_review(path)


def _two_tasks(t: pa.Table) -> pa.Table:
    other = t.set_column(1, "task", pa.array(["other"] * t.num_rows)).cast(t.schema)
    return pa.concat_tables([t, other])


def test_review_errors_on_the_table(tmp_path, mmlu):
    with pytest.raises(InputError, match=r"no such review file"):
        read_review(tmp_path / "none.csv")
    dup = _write_review(
        tmp_path / "d.csv", [{"item": "70", "verdict": "ok"}, {"item": "70", "verdict": "ok"}]
    )
    with pytest.raises(InputError, match=r"line 3: field 'item': item '70' is reviewed twice"):
        apply_review(mmlu, dup)
    two = _two_tasks(mmlu)
    one = _write_review(tmp_path / "o.csv", [{"item": "70", "verdict": "ok"}])
    with pytest.raises(InputError, match=r"several tasks .* say which in a 'task' column"):
        apply_review(two, one)
    with pytest.raises(InputError, match=r"must end in \.csv, \.tsv or \.json"):
        write_suspects([], tmp_path / "x.xlsx")


def test_audit_input_errors(mmlu):
    two = _two_tasks(mmlu)
    with pytest.raises(
        InputError, match=r"several tasks \(mmlu_pro, other\); choose one with `task`"
    ):
        audit_input(two)
    with pytest.raises(InputError, match=r"`task` 'nope' is not in the results"):
        audit_input(mmlu, task="nope")
    bad = mmlu.set_column(mmlu.schema.get_field_index("target"), "target",
                          pc.if_else(pc.equal(mmlu.column("model"), mmlu.column("model")[0]), "Z",
                                     mmlu.column("target")))  # fmt: skip
    with pytest.raises(
        InputError, match=r"field 'target': task 'mmlu_pro': item '\d+' has different targets"
    ):
        audit_input(bad)
    none = mmlu.set_column(
        mmlu.schema.get_field_index("target"), "target", pa.nulls(mmlu.num_rows, pa.string())
    )
    with pytest.raises(InputError, match=r"has no target \(gold answer\)"):
        audit_responses(none)
    with pytest.raises(InputError, match=r"blind baseline\(s\) 'ghost' are not among the models"):
        audit_responses(mmlu, blind=["ghost"])


def test_json_suspects_are_plain(tmp_path, mmlu):
    res, data = audit_responses(mmlu)
    path = write_suspects(suspect_rows(res, data), tmp_path / "s.json")
    rows = json.loads(Path(path).read_text())
    assert rows[0]["verdict"] == "" and rows[0]["task"] == "mmlu_pro"
    assert set(rows[0]) == {"task", "item", "subject", "gold", "competing", "competing_votes", "gold_votes", "n_voters",
                            "p_wrong", "suspicion", "reasons", "question", "verdict", "corrected"}  # fmt: skip


def test_a_corrected_answer_must_be_an_answer_of_the_item(tmp_path, mmlu):
    # issue 23: 'c' or 'Z' (not an answer on that item) was accepted and scored every model 0
    res, _ = audit_responses(mmlu)
    item = res.suspects(1)[0]["item"]
    for bad in ("c", "Z"):
        path = _write_review(
            tmp_path / "r.csv", [{"item": item, "verdict": "error", "corrected": bad}]
        )
        with pytest.raises(
            InputError,
            match=rf"line 2: field 'corrected': item '{item}': the corrected answer '{bad}'",
        ):
            apply_review(mmlu, path)


def test_review_counts_only_rows_with_a_verdict(tmp_path, mmlu):
    res, _ = audit_responses(mmlu)
    rows = [{"item": s["item"], "verdict": "", "corrected": ""} for s in res.suspects(10)]
    rows[0]["verdict"] = "ok"
    table, summary = apply_review(mmlu, _write_review(tmp_path / "r.csv", rows))
    assert summary.reviewed == 1 and "1 item verdict(s)" in summary.note()


def test_ranking_stability_leaves_confirmed_items_alone():
    # issue 23: the 'relabel' scenario relabelled items a human had confirmed correct
    from assay.labels import audit_items, ranking_stability

    preds = [list("ABBD"), list("ABBD"), list("ABBC"), list("ACBD"), list("BBBD")]
    audit = audit_items(preds, list("ABCD"), method="vote", n_choices=4, error_correlation=0)
    top = audit.items[audit.order[0]]
    plain = ranking_stability(audit, scenario="relabel")
    kept = ranking_stability(audit, scenario="relabel", confirmed=[top])
    assert plain.k == 1 and kept.k == 0
    assert kept.score_after.tolist() == kept.score_before.tolist()  # nothing relabelled
