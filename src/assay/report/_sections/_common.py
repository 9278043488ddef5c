"""Small helpers shared by the report sections."""

from __future__ import annotations

import math

import numpy as np

from assay._core import ScoreMatrix


def is_binary(matrix: ScoreMatrix) -> bool:
    v = matrix.values[np.isfinite(matrix.values)]
    return bool(v.size) and bool(np.all((v == 0) | (v == 1)))


def unit_scale(matrix: ScoreMatrix) -> float:
    """100 when scores lie in [0, 1] (shown as percentages/points), else 1."""
    v = matrix.values[np.isfinite(matrix.values)]
    return 100.0 if v.size and v.min() >= 0 and v.max() <= 1 else 1.0


def fmt_points(x: float, scale: float, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    v = x * scale
    return f"{v:+.1f}" if signed else f"{v:.1f}"


def fmt_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    if p < 1e-4:
        return "p < 0.0001"
    return f"p = {p:.4f}" if p < 0.01 else f"p = {p:.3f}"


def level_pct(level: float) -> str:
    return f"{100 * level:g}%"
