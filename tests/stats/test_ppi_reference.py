"""PPI++ against ppi-python: the tuned weight is clipped to [0, 1] (issue 24, point 6)."""

import numpy as np
import ppi_py  # ppi-python 0.2.3 (dev extra; imports numba)
import pytest

from assay.stats import ppi_mean


@pytest.mark.parametrize(
    ("slope", "scale"),
    [
        (0.8, 1.0),  # a good judge: lambda in (0, 1), no clipping
        (-0.7, 1.0),  # an anti-correlated judge: unclipped lambda < 0, clipped to 0
        (1.0, 0.3),  # a compressed judge scale: unclipped lambda > 1, clipped to 1
    ],
)
def test_tuned_ppi_equals_ppi_python(slope, scale):
    # Oracle: ppi_py.ppi_mean_pointestimate / ppi_mean_ci with lam=None (PPI++ tuning, clipped).
    # Before: our tuned lambda was not clipped (negative, and above 1, in the last two cases).
    rng = np.random.default_rng(12)
    n, big_n = 200, 2000
    y = rng.normal(0.5, 1.0, n)
    yhat = scale * (slope * y + rng.normal(0, 0.5, n))
    yu = scale * (slope * rng.normal(0.5, 1.0, big_n) + rng.normal(0, 0.5, big_n))
    ours = ppi_mean(y, yhat, yu, lam="tuned")
    assert 0.0 <= ours.lam <= 1.0
    est = float(np.ravel(ppi_py.ppi_mean_pointestimate(y, yhat, yu))[0])
    lo, hi = (float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05))
    assert ours.estimate == pytest.approx(est, rel=1e-10, abs=1e-12)
    # ppi-python's interval uses variances with ddof = 1 (np.std); ours 1/n and 1/N as the PPI
    # paper's algorithm, so the ends agree to O(1/n) of the width.
    assert ours.ci_low == pytest.approx(lo, abs=0.01 * (hi - lo))
    assert ours.ci_high == pytest.approx(hi, abs=0.01 * (hi - lo))
