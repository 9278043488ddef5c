"""Anytime-valid decisions: confidence sequences for a paired mean difference.

An evaluation that is still running can be checked after every item without inflating the error:
a confidence sequence covers the true mean at *every* sample size at once with probability
``1 - alpha``, so a verdict read off it at a data-dependent time (the first time it is settled)
keeps its level. Repeated fixed-n tests do not (see ``benchmarks/gate.py``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_array, check_choice, check_probability

__all__ = [
    "ConfidenceSequenceResult",
    "SequentialGateResult",
    "confidence_sequence",
    "sequential_noninferiority",
]

#: Largest bet of the predictable-mixture empirical-Bernstein sequence (Waudby-Smith & Ramdas).
_TRUNCATION = 0.5


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConfidenceSequenceResult(Result):
    """A confidence sequence for the mean of bounded observations, one bound per sample size.

    Attributes
    ----------
    lower, upper : ndarray of shape (n,)
        After ``t + 1`` observations the mean lies in ``[lower[t], upper[t]]``, simultaneously for
        all ``t`` with probability at least ``confidence_level`` (one-sided sequences each at
        ``1 - alpha``: see ``alternative``). Running intersections, so ``lower`` never falls.
    estimate : float
        Mean of all observations.
    ci_low, ci_high : float
        The last bounds.
    confidence_level : float
    alternative : str
    n : int
    bounds : tuple of float
        The range the observations are known to lie in.
    method : str
    """

    _array_fields = ("lower", "upper")

    lower: np.ndarray
    upper: np.ndarray
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    alternative: str
    n: int
    bounds: tuple
    method: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SequentialGateResult(Result):
    """A non-inferiority verdict that may be read after every item.

    Attributes
    ----------
    decision : {'pass', 'block', 'continue'}
        'pass' once the lower sequence rises above ``-margin`` (non-inferior), 'block' once the
        upper sequence falls below ``-margin`` (shown worse than the margin), 'continue' while
        neither has happened. The first decision is final.
    stopped_at : int or None
        Items seen when the decision was settled.
    passed : bool
    estimate, bound, upper : float
        At the stopping point (or after all items): the mean difference and its lower and upper
        anytime-valid bounds.
    margin, alpha : float
    n : int
        Items available; ``n_used`` of them were needed.
    sequence : ConfidenceSequenceResult
    method : str
    """

    decision: str
    stopped_at: int | None
    passed: bool
    estimate: float
    bound: float
    upper: float
    margin: float
    alpha: float
    n: int
    n_used: int
    sequence: ConfidenceSequenceResult
    method: str


def _lower_cs(x: np.ndarray, alpha: float) -> np.ndarray:
    """Predictable-mixture empirical-Bernstein lower sequence for x in [0, 1] (running max)."""
    t = np.arange(1, x.size + 1, dtype=float)
    # predictable bets from a regularised mean and variance (one fake observation 1/2, 1/4)
    mu = np.minimum((0.5 + np.cumsum(x)) / (t + 1.0), 1.0)
    sigma2 = (0.25 + np.cumsum((x - mu) ** 2)) / (t + 1.0)
    sigma2_prev = np.append(0.25, sigma2[:-1])
    lam = np.sqrt(2.0 * math.log(1.0 / alpha) / (t * np.log1p(t) * sigma2_prev))
    lam = np.minimum(np.nan_to_num(lam, nan=0.0), _TRUNCATION)
    mu_plain = np.cumsum(x) / t
    v = (x - np.append(0.0, mu_plain[:-1])) ** 2
    psi = -np.log1p(-lam) - lam
    radius = (math.log(1.0 / alpha) + np.cumsum(v * psi)) / np.cumsum(lam)
    centre = np.cumsum(lam * x) / np.cumsum(lam)
    return np.maximum.accumulate(np.maximum(centre - radius, 0.0))


def _cs_iv(x, bounds, alpha):
    arr = check_array(x, "x", ndim=1)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    if not (isinstance(bounds, tuple | list) and len(bounds) == 2):
        raise InputError(f"`bounds` must be a pair (low, high); got {bounds!r}.")
    lo, hi = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError(f"`bounds` must be finite with low < high; got {bounds!r}.")
    if arr.min() < lo or arr.max() > hi:
        raise InputError(
            f"`x` must lie within `bounds` {lo:g} to {hi:g}; got values from {arr.min():g} to "
            f"{arr.max():g}. A confidence sequence needs known bounds."
        )
    return arr, (lo, hi), alpha


def confidence_sequence(
    x: Any,
    *,
    bounds: tuple[float, float] = (-1.0, 1.0),
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> ConfidenceSequenceResult:
    """Anytime-valid confidence sequence for the mean of bounded observations, in arrival order.

    Parameters
    ----------
    x : array_like of shape (n,)
        Observations in the order they arrived (for a paired comparison, the per-item
        differences ``b - a``, which lie in [-1, 1] for scores in [0, 1]).
    bounds : (float, float), default (-1, 1)
        Known range of the observations.
    alpha : float, default 0.05
        Error of each one-sided sequence; the two-sided band has level ``1 - 2 alpha`` when
        ``alternative='two-sided'`` (each side is what a one-sided decision needs).
    alternative : {'two-sided', 'greater', 'less'}, default 'two-sided'
        'greater' gives only the lower sequence (upper is the bound), 'less' only the upper.

    Returns
    -------
    ConfidenceSequenceResult

    Notes
    -----
    The predictable-plug-in empirical-Bernstein sequence of Waudby-Smith & Ramdas (2024, Thm. 2)
    on :math:`y_i = (x_i - l)/(h - l) \\in [0, 1]`:

    .. math:: L_t = \\frac{\\sum_i \\lambda_i y_i}{\\sum_i \\lambda_i} -
              \\frac{\\log(1/\\alpha) + \\sum_i (y_i - \\hat\\mu_{i-1})^2 \\psi(\\lambda_i)}
                    {\\sum_i \\lambda_i},\\quad \\psi(\\lambda) = -\\log(1 - \\lambda) - \\lambda,

    with bets :math:`\\lambda_i = \\min(1/2, \\sqrt{2\\log(1/\\alpha)/(\\hat\\sigma^2_{i-1}
    i \\log(1+i))})` that use only earlier observations. It comes from a nonnegative
    supermartingale, so by Ville's inequality :math:`P(\\exists t: \\mu < L_t) \\le \\alpha`.
    The upper sequence is the lower one of :math:`1 - y`. The guarantee needs the observations'
    conditional mean to be the same at every step: items must arrive in an order unrelated to
    their content (random order), as an evaluation over a shuffled item list gives.

    References
    ----------
    Waudby-Smith & Ramdas (2024), "Estimating means of bounded random variables by betting",
    JRSS-B 86:1-27. Howard, Ramdas, McAuliffe & Sekhon (2021), Ann. Statist. 49:1055-1080.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.random.default_rng(0).choice([-1.0, 0.0, 1.0], size=2000, p=[0.1, 0.7, 0.2])
    >>> cs = confidence_sequence(d)
    >>> bool(cs.ci_low < 0.1 < cs.ci_high)
    True
    """
    arr, (lo, hi), alpha = _cs_iv(x, bounds, alpha)
    alternative = check_choice(alternative, "alternative", ("two-sided", "greater", "less"))
    y = (arr - lo) / (hi - lo)
    n = y.size
    lower = np.zeros(n) if alternative == "less" else _lower_cs(y, alpha)
    upper = np.ones(n) if alternative == "greater" else 1.0 - _lower_cs(1.0 - y, alpha)
    lower, upper = lo + (hi - lo) * lower, lo + (hi - lo) * upper
    sides = 2 if alternative == "two-sided" else 1
    return ConfidenceSequenceResult(
        lower=lower, upper=upper, estimate=float(arr.mean()), ci_low=float(lower[-1]),
        ci_high=float(upper[-1]), confidence_level=1.0 - sides * alpha, alternative=alternative,
        n=n, bounds=(lo, hi), method="predictable-plugin-empirical-bernstein",
    )  # fmt: skip


def sequential_noninferiority(
    a: Any,
    b: Any,
    *,
    margin: float,
    alpha: float = 0.05,
    direction: str = "higher",
    bounds: tuple[float, float] | None = None,
) -> SequentialGateResult:
    """Non-inferiority of B against A that may be checked after every item, stopping when settled.

    Parameters
    ----------
    a, b : array_like of shape (n_items,)
        Scores in the order the items were evaluated (row ``i`` the same item in both; NaN rows
        are not allowed: pass the items both models have so far).
    margin : float
        Non-negative margin on the score scale.
    alpha : float, default 0.05
        The chance of a false pass (B is worse by more than the margin yet the gate passes at
        any look) is at most ``alpha``; so is the chance of a false block.
    direction : {'higher', 'lower'}, default 'higher'
    bounds : (float, float), optional
        Range of a single score; default (0, 1), which all the scores must lie in.

    Returns
    -------
    SequentialGateResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = (rng.random(3000) < 0.6).astype(float)
    >>> res = sequential_noninferiority(a, a.copy(), margin=0.05)
    >>> res.decision, res.stopped_at < 3000
    ('pass', True)
    """
    a_arr = check_array(a, "a", ndim=1)
    b_arr = check_array(b, "b", ndim=1)
    if a_arr.size != b_arr.size:
        raise InputError(f"`a` has {a_arr.size} items and `b` has {b_arr.size}; they must pair up.")
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not margin >= 0:
        raise InputError(f"`margin` must be a non-negative number; got {margin!r}.")
    direction = check_choice(direction, "direction", ("higher", "lower"))
    lo, hi = (0.0, 1.0) if bounds is None else (float(bounds[0]), float(bounds[1]))
    if not lo < hi:
        raise InputError(f"`bounds` must be finite with low < high; got {bounds!r}.")
    for arr in (a_arr, b_arr):
        if arr.min() < lo or arr.max() > hi:
            raise InputError(
                f"`a` and `b` must lie within the score range {lo:g} to {hi:g}; got values from "
                f"{arr.min():g} to {arr.max():g}."
            )
    d = b_arr - a_arr if direction == "higher" else a_arr - b_arr
    span = hi - lo
    cs = confidence_sequence(d, bounds=(-span, span), alpha=alpha)
    passed_at = np.flatnonzero(cs.lower > -margin)
    blocked_at = np.flatnonzero(cs.upper < -margin)
    first_pass = int(passed_at[0]) if passed_at.size else None
    first_block = int(blocked_at[0]) if blocked_at.size else None
    if first_pass is not None and (first_block is None or first_pass < first_block):
        decision, stop = "pass", first_pass
    elif first_block is not None:
        decision, stop = "block", first_block
    else:
        decision, stop = "continue", None
    k = d.size - 1 if stop is None else stop
    return SequentialGateResult(
        decision=decision, stopped_at=None if stop is None else stop + 1,
        passed=decision == "pass", estimate=float(d[: k + 1].mean()), bound=float(cs.lower[k]),
        upper=float(cs.upper[k]), margin=float(margin), alpha=alpha, n=int(d.size),
        n_used=k + 1, sequence=cs,
        method="anytime-valid confidence sequence (predictable-plugin empirical Bernstein)",
    )  # fmt: skip
