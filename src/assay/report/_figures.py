"""Figures drawn with matplotlib as SVG documents, deterministic and legible.

Labels come from logs (model names, subjects) and are untrusted: math text is switched off so a
``$`` in a model name is shown, not parsed, and the SVG is embedded as an ``<img>`` data URI by the
HTML renderer, where no script inside it could run.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["forest_plot", "heat_map", "subject_bars"]

_RC = {
    "svg.hashsalt": "assay",
    "svg.fonttype": "path",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}
_BLUE, _GREY, _RED = "#2b6cb0", "#718096", "#c53030"


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "assay"})
    plt.close(fig)
    return buf.getvalue()


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1] + "\u2026"


def forest_plot(
    labels: Sequence[str],
    estimate: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    xlabel: str,
    highlight: Sequence[bool] | None = None,
    reference: float | None = None,
) -> str:
    """Point estimates with interval bars, one row per label, best at the top."""
    n = len(labels)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.24 * n))
        y = np.arange(n)[::-1]
        colors = [(_BLUE if (highlight is None or highlight[i]) else _GREY) for i in range(n)]
        est, lo, hi = (np.asarray(v, dtype=float) for v in (estimate, low, high))
        ax.hlines(y, lo, hi, colors=colors, linewidth=2)
        ax.scatter(est, y, color=colors, zorder=3, s=18)
        if reference is not None:
            ax.axvline(reference, color=_RED, linewidth=1, linestyle="--")
        ax.set_yticks(y, [_short(str(s)) for s in labels])
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
        ax.set_ylim(-0.7, n - 0.3)
        return _svg(fig)


def heat_map(
    labels: Sequence[str],
    values: np.ndarray,
    *,
    title: str,
    colorbar_label: str,
    marks: np.ndarray | None = None,
) -> str:
    """Square matrix of pairwise differences (row minus column); ``marks`` stars significant cells."""
    n = len(labels)
    values = np.asarray(values, dtype=float)
    lim = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    lim = lim or 1.0
    size = min(11.0, 2.5 + 0.32 * n)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(size + 1.2, size))
        im = ax.imshow(values, cmap="RdBu", vmin=-lim, vmax=lim)
        short = [_short(str(s), 28) for s in labels]
        ax.set_xticks(range(n), short, rotation=70, ha="right", fontsize=7 if n > 15 else 8)
        ax.set_yticks(range(n), short, fontsize=7 if n > 15 else 8)
        if marks is not None and n <= 40:
            for i, j in zip(*np.nonzero(marks), strict=True):
                ax.text(j, i, "*", ha="center", va="center", fontsize=7, color="black")
        ax.set_title(title)
        cb = fig.colorbar(im, ax=ax, shrink=0.7)
        cb.set_label(colorbar_label)
        return _svg(fig)


def subject_bars(
    subjects: Sequence[str],
    estimate: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    xlabel: str,
    overall: float | None = None,
) -> str:
    """Horizontal bars of a per-subject score with interval whiskers."""
    n = len(subjects)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.24 * n))
        y = np.arange(n)[::-1]
        est, lo, hi = (np.asarray(v, dtype=float) for v in (estimate, low, high))
        ax.barh(y, est, color=_BLUE, alpha=0.75, height=0.7)
        ax.errorbar(
            est,
            y,
            xerr=_whiskers(est, lo, hi),
            fmt="none",
            ecolor="black",
            elinewidth=1,
            capsize=2,
        )
        if overall is not None:
            ax.axvline(overall, color=_RED, linewidth=1, linestyle="--")
        ax.set_yticks(y, [_short(str(s)) for s in subjects])
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
        return _svg(fig)


def _whiskers(est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """Error-bar lengths; an interval that could not be computed (too few items) draws none."""
    below = np.nan_to_num(est - lo, nan=0.0)
    above = np.nan_to_num(hi - est, nan=0.0)
    return [np.clip(below, 0.0, None), np.clip(above, 0.0, None)]
