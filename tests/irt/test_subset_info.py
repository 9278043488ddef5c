"""Information-weighted stratified anchors ('info-stratified') and the shared-fit LOMO helper.

Checked on simulated 2PL benchmarks with known truth (tests/irt/conftest.py::simulate_2pl):
the design's anchor mean is (approximately) unbiased, informative items are drawn more often, and
p-IRT from these anchors is more precise than from plain stratified anchors when slopes vary.
"""

import warnings

import numpy as np
import pytest

from assay import irt
from assay._core import DegenerateDataWarning, InputError
from assay.irt._anchors import _info_stratified
from assay.irt._subset import (
    ESTIMATORS,
    SUBSET_PRIOR,
    _lomo_errors,
)

from .conftest import simulate_2pl


@pytest.fixture(scope="module")
def varied():
    """70 reference models and 30 new models on 1,200 items whose slopes vary from 0.2 to 3."""
    y, theta, a, b = simulate_2pl(100, 1200, seed=41, a_range=(0.2, 3.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fit = irt.fit(y[:70], standard_errors=False, prior=SUBSET_PRIOR)
    return y[:70], y[70:], fit


def test_info_stratified_anchors(varied):
    ref, _, fit = varied
    sub = irt.select_anchors(ref, 60, method="info-stratified", fit=fit, rng=0)
    assert sub.method == "info-stratified"
    assert sub.k == 60 == len(set(sub.indices.tolist()))
    assert sub.weights.sum() == pytest.approx(1.0) and np.all(sub.weights > 0)
    again = irt.select_anchors(ref, 60, method="info-stratified", fit=fit, rng=0)
    np.testing.assert_array_equal(sub.indices, again.indices)  # reproducible from the seed


def test_informative_items_are_drawn_more_often(varied):
    ref, _, fit = varied
    info = fit.information(fit.ability.estimate).mean(0)
    top = info > np.quantile(info, 0.75)
    picked = np.concatenate(
        [_info_stratified(ref, fit, None, 100, np.random.default_rng(s))[0] for s in range(20)]
    )
    # uniform sampling would put about 25% of draws in the top information quartile
    assert top[picked].mean() > 0.4


def test_allocation_follows_given_strata(varied):
    ref, _, fit = varied
    strata = np.array(["a"] * 800 + ["b"] * 400)
    sub = irt.select_anchors(ref, 90, fit=fit, strata=strata, rng=1)
    assert np.sum(sub.indices < 800) == 60 and np.sum(sub.indices >= 800) == 30
    # each stratum's weights add up to its share of the items
    assert sub.weights[sub.indices < 800].sum() == pytest.approx(800 / 1200, rel=0.25)


def test_weighted_anchor_mean_is_nearly_unbiased(varied):
    # Hansen-Hurwitz weights for draws with probability proportional to information: averaged
    # over designs, the weighted anchor mean of a fixed model's answers recovers its accuracy.
    # (Successive draws without replacement only approximate PPS, so allow 1 point; the plain
    # anchor mean of the same draws is biased by far more, which shows the weights matter.)
    ref, new, fit = varied
    y = new[0]
    weighted, plain = [], []
    for s in range(300):
        idx, w = _info_stratified(ref, fit, None, 100, np.random.default_rng(s))
        weighted.append(np.sum(w / w.sum() * y[idx]))
        plain.append(y[idx].mean())
    assert abs(np.mean(weighted) - y.mean()) < 0.01
    assert abs(np.mean(plain) - y.mean()) > 2 * abs(np.mean(weighted) - y.mean())


def test_p_irt_is_more_precise_than_with_plain_stratified_anchors(varied):
    # Under the 2PL the error of p-IRT comes from the ability's SE, 1/sqrt(sum of the anchors'
    # information); drawing informative items shrinks it.
    ref, new, fit = varied
    truth = new.mean(1)
    sq = {"info-stratified": [], "stratified": []}
    for method in sq:
        for s in range(6):
            sub = irt.select_anchors(ref, 80, method=method, fit=fit, rng=s)
            est = irt.estimate_accuracy(sub, new[:, sub.indices], method="irt").estimate
            sq[method].append((est - truth) ** 2)
    mse_info, mse_strat = np.mean(sq["info-stratified"]), np.mean(sq["stratified"])
    assert mse_info < 0.8 * mse_strat
    assert np.sqrt(mse_info) < 0.03  # and close to the truth: under 3 points RMSE at k = 80


def test_shared_fit_lomo_matches_validate_subset(varied):
    ref, _, _ = varied
    small = ref[:8, :300]
    items = tuple(f"item {i}" for i in range(300))
    models = tuple(f"model {i}" for i in range(8))
    runs = [(30, "info-stratified", 2), (30, "stratified", 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        truth, errors = _lomo_errors(small, items, models, runs)
        for run in runs:
            val = irt.validate_subset(small, 30, method=run[1], rng=2)
            for e in ESTIMATORS:
                np.testing.assert_allclose(errors[run][e], val.errors[e])
    np.testing.assert_allclose(truth, small.mean(1))


def test_info_stratified_errors(varied):
    ref, _, fit = varied
    with pytest.raises(InputError, match="`method` must be one of .*info-stratified"):
        irt.select_anchors(ref, 10, method="info", fit=fit)
    with pytest.raises(InputError, match="`strata` must have one entry per item"):
        irt.select_anchors(ref, 10, method="info-stratified", fit=fit, strata=["a", "b"])
    with pytest.raises(InputError, match="`k` must be smaller than the number of items"):
        irt.select_anchors(ref[:, :20], 20, method="info-stratified")
    with pytest.raises(InputError, match="at least 3 models"):
        _lomo_errors(ref[:2], ("i",) * 1200, ("m", "n"), [(10, "info-stratified", 0)])
    with pytest.raises(InputError, match="`method` must be one of"):
        _lomo_errors(ref[:4], ("i",) * 1200, ("m",) * 4, [(10, "bogus", 0)])
