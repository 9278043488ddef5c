"""Benchmark of assay.labels.find_label_issues against cleanlab's, on 1,000,000 x 10 probabilities.

Run from the project root:

    python benchmarks/labels.py            # 1,000,000 examples, 10 classes, 5% planted noise
    python benchmarks/labels.py --n 100000 # smaller

Prints, for each ``filter_by`` setting, the best of ``--repeat`` wall times of
``cleanlab.filter.find_label_issues`` (its defaults otherwise: ``n_jobs=None`` uses every core)
and of ``assay.labels.find_label_issues`` on the same arrays in the same process, their ratio,
whether the flags are identical, and the recall and precision of the planted errors. Asserts
nothing (a benchmark is not a test).

The data: true classes uniform over 10; logits N(0, 1) with +2.5 on the true class, softmaxed;
then 5% of the labels replaced by a different class chosen uniformly (the planted noise).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)


def make_data(n: int, k: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true] += 2.5
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    given = true.copy()
    flip = rng.random(n) < noise
    given[flip] = (given[flip] + rng.integers(1, k, int(flip.sum()))) % k
    return given, prob, flip


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import cleanlab
    from cleanlab.filter import find_label_issues as cl_find

    from assay.labels import find_label_issues

    given, prob, planted = make_data(args.n, args.k, args.noise, args.seed)
    print(f"{args.n:,} x {args.k} predicted probabilities, {planted.mean():.1%} planted label noise; "
          f"cleanlab {cleanlab.__version__}, best of {args.repeat}")  # fmt: skip
    print(
        f"{'filter_by':<24}{'cleanlab s':>11}{'assay s':>9}{'ratio':>7}  identical  flagged  recall  precision"
    )
    for filter_by in FILTERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_cl, ref = best_of(
                lambda fb=filter_by: cl_find(given, prob, filter_by=fb), args.repeat
            )
        t_us, res = best_of(
            lambda fb=filter_by: find_label_issues(given, prob, filter_by=fb), args.repeat
        )
        same = bool(np.array_equal(ref, res.is_issue))
        hits = int((res.is_issue & planted).sum())
        print(
            f"{filter_by:<24}{t_cl:>11.3f}{t_us:>9.3f}{t_cl / t_us:>6.1f}x  {str(same):<9}{res.n_issues:>9,}"
            f"{hits / planted.sum():>8.3f}{hits / max(res.n_issues, 1):>11.3f}"
        )


if __name__ == "__main__":
    main()
