"""Computerised adaptive testing: the most informative item next, until a target standard error."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_choice, check_confidence_level, check_positive_int
from assay.irt._cat import Bank, normal_nodes, point_nodes, run_test
from assay.irt._inputs import as_scores
from assay.irt._item_posterior import item_posterior_nodes
from assay.irt._misfit import Misfit, person_misfit
from assay.irt._results import IRTFit

__all__ = ["AdaptiveResult", "adaptive_test"]

# Below this many reference models the point estimates of an item bank are too rough for honest
# intervals (benchmarks/irt.py --adaptive: 28 models, 95% intervals from the point curves cover
# 86.6% of simulated abilities; from the item-posterior curves, 95.8%).
_FEW_MODELS = 200
_TIGHT_SLOPE_SD = 0.5  # with a vaguer slope prior even the item posteriors undercover
ITEM_UNCERTAINTY = ("auto", "posterior", "normal", "none")
MISFIT = ("auto", "references", "none")
_METHOD_NOTE = {
    "posterior": " (item posterior-predictive curves given the reference scores)",
    "normal": " (item curves integrated over normal errors at the item standard errors)",
    "none": " (point-estimate item curves)",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdaptiveResult(Result):
    """An adaptive test: the items given in order, the answers, and the ability path.

    ``se`` (and ``se_path``) is the standard error of the estimate as a measure of the ability on
    all items: the test's posterior SD combined with the person-misfit SD ``misfit_sd``
    measured on ``n_references`` reference models (``misfit='references'``; NaN and 0 when
    ``misfit='none'``).
    """

    items: tuple[str, ...]
    answers: np.ndarray
    theta_path: np.ndarray
    se_path: np.ndarray
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence_level: float
    accuracy: float
    stopped: str
    method: str
    item_uncertainty: str
    misfit: str
    misfit_sd: float
    n_references: int
    min_items: int
    n: int


def _warn_few_models(fit: IRTFit, mode: str) -> None:
    """Warn when a bank from few models is used in a way measured to undercover."""
    if fit.n_models >= _FEW_MODELS or np.ptp(fit.discrimination) == 0:
        return
    slope_sd = float((fit.prior or {}).get("a_sd", np.inf))
    fixes = []
    if mode != "posterior":
        fixes.append(
            "pass the reference models' scores as `scores=` to score with each item's posterior"
        )
    if slope_sd > _TIGHT_SLOPE_SD:
        fixes.append(
            f"refit the bank with a tight slope prior (its slope prior SD is {slope_sd:g}), "
            "prior={'a_mean': 1.0, 'a_sd': 0.5, 'd_sd': 2.0}"
        )
    if fixes:
        warnings.warn(
            f"the item bank was estimated from {fit.n_models} models: the items that look most "
            "informative are those whose slopes were overestimated, so the ability interval "
            "covers less often than stated; " + " and ".join(fixes) + " (docs/irt.md, "
            "'Adaptive tests: coverage').",
            DegenerateDataWarning,
            stacklevel=3,
        )


_BANKS: list[tuple] = []  # the last few (weak reference to fit, mode, scores digest, bank)
_N_BANKS = 4


def _bank(fit: IRTFit, scores: Any, item_uncertainty: Any) -> tuple[str, Bank, np.ndarray | None]:
    """The item-uncertainty mode and the bank, remembered for the last (fit, mode, scores)."""
    if not isinstance(item_uncertainty, str):
        raise InputError(
            "`item_uncertainty` must be one of 'auto', 'posterior', 'normal', 'none'; "
            f"got {item_uncertainty!r}."
        )
    check_choice(item_uncertainty, "item_uncertainty", ITEM_UNCERTAINTY)
    mode = item_uncertainty
    if mode == "auto":
        mode = "posterior" if scores is not None else "none"
    values = None
    if scores is not None:
        values, _, _ = as_scores(scores)
        if values.shape != (fit.n_models, fit.n_items):
            raise InputError(
                f"`scores` must be the fit's reference scores, shape ({fit.n_models}, "
                f"{fit.n_items}); got {values.shape}."
            )
    if mode == "posterior":
        if scores is None:
            raise InputError(
                "`item_uncertainty='posterior'` needs `scores`, the reference models' scores "
                "the fit was made from."
            )
    elif mode == "normal" and not (
        np.isfinite(fit.discrimination_se).all() and np.isfinite(fit.difficulty_se).all()
    ):
        raise InputError(
            "`item_uncertainty='normal'` needs the fit's item standard errors; refit with "
            "standard_errors=True (some discrimination_se/difficulty_se are NaN)."
        )
    digest = None
    if values is not None:
        digest = hashlib.blake2b(np.ascontiguousarray(values).tobytes(), digest_size=16).digest()
    for ref, m, dg, bank in _BANKS:
        if ref() is fit and (m, dg) == (mode, digest):
            return mode, bank, values
    if mode == "posterior":
        nodes = item_posterior_nodes(fit, values)
    elif mode == "normal":
        nodes = normal_nodes(fit)
    else:
        nodes = point_nodes(fit)
    bank = Bank(nodes, fit.guessing)
    _BANKS.insert(0, (weakref.ref(fit), mode, digest, bank))
    del _BANKS[_N_BANKS:]
    return mode, bank, values


def adaptive_test(
    fit: IRTFit,
    answer: Any,
    *,
    scores: Any = None,
    item_uncertainty: str = "auto",
    misfit: str = "auto",
    target_se: float = 0.3,
    max_items: int | None = None,
    min_items: int = 1,
    confidence_level: float = 0.95,
) -> AdaptiveResult:
    """Computerised adaptive testing: give the most informative item next, stop at ``target_se``.

    Parameters
    ----------
    fit : IRTFit
        A binary-model fit (the item bank).
    answer : array_like (n_items,) or callable
        The model's score on each item (a simulation from full responses), or a function
        ``answer(item_index) -> score`` that runs the model on one item.
    scores : ScoreMatrix or array_like (fit.n_models, fit.n_items), optional
        The reference models' scores the item bank was fitted to (NaN where missing). With
        them every item is scored by its posterior-predictive curve (``item_uncertainty``),
        which makes the interval cover at its nominal rate when the bank comes from few models.
    item_uncertainty : {'auto', 'posterior', 'normal', 'none'}, default 'auto'
        How the item parameters' uncertainty enters. 'posterior': each item's curve is
        averaged over the posterior of its slope and intercept given the references' answers
        at their abilities and the fit's item prior (a 13 x 13 grid per item; needs
        ``scores``). 'normal': averaged over independent normals at the fit's standard errors
        of discrimination and difficulty (needs a fit with item standard errors; measured to
        undercover). 'none': the point-estimate curves. 'auto': 'posterior' when ``scores``
        are given, else 'none' (with a warning when the bank comes from fewer than 200
        models).
    misfit : {'auto', 'references', 'none'}, default 'auto'
        Person misfit: how far the ability the test's few items measure is from the ability
        all items measure, beyond the test's own noise. 'references': each reference model in
        ``scores`` takes the same test on the bank without its answers, and the variance of
        its test estimate around its all-items ability, less the test's posterior variance, is
        the misfit variance ``tau^2`` (needs ``scores`` from at least 10 models; with fewer it
        warns and is not included); the standard error is ``sqrt(posterior_sd^2 + tau^2)``,
        used by the interval and the stopping rule. 'none': the posterior SD alone (exact only
        when the 2PL is true). 'auto': 'references' when ``scores`` are given, else 'none'.
    target_se : float, default 0.3
        Stop once the standard error of ability is at most this (and ``min_items`` were
        given).
    max_items : int, optional
        Stop after this many items (default: all).
    min_items : int, default 1
        Give at least this many items before stopping at ``target_se``.

    Notes
    -----
    At each step the ability posterior (N(0, 1) prior, on a fixed grid of 561 points over
    [-7, 7]) is updated and the unused item with the largest Fisher information at the
    posterior mean (rounded to 0.02) is given next (Lord 1980). The bank (the item curves and
    their information at each ability visited) is kept for the next call with the same fit,
    scores and ``item_uncertainty``, so that many tests on one bank compute it once. Items
    within 0.1% of the largest information are tied and the first in the bank's order is given.
    ``accuracy`` is the predicted full-benchmark accuracy: observed answers plus
    ``P_i(theta_hat)`` for the rest. With item parameters estimated from few reference models
    the point-estimate interval undercovers: items are chosen because their estimated slopes
    are large, and those are the overestimated ones. Scoring with each item's
    posterior-predictive curve makes the posterior of the ability exact given the references
    (selection on observed answers is ignorable), up to the references' abilities being
    treated as known; on MMLU-Pro-shaped simulations with 28 reference models the 95% interval
    then covers 95.8% (point curves: 86.6%). On real held-out MMLU-Pro models the posterior
    interval alone covers less (86.2%): the answers are not exactly 2PL, and the ability the
    test's few items measure differs from the one all items measure. The misfit term
    (``misfit='references'``) measures that on the reference models, cross-fitted: reference
    ``r`` takes the same test (same selection and stopping rule) on the bank with its own
    answers divided out of every item's posterior, and ``d_r = theta_r,test - theta_r,all`` is
    compared with the test's posterior SD ``s_r``. With an additive variance
    ``E d^2 = s^2 + tau^2`` (on MMLU-Pro ``mean d^2 - s^2`` is about 0 up to 30 items and 0.04
    to 0.05 from 60 to 120 while ``mean (d / s)^2`` grows from 1.0 to 2.6, so the misfit is not
    a multiple of ``s^2``), ``tau^2`` is the smallest value whose moment estimate at the
    references' stopping points (stopping when ``sqrt(s^2 + tau^2) <= target_se``) is at most
    itself. ``se = sqrt(s^2 + tau^2)`` and the interval is ``estimate -/+ q * se``, ``q`` the
    Student t quantile at the Satterthwaite degrees of freedom of ``s^2 + tau^2`` (``tau^2``
    estimated from the references; the normal quantile when ``tau^2 = 0`` or without the
    misfit term). The references' tests are run once per bank and test settings and kept with
    the bank. See docs/irt.md, "Adaptive tests: person misfit".

    Examples
    --------
    >>> import numpy as np
    >>> from assay import irt
    >>> rng = np.random.default_rng(0)
    >>> a, b, theta = rng.uniform(0.8, 2, 300), rng.normal(size=300), rng.normal(size=30)
    >>> y = (rng.random((30, 300)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(float)
    >>> bank = irt.fit(y[1:], prior={"a_mean": 1.0, "a_sd": 0.5, "d_sd": 2.0})
    >>> res = irt.adaptive_test(bank, y[0], scores=y[1:], target_se=0.4)
    >>> res.item_uncertainty, res.se <= 0.4
    ('posterior', True)
    """
    if fit.model == "grm":
        raise InputError("adaptive_test needs a binary-model fit; got model='grm'.")
    if isinstance(target_se, bool) or not isinstance(target_se, int | float) or not target_se > 0:
        raise InputError(f"`target_se` must be a positive number; got {target_se!r}.")
    confidence_level = check_confidence_level(confidence_level)
    min_items = check_positive_int(min_items, "min_items")
    n = fit.n_items
    max_items = n if max_items is None else min(check_positive_int(max_items, "max_items"), n)
    if not isinstance(misfit, str):
        raise InputError(f"`misfit` must be one of 'auto', 'references', 'none'; got {misfit!r}.")
    check_choice(misfit, "misfit", MISFIT)
    if misfit == "references" and scores is None:
        raise InputError(
            "`misfit='references'` needs `scores`, the reference models' scores the fit was "
            "made from."
        )
    mode, bank, values = _bank(fit, scores, item_uncertainty)
    _warn_few_models(fit, mode)
    if callable(answer):
        ask: Callable[[int], float] = answer
    else:
        arr = np.asarray(answer, dtype=float)
        if arr.shape != (n,):
            raise InputError(f"`answer` must have one score per item ({n}); got shape {arr.shape}.")
        ask = lambda i: arr[i]  # noqa: E731
    mis = None
    if misfit != "none" and values is not None:
        mis = person_misfit(
            fit,
            values,
            mode,
            bank,
            target_se=float(target_se),
            min_items=min_items,
            max_items=max_items,
        )
    tau2 = mis.tau2 if mis is not None else 0.0
    given, answers, thetas, post_sd = run_test(
        bank,
        ask,
        max_items=max_items,
        stop=lambda k, sd: np.sqrt(sd**2 + tau2) <= target_se and k >= min_items,
        names=fit.items,
    )
    return _result(
        fit,
        bank,
        given,
        answers,
        thetas,
        post_sd,
        mis,
        mode,
        confidence_level,
        target_se,
        min_items,
    )


def _result(
    fit: IRTFit,
    bank: Bank,
    given: list[int],
    answers: np.ndarray,
    thetas: np.ndarray,
    post_sd: np.ndarray,
    mis: Misfit | None,
    mode: str,
    confidence_level: float,
    target_se: float,
    min_items: int,
) -> AdaptiveResult:
    """The interval (normal, or Student t where the misfit variance was estimated) and the rest."""
    tau2 = mis.tau2 if mis is not None else 0.0
    ses = np.sqrt(post_sd**2 + tau2)
    theta, se = float(thetas[-1]), float(ses[-1])
    tail = 0.5 + confidence_level / 2
    df = mis.df(float(post_sd[-1]) ** 2) if mis is not None else np.inf
    q = float(stats.norm.ppf(tail) if np.isinf(df) else stats.t.ppf(tail, df))
    p_all = bank.curves(slice(None), np.array([theta]))[0][0]
    p_all[given] = answers
    note = _METHOD_NOTE[mode]
    if mis is not None:
        note += f"; person misfit SD {np.sqrt(tau2):.3f} from {mis.n} reference models"
    return AdaptiveResult(
        items=tuple(fit.items[i] for i in given),
        answers=answers,
        theta_path=thetas,
        se_path=ses,
        estimate=theta,
        se=se,
        ci_low=theta - q * se,
        ci_high=theta + q * se,
        confidence_level=confidence_level,
        accuracy=float(p_all.mean()),
        stopped="target_se" if se <= target_se and len(given) >= min_items else "max_items",
        method="maximum Fisher information, EAP updates" + note,
        item_uncertainty=mode,
        misfit="references" if mis is not None else "none",
        misfit_sd=float(np.sqrt(tau2)) if mis is not None else float("nan"),
        n_references=mis.n if mis is not None else 0,
        min_items=min_items,
        n=len(given),
    )
