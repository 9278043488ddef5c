"""Small helpers shared by the report sections."""

from __future__ import annotations

import math

from assay._core import ScoreMatrix


def is_binary(matrix: ScoreMatrix) -> bool:
    """Whether every score is 0 or 1 (:attr:`ScoreMatrix.scale`)."""
    return matrix.scale.kind == "binary"


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
