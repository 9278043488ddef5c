"""Simulated multiple-choice answers with known truth: what the audit's flag error rates are measured on.

Used by ``benchmarks/labels.py`` (the full tables) and by the tests (small fixed-seed versions), so
that the numbers quoted by :data:`assay.labels.FLAG_ERROR_RATES` come from one generator.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core._validation import check_rng

__all__ = ["SimulatedAnswers", "simulate_answers"]


@dataclasses.dataclass(frozen=True)
class SimulatedAnswers:
    predictions: np.ndarray  # (n_models, n_items) answer codes 0..k-1
    gold: np.ndarray  # (n_items,) gold codes (with planted errors)
    true: np.ndarray  # (n_items,) true answers
    planted: np.ndarray  # (n_items,) bool: gold != true
    theta: np.ndarray  # (n_models,)
    blind: np.ndarray | None  # (n_blind, n_items) baseline answers, or None
    solvable: np.ndarray | None  # (n_items,) bool: answerable without the question


def simulate_answers(
    n_models: int = 29,
    n_items: int = 12_000,
    *,
    k: int = 10,
    attraction: float = 0.3,
    gold_error: float = 0.05,
    misconception: float = 0.0,
    n_blind: int = 0,
    solvable_rate: float = 0.0,
    rng: Any = None,
) -> SimulatedAnswers:
    """Answers of ``n_models`` models to ``n_items`` ``k``-option items with a known truth.

    Abilities ``theta ~ N(0, 1)``; items 2PL with ``a ~ LogNormal(0, 0.35)`` (5% to 95%: 0.56 to
    1.8) and ``b ~ N(0.3, 1.2)``. A wrong answer is, with probability ``attraction``, the item's one
    attractive distractor (a wrong option chosen uniformly), and otherwise a wrong option uniformly.
    With ``misconception`` > 0, a wrong answer of a model of above-median ability goes with that
    probability to a second distractor of the item instead (strong models sharing a misconception:
    a departure from the answer model, which lets the choice among wrong answers ignore ability).
    A fraction ``gold_error`` of gold answers is replaced by another option uniformly (the planted
    label errors). ``n_blind`` baselines answer without the question: a ``solvable_rate`` fraction of
    items can be solved that way (the baseline answers right with probability 0.8), the rest it
    answers uniformly at random.
    """
    gen = check_rng(rng)
    theta = gen.normal(0.0, 1.0, n_models)
    a = gen.lognormal(0.0, 0.35, n_items)
    b = gen.normal(0.3, 1.2, n_items)
    true = gen.integers(0, k, n_items)
    right = gen.random((n_models, n_items)) < 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
    lure = (true + gen.integers(1, k, n_items)) % k
    other = (true[None, :] + gen.integers(1, k, (n_models, n_items))) % k
    wrong = np.where(gen.random((n_models, n_items)) < attraction, lure[None, :], other)
    if misconception > 0:
        expert = (lure + gen.integers(1, k - 1, n_items)) % k
        expert = np.where(expert == true, (expert + 1) % k, expert)
        strong = (theta > np.median(theta))[:, None] & (
            gen.random((n_models, n_items)) < misconception
        )
        wrong = np.where(strong, expert[None, :], wrong)
    pred = np.where(right, true[None, :], wrong)
    planted = gen.random(n_items) < gold_error
    gold = true.copy()
    gold[planted] = (true[planted] + gen.integers(1, k, int(planted.sum()))) % k
    blind = solvable = None
    if n_blind:
        solvable = gen.random(n_items) < solvable_rate
        hit = solvable[None, :] & (gen.random((n_blind, n_items)) < 0.8)
        blind = np.where(hit, true[None, :], gen.integers(0, k, (n_blind, n_items)))
    return SimulatedAnswers(pred, gold, true, planted, theta, blind, solvable)
