"""Power: the minimum detectable difference at n items, and the items needed for a difference.

One variance model covers the designs of the issue: binary or continuous scores, paired (same
items, with the A-B correlation) or unpaired, McNemar (from the discordant rate), clustered items
(a design effect) and K samples per item (through the share of variance between items).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from assay._core import InputError, Result
from assay._core._validation import (
    check_alternative,
    check_choice,
    check_positive_int,
    check_probability,
)
from assay.stats._power_exact import discordant_rate, mcnemar_exact_power, smallest_n

__all__ = ["PowerResult", "minimum_detectable_effect", "sample_size"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PowerResult(Result):
    """A power calculation: the effect, the items, the power, and the assumptions behind them.

    Attributes
    ----------
    solved_for : str
        ``"delta"`` (minimum detectable effect), ``"n"`` (items needed) or ``"power"``.
    delta : float
        The difference in mean score (B - A); NaN when no effect up to the maximum is detectable.
    n : int
        Items per model (rounded up when solved for).
    n_exact : float
        The real-valued solution for ``n`` (equal to ``n`` otherwise).
    power, alpha : float
        Power and significance level.
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"`` (one-sided tests).
    design : str
        ``"paired"``, ``"unpaired"`` or ``"mcnemar"``.
    method : str
        ``"normal"``, ``"t"`` or ``"mcnemar-exact"`` (the exact conditional McNemar test, whose
        power is computed exactly).
    sd_diff : float
        SD of one item's contribution to the difference under the alternative, design effect
        included (per model for unpaired designs: ``sqrt(var_A + var_B)``).
    design_effect : float
        Variance inflation for clustered items.
    k : int
        Samples per item.
    assumptions : dict
        The inputs the calculation used (baseline, sd, rho, discordant, icc, ...).
    note : str
        Why a solution is missing, when it is.
    """

    solved_for: str
    delta: float
    n: int
    n_exact: float
    power: float
    alpha: float
    alternative: str
    design: str
    method: str
    sd_diff: float
    design_effect: float
    k: int
    assumptions: dict
    note: str = ""


@dataclasses.dataclass(frozen=True)
class _Spec:
    sd: float | None
    baseline: float | None
    discordant: float | None
    sd_diff: float | None
    rho: float
    paired: bool
    deff: float
    k: int
    icc: float
    alpha: float
    alternative: str
    method: str

    @property
    def design(self) -> str:
        if self.discordant is not None:
            return "mcnemar"
        return "paired" if self.paired else "unpaired"


# ------------------------------------------------------------------------------- variance model


def _item_var(var_single: float, spec: _Spec) -> float:
    """Variance of one model's item mean over K samples: s2 (icc + (1 - icc) / K)."""
    return var_single * (spec.icc + (1.0 - spec.icc) / spec.k)


def _var_diff(delta: float, spec: _Spec) -> tuple[float, float]:
    """Per-item variance of the difference (null, alternative), design effect included."""
    if spec.discordant is not None:  # Connor (1987)
        psi = spec.discordant
        return psi * spec.deff, (psi - delta**2) * spec.deff
    if spec.sd_diff is not None:
        v = spec.sd_diff**2 * spec.deff
        return v, v
    if spec.baseline is not None:
        p = spec.baseline
        va, vb = _item_var(p * (1 - p), spec), _item_var((p + delta) * (1 - p - delta), spec)
    else:
        va = vb = _item_var(spec.sd**2, spec)
    if spec.paired:
        v = va + vb - 2.0 * spec.rho * math.sqrt(va * vb)
    else:
        v = va + vb
    return v * spec.deff, v * spec.deff


def _power(delta: float, n: float, spec: _Spec) -> float:
    """Power of the test of no difference at effect ``delta`` with ``n`` items per model."""
    v0, v1 = _var_diff(delta, spec)
    tails = 2 if spec.alternative == "two-sided" else 1
    if spec.method == "mcnemar-exact":
        psi = spec.discordant
        if psi is None:
            psi = discordant_rate(delta, baseline=spec.baseline, rho=spec.rho)
        return mcnemar_exact_power(delta, n, psi, alpha=spec.alpha, tails=tails)
    if v1 <= 0:
        return 1.0
    if spec.method == "t":
        df = n - 1.0 if spec.paired else 2.0 * n - 2.0
        crit = stats.t.isf(spec.alpha / tails, df)
        nc = delta / math.sqrt(v1 / n)
        upper = _nct_tail(crit, df, nc, upper=True)
        return float(upper + (_nct_tail(-crit, df, nc, upper=False) if tails == 2 else 0.0))
    z = -special.ndtri(spec.alpha / tails)
    se0, se1 = math.sqrt(v0 / n), math.sqrt(v1 / n)
    upper = special.ndtr((delta - z * se0) / se1)
    return float(upper + (special.ndtr((-delta - z * se0) / se1) if tails == 2 else 0.0))


def _nct_tail(x: float, df: float, nc: float, *, upper: bool) -> float:
    """P(T > x) (``upper``) or P(T < x) for a noncentral t, stable at large noncentrality.

    ``scipy.stats.nct`` returns NaN for a noncentrality above about 20 (scipy 1.17) in the tail
    far from ``nc``. There the tail is below 1e-80; the normal approximation of the noncentral t
    (Abramowitz & Stegun 1964, 26.7.10), :math:`P(T \\le x) \\approx
    \\Phi((x(1 - 1/(4\\nu)) - \\delta) / \\sqrt{1 + x^2/(2\\nu)})`, replaces it.
    """
    p = float(stats.nct.sf(x, df, nc) if upper else stats.nct.cdf(x, df, nc))
    if math.isfinite(p):
        return p
    z = (x * (1.0 - 1.0 / (4.0 * df)) - nc) / math.sqrt(1.0 + x * x / (2.0 * df))
    return float(special.ndtr(-z) if upper else special.ndtr(z))


def _normal_delta(n: float, spec: _Spec, target: float) -> float:
    """The normal-approximation effect at power ``target`` with equal variances: a bracket start."""
    tails = 2 if spec.alternative == "two-sided" else 1
    v = _var_diff(0.0, spec)[1]
    z = -special.ndtri(spec.alpha / tails) - special.ndtri(1.0 - target)
    return float(z * math.sqrt(v / n))


def _max_delta(spec: _Spec) -> float:
    if spec.discordant is not None:
        return spec.discordant
    if spec.baseline is not None:
        return 1.0 - spec.baseline
    return math.inf


# ------------------------------------------------------------------------------- validation


def _number(value: Any, name: str, *, low: float, high: float = math.inf, low_open=True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"`{name}` must be a finite number; got {value!r}.")
    v = float(value)
    if (v <= low if low_open else v < low) or v > high:
        lo = "(" if low_open else "["
        raise InputError(f"`{name}` must be in {lo}{low:g}, {high:g}]; got {value!r}.")
    return v


def _spec_iv(
    *, sd, baseline, discordant, sd_diff, rho, paired, design_effect, k, icc, alpha, power,
    alternative, method,
) -> tuple[_Spec, float]:  # fmt: skip
    given = [name for name, v in (("sd", sd), ("baseline", baseline), ("discordant", discordant),
                                  ("sd_diff", sd_diff)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise InputError(
            "Give exactly one of `sd` (continuous scores), `baseline` (binary scores: A's "
            "accuracy), `discordant` (McNemar: share of items where A and B disagree) or "
            f"`sd_diff` (SD of the per-item difference); got {given or 'none'}."
        )
    sd = None if sd is None else _number(sd, "sd", low=0.0)
    sd_diff = None if sd_diff is None else _number(sd_diff, "sd_diff", low=0.0)
    baseline = (
        None if baseline is None else check_probability(baseline, "baseline", open_interval=True)
    )
    discordant = (
        None
        if discordant is None
        else check_probability(discordant, "discordant", open_interval=True)
    )
    rho = _number(rho, "rho", low=-1.0, high=1.0, low_open=False)
    if not isinstance(paired, bool | np.bool_):
        raise InputError(f"`paired` must be True or False; got {paired!r}.")
    if discordant is not None and not paired:
        raise InputError("`discordant` (McNemar) needs paired data; got `paired=False`.")
    deff = _number(design_effect, "design_effect", low=0.0)
    k = check_positive_int(k, "k")
    if k > 1 and icc is None and sd_diff is None:
        raise InputError(
            f"`k` = {k} samples per item needs `icc`, the share of a single sample's variance that "
            "lies between items (from data: `repeated_samples(...).icc`)."
        )
    icc = 1.0 if icc is None else check_probability(icc, "icc")
    alpha = check_probability(alpha, "alpha", open_interval=True)
    power = check_probability(power, "power", open_interval=True)
    alternative = check_alternative(alternative)
    method = check_choice(method, "method", ("auto", "normal", "t", "mcnemar-exact"))
    if method == "t" and sd is None and sd_diff is None:
        raise InputError("`method='t'` needs continuous scores (`sd` or `sd_diff`).")
    binary_pairs = discordant is not None or (baseline is not None and bool(paired))
    exact_ok = binary_pairs and deff == 1.0 and k == 1
    if method == "mcnemar-exact" and not exact_ok:
        raise InputError(
            "`method='mcnemar-exact'` needs binary paired scores (`discordant`, or `baseline` "
            "with `paired=True`), one sample per item (`k=1`) and no clustering "
            f"(`design_effect=1`); got k={k}, design_effect={deff:g}, paired={paired}."
        )
    if method == "auto":
        method = "mcnemar-exact" if exact_ok else "normal"
    spec = _Spec(sd, baseline, discordant, sd_diff, rho, bool(paired), deff, k, icc, alpha,
                 alternative, method)  # fmt: skip
    return spec, power


def _result(spec: _Spec, *, solved_for, delta, n, n_exact, power, note="") -> PowerResult:
    v1 = _var_diff(delta, spec)[1] if math.isfinite(delta) else math.nan
    assumptions = {
        "sd": spec.sd, "baseline": spec.baseline, "discordant": spec.discordant,
        "sd_diff_input": spec.sd_diff, "rho": spec.rho if spec.paired else None,
        "icc": spec.icc if spec.k > 1 else None,
    }  # fmt: skip
    return PowerResult(
        solved_for=solved_for,
        delta=float(delta),
        n=int(n),
        n_exact=float(n_exact),
        power=float(power),
        alpha=spec.alpha,
        alternative=spec.alternative,
        design=spec.design,
        method=spec.method,
        sd_diff=math.sqrt(v1) if v1 >= 0 else math.nan,
        design_effect=spec.deff,
        k=spec.k,
        assumptions={k: v for k, v in assumptions.items() if v is not None},
        note=note,
    )


# ------------------------------------------------------------------------------- public API

_DOC_OPTIONS = """sd : float, optional
        SD of one model's score on one item (continuous scores), the same for A and B.
    baseline : float, optional
        Model A's accuracy (binary scores); B's is ``baseline + delta``.
    discordant : float, optional
        McNemar: the share of items on which A and B disagree, :math:`p_{01} + p_{10}`.
    sd_diff : float, optional
        SD of the per-item difference B - A, as estimated from data (k and icc not applied).
    rho : float, default 0.0
        Correlation of A's and B's item scores (paired designs).
    paired : bool, default True
        Same items for both models; False for two independent item sets of ``n`` each.
    design_effect : float, default 1.0
        Variance inflation of clustered items, :math:`1 + (\\bar m - 1)\\,\\mathrm{ICC}`.
    k : int, default 1
        Samples per item.
    icc : float, optional
        Share of a single sample's variance that lies between items (needed when k > 1).
    alpha : float, default 0.05
        Significance level.
    power : float, default 0.8
        Target power.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        Two-sided or one-sided test.
    method : {"auto", "normal", "t", "mcnemar-exact"}, default "auto"
        ``"mcnemar-exact"``: the exact power of the exact conditional McNemar test, the test
        ``compare`` reports for binary paired scores; ``"normal"``: the normal approximation
        (Connor 1987 for McNemar); ``"t"``: the noncentral t (continuous scores only).
        ``"auto"`` is ``"mcnemar-exact"`` for binary paired designs (``discordant``, or
        ``baseline`` with ``paired=True``) with ``k=1`` and ``design_effect=1``, and
        ``"normal"`` otherwise."""


def minimum_detectable_effect(
    n: int,
    *,
    sd: float | None = None,
    baseline: float | None = None,
    discordant: float | None = None,
    sd_diff: float | None = None,
    rho: float = 0.0,
    paired: bool = True,
    design_effect: float = 1.0,
    k: int = 1,
    icc: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    method: str = "auto",
) -> PowerResult:
    """The smallest difference B - A that a test detects with the given power at ``n`` items.

    Parameters
    ----------
    n : int
        Items per model.
    {options}

    Returns
    -------
    PowerResult
        ``solved_for="delta"``; ``delta`` is NaN (with a ``note``) when even the largest
        possible difference is not detectable.

    Notes
    -----
    The test statistic is :math:`\\bar d / \\mathrm{SE}` with :math:`\\mathrm{SE}^2 = V / n`.
    Per model, one item's mean over K samples has variance
    :math:`\\sigma^2 (\\mathrm{ICC} + (1 - \\mathrm{ICC})/K)` (Miller 2024, sec. 3), with
    :math:`\\sigma^2 = p(1-p)` for binary scores. Paired:
    :math:`V = (\\sigma_A^2 + \\sigma_B^2 - 2\\rho\\sigma_A\\sigma_B)\\,\\mathrm{deff}`; unpaired:
    :math:`V = (\\sigma_A^2 + \\sigma_B^2)\\,\\mathrm{deff}`. McNemar (Connor 1987):
    :math:`V_0 = \\psi`, :math:`V_1 = \\psi - \\delta^2`. Normal power (two-sided):
    :math:`\\Phi((\\delta - z_{1-\\alpha/2} SE_0)/SE_1) + \\Phi((-\\delta - z_{1-\\alpha/2} SE_0)/SE_1)`;
    the t version uses the noncentral t with n - 1 (paired) or 2n - 2 (unpaired) df, as
    ``statsmodels.stats.power.TTestPower`` and ``TTestIndPower`` do. The exact McNemar power is
    :math:`\\sum_m \\mathrm{Bin}(m; n, \\psi) P(\\text{reject} \\mid m)`, the B-only count among ``m``
    discordant items being :math:`\\mathrm{Bin}(m, (\\psi + \\delta)/(2\\psi))` (with ``baseline``
    and ``rho``, :math:`\\psi = p_A + p_B - 2p_{11}`, :math:`p_{11} = p_A p_B + \\rho\\sigma_A\\sigma_B`).
    ``delta`` solves power = target by Brent's method.

    References
    ----------
    .. [1] R. J. Connor, "Sample size for testing differences in proportions for the paired-sample
       design", *Biometrics* 43(1), 207-211, 1987.
    .. [2] E. Miller, "Adding Error Bars to Evals", arXiv:2411.00640, 2024, sec. 5 (power).
    .. [3] J. Cohen, *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., 1988.

    Examples
    --------
    >>> from assay.stats._power import minimum_detectable_effect
    >>> res = minimum_detectable_effect(1000, baseline=0.7, rho=0.5, method="normal")
    >>> round(res.delta, 4)
    0.0398
    >>> res = minimum_detectable_effect(1000, baseline=0.7, rho=0.5)  # exact McNemar
    >>> res.method, round(res.delta, 4)
    ('mcnemar-exact', 0.0407)
    """
    spec, target = _spec_iv(
        sd=sd, baseline=baseline, discordant=discordant, sd_diff=sd_diff, rho=rho, paired=paired,
        design_effect=design_effect, k=k, icc=icc, alpha=alpha, power=power,
        alternative=alternative, method=method,
    )  # fmt: skip
    n = check_positive_int(n, "n", minimum=2)
    hi = _max_delta(spec)
    if math.isinf(hi):
        # Bracket from the normal-approximation solution (not from 1: at large n the power
        # there is 1 to machine precision and the search has nothing to work with).
        hi = max(_normal_delta(n, spec, target), 1e-300)
        while _power(hi, n, spec) < target:
            hi *= 2.0
    hi_eval = hi * (1 - 1e-12)
    if _power(hi_eval, n, spec) < target:
        note = (
            f"No difference up to the largest possible ({hi:g}) reaches power {target:g} "
            f"at n = {n}."
        )
        return _result(spec, solved_for="delta", delta=math.nan, n=n, n_exact=n, power=target,
                       note=note)  # fmt: skip
    lo = 1e-12
    if spec.method == "mcnemar-exact":
        # The exact solution lies near the normal one: a narrow bracket halves the evaluations.
        guess = _normal_delta(n, spec, target)
        if guess < hi_eval and _power(guess, n, spec) < target:
            lo = guess
            up = min(1.5 * guess, hi_eval)
            if _power(up, n, spec) >= target:
                hi_eval = up
    delta = optimize.brentq(
        lambda d: _power(d, n, spec) - target, lo, hi_eval, xtol=1e-14, rtol=1e-12
    )
    return _result(spec, solved_for="delta", delta=delta, n=n, n_exact=n, power=target)


def sample_size(
    delta: float,
    *,
    sd: float | None = None,
    baseline: float | None = None,
    discordant: float | None = None,
    sd_diff: float | None = None,
    rho: float = 0.0,
    paired: bool = True,
    design_effect: float = 1.0,
    k: int = 1,
    icc: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    method: str = "auto",
) -> PowerResult:
    """Items per model needed to detect a difference ``delta`` (B - A) with the given power.

    Parameters
    ----------
    delta : float
        The difference in mean score to detect, > 0.
    {options}

    Returns
    -------
    PowerResult
        ``solved_for="n"``: ``n`` rounded up, ``n_exact`` the real solution, ``power`` the power
        reached at ``n``.

    Notes
    -----
    The variance model is that of :func:`minimum_detectable_effect`. With the normal test and
    equal null and alternative variances, :math:`n = (z_{1-\\alpha/2} + z_{1-\\beta})^2 V /
    \\delta^2` (ignoring the far tail); McNemar (Connor 1987, eq. 3):
    :math:`n = (z_{1-\\alpha/2}\\sqrt\\psi + z_{1-\\beta}\\sqrt{\\psi - \\delta^2})^2/\\delta^2`.
    With ``method="mcnemar-exact"`` the power of the exact test is saw-toothed in ``n``; ``n`` is
    the smallest item count reaching the target found by a scan upward from below the normal
    solution (a larger count may fall short by a fraction of a percent).

    References
    ----------
    .. [1] R. J. Connor, "Sample size for testing differences in proportions for the paired-sample
       design", *Biometrics* 43(1), 207-211, 1987.

    Examples
    --------
    >>> from assay.stats._power import sample_size
    >>> sample_size(0.02, discordant=0.1, method="normal").n
    1960
    >>> sample_size(0.02, discordant=0.1).n  # exact McNemar, the test compare reports
    2043
    """
    spec, target = _spec_iv(
        sd=sd, baseline=baseline, discordant=discordant, sd_diff=sd_diff, rho=rho, paired=paired,
        design_effect=design_effect, k=k, icc=icc, alpha=alpha, power=power,
        alternative=alternative, method=method,
    )  # fmt: skip
    delta = _number(delta, "delta", low=0.0, high=_max_delta(spec))
    if delta >= _max_delta(spec):
        raise InputError(
            f"`delta` must be below {_max_delta(spec):g} for this design "
            f"({'the discordant rate' if spec.discordant is not None else '1 - baseline'}); "
            f"got {delta!r}."
        )
    if spec.method == "mcnemar-exact":
        return _sample_size_exact(delta, spec, target)
    lo, hi = 2.0, 4.0
    while _power(delta, hi, spec) < target:
        hi *= 2.0
        if hi > 1e15:
            raise InputError(f"`delta` = {delta!r} is too small to detect with any n below 1e15.")
    if _power(delta, lo, spec) >= target:
        n_exact = lo
    else:
        n_exact = optimize.brentq(lambda m: _power(delta, m, spec) - target, lo, hi, xtol=1e-10)
    n = math.ceil(n_exact - 1e-9)
    return _result(spec, solved_for="n", delta=delta, n=n, n_exact=n_exact,
                   power=_power(delta, n, spec))  # fmt: skip


def _sample_size_exact(delta: float, spec: _Spec, target: float) -> PowerResult:
    normal = dataclasses.replace(spec, method="normal")
    n0 = sample_size_n_exact(delta, normal, target)
    try:
        n = smallest_n(lambda m: _power(delta, m, spec), target, n0)
    except OverflowError:
        raise InputError(
            f"`delta` = {delta!r} is too small to detect with any n below 1e9."
        ) from None
    return _result(spec, solved_for="n", delta=delta, n=n, n_exact=n,
                   power=_power(delta, n, spec))  # fmt: skip


def sample_size_n_exact(delta: float, spec: _Spec, target: float) -> float:
    """The real-valued n of the normal approximation (the start of the exact scan)."""
    lo, hi = 2.0, 4.0
    while _power(delta, hi, spec) < target:
        hi *= 2.0
        if hi > 1e15:
            raise InputError(f"`delta` = {delta!r} is too small to detect with any n below 1e15.")
    if _power(delta, lo, spec) >= target:
        return lo
    return optimize.brentq(lambda m: _power(delta, m, spec) - target, lo, hi, xtol=1e-10)


minimum_detectable_effect.__doc__ = minimum_detectable_effect.__doc__.replace(
    "{options}", _DOC_OPTIONS
)
sample_size.__doc__ = sample_size.__doc__.replace("{options}", _DOC_OPTIONS)
