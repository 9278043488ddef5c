"""The weighted-vote model of the item audit (``method='vote'``) and the vote tallies shown beside any method.

Each model is a "one-coin" rater (Dawid and Skene 1979) whose vote has weight
``log((K-1) a / (1-a))``; sums are divided by a design effect ``1 + (m - 1) rho`` for correlated
errors (Kish 1965). Kept as the comparison for the answer model of :mod:`assay.labels._answers`:
``benchmarks/labels.py --audit`` measures both.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from assay._core import InputError


def _weights_iv(
    weights: Any, accuracy: np.ndarray, k: int, blind: np.ndarray, n_items: int
) -> np.ndarray:
    if weights is None:
        a = np.clip(accuracy, 0.5 / n_items, 1 - 0.5 / n_items)
        w = np.maximum(np.log((k - 1) * a / (1 - a)), 0.0)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != accuracy.shape:
            raise InputError(
                f"`weights` must have one value per model ({accuracy.size}); got shape {w.shape}."
            )
        if not np.isfinite(w).all() or (w < 0).any():
            raise InputError("`weights` must be finite and non-negative.")
    return np.where(blind, 0.0, w)


def _rho_iv(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise InputError(
            f"`error_correlation` must be 'estimate' or a number in [0, 1]; got {value!r}."
        )
    return float(value)


def _votes(a: Any, w: np.ndarray, rho: float) -> dict[str, np.ndarray]:
    """Weighted votes per (item, answer) as sparse pairs, reduced to per-item summaries.

    Vote sums are divided by the item's design effect ``1 + (n_voters - 1) rho``.
    """
    m, n = a.pred.shape
    n_codes = max(len(a.answers), 1)
    voting = (a.pred >= 0) & ~a.blind[:, None]
    mi, ii = np.nonzero(voting)
    keys = ii.astype(np.int64) * n_codes + a.pred[mi, ii]
    ukeys, inv = np.unique(keys, return_inverse=True)
    item, code = ukeys // n_codes, ukeys % n_codes
    n_voters = voting.sum(axis=0)
    s = np.bincount(inv, weights=w[mi], minlength=ukeys.size) / (1.0 + (n_voters[item] - 1.0) * rho)
    cnt = np.bincount(inv, minlength=ukeys.size)
    is_gold = code == a.gold[item]
    s_gold = np.zeros(n)
    v_gold = np.zeros(n, dtype=np.int64)
    s_gold[item[is_gold]] = s[is_gold]
    v_gold[item[is_gold]] = cnt[is_gold]
    other = np.flatnonzero(~is_gold)
    order = other[np.lexsort((code[other], -cnt[other], -s[other], item[other]))]
    first_items, first = np.unique(item[order], return_index=True)
    competing = np.full(n, -1, dtype=np.int64)
    c_votes = np.zeros(n, dtype=np.int64)
    s_comp = np.zeros(n)
    competing[first_items] = code[order[first]]
    c_votes[first_items] = cnt[order[first]]
    s_comp[first_items] = s[order[first]]
    n_other = np.bincount(item[other], minlength=n)
    total_w = np.bincount(item, weights=s, minlength=n)
    return {"item": item, "s": s, "is_gold": is_gold, "s_gold": s_gold, "v_gold": v_gold,
            "competing": competing, "c_votes": c_votes, "s_comp": s_comp, "n_other": n_other,
            "total_w": total_w, "n_voters": n_voters, "rho": rho}  # fmt: skip


def _error_correlation(a: Any, k: int) -> float:
    """Intraclass correlation of wrong answers: excess over chance of two wrong models agreeing."""
    voting = (a.pred >= 0) & ~a.blind[:, None]
    wrong = voting & (a.pred != a.gold[None, :])
    mi, ii = np.nonzero(wrong)
    if mi.size == 0 or k <= 2:
        return 0.0
    _, counts = np.unique(
        ii.astype(np.int64) * (len(a.answers) + 1) + a.pred[mi, ii], return_counts=True
    )
    n_wrong = wrong.sum(axis=0)
    pairs = float((n_wrong * (n_wrong - 1.0)).sum())
    if pairs == 0:
        return 0.0
    same = float((counts * (counts - 1.0)).sum()) / pairs
    chance = 1.0 / (k - 1)
    return float(np.clip((same - chance) / (1 - chance), 0.0, 1.0))


def _posterior_wrong(v: dict[str, np.ndarray], k: int, prior_error: float, n: int) -> np.ndarray:
    """P(gold wrong) with prior 1-eps on gold, eps/(K-1) on each other answer, votes as log-odds."""
    item, s, is_gold = v["item"], v["s"], v["is_gold"]
    shift = np.maximum(np.maximum(v["s_gold"], v["s_comp"]), 0.0)
    log_other = math.log(prior_error / (k - 1)) if prior_error > 0 else -np.inf
    other_terms = np.bincount(
        item[~is_gold], weights=np.exp(s[~is_gold] - shift[item[~is_gold]]), minlength=n
    )
    unseen = np.maximum(k - 1 - v["n_other"], 0) * np.exp(-shift)
    other = math.exp(log_other) * (other_terms + unseen) if np.isfinite(log_other) else np.zeros(n)
    gold = (1 - prior_error) * np.exp(v["s_gold"] - shift)
    return other / (other + gold)
