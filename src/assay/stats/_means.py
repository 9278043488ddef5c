"""Confidence intervals of a mean: Student t and normal (CLT)."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_missing_policy,
)
from assay.stats._results import EstimateResult

__all__ = ["MeanResult", "mean_ci"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeanResult(EstimateResult):
    """A mean with its interval.

    Attributes
    ----------
    df : float
        Degrees of freedom of the t reference (inf for the normal interval).
    n_omitted : int
        Missing values left out (``missing="omit"``).
    """

    df: float = float("inf")
    n_omitted: int = 0


def _omit_missing(x: np.ndarray, missing: str, name: str = "x") -> tuple[np.ndarray, int, bool]:
    """Apply a missing-data policy to a 1-D float array.

    Returns ``(kept values, number omitted, propagate_nan)``.
    """
    nan = np.isnan(x)
    if not nan.any():
        return x, 0, False
    if missing == "raise":
        raise InputError(
            f"`{name}` contains {int(nan.sum())} NaN value(s); pass `missing='omit'` or remove them."
        )
    if missing == "propagate":
        return x, 0, True
    return x[~nan], int(nan.sum()), False


def _critical(confidence_level: float, df: float) -> float:
    q = 0.5 + confidence_level / 2.0
    return float(special.ndtri(q)) if np.isinf(df) else float(stats.t.ppf(q, df))


def mean_ci(
    x: Any,
    *,
    method: str = "t",
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> MeanResult:
    """Confidence interval of a mean from independent scores.

    Parameters
    ----------
    x : array_like, shape (n_items,)
        One score per item.
    method : {"t", "normal"}, default "t"
        Student t with n - 1 degrees of freedom, or the normal (CLT) interval.
    confidence_level : float, default 0.95
        Nominal coverage.
    missing : {"raise", "omit", "propagate"}, default "raise"
        What to do with NaN scores: raise, leave them out (``n`` and ``n_omitted`` say how
        many), or return NaN.

    Returns
    -------
    MeanResult
        ``estimate``, ``ci_low``, ``ci_high``, ``se``, ``n``, ``df``, ``n_omitted``.

    Warns
    -----
    DegenerateDataWarning
        When all scores are equal (the interval has zero width).

    Notes
    -----
    :math:`\\bar x \\pm c \\, s / \\sqrt n` with :math:`s^2 = \\sum (x_i - \\bar x)^2 / (n-1)` and
    :math:`c = t_{n-1, 1-\\alpha/2}` or :math:`z_{1-\\alpha/2}`. For 0/1 scores the normal interval
    is the Wald interval with the n - 1 variance; prefer :func:`proportion_ci` there.

    References
    ----------
    .. [1] E. Miller, "Adding Error Bars to Evals: A Statistical Approach to Language Model
       Evaluations", arXiv:2411.00640, 2024, sec. 2 (the CLT interval).

    Examples
    --------
    >>> from assay.stats._means import mean_ci
    >>> res = mean_ci([1.0, 2.0, 3.0, 4.0])
    >>> round(res.ci_low, 4), round(res.ci_high, 4)
    (0.4457, 4.5543)
    """
    method = check_choice(method, "method", ("t", "normal"))
    confidence_level = check_confidence_level(confidence_level)
    missing = check_missing_policy(missing)
    arr = check_array(x, "x", ndim=1, allow_nan=True)
    arr, n_omitted, propagate = _omit_missing(arr, missing)
    n = int(arr.size)
    if n < 2:
        raise InputError(f"`x` needs at least 2 non-missing values for an interval; got {n}.")
    df = float(n - 1) if method == "t" else float("inf")
    if propagate:
        nan = float("nan")
        return MeanResult(
            estimate=nan, ci_low=nan, ci_high=nan, confidence_level=confidence_level,
            method=method, n=n, se=nan, df=df, n_omitted=0,
        )  # fmt: skip
    mean = float(arr.mean())
    se = float(arr.std(ddof=1) / np.sqrt(n))
    if se == 0.0:
        warnings.warn(
            f"All {n} values of `x` equal {mean!r}; the interval has zero width.",
            DegenerateDataWarning,
            stacklevel=2,
        )
    half = _critical(confidence_level, df) * se
    return MeanResult(
        estimate=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        confidence_level=confidence_level,
        method=method,
        n=n,
        se=se,
        df=df,
        n_omitted=n_omitted,
    )
