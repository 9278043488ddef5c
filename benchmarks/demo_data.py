"""Load time and memory of the packaged demo data (``assay.datasets``).

Run from the project root:

    PYTHONPATH=src python benchmarks/demo_data.py          # --repeat 3

For each loader: the best of ``--repeat`` wall-clock times and the Arrow memory of what it
returns. The peer for MMLU-Pro's text is the naive layout the issue rejected: the question text
joined onto every one of the 347,215 rows (measured here, then dropped).
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa
import pyarrow.compute as pc

from assay import datasets


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _nbytes(obj) -> int:
    if isinstance(obj, pa.Table):
        return obj.nbytes
    if hasattr(obj, "result"):
        obj = obj.result
    if hasattr(obj, "responses"):
        return obj.responses.nbytes + obj.runs.nbytes
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name, fn in [
        ("mmlu_pro(text=False)", lambda: datasets.mmlu_pro(text=False)),
        ("mmlu_pro()", datasets.mmlu_pro),
        ("mmlu_pro_questions()", datasets.mmlu_pro_questions),
        ("cruxeval()", datasets.cruxeval),
        ("calibration_result()", datasets.calibration_result),
        ("humaneval()", datasets.humaneval),
        ("demo_result()", datasets.demo_result),
        ("demo_inputs()", datasets.demo_inputs),
    ]:
        t, out = _best(fn, args.repeat)
        rows.append((name, t, _nbytes(out)))
    table = datasets.mmlu_pro(text=False)
    text = datasets.mmlu_pro().column("input")
    q = datasets.mmlu_pro_questions()
    text_of = dict(
        zip(
            q.column("item").to_pylist(),
            [
                datasets.question_text(a, b)
                for a, b in zip(q.column("question").to_pylist(), q.column("options").to_pylist())
            ],
        )
    )
    every = pa.array([text_of[i] for i in table.column("item").to_pylist()], pa.string())
    print(f"{'loader':24s} {'best s':>8s} {'Arrow MB':>9s}")
    for name, t, nb in rows:
        print(f"{name:24s} {t:8.2f} {nb / 1e6:9.1f}")
    print(
        f"input column: one copy per item {text.nbytes / 1e6:.1f} MB "
        f"({len(text) - text.null_count} non-null); on every row {every.nbytes / 1e6:.1f} MB"
    )
    print(f"mean text length: {pc.mean(pc.utf8_length(text.drop_null())).as_py():.0f} characters")


if __name__ == "__main__":
    main()
