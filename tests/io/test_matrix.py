"""Tests of build_matrix, validate_responses and resolve_duplicates on hand-made long tables."""

import numpy as np
import pyarrow as pa
import pytest

from assay import InputError, build_matrix, datasets
from assay.io import (
    MissingItemsWarning,
    ResponseBuilder,
    RunInfo,
    resolve_duplicates,
    validate_responses,
)
from assay.io._schema import ReadResult


def _table(rows):
    b = ResponseBuilder()
    for r in rows:
        b.add(**r)
    return b.to_table()


def _row(model, item, score, sample=0, metric="acc", task="t", run_id="r1", **kw):
    return dict(
        model=model,
        item=item,
        score=score,
        sample=sample,
        metric=metric,
        task=task,
        run_id=run_id,
        **kw,
    )


def test_build_matrix_places_every_score():
    t = _table(
        [
            _row("b", "2", 1.0, subject="s2"),
            _row("a", "1", 0.0, subject="s1"),
            _row("a", "2", 1.0),
            _row("b", "1", 1.0),
            _row("a", "1", 1.0, sample=1),
            _row("b", "1", 0.0, sample=1),
            _row("a", "2", 0.0, sample=1),
            _row("b", "2", 0.0, sample=1),
        ]
    )
    m = build_matrix(t)
    assert m.models == ("a", "b") and m.items == ("1", "2") and m.shape == (2, 2, 2)
    np.testing.assert_array_equal(m.values[0], [[0, 1], [1, 0]])
    np.testing.assert_array_equal(m.values[1], [[1, 0], [1, 0]])
    assert list(m.subject) == ["s1", "s2"] and m.cluster is None
    assert m.missing == {} and (m.task, m.metric) == ("t", "acc")


def test_build_matrix_missing_policies():
    t = _table([_row("a", "1", 1.0), _row("a", "2", 0.0), _row("a", "3", 1.0), _row("b", "1", 0.0)])
    with pytest.raises(InputError, match=r"b lacks 2 of 3 items \(e.g. 2, 3\)"):
        build_matrix(t)
    with pytest.warns(MissingItemsWarning, match="2 item\\(s\\) left out"):
        m = build_matrix(t, align="intersect")
    assert m.items == ("1",) and m.dropped_items == 2 and m.missing == {"b": (2, ("2", "3"))}
    with pytest.warns(MissingItemsWarning, match="kept as NaN"):
        m = build_matrix(t, align="keep")
    assert np.isnan(m.values[1, 1:, 0]).all() and m.dropped_items == 0
    with pytest.raises(InputError, match="`align` must be one of"):
        build_matrix(t, align="drop")


def test_build_matrix_choosing_task_and_metric():
    t = _table([_row("a", "1", 1.0, task="x"), _row("a", "1", 1.0, task="y", metric="f1")])
    with pytest.raises(InputError, match="several tasks; choose one of: x, y"):
        build_matrix(t)
    with pytest.raises(InputError, match="task 'z' not found; available: x, y"):
        build_matrix(t, "z")
    with pytest.raises(InputError, match="metric 'acc' not found for task 'y'; available: f1"):
        build_matrix(t, "y", "acc")
    assert build_matrix(t, "y").metric == "f1"
    with pytest.raises(InputError, match="model\\(s\\) 'q' have no"):
        build_matrix(t, "x", models=["a", "q"])


def test_validate_reports_nan_out_of_range_and_missing_ids():
    t = _table(
        [
            _row("a", "1", float("nan")),
            _row("a", "2", 1.5),
            _row("a", "", 1.0),
            _row("a", "3", None),
        ]
    )
    out, notes = validate_responses(t)
    assert out.num_rows == 3
    assert any("1 row(s) had no item id" in n for n in notes)
    assert any("2 response(s) have no score" in n for n in notes)
    assert any("1 score(s) of binary metric 'acc' are outside [0, 1]" in n for n in notes)


def test_duplicates_raise_naming_both_sources_or_keep_one():
    t = _table(
        [
            _row("a", "1", 1.0, run_id="r1"),
            _row("a", "1", 0.0, run_id="r2"),
            _row("a", "2", 0.0, run_id="r2"),
        ]
    )
    runs = ReadResult.from_parts(
        ResponseBuilder(),
        [
            RunInfo(run_id="r1", model="a", task="t", harness="h", source="first.json", sha256="x"),
            RunInfo(
                run_id="r2", model="a", task="t", harness="h", source="second.json", sha256="y"
            ),
        ],
    ).runs
    with pytest.raises(InputError, match="1 duplicate response.*in first.json and second.json"):
        resolve_duplicates(t, runs)
    first, notes = resolve_duplicates(t, runs, on_duplicate="first")
    assert first.column("score").to_pylist() == [1.0, 0.0] and "keeping the first" in notes[0]
    last, _ = resolve_duplicates(t, runs, on_duplicate="last")
    assert sorted(zip(last.column("item").to_pylist(), last.column("score").to_pylist())) == [
        ("1", 0.0),
        ("2", 0.0),
    ]


def test_packaged_mmlu_pro_matches_source_counts():
    # Counts checked against ../shared/data/mmlu-pro: 347,215 rows, 29 models, 12,032 questions,
    # 14 categories; DeepSeek-Coder-V2 answered 10,351 questions (12,032 - 1,681).
    r = datasets.mmlu_pro_result()
    assert r.responses.num_rows == 347215 and r.runs.num_rows == 29
    with pytest.warns(MissingItemsWarning):
        m = build_matrix(r.responses, align="keep")
    assert m.shape == (29, 12032, 1)
    assert m.missing["DeepSeek-Coder-V2"][0] == 1681
    assert len(set(m.subject)) == 14
    # question 70 (business, gold I): first row of the source CSV, DeepSeek-Coder-V2 ... is 11285
    t = r.responses.to_pandas()
    row = t[(t.model == "DeepSeek-Coder-V2") & (t["item"] == "11285")].iloc[0]
    assert row.score == 1.0 and row.prediction == "C"
    assert pa.types.is_float64(r.responses.schema.field("score").type)
