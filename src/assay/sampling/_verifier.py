"""Resampling against an imperfect verifier: accuracy, false positives and the best k.

"Resample until the verifier passes, at most k times" can only be as accurate as the verifier's
precision on each item: false positives put a ceiling on it that no k lifts (Stroebl, Kapoor and
Narayanan 2024, "Inference Scaling fLaws", arXiv:2411.17501).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError, Result
from assay._core._validation import check_array, check_confidence_level, check_probability
from assay.sampling._common import check_correct, check_ks, select_items
from assay.sampling._passk import _compute_pass_at_k
from assay.stats._proportion import proportion_ci

__all__ = ["VerifierResult", "verifier_resampling"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class VerifierResult(Result):
    """Outcomes of "resample until the verifier passes, at most k times", for each k.

    Attributes
    ----------
    k : tuple of int
    accuracy, ci_low, ci_high : ndarray
        Share of items answered correctly, and its t interval over items (clipped to [0, 1]).
    false_positive : ndarray
        Share of items answered with a wrong sample that the verifier passed.
    abstain : ndarray
        Share of items where no sample passed within k tries.
    utility : ndarray
        ``accuracy - cost_false_positive * false_positive - cost_abstain * abstain``.
    optimal_k : int
        The k (among those given) with the highest utility, the smallest on ties.
    optimal_utility : float
    ceiling : float
        The accuracy as k grows without bound: the mean over items of the verifier's precision
        (items where nothing ever passes count 0).
    false_positive_rate, fpr_ci_low, fpr_ci_high : float
        P(verifier passes | sample wrong), with a Wilson interval over wrong samples (the given
        rate and NaN bounds when a rate was given instead of verdicts).
    true_positive_rate, tpr_ci_low, tpr_ci_high : float
        P(verifier passes | sample correct).
    cost_false_positive, cost_abstain : float
    mode : str
        ``"verdicts"`` (estimated from verdicts, without replacement) or ``"rate"`` (a verifier
        with the given error rates, samples drawn with replacement).
    confidence_level : float
    method : str
    n : int
        Items used.
    n_omitted : int
    """

    k: tuple[int, ...]
    accuracy: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    false_positive: np.ndarray
    abstain: np.ndarray
    utility: np.ndarray
    optimal_k: int
    optimal_utility: float
    ceiling: float
    false_positive_rate: float
    fpr_ci_low: float
    fpr_ci_high: float
    true_positive_rate: float
    tpr_ci_low: float
    tpr_ci_high: float
    cost_false_positive: float
    cost_abstain: float
    mode: str
    confidence_level: float
    method: str
    n: int
    n_omitted: int = 0


def _cost(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"`{name}` must be a finite number >= 0; got {value!r}.")
    if value < 0:
        raise InputError(f"`{name}` must be >= 0 (a cost); got {value!r}.")
    return float(value)


def _t_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise t interval over items of each column of ``values`` (n_items, n_k)."""
    n = values.shape[0]
    se = values.std(axis=0, ddof=1) / math.sqrt(n)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * se
    mean = values.mean(axis=0)
    # per-item values are shares in [0, 1], so the mean is too: the interval is clipped there
    return np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)


def _from_verdicts(correct, verdicts, counts, ks):
    """Per-item (accuracy, false positive, abstain) columns from observed verdicts."""
    passed = np.nansum(verdicts, axis=1)
    passed_right = np.nansum(verdicts * correct, axis=1)
    n = counts.astype(np.int64)
    m = passed.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(m > 0, passed_right / np.maximum(m, 1), 0.0)
    any_pass = np.column_stack([_compute_pass_at_k(n, m, k) for k in ks])
    acc = precision[:, None] * any_pass
    fp = np.where(m > 0, 1.0 - precision, 0.0)[:, None] * any_pass
    return acc, fp, 1.0 - any_pass, precision


def _from_rate(correct, counts, ks, fpr, tpr):
    """Per-item columns for a verifier with the given error rates (draws with replacement)."""
    p = np.nansum(correct, axis=1) / counts
    q = p * tpr + (1 - p) * fpr  # P(a draw passes)
    kk = np.asarray(ks, dtype=np.float64)
    any_pass = 1.0 - (1.0 - q[:, None]) ** kk
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(q > 0, p * tpr / np.where(q > 0, q, 1.0), 0.0)
    acc = precision[:, None] * any_pass
    fp = np.where(q > 0, 1.0 - precision, 0.0)[:, None] * any_pass
    return acc, fp, 1.0 - any_pass, precision


def _verifier_iv(
    correct, verdicts, false_positive_rate, true_positive_rate, k, confidence_level, missing
):
    correct = check_correct(correct)
    level = check_confidence_level(confidence_level)
    if missing not in ("raise", "omit"):
        raise InputError(f"`missing` must be one of 'raise', 'omit'; got {missing!r}.")
    if (verdicts is None) == (false_positive_rate is None):
        raise InputError(
            "give either `verdicts` (the verifier's 0/1 verdict on each sample) or "
            "`false_positive_rate` (a verifier error rate), not both and not neither."
        )
    tpr = check_probability(true_positive_rate, "true_positive_rate")
    if verdicts is not None:
        v = check_array(verdicts, "verdicts", ndim=(1, 2), allow_nan=True, binary=True)
        v = v[:, None] if v.ndim == 1 else v
        if v.shape != correct.shape:
            raise InputError(
                f"`verdicts` must have the shape of `correct` {correct.shape}; got {v.shape}."
            )
        if np.any(np.isnan(v) != np.isnan(correct)):
            raise InputError("`verdicts` and `correct` disagree on which samples exist.")
        fpr = None
    else:
        v = None
        fpr = check_probability(false_positive_rate, "false_positive_rate")
        if fpr == 0 and tpr == 0:
            raise InputError(
                "a verifier that never passes (both rates 0) gives nothing to resample."
            )
    counts = np.sum(~np.isnan(correct), axis=1)
    if k is None:
        # 1 .. the fewest samples any item has (``min(initial=1)`` would cap the list at 1)
        present = counts[counts > 0]
        ks = tuple(range(1, int(present.min()) + 1 if present.size else 2))
    else:
        ks = check_ks(k)
    return correct, v, fpr, tpr, ks, level, counts


def verifier_resampling(
    correct: Any,
    verdicts: Any = None,
    *,
    false_positive_rate: float | None = None,
    true_positive_rate: float = 1.0,
    k: Any = None,
    cost_false_positive: float = 1.0,
    cost_abstain: float = 0.0,
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> VerifierResult:
    """Accuracy of "resample until the verifier passes" against k, and the best k.

    Parameters
    ----------
    correct : array_like, shape (n_items, n_samples)
        Ground truth: 0/1 per sample, NaN where missing.
    verdicts : array_like, shape (n_items, n_samples), optional
        The verifier's 0/1 verdict on each sample (1 = passes).
    false_positive_rate : float, optional
        Instead of verdicts: P(pass | wrong) of a hypothetical verifier.
    true_positive_rate : float, default 1.0
        P(pass | correct) of that verifier (used with ``false_positive_rate``; with verdicts it
        is estimated).
    k : int or sequence of int, optional
        Attempt budgets; default 1 .. the fewest samples per item.
    cost_false_positive : float, default 1.0
        Cost of returning a wrong answer that passed the verifier (a correct answer earns 1).
    cost_abstain : float, default 0.0
        Cost of returning nothing when no sample passed within k tries.
    confidence_level : float, default 0.95
    missing : {"raise", "omit"}, default "raise"
        Items with fewer samples than the largest k (verdicts mode).

    Returns
    -------
    VerifierResult

    Notes
    -----
    With verdicts, an item with n samples of which m pass and t pass and are correct is
    resampled without replacement in random order; the first passing sample is uniformly one of
    the m, so :math:`P(\\text{correct}) = (t/m)\\,[1 - \\binom{n-m}{k}/\\binom{n}{k}]`, unbiased for
    the with-replacement value :math:`(r/q)(1-(1-q)^k)` (q: pass rate, r: correct-and-pass rate)
    as :math:`t \\mid m` is binomial. With a rate, :math:`q = p\\,TPR + (1-p) FPR` and
    :math:`r = p\\,TPR` from the item's share of correct samples p. The accuracy rises to the
    ceiling :math:`E[r/q]` and the false positives to :math:`E[1 - r/q]`; when a false positive
    costs more than an abstention the utility can peak at a small k (Stroebl et al. 2024, sec. 4).

    Examples
    --------
    >>> from assay.sampling import verifier_resampling
    >>> correct = [[1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]]
    >>> verdicts = [[1, 1, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]]
    >>> res = verifier_resampling(correct, verdicts, k=[1, 4], cost_false_positive=2.0)
    >>> res.accuracy.round(3).tolist(), res.ceiling
    ([0.25, 0.5], 0.5)
    """
    cost_fp = _cost(cost_false_positive, "cost_false_positive")
    cost_ab = _cost(cost_abstain, "cost_abstain")
    correct, v, fpr, tpr, ks, level, counts = _verifier_iv(
        correct, verdicts, false_positive_rate, true_positive_rate, k, confidence_level, missing
    )
    if v is not None:
        keep = select_items(counts, ks[-1], missing, "resampling with verdicts")
    else:
        keep = counts > 0
    correct, counts = correct[keep], counts[keep]
    if correct.shape[0] < 2:
        raise InputError(f"an interval over items needs at least 2 items; got {correct.shape[0]}.")
    if v is not None:
        v = v[keep]
        acc, fp, ab, precision = _from_verdicts(
            np.nan_to_num(correct), np.nan_to_num(v), counts, ks
        )
        wrong, right = correct == 0, correct == 1
        f = proportion_ci(int(np.sum(v[wrong])), max(int(wrong.sum()), 1), confidence_level=level)
        t = proportion_ci(int(np.sum(v[right])), max(int(right.sum()), 1), confidence_level=level)
        rates = (f.estimate, f.ci_low, f.ci_high, t.estimate, t.ci_low, t.ci_high)
        mode = "verdicts"
    else:
        acc, fp, ab, precision = _from_rate(correct, counts, ks, fpr, tpr)
        rates = (fpr, math.nan, math.nan, tpr, math.nan, math.nan)
        mode = "rate"
    lo, hi = _t_interval(acc, level)
    utility = acc.mean(0) - cost_fp * fp.mean(0) - cost_ab * ab.mean(0)
    best = int(np.argmax(utility))
    return VerifierResult(
        k=ks,
        accuracy=acc.mean(0),
        ci_low=lo,
        ci_high=hi,
        false_positive=fp.mean(0),
        abstain=ab.mean(0),
        utility=utility,
        optimal_k=ks[best],
        optimal_utility=float(utility[best]),
        ceiling=float(precision.mean()),
        false_positive_rate=rates[0],
        fpr_ci_low=rates[1],
        fpr_ci_high=rates[2],
        true_positive_rate=rates[3],
        tpr_ci_low=rates[4],
        tpr_ci_high=rates[5],
        cost_false_positive=cost_fp,
        cost_abstain=cost_ab,
        mode=mode,
        confidence_level=level,
        method="t over items" + (", Wilson for the rates" if mode == "verdicts" else ""),
        n=int(correct.shape[0]),
        n_omitted=int((~keep).sum()),
    )
