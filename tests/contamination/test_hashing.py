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


def test_unicode_whitespace_list_is_what_str_split_knows():
    from assay.contamination._hashing import _UNICODE_SPACES

    every = "".join(chr(c) for c in range(0x80, 0x110000) if chr(c).isspace())
    assert every == _UNICODE_SPACES


def test_batch_normaliser_equals_the_reference_on_unicode_text():
    """The vectorised batch normaliser gives ``normalize`` word for word (reference: str.lower,
    str.translate and str.split of the standard library), on text built to hit every path:
    non-ASCII capitals (lowered in Python, İ grows a byte), final sigma, Unicode spaces, NUL."""
    from assay.contamination import normalize
    from assay.contamination._hashing import _normalized_batch

    rng = np.random.default_rng(3)
    alphabet = list("aZ,.!' -\n\t") + list("éÉÖİΣσςΩ“”—\u00a0\u3000\u2028\u1680\x1c\x85€✓𝔄")
    texts = ["".join(rng.choice(alphabet, int(rng.integers(0, 40)))) for _ in range(300)]
    texts += ["ΟΔΟΣ ΣΑΣ.", "", "plain", "x\x00y"]
    for batch in (texts, texts[:-1], [t for t in texts if t.isascii()]):
        buf, off = _normalized_batch(batch)
        for d, t in enumerate(batch):
            got = bytes(buf[off[d] : off[d + 1] - 1]).decode("utf-8").split(" ")
            assert [w for w in got if w] == normalize(t).split(), (d, t)


def test_probe_filter_finds_exactly_what_every_length_finds():
    """The scan's probe (one cheap gram value per word, real hashes at candidates) returns the
    same matches as hashing every indexed gram length at every word."""
    from assay.contamination import build_index
    from assay.contamination._scan import _gram_hits, _gram_hits_every_length

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)] + ["Élan", "naïve", "“quoted”", "longwordlongerthan8"]
    items = [" ".join(rng.choice(vocab, int(rng.integers(5, 30)))) for _ in range(200)]
    idx = build_index(items, targets=[" ".join(rng.choice(vocab, 15)) for _ in items])
    assert idx.short_lengths and idx.probe[0] == min(idx.short_lengths)
    docs = []
    for i in range(400):
        doc = " ".join(rng.choice(vocab, int(rng.integers(0, 200))))
        if i % 3 == 0:
            doc += " " + items[int(rng.integers(len(items)))].upper() + " tail"
        docs.append(doc)
    batch = hash_texts(docs)
    fast = _gram_hits(batch, idx)
    slow = _gram_hits_every_length(batch.hashes, batch.doc_start, idx)
    assert len(fast[0]) > 100
    for a, b in zip(fast, slow, strict=True):
        assert a.tolist() == b.tolist()
