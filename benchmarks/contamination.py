"""Contamination n-gram scan speed (issue 9): assay against datatrove and a plain Python set.

Generates a corpus of JSONL shards (default 2 GB of document text, written under /tmp and deleted
at the end) and 10,000 test items, then measures, each in its own process (so that peak memory is
its own):

1. assay's scan, end to end (read JSONL, normalise, hash, look up, collect evidence) on the whole
   corpus with one worker: MB/s of document text per core (CPU time) and wall clock;
2. the same with all cores (``workers=os.cpu_count()``), wall clock;
3. assay's scan of texts already in memory (the n-gram stage alone), on a slice;
4. a plain Python set of hashed word 13-grams (``hash(" ".join(gram)) in test_set``), on a slice;
5. datatrove's ``NGramsDecontFilter`` (13-grams, its default normalisation, spaCy word tokenizer,
   xxhash), with its index built from the same items as its ``NGramsDecontIndexer`` would hash
   them, on a smaller slice;

and checks that the documents flagged are the same for all three on the slices.

Run: python benchmarks/contamination.py [--gb 2] [--slice-mb 100] [--datatrove-mb 5] [--keep]
Needs datatrove, spacy and xxhash<4 for step 5 (datatrove 0.10.1 passes str to xxhash, which
xxhash 4 refuses).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import string
import sys
import tempfile
import time

import numpy as np

N_ITEMS = 10_000
N = 13


# ------------------------------------------------------------------------------ data generation


def make_words(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = np.frombuffer(string.ascii_lowercase.encode(), np.uint8)
    lengths = np.clip(rng.poisson(4.5, n), 1, 14)
    flat = rng.choice(letters, lengths.sum())
    cut = np.cumsum(lengths)[:-1]
    return np.array([b.tobytes().decode() for b in np.split(flat, cut)])


def make_sentences(rng, words, n, zipf):
    p = 1.0 / np.arange(1, len(words) + 1) ** zipf
    p /= p.sum()
    out = []
    lengths = rng.integers(6, 28, n)
    idx = rng.choice(len(words), lengths.sum(), p=p)
    pos = 0
    punct = [".", ".", ".", "?", "!", ";"]
    for k in lengths:
        w = words[idx[pos : pos + k]].tolist()
        pos += k
        w[0] = w[0].capitalize()
        if k > 8:
            w[k // 2] += ","
        out.append(" ".join(w) + punct[int(rng.integers(len(punct)))])
    return out


def generate(
    folder: str, gb: float, seed: int = 0
) -> tuple[list[str], list[str], list[int], list[int]]:
    """Write the shards; return test items, shard paths, text bytes per shard, planted docs per shard."""
    rng = np.random.default_rng(seed)
    words = make_words(rng, 60_000)
    pool = make_sentences(rng, words, 200_000, 1.1)
    item_pool = np.array(make_sentences(rng, words, 40_000, 1.0), dtype=object)
    items = [
        " ".join(item_pool[rng.integers(0, len(item_pool), int(rng.integers(3, 7)))])
        for _ in range(N_ITEMS)
    ]
    pool_arr = np.array(pool, dtype=object)
    target = int(gb * 1e9)
    shard_bytes = 64 << 20
    paths, sizes, planted = [], [], []
    total = 0
    s = 0
    while total < target:
        path = os.path.join(folder, f"shard{s:04d}.jsonl")
        lines, size, n_planted = [], 0, 0
        while size < shard_bytes and total + size < target:
            k = int(rng.integers(5, 60))
            text = " ".join(pool_arr[rng.integers(0, len(pool_arr), k)])
            if rng.random() < 0.005:  # plant a fragment of a test item (at least 13 words)
                it = items[int(rng.integers(N_ITEMS))].split()
                a = int(rng.integers(0, max(1, len(it) - 20)))
                text = (
                    text + " " + " ".join(it[a : a + 20 + int(rng.integers(0, 20))]) + " " + pool[0]
                )
                n_planted += 1
            lines.append(json.dumps({"text": text, "id": f"{s}-{len(lines)}"}))
            size += len(text)
        with open(path, "w", encoding="ascii") as fh:
            fh.write("\n".join(lines) + "\n")
        paths.append(path)
        sizes.append(size)
        planted.append(n_planted)
        total += size
        s += 1
    return items, paths, sizes, planted


def read_slice(paths: list[str], mb: float) -> list[str]:
    out, size = [], 0
    for p in paths:
        with open(p, encoding="ascii") as fh:
            for line in fh:
                t = json.loads(line)["text"]
                out.append(t)
                size += len(t)
                if size >= mb * 1e6:
                    return out
    return out


# ------------------------------------------------------------------------------ contenders


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_assay_corpus(items, paths, workers, q):
    from assay.contamination import build_index
    from assay.pipelines import ScanOptions, scan_corpus

    t0 = time.perf_counter()
    idx = build_index(items, preset="gpt3")
    t_index = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    run = scan_corpus(
        paths, idx, workers=workers, progress=False, options=ScanOptions(near_duplicates=False)
    )
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    if workers > 1:  # CPU time of the worker processes
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += ru.ru_utime + ru.ru_stime
    q.put(
        {
            "wall": wall,
            "cpu": cpu,
            "index_s": t_index,
            "index_mb": idx.nbytes / 1e6,
            "n_keys": len(idx.keys),
            "docs": run.partial.n_docs,
            "flagged_items": len(run.partial.items),
            "peak_mb": _peak_mb(),
        }
    )


def run_assay_memory(items, paths, mb, q):
    from assay.contamination import build_index, clean_texts, scan_texts

    texts = read_slice(paths, mb)
    idx = build_index(items, preset="gpt3")
    c0 = time.process_time()
    for lo in range(0, len(texts), 2000):
        scan_texts(texts[lo : lo + 2000], idx)
    cpu = time.process_time() - c0
    flags = [
        r.action != "kept"
        for lo in range(0, len(texts), 2000)
        for r in clean_texts(texts[lo : lo + 2000], idx, mode="drop")
    ]
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def run_plain_set(items, paths, mb, q):
    table = str.maketrans("", "", string.punctuation)

    def words(t):
        return t.lower().translate(table).split()

    test = set()
    for it in items:
        w = words(it)
        test.update(hash(" ".join(w[i : i + N])) for i in range(len(w) - N + 1))
    texts = read_slice(paths, mb)
    c0 = time.process_time()
    flags = []
    for t in texts:
        w = words(t)
        flags.append(any(hash(" ".join(w[i : i + N])) in test for i in range(len(w) - N + 1)))
    cpu = time.process_time() - c0
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def run_datatrove(items, paths, mb, q):
    from datatrove.data import Document
    from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.utils.text import simplify_text

    folder = tempfile.mkdtemp()
    filt = NGramsDecontFilter(index_folder=folder, config=NGramsDecontConfig(n_grams=N))
    index = {}
    for it in items:  # as NGramsDecontIndexer.compute_hashes hashes a label
        toks = filt.tokenizer.word_tokenize(simplify_text(it, filt.config.norm_config))
        for i in range(len(toks) - N + 1):
            index[filt.hash_func(" ".join(toks[i : i + N]))] = "bench"
    filt._index_hashes = index
    texts = read_slice(paths, mb)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    c0 = time.process_time()
    flags = [filt.filter(d) is not True for d in docs]
    cpu = time.process_time() - c0
    shutil.rmtree(folder, ignore_errors=True)
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def in_process(target, *args):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--slice-mb", type=float, default=100.0)
    ap.add_argument("--datatrove-mb", type=float, default=5.0)
    ap.add_argument("--keep", action="store_true", help="keep the generated corpus")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="assay-contamination-bench-", dir="/tmp")
    try:
        t0 = time.perf_counter()
        items, paths, sizes, planted = generate(folder, args.gb)
        total_mb = sum(sizes) / 1e6
        print(
            f"generated {total_mb:,.0f} MB of text in {len(paths)} JSONL shards "
            f"({sum(planted):,} documents with a planted test-item fragment) and {len(items):,} test "
            f"items in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        one = in_process(run_assay_corpus, items, paths, 1)
        cores = os.cpu_count() or 1
        many = in_process(run_assay_corpus, items, paths, cores)
        mem = in_process(run_assay_memory, items, paths, args.slice_mb)
        plain = in_process(run_plain_set, items, paths, args.slice_mb)
        dt = in_process(run_datatrove, items, paths, args.datatrove_mb)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(
        f"test index: {one['n_keys']:,} distinct 13-grams, {one['index_mb']:.0f} MB, built in "
        f"{one['index_s']:.1f} s"
    )
    rows = [
        (
            "assay scan_corpus, 1 worker (JSONL read + scan)",
            total_mb,
            one["cpu"],
            one["wall"],
            one["peak_mb"],
        ),
        (
            f"assay scan_corpus, {cores} workers (JSONL read + scan)",
            total_mb,
            many["cpu"],
            many["wall"],
            many["peak_mb"],
        ),
        ("assay scan_texts (texts in memory), slice", mem["mb"], mem["cpu"], None, mem["peak_mb"]),
        (
            "plain Python set of hashed 13-grams, slice",
            plain["mb"],
            plain["cpu"],
            None,
            plain["peak_mb"],
        ),
        ("datatrove NGramsDecontFilter, slice", dt["mb"], dt["cpu"], None, dt["peak_mb"]),
    ]
    print(f"\n{'':58s} {'MB':>8s} {'MB/s/core':>10s} {'wall MB/s':>10s} {'peak MB':>8s}")
    for name, mb, cpu, wall, peak in rows:
        wall_s = f"{mb / wall:10.1f}" if wall else f"{'-':>10s}"
        print(f"{name:58s} {mb:8.0f} {mb / cpu:10.2f} {wall_s} {peak:8.0f}")
    ours = total_mb / one["cpu"]
    print(
        f"\nassay end to end: {ours / (plain['mb'] / plain['cpu']):.1f}x the plain set, "
        f"{ours / (dt['mb'] / dt['cpu']):.0f}x datatrove (per core); n-gram stage alone "
        f"{(mem['mb'] / mem['cpu']) / (plain['mb'] / plain['cpu']):.1f}x the plain set"
    )
    n = len(dt["flags"])
    same_plain = mem["flags"] == plain["flags"]
    agree_dt = sum(a == b for a, b in zip(mem["flags"][:n], dt["flags"], strict=True))
    print(
        f"flags: assay and the plain set agree on all {len(plain['flags']):,} documents of the slice: "
        f"{same_plain} ({sum(plain['flags']):,} flagged); assay and datatrove agree on {agree_dt:,} of "
        f"{n:,} ({sum(dt['flags']):,} flagged by datatrove, {sum(mem['flags'][:n]):,} by assay)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
