"""assay.irt: item response theory for benchmarks.

Fast fits (1PL, 2PL, 3PL, continuous-response 2PL, graded response model) by marginal ML over
Gauss-Hermite quadrature or joint ML, on numpy or torch; abilities with intervals; the item audit;
per-topic abilities; split gaps; and efficient evaluation on anchor subsets.
"""

from assay.irt._abilities import abilities
from assay.irt._adaptive import AdaptiveResult, adaptive_test
from assay.irt._anchors import ANCHOR_METHODS, DEFAULT_ANCHOR_METHOD
from assay.irt._compare import (
    AbilityComparison,
    SplitGap,
    TopicAbilities,
    compare_abilities,
    split_gap,
    topic_abilities,
)
from assay.irt._diagnostics import ItemAudit, ItemFit, LRTest, audit, item_fit, lr_test
from assay.irt._fit import MODELS, fit
from assay.irt._results import AbilityResult, IRTFit
from assay.irt._sizes import SubsetSizes, subset_sizes
from assay.irt._subset import (
    ESTIMATORS,
    AccuracyEstimate,
    Subset,
    SubsetValidation,
    build_subset,
    estimate_accuracy,
    select_anchors,
    validate_subset,
)

__all__ = [
    "ANCHOR_METHODS",
    "AbilityComparison",
    "AbilityResult",
    "AccuracyEstimate",
    "AdaptiveResult",
    "DEFAULT_ANCHOR_METHOD",
    "ESTIMATORS",
    "IRTFit",
    "ItemAudit",
    "ItemFit",
    "LRTest",
    "MODELS",
    "SplitGap",
    "Subset",
    "SubsetSizes",
    "SubsetValidation",
    "TopicAbilities",
    "abilities",
    "adaptive_test",
    "audit",
    "build_subset",
    "compare_abilities",
    "estimate_accuracy",
    "fit",
    "item_fit",
    "lr_test",
    "select_anchors",
    "split_gap",
    "subset_sizes",
    "topic_abilities",
    "validate_subset",
]
