"""Recalibration against netcal, scikit-learn, statsmodels and betacal; JSON round trips."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from betacal import BetaCalibration
from netcal.scaling import TemperatureScaling
from scipy.special import logit, softmax
from sklearn.isotonic import IsotonicRegression

from assay._core import InputError
from assay.calibration import Calibrator, ece, fit_calibrator, recalibrate


def test_temperature_matches_netcal(cifar):
    # netcal's TemperatureScaling multiplies log-probabilities by a weight w = 1 / T (its
    # `temperature` property returns w); it is fitted here on float64 input.
    probs, labels = cifar
    ours = fit_calibrator(probs.astype(np.float64), labels, input="probs").params["temperature"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = TemperatureScaling()
        ts.fit(probs.astype(np.float64), labels)
    assert ours == pytest.approx(1.0 / float(ts.weights[0]), abs=1e-4)


def test_float32_input_is_fitted_in_float64_unlike_netcal(cifar):
    # netcal on float32 probabilities: scipy's finite-difference gradient of a float32 loss is
    # zero, so it returns its starting point w = 1 (T = 1) silently. Ours computes in float64.
    probs, labels = cifar
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = TemperatureScaling()
        ts.fit(probs, labels)
    assert float(ts.weights[0]) == 1.0  # the netcal behaviour this test documents
    t32 = fit_calibrator(probs, labels, input="probs").params["temperature"]
    t64 = fit_calibrator(probs.astype(np.float64), labels, input="probs").params["temperature"]
    assert t32 == t64
    assert abs(t32 - 1.0) > 0.3  # both models are clearly overconfident (T = 1.40 and 2.05)


def test_temperature_recovers_a_known_temperature():
    # simulation with known truth: labels drawn from softmax(z / 2.5)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100_000, 6)) * 4
    p = softmax(z / 2.5, axis=1)
    y = (p.cumsum(axis=1) > rng.random((z.shape[0], 1))).argmax(axis=1)
    t = fit_calibrator(z, y).params["temperature"]
    assert t == pytest.approx(2.5, rel=0.02)
    # the subsample start (used above 65,536 rows) converges to the full optimum
    assert fit_calibrator(z[:60_000], y[:60_000]).params["temperature"] == pytest.approx(
        t, rel=0.02
    )


def test_temperature_on_half_lowers_ece_on_the_other_half(cifar):
    probs, labels = cifar
    rng = np.random.default_rng(0)
    idx = rng.permutation(labels.size)
    fit, test = idx[:5000], idx[5000:]
    cal = fit_calibrator(probs[fit], labels[fit], input="probs")
    before = ece(probs[test].max(axis=1), probs[test].argmax(axis=1) == labels[test])
    after_p = cal.predict(probs[test])
    after = ece(after_p.max(axis=1), after_p.argmax(axis=1) == labels[test])
    assert after < before / 2


def test_isotonic_matches_sklearn(cifar, top_label):
    probs, labels = cifar
    conf, corr = top_label(probs, labels)
    ours = fit_calibrator(conf, corr, method="isotonic")
    ref = IsotonicRegression(out_of_bounds="clip").fit(conf, corr)
    grid = np.r_[np.linspace(0, 1, 2001), conf[:500]]
    np.testing.assert_allclose(ours.predict(grid), ref.predict(grid), atol=1e-12)


def test_platt_matches_statsmodels_logit(cifar, top_label):
    # Platt scaling as plain maximum likelihood: a logistic regression on logit(confidence)
    probs, labels = cifar
    conf, corr = top_label(probs, labels)
    x = logit(np.clip(conf, np.finfo(float).eps, 1 - np.finfo(float).eps))
    ref = sm.Logit(corr, sm.add_constant(x)).fit(disp=0, tol=1e-12, maxiter=200).params
    p = fit_calibrator(conf, corr, method="platt").params
    assert (p["b"], p["a"]) == pytest.approx(tuple(ref), abs=1e-4)


def test_beta_matches_statsmodels_and_betacal(cifar, top_label):
    # Beta calibration (Kull et al. 2017): logistic regression on (ln f, -ln(1 - f)); when both
    # fitted slopes are positive the constraint a, b >= 0 is inactive and statsmodels' Logit is
    # the exact reference. betacal fits with scikit-learn's default tolerance: agreement 3e-3.
    probs, labels = cifar
    conf, corr = top_label(probs, labels)
    q = np.clip(conf, np.finfo(float).eps, 1 - np.finfo(float).eps)
    feats = np.column_stack([np.log(q), -np.log1p(-q)])
    ref = sm.Logit(corr, sm.add_constant(feats)).fit(disp=0, tol=1e-12, maxiter=200).params
    assert ref[1] > 0 and ref[2] > 0
    cal = fit_calibrator(conf, corr, method="beta")
    assert (cal.params["c"], cal.params["a"], cal.params["b"]) == pytest.approx(
        tuple(ref), abs=1e-4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bc = BetaCalibration(parameters="abm").fit(conf, corr)
    grid = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(cal.predict(grid), bc.predict(grid), atol=3e-3)


def test_beta_constraint_binds():
    # confidences that anti-correlate with correctness at the top: the unconstrained fit has
    # a < 0, the constrained one stops at a = 0
    rng = np.random.default_rng(2)
    f = rng.uniform(0.01, 0.99, 4000)
    y = (rng.random(4000) < 0.6 - 0.3 * f).astype(float)
    p = fit_calibrator(f, y, method="beta").params
    assert p["a"] == 0.0 or p["b"] == 0.0


def test_histogram_binning_is_the_bin_accuracy(simulate):
    # Zadrozny & Elkan (2001): each equal-mass bin maps to its accuracy (continuous confidences;
    # tied confidences at an edge go to the lower bin)
    conf, corr = simulate(5000, shift=0.1)
    cal = fit_calibrator(conf, corr, method="histogram", n_bins=10)
    order = np.argsort(conf, kind="stable")
    for part in np.array_split(order, 10)[1:-1]:  # interior bins (edges half-way between bins)
        assert cal.predict(conf[part]) == pytest.approx(np.full(part.size, corr[part].mean()))


def test_vector_and_matrix_scaling_nest_temperature(cifar):
    # vector and matrix scaling contain temperature scaling, so their in-sample NLL is lower
    probs, labels = cifar
    z = np.log(np.clip(probs[:2000].astype(np.float64), np.finfo(float).eps, 1))
    labels = labels[:2000]
    nll = {}
    for m in ("temperature", "vector", "matrix"):
        p = fit_calibrator(z, labels, method=m).predict(z)
        nll[m] = -np.mean(np.log(p[np.arange(labels.size), labels]))
    assert nll["matrix"] <= nll["vector"] + 1e-9 <= nll["temperature"] + 2e-9


def test_vector_scaling_recovers_known_parameters():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(40_000, 3)) * 2
    w_true, b_true = np.array([0.5, 1.0, 2.0]), np.array([0.3, -0.2, 0.0])
    p = softmax(z * w_true + b_true, axis=1)
    y = (p.cumsum(axis=1) > rng.random((z.shape[0], 1))).argmax(axis=1)
    par = fit_calibrator(z, y, method="vector").params
    w, b = np.asarray(par["weights"]), np.asarray(par["bias"])
    np.testing.assert_allclose(w, w_true, atol=0.06)
    np.testing.assert_allclose(
        b - b.mean(), b_true - b_true.mean(), atol=0.06
    )  # softmax: b up to a constant


@pytest.mark.parametrize(
    "method", ["platt", "isotonic", "histogram", "beta", "temperature", "ca-temperature"]
)
def test_cross_fitted_binary_recalibration_lowers_ece(cifar, top_label, method):
    # a one-parameter map (no intercept) cannot remove LeNet's offset: it must only lower ECE
    probs, labels = cifar
    conf, corr = top_label(probs, labels)
    res = recalibrate(conf, corr, method=method, rng=0)
    factor = 1.2 if method.endswith("temperature") else 2.0
    assert res.after["ece"] < res.before["ece"] / factor
    assert res.calibrated.shape == conf.shape and res.n_folds == 5


@pytest.mark.parametrize(
    "method",
    ["temperature", "vector", pytest.param("matrix", marks=pytest.mark.slow), "ca-temperature"],
)
def test_cross_fitted_multiclass_recalibration(cifar, method):
    probs, labels = cifar
    if method == "matrix":  # 110 parameters by L-BFGS: a subset keeps the test fast
        probs, labels = probs[:2500], labels[:2500]
    res = recalibrate(probs, labels, method=method, input="probs", rng=0)
    assert res.after["ece"] < res.before["ece"] / 2
    assert res.calibrated.shape == probs.shape
    np.testing.assert_allclose(res.calibrated.sum(axis=1), 1.0)


@pytest.mark.parametrize("method", ["temperature", "vector", "matrix", "ca-temperature"])
def test_multiclass_json_round_trip(cifar, method):
    probs, labels = cifar
    cal = fit_calibrator(probs[:1500], labels[:1500], method=method, input="probs")
    again = Calibrator.from_json(cal.to_json())
    assert again == cal
    np.testing.assert_array_equal(again.predict(probs[3000:]), cal.predict(probs[3000:]))


@pytest.mark.parametrize(
    "method", ["platt", "isotonic", "histogram", "beta", "temperature", "ca-temperature"]
)
def test_binary_json_round_trip(cifar, top_label, method):
    probs, labels = cifar
    conf, corr = top_label(probs, labels)
    cal = fit_calibrator(conf[:5000], corr[:5000], method=method)
    text = cal.to_json()
    assert json.loads(text)["format"] == "assay.calibrator/1"
    again = Calibrator.from_json(text)
    np.testing.assert_array_equal(again.predict(conf[5000:]), cal.predict(conf[5000:]))


def _doc(**change):
    doc = json.loads(fit_calibrator(np.linspace(0.1, 0.9, 50), np.r_[np.zeros(25), np.ones(25)],
                                    method="platt").to_json())  # fmt: skip
    doc.update(change)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not a JSON document"),
        ("[1, 2]", "not an assay calibrator"),
        (json.dumps({"format": "pickle"}), "field 'format'"),
        (_doc(method="magic"), "field 'method': unknown method 'magic'"),
        (_doc(kind="other"), "unknown method 'platt' for kind 'other'"),
        (_doc(input="logits"), "field 'input': unknown input 'logits'"),
        (_doc(params=[1]), "field 'params': missing or of the wrong type"),
        (_doc(n_fit="many"), "field 'n_fit'"),
        (_doc(params={"a": "x", "b": 1}), "field 'params.v': must be a finite"),
        (_doc(params={"a": float("nan"), "b": 1}), "must be a finite"),
    ],
)
def test_malformed_calibrator_json_names_the_field(text, message):
    with pytest.raises(InputError, match=message):
        Calibrator.from_json(text, path="cal.json")


def test_malformed_multiclass_params():
    cal = fit_calibrator(np.eye(3)[[0, 1, 2] * 20] * 0.8 + 0.05, np.array([0, 1, 2] * 20), method="vector",
                         input="probs")  # fmt: skip
    doc = json.loads(cal.to_json())
    doc["params"]["bias"] = [0.0, 0.0]
    with pytest.raises(InputError, match="shapes do not match n_classes=3"):
        Calibrator.from_json(json.dumps(doc))
    doc["n_classes"] = 1
    with pytest.raises(InputError, match="field 'n_classes': must be an integer >= 2"):
        Calibrator.from_json(json.dumps(doc))
    doc = json.loads(cal.to_json())
    doc["method"], doc["params"] = "temperature", {"temperature": -1.0}
    with pytest.raises(InputError, match="must be positive"):
        Calibrator.from_json(json.dumps(doc))
    iso = json.loads(fit_calibrator(np.linspace(0, 1, 20), np.r_[np.zeros(10), np.ones(10)],
                                    method="isotonic").to_json())  # fmt: skip
    iso["params"]["y"] = iso["params"]["y"][::-1]
    with pytest.raises(InputError, match="x must increase and y must not decrease"):
        Calibrator.from_json(json.dumps(iso))
    hist = json.loads(fit_calibrator(np.linspace(0, 1, 20), np.r_[np.zeros(10), np.ones(10)],
                                     method="histogram", n_bins=4).to_json())  # fmt: skip
    hist["params"]["edges"] = [0.5]
    with pytest.raises(InputError, match="needs len\\(values\\) - 1 non-decreasing edges"):
        Calibrator.from_json(json.dumps(hist))


def test_fit_and_predict_errors():
    with pytest.raises(InputError, match="`method` must be one of 'platt'"):
        fit_calibrator([0.5, 0.6], [1, 0], method="vector")
    with pytest.raises(InputError, match="`method` must be one of 'temperature', 'vector'"):
        fit_calibrator([[0.5, 0.5]], [1], method="isotonic")
    with pytest.raises(InputError, match=r"must hold confidences in \[0, 1\]"):
        fit_calibrator([0.5, 1.6], [1, 0], method="platt")
    with pytest.raises(InputError, match="`y` must hold binary outcomes"):
        fit_calibrator([0.5, 0.6], [1, 3], method="platt")
    with pytest.raises(InputError, match="`y` must be integer class labels in 0..1"):
        fit_calibrator([[1.0, 2.0]], [5])
    with pytest.raises(InputError, match="`input` must be one of 'logits', 'probs'"):
        fit_calibrator([[1.0, 2.0]], [1], input="softmax")
    with pytest.raises(InputError, match=r"must hold probabilities in \[0, 1\] with input='probs'"):
        fit_calibrator([[1.0, 2.0]], [1], input="probs")
    with pytest.raises(InputError, match="one entry per answer; got 2 and 1"):
        fit_calibrator([0.5, 0.6], [1], method="platt")
    with pytest.raises(InputError, match="`n_folds` must be an integer >= 2"):
        recalibrate([0.5, 0.6], [1, 0], method="platt", n_folds=1)
    with pytest.raises(InputError, match="exceeds the number of answers"):
        recalibrate([0.5, 0.6], [1, 0], method="platt", n_folds=3)
    cal = fit_calibrator([[1.0, 2.0], [2.0, 1.0]], [1, 0])
    with pytest.raises(InputError, match="`x` must have 2 columns"):
        cal.predict([[1.0, 2.0, 3.0]])
    bcal = fit_calibrator([0.2, 0.8], [0, 1], method="platt")
    with pytest.raises(InputError, match=r"confidences in \[0, 1\] for a binary calibrator"):
        bcal.predict([2.0])
