"""Ingest and read speed (issue 2).

Prints, on this machine:
1. seconds to ingest the packaged MMLU-Pro data (29 models x 12,032 questions, 347,215 responses)
   into a fresh DuckDB store and read it back as a ScoreMatrix (target: under 5 s);
2. MB/s reading lm-evaluation-harness samples JSONL with `assay.read` (target: at least 50 MB/s),
   on a large file made by repeating a real samples file (tests/data/logs/lm_eval) with new doc ids.

Run: python benchmarks/ingest.py [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import assay
from assay import datasets
from assay.io import MissingItemsWarning

ROOT = Path(__file__).resolve().parents[1]
LM_EVAL = ROOT / "tests" / "data" / "logs" / "lm_eval" / "llama3-8b-instruct_asdiv"


def bench_store(tmp: Path) -> None:
    parquet = tmp / "mmlu_pro.parquet"
    import pyarrow.parquet as pq

    pq.write_table(datasets.mmlu_pro(), parquet)  # the packaged long table, as a plain Parquet file
    t0 = time.perf_counter()
    with assay.Store(tmp / "store.duckdb") as store:
        store.ingest([parquet])
        t1 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingItemsWarning)
            matrix = store.matrix("mmlu_pro", "acc", missing="keep")
    t2 = time.perf_counter()
    print(
        f"store: ingest {t1 - t0:.2f} s + read back as {matrix!r} {t2 - t1:.2f} s "
        f"= {t2 - t0:.2f} s (target < 5 s)"
    )


def make_large_samples(out_dir: Path, target_mb: float) -> Path:
    """Copy the results file and repeat the samples file with fresh doc ids up to ``target_mb``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = next(LM_EVAL.glob("results_*.json"))
    samples = next(LM_EVAL.glob("samples_*.jsonl"))
    shutil.copy(results, out_dir / results.name)
    lines = [
        json.loads(line)
        for line in samples.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    target = target_mb * 1e6
    written = 0
    doc_id = 0
    with open(out_dir / samples.name, "w", encoding="utf-8") as fh:
        while written < target:
            for row in lines:
                row = dict(row, doc_id=doc_id)
                doc_id += 1
                text = json.dumps(row, ensure_ascii=False) + "\n"
                fh.write(text)
                written += len(text.encode("utf-8"))
    return out_dir / samples.name


def bench_lm_eval(tmp: Path, target_mb: float) -> None:
    path = make_large_samples(tmp / "lm_eval_large", target_mb)
    size_mb = path.stat().st_size / 1e6
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        result = assay.read(path.parent)
        best = min(best, time.perf_counter() - t0)
    print(
        f"lm-eval samples: {size_mb:.0f} MB, {result.responses.num_rows:,} rows in {best:.2f} s "
        f"= {size_mb / best:.0f} MB/s (target >= 50 MB/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--mb", type=float, default=200.0, help="size of the generated samples file"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_store(tmp)
        bench_lm_eval(tmp, args.mb)


if __name__ == "__main__":
    main()
