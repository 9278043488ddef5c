"""Time to target and performance profiles across training recipes (AlgoPerf)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_array, check_choice, check_positive_int
from assay.curves._common import check_steps

__all__ = ["ProfileResult", "performance_profiles", "time_to_target"]


def time_to_target(
    steps: Any, scores: Any, target: float, *, higher_is_better: bool = True
) -> float:
    """The first step at which a curve reaches ``target`` (``inf`` if it never does).

    Parameters
    ----------
    steps : array_like, shape (n_points,)
        Evaluation steps (or wall-clock times).
    scores : array_like, shape (n_points,)
        The validation score at each step; NaN (a diverged evaluation) never reaches the target.
    target : float
    higher_is_better : bool, default True
        Reach means ``score >= target`` (else ``score <= target``, for losses and error rates).

    Returns
    -------
    float

    Notes
    -----
    The first evaluation at which the target is met, without interpolation, as AlgoPerf scores
    submissions (Dahl et al. 2023, "Benchmarking Neural Network Training Algorithms",
    arXiv:2306.07179, sec. 4.1).

    Examples
    --------
    >>> from assay.curves import time_to_target
    >>> time_to_target([100, 200, 300], [0.5, 0.71, 0.8], 0.7)
    200.0
    """
    y = check_array(scores, "scores", ndim=1, allow_nan=True)
    x = check_steps(steps, y.size)
    if not isinstance(target, int | float) or isinstance(target, bool) or not math.isfinite(target):
        raise InputError(f"`target` must be a finite number; got {target!r}.")
    order = np.argsort(x)
    x, y = x[order], y[order]
    with np.errstate(invalid="ignore"):
        hit = (y >= target) if higher_is_better else (y <= target)
    hit &= ~np.isnan(y)
    return float(x[np.argmax(hit)]) if hit.any() else math.inf


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProfileResult(Result):
    """Performance profiles of training algorithms over workloads.

    Attributes
    ----------
    algorithms, workloads : tuple of str
    times : ndarray, shape (n_algorithms, n_workloads)
        Time to target (``inf``: not reached).
    ratios : ndarray, shape (n_algorithms, n_workloads)
        Time over the best time on the workload (or over the reference algorithm's).
    taus : ndarray, shape (n_points,)
    rho : ndarray, shape (n_algorithms, n_points)
        :math:`\\rho_a(\\tau)`: share of workloads on which the algorithm is within a factor
        :math:`\\tau` of the best.
    score : ndarray, shape (n_algorithms,)
        Area under the profile (trapezoidal), divided by :math:`\\tau_{max} - \\tau_{min}` when
        ``normalize``.
    max_tau : float
    scale : str
    method : str
    """

    algorithms: tuple[str, ...]
    workloads: tuple[str, ...]
    times: np.ndarray
    ratios: np.ndarray
    taus: np.ndarray
    rho: np.ndarray
    score: np.ndarray
    max_tau: float
    scale: str
    method: str


def performance_profiles(
    times: Any,
    *,
    algorithms: Any = None,
    workloads: Any = None,
    min_tau: float = 1.0,
    max_tau: float | None = None,
    n_points: int = 100,
    scale: str = "linear",
    reference: str | None = None,
    normalize: bool = True,
) -> ProfileResult:
    """Performance profiles and their integrals, the AlgoPerf leaderboard score.

    Parameters
    ----------
    times : array_like, shape (n_algorithms, n_workloads)
        Time to target of each algorithm (recipe) on each workload; ``inf`` (or NaN) where the
        target was never reached.
    algorithms, workloads : sequence of str, optional
        Names (default ``"0", "1", ...``).
    min_tau : float, default 1.0
    max_tau : float, optional
        Largest ratio on the profile; default the largest finite ratio (AlgoPerf's default).
    n_points : int, default 100
    scale : {"linear", "log"}, default "linear"
        Spacing of the tau grid.
    reference : str, optional
        Divide by this algorithm's times instead of each workload's best.
    normalize : bool, default True
        Divide the area by the tau range.

    Returns
    -------
    ProfileResult

    Notes
    -----
    :math:`r_{a,w} = t_{a,w} / \\min_{a'} t_{a',w}`, :math:`\\rho_a(\\tau) = \\frac{1}{W}
    |\\{w : r_{a,w} \\le \\tau\\}|` (Dolan and More 2002), scored by the trapezoidal area under
    :math:`\\rho_a` as in AlgoPerf's ``compute_performance_profiles`` and
    ``compute_leaderboard_score`` (mlcommons/algorithmic-efficiency,
    scoring/performance_profile.py).
    A workload no algorithm finished has infinite ratios for all.

    Examples
    --------
    >>> from assay.curves import performance_profiles
    >>> res = performance_profiles([[100, 300], [200, 150]], max_tau=2.0, n_points=3)
    >>> res.rho.tolist()
    [[0.5, 0.5, 1.0], [0.5, 0.5, 1.0]]
    """
    t = (
        check_array(times, "times", ndim=2, allow_nan=True)
        if not _has_inf(times)
        else _inf_array(times)
    )
    t = np.where(np.isnan(t), np.inf, t)
    if np.any(t <= 0):
        raise InputError("`times` must be positive (inf where the target was not reached).")
    n_alg, n_w = t.shape
    algs = tuple(str(a) for a in (algorithms if algorithms is not None else range(n_alg)))
    wls = tuple(str(w) for w in (workloads if workloads is not None else range(n_w)))
    if len(algs) != n_alg or len(wls) != n_w:
        raise InputError(
            f"`algorithms`/`workloads` must name the {n_alg} rows and {n_w} columns of `times`."
        )
    scale = check_choice(scale, "scale", ("linear", "log"))
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    if reference is None:
        denom = t.min(axis=0)
    else:
        if reference not in algs:
            raise InputError(
                f"`reference` {reference!r} is not among the algorithms: {', '.join(algs)}."
            )
        denom = t[algs.index(reference)]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(t) & np.isfinite(denom), t / denom, np.inf)
    if max_tau is None:
        finite = ratios[np.isfinite(ratios)]
        max_tau = float(finite.max()) if finite.size else float(min_tau)
    if not (math.isfinite(max_tau) and max_tau > min_tau > 0):
        raise InputError(f"need 0 < `min_tau` < `max_tau`; got {min_tau!r} and {max_tau!r}.")
    if scale == "linear":
        taus = np.linspace(min_tau, max_tau, n_points)
    else:
        taus = np.logspace(np.log10(min_tau), np.log10(max_tau), n_points)
    rho = (ratios[:, :, None] <= taus[None, None, :]).sum(axis=1) / n_w
    x = taus if scale == "linear" else np.log10(taus)
    area = np.trapezoid(rho, x=x, axis=1)
    if normalize:
        area = area / (x.max() - x.min())
    return ProfileResult(
        algorithms=algs,
        workloads=wls,
        times=t,
        ratios=ratios,
        taus=taus,
        rho=rho,
        score=area,
        max_tau=float(max_tau),
        scale=scale,
        method="performance profile (Dolan-More), AlgoPerf area",
    )


def _has_inf(values: Any) -> bool:
    try:
        return bool(np.isinf(np.asarray(values, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False


def _inf_array(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(f"`times` must have 2 dimension(s); got shape {arr.shape}.")
    return arr
