"""Confidence intervals of a proportion: Wilson, Jeffreys, Clopper-Pearson, Agresti-Coull, Wald."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import DegenerateDataWarning, InputError
from assay._core._validation import check_array, check_choice, check_confidence_level
from assay.stats._results import EstimateResult

__all__ = ["ProportionResult", "proportion_ci"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProportionResult(EstimateResult):
    """A proportion with its interval; fields are arrays when the input counts were arrays.

    Attributes
    ----------
    count : int or ndarray
        Number of successes.
    """

    count: Any = 0


def _wald(x, n, z):
    p = x / n
    half = z * np.sqrt(p * (1.0 - p) / n)
    return np.clip(p - half, 0.0, 1.0), np.clip(p + half, 0.0, 1.0)


def _wilson(x, n, z):
    p = x / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)


def _agresti_coull(x, n, z):
    n_tilde = n + z * z
    p_tilde = (x + z * z / 2.0) / n_tilde
    half = z * np.sqrt(p_tilde * (1.0 - p_tilde) / n_tilde)
    return np.clip(p_tilde - half, 0.0, 1.0), np.clip(p_tilde + half, 0.0, 1.0)


def _clopper_pearson(x, n, z):
    alpha = 2.0 * special.ndtr(-z)
    with np.errstate(invalid="ignore"):
        lo = stats.beta.ppf(alpha / 2.0, x, n - x + 1.0)
        hi = stats.beta.isf(alpha / 2.0, x + 1.0, n - x)
    return np.where(x == 0, 0.0, lo), np.where(x == n, 1.0, hi)


def _jeffreys(x, n, z):
    alpha = 2.0 * special.ndtr(-z)
    lo = stats.beta.ppf(alpha / 2.0, x + 0.5, n - x + 0.5)
    hi = stats.beta.isf(alpha / 2.0, x + 0.5, n - x + 0.5)
    # Brown, Cai & DasGupta (2001, sec. 4.1.2): the bound is 0 at x = 0 and 1 at x = n
    return np.where(x == 0, 0.0, lo), np.where(x == n, 1.0, hi)


_METHODS = {
    "wilson": _wilson,
    "jeffreys": _jeffreys,
    "clopper-pearson": _clopper_pearson,
    "agresti-coull": _agresti_coull,
    "wald": _wald,
}


def _proportion_iv(count, n, method, confidence_level):
    method = check_choice(method, "method", tuple(_METHODS))
    confidence_level = check_confidence_level(confidence_level)
    x = check_array(count, "count", min_size=1)
    nn = check_array(n, "n", min_size=1)
    try:
        x, nn = np.broadcast_arrays(x, nn)
    except ValueError:
        raise InputError(
            f"`count` and `n` must have broadcastable shapes; got {np.shape(count)} and "
            f"{np.shape(n)}."
        ) from None
    for arr, name in ((x, "count"), (nn, "n")):
        bad = arr != np.round(arr)
        if bad.any():
            raise InputError(f"`{name}` must hold whole numbers; got {float(arr[bad].flat[0]):g}.")
    if (nn < 1).any():
        raise InputError(f"`n` must be >= 1; got {float(nn[nn < 1].flat[0]):g}.")
    if (x < 0).any():
        raise InputError(f"`count` must be >= 0; got {float(x[x < 0].flat[0]):g}.")
    over = x > nn
    if over.any():
        i = np.argmax(over.ravel())
        raise InputError(
            f"`count` must be <= `n`; got count {float(x.flat[i]):g} > n {float(nn.flat[i]):g}."
        )
    return x, nn, method, confidence_level


def _warn_wald(x, n):
    p = x / n
    small = (n < 30) | (n * p < 5) | (n * (1 - p) < 5)
    if small.any():
        which = "p is 0 or 1" if ((p == 0) | (p == 1)).any() else "n < 30 or n*p or n*(1-p) < 5"
        warnings.warn(
            f"The Wald interval is unreliable here ({which}, for {int(small.sum())} "
            "proportion(s)); use method='wilson'.",
            DegenerateDataWarning,
            stacklevel=3,
        )


def proportion_ci(
    count: Any,
    n: Any,
    *,
    method: str = "wilson",
    confidence_level: float = 0.95,
) -> ProportionResult:
    """Confidence interval of a binomial proportion, vectorised over arrays of counts.

    Parameters
    ----------
    count : int or array_like of int
        Number of successes (correct answers).
    n : int or array_like of int
        Number of trials (items); broadcast against ``count``.
    method : {"wilson", "jeffreys", "clopper-pearson", "agresti-coull", "wald"}, default "wilson"
        Interval. Wald is given only when asked, with a warning at small n or at p in {0, 1}.
    confidence_level : float, default 0.95
        Nominal coverage.

    Returns
    -------
    ProportionResult
        ``estimate`` (count / n), ``ci_low``, ``ci_high``, ``se`` (sqrt(p(1-p)/n)), ``n``,
        ``count``; floats for scalar input, arrays of the broadcast shape otherwise.

    Warns
    -----
    DegenerateDataWarning
        For ``method="wald"`` when n < 30, n*p < 5, n*(1-p) < 5 or p is 0 or 1.

    Notes
    -----
    With :math:`\\hat p = x/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`:

    * Wilson: :math:`(\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`;
    * Agresti-Coull: Wald around :math:`\\tilde p = (x + z^2/2)/(n + z^2)` with :math:`\\tilde n = n+z^2`;
    * Clopper-Pearson: :math:`B(\\alpha/2; x, n-x+1)` and :math:`B(1-\\alpha/2; x+1, n-x)`;
    * Jeffreys: quantiles :math:`\\alpha/2, 1-\\alpha/2` of Beta(x + 1/2, n - x + 1/2), with the
      lower bound 0 at x = 0 and the upper bound 1 at x = n (Brown et al. 2001);
    * Wald: :math:`\\hat p \\pm z\\sqrt{\\hat p(1-\\hat p)/n}`.

    Wilson, Agresti-Coull and Wald are clipped to [0, 1]. All agree with
    ``statsmodels.stats.proportion.proportion_confint`` (Jeffreys except at x = 0 or n, where
    statsmodels keeps the beta quantile).

    References
    ----------
    .. [1] L. D. Brown, T. T. Cai and A. DasGupta, "Interval Estimation for a Binomial
       Proportion", *Statistical Science* 16(2), 101-133, 2001.

    Examples
    --------
    >>> from assay.stats._proportion import proportion_ci
    >>> res = proportion_ci(24, 25)
    >>> round(res.ci_low, 4), round(res.ci_high, 4)
    (0.8046, 0.9929)
    """
    x, nn, method, confidence_level = _proportion_iv(count, n, method, confidence_level)
    if method == "wald":
        _warn_wald(x, nn)
    z = float(special.ndtri(0.5 + confidence_level / 2.0))
    lo, hi = _METHODS[method](x, nn, z)
    p = x / nn
    se = np.sqrt(p * (1.0 - p) / nn)
    scalar = np.ndim(count) == 0 and np.ndim(n) == 0

    def out(a, cast=float):
        return cast(a) if scalar else np.asarray(a)

    return ProportionResult(
        estimate=out(p),
        ci_low=out(lo),
        ci_high=out(hi),
        confidence_level=confidence_level,
        method=method,
        n=out(nn, int) if scalar else nn.astype(np.int64),
        se=out(se),
        count=out(x, int) if scalar else x.astype(np.int64),
    )
