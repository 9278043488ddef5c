"""The n-gram scan against a plain Python set of n-grams (the reference the issue names)."""

import numpy as np
import pytest

from assay._core import InputError
from assay.contamination import (
    DocRef,
    ScanPartial,
    build_index,
    normalize,
    scan_texts,
    summarize,
    tokenize,
    word_spans,
)


def reference(items: list[str], docs: list[str], n: int, min_tokens: int):
    """Plain Python: which items' n-grams (or whole short inputs) occur in which documents."""
    grams: dict[tuple, set[int]] = {}
    for i, t in enumerate(items):
        w = tokenize(t)
        if len(w) >= n:
            for j in range(len(w) - n + 1):
                grams.setdefault(tuple(w[j : j + n]), set()).add(i)
        elif len(w) >= min_tokens:
            grams.setdefault(tuple(w), set()).add(i)
    lengths = {len(g) for g in grams}
    pairs, found = set(), set()
    for d, text in enumerate(docs):
        w = tokenize(text)
        for k in lengths:
            for j in range(len(w) - k + 1):
                g = tuple(w[j : j + k])
                if g in grams:
                    found.add(g)
                    pairs.update((i, d) for i in grams[g])
    share = []
    for i in range(len(items)):
        mine = [g for g, owners in grams.items() if i in owners]
        share.append(sum(g in found for g in mine) / len(mine) if mine else float("nan"))
    return pairs, share


def make_corpus(seed: int):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(400)] + ["The", "cat,", "SAT!", "on-the", "mat."]
    sent = lambda k: " ".join(rng.choice(vocab, k))  # noqa: E731
    items = [sent(int(rng.integers(3, 40))) for _ in range(60)]
    docs = []
    for _ in range(80):
        parts = [sent(int(rng.integers(0, 60)))]
        if rng.random() < 0.4:  # plant all or part of an item
            it = items[int(rng.integers(len(items)))].split()
            a = int(rng.integers(0, max(1, len(it) - 5)))
            parts.append(" ".join(it[a:]).upper() if rng.random() < 0.3 else " ".join(it[a:]))
        parts.append(sent(int(rng.integers(0, 30))))
        docs.append("\n".join(parts))
    return items, docs


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [3, 8, 13])
def test_same_matches_as_plain_python_set(seed, n):
    items, docs = make_corpus(seed)
    idx = build_index(items, n=n, min_tokens=2)
    part = scan_texts(docs, idx, max_evidence=1000)
    pairs, share = reference(items, docs, n, 2)
    assert len(pairs) > 10  # the planted items are there to be found
    ours = {(i, e["row"]) for i, rec in part.items.items() for e in rec["evidence"]}
    assert ours == pairs
    res = summarize(idx, part)
    np.testing.assert_allclose([v.input_share for v in res.items], share, equal_nan=True)
    assert {
        i for i, v in enumerate(res.items) if v.status != "clean" and v.status != "unchecked"
    } == {i for i, _ in pairs}


def test_longest_match_and_character_offsets():
    item = "One two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    doc = "Intro text here.  " + item.replace("five", "FIVE,") + " -- and more text after it"
    idx = build_index([item], n=5)
    part = scan_texts(
        ["nothing here", doc], idx, ref=DocRef(shard=3, source="s.jsonl", first_row=10)
    )
    rec = part.items[0]
    assert rec["n_docs"] == 1 and rec["longest"] == 14
    ev = rec["evidence"][0]
    assert (ev["shard"], ev["source"], ev["row"]) == (3, "s.jsonl", 11)
    assert normalize(doc[ev["start"] : ev["end"]]) == normalize(item)
    assert doc[ev["start"] : ev["end"]] == ev["snippet"]
    assert ev["n_grams"] == 10


def test_answer_in_the_same_document():
    q = "What is the largest planet in the solar system of ours today"
    idx = build_index([q, q + " again"], targets=["Jupiter", "Saturn"], ids=["a", "b"], n=6)
    docs = [f"Quiz: {q}? Answer: Jupiter.", f"{q} again. No answer here at all.", "Jupiter"]
    res = summarize(idx, scan_texts(docs, idx))
    by = {v.item: v for v in res.items}
    assert by["a"].status == "input_and_answer" and by["a"].n_answer_docs == 1
    assert by["b"].status == "input"  # found, without Saturn nearby


def test_long_target_matched_by_ngrams():
    q = "Write a function that adds two numbers and returns their sum please"
    a = "def add(a, b): return a + b  # the sum of the two numbers given"
    idx = build_index([q], targets=[a], n=5)
    res = summarize(idx, scan_texts([q + "\n" + a, a], idx))
    v = res.items[0]
    assert v.status == "input_and_answer" and v.n_target_docs == 2 and v.target_share == 1.0


def test_short_inputs_unchecked_or_whole():
    idx = build_index(["two words", "one two three four five six"], n=13, min_tokens=5)
    res = summarize(idx, scan_texts(["x one two three four five six y", "two words"], idx))
    assert [v.status for v in res.items] == ["unchecked", "input"]


def test_merge_is_order_free_and_round_trips():
    items, docs = make_corpus(5)
    idx = build_index(items, n=4)
    parts = [scan_texts(docs[i : i + 20], idx, ref=DocRef(shard=i // 20)) for i in range(0, 80, 20)]
    one = scan_texts(docs, idx)
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    tree = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
    assert merged.to_dict() == tree.to_dict()
    assert ScanPartial.from_dict(merged.to_dict()).to_dict() == merged.to_dict()
    assert np.array_equal(merged.found, one.found)
    assert {k: v["n_docs"] for k, v in merged.items.items()} == {
        k: v["n_docs"] for k, v in one.items.items()
    }


def test_word_spans():
    text = "  Hello,  wörld! -- ok\tgo "
    spans = word_spans(text)
    assert [text[a:b] for a, b in spans] == ["Hello,", "wörld!", "ok", "go"]


def test_errors():
    idx = build_index(["a b c d e f g h i j k l m n"])
    with pytest.raises(InputError, match="`index` must be a TestIndex from build_index; got dict"):
        scan_texts(["x"], {})
    with pytest.raises(InputError, match=r"`texts\[1\]` must be a string; got int"):
        scan_texts(["x", 3], idx)
    with pytest.raises(InputError, match="`max_evidence` must be an integer >= 1; got 0"):
        scan_texts(["x"], idx, max_evidence=0)
    with pytest.raises(InputError, match="`answer_window` must be an integer >= 0; got -2"):
        scan_texts(["x"], idx, answer_window=-2)
