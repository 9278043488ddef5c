"""Calibration: speed against netcal, temperature scaling on CIFAR-10, coverage of the intervals.

Run from the project root:

    python benchmarks/calibration.py                 # all four parts (a few minutes on 2 cores)
    python benchmarks/calibration.py --part ece      # one part: ece, temperature, cifar, coverage

1. ECE on 10 million binary-confidence predictions (15 equal-width bins): ``assay.calibration.ece``
   against ``netcal.metrics.ECE(bins=15).measure`` on the same (confidence, correct) arrays.
2. Temperature scaling on 1 million x 100 logits: ``assay.calibration.fit_calibrator`` on the
   logits, netcal's ``TemperatureScaling`` on the softmax probabilities (netcal takes
   probabilities and works on their logarithms, the same log-softmax up to a constant per row, so
   the optimal temperature is the same). netcal's ``temperature`` is the weight 1/T.
   Memory: the logits are 0.8 GB in float64; netcal makes about three copies. Run it once.
3. Temperature scaling fitted on a random half of each CIFAR-10 file shipped with netcal
   (tests/data/calibration), ECE (15 bins) on the other half before and after, ours and netcal's.
4. Coverage of the 95% bootstrap intervals of ECE, smooth ECE, debiased L2 CE and AURC on
   simulated data with known truth: f ~ U(0.5, 1); right with probability f (calibrated) or
   f - 0.1 (miscalibrated, 10 points overconfident everywhere). Truths: binned ECE, smooth ECE and
   L2 error 0 and 0.1; AURC 1/8 and 0.1 + 1/8 (the error rate of the top share c is c/4, plus
   0.1, and AURC is its integral over c).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from assay.calibration import calibration_metrics, ece, fit_calibrator

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "calibration"


def _best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def part_ece() -> None:
    from netcal.metrics import ECE

    rng = np.random.default_rng(0)
    n = 10_000_000
    f = rng.random(n)
    y = (rng.random(n) < f**1.2).astype(np.float64)
    t_ours, e_ours = _best(lambda: ece(f, y, n_bins=15), 5)
    t_net, e_net = _best(lambda: ECE(bins=15).measure(f, y), 2)
    print(
        "1. ECE, 10,000,000 binary-confidence predictions, 15 equal-width bins (best of 5 / 2 runs)"
    )
    print(f"   assay  {t_ours:8.3f} s   ECE {e_ours:.10f}")
    print(f"   netcal {t_net:8.3f} s   ECE {e_net:.10f}")
    print(f"   ratio {t_net / t_ours:.1f}x; |difference| {abs(e_ours - e_net):.1e}")


def part_temperature() -> None:
    from netcal.scaling import TemperatureScaling

    rng = np.random.default_rng(1)
    n, k = 1_000_000, 100
    z = rng.normal(size=(n, k)) * 2.0
    z[np.arange(n), rng.integers(0, k, n)] += 5.0
    y = np.empty(n, dtype=np.int64)
    probs = np.empty_like(z)
    for s in range(0, n, 100_000):  # labels drawn from softmax(z / 1.7): the true T is 1.7
        p = np.exp(z[s : s + 100_000] / 1.7)
        p /= p.sum(axis=1, keepdims=True)
        y[s : s + 100_000] = (p.cumsum(axis=1) > rng.random((p.shape[0], 1))).argmax(axis=1)
        q = np.exp(z[s : s + 100_000] - z[s : s + 100_000].max(axis=1, keepdims=True))
        probs[s : s + 100_000] = q / q.sum(axis=1, keepdims=True)
    t_ours, cal = _best(lambda: fit_calibrator(z, y, method="temperature"), 2)
    t_ours_p, cal_p = _best(
        lambda: fit_calibrator(probs, y, method="temperature", input="probs"), 1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = TemperatureScaling()
        t = time.perf_counter()
        ts.fit(probs, y)
        t_net = time.perf_counter() - t
    t_net_T = 1.0 / float(ts.weights[0])
    print("2. Temperature scaling, 1,000,000 x 100 (float64), true T = 1.7")
    print(f"   assay on logits        {t_ours:8.2f} s   T = {cal.params['temperature']:.8f}")
    print(f"   assay on probabilities {t_ours_p:8.2f} s   T = {cal_p.params['temperature']:.8f}")
    print(f"   netcal on probabilities {t_net:7.2f} s   T = {t_net_T:.8f}")
    print(
        f"   ratio {t_net / t_ours:.1f}x; |T difference| {abs(cal.params['temperature'] - t_net_T):.1e}"
    )


def part_cifar() -> None:
    from netcal.metrics import ECE
    from netcal.scaling import TemperatureScaling

    print(
        "3. Temperature scaling fitted on a random half of each CIFAR-10 file, ECE (15 bins) on the other"
    )
    for name in ("lenet-5-cifar-10", "wideresnet-16-4-cifar-10"):
        d = np.load(DATA / f"{name}.npz")
        probs, labels = d["predictions"].astype(np.float64), d["ground_truth"]
        idx = np.random.default_rng(0).permutation(labels.size)
        fit, test = idx[:5000], idx[5000:]
        cal = fit_calibrator(probs[fit], labels[fit], input="probs")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = TemperatureScaling()
            ts.fit(probs[fit], labels[fit])
            net_after = ECE(bins=15).measure(ts.transform(probs[test]), labels[test])
        before = ece(probs[test].max(axis=1), probs[test].argmax(axis=1) == labels[test])
        after_p = cal.predict(probs[test])
        after = ece(after_p.max(axis=1), after_p.argmax(axis=1) == labels[test])
        print(f"   {name:26s} T = {cal.params['temperature']:.4f} (netcal {1 / float(ts.weights[0]):.4f}); "
              f"ECE {before:.4f} -> {after:.4f} (netcal's map: {net_after:.4f})")  # fmt: skip


def part_coverage(reps: int = 200, n_resamples: int = 500) -> None:
    metrics = ("ece", "smooth_ece", "debiased_l2_ce", "aurc")
    truths = {"calibrated": {"ece": 0.0, "smooth_ece": 0.0, "debiased_l2_ce": 0.0, "aurc": 0.125},
              "10 points overconfident": {"ece": 0.1, "smooth_ece": 0.1, "debiased_l2_ce": 0.1, "aurc": 0.225}}  # fmt: skip
    print(
        f"4. Coverage of 95% bootstrap intervals ({reps} data sets each, {n_resamples} resamples)"
    )
    print(
        "   data                     n     interval    " + "  ".join(f"{m:>15s}" for m in metrics)
    )
    rng = np.random.default_rng(2024)
    for label, shift in (("calibrated", 0.0), ("10 points overconfident", 0.1)):
        for n in (1000, 4000):
            hits = {(iv, m): 0 for iv in ("percentile", "basic") for m in metrics}
            for _ in range(reps):
                f = rng.uniform(0.5, 1.0, n)
                y = (rng.random(n) < f - shift).astype(np.float64)
                r = calibration_metrics(f, y, metrics=metrics, n_resamples=n_resamples, rng=rng)
                # the basic interval reflects the same resamples about the estimate
                for m in metrics:
                    est, lo, hi = r[m].estimate, r[m].ci_low, r[m].ci_high
                    hits["percentile", m] += lo <= truths[label][m] <= hi
                    hits["basic", m] += 2 * est - hi <= truths[label][m] <= 2 * est - lo
            for iv in ("percentile", "basic"):
                cells = "  ".join(f"{hits[iv, m] / reps:15.3f}" for m in metrics)
                print(f"   {label:24s} {n:5d} {iv:11s} {cells}")


PARTS = {
    "ece": part_ece,
    "temperature": part_temperature,
    "cifar": part_cifar,
    "coverage": part_coverage,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=[*PARTS, "all"], default="all")
    args = ap.parse_args()
    for name, fn in PARTS.items():
        if args.part in (name, "all"):
            fn()
            print()


if __name__ == "__main__":
    main()
