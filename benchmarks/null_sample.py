"""The rephrase test's pseudo-queries (issue 22 follow-up): where they come from and what finding
them costs.

A corpus sorted by source (a first half of one vocabulary, a second half of another) is written as
uncompressed JSONL, zstd in 4 MiB frames, zstd in one frame, gzip and Parquet. For each, the 500
pseudo-queries of ``assay.pipelines.spread_sample`` are drawn and timed against one full read of
the file by the scan's reader (``iter_batches``, no scan); and the share of pseudo-queries from
the second half is printed for the sample and for the first 500 documents (the old null).

    python benchmarks/null_sample.py            # --mb 200: uncompressed size of the corpus
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from assay.pipelines import CorpusOptions, iter_batches, spread_sample


def write_corpus(folder: str, mb: int) -> dict[str, str]:
    rng = np.random.default_rng(0)
    first = np.array([f"wiki{i}" for i in range(5000)])
    second = np.array([f"code{i}" for i in range(5000)])
    lines = []
    size = 0
    half = mb << 19
    while size < 2 * half:
        vocab = first if size < half else second
        words = vocab[rng.integers(0, 5000, (1000, 150))]
        block = [json.dumps({"text": " ".join(w)}) + "\n" for w in words]
        lines.extend(block)
        size += sum(map(len, block))
    data = "".join(lines).encode()
    paths = {k: os.path.join(folder, f"c{k}") for k in (".jsonl", ".jsonl.gz", ".parquet")}
    paths["frames.jsonl.zst"] = os.path.join(folder, "frames.jsonl.zst")
    paths["one.jsonl.zst"] = os.path.join(folder, "one.jsonl.zst")
    with open(paths[".jsonl"], "wb") as fh:
        fh.write(data)
    with open(paths[".jsonl.gz"], "wb") as fh:
        fh.write(gzip.compress(data, 6))
    cctx = zstandard.ZstdCompressor()
    with open(paths["one.jsonl.zst"], "wb") as fh:
        fh.write(cctx.compress(data))
    with open(paths["frames.jsonl.zst"], "wb") as fh:
        for a in range(0, len(data), 4 << 20):
            fh.write(cctx.compress(data[a : a + (4 << 20)]))
    texts = [json.loads(line)["text"] for line in lines]
    pq.write_table(pa.table({"text": texts}), paths[".parquet"], row_group_size=20000)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_corpus(folder, args.mb)
        spread_sample([paths[".jsonl"]], 5)  # compile the reader's kernels first
        print(
            f"{'file':18s} {'MiB':>7s} {'sample':>8s} {'full read':>9s} {'ratio':>6s} "
            f"{'2nd half: sample':>16s} {'first n':>8s}"
        )
        for name, path in paths.items():
            t = time.perf_counter()
            sample = spread_sample([path], args.n)
            t_sample = time.perf_counter() - t
            t = time.perf_counter()
            first: list[str] = []
            n_docs = 0
            for b in iter_batches(path, CorpusOptions()):
                n_docs += len(b.texts)
                if len(first) < args.n:
                    first.extend(b.texts[: args.n - len(first)])
            t_read = time.perf_counter() - t
            share = np.mean([t.startswith("code") for t in sample])
            old = np.mean([t.startswith("code") for t in first])
            print(
                f"{name:18s} {os.path.getsize(path) / 2**20:7.1f} {t_sample:7.2f}s "
                f"{t_read:8.2f}s {t_sample / t_read:6.2f} {share:16.1%} {old:8.1%}"
            )
        print(f"documents: {n_docs:,}; pseudo-queries: {args.n} (distinct: {len(set(sample))})")


if __name__ == "__main__":
    main()
