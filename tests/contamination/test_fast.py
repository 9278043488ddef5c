"""The compiled kernels (numba, optional) against the numpy path and a plain Python set: the same
normalised bytes, the same words, the same hits, on text chosen to hit every special case."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.contamination import EncodedTexts, _fast, build_index, scan_texts
from assay.contamination._hashing import _normalized_batch, hash_texts

from .test_scan import reference

pytestmark = pytest.mark.skipif(not _fast.HAVE_NUMBA, reason="numba (assay[fast]) not installed")

# ASCII punctuation and control white space, Unicode white space (U+3000, NBSP, U+2028, NEL),
# upper case that lowers to one code point (É, Д, Kelvin sign -> ASCII k, U+023A grows from two
# bytes to three), to several (İ) or by context (Σ), astral characters (emoji, U+20000)
WORDS = [
    "the", "Cat", "SAT", "on-the", "mat.", "it's", "4:30", "a\tb", "x\x1cy", "q\x0bz", "naïve",
    "café", "Élan", "ДОМ", "\u212akelvin", "\u023a", "\u0130stanbul", "ΟΔΟΣ", "ς", "🙂", "\U00020000",
    "a\u3000b", "c\xa0d", "e\u2028f", "g\x85h", "“quoted”", "—", "€5", "abcdefghijklmnopqrstu",
    "nul\x00",
]  # fmt: skip


def encode(texts):
    parts = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    return EncodedTexts(np.frombuffer(b"".join(parts), np.uint8), offsets)


@pytest.fixture
def kernels(monkeypatch):
    """Switch the compiled kernels on or off."""

    def switch(on: bool):
        monkeypatch.setattr(_fast, "ENABLED", on)

    yield switch


texts_st = st.lists(
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None)
@given(texts_st)
def test_normalised_bytes_equal_the_numpy_path(texts):
    want_buf, want_off = _normalized_batch(list(texts))
    enc = encode(texts)
    old = _fast.ENABLED
    try:
        _fast.ENABLED = True
        got = hash_texts(enc)
    finally:
        _fast.ENABLED = old
    assert bytes(got.buf) == bytes(want_buf)
    assert got.doc_bytes.tolist() == want_off.tolist()
    want = hash_texts(list(texts))
    assert got.n_bytes == want.n_bytes
    assert got.n_words == want.n_words
    assert np.array_equal(got.hashes, want.hashes)


def test_nul_batches_take_the_numpy_path():
    # a NUL makes the numpy path treat the batch apart; the kernel hands such batches back
    assert _fast.normalize_utf8(np.frombuffer(b"a\x00b", np.uint8), np.array([0, 3])) is None
    texts = ["a\x00b c", "Élan d"]
    assert hash_texts(encode(texts)).n_bytes == hash_texts(texts).n_bytes
    # a NUL after a character that Python lowers (İ) in the same document: the kernel used to
    # stop reading the document at the İ and miss the NUL (the U+3000 then gave three spaces
    # where the numpy path, which treats NUL batches apart, gives one)
    texts = ["İstanbul a\u3000b \x00", "x"]
    assert bytes(hash_texts(encode(texts)).buf) == bytes(hash_texts(texts).buf)


def corpus(seed: int, n_items=40, n_docs=150):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(300)] + WORDS
    sent = lambda k: " ".join(rng.choice(vocab, k))  # noqa: E731
    items = [sent(int(rng.integers(3, 30))) for _ in range(n_items)]
    docs = []
    for _ in range(n_docs):
        parts = [sent(int(rng.integers(0, 50)))]
        if rng.random() < 0.4:
            it = items[int(rng.integers(len(items)))].split()
            a = int(rng.integers(0, max(1, len(it) - 5)))
            frag = " ".join(it[a:])
            parts.append(frag.upper() if rng.random() < 0.3 else frag)
        parts.append(sent(int(rng.integers(0, 20))))
        docs.append("\n".join(parts))
    return items, docs


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [3, 8, 13])
def test_same_hits_compiled_numpy_and_plain_python(kernels, seed, n):
    items, docs = corpus(seed)
    idx = build_index(items, n=n, min_tokens=2)
    results = []
    for on in (False, True):
        kernels(on)
        for texts in (docs, encode(docs)):
            results.append(scan_texts(texts, idx, max_evidence=1000).to_dict())
    assert all(r == results[0] for r in results[1:])
    pairs, _ = reference(items, docs, n, 2)
    assert len(pairs) > 10
    got = {(int(i), e["row"]) for i, rec in results[0]["items"].items() for e in rec["evidence"]}
    assert got == pairs


def test_many_hits_grow_the_output(kernels):
    # more hits than the kernel's first output array holds
    item = " ".join(f"t{i}" for i in range(40))
    idx = build_index([item], n=3)
    docs = [item] * 60
    kernels(False)
    want = scan_texts(docs, idx).to_dict()
    kernels(True)
    assert scan_texts(encode(docs), idx).to_dict() == want
    assert want["items"]["0"]["n_docs"] == 60


def test_encoded_texts_decode_lazily():
    enc = encode(["ab", "ÉΣ", ""])
    assert len(enc) == 3 and enc[1] == "ÉΣ" and enc[-1] == "" and enc[0:2] == ["ab", "ÉΣ"]
    with pytest.raises(IndexError):
        enc[3]


def test_bit_filter_passes_every_key():
    keys = np.unique(np.random.default_rng(0).integers(0, 2**63, 5000, dtype=np.uint64) * 2)
    bloom, wbits, table, shift = _fast.bit_filter(keys)
    with np.errstate(over="ignore"):
        h = keys * _fast._BLOOM_MULT
    word = bloom[(h >> np.uint64(64 - wbits)).astype(np.int64)]
    for j in range(3):
        bit = np.uint64(1) << ((h >> np.uint64(58 - wbits - 6 * j)) & np.uint64(63))
        assert np.all(word & bit)
    top = (keys >> np.uint64(shift)).astype(np.int64)
    assert np.all((table[top >> 3] >> (top & 7)) & 1)


def test_lowercase_table_matches_str_lower():
    _, lower = _fast._tables()
    for c in range(0x80, len(lower)):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        low = ch.lower()
        want = c if low == ch else (ord(low) if len(low) == 1 and c != 0x3A3 else -1)
        if ch.isspace():
            want = -2  # Unicode white space: str.split splits there
        assert lower[c] == want, hex(c)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\x1c\xa0\u3000.,!-'aZé中ΣİK\u2028", max_size=40), st.integers(0, 5))
def test_word_spans_are_the_normalised_words(text, stop):
    # the spans' words, normalised one by one, are the words of normalize(text)
    from assay.contamination import tokenize, word_spans

    words = tokenize(text)
    spans = word_spans(text)
    assert [tokenize(text[a:b]) for a, b in spans] == [[w] for w in words]
    assert all(text[a:b] == text[a:b].strip() and " " not in text[a:b] for a, b in spans)
    assert word_spans(text, stop) == spans[:stop]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([32, 32, 97, 0xC3, 0xA9, 0x20 ^ 0x80, 0x00]), max_size=70))
def test_word_bounds_eight_bytes_at_a_time(body):
    # the SWAR pass against the words that split() finds, at every length mod 8
    a = np.frombuffer(bytes(body) + b" " * 16, np.uint8)
    n = len(body)
    starts, ends = (np.full(n // 2 + 8, -1, np.int32) for _ in range(2))
    nw = _fast._word_bounds(a, n, starts, ends, _fast._POSITIONS)
    want = [(m.start(), m.end()) for m in re.finditer(rb"[^ ]+", bytes(body))]
    assert list(zip(starts[:nw].tolist(), ends[:nw].tolist(), strict=True)) == want


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(list(" \t\n\x1c\xa0\u3000\u2028\x85.,!-'aZé中ΣİK🙂\u200b\u3001")), min_size=60, max_size=400),
    st.sampled_from([None, 0, 5, 10_000]),
)  # fmt: skip
def test_word_spans_with_numpy_are_the_regexs(chars, stop):
    # long texts take the numpy path; the regular expression is the reference
    import itertools

    from assay.contamination._scan import _WORD, word_spans

    text = "".join(chars)
    want = [m.span() for m in itertools.islice(_WORD.finditer(text), stop)]
    assert word_spans(text, stop) == want


def test_a_numba_that_fails_to_import_is_said_not_silent(tmp_path):
    # a local coverage.py shadows the coverage package numba probes for (benchmarks/ has one):
    # the scan falls back to numpy, and says so, instead of running 4x slower without a word
    import os
    import subprocess
    import sys

    import numba  # noqa: F401  (the dev extra installs it)

    (tmp_path / "coverage.py").write_text("")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    code = "from assay.contamination import _fast; print(_fast.HAVE_NUMBA)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert "numba is installed but failed to import" in out.stderr
    assert "coverage.py" in out.stderr
