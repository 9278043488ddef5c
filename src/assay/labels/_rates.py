"""Measured error rates of the audit's flags, carried on every result so the report can cite them.

The numbers are printed by ``python benchmarks/labels.py --audit`` (simulations with known truth
from :func:`assay.labels._simulate.simulate_answers`) and copied here; ``tests/labels`` re-measures
small fixed-seed versions. ``false_flag_rate`` is the share of items flagged on a benchmark where the
flag is false for every item (worst regime); ``precision`` and ``recall`` are the worst over the
regimes with planted truth, at the default threshold (a regime where nothing is flagged counts as
precision 1). The blind-baseline screen's rates are for one baseline and for two or more.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["FLAG_ERROR_RATES", "flag_rates"]

_AUDIT_SIM = ("benchmarks/labels.py --audit: 29 models x 12,000 ten-option items, 2PL abilities and "
              "difficulties, wrong answers drawn to one attractive distractor per item with probability "
              "0, 0.3, 0.6 or 0.8, gold errors 0, 2, 5 or 10%")  # fmt: skip

# one baseline: a hit cannot be told from a chance match; at 20% solvable every hit is flagged
# (P = 0.70), at 5% none is. Two baselines separate them.
_BLIND = {1: {"false_flag_rate": 0.0947, "precision": 0.695, "recall": 0.0},
          2: {"false_flag_rate": 0.0101, "precision": 0.799, "recall": 0.692}}  # fmt: skip

FLAG_ERROR_RATES: dict[str, dict[str, Any]] = {
    "suspect": {
        "irt": {"false_flag_rate": 0.0082, "precision": 0.918, "recall": 0.665, "simulation": _AUDIT_SIM},
        "vote": {"false_flag_rate": 0.0666, "precision": 0.296, "recall": 0.0, "simulation": _AUDIT_SIM},
    },
    "blind_solvable": {
        n: {**_BLIND[n],
            "simulation": f"benchmarks/labels.py --audit: {n} blind baseline(s) besides 29 models, 0, 5 or 20% "
                          "of 12,000 ten-option items solvable without the question"}
        for n in (1, 2)
    },
}  # fmt: skip


def flag_rates(method: str, *, n_blind: int = 0) -> dict[str, Any]:
    """The measured rates of the flags a result with these settings raises (a deep copy)."""
    out = {"suspect": copy.deepcopy(FLAG_ERROR_RATES["suspect"][method])}
    if n_blind:
        out["blind_solvable"] = copy.deepcopy(FLAG_ERROR_RATES["blind_solvable"][min(n_blind, 2)])
    return out
