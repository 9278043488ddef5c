"""Confident learning, stage 2: label-quality scores (low = the given label is likely wrong)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import xlogy

from assay._core._validation import check_choice
from assay.labels._count import _COLUMN_LOOP, _chunks, _Labels, _labels_iv

__all__ = ["QUALITY_METHODS", "label_quality_scores"]

_CLIP = 1e-6


def _self_confidence(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[np.arange(y.size), y]


def _max_other(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """max_{j != y_i} p_ij, a cache-sized chunk of rows at a time."""
    n, k = p.shape
    out = np.empty(n, dtype=p.dtype)
    chunks = _chunks(p)
    for s in chunks:
        block = p[s : s + chunks.step].copy()
        block[np.arange(block.shape[0]), y[s : s + chunks.step]] = -np.inf
        if k > _COLUMN_LOOP:
            block.max(axis=1, out=out[s : s + chunks.step])
            continue
        top = out[s : s + chunks.step]
        np.copyto(top, block[:, 0])
        for j in range(1, k):
            np.maximum(top, block[:, j], out=top)
    return out


def _normalized_margin(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (_self_confidence(y, p) - _max_other(y, p) + 1) / 2


def _confidence_weighted_entropy(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    sc = np.clip(_self_confidence(y, p), a_min=_CLIP, a_max=None)
    entropy = -np.sum(xlogy(p, p), axis=1) / np.log(p.shape[1])
    ratio = entropy / sc
    return np.log(ratio + 1) / np.clip(ratio, a_min=_CLIP, a_max=None)


_METHODS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "self_confidence": _self_confidence,
    "normalized_margin": _normalized_margin,
    "confidence_weighted_entropy": _confidence_weighted_entropy,
}
QUALITY_METHODS: tuple[str, ...] = tuple(_METHODS)
"""Names of the label-quality scores."""


def _quality(y: np.ndarray, p: np.ndarray, method: str) -> np.ndarray:
    return _METHODS[method](y, p)


def _quality_of(d: _Labels, method: str) -> np.ndarray:
    return d.self_confidence if method == "self_confidence" else _quality(d.y, d.p, method)


def label_quality_scores(
    y_true: Any, y_prob: Any, *, method: str = "self_confidence"
) -> np.ndarray:
    """How likely each given label is to be right, in [0, 1] (low = suspect).

    Parameters
    ----------
    y_true : array_like of int, shape (n_examples,)
        Given (possibly noisy) labels.
    y_prob : array_like, shape (n_examples, n_classes)
        Out-of-sample predicted probabilities.
    method : {'self_confidence', 'normalized_margin', 'confidence_weighted_entropy'}
        See Notes.

    Returns
    -------
    ndarray of shape (n_examples,)

    Notes
    -----
    With :math:`s_i = \\hat p(\\tilde y_i \\mid x_i)` (self-confidence):

    - normalised margin: :math:`(s_i - \\max_{j \\ne \\tilde y_i} \\hat p_{ij} + 1)/2`;
    - confidence-weighted entropy: with :math:`r_i = H(\\hat p_i)/\\log K / \\max(s_i, 10^{-6})`,
      :math:`\\log(1 + r_i) / \\max(r_i, 10^{-6})`.

    These are the scores of cleanlab's ``rank.get_label_quality_scores``.

    References
    ----------
    Northcutt, Jiang & Chuang (2021), JAIR 70:1373-1411; Kuan & Mueller (2022), "Model-agnostic
    label quality scoring to detect real-world label errors", ICML DataPerf workshop.

    Examples
    --------
    >>> from assay.labels import label_quality_scores
    >>> label_quality_scores([0, 1], [[0.9, 0.1], [0.7, 0.3]], method="normalized_margin").round(2).tolist()
    [0.9, 0.3]
    """
    method = check_choice(method, "method", QUALITY_METHODS)
    d = _labels_iv(y_true, y_prob)
    return _quality(d.y, d.p, method)
