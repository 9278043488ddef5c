"""Shared data for the calibration tests: netcal's CIFAR-10 softmax outputs and simulations."""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "calibration"
CIFAR_FILES = ("lenet-5-cifar-10", "wideresnet-16-4-cifar-10")


def _load(name):
    d = np.load(DATA / f"{name}.npz")
    return d["predictions"], d["ground_truth"]


@pytest.fixture(params=CIFAR_FILES)
def cifar(request):
    """(probabilities float32 (10000, 10), labels int64) of one netcal example file."""
    return _load(request.param)


@pytest.fixture
def top_label():
    def f(probs, labels):
        probs = probs.astype(np.float64)
        return probs.max(axis=1), (probs.argmax(axis=1) == labels).astype(np.float64)

    return f


@pytest.fixture
def simulate():
    """Confidences uniform on [0.5, 1]; right with probability confidence - shift (truth known)."""

    def f(n, *, shift=0.0, seed=0):
        rng = np.random.default_rng(seed)
        conf = rng.uniform(0.5, 1.0, n)
        y = (rng.random(n) < np.clip(conf - shift, 0, 1)).astype(np.float64)
        return conf, y

    return f
