"""assay.calibration: does the model's confidence mean anything?

Confidence sources made explicit (choice log-probabilities, verbalised text, P(True), a column),
calibration metrics with bootstrap intervals (ECE, debiased and smooth calibration errors, Brier
with its decomposition, NLL, AUROC/AUPRC, risk-coverage), paired comparisons between models,
cross-fitted recalibration with calibrators saved as JSON, and a validity screen for verbalised
confidence.

>>> import numpy as np
>>> from assay.calibration import calibration_metrics
>>> rng = np.random.default_rng(0)
>>> f = rng.uniform(0.5, 1.0, 1000)
>>> y = (rng.random(1000) < f - 0.1).astype(float)     # 10 points overconfident
>>> res = calibration_metrics(f, y, metrics=["ece", "overconfidence"], n_resamples=200, rng=0)
>>> bool(res["ece"].ci_low < 0.1 < res["ece"].ci_high)
True
"""

from assay.calibration._metrics import (
    METRIC_NAMES,
    brier_decomposition,
    calibration_metrics,
    compare_calibration,
    debiased_l2_ce,
    ece,
    mce,
    point_metrics,
    reliability_diagram,
    risk_coverage_curve,
    smooth_ece,
)
from assay.calibration._recalibrate import (
    BINARY_METHODS,
    MULTICLASS_METHODS,
    Calibrator,
    RecalibrationResult,
    fit_calibrator,
    recalibrate,
)
from assay.calibration._results import (
    BrierDecomposition,
    CalibrationComparison,
    CalibrationResult,
    ConfidenceSource,
    ReliabilityDiagram,
    RiskCoverageCurve,
    ValidityScreen,
)
from assay.calibration._sources import (
    LOGPROB_DEFINITIONS,
    VERBAL_LABELS,
    confidence_from_column,
    confidence_from_logprobs,
    confidence_from_p_true,
    parse_verbal_confidence,
)
from assay.calibration._table import (
    SOURCES,
    ModelCalibration,
    calibration_by_model,
    recalibrate_model,
)
from assay.calibration._validity import validity_screen

__all__ = [
    "BINARY_METHODS",
    "LOGPROB_DEFINITIONS",
    "METRIC_NAMES",
    "MULTICLASS_METHODS",
    "SOURCES",
    "VERBAL_LABELS",
    "BrierDecomposition",
    "CalibrationComparison",
    "CalibrationResult",
    "Calibrator",
    "ConfidenceSource",
    "ModelCalibration",
    "RecalibrationResult",
    "ReliabilityDiagram",
    "RiskCoverageCurve",
    "ValidityScreen",
    "brier_decomposition",
    "calibration_by_model",
    "calibration_metrics",
    "compare_calibration",
    "confidence_from_column",
    "confidence_from_logprobs",
    "confidence_from_p_true",
    "debiased_l2_ce",
    "ece",
    "fit_calibrator",
    "mce",
    "parse_verbal_confidence",
    "point_metrics",
    "recalibrate",
    "recalibrate_model",
    "reliability_diagram",
    "risk_coverage_curve",
    "smooth_ece",
    "validity_screen",
]
