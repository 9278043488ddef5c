"""The compiled JSON-lines reader (numba, optional) against orjson and the standard library: what
it accepts has the value they give; what they refuse it hands back; a scan reads the same rows and
finds the same matches with it and without it."""

import json

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay._core import InputError
from assay.contamination import _fast, build_index
from assay.pipelines import CorpusOptions, ScanOptions, iter_range_batches, plan_ranges, scan_corpus
from assay.pipelines import _jsonfast as jf

pytestmark = pytest.mark.skipif(not _fast.HAVE_NUMBA, reason="numba (assay[fast]) not installed")

# lines the kernel must take itself (plain records as corpora write them)
ACCEPTED = [
    b'{"text": "plain"}',
    b'{"id": 3, "text": "a\\nb\\t\\"q\\" \\\\ \\/ \\b\\f\\r", "meta": {"a": [1, 2.5e-3, -0, true]}}',
    b'{"text":"caf\\u00e9 \\u20ac \\ud83d\\ude42 \\u0041"}',
    '{"text": "café € 🙂 中文", "x": null}'.encode(),
    b'  {"meta": [], "text": "", "n": false}  \r',
    b'{"a": {"b": {"c": [[], {}, [{"text": 1}]]}}, "text": "nested keys named text do not count"}',
    b'{"text": "\\u0000 nul"}',
    b'{"text": "a\x7fb"}',
]
# lines the kernel must hand back (valid or not: the exact path decides)
HANDED_BACK = [
    b'["text", "array"]',
    b'{"text": 5}',
    b'{"text": null}',
    b'{"body": "no text field"}',
    b'{"text": "a", "text": "b"}',
    b'{"te\\u0078t": "escaped key"}',
    b'{"text": "lone \\ud800 surrogate"}',
    b'{"text": "lone \\udc00"}',
    b'{"text": "bad \\x escape"}',
    b'{"text": "raw\ttab"}',
    b'{"text": "bad utf8 \xff"}',
    b'{"text": "overlong \xc0\xaf"}',
    b'{"text": "surrogate in utf8 \xed\xa0\x80"}',
    b'{"text": "unterminated}',
    b'{"text": "x",}',
    b'{"text": "x"} trailing',
    b'{"text": "x", "n": 01}',
    b'{"text": "x", "n": NaN}',
    b'{"text": "x", "n": 1.}',
    b'{"text": "x", "n": tru}',
    b'\xef\xbb\xbf{"text": "bom"}',
    b'{"text": "x", "deep": ' + b"[" * 70 + b"]" * 70 + b"}",
    b"{}",
    b"{",
]


def read_line(line: bytes):
    """One line through the reader's kernel (:func:`_jsonfast._fill`, as :class:`BatchWriter`
    runs it): (status, UTF-8 of the text, characters, where the line ends, normalised text)."""
    a = np.frombuffer(line, np.uint8)
    w = jf.BatchWriter(1 << 20, "text", len(line))
    stop, _q, end, n_lines = w.fill(a, 0)
    if stop == jf.STOP_FALLBACK:
        return jf.FALLBACK, None, 0, end, None
    assert stop == jf.STOP_END and n_lines == 1
    if w.n_docs == 0:
        return jf.BLANK, None, 0, end, None
    assert w.n_docs == 1
    # the normalised text is followed by one space, the separator
    norm = bytes(w.norm[: w.norm_end[0] - 1])
    return jf.OK, bytes(w.raw[: w.raw_end[0]]), int(w.n_chars[0]), end, norm


def run(lines: list[bytes]):
    got = [read_line(line) for line in lines]
    return [g[0] for g in got], got


def test_accepted_lines_have_orjsons_value():
    status, got = run(ACCEPTED)
    assert status == [jf.OK] * len(ACCEPTED)
    for line, (_, text, nch, end, _) in zip(ACCEPTED, got, strict=True):
        want = orjson.loads(line)["text"]
        assert text.decode("utf-8") == want
        assert nch == len(want)
        assert end == len(line)


def test_doubtful_lines_are_handed_back():
    status, got = run(HANDED_BACK)
    assert status == [jf.FALLBACK] * len(HANDED_BACK)
    assert [g[3] for g in got] == [len(line) for line in HANDED_BACK]


def test_blank_lines():
    status, _ = run([b"", b"  \t\x0b\x0c\r", b'{"text": "x"}', b""])
    assert status == [jf.BLANK, jf.BLANK, jf.OK, jf.BLANK]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    st.text(),
    st.booleans(),
    st.integers(0, 4),
)
def test_random_records_agree_with_the_standard_library(rec, text, ascii_only, at):
    items = list(rec.items())
    items.insert(min(at, len(items)), ("text", text))
    line = json.dumps(dict(items), ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    status, out, nch, _, norm = read_line(line)
    want = json.loads(line.decode("utf-8", "surrogatepass"))["text"]
    if status == jf.OK:
        assert out.decode("utf-8") == want
        assert nch == len(want)
        # the same pass normalises as the scan's own kernel does from the UTF-8 (or leaves the
        # document to Python, empty)
        got = _fast.normalize_utf8(out, np.array([0, len(out)]))
        if got is not None and not len(got[2]):
            assert norm == bytes(got[0][: got[1][1] - 1])
    else:
        # handed back only for a lone surrogate (orjson refuses it), a repeated text key, or a
        # top-level key that is not plain printable ASCII (compared as raw bytes, or not at all)
        plain = lambda k: all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in k)  # noqa: E731
        surrogate = any(0xD800 <= ord(c) < 0xE000 for c in line.decode("utf-8", "surrogatepass"))
        assert surrogate or "text" in rec or not all(map(plain, rec))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_garbage_is_never_accepted_unless_valid(noise):
    line = b'{"text": "' + noise + b'"}'
    status, out, *_ = read_line(line.replace(b"\n", b" "))
    if status == jf.OK:
        assert out.decode("utf-8") == orjson.loads(line.replace(b"\n", b" "))["text"]


# -- the reader and the scan, with and without the kernels -------------------------------------


def corpus_lines(seed=0, n=400):
    rng = np.random.default_rng(seed)
    words = ["alpha", "Beta", "γάμμα", "ΣΟΦΙΑ", "İz", "naïve", "🙂", "x\u3000y", "k,", "end."]
    lines = []
    for i in range(n):
        text = " ".join(rng.choice(words, int(rng.integers(0, 40))))
        if i % 9 == 0:
            text += " the planted test item sentence with thirteen words in it for the scan"
        rec = {"id": i, "text": text} if i % 2 else {"text": text, "meta": {"k": [i, None]}}
        lines.append(json.dumps(rec, ensure_ascii=bool(i % 3)))
        if i % 37 == 5:
            lines.append("")  # blank
        if i % 41 == 7:
            lines.append('{"text": "a", "text": "repeated key, exact path"}')
        if i % 43 == 8:
            lines.append('{"text": "number 1e400 for orjson", "n": 1e400}')
    return ("\n".join(lines) + "\n").encode()


def read_all(path, monkeypatch, on, **kw):
    monkeypatch.setattr(_fast, "ENABLED", on)
    opts = CorpusOptions(**kw)
    ranges, _ = plan_ranges([str(path)], opts)
    out = []
    for r in ranges:
        counts = {}
        for b in iter_range_batches(r, opts, counts):
            out.append((r.part, b.first_row, list(b.texts)))
        out.append((r.part, "rows", counts["rows"]))
    return out


@pytest.mark.parametrize("batch_bytes,range_bytes", [(1 << 20, 1 << 20), (300, 4000), (1, 2500)])
def test_reader_gives_the_same_batches(tmp_path, monkeypatch, batch_bytes, range_bytes):
    path = tmp_path / "c.jsonl"
    path.write_bytes(corpus_lines())
    kw = {"batch_bytes": batch_bytes, "range_bytes": range_bytes}
    assert read_all(path, monkeypatch, True, **kw) == read_all(path, monkeypatch, False, **kw)


def test_errors_name_the_same_line(tmp_path, monkeypatch):
    path = tmp_path / "c.jsonl"
    data = corpus_lines()
    data = data[: data.index(b"\n", 3000) + 1]
    path.write_bytes(data + b'{"text": "ok"}\n{"text": [7]}\n')
    msgs = []
    for on in (True, False):
        with pytest.raises(InputError) as err:
            read_all(path, monkeypatch, on)
        msgs.append(str(err.value))
    line = data.count(b"\n") + 2
    assert msgs[0] == msgs[1] and f"line {line}" in msgs[0] and "text" in msgs[0]


def test_lone_surrogate_is_an_input_error(tmp_path, monkeypatch):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"text": "fine"}\n{"text": "bad \\ud800 here"}\n')
    for on in (True, False):
        with pytest.raises(InputError, match="lone surrogate") as err:
            read_all(path, monkeypatch, on)
        assert "line 2" in str(err.value)


def test_scan_is_the_same(tmp_path, monkeypatch):
    path = tmp_path / "c.jsonl"
    path.write_bytes(corpus_lines(1, 900))
    idx = build_index(
        ["The planted test item sentence with thirteen words in it for the scan, indeed."]
    )
    runs = []
    for on in (True, False):
        monkeypatch.setattr(_fast, "ENABLED", on)
        opts = ScanOptions(corpus=CorpusOptions(range_bytes=9000, batch_bytes=5000))
        run = scan_corpus(str(path), idx, options=opts, workers=1, progress=False)
        runs.append(run.partial.to_dict())
    assert runs[0] == runs[1]
    assert runs[0]["items"]["0"]["n_docs"] == 100


# -- one pass: the reader's kernel decodes and normalises; the scan starts from its bytes -------

SPECIAL = [
    "the", "Cat", "SAT", "on-the", "mat.", "it's", "4:30", "a\tb", "x\x1cy", "q\x0bz", "naïve",
    "café", "Élan", "ДОМ", "\u212akelvin", "\u023a", "\u0130stanbul", "ΟΔΟΣ", "ς", "🙂",
    "\U00020000", "a\u3000b", "c\xa0d", "e\u2028f", "g\x85h", "“quoted”", "—", "€5", 'q"uo\\te',
    "line\nfeed", "abcdefghijklmnopqrstu", "ABCDEFGHIJ,KLMNOP", "\x00", "nul\x00in",
]  # fmt: skip
texts_st = st.lists(st.lists(st.sampled_from(SPECIAL), max_size=30).map(" ".join), max_size=12)


def one_pass_batches(tmp_path, monkeypatch, lines: list[bytes], batch_bytes: int, read: int):
    """The reader's batches with the kernels on, blocks of ``read`` bytes."""
    from assay.pipelines import _ranges

    monkeypatch.setattr(_fast, "ENABLED", True)
    monkeypatch.setattr(_ranges, "_READ", read)
    # batch buffers that start tiny: the kernel stops for room and the writer grows them
    monkeypatch.setattr(jf, "_MIN_BYTES", 1)
    monkeypatch.setattr(jf, "_MIN_DOCS", 1)
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    opts = CorpusOptions(batch_bytes=batch_bytes)
    ranges, _ = plan_ranges([str(path)], opts)
    return [b for r in ranges for b in iter_range_batches(r, opts)]


def assert_same_tokens(texts):
    """The batch's words as the scan sees them: from the reader's normalised bytes, from the
    normalising kernel and from the numpy path (str)."""
    from assay.contamination._hashing import EncodedTexts, hash_texts

    got = hash_texts(texts)
    kernel = hash_texts(EncodedTexts(texts.buf, texts.offsets))
    numpy_path = _fast.ENABLED
    try:
        _fast.ENABLED = False
        want = hash_texts(list(texts))
    finally:
        _fast.ENABLED = numpy_path
    for other in (kernel, want):
        assert bytes(got.buf) == bytes(other.buf)
        assert got.doc_bytes.tolist() == other.doc_bytes.tolist()
        assert got.n_bytes == other.n_bytes and got.n_words == other.n_words
        assert np.array_equal(got.hashes, other.hashes)


@settings(max_examples=120, deadline=None)
@given(texts_st, st.booleans(), st.sampled_from([1, 40, 1 << 20]), st.sampled_from([16, 97, 4096]))
def test_one_pass_normalises_as_the_scan_does(tmp_path_factory, texts, ascii_only, batch, read):
    # escapes (ensure_ascii writes \uXXXX, surrogate pairs, \u0000), non-ASCII, İ and Σ (Python
    # lowers them), NUL (the batch goes the numpy way), lines for the exact path, small blocks
    # (the unfinished line moved to the front, the batch buffers grown) and small batches
    lines = []
    for i, t in enumerate(texts):
        rec = {"text": t, "id": i} if i % 2 else {"meta": [i, {"a": None}], "text": t}
        lines.append(json.dumps(rec, ensure_ascii=ascii_only).encode())
        if i % 5 == 3:
            lines.append(b'{"text": ' + json.dumps(t).encode() + b', "text": "repeated"}')
        if i % 4 == 1:
            lines.append(b"  ")
    mp = pytest.MonkeyPatch()
    try:
        tmp = tmp_path_factory.mktemp("one_pass")
        batches = one_pass_batches(tmp, mp, lines, batch, read)
    finally:
        mp.undo()
    want = []
    for line in lines:
        if line.strip():
            want.append(json.loads(line)["text"])
    assert [t for b in batches for t in b.texts] == want
    for b in batches:
        nul = any("\x00" in t for t in b.texts)
        assert (b.texts.normalized is None) == nul
        assert_same_tokens(b.texts)


def test_one_pass_flags_python_lowered_and_nul_documents(tmp_path, monkeypatch):
    lines = [
        json.dumps({"text": t}).encode()
        for t in ["plain words", "İstanbul ΣΟΦΙΑ", "\U00020000 astral", "no flag", "a\x00b"]
    ]
    b1, b2 = one_pass_batches(tmp_path, monkeypatch, lines, 40, 1 << 20)
    # documents 1 and 2 are lowered by Python (İ lowers to two code points, Σ by context,
    # U+20000 is past the kernel's table); the batch with NUL is left to the numpy path
    assert b1.texts.normalized[2].tolist() == [1, 2] and len(b1.texts) == 4
    assert b2.texts.normalized is None and list(b2.texts) == ["a\x00b"]
    assert_same_tokens(b1.texts)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["", "x", "xyz", "x" * 9, "x" * 30]), max_size=12),
       st.sampled_from(["", "\n", "\n\n"]), st.integers(1, 70), st.data())  # fmt: skip
def test_views_reader_gives_the_same_lines(tmp_path_factory, lines, tail, read, data):
    # the reused buffer (the unfinished line moved to the front) against the copying reader, on
    # every range boundary: before, on and after a line feed, with a line that runs past the
    # range's end by more than the first read after it
    from assay.pipelines import _ranges
    from assay.pipelines._ranges import Range, _lines

    raw = ("\n".join(lines) + tail).encode()
    path = tmp_path_factory.mktemp("views") / "f.jsonl"
    path.write_bytes(raw)
    cuts = sorted({0, len(raw), *data.draw(st.lists(st.integers(0, len(raw)), max_size=3))})
    mp = pytest.MonkeyPatch()
    mp.setattr(_ranges, "_READ", read)
    # the first read past a range's end (to finish its last line), doubled while no line ends
    mp.setattr(_ranges, "_TAIL", data.draw(st.integers(1, 40)))
    try:
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            rng = Range(0, str(path), 0, "bytes", a, b)
            old = [bytes(x) for x in _lines(rng, None)]
            new = [bytes(x) for x in _lines(rng, None, views=True)]
            assert b"\n".join(new).split(b"\n") == b"\n".join(old).split(b"\n")
            assert len(b"\n".join(new)) == len(b"\n".join(old))
    finally:
        mp.undo()
