"""Result dataclasses shared by every module of :mod:`assay.stats`.

All results are frozen, keyword-only dataclasses deriving from :class:`assay._core.Result`, with the
shared vocabulary of STYLE.md: ``estimate, ci_low, ci_high, confidence_level, method, n`` for an
estimate with its interval, ``statistic, pvalue, alternative`` for a test. Modules subclass these
to add their own fields; big arrays go in ``_array_fields`` so that ``to_dict()`` leaves them out.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from assay._core import Result

__all__ = ["BootstrapResult", "EstimateResult", "Interval", "TestResult"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class EstimateResult(Result):
    """A point estimate with its confidence interval.

    Attributes
    ----------
    estimate : float
        The point estimate.
    ci_low, ci_high : float
        The interval's end points (NaN when the interval is undefined).
    confidence_level : float
        The interval's nominal coverage, e.g. 0.95.
    method : str
        How the interval was computed (``"wilson"``, ``"t"``, ``"bootstrap-bca"``, ...).
    n : int
        The number of observations (items) used.
    se : float
        The standard error of ``estimate`` (NaN when the method has none).
    """

    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    method: str
    n: int
    se: float = math.nan

    @property
    def width(self) -> float:
        """The interval's width, ``ci_high - ci_low``."""
        return float(self.ci_high - self.ci_low)


#: A short alias: an interval is an estimate with its end points.
Interval = EstimateResult


@dataclasses.dataclass(frozen=True, kw_only=True)
class TestResult(Result):
    """The outcome of a hypothesis test.

    Attributes
    ----------
    statistic : float
        The test statistic.
    pvalue : float
        The p-value under the null hypothesis.
    alternative : str
        ``"two-sided"``, ``"less"`` or ``"greater"``.
    method : str
        The test's name (``"mcnemar-exact"``, ``"5x2cv-t"``, ...).
    n : int
        The number of observations (items, folds, ...) the test used.
    df : float or tuple of float or None
        Degrees of freedom of the reference distribution, when it has any.
    """

    __test__ = False  # not a pytest test class despite its name

    statistic: float
    pvalue: float
    alternative: str
    method: str
    n: int
    df: float | tuple[float, ...] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class BootstrapResult(EstimateResult):
    """A bootstrap estimate: the interval plus the resampled distribution.

    Attributes
    ----------
    n_resamples : int
        The number of bootstrap resamples.
    n_clusters : int or None
        The number of clusters resampled (None when items were resampled).
    distribution : ndarray, shape (n_resamples,)
        The bootstrap distribution of the statistic; kept off ``to_dict()``.
    """

    _array_fields = ("distribution",)

    n_resamples: int
    n_clusters: int | None = None
    distribution: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)
