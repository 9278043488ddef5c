"""Result dataclasses of :mod:`assay.calibration`."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core import Result
from assay.stats._results import BootstrapResult

__all__ = [
    "BrierDecomposition",
    "CalibrationComparison",
    "CalibrationResult",
    "ConfidenceSource",
    "ReliabilityDiagram",
    "RiskCoverageCurve",
    "ValidityScreen",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConfidenceSource(Result):
    """Confidences derived from one source, with the definition used.

    Attributes
    ----------
    source : str
        ``"column"``, ``"logprobs"``, ``"verbal"`` or ``"p-true"``.
    definition : str
        The exact definition, in words (it changes ECE a lot, so the report prints it).
    confidence : ndarray, shape (n,)
        The confidences, NaN where none could be derived; kept off ``to_dict()``.
    n : int
        Number of inputs.
    n_missing : int
        Inputs that gave no confidence (unparseable text, no log-probabilities).
    examples_missing : tuple of str
        Up to five inputs that gave none (for verbal confidences: the text, shortened).
    """

    _array_fields = ("confidence",)

    source: str
    definition: str
    n: int
    n_missing: int
    examples_missing: tuple[str, ...] = ()
    confidence: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReliabilityDiagram(Result):
    """Per-bin counts, mean confidence and accuracy (equal-width or equal-mass bins).

    Attributes
    ----------
    binning : {'width', 'mass'}
    edges : ndarray, shape (n_bins + 1,)
        Bin edges (for equal-mass bins: the lowest and highest confidence of each bin).
    count : ndarray of int, shape (n_bins,)
    mean_confidence, accuracy : ndarray, shape (n_bins,)
        NaN in empty bins.
    """

    binning: str
    edges: np.ndarray
    count: np.ndarray
    mean_confidence: np.ndarray
    accuracy: np.ndarray


@dataclasses.dataclass(frozen=True, kw_only=True)
class RiskCoverageCurve(Result):
    """Selective risk (error rate of the answers kept) at each coverage, most confident first.

    One point per distinct confidence (tied answers are kept or dropped together), thinned to
    at most ``max_points`` points for plotting; ``aurc`` is computed on the full curve.
    """

    coverage: np.ndarray
    risk: np.ndarray
    threshold: np.ndarray
    aurc: float
    optimal_aurc: float
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class BrierDecomposition(Result):
    """Murphy's decomposition of the Brier score over equal-width bins.

    ``brier = reliability - resolution + uncertainty + within_bin``; ``within_bin`` is the part
    due to confidences varying within a bin (zero when each bin holds one confidence value).
    """

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin: float
    n_bins: int
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalibrationResult(Result):
    """Every calibration metric of one model, each with its bootstrap interval.

    Attributes
    ----------
    metrics : dict of str to BootstrapResult
        ``estimate, ci_low, ci_high, confidence_level, method, n, se, n_resamples`` per metric.
    n : int
        Items used.
    n_omitted : int
        Items dropped for a missing confidence or outcome (``missing='omit'``).
    n_bins : int
    threshold : float
        Confidence threshold of the wrong-at-high-confidence metrics.
    coverage : float
        Coverage of ``accuracy_at_coverage``.
    smooth_ece_bandwidth : float
        The bandwidth σ* of the smooth ECE (held fixed in the resamples).
    reliability : ReliabilityDiagram
        Equal-width bins.
    reliability_mass : ReliabilityDiagram
        Equal-mass bins.
    risk_coverage : RiskCoverageCurve
    """

    metrics: dict[str, BootstrapResult]
    n: int
    n_omitted: int
    n_bins: int
    threshold: float
    coverage: float
    smooth_ece_bandwidth: float
    confidence_level: float
    n_resamples: int
    n_clusters: int | None
    reliability: ReliabilityDiagram
    reliability_mass: ReliabilityDiagram
    risk_coverage: RiskCoverageCurve

    def __getitem__(self, name: str) -> BootstrapResult:
        return self.metrics[name]

    def estimates(self) -> dict[str, float]:
        """The point estimates only, ``{metric: estimate}``."""
        return {k: v.estimate for k, v in self.metrics.items()}


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalibrationComparison(BootstrapResult):
    """Paired comparison of one metric between two models on the same items (B minus A).

    Inherits ``estimate`` (the difference), ``ci_low``, ``ci_high``, ``se``, ``n_resamples`` and
    the resampled ``distribution`` of differences.
    """

    metric: str
    estimate_a: float
    estimate_b: float
    pvalue: float
    alternative: str

    def summary(self) -> dict[str, Any]:
        return self.to_dict()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidityScreen(Result):
    """Is a (verbalised) confidence informative enough to be worth calibrating?

    Attributes
    ----------
    verdict : {'valid', 'invalid'}
    reasons : tuple of str
        Why (each failed criterion; for a valid screen, the criteria passed).
    ceiling_rate : float
        Share of confidences at or above ``ceiling``.
    sd : float
        Standard deviation of the confidences.
    n_distinct : int
        Distinct confidence values.
    type2_auroc : BootstrapResult
        AUROC of confidence for right versus wrong answers, with its interval.
    logprob_correlation : float or None
        Spearman correlation of the confidence with the answer's token log-probability.
    logprob_correlation_pvalue : float or None
    parse_rate : float or None
        Share of answers with a confidence (when the parse counts were given).
    criteria : dict
        The thresholds used.
    n : int
    flag_error_rates : dict
        How often the screen calls a valid confidence invalid (``false_flag_rate``) and an invalid
        one invalid (``recall``), measured on simulations (``benchmarks/flags.py``).
    """

    verdict: str
    reasons: tuple[str, ...]
    ceiling_rate: float
    sd: float
    n_distinct: int
    type2_auroc: BootstrapResult
    logprob_correlation: float | None
    logprob_correlation_pvalue: float | None
    parse_rate: float | None
    criteria: dict[str, float]
    n: int
    flag_error_rates: dict[str, Any] = dataclasses.field(default_factory=dict)
