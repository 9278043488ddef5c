"""False-flag rates and recall of the IRT audit's flags and of the verbal-confidence validity screen.

Run from the project root:

    python benchmarks/flags.py              # IRT flags (29 x 12,000) and the validity screen
    python benchmarks/flags.py --irt-only   # only the IRT flags
    python benchmarks/flags.py --validity-only

IRT (``assay.irt.audit``): a clean 2PL bank of the demo's size (29 models x 12,000 items; abilities
N(0, 1), discriminations uniform on 0.43 to 2.5, difficulties N(0, 1.5)) gives each flag's false-flag
rate (share of items flagged); a bank with planted flaws (2% of items with a = 0, 1% with a = -1, 2%
that the strongest tenth of the models fail, whatever the item's 2PL curve says) gives its recall. The old rules (point estimate
below 0.25, a mean square above 1.5) are counted on the same fits for comparison.

Validity screen (``assay.calibration.validity_screen``): 500 answers per run, 200 runs per regime;
valid confidences (informative, Type-2 AUROC about 0.65 to 0.8, spread over 0.3 to 1) and invalid
ones (stuck near the ceiling; or spread but unrelated to correctness). Prints the share of valid runs
screened invalid (false flags) and of invalid runs screened invalid (recall). Asserts nothing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bank(n_models: int, n_items: int, rng: np.random.Generator, planted: bool):
    theta = rng.normal(0, 1, n_models)
    a = rng.uniform(0.43, 2.5, n_items)
    b = rng.normal(0, 1.5, n_items)
    kind = np.zeros(n_items, dtype=int)  # 0 clean, 1 a = 0, 2 a = -1, 3 random third
    if planted:
        u = rng.random(n_items)
        kind[u < 0.02] = 1
        kind[(u >= 0.02) & (u < 0.03)] = 2
        kind[(u >= 0.03) & (u < 0.05)] = 3  # the strongest tenth of the models fail it
        a = np.where(kind == 1, 0.0, np.where(kind == 2, -1.0, a))
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    y = (rng.random(p.shape) < p).astype(float)
    top = np.argsort(theta)[-max(n_models // 10, 1) :]
    y[np.ix_(top, np.flatnonzero(kind == 3))] = 0.0
    return y, kind


FLAGS = ("negative discrimination", "near-zero discrimination", "misfit")


def irt_flags(seed: int, n_models: int, n_items: int) -> None:
    from assay.irt import audit, fit

    rng = np.random.default_rng(seed)
    print(f"IRT audit flags: {n_models} models x {n_items:,} items, seed {seed}, alpha 0.05 (BH)")
    rates = {}
    for planted in (False, True):
        y, kind = bank(n_models, n_items, rng, planted)
        t0 = time.perf_counter()
        f = fit(y)
        au = audit(y, fit=f)
        sec = time.perf_counter() - t0
        flags = [set(r["flags"]) for r in au.rows]
        old_low = int(((f.discrimination < 0.25) & (y.mean(0) > 0) & (y.mean(0) < 1)).sum())
        old_ms = int(((au.item_fit.infit > 1.5) | (au.item_fit.outfit > 1.5)).sum())
        name = "planted" if planted else "clean"
        print(f"\n{name} bank ({sec:.0f} s fit + audit): {au.n_flagged:,} items flagged; old rules would flag "
              f"{old_low:,} near-zero (point estimate < 0.25) and {old_ms:,} misfit (mean square > 1.5)")  # fmt: skip
        for flag in FLAGS:
            has = np.array([flag in fl for fl in flags])
            if not planted:
                rates[flag] = {"false_flag_rate": float(has.mean())}
                print(
                    f"  {flag:<26} flagged {int(has.sum()):>6,} of {n_items:,} = {has.mean():.3%} (false flags)"
                )
            else:
                target = {"negative discrimination": 2, "near-zero discrimination": 1, "misfit": 3}[
                    flag
                ]
                sel = kind == target
                anyflag = np.array([bool(fl) for fl in flags])
                rec = float(has[sel].mean())
                rates[flag]["recall"] = rec
                prec = float((has & sel).sum() / max(has.sum(), 1))
                print(f"  {flag:<26} recall {rec:.3f} of {int(sel.sum())} planted (any flag {anyflag[sel].mean():.3f}); "
                      f"{int(has.sum())} flagged, {prec:.3f} of them the planted kind")  # fmt: skip
    print("\nfor assay.irt._flags.FLAG_ERROR_RATES:")
    for flag, r in rates.items():
        print(f"  {flag!r}: false_flag_rate {r['false_flag_rate']:.5f}, recall {r['recall']:.3f}")


def validity(seed: int, n: int = 500, runs: int = 200) -> dict:
    from assay.calibration import validity_screen

    rng = np.random.default_rng(seed)
    print(f"\nValidity screen: {n} answers per run, {runs} runs per regime, seed {seed}")
    regimes = {
        "valid: informative, AUROC ~0.75": ("valid", 0.477),
        "valid: weakly informative, AUROC ~0.65": ("valid", 0.27),
        "invalid: 90% at 0.95-1.0": ("ceiling", 0.0),
        "invalid: spread, unrelated to correctness": ("noise", 0.0),
    }
    out = {}
    for label, (kind, effect) in regimes.items():
        invalid = 0
        for _ in range(runs):
            acc = rng.uniform(0.4, 0.85)
            y = (rng.random(n) < acc).astype(float)
            if kind == "valid":
                z = rng.normal(0, 1, n) + effect * (y - 0.5) * 2
                conf = np.round(0.3 + 0.7 / (1 + np.exp(-z)), 2)
            elif kind == "ceiling":
                conf = np.where(
                    rng.random(n) < 0.9, rng.choice([0.95, 0.99, 1.0], n), rng.uniform(0.6, 0.95, n)
                )
            else:
                conf = np.round(rng.uniform(0.3, 1.0, n), 2)
            res = validity_screen(conf, y, n_resamples=300, rng=rng)
            invalid += res.verdict == "invalid"
        out[label] = invalid / runs
        what = "false flags" if kind == "valid" else "recall"
        print(f"  {label:<44} screened invalid {invalid / runs:.3f} ({what})")
    valid = [v for k, v in out.items() if k.startswith("valid")]
    invalid_ = [v for k, v in out.items() if k.startswith("invalid")]
    print(f"for VALIDITY_ERROR_RATES: false_flag_rate {max(valid):.3f}, recall {min(invalid_):.3f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-models", type=int, default=29)
    parser.add_argument("--n-items", type=int, default=12_000)
    parser.add_argument("--irt-only", action="store_true")
    parser.add_argument("--validity-only", action="store_true")
    args = parser.parse_args()
    if not args.validity_only:
        irt_flags(args.seed, args.n_models, args.n_items)
    if not args.irt_only:
        validity(args.seed)


if __name__ == "__main__":
    main()
