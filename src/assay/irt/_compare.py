"""Abilities compared: two models, two item sets (split gap), and per-topic ability profiles."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from scipy import stats

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int
from assay.irt._abilities import abilities as _abilities
from assay.irt._fit import fit as _fit
from assay.irt._inputs import as_scores
from assay.irt._results import IRTFit

__all__ = [
    "AbilityComparison",
    "SplitGap",
    "TopicAbilities",
    "compare_abilities",
    "split_gap",
    "topic_abilities",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AbilityComparison(Result):
    """Difference of two models' abilities with a Wald test (``TestResult`` and ``EstimateResult`` vocabulary)."""

    __test__ = False

    model_a: str
    model_b: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence_level: float
    statistic: float
    pvalue: float
    alternative: str
    method: str
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class SplitGap(Result):
    """Per model: ability on item set A minus ability on set B, item parameters fixed.

    Arrays of shape (n_models,): ``estimate`` (the gap), ``se``, ``ci_low``, ``ci_high``,
    ``statistic`` (z), ``pvalue`` (two-sided), ``ability_a``, ``ability_b``; ``n_a``, ``n_b`` the
    items of each set.
    """

    _array_fields = ()

    models: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ability_a: np.ndarray
    ability_b: np.ndarray
    confidence_level: float
    alternative: str
    method: str
    n_a: int
    n_b: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TopicAbilities(Result):
    """Abilities per (model, topic) from one fit per topic: arrays of shape (n_models, n_topics).

    Each topic has its own N(0, 1) scale over these models, so a profile says where a model stands
    among the others topic by topic (as MedIRT's topic profiles do).
    """

    models: tuple[str, ...]
    topics: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_items: np.ndarray
    confidence_level: float
    method: str
    skipped: dict[str, int]


def compare_abilities(
    fit: IRTFit, model_a: str, model_b: str, *, confidence_level: float = 0.95
) -> AbilityComparison:
    """Is model A's ability different from model B's? ``z = (theta_a - theta_b) / sqrt(se_a^2 + se_b^2)``.

    Given the item parameters the two models' responses are independent, so the variance of the
    difference is the sum of the two posterior variances (item-parameter uncertainty is ignored;
    it is small next to ability uncertainty unless there are few reference models).
    """
    confidence_level = check_confidence_level(confidence_level)
    idx = {m: i for i, m in enumerate(fit.models)}
    for name, m in (("model_a", model_a), ("model_b", model_b)):
        if m not in idx:
            raise InputError(
                f"`{name}` {m!r} is not in the fit; models are: {', '.join(fit.models)}."
            )
    ab = fit.ability
    i, j = idx[model_a], idx[model_b]
    est = float(ab.estimate[i] - ab.estimate[j])
    se = float(np.hypot(ab.se[i], ab.se[j]))
    z = est / se if se > 0 else np.nan
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    return AbilityComparison(
        model_a=model_a,
        model_b=model_b,
        estimate=est,
        se=se,
        ci_low=est - q * se,
        ci_high=est + q * se,
        confidence_level=confidence_level,
        statistic=float(z),
        pvalue=float(2 * stats.norm.sf(abs(z))),
        alternative="two-sided",
        method=f"wald ({ab.method} abilities, item parameters fixed)",
        n=int(min(ab.n[i], ab.n[j])),
    )


def split_gap(
    fit: IRTFit, scores: Any, in_a: Any, *, confidence_level: float = 0.95, models: Any = None
) -> SplitGap:
    """Ability on item set A minus ability on set B, for every model, with a z test.

    Parameters
    ----------
    fit : IRTFit
        Item parameters (fitted on all items, or on reference models).
    scores : array_like (n_models, n_items) or ScoreMatrix
        Scores on the fit's items (NaN where missing).
    in_a : array_like of bool, shape (n_items,)
        True for items of set A (e.g. public items), False for set B (e.g. private ones).
    confidence_level : float, default 0.95

    Notes
    -----
    Each ability is the maximum-likelihood estimate on its own item set (no prior, so different
    set sizes shrink nothing), with SE ``1 / sqrt(I(theta))``; the sets are disjoint so
    ``se_gap = sqrt(se_a^2 + se_b^2)``. A positive, significant gap on public versus private
    items is GIM's contamination signal: the model does better on items it may have seen.
    """
    confidence_level = check_confidence_level(confidence_level)
    values, _, models = as_scores(
        scores, items=fit.items if not hasattr(scores, "items") else None, models=models
    )
    mask = np.asarray(in_a)
    if mask.dtype != bool or mask.shape != (fit.n_items,):
        raise InputError(
            f"`in_a` must be a boolean array of shape ({fit.n_items},); got dtype {mask.dtype}, "
            f"shape {mask.shape}."
        )
    if mask.all() or not mask.any():
        raise InputError("`in_a` must put some items in set A (True) and some in set B (False).")
    va, vb = values.copy(), values.copy()
    va[:, ~mask] = np.nan
    vb[:, mask] = np.nan
    ra = _abilities(fit, va, method="ml", models=models)
    rb = _abilities(fit, vb, method="ml", models=models)
    est = ra.estimate - rb.estimate
    se = np.hypot(ra.se, rb.se)
    z = est / se
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    return SplitGap(
        models=tuple(models),
        estimate=est,
        se=se,
        ci_low=est - q * se,
        ci_high=est + q * se,
        statistic=z,
        pvalue=2 * stats.norm.sf(np.abs(z)),
        ability_a=ra.estimate,
        ability_b=rb.estimate,
        confidence_level=confidence_level,
        alternative="two-sided",
        method="wald on ML abilities per item set (item parameters fixed)",
        n_a=int(mask.sum()),
        n_b=int((~mask).sum()),
    )


def topic_abilities(
    scores: Any,
    topics: Any,
    *,
    min_items: int = 10,
    confidence_level: float = 0.95,
    items: Any = None,
    models: Any = None,
    **fit_options: Any,
) -> TopicAbilities:
    """One IRT fit per topic (subject), and each model's ability in each.

    Parameters
    ----------
    scores : array_like (n_models, n_items) or ScoreMatrix
    topics : array_like of str, shape (n_items,), optional with a ScoreMatrix
        Topic of each item (default: the matrix's ``subject``).
    min_items : int, default 10
        Topics with fewer items are skipped (listed in ``skipped``).
    fit_options
        Passed to :func:`assay.irt.fit` (default a 2PL).
    """
    min_items = check_positive_int(min_items, "min_items", minimum=2)
    confidence_level = check_confidence_level(confidence_level)
    if topics is None and hasattr(scores, "subject"):
        topics = scores.subject
    values, items, models = as_scores(scores, items=items, models=models)
    if topics is None:
        raise InputError("`topics` is required (no subject per item in the scores).")
    topics = np.asarray(topics, dtype=object)
    if topics.shape != (values.shape[1],):
        raise InputError(
            f"`topics` must have one entry per item ({values.shape[1]}); got shape {topics.shape}."
        )
    names = sorted({str(t) for t in topics if t is not None})
    kept, skipped, cols = [], {}, []
    for t in names:
        idx = np.flatnonzero(np.array([str(x) == t for x in topics]))
        if idx.size < min_items:
            skipped[t] = int(idx.size)
            continue
        kept.append(t)
        cols.append(idx)
    if not kept:
        raise InputError(f"no topic has at least {min_items} items; counts: {skipped}.")
    shape = (values.shape[0], len(kept))
    est, se, lo, hi = (np.full(shape, np.nan) for _ in range(4))
    fit_options.setdefault("standard_errors", False)
    for j, idx in enumerate(cols):
        sub = values[:, idx]
        answered = ~np.isnan(sub).all(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            f = _fit(
                sub[answered],
                items=[items[i] for i in idx],
                models=[m for m, ok in zip(models, answered) if ok],
                confidence_level=confidence_level,
                **fit_options,
            )
        ab = f.ability
        est[answered, j], se[answered, j], lo[answered, j], hi[answered, j] = (
            ab.estimate,
            ab.se,
            ab.ci_low,
            ab.ci_high,
        )
    return TopicAbilities(
        models=models,
        topics=tuple(kept),
        estimate=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        n_items=np.array([c.size for c in cols]),
        confidence_level=confidence_level,
        method=f"one {fit_options.get('model', '2pl')} fit per topic, EAP abilities",
        skipped=skipped,
    )
