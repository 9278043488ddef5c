"""Shared data for the IRT tests: the LSAT and Science sets, and a 2PL simulator with known truth."""

import csv
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).parents[1] / "data" / "irt"
SCIENCE_CATEGORIES = {"strongly disagree": 0, "disagree": 1, "agree": 2, "strongly agree": 3}


@pytest.fixture(scope="session")
def lsat() -> np.ndarray:
    return np.loadtxt(DATA / "LSAT.csv", delimiter=",", skiprows=1)


@pytest.fixture(scope="session")
def science() -> np.ndarray:
    with open(DATA / "Science.csv", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array([[SCIENCE_CATEGORIES[x] for x in r] for r in rows], dtype=float)


def simulate_2pl(n_persons, n_items, *, seed=0, a_range=(0.8, 2.5), c=None):
    """theta ~ N(0, 1), a ~ U(a_range), b ~ N(0, 1) clipped to [-2.5, 2.5]; 0/1 responses."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_persons)
    a = rng.uniform(*a_range, size=n_items)
    b = np.clip(rng.normal(size=n_items), -2.5, 2.5)
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    if c is not None:
        p = c + (1 - c) * p
    y = (rng.random((n_persons, n_items)) < p).astype(float)
    return y, theta, a, b
