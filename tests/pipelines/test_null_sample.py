"""The rephrase test's pseudo-queries (issue 22): a sample spread over the whole corpus, not its
first documents; the same whatever the ranges, batches or workers, and on a resumed scan; every
format; blank documents never; a corpus smaller than the sample gives all it has."""

import gzip
import hashlib
import json
import os
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from assay._core import InputError
from assay.contamination import build_index
from assay.pipelines import CorpusOptions, ScanOptions, _embed, scan_corpus, spread_sample
from assay.pipelines._sample import _WINDOW


def halves(n=400, pad=40):
    """A corpus sorted by source: n/2 'wiki' documents, then n/2 'code' ones of the same length."""
    return [f"{'wiki' if i < n // 2 else 'code'} {i:05d} " + "x" * pad for i in range(n)]


def jsonl(path, docs, extra=()):
    lines = [json.dumps({"text": d}) for d in docs]
    for at, line in extra:  # lines the scan skips or treats as blank documents
        lines.insert(at, line)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def positions(sample, docs):
    where = {d: i for i, d in enumerate(docs)}
    return [where[t] for t in sample]


def test_a_sorted_corpus_gets_pseudo_queries_from_every_part(tmp_path):
    """The old null took the first 500 documents: a corpus of all of one source, then all of
    another, got pseudo-queries of the first source only. Points are evenly spaced bytes: in two
    files of 1 and 3 parts of the bytes, exactly n/4 and 3n/4 of them."""
    docs = halves(800, pad=400)  # 350 KB: more than one window
    path = jsonl(tmp_path / "c.jsonl", docs)
    assert os.path.getsize(path) > 1.2 * _WINDOW
    sample = spread_sample([path], 40)
    where = positions(sample, docs)
    assert where == sorted(set(where)) and len(where) == 40
    kinds = [t.split()[0] for t in sample]
    assert abs(kinds.count("wiki") - 20) <= 1
    # evenly spaced: document j of the sample is near (j + 1/2) 800 / 40 (equal-length lines)
    np.testing.assert_allclose(where, (np.arange(40) + 0.5) * 20, atol=1.5)
    one = jsonl(tmp_path / "wiki.jsonl", [f"wiki {i:05d} " + "x" * 40 for i in range(100)])
    three = jsonl(tmp_path / "code.jsonl", [f"code {i:05d} " + "x" * 40 for i in range(300)])
    kinds = [t.split()[0] for t in spread_sample([three, one], 40)]
    assert kinds == ["code"] * 30 + ["wiki"] * 10  # file order; 3:1 by size


@pytest.mark.parametrize(
    "options",
    [
        CorpusOptions(range_bytes=1),
        CorpusOptions(range_bytes=997, batch_bytes=1),
        CorpusOptions(range_bytes=1 << 30, batch_bytes=1 << 30),
    ],
)
def test_the_sample_ignores_ranges_and_batches(tmp_path, options):
    docs = halves(800, pad=400)
    path = jsonl(tmp_path / "c.jsonl", docs)
    assert spread_sample([path], 37, options) == spread_sample([path], 37)


def test_blank_and_empty_documents_are_never_taken_and_a_small_corpus_gives_all(tmp_path):
    docs = [f"doc {i}" for i in range(30)]
    blank = [(3, ""), (8, "   "), (12, json.dumps({"text": ""})), (20, json.dumps({"text": " \t"}))]
    path = jsonl(tmp_path / "c.jsonl", docs, blank)
    assert spread_sample([path], 500) == docs
    assert spread_sample([path], 30) == docs
    assert spread_sample([path], 0) == []
    text = tmp_path / "c.txt"  # one document per line: empty lines are documents, blank ones
    text.write_text("a\n\n  \nb\r\nc\n", encoding="utf-8")
    assert spread_sample([str(text)], 10, CorpusOptions(text_unit="line")) == ["a", "b", "c"]


def test_long_documents_give_their_points_to_the_other_files(tmp_path):
    """A file of three long documents gets most of the points but has only three documents; the
    points it cannot use go to the other file, so the sample still has n documents."""
    long = jsonl(tmp_path / "a.jsonl", ["long " + "y" * 60_000 for _ in range(2)] + ["z" * 9])
    small = jsonl(tmp_path / "b.jsonl", [f"small {i}" for i in range(200)])
    sample = spread_sample([long, small], 50)
    assert len(sample) == 50 and sample[:3] == ["long " + "y" * 60_000] * 2 + ["z" * 9]
    where = [int(t.split()[1]) for t in sample[3:]]
    assert where == sorted(set(where)) and where[0] < 8 and where[-1] > 192  # spread over b
    # more than the corpus holds: everything, once
    assert len(spread_sample([long, small], 1000)) == 203


def blake(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


@pytest.mark.parametrize("kind", ["gzip", "zstd-one-frame"])
def test_a_single_compressed_stream_gives_its_smallest_hashes(tmp_path, kind):
    """A stream that cannot be entered in the middle is read once; the reference is the documents
    sorted by BLAKE2b-64 of their text (hashlib), the first n, back in file order."""
    docs = halves(300)
    data = "".join(json.dumps({"text": d}) + "\n\n" for d in docs).encode()
    if kind == "gzip":
        path = tmp_path / "c.jsonl.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path = tmp_path / "c.jsonl.zst"
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    want = sorted(sorted(docs, key=blake)[:25], key=docs.index)
    assert spread_sample([str(path)], 25) == want
    kinds = [t.split()[0] for t in want]
    assert 5 < kinds.count("wiki") < 20  # a random sample: both halves (fixed by the texts)
    assert spread_sample([str(path)], 1000) == docs


def test_zstd_frames_and_parquet_row_groups_are_entered_where_the_points_fall(tmp_path):
    docs = halves(600)
    raw = [(json.dumps({"text": d}) + "\n").encode() for d in docs]
    cctx = zstandard.ZstdCompressor()
    zst = tmp_path / "c.jsonl.zst"  # one frame per 20 lines
    zst.write_bytes(b"".join(cctx.compress(b"".join(raw[a : a + 20])) for a in range(0, 600, 20)))
    par = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": docs}), str(par), row_group_size=45)
    for path in (zst, par):
        where = positions(spread_sample([str(path)], 30), docs)
        assert len(set(where)) == 30
        # document j near (j + 1/2) 600 / 30: the frame's or row group's place of the point
        np.testing.assert_allclose(where, (np.arange(30) + 0.5) * 20, atol=2, err_msg=str(path))


def test_text_files_read_whole_are_one_document_each(tmp_path):
    """Many one-document files, fewer points than files: the points are spread over the files
    (in file order), one per file at most, blank files never."""
    folder = tmp_path / "docs"
    folder.mkdir()
    files = []
    for i in range(60):
        p = folder / f"{i:03d}.txt"
        p.write_text(f"file {i} " + "w" * (10 + 7 * (i % 5)), encoding="utf-8")
        files.append(str(p))
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    files.append(str(folder / "empty.txt"))
    sample = spread_sample(files, 12)
    where = [int(t.split()[1]) for t in sample]
    assert len(where) == 12 and where == sorted(where)
    assert np.diff(where).max() <= 8 and where[0] < 5 and where[-1] > 55
    assert len(spread_sample(files, 100)) == 60  # the blank file gives nothing


def test_a_bad_line_that_a_point_reads_names_its_file_line(tmp_path):
    docs = [f"doc {i}" for i in range(40)]
    path = jsonl(tmp_path / "c.jsonl", docs, [(26, '{"text": "unfinished')])
    with pytest.raises(InputError, match=r"c\.jsonl: line 27: invalid JSON"):
        spread_sample([path], 40)
    with pytest.raises(InputError, match=r"`n` must be a non-negative integer; got -1"):
        spread_sample([path], -1)
    with pytest.raises(InputError, match=r"nope\.jsonl: no such file"):
        spread_sample([path, str(tmp_path / "nope.jsonl")], 5)


def test_nearly_every_document_of_a_file_of_several_windows(tmp_path):
    """Points crowd: each takes the next document not yet taken, across window ends."""
    docs = [f"doc {i:05d} " + "v" * (100 + 37 * (i % 11)) for i in range(2400)]
    path = jsonl(tmp_path / "c.jsonl", docs)
    assert os.path.getsize(path) > 2 * _WINDOW
    for n in (2390, 2400):
        sample = spread_sample([path], n)
        where = positions(sample, docs)
        assert len(sample) == n and where == sorted(set(where))


# -- in the scan --------------------------------------------------------------------------------


def fake_vectors(texts):
    """384-d unit vectors seeded by each text, in place of the model."""
    out = []
    for t in texts:
        v = np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).normal(
            size=384
        )
        out.append(v / np.linalg.norm(v))
    return np.array(out, dtype=np.float32)


def write_cache(path, texts):
    """A file of precomputed embeddings (the save_embeddings layout) holding fake vectors, so
    that worker processes never load the model."""
    texts = list(dict.fromkeys(texts))
    np.savez(
        path,
        model=np.array(_embed.MODEL_NAME),
        keys=np.array([_embed.text_key(t) for t in texts], dtype="U64"),
        vectors=fake_vectors(texts).astype(np.float16),
    )
    return str(path)


def test_workers_and_ranges_do_not_change_the_null(tmp_path):
    docs = halves(300)
    items = [f"item {i}" for i in range(12)]
    a = jsonl(tmp_path / "a.jsonl", docs[:150])
    b = jsonl(tmp_path / "b.jsonl", docs[150:])
    cache = write_cache(tmp_path / "emb.npz", docs + items)
    index = build_index(items)

    def null(workers, range_bytes):
        opts = ScanOptions(
            embed=True,
            embed_k=5,
            embed_null=24,
            embed_cache=cache,
            corpus=CorpusOptions(range_bytes=range_bytes),
        )
        return scan_corpus([a, b], index, workers=workers, options=opts)

    one = null(1, 1 << 20)
    two = null(2, 1500)
    assert len(two.ranges) > 4
    np.testing.assert_array_equal(one.null_neighbours.scores, two.null_neighbours.scores)
    # brute force: the sample's vectors against every document's (from the same file)
    known = _embed.load_embeddings(cache)
    vec = lambda ts: np.array([known[_embed.text_key(t)] for t in ts], np.float64)  # noqa: E731
    sample = spread_sample([a, b], 24)
    assert {t.split()[0] for t in sample} == {"wiki", "code"}
    sims = vec(sample) @ vec(docs).T
    sims[sims >= 1 - 1e-4] = -np.inf
    want = -np.sort(-sims, axis=1)[:, :5]
    np.testing.assert_allclose(one.null_neighbours.scores, want, atol=1e-5)


def test_resume_uses_the_same_pseudo_queries_and_redoes_a_stale_null(tmp_path, monkeypatch):
    """A re-run resumes every range with the same null; after a file changes, the sample changes
    with it, and the other file's finished ranges (whose null was against the old pseudo-queries)
    are redone: the result is a fresh scan's. The old code kept them (a null of mixed samples)."""
    from .test_rephrase_null import fake_encode

    monkeypatch.setattr(_embed, "encode", fake_encode)
    a = jsonl(tmp_path / "a.jsonl", [f"{i % 30:03d} a {i}" for i in range(120)])
    b = jsonl(tmp_path / "b.jsonl", [f"{i % 30:03d} b {i}" for i in range(120)])
    index = build_index([f"{i:03d} an item" for i in range(10)])
    opts = ScanOptions(embed=True, embed_k=5, embed_null=40, corpus=CorpusOptions(range_bytes=1000))
    out = str(tmp_path / "out")
    first = scan_corpus([a, b], index, workers=1, options=opts, out=out)
    again = scan_corpus([a, b], index, workers=1, options=opts, out=out)
    assert again.n_ranges_resumed == len(first.ranges)
    np.testing.assert_array_equal(again.null_neighbours.scores, first.null_neighbours.scores)
    jsonl(tmp_path / "a.jsonl", [f"{i % 30:03d} A {i}" for i in range(90)])
    resumed = scan_corpus([a, b], index, workers=1, options=opts, out=out)
    fresh = scan_corpus([a, b], index, workers=1, options=opts)
    assert resumed.n_ranges_resumed == 0
    np.testing.assert_array_equal(resumed.null_neighbours.scores, fresh.null_neighbours.scores)
    assert resumed.partial.to_dict() == fresh.partial.to_dict()
    # without a null there is nothing to go stale: the unchanged file's ranges are resumed
    plain = ScanOptions(corpus=CorpusOptions(range_bytes=1000))
    scan_corpus([a, b], index, workers=1, options=plain, out=str(tmp_path / "plain"))
    jsonl(tmp_path / "a.jsonl", [f"{i % 30:03d} a {i}" for i in range(100)])
    redo = scan_corpus([a, b], index, workers=1, options=plain, out=str(tmp_path / "plain"))
    assert redo.n_ranges_resumed == sum(r.path == b for r in redo.ranges) > 0


def test_pseudo_queries_are_encoded_once(tmp_path, monkeypatch):
    """Their vectors, computed before the scan, are reused when the scan meets them as documents
    (before, each was encoded a second time in its range)."""
    from .test_rephrase_null import fake_encode

    seen = Counter()

    def counting(texts, *, batch_size=64, cache=None):
        seen.update(list(texts))
        return fake_encode(texts)

    monkeypatch.setattr(_embed, "encode", counting)
    docs = [f"{i % 30:03d} doc {i}" for i in range(200)]
    path = jsonl(tmp_path / "c.jsonl", docs)
    items = [f"{i:03d} an item" for i in range(10)]
    opts = ScanOptions(embed=True, embed_k=5, embed_null=30, corpus=CorpusOptions(range_bytes=700))
    run = scan_corpus(path, build_index(items), workers=1, options=opts)
    assert len(run.ranges) > 3 and run.null_neighbours.scores.shape == (30, 5)
    assert seen == Counter(items + docs)  # every text once, the 30 pseudo-queries included
