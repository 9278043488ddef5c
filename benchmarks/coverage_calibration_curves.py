"""Coverage, level and false-flag studies of calibration, curves and pass@k, by simulation.

Run from the project root (each part a few minutes on 2 cores; run once, not in a loop):

    PYTHONPATH=src python benchmarks/coverage_calibration_curves.py --part ece
    PYTHONPATH=src python benchmarks/coverage_calibration_curves.py --part compare
    PYTHONPATH=src python benchmarks/coverage_calibration_curves.py --part outliers
    PYTHONPATH=src python benchmarks/coverage_calibration_curves.py --part passk
    PYTHONPATH=src python benchmarks/coverage_calibration_curves.py --part fits

Known truths (issue 24, points 7-9):

* ece: confidences f ~ Beta(5, 2), P(correct | f) = g(f) with g(f) = f^1.6 (true ECE
  E|f - g(f)| = 0.1162 by numerical integration), f^1.2 (0.0422) and f - 0.1 (0.1000);
* compare: two models on the same confidences, outcomes drawn independently; null: both
  f^1.6 (or both calibrated), alternative: B calibrated (ECE difference -0.116);
* outliers: clean curves (item sampling noise only) of four shapes, the power law
  0.85 - 0.6 k^-0.6 at steps 1000 k; detection: one checkpoint of the power law dropped by 0.15;
* passk: per-item rates ~ Beta(0.3, 3), 10 samples per item, pass@k = 1 - B(0.3, 3+k)/B(0.3, 3);
* fits: accuracy curves 0.97 - 0.6 k^-0.5 plus N(0, 0.015) noise, 10 checkpoints, pow3 fits.

Each coverage cell is the share of replicates whose interval holds the truth; the Monte-Carlo SE
of a cell near 95% is sqrt(0.95 * 0.05 / R) (1.5 points at R = 200).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import integrate
from scipy import stats as sps
from scipy.special import betaln

from assay.calibration import calibration_metrics, compare_calibration
from assay.curves import fit_curve, outlier_checkpoints
from assay.sampling import pass_at_k, pass_at_k_curve

CAL = {
    "f^1.6": lambda f: f**1.6,
    "f^1.2": lambda f: f**1.2,
    "f-0.1": lambda f: np.clip(f - 0.1, 0, 1),
}


def _true_ece(g) -> float:
    return integrate.quad(lambda f: abs(f - g(f)) * sps.beta(5, 2).pdf(f), 0, 1)[0]


def part_ece(reps: int) -> None:
    """``reps`` replicates at n = 100, half as many at n = 500 (the double bootstrap is slow)."""
    print("| truth g(f) | n (replicates) | true ECE | mean ECE | mean ece_debiased | ECE percentile | "
          "ECE basic | ece_debiased +- z sd (before) | ece_debiased (default) | mean width before / now |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, g in CAL.items():
        truth = _true_ece(g)
        for n, r_n in ((100, reps), (500, reps // 2)):
            rng = np.random.default_rng(n)
            raw, fixed, cov = [], [], {"percentile": 0, "basic": 0, "debiased": 0, "sym": 0}
            widths = {"sym": [], "debiased": []}
            z = sps.norm.ppf(0.975)
            for r in range(r_n):
                f = rng.beta(5, 2, n)
                y = (rng.random(n) < g(f)).astype(float)
                res = calibration_metrics(f, y, metrics=["ece"], n_resamples=500, rng=r)
                e = res["ece"]
                q_lo, q_hi = np.percentile(e.distribution, [2.5, 97.5])  # as interval="basic"
                cov["percentile"] += e.ci_low <= truth <= e.ci_high
                cov["basic"] += 2 * e.estimate - q_hi <= truth <= 2 * e.estimate - q_lo
                d = res["ece_debiased"]
                cov["debiased"] += d.ci_low <= truth <= d.ci_high
                lo, hi = max(0.0, d.estimate - z * d.se), d.estimate + z * d.se
                cov["sym"] += lo <= truth <= hi
                widths["sym"].append(hi - lo)
                widths["debiased"].append(d.ci_high - d.ci_low)
                raw.append(e.estimate)
                fixed.append(d.estimate)
            c = {k: f"{100 * v / r_n:.1f}%" for k, v in cov.items()}
            print(f"| {name} | {n} ({r_n}) | {truth:.4f} | {np.mean(raw):.4f} | {np.mean(fixed):.4f} | "
                  f"{c['percentile']} | {c['basic']} | {c['sym']} | {c['debiased']} | "
                  f"{np.mean(widths['sym']):.3f} / {np.mean(widths['debiased']):.3f} |", flush=True)  # fmt: skip


def part_compare(reps: int) -> None:
    print("| n | case | permutation | bootstrap |")
    print("|---|---|---|---|")
    for n in (100, 500):
        rng = np.random.default_rng(n + 1)
        for case in ("null: both f^1.6", "null: both calibrated", "B calibrated, A f^1.6"):
            rej = {"permutation": 0, "bootstrap": 0}
            for r in range(reps):
                f = rng.beta(5, 2, n)
                ga = (lambda x: x) if case == "null: both calibrated" else CAL["f^1.6"]
                gb = CAL["f^1.6"] if case == "null: both f^1.6" else (lambda x: x)
                ya = (rng.random(n) < ga(f)).astype(float)
                yb = (rng.random(n) < gb(f)).astype(float)
                for test in rej:
                    res = compare_calibration(f, ya, f, yb, test=test, n_resamples=500, rng=r)
                    rej[test] += res.pvalue < 0.05
            print(f"| {n} | {case} | {100 * rej['permutation'] / reps:.1f}% | "
                  f"{100 * rej['bootstrap'] / reps:.1f}% |", flush=True)  # fmt: skip


def _shapes(t: int) -> dict[str, np.ndarray]:
    k = np.arange(1, t + 1)
    return {
        "power law 0.85 - 0.6 k^-0.6": 0.85 - 0.6 * k**-0.6,
        "linear 0.3 -> 0.6": np.linspace(0.3, 0.6, t),
        "flat 0.5": np.full(t, 0.5),
        "exponential 0.3 + 0.4 (1 - e^(-3k/T))": 0.3 + 0.4 * (1 - np.exp(-3 * k / t)),
    }


def part_outliers(reps: int) -> None:
    sizes = [(500, 10), (1000, 30), (2000, 20)]
    rows: dict[str, list[str]] = {}
    for n, t in sizes:
        rng = np.random.default_rng(n + t)
        steps = np.arange(1, t + 1) * 1000.0
        for name, p in _shapes(t).items():
            flagged = 0
            for _ in range(reps):
                y = (rng.random((t, n)) < p[:, None]).astype(float)
                flagged += outlier_checkpoints(y, steps).flagged.any()
            rows.setdefault(f"clean {name}: curves with a flag", []).append(
                f"{100 * flagged / reps:.1f}%"
            )
        found = 0
        for _ in range(reps):
            p = _shapes(t)["power law 0.85 - 0.6 k^-0.6"].copy()
            b = int(rng.integers(0, t))
            p[b] -= 0.15
            y = (rng.random((t, n)) < p[:, None]).astype(float)
            found += outlier_checkpoints(y, steps).flagged_steps == (steps[b],)
        rows.setdefault("power law, one checkpoint - 0.15: found alone", []).append(
            f"{100 * found / reps:.1f}%"
        )
    print("| curve | " + " | ".join(f"{n} items x {t}" for n, t in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")


def part_passk(reps: int) -> None:
    ks = np.arange(1, 11)
    truth = 1 - np.exp(betaln(0.3, 3 + ks) - betaln(0.3, 3))
    print("| items | pass@1 t | pass@1 bootstrap | pass@1 bootstrap-t | curve pass@1 | band |")
    print("|---|---|---|---|---|---|")
    for n_items in (50, 200):
        rng = np.random.default_rng(n_items)
        cov = {"t": 0, "bootstrap": 0, "bootstrap-t": 0}
        point = band = 0
        for r in range(reps):
            p = rng.beta(0.3, 3, n_items)
            correct = (rng.random((n_items, 10)) < p[:, None]).astype(float)
            for m in cov:
                res = pass_at_k(correct, 1, method=m, n_resamples=1000, rng=r)
                cov[m] += res.ci_low <= truth[0] <= res.ci_high
            cv = pass_at_k_curve(correct, list(ks), n_resamples=1000, rng=r)
            point += cv.ci_low[0] <= truth[0] <= cv.ci_high[0]
            band += np.all((cv.band_low <= truth) & (truth <= cv.band_high))
        c = {k: f"{100 * v / reps:.1f}%" for k, v in cov.items()}
        print(f"| {n_items} | {c['t']} | {c['bootstrap']} | {c['bootstrap-t']} | "
              f"{100 * point / reps:.1f}% | {100 * band / reps:.1f}% |", flush=True)  # fmt: skip


def part_fits(reps: int) -> None:
    print("| score_range | fits with a bound above 1 | asymptote interval covers 0.97 |")
    print("|---|---|---|")
    for score_range in ("auto", None):
        above = covered = 0
        for seed in range(reps):
            rng = np.random.default_rng(seed)
            steps = np.arange(1, 11) * 1000.0
            y = np.clip(0.97 - 0.6 * (steps / 1000) ** -0.5 + rng.normal(0, 0.015, 10), 0, 1)
            fit = fit_curve(steps, y, n_resamples=100, score_range=score_range, rng=seed)
            fc = fit.forecast(20_000)
            above += max(fit.asymptote_ci_high, fc.ci_high, fc.pi_high) > 1
            covered += fit.asymptote_ci_low <= 0.97 <= fit.asymptote_ci_high
        print(f"| {score_range} | {above} of {reps} | {100 * covered / reps:.1f}% |", flush=True)


PARTS = {"ece": part_ece, "compare": part_compare, "outliers": part_outliers,
         "passk": part_passk, "fits": part_fits}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=sorted(PARTS), required=True)
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    t0 = time.perf_counter()
    PARTS[args.part](args.reps)
    print(f"\n({args.part}, {args.reps} replicates, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
