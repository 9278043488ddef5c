"""assay.labels: wrong labels and broken items.

Confident learning for classifier outputs (Northcutt et al. 2021), the item audit of LLM
benchmarks from many models' answers, and how much the ranking of models depends on the suspects.
Pure functions on numpy arrays that return frozen result dataclasses.
"""

from assay.labels._audit import ItemAuditResult, audit_items
from assay.labels._count import NoiseResult, confident_joint, confident_thresholds, estimate_noise
from assay.labels._filter import FILTER_METHODS, LabelIssuesResult, find_label_issues
from assay.labels._rank import QUALITY_METHODS, label_quality_scores
from assay.labels._rates import FLAG_ERROR_RATES
from assay.labels._stability import (
    FlipNoiseResult,
    StabilityResult,
    label_noise_to_flip,
    ranking_stability,
)

__all__ = [
    "FILTER_METHODS",
    "FLAG_ERROR_RATES",
    "FlipNoiseResult",
    "ItemAuditResult",
    "LabelIssuesResult",
    "NoiseResult",
    "QUALITY_METHODS",
    "StabilityResult",
    "audit_items",
    "confident_joint",
    "confident_thresholds",
    "estimate_noise",
    "find_label_issues",
    "label_noise_to_flip",
    "label_quality_scores",
    "ranking_stability",
]
