"""Computerised adaptive testing: the most informative item next, until a target standard error."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int
from assay.irt._abilities import abilities as _abilities
from assay.irt._results import IRTFit

__all__ = ["AdaptiveResult", "adaptive_test"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdaptiveResult(Result):
    """An adaptive test: the items given in order, the answers, and the ability path."""

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
    n: int


def adaptive_test(
    fit: IRTFit,
    answer: Any,
    *,
    target_se: float = 0.3,
    max_items: int | None = None,
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
    target_se : float, default 0.3
        Stop once the posterior SD of ability is at most this.
    max_items : int, optional
        Stop after this many items (default: all).

    Notes
    -----
    At each step the EAP ability (N(0, 1) prior) is updated and the unused item with the largest
    Fisher information ``I_i(theta_hat)`` is given next (Lord 1980). ``accuracy`` is the
    predicted full-benchmark accuracy: observed answers plus ``P_i(theta_hat)`` for the rest.
    """
    if fit.model == "grm":
        raise InputError("adaptive_test needs a binary-model fit; got model='grm'.")
    if isinstance(target_se, bool) or not isinstance(target_se, int | float) or not target_se > 0:
        raise InputError(f"`target_se` must be a positive number; got {target_se!r}.")
    confidence_level = check_confidence_level(confidence_level)
    n = fit.n_items
    max_items = n if max_items is None else min(check_positive_int(max_items, "max_items"), n)
    if callable(answer):
        ask: Callable[[int], float] = answer
    else:
        arr = np.asarray(answer, dtype=float)
        if arr.shape != (n,):
            raise InputError(f"`answer` must have one score per item ({n}); got shape {arr.shape}.")
        ask = lambda i: arr[i]  # noqa: E731
    given: list[int] = []
    answers: list[float] = []
    thetas, ses = [], []
    theta, se = 0.0, 1.0
    full = np.full((1, n), np.nan)
    stopped = "max_items"
    while len(given) < max_items:
        info = fit.information(theta)[0]
        info[given] = -np.inf
        i = int(np.argmax(info))
        y = float(ask(i))
        if not (0.0 <= y <= 1.0):
            raise InputError(
                f"`answer` returned {y!r} for item {fit.items[i]!r}; scores must be in [0, 1]."
            )
        given.append(i)
        answers.append(y)
        full[0, i] = y
        ab = _abilities(fit, full, method="eap", confidence_level=confidence_level)
        theta, se = float(ab.estimate[0]), float(ab.se[0])
        thetas.append(theta)
        ses.append(se)
        if se <= target_se:
            stopped = "target_se"
            break
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    p = fit.probability(theta)[0]
    acc = float(np.where(np.isnan(full[0]), p, full[0]).mean())
    return AdaptiveResult(
        items=tuple(fit.items[i] for i in given),
        answers=np.asarray(answers),
        theta_path=np.asarray(thetas),
        se_path=np.asarray(ses),
        estimate=theta,
        se=se,
        ci_low=theta - z * se,
        ci_high=theta + z * se,
        confidence_level=confidence_level,
        accuracy=acc,
        stopped=stopped,
        method="maximum Fisher information, EAP updates",
        n=len(given),
    )
