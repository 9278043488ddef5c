"""Coverage at small n of every interval the report and the commands print for [0, 1] scores.

    python benchmarks/coverage_small_n.py [--reps 4000] [--seed 0]

For n = 2, 5, 10, 25 items and several true distributions (0/1, graded 0/0.5/1, continuous Beta)
it draws ``reps`` samples with known mean and prints, per interval method, the share of 95%
intervals that cover the truth and the share that leave the score's range:

- ``wilson``: 0/1 scores (leaderboard, per-model intervals);
- ``score``: :func:`assay.stats.bounded_interval` with the t quantile (other scores in [0, 1];
  the report's method), and the same on paired differences in [-1, 1] (comparisons);
- ``t``: the plain t interval the report used before (for comparison), and its share of
  intervals outside the range.

It also prints the rejection rate at a true difference of 0 of the paired tests the report uses
(McNemar exact for 0/1, paired t for graded scores).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from assay.stats import bounded_interval

LEVEL = 0.95


def _one_sample(draw, truth: float, n: int, reps: int, rng, lower=0.0, upper=1.0):
    x = draw(rng, (reps, n))
    mean = x.mean(axis=1)
    se = x.std(axis=1, ddof=1) / np.sqrt(n)
    out = {}
    lo, hi = bounded_interval(mean, se, n, lower=lower, upper=upper, df=n - 1)
    out["score"] = (np.mean((lo <= truth) & (truth <= hi)), 0.0)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * se
    tlo, thi = mean - half, mean + half
    outside = np.mean((tlo < lower - 1e-12) | (thi > upper + 1e-12))
    out["t"] = (np.mean((tlo <= truth) & (truth <= thi)), outside)
    return out


def _wilson(p: float, n: int, reps: int, rng):
    k = rng.binomial(n, p, reps)
    mean = k / n
    lo, hi = bounded_interval(mean, np.sqrt(mean * (1 - mean) / n), n)
    return float(np.mean((lo <= p) & (p <= hi)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    ns = (2, 5, 10, 25)
    print(f"coverage of {LEVEL:.0%} intervals, {args.reps} samples each\n")
    print("0/1 scores, Wilson (leaderboard):")
    for p in (0.1, 0.5, 0.9):
        cells = "  ".join(f"n={n}: {_wilson(p, n, args.reps, rng):.3f}" for n in ns)
        print(f"  p = {p:<4}  {cells}")
    graded_p = np.array([0.3, 0.3, 0.4])  # P(0), P(0.5), P(1)
    cases = {
        "graded 0/0.5/1 (mean 0.55)": (
            lambda r, s: r.choice([0.0, 0.5, 1.0], size=s, p=graded_p),
            float(graded_p @ [0.0, 0.5, 1.0]),
        ),
        "Beta(2, 5) (mean 0.286)": (lambda r, s: r.beta(2, 5, size=s), 2 / 7),
        "Beta(0.5, 0.5) (mean 0.5)": (lambda r, s: r.beta(0.5, 0.5, size=s), 0.5),
        "graded, skewed (mean 0.9)": (
            lambda r, s: r.choice([0.0, 0.5, 1.0], size=s, p=[0.05, 0.1, 0.85]),
            0.9,
        ),
    }
    print(
        "\nscores in [0, 1]: score interval (report) vs plain t (before); t: share outside [0, 1]"
    )
    for name, (draw, truth) in cases.items():
        print(f"  {name}")
        for n in ns:
            res = _one_sample(draw, truth, n, args.reps, rng)
            print(
                f"    n = {n:>2}: score {res['score'][0]:.3f}   t {res['t'][0]:.3f} "
                f"(outside {res['t'][1]:.3f})"
            )
    print("\npaired differences in [-1, 1] (comparisons), truth 0.05 and 0:")
    for name, pa, pb in (("0/1, p 0.60 vs 0.65", 0.60, 0.65), ("0/1, equal p 0.7", 0.7, 0.7)):
        print(f"  {name}")
        for n in ns:
            shared = rng.random((args.reps, n))
            a = (shared < pa).astype(float)
            b = (shared < pb).astype(float)
            flip = rng.random((args.reps, n)) < 0.2  # some independent noise
            b = np.where(flip, (rng.random((args.reps, n)) < pb).astype(float), b)
            # the exact truth under this mixture
            truth = pb - pa + 0.2 * 0 if pa != pb else 0.0
            d = b - a
            mean = d.mean(axis=1)
            se = d.std(axis=1, ddof=1) / np.sqrt(n)
            lo, hi = bounded_interval(mean, se, n, lower=-1, upper=1, df=n - 1)
            cov = np.mean((lo <= truth) & (truth <= hi))
            half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * se
            out = np.mean((mean - half < -1) | (mean + half > 1))
            disc_b = np.sum((b == 1) & (a == 0), axis=1)
            disc = np.sum(a != b, axis=1)
            with np.errstate(invalid="ignore"):
                p = np.where(
                    disc > 0,
                    np.minimum(
                        1, 2 * stats.binom.cdf(np.minimum(disc_b, disc - disc_b), disc, 0.5)
                    ),
                    1.0,
                )
            reject = np.mean(p < 0.05)
            print(
                f"    n = {n:>2}: score coverage {cov:.3f}; plain t outside [-1, 1] {out:.3f}; "
                f"McNemar exact rejects {reject:.3f}"
            )
    print("\npaired t on graded differences at a true difference of 0 (level 0.05):")
    for n in ns:
        a = rng.choice([0.0, 0.5, 1.0], size=(args.reps, n), p=graded_p)
        b = rng.choice([0.0, 0.5, 1.0], size=(args.reps, n), p=graded_p)
        d = b - a
        se = d.std(axis=1, ddof=1) / np.sqrt(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = d.mean(axis=1) / se
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(t), n - 1), 1.0)
        print(f"    n = {n:>2}: rejects {np.mean(p < 0.05):.3f}")


if __name__ == "__main__":
    main()
