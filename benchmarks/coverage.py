"""Coverage study: how often each interval of assay.stats holds the true value, by simulation.

Run from the project root (about 2-4 minutes on 2 cores):

    python benchmarks/coverage.py                  # print the table
    python benchmarks/coverage.py --write-readme   # also put it in benchmarks/README.md

Data with known truth, several numbers of items n (25, 50, 200, 1000), nominal level 95%:

* binary: independent 0/1 items with accuracy p = 0.5 and p = 0.1;
* clustered: items in clusters of 5 (G = n/5 clusters), logit p = logit(0.6) + u, u ~ N(0, 1) per
  cluster: the truth is E[expit(logit 0.6 + u)];
* paired: A and B on the same items, item ease e ~ N(0, 1) shared, logit p_A = e,
  logit p_B = 0.2 + e; the truth is the difference of the expectations;
* repeated samples: K = 4 samples per item, logit p_i = 0.4 + e_i, e_i ~ N(0, 1.5).

Each cell is the percentage of replicates whose interval holds the truth (an undefined interval,
e.g. BCa on constant data, counts as a miss). The Monte-Carlo SE of a cell near 95% is
sqrt(0.95 * 0.05 / R): 0.49 points at R = 2,000 and 0.69 at R = 1,000. Methods marked
"(naive)" ignore the data's structure and are shown to make the point.
"""

from __future__ import annotations

import argparse
import math
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats as sps
from scipy.special import expit

from assay.stats import (
    bootstrap_mean,
    clustered_mean_ci,
    compare,
    mean_ci,
    proportion_ci,
    repeated_samples,
)

LEVEL = 0.95
NS = (25, 50, 200, 1000)
README = Path(__file__).with_name("README.md")
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def gh_expectation(mu: float, sigma: float) -> float:
    """E[expit(mu + sigma Z)] by 80-point Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    return float(np.sum(w * expit(mu + sigma * x)) / np.sum(w))


def covers(lo: float, hi: float, truth: float) -> bool:
    return bool(np.isfinite(lo) and np.isfinite(hi) and lo <= truth <= hi)


# ------------------------------------------------------------------------------- scenarios
# Each scenario: name, truth, a generator of one data set at n, and methods (name, reps, fn);
# fn(data, rng) -> (lo, hi).


def binary_scenario(p: float):
    def gen(n, rng):
        return (rng.random(n) < p).astype(float)

    def prop(method):
        return lambda x, rng: _ci(
            proportion_ci(int(x.sum()), x.size, method=method, confidence_level=LEVEL)
        )

    methods = [
        ("Wald", 2000, prop("wald")),
        ("Wilson", 2000, prop("wilson")),
        ("Jeffreys", 2000, prop("jeffreys")),
        ("Clopper-Pearson", 2000, prop("clopper-pearson")),
        ("Agresti-Coull", 2000, prop("agresti-coull")),
        ("t", 2000, lambda x, rng: _ci(mean_ci(x, method="t", confidence_level=LEVEL))),
        (
            "bootstrap percentile",
            1000,
            lambda x, rng: _ci(bootstrap_mean(x, n_resamples=2000, rng=rng)),
        ),
        (
            "bootstrap BCa",
            1000,
            lambda x, rng: _ci(bootstrap_mean(x, n_resamples=2000, method="bca", rng=rng)),
        ),
    ]
    return f"binary, p = {p:g}", p, gen, methods


def clustered_scenario():
    mu, sigma, size = math.log(0.6 / 0.4), 1.0, 5
    truth = gh_expectation(mu, sigma)

    def gen(n, rng):
        g = n // size
        u = rng.normal(0, sigma, g)
        codes = np.repeat(np.arange(g), size)
        x = (rng.random(n) < expit(mu + u[codes])).astype(float)
        return x, codes

    methods = [
        ("CR1 (t, G - 1 df)", 2000, lambda d, rng: _ci(clustered_mean_ci(d[0], d[1], method="cr1"))),
        ("Miller (normal)", 2000, lambda d, rng: _ci(clustered_mean_ci(d[0], d[1], method="miller"))),
        ("cluster bootstrap percentile", 1000, lambda d, rng: _ci(bootstrap_mean(d[0], clusters=d[1], n_resamples=2000, rng=rng))),
        ("Wilson (naive: ignores clusters)", 2000, lambda d, rng: _ci(proportion_ci(int(d[0].sum()), d[0].size))),
    ]  # fmt: skip
    return "clustered (clusters of 5, G = n/5)", truth, gen, methods


def paired_scenario():
    beta = 0.2
    truth = gh_expectation(beta, 1.0) - gh_expectation(0.0, 1.0)

    def gen(n, rng):
        e = rng.normal(0, 1, n)
        a = (rng.random(n) < expit(e)).astype(float)
        b = (rng.random(n) < expit(beta + e)).astype(float)
        return a, b

    def paired(d, rng):
        res = compare(d[0], d[1], n_resamples=1000, rng=rng)
        return (res.ci_low, res.ci_high), (res.bootstrap.ci_low, res.bootstrap.ci_high)

    def unpaired(d, rng):
        a, b = d
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        z = sps.norm.ppf(0.5 + LEVEL / 2)
        return b.mean() - a.mean() - z * se, b.mean() - a.mean() + z * se

    methods = [
        ("paired t (compare)", 2000, lambda d, rng: paired(d, rng)[0]),
        ("paired bootstrap percentile (compare)", 2000, lambda d, rng: paired(d, rng)[1]),
        ("unpaired z (naive: ignores pairing)", 2000, unpaired),
    ]
    return "paired difference B - A", truth, gen, methods


def repeated_scenario():
    mu, sigma, k = 0.4, 1.5, 4
    truth = gh_expectation(mu, sigma)

    def gen(n, rng):
        p = expit(mu + rng.normal(0, sigma, n))
        return (rng.random((n, k)) < p[:, None]).astype(float)

    methods = [
        ("item-level SE (repeated_samples)", 2000, lambda x, rng: _ci(repeated_samples(x, confidence_level=LEVEL))),
        ("t on item means", 2000, lambda x, rng: _ci(mean_ci(x.mean(axis=1)))),
        ("Wilson on n*K samples (naive)", 2000, lambda x, rng: _ci(proportion_ci(int(x.sum()), x.size))),
    ]  # fmt: skip
    return "repeated samples (K = 4 per item)", truth, gen, methods


def _ci(res) -> tuple[float, float]:
    return float(res.ci_low), float(res.ci_high)


# ------------------------------------------------------------------------------- study


def run_method(gen: Callable, fn: Callable, truth: float, n: int, reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        lo, hi = fn(gen(n, rng), rng)
        hits += covers(lo, hi, truth)
    return 100.0 * hits / reps


def study(scale: float) -> list[tuple[str, str, int, list[float]]]:
    rows = []
    scenarios = [
        binary_scenario(0.5),
        binary_scenario(0.1),
        clustered_scenario(),
        paired_scenario(),
        repeated_scenario(),
    ]
    seed = 0
    for name, truth, gen, methods in scenarios:
        for method, reps, fn in methods:
            reps = max(50, int(reps * scale))
            cells = []
            for n in NS:
                seed += 1
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # degenerate samples at small n are expected
                    cells.append(run_method(gen, fn, truth, n, reps, seed))
            rows.append((name, method, reps, cells))
            print(
                f"{name:38s} {method:40s} R={reps:5d} " + " ".join(f"{c:6.1f}" for c in cells),
                flush=True,
            )
    return rows


def markdown(rows, seconds: float) -> str:
    head = "| data | interval | R | " + " | ".join(f"n = {n}" for n in NS) + " |"
    sep = "|---|---|---:|" + "---:|" * len(NS)
    lines = [head, sep]
    for name, method, reps, cells in rows:
        lines.append(
            f"| {name} | {method} | {reps:,} | " + " | ".join(f"{c:.1f}" for c in cells) + " |"
        )
    lines.append("")
    lines.append(
        f"Coverage in percent of nominal 95% intervals; R replicates per cell (Monte-Carlo SE about "
        f"0.5 points at R = 2,000, 0.7 at R = 1,000). Run time {seconds:.0f} s."
    )
    return "\n".join(lines)


def write_readme(table: str) -> None:
    block = f"{START}\n{table}\n{END}"
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if START in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## coverage.py\n\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-readme", action="store_true", help="write the table into benchmarks/README.md"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the replicates (e.g. 0.1 for a quick look)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    rows = study(args.scale)
    table = markdown(rows, time.perf_counter() - start)
    print()
    print(table)
    if args.write_readme:
        write_readme(table)
        print(f"\nwritten to {README}")


if __name__ == "__main__":
    main()
