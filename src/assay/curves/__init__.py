"""assay.curves: checkpoint curves, their noise, outliers, fits, forecasts, forgetting, profiles.

Pure functions on arrays of per-item scores at each training step (or data size) that return
frozen result dataclasses (see DESIGN.md and STYLE.md).
"""

from assay.curves._common import group_series
from assay.curves._fits import (
    CURVE_MODELS,
    CurveFitResult,
    ForecastResult,
    StoppingResult,
    fit_curve,
    stopping_rule,
)
from assay.curves._forgetting import ForgettingResult, forgetting
from assay.curves._noise import SignalNoiseResult, signal_to_noise, signal_to_noise_from_curves
from assay.curves._outliers import OutlierResult, outlier_checkpoints
from assay.curves._points import LearningCurveResult, StepTest, learning_curve
from assay.curves._profiles import ProfileResult, performance_profiles, time_to_target
from assay.curves._scaling import DataScalingResult, data_scaling
from assay.curves._series import (
    AggregateSeries,
    SeriesCurveResult,
    aggregate_series,
    series_curve,
    series_fit,
    series_forgetting,
    series_signal_to_noise,
)

__all__ = [
    "AggregateSeries",
    "CURVE_MODELS",
    "CurveFitResult",
    "DataScalingResult",
    "ForecastResult",
    "ForgettingResult",
    "LearningCurveResult",
    "OutlierResult",
    "ProfileResult",
    "SeriesCurveResult",
    "SignalNoiseResult",
    "StepTest",
    "StoppingResult",
    "aggregate_series",
    "data_scaling",
    "fit_curve",
    "forgetting",
    "group_series",
    "learning_curve",
    "outlier_checkpoints",
    "performance_profiles",
    "series_curve",
    "series_fit",
    "series_forgetting",
    "series_signal_to_noise",
    "signal_to_noise",
    "signal_to_noise_from_curves",
    "stopping_rule",
    "time_to_target",
]
