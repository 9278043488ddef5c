"""Forgetting across tasks during continual post-training: the accuracy matrix and transfer."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special, stats

from assay._core import InputError, Result
from assay._core._validation import check_array, check_confidence_level

__all__ = ["ForgettingResult", "forgetting"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ForgettingResult(Result):
    """Accuracy on each task after each stage, and how much later stages erased earlier ones.

    Attributes
    ----------
    matrix, ci_low, ci_high : ndarray, shape (n_stages, n_tasks)
        ``matrix[i, j]``: mean score on task j after stage i, with its t interval over items.
    trained_at : tuple of int
        The stage at which each task was trained.
    backward_transfer, bwt_ci_low, bwt_ci_high, bwt_se : float
        :math:`BWT = \\frac{1}{T'} \\sum_j (R_{S-1,j} - R_{t_j,j})` over the T' tasks trained
        before the last stage (negative: forgetting), with a normal interval from the paired
        per-task SEs.
    task_bwt, task_bwt_ci_low, task_bwt_ci_high : ndarray, shape (n_tasks,)
        Each task's change from just after its own stage to the end (NaN for tasks of the last
        stage), paired t interval over its items.
    task_forgetting : ndarray, shape (n_tasks,)
        Chaudhry et al.'s forgetting: the best score the task had from its stage up to the
        second-to-last stage, minus its final score.
    average_forgetting : float
    forward_transfer : float
        Mean over tasks trained after stage 0 of the score just before their stage minus the
        ``baseline`` score (NaN without a baseline).
    final_average : float
        Mean over tasks of the final scores.
    n_items : tuple of int
    confidence_level : float
    method : str
    """

    matrix: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    trained_at: tuple[int, ...]
    backward_transfer: float
    bwt_ci_low: float
    bwt_ci_high: float
    bwt_se: float
    task_bwt: np.ndarray
    task_bwt_ci_low: np.ndarray
    task_bwt_ci_high: np.ndarray
    task_forgetting: np.ndarray
    average_forgetting: float
    forward_transfer: float
    final_average: float
    n_items: tuple[int, ...]
    confidence_level: float
    method: str


def _forgetting_iv(scores, trained_at, baseline):
    if isinstance(scores, np.ndarray) and scores.ndim == 3:
        scores = list(np.moveaxis(scores, 1, 0))
    if not isinstance(scores, Sequence) or isinstance(scores, str) or len(scores) < 2:
        raise InputError(
            "`scores` must be a list with one (n_stages, n_items) array per task, at least 2 tasks."
        )
    tasks = [check_array(s, f"scores[{j}]", ndim=2) for j, s in enumerate(scores)]
    n_stages = tasks[0].shape[0]
    for j, t in enumerate(tasks):
        if t.shape[0] != n_stages:
            raise InputError(
                f"`scores[{j}]` has {t.shape[0]} stages (rows) but `scores[0]` has {n_stages}."
            )
        if t.shape[1] < 2:
            raise InputError(f"`scores[{j}]` needs at least 2 items; got {t.shape[1]}.")
    if trained_at is None:
        if len(tasks) > n_stages:
            raise InputError(
                f"{len(tasks)} tasks but {n_stages} stages: give `trained_at`, the stage of "
                "each task."
            )
        trained_at = list(range(len(tasks)))
    trained = [int(v) for v in np.asarray(trained_at).ravel()]
    if len(trained) != len(tasks) or any(not 0 <= v < n_stages for v in trained):
        raise InputError(
            f"`trained_at` must give one stage in 0..{n_stages - 1} per task ({len(tasks)}); "
            f"got {list(trained_at)!r}."
        )
    base = None
    if baseline is not None:
        if not isinstance(baseline, Sequence) or len(baseline) != len(tasks):
            raise InputError(
                f"`baseline` must hold one array of item scores per task ({len(tasks)})."
            )
        base = [check_array(b, f"baseline[{j}]", ndim=1) for j, b in enumerate(baseline)]
        for j, (b, t) in enumerate(zip(base, tasks, strict=True)):
            if b.size != t.shape[1]:
                raise InputError(
                    f"`baseline[{j}]` has {b.size} items; `scores[{j}]` has {t.shape[1]}."
                )
    return tasks, tuple(trained), base, n_stages


def _paired(d: np.ndarray, level: float) -> tuple[float, float, float, float]:
    n = d.size
    se = float(d.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    m = float(d.mean())
    return m, m - half, m + half, se


def forgetting(
    scores: Any,
    *,
    trained_at: Any = None,
    baseline: Any = None,
    confidence_level: float = 0.95,
) -> ForgettingResult:
    """The forgetting matrix of continual post-training, with backward and forward transfer.

    Parameters
    ----------
    scores : list of array_like, each of shape (n_stages, n_items_j)
        For each task, its per-item scores after each training stage (the same items at every
        stage); an array of shape (n_stages, n_tasks, n_items) also works.
    trained_at : sequence of int, optional
        The stage at which each task was trained; default task j at stage j.
    baseline : list of array_like, optional
        Per-item scores of the model before any stage, for forward transfer.
    confidence_level : float, default 0.95

    Returns
    -------
    ForgettingResult

    Notes
    -----
    With :math:`R_{i,j}` the score on task j after stage i and :math:`t_j` the stage that trained
    task j, backward transfer is :math:`\\frac{1}{T'}\\sum_j (R_{S-1,j} - R_{t_j,j})` (Lopez-Paz
    and Ranzato 2017, "Gradient Episodic Memory", eq. 3); forgetting of task j is
    :math:`\\max_{t_j \\le l < S-1} R_{l,j} - R_{S-1,j}` (Chaudhry et al. 2018, "Riemannian Walk",
    eq. 5); forward transfer is :math:`R_{t_j-1,j} - b_j`. Differences are paired on the task's
    items; tasks are independent, so the SE of BWT is :math:`\\sqrt{\\sum_j SE_j^2}/T'`.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import forgetting
    >>> a = np.array([[1, 1, 1, 0], [1, 0, 1, 0]])  # task 0 after stages 0 and 1
    >>> b = np.array([[0, 0, 1, 0], [1, 1, 1, 0]])  # task 1
    >>> res = forgetting([a, b])
    >>> res.matrix.tolist(), res.backward_transfer
    ([[0.75, 0.25], [0.5, 0.75]], -0.25)
    """
    level = check_confidence_level(confidence_level)
    tasks, trained, base, n_stages = _forgetting_iv(scores, trained_at, baseline)
    n_tasks = len(tasks)
    crit = lambda n: float(stats.t.ppf(0.5 + level / 2, n - 1))  # noqa: E731
    matrix = np.column_stack([t.mean(axis=1) for t in tasks])
    se = np.column_stack([t.std(axis=1, ddof=1) / math.sqrt(t.shape[1]) for t in tasks])
    half = se * np.array([crit(t.shape[1]) for t in tasks])
    last = n_stages - 1
    bwt = np.full((3, n_tasks), np.nan)
    ses = []
    forget = np.full(n_tasks, np.nan)
    for j, (t, tj) in enumerate(zip(tasks, trained, strict=True)):
        if tj < last:
            m, lo, hi, s = _paired(t[last] - t[tj], level)
            bwt[:, j] = (m, lo, hi)
            ses.append(s)
            forget[j] = float(matrix[tj:last, j].max() - matrix[last, j])
    used = ~np.isnan(bwt[0])
    if used.any():
        b_est = float(bwt[0, used].mean())
        b_se = math.sqrt(sum(s * s for s in ses)) / int(used.sum())
        z = float(special.ndtri(0.5 + level / 2))
        b_lo, b_hi = b_est - z * b_se, b_est + z * b_se
    else:
        b_est = b_se = b_lo = b_hi = math.nan
    fwt = math.nan
    if base is not None:
        gains = [
            float(matrix[tj - 1, j] - base[j].mean()) for j, tj in enumerate(trained) if tj > 0
        ]
        fwt = float(np.mean(gains)) if gains else math.nan
    return ForgettingResult(
        matrix=matrix,
        ci_low=matrix - half,
        ci_high=matrix + half,
        trained_at=trained,
        backward_transfer=b_est,
        bwt_ci_low=b_lo,
        bwt_ci_high=b_hi,
        bwt_se=b_se,
        task_bwt=bwt[0],
        task_bwt_ci_low=bwt[1],
        task_bwt_ci_high=bwt[2],
        task_forgetting=forget,
        average_forgetting=float(np.nanmean(forget)) if used.any() else math.nan,
        forward_transfer=fwt,
        final_average=float(matrix[last].mean()),
        n_items=tuple(int(t.shape[1]) for t in tasks),
        confidence_level=level,
        method="t over items per cell; paired over items for transfer",
    )
