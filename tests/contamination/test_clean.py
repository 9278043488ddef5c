"""Decontaminated text: GPT-3's window, fragment and split rules, checked by hand-built cases."""

import pytest

from assay._core import InputError
from assay.contamination import build_index, clean_texts, normalize, recipe

ITEM = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu"  # 13 words


def test_span_removed_with_window_on_each_side():
    left, right = "L" * 500 + " ", " " + "R" * 500
    text = left + ITEM + right
    idx = build_index([ITEM])
    (out,) = clean_texts([text], idx)
    a, b = len(left), len(left) + len(ITEM)
    assert out.action == "cut" and out.removed == ((a - 200, b + 200),)
    assert out.text == text[: a - 200] + "\n" + text[b + 200 :]
    assert out.items == ("0",)


def test_short_fragments_dropped():
    text = "x" * 150 + " " + ITEM + " " + "y" * 600
    (out,) = clean_texts([text], build_index([ITEM]))
    assert (
        out.action == "cut" and out.text == text[len(ITEM) + 151 + 200 :]
    )  # the 150-char head goes


def test_nothing_left_drops_the_document():
    (out,) = clean_texts(["intro " + ITEM + " outro"], build_index([ITEM]))
    assert out.action == "dropped" and out.text is None and "no piece of at least 200" in out.reason


def test_too_many_splits_drops_the_document():
    idx = build_index([ITEM], preset=recipe("gpt3", window=0, min_fragment=0, max_splits=3))
    text = "start " + (" filler words here " * 3).join([ITEM] * 4) + " end"
    (out,) = clean_texts([text], idx)
    assert out.action == "dropped" and "split into 5 pieces (more than 3)" in out.reason


def test_overlapping_windows_merge_and_clean_text_stays():
    idx = build_index([ITEM])
    text = "z" * 400 + " " + ITEM + " " + "w" * 50 + " " + ITEM + " " + "v" * 400
    clean = "Nothing to see here. " * 20
    out, kept = clean_texts([text, clean], idx)
    assert out.action == "cut" and len(out.removed) == 1
    assert kept.action == "kept" and kept.text == clean
    assert normalize(ITEM) not in normalize(out.text)


def test_drop_mode():
    out = clean_texts(["x " + ITEM, "clean text"], build_index([ITEM]), mode="drop")
    assert [o.action for o in out] == ["dropped", "kept"]
    assert out[0].to_dict() == {
        "action": "dropped",
        "reason": "matches test n-grams",
        "removed": [[0, len(ITEM) + 2]],
        "items": ["0"],
    }


def test_errors():
    with pytest.raises(InputError, match="`mode` must be one of 'drop', 'spans'; got 'cut'"):
        clean_texts(["x"], build_index([ITEM]), mode="cut")
    with pytest.raises(InputError, match="`index` must be a TestIndex; got NoneType"):
        clean_texts(["x"], None)
