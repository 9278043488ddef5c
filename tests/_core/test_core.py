"""Tests of the bottom layer: exceptions, results, validation helpers, ScoreMatrix."""

import dataclasses
import json
import pickle

import numpy as np
import pytest

from assay._core import InputError, Result, ScoreMatrix, to_builtin
from assay._core._validation import (
    check_alternative,
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_probability,
    check_rng,
)


def test_input_error_names_file_line_and_field():
    err = InputError("expected a number", path="runs/a.jsonl", record=12, field="score")
    assert str(err) == "runs/a.jsonl: line 12: field 'score': expected a number"
    assert isinstance(err, ValueError)
    assert (err.path, err.record, err.field) == ("runs/a.jsonl", 12, "score")
    err = InputError("bad member", path="x.eval", record="samples/1_epoch_1.json")
    assert str(err) == "x.eval: samples/1_epoch_1.json: bad member"
    assert str(InputError("plain")) == "plain"


def test_input_error_survives_pickling():
    # multiprocessing sends exceptions between processes by pickling them
    err = pickle.loads(pickle.dumps(InputError("m", path="p", record=3, field="f")))
    assert (err.path, err.record, err.field, str(err)) == ("p", 3, "f", "p: line 3: field 'f': m")


@dataclasses.dataclass(frozen=True)
class _Demo(Result):
    estimate: float
    n: int
    values: np.ndarray
    _array_fields = ("values",)


def test_result_to_dict_is_json_safe_and_leaves_arrays_out():
    r = _Demo(estimate=np.float64(0.5), n=np.int64(3), values=np.array([1.0, np.nan]))
    d = r.to_dict()
    assert d == {"estimate": 0.5, "n": 3}
    assert type(d["n"]) is int
    full = r.to_dict(arrays=True)
    assert full["values"] == [1.0, None]
    json.dumps(full, allow_nan=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.n = 4  # type: ignore[misc]


def test_to_builtin_handles_nested_values():
    assert to_builtin({"a": (np.int32(1), np.bool_(True), float("inf"))}) == {"a": [1, True, None]}


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.9", True, None])
def test_confidence_level_rejects(bad):
    with pytest.raises(InputError, match="`confidence_level` must be"):
        check_confidence_level(bad)


def test_validation_helpers_accept_good_values():
    assert check_confidence_level(0.9) == 0.9
    assert check_probability(0, "p") == 0.0
    assert check_positive_int(np.int64(3), "k") == 3
    assert check_alternative("less") == "less"
    assert isinstance(check_rng(1), np.random.Generator)
    g = np.random.default_rng(0)
    assert check_rng(g) is g


def test_validation_helpers_error_messages():
    with pytest.raises(InputError, match=r"`p` must be in \(0, 1\); got 0"):
        check_probability(0, "p", open_interval=True)
    with pytest.raises(InputError, match="`k` must be an integer >= 1; got 0"):
        check_positive_int(0, "k")
    with pytest.raises(InputError, match="`k` must be an integer >= 1; got 2.5"):
        check_positive_int(2.5, "k")
    with pytest.raises(InputError, match="`method` must be one of 'a', 'b'; got 'c'"):
        check_choice("c", "method", ["a", "b"])
    with pytest.raises(InputError, match="`alternative` must be one of"):
        check_alternative("bigger")
    with pytest.raises(InputError, match="`rng` must be a numpy Generator"):
        check_rng("seed")
    with pytest.raises(InputError, match="non-negative"):
        check_rng(-1)


def test_check_array():
    np.testing.assert_array_equal(check_array([0, 1, 1], "x", binary=True), [0.0, 1.0, 1.0])
    with pytest.raises(InputError, match="`x` must have at least 1 element"):
        check_array([], "x")
    with pytest.raises(InputError, match="`x` contains 1 NaN"):
        check_array([1.0, np.nan], "x")
    with pytest.raises(InputError, match="infinite"):
        check_array([1.0, np.inf], "x")
    with pytest.raises(InputError, match=r"binary outcomes \(0 or 1\); found 1 other value"):
        check_array([0, 0.5], "x", binary=True)
    with pytest.raises(InputError, match="must have 2 dimension"):
        check_array([1, 2], "x", ndim=2)
    with pytest.raises(InputError, match="numeric array-like"):
        check_array(["a"], "x")
    assert np.isnan(check_array([1.0, np.nan], "x", allow_nan=True)).sum() == 1


def _matrix():
    values = np.array([[[1, 0], [0, np.nan]], [[1, 1], [np.nan, np.nan]]], dtype=float)
    return ScoreMatrix(
        models=("a", "b"),
        items=("i1", "i2"),
        values=values,
        task="t",
        metric="acc",
        subject=np.array(["x", "y"], dtype=object),
    )


def test_score_matrix_shapes_and_item_scores():
    m = _matrix()
    assert m.shape == (2, 2, 2) and (m.n_models, m.n_items, m.n_samples) == (2, 2, 2)
    np.testing.assert_array_equal(m.item_scores(), [[0.5, 0.0], [1.0, np.nan]])
    assert m.has_missing()
    np.testing.assert_array_equal(m.row("b")[0], [1, 1])
    sub = m.subset(models=["b"], items=["i2"])
    assert sub.models == ("b",) and sub.items == ("i2",) and list(sub.subject) == ["y"]
    assert "models=2" in repr(m)


def test_score_matrix_accepts_2d_values():
    m = ScoreMatrix(models=("a",), items=("1", "2"), values=np.array([[1.0, 0.0]]))
    assert m.shape == (1, 2, 1)


def test_score_matrix_rejects_bad_shapes():
    with pytest.raises(InputError, match="there are 2 models and 1 items"):
        ScoreMatrix(models=("a", "b"), items=("1",), values=np.zeros((1, 1, 1)))
    with pytest.raises(InputError, match="`models` contains duplicates"):
        ScoreMatrix(models=("a", "a"), items=("1",), values=np.zeros((2, 1, 1)))
    with pytest.raises(InputError, match="`items` contains duplicates"):
        ScoreMatrix(models=("a",), items=("1", "1"), values=np.zeros((1, 2, 1)))
    with pytest.raises(InputError, match="`subject` must have shape"):
        ScoreMatrix(
            models=("a",), items=("1",), values=np.zeros((1, 1, 1)), subject=np.array(["x", "y"])
        )
    with pytest.raises(InputError, match="shape \\(n_models, n_items, n_samples\\)"):
        ScoreMatrix(models=("a",), items=("1",), values=np.zeros(1))
    with pytest.raises(InputError, match="model 'zz' is not in this matrix"):
        _matrix().row("zz")
