"""Which items a baseline without the needed input solves beyond chance ("solvable without the question").

A blind baseline (no question, text only on a vision task) matches gold by chance on about 1/K of
the items, so "a baseline solved it" flags ~10% of a clean 10-option benchmark. The screen instead
gives each item the posterior probability that it is solvable without the input, in a two-class
model: a solvable item is answered right by each baseline with probability ``q``; any other item
matches gold by chance, ``c_b = sum_j P(baseline b answers j) P(gold = j)``. The share ``s`` of
solvable items (and ``q`` when there are two baselines or more; else ``q = 1``) are estimated by EM.
"""

from __future__ import annotations

import numpy as np

__all__ = ["blind_posterior"]


def blind_posterior(
    blind_pred: np.ndarray, gold: np.ndarray, *, max_iter: int = 500
) -> tuple[np.ndarray, float]:
    """P(item solvable without the input) per item, and the estimated share of such items."""
    nb, n = blind_pred.shape
    answered = blind_pred >= 0
    hit = (blind_pred == gold[None, :]) & answered
    n_codes = int(max(blind_pred.max(initial=0), gold.max(initial=0))) + 1
    g = np.bincount(gold[gold >= 0], minlength=n_codes) / max((gold >= 0).sum(), 1)
    chance = np.empty(nb)
    for b in range(nb):
        f = np.bincount(blind_pred[b][answered[b]], minlength=n_codes) / max(answered[b].sum(), 1)
        chance[b] = float(np.clip(f @ g, 1e-6, 1 - 1e-6))
    s, q = 0.05, 0.999
    log_c, log_1c = np.log(chance)[:, None], np.log1p(-chance)[:, None]
    post = np.zeros(n)
    for _ in range(max_iter):
        l1 = np.where(answered, np.where(hit, np.log(q), np.log1p(-q)), 0.0).sum(0)
        l0 = np.where(answered, np.where(hit, log_c, log_1c), 0.0).sum(0)
        post = 1.0 / (1.0 + np.exp(np.clip(l0 - l1, -700, 700)) * (1 - s) / s)
        new_s = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
        new_q = q
        if nb >= 2:
            den = (post[None, :] * answered).sum()
            new_q = float(
                np.clip((post[None, :] * hit).sum() / max(den, 1e-12), chance.max(), 0.999)
            )
        if abs(new_s - s) < 1e-8 and abs(new_q - q) < 1e-8:
            break
        s, q = new_s, new_q
    return post, s
