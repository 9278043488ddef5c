"""Ship or block, one task: is the candidate non-inferior to the baseline on paired items?

:func:`noninferiority` tests H0: candidate - baseline <= -margin with a test that holds its level
for the kind of score (exact for small binary samples), and with run-to-run variation in the
uncertainty when a model was evaluated several times (:func:`paired_difference`). The suite gate
over many tasks is in ``_gate_suite.py``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_probability,
)
from assay.stats._gate_binary import (
    EXACT_MAX_N,
    exact_lower_bound,
    exact_pvalue,
    tango_lower_bound,
    tango_pvalue,
)

__all__ = [
    "NoninferiorityResult",
    "PairedDifferenceResult",
    "noninferiority",
    "paired_difference",
]

GATE_METHODS = ("auto", "exact", "score", "t", "random-effects")
DIRECTIONS = ("higher", "lower")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoninferiorityResult(Result):
    """Is B non-inferior to A by ``margin``? One task, paired items.

    Differences are oriented so that positive means B is better (for ``direction='lower'`` the
    scores are negated first). All values are on the score scale.

    Attributes
    ----------
    estimate : float
        Mean difference B - A (better direction positive).
    bound : float
        One-sided ``1 - alpha`` lower confidence bound of the difference, from the same test.
    margin : float
        H0: difference <= -margin.
    pvalue : float
        p-value of that H0; ``passed`` is ``pvalue < alpha`` (equivalently ``bound > -margin``).
    superiority_pvalue : float
        The same test of H0: difference <= 0 (B not better), for "better" claims.
    alpha : float
    passed : bool
    se, df : float
        Standard error of the estimate and the degrees of freedom of its t reference (NaN for
        the exact and score tests, whose ``se`` is the Wald one, kept for averaging).
    n : int
        Items compared; ``n_omitted`` items lacked a score.
    n_runs_a, n_runs_b : int
        Runs (seeds, reruns) of each model; 1 when there is one.
    run_sd_a, run_sd_b : float or None
        Estimated run-to-run standard deviation of each model's mean score (None when a model
        has a single run, so it cannot be estimated).
    mean_a, mean_b : float
    binary : bool
    method : str
        ``"exact-unconditional-tango"``, ``"tango-score"``, ``"paired-t"`` or
        ``"random-effects-t"``.
    direction : str
    """

    estimate: float
    bound: float
    margin: float
    pvalue: float
    superiority_pvalue: float
    alpha: float
    passed: bool
    se: float
    df: float
    n: int
    n_omitted: int
    n_runs_a: int
    n_runs_b: int
    run_sd_a: float | None
    run_sd_b: float | None
    mean_a: float
    mean_b: float
    binary: bool
    method: str
    direction: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairedDifferenceResult(Result):
    """The paired mean difference B - A with run-to-run variation in its uncertainty.

    Attributes
    ----------
    estimate, ci_low, ci_high, se, df : float
        Mean difference, its two-sided t interval at ``confidence_level``, standard error and
        (Satterthwaite) degrees of freedom.
    confidence_level : float
    n, n_omitted : int
    n_runs_a, n_runs_b : int
    run_sd_a, run_sd_b : float or None
        Run-to-run standard deviation of each model's mean score (None with one run).
    mean_a, mean_b : float
    method : str
        ``"random-effects-t"`` when a model has several runs, else ``"paired-t"``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    df: float
    confidence_level: float
    n: int
    n_omitted: int
    n_runs_a: int
    n_runs_b: int
    run_sd_a: float | None
    run_sd_b: float | None
    mean_a: float
    mean_b: float
    method: str


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Pair:
    a: np.ndarray  # (n_items, k_a), oriented so that higher is better
    b: np.ndarray
    n_omitted: int
    binary: bool


def _as_2d(x: Any, name: str) -> np.ndarray:
    arr = check_array(x, name, ndim=(1, 2), allow_nan=True)
    return arr[:, None] if arr.ndim == 1 else arr


def _pair_iv(a, b, direction, runs, missing) -> _Pair:
    direction = check_choice(direction, "direction", DIRECTIONS)
    missing = check_choice(missing, "missing", ("raise", "omit"))
    a2, b2 = _as_2d(a, "a"), _as_2d(b, "b")
    if a2.shape[0] != b2.shape[0]:
        raise InputError(
            f"`a` has {a2.shape[0]} items and `b` has {b2.shape[0]}; row i must be the same item "
            "in both."
        )
    # with runs every run must score the item; with samples one score per model is enough
    bad = (
        np.isnan(a2).any(1) | np.isnan(b2).any(1)
        if runs
        else (np.isnan(a2).all(1) | np.isnan(b2).all(1))
    )
    if bad.any() and missing == "raise":
        raise InputError(
            f"{int(bad.sum())} item(s) lack a score of `a` or `b` (first at row "
            f"{int(np.flatnonzero(bad)[0])}); pass missing='omit' to compare the items both have."
        )
    a2, b2 = a2[~bad], b2[~bad]
    if a2.shape[0] < 2:
        raise InputError(f"`a` and `b` must share at least 2 scored items; got {a2.shape[0]}.")
    finite = np.concatenate([a2[np.isfinite(a2)], b2[np.isfinite(b2)]])
    binary = bool(np.all((finite == 0) | (finite == 1)))
    if direction == "lower":
        a2, b2 = (1.0 - a2, 1.0 - b2) if binary else (-a2, -b2)
    return _Pair(a2, b2, int(bad.sum()), binary)


def _margin_iv(margin: Any, name: str = "margin") -> float:
    if (
        isinstance(margin, bool)
        or not isinstance(margin, numbers.Real)
        or not math.isfinite(margin)
        or margin < 0
    ):
        raise InputError(f"`{name}` must be a non-negative number; got {margin!r}.")
    return float(margin)


# --------------------------------------------------------------------------------------------
# Compute stages (trusted input)
# --------------------------------------------------------------------------------------------


def _run_variance(x: np.ndarray) -> float:
    """Variance of one run's mean score across runs (two-way ANOVA without replication).

    ``x`` is (n_items, n_runs). With MS_runs = n var(run means) and MS_res the item x run
    residual mean square, :math:`\\hat\\sigma^2_{run} = \\max(0, (MS_{runs} - MS_{res}) / n)`.
    """
    n, r = x.shape
    run_means = x.mean(axis=0)
    resid = x - x.mean(axis=1, keepdims=True) - run_means[None, :] + x.mean()
    ms_res = float(np.sum(resid**2) / ((n - 1) * (r - 1)))
    ms_runs = float(n * run_means.var(ddof=1))
    return max(0.0, (ms_runs - ms_res) / n)


def paired_difference(
    a: Any,
    b: Any,
    *,
    runs: bool = False,
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> PairedDifferenceResult:
    """The paired mean difference B - A with a standard error that counts run-to-run variation.

    This is the estimate that :func:`noninferiority` tests when a model was evaluated several
    times; ``compare`` can call it for the same purpose.

    Parameters
    ----------
    a, b : array_like of shape (n_items,) or (n_items, n_runs)
        Row ``i`` is the same item in both; columns are runs (``runs=True``) or samples.
    runs : bool, default False
        Treat the columns as runs: a random run effect per model, crossed with items.
    confidence_level : float, default 0.95
    missing : {'raise', 'omit'}

    Returns
    -------
    PairedDifferenceResult

    Notes
    -----
    Model: :math:`y_{mri} = \\mu_m + u_{mr} + v_{mi} + e_{mri}` with run effects
    :math:`u_{mr} \\sim (0, \\sigma^2_m)`. With :math:`d_i` the difference of the run-averaged
    item scores, :math:`\\widehat{Var}(\\bar d) = s^2_d / n + \\hat\\sigma^2_A / R_A +
    \\hat\\sigma^2_B / R_B`: the first term is the paired item variance (which already holds the
    residual), the others the run effects that items cannot average away. Degrees of freedom by
    Satterthwaite, with ``n - 1`` and ``R_m - 1`` for the components. A model with one run has
    no estimable run variance (taken as 0 and reported as None).

    References
    ----------
    Satterthwaite (1946), Biometrics Bulletin 2:110-114. Searle, Casella & McCulloch (1992),
    Variance Components, ch. 4 (two-way crossed random effects).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((200, 3)) < 0.5
    >>> b = rng.random((200, 3)) < 0.5
    >>> out = paired_difference(a, b, runs=True)
    >>> out.n, out.n_runs_a, out.method
    (200, 3, 'random-effects-t')
    """
    confidence_level = check_confidence_level(confidence_level)
    p = _pair_iv(a, b, "higher", bool(runs), missing)
    d = _difference(p, bool(runs))
    half = float(sps.t.ppf(0.5 + confidence_level / 2.0, d["df"]) * d["se"])
    return PairedDifferenceResult(
        ci_low=d["estimate"] - half, ci_high=d["estimate"] + half,
        confidence_level=confidence_level, **d,
    )  # fmt: skip


def _difference(p: _Pair, runs: bool) -> dict:
    a_mean = np.nanmean(p.a, axis=1)
    b_mean = np.nanmean(p.b, axis=1)
    d = b_mean - a_mean
    n = d.size
    v_items = float(d.var(ddof=1) / n)
    comps, dfs = [v_items], [n - 1]
    sds = []
    for x in (p.a, p.b):
        if runs and x.shape[1] > 1:
            v = _run_variance(x)
            comps.append(v / x.shape[1])
            dfs.append(x.shape[1] - 1)
            sds.append(math.sqrt(v))
        else:
            sds.append(None)
    var = float(sum(comps))
    denom = sum(c * c / f for c, f in zip(comps, dfs))
    df = var * var / denom if denom > 0 else float(n - 1)
    multi = runs and (p.a.shape[1] > 1 or p.b.shape[1] > 1)
    return {
        "estimate": float(d.mean()),
        "se": math.sqrt(var),
        "df": float(df),
        "n": n,
        "n_omitted": p.n_omitted,
        "n_runs_a": p.a.shape[1] if runs else 1,
        "n_runs_b": p.b.shape[1] if runs else 1,
        "run_sd_a": sds[0],
        "run_sd_b": sds[1],
        "method": "random-effects-t" if multi else "paired-t",
        "mean_a": float(a_mean.mean()),
        "mean_b": float(b_mean.mean()),
    }


def _t_test(est: float, se: float, df: float, margin: float, alpha: float):
    if se > 0:
        p = float(sps.t.sf((est + margin) / se, df))
        p0 = float(sps.t.sf(est / se, df))
        bound = est - float(sps.t.ppf(1.0 - alpha, df)) * se
        return p, p0, bound
    warnings.warn(
        "the paired differences have no spread: the t bound has zero width; with few items "
        "this is not certainty.",
        DegenerateDataWarning,
        stacklevel=4,
    )
    return (0.0 if est > -margin else 1.0), (0.0 if est > 0 else 1.0), est


def _binary_test(p: _Pair, margin: float, alpha: float, method: str):
    a, b = p.a[:, 0], p.b[:, 0]
    x = int(np.sum((b == 1) & (a == 0)))
    y = int(np.sum((b == 0) & (a == 1)))
    n = a.size
    if method == "exact":
        return (
            exact_pvalue(x, y, n, -margin),
            exact_pvalue(x, y, n, 0.0),
            exact_lower_bound(x, y, n, alpha),
        )
    return (
        tango_pvalue(x, y, n, -margin),
        tango_pvalue(x, y, n, 0.0),
        tango_lower_bound(x, y, n, alpha),
    )


_METHOD_NAMES = {
    "exact": "exact-unconditional-tango",
    "score": "tango-score",
    "t": "paired-t",
    "random-effects": "random-effects-t",
}


def _pick_method(p: _Pair, runs: bool, method: str) -> str:
    single = p.a.shape[1] == 1 and p.b.shape[1] == 1
    if method == "auto":
        if runs and not single:
            return "random-effects"
        if p.binary and single:
            return "exact" if p.a.shape[0] <= EXACT_MAX_N else "score"
        return "t"
    if method in ("exact", "score") and not (p.binary and single):
        raise InputError(
            f"`method` {method!r} needs binary scores with one score per item and model; use "
            "'t' or 'auto'."
        )
    if method == "random-effects" and not runs:
        raise InputError("`method` 'random-effects' needs runs=True (columns are runs).")
    return method


def _compute(p: _Pair, margin, alpha, runs, method, direction) -> NoninferiorityResult:
    diff = _difference(p, runs)
    if method in ("exact", "score"):
        pval, p0, bound = _binary_test(p, margin, alpha, method)
        df = math.nan
    else:
        pval, p0, bound = _t_test(diff["estimate"], diff["se"], diff["df"], margin, alpha)
        df = diff["df"]
    if method in ("exact", "score"):
        bound = min(bound, diff["estimate"])
    return NoninferiorityResult(
        estimate=diff["estimate"], bound=float(bound), margin=margin, pvalue=float(pval),
        superiority_pvalue=float(p0), alpha=alpha, passed=bool(pval < alpha), se=diff["se"],
        df=df, n=diff["n"], n_omitted=diff["n_omitted"], n_runs_a=diff["n_runs_a"],
        n_runs_b=diff["n_runs_b"], run_sd_a=diff["run_sd_a"], run_sd_b=diff["run_sd_b"],
        mean_a=diff["mean_a"], mean_b=diff["mean_b"], binary=p.binary,
        method=_METHOD_NAMES[method], direction=direction,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def noninferiority(
    a: Any,
    b: Any,
    *,
    margin: float,
    alpha: float = 0.05,
    direction: str = "higher",
    runs: bool = False,
    method: str = "auto",
    missing: str = "raise",
) -> NoninferiorityResult:
    """Test whether B is non-inferior to A: H0 ``B - A <= -margin`` against H1 ``B - A > -margin``.

    Parameters
    ----------
    a, b : array_like of shape (n_items,) or (n_items, k)
        Baseline and candidate scores on the same items. The ``k`` columns are samples of one run
        (averaged per item) or, with ``runs=True``, separate runs (seeds, reruns).
    margin : float
        Non-negative margin on the score scale (0.005 is half a point of accuracy). A margin of
        0 tests whether B is better.
    alpha : float, default 0.05
        One-sided level.
    direction : {'higher', 'lower'}, default 'higher'
        Whether higher scores are better; with 'lower' the difference is A - B.
    runs : bool, default False
        Columns are runs: run-to-run variation enters the uncertainty (:func:`paired_difference`).
    method : {'auto', 'exact', 'score', 't', 'random-effects'}, default 'auto'
        'auto' picks the exact unconditional test for binary scores on at most
        ``EXACT_MAX_N`` (100) items, Tango's score test for more, the paired t for other
        scores and the random-effects t when a model has several runs.
    missing : {'raise', 'omit'}, default 'raise'

    Returns
    -------
    NoninferiorityResult

    Notes
    -----
    For paired binary scores with ``x`` items only B got right and ``y`` only A got right,
    Tango's statistic is :math:`T = (x - y + n\\delta)/\\sqrt{n(2\\tilde p_y - \\delta(1+\\delta))}`
    with :math:`\\tilde p_y` the MLE of :math:`p_y` under :math:`p_x - p_y = -\\delta`. The
    exact unconditional p-value is the largest, over the nuisance :math:`p_y` on the null
    boundary, probability of a statistic at least the observed one, so the test never rejects
    more often than ``alpha`` (the paired t does: 6.6% at n = 20 in issue 24's measurement). The
    lower bound inverts the same test, so ``passed`` is ``bound > -margin``.

    References
    ----------
    Tango (1998), Statistics in Medicine 17:891-908. Chan, Tang, Tang & Tang (2003), Biometrical
    Journal 45:1022-1032 (exact unconditional non-inferiority for matched pairs).

    Examples
    --------
    >>> a = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1] * 3
    >>> b = [1, 1, 1, 1, 0, 1, 1, 0, 1, 1] * 3
    >>> res = noninferiority(a, b, margin=0.05)
    >>> res.method, res.passed
    ('exact-unconditional-tango', True)
    """
    margin = _margin_iv(margin)
    alpha = check_probability(alpha, "alpha", open_interval=True)
    method = check_choice(method, "method", GATE_METHODS)
    runs = bool(runs)
    p = _pair_iv(a, b, direction, runs, missing)
    chosen = _pick_method(p, runs, method)
    return _compute(p, margin, alpha, runs, chosen, direction)
