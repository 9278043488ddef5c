"""Exact power of the exact conditional McNemar test, the test ``compare`` reports for binary pairs.

The normal formulas of :mod:`assay.stats._power` (Connor 1987) give 0.80 power for the paired z
test and the mid-p McNemar test but 0.75-0.78 for the exact conditional test, which is the
headline test of ``assay compare`` on binary paired data. This module computes the power of that
test exactly, by summing over the number of discordant items.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

__all__: list[str] = []

#: Discordant counts further than this many SDs from their mean are left out of the sum (their
#: total probability is below 1e-15).
_TAIL_SD = 8.5


def discordant_rate(delta: float, *, baseline: float, rho: float) -> float:
    """Share of items on which A and B disagree, from A's accuracy, the difference and rho.

    With :math:`p_A` = ``baseline``, :math:`p_B = p_A + \\delta` and the item correlation
    :math:`\\rho`, :math:`p_{11} = p_A p_B + \\rho\\sqrt{p_A(1-p_A)p_B(1-p_B)}` (clipped to the
    range the margins allow) and :math:`\\psi = p_A + p_B - 2 p_{11}`.
    """
    pa, pb = baseline, baseline + delta
    p11 = pa * pb + rho * math.sqrt(max(pa * (1 - pa) * pb * (1 - pb), 0.0))
    p11 = min(max(p11, max(0.0, pa + pb - 1.0)), min(pa, pb))
    return max(pa + pb - 2.0 * p11, abs(delta))


def _critical(m: np.ndarray, level: float) -> np.ndarray:
    """Largest count c with P(Bin(m, 1/2) <= c) <= level (-1 when there is none).

    Started from the normal approximation and corrected by whole steps with the exact CDF (a
    vectorised search; ``binom.ppf`` is ten times slower and this runs inside root finders).
    """
    tol = level * (1.0 + 1e-12)
    c = np.floor(m / 2.0 + stats.norm.ppf(level) * np.sqrt(m) / 2.0)
    c = np.clip(c, -1.0, m)
    for _ in range(64):
        high = (c >= 0) & (stats.binom.cdf(c, m, 0.5) > tol)
        if not high.any():
            break
        c = np.where(high, c - 1.0, c)
    for _ in range(64):
        low = (c + 1 <= m) & (stats.binom.cdf(c + 1, m, 0.5) <= tol)
        if not low.any():
            break
        c = np.where(low, c + 1.0, c)
    return c


@functools.lru_cache(maxsize=64)
def _critical_range(lo: int, hi: int, level: float) -> np.ndarray:
    """Critical counts for m = lo..hi, cached: a root search over delta reuses one range."""
    out = _critical(np.arange(lo, hi + 1, dtype=np.float64), level)
    out.setflags(write=False)
    return out


def mcnemar_exact_power(delta: float, n: int, psi: float, *, alpha: float, tails: int) -> float:
    """Power of the exact conditional McNemar test at ``n`` items.

    Parameters
    ----------
    delta : float
        :math:`p_{B\\,only} - p_{A\\,only}`, the difference in accuracy (> 0).
    n : int
        Items.
    psi : float
        Discordant rate :math:`p_{A\\,only} + p_{B\\,only}`, ``psi >= delta``.
    alpha : float
        Level of the test.
    tails : {1, 2}
        Two-sided test (``scipy.stats.binomtest(..., alternative="two-sided")`` of the B-only
        count among the discordant items, p = 1/2), or one-sided in the direction of ``delta``.

    Returns
    -------
    float
        :math:`\\sum_m \\mathrm{Bin}(m; n, \\psi)\\, P(\\text{reject} \\mid m)`, where given ``m``
        discordant items the B-only count is :math:`\\mathrm{Bin}(m, \\pi)`,
        :math:`\\pi = (\\psi + \\delta) / (2\\psi)`, and the test rejects when the smaller of the two
        counts is at most the critical count of :math:`\\mathrm{Bin}(m, 1/2)` at ``alpha / tails``
        (for p = 1/2 scipy's two-sided p-value is twice the smaller tail).
    """
    n = int(n)
    mean, sd = n * psi, math.sqrt(n * psi * (1.0 - psi))
    lo = max(0, math.floor(mean - _TAIL_SD * sd) - 1)
    hi = min(n, math.ceil(mean + _TAIL_SD * sd) + 1)
    m = np.arange(lo, hi + 1, dtype=np.float64)
    weight = stats.binom.pmf(m, n, psi)
    c = _critical_range(lo, hi, alpha / tails)
    pi = min(max((psi + delta) / (2.0 * psi), 0.0), 1.0)
    # B-only count >= m - c (B better) ...
    reject = stats.binom.sf(m - c - 1.0, m, pi)
    if tails == 2:  # ... or A-only count >= m - c, i.e. B-only count <= c
        reject = reject + np.where(c >= 0, stats.binom.cdf(c, m, pi), 0.0)
    reject = np.where(c >= 0, reject, 0.0)
    return float(np.clip(np.sum(weight * reject), 0.0, 1.0))


def smallest_n(power_at, target: float, n_start: float) -> int:
    """Smallest n (from a scan) with ``power_at(n) >= target``; exact power is saw-toothed in n.

    The scan starts below ``n_start`` (the normal-approximation solution), climbs in steps of
    about 0.5% of ``n_start`` to the first n that reaches the target, then goes back one step and
    climbs one item at a time.
    """
    lo = max(2, math.floor(0.85 * n_start))
    while lo > 2 and power_at(lo) >= target:
        lo = max(2, lo // 2)
    if power_at(lo) >= target:
        return lo
    step = max(1, math.floor(0.005 * n_start))
    n = lo
    while power_at(n) < target:
        n += step
        if n > 1e9:
            raise OverflowError("no n below 1e9 reaches the power")  # caught by the caller
    for m in range(max(lo, n - step + 1), n + 1):
        if power_at(m) >= target:
            return m
    return n
