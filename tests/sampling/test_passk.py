"""Tests of pass@k, pass^k and the pass@k curve (assay.sampling._passk)."""

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from assay._core import DegenerateDataWarning, InputError
from assay.sampling import (
    pass_at_k,
    pass_at_k_curve,
    pass_at_k_estimator,
    pass_hat_k,
    pass_hat_k_estimator,
)


def estimate_pass_at_k(num_samples, num_correct, k):
    """Reference: ``estimate_pass_at_k`` of openai/human-eval, human_eval/evaluation.py (MIT),
    reproduced faithfully (same per-problem ``estimator`` and the same iteration)."""

    def estimator(n: int, c: int, k: int) -> float:
        """Calculates 1 - comb(n - c, k) / comb(n, k)."""
        if n - c < k:
            return 1.0
        return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))

    if isinstance(num_samples, int):
        num_samples_it = itertools.repeat(num_samples, len(num_correct))
    else:
        assert len(num_samples) == len(num_correct)
        num_samples_it = iter(num_samples)
    return np.array([estimator(int(n), int(c), k) for n, c in zip(num_samples_it, num_correct)])


def _random_nck(rng, size):
    n = rng.integers(1, 400, size)
    c = np.floor(rng.random(size) * (n + 1)).astype(int)
    k = np.floor(rng.random(size) * n).astype(int) + 1
    return n, c, k


# ---------------------------------------------------------------------------------------------
# The estimator against human-eval's, to 1e-12
# ---------------------------------------------------------------------------------------------


def test_estimator_equals_human_eval_on_random_nck():
    rng = np.random.default_rng(0)
    n, c, k = _random_nck(rng, 3000)
    # force the edge cases in: c = 0, c = n, n - c < k, k = n, n = 1
    n = np.r_[n, 10, 10, 10, 10, 1, 1, 200]
    c = np.r_[c, 0, 10, 8, 3, 0, 1, 1]
    k = np.r_[k, 5, 5, 5, 10, 1, 1, 100]
    ours = np.array([pass_at_k_estimator(ni, ci, ki) for ni, ci, ki in zip(n, c, k, strict=True)])
    ref = np.array(
        [estimate_pass_at_k([ni], [ci], ki)[0] for ni, ci, ki in zip(n, c, k, strict=True)]
    )
    assert np.max(np.abs(ours - ref)) <= 1e-12
    assert np.all(ours[(n - c) < k] == 1.0)
    assert np.all(ours[c == 0] == 0.0)


def test_estimator_vectorised_over_problems_equals_reference_for_each_k():
    rng = np.random.default_rng(1)
    n = rng.integers(100, 201, 5000)
    c = rng.binomial(n, rng.beta(0.3, 0.7, n.size))
    for k in (1, 10, 100):
        ours = pass_at_k_estimator(n, c, k)
        np.testing.assert_allclose(ours, estimate_pass_at_k(n, c, k), rtol=0, atol=1e-12)


def test_estimator_matches_exact_fractions():
    # Oracle: exact rational arithmetic with math.comb.
    for n, c, k in [(10, 3, 4), (50, 1, 25), (200, 7, 100), (13, 0, 13), (30, 29, 2)]:
        exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
        assert pass_at_k_estimator(n, c, k)[()] == pytest.approx(float(exact), abs=1e-15)
        exact_hat = Fraction(math.comb(c, k), math.comb(n, k))
        assert pass_hat_k_estimator(n, c, k)[()] == pytest.approx(float(exact_hat), abs=1e-15)


def test_pass_hat_k_against_comb_on_random_nck():
    rng = np.random.default_rng(2)
    n, c, k = _random_nck(rng, 500)
    ref = np.array(
        [math.comb(ci, ki) / math.comb(ni, ki) for ni, ci, ki in zip(n, c, k, strict=True)]
    )
    ours = np.array([pass_hat_k_estimator(ni, ci, ki) for ni, ci, ki in zip(n, c, k, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)


def test_estimators_are_unbiased_in_simulation():
    # Known truth: n = 10 samples from Bernoulli(p) per item; E[pass@k] = 1 - (1 - p)^k,
    # E[pass^k] = p^k (Chen et al. 2021; Yao et al. 2024).
    rng = np.random.default_rng(3)
    p = rng.beta(1, 2, 40_000)
    c = rng.binomial(10, p)
    for k in (1, 3, 7):
        est = pass_at_k_estimator(10, c, k)
        truth = 1 - (1 - p) ** k
        assert abs(est.mean() - truth.mean()) < 4 * est.std() / math.sqrt(p.size)
        est_hat = pass_hat_k_estimator(10, c, k)
        assert abs(est_hat.mean() - (p**k).mean()) < 4 * est_hat.std() / math.sqrt(p.size)


# ---------------------------------------------------------------------------------------------
# CRUXEval: the stored pass@1 and pass@5
# ---------------------------------------------------------------------------------------------


def test_cruxeval_stored_pass_at_1_and_5_reproduced(cruxeval):
    mode, data = cruxeval
    # The stored values (percent) as written by CRUXEval's evaluate_generations.py.
    expected = {"input": (35.95, 44.99107), "output": (34.2125, 40.28671)}[mode]
    r1 = pass_at_k(data["correct"], 1)
    r5 = pass_at_k(data["correct"], 5)
    assert r1.n == 800 and r5.n_samples_min == r5.n_samples_max == 10
    assert 100 * r1.estimate == pytest.approx(data["pass_at_1"], rel=1e-13)
    assert 100 * r5.estimate == pytest.approx(data["pass_at_5"], rel=1e-13)
    assert round(100 * r1.estimate, 5) == expected[0]
    assert round(100 * r5.estimate, 5) == expected[1]
    # Aggregated as CRUXEval does (sum(pass_at_ks) / len * 100, problem order), our per-problem
    # values give the stored floats bit for bit.
    assert sum(r1.per_item.tolist()) / 800 * 100 == data["pass_at_1"]
    assert sum(r5.per_item.tolist()) / 800 * 100 == data["pass_at_5"]


def test_pass_at_1_is_mean_accuracy_and_t_interval_matches_scipy(cruxeval):
    from scipy import stats

    _, data = cruxeval
    r = pass_at_k(data["correct"], 1)
    item_means = data["correct"].mean(axis=1)
    assert r.estimate == pytest.approx(data["correct"].mean(), abs=1e-15)
    lo, hi = stats.t.interval(
        0.95, item_means.size - 1, loc=item_means.mean(), scale=stats.sem(item_means)
    )
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-12)


def test_bootstrap_method_close_to_t(cruxeval):
    _, data = cruxeval
    t = pass_at_k(data["correct"], 5)
    b = pass_at_k(data["correct"], 5, method="bootstrap", n_resamples=4000, rng=0)
    assert b.method == "bootstrap" and b.estimate == t.estimate
    assert b.ci_low == pytest.approx(t.ci_low, abs=0.006)
    assert b.ci_high == pytest.approx(t.ci_high, abs=0.006)


# ---------------------------------------------------------------------------------------------
# The curve and its simultaneous band
# ---------------------------------------------------------------------------------------------


def test_curve_estimates_equal_pass_at_k_for_each_k(cruxeval):
    _, data = cruxeval
    curve = pass_at_k_curve(data["correct"], rng=0, n_resamples=500)
    assert curve.k == tuple(range(1, 11))
    for j, k in enumerate(curve.k):
        assert curve.estimate[j] == pytest.approx(pass_at_k(data["correct"], k).estimate, abs=1e-15)
    assert np.all(curve.band_low <= curve.ci_low + 1e-12)
    assert np.all(curve.band_high >= curve.ci_high - 1e-12)
    assert curve.critical_value > 1.96
    hat = pass_at_k_curve(data["correct"], [1, 2, 5], metric="pass^k", rng=0, n_resamples=200)
    assert hat.estimate[2] == pytest.approx(pass_hat_k(data["correct"], 5).estimate, abs=1e-15)
    assert np.all(np.diff(hat.estimate) < 0)


@pytest.mark.slow
def test_simultaneous_band_covers_the_whole_true_curve_at_its_level():
    # Known truth: item success rates p ~ Beta(0.5, 1); the population pass@k curve is
    # E[1 - (1-p)^k] = 1 - B(a, b + k) / B(a, b). The band must cover all k at once ~95%.
    from scipy.special import beta as beta_fn

    a, b, n_items, n_samples = 0.5, 1.0, 300, 8
    ks = np.arange(1, n_samples + 1)
    truth = 1 - beta_fn(a, b + ks) / beta_fn(a, b)
    rng = np.random.default_rng(7)
    hits_band = hits_point = 0
    reps = 200
    for _ in range(reps):
        p = rng.beta(a, b, n_items)
        correct = (rng.random((n_items, n_samples)) < p[:, None]).astype(float)
        res = pass_at_k_curve(correct, n_resamples=400, rng=rng)
        hits_band += np.all((res.band_low <= truth) & (truth <= res.band_high))
        hits_point += np.all((res.ci_low <= truth) & (truth <= res.ci_high))
    assert 0.90 <= hits_band / reps <= 0.99
    assert hits_point / reps < hits_band / reps  # pointwise intervals undercover the curve


# ---------------------------------------------------------------------------------------------
# Missing samples, refusals and warnings
# ---------------------------------------------------------------------------------------------


def test_items_with_fewer_samples_than_k_refused_or_omitted():
    correct = np.array([[1, 0, 1, 0], [1, 1, np.nan, np.nan], [0, 0, 0, np.nan]])
    with pytest.raises(InputError, match=r"`k` = 3 exceeds the samples of 1 item\(s\) \(fewest: 2"):
        pass_at_k(correct, 3)
    with pytest.raises(InputError, match="pass `missing='omit'`"):
        pass_at_k_curve(correct, [1, 4])
    r = pass_at_k(correct[[0, 0, 2]], 3, missing="omit")
    assert r.n == 3 and r.n_omitted == 0
    r = pass_at_k(np.vstack([correct, [1, 1, 1, 1]]), 3, missing="omit")
    assert r.n == 3 and r.n_omitted == 1 and r.n_samples_min == 3 and r.n_samples_max == 4
    # missing samples in the middle of a row count as missing, not as failures
    assert pass_at_k([[1, np.nan, 0], [np.nan, 1, 1]], 2).per_item.tolist() == [1.0, 1.0]


def test_single_sample_warns_and_k_above_one_is_refused():
    correct = np.array([[1.0], [0.0], [1.0]])
    with pytest.warns(DegenerateDataWarning, match=r"3 item\(s\) have a single sample \(n = 1\)"):
        r = pass_at_k(correct, 1)
    assert r.estimate == pytest.approx(2 / 3)
    with pytest.raises(InputError, match="`k` = 2 exceeds the samples of 3 item"):
        pass_at_k(correct, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pass_at_k([[1, 0], [0, 0]], 1)  # no warning with 2 samples


def test_bad_inputs_raise_naming_the_argument():
    with pytest.raises(InputError, match="`correct` must hold binary outcomes"):
        pass_at_k([[0.5, 1], [1, 1]], 1)
    with pytest.raises(InputError, match="`k` must be an integer >= 1; got 0"):
        pass_at_k([[1, 0], [1, 1]], 0)
    with pytest.raises(InputError, match="`method` must be one of 't', 'bootstrap'"):
        pass_at_k([[1, 0], [1, 1]], 1, method="wald")
    with pytest.raises(InputError, match="`missing` must be one of 'raise', 'omit'"):
        pass_at_k([[1, 0], [1, 1]], 1, missing="propagate")
    with pytest.raises(InputError, match="an interval over items needs at least 2 items; got 1"):
        pass_at_k([[1, 0]], 1)
    with pytest.raises(InputError, match="`metric` must be one of 'pass@k', 'pass\\^k'"):
        pass_at_k_curve([[1, 0], [1, 1]], metric="maj@k")
    with pytest.raises(InputError, match="non-empty list"):
        pass_at_k_curve([[1, 0], [1, 1]], [])
    with pytest.raises(InputError, match="no item has 3 or more samples"):
        pass_at_k([[1, np.nan, np.nan], [0, 1, np.nan]], 3, missing="omit")
    with pytest.raises(InputError, match="`correct` has no item with a sample"):
        pass_at_k_curve([[np.nan, np.nan], [np.nan, np.nan]])
    with pytest.raises(InputError, match="a band over items needs at least 2 items"):
        pass_at_k_curve([[1, 0]])


def test_estimator_bad_counts():
    with pytest.raises(
        InputError, match=r"`num_correct` must not exceed `num_samples`; at index 1: 6 > 5"
    ):
        pass_at_k_estimator([5, 5], [1, 6], 1)
    with pytest.raises(InputError, match="`num_samples` must hold non-negative integers"):
        pass_at_k_estimator([5.5], [1], 1)
    with pytest.raises(InputError, match=r"`k` = 6 exceeds `num_samples` for 1 problem\(s\)"):
        pass_hat_k_estimator([5, 10], [1, 2], 6)
    with pytest.raises(InputError, match="do not broadcast"):
        pass_at_k_estimator([5, 5, 5], [1, 2], 1)


def test_sorted_pairs_path_equals_dense_table(monkeypatch):
    # Many distinct n make the dense (n, c) table too big; the distinct-pairs path must agree.
    import assay.sampling._passk as mod

    rng = np.random.default_rng(9)
    n, c, _ = _random_nck(rng, 2000)
    dense = pass_at_k_estimator(n, c, 1), pass_hat_k_estimator(n, c, 1)
    monkeypatch.setattr(mod, "_MAX_TABLE", 0)
    np.testing.assert_array_equal(pass_at_k_estimator(n, c, 1), dense[0])
    np.testing.assert_array_equal(pass_hat_k_estimator(n, c, 1), dense[1])
    np.testing.assert_allclose(
        pass_at_k_estimator(n, c, 1), estimate_pass_at_k(n, c, 1), atol=1e-12
    )


def test_curve_intervals_and_band_cover_at_few_items_with_skewed_rates():
    # issue 24 point 9. Known truth: per-item rates p ~ Beta(0.3, 3), 10 samples each, so
    # pass@k = 1 - B(0.3, 3 + k) / B(0.3, 3) (scipy.special.betaln). At 50 items the symmetric
    # bootstrap intervals covered about 90% (pass@1) and the band 89.5%; the studentized
    # bootstrap 95-96% (400 replicates: benchmarks/coverage_calibration_curves.py).
    from scipy.special import betaln

    ks = np.arange(1, 11)
    truth = 1 - np.exp(betaln(0.3, 3 + ks) - betaln(0.3, 3))
    rng = np.random.default_rng(7)
    point = band = 0
    reps = 200
    for r in range(reps):
        p = rng.beta(0.3, 3, 50)
        correct = (rng.random((50, 10)) < p[:, None]).astype(float)
        cv = pass_at_k_curve(correct, list(ks), n_resamples=400, rng=r)
        point += cv.ci_low[0] <= truth[0] <= cv.ci_high[0]
        band += np.all((cv.band_low <= truth) & (truth <= cv.band_high))
        assert np.all(cv.band_low <= cv.ci_low) and np.all(cv.band_high >= cv.ci_high)
    # 95% of 200 is 190 (Monte-Carlo SD 3); here 190 and 190, the old intervals 175 and 178
    assert point >= 185 and band >= 185


def test_bootstrap_t_method_of_pass_at_k():
    rng = np.random.default_rng(0)
    correct = (rng.random((50, 10)) < rng.beta(0.3, 3, 50)[:, None]).astype(float)
    t = pass_at_k(correct, 1)
    bt = pass_at_k(correct, 1, method="bootstrap-t", n_resamples=2000, rng=0)
    assert bt.estimate == pytest.approx(t.estimate, abs=1e-15) and bt.method == "bootstrap-t"
    # the skew of the per-item values moves the interval up, away from 0
    assert bt.ci_high - bt.estimate > bt.estimate - bt.ci_low
    assert bt.se == pytest.approx(t.se, rel=1e-12)
