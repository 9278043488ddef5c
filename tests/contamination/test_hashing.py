"""Vectorised word and n-gram hashes: equal hashes exactly when the words are equal."""

import json
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.contamination import gram_hashes, hash_texts, same_document, tokenize

WORDS = [
    "a",
    "b",
    "ab",
    "ba",
    "abcdefgh",
    "abcdefghi",
    "abcdefgh1",
    "x" * 17,
    "x" * 16,
    "é",
    "中文",
]
docs = st.lists(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(docs, st.integers(1, 4))
def test_equal_hash_iff_equal_words(texts, k):
    batch = hash_texts(texts)
    words = [w for t in texts for w in tokenize(t)]
    grams = gram_hashes(batch.hashes, k)
    tuples = [tuple(words[i : i + k]) for i in range(len(words) - k + 1)]
    assert len(grams) == len(tuples)
    for i in range(len(tuples)):
        for j in range(i, len(tuples)):
            assert (grams[i] == grams[j]) == (tuples[i] == tuples[j])


@settings(max_examples=100, deadline=None)
@given(docs, st.integers(1, 4))
def test_same_document_matches_boundaries(texts, k):
    batch = hash_texts(texts)
    owner = np.repeat(np.arange(len(texts)), np.diff(batch.doc_start))
    starts = np.arange(max(len(owner) - k + 1, 0))
    expected = owner[starts] == owner[starts + k - 1] if len(starts) else np.zeros(0, bool)
    assert np.array_equal(same_document(starts, k, batch.doc_start), expected)


def test_gram_hash_depends_on_length():
    h = hash_texts(["a b c d"]).hashes
    assert gram_hashes(h, 2)[0] != gram_hashes(h, 3)[0]


def test_hashes_are_the_same_in_another_process():
    # Python's own hash() is salted per process; ours must not be (shards run in other processes)
    text = "The quick brown fox jumps over the lazy dog, twice; élan 中文"
    code = (
        "import json; from assay.contamination import hash_texts, gram_hashes;"
        f"print(json.dumps(gram_hashes(hash_texts([{text!r}]).hashes, 3).tolist()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    here = gram_hashes(hash_texts([text]).hashes, 3).tolist()
    assert json.loads(out) == here


def test_empty_inputs():
    b = hash_texts([])
    assert b.n_docs == 0 and len(b.hashes) == 0
    b = hash_texts(["", "  ", "!!!"])
    assert b.n_docs == 3 and len(b.hashes) == 0
    assert len(gram_hashes(b.hashes, 3)) == 0
