"""Anchors, accuracy estimates from them, leave-one-model-out validation and adaptive testing."""

import json
import warnings

import numpy as np
import pytest
from scipy import special

from assay import irt
from assay._core import DegenerateDataWarning, InputError

from .conftest import simulate_2pl


@pytest.fixture(scope="module")
def bench():
    """60 reference models x 1,500 items of a 2PL benchmark, and 20 new models."""
    y, theta, a, b = simulate_2pl(80, 1500, seed=21)
    return y[:60], y[60:]


@pytest.mark.parametrize("method", ["stratified", "cluster", "cluster-info", "information"])
def test_select_anchors(bench, method):
    ref, _ = bench
    sub = irt.select_anchors(ref, 100, method=method, rng=0)
    assert sub.k == len(sub.items) == len(set(sub.indices)) and sub.k <= 100
    assert sub.weights.sum() == pytest.approx(1.0) and np.all(sub.weights > 0)
    assert sub.items == tuple(f"item {i}" for i in sub.indices)
    assert set(sub.mse) == {"gp-irt", "irt", "mean"}
    again = irt.select_anchors(ref, 100, method=method, rng=0)
    np.testing.assert_array_equal(sub.indices, again.indices)  # reproducible from the seed


def test_stratified_allocation_follows_the_strata(bench):
    ref, _ = bench
    strata = np.array(["a"] * 1000 + ["b"] * 500)
    sub = irt.select_anchors(ref, 90, method="stratified", strata=strata, rng=1)
    assert np.sum(sub.indices < 1000) == 60 and np.sum(sub.indices >= 1000) == 30
    np.testing.assert_allclose(sub.weights, 1 / 90)


def test_estimates_on_new_models_are_close_to_their_accuracy(bench):
    ref, new = bench
    sub = irt.select_anchors(ref, 150, rng=2)
    truth = new.mean(1)
    for method in ("irt", "gp-irt", "mean"):
        est = irt.estimate_accuracy(sub, new[:, sub.indices], method=method)
        err = np.abs(est.estimate - truth)
        # 150 of 1,500 items: the anchor mean's sampling SD is about 3.5 points (MAE about 2.8);
        # the IRT estimators' error comes from the ability's SE (about 0.13 here, 2 to 3 points)
        assert err.mean() < (0.03 if method != "mean" else 0.045), method
    irt_err = np.abs(
        irt.estimate_accuracy(sub, new[:, sub.indices], method="irt").estimate - truth
    ).mean()
    mean_err = np.abs(
        irt.estimate_accuracy(sub, new[:, sub.indices], method="mean").estimate - truth
    ).mean()
    assert irt_err < mean_err


def test_leave_one_model_out_validation_and_build(bench):
    ref, _ = bench
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        val = irt.validate_subset(ref[:12, :600], 60, rng=3)
        folds: list[str] = []
        sub = irt.build_subset(ref[:12, :600], 60, rng=3, progress=folds.append)
    # progress names each held-out model once, in order, as its fold starts
    assert folds == [f"model {i}" for i in range(12)]
    assert set(val.mae) == {"gp-irt", "irt", "mean"} and val.errors["irt"].shape == (12,)
    np.testing.assert_allclose(val.truth, ref[:12, :600].mean(1))
    assert sub.validation["mae"] == pytest.approx(val.mae)
    assert sub.mse["irt"] == pytest.approx(val.rmse["irt"] ** 2)
    # the JSON record round-trips and the estimate's interval uses the validated error
    record = json.loads(json.dumps(sub.to_dict(), allow_nan=False))
    back = irt.Subset.from_dict(record)
    np.testing.assert_array_equal(back.indices, sub.indices)
    est = irt.estimate_accuracy(back, ref[:2, :600][:, back.indices], method="irt")
    np.testing.assert_allclose(est.se, val.rmse["irt"])


def test_subset_file_errors(bench):
    ref, _ = bench
    sub = irt.select_anchors(ref[:, :300], 20, rng=0)
    good = sub.to_dict()
    with pytest.raises(InputError, match="field 'format'"):
        irt.Subset.from_dict({"format": "x"}, path="s.json")
    bad = dict(good)
    del bad["indices"]
    with pytest.raises(InputError, match="s.json: field 'indices': missing field"):
        irt.Subset.from_dict(bad, path="s.json")
    bad = dict(good, discrimination=[1.0])
    with pytest.raises(InputError, match="field 'discrimination'"):
        irt.Subset.from_dict(bad)
    bad = dict(good, indices=[10_000] * len(good["items"]))
    with pytest.raises(InputError, match="field 'indices'"):
        irt.Subset.from_dict(bad)
    bad = dict(good, weights=[-1.0] * len(good["items"]))
    with pytest.raises(InputError, match="field 'weights'"):
        irt.Subset.from_dict(bad)
    bad = dict(good, intercept=["x"] * 300)
    with pytest.raises(InputError, match="non-numeric"):
        irt.Subset.from_dict(bad)
    bad = dict(good, error_cross="0.1")
    with pytest.raises(InputError, match="field 'error_cross': must be a finite number"):
        irt.Subset.from_dict(bad)


def test_gp_irt_mix_is_the_least_squared_error_mix_of_correlated_estimators(bench):
    ref, new = bench
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        val = irt.validate_subset(ref[:15, :500], 40, rng=4)
        sub = irt.build_subset(ref[:15, :500], 40, rng=4)
    e_irt, e_mean = val.errors["irt"], val.errors["mean"]
    assert sub.error_cross == pytest.approx(np.mean(e_irt * e_mean))
    # reference: brute force over a fine grid of mixing weights on the validation errors
    grid = np.linspace(0, 1, 100_001)
    mse = ((grid[:, None] * e_mean + (1 - grid[:, None]) * e_irt) ** 2).mean(1)
    best = grid[np.argmin(mse)]
    anchors = new[:, :500][:, sub.indices]
    est = {m: irt.estimate_accuracy(sub, anchors, method=m).estimate for m in irt.ESTIMATORS}
    lam = (est["gp-irt"] - est["irt"]) / (est["mean"] - est["irt"])
    np.testing.assert_allclose(lam, best, atol=2e-5)
    # the errors do correlate (same anchors): the independence mix would weigh the mean otherwise
    indep = sub.mse["irt"] / (sub.mse["irt"] + sub.mse["mean"])
    assert sub.error_cross > 0 and abs(best - indep) > 0.01
    # a file written before error_cross existed mixes as Polo et al. (independent errors)
    old = irt.Subset.from_dict({k: v for k, v in sub.to_dict().items() if k != "error_cross"})
    gp_old = irt.estimate_accuracy(old, anchors, method="gp-irt").estimate
    np.testing.assert_allclose(gp_old, indep * est["mean"] + (1 - indep) * est["irt"])


def test_anchor_and_estimate_errors(bench):
    ref, _ = bench
    with pytest.raises(InputError, match="`k` must be smaller than the number of items"):
        irt.select_anchors(ref[:, :10], 10)
    with pytest.raises(InputError, match="`method` must be one of"):
        irt.select_anchors(ref, 10, method="random")
    with pytest.raises(InputError, match="`strata` must have one entry per item"):
        irt.select_anchors(ref, 10, strata=["a"])
    with pytest.raises(InputError, match="at least 3 models"):
        irt.validate_subset(ref[:2], 10)
    sub = irt.select_anchors(ref[:, :300], 20, rng=0)
    with pytest.raises(InputError, match="one column per anchor"):
        irt.estimate_accuracy(sub, np.ones((1, 3)))
    with pytest.raises(InputError, match=r"must be in \[0, 1\]"):
        irt.estimate_accuracy(sub, np.full((1, 20), 2.0))
    with pytest.raises(InputError, match="answered none of the anchors"):
        irt.estimate_accuracy(sub, np.full((1, 20), np.nan))
    with pytest.raises(InputError, match="`method` must be one of"):
        irt.estimate_accuracy(sub, np.ones((1, 20)), method="lasso")


def test_adaptive_test_reaches_the_target_se_and_the_truth():
    y, theta, a, b = simulate_2pl(300, 400, seed=30)
    fit = irt.fit(y, standard_errors=False)
    rng = np.random.default_rng(4)
    errors, lengths = [], []
    for t in (-1.5, 0.0, 1.0):
        answers = (rng.random(400) < special.expit(a * (t - b))).astype(float)
        res = irt.adaptive_test(fit, answers, target_se=0.3)
        assert res.stopped == "target_se" and res.se <= 0.3
        assert np.all(
            np.diff(res.se_path) <= 1e-9 + 0.05
        )  # information only accumulates (up to noise)
        errors.append(res.estimate - t)
        lengths.append(res.n)
        # the first item is the most informative at the prior mean
        assert res.items[0] == fit.items[int(np.argmax(fit.information(0.0)[0]))]
    assert np.max(np.abs(errors)) < 1.0 and max(lengths) < 60
    # a callable answers one item at a time; max_items stops early
    calls = []
    res = irt.adaptive_test(fit, lambda i: calls.append(i) or 1.0, target_se=0.01, max_items=5)
    assert res.stopped == "max_items" and len(calls) == 5 and res.accuracy > 0


def test_adaptive_test_errors():
    y, *_ = simulate_2pl(100, 20, seed=31)
    fit = irt.fit(y, standard_errors=False)
    with pytest.raises(InputError, match="`target_se` must be a positive number"):
        irt.adaptive_test(fit, np.ones(20), target_se=0)
    with pytest.raises(InputError, match="one score per item"):
        irt.adaptive_test(fit, np.ones(3))
    with pytest.raises(InputError, match="scores must be in"):
        irt.adaptive_test(fit, lambda i: 7)
    with pytest.raises(InputError, match="`max_items` must be an integer"):
        irt.adaptive_test(fit, np.ones(20), max_items=0)
    grm = irt.fit([[0, 1, 2], [1, 2, 0], [2, 2, 1], [0, 0, 1]], model="grm", standard_errors=False)
    with pytest.raises(InputError, match="binary-model fit"):
        irt.adaptive_test(grm, np.ones(3))


def test_a_reference_model_without_anchor_answers_does_not_poison_the_errors(bench):
    ref, new = bench
    values = ref[:20, :400].copy()
    one = np.zeros(400)  # one stratum: the draw depends on the seed only
    sub0 = irt.select_anchors(values, 30, method="stratified", strata=one, rng=5)
    values[0, sub0.indices] = np.nan  # model 0 skipped exactly these anchors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        sub = irt.select_anchors(values, 30, method="stratified", strata=one, rng=5)
    np.testing.assert_array_equal(sub.indices, sub0.indices)
    assert all(np.isfinite(v) for v in sub.mse.values()) and np.isfinite(sub.error_cross)
    json.dumps(sub.to_dict(), allow_nan=False)  # the subset file can be written
    est = irt.estimate_accuracy(sub, new[:, :400][:, sub.indices], method="gp-irt")
    assert np.isfinite(est.estimate).all()
