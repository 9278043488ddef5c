"""Clean against dirty: does a model score higher on contaminated items than difficulty explains?"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_alternative,
    check_array,
    check_confidence_level,
    check_positive_int,
    check_rng,
)

__all__ = ["CleanDirtyResult", "ModelGap", "clean_vs_dirty"]


@dataclasses.dataclass(frozen=True)
class ModelGap(Result):
    """One model's score on clean and contaminated items.

    Attributes
    ----------
    model : str
    n_clean, n_dirty : int
        Items used (with a score) in each group.
    clean_mean, dirty_mean, gap : float
        Mean scores and the raw gap ``dirty_mean - clean_mean``.
    estimate : float
        The gap after difficulty: the mean over strata of (dirty minus clean) weighted by the
        dirty items per stratum.
    ci_low, ci_high : float
        Normal interval of ``estimate`` at ``confidence_level``.
    statistic, pvalue : float
        Cochran-Mantel-Haenszel z for binary scores, or the stratified permutation test's
        ``estimate`` for other scores; p-value for ``alternative``.
    pvalue_adjusted : float
        Holm-adjusted across models.
    n_strata : int
        Strata holding both clean and dirty items (the others do not enter the estimate).
    """

    model: str
    n_clean: int
    n_dirty: int
    clean_mean: float
    dirty_mean: float
    gap: float
    estimate: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    pvalue_adjusted: float
    n_strata: int
    method: str
    confidence_level: float
    alternative: str


@dataclasses.dataclass(frozen=True)
class CleanDirtyResult(Result):
    """Per-model clean-vs-dirty comparisons (see :func:`clean_vs_dirty`)."""

    models: tuple[ModelGap, ...]
    difficulty: str
    n_strata: int
    n_items: int
    n_dirty: int
    alternative: str
    confidence_level: float


def _iv(scores, contaminated, models, difficulty, n_strata, alternative, confidence_level):
    x = check_array(scores, "scores", ndim=(2, 3), allow_nan=True)
    if x.ndim == 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            x = np.nanmean(x, axis=2)
    dirty = np.asarray(contaminated)
    if dirty.dtype != bool:
        raise InputError(f"`contaminated` must be a boolean array; got dtype {dirty.dtype}.")
    if dirty.shape != (x.shape[1],):
        raise InputError(
            f"`contaminated` must have one entry per item ({x.shape[1]}); got shape {dirty.shape}."
        )
    if not dirty.any() or dirty.all():
        raise InputError(
            f"`contaminated` must mark some items and leave some clean; got {int(dirty.sum())} of "
            f"{dirty.size} contaminated."
        )
    models = (
        [f"model {i}" for i in range(x.shape[0])] if models is None else [str(m) for m in models]
    )
    if len(models) != x.shape[0]:
        raise InputError(
            f"`models` must have one name per row of `scores` ({x.shape[0]}); got {len(models)}."
        )
    if difficulty is not None:
        difficulty = check_array(difficulty, "difficulty", ndim=1, allow_nan=True)
        if difficulty.shape != dirty.shape:
            raise InputError(
                f"`difficulty` must have one entry per item ({dirty.size}); got {difficulty.size}."
            )
    elif x.shape[0] < 2:
        raise InputError(
            "`difficulty` is needed with a single model (item difficulty cannot come from the "
            "model's own scores); pass IRT difficulties or mean scores from other models."
        )
    check_positive_int(n_strata, "n_strata")
    return (
        x,
        dirty,
        models,
        difficulty,
        check_alternative(alternative),
        check_confidence_level(confidence_level),
    )


def clean_vs_dirty(
    scores: np.ndarray,
    contaminated: np.ndarray,
    *,
    models: Sequence[str] | None = None,
    difficulty: np.ndarray | None = None,
    n_strata: int = 5,
    alternative: str = "greater",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> CleanDirtyResult:
    """Compare each model's scores on contaminated and clean items, stratified by difficulty.

    Parameters
    ----------
    scores : array_like, shape (n_models, n_items) or (n_models, n_items, n_samples)
        Scores, NaN where missing (samples are averaged).
    contaminated : array_like of bool, shape (n_items,)
    models : sequence of str, optional
    difficulty : array_like, shape (n_items,), optional
        Item difficulty (e.g. IRT difficulty). Default: for each model, the mean score of the other
        models on the item (leave-one-out, so a model's own luck does not explain its own gap).
    n_strata : int, default 5
        Quantile strata of difficulty.
    alternative : {'greater', 'two-sided', 'less'}, default 'greater'
        'greater' tests whether contaminated items score higher than their difficulty predicts.
    confidence_level : float, default 0.95
    n_resamples : int, default 2000
        Permutations for non-binary scores.
    rng : Generator, int or None

    Returns
    -------
    CleanDirtyResult

    Notes
    -----
    Within stratum :math:`s` with :math:`n_{s,d}` dirty and :math:`n_{s,c}` clean items, the
    adjusted gap is :math:`\\sum_s w_s(\\bar y_{s,d} - \\bar y_{s,c})` with
    :math:`w_s = n_{s,d}/\\sum n_{s,d}` over strata holding both, and variance
    :math:`\\sum_s w_s^2 (v_{s,d}/n_{s,d} + v_{s,c}/n_{s,c})`. Binary scores are tested with the
    Cochran-Mantel-Haenszel statistic :math:`z = \\sum_s (a_s - E a_s)/\\sqrt{\\sum_s V_s}` on the
    2x2 tables (dirty/clean by right/wrong), without continuity correction (``z**2`` is
    statsmodels' ``StratifiedTable.test_null_odds(correction=False)``); other scores by
    permuting the contamination labels within strata.

    With the default difficulty, a leak that every model trained on also makes the contaminated
    items look easier to the other models, and the test then understates the gap: pass a
    difficulty from models known to be clean, or IRT difficulties, when that is possible.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.2, 0.9, 500)                      # item difficulty
    >>> dirty = rng.random(500) < 0.3
    >>> boost = np.array([[0.2], [0.0], [0.0]]) * dirty  # only model "a" trained on the leak
    >>> scores = (rng.random((3, 500)) < p + boost).astype(float)
    >>> res = clean_vs_dirty(scores, dirty, models=["a", "b", "c"], rng=0)
    >>> [bool(r.pvalue_adjusted < 0.05) for r in res.models]
    [True, False, False]
    """
    x, dirty, models, difficulty, alternative, level = _iv(
        scores, contaminated, models, difficulty, n_strata, alternative, confidence_level
    )
    gen = check_rng(rng)
    finite = x[np.isfinite(x)]
    binary = bool(finite.size) and bool(np.all((finite == 0) | (finite == 1)))
    rows, pvals = [], []
    for m in range(x.shape[0]):
        diff = difficulty if difficulty is not None else _leave_one_out(x, m)
        row = _one_model(x[m], dirty, diff, n_strata, binary, alternative, level, n_resamples, gen)
        rows.append((models[m], *row))
        pvals.append(row[-2])
    p = np.asarray(pvals, float)
    adj = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        from assay.stats import adjust_pvalues  # (imported when needed: workers start faster)

        adj[ok] = adjust_pvalues(p[ok], method="holm").pvalues_adjusted
    method = "cmh" if binary else "stratified-permutation"
    out = tuple(
        ModelGap(
            model=r[0],
            n_clean=r[1],
            n_dirty=r[2],
            clean_mean=r[3],
            dirty_mean=r[4],
            gap=r[5],
            estimate=r[6],
            ci_low=r[7],
            ci_high=r[8],
            statistic=r[9],
            pvalue=r[10],
            pvalue_adjusted=float(a),
            n_strata=r[11],
            method=method,
            confidence_level=level,
            alternative=alternative,
        )
        for r, a in zip(rows, adj, strict=True)
    )
    return CleanDirtyResult(
        models=out,
        difficulty="given" if difficulty is not None else "leave-one-out mean score",
        n_strata=n_strata,
        n_items=int(dirty.size),
        n_dirty=int(dirty.sum()),
        alternative=alternative,
        confidence_level=level,
    )


def _leave_one_out(x: np.ndarray, m: int) -> np.ndarray:
    others = np.delete(x, m, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(others, axis=0)


def _strata(difficulty: np.ndarray, n_strata: int) -> np.ndarray:
    """Quantile strata (ties kept together); -1 where difficulty is missing."""
    out = np.full(difficulty.shape, -1, np.int64)
    ok = np.isfinite(difficulty)
    edges = np.unique(np.quantile(difficulty[ok], np.linspace(0, 1, n_strata + 1)[1:-1]))
    out[ok] = np.searchsorted(edges, difficulty[ok], side="right")
    return out


def _one_model(y, dirty, difficulty, n_strata, binary, alternative, level, n_resamples, gen):
    ok = np.isfinite(y) & np.isfinite(difficulty)
    y, d, s = (
        y[ok],
        dirty[ok],
        _strata(difficulty[ok], n_strata) if ok.any() else np.zeros(0, np.int64),
    )
    n_d, n_c = int(d.sum()), int((~d).sum())
    clean_mean = float(y[~d].mean()) if n_c else float("nan")
    dirty_mean = float(y[d].mean()) if n_d else float("nan")
    est, se, used = _adjusted_gap(y, d, s)
    nan = float("nan")
    if used == 0:
        warnings.warn(
            "no difficulty stratum holds both clean and contaminated items; the gap "
            "after difficulty is undefined.",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return n_c, n_d, clean_mean, dirty_mean, dirty_mean - clean_mean, nan, nan, nan, nan, nan, 0
    z = _norm().ppf(0.5 + level / 2)
    if binary:
        stat, p = _cmh(y, d, s, alternative)
    else:
        stat, p = est, _permutation_p(y, d, s, est, alternative, n_resamples, gen)
    return (
        n_c,
        n_d,
        clean_mean,
        dirty_mean,
        dirty_mean - clean_mean,
        est,
        est - z * se,
        est + z * se,
        stat,
        p,
        used,
    )


def _adjusted_gap(y, d, s):
    est, var, w_tot, used = 0.0, 0.0, 0, 0
    parts = []
    for k in np.unique(s[s >= 0]):
        yd, yc = y[(s == k) & d], y[(s == k) & ~d]
        if len(yd) and len(yc):
            parts.append(
                (
                    len(yd),
                    yd.mean() - yc.mean(),
                    (yd.var(ddof=1) if len(yd) > 1 else 0.0) / len(yd)
                    + (yc.var(ddof=1) if len(yc) > 1 else 0.0) / len(yc),
                )
            )
    if not parts:
        return float("nan"), float("nan"), 0
    w_tot = sum(p[0] for p in parts)
    for n_k, g, v in parts:
        est += n_k / w_tot * g
        var += (n_k / w_tot) ** 2 * v
        used += 1
    return float(est), float(np.sqrt(var)), used


def _cmh(y, d, s, alternative):
    num, var = 0.0, 0.0
    for k in np.unique(s[s >= 0]):
        sel = s == k
        a = float(np.sum(y[sel & d]))  # dirty and right
        n1, n0 = float(np.sum(sel & d)), float(np.sum(sel & ~d))
        m1 = float(np.sum(y[sel]))
        t = n1 + n0
        if n1 == 0 or n0 == 0 or t < 2:
            continue
        num += a - n1 * m1 / t
        var += n1 * n0 * m1 * (t - m1) / (t * t * (t - 1))
    if var == 0:
        return float("nan"), float("nan")
    z = num / np.sqrt(var)
    return float(z), _p_from_z(z, alternative)


def _p_from_z(z, alternative):
    if alternative == "greater":
        return float(_norm().sf(z))
    if alternative == "less":
        return float(_norm().cdf(z))
    return float(2 * _norm().sf(abs(z)))


def _permutation_p(y, d, s, observed, alternative, n_resamples, gen):
    check_positive_int(n_resamples, "n_resamples")
    stats_ = np.empty(n_resamples)
    for r in range(n_resamples):
        perm = d.copy()
        for k in np.unique(s):
            idx = np.flatnonzero(s == k)
            perm[idx] = gen.permutation(d[idx])
        stats_[r] = _adjusted_gap(y, perm, s)[0]
    if alternative == "greater":
        hits = np.sum(stats_ >= observed - 1e-12)
    elif alternative == "less":
        hits = np.sum(stats_ <= observed + 1e-12)
    else:
        hits = np.sum(np.abs(stats_) >= abs(observed) - 1e-12)
    return float((hits + 1) / (n_resamples + 1))


def _norm():
    """scipy's normal distribution, imported on first use (a scan worker never needs scipy and
    starts about a second faster without it)."""
    from scipy import stats

    return stats.norm
