"""Coverage study: how often each interval of assay.stats holds the true value, by simulation.

Run from the project root (about 2-4 minutes on 2 cores):

    python benchmarks/interval_coverage.py                  # print the table
    python benchmarks/interval_coverage.py --write-readme   # also put it in benchmarks/README.md

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
    leaderboard,
    mean_ci,
    pairwise,
    power_from_data,
    proportion_ci,
    rank_intervals,
    repeated_samples,
)
from assay.stats._clustered import _se_cr1
from assay.stats._means import bounded_interval
from assay.stats._power_exact import mcnemar_exact_power

LEVEL = 0.95
NS = (25, 50, 200, 1000)
README = Path(__file__).with_name("README.md")
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"
LEVELS_START, LEVELS_END = "<!-- coverage-levels:start -->", "<!-- coverage-levels:end -->"


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


# ------------------------------------------------------------------------------- levels study
# Issue 24: unequal clusters (CR1 against CR2 with Imbens-Kolesar df, and the clustered versions
# of compare and leaderboard, called as they are), and power planned from pilot data.


def issue_cluster_sizes() -> np.ndarray:
    """91 clusters, 12,032 items, lognormal sizes 4 to 1,569 (median about 50): the shape of
    MMLU-Pro's `src` field measured in issue 24."""
    z = sps.norm.ppf((np.arange(91) + 0.5) / 91)
    s = np.clip(47 * np.exp(1.38 * z), 4, None)
    s[-1] = 1569
    mid = (s > 4) & (s < 1569)
    s[mid] *= (12032 - s[~mid].sum()) / s[mid].sum()
    s = np.round(s).astype(int)
    s[45] += 12032 - s.sum()
    return s


def cluster_designs() -> list[tuple[str, np.ndarray, float, float]]:
    """(name, cluster sizes, SD of the logit cluster effect, SD of B's per-cluster gain)."""
    unequal = issue_cluster_sizes()
    return [
        ("91 unequal, SD 0.3", unequal, 0.3, 0.0),
        ("91 unequal, SD 0.8", unequal, 0.8, 0.0),
        ("91 unequal, SD 0.8, gain SD 1", unequal, 0.8, 1.0),
        ("30 equal x 40, SD 0.8", np.full(30, 40), 0.8, 0.0),
        ("10 equal x 40, SD 0.8", np.full(10, 40), 0.8, 0.0),
    ]


CLUSTER_METHODS = [
    ("mean: CR2, Imbens-Kolesar df (default)", 1000),
    ("mean: CR1, t with G - 1 df", 1000),
    ("mean: Miller, normal", 1000),
    ("mean: cluster bootstrap percentile", 500),
    ("compare(clusters=): difference, CR2 (default)", 1000),
    ("compare: difference, CR1 with G - 1 df (before)", 1000),
    ("compare(clusters=): difference, bootstrap", 500),
    ("pairwise(clusters=): 3 differences, CR2", 500),
    ("leaderboard(clusters=): each model's interval", 300),
]


def clustered_levels(scale: float) -> list[tuple[str, int, list[float]]]:
    """Coverage (%) of each clustered interval per design; rows (method, R, cells).

    Model A: logit p = u_c + e_i; B: + 0.3 + v_c; C: + 2 (0.3 + v_c), with u_c ~ N(0, SD^2),
    e_i ~ N(0, 1) and v_c ~ N(0, gain SD^2): the differences are clustered too when gain SD > 0.
    """
    designs = cluster_designs()
    beta = 0.3
    cells = {m: [] for m, _ in CLUSTER_METHODS}
    for d_i, (_, sizes, sd, sd_gain) in enumerate(designs):
        codes = np.repeat(np.arange(sizes.size), sizes)
        g = sizes.size
        truths = [gh_expectation(j * beta, math.sqrt(1.0 + sd**2 + (j * sd_gain) ** 2))
                  for j in range(3)]  # fmt: skip
        for m_i, (method, reps) in enumerate(CLUSTER_METHODS):
            reps = max(50, int(reps * scale))
            rng = np.random.default_rng(1000 * d_i)  # the same data sets for every method
            hits = 0
            for _ in range(reps):
                eta = rng.normal(0, sd, g)[codes] + rng.normal(0, 1, codes.size)
                gain = beta + rng.normal(0, sd_gain, g)[codes] if sd_gain else beta
                x = [(rng.random(codes.size) < expit(eta + j * gain)).astype(float)
                     for j in range(3)]  # fmt: skip
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    hits += _clustered_hit(m_i, x, codes, truths, rng)
            per = 3 if m_i in (7, 8) else 1
            cells[method].append(100.0 * hits / (reps * per))
            print(f"{designs[d_i][0]:30s} {method:48s} R={reps:5d} {cells[method][-1]:6.1f}",
                  flush=True)  # fmt: skip
    return [(m, max(50, int(r * scale)), cells[m]) for m, r in CLUSTER_METHODS]


def _clustered_hit(m_i, x, codes, truths, rng) -> int:
    a, b = x[0], x[1]
    if m_i < 3:
        method = ("cr2", "cr1", "miller")[m_i]
        return int(covers(*_ci(clustered_mean_ci(a, codes, method=method)), truths[0]))
    if m_i == 3:
        res = bootstrap_mean(a, clusters=codes, n_resamples=1000, rng=rng)
        return int(covers(*_ci(res), truths[0]))
    if m_i in (4, 6):
        res = compare(a, b, clusters=codes, n_resamples=1000 if m_i == 6 else 2, rng=rng)
        ci = (res.ci_low, res.ci_high) if m_i == 4 else _ci(res.bootstrap)
        return int(covers(*ci, truths[1] - truths[0]))
    if m_i == 5:  # the interval compare gave before issue 24: CR1, score form, G - 1 df
        d, g = b - a, int(codes.max()) + 1
        lo, hi = bounded_interval(d.mean(), _se_cr1(d, codes), g, lower=-1.0, upper=1.0,
                                  df=g - 1)  # fmt: skip
        return int(covers(float(lo), float(hi), truths[1] - truths[0]))
    if m_i == 7:
        res = pairwise(np.vstack(x), clusters=codes, adjust="none")
        diffs = [truths[1] - truths[0], truths[2] - truths[0], truths[2] - truths[1]]
        return sum(int(covers(lo, hi, t)) for lo, hi, t in zip(res.ci_low, res.ci_high, diffs,
                                                                strict=True))  # fmt: skip
    res = leaderboard(np.vstack(x), models=["A", "B", "C"], clusters=codes, n_resamples=500,
                      rng=rng)  # fmt: skip
    by_model = {e.model: e for e in res.entries}
    return sum(
        int(covers(by_model[m].ci_low, by_model[m].ci_high, t))
        for m, t in zip("ABC", truths, strict=True)
    )


def power_levels(scale: float) -> list[tuple[str, int, list[float]]]:
    """Realised power of the exact McNemar test (the test compare reports) when n or the MDE is
    planned from a pilot of 300 items; truth p(A only) = 0.06, p(B only) = 0.10."""
    pa, pb = 0.06, 0.10
    psi, delta = pa + pb, pb - pa
    reps = max(20, int(300 * scale))
    rows = []
    for method in ("auto", "normal"):
        rng = np.random.default_rng(7)
        got_n, got_mde = [], []
        for _ in range(reps):
            cells = rng.choice(3, size=300, p=[pa, pb, 1 - psi])
            both = rng.integers(0, 2, 300).astype(float)
            a = np.where(cells == 0, 1.0, np.where(cells == 1, 0.0, both))
            b = np.where(cells == 0, 0.0, np.where(cells == 1, 1.0, both))
            plan = power_from_data(a, b, delta=delta, method=method)
            got_n.append(mcnemar_exact_power(delta, plan.n, psi, alpha=0.05, tails=2))
            mde = power_from_data(a, b, n=1000, method=method).delta
            if math.isfinite(mde) and mde < psi:
                got_mde.append(mcnemar_exact_power(mde, 1000, psi, alpha=0.05, tails=2))
        name = "exact McNemar (default)" if method == "auto" else "normal (Connor)"
        rows.append((f"n planned for delta = 0.04, {name}", reps, [100 * np.mean(got_n),
                     100 * np.median(got_n)]))  # fmt: skip
        rows.append((f"MDE at n = 1,000, {name}", reps, [100 * np.mean(got_mde),
                     100 * np.median(got_mde)]))  # fmt: skip
        for r in rows[-2:]:
            print(f"power: {r[0]:52s} R={r[1]:4d} mean {r[2][0]:.1f} median {r[2][1]:.1f}",
                  flush=True)  # fmt: skip
    # with the true discordant rate (no pilot error): the power each plan was meant to have
    for method in ("mcnemar-exact", "normal"):
        from assay.stats import sample_size

        n = sample_size(delta, discordant=psi, method=method).n
        rows.append((f"n from the true rate, {method}", 1,
                     [100 * mcnemar_exact_power(delta, n, psi, alpha=0.05, tails=2)] * 2))  # fmt: skip
    return rows


# Issue 24, point 3: how often a reported P(best) (a bootstrap share) is right.

PBEST_START, PBEST_END = "<!-- coverage-pbest:start -->", "<!-- coverage-pbest:end -->"
PBEST_BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001)


def pbest_calibration(scale: float) -> tuple[list[tuple[str, int, list[str]]], list[str]]:
    """Reliability of ``rank_intervals(...).p_best`` for 8 models on the same items.

    logit p_ij = a_j - b_i with a shared item difficulty b_i ~ N(0, 1) (the models are
    correlated through it); "close": a_j = 0, 0.05, ..., 0.35 (fixed); "spread": a_j ~ N(0, 0.3)
    drawn per replicate. The truth is E[expit(a_j - b)] (Gauss-Hermite); a model is "right" when
    it has the highest true mean. Each cell: mean reported P(best) / share right (count).
    """
    rows = []
    for setting in ("close", "spread"):
        for n in (50, 200, 1000):
            reps = max(50, int(400 * scale))
            rng = np.random.default_rng(24 + n)
            rep_p, right, top_p, top_right = [], [], [], []
            for _ in range(reps):
                a = np.linspace(0, 0.35, 8) if setting == "close" else rng.normal(0, 0.3, 8)
                truth = np.array([gh_expectation(v, 1.0) for v in a])
                b = rng.normal(0, 1, n)
                x = (rng.random((8, n)) < expit(a[:, None] - b[None, :])).astype(float)
                res = rank_intervals(x, n_resamples=1000, rng=rng)
                best = truth == truth.max()
                rep_p.extend(res.p_best)
                right.extend(best)
                k = int(np.argmax(res.p_best))
                top_p.append(res.p_best[k])
                top_right.append(best[k])
            rep_p, right = np.array(rep_p), np.array(right, dtype=float)
            cells = []
            for lo, hi in zip(PBEST_BINS, PBEST_BINS[1:]):
                sel = (rep_p >= lo) & (rep_p < hi)
                cells.append(f"{rep_p[sel].mean():.2f} / {right[sel].mean():.2f} ({sel.sum()})"
                             if sel.any() else "-")  # fmt: skip
            cells.append(f"{np.mean(top_p):.2f} / {np.mean(top_right):.2f}")
            rows.append((f"{setting}, n = {n}", reps, cells))
            print(f"P(best) {setting:6s} n={n:5d} R={reps}: " + " | ".join(cells), flush=True)
    heads = [f"[{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}"
             for lo, hi in zip(PBEST_BINS, PBEST_BINS[1:])]  # fmt: skip
    return rows, heads + ["model with the largest P(best)"]


def pbest_markdown(rows, heads, seconds: float) -> str:
    lines = ["| setting | R | " + " | ".join(heads) + " |", "|---|---:|" + "---:|" * len(heads)]
    for name, reps, cells in rows:
        lines.append(f"| {name} | {reps} | " + " | ".join(cells) + " |")
    lines += ["", "Each cell: mean reported P(best) / share of those models that are truly best "
              f"(count of model-replicates). Run time {seconds:.0f} s."]  # fmt: skip
    return "\n".join(lines)


def levels_markdown(clustered, power, seconds: float) -> str:
    names = [d[0] for d in cluster_designs()]
    lines = ["| interval | R | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for method, reps, cells in clustered:
        lines.append(f"| {method} | {reps:,} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    lines += ["", "Coverage in percent of nominal 95% intervals (pairwise: over its 3 pairs; leaderboard: over its 3 models).",
              "", "| plan from a 300-item pilot | pilots | mean realised power | median |",
              "|---|---:|---:|---:|"]  # fmt: skip
    for name, reps, (mean, med) in power:
        lines.append(f"| {name} | {reps} | {mean:.1f} | {med:.1f} |")
    lines += ["", f"Realised power (percent) of the exact McNemar test at the planned n or MDE, "
              f"target 80. Run time {seconds:.0f} s."]  # fmt: skip
    return "\n".join(lines)


def write_block(text: str, start: str, end: str, heading: str) -> None:
    block = f"{start}\n{text}\n{end}"
    doc = README.read_text() if README.exists() else "# Benchmarks\n"
    if start in doc:
        doc = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + f"\n\n{heading}\n\n" + block + "\n"
    README.write_text(doc)


def write_readme(table: str) -> None:
    block = f"{START}\n{table}\n{END}"
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if START in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## interval_coverage.py\n\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-readme", action="store_true", help="write the table into benchmarks/README.md"
    )
    parser.add_argument(
        "--section",
        choices=("main", "levels", "pbest", "all"),
        default="main",
        help="main: the table by n; levels: unequal clusters and power from pilot data; "
        "pbest: how often a reported P(best) is right",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the replicates (e.g. 0.1 for a quick look)",
    )
    args = parser.parse_args()
    if args.section in ("pbest", "all"):
        start = time.perf_counter()
        rows, heads = pbest_calibration(args.scale)
        table = pbest_markdown(rows, heads, time.perf_counter() - start)
        print()
        print(table)
        if args.write_readme:
            write_block(table, PBEST_START, PBEST_END, "## interval_coverage.py --section pbest")
        if args.section == "pbest":
            return
    if args.section in ("levels", "all"):
        start = time.perf_counter()
        clustered = clustered_levels(args.scale)
        power = power_levels(args.scale)
        table = levels_markdown(clustered, power, time.perf_counter() - start)
        print()
        print(table)
        if args.write_readme:
            write_block(table, LEVELS_START, LEVELS_END, "## interval_coverage.py --section levels")
        if args.section == "levels":
            return
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
