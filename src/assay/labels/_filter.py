"""Confident learning, stage 3: which examples to flag, and in what order."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_choice, check_positive_int
from assay.labels._count import (
    _EPS,
    NoiseResult,
    _calibrate,
    _confident_counts,
    _Labels,
    _labels_iv,
    _noise_from,
    _round_rows,
    _row_argmax,
    _thresholds,
)
from assay.labels._rank import QUALITY_METHODS, _quality_of

__all__ = ["FILTER_METHODS", "LabelIssuesResult", "find_label_issues"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class LabelIssuesResult(Result):
    """Examples whose given label confident learning flags as wrong.

    Attributes
    ----------
    is_issue : ndarray of bool, shape (n_examples,)
        The flags (the mask cleanlab's ``find_label_issues`` returns with the same settings).
    ranked : ndarray of int
        Indices of the flagged examples, most suspect first (lowest ``label_quality``; ties in
        numpy's default sort order, as cleanlab).
    label_quality : ndarray, shape (n_examples,)
        The ``rank_by`` score of every example.
    suggested_label : ndarray of int, shape (n_issues,)
        The most probable class of each flagged example, in the order of ``ranked``.
    noise : NoiseResult
        Confident joint, noise matrices and estimated noise rate.
    n_issues, n : int
        Flagged examples and all examples.
    filter_by, rank_by : str
    method : str
    """

    is_issue: np.ndarray
    ranked: np.ndarray
    label_quality: np.ndarray
    suggested_label: np.ndarray
    noise: NoiseResult
    n_issues: int
    n: int
    filter_by: str
    rank_by: str
    method: str = "confident-learning"

    _array_fields = ("is_issue", "ranked", "label_quality", "suggested_label")


# --------------------------------------------------------------------------------------------
# Selection with cleanlab's tie rule, in O(n) per class
# --------------------------------------------------------------------------------------------


def _lowest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest values, as ``np.argsort(values)[:count]`` picks them.

    The boundary value is found in linear time (see :func:`_boundary_candidates`); only when it is
    tied and the ties do not all fit is the full (default-kind) sort run, so that the same examples
    win.
    """
    return _select(values, count, largest=False)


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest values, as ``np.argsort(-values)[:count]`` picks them."""
    return _select(values, count, largest=True)


#: Selections of at most a quarter of 1,024 or more values first bound the boundary on every
#: _SPARSE-th value.
_SPARSE = 16


def _select(values: np.ndarray, count: int, *, largest: bool) -> np.ndarray:
    """The ``count`` largest or smallest values' positions, with the tie rule of numpy's argsort."""
    n = values.size
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= n:
        return np.arange(n)
    picked = _boundary_candidates(values, count, largest=largest)
    if picked is not None:
        return picked
    if largest:
        picked = values >= np.partition(values, n - count)[n - count]
    else:
        picked = values <= np.partition(values, count - 1)[count - 1]
    if np.count_nonzero(picked) == count:  # no tie across the boundary
        return np.flatnonzero(picked)
    return np.argsort(-values if largest else values)[:count]


def _boundary_candidates(values: np.ndarray, count: int, *, largest: bool) -> np.ndarray | None:
    """The selection from a superset found on a sample, or None when the sample gives no bound.

    The ``r``-th most extreme of every ``_SPARSE``-th value, with ``r`` a few standard deviations
    beyond ``count / _SPARSE``, is a cut that at least ``count`` values usually pass; when they do,
    the ``count``-th most extreme of those that pass is the boundary over all values (every value
    beyond the boundary passes), found without a partition of the whole array.
    """
    n = values.size
    if n < 64 * _SPARSE or count * 4 > n:
        return None
    sample = values[::_SPARSE]
    r = min(sample.size, int(count / _SPARSE + 4 * np.sqrt(count / _SPARSE) + 8))
    if largest:
        cut = np.partition(sample, sample.size - r)[sample.size - r]
        passed = np.flatnonzero(values >= cut)
    else:
        cut = np.partition(sample, r - 1)[r - 1]
        passed = np.flatnonzero(values <= cut)
    if passed.size < count:
        return None
    kept = values[passed]
    if largest:
        picked = kept >= np.partition(kept, kept.size - count)[kept.size - count]
    else:
        picked = kept <= np.partition(kept, count - 1)[count - 1]
    if np.count_nonzero(picked) != count:
        return None  # tied boundary: the caller's full sort decides
    return passed[picked]


#: Rows gathered at a time when a class's margins are transposed (a tile stays in the L2 cache).
_TILE = 4096


def _margins(p: np.ndarray, rows: np.ndarray, k: int, targets: np.ndarray) -> list[np.ndarray]:
    """For each class j in ``targets``, ``p[rows, j] - p[rows, k]`` (cleanlab's margins, bit for bit).

    Rows are gathered and transposed a tile at a time, so that each margin is contiguous for the
    selections without a strided pass over the whole class. With few targets among many classes
    only their columns are computed (memory: one float per target and row).
    """
    dense = targets.size * 2 > p.shape[1]
    out = np.empty((p.shape[1] if dense else targets.size, rows.size), dtype=p.dtype)
    for s in range(0, rows.size, _TILE):
        tile = p.take(rows[s : s + _TILE], axis=0)
        np.subtract(tile.T if dense else tile[:, targets].T, tile[:, k], out=out[:, s : s + _TILE])
    return [out[j] for j in targets] if dense else list(out)


def _reduce(d: _Labels, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cleanlab's reduce step for rows ``idx``: whether the given label is the arg-max once it gets
    a 1e-6 head start, and each row's arg-max (one gather of the rows serves both).

    The head-started label wins exactly when it exceeds the row maximum, or equals it and comes
    first (``argmax`` returns the first maximum).
    """
    best, top = _row_argmax(d.p.take(idx, axis=0))
    return _agrees(d, idx, top, best), best


def _agrees(d: _Labels, idx: np.ndarray, top: np.ndarray, best: np.ndarray) -> np.ndarray:
    """The reduce step from each row's maximum ``top`` and its (first) position ``best``."""
    y = d.y[idx]
    head = d.self_confidence[idx] + d.p.dtype.type(_EPS)
    return (best == y) | (head > top) | ((head == top) & (y < best))


def _prune(
    d: _Labels,
    prune: np.ndarray,
    min_per_class: int,
    best: np.ndarray,
    *,
    by_class: bool,
    by_noise: bool,
) -> np.ndarray:
    """Flags of the pruning filters after cleanlab's reduce step, class by class.

    By class: for each label k, the ``n_k - prune[k, k]`` examples with the smallest p_k.
    By noise rate: for labels k and classes j != k, the ``prune[j, k]`` examples with the largest
    margin p_j - p_k. With both, an example must be flagged by each. The arg-max of every row
    that the reduce step looks at is written to ``best``.
    """
    mask = np.zeros(d.y.size, dtype=bool)
    sc, bounds = d.self_confidence_by_label, d.bounds
    for k, rows in enumerate(d.rows):
        if rows.size <= min_per_class or rows.size <= 1:
            continue
        targets = np.flatnonzero(prune[:, k] > 0)
        targets = targets[targets != k]
        if by_noise and targets.size == 0:
            continue  # nothing to prune by noise rate, so nothing flagged (by itself or with both)
        flagged = np.zeros(rows.size, dtype=bool)
        if by_class:
            flagged[_lowest(sc[bounds[k] : bounds[k + 1]], int(rows.size - prune[k, k]))] = True
        if by_noise:
            noisy = np.zeros(rows.size, dtype=bool)
            for j, margin in zip(targets, _margins(d.p, rows, k, targets), strict=True):
                noisy[_largest(margin, int(prune[j, k]))] = True
            flagged = flagged & noisy if by_class else noisy
        idx = rows[flagged]
        agrees, best[idx] = _reduce(d, idx)
        mask[idx[~agrees]] = True
    return mask


# --------------------------------------------------------------------------------------------
# The prune-count matrix (cleanlab's _keep_at_least_n_per_class and frac_noise)
# --------------------------------------------------------------------------------------------


def _prune_counts(joint: np.ndarray, min_per_class: int, frac_noise: float) -> np.ndarray:
    pcm = joint.T
    diagonal = np.diagonal(pcm)
    new_diagonal = np.maximum(diagonal, min_per_class)
    per_col = np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)
    new = pcm - (new_diagonal - diagonal) / per_col
    new[new < 0] = 0
    np.fill_diagonal(new, new_diagonal)
    reduced = new * frac_noise
    np.fill_diagonal(reduced, new.diagonal())
    np.fill_diagonal(reduced, new.diagonal() + np.sum(new - reduced, axis=0))
    return _round_rows(reduced.astype(int)).astype(int)


def _per_class_targets(pcm: np.ndarray, counts: np.ndarray, remove: np.ndarray) -> np.ndarray:
    """Spread ``remove[k]`` removals of label k over the noise rates (cleanlab's rule)."""
    psy = pcm / np.sum(pcm, axis=1)
    noise_per_s = psy.sum(axis=1) - psy.diagonal()
    tmp = (psy.T * remove / noise_per_s).T
    np.fill_diagonal(tmp, counts - remove)
    return _round_rows(tmp)


# --------------------------------------------------------------------------------------------
# Filters (dispatch table)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _State:
    d: _Labels
    joint: np.ndarray  # calibrated confident joint
    off_diagonal: np.ndarray  # indices counted off the diagonal of the confident joint
    prune: np.ndarray | None
    best: np.ndarray | None = None  # (n,) arg-max of each row, valid at the flagged rows


def _pruning(*, by_class: bool, by_noise: bool) -> Callable[[_State, int], np.ndarray]:
    def run(s: _State, min_per_class: int) -> np.ndarray:
        s.best = np.empty(s.d.y.size, dtype=np.intp)
        return _prune(s.d, s.prune, min_per_class, s.best, by_class=by_class, by_noise=by_noise)

    return run


def _f_confident_learning(s: _State, min_per_class: int) -> np.ndarray:
    idx = s.off_diagonal
    agrees, best = _reduce(s.d, idx)
    s.best = np.empty(s.d.y.size, dtype=np.intp)
    s.best[idx] = best
    mask = np.zeros(s.d.y.size, dtype=bool)
    mask[idx[~agrees]] = True
    return mask


def _f_predicted_neq_given(s: _State, min_per_class: int) -> np.ndarray:
    s.best, top = _row_argmax(s.d.p)
    idx = np.flatnonzero(s.best != s.d.y)
    mask = np.zeros(s.d.y.size, dtype=bool)
    mask[idx[~_agrees(s.d, idx, top[idx], s.best[idx])]] = True
    return mask


def _n_off_diagonal_issues(s: _State) -> int:
    agrees, _ = _reduce(s.d, s.off_diagonal)
    return int(agrees.size - np.count_nonzero(agrees))


def _low_score(method: str) -> Callable[[_State, int], np.ndarray]:
    def run(s: _State, min_per_class: int) -> np.ndarray:
        mask = np.zeros(s.d.y.size, dtype=bool)
        mask[_lowest(_quality_of(s.d, method), _n_off_diagonal_issues(s))] = True
        return mask

    return run


_FILTERS: dict[str, Callable[[_State, int], np.ndarray]] = {
    "prune_by_noise_rate": _pruning(by_class=False, by_noise=True),
    "prune_by_class": _pruning(by_class=True, by_noise=False),
    "both": _pruning(by_class=True, by_noise=True),
    "confident_learning": _f_confident_learning,
    "predicted_neq_given": _f_predicted_neq_given,
    "low_normalized_margin": _low_score("normalized_margin"),
    "low_self_confidence": _low_score("self_confidence"),
}
FILTER_METHODS: tuple[str, ...] = tuple(_FILTERS)
"""The ``filter_by`` choices (cleanlab's names)."""
_PRUNING = ("prune_by_noise_rate", "prune_by_class", "both")


def _options_iv(filter_by, rank_by, frac_noise, num_to_remove_per_class, min_examples_per_class, k):
    check_choice(filter_by, "filter_by", FILTER_METHODS)
    check_choice(rank_by, "rank_by", QUALITY_METHODS)
    if (
        isinstance(frac_noise, bool)
        or not isinstance(frac_noise, numbers.Real)
        or not 0 < frac_noise <= 1
    ):
        raise InputError(f"`frac_noise` must be a number in (0, 1]; got {frac_noise!r}.")
    if frac_noise != 1 and filter_by not in _PRUNING:
        raise InputError(
            f"`frac_noise` applies to filter_by in {_PRUNING}; got filter_by={filter_by!r}."
        )
    min_examples_per_class = check_positive_int(
        min_examples_per_class, "min_examples_per_class", minimum=0
    )
    if num_to_remove_per_class is None:
        return None, min_examples_per_class
    if filter_by not in _PRUNING:
        raise InputError(
            f"`num_to_remove_per_class` applies to filter_by in {_PRUNING}; got filter_by={filter_by!r}."
        )
    remove = np.asarray(num_to_remove_per_class)
    if remove.shape != (k,) or remove.dtype.kind not in "iu" or (remove < 0).any():
        raise InputError(
            f"`num_to_remove_per_class` must be {k} non-negative integers; got {num_to_remove_per_class!r}."
        )
    return remove.astype(np.int64), min_examples_per_class


def find_label_issues(
    y_true: Any,
    y_prob: Any,
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    num_to_remove_per_class: Any = None,
    min_examples_per_class: int = 1,
) -> LabelIssuesResult:
    """Flag the examples whose given label is probably wrong, by confident learning.

    Parameters
    ----------
    y_true : array_like of int, shape (n_examples,)
        Given (possibly noisy) labels, 0..n_classes-1.
    y_prob : array_like, shape (n_examples, n_classes)
        Out-of-sample predicted probabilities (cross-validated, or from models that did not see
        the labels). float32 input is kept float32, as cleanlab does.
    filter_by : str, default 'prune_by_noise_rate'
        ``'prune_by_noise_rate'``: for each off-diagonal cell (k, j) of the calibrated confident
        joint, the ``C[k, j]`` examples labelled k with the largest margin :math:`p_j - p_k`;
        ``'prune_by_class'``: for each label k, the :math:`n_k - C[k, k]` examples with the smallest
        :math:`p_k`; ``'both'``: flagged by both; ``'confident_learning'``: the off-diagonal
        examples of the confident joint; ``'predicted_neq_given'``: argmax differs from the label;
        ``'low_normalized_margin'`` / ``'low_self_confidence'``: the lowest scores, as many as the
        confident joint has off-diagonal examples.
    rank_by : {'self_confidence', 'normalized_margin', 'confidence_weighted_entropy'}
        Order of ``ranked`` (see :func:`label_quality_scores`).
    frac_noise : float in (0, 1], default 1.0
        Flag only this fraction of each off-diagonal count (pruning filters only).
    num_to_remove_per_class : array_like of int, shape (n_classes,), optional
        Flag this many examples per given label (pruning filters only).
    min_examples_per_class : int, default 1
        Leave at least this many examples of each label unflagged.

    Returns
    -------
    LabelIssuesResult

    Notes
    -----
    Every filter except the two ``low_*`` ones then unflags examples whose given label is the
    argmax after adding 1e-6 to its probability. The flags equal those of
    ``cleanlab.filter.find_label_issues`` (2.x) with the same settings, ties included: selections
    run a linear-time partition per class and fall back to cleanlab's full sort only when the
    boundary value is tied.

    References
    ----------
    Northcutt, Jiang & Chuang (2021), "Confident Learning: Estimating Uncertainty in Dataset
    Labels", JAIR 70:1373-1411, section 3.2 (the pruning methods).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.labels import find_label_issues
    >>> y_prob = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7], [0.95, 0.05], [0.1, 0.9]])
    >>> res = find_label_issues([0, 0, 1, 1, 1, 1], y_prob)
    >>> res.ranked.tolist(), res.n_issues
    ([4], 1)
    """
    d = _labels_iv(y_true, y_prob)
    remove, min_per_class = _options_iv(
        filter_by, rank_by, frac_noise, num_to_remove_per_class, min_examples_per_class, d.n_classes
    )
    thresholds = _thresholds(d)
    raw, off_diagonal = _confident_counts(d, thresholds)
    joint = _calibrate(raw, d.counts)
    prune = None
    if filter_by in _PRUNING:
        prune = _prune_counts(joint, min_per_class, frac_noise)
        if remove is not None:
            prune = _per_class_targets(prune, d.counts, remove)
    state = _State(d, joint, off_diagonal, prune)
    mask = _FILTERS[filter_by](state, min_per_class)  # after the reduce step where it applies
    quality = _quality_of(d, rank_by)
    flagged = np.flatnonzero(mask)
    ranked = flagged[np.argsort(quality.take(flagged))]
    return LabelIssuesResult(
        is_issue=mask, ranked=ranked, label_quality=quality,
        suggested_label=d.p[ranked].argmax(axis=1) if state.best is None else state.best[ranked],
        noise=_noise_from(d, thresholds, joint),
        n_issues=int(flagged.size), n=int(d.y.size), filter_by=filter_by, rank_by=rank_by,
    )  # fmt: skip
