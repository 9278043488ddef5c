"""The n-gram scan of one JSONL file, before and after a change, in one process (issue 22).

On a shared machine the CPU time of a scan moves with the other jobs' load by 30% from one run
to the next; two versions measured in separate runs cannot be told apart by a few per cent. This
script runs both in one process, alternating, on the same file: the older commit's ``src/assay``
is exported with ``git archive`` and imported as ``assay_before`` (its imports rewritten), the
working tree's as ``assay``. Each round scans the whole file once with each version
(``scan_corpus``, 1 worker, no near duplicates, kernels loaded before the clock); the best CPU
time (``time.process_time``) of each is reported, the results are checked identical, and the load
average is printed.

The corpus is the one of ``benchmarks/contamination.py`` (English-looking text, 10,000 test items).

Run: python benchmarks/contamination_before_after.py [--before COMMIT] [--gb 0.3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# run as a script, this folder is on sys.path, where a script named like a package numba
# imports shadows it (interval_coverage.py was coverage.py until it did)
_HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

_IMPORT = re.compile(r"\b(from|import) assay\b")


def export(commit: str, folder: str) -> str:
    """``src/assay`` of ``commit`` as the package ``assay_before`` under ``folder``."""
    root = subprocess.run(
        ["git", "-C", _HERE, "rev-parse", "--show-toplevel"], capture_output=True, text=True
    ).stdout.strip()
    tar = subprocess.run(
        ["git", "-C", root, "archive", commit, "src/assay"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=tar, check=True)
    pkg = os.path.join(folder, "assay_before")
    shutil.move(os.path.join(folder, "src", "assay"), pkg)
    for d, _, names in os.walk(pkg):
        for name in names:
            if name.endswith(".py"):
                p = os.path.join(d, name)
                with open(p, encoding="utf-8") as fh:
                    text = fh.read()
                text = _IMPORT.sub(r"\1 assay_before", text).replace('"assay.', '"assay_before.')
                with open(p, "w", encoding="utf-8") as fh:
                    fh.write(text)
    return folder


def load(name: str, items: list[str], warm_path: str):
    contamination = importlib.import_module(name + ".contamination")
    pipelines = importlib.import_module(name + ".pipelines")
    idx = contamination.build_index(items, preset="gpt3")
    _ = idx.probe, idx.kernel_filter
    opts = pipelines.ScanOptions(near_duplicates=False)
    # every compiled kernel loaded (from numba's cache) before the clock
    pipelines.scan_corpus(warm_path, idx, workers=1, progress=False, options=opts)
    return pipelines, idx, opts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="64599c4", help="the older commit (default 64599c4)")
    ap.add_argument("--gb", type=float, default=0.3, help="document text to generate")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bench", os.path.join(_HERE, "contamination.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = tempfile.mkdtemp(prefix="assay-before-after-", dir="/tmp")
    try:
        sys.path.insert(0, export(args.before, folder))
        items, path, size, _ = bench.generate(folder, args.gb)
        warm = os.path.join(folder, "warm.jsonl")
        with open(warm, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"text": "warm up the kernels " * 20}) + "\n")
        versions = {
            f"before ({args.before})": load("assay_before", items, warm),
            "after (working tree)": load("assay", items, warm),
        }
        mb = size / 1e6
        print(f"{mb:,.0f} MB of document text in one JSONL file; load average {os.getloadavg()}")
        best = dict.fromkeys(versions, float("inf"))
        digests = {}
        for r in range(args.rounds):
            for name, (pipelines, idx, opts) in versions.items():
                c0 = time.process_time()
                run = pipelines.scan_corpus(path, idx, workers=1, progress=False, options=opts)
                cpu = time.process_time() - c0
                best[name] = min(best[name], cpu)
                digests[name] = hashlib.sha256(
                    json.dumps(run.partial.to_dict(), sort_keys=True).encode()
                ).hexdigest()
                print(f"  round {r + 1} {name:28s} {mb / cpu:6.1f} MB/s per core", flush=True)
        for name, cpu in best.items():
            print(f"{name:28s} {mb / cpu:6.1f} MB/s per core ({cpu / mb * 1e3:.2f} ms/MB)")
        b, a = best.values()
        print(
            f"after / before: {b / a:.2f}x; results identical: {len(set(digests.values())) == 1}; "
            f"load average {os.getloadavg()}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
