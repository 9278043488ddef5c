"""pass@k for 100,000 problems x 200 samples, k in {1, 10, 100}: assay against human-eval's loop.

Run from the project root: ``python benchmarks/sampling.py``. Prints the time of
:func:`assay.sampling.pass_at_k_estimator` (vectorised over problems) and of openai/human-eval's
``estimate_pass_at_k`` (a per-problem loop), their ratio, the largest difference between the two,
and CRUXEval's stored pass@1 and pass@5 next to ours.
"""

from __future__ import annotations

import gzip
import itertools
import json
import time
from pathlib import Path

import numpy as np

from assay.sampling import pass_at_k, pass_at_k_estimator

N_PROBLEMS, N_SAMPLES, KS = 100_000, 200, (1, 10, 100)


def estimate_pass_at_k(num_samples, num_correct, k):
    """Reference: ``estimate_pass_at_k`` of openai/human-eval, human_eval/evaluation.py (MIT),
    reproduced faithfully: a Python loop over problems, one ``np.prod`` each."""

    def estimator(n: int, c: int, k: int) -> float:
        """Calculates 1 - comb(n - c, k) / comb(n, k)."""
        if n - c < k:
            return 1.0
        return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))

    if isinstance(num_samples, int):
        num_samples_it = itertools.repeat(num_samples, len(num_correct))
    else:
        assert len(num_samples) == len(num_correct)
        num_samples_it = iter(num_samples)
    return np.array([estimator(int(n), int(c), k) for n, c in zip(num_samples_it, num_correct)])


def _best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(0.3, 0.7, N_PROBLEMS)
    correct = rng.random((N_PROBLEMS, N_SAMPLES), dtype=np.float32) < p[:, None].astype(np.float32)
    num_correct = correct.sum(axis=1)
    print(f"pass@k, {N_PROBLEMS:,} problems x {N_SAMPLES} samples, k in {KS}")

    # Both start from the number of correct samples per problem (human-eval's input).
    t_ours, res_ours = _best_of(
        lambda: [pass_at_k_estimator(N_SAMPLES, num_correct, k) for k in KS], 5
    )
    t_ref, res_ref = _best_of(
        lambda: [estimate_pass_at_k(N_SAMPLES, num_correct, k) for k in KS], 1
    )
    t_count, _ = _best_of(lambda: correct.sum(axis=1), 3)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(res_ours, res_ref, strict=True))
    print(f"  assay (vectorised):          {t_ours:8.4f} s")
    print(f"  human-eval per-problem loop: {t_ref:8.4f} s")
    print(f"  speed-up: {t_ref / t_ours:,.0f}x; largest |difference|: {diff:.1e}")
    print(f"  (counting correct samples in the 0/1 matrix, for both: {t_count:.4f} s)")
    for k, a in zip(KS, res_ours, strict=True):
        print(f"  pass@{k:<3d} = {a.mean():.6f}")

    data = Path(__file__).resolve().parents[1] / "tests" / "data" / "cruxeval"
    for mode in ("input", "output"):
        with gzip.open(data / f"sample_scored_codellama-7b_temp0.2_{mode}.json.gz", "rt") as fh:
            raw = json.load(fh)
        scored = raw["raw_scored_generations"]
        x = np.array([scored[f"sample_{i}"] for i in range(len(scored))], dtype=float)
        ours1, ours5 = (100 * pass_at_k(x, k).estimate for k in (1, 5))
        print(
            f"  CRUXEval {mode}: pass@1 {ours1:.5f} (stored {raw['pass_at_1']:.5f}), "
            f"pass@5 {ours5:.5f} (stored {raw['pass_at_5']:.5f})"
        )


if __name__ == "__main__":
    main()
