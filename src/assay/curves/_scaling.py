"""Performance against the number of fine-tuning examples, as a power law."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError, Result
from assay._core._validation import check_array, check_choice, check_confidence_level

__all__ = ["DataScalingResult", "data_scaling"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataScalingResult(Result):
    """A power law :math:`y = a N^b` fitted on log-log axes.

    Attributes
    ----------
    target : str
        ``"score"`` (y is the score) or ``"error"`` (y is 1 - score).
    exponent, exponent_ci_low, exponent_ci_high, exponent_se : float
        The slope b on log-log axes, with its t interval.
    coefficient : float
        a.
    r_squared : float
        On log-log axes.
    pvalue : float
        Test of b = 0.
    n : int
        Data sizes fitted.
    confidence_level : float
    method : str
    """

    target: str
    exponent: float
    exponent_ci_low: float
    exponent_ci_high: float
    exponent_se: float
    coefficient: float
    r_squared: float
    pvalue: float
    n: int
    confidence_level: float
    method: str

    def predict(self, n_examples: Any) -> np.ndarray:
        """The score the power law gives at ``n_examples``."""
        x = check_array(n_examples, "n_examples", ndim=(0, 1))
        y = self.coefficient * np.atleast_1d(x) ** self.exponent
        return y if self.target == "score" else 1.0 - y

    def examples_for(self, score: float) -> float:
        """The number of examples at which the power law reaches ``score`` (inf if never)."""
        y = score if self.target == "score" else 1.0 - score
        if y <= 0 or self.exponent == 0:
            return math.inf
        n = (y / self.coefficient) ** (1.0 / self.exponent)
        return float(n) if math.isfinite(n) else math.inf


def data_scaling(
    n_examples: Any, scores: Any, *, target: str = "score", confidence_level: float = 0.95
) -> DataScalingResult:
    """Fit performance against the number of fine-tuning examples as a power law.

    Parameters
    ----------
    n_examples : array_like, shape (n_points,)
        Fine-tuning examples used for each model (positive).
    scores : array_like, shape (n_points,)
        Each model's score (in (0, 1) for ``target="error"``; positive for ``"score"``).
    target : {"score", "error"}, default "score"
        Fit :math:`\\text{score} = a N^b` or :math:`1 - \\text{score} = a N^b`.
    confidence_level : float, default 0.95

    Returns
    -------
    DataScalingResult

    Notes
    -----
    Ordinary least squares of :math:`\\log y` on :math:`\\log N`, with a t interval for the
    slope on ``n - 2`` degrees of freedom. Raghavendra et al. (2024, "Revisiting the
    Superficial Alignment Hypothesis", arXiv:2410.03717) find post-training performance on
    reasoning tasks scales this way with the number of fine-tuning examples, rather than
    saturating after a few hundred.

    Examples
    --------
    >>> from assay.curves import data_scaling
    >>> res = data_scaling([100, 1000, 10000], [0.2, 0.3, 0.45])
    >>> round(res.exponent, 3)
    0.176
    """
    target = check_choice(target, "target", ("score", "error"))
    level = check_confidence_level(confidence_level)
    x = check_array(n_examples, "n_examples", ndim=1)
    s = check_array(scores, "scores", ndim=1)
    if x.size != s.size:
        raise InputError(
            f"`n_examples` ({x.size}) and `scores` ({s.size}) must have the same length."
        )
    if x.size < 3:
        raise InputError(f"a power law with an interval needs at least 3 data sizes; got {x.size}.")
    if np.any(x <= 0):
        raise InputError("`n_examples` must be positive.")
    y = s if target == "score" else 1.0 - s
    if np.any(y <= 0):
        what = "scores" if target == "score" else "errors (1 - score)"
        raise InputError(f"a power law on log axes needs positive {what}; got {float(y.min())!r}.")
    if np.unique(x).size < 2:
        raise InputError("`n_examples` must take at least 2 different values.")
    lx, ly = np.log(x), np.log(y)
    fit = stats.linregress(lx, ly)
    df = x.size - 2
    half = stats.t.ppf(0.5 + level / 2, df) * fit.stderr
    return DataScalingResult(
        target=target,
        exponent=float(fit.slope),
        exponent_ci_low=float(fit.slope - half),
        exponent_ci_high=float(fit.slope + half),
        exponent_se=float(fit.stderr),
        coefficient=float(math.exp(fit.intercept)),
        r_squared=float(fit.rvalue**2),
        pvalue=float(fit.pvalue),
        n=int(x.size),
        confidence_level=level,
        method="ols on log-log axes, t interval",
    )
