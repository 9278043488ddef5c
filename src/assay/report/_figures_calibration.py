"""Calibration figures: reliability diagrams with bin counts, and risk-coverage curves.

Same conventions as :mod:`assay.report._figures`: deterministic SVG, math text off (model names
come from logs), embedded by the renderer as ``<img>`` data URIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assay.report._figures import _BLUE, _GREY, _RC, _RED, _short, _svg, plt
from assay.stats._proportion import proportion_ci

__all__ = ["reliability_diagrams", "risk_coverage_curves"]

_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#744210", "#4a5568")


def bin_intervals(count: Any, accuracy: Any, *, confidence_level: float = 0.95):
    """Wilson interval of each bin's accuracy (NaN for empty bins): ``(low, high)`` arrays."""
    count = np.asarray(count, dtype=float)
    acc = np.array([np.nan if v is None else v for v in accuracy], dtype=float)
    lo, hi = np.full(count.shape, np.nan), np.full(count.shape, np.nan)
    ok = (count > 0) & np.isfinite(acc)
    if ok.any():
        right = np.rint(acc[ok] * count[ok]).astype(np.int64)
        r = proportion_ci(right, count[ok].astype(np.int64), method="wilson",
                          confidence_level=confidence_level)  # fmt: skip
        lo[ok], hi[ok] = r.ci_low, r.ci_high
    return lo, hi


def reliability_diagrams(
    panels: Sequence[dict[str, Any]], *, max_panels: int = 8, confidence_level: float = 0.95
) -> str:
    """One panel per model: accuracy per equal-width bin against mean confidence, counts on top.

    Each panel dict holds ``label``, ``edges``, ``count``, ``mean_confidence``, ``accuracy``
    and ``ece`` (the panel title shows it). Each bin's accuracy carries its Wilson interval at
    ``confidence_level`` (a bin of a few answers says little; the bar shows how little).
    """
    panels = list(panels)[:max_panels]
    k = len(panels)
    cols = min(k, 4)
    rows = (k + cols - 1) // cols
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols + 0.4, 2.9 * rows), squeeze=False)
        for ax in axes.ravel()[k:]:
            ax.set_visible(False)
        for ax, p in zip(axes.ravel(), panels, strict=False):
            edges = np.asarray(p["edges"], dtype=float)
            count = np.asarray(p["count"], dtype=float)
            acc = np.array([np.nan if v is None else v for v in p["accuracy"]], dtype=float)
            mid = 0.5 * (edges[:-1] + edges[1:])
            width = np.diff(edges)
            ax.bar(
                mid,
                np.nan_to_num(acc),
                width=width * 0.95,
                color=_BLUE,
                alpha=0.8,
                label="accuracy",
            )
            gap = np.nan_to_num(
                np.array([np.nan if v is None else v for v in p["mean_confidence"]], float)
            )
            ax.bar(mid, gap - np.nan_to_num(acc), bottom=np.nan_to_num(acc), width=width * 0.95,
                   color=_RED, alpha=0.25, label="gap")  # fmt: skip
            lo, hi = bin_intervals(count, p["accuracy"], confidence_level=confidence_level)
            has = np.isfinite(lo)
            ax.errorbar(mid[has], acc[has], yerr=[acc[has] - lo[has], hi[has] - acc[has]],
                        fmt="none", ecolor="black", elinewidth=0.8, capsize=1.5,
                        label=f"{100 * confidence_level:g}% Wilson interval")  # fmt: skip
            ax.plot([0, 1], [0, 1], color=_GREY, linewidth=1, linestyle="--")
            share = count / max(count.sum(), 1.0)
            ax.bar(
                mid, share, width=width * 0.95, color="black", alpha=0.15, label="share of answers"
            )
            for x, c in zip(mid, count, strict=True):
                if c > 0:
                    ax.text(x, 1.02, f"{int(c)}", ha="center", va="bottom", fontsize=5, rotation=90)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.18)
            ax.set_title(f"{_short(str(p['label']), 30)}\nECE {p['ece']:.3f}", fontsize=8)
            ax.set_xlabel("confidence")
        axes[0, 0].set_ylabel("accuracy")
        axes[0, 0].legend(loc="upper left", fontsize=6, frameon=False)
        fig.tight_layout()
        return _svg(fig)


def risk_coverage_curves(curves: Sequence[dict[str, Any]], *, max_curves: int = 8) -> str:
    """Selective risk against coverage, one line per model (most confident answers kept first)."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(5.6, 3.6))
        for i, c in enumerate(list(curves)[:max_curves]):
            ax.step(c["coverage"], c["risk"], where="post", color=_COLORS[i % len(_COLORS)],
                    linewidth=1.3, label=f"{_short(str(c['label']), 32)} (AURC {c['aurc']:.3f})")  # fmt: skip
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("coverage (share of answers kept, most confident first)")
        ax.set_ylabel("risk (error rate of kept answers)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
        return _svg(fig)
