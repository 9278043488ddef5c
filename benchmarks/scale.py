"""The main job at model-zoo scale: `assay report` time and peak memory as models grow.

    python benchmarks/scale.py [--copies 9] [--big 1000] [--tasks] [--profile]

Builds, from the packaged MMLU-Pro results (29 models x 12,032 items), larger model zoos: the 29
models plus ``copies`` copies of each with 5% of the answers flipped (290 models at the default),
optionally ``--big`` models (copies up to that count) and a 50-model x 30-task suite; runs the
whole report (HTML + JSON) on each in a fresh process, and prints wall time, peak memory (RSS)
and the HTML size, with the ratio to the 29-model run measured in the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CHILD = r"""
import sys, time, json, resource
t0 = time.perf_counter()
from assay.report import write_report, ReportOptions
files = write_report(sys.argv[1], html=sys.argv[2], json=None,
                     options=ReportOptions(n_resamples=2000, seed=0))
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "rss_mb": rss}))
"""


def zoo(copies: int, *, flip: float = 0.05, seed: int = 0) -> pa.Table:
    """The demo's models plus ``copies`` noisy copies of each (``flip`` of answers flipped)."""
    from assay import datasets

    base = datasets.mmlu_pro().select(["model", "task", "item", "sample", "metric", "score",
                                       "subject", "cluster", "run_id"])  # fmt: skip
    rng = np.random.default_rng(seed)
    parts = [base]
    score = np.asarray(base.column("score"), dtype=float)
    for c in range(copies):
        flipped = np.where(rng.random(score.size) < flip, 1.0 - score, score)
        t = base.set_column(1 - 1, "model", pc.binary_join_element_wise(
            base.column("model"), pa.scalar(f"copy{c}"), "-"))  # fmt: skip
        t = t.set_column(t.schema.get_field_index("score"), "score", pa.array(flipped))
        t = t.set_column(t.schema.get_field_index("run_id"), "run_id", pc.binary_join_element_wise(
            base.column("run_id"), pa.scalar(f"copy{c}"), "-"))  # fmt: skip
        parts.append(t.cast(base.schema))
    return pa.concat_tables(parts)


def suite(n_models: int = 50, n_tasks: int = 30, n_items: int = 500, seed: int = 0) -> pa.Table:
    """``n_models`` x ``n_tasks`` tasks of ``n_items`` binary items from a 2PL-like model."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, n_models)
    cols = {k: [] for k in ("model", "task", "item", "metric", "score", "run_id")}
    for t in range(n_tasks):
        diff = rng.normal(0, 1, n_items)
        p = 1 / (1 + np.exp(-(ability[:, None] - diff[None, :])))
        s = (rng.random(p.shape) < p).astype(float)
        for m in range(n_models):
            cols["model"] += [f"model{m:03d}"] * n_items
            cols["task"] += [f"task{t:02d}"] * n_items
            cols["item"] += [str(i) for i in range(n_items)]
            cols["metric"] += ["acc"] * n_items
            cols["score"] += list(s[m])
            cols["run_id"] += [f"r{m}-{t}"] * n_items
    return pa.table(cols)


def run(table: pa.Table, label: str, tmp: str) -> dict:
    path = os.path.join(tmp, f"{label}.parquet")
    pq.write_table(table, path)
    html = os.path.join(tmp, f"{label}.html")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, path, html], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{label}: report failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["outer_wall"] = time.perf_counter() - t0
    res["html_mb"] = os.path.getsize(html) / 2**20
    res["models"] = len(set(table.column("model").to_pylist()))
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=9)
    ap.add_argument("--big", type=int, default=0, help="also run this many models (e.g. 1000)")
    ap.add_argument("--tasks", action="store_true", help="also run 50 models x 30 tasks")
    ap.add_argument("--profile", action="store_true", help="cProfile the large run in-process")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = run(zoo(0), "zoo29", tmp)
        rows.append(("29 models x 12,032 items", base))
        big = zoo(args.copies)
        rows.append((f"{29 * (args.copies + 1)} models x 12,032 items", run(big, "zoo", tmp)))
        if args.big:
            copies = -(-args.big // 29) - 1
            rows.append((f"{29 * (copies + 1)} models x 12,032 items", run(zoo(copies), "big", tmp)))
        if args.tasks:
            rows.append(("50 models x 30 tasks x 500 items", run(suite(), "suite", tmp)))
        if args.profile:
            import cProfile
            import pstats

            from assay.report import ReportOptions, write_report

            path = os.path.join(tmp, "zoo.parquet")
            prof = cProfile.Profile()
            prof.enable()
            write_report(path, html=os.path.join(tmp, "p.html"), options=ReportOptions())
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    print(f"\n{'run':<34} {'wall s':>8} {'x 29':>6} {'peak MB':>8} {'HTML MB':>8}")
    for label, r in rows:
        print(f"{label:<34} {r['wall']:>8.1f} {r['wall'] / base['wall']:>6.2f} "
              f"{r['rss_mb']:>8.0f} {r['html_mb']:>8.2f}")  # fmt: skip
    print(f"\n(peak RSS of this parent: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
