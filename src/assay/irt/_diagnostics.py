"""Item fit (infit, outfit, S-X2), item-total correlations, the likelihood-ratio test, and the audit."""

from __future__ import annotations

import copy
import dataclasses
import numbers
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import InputError, Result
from assay._core._validation import check_probability, check_rng
from assay.irt._flags import FLAG_ERROR_RATES, _flags, _tests
from assay.irt._inputs import as_scores
from assay.irt._results import IRTFit

__all__ = [
    "ItemAudit",
    "ItemFit",
    "LRTest",
    "audit",
    "item_fit",
    "lr_test",
    "sum_score_distribution",
]

_SX2_MAX_ITEMS = 500
_N_SIM = 40
_Z95 = 1.959963984540054
_SX2_GRID = np.linspace(-6, 6, 121)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ItemFit(Result):
    """Per-item fit statistics (arrays of shape (n_items,)).

    Attributes
    ----------
    items : tuple of str
    infit, outfit : ndarray
        Information-weighted and unweighted mean squares of standardised residuals at the models'
        EAP abilities (expected 1 under the model; above ~1.5 the item is noisier than the model
        allows, below ~0.5 it is too predictable).
    sx2, sx2_df, sx2_pvalue : ndarray
        Orlando and Thissen's (2000) summed-score item fit; NaN when not computed (see
        ``sx2_note``).
    item_total : ndarray
        Pearson correlation of the item with the model's mean score on the other items it answered.
    n : ndarray of int
        Models that answered each item.
    sx2_note : str
    """

    _array_fields = (
        "infit",
        "outfit",
        "infit_z",
        "outfit_z",
        "sx2",
        "sx2_df",
        "sx2_pvalue",
        "item_total",
        "n",
    )

    items: tuple[str, ...]
    infit: np.ndarray
    outfit: np.ndarray
    infit_z: np.ndarray
    outfit_z: np.ndarray
    sx2: np.ndarray
    sx2_df: np.ndarray
    sx2_pvalue: np.ndarray
    item_total: np.ndarray
    n: np.ndarray
    sx2_note: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class LRTest(Result):
    """Likelihood-ratio test of a restricted model against a fuller one (``TestResult`` vocabulary)."""

    __test__ = False

    statistic: float
    pvalue: float
    df: int
    alternative: str
    method: str
    n: int
    restricted: str
    full: str
    aic: tuple[float, float]
    bic: tuple[float, float]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ItemAudit(Result):
    """The item audit: one row per item with its parameters, fit and flags.

    Attributes
    ----------
    fit : IRTFit
    item_fit : ItemFit
    rows : list of dict
        item, p_correct (mean score), n, discrimination (+ SE), difficulty (+ SE), infit, outfit,
        sx2_pvalue, item_total, flags (list of str) and reasons (list of str).
    n_flagged : int
    criteria : dict
        The thresholds used.
    flag_error_rates : dict
        Per flag, the share of items it flagged on a clean simulated bank (``false_flag_rate``) and
        the share of planted flawed items it found (``recall``), with the simulation they were
        measured on (``benchmarks/flags.py``; :data:`FLAG_ERROR_RATES`).
    """

    fit: IRTFit
    item_fit: ItemFit
    rows: list[dict[str, Any]]
    n_flagged: int
    criteria: dict[str, float]
    flag_error_rates: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        return {
            "model": self.fit.model,
            "n_items": self.fit.n_items,
            "n_models": self.fit.n_models,
            "n_flagged": self.n_flagged,
            "criteria": dict(self.criteria),
            "rows": self.rows,
            "sx2_note": self.item_fit.sx2_note,
            "flag_error_rates": self.flag_error_rates,
        }

    def flagged(self) -> list[dict[str, Any]]:
        """Rows with at least one flag, most discrimination-troubled first."""
        rows = [r for r in self.rows if r["flags"]]
        return sorted(
            rows, key=lambda r: r["discrimination"] if r["discrimination"] is not None else 0.0
        )


# ------------------------------------------------------------------------------------------ fit
def _expected(fit: IRTFit, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected score, its variance and fourth central moment per model and item, at the abilities."""
    if fit.model == "grm":
        z = fit.discrimination[None, :, None] * theta[:, None, None] + fit.intercept[None, :, :]
        s = special.expit(z)
        n_m, n_i, _ = s.shape
        ps = np.concatenate([np.ones((n_m, n_i, 1)), s, np.zeros((n_m, n_i, 1))], axis=2)
        P = ps[..., :-1] - ps[..., 1:]
        k = np.arange(fit.n_categories)
        e = (P * k).sum(2)
        dev = k[None, None, :] - e[..., None]
        return e, (P * dev**2).sum(2), (P * dev**4).sum(2)
    p = fit.probability(theta)
    q = 1 - p
    return p, p * q, p * q * (p**3 + q**3)


def _item_total(values: np.ndarray) -> np.ndarray:
    """Correlation of each item with the rest mean (other observed items), over models, vectorised."""
    obs = ~np.isnan(values)
    y = np.where(obs, values, 0.0)
    tot, cnt = y.sum(1, keepdims=True), obs.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = (tot - y) / (cnt - obs)
    rest = np.where(obs & np.isfinite(rest), rest, 0.0)
    m = obs.sum(0)
    my, mr = y.sum(0) / np.maximum(m, 1), rest.sum(0) / np.maximum(m, 1)
    yc, rc = (y - my) * obs, (rest - mr) * obs
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (yc * rc).sum(0) / np.sqrt((yc**2).sum(0) * (rc**2).sum(0))
    return np.where(np.isfinite(r), r, np.nan)


def sum_score_distribution(p: np.ndarray) -> np.ndarray:
    """Lord and Wingersky (1984): P(sum score = s | theta) for s = 0..n from per-item P (n_items, n_theta)."""
    n_i, n_t = p.shape
    f = np.zeros((n_i + 1, n_t))
    f[0] = 1.0
    for i in range(n_i):
        f[1 : i + 2] = f[1 : i + 2] * (1 - p[i]) + f[: i + 1] * p[i]
        f[0] = f[0] * (1 - p[i])
    return f


def _leave_one_out(f: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(sum of the other items = s | theta), (n_items, n, n_theta), by deconvolving each item out.

    Forward recursion where P_i <= 1/2 and backward where P_i > 1/2 keep the division stable.
    """
    n = f.shape[0] - 1
    lo = p <= 0.5
    q = 1 - p
    with np.errstate(over="ignore", invalid="ignore"):  # the branch not taken may overflow
        fw, bw = _recursions(f, p, q, n)
    out = np.where(lo[:, None, :], fw, bw)
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)


def _recursions(f, p, q, n):
    n_i, n_t = p.shape
    # forward: g(0) = f(0)/q, g(s) = (f(s) - g(s-1) p)/q
    g = f[0][None, :] / np.maximum(q, 1e-300)
    fw = np.zeros((n_i, n, n_t))
    fw[:, 0] = g
    for s in range(1, n):
        g = (f[s][None, :] - g * p) / np.maximum(q, 1e-300)
        fw[:, s] = g
    # backward: g(n-1) = f(n)/p, g(s-1) = (f(s) - g(s) q)/p
    bw = np.zeros((n_i, n, n_t))
    g = f[n][None, :] / np.maximum(p, 1e-300)
    bw[:, n - 1] = g
    for s in range(n - 1, 0, -1):
        g = (f[s][None, :] - g * q) / np.maximum(p, 1e-300)
        bw[:, s - 1] = g
    return fw, bw


def _sx2(fit: IRTFit, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    n_i = fit.n_items
    nan = np.full(n_i, np.nan)
    if fit.model not in ("1pl", "2pl", "3pl"):
        return (
            nan,
            nan,
            nan,
            f"S-X2 is defined for binary models; not computed for model={fit.model!r}.",
        )
    if np.isnan(values).any():
        return (
            nan,
            nan,
            nan,
            "S-X2 needs every model to answer every item (summed scores); not computed.",
        )
    if n_i > _SX2_MAX_ITEMS or n_i < 3:
        return nan, nan, nan, f"S-X2 computed for 3 to {_SX2_MAX_ITEMS} items; this test has {n_i}."
    grid = _SX2_GRID
    logw = -0.5 * grid**2
    w = np.exp(logw - special.logsumexp(logw))
    p = fit.probability(grid).T  # (n_items, n_grid)
    f = sum_score_distribution(p)
    loo = _leave_one_out(f, p)
    denom = f @ w  # P(S = s)
    score = values.sum(1).astype(int)
    n_s = np.bincount(score, minlength=n_i + 1).astype(float)
    correct = np.stack(
        [np.bincount(score, weights=values[:, i], minlength=n_i + 1) for i in range(n_i)]
    )
    k = {"1pl": 1, "2pl": 2, "3pl": 3}[fit.model]
    stat, df = np.zeros(n_i), np.zeros(n_i)
    for i in range(n_i):
        e = np.zeros(n_i + 1)
        e[1:n_i] = (p[i][None, :] * loo[i, : n_i - 1] * w[None, :]).sum(1) / np.maximum(
            denom[1:n_i], 1e-300
        )
        stat[i], df[i] = _collapse_chi2(n_s[1:n_i], correct[i, 1:n_i], e[1:n_i], k)
    pval = np.where(df > 0, stats.chi2.sf(stat, np.maximum(df, 1)), np.nan)
    return (
        stat,
        df,
        pval,
        "S-X2 (Orlando and Thissen 2000), adjacent score groups merged until expected counts >= 1.",
    )


def _collapse_chi2(n: np.ndarray, o: np.ndarray, e: np.ndarray, k: int) -> tuple[float, float]:
    groups, cur = [], [0.0, 0.0, 0.0]
    for ns, os_, es in zip(n, o, e):
        cur = [cur[0] + ns, cur[1] + os_, cur[2] + ns * es]
        if cur[2] >= 1 and cur[0] - cur[2] >= 1:
            groups.append(cur)
            cur = [0.0, 0.0, 0.0]
    if cur[0] > 0:
        if groups:
            groups[-1] = [g + c for g, c in zip(groups[-1], cur)]
        else:
            groups.append(cur)
    stat = 0.0
    for ns, os_, es in groups:
        if ns <= 0:
            continue
        pe = es / ns
        stat += (os_ - es) ** 2 / max(ns * pe * (1 - pe), 1e-12)
    return stat, float(len(groups) - k)


def _mean_square_z(fit, e, v, obs, infit, outfit, rng, n_sim: int = _N_SIM):
    """Infit and outfit as z-scores against their null distribution at the fitted parameters.

    A parametric bootstrap: ``n_sim`` response sets drawn from the fitted model at the models'
    abilities give each item's null mean and SD of the cube-rooted mean squares (the cube root makes
    them near normal; Wilson-Hilferty). The analytic ZSTD variances are unreliable when many
    probabilities are extreme, as they are with few strong and weak models.
    """
    nan = np.full(fit.n_items, np.nan)
    if fit.model not in ("1pl", "2pl", "3pl"):
        return nan, nan
    sims_in = np.empty((n_sim, fit.n_items))
    sims_out = np.empty((n_sim, fit.n_items))
    n = obs.sum(0)
    vo = np.where(obs, v, 0.0).sum(0)
    # (y - e)^2 is e^2 when y = 0 and (1 - e)^2 when y = 1: each draw's sums are the y = 0 sums
    # plus y-weighted differences, one pass over the responses per draw instead of six
    r0 = np.where(obs, e**2, 0.0)
    d = np.where(obs, (1.0 - e) ** 2, 0.0) - r0
    r0_in, r0_out = r0.sum(0), (r0 / v).sum(0)
    dv = d / v
    del r0  # n_models x n_items arrays: keep only what the draws use
    for s in range(n_sim):
        y = rng.random(e.shape) < e
        with np.errstate(invalid="ignore", divide="ignore"):
            sims_in[s] = (r0_in + np.einsum("mi,mi->i", y, d)) / vo
            sims_out[s] = (r0_out + np.einsum("mi,mi->i", y, dv)) / n
    out = []
    for obs_ms, sim in ((infit, sims_in), (outfit, sims_out)):
        c = np.cbrt(sim)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (np.cbrt(obs_ms) - c.mean(0)) / c.std(0, ddof=1)
        out.append(np.where(np.isfinite(z), z, np.nan))
    return out[0], out[1]


def item_fit(fit: IRTFit, scores: Any, *, rng: Any = 0) -> ItemFit:
    """Infit, outfit, S-X2 and item-total correlation of every item.

    Parameters
    ----------
    fit : IRTFit
        The fit of ``scores``.
    scores : array_like (n_models, n_items) or ScoreMatrix
        The scores the fit was made from (same row and column order).
    rng : int or Generator, default 0
        For the parametric bootstrap of ``infit_z`` and ``outfit_z`` (fixed by default, so an
        audit flags the same items every time).

    Returns
    -------
    ItemFit

    Notes
    -----
    With ``E`` and ``V`` the expected score and its variance at a model's EAP ability,
    ``outfit = mean((y - E)^2 / V)`` and ``infit = sum (y - E)^2 / sum V`` over the models that
    answered (Wright and Masters 1982). S-X2 compares, within each summed-score group, the observed
    proportion correct with the model's, computed by the Lord-Wingersky recursion on a 121-point
    grid (Orlando and Thissen 2000); ``df = groups - item parameters``.
    """
    values, _, _ = as_scores(scores)
    if values.shape != (fit.n_models, fit.n_items):
        raise InputError(
            f"`scores` has shape {values.shape} but the fit is of {fit.n_models} models x "
            f"{fit.n_items} items."
        )
    obs = ~np.isnan(values)
    e, v, c = _expected(fit, fit.ability.estimate)
    v = np.maximum(v, 1e-12)
    r2 = np.where(obs, (np.nan_to_num(values) - e) ** 2, 0.0)
    n = obs.sum(0)
    vo = np.where(obs, v, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        outfit = (r2 / v).sum(0) / n
        infit = r2.sum(0) / vo.sum(0)
    del r2, vo  # the bootstrap below allocates several more of these
    infit_z, outfit_z = _mean_square_z(fit, e, v, obs, infit, outfit, check_rng(rng))
    sx2, df, pv, note = _sx2(fit, values)
    return ItemFit(
        items=fit.items,
        infit=infit,
        outfit=outfit,
        infit_z=infit_z,
        outfit_z=outfit_z,
        sx2=sx2,
        sx2_df=df,
        sx2_pvalue=pv,
        item_total=_item_total(values),
        n=n,
        sx2_note=note,
    )


def lr_test(restricted: IRTFit, full: IRTFit) -> LRTest:
    """Likelihood-ratio test of a restricted fit (e.g. 1PL) against a fuller one (e.g. 2PL).

    ``G2 = 2 (loglik_full - loglik_restricted)`` against chi-square with ``k_full - k_restricted``
    degrees of freedom. Both fits must be pure ML (``prior=None``) on the same scores.
    """
    if restricted.items != full.items or restricted.models != full.models:
        raise InputError("`restricted` and `full` must be fits of the same models and items.")
    if restricted.n_responses != full.n_responses:
        raise InputError("`restricted` and `full` were fitted on different responses.")
    df = full.n_params - restricted.n_params
    if df <= 0:
        raise InputError(
            f"`full` ({full.model}, {full.n_params} parameters) must have more parameters than "
            f"`restricted` ({restricted.model}, {restricted.n_params})."
        )
    if restricted.prior is not None or full.prior is not None:
        raise InputError("the likelihood-ratio test needs pure ML fits; refit with prior=None.")
    g2 = max(2.0 * (full.loglik - restricted.loglik), 0.0)
    return LRTest(
        statistic=g2,
        pvalue=float(stats.chi2.sf(g2, df)),
        df=df,
        alternative="greater",
        method="likelihood-ratio chi-square",
        n=full.n_models,
        restricted=restricted.model,
        full=full.model,
        aic=(restricted.aic, full.aic),
        bic=(restricted.bic, full.bic),
    )


# ---------------------------------------------------------------------------------------- audit
def _check_threshold(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
    ):
        raise InputError(f"`{name}` must be a non-negative number; got {value!r}.")
    return float(value)


def audit(
    scores: Any,
    *,
    fit: IRTFit | None = None,
    min_discrimination: float = 0.25,
    max_mean_square: float = 1.5,
    alpha: float = 0.05,
    items: Any = None,
    models: Any = None,
    rng: Any = 0,
    **fit_options: Any,
) -> ItemAudit:
    """Audit every item: parameters, fit and flags with reasons, each flag with its error rates.

    Parameters
    ----------
    scores : array_like (n_models, n_items) or ScoreMatrix
    fit : IRTFit, optional
        A fit of ``scores`` with standard errors; by default a 2PL is fitted (``fit_options`` go
        to :func:`fit`).
    min_discrimination : float, default 0.25
        'near-zero discrimination' means the discrimination is below this value.
    max_mean_square : float, default 1.5
        'misfit' needs infit or outfit above this (Linacre's "unproductive") as well as a
        significant standardised mean square.
    alpha : float, default 0.05
        Discrimination flags use ``1 - alpha`` intervals; misfit holds the false discovery rate
        across items at ``alpha``.
    items, models : sequence of str, optional
    rng : int or Generator, default 0
        For the parametric bootstrap of the standardised mean squares (:func:`item_fit`).

    Returns
    -------
    ItemAudit

    Notes
    -----
    Flags:

    - 'negative discrimination': the item's two-sided ``1 - alpha`` Wald interval of ``a`` lies
      below 0;
    - 'near-zero discrimination': that interval lies below ``min_discrimination`` (the interval,
      not just the point estimate);
    - 'misfit': the larger of the infit and outfit z-scores (parametric bootstrap, :func:`item_fit`)
      has a one-sided normal p-value (Bonferroni over the two) significant after the Benjamini-Hochberg
      adjustment across items at ``alpha`` (Benjamini and Hochberg 1995), and a mean square above
      ``max_mean_square``; or S-X2 is significant after the same adjustment (where computed);
    - 'solved by no model', 'solved by every model': facts (mean score 0 or 1 among the models
      that answered), not inferences.

    ``flag_error_rates`` carries each flag's false-flag rate and recall as measured on simulated
    banks of the demo's size (``python benchmarks/flags.py``). Items without a finite standard
    error are not tested for discrimination.
    """
    from assay.irt._fit import fit as fit_model

    min_a = _check_threshold(min_discrimination, "min_discrimination")
    max_ms = _check_threshold(max_mean_square, "max_mean_square")
    alpha = check_probability(alpha, "alpha", open_interval=True)
    values, items, models = as_scores(scores, items=items, models=models)
    if fit is None:
        fit = fit_model(values, items=items, models=models, **fit_options)
    elif values.shape != (fit.n_models, fit.n_items):
        raise InputError(
            f"`scores` has shape {values.shape} but `fit` is of {fit.n_models} models x "
            f"{fit.n_items} items."
        )
    ifit = item_fit(fit, values, rng=rng)
    mean = np.nanmean(values, axis=0) / max(fit.n_categories - 1, 1)
    tests = _tests(fit, ifit, mean, min_a)
    rows, n_flagged = [], 0
    for i, item in enumerate(fit.items):
        flags, reasons = _flags(fit, ifit, tests, mean, i, min_a, max_ms, alpha)
        n_flagged += bool(flags)
        b = fit.difficulty[i]
        rows.append(
            {
                "item": item,
                "mean_score": float(mean[i]),
                "n": int(ifit.n[i]),
                "discrimination": _num(fit.discrimination[i]),
                "discrimination_se": _num(fit.discrimination_se[i]),
                "difficulty": _num(b) if np.ndim(b) == 0 else [_num(x) for x in b],
                "difficulty_se": _num(fit.difficulty_se[i])
                if np.ndim(b) == 0
                else [_num(x) for x in fit.difficulty_se[i]],
                "infit": _num(ifit.infit[i]),
                "outfit": _num(ifit.outfit[i]),
                "infit_z": _num(ifit.infit_z[i]),
                "outfit_z": _num(ifit.outfit_z[i]),
                "sx2_pvalue": _num(ifit.sx2_pvalue[i]),
                "sx2_pvalue_adjusted": _num(tests["sx2"][i]),
                "misfit_pvalue_adjusted": _num(tests["misfit"][i]),
                "low_discrimination_pvalue": _num(tests["low"][i]),
                "item_total": _num(ifit.item_total[i]),
                "flags": flags,
                "reasons": reasons,
            }
        )
    return ItemAudit(
        fit=fit,
        item_fit=ifit,
        rows=rows,
        n_flagged=n_flagged,
        criteria={"min_discrimination": min_a, "max_mean_square": max_ms, "alpha": alpha},
        flag_error_rates=copy.deepcopy(FLAG_ERROR_RATES),
    )


def _num(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None
