"""Rank intervals, P(best), P(top-k), tie groups, and the leaderboard of many models."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import InputError, Result, ScoreMatrix
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._bootstrap import _bootstrap_means, _encode_clusters
from assay.stats._clustered import clustered_mean_ci
from assay.stats._means import mean_ci
from assay.stats._proportion import proportion_ci

__all__ = [
    "LeaderboardEntry",
    "LeaderboardResult",
    "RankResult",
    "leaderboard",
    "rank_intervals",
]

_CHUNK_ELEMENTS = 4_000_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class RankResult(Result):
    """Simultaneous rank intervals of several models from a paired bootstrap over items.

    Rank 1 is the best (highest mean score).

    Attributes
    ----------
    models : tuple of str
    estimate : ndarray of shape (n_models,)
        Mean scores.
    rank : ndarray of int
        Point rank: 1 + the number of models with a strictly higher mean.
    rank_low, rank_high : ndarray of int
        Simultaneous rank intervals: all models' true ranks lie in them together with
        probability ``confidence_level`` (asymptotically).
    p_best : ndarray
        Share of bootstrap resamples in which the model has the highest mean (ties shared).
    p_top_k : ndarray
        Share of resamples in which fewer than ``top_k`` models score strictly higher.
    top_k : int
    tie_groups : tuple of tuple of str
        Tiers: the first holds the best model and every model not distinguishable from it; the
        next tier is formed the same way from the models left, and so on.
    better : ndarray of bool, shape (n_models, n_models)
        ``better[i, j]``: model j is significantly better than model i (simultaneously over all
        pairs).
    critical_value : float
        The bootstrap quantile of the largest studentized pairwise deviation.
    confidence_level : float
    method : str
    n : int
        Items.
    n_resamples : int
    n_clusters : int or None
    """

    _array_fields = ("better",)

    models: tuple[str, ...]
    estimate: np.ndarray
    rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    p_best: np.ndarray
    p_top_k: np.ndarray
    top_k: int
    tie_groups: tuple[tuple[str, ...], ...]
    better: np.ndarray
    critical_value: float
    confidence_level: float
    method: str
    n: int
    n_resamples: int
    n_clusters: int | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class LeaderboardEntry(Result):
    """One row of a leaderboard."""

    model: str
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    confidence_level: float
    method: str
    n: int
    rank: int
    rank_low: int
    rank_high: int
    p_best: float
    p_top_k: float
    tier: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class LeaderboardResult(Result):
    """Models ranked by mean score, with intervals, rank intervals and tie groups.

    Attributes
    ----------
    entries : tuple of LeaderboardEntry
        Sorted by estimate, best first.
    tie_groups : tuple of tuple of str
    ranks : RankResult
    task, metric : str
    confidence_level : float
    n : int
        Items.
    n_clusters : int or None
    """

    entries: tuple[LeaderboardEntry, ...]
    tie_groups: tuple[tuple[str, ...], ...]
    ranks: RankResult
    task: str
    metric: str
    confidence_level: float
    n: int
    n_clusters: int | None


# --------------------------------------------------------------------------------------------
# Validation shared by rank_intervals, leaderboard and pairwise
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Models:
    x: np.ndarray  # (m, n) item means
    names: tuple[str, ...]
    codes: np.ndarray | None
    binary: bool
    task: str = ""
    metric: str = ""


def _models_iv(scores: Any, models: Any, clusters: Any, cluster_by: str | None) -> _Models:
    """Item-mean score matrix, model names, cluster codes, and whether the scores are binary."""
    task = metric = ""
    if isinstance(scores, ScoreMatrix):
        if models is not None:
            absent = sorted(set(models) - set(scores.models))
            if absent:
                raise InputError(
                    f"model(s) {', '.join(map(repr, absent))} are not in the matrix; it has: "
                    f"{', '.join(scores.models)}."
                )
            scores = scores.subset(models=list(models))
        if cluster_by is not None:
            if clusters is not None:
                raise InputError("give `clusters` or `cluster_by`, not both.")
            clusters = _matrix_clusters(scores, cluster_by)
        names, values, task, metric = scores.models, scores.values, scores.task, scores.metric
    else:
        if cluster_by is not None:
            raise InputError("`cluster_by` needs a ScoreMatrix; pass `clusters` with an array.")
        values = check_array(scores, "scores", ndim=(2, 3), allow_nan=True)
        names = (
            tuple(f"model_{i}" for i in range(values.shape[0]))
            if models is None
            else tuple(map(str, models))
        )
        if len(names) != values.shape[0]:
            raise InputError(
                f"`models` must name every row of `scores` ({values.shape[0]}); got {len(names)}."
            )
        if len(set(names)) != len(names):
            raise InputError("`models` contains duplicates.")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    if values.shape[0] < 2:
        raise InputError(f"`scores` must hold at least 2 models; got {values.shape[0]}.")
    if values.shape[1] < 2:
        raise InputError(f"`scores` must hold at least 2 items; got {values.shape[1]}.")
    gaps = np.isnan(values).all(axis=2)
    if gaps.any():
        worst = int(np.argmax(gaps.sum(axis=1)))
        raise InputError(
            f"{int(gaps.any(axis=0).sum())} item(s) lack a score for some model (e.g. {names[worst]!r} "
            f"lacks {int(gaps[worst].sum())}); rank models on the same items, e.g. build the matrix "
            "with missing='intersect'."
        )
    counts = np.sum(~np.isnan(values), axis=2)
    x = np.nansum(values, axis=2) / counts
    binary = bool(values.shape[2] == 1 and np.all((x == 0) | (x == 1)))
    codes = None if clusters is None else _encode_clusters(clusters, x.shape[1])
    return _Models(x, tuple(names), codes, binary, task, metric)


def _matrix_clusters(matrix: ScoreMatrix, cluster_by: str) -> np.ndarray:
    """The matrix's per-item 'cluster' or 'subject' labels, refusing items without one."""
    check_choice(cluster_by, "cluster_by", ("cluster", "subject"))
    labels = getattr(matrix, cluster_by)
    if labels is None:
        raise InputError(f"`cluster_by={cluster_by!r}`: the matrix has no {cluster_by} labels.")
    absent = int(sum(v is None for v in labels))
    if absent:
        raise InputError(
            f"`cluster_by={cluster_by!r}`: {absent} of {labels.size} items have no {cluster_by} label."
        )
    return labels


# --------------------------------------------------------------------------------------------
# Rank intervals
# --------------------------------------------------------------------------------------------


def _max_deviation(boot: np.ndarray, mu: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Per resample: max over pairs of |(M*_j - M*_k) - (mu_j - mu_k)| / se_jk (chunked)."""
    b, m = boot.shape
    inv = np.where(se > 0, 1.0 / np.where(se > 0, se, 1.0), 0.0)
    delta = mu[:, None] - mu[None, :]
    out = np.empty(b)
    step = max(1, _CHUNK_ELEMENTS // (m * m))
    for start in range(0, b, step):
        chunk = boot[start : start + step]
        dev = (chunk[:, :, None] - chunk[:, None, :]) - delta
        out[start : start + step] = np.max(np.abs(dev) * inv, axis=(1, 2))
    return out


def _tiers(
    mu: np.ndarray, better: np.ndarray, names: tuple[str, ...]
) -> tuple[tuple[str, ...], ...]:
    remaining = list(np.argsort(-mu, kind="stable"))
    tiers = []
    while remaining:
        best = remaining[0]
        tier = [j for j in remaining if not better[j, best]]
        tiers.append(tuple(names[j] for j in tier))
        remaining = [j for j in remaining if j not in tier]
    return tuple(tiers)


def _compute_ranks(p: _Models, level: float, n_resamples: int, top_k: int, rng) -> RankResult:
    x, m = p.x, p.x.shape[0]
    mu = x.mean(axis=1)
    boot = _bootstrap_means(x, n_resamples=n_resamples, rng=rng, clusters=p.codes)  # (B, m)
    cov = np.cov(boot, rowvar=False)
    var = np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2.0 * cov
    se = np.sqrt(np.clip(var, 0.0, None))
    se[se < 1e-12 * (1.0 + np.abs(mu).max())] = 0.0
    crit = float(np.quantile(_max_deviation(boot, mu, se), level))
    gap = mu[None, :] - mu[:, None]  # gap[i, j] = mu_j - mu_i
    better = (se > 0) & (gap - crit * se > 0)
    is_max = boot == boot.max(axis=1, keepdims=True)
    p_best = np.mean(is_max / is_max.sum(axis=1, keepdims=True), axis=0)
    ranks_min = sps.rankdata(-boot, method="min", axis=1)
    return RankResult(
        models=p.names, estimate=mu, rank=sps.rankdata(-mu, method="min").astype(int),
        rank_low=1 + better.sum(axis=1), rank_high=m - better.sum(axis=0),
        p_best=p_best, p_top_k=np.mean(ranks_min <= top_k, axis=0), top_k=top_k,
        tie_groups=_tiers(mu, better, p.names), better=better, critical_value=crit,
        confidence_level=level, method="bootstrap-max-t" + ("" if p.codes is None else "-cluster"),
        n=int(x.shape[1]), n_resamples=n_resamples,
        n_clusters=None if p.codes is None else int(p.codes.max()) + 1,
    )  # fmt: skip


def _rank_options_iv(confidence_level, n_resamples, top_k, rng, m):
    level = check_confidence_level(confidence_level)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=100)
    top_k = min(3, m) if top_k is None else check_positive_int(top_k, "top_k")
    if top_k > m:
        raise InputError(f"`top_k` must be at most the number of models ({m}); got {top_k}.")
    return level, n_resamples, top_k, check_rng(rng)


def rank_intervals(
    scores: Any,
    *,
    models: Any = None,
    clusters: Any = None,
    cluster_by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2_000,
    top_k: int | None = None,
    rng: Any = None,
) -> RankResult:
    """Simultaneous rank intervals, P(best), P(top-k) and tie groups from a paired bootstrap.

    Parameters
    ----------
    scores : ScoreMatrix or array_like of shape (n_models, n_items[, n_samples])
        Scores of every model on the same items (item means over samples).
    models : sequence of str, optional
        Names of the rows (arrays), or the models to keep (ScoreMatrix).
    clusters : array_like of shape (n_items,), optional
        Cluster labels: whole clusters are resampled.
    cluster_by : {'cluster', 'subject'}, optional
        With a ScoreMatrix: use its per-item labels as clusters.
    confidence_level : float, default 0.95
    n_resamples : int, default 2000
    top_k : int, optional
        P(top-k) is computed for this k; default ``min(3, n_models)``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    RankResult

    Notes
    -----
    All models are resampled together over the same items (paired). With bootstrap means
    :math:`M^*`, pairwise standard errors :math:`s_{jk}` are the bootstrap SDs of
    :math:`M^*_j - M^*_k`, and :math:`c` is the ``confidence_level`` quantile of
    :math:`\\max_{j \\ne k} |M^*_j - M^*_k - (\\hat\\mu_j - \\hat\\mu_k)| / s_{jk}`. Model k is
    significantly better than j when :math:`\\hat\\mu_k - \\hat\\mu_j > c\\, s_{jk}`; these
    decisions hold simultaneously, so the rank interval
    :math:`[1 + \\#\\{k \\text{ better than } j\\},\\ m - \\#\\{k \\text{ worse than } j\\}]` covers all
    true ranks together with probability about ``confidence_level``.

    References
    ----------
    Mogstad, Romano, Shaikh & Wilhelm (2024), "Inference for ranks with applications to
    mobility across neighbourhoods and academic achievement across countries", Rev. Econ.
    Stud. 91:476-518. Hall & Miller (2009), Ann. Statist. 37:2929-2957.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats import rank_intervals
    >>> rng = np.random.default_rng(0)
    >>> scores = (rng.random((3, 2000)) < np.array([[0.5], [0.6], [0.9]])).astype(float)
    >>> res = rank_intervals(scores, models=["a", "b", "c"], rng=0)
    >>> res.rank_low.tolist(), res.rank_high.tolist(), res.tie_groups
    ([3, 2, 1], [3, 2, 1], (('c',), ('b',), ('a',)))
    """
    p = _models_iv(scores, models, clusters, cluster_by)
    level, n_resamples, top_k, rng = _rank_options_iv(
        confidence_level, n_resamples, top_k, rng, len(p.names)
    )
    return _compute_ranks(p, level, n_resamples, top_k, rng)


# --------------------------------------------------------------------------------------------
# Leaderboard
# --------------------------------------------------------------------------------------------


def _model_intervals(p: _Models, level: float) -> tuple[np.ndarray, ...]:
    """Per-model estimate, interval, SE and method name."""
    m, n = p.x.shape
    if p.codes is not None:
        res = [clustered_mean_ci(row, p.codes, method="cr1", confidence_level=level) for row in p.x]
        method = "cr1"
    elif p.binary:
        count = p.x.sum(axis=1)
        ci = proportion_ci(count, np.full(m, n), method="wilson", confidence_level=level)
        est = count / n
        se = np.sqrt(est * (1.0 - est) / n)
        return est, np.asarray(ci.ci_low), np.asarray(ci.ci_high), se, "wilson"
    else:
        res = [mean_ci(row, method="t", confidence_level=level) for row in p.x]
        method = "t"
    est = np.array([r.estimate for r in res])
    lo = np.array([r.ci_low for r in res])
    hi = np.array([r.ci_high for r in res])
    se = np.array([r.se for r in res])
    return est, lo, hi, se, method


def leaderboard(
    scores: Any,
    *,
    models: Any = None,
    clusters: Any = None,
    cluster_by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2_000,
    top_k: int | None = None,
    rng: Any = None,
) -> LeaderboardResult:
    """Models ranked by mean score, with intervals, rank intervals and tie groups.

    Parameters
    ----------
    scores : ScoreMatrix or array_like of shape (n_models, n_items[, n_samples])
    models, clusters, cluster_by, n_resamples, top_k, rng
        As in :func:`rank_intervals`.
    confidence_level : float, default 0.95

    Returns
    -------
    LeaderboardResult

    Notes
    -----
    Each model's interval is Wilson for binary scores, t for other scores, and CR1 over
    clusters when clusters are given (:func:`proportion_ci`, :func:`mean_ci`,
    :func:`clustered_mean_ci`). Ranks come from :func:`rank_intervals`.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.stats import leaderboard
    >>> rng = np.random.default_rng(0)
    >>> scores = (rng.random((3, 500)) < np.array([[0.5], [0.5], [0.9]])).astype(float)
    >>> board = leaderboard(scores, models=["a", "b", "c"], rng=0)
    >>> [e.model for e in board.entries], board.tie_groups
    (['c', 'b', 'a'], (('c',), ('b', 'a')))
    """
    p = _models_iv(scores, models, clusters, cluster_by)
    level, n_resamples, top_k, rng = _rank_options_iv(
        confidence_level, n_resamples, top_k, rng, len(p.names)
    )
    est, lo, hi, se, method = _model_intervals(p, level)
    ranks = _compute_ranks(p, level, n_resamples, top_k, rng)
    tier_of = {name: t + 1 for t, group in enumerate(ranks.tie_groups) for name in group}
    order = np.argsort(-est, kind="stable")
    entries = tuple(
        LeaderboardEntry(
            model=p.names[j],
            estimate=float(est[j]),
            ci_low=float(lo[j]),
            ci_high=float(hi[j]),
            se=float(se[j]) if math.isfinite(se[j]) else math.nan,
            confidence_level=level,
            method=method,
            n=int(p.x.shape[1]),
            rank=int(ranks.rank[j]),
            rank_low=int(ranks.rank_low[j]),
            rank_high=int(ranks.rank_high[j]),
            p_best=float(ranks.p_best[j]),
            p_top_k=float(ranks.p_top_k[j]),
            tier=tier_of[p.names[j]],
        )  # fmt: skip
        for j in order
    )
    return LeaderboardResult(
        entries=entries, tie_groups=ranks.tie_groups, ranks=ranks, task=p.task, metric=p.metric,
        confidence_level=level, n=int(p.x.shape[1]), n_clusters=ranks.n_clusters,
    )  # fmt: skip
