"""Non-inferiority of paired binary scores: Tango's score test and its exact unconditional version.

With ``x`` items that only B got right, ``y`` items that only A got right, and ``n`` items, the
difference of the two accuracies is :math:`\\Delta = p_x - p_y`. Non-inferiority with margin
:math:`\\delta` tests H0: :math:`\\Delta \\le -\\delta` against H1: :math:`\\Delta > -\\delta`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy import special as spsp

__all__ = [
    "EXACT_MAX_N",
    "exact_lower_bound",
    "exact_pvalue",
    "tango_lower_bound",
    "tango_pvalue",
    "tango_statistic",
]

#: Up to this many items the exact unconditional test is used (its cost grows as n**2).
EXACT_MAX_N = 100
#: Points of the nuisance grid over which the exact p-value takes its supremum.
_NUISANCE_GRID = 200
#: Precision of a lower bound found by bisection (score units).
_BOUND_TOL = 1e-7


def _restricted_py(x, y, n, delta0):
    """Restricted MLE of :math:`p_y` under :math:`p_x - p_y = \\Delta_0` (Tango 1998, eq. 4)."""
    a = 2.0 * n
    b = -x - y + (2.0 * n - x + y) * delta0
    c = -y * delta0 * (1.0 - delta0)
    disc = np.maximum(b * b - 4.0 * a * c, 0.0)
    return (-b + np.sqrt(disc)) / (2.0 * a)


def tango_statistic(x, y, n: int, delta0: float):
    """Tango's score statistic of H0: :math:`p_x - p_y = \\Delta_0` (large values favour H1: >).

    Vectorised over ``x`` and ``y``. Where the variance under H0 is zero the statistic is
    +inf, -inf or 0 by the sign of the numerator.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    py = _restricted_py(x, y, n, delta0)
    var = n * (2.0 * py + delta0 * (1.0 - delta0))
    num = x - y - n * delta0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = num / np.sqrt(np.maximum(var, 0.0))
        t = np.where(var > 1e-14, t, np.sign(num) * np.inf)
    return np.where(np.isnan(t), 0.0, t)


def tango_pvalue(x: int, y: int, n: int, delta0: float) -> float:
    """One-sided asymptotic p-value of H0: :math:`\\Delta \\le \\Delta_0` (normal reference)."""
    return float(spsp.ndtr(-tango_statistic(x, y, n, delta0)))


def _bisect_bound(
    x: int, y: int, n: int, pvalue, alpha: float, start: float | None = None
) -> float:
    """Smallest :math:`\\Delta_0` not rejected at ``alpha``: the one-sided lower bound.

    Bisection between a :math:`\\Delta_0` that is rejected and the estimate, which never is;
    ``start`` (a nearby bound) narrows the first bracket.
    """
    hi = (x - y) / n
    lo = -1.0 + 1e-9
    if start is not None:
        for width in (0.05, 0.2):
            trial = max(lo, start - width)
            if pvalue(trial) <= alpha:
                lo = trial
                break
    if lo == -1.0 + 1e-9 and pvalue(lo) > alpha:
        return -1.0
    while hi - lo > _BOUND_TOL:
        mid = 0.5 * (lo + hi)
        if pvalue(mid) <= alpha:
            lo = mid
        else:
            hi = mid
    return float(lo)


def tango_lower_bound(x: int, y: int, n: int, alpha: float) -> float:
    """One-sided ``1 - alpha`` lower confidence bound of :math:`\\Delta` from Tango's score test.

    The root of :math:`T(\\Delta_0) = z_{1-\\alpha}` (Brent's method; T falls as
    :math:`\\Delta_0` rises), or -1 when even :math:`\\Delta_0 \\to -1` is not rejected.
    """
    z = float(spsp.ndtri(1.0 - alpha))
    hi = (x - y) / n
    lo = -1.0 + 1e-9

    def f(d: float) -> float:
        return float(tango_statistic(x, y, n, d)) - z

    if f(lo) <= 0:
        return -1.0
    if f(hi) > 0:  # cannot happen for alpha < 1/2; keep the estimate as the bound
        return hi
    return float(optimize.brentq(f, lo, hi, xtol=_BOUND_TOL))


def _outcomes(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (x, y) with x + y <= n, and the log multinomial coefficient of each."""
    x, y = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = x + y <= n
    x, y = x[keep], y[keep]
    logc = (
        spsp.gammaln(n + 1)
        - spsp.gammaln(x + 1)
        - spsp.gammaln(y + 1)
        - spsp.gammaln(n - x - y + 1)
    )
    return x.astype(float), y.astype(float), logc


def _exact_pvalues(x: int, y: int, n: int, delta0: float, outcomes=None) -> float:
    ox, oy, logc = _outcomes(n) if outcomes is None else outcomes
    t_all = tango_statistic(ox, oy, n, delta0)
    t_obs = float(tango_statistic(x, y, n, delta0))
    tail = t_all >= t_obs - 1e-10
    if not tail.any():
        return 0.0
    # nuisance: p_y on the H0 boundary p_x = p_y + delta0, both in [0, 1], p_x + p_y <= 1
    py_lo, py_hi = max(0.0, -delta0), (1.0 - delta0) / 2.0
    if py_hi <= py_lo:
        return 1.0
    tx, ty, tc = ox[tail], oy[tail], logc[tail]

    def tail_prob(py: np.ndarray) -> np.ndarray:
        px = py + delta0
        rest = np.clip(1.0 - px - py, 0.0, 1.0)
        logp = (
            tc[None, :]
            + spsp.xlogy(tx[None, :], px[:, None])
            + spsp.xlogy(ty[None, :], py[:, None])
            + spsp.xlogy(n - tx - ty, rest[:, None])
        )
        return np.exp(logp).sum(axis=1)

    # coarse grid, then a fine grid around its maximum
    py = np.linspace(py_lo, py_hi, _NUISANCE_GRID)
    probs = tail_prob(py)
    k = int(np.argmax(probs))
    step = py[1] - py[0]
    fine = np.linspace(max(py_lo, py[k] - step), min(py_hi, py[k] + step), _NUISANCE_GRID // 4)
    return float(min(1.0, max(probs[k], tail_prob(fine).max())))


def exact_pvalue(x: int, y: int, n: int, delta0: float) -> float:
    """Exact unconditional p-value of H0: :math:`\\Delta \\le \\Delta_0` ordered by Tango's statistic.

    The supremum, over the nuisance parameter on the H0 boundary, of the probability of an
    outcome whose statistic is at least the observed one (Berger & Boos 1994 without their
    confidence restriction; Chan, Tang, Tang & Tang 2003 for the paired design).
    """
    return _exact_pvalues(x, y, n, delta0)


def exact_lower_bound(x: int, y: int, n: int, alpha: float) -> float:
    """The one-sided ``1 - alpha`` lower bound that inverts :func:`exact_pvalue`."""
    outcomes = _outcomes(n)
    start = tango_lower_bound(x, y, n, alpha)
    return _bisect_bound(x, y, n, lambda d: _exact_pvalues(x, y, n, d, outcomes), alpha, start)
