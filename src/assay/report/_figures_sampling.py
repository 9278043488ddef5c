"""Figures of the sampling and curves sections: pass@k with its band, checkpoint curves.

Same conventions as :mod:`assay.report._figures`: SVG with a fixed hash salt, math text off
(labels come from logs), embedded by the renderer as ``<img>`` data URIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assay.report._figures import _RC, _short, _svg, plt

__all__ = ["CurveLine", "checkpoint_curves", "passk_curves"]

_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568")
_RED = "#c53030"
_MAX_LINES = len(_COLORS)


@dataclass
class CurveLine:
    """One line of a figure: x, the estimate and a band, optional flagged points and a fit."""

    label: str
    x: Sequence[float]
    estimate: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    flagged: Sequence[bool] | None = None
    fit_x: Sequence[float] | None = None
    fit_y: Sequence[float] | None = None


def passk_curves(lines: Sequence[CurveLine], *, ylabel: str, band_label: str) -> str:
    """pass@k against k, one line per model with its simultaneous band (first 8 models)."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 3.8))
        for line, color in zip(lines[:_MAX_LINES], _COLORS, strict=False):
            x = np.asarray(line.x, dtype=float)
            ax.fill_between(x, line.low, line.high, color=color, alpha=0.15, linewidth=0)
            ax.plot(
                x,
                line.estimate,
                color=color,
                marker="o",
                markersize=3,
                label=_short(line.label, 36),
            )
        ax.set_xscale("log", base=2)
        ks = sorted({int(k) for line in lines[:_MAX_LINES] for k in line.x})
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("k (samples drawn)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, title=band_label, title_fontsize=7, loc="lower right")
        return _svg(fig)


def checkpoint_curves(
    lines: Sequence[CurveLine], *, ylabel: str, xlabel: str = "training step"
) -> str:
    """Score against step per training run, with interval bands, flagged outliers and fits."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 3.8))
        for line, color in zip(lines[:_MAX_LINES], _COLORS, strict=False):
            x = np.asarray(line.x, dtype=float)
            est = np.asarray(line.estimate, dtype=float)
            ax.fill_between(x, line.low, line.high, color=color, alpha=0.15, linewidth=0)
            ax.plot(x, est, color=color, marker="o", markersize=3, label=_short(line.label, 36))
            if line.fit_x is not None and line.fit_y is not None:
                ax.plot(line.fit_x, line.fit_y, color=color, linestyle="--", linewidth=1)
            if line.flagged is not None and np.any(line.flagged):
                mask = np.asarray(line.flagged, dtype=bool)
                ax.scatter(x[mask], est[mask], marker="x", s=60, color=_RED, zorder=4)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        return _svg(fig)
