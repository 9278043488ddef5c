"""The torch backend gives the numpy backend's results (CPU here; the code is device-agnostic)."""

import numpy as np
import pytest

from assay import irt
from assay._core import InputError

from .conftest import simulate_2pl


@pytest.mark.parametrize("model", ["2pl", "1pl", "3pl", "continuous"])
def test_torch_matches_numpy(model):
    y, *_ = simulate_2pl(300, 25, seed=2, c=0.2 if model == "3pl" else None)
    if model == "continuous":
        y = np.clip(y * 0.8 + 0.1, 0, 1)
    kw = {"model": model, "n_choices": 4} if model == "3pl" else {"model": model}
    a = irt.fit(y, **kw)
    b = irt.fit(y, backend="torch", device="cpu", **kw)
    assert b.backend == "torch"
    np.testing.assert_allclose(b.discrimination, a.discrimination, atol=1e-6)
    np.testing.assert_allclose(b.difficulty, a.difficulty, atol=1e-6)
    np.testing.assert_allclose(b.ability.estimate, a.ability.estimate, atol=1e-6)
    np.testing.assert_allclose(b.discrimination_se, a.discrimination_se, rtol=1e-5)
    assert b.loglik == pytest.approx(a.loglik, abs=1e-6)


def test_torch_missing_jml_and_float32(lsat):
    y, *_ = simulate_2pl(200, 40, seed=3)
    y[np.random.default_rng(0).random(y.shape) < 0.2] = np.nan
    a = irt.fit(y, method="jml")
    b = irt.fit(y, method="jml", backend="torch", device="cpu")
    np.testing.assert_allclose(b.difficulty, a.difficulty, atol=1e-6)
    f32 = irt.fit(lsat, backend="torch", device="cpu", dtype="float32", prior=None)
    f64 = irt.fit(lsat, prior=None)
    np.testing.assert_allclose(f32.difficulty, f64.difficulty, atol=2e-3)


def test_torch_errors():
    with pytest.raises(InputError, match="not usable by torch"):
        irt.fit(np.eye(3), backend="torch", device="no-such-device")
    with pytest.raises(InputError, match="method='mml' on backend='numpy'"):
        irt.fit([[0, 1], [1, 2], [2, 0]], model="grm", backend="torch")
