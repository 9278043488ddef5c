"""The n-gram scan's speed per core, round after round, beside a fixed reference job (issue 22).

On a shared virtual machine a core's speed drifts: the same scan of the same file moves by a third
from one minute to the next. One timing then says little about the code. This script scans one
JSONL file many times in one process (``scan_corpus``, 1 worker, no near duplicates, compiled
kernels loaded before the clock) and, right before each scan, times two reference jobs that do not
change with assay's code: SHA-256 over a fixed 32 MB buffer (single-threaded C, compute-bound), and
numpy gathering 8 million random words of a 1 MB table and summing a 64 MB array (bound by the
caches and memory, like the scan's filter and its streams). Per round it prints the scan's MB/s per
core (MB of document text over the process's CPU time) and each reference's rate; at the end the
distribution of the scan's rate (median, quartiles, the share of rounds at 200 MB/s per core or
more) and the rank correlation across rounds between the scan's rate and each reference's, and
the CPU the machine's other processes used while the scan ran (from ``/proc/stat``). A high
correlation says the spread is the machine's, not the scan's.

The corpus is the one of ``benchmarks/contamination.py`` (English-looking text, 10,000 test items,
13-grams).

Run: python benchmarks/contamination_per_core.py [--gb 0.3] [--rounds 15]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

# run as a script, this folder is on sys.path, where a script named like a package numba
# imports would shadow it (see contamination_before_after.py)
_HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

_REF_BYTES = 32 << 20


def sha_rate(buf: bytes) -> float:
    """MB/s per core of SHA-256 over ``buf`` (CPU time)."""
    c0 = time.process_time()
    hashlib.sha256(buf).digest()
    return len(buf) / 1e6 / (time.process_time() - c0)


def busy_seconds() -> float:
    """CPU seconds all processes of the machine have run so far (Linux ``/proc/stat``; NaN
    elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            user, nice, system = (int(v) for v in fh.readline().split()[1:4])
    except (OSError, ValueError):
        return float("nan")
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def memory_rate(table: np.ndarray, where: np.ndarray, stream: np.ndarray) -> float:
    """Rounds per CPU second of: gather ``table[where]`` and sum it, then sum ``stream``."""
    c0 = time.process_time()
    table[where].sum()
    stream.sum()
    return 1.0 / (time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=0.3, help="document text to generate")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bench", os.path.join(_HERE, "contamination.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    from scipy import stats

    from assay import contamination, pipelines
    from assay.contamination import _fast

    folder = tempfile.mkdtemp(prefix="assay-per-core-", dir="/tmp")
    try:
        items, path, size, _ = bench.generate(folder, args.gb)
        idx = contamination.build_index(items, preset="gpt3")
        _ = idx.probe, idx.kernel_filter
        opts = pipelines.ScanOptions(near_duplicates=False)
        warm = os.path.join(folder, "warm.jsonl")
        with open(warm, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"text": "warm up the kernels " * 20}) + "\n")
        pipelines.scan_corpus(warm, idx, workers=1, progress=False, options=opts)
        mb = size / 1e6
        gen = np.random.default_rng(0)
        ref_buf = gen.bytes(_REF_BYTES)
        table = gen.integers(0, 1 << 62, 1 << 17, dtype=np.uint64)  # 1 MB, like the filter
        where = gen.integers(0, len(table), 1 << 23)
        stream = gen.integers(0, 255, 64 << 20, dtype=np.uint8)
        print(
            f"{mb:,.0f} MB of document text in one JSONL file; compiled kernels: "
            f"{_fast.enabled()}; load average {os.getloadavg()}"
        )
        scan, ref, mem, others, digests = [], [], [], [], set()
        for r in range(args.rounds):
            ref.append(sha_rate(ref_buf))
            mem.append(memory_rate(table, where, stream))
            c0, w0, b0 = time.process_time(), time.perf_counter(), busy_seconds()
            run = pipelines.scan_corpus(path, idx, workers=1, progress=False, options=opts)
            cpu = time.process_time() - c0
            scan.append(mb / cpu)
            # the other processes' CPU while the scan ran, in cores (the machine's other core
            # busy or not)
            others.append(max(busy_seconds() - b0 - cpu, 0.0) / (time.perf_counter() - w0))
            digests.add(
                hashlib.sha256(json.dumps(run.partial.to_dict(), sort_keys=True).encode()).digest()
            )
            print(
                f"  round {r + 1:2d}: scan {scan[-1]:6.1f} MB/s per core; "
                f"SHA-256 {ref[-1]:6.1f} MB/s; gather and sum {mem[-1]:5.2f} rounds/s; "
                f"other processes {others[-1]:4.2f} cores",
                flush=True,
            )
        s = np.asarray(scan)
        q1, med, q3 = np.percentile(s, [25, 50, 75])

        def rho(other):
            return stats.spearmanr(s, other).statistic if len(s) > 2 else float("nan")

        print(
            f"scan, MB/s per core: median {med:.1f}, quartiles {q1:.1f} to {q3:.1f}, range "
            f"{s.min():.1f} to {s.max():.1f}; rounds at 200 or more: {(s >= 200).sum()} of {len(s)}"
        )
        print(
            f"SHA-256, MB/s: median {np.median(ref):.1f}, range {min(ref):.1f} to {max(ref):.1f}; "
            f"gather and sum, rounds/s: median {np.median(mem):.2f}, range {min(mem):.2f} to "
            f"{max(mem):.2f}; rank correlation with the scan's rate across rounds: SHA-256 "
            f"{rho(ref):.2f}, gather and sum {rho(mem):.2f}, the other processes' CPU "
            f"{rho(others):.2f}"
        )
        print(
            f"results identical in every round: {len(digests) == 1}; load average {os.getloadavg()}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
