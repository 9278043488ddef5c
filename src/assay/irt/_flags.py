"""The IRT audit's flags as tests, and the false-flag rates and recall measured for each.

Discrimination flags need the item's Wald interval below the bound; misfit needs a bootstrap
z-score significant after Benjamini-Hochberg across items. The rates are measured by
``python benchmarks/flags.py`` and carried on every :class:`~assay.irt.ItemAudit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from assay.irt._results import IRTFit

if TYPE_CHECKING:
    from assay.irt._diagnostics import ItemFit

__all__ = ["FLAG_ERROR_RATES"]

_BANK = ("benchmarks/flags.py: 29 models x 12,000 items, 2PL, abilities N(0, 1), discriminations "
         "0.43 to 2.5, difficulties N(0, 1.5); planted: 2% items with a = 0, 1% with a = -1, 2% "
         "failed by the strongest tenth of the models")  # fmt: skip

#: Measured on ``python benchmarks/flags.py`` (the simulation named in each entry), copied here.
FLAG_ERROR_RATES: dict[str, dict[str, Any]] = {
    "negative discrimination": {"false_flag_rate": 0.00008, "recall": 0.272, "simulation": _BANK},
    "near-zero discrimination": {"false_flag_rate": 0.00100, "recall": 0.056, "simulation": _BANK},
    "misfit": {"false_flag_rate": 0.00083, "recall": 0.0, "simulation": _BANK},
    "solved by no model": {"false_flag_rate": 0.0, "recall": 1.0, "simulation": "a fact, not an inference"},
    "solved by every model": {"false_flag_rate": 0.0, "recall": 1.0, "simulation": "a fact, not an inference"},
}  # fmt: skip


def _tests(fit: IRTFit, ifit: ItemFit, mean: np.ndarray, min_a: float) -> dict[str, np.ndarray]:
    """Per item: twice the one-sided p of a >= 0 and of a >= min_a, BH-adjusted p of misfit and S-X2."""
    a, se = np.asarray(fit.discrimination, float), np.asarray(fit.discrimination_se, float)
    testable = (mean > 0) & (mean < 1) & np.isfinite(a) & np.isfinite(se) & (se > 0)
    nan = np.full(a.size, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_neg = np.where(testable, stats.norm.cdf(a / se), nan)
        p_low = np.where(testable, stats.norm.cdf((a - min_a) / se), nan)
        z = np.fmax(ifit.infit_z, ifit.outfit_z)
        p_ms = np.where(
            (mean > 0) & (mean < 1) & np.isfinite(z), np.minimum(2 * stats.norm.sf(z), 1.0), nan
        )
    # discrimination: p < alpha iff the two-sided 1 - alpha Wald interval lies below the bound
    return {
        "negative": np.minimum(2 * p_neg, 1.0),
        "low": np.minimum(2 * p_low, 1.0),
        "misfit": _bh(p_ms),
        "sx2": _bh(ifit.sx2_pvalue),
    }


def _bh(p: np.ndarray) -> np.ndarray:
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def _flags(fit, ifit, tests, mean, i, min_a, max_ms, alpha) -> tuple[list[str], list[str]]:
    flags, reasons = [], []
    a, se = fit.discrimination[i], fit.discrimination_se[i]
    se_txt = f" (SE {se:.2f})" if np.isfinite(se) else ""
    if mean[i] >= 1.0:
        flags.append("solved by every model")
        reasons.append(
            f"all {int(ifit.n[i])} models that answered got it right; it cannot tell them apart."
        )
    elif mean[i] <= 0.0:
        flags.append("solved by no model")
        reasons.append(
            f"none of the {int(ifit.n[i])} models that answered got it right: too hard, or a wrong key."
        )
    elif tests["negative"][i] < alpha:
        flags.append("negative discrimination")
        reasons.append(
            f"discrimination {a:.2f}{se_txt} < 0 (its {1 - alpha:.0%} interval is below 0): stronger "
            "models are more often wrong, the mark of a wrong answer key or an ambiguous question."
        )
    elif tests["low"][i] < alpha:
        flags.append("near-zero discrimination")
        reasons.append(
            f"discrimination {a:.2f}{se_txt} below {min_a:g} (its {1 - alpha:.0%} interval is below it): "
            "the item barely depends on ability (noise, or a flawed question)."
        )
    mis = []
    if ifit.infit[i] > max_ms:
        mis.append(f"infit {ifit.infit[i]:.2f} (z {ifit.infit_z[i]:.1f})")
    if ifit.outfit[i] > max_ms:
        mis.append(f"outfit {ifit.outfit[i]:.2f} (z {ifit.outfit_z[i]:.1f})")
    if mis and not flags and tests["misfit"][i] < alpha:
        flags.append("misfit")
        reasons.append(
            f"{' and '.join(mis)} above {max_ms:g}, BH-adjusted p = {tests['misfit'][i]:.2g}: responses are "
            "noisier than the model allows."
        )
    if np.isfinite(tests["sx2"][i]) and tests["sx2"][i] < alpha:
        if "misfit" not in flags:
            flags.append("misfit")
        reasons.append(
            f"S-X2 = {ifit.sx2[i]:.1f} on {int(ifit.sx2_df[i])} df, BH-adjusted p = {tests['sx2'][i]:.3g} < {alpha:g}."
        )
    return flags, reasons
