"""What range a score can take, and how it is shown: the one place for "[0, 1] means points".

Every interval the report or a command prints is clipped by construction to the range the score
can take (see :func:`assay.stats.bounded_interval`); this module decides that range from the data.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["ScoreScale", "score_scale"]


@dataclasses.dataclass(frozen=True)
class ScoreScale:
    """The range of a score and how it is displayed.

    Attributes
    ----------
    kind : {'binary', 'bounded', 'unbounded'}
        0/1 scores; scores inside [0, 1] (graded 0/0.5/1, F1, judge scores in [0, 1]); anything else.
    lower, upper : float
        The range a score can take: (0, 1) unless unbounded, then (-inf, inf).
    factor : float
        Display multiplier: 100 for scores in [0, 1] (shown as percentages, differences as points),
        else 1.
    unit : str
        'points' for scores in [0, 1], else 'units'.
    """

    kind: str
    lower: float
    upper: float
    factor: float
    unit: str

    @property
    def bounded(self) -> bool:
        return self.kind != "unbounded"

    @property
    def width(self) -> float:
        """``upper - lower``: the range a difference of two scores can span on each side of 0."""
        return self.upper - self.lower

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "lower": None if math.isinf(self.lower) else self.lower,
            "upper": None if math.isinf(self.upper) else self.upper,
            "factor": self.factor,
            "unit": self.unit,
        }


_BINARY = ScoreScale("binary", 0.0, 1.0, 100.0, "points")
_BOUNDED = ScoreScale("bounded", 0.0, 1.0, 100.0, "points")
_UNBOUNDED = ScoreScale("unbounded", -math.inf, math.inf, 1.0, "units")


def score_scale(values: Any) -> ScoreScale:
    """The :class:`ScoreScale` of an array of scores (NaN ignored).

    Scores that are all 0 or 1 are binary; all inside [0, 1] bounded; anything else (or no finite
    score at all) unbounded.

    Examples
    --------
    >>> score_scale([0, 1, 1]).kind, score_scale([0, 0.5, 1]).kind, score_scale([0, 2.5]).kind
    ('binary', 'bounded', 'unbounded')
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0 or v.min() < 0 or v.max() > 1:
        return _UNBOUNDED
    if np.all((v == 0) | (v == 1)):
        return _BINARY
    return _BOUNDED
