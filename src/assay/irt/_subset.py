"""Efficient evaluation: anchor items, accuracy estimates from them, their validated error, adaptive testing.

From reference models' full responses, choose ``k`` anchor items (stratified random, maximum
information, or k-means clustering of item response patterns as tinyBenchmarks does); estimate a
new model's full-benchmark accuracy from its anchor answers by the weighted anchor mean, by IRT
(p-IRT: observed anchors plus the fitted probabilities of the rest at the model's ability) or by
gp-IRT (their inverse-error-weighted mix; Polo et al. 2024, arXiv:2402.14992); and validate the
error by leaving each reference model out in turn.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import (
    check_choice,
    check_confidence_level,
    check_positive_int,
    check_rng,
)
from assay.irt._abilities import abilities as _abilities
from assay.irt._anchors import ANCHOR_METHODS, DEFAULT_ANCHOR_METHOD, _choose, resolve_method
from assay.irt._fit import fit as _fit
from assay.irt._inputs import as_scores
from assay.irt._results import IRTFit, per_model_rows

__all__ = [
    "ANCHOR_METHODS",
    "ESTIMATORS",
    "AccuracyEstimate",
    "Subset",
    "SubsetValidation",
    "build_subset",
    "estimate_accuracy",
    "select_anchors",
    "validate_subset",
]

ESTIMATORS = ("gp-irt", "irt", "mean")
SUBSET_FORMAT = "assay.subset/1"
SUBSET_PRIOR = {"a_mean": 1.0, "a_sd": 0.5, "d_sd": 2.0}
"""Item prior of the reference fit (few reference models: shrink slopes toward 1; validated on
MMLU-Pro, where it halves the leave-one-model-out error of p-IRT against the weak prior)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Subset(Result):
    """Anchor items and everything needed to estimate a model's full accuracy from them.

    Attributes
    ----------
    items : tuple of str
        Anchor item ids.
    indices : ndarray of int
        Their positions in ``all_items``.
    weights : ndarray
        Anchor weights summing to 1 (the share of the benchmark each anchor stands for).
    method : str
        How the anchors were chosen; ``seed`` and ``k`` reproduce it with the same reference data.
    all_items : tuple of str
    discrimination, intercept, guessing : ndarray (n_items,)
        Item parameters of every item (for p-IRT).
    reference_models : tuple of str
    mse : dict
        Squared error of each estimator on the reference models (validated by leave-one-model-out
        when ``validation`` is present, else in sample), used to mix gp-IRT.
    error_cross : float or None
        Mean product of the p-IRT and anchor-mean errors over the same reference models: the
        two estimators err together (same anchors), and gp-IRT's mix accounts for it.
    validation : dict or None
        Leave-one-model-out errors (see :class:`SubsetValidation`).
    """

    _array_fields = ()

    items: tuple[str, ...]
    indices: np.ndarray
    weights: np.ndarray
    method: str
    k: int
    seed: int | None
    all_items: tuple[str, ...]
    discrimination: np.ndarray
    intercept: np.ndarray
    guessing: np.ndarray
    irt_model: str
    reference_models: tuple[str, ...]
    mse: dict[str, float]
    validation: dict[str, Any] | None = None
    strata: str | None = None
    error_cross: float | None = None

    def to_dict(self, *, arrays: bool = True) -> dict[str, Any]:
        out = super().to_dict(arrays=True)
        out["format"] = SUBSET_FORMAT
        return out

    @classmethod
    def from_dict(cls, data: Any, *, path: str | None = None) -> Subset:
        """Rebuild a subset from :meth:`to_dict` output (e.g. a JSON file); errors name the field."""
        if not isinstance(data, dict) or data.get("format") != SUBSET_FORMAT:
            raise InputError(
                f'not an assay subset file (expected "format": "{SUBSET_FORMAT}").',
                path=path,
                field="format",
            )
        try:
            n = len(data["all_items"])
            arrays = {
                k: np.asarray(data[k], dtype=float)
                for k in ("discrimination", "intercept", "guessing", "weights")
            }
            indices = np.asarray(data["indices"], dtype=int)
        except KeyError as exc:
            raise InputError("missing field.", path=path, field=str(exc.args[0])) from None
        except (TypeError, ValueError) as exc:
            raise InputError(f"non-numeric values ({exc}).", path=path, field="arrays") from None
        for k in ("discrimination", "intercept", "guessing"):
            if arrays[k].shape != (n,) or not np.isfinite(arrays[k]).all():
                raise InputError(f"must hold {n} finite numbers.", path=path, field=k)
        if indices.shape != (len(data["items"]),) or (indices < 0).any() or (indices >= n).any():
            raise InputError("anchor indices do not match the items.", path=path, field="indices")
        if arrays["weights"].shape != indices.shape or (arrays["weights"] < 0).any():
            raise InputError(
                "must hold one non-negative weight per anchor.", path=path, field="weights"
            )
        return cls(
            items=tuple(data["items"]),
            indices=indices,
            weights=arrays["weights"],
            method=str(data["method"]),
            k=int(data["k"]),
            seed=data.get("seed"),
            all_items=tuple(data["all_items"]),
            discrimination=arrays["discrimination"],
            intercept=arrays["intercept"],
            guessing=arrays["guessing"],
            irt_model=str(data.get("irt_model", "2pl")),
            reference_models=tuple(data.get("reference_models", ())),
            mse=dict(data.get("mse", {})),
            validation=data.get("validation"),
            strata=data.get("strata"),
            error_cross=_optional_float(data.get("error_cross"), path),
        )


def _optional_float(value: Any, path: str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"must be a finite number; got {value!r}.", path=path, field="error_cross")
    return float(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccuracyEstimate(Result):
    """Estimated full-benchmark accuracy of each model from its anchor answers (arrays (n_models,))."""

    models: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    confidence_level: float
    method: str
    n: np.ndarray
    ability: np.ndarray

    def rows(self) -> list[dict[str, Any]]:
        return per_model_rows(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubsetValidation(Result):
    """Leave-one-model-out error of each estimator: ``errors[estimator]`` is (n_models,) estimate - truth."""

    models: tuple[str, ...]
    truth: np.ndarray
    errors: dict[str, np.ndarray]
    mae: dict[str, float]
    rmse: dict[str, float]
    max_abs: dict[str, float]
    k: int
    method: str


# ------------------------------------------------------------------------------------- anchors
def select_anchors(
    scores: Any,
    k: int,
    *,
    method: str = DEFAULT_ANCHOR_METHOD,
    fit: IRTFit | None = None,
    strata: Any = None,
    rng: Any = None,
    items: Any = None,
    models: Any = None,
    **fit_options: Any,
) -> Subset:
    """Choose ``k`` anchor items from reference models' full responses.

    Parameters
    ----------
    scores : array_like (n_models, n_items) or ScoreMatrix
        Reference models' scores (NaN where missing).
    k : int
        Anchors to choose (less than the number of items).
    method : {'auto', 'info-stratified', 'info-cluster', 'stratified', 'cluster', 'cluster-info', 'information'}, default 'auto'
        'auto': 'cluster-info' for k up to 100, 'info-stratified' above and whenever ``strata``
        are given (on MMLU-Pro's leave-one-model-out folds, confirmed on fresh anchor seeds,
        'cluster-info' had the smaller p-IRT error at k = 50 and 100, and no design tried beat
        'info-stratified' at 200 and 400; docs/irt.md); the subset records the design used.
        'info-cluster': as 'info-stratified', with ``k // 4`` k-means clusters of the items'
        response patterns across the reference models as the strata (items the same reference
        models solve) instead of difficulty bins.
        'cluster-info': k-means (k-means++ start) on the items' response patterns across the
        reference models; from each cluster, the most informative item (Fisher information
        averaged over the reference abilities) among the quarter of its items nearest the
        centroid, weighted by its cluster's share of the items. 'cluster': the same clusters,
        the item nearest each centroid (tinyBenchmarks' "correctness" anchors).
        'info-stratified': as 'stratified' (proportional allocation over ``strata``), but within
        each stratum items are drawn with probability proportional to their Fisher information
        averaged over the reference abilities, and weighted by the inverse of that relative
        probability for the anchor mean; informative items make the ability, hence p-IRT, more
        precise. 'stratified': proportional stratified random sample over ``strata`` (default: 20
        quantile bins of the item's mean score over the reference models, so that easy, middling
        and hard items are represented in proportion), each anchor weighted by its stratum's share
        over its draws. 'information': the k items with the largest Fisher information averaged
        over the reference models' abilities (equal weights; their plain mean is biased, so use
        the IRT estimators; with few reference models the largest estimated slopes are partly
        noise, which this choice amplifies).
    fit : IRTFit, optional
        An IRT fit of the reference scores (default: a 2PL with ``prior=SUBSET_PRIOR``; pass
        ``prior=...`` among ``fit_options`` to change it).
    strata : array_like (n_items,), optional
        Stratum of each item for the stratified designs (e.g. subjects).
    rng : Generator, int or None
    """
    check_choice(method, "method", ANCHOR_METHODS)
    values, items, models = as_scores(scores, items=items, models=models)
    k = check_positive_int(k, "k")
    if k >= values.shape[1]:
        raise InputError(
            f"`k` must be smaller than the number of items ({values.shape[1]}); got {k}."
        )
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    if strata is not None and np.asarray(strata).shape != (values.shape[1],):
        raise InputError(
            f"`strata` must have one entry per item ({values.shape[1]}); got shape {np.asarray(strata).shape}."
        )
    if fit is None:
        fit_options.setdefault("prior", SUBSET_PRIOR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            fit = _fit(values, items=items, models=models, standard_errors=False, **fit_options)
    method = resolve_method(method, k, strata_given=strata is not None)
    idx, w = _choose(values, k, method, fit, strata, rng)
    sub = _new_subset(idx, w, method, seed, items, models, fit, strata is not None)
    errors = _in_sample_errors(sub, values)
    return dataclasses.replace(sub, **_error_summary(errors))


def _new_subset(idx, w, method, seed, items, models, fit, strata_given) -> Subset:
    """A Subset of the chosen anchors, without its validated errors."""
    return Subset(
        items=tuple(items[i] for i in idx),
        indices=idx,
        weights=w / w.sum(),
        method=method,
        k=int(idx.size),
        seed=seed,
        all_items=items,
        discrimination=fit.discrimination,
        intercept=fit.intercept,
        guessing=fit.guessing,
        irt_model=fit.model,
        reference_models=models,
        mse={},
        strata="given" if strata_given else None,
    )


def _in_sample_errors(sub: Subset, values: np.ndarray) -> dict[str, np.ndarray]:
    """Each estimator's error on the reference models (NaN for one that answered no anchor)."""
    anchors = values[:, sub.indices]
    some = ~np.isnan(anchors).all(1)
    errors = {k: np.full(values.shape[0], np.nan) for k in ESTIMATORS}
    if some.any():
        truth = np.nanmean(values[some], axis=1)
        est = _estimates(sub, anchors[some])
        for k in ESTIMATORS:
            errors[k][some] = est[k] - truth
    return errors


def _error_summary(errors: dict[str, np.ndarray]) -> dict[str, Any]:
    """``mse`` and ``error_cross`` of a subset from per-model errors of each estimator.

    A reference model with no estimate (it answered none of the anchors) is left out.
    """
    ok = np.all([np.isfinite(errors[k]) for k in ESTIMATORS], axis=0)
    return {
        "mse": {k: float(np.mean(errors[k][ok] ** 2)) for k in ESTIMATORS},
        "error_cross": float(np.mean(errors["irt"][ok] * errors["mean"][ok])),
    }


def _mix_weight(sub: Subset) -> float:
    """gp-IRT's weight on the anchor mean: the least-squared-error mix of two correlated estimators.

    With squared errors ``v_irt``, ``v_mean`` and cross product ``c`` over the reference models,
    ``lambda = (v_irt - c) / (v_irt + v_mean - 2 c)`` minimises the mean squared error of
    ``lambda * mean + (1 - lambda) * irt`` (clipped to [0, 1]); with ``c = 0`` it is Polo et al.'s
    ``v_irt / (v_irt + v_mean)``. Without errors: ``k / (k + 100)``.
    """
    v_irt, v_mean = sub.mse.get("irt"), sub.mse.get("mean")
    if v_irt is None or v_mean is None or v_irt + v_mean <= 0:
        return sub.k / (sub.k + 100.0)
    c = 0.0 if sub.error_cross is None else sub.error_cross
    denom = v_irt + v_mean - 2 * c
    if denom <= 0:  # the two estimators err identically: either will do
        return 0.0
    return float(np.clip((v_irt - c) / denom, 0.0, 1.0))


# ----------------------------------------------------------------------------------- estimates
def _subset_fit(sub: Subset, idx: np.ndarray | None = None) -> IRTFit:
    """The subset's item parameters as an IRTFit (of the items ``idx`` only, if given)."""
    from assay.irt._results import AbilityResult

    if idx is not None:
        sub = dataclasses.replace(
            sub,
            all_items=tuple(sub.all_items[i] for i in idx),
            discrimination=sub.discrimination[idx],
            intercept=sub.intercept[idx],
            guessing=sub.guessing[idx],
        )
    n = len(sub.all_items)
    nan = np.full(n, np.nan)
    empty = AbilityResult(
        models=(),
        estimate=np.empty(0),
        se=np.empty(0),
        ci_low=np.empty(0),
        ci_high=np.empty(0),
        confidence_level=0.95,
        method="eap",
        n=np.empty(0, int),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        b = -sub.intercept / sub.discrimination
    return IRTFit(
        model=sub.irt_model if sub.irt_model != "1pl" else "2pl",
        method="mml",
        backend="numpy",
        items=sub.all_items,
        models=(),
        discrimination=sub.discrimination,
        difficulty=b,
        intercept=sub.intercept,
        guessing=sub.guessing,
        discrimination_se=nan,
        difficulty_se=nan,
        guessing_se=nan,
        ability=empty,
        loglik=math.nan,
        aic=math.nan,
        bic=math.nan,
        n_params=0,
        n_responses=0,
        n_categories=2,
        converged=True,
        n_iter=0,
        n_quad=0,
        prior=None,
        se_method="",
    )


def _estimates(sub: Subset, anchor_values: np.ndarray) -> dict[str, np.ndarray]:
    """Every estimator's accuracy for each model (rows of ``anchor_values``, columns = anchors)."""
    obs = ~np.isnan(anchor_values)
    w = np.where(obs, sub.weights[None, :], 0.0)
    mean = (w * np.nan_to_num(anchor_values)).sum(1) / w.sum(1)
    fit = _subset_fit(sub)
    full = np.full((anchor_values.shape[0], len(sub.all_items)), np.nan)
    full[:, sub.indices] = anchor_values
    # the ability from the anchors alone (unanswered items add nothing to the likelihood)
    theta = _abilities(_subset_fit(sub, sub.indices), anchor_values, method="eap").estimate
    p = fit.probability(theta)
    rest = np.ones(len(sub.all_items), bool)
    rest[sub.indices] = False
    # p-IRT: observed anchors, fitted probabilities elsewhere (and for anchors a model skipped)
    filled = np.where(np.isnan(full), p, full)
    pirt = filled.mean(1)
    lam = _mix_weight(sub)
    return {"mean": mean, "irt": pirt, "gp-irt": lam * mean + (1 - lam) * pirt, "_theta": theta}


def estimate_accuracy(
    subset: Subset,
    anchor_scores: Any,
    *,
    method: str = "gp-irt",
    models: Any = None,
    confidence_level: float = 0.95,
) -> AccuracyEstimate:
    """Estimate each model's full-benchmark accuracy from its answers on the anchors.

    Parameters
    ----------
    subset : Subset
    anchor_scores : array_like (n_models, k)
        Scores on ``subset.items``, in that order (NaN for anchors a model skipped).
    method : {'gp-irt', 'irt', 'mean'}, default 'gp-irt'
        'mean': ``sum_j w_j y_j``. 'irt' (p-IRT): ``(sum of anchor scores + sum over the other items
        of P_i(theta_hat)) / N`` with ``theta_hat`` the EAP from the anchors. 'gp-irt':
        ``lambda * mean + (1 - lambda) * irt``, ``lambda`` the least-squared-error mix given the
        subset's validated errors and their cross product (the two estimators share the
        anchors, so their errors correlate); Polo et al.'s ``mse_irt / (mse_irt + mse_mean)``
        when the cross product is zero or unknown.
    confidence_level : float, default 0.95
        The interval is ``estimate -/+ z * se`` with ``se`` the root of the estimator's validated
        mean squared error on the reference models (an error, not a sampling, interval).
    """
    check_choice(method, "method", ESTIMATORS)
    confidence_level = check_confidence_level(confidence_level)
    values, _, models = as_scores(anchor_scores, models=models, name="anchor_scores")
    if values.shape[1] != len(subset.items):
        raise InputError(
            f"`anchor_scores` must have one column per anchor ({len(subset.items)}); got {values.shape[1]}."
        )
    bad = (~np.isnan(values)) & ((values < 0) | (values > 1))
    if bad.any():
        raise InputError(
            f"`anchor_scores` must be in [0, 1]; found {int(bad.sum())} value(s) outside."
        )
    empty = np.flatnonzero(np.isnan(values).all(1))
    if empty.size:
        raise InputError(f"model {models[empty[0]]!r} answered none of the anchors.")
    est = _estimates(subset, values)
    se = math.sqrt(subset.mse.get(method, math.nan))
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    e = est[method]
    return AccuracyEstimate(
        models=tuple(models),
        estimate=e,
        se=np.full(e.shape, se),
        ci_low=e - z * se,
        ci_high=e + z * se,
        confidence_level=confidence_level,
        method=f"{method} from {subset.k} {subset.method} anchors",
        n=(~np.isnan(values)).sum(1),
        ability=est["_theta"],
    )


def _lomo_errors(
    values: np.ndarray,
    items: tuple[str, ...],
    models: tuple[str, ...],
    runs: list[tuple[int, str, Any]],
    *,
    strata: Any = None,
    progress: Callable[[str], None] | None = None,
    **fit_options: Any,
) -> tuple[np.ndarray, dict[tuple[int, str, Any], dict[str, np.ndarray]]]:
    """Leave-one-model-out errors of several ``(k, method, rng)`` designs sharing each fold's fit.

    The reference fit of a fold does not depend on the design, so it is made once per held-out
    model; the held-out model plays no part in the fit, the anchors or the gp-IRT mix.
    """
    if values.shape[0] < 3:
        raise InputError(f"leave-one-model-out needs at least 3 models; got {values.shape[0]}.")
    for k, method, _ in runs:
        check_choice(method, "method", ANCHOR_METHODS)
        check_positive_int(k, "k")
    n = values.shape[0]
    truth = np.full(n, np.nan)
    errors = {run: {e: np.full(n, np.nan) for e in ESTIMATORS} for run in runs}
    fit_options.setdefault("prior", SUBSET_PRIOR)
    for m in range(n):
        if progress is not None:
            progress(models[m])
        keep = np.arange(n) != m
        ref = values[keep]
        # the fold's benchmark: items the held-out model answered and some reference model did too
        ok = ~np.isnan(ref).all(0) & ~np.isnan(values[m])
        fold_items = [items[i] for i in np.flatnonzero(ok)]
        fold_models = [models[i] for i in np.flatnonzero(keep)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            fit = _fit(
                ref[:, ok],
                items=fold_items,
                models=fold_models,
                standard_errors=False,
                **fit_options,
            )
        truth[m] = float(np.mean(values[m, ok]))
        for run in runs:
            k, method, rng = run
            sub = select_anchors(
                ref[:, ok],
                k,
                method=method,
                fit=fit,
                strata=None if strata is None else np.asarray(strata)[ok],
                rng=rng if isinstance(rng, int) else check_rng(rng),
                items=fold_items,
                models=fold_models,
            )
            est = _estimates(sub, values[m : m + 1, ok][:, sub.indices])
            for e in ESTIMATORS:
                errors[run][e][m] = est[e][0] - truth[m]
    return truth, errors


def validate_subset(
    scores: Any,
    k: int,
    *,
    method: str = DEFAULT_ANCHOR_METHOD,
    strata: Any = None,
    rng: Any = None,
    items: Any = None,
    models: Any = None,
    progress: Callable[[str], None] | None = None,
    **fit_options: Any,
) -> SubsetValidation:
    """Leave-one-model-out error of the anchor estimators.

    For each model in turn: fit IRT on the others, choose ``k`` anchors from them, estimate the
    held-out model's accuracy from its anchor answers, and compare with its accuracy on every
    item it answered. Every fold uses the same seed. ``progress``, if given, is called with each
    held-out model's name as its fold starts (one IRT fit per model).
    """
    values, items, models = as_scores(scores, items=items, models=models)
    seed = rng if isinstance(rng, int) or rng is None else None
    run = (k, method, seed if seed is not None else rng)
    truth, errors = _lomo_errors(
        values, items, models, [run], strata=strata, progress=progress, **fit_options
    )
    errors = errors[run]
    return SubsetValidation(
        models=models,
        truth=truth,
        errors=errors,
        mae={e: float(np.mean(np.abs(v))) for e, v in errors.items()},
        rmse={e: float(np.sqrt(np.mean(v**2))) for e, v in errors.items()},
        max_abs={e: float(np.max(np.abs(v))) for e, v in errors.items()},
        k=k,
        method=method,
    )


def build_subset(
    scores: Any,
    k: int,
    *,
    method: str = DEFAULT_ANCHOR_METHOD,
    validate: bool = True,
    strata: Any = None,
    rng: Any = 0,
    items: Any = None,
    models: Any = None,
    progress: Callable[[str], None] | None = None,
    **fit_options: Any,
) -> Subset:
    """Choose anchors from all reference models and, if ``validate``, attach the leave-one-model-out error.

    The validated mean squared errors replace the in-sample ones, so gp-IRT's mix and the
    estimates' intervals rest on out-of-sample error. The returned subset's :meth:`Subset.to_dict`
    is the JSON record (method, k, seed, anchors, weights, item parameters, errors).
    ``progress`` is passed to :func:`validate_subset` (called once per reference model).
    """
    sub = select_anchors(
        scores, k, method=method, strata=strata, rng=rng, items=items, models=models, **fit_options
    )
    if not validate:
        return sub
    val = validate_subset(
        scores,
        k,
        method=method,
        strata=strata,
        rng=rng,
        items=items,
        models=models,
        progress=progress,
        **fit_options,
    )
    summary = {
        "scheme": "leave-one-model-out",
        "n_models": len(val.models),
        "mae": val.mae,
        "rmse": val.rmse,
        "max_abs": val.max_abs,
    }
    return dataclasses.replace(sub, **_error_summary(val.errors), validation=summary)
