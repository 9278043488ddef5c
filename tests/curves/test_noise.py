"""Tests of signal_to_noise against the reference code of Heineman et al. (2025)."""

import numpy as np
import pytest

from assay._core import InputError
from assay.curves import signal_to_noise, signal_to_noise_from_curves


def signal_to_noise_ratio(signal_scores, noise_scores):
    """Reference: ``signal_to_noise_ratio`` of allenai/signal-and-noise, snr/metrics.py
    (Apache-2.0), reproduced faithfully."""
    dispersion = np.max([np.abs(mj - mk) for mj in signal_scores for mk in signal_scores])
    signal = dispersion / np.mean(signal_scores)
    noise = np.std(noise_scores) / np.mean(noise_scores)
    snr = signal / noise
    return snr


def compute_snr_small_scale(scores_arr):
    """Reference: the array step of ``compute_snr_small_scale`` in snr/snr_simple.py of
    allenai/signal-and-noise (scores_arr: the final 5 scores of each run, shape (run, ckpt))."""
    signal = [np.mean(scores) for scores in scores_arr]
    noise = scores_arr.flatten()
    return signal_to_noise_ratio(signal, noise)


def test_snr_equals_reference_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(50):
        s = rng.uniform(0.2, 0.8, rng.integers(2, 30))
        n = rng.uniform(0.4, 0.6, rng.integers(2, 40))
        res = signal_to_noise(s, n)
        assert res.snr == pytest.approx(signal_to_noise_ratio(s, n), rel=1e-12)
        assert res.dispersion == pytest.approx(np.ptp(s), abs=1e-15)
        assert res.noise_sd == pytest.approx(np.std(n), abs=1e-15)


def test_snr_from_curves_equals_reference_small_scale():
    rng = np.random.default_rng(1)
    curves = rng.uniform(0.3, 0.6, (6, 12))
    res = signal_to_noise_from_curves(curves, n_last=5)
    assert res.snr == pytest.approx(compute_snr_small_scale(curves[:, -5:]), rel=1e-12)
    assert res.n_models == 6 and res.n_checkpoints == 30


def test_within_noise_recovers_the_checkpoint_sd_and_separability():
    # Known truth: runs with true final levels 0.40..0.50 and checkpoint noise SD 0.01.
    rng = np.random.default_rng(2)
    levels = np.linspace(0.40, 0.50, 6)
    curves = levels[:, None] + rng.normal(0, 0.01, (6, 400))
    res = signal_to_noise_from_curves(curves, n_last=400, noise="within")
    assert res.noise_sd == pytest.approx(0.01, rel=0.05)
    pooled = signal_to_noise_from_curves(curves, n_last=400)
    assert pooled.noise_sd > res.noise_sd  # pooled noise holds the runs' differences
    # averaging 400 checkpoints separates every pair of runs (0.02 apart at least)
    assert res.share_separable == 1.0
    single = signal_to_noise(levels, rng.normal(0.45, 0.05, 50))
    assert single.share_separable < 0.6


def test_snr_errors():
    with pytest.raises(InputError, match="`signal_scores` must have at least 2 element"):
        signal_to_noise([0.5], [0.4, 0.5])
    with pytest.raises(InputError, match="needs at least 2 runs"):
        signal_to_noise_from_curves([[0.1, 0.2, 0.3]], n_last=2)
    with pytest.raises(InputError, match="`n_last` = 5 needs more"):
        signal_to_noise_from_curves(np.ones((2, 3)), n_last=5)
    with pytest.raises(InputError, match="missing scores among the last 2"):
        signal_to_noise_from_curves([[0.1, np.nan], [0.2, 0.3]], n_last=2)
    with pytest.raises(InputError, match="`noise` must be one of"):
        signal_to_noise_from_curves(np.ones((2, 3)), n_last=2, noise="max")
