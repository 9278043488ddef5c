"""maj@k (majority vote over k samples) and best-of-k under a verifier, per item and over items."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError
from assay._core._validation import check_array, check_positive_int, check_rng
from assay.sampling._common import check_correct, check_options, item_interval, select_items
from assay.stats._results import EstimateResult

__all__ = ["VoteResult", "best_of_k", "maj_at_k"]

#: Enumerate every k-subset of an item's samples when there are at most this many.
_MAX_EXACT_SUBSETS = 4096


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoteResult(EstimateResult):
    """maj@k or best-of-k averaged over items, with an interval over items.

    Attributes
    ----------
    k : int
    metric : str
        ``"maj@k"`` or ``"best-of-k"``.
    exact : bool
        Whether every item's value is exact (all subsets enumerated, or the closed form of
        best-of-k); otherwise maj@k is a Monte Carlo average over ``n_draws`` subsets.
    n_draws : int or None
    n_omitted : int
        Items left out for having fewer than ``k`` samples.
    per_item : ndarray
        Per-item expected score; kept off ``to_dict()``.
    """

    _array_fields = ("per_item",)

    k: int
    metric: str
    exact: bool
    n_draws: int | None = None
    n_omitted: int = 0
    per_item: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)


# --------------------------------------------------------------------------------------------
# maj@k
# --------------------------------------------------------------------------------------------


def _answer_codes(answers: Any, shape: tuple[int, int]) -> np.ndarray:
    """Integer codes of answers, -1 where missing (None, NaN or empty string)."""
    arr = np.asarray(answers, dtype=object)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape != shape:
        raise InputError(f"`answers` must have the shape of `correct` {shape}; got {arr.shape}.")
    flat = arr.ravel()
    missing = np.array(
        [v is None or (isinstance(v, float) and math.isnan(v)) or v == "" for v in flat], dtype=bool
    )
    codes = np.full(flat.size, -1, dtype=np.int64)
    if (~missing).any():
        labels = np.array([str(v) for v in flat[~missing]], dtype=object)
        _, inv = np.unique(labels, return_inverse=True)
        codes[~missing] = inv.reshape(-1)
    return codes.reshape(shape)


def _majority_credit(sel: np.ndarray, sel_correct: np.ndarray) -> np.ndarray:
    """Expected correctness of the majority answer of each row, ties broken uniformly.

    ``sel`` (rows, k) holds local answer codes 0..m-1 and ``sel_correct`` their 0/1 scores.
    """
    m = int(sel.max()) + 1
    onehot = sel[..., None] == np.arange(m)  # (rows, k, m)
    votes = onehot.sum(axis=1)
    right = (onehot * sel_correct[..., None]).sum(axis=1) / np.maximum(votes, 1)  # answer's score
    top = votes == votes.max(axis=1, keepdims=True)
    return (top * right).sum(axis=1) / top.sum(axis=1)


def _subsets(n: int, k: int, n_draws: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """All k-subsets of range(n) when few, else ``n_draws`` random ones; (subsets, exact)."""
    if special.comb(n, k, exact=True) <= _MAX_EXACT_SUBSETS:
        import itertools

        return np.array(list(itertools.combinations(range(n), k)), dtype=np.int64), True
    keys = rng.random((n_draws, n))
    return np.argsort(keys, axis=1)[:, :k], False


def _maj_group(codes, correct, k, n_draws, rng) -> tuple[np.ndarray, bool]:
    """maj@k of items that all have the same number of samples (compacted to the front)."""
    subsets, exact = _subsets(codes.shape[1], k, n_draws, rng)
    # local codes 0..m-1 per item, so the one-hot is at most n_samples wide
    order = np.argsort(codes, axis=1, kind="stable")
    sorted_codes = np.take_along_axis(codes, order, axis=1)
    new = np.concatenate(
        [np.ones((codes.shape[0], 1), bool), np.diff(sorted_codes, axis=1) != 0], 1
    )
    local = np.empty_like(codes)
    np.put_along_axis(local, order, np.cumsum(new, axis=1) - 1, axis=1)
    total = np.zeros(codes.shape[0])
    chunk = max(1, 2_000_000 // max(1, codes.shape[0] * k * codes.shape[1]))
    for start in range(0, len(subsets), chunk):
        block = subsets[start : start + chunk]  # (s, k)
        sel = local[:, block].reshape(-1, k)
        sel_c = correct[:, block].reshape(-1, k)
        total += _majority_credit(sel, sel_c).reshape(codes.shape[0], -1).sum(axis=1)
    return total / len(subsets), exact


def _vote_result(values, k, metric, keep, method, level, n_resamples, rng, *, exact, n_draws=None):
    """The per-item values of maj@k or best-of-k, averaged with an interval over items."""
    est, lo, hi, se = item_interval(
        values, method=method, confidence_level=level, n_resamples=n_resamples, rng=rng
    )
    return VoteResult(
        estimate=est, ci_low=lo, ci_high=hi, confidence_level=level, method=method,
        n=int(values.size), se=se, k=k, metric=metric, exact=exact, n_draws=n_draws,
        n_omitted=int((~keep).sum()), per_item=values,
    )  # fmt: skip


def maj_at_k(
    answers: Any,
    correct: Any,
    k: int,
    *,
    n_draws: int = 2000,
    method: str = "t",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    missing: str = "raise",
    rng: Any = None,
) -> VoteResult:
    """maj@k: the chance that the most frequent answer among k samples is correct.

    Parameters
    ----------
    answers : array_like of str, shape (n_items, n_samples)
        The extracted answer of each sample (None where missing); identical strings vote
        together.
    correct : array_like, shape (n_items, n_samples)
        0/1 score of each sample, NaN where missing.
    k : int
    n_draws : int, default 2000
        Random k-subsets per item when there are more than 4,096 subsets (otherwise every
        subset is enumerated and the value is exact).
    method, confidence_level, n_resamples, missing, rng
        As in :func:`assay.sampling.pass_at_k`.

    Returns
    -------
    VoteResult

    Notes
    -----
    Per item, the expectation over the :math:`\\binom{n}{k}` equally likely subsets of k of its n
    samples of the score of the plurality answer; a tie among the top answers counts the share
    of tied answers that are correct (a uniform random tie-break, in expectation). With k = n it
    is the majority vote over all samples (self-consistency, Wang et al. 2023, ICLR).

    Examples
    --------
    >>> from assay.sampling import maj_at_k
    >>> answers = [["4", "4", "5"], ["7", "8", "8"]]
    >>> correct = [[1, 1, 0], [1, 0, 0]]
    >>> maj_at_k(answers, correct, 3).per_item.tolist()
    [1.0, 0.0]
    """
    correct = check_correct(correct)
    k = check_positive_int(k, "k")
    n_draws = check_positive_int(n_draws, "n_draws")
    level, method, missing = check_options(confidence_level, method, missing)
    rng = check_rng(rng)
    codes = _answer_codes(answers, correct.shape)
    bad = (codes < 0) != np.isnan(correct)
    if bad.any():
        raise InputError(
            f"`answers` and `correct` disagree on which samples exist at {int(bad.sum())} "
            "place(s); "
            "give an answer exactly where a score is given."
        )
    counts = np.sum(codes >= 0, axis=1)
    keep = select_items(counts, k, missing, "maj@k")
    codes, correct, counts = codes[keep], np.nan_to_num(correct[keep]), counts[keep]
    order = np.argsort(codes < 0, axis=1, kind="stable")
    codes = np.take_along_axis(codes, order, axis=1)
    correct = np.take_along_axis(correct, order, axis=1)
    values = np.empty(codes.shape[0])
    exact_all = True
    for n_i in np.unique(counts):
        rows = counts == n_i
        values[rows], exact = _maj_group(codes[rows, :n_i], correct[rows, :n_i], k, n_draws, rng)
        exact_all &= exact
    return _vote_result(
        values, k, "maj@k", keep, method, level, n_resamples, rng,
        exact=exact_all, n_draws=None if exact_all else n_draws,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# best-of-k under a verifier
# --------------------------------------------------------------------------------------------


def _tie_mean(scores: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Replace each sample's correctness by the mean over samples with the same verifier score."""
    out = correct.copy()
    srt = np.sort(scores, axis=1)
    tied = np.flatnonzero(np.any(np.diff(srt, axis=1) == 0, axis=1))
    for i in tied:  # only the items with tied verifier scores
        _, inv, cnt = np.unique(scores[i], return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=correct[i])
        out[i] = (sums / cnt)[inv]
    return out


def _best_group(scores: np.ndarray, correct: np.ndarray, k: int) -> np.ndarray:
    """Exact best-of-k for items with the same n: sum_r C(n-1-r, k-1)/C(n, k) * correct_(r)."""
    n = scores.shape[1]
    order = np.argsort(-scores, axis=1, kind="stable")
    c_sorted = np.take_along_axis(_tie_mean(scores, correct), order, axis=1)
    r = np.arange(n)
    weights = np.array([special.comb(n - 1 - j, k - 1, exact=True) for j in r], dtype=np.float64)
    weights /= float(special.comb(n, k, exact=True))
    return c_sorted @ weights


def best_of_k(
    verifier_scores: Any,
    correct: Any,
    k: int,
    *,
    method: str = "t",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    missing: str = "raise",
    rng: Any = None,
) -> VoteResult:
    """Best-of-k: the score of the sample a verifier ranks highest among k samples.

    Parameters
    ----------
    verifier_scores : array_like, shape (n_items, n_samples)
        The verifier's (reward model's) score of each sample; higher is preferred. NaN where
        the sample is missing.
    correct : array_like, shape (n_items, n_samples)
        0/1 score of each sample (ground truth), NaN where missing.
    k : int
    method, confidence_level, n_resamples, missing, rng
        As in :func:`assay.sampling.pass_at_k`.

    Returns
    -------
    VoteResult

    Notes
    -----
    Sort an item's n samples by verifier score, best first. In a uniformly random k-subset the
    top-ranked sample is the one of rank r (0-based) with probability
    :math:`\\binom{n-1-r}{k-1} / \\binom{n}{k}`, so the exact expectation is
    :math:`\\sum_r \\binom{n-1-r}{k-1} c_{(r)} / \\binom{n}{k}`. Samples with tied verifier scores
    share their mean correctness (a random tie-break, in expectation). With a perfect verifier
    this equals pass@k; with a useless one, pass@1.

    Examples
    --------
    >>> from assay.sampling import best_of_k
    >>> scores = [[0.9, 0.2, 0.5, 0.1], [0.3, 0.8, 0.1, 0.2]]
    >>> best_of_k(scores, [[0, 1, 0, 0], [0, 1, 0, 0]], 4).per_item.tolist()
    [0.0, 1.0]
    """
    correct = check_correct(correct)
    k = check_positive_int(k, "k")
    level, method, missing = check_options(confidence_level, method, missing)
    scores = check_array(verifier_scores, "verifier_scores", ndim=(1, 2), allow_nan=True)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.shape != correct.shape:
        raise InputError(
            f"`verifier_scores` must have the shape of `correct` {correct.shape}; "
            f"got {scores.shape}."
        )
    bad = np.isnan(scores) != np.isnan(correct)
    if bad.any():
        raise InputError(
            f"`verifier_scores` and `correct` disagree on which samples exist at {int(bad.sum())} "
            "place(s)."
        )
    counts = np.sum(~np.isnan(correct), axis=1)
    keep = select_items(counts, k, missing, "best-of-k")
    scores, correct, counts = scores[keep], correct[keep], counts[keep]
    order = np.argsort(np.isnan(correct), axis=1, kind="stable")
    scores = np.take_along_axis(scores, order, axis=1)
    correct = np.take_along_axis(correct, order, axis=1)
    values = np.empty(scores.shape[0])
    for n_i in np.unique(counts):
        rows = counts == n_i
        values[rows] = _best_group(scores[rows, :n_i], correct[rows, :n_i], k)
    return _vote_result(values, k, "best-of-k", keep, method, level, n_resamples, rng, exact=True)
