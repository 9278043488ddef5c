"""Signal, noise and their ratio per benchmark (Heineman et al. 2025, "Signal and Noise")."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import special

from assay._core import InputError, Result
from assay._core._validation import (
    check_array,
    check_choice,
    check_confidence_level,
    check_positive_int,
)

__all__ = ["SignalNoiseResult", "signal_to_noise", "signal_to_noise_from_curves"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignalNoiseResult(Result):
    """A benchmark's signal (spread between models), noise (spread between checkpoints), SNR.

    Attributes
    ----------
    signal : float
        Relative dispersion :math:`\\max_{j,k} |m_j - m_k| / \\bar m` of the models' scores.
    noise : float
        Relative standard deviation :math:`\\sigma / \\bar m` (ddof=0) of the checkpoint scores.
    snr : float
        ``signal / noise``.
    dispersion : float
        :math:`\\max_{j,k} |m_j - m_k|` (score units).
    noise_sd : float
        :math:`\\sigma` of the checkpoint scores (score units, ddof=0).
    resolution : float
        The smallest difference between two single checkpoints that exceeds checkpoint noise at
        ``confidence_level``: :math:`z \\sqrt 2 \\sigma`.
    share_separable : float
        Share of model pairs whose difference exceeds ``resolution`` divided by
        :math:`\\sqrt{n_{avg}}` (``n_avg``: checkpoints averaged per model score; 1 by default).
    n_models, n_checkpoints : int
    confidence_level : float
    """

    signal: float
    noise: float
    snr: float
    dispersion: float
    noise_sd: float
    resolution: float
    share_separable: float
    n_models: int
    n_checkpoints: int
    confidence_level: float


def _compute_snr(
    signal_scores: np.ndarray, sd: float, mean_n: float, n_noise: int, level: float, n_avg: int
) -> SignalNoiseResult:
    dispersion = float(np.max(signal_scores) - np.min(signal_scores))
    mean_s = float(np.mean(signal_scores))
    signal = dispersion / mean_s if mean_s != 0 else math.nan
    noise = sd / mean_n if mean_n != 0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = signal / noise if noise > 0 else math.inf
    z = float(special.ndtri(0.5 + level / 2))
    resolution = z * math.sqrt(2.0) * sd
    m = signal_scores.size
    diffs = np.abs(signal_scores[:, None] - signal_scores[None, :])[np.triu_indices(m, 1)]
    separable = float(np.mean(diffs > resolution / math.sqrt(n_avg))) if diffs.size else math.nan
    return SignalNoiseResult(
        signal=signal,
        noise=noise,
        snr=float(snr),
        dispersion=dispersion,
        noise_sd=sd,
        resolution=resolution,
        share_separable=separable,
        n_models=int(m),
        n_checkpoints=int(n_noise),
        confidence_level=level,
    )


def signal_to_noise(
    signal_scores: Any, noise_scores: Any, *, confidence_level: float = 0.95
) -> SignalNoiseResult:
    """Signal-to-noise ratio of a benchmark: spread between models over checkpoint noise.

    Parameters
    ----------
    signal_scores : array_like, shape (n_models,)
        Scores of a population of models on the benchmark (at least 2).
    noise_scores : array_like, shape (n_checkpoints,)
        Scores of the final checkpoints of one training run (at least 2).
    confidence_level : float, default 0.95
        For ``resolution`` and ``share_separable``.

    Returns
    -------
    SignalNoiseResult

    Notes
    -----
    As in the reference implementation of Heineman et al. (allenai/signal-and-noise,
    ``snr/metrics.py``): signal :math:`= \\max_{j,k}|m_j - m_k| / \\bar m`, noise
    :math:`= \\sigma_m / \\bar m` with the population SD (``np.std``), SNR = signal / noise.
    A benchmark with a higher SNR ranks small models the way it ranks large ones more often.

    References
    ----------
    .. [1] D. Heineman et al., "Signal and Noise: A Framework for Reducing Uncertainty in
       Language Model Evaluation", arXiv:2508.13144, 2025, sec. 2.

    Examples
    --------
    >>> from assay.curves import signal_to_noise
    >>> res = signal_to_noise([0.40, 0.45, 0.50], [0.49, 0.50, 0.51, 0.50])
    >>> round(res.signal, 3), round(res.snr, 2)
    (0.222, 15.71)
    """
    level = check_confidence_level(confidence_level)
    s = check_array(signal_scores, "signal_scores", ndim=1, min_size=2)
    n = check_array(noise_scores, "noise_scores", ndim=1, min_size=2)
    return _compute_snr(s, float(np.std(n)), float(np.mean(n)), n.size, level, 1)


def signal_to_noise_from_curves(
    curves: Any, *, n_last: int = 5, noise: str = "pooled", confidence_level: float = 0.95
) -> SignalNoiseResult:
    """SNR from several training runs on one benchmark: their last checkpoints.

    Parameters
    ----------
    curves : array_like, shape (n_runs, n_points)
        Each run's benchmark score at its checkpoints, in step order (NaN-free in the last
        ``n_last`` points).
    n_last : int, default 5
    noise : {"pooled", "within"}, default "pooled"
        ``"pooled"``: the SD of all the runs' last checkpoints together, as the reference code
        does (it holds the differences between runs too); ``"within"``: the root mean square of
        each run's SD around its own mean, the checkpoint noise alone.
    confidence_level : float, default 0.95

    Returns
    -------
    SignalNoiseResult

    Notes
    -----
    The small-scale variant of Heineman et al. (``compute_snr_small_scale`` in
    allenai/signal-and-noise): the signal scores are each run's mean over its last ``n_last``
    checkpoints, the noise scores all those checkpoints' scores together. With
    ``noise="within"`` the noise SD is :math:`\\sqrt{\\frac{1}{R}\\sum_r \\sigma_r^2}` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from assay.curves import signal_to_noise_from_curves
    >>> curves = np.array([[0.30, 0.35, 0.40, 0.41, 0.40], [0.30, 0.40, 0.50, 0.50, 0.51]])
    >>> round(signal_to_noise_from_curves(curves, n_last=3).snr, 2)
    1.99
    >>> round(signal_to_noise_from_curves(curves, n_last=3, noise="within").snr, 1)
    21.2
    """
    level = check_confidence_level(confidence_level)
    n_last = check_positive_int(n_last, "n_last", minimum=2)
    noise = check_choice(noise, "noise", ("pooled", "within"))
    y = check_array(curves, "curves", ndim=2, allow_nan=True)
    if y.shape[0] < 2:
        raise InputError(f"`curves` needs at least 2 runs (rows) for a signal; got {y.shape[0]}.")
    if y.shape[1] < n_last:
        raise InputError(f"`curves` has {y.shape[1]} checkpoints; `n_last` = {n_last} needs more.")
    tail = y[:, -n_last:]
    if np.isnan(tail).any():
        raise InputError(f"`curves` has missing scores among the last {n_last} checkpoints.")
    if noise == "pooled":
        sd = float(np.std(tail))
    else:
        sd = float(np.sqrt(np.mean(tail.var(axis=1))))
    return _compute_snr(tail.mean(axis=1), sd, float(tail.mean()), tail.size, level, n_last)
