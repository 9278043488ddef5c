"""How the n-gram scan of one large file scales with workers (issue 22, points 1 and 4).

One JSONL file of generated English-looking text (the generator of ``benchmarks/contamination.py``)
is scanned against 10,000 test items by ``scan_corpus`` with 1 and then 2 local worker processes,
and with a Dask cluster of 2 worker processes started from the command line (``dask scheduler``,
``dask worker``) when Dask is installed. Each run is a fresh spawned process (the kernels are
loaded before the clock). Printed per run: wall time, the CPU time of all its processes, the load
average, and whether the result equals the 1-worker one.

Worker scaling can only show on idle cores: run it on a quiet machine and read the load average
printed beside each row (a load of 1 on 2 cores leaves one core to the scan).

    python benchmarks/contamination_scaling.py --gb 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:  # a script here named like a package
    sys.path.pop(0)  # numba imports would shadow it (benchmarks/coverage.py did, now renamed)
# contamination.py by its path, not by putting this folder on sys.path (spawned processes run
# this file again before they unpickle contamination.run_assay_corpus, so they find it too)
_spec = importlib.util.spec_from_file_location(
    "contamination", os.path.join(_HERE, "contamination.py")
)
_contamination = importlib.util.module_from_spec(_spec)
sys.modules["contamination"] = _contamination
_spec.loader.exec_module(_contamination)
generate, in_process, run_assay_corpus = (
    _contamination.generate,
    _contamination.in_process,
    _contamination.run_assay_corpus,
)


def _dask_cluster(workers: int) -> tuple[str, list[subprocess.Popen]] | None:
    """A real ``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes."""
    dask = shutil.which("dask")
    if dask is None:
        print("  dask is not installed: the cluster row is skipped", flush=True)
        return None
    folder = tempfile.mkdtemp(prefix="assay-dask-")
    info = os.path.join(folder, "scheduler.json")
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--scheduler-file", info, "--port", "0", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    deadline = time.monotonic() + 60
    while not os.path.exists(info) and time.monotonic() < deadline:
        time.sleep(0.2)
    procs += [
        subprocess.Popen(
            [dask, "worker", "--scheduler-file", info, "--nthreads", "1", "--nworkers", "1"]
            + ["--no-dashboard", "--memory-limit", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    with open(info) as fh:
        address = json.load(fh)["address"]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0, help="size of the generated file")
    ap.add_argument("--workers", default="1,2", help="local worker counts to run")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask cluster row")
    ap.add_argument("--keep", help="reuse or keep the corpus in this folder")
    args = ap.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="assay-scaling-")
    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    meta = os.path.join(folder, f"corpus-{args.gb:g}gb.json")
    if os.path.exists(meta):  # a corpus kept by an earlier run (--keep)
        with open(meta) as fh:
            items, path, size, planted = json.load(fh)
    else:
        items, path, size, planted = generate(folder, args.gb)
        with open(meta, "w") as fh:
            json.dump([items, path, size, planted], fh)
    print(f"corpus: {size / 1e6:,.0f} MB of text in one file ({time.perf_counter() - t0:.0f} s)")
    mb = size / 1e6
    rows = []
    for w in (int(x) for x in args.workers.split(",")):
        r = in_process(run_assay_corpus, items, path, w, True)
        if r is not None:
            rows.append((f"{w} local worker{'s' if w > 1 else ''}", w, r))
            print(f"  {rows[-1][0]}: {r['wall']:.1f} s wall, load {r['load'][0]:.1f}", flush=True)
    if not args.no_dask:
        cluster = _dask_cluster(2)
        if cluster is not None:
            address, procs = cluster
            try:  # twice: the first run pays the workers' imports and kernel loading
                for label in ("first run", "second run"):
                    r = in_process(run_assay_corpus, items, path, 2, True, scheduler=address)
                    if r is not None:
                        rows.append((f"Dask, 2 `dask worker`s, {label}", 2, r))
            finally:
                for p in procs[::-1]:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
    base = rows[0][2]
    print(f"\n{mb:,.0f} MB, one JSONL file, {len(items):,} items (13-grams)")
    print(f"{'run':<40}{'ranges':>7}{'wall s':>8}{'MB/s':>8}{'speed-up':>9}{'CPU s':>8}{'load':>6}")
    for name, _, r in rows:
        cpu = "-" if name.startswith("Dask") else f"{r['cpu']:.1f}"  # its workers are not ours
        name += "" if r["compiled"] else " (numpy path!)"
        print(
            f"{name:<40}{r['ranges']:>7}{r['wall']:>8.1f}{mb / r['wall']:>8.1f}"
            f"{base['wall'] / r['wall']:>8.2f}x{cpu:>8}{r['load'][0]:>6.1f}"
        )
    same = all(r["digest"] == base["digest"] for _, _, r in rows)
    print(f"results identical to the 1-worker scan: {same}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
