"""How many items would have told the same story: subset sizes validated by leave-one-model-out.

For a ladder of subset sizes ``k``, every model in turn is held out, the IRT fit and the anchors
are made from the others, and its full-benchmark score is estimated from its answers on the
anchors alone (:func:`assay.irt.validate_subset`'s scheme, one fit per model shared by every
``k`` and seed). At each ``k`` the result says how far the estimated scores are from the full
ones and whether the ranking survives: of the pairs of models the full benchmark separates (a
paired z test on the items both answered), the share the estimates still order the same way.
The answer is the smallest ``k`` that keeps that ranking, with its score error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError, Result
from assay._core._validation import check_choice, check_confidence_level
from assay.irt._anchors import ANCHOR_METHODS, DEFAULT_ANCHOR_METHOD
from assay.irt._inputs import as_scores
from assay.irt._refit import lomo_errors_fast
from assay.irt._results import IRTFit
from assay.irt._subset import ESTIMATORS, _lomo_errors

__all__ = ["SubsetSizes", "subset_sizes"]

DEFAULT_SIZES = (50, 100, 200, 400, 800, 1600)
REFITS = ("items", "full")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubsetSizes(Result):
    """Leave-one-model-out error and ranking agreement of anchor subsets of several sizes.

    Attributes
    ----------
    ks : tuple of int
        Subset sizes tried (those below the number of items).
    mae, rmse, max_abs : ndarray (n_k,)
        Mean absolute, root mean squared and largest error of the estimated scores (score
        units, i.e. a fraction for accuracy), over held-out models and seeds.
    pairs_kept : ndarray (n_k,)
        Share of the separated pairs ordered as the full benchmark orders them (mean over
        seeds); NaN when the full benchmark separates no pair.
    kendall_tau : ndarray (n_k,)
        Kendall's tau-b between estimated and full scores (mean over seeds).
    n_separated : int
        Pairs of models whose full-benchmark difference is significant at ``confidence_level``.
    k_needed : int or None
        Smallest ``k`` with ``pairs_kept >= min_pairs_kept`` (and ``rmse <= tolerance`` when a
        tolerance is given); None if no size tried does.
    error_at_k : float or None
        The MAE at ``k_needed``.
    """

    models: tuple[str, ...]
    n_items: int
    ks: tuple[int, ...]
    method: str
    estimator: str
    refit: str
    seeds: tuple[int, ...]
    truth: np.ndarray
    mae: np.ndarray
    rmse: np.ndarray
    max_abs: np.ndarray
    pairs_kept: np.ndarray
    kendall_tau: np.ndarray
    n_separated: int
    confidence_level: float
    min_pairs_kept: float
    tolerance: float | None
    k_needed: int | None
    error_at_k: float | None

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per subset size."""
        return [
            {
                "k": k,
                "mae": float(self.mae[j]),
                "rmse": float(self.rmse[j]),
                "max_abs": float(self.max_abs[j]),
                "pairs_kept": None if np.isnan(self.pairs_kept[j]) else float(self.pairs_kept[j]),
                "kendall_tau": float(self.kendall_tau[j]),
                "same_story": self.k_needed is not None and k >= self.k_needed,
            }
            for j, k in enumerate(self.ks)
        ]


def _separated(values: np.ndarray, z: float) -> list[tuple[int, int, float]]:
    """Pairs (i, j, sign of mean_i - mean_j) whose paired difference on shared items is significant."""
    n = values.shape[0]
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            both = ~np.isnan(values[i]) & ~np.isnan(values[j])
            m = int(both.sum())
            if m < 2:
                continue
            d = values[i, both] - values[j, both]
            se = float(d.std(ddof=1)) / np.sqrt(m)
            mean = float(d.mean())
            if se > 0 and abs(mean) > z * se:
                out.append((i, j, np.sign(mean)))
    return out


def subset_sizes(
    scores: Any,
    ks: Any = DEFAULT_SIZES,
    *,
    method: str = DEFAULT_ANCHOR_METHOD,
    estimator: str = "irt",
    seeds: Any = (0, 1, 2),
    refit: str = "items",
    fit: IRTFit | None = None,
    confidence_level: float = 0.95,
    min_pairs_kept: float = 0.95,
    tolerance: float | None = None,
    items: Any = None,
    models: Any = None,
    progress: Callable[[str], None] | None = None,
    **fit_options: Any,
) -> SubsetSizes:
    """How many items would have told the same story, validated by leave-one-model-out.

    Parameters
    ----------
    scores : ScoreMatrix or array_like (n_models, n_items)
        Scores in [0, 1]; NaN where a model did not answer.
    ks : sequence of int, default (50, 100, 200, 400, 800, 1600)
        Subset sizes to try; sizes not below the number of items are dropped.
    method : str, default 'auto'
        How anchors are chosen (see :func:`select_anchors`; 'auto' picks the design by size).
    estimator : {'irt', 'gp-irt', 'mean'}, default 'irt'
        How a held-out model's score is estimated from its anchor answers.
    seeds : sequence of int, default (0, 1, 2)
        Anchor draws per size (the fits are shared, so more seeds cost little).
    refit : {'items', 'full'}, default 'items'
        How each fold's item parameters are made without the held-out model. 'full': a new
        marginal-ML fit of the other models (exact, one fit per model). 'items': one fit of all
        models gives every model's ability posterior, and each fold re-estimates only the item
        parameters from the other models' answers at those posteriors (the EM M-step, a few
        Newton steps on all items at once). The held-out model's answers still play no part in
        its fold's item parameters or anchors; they enter only through the other models'
        abilities, which with hundreds of items one model barely moves. 'items' needs a 2PL or
        continuous model (``fit_options``).
    fit : IRTFit, optional
        With ``refit='items'``: a marginal-ML fit of ``scores`` on all models (the same models
        and items) to take the ability posteriors from, e.g. the audit's; default: one fit with
        ``fit_options``.
    confidence_level : float, default 0.95
        Level of the paired z tests that decide which pairs the full benchmark separates.
    min_pairs_kept : float, default 0.95
        Share of separated pairs that must keep their order for a size to tell the same story.
    tolerance : float, optional
        Also require the root mean squared score error to be at most this (score units).
    progress : callable, optional
        Called with each held-out model's name as its fold starts.
    **fit_options
        Passed to the reference fits (default prior: ``SUBSET_PRIOR``).

    Returns
    -------
    SubsetSizes

    Notes
    -----
    Cost with ``refit='full'``: one IRT fit per model (29 fits of 28 x 12,032 on MMLU-Pro: 293
    s of CPU measured on a busy 2-core machine), whatever the number of sizes; seeds add only
    anchor draws. With ``refit='items'`` one fit plus three Newton steps per fold (see
    benchmarks/README.md, "IRT: how many items tell the same story", for the time and the
    agreement of the two). The errors are those of the leave-one-model-out scheme, so they
    describe a new model scored on the subset by a fit made without it.
    """
    values, items, models = as_scores(scores, items=items, models=models)
    check_choice(method, "method", ANCHOR_METHODS)
    check_choice(estimator, "estimator", ESTIMATORS)
    check_choice(refit, "refit", REFITS)
    if fit is not None and not isinstance(fit, IRTFit):
        raise InputError(f"`fit` must be an IRTFit or None; got {type(fit).__name__}.")
    if fit is not None and refit != "items":
        raise InputError("`fit` is used only with refit='items'; got refit='full'.")
    confidence_level = check_confidence_level(confidence_level)
    if not (0.0 < float(min_pairs_kept) <= 1.0):
        raise InputError(f"`min_pairs_kept` must be in (0, 1]; got {min_pairs_kept!r}.")
    if tolerance is not None and not (isinstance(tolerance, int | float) and tolerance > 0):
        raise InputError(f"`tolerance` must be a positive number or None; got {tolerance!r}.")
    try:
        ks_all = sorted({int(k) for k in ks})
        seeds = tuple(int(s) for s in seeds)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"`ks` and `seeds` must be sequences of integers; got {ks!r}, {seeds!r}."
        ) from exc
    if not seeds or not ks_all or min(ks_all) < 1:
        raise InputError(
            f"`ks` and `seeds` must be non-empty, sizes at least 1; got {ks!r}, {seeds!r}."
        )
    n_items = values.shape[1]
    ks_ok = tuple(k for k in ks_all if k < n_items)
    if not ks_ok:
        raise InputError(
            f"every size in `ks` ({ks_all}) is not below the number of items ({n_items})."
        )
    runs = [(k, method, s) for k in ks_ok for s in seeds]
    if refit == "items":
        truth, errors = lomo_errors_fast(
            values,
            items,
            models,
            runs,
            fit=fit,
            mix=estimator == "gp-irt",
            progress=progress,
            **fit_options,
        )
    else:
        truth, errors = _lomo_errors(values, items, models, runs, progress=progress, **fit_options)
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    pairs = _separated(values, z)
    n_k = len(ks_ok)
    mae, rmse, mx, kept, tau = (np.full(n_k, np.nan) for _ in range(5))
    for j, k in enumerate(ks_ok):
        e = np.stack([errors[(k, method, s)][estimator] for s in seeds])  # (seeds, models)
        mae[j] = float(np.mean(np.abs(e)))
        rmse[j] = float(np.sqrt(np.mean(e**2)))
        mx[j] = float(np.max(np.abs(e)))
        est = truth[None, :] + e
        tau[j] = float(np.mean([stats.kendalltau(row, truth).statistic for row in est]))
        if pairs:
            same = [
                np.mean([np.sign(row[i] - row[jj]) == sg for i, jj, sg in pairs]) for row in est
            ]
            kept[j] = float(np.mean(same))
    ok = np.ones(n_k, dtype=bool) if not pairs else kept >= min_pairs_kept
    if tolerance is not None:
        ok &= rmse <= tolerance
    # the smallest size from which every larger size tried also tells the same story
    k_needed, error_at_k = None, None
    for j in range(n_k):
        if ok[j:].all():
            k_needed, error_at_k = ks_ok[j], float(mae[j])
            break
    return SubsetSizes(
        models=models,
        n_items=n_items,
        ks=ks_ok,
        method=method,
        estimator=estimator,
        refit=refit,
        seeds=seeds,
        truth=truth,
        mae=mae,
        rmse=rmse,
        max_abs=mx,
        pairs_kept=kept,
        kendall_tau=tau,
        n_separated=len(pairs),
        confidence_level=confidence_level,
        min_pairs_kept=float(min_pairs_kept),
        tolerance=None if tolerance is None else float(tolerance),
        k_needed=k_needed,
        error_at_k=error_at_k,
    )
