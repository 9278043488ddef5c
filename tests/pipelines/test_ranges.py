"""One file split into ranges: every document read exactly once, whatever the cut points, and a
scan in many ranges (one process or several) gives the result of a scan of the whole file."""

import gzip
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from assay._core import InputError
from assay.contamination import MinHasher, build_index
from assay.pipelines import (
    CorpusOptions,
    ScanOptions,
    iter_range_batches,
    plan_ranges,
    run_scan,
    scan_corpus,
    zstd_frames,
)

from .conftest import write_corpus


def records(n=60, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        words = " ".join(f"w{int(x)}" for x in rng.integers(0, 50, int(rng.integers(0, 40))))
        out.append({"text": f"doc {i} é ✓ {words}", "id": f"d{i}"})
    return out


def jsonl_bytes(rows, *, crlf=False, blank_every=7, trailing=True):
    lines = []
    for i, r in enumerate(rows):
        lines.append(json.dumps(r, ensure_ascii=False))
        if i % blank_every == 3:
            lines.append("")  # blank lines are skipped, not counted as rows
    sep = "\r\n" if crlf else "\n"
    return (sep.join(lines) + (sep if trailing else "")).encode()


def read_ranges(files, **kw):
    """(shard, absolute row, text, id) of every document, range by range, rows shifted."""
    opts = CorpusOptions(**kw)
    ranges, notes = plan_ranges(files, opts)
    out, offset, shard = [], 0, -1
    for r in ranges:
        if r.shard != shard:
            offset, shard = 0, r.shard
        counts = {}
        for b in iter_range_batches(r, opts, counts):
            for k, t in enumerate(b.texts):
                out.append((r.shard, offset + b.first_row + k, t, b.ids[k] if b.ids else None))
        offset += counts["rows"]
    return out, ranges, notes


def expected(rows, shard=0):
    return [(shard, i, r["text"], r["id"]) for i, r in enumerate(rows)]


@pytest.mark.parametrize("range_bytes", [1, 2, 13, 64, 333, 1 << 20])
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("trailing", [False, True])
def test_jsonl_byte_ranges_read_every_line_once(tmp_path, range_bytes, crlf, trailing):
    rows = records()
    p = tmp_path / "c.jsonl"
    p.write_bytes(jsonl_bytes(rows, crlf=crlf, trailing=trailing))
    got, ranges, notes = read_ranges([str(p)], id_field="id", range_bytes=range_bytes)
    assert got == expected(rows)
    size = os.path.getsize(p)
    assert len(ranges) == -(-size // range_bytes) and not notes
    assert all(r.kind == "bytes" for r in ranges)


def test_line_text_ranges_keep_empty_lines(tmp_path):
    lines = ["first", "", "", "third ✓", "x" * 500, "", "last"]
    p = tmp_path / "c.txt"
    p.write_bytes("\n".join(lines).encode())
    for rb in (1, 3, 17, 100, 10_000):
        got, _, _ = read_ranges([str(p)], text_unit="line", range_bytes=rb)
        assert [t for *_, t, _ in got] == lines, rb
        assert [row for _, row, _, _ in got] == list(range(len(lines)))
    got, ranges, _ = read_ranges([str(p)], text_unit="file", range_bytes=3)
    assert len(ranges) == 1 and got[0][2] == "\n".join(lines)


def zstd_in_frames(data: bytes, frame_bytes: int) -> tuple[bytes, list[int]]:
    """Compress ``data`` as one zstd frame per ``frame_bytes`` (cut anywhere, mid-line too)."""
    cctx = zstandard.ZstdCompressor(level=3, write_checksum=True)
    out, starts = b"", []
    for a in range(0, len(data), frame_bytes):
        starts.append(len(out))
        out += cctx.compress(data[a : a + frame_bytes])
    return out, starts


@pytest.mark.parametrize("frame_bytes", [1, 50, 97, 400, 1 << 20])
@pytest.mark.parametrize("range_bytes", [4, 400, 1 << 20])
def test_zstd_frames_are_ranges(tmp_path, frame_bytes, range_bytes):
    rows = records(40, seed=1)
    comp, starts = zstd_in_frames(jsonl_bytes(rows), frame_bytes)
    # a skippable frame in the middle is carried inside the frame before it
    p = tmp_path / "c.jsonl.zst"
    p.write_bytes(comp)
    assert zstd_frames(str(p)) == [*starts, len(comp)]
    got, ranges, notes = read_ranges([str(p)], id_field="id", range_bytes=range_bytes)
    assert got == expected(rows)
    if len(starts) > 1:
        assert ranges[0].kind == "frames" and not notes
    if len(starts) > 1 and range_bytes == 4:
        assert len(ranges) == len(starts)


def test_zstd_skippable_frames_and_errors(tmp_path):
    rows = records(10)
    comp, starts = zstd_in_frames(jsonl_bytes(rows), 120)
    skip = (0x184D2A53).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"hello"
    cut = starts[2]
    p = tmp_path / "s.jsonl.zst"
    p.write_bytes(comp[:cut] + skip + comp[cut:])
    bounds = zstd_frames(str(p))
    assert len(bounds) == len(starts) + 1 and bounds[2] == cut + len(skip)
    assert read_ranges([str(p)], id_field="id", range_bytes=4)[0] == expected(rows)
    bad = tmp_path / "bad.jsonl.zst"
    bad.write_bytes(comp[:cut] + b"garbage!" * 3)
    with pytest.raises(InputError, match=r"bad.jsonl.zst: not a zstd frame at byte"):
        zstd_frames(str(bad))


def test_single_streams_are_one_range_with_a_note(tmp_path):
    rows = records(30)
    data = jsonl_bytes(rows)
    gz = tmp_path / "c.jsonl.gz"
    gz.write_bytes(gzip.compress(data))
    zs = tmp_path / "c.jsonl.zst"
    zs.write_bytes(zstandard.ZstdCompressor().compress(data))
    got, ranges, notes = read_ranges([str(gz), str(zs)], id_field="id", range_bytes=10)
    assert got == expected(rows, 0) + expected(rows, 1)
    assert [r.kind for r in ranges] == ["whole", "whole"]
    assert "c.jsonl.gz is one gzip stream: it cannot be split" in notes[0]
    assert "c.jsonl.zst is one zstd frame: it cannot be split" in notes[1]
    assert read_ranges([str(gz)], range_bytes=1 << 30)[2] == []  # small: nothing to say


def test_parquet_row_groups_are_ranges(tmp_path):
    rows = records(50)
    p = str(tmp_path / "c.parquet")
    table = pa.table({"text": [r["text"] for r in rows], "id": [r["id"] for r in rows]})
    pq.write_table(table, p, row_group_size=7)
    got, ranges, _ = read_ranges([p], id_field="id", range_bytes=1)
    assert got == expected(rows) and len(ranges) == 8
    assert [(r.start, r.end) for r in ranges][:2] == [(0, 1), (1, 2)]
    got, ranges, _ = read_ranges([p], id_field="id", range_bytes=1 << 30)
    assert got == expected(rows) and len(ranges) == 1


def test_error_in_a_later_range_names_the_file_line(tmp_path):
    rows = records(30)
    lines = jsonl_bytes(rows, blank_every=1000).split(b"\n")
    lines[21] = b'{"text": broken}'
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"bad.jsonl: line 22: invalid JSON"):
        read_ranges([str(p)], range_bytes=100)


def result_text(folder):
    with open(os.path.join(folder, "result.json"), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def one_file(tmp_path, he_texts):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder, n_shards=2, docs_per_shard=150, plant_every=9)
    big = tmp_path / "big.jsonl"
    with open(big, "w", encoding="utf-8") as out:
        for name in sorted(os.listdir(folder)):
            out.write((folder / name).read_text(encoding="utf-8"))
    return str(big)


def test_one_file_in_ranges_gives_the_whole_file_result(tmp_path, one_file, he_texts):
    idx = build_index(he_texts, minhash=MinHasher(num_perm=64, bands=16))
    whole = ScanOptions(corpus=CorpusOptions(id_field="id", batch_bytes=5000))
    split = ScanOptions(corpus=CorpusOptions(id_field="id", batch_bytes=5000, range_bytes=9000))
    a = run_scan(one_file, idx, options=whole, workers=1, out=str(tmp_path / "a"))
    run = scan_corpus(one_file, idx, options=split, workers=1)
    assert len(run.ranges) > 20 and run.partial.n_docs == 300
    b = run_scan(one_file, idx, options=split, workers=1, out=str(tmp_path / "b"))
    c = run_scan(one_file, idx, options=split, workers=2, out=str(tmp_path / "c"))
    assert a.to_dict() == b.to_dict() == c.to_dict()
    assert result_text(tmp_path / "a") == result_text(tmp_path / "b") == result_text(tmp_path / "c")
    assert sum(v.contaminated for v in a.items) > 10
    # evidence rows are rows of the file, not of a range
    ev = [e for v in b.items for e in v.evidence]
    with open(one_file, encoding="utf-8") as fh:
        ids = [json.loads(line)["id"] for line in fh]
    assert ev and all(ids[e["row"]] == e["doc_id"] for e in ev)


def test_resume_per_range(tmp_path, one_file, he_texts):
    idx = build_index(he_texts)
    opts = ScanOptions(corpus=CorpusOptions(id_field="id", range_bytes=9000))
    out = tmp_path / "o"
    first = scan_corpus(one_file, idx, options=opts, workers=1, out=str(out))
    n = len(first.ranges)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["ranges"]) == n and all(r["done"] for r in manifest["ranges"])
    # as after a kill: some ranges not done, one result file lost
    for r in manifest["ranges"][5:9]:
        r["done"] = False
    (out / "manifest.json").write_text(json.dumps(manifest))
    os.remove(out / "ranges" / "000002.json")
    again = scan_corpus(one_file, idx, options=opts, workers=1, out=str(out))
    assert again.n_ranges_resumed == n - 5
    assert again.partial.to_dict() == first.partial.to_dict()
    # appending to the file redoes only the ranges whose bounds changed
    with open(one_file, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": he_texts[3], "id": "new"}) + "\n")
    grown = scan_corpus(one_file, idx, options=opts, workers=1, out=str(out))
    assert grown.n_ranges_resumed == 0  # the file's size and time changed: all redone
    assert grown.partial.n_docs == 301


def test_a_gzip_file_that_cannot_be_split_says_so_in_the_result(tmp_path, he_texts):
    p = tmp_path / "c.jsonl.gz"
    p.write_bytes(gzip.compress(jsonl_bytes(records(200))))
    opts = ScanOptions(corpus=CorpusOptions(range_bytes=100))
    res = run_scan(str(p), build_index(he_texts[:3]), options=opts, workers=2)
    assert res.n_docs == 200
    assert "c.jsonl.gz is one gzip stream: it cannot be split" in res.settings["notes"][0]
