"""Consistency across runs (or samples) and the samples per item needed for a target SE."""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import Any

import numpy as np

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int, check_rng
from assay.sampling._common import check_correct
from assay.stats._agreement import fleiss_kappa
from assay.stats._bootstrap import _bootstrap_means
from assay.stats._repeated import repeated_samples

__all__ = ["ConsistencyResult", "SamplesNeededResult", "consistency", "samples_needed"]


# --------------------------------------------------------------------------------------------
# Consistency
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConsistencyResult(Result):
    """How much the same model agrees with itself across runs.

    Attributes
    ----------
    n, n_runs : int
        Items and runs (columns).
    agreement : float
        Mean over items of the share of run pairs with the same outcome (right/wrong).
    fleiss_kappa, kappa_ci_low, kappa_ci_high : float
        Fleiss' kappa with runs as raters of right/wrong, and its item-bootstrap interval.
    run_accuracy : ndarray, shape (n_runs,)
        Accuracy of each run.
    accuracy_mean, accuracy_sd, accuracy_range : float
        Mean, standard deviation (ddof=1) and max - min of the runs' accuracies.
    cv, cv_ci_low, cv_ci_high : float
        Coefficient of variation ``accuracy_sd / accuracy_mean`` across runs, and its
        item-bootstrap interval.
    n_always_right, n_always_wrong, n_mixed : int
        Items right in every run, wrong in every run, and in between.
    n_consistent_failures : int or None
        Items wrong in every run with the same answer every run (needs ``predictions``).
    consistent_failure_share : float or None
        ``n_consistent_failures / n_ever_wrong``: of the items the model ever fails, the share it
        fails the same way every time.
    confidence_level : float
    n_resamples : int
    per_item_agreement : ndarray, shape (n,)
        Kept off ``to_dict()``.
    """

    _array_fields = ("per_item_agreement",)

    n: int
    n_runs: int
    agreement: float
    fleiss_kappa: float
    kappa_ci_low: float
    kappa_ci_high: float
    run_accuracy: np.ndarray
    accuracy_mean: float
    accuracy_sd: float
    accuracy_range: float
    cv: float
    cv_ci_low: float
    cv_ci_high: float
    n_always_right: int
    n_always_wrong: int
    n_mixed: int
    n_consistent_failures: int | None
    consistent_failure_share: float | None
    confidence_level: float
    n_resamples: int
    per_item_agreement: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0), repr=False
    )


def _same_answer(predictions: Any, shape: tuple[int, int]) -> np.ndarray:
    arr = np.asarray(predictions, dtype=object)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape != shape:
        raise InputError(
            f"`predictions` must have the shape of `correct` {shape}; got {arr.shape}."
        )
    first = arr[:, :1]
    return np.all(arr == first, axis=1) & np.array([v is not None for v in arr[:, 0]], dtype=bool)


def _percentile(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def consistency(
    correct: Any,
    *,
    predictions: Any = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: Any = None,
) -> ConsistencyResult:
    """Agreement of a model with itself across runs: per item, Fleiss' kappa, CV, failures.

    Parameters
    ----------
    correct : array_like, shape (n_items, n_runs)
        0/1 outcome of each item in each run (or sample); no missing values.
    predictions : array_like of str, shape (n_items, n_runs), optional
        The answer given in each run, to count consistent failures.
    confidence_level : float, default 0.95
    n_resamples : int, default 2000
        Item-bootstrap resamples for the intervals of kappa and CV.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ConsistencyResult

    Notes
    -----
    With r runs and :math:`s_i` correct runs of item i, the item's agreement is
    :math:`P_i = [s_i(s_i-1) + (r-s_i)(r-s_i-1)] / (r(r-1))`. Fleiss' kappa (Fleiss 1971) is
    :math:`(\\bar P - P_e)/(1 - P_e)` with :math:`P_e = \\bar p^2 + (1-\\bar p)^2`,
    :math:`\\bar p` the overall share correct. The CV of accuracy across runs is the run-to-run
    spread a single run hides. Kappa and its item-bootstrap interval come from
    :func:`assay.stats._agreement.fleiss_kappa`; the CV's interval resamples items (all runs
    together) with :mod:`assay.stats._bootstrap`. A consistent failure is an item wrong in every
    run with the same answer every run: a systematic error rather than bad luck (as in the
    SWE-bench consistency analyses of repeated agent runs).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.sampling import consistency
    >>> correct = np.array([[1, 1, 1], [0, 0, 0], [1, 0, 1], [0, 0, 0]])
    >>> preds = [["a", "a", "a"], ["b", "b", "b"], ["c", "d", "c"], ["e", "f", "e"]]
    >>> res = consistency(correct, predictions=preds, rng=0)
    >>> res.n_always_wrong, res.n_consistent_failures, round(res.agreement, 3)
    (2, 1, 0.833)
    """
    x = check_correct(correct)
    if np.isnan(x).any():
        raise InputError(
            f"`correct` contains {int(np.isnan(x).sum())} missing outcome(s); consistency needs "
            "every item in every run (drop incomplete items or runs first)."
        )
    n, r = x.shape
    if r < 2:
        raise InputError(
            f"`correct` needs at least 2 runs (columns) to measure consistency; got {r}."
        )
    if n < 2:
        raise InputError(f"`correct` needs at least 2 items; got {n}.")
    level = check_confidence_level(confidence_level)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    rng = check_rng(rng)
    s = x.sum(axis=1)
    agree = (s * (s - 1) + (r - s) * (r - s - 1)) / (r * (r - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        kappa = fleiss_kappa(
            np.column_stack([r - s, s]).astype(np.int64),
            confidence_level=level,
            n_resamples=n_resamples,
            rng=rng,
        )
    run_acc = x.mean(axis=0)
    sd = float(run_acc.std(ddof=1))
    mean = float(run_acc.mean())
    cv = sd / mean if mean > 0 else math.nan
    # item resamples of every run's accuracy at once (paired across runs)
    runs_b = _bootstrap_means(x.T, n_resamples=n_resamples, rng=rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv_b = runs_b.std(axis=1, ddof=1) / runs_b.mean(axis=1)
    cv_lo, cv_hi = _percentile(cv_b, level)
    always_wrong = s == 0
    ever_wrong = int(np.sum(s < r))
    n_cf, share_cf = None, None
    if predictions is not None:
        n_cf = int(np.sum(always_wrong & _same_answer(predictions, x.shape)))
        share_cf = n_cf / ever_wrong if ever_wrong else math.nan
    return ConsistencyResult(
        n=n,
        n_runs=r,
        agreement=float(agree.mean()),
        fleiss_kappa=float(kappa.estimate),
        kappa_ci_low=float(kappa.ci_low),
        kappa_ci_high=float(kappa.ci_high),
        run_accuracy=run_acc,
        accuracy_mean=mean,
        accuracy_sd=sd,
        accuracy_range=float(np.ptp(run_acc)),
        cv=cv,
        cv_ci_low=cv_lo,
        cv_ci_high=cv_hi,
        n_always_right=int(np.sum(s == r)),
        n_always_wrong=int(always_wrong.sum()),
        n_mixed=int(np.sum((s > 0) & (s < r))),
        n_consistent_failures=n_cf,
        consistent_failure_share=share_cf,
        confidence_level=level,
        n_resamples=n_resamples,
        per_item_agreement=agree,
    )


# --------------------------------------------------------------------------------------------
# Samples needed for a target SE
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SamplesNeededResult(Result):
    """Samples per item needed for a target standard error of the benchmark mean.

    Attributes
    ----------
    target_se : float
    k_needed : int or None
        Smallest K with :math:`\\sqrt{(\\sigma_b^2 + \\sigma_w^2/K)/n}` at most ``target_se``;
        None when no K reaches it (then only more items help: see ``items_needed``).
    se_current : float
        The SE of the mean at the current K (item means, as in
        :func:`assay.stats._repeated.repeated_samples`).
    se_at_k_needed : float
    se_floor : float
        The SE as K grows without bound, :math:`\\sqrt{\\sigma_b^2 / n}`.
    k_current : float
        Mean samples per item now.
    var_between, var_within : float
        ANOVA variance components (between items, within items).
    items_needed : int
        Items needed at the current K for the target.
    k_per_item_worst_case : int
        Samples for one item's own pass rate to have SE at most ``target_se``
        (:math:`\\lceil 0.25/\\mathrm{SE}^2 \\rceil`, the p = 0.5 worst case).
    n : int
    note : str
    """

    target_se: float
    k_needed: int | None
    se_current: float
    se_at_k_needed: float
    se_floor: float
    k_current: float
    var_between: float
    var_within: float
    items_needed: int
    k_per_item_worst_case: int
    n: int
    note: str = ""


def samples_needed(scores: Any, *, target_se: float, missing: str = "raise") -> SamplesNeededResult:
    """How many samples per item bring the SE of the benchmark mean down to ``target_se``.

    Parameters
    ----------
    scores : array_like, shape (n_items, n_samples)
        Current samples (at least 2 per item for the within-item variance); NaN where missing.
    target_se : float
        The standard error wanted (score units, e.g. 0.005 for half a point).
    missing : {"raise", "omit"}, default "raise"

    Returns
    -------
    SamplesNeededResult

    Notes
    -----
    The variance components come from :func:`assay.stats._repeated.repeated_samples`
    (one-way random-effects ANOVA); :math:`\\mathrm{SE}^2(K) = (\\sigma_b^2 + \\sigma_w^2/K)/n`,
    so :math:`K = \\lceil \\sigma_w^2 / (n\\,\\mathrm{SE}^2 - \\sigma_b^2) \\rceil` when
    :math:`n\\,\\mathrm{SE}^2 > \\sigma_b^2` (Miller 2024, arXiv:2411.00640, sec. 3).

    Examples
    --------
    >>> import numpy as np
    >>> from assay.sampling import samples_needed
    >>> x = (np.random.default_rng(0).random((400, 4)) < 0.6).astype(float)
    >>> res = samples_needed(x, target_se=0.02)
    >>> res.k_needed is not None and res.se_at_k_needed <= 0.02
    True
    """
    if isinstance(target_se, bool) or not isinstance(target_se, numbers.Real):
        raise InputError(f"`target_se` must be a positive number; got {target_se!r}.")
    if not (math.isfinite(target_se) and target_se > 0):
        raise InputError(f"`target_se` must be a positive number; got {target_se!r}.")
    if missing not in ("raise", "omit"):
        raise InputError(f"`missing` must be one of 'raise', 'omit'; got {missing!r}.")
    z = 1.959963984540054  # the width is 2 z SE at 95%; any fixed z cancels out
    rep = repeated_samples(
        scores, target_width=2 * z * target_se, confidence_level=0.95, missing=missing
    )
    n, vb, vw = rep.n, rep.var_between, rep.var_within
    k_needed = rep.k_needed
    se_k = math.sqrt((vb + vw / k_needed) / n) if k_needed else math.nan
    items = math.ceil((vb + vw / rep.k) / target_se**2 - 1e-9)
    note = (
        ""
        if k_needed
        else (
            f"No number of samples reaches SE {target_se:g} with {n} items: the between-item "
            f"variance alone gives SE {math.sqrt(vb / n):.4g}; about {items} items are needed "
            f"at K = {rep.k:g}."
        )
    )
    return SamplesNeededResult(
        target_se=float(target_se),
        k_needed=k_needed,
        se_current=rep.se,
        se_at_k_needed=se_k,
        se_floor=math.sqrt(vb / n),
        k_current=rep.k,
        var_between=vb,
        var_within=vw,
        items_needed=max(items, 2),
        k_per_item_worst_case=math.ceil(0.25 / target_se**2 - 1e-9),
        n=n,
        note=note,
    )
