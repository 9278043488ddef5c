"""Fuzz the readers with thousands of mutated real logs (issue 14).

Runs ``tests/io/fuzz_logs.py`` (the engine behind ``tests/io/test_fuzz.py``) on many cases, in
chunks of one child process each (an address-space limit 2.5 GiB above what the
imports took, 20 s per case), and prints the
outcomes per format and mutation family, the slowest cases and every failure. A failure is
anything but a read or an ``InputError`` naming the file: another exception, a case over the time
limit, a ``MemoryError``, or a child that died or fell silent for 120 s.

Run: python benchmarks/fuzz.py [--cases 5000] [--seed 2026] [--chunk 500]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("test_fuzz", ROOT / "tests" / "io" / "test_fuzz.py")
test_fuzz = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_fuzz)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    records, problems = [], []
    start = time.perf_counter()
    for first in range(0, args.cases, args.chunk):
        n = min(args.chunk, args.cases - first)
        chunk, problem = test_fuzz.run_fuzz(
            "--seed", str(args.seed), "--cases", str(n), "--first", str(first)
        )
        records += chunk
        if problem:
            problems.append(problem)
    wall = time.perf_counter() - start
    outcomes = Counter(r["outcome"] for r in records)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"{len(records)} cases (seed {args.seed}) in {wall:.0f} s: {dict(outcomes)}")
    print(f"peak RSS of a child: {peak:.0f} MiB (address space: imports + 2.5 GiB)")
    by_source = Counter((r["source"], r["outcome"]) for r in records)
    for source in sorted({s for s, _ in by_source}):
        row = {o: by_source[(source, o)] for o in ("read", "input_error", "FAIL")}
        print(f"  {source:24s} {row}")
    families = Counter(r["mutation"].split(": ", 1)[-1].split(":")[0].split()[-1] for r in records)
    print("mutations:", dict(sorted(families.items())))
    slow = sorted(records, key=lambda r: -r["s"])[:5]
    print(
        "slowest:", ", ".join(f"{r['s']:.2f} s ({r['source']}, {r['mutation'][:60]})" for r in slow)
    )
    for r in records:
        if r["outcome"] == "FAIL":
            print(
                f"FAIL seed {r['seed']} case {r['case']} ({r['source']}, {r['mutation']}): {r['detail']}"
            )
    for problem in problems:
        print("PROBLEM", problem)


if __name__ == "__main__":
    main()
