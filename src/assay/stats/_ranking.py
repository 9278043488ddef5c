"""Rank intervals, P(best), P(top-k), tie groups, and the leaderboard of many models."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from scipy import stats as sps

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.stats._bootstrap import _bootstrap_means
from assay.stats._clustered import clustered_mean_ci
from assay.stats._means import bounded_interval, mean_ci
from assay.stats._models import _Models, _models_iv
from assay.stats._multiple import ADJUST_METHODS
from assay.stats._pairwise import PairwiseResult, _compute_pairwise, better_matrix
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
        Share of bootstrap resamples in which the model has the highest mean (ties shared). A
        descriptive bootstrap share, not a calibrated probability, and tied best models split
        it. Measured (``python benchmarks/interval_coverage.py --section pbest``; 8 models correlated
        through a shared item difficulty, 400 data sets per row): with close models (true
        accuracies 0.50 to 0.57) a reported share of 0.59 was right 27% of the time at
        n = 50, 37% at n = 200 and 59% at n = 1,000, and 0.77-0.79 was right 42%, 47% and
        73%; with models spread out (logit SD 0.3) 0.59 was right 43%, 59% and 64%. The
        report and ``assay leaderboard`` therefore state the best group (models not
        significantly behind the best) instead.
    p_top_k : ndarray
        Share of resamples in which fewer than ``top_k`` models score strictly higher.
    top_k : int
    tie_groups : tuple of tuple of str
        Tiers, contiguous in score order: a new tier starts at the first model that is
        significantly worse than the first model of the current tier.
    best_group : tuple of str
        The best model and every model not significantly worse than it (these may reach past
        the first tier when standard errors differ).
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
    best_group: tuple[str, ...]
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
    pairwise : PairwiseResult or None
        The all-pairs tests the ranks were read from (``rank_method='tests'``).
    task, metric : str
    confidence_level : float
    n : int
        Items.
    n_clusters : int or None
    """

    entries: tuple[LeaderboardEntry, ...]
    tie_groups: tuple[tuple[str, ...], ...]
    ranks: RankResult
    pairwise: PairwiseResult | None
    task: str
    metric: str
    confidence_level: float
    n: int
    n_clusters: int | None


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
    """Split the models, in score order, where a model is significantly worse than its tier's head.

    Tiers are contiguous in rank order (a lower-ranked model never sits in an earlier tier).
    """
    order = list(np.argsort(-mu, kind="stable"))
    tiers: list[list[int]] = []
    for j in order:
        if tiers and not better[j, tiers[-1][0]]:
            tiers[-1].append(j)
        else:
            tiers.append([j])
    return tuple(tuple(names[j] for j in tier) for tier in tiers)


def _best_group(mu: np.ndarray, better: np.ndarray, names: tuple[str, ...]) -> tuple[str, ...]:
    """The best model and every model not significantly worse than it, best first."""
    order = np.argsort(-mu, kind="stable")
    best = order[0]
    return tuple(names[j] for j in order if not better[j, best])


def _rank_result(
    p: _Models, boot: np.ndarray, better: np.ndarray, top_k: int, level: float, **info
) -> RankResult:
    """A :class:`RankResult` from the ``better`` relation; P(best) and P(top-k) from ``boot``."""
    mu, m = p.x.mean(axis=1), p.x.shape[0]
    is_max = boot == boot.max(axis=1, keepdims=True)
    p_best = np.mean(is_max / is_max.sum(axis=1, keepdims=True), axis=0)
    ranks_min = sps.rankdata(-boot, method="min", axis=1)
    return RankResult(
        models=p.names, estimate=mu, rank=sps.rankdata(-mu, method="min").astype(int),
        rank_low=1 + better.sum(axis=1), rank_high=m - better.sum(axis=0),
        p_best=p_best, p_top_k=np.mean(ranks_min <= top_k, axis=0), top_k=top_k,
        tie_groups=_tiers(mu, better, p.names), best_group=_best_group(mu, better, p.names),
        better=better, confidence_level=level, n=int(p.x.shape[1]), n_resamples=boot.shape[0],
        **info,
    )  # fmt: skip


def _compute_ranks(p: _Models, level: float, n_resamples: int, top_k: int, rng) -> RankResult:
    mu = p.x.mean(axis=1)
    boot = _bootstrap_means(p.x, n_resamples=n_resamples, rng=rng, clusters=p.codes)  # (B, m)
    cov = np.cov(boot, rowvar=False)
    var = np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2.0 * cov
    se = np.sqrt(np.clip(var, 0.0, None))
    se[se < 1e-12 * (1.0 + np.abs(mu).max())] = 0.0
    crit = float(np.quantile(_max_deviation(boot, mu, se), level))
    gap = mu[None, :] - mu[:, None]  # gap[i, j] = mu_j - mu_i
    better = (se > 0) & (gap - crit * se > 0)
    return _rank_result(
        p, boot, better, top_k, level, critical_value=crit,
        method="bootstrap-max-t" + ("" if p.codes is None else "-cluster"),
        n_clusters=None if p.codes is None else int(p.codes.max()) + 1,
    )  # fmt: skip


def _compute_ranks_from_tests(
    p: _Models, pw: PairwiseResult, level: float, n_resamples: int, top_k: int, rng
) -> RankResult:
    """Ranks, tiers and the best group read from the all-pairs tests ``pw`` (one adjustment).

    P(best) and P(top-k) stay bootstrap shares (descriptive: see :class:`RankResult`).
    """
    boot = _bootstrap_means(p.x, n_resamples=n_resamples, rng=rng, clusters=p.codes)
    return _rank_result(
        p, boot, better_matrix(pw), top_k, level, critical_value=math.nan,
        method=f"pairwise-{pw.test}-{pw.adjust}", n_clusters=pw.n_clusters,
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
    """Per-model estimate, interval, SE and method name; intervals stay inside [0, 1] when the
    scores do (Wilson for 0/1 scores, :func:`bounded_interval` for other scores in [0, 1])."""
    m, n = p.x.shape
    if p.binary and p.codes is None:
        count = p.x.sum(axis=1)
        ci = proportion_ci(count, np.full(m, n), method="wilson", confidence_level=level)
        est = count / n
        se = np.sqrt(est * (1.0 - est) / n)
        return est, np.asarray(ci.ci_low), np.asarray(ci.ci_high), se, "wilson"
    if p.codes is not None:
        res = [clustered_mean_ci(row, p.codes, confidence_level=level) for row in p.x]
        method = res[0].method
        units = np.array([r.n_clusters for r in res], dtype=float)
    else:
        with (
            warnings.catch_warnings()
        ):  # equal scores: the bounded interval below is not zero-width
            if p.bounded:
                warnings.simplefilter("ignore", DegenerateDataWarning)
            res = [mean_ci(row, method="t", confidence_level=level) for row in p.x]
        method = "t"
        units = np.full(m, float(n))
    est = np.array([r.estimate for r in res])
    lo = np.array([r.ci_low for r in res])
    hi = np.array([r.ci_high for r in res])
    se = np.array([r.se for r in res])
    if p.bounded:
        df = np.array([getattr(r, "df", np.inf) for r in res], dtype=float)
        lo, hi = bounded_interval(est, se, units, df=df, confidence_level=level)
        method = f"score ({method} SE)"
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
    rank_method: str = "tests",
    adjust: str = "holm",
    alpha: float = 0.05,
    rng: Any = None,
) -> LeaderboardResult:
    """Models ranked by mean score, with intervals, rank intervals and tie groups.

    Parameters
    ----------
    scores : ScoreMatrix or array_like of shape (n_models, n_items[, n_samples])
    models, clusters, cluster_by, n_resamples, top_k, rng
        As in :func:`rank_intervals`.
    confidence_level : float, default 0.95
        Level of each model's interval.
    rank_method : {'tests', 'bootstrap'}, default 'tests'
        'tests': rank intervals, tiers and the best group come from the all-pairs paired tests
        of :func:`pairwise` (McNemar exact for 0/1 scores, paired t otherwise) with one
        ``adjust`` adjustment at ``alpha``, so they agree with every pairwise verdict drawn from
        the same result (``pairwise`` on the result). 'bootstrap': the simultaneous bootstrap
        max-t procedure of :func:`rank_intervals`.
    adjust : str, default 'holm'
        Multiple-testing adjustment of the all-pairs tests (``rank_method='tests'``).
    alpha : float, default 0.05
        Family-wise level of the all-pairs tests (``rank_method='tests'``).

    Returns
    -------
    LeaderboardResult

    Notes
    -----
    Each model's interval is Wilson for binary scores, t for other scores, and CR2 with
    Imbens-Kolesar df over clusters when clusters are given (the score form inside [0, 1]) (:func:`proportion_ci`, :func:`mean_ci`,
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
    rank_method = check_choice(rank_method, "rank_method", ("tests", "bootstrap"))
    adjust = check_choice(adjust, "adjust", ADJUST_METHODS)
    est, lo, hi, se, method = _model_intervals(p, level)
    pw = None
    if rank_method == "tests":
        pw = _compute_pairwise(p, adjust=adjust, alpha=alpha, level=level)
        ranks = _compute_ranks_from_tests(p, pw, level, n_resamples, top_k, rng)
    else:
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
        entries=entries, tie_groups=ranks.tie_groups, ranks=ranks, pairwise=pw, task=p.task,
        metric=p.metric, confidence_level=level, n=int(p.x.shape[1]), n_clusters=ranks.n_clusters,
    )  # fmt: skip
