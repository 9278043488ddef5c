"""The test-side index: n-gram counts against plain Python, ids, errors."""

import numpy as np
import pytest

from assay._core import InputError
from assay.contamination import MinHasher, build_index, tokenize


def test_counts_match_python():
    items = ["The cat sat on the mat, and the cat sat again on the mat today.", "short one", ""]
    targets = ["A cat.", None, "a b c d e f"]
    idx = build_index(items, targets=targets, n=3, min_tokens=2)
    for i, t in enumerate(items):
        w = tokenize(t)
        distinct = {tuple(w[j : j + 3]) for j in range(len(w) - 2)}
        expected = len(distinct) if len(w) >= 3 else (1 if len(w) >= 2 else 0)
        assert idx.n_grams[i, 0] == expected
        assert idx.n_words[i, 0] == len(w)
    assert idx.n_grams[2, 1] == 4 and idx.n_grams[1, 1] == 0
    assert idx.short_lengths == (2,)
    assert idx.targets == ("a cat", "", "a b c d e f")
    assert np.all(np.diff(idx.keys.astype(object)) > 0)  # sorted, distinct


def test_shared_grams_have_several_owners():
    idx = build_index(["a b c d", "x a b c"], n=3, benchmarks="bench")
    owners = [
        set(idx.owner_code[idx.owner_ptr[j] : idx.owner_ptr[j + 1]].tolist())
        for j in range(len(idx.keys))
    ]
    assert {0, 2} in owners  # "a b c" belongs to both inputs (codes 2*item + 0)
    assert idx.benchmarks == ("bench", "bench")


def test_fingerprint_and_dict():
    a = build_index(["one two three four"], n=2)
    b = build_index(["one two three four"], n=2)
    c = build_index(["one two three five"], n=2)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    d = a.to_dict()
    assert d["n_items"] == 1 and d["n_keys"] == 3 and "keys" not in d
    assert build_index(["a b c d e f"], minhash=MinHasher(num_perm=16, bands=4)).minhash.shape == (
        1,
        16,
    )


def test_same_id_in_two_benchmarks_is_fine():
    idx = build_index(["q one", "q two"], ids=["1", "1"], benchmarks=["A", "B"])
    assert idx.item_ids == ("1", "1")


def test_errors():
    with pytest.raises(InputError, match="`inputs` must hold at least one test item; got none"):
        build_index([])
    with pytest.raises(InputError, match="`inputs` must be a sequence of strings; got str"):
        build_index("abc")
    with pytest.raises(InputError, match=r"`inputs\[1\]` must be a string; got int"):
        build_index(["a", 1])
    with pytest.raises(InputError, match=r"`targets` must have one entry per input \(2\); got 1"):
        build_index(["a", "b"], targets=["x"])
    with pytest.raises(InputError, match="item 'x' of benchmark '' appears more than once"):
        build_index(["a", "b"], ids=["x", "x"])
    with pytest.raises(
        InputError, match=r"`benchmarks` must have one entry per input \(2\); got 3"
    ):
        build_index(["a", "b"], benchmarks=["A", "B", "C"])
    with pytest.raises(InputError, match="`minhash` must be a MinHasher; got int"):
        build_index(["a"], minhash=3)
    with pytest.raises(InputError, match="`preset` must be one of"):
        build_index(["a"], preset="bert")
