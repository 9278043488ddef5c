"""The gate's error rates, measured: single-task level, the suite, seeds, repeated looks, real data.

Run from the project root (about 3-5 minutes on 2 cores):

    PYTHONPATH=src python benchmarks/gate.py            # everything
    PYTHONPATH=src python benchmarks/gate.py --quick    # fewer replicates (about 1 minute)

Sections (every number is a rate with known truth unless it says "real data"):

1. Level of the per-task non-inferiority test for paired binary scores, computed exactly by
   enumerating every outcome (no simulation): the largest probability of passing a candidate that
   is worse by exactly the margin, over the discordance rate, for the exact unconditional test,
   Tango's asymptotic score test and the paired t.
2. The suite gate over 20 tasks of 400 items: false passes at the least favourable null (one task
   at the margin, the others fine), with all 20 at the margin, and passes when nothing changed.
   Family-wise error of the "better" claims (Holm) when nothing changed.
3. Seeds: 3 runs per model whose whole score shifts by N(0, sd) per run; equal models. Rate of
   "B is better" with runs as a random effect and with runs averaged per item (naive). Real data:
   CRUXEval, CodeLlama-7B, 10 samples per problem, split into two pseudo-models of 5 runs.
4. Repeated looks: the candidate is worse by exactly the margin; the gate looks after every 10
   items up to 2,000. False-pass rate of the anytime-valid sequence and of a fixed-n test repeated
   at every look (naive), and how early the sequence stops when the candidate is as good.
5. Real data: the 14 MMLU-Pro subjects as tasks, Llama-3.1-8B and its Instruct version.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy import special
from scipy import stats as sps

from assay.stats import (
    GateTask,
    noninferiority,
    sequential_noninferiority,
    suite_gate,
)
from assay.stats._gate_binary import _outcomes, exact_pvalue, tango_statistic

ROOT = Path(__file__).resolve().parent.parent
ALPHA = 0.05


# ------------------------------------------------------------------------------------------
# 1. Exact level of the per-task tests
# ------------------------------------------------------------------------------------------


def _size(n: int, delta: float, rejected: np.ndarray, grid: int = 101) -> float:
    ox, oy, logc = _outcomes(n)
    worst = 0.0
    for py in np.linspace(delta, (1 + delta) / 2, grid):
        px = py - delta
        logp = (
            logc
            + special.xlogy(ox, px)
            + special.xlogy(oy, py)
            + special.xlogy(n - ox - oy, max(0.0, 1 - px - py))
        )
        worst = max(worst, float(np.exp(logp)[rejected].sum()))
    return worst


def _t_rejects(n: int, delta: float) -> np.ndarray:
    ox, oy, _ = _outcomes(n)
    mean = (ox - oy) / n
    var = ((ox + oy) / n - mean**2) * n / (n - 1)
    se = np.sqrt(np.maximum(var, 0) / n)
    crit = sps.t.ppf(1 - ALPHA, n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (mean + delta) / se
    return np.where(se > 0, t > crit, mean > -delta)


def _exact_rejects(n: int, delta: float) -> np.ndarray:
    """Outcomes the exact test rejects: its p-value falls as Tango's statistic rises (nested
    tails), so the rejection region is {T >= t*}; t* is found by bisection over the sorted T."""
    ox, oy, _ = _outcomes(n)
    t = tango_statistic(ox, oy, n, -delta)
    order = np.argsort(-t, kind="stable")
    lo, hi = 0, len(order)  # the first `lo` outcomes (largest T) are rejected
    while lo < hi:
        mid = (lo + hi) // 2
        k = order[mid]
        if exact_pvalue(int(ox[k]), int(oy[k]), n, -delta) < ALPHA:
            lo = mid + 1
        else:
            hi = mid
    rejected = np.zeros(len(order), bool)
    rejected[order[:lo]] = True
    return rejected


def section_level(quick: bool) -> list[str]:
    out = ["### 1. Level of the per-task test, paired binary scores (exact enumeration)", ""]
    out.append(
        "Largest probability of passing a candidate worse by exactly the margin, over the rate of "
        "discordant items; nominal 5%."
    )
    out += [
        "",
        "| n | margin | exact unconditional | Tango score | paired t |",
        "|---|---|---|---|---|",
    ]
    for n in (20, 50) if quick else (20, 50, 100):
        for delta in (0.01, 0.05):
            ox, oy, _ = _outcomes(n)
            tango = tango_statistic(ox, oy, n, -delta) > sps.norm.ppf(1 - ALPHA)
            exact = _exact_rejects(n, delta)
            row = [
                _size(n, delta, exact),
                _size(n, delta, tango),
                _size(n, delta, _t_rejects(n, delta)),
            ]
            out.append(f"| {n} | {delta:g} | " + " | ".join(f"{100 * r:.2f}%" for r in row) + " |")
    out += [
        "",
        "Tango's score test alone (used above n = 100):",
        "",
        "| n | margin | Tango score |",
        "|---|---|---|",
    ]
    for n in (200, 400) if quick else (200, 400, 1000):
        for delta in (0.01, 0.05):
            ox, oy, _ = _outcomes(n)
            tango = tango_statistic(ox, oy, n, -delta) > sps.norm.ppf(1 - ALPHA)
            out.append(f"| {n} | {delta:g} | {100 * _size(n, delta, tango, grid=41):.2f}% |")
    return out


# ------------------------------------------------------------------------------------------
# 2. The suite gate over 20 tasks
# ------------------------------------------------------------------------------------------


def _pair(rng, n, p, diff):
    u = rng.random(n)
    return (u < p).astype(float), (u < p + diff).astype(float)


def _suite(rng, diffs, margin, claims=()):
    tasks = [
        GateTask(task=f"t{k}", baseline=a, candidate=b)
        for k, (a, b) in enumerate(_pair(rng, 400, 0.6, d) for d in diffs)
    ]
    return suite_gate(tasks, margin=100 * margin, claims=claims)


def _independent_suite(rng, k, n):
    tasks = []
    for j in range(k):
        a = (rng.random(n) < 0.5).astype(float)
        b = (rng.random(n) < 0.5).astype(float)
        tasks.append(GateTask(task=f"t{j}", baseline=a, candidate=b))
    return suite_gate(tasks, margin=5.0, claims=("any", "average"))


def section_suite(quick: bool) -> list[str]:
    rng = np.random.default_rng(20)
    reps = 200 if quick else 1000
    margin = 0.02
    one = np.mean([_suite(rng, [-margin] + [0.1] * 19, margin).passed for _ in range(reps)])
    allm = np.mean([_suite(rng, [-margin] * 20, margin).passed for _ in range(reps // 4)])
    same = np.mean([_suite(rng, [0.0] * 20, margin).passed for _ in range(reps // 4)])
    better = np.mean([_suite(rng, [0.03] * 20, margin).passed for _ in range(reps // 4)])
    fwer = np.mean(
        [
            bool(r.better_on) or r.average.shown
            for r in (_independent_suite(rng, 20, 400) for _ in range(reps // 2))
        ]
    )
    return [
        "### 2. Suite gate: 20 tasks x 400 items, margin 2 points, known truth",
        "",
        "| truth | replicates | gate passes |",
        "|---|---|---|",
        f"| one task 2 points worse (at the margin), 19 tasks 10 points better | {reps} | {100 * one:.1f}% (must be <= 5%) |",
        f"| all 20 tasks 2 points worse | {reps // 4} | {100 * allm:.1f}% |",
        f"| no change on any task | {reps // 4} | {100 * same:.1f}% |",
        f"| 3 points better on every task | {reps // 4} | {100 * better:.1f}% |",
        "",
        f"Family-wise error of the 'better' claims (any task, average; Holm) when no task changed, "
        f"{reps // 2} replicates of 20 independent tasks: {100 * fwer:.1f}% (must be <= 5%).",
    ]


# ------------------------------------------------------------------------------------------
# 3. Seeds and reruns
# ------------------------------------------------------------------------------------------


def _runs_sim(rng, n_items, runs, run_sd):
    p = rng.uniform(0.2, 0.8, n_items)
    out = []
    for _ in range(2):
        shift = rng.normal(0, run_sd, runs)
        out.append((rng.random((n_items, runs)) < np.clip(p[:, None] + shift, 0, 1)).astype(float))
    return out


def _cruxeval(name: str) -> np.ndarray:
    path = (
        ROOT / "tests" / "data" / "cruxeval" / f"sample_scored_codellama-7b_temp0.2_{name}.json.gz"
    )
    with gzip.open(path, "rt") as fh:
        data = json.load(fh)
    scored = data["raw_scored_generations"]
    keys = sorted(scored, key=lambda k: int(k.split("_")[1]))
    return np.array([[float(v) for v in scored[k]] for k in keys])


def section_runs(quick: bool) -> list[str]:
    rng = np.random.default_rng(30)
    reps = 200 if quick else 1000
    out = [
        "### 3. Seeds and reruns: equal models, 3 runs each, 2,000 items",
        "",
        "| run-to-run sd of the score | 'B is better' with runs as a random effect | naive (runs averaged per item) |",
        "|---|---|---|",
    ]
    for sd in (0.0, 0.01, 0.03):
        re_rate = naive = 0
        for _ in range(reps):
            a, b = _runs_sim(rng, 2000, 3, sd)
            re_rate += noninferiority(a, b, margin=0.0, runs=True).passed
            naive += noninferiority(a, b, margin=0.0, runs=False).passed
        out.append(
            f"| {100 * sd:g} points | {100 * re_rate / reps:.1f}% | {100 * naive / reps:.1f}% |"
        )
    out += [
        "",
        "Real data (CRUXEval, CodeLlama-7B, 800 problems x 10 samples at temperature 0.2): the 10 "
        "samples split at random into two pseudo-models of 5 runs each (the same model, so any "
        "'better' is false); 200 random splits.",
        "",
        "| task | run sd (points) | 'better' with runs as random effect | naive | mean width of the 95% bound, RE vs naive |",
        "|---|---|---|---|---|",
    ]
    for name in ("input", "output"):
        x = _cruxeval(name)
        re_rate = naive = 0
        sds, widths = [], []
        for _ in range(200):
            perm = rng.permutation(10)
            a, b = x[:, perm[:5]], x[:, perm[5:]]
            r1 = noninferiority(a, b, margin=0.0, runs=True)
            r2 = noninferiority(a, b, margin=0.0, runs=False)
            re_rate += r1.passed
            naive += r2.passed
            sds.append(r1.run_sd_a)
            widths.append((r1.estimate - r1.bound, r2.estimate - r2.bound))
        w = np.mean(widths, axis=0)
        out.append(
            f"| {name} | {100 * np.mean(sds):.2f} | {re_rate / 2:.1f}% | {naive / 2:.1f}% | "
            f"{100 * w[0]:.2f} vs {100 * w[1]:.2f} points |"
        )
    return out


# ------------------------------------------------------------------------------------------
# 4. Repeated looks
# ------------------------------------------------------------------------------------------


def _naive_looks(a, b, margin, looks):
    d = b - a
    for n in looks:
        x = d[:n]
        se = x.std(ddof=1) / math.sqrt(n)
        if se > 0 and (x.mean() + margin) / se > sps.t.ppf(1 - ALPHA, n - 1):
            return True
    return False


def section_sequential(quick: bool) -> list[str]:
    rng = np.random.default_rng(40)
    reps = 300 if quick else 2000
    margin, n_max = 0.02, 2000
    looks = np.arange(20, n_max + 1, 10)
    cs_pass = naive_pass = fixed_pass = 0
    for _ in range(reps):
        u = rng.random(n_max)
        a = (u < 0.6).astype(float)
        # B shares A's draw on 80% of items and draws afresh on the rest: P(B) = 0.6 - margin
        v = np.where(rng.random(n_max) < 0.8, u, rng.random(n_max))
        b = (v < 0.6 - margin).astype(float)
        cs_pass += sequential_noninferiority(a, b, margin=margin).passed
        naive_pass += _naive_looks(a, b, margin, looks)
        fixed_pass += _naive_looks(a, b, margin, [n_max])
    stops = []
    for _ in range(reps // 4):
        u = rng.random(n_max)
        a = (u < 0.6).astype(float)
        b = a.copy()
        flip = rng.random(n_max) < 0.1
        b[flip] = rng.random(int(flip.sum())) < 0.6
        r = sequential_noninferiority(a, b, margin=0.05)
        stops.append(r.stopped_at if r.stopped_at else np.nan)
    stops = np.array(stops, float)
    return [
        "### 4. Repeated looks: candidate worse by exactly the margin (2 points), a look every 10 items up to 2,000",
        "",
        "| procedure | false passes |",
        "|---|---|",
        f"| anytime-valid confidence sequence (`--sequential`), checked after every item | {100 * cs_pass / reps:.1f}% |",
        f"| paired t at every look, stop at the first pass (naive) | {100 * naive_pass / reps:.1f}% |",
        f"| paired t once, at n = 2,000 (no peeking) | {100 * fixed_pass / reps:.1f}% |",
        "",
        f"{reps} replicates. When the candidate is as good as the baseline (margin 5 points), the "
        f"sequence passes in {100 * np.mean(np.isfinite(stops)):.0f}% of {reps // 4} runs by 2,000 items, "
        f"stopping after a median of {np.nanmedian(stops):.0f} items (quartiles "
        f"{np.nanpercentile(stops, 25):.0f} to {np.nanpercentile(stops, 75):.0f}).",
    ]


# ------------------------------------------------------------------------------------------
# 5. MMLU-Pro subjects
# ------------------------------------------------------------------------------------------


def section_mmlu_pro() -> list[str]:
    from assay import datasets
    from assay.report._gate import gate_result

    result = datasets.mmlu_pro_result()
    out = [
        "### 5. Real data: 14 MMLU-Pro subjects as tasks, Llama-3.1-8B vs its Instruct version",
        "",
    ]
    rows = {}
    cases = [
        ("Meta-Llama-3_1-8B", "Meta-Llama-3_1-8B-Instruct", 5.0),
        ("Meta-Llama-3_1-8B-Instruct", "Meta-Llama-3_1-8B", 5.0),
        ("Meta-Llama-3_1-8B", "Meta-Llama-3_1-8B-Instruct", 0.5),
    ]
    for base, cand, margin in cases:
        t0 = time.perf_counter()
        v = gate_result(result, baseline=base, candidate=cand, margin=margin, split_by="subject")
        dt = time.perf_counter() - t0
        out.append(f"- `--baseline {base} --candidate {cand} --margin {margin:g} --split-by subject`: "
                   f"{v['message']} ({dt:.2f} s)")  # fmt: skip
        rows[(cand, margin)] = v["tasks"]
    out += [
        "",
        "| subject | n | Instruct - base | one-sided 95% lower bound | passes at 5 | passes at 0.5 |",
        "|---|---|---|---|---|---|",
    ]
    for t5, t05 in zip(
        rows[("Meta-Llama-3_1-8B-Instruct", 5.0)], rows[("Meta-Llama-3_1-8B-Instruct", 0.5)]
    ):
        out.append(
            f"| {t5['task'].split(':', 1)[1]} | {t5['n']:,} | {t5['estimate']:+.2f} | {t5['bound']:+.2f} | "
            f"{'yes' if t5['passed'] else 'no'} | {'yes' if t05['passed'] else '**no**'} |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    for section in (section_level, section_suite, section_runs, section_sequential):
        t = time.perf_counter()
        print("\n".join(section(args.quick)))
        print(f"\n({time.perf_counter() - t:.0f} s)\n", flush=True)
    print("\n".join(section_mmlu_pro()))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
