"""Figures of the IRT section: item characteristic curves of the worst items, test information.

Same conventions as :mod:`assay.report._figures`: deterministic SVG, math text off (labels come
from logs), embedded as ``<img>`` data URIs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assay.report._figures import _BLUE, _GREY, _RC, _RED, _short, _svg, plt

__all__ = ["icc_plot", "information_plot"]

_VECTOR_MARKS = 60  # above this many models, rugs and dots are drawn as a bitmap


def icc_plot(
    labels: Sequence[str],
    theta: np.ndarray,
    curves: np.ndarray,
    *,
    abilities: Sequence[float] = (),
    observed: Sequence[Sequence[tuple[float, float]]] | None = None,
) -> str:
    """One panel per item: P(correct | ability), the models' abilities as a rug, their answers as dots.

    ``curves`` has shape (n_items, n_theta); ``observed[i]`` lists (ability, score) pairs.
    """
    n = len(labels)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(
            rows,
            cols,
            figsize=(2.6 * cols + 0.4, 2.1 * rows + 0.3),
            squeeze=False,
            sharex=True,
            sharey=True,
        )
        for k in range(rows * cols):
            ax = axes[k // cols][k % cols]
            if k >= n:
                ax.axis("off")
                continue
            ax.plot(
                theta,
                curves[k],
                color=_RED if curves[k][-1] < curves[k][0] else _BLUE,
                linewidth=1.6,
            )
            # many models: the rug and dots as one embedded bitmap each, not an element per mark
            many = len(abilities) > _VECTOR_MARKS
            if len(abilities):
                ax.plot(
                    abilities,
                    np.full(len(abilities), -0.04),
                    "|",
                    color=_GREY,
                    markersize=6,
                    rasterized=many,
                )
            if observed is not None and len(observed[k]):
                x, y = np.asarray(observed[k], dtype=float).T
                ax.scatter(
                    x, y * 0.92 + 0.04, s=9, color="black", alpha=0.6, zorder=3, rasterized=many
                )
            ax.set_ylim(-0.08, 1.04)
            ax.set_title(_short(str(labels[k]), 30), fontsize=8)
            ax.grid(alpha=0.3)
            if k % cols == 0:
                ax.set_ylabel("P(correct)")
            if k // cols == rows - 1:
                ax.set_xlabel("ability")
        fig.tight_layout()
        return _svg(fig)


def information_plot(
    theta: np.ndarray, information: np.ndarray, *, abilities: Sequence[float] = ()
) -> str:
    """Test information (sum of item information) against ability, with the models as a rug."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.0, 2.4))
        ax.plot(theta, information, color=_BLUE, linewidth=1.6)
        if len(abilities):
            ymin = 0.0
            ax.plot(
                abilities,
                np.full(len(abilities), ymin),
                "|",
                color=_GREY,
                markersize=8,
                rasterized=len(abilities) > _VECTOR_MARKS,
            )
        ax.set_xlabel("ability")
        ax.set_ylabel("test information")
        ax.grid(alpha=0.3)
        return _svg(fig)
