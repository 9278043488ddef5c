"""assay.sampling: several samples per item: pass@k, pass^k, maj@k, best-of-k, consistency.

Pure functions on arrays of per-sample outcomes (shape ``(n_items, n_samples)``, NaN where a
sample is missing) that return frozen result dataclasses (see DESIGN.md and STYLE.md).
"""

from assay.sampling._consistency import (
    ConsistencyResult,
    SamplesNeededResult,
    consistency,
    samples_needed,
)
from assay.sampling._passk import (
    PassAtKResult,
    PassCurveResult,
    pass_at_k,
    pass_at_k_curve,
    pass_at_k_estimator,
    pass_hat_k,
    pass_hat_k_estimator,
)
from assay.sampling._verifier import VerifierResult, verifier_resampling
from assay.sampling._vote import VoteResult, best_of_k, maj_at_k

__all__ = [
    "ConsistencyResult",
    "PassAtKResult",
    "PassCurveResult",
    "SamplesNeededResult",
    "VerifierResult",
    "VoteResult",
    "best_of_k",
    "consistency",
    "maj_at_k",
    "pass_at_k",
    "pass_at_k_curve",
    "pass_at_k_estimator",
    "pass_hat_k",
    "pass_hat_k_estimator",
    "samples_needed",
    "verifier_resampling",
]
