"""The fast paths of the 2PL fit against the direct computations they replace.

Each reference below is an independent, slower route to the same number: the E-step's full
products with every node, Louis' information by the per-node loop the 3PL uses (with c = 0), a
posterior recomputed from the responses, and scipy's logistic functions.
"""

import numpy as np
import pytest
from scipy import special

from assay.irt import _binary as B
from assay.irt import _posterior as P
from assay.irt._backend import get_backend
from assay.irt._quadrature import normal_quadrature

from .conftest import simulate_2pl


def _data(missing: bool, n_persons=200, n_items=30, seed=4):
    y, theta, a, b = simulate_2pl(n_persons, n_items, seed=seed)
    M = None
    if missing:
        M = (np.random.default_rng(seed).random(y.shape) > 0.2).astype(float)
        y = y * M
    return y, M, a, -a * b


@pytest.mark.parametrize("missing", [False, True])
def test_logistic_em_step_equals_the_products_with_every_node(missing):
    y, M, a, d = _data(missing)
    ops = get_backend("numpy")
    nodes, logw = normal_quadrature(41)
    params = {"a": a * 0.9, "d": d + 0.1}
    spec = B.BinarySpec(prior=B.Prior())
    new, ll, W = B.em_step(ops, y, M, params, spec, nodes, logw, y.sum(0), n_inner=1)
    # reference: the E-step through the general 3PL products (c = 0), full expected counts over
    # all 41 nodes, and the same single Fisher step
    W_ref, ll_ref = B.e_step(ops, y, M, params["a"], params["d"], np.zeros(30), nodes, logw)
    r, n = B.counts(ops, y, M, W_ref)
    ref = B.m_step(ops, r, n, params, spec, nodes, n_inner=1)
    np.testing.assert_allclose(W, W_ref, atol=1e-12)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(new["a"], ref["a"], atol=1e-9)
    np.testing.assert_allclose(new["d"], ref["d"], atol=1e-9)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("cols", [("a", "d"), ("d",)])
def test_louis_logistic_equals_the_per_node_loop(missing, cols):
    y, M, a, d = _data(missing, n_persons=300, n_items=40)
    ops = get_backend("numpy")
    post = P.binary_posterior(ops, y, M, a, d, None, n_nodes=11)
    # the 3PL loop with c = 0 computes the same information term by term
    ref = P.louis_adaptive(ops, y, M, post, {"a": a, "d": d, "c_fixed": np.zeros(40)}, cols)
    new = P.louis_adaptive(ops, y, M, post, {"a": a, "d": d}, cols)
    np.testing.assert_allclose(new, ref, rtol=1e-9, atol=1e-9)
    f32 = P.louis_adaptive(ops, y, M, post, {"a": a, "d": d}, cols, dtype=np.float32)
    np.testing.assert_allclose(f32, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_rescaled_posterior_equals_the_recomputed_one():
    # 400 persons x 3000 items on a scale stretched 3-fold (as the grid EM leaves sharp posteriors):
    # the best person's mode lies beyond the +-8 bound, so that row must be recomputed
    y, theta, a, b = simulate_2pl(400, 3000, seed=5)
    ops = get_backend("numpy")
    a0, d0 = a / 3.0, -a * b - 0.2 * a / 3.0
    post = P.binary_posterior(ops, y, None, a0, d0, None)
    m, s = P.standardise(post, scale_free=True)
    a1, d1 = a0 * s, d0 + a0 * m
    fresh = P.binary_posterior(ops, y, None, a1, d1, None, theta0=(post.mode - m) / s)
    redone, n_nodes = [], post.nodes.shape[1]

    def recompute(rows, t0):
        redone.append(rows)
        return P.binary_posterior(ops, y[rows], None, a1, d1, None, theta0=t0, n_nodes=n_nodes)

    def newton(t):
        return B.person_newton(ops, y, None, a1, d1, None, t, prior_sd=1.0, n_iter=1)

    out = P.rescale(post, m, s, recompute, newton)
    rows = np.concatenate(redone)
    assert np.abs(post.mode).max() == 8.0 and np.argmax(np.abs(post.mode)) in rows
    assert rows.size < 200  # the others keep their (mapped) nodes
    np.testing.assert_allclose(out.eap, fresh.eap, atol=1e-6)
    np.testing.assert_allclose(out.psd, fresh.psd, atol=1e-6)
    np.testing.assert_allclose(out.mode, fresh.mode, atol=1e-5)
    np.testing.assert_allclose(out.info, fresh.info, rtol=1e-3)
    assert out.loglik == pytest.approx(fresh.loglik, abs=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logistic_functions_match_scipy_in_both_tails(dtype):
    ops = get_backend("numpy", dtype=dtype)
    z = np.linspace(-100, 100, 4001).astype(dtype)
    ref64 = z.astype(np.float64)
    tol = 1e-6 if dtype == "float32" else 1e-14
    tiny = np.finfo(dtype).tiny  # below it float32 flushes to 0 where scipy keeps denormals
    np.testing.assert_allclose(ops.sigmoid(z.copy()), special.expit(ref64), rtol=tol, atol=tiny)
    np.testing.assert_allclose(ops.sigmoid_(z.copy()), special.expit(ref64), rtol=tol, atol=tiny)
    np.testing.assert_allclose(ops.log_sigmoid(z), -np.logaddexp(0.0, -ref64), rtol=tol, atol=tol)
    rows = z[:3999].reshape(3, -1)
    mask = (np.arange(rows.size).reshape(rows.shape) % 3 > 0).astype(dtype)
    for M in (None, mask):
        sp = np.logaddexp(0.0, rows.astype(np.float64)) * (1.0 if M is None else M)
        np.testing.assert_allclose(ops.softplus_rowsum(rows.copy(), M), sp.sum(1), rtol=tol * 10)
