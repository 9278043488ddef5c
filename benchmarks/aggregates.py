"""Reading the Pythia checkpoint results (16 series x ~27 steps x 87 tasks) as aggregate series.

Run from the project root:

    PYTHONPATH=src python benchmarks/aggregates.py [--data ../shared/data/pythia]

Times, in one process:
1. ``assay.read`` of the whole folder (432 lm-eval 2023-layout results files) into the aggregate
   table, against the floor: ``json.load`` of the same files into a flat list of dicts (what any
   reader must at least do), and prints the ratio;
2. ``assay.curves.aggregate_series`` (table -> one series per model, task, metric);
3. ``assay.curves.series_curve`` on every series (Wilson intervals with recovered n, unpaired
   step tests, end-of-run noise, outliers);
4. ``corpus_bootstrap`` of BLEU on 2,000 synthetic sentence pairs, 1,000 resamples, against
   sacrebleu's corpus_bleu called 1,000 times on resampled corpora (the way lm-eval bootstraps).
Prints timings; asserts nothing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time

import numpy as np


def _floor(paths: list[str]) -> int:
    rows = []
    for p in paths:
        with open(p) as fh:
            d = json.load(fh)
        for task, metrics in d["results"].items():
            for k, v in metrics.items():
                rows.append({"file": p, "task": task, "metric": k, "value": v})
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join("..", "shared", "data", "pythia"))
    args = ap.parse_args()
    import assay
    from assay.curves import aggregate_series, series_curve
    from assay.stats import corpus_bootstrap

    paths = sorted(glob.glob(os.path.join(args.data, "*", "zero-shot", "*.json")))
    t = time.perf_counter()
    n_floor = _floor(paths)
    floor = time.perf_counter() - t
    t = time.perf_counter()
    res = assay.read(args.data)
    read = time.perf_counter() - t
    print(
        f"files: {len(paths)}; aggregate rows: {res.aggregates.num_rows:,} (floor rows {n_floor:,})"
    )
    print(f"json.load floor: {floor:.2f} s; assay.read: {read:.2f} s; ratio {read / floor:.1f}x")
    t = time.perf_counter()
    series = aggregate_series(res.aggregates.to_pydict())
    grouped = time.perf_counter() - t
    t = time.perf_counter()
    curves = [series_curve(s) for s in series]
    curved = time.perf_counter() - t
    flagged = sum(bool(c.outlier_steps) for c in curves)
    print(f"aggregate_series: {len(series):,} series in {grouped:.2f} s")
    print(
        f"series_curve on all: {curved:.2f} s ({1000 * curved / len(series):.2f} ms each); "
        f"{flagged} series with a flagged checkpoint"
    )
    print(f"total read + series + curves: {read + grouped + curved:.2f} s")

    import sacrebleu

    rng = np.random.default_rng(0)
    words = np.array("the cat sat on a mat dog ran far , . ! ? and then".split())
    refs = [" ".join(rng.choice(words, rng.integers(5, 30))) for _ in range(2000)]
    hyps = [r if rng.random() < 0.5 else " ".join(rng.choice(words, 12)) for r in refs]
    t = time.perf_counter()
    corpus_bootstrap(refs, hyps, aggregation="bleu", n_resamples=1000, rng=0)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    n = len(refs)
    for _ in range(20):  # 20 resamples, scaled to 1,000
        idx = rng.integers(0, n, n)
        sacrebleu.corpus_bleu([hyps[i] for i in idx], [[refs[i] for i in idx]], force=True)
    peer = (time.perf_counter() - t) * 50
    print(
        f"BLEU bootstrap, 2,000 items x 1,000 resamples: assay {ours:.2f} s; "
        f"sacrebleu per resample (scaled from 20) {peer:.1f} s; ratio {peer / ours:.0f}x"
    )


if __name__ == "__main__":
    main()
