"""Bradley-Terry: against a statsmodels logistic-regression fit and by simulation with known strengths."""

import numpy as np
import pytest
import statsmodels.api as sm

from assay import InputError
from assay.stats import bradley_terry

NAMES = np.array(["m0", "m1", "m2", "m3", "m4"])
TRUE = np.array([0.0, 0.5, -0.3, 1.0, 0.2])


def simulate(n, seed, tie_rate=0.1, true=TRUE):
    rng = np.random.default_rng(seed)
    m = true.size
    ia = rng.integers(0, m, n)
    ib = (ia + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(-(true[ia] - true[ib])))
    u = rng.random(n)
    tie = rng.random(n) < tie_rate
    winner = np.where(tie, "tie", np.where(u < p, "model_a", "model_b"))
    return ia, ib, winner


def statsmodels_fit(ia, ib, winner, m):
    """Logistic regression on +1/-1 model indicators (model 0 dropped as reference); a tie is
    one win and one loss with frequency weight 1/2 each (statsmodels GLM Binomial)."""
    n = ia.size
    x = np.zeros((n, m))
    x[np.arange(n), ia] += 1.0
    x[np.arange(n), ib] -= 1.0
    tie = winner == "tie"
    y = (winner == "model_a").astype(float)
    xs = np.vstack([x[~tie], x[tie], x[tie]])[:, 1:]
    ys = np.r_[y[~tie], np.ones(tie.sum()), np.zeros(tie.sum())]
    fw = np.r_[np.ones((~tie).sum()), np.full(2 * tie.sum(), 0.5)]
    return sm.GLM(ys, xs, family=sm.families.Binomial(), freq_weights=fw).fit(tol=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_statsmodels_logistic_regression(seed):
    ia, ib, winner = simulate(3000, seed)
    res = bradley_terry(NAMES[ia], NAMES[ib], winner, reference="m0")
    ref = statsmodels_fit(ia, ib, winner, 5)
    np.testing.assert_allclose(res.estimate[1:], ref.params, atol=1e-8)
    np.testing.assert_allclose(res.se[1:], ref.bse, atol=1e-8)
    assert res.estimate[0] == 0 and res.se[0] == 0
    lo, hi = ref.conf_int().T
    np.testing.assert_allclose(res.ci_low[1:], lo, atol=1e-8)
    np.testing.assert_allclose(res.ci_high[1:], hi, atol=1e-8)
    assert res.n_ties == int(np.sum(winner == "tie"))


def test_sum_zero_is_the_same_fit_shifted():
    ia, ib, winner = simulate(2000, 2)
    ref = bradley_terry(NAMES[ia], NAMES[ib], winner, reference="m0")
    res = bradley_terry(NAMES[ia], NAMES[ib], winner)
    assert res.estimate.sum() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(res.estimate - res.estimate[0], ref.estimate, atol=1e-10)
    # the variance of a difference does not depend on the identification
    v_sz = res.covariance[1, 1] + res.covariance[3, 3] - 2 * res.covariance[1, 3]
    v_ref = ref.covariance[1, 1] + ref.covariance[3, 3] - 2 * ref.covariance[1, 3]
    assert v_sz == pytest.approx(v_ref, rel=1e-8)
    assert res.win_probability("m3", "m2") == pytest.approx(
        1 / (1 + np.exp(-(res.estimate[3] - res.estimate[2])))
    )


def test_recovers_known_strengths_and_covers_them():
    # Simulation with known truth: 200 data sets drawn from the Bradley-Terry model itself (no
    # ties: random ties would pull every strength towards 0); the 95% Wald intervals of the
    # four identified strengths (reference m0) should cover at about 95%.
    covered, total = 0, 0
    errors = []
    for seed in range(200):
        ia, ib, winner = simulate(1500, 100 + seed, tie_rate=0.0)
        res = bradley_terry(NAMES[ia], NAMES[ib], winner, reference="m0")
        truth = TRUE - TRUE[0]
        covered += int(np.sum((res.ci_low[1:] <= truth[1:]) & (truth[1:] <= res.ci_high[1:])))
        total += 4
        errors.append(res.estimate - truth)
    # 800 intervals: binomial SE of the coverage is about 0.8 points
    assert 0.925 <= covered / total <= 0.975
    assert np.all(np.abs(np.mean(errors, axis=0)) < 0.02)  # unbiased to within MC error


def test_records_can_use_short_names_and_tie_variants():
    res = bradley_terry(
        ["x", "y", "x", "y"], ["y", "x", "y", "x"], ["A", "b", "tie (bothbad)", "a"]
    )
    # x: win, win (y's 'b' means x won), half; y: win, half -> x 2.5 of 4
    assert res.n_ties == 1
    assert res.win_probability("x", "y") == pytest.approx(2.5 / 4, abs=1e-9)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((["x"], ["y", "z"], ["a"]), {}, r"must have the same length; got 1, 2, 1"),
        (([], [], []), {}, r"no records"),
        (
            (["x", "x"], ["x", "y"], ["a", "b"]),
            {},
            r"1 record\(s\) compare a model with itself, e.g. record 0",
        ),
        ((["x", "y"], ["y", "x"], ["a", "draw"]), {}, r"`winner` must be .*record 1 is 'draw'"),
        ((["x", None], ["y", "x"], ["a", "b"]), {}, r"`model_a` contains None"),
        ((["x", "y"], ["y", "x"], ["a", "a"]), {"reference": "q"}, r"`reference` 'q' is not among"),
        (
            (["x", "y"], ["y", "x"], ["a", "b"]),
            {"confidence_level": 2},
            r"`confidence_level` must be in",
        ),
        (
            (["x", "z"], ["y", "w"], ["a", "tie"]),
            {},
            r"not all linked by comparisons.*separate groups: w, z; x, y|separate groups",
        ),
        ((["x", "x", "y"], ["y", "z", "z"], ["a", "a", "tie"]), {}, r"infinite.*never lost: x"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        bradley_terry(*args, **kwargs)
