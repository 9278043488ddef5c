"""Repeated samples per item: item-level SE, variance components and the K for a target width."""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError
from assay._core._validation import check_array, check_confidence_level, check_missing_policy
from assay.stats._results import EstimateResult

__all__ = ["RepeatedSamplesResult", "repeated_samples"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RepeatedSamplesResult(EstimateResult):
    """The mean of K samples per item, with its item-level SE and variance components.

    Attributes
    ----------
    k : float
        Samples per item (the mean number when items have different numbers of samples).
    var_item_means : float
        Sample variance (n - 1) of the item means; ``se**2 * n``.
    var_between : float
        Between-item variance component :math:`\\sigma_b^2` (ANOVA estimator, floored at 0).
    var_within : float
        Within-item variance component :math:`\\sigma_w^2 = E[\\sigma_i^2]`, pooled.
    icc : float
        :math:`\\sigma_b^2 / (\\sigma_b^2 + \\sigma_w^2)`: the share of variance between items.
    target_width : float or None
        The CI width asked for.
    k_needed : int or None
        Smallest K whose CI width (at this ``n``) is at most ``target_width``; None when no K
        can reach it or no target was given.
    min_width : float
        The width as K goes to infinity, :math:`2 z \\sqrt{\\sigma_b^2 / n}`.
    note : str
        Why ``k_needed`` is None, when it is.
    n_omitted : int
        Items left out because all their samples were missing.
    """

    k: float
    var_item_means: float
    var_between: float
    var_within: float
    icc: float
    target_width: float | None = None
    k_needed: int | None = None
    min_width: float = math.nan
    note: str = ""
    n_omitted: int = 0


def _components(x: np.ndarray, counts: np.ndarray, means: np.ndarray) -> tuple[float, float]:
    """One-way random-effects ANOVA estimates (sigma_b^2, sigma_w^2), unequal K allowed."""
    n, big_n = means.size, counts.sum()
    ssw = np.nansum((x - means[:, None]) ** 2)
    msw = ssw / (big_n - n)
    grand = np.sum(counts * means) / big_n
    msb = np.sum(counts * (means - grand) ** 2) / (n - 1)
    n0 = (big_n - np.sum(counts**2) / big_n) / (n - 1)
    return max(float((msb - msw) / n0), 0.0), float(msw)


def _k_needed(var_b, var_w, n, z, target):
    """Smallest integer K with 2 z sqrt((var_b + var_w / K) / n) <= target."""
    budget = n * (target / (2.0 * z)) ** 2 - var_b  # room left for var_w / K
    if budget <= 0:
        return None
    if var_w == 0:
        return 1
    return max(1, math.ceil(var_w / budget - 1e-12))


def _repeated_iv(scores, target_width, confidence_level, missing):
    confidence_level = check_confidence_level(confidence_level)
    missing = check_missing_policy(missing)
    x = check_array(scores, "scores", ndim=2, allow_nan=True)
    if x.shape[1] < 2:
        raise InputError(
            f"`scores` must have at least 2 samples per item (columns) for variance components; "
            f"got shape {x.shape}."
        )
    if target_width is not None:
        if isinstance(target_width, bool) or not isinstance(target_width, numbers.Real):
            raise InputError(f"`target_width` must be a positive number; got {target_width!r}.")
        if not (math.isfinite(target_width) and target_width > 0):
            raise InputError(f"`target_width` must be a positive number; got {target_width!r}.")
        target_width = float(target_width)
    nan = np.isnan(x)
    if nan.any() and missing == "raise":
        raise InputError(
            f"`scores` contains {int(nan.sum())} NaN value(s); pass `missing='omit'` to use the "
            "samples present."
        )
    return x, target_width, confidence_level, missing


def repeated_samples(
    scores: Any,
    *,
    target_width: float | None = None,
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> RepeatedSamplesResult:
    """Mean, item-level SE and variance components of K samples nested in items.

    Parameters
    ----------
    scores : array_like, shape (n_items, K)
        K samples (repeats, epochs) of each item's score; NaN where a sample is missing.
    target_width : float, optional
        A CI width to reach; the result gives the K that reaches it at this number of items.
    confidence_level : float, default 0.95
        Nominal coverage (normal interval).
    missing : {"raise", "omit", "propagate"}, default "raise"
        ``"omit"`` uses the samples present (items with none are left out and counted in
        ``n_omitted``); ``"propagate"`` returns NaN when any sample is missing.

    Returns
    -------
    RepeatedSamplesResult

    Notes
    -----
    The estimate is the mean of the item means :math:`\\bar x_i`, and its SE is computed from
    them, so K samples of one item count as one item (Miller 2024, sec. 3):
    :math:`\\mathrm{SE}^2 = \\widehat{\\mathrm{Var}}(\\bar x_i) / n`. Its expectation splits into
    :math:`(\\sigma_b^2 + \\sigma_w^2 / K) / n`, with :math:`\\sigma_w^2 = E[\\sigma_i^2]` the mean
    within-item variance and :math:`\\sigma_b^2` the variance of the items' true means. Both are
    estimated by one-way random-effects ANOVA (Searle, Casella & McCulloch 1992, sec. 3.5):
    :math:`\\hat\\sigma_w^2 = MSW`, :math:`\\hat\\sigma_b^2 = (MSB - MSW)/n_0`, with
    :math:`n_0 = (N - \\sum K_i^2 / N)/(n - 1)` (= K when balanced), floored at 0.

    The K for a width W solves :math:`2 z \\sqrt{(\\sigma_b^2 + \\sigma_w^2 / K)/n} \\le W`:
    :math:`K \\ge \\sigma_w^2 / (n (W / 2z)^2 - \\sigma_b^2)`; no K reaches W when
    :math:`\\sigma_b^2 \\ge n (W/2z)^2`: then only more items help.

    References
    ----------
    .. [1] E. Miller, "Adding Error Bars to Evals", arXiv:2411.00640, 2024, sec. 3.
    .. [2] S. R. Searle, G. Casella and C. E. McCulloch, *Variance Components*, Wiley, 1992.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats._repeated import repeated_samples
    >>> scores = np.array([[1, 1, 1, 0], [0, 0, 1, 0], [1, 1, 1, 1], [0, 1, 0, 0]])
    >>> res = repeated_samples(scores)
    >>> res.estimate, round(res.se, 4), res.n
    (0.5625, 0.1875, 4)
    """
    x, target_width, confidence_level, missing = _repeated_iv(
        scores, target_width, confidence_level, missing
    )
    counts = np.sum(~np.isnan(x), axis=1)
    n_omitted = 0
    if missing == "omit":
        keep = counts > 0
        n_omitted = int((~keep).sum())
        x, counts = x[keep], counts[keep]
    propagate = missing == "propagate" and bool(np.isnan(x).any())
    n = int(x.shape[0])
    if n < 2:
        raise InputError(f"`scores` needs at least 2 items with samples; got {n}.")
    if counts.sum() <= n:
        raise InputError("`scores` has no item with 2 or more samples; within variance undefined.")
    z = float(special.ndtri(0.5 + confidence_level / 2.0))
    if propagate:
        means = np.full(n, np.nan)
        var_b = var_w = math.nan
    else:
        means = np.nanmean(x, axis=1)
        var_b, var_w = _components(x, counts, means)
    estimate = float(means.mean())
    var_means = float(means.var(ddof=1))
    se = math.sqrt(var_means / n)
    k_needed, note = None, ""
    if target_width is not None and not propagate:
        k_needed = _k_needed(var_b, var_w, n, z, target_width)
        if k_needed is None:
            note = (
                f"No K reaches width {target_width:g}: the between-item variance alone gives "
                f"width {2 * z * math.sqrt(var_b / n):.4g} at n = {n}; add items."
            )
    total = var_b + var_w
    return RepeatedSamplesResult(
        estimate=estimate,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        confidence_level=confidence_level,
        method="item-means-normal",
        n=n,
        se=se,
        k=float(counts.mean()),
        var_item_means=var_means,
        var_between=var_b,
        var_within=var_w,
        icc=var_b / total if total > 0 else math.nan,
        target_width=target_width,
        k_needed=k_needed,
        min_width=2 * z * math.sqrt(var_b / n) if not propagate else math.nan,
        note=note,
        n_omitted=n_omitted,
    )
