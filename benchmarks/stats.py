"""Benchmark of assay.stats: the paired bootstrap against scipy and lm-eval, and all pairs with Holm.

Run from the project root:

    python benchmarks/stats.py            # lm-eval timed on 2,000 resamples, scaled to 10,000
    python benchmarks/stats.py --full     # lm-eval on all 10,000 resamples (minutes)

Prints timings and results; asserts nothing (a benchmark is not a test).

1. Paired bootstrap of the difference in accuracy of two models on 100,000 binary items,
   10,000 resamples: ``assay.stats.bootstrap_mean`` of ``b - a`` (what ``compare`` runs) and the
   whole ``assay.stats.compare`` call, against ``scipy.stats.bootstrap(paired=True)`` and against
   lm-evaluation-harness's ``bootstrap_stderr``, run as lm-eval runs it (see ``lm_eval_*`` below).
2. All pairwise comparisons of 100 models x 10,000 binary items with Holm's adjustment
   (``assay.stats.pairwise``).
3. The bootstrap of a mean of 100,000 continuous scores (Beta(2, 5): judge scores, F1), 10,000
   resamples: ``assay.stats.bootstrap_mean`` against ``scipy.stats.bootstrap`` with the percentile
   interval and with BCa (scipy's default; ``--bca`` runs scipy's BCa, whose jackknife of 100,000
   leave-one-out means takes minutes), and the Monte Carlo SD of our interval ends over 10 seeds,
   so that the difference to scipy is read in units of Monte Carlo error.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import random
import time

import numpy as np
from scipy import stats as sps

from assay.stats import bootstrap_mean, compare, pairwise

N_ITEMS = 100_000
N_RESAMPLES = 10_000


# --------------------------------------------------------------------------------------------
# lm-evaluation-harness's bootstrap_stderr, reproduced faithfully.
# Source: EleutherAI/lm-evaluation-harness, lm_eval/api/metrics.py (commit 001722b):
# `bootstrap_stderr(f, xs, iters)` splits `iters` into chunks of min(1000, iters) resamples, maps
# the chunks over `multiprocessing.Pool(mp.cpu_count())` with `pool.imap`; each chunk `i` seeds
# `random.Random(i)` and appends `f(rnd.choices(xs, k=len(xs)))` per resample
# (`_bootstrap_internal`); the result is `sample_stddev` of all replicates. `f` is lm-eval's
# `mean(arr) = sum(arr) / len(arr)`. (The tqdm progress bar and print are left out.)
# lm-eval is not a dependency of assay, so the algorithm is reproduced here rather than imported.
# --------------------------------------------------------------------------------------------


def lm_eval_mean(arr):
    return sum(arr) / len(arr)


def lm_eval_sample_stddev(arr):
    mu = lm_eval_mean(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


class LmEvalBootstrapInternal:
    def __init__(self, f, n):
        self.f = f
        self.n = n

    def __call__(self, v):
        i, xs = v
        rnd = random.Random()
        rnd.seed(i)
        res = []
        for _ in range(self.n):
            res.append(self.f(rnd.choices(xs, k=len(xs))))
        return res


def lm_eval_bootstrap_stderr(f, xs, iters):
    res = []
    chunk_size = min(1000, iters)
    with mp.Pool(mp.cpu_count()) as pool:
        for bootstrap in pool.imap(
            LmEvalBootstrapInternal(f, chunk_size), [(i, xs) for i in range(iters // chunk_size)]
        ):
            res.extend(bootstrap)
    return lm_eval_sample_stddev(res)


# --------------------------------------------------------------------------------------------


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def paired_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.random(N_ITEMS) < 0.62).astype(np.float64)
    b = np.where(rng.random(N_ITEMS) < 0.8, a, (rng.random(N_ITEMS) < 0.66).astype(np.float64))
    return a, b


def bench_bootstrap(full: bool) -> None:
    a, b = paired_data()
    d = b - a
    print(f"== paired bootstrap: {N_ITEMS:,} binary items, {N_RESAMPLES:,} resamples ==")
    print(
        f"   difference b - a = {d.mean():.5f}; analytic SE s_d/sqrt(n) = {d.std(ddof=1) / math.sqrt(d.size):.6f}"
    )

    t_ours, ours = timed(bootstrap_mean, d, n_resamples=N_RESAMPLES, rng=0)
    t_cmp, cmp_res = timed(compare, a, b, n_resamples=N_RESAMPLES, rng=0)

    def stat(x, y, axis):
        return np.mean(y - x, axis=axis)

    t_scipy, sp = timed(
        sps.bootstrap, (a, b), stat, paired=True, vectorized=True, n_resamples=N_RESAMPLES,
        batch=100, method="percentile", rng=0,
    )  # fmt: skip

    iters = N_RESAMPLES if full else 2_000
    xs = d.tolist()
    t_lm, lm_se = timed(lm_eval_bootstrap_stderr, lm_eval_mean, xs, iters)
    t_lm_full = t_lm * N_RESAMPLES / iters  # chunks are independent: cost is linear in iters

    rows = [
        ("assay bootstrap_mean(b - a)", t_ours, ours.se, (ours.ci_low, ours.ci_high)),
        (
            "assay compare(a, b) [all tests]",
            t_cmp,
            cmp_res.bootstrap.se,
            (cmp_res.bootstrap.ci_low, cmp_res.bootstrap.ci_high),
        ),
        (
            "scipy.stats.bootstrap(paired=True)",
            t_scipy,
            sp.standard_error,
            (sp.confidence_interval.low, sp.confidence_interval.high),
        ),
        (f"lm-eval bootstrap_stderr ({mp.cpu_count()} processes)", t_lm_full, lm_se, None),
    ]
    print(f"   {'method':45s} {'seconds':>9s} {'SE':>10s}  95% percentile CI")
    for name, t, se, ci in rows:
        ci_text = "-" if ci is None else f"{ci[0]:.5f} to {ci[1]:.5f}"
        print(f"   {name:45s} {t:9.3f} {se:10.6f}  {ci_text}")
    if not full:
        print(
            f"   (lm-eval timed on {iters:,} resamples ({t_lm:.1f} s) and scaled x{N_RESAMPLES // iters}; --full runs all)"
        )
    print(
        f"   speed-up of assay's paired bootstrap over scipy:  {t_scipy / t_ours:10.0f}x   (target >= 20x)"
    )
    print(
        f"   speed-up of assay's paired bootstrap over lm-eval: {t_lm_full / t_ours:9.0f}x   (target >= 50x)"
    )
    print(
        f"   speed-up of the whole compare() over scipy / lm-eval: {t_scipy / t_cmp:.0f}x / {t_lm_full / t_cmp:.0f}x"
    )


def bench_pairwise() -> None:
    rng = np.random.default_rng(1)
    n_models, n_items = 100, 10_000
    ability = rng.normal(0, 0.5, (n_models, 1))
    ease = rng.normal(0, 1.5, (1, n_items))
    correct = (rng.random((n_models, n_items)) < 1 / (1 + np.exp(-(ability + ease)))).astype(
        np.float64
    )
    print(f"== all pairwise comparisons: {n_models} models x {n_items:,} binary items, Holm ==")
    pairwise(correct[:3, :100])  # warm-up (imports)
    t, res = timed(pairwise, correct, adjust="holm")
    print(f"   {len(res.estimate):,} pairs (exact McNemar each) in {t:.3f} s (target < 5 s); "
          f"{int(res.reject.sum()):,} significant after Holm")  # fmt: skip


def bench_continuous(bca: bool) -> None:
    x = np.random.default_rng(2).beta(2.0, 5.0, N_ITEMS)
    se_iid = x.std(ddof=1) / math.sqrt(x.size)
    print(f"== bootstrap of a mean: {N_ITEMS:,} continuous scores, {N_RESAMPLES:,} resamples ==")
    print(f"   mean = {x.mean():.6f}; analytic SE s/sqrt(n) = {se_iid:.7f}")
    methods = ["percentile", "bca"]
    print(f"   {'method':52s} {'seconds':>8s} {'SE':>10s}  95% CI")
    for method in methods:
        bootstrap_mean(x[:5000], n_resamples=100, method=method, rng=0)  # warm-up
        t_ours, ours = timed(bootstrap_mean, x, n_resamples=N_RESAMPLES, method=method, rng=0)
        ends = np.array(
            [
                (r.ci_low, r.ci_high)
                for r in (
                    bootstrap_mean(x, n_resamples=N_RESAMPLES, method=method, rng=s)
                    for s in range(1, 11)
                )
            ]
        )
        mc_sd = ends.std(axis=0, ddof=1)
        print(f"   {'assay bootstrap_mean ' + method:52s} {t_ours:8.3f} {ours.se:10.7f}  "
              f"{ours.ci_low:.6f} to {ours.ci_high:.6f}")  # fmt: skip
        if method == "bca" and not bca:
            print("   (scipy BCa not run: pass --bca)")
            continue
        t_sp, sp = timed(
            sps.bootstrap, (x,), np.mean, n_resamples=N_RESAMPLES, method=method, batch=100, rng=0
        )
        ci = sp.confidence_interval
        print(f"   {'scipy.stats.bootstrap ' + method:52s} {t_sp:8.3f} {sp.standard_error:10.7f}  "
              f"{ci.low:.6f} to {ci.high:.6f}")  # fmt: skip
        z = (np.array([ci.low, ci.high]) - np.array([ours.ci_low, ours.ci_high])) / (
            mc_sd * math.sqrt(2.0)
        )
        print(f"   speed-up over scipy ({method}): {t_sp / t_ours:.1f}x (target >= 10x); "
              f"scipy - assay ends in Monte Carlo SDs of a difference: {z[0]:+.2f}, {z[1]:+.2f} "
              f"(MC SD of our ends over 10 seeds: {mc_sd[0]:.2e}, {mc_sd[1]:.2e})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="time lm-eval on all 10,000 resamples")
    parser.add_argument("--bca", action="store_true", help="also time scipy's BCa (minutes)")
    parser.add_argument("--only-continuous", action="store_true", help="run section 3 only")
    args = parser.parse_args()
    import scipy

    print(f"numpy {np.__version__}, scipy {scipy.__version__}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    if not args.only_continuous:
        bench_bootstrap(args.full)
        bench_pairwise()
    bench_continuous(args.bca)


if __name__ == "__main__":
    main()
