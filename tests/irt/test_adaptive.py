"""adaptive_test: the posterior it reports, a minimum length, and item-parameter uncertainty."""

import dataclasses
import warnings

import numpy as np
import pytest
from scipy import integrate, special

from assay import irt
from assay._core import DegenerateDataWarning, InputError

from .conftest import simulate_2pl


@pytest.fixture(scope="module")
def bank():
    y, *_ = simulate_2pl(250, 120, seed=52)
    return irt.fit(y)  # with item standard errors; 250 models: no warning about few models


def test_posterior_mean_and_sd_match_scipy_quadrature(bank):
    answers = np.zeros(bank.n_items)
    answers[::2] = 1.0
    res = irt.adaptive_test(bank, answers, target_se=1e-3, max_items=6)
    idx = [bank.items.index(i) for i in res.items]
    a, d = bank.discrimination[idx], bank.intercept[idx]
    y = res.answers

    def post(t):  # N(0, 1) prior times the 2PL likelihood of the six answers
        p = special.expit(a * t + d)
        return np.exp(-0.5 * t * t) * np.prod(p**y * (1 - p) ** (1 - y))

    z = integrate.quad(post, -10, 10)[0]
    m = integrate.quad(lambda t: t * post(t), -10, 10)[0] / z
    v = integrate.quad(lambda t: (t - m) ** 2 * post(t), -10, 10)[0] / z
    assert res.estimate == pytest.approx(m, abs=1e-4)
    assert res.se == pytest.approx(np.sqrt(v), abs=1e-4)


def test_min_items_delays_the_stop(bank):
    answers = (np.arange(bank.n_items) % 3 == 0).astype(float)
    early = irt.adaptive_test(bank, answers, target_se=0.5)
    late = irt.adaptive_test(bank, answers, target_se=0.5, min_items=early.n + 10)
    assert late.stopped == "target_se" and late.n == early.n + 10 and late.min_items == early.n + 10
    assert late.items[: early.n] == early.items  # the same items first


def test_item_uncertainty_widens_the_interval_and_reduces_to_the_point_curves(bank):
    answers = (np.arange(bank.n_items) % 2 == 0).astype(float)
    plain = irt.adaptive_test(bank, answers, target_se=1e-3, max_items=15)
    unc = irt.adaptive_test(bank, answers, target_se=1e-3, max_items=15, item_uncertainty=True)
    assert unc.item_uncertainty and unc.se > plain.se
    # with zero standard errors the integrated curves are the point curves
    exact = dataclasses.replace(
        bank,
        discrimination_se=np.zeros(bank.n_items),
        difficulty_se=np.zeros(bank.n_items),
    )
    zero = irt.adaptive_test(exact, answers, target_se=1e-3, max_items=15, item_uncertainty=True)
    assert zero.items == plain.items
    assert zero.estimate == pytest.approx(plain.estimate, abs=1e-9)
    assert zero.se == pytest.approx(plain.se, abs=1e-9)


def test_simulated_coverage_with_known_items_is_nominal():
    # known item parameters, abilities drawn from the prior: the 95% posterior interval of a
    # Bayesian CAT covers the true ability 95% of the time (pre-posterior); 400 tests
    rng = np.random.default_rng(7)
    y, _, a, b = simulate_2pl(40, 300, seed=53)
    fit = irt.fit(y, standard_errors=False)
    true = dataclasses.replace(fit, discrimination=a, intercept=-a * b, difficulty=b)
    hits = []
    with warnings.catch_warnings():  # the items are the true ones: the few-models warning is moot
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for _ in range(400):
            t = rng.normal()
            ans = (rng.random(300) < special.expit(a * (t - b))).astype(float)
            r = irt.adaptive_test(true, ans, target_se=0.4)
            hits.append(r.ci_low <= t <= r.ci_high)
    # binomial(400, 0.95): 3 SDs is +-3.3 points
    assert 0.917 <= np.mean(hits) <= 0.983


def test_a_loosely_regularised_bank_from_few_models_warns():
    y, *_ = simulate_2pl(30, 60, seed=55)
    weak = irt.fit(y, standard_errors=False)  # slope prior SD 2
    with pytest.warns(DegenerateDataWarning, match="overestimated"):
        irt.adaptive_test(weak, y[0], max_items=3)
    tight = irt.fit(y, standard_errors=False, prior={"a_mean": 1.0, "a_sd": 0.5, "d_sd": 2.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        irt.adaptive_test(tight, y[0], max_items=3)


def test_bad_options(bank):
    with pytest.raises(InputError, match="`min_items` must be"):
        irt.adaptive_test(bank, np.ones(bank.n_items), min_items=0)
    with pytest.raises(InputError, match="`item_uncertainty` must be True or False"):
        irt.adaptive_test(bank, np.ones(bank.n_items), item_uncertainty="yes")
    no_se = irt.fit(simulate_2pl(250, 30, seed=54)[0], standard_errors=False)
    with pytest.raises(InputError, match="standard_errors=True"):
        irt.adaptive_test(no_se, np.ones(30), item_uncertainty=True)
