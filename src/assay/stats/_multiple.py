"""Multiple-testing adjustment: Holm, Hochberg, Benjamini-Hochberg, Benjamini-Yekutieli."""

from __future__ import annotations

import dataclasses

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_array, check_choice, check_probability

__all__ = ["ADJUST_METHODS", "MultipleTestResult", "adjust_pvalues"]


@dataclasses.dataclass(frozen=True)
class MultipleTestResult(Result):
    """Adjusted p-values of a family of tests.

    Attributes
    ----------
    pvalues : ndarray
        The raw p-values, in the order given.
    pvalues_adjusted : ndarray
        The adjusted p-values (same order); reject where ``pvalues_adjusted <= alpha``.
    reject : ndarray of bool
        Whether each hypothesis is rejected at ``alpha``.
    method : str
        The adjustment.
    alpha : float
        The family-wise error rate (Holm, Hochberg) or false discovery rate (BH, BY).
    n : int
        The number of hypotheses.
    """

    pvalues: np.ndarray
    pvalues_adjusted: np.ndarray
    reject: np.ndarray
    method: str
    alpha: float
    n: int


def _step_down(p_sorted: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Holm-type: running maximum of the scaled p-values from the smallest up."""
    return np.maximum.accumulate(np.minimum(1.0, factors * p_sorted))


def _step_up(p_sorted: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Hochberg/BH-type: running minimum of the scaled p-values from the largest down."""
    scaled = np.minimum(1.0, factors * p_sorted)
    return np.minimum.accumulate(scaled[::-1])[::-1]


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, p * p.size)


def _holm(p: np.ndarray) -> np.ndarray:
    m = p.size
    return _ordered(p, lambda ps: _step_down(ps, m - np.arange(m)))


def _hochberg(p: np.ndarray) -> np.ndarray:
    m = p.size
    return _ordered(p, lambda ps: _step_up(ps, m - np.arange(m)))


def _bh(p: np.ndarray) -> np.ndarray:
    m = p.size
    return _ordered(p, lambda ps: _step_up(ps, m / np.arange(1, m + 1)))


def _by(p: np.ndarray) -> np.ndarray:
    m = p.size
    c_m = np.sum(1.0 / np.arange(1, m + 1))
    return _ordered(p, lambda ps: _step_up(ps, c_m * m / np.arange(1, m + 1)))


def _ordered(p: np.ndarray, adjust) -> np.ndarray:
    order = np.argsort(p, kind="mergesort")
    out = np.empty_like(p)
    out[order] = adjust(p[order])
    return out


_METHODS = {
    "holm": _holm,
    "hochberg": _hochberg,
    "bh": _bh,
    "by": _by,
    "bonferroni": _bonferroni,
    "none": lambda p: p.copy(),
}
ADJUST_METHODS: tuple[str, ...] = tuple(_METHODS)
"""Valid values of ``method`` in :func:`adjust_pvalues` (and ``adjust`` in :func:`pairwise`)."""


def _adjust_iv(pvalues, method, alpha) -> tuple[np.ndarray, str, float]:
    method = check_choice(method, "method", ADJUST_METHODS)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    p = check_array(pvalues, "pvalues", ndim=1)
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise InputError(
            f"`pvalues` must lie in [0, 1]; found {int(bad.sum())} value(s) outside, e.g. {p[bad][0]!r}."
        )
    return p, method, alpha


def adjust_pvalues(pvalues, *, method: str = "holm", alpha: float = 0.05) -> MultipleTestResult:
    """Adjust a family of p-values for multiple testing.

    Parameters
    ----------
    pvalues : array_like of shape (m,)
        Raw p-values in [0, 1].
    method : {'holm', 'hochberg', 'bh', 'by', 'bonferroni', 'none'}, default 'holm'
        Holm's step-down and Hochberg's step-up procedures control the family-wise error rate;
        Benjamini-Hochberg ('bh') and Benjamini-Yekutieli ('by', valid under any dependence)
        control the false discovery rate.
    alpha : float, default 0.05
        The error rate at which ``reject`` is decided.

    Returns
    -------
    MultipleTestResult

    Notes
    -----
    With sorted p-values :math:`p_{(1)} \\le \\dots \\le p_{(m)}` the adjusted values are

    - Holm: :math:`\\max_{j \\le i} \\min(1, (m - j + 1) p_{(j)})`
    - Hochberg: :math:`\\min_{j \\ge i} \\min(1, (m - j + 1) p_{(j)})`
    - BH: :math:`\\min_{j \\ge i} \\min(1, m p_{(j)} / j)`
    - BY: as BH with the factor :math:`c(m) = \\sum_{k=1}^m 1/k`.

    They agree with ``statsmodels.stats.multitest.multipletests`` (methods 'holm',
    'simes-hochberg', 'fdr_bh', 'fdr_by').

    References
    ----------
    Holm (1979), Scand. J. Statist. 6:65-70. Hochberg (1988), Biometrika 75:800-802.
    Benjamini & Hochberg (1995), JRSS B 57:289-300. Benjamini & Yekutieli (2001), Ann. Statist.
    29:1165-1188.

    Examples
    --------
    >>> from assay.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm").pvalues_adjusted.round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p, method, alpha = _adjust_iv(pvalues, method, alpha)
    adjusted = _METHODS[method](p)
    return MultipleTestResult(
        pvalues=p,
        pvalues_adjusted=adjusted,
        reject=adjusted <= alpha,
        method=method,
        alpha=alpha,
        n=int(p.size),
    )
