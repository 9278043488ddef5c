"""Tests of assay.stats._model_selection against mlxtend (0.25) and statsmodels."""

import numpy as np
import pytest
from mlxtend.evaluate import bootstrap_point632_score, mcnemar, mcnemar_table
from mlxtend.evaluate import combined_ftest_5x2cv as ml_f
from mlxtend.evaluate import paired_ttest_5x2cv as ml_t
from scipy import stats
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from assay._core import InputError
from assay.stats._model_selection import (
    bootstrap_632_score,
    combined_ftest_5x2cv,
    mcnemar_predictions,
    paired_ttest_5x2cv,
)

X, Y = make_classification(n_samples=200, n_features=6, random_state=0)
E1, E2 = GaussianNB(), DecisionTreeClassifier(random_state=1)


# ------------------------------------------------------------------ 5x2cv


@pytest.mark.parametrize("seed", [0, 7])
def test_5x2cv_t_and_f_agree_with_mlxtend(seed):
    # Oracle: mlxtend.evaluate.paired_ttest_5x2cv / combined_ftest_5x2cv with random_seed=seed
    # (same splits: one RandomState(seed).randint per replication), to 1e-12.
    t = paired_ttest_5x2cv(E1, E2, X, Y, rng=seed)
    f = combined_ftest_5x2cv(E1, E2, X, Y, rng=seed)
    assert (t.statistic, t.pvalue) == pytest.approx(ml_t(E1, E2, X, Y, random_seed=seed), abs=1e-12)
    assert (f.statistic, f.pvalue) == pytest.approx(ml_f(E1, E2, X, Y, random_seed=seed), abs=1e-12)
    assert t.df == 5.0 and f.df == (10.0, 5.0) and t.differences.shape == (5, 2)


def test_5x2cv_regressor_uses_r2_like_mlxtend():
    # Oracle: mlxtend with regressors (default scoring r2) and an explicit scorer name.
    xr, yr = make_regression(n_samples=120, n_features=5, noise=20.0, random_state=2)
    a, b = LinearRegression(), Ridge(alpha=50.0)
    t = paired_ttest_5x2cv(a, b, xr, yr, rng=3)
    assert (t.statistic, t.pvalue) == pytest.approx(ml_t(a, b, xr, yr, random_seed=3), abs=1e-12)
    s = "neg_mean_absolute_error"
    f = combined_ftest_5x2cv(a, b, xr, yr, rng=3, scoring=s)
    ref = ml_f(a, b, xr, yr, random_seed=3, scoring=s)
    assert (f.statistic, f.pvalue) == pytest.approx(ref, abs=1e-12)


def test_5x2cv_symmetry_and_generator():
    # Property: swapping the estimators negates t and leaves F unchanged; a Generator seed
    # reproduces the result.
    t12 = paired_ttest_5x2cv(E1, E2, X, Y, rng=1)
    t21 = paired_ttest_5x2cv(E2, E1, X, Y, rng=1)
    assert t21.statistic == pytest.approx(-t12.statistic) and t21.pvalue == pytest.approx(
        t12.pvalue
    )
    g1 = combined_ftest_5x2cv(E1, E2, X, Y, rng=np.random.default_rng(4))
    g2 = combined_ftest_5x2cv(E1, E2, X, Y, rng=np.random.default_rng(4))
    assert g1.statistic == g2.statistic
    # Dietterich (1998) eq.: t = p_1^(1) / sqrt(mean_i s_i^2), recomputed from the differences
    d = t12.differences
    s2 = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    assert t12.statistic == pytest.approx(d[0, 0] / np.sqrt(s2.mean()))


# ------------------------------------------------------------------ McNemar


def _from_table(b, c, both=9959, neither=29):
    """Prediction vectors that give mlxtend's 2x2 table [[both, b], [c, neither]]."""
    y = np.zeros(both + b + c + neither)
    p1 = np.r_[np.zeros(both + b), np.ones(c + neither)]
    p2 = np.r_[np.zeros(both), np.ones(b), np.zeros(c), np.ones(neither)]
    return y, p1, p2


def test_mcnemar_mlxtend_documented_example():
    # Reference: mlxtend's McNemar docs, 2x2 table [[9959, 11], [1, 29]]. The exact p is
    # 2 * P(Bin(12, 1/2) <= 1) = 2 * 13 / 4096 = 0.00634765625 (mlxtend's documented value is
    # out of date); corrected chi-square (|11 - 1| - 1)^2 / 12 = 6.75, as mlxtend computes.
    y, p1, p2 = _from_table(11, 1)
    assert mcnemar_table(y, p1, p2).tolist() == [[9959, 11], [1, 29]]
    exact = mcnemar_predictions(y, p1, p2)
    assert exact.pvalue == 0.00634765625 and exact.table.tolist() == [[9959, 11], [1, 29]]
    assert exact.pvalue == pytest.approx(mcnemar(np.array([[9959, 11], [1, 29]]), exact=True)[1])
    chi = mcnemar_predictions(y, p1, p2, method="chi2")
    ref = mcnemar(np.array([[9959, 11], [1, 29]]), corrected=True)
    assert (chi.statistic, chi.pvalue) == pytest.approx(ref, abs=1e-12) and chi.statistic == 6.75


@pytest.mark.parametrize(("b", "c"), [(5, 12), (40, 25), (3, 3), (0, 7)])
def test_mcnemar_agrees_with_statsmodels(b, c):
    # Oracle: statsmodels.stats.contingency_tables.mcnemar (exact binomial; chi-square with and
    # without continuity correction) and scipy.stats.binomtest.
    y, p1, p2 = _from_table(b, c, both=50, neither=20)
    table = [[50, b], [c, 20]]
    assert mcnemar_predictions(y, p1, p2).pvalue == pytest.approx(
        sm_mcnemar(table, exact=True).pvalue, abs=1e-12
    )
    assert mcnemar_predictions(y, p1, p2).pvalue == pytest.approx(
        stats.binomtest(min(b, c), b + c, 0.5).pvalue, abs=1e-12
    )
    for corr in (True, False):
        r = mcnemar_predictions(y, p1, p2, method="chi2", correction=corr)
        ref = sm_mcnemar(table, exact=False, correction=corr)
        assert (r.statistic, r.pvalue) == pytest.approx((ref.statistic, ref.pvalue), abs=1e-12)


def test_mcnemar_no_discordant_pairs():
    # Documented convention (issue 24, point 6): p = 1 for every method; statsmodels 0.15 gives
    # p = 0 (corrected chi-square) and NaN (uncorrected) here, which we check so that a change in
    # the reference is noticed.
    y = np.array([0, 1, 1, 0])
    for method, correction in (("exact", True), ("chi2", True), ("chi2", False)):
        r = mcnemar_predictions(y, y, y, method=method, correction=correction)
        assert (r.statistic, r.pvalue) == (0.0, 1.0)
    with np.errstate(all="ignore"):
        assert sm_mcnemar([[2, 0], [0, 2]], exact=False, correction=True).pvalue == 0.0
        assert np.isnan(sm_mcnemar([[2, 0], [0, 2]], exact=False, correction=False).pvalue)


def test_mcnemar_type_one_error_by_simulation():
    # Simulation under H0 (p10 = p01 = 0.1): the exact test rejects at most at the 5% level.
    rng = np.random.default_rng(0)
    reps, rejections = 1000, 0
    for _ in range(reps):
        cells = rng.multinomial(300, [0.1, 0.1, 0.8])
        y, p1, p2 = _from_table(int(cells[0]), int(cells[1]), both=int(cells[2]), neither=0)
        rejections += mcnemar_predictions(y, p1, p2).pvalue < 0.05
    assert rejections / reps <= 0.05 + 3.5 * np.sqrt(0.05 * 0.95 / reps)


# ------------------------------------------------------------------ .632 bootstrap


@pytest.mark.parametrize("method", [".632", ".632+", "oob"])
def test_bootstrap_632_agrees_with_mlxtend(method):
    # Oracle: mlxtend.evaluate.bootstrap_point632_score(random_seed=5), per-split scores to 1e-12
    # (on this data the .632+ relative overfitting rate stays in [0, 1], so no clipping occurs).
    r = bootstrap_632_score(E2, X, Y, method=method, n_splits=40, rng=5)
    ref = bootstrap_point632_score(E2, X, Y, method=method, n_splits=40, random_seed=5)
    np.testing.assert_allclose(r.scores, ref, atol=1e-12)
    assert r.estimate == pytest.approx(ref.mean())
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(np.percentile(ref, [2.5, 97.5])))
    assert "scores" not in r.to_dict()


def test_632_plus_on_pure_noise_labels():
    # Known truth: with labels independent of X, any classifier's accuracy is 0.5. A fully grown
    # tree makes .632 optimistic; .632+ corrects it toward the no-information rate
    # (Efron & Tibshirani 1997, sec. 3).
    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 5))
    y = rng.integers(0, 2, 200)
    tree = DecisionTreeClassifier(random_state=0)
    plain = bootstrap_632_score(tree, x, y, n_splits=40, rng=1)
    plus = bootstrap_632_score(tree, x, y, method=".632+", n_splits=40, rng=1)
    assert plain.estimate > 0.56  # expected about 1 - (0.632 * 0.5 + 0.368 * 0.184) = 0.62
    assert plus.estimate == pytest.approx(0.5, abs=0.04)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("fn", "args", "kw", "match"),
    [
        (
            paired_ttest_5x2cv,
            (E1, E2, X[:, 0], Y),
            {},
            r"`X` must be 2-D \(n_samples, n_features\); got shape \(200,\)",
        ),
        (paired_ttest_5x2cv, (E1, E2, X, Y[:, None]), {}, r"`y` must be 1-D; got shape \(200, 1\)"),
        (paired_ttest_5x2cv, (E1, E2, X, Y[:10]), {}, r"same number of samples; got 200 and 10"),
        (paired_ttest_5x2cv, (E1, E2, X[:3], Y[:3]), {}, r"`X` needs at least 4 samples; got 3"),
        (
            paired_ttest_5x2cv,
            ("tree", E2, X, Y),
            {},
            r"`estimator1` must be a scikit-learn style estimator .*got str",
        ),
        (
            combined_ftest_5x2cv,
            (E1, 3, X, Y),
            {},
            r"`estimator2` must be a scikit-learn style estimator",
        ),
        (
            paired_ttest_5x2cv,
            (E1, E2, X, Y),
            {"scoring": "accuracyy"},
            r"`scoring` 'accuracyy' is not a scikit-learn scorer",
        ),
        (
            paired_ttest_5x2cv,
            (E1, E2, X, Y),
            {"scoring": 3},
            r"`scoring` must be a scorer name or a callable",
        ),
        (
            paired_ttest_5x2cv,
            (E1, E2, X, Y),
            {"rng": -2},
            r"`rng` seed must be a non-negative integer",
        ),
        (paired_ttest_5x2cv, (E1, E2, X, Y), {"rng": "a"}, r"`rng` must be a numpy Generator"),
        (mcnemar_predictions, ([0, 1], [0, 1], [0]), {}, r"must have the same length; got 2, 2, 1"),
        (mcnemar_predictions, ([], [], []), {}, r"`y_true` must be a non-empty 1-D array"),
        (
            mcnemar_predictions,
            ([0], [0], [0]),
            {"method": "midp"},
            r"`method` must be one of 'exact', 'chi2'",
        ),
        (
            mcnemar_predictions,
            ([0], [0], [0]),
            {"correction": "yes"},
            r"`correction` must be True or False",
        ),
        (
            bootstrap_632_score,
            (E2, X, Y),
            {"method": "632"},
            r"`method` must be one of '.632', '.632\+', 'oob'",
        ),
        (bootstrap_632_score, (E2, X, Y), {"n_splits": 1}, r"`n_splits` must be an integer >= 2"),
        (
            bootstrap_632_score,
            (E2, X, Y),
            {"confidence_level": 5},
            r"`confidence_level` must be in",
        ),
    ],
)
def test_bad_input(fn, args, kw, match):
    with pytest.raises(InputError, match=match):
        fn(*args, **kw)
