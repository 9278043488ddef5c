"""Friedman, Nemenyi and Cochran's Q against scipy, statsmodels and Demšar (2006)."""

import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import cochrans_q as sm_cochrans_q
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from assay import DegenerateDataWarning, InputError
from assay.stats import cochran_q, friedman, nemenyi


@pytest.mark.parametrize(
    "scores",
    [
        np.random.default_rng(0).normal(size=(5, 40)),  # no ties
        np.random.default_rng(1).integers(0, 4, size=(4, 60)).astype(float),  # many ties
        (np.random.default_rng(2).random((6, 300)) < 0.6).astype(float),  # binary
    ],
)
def test_friedman_agrees_with_scipy(scores):
    res = friedman(scores)
    ref = sps.friedmanchisquare(*scores)  # scipy: one argument per treatment (model)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10, abs=1e-10)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-12)
    assert res.df == scores.shape[0] - 1 and res.n == scores.shape[1]
    np.testing.assert_allclose(res.mean_ranks, sps.rankdata(scores, axis=0).mean(axis=1))


def test_friedman_all_ties_warns():
    with pytest.warns(DegenerateDataWarning, match="same score"):
        res = friedman(np.ones((3, 10)))
    assert res.pvalue == 1.0


# Demšar (2006), JMLR 7:1-30, Table 5(a): critical values q_0.05 of the Nemenyi test.
DEMSAR_Q05 = {
    2: 1.960,
    3: 2.343,
    4: 2.569,
    5: 2.728,
    6: 2.850,
    7: 2.949,
    8: 3.031,
    9: 3.102,
    10: 3.164,
}
# Table 5(a), alpha = 0.10.
DEMSAR_Q10 = {
    2: 1.645,
    3: 2.052,
    4: 2.291,
    5: 2.459,
    6: 2.589,
    7: 2.693,
    8: 2.780,
    9: 2.855,
    10: 2.920,
}


@pytest.mark.parametrize("k", sorted(DEMSAR_Q05))
def test_nemenyi_q_matches_demsar_table(k):
    scores = np.random.default_rng(k).normal(size=(k, 20))
    # The table has 3 decimals and a few entries differ from the exact quantile in the last
    # digit (k = 3: 2.3437 printed 2.343; k = 7: 2.9483 printed 2.949), hence 1.5e-3.
    assert nemenyi(scores, alpha=0.05).q_alpha == pytest.approx(DEMSAR_Q05[k], abs=1.5e-3)
    assert nemenyi(scores, alpha=0.10).q_alpha == pytest.approx(DEMSAR_Q10[k], abs=1.5e-3)


def test_nemenyi_critical_difference_demsar_example():
    # Demšar (2006), section 3.2.4: k = 4 classifiers on N = 14 data sets, CD = 1.25 at 0.05.
    scores = np.random.default_rng(0).normal(size=(4, 14))
    res = nemenyi(scores)
    assert res.critical_difference == pytest.approx(1.25, abs=0.005)
    # a pair is significant exactly when its p-value is below alpha
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_array_equal(res.significant[off], res.pvalues[off] < 0.05)


def test_nemenyi_finds_a_clear_difference():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(3, 50)) + np.array([[0.0], [0.0], [2.0]])
    res = nemenyi(scores)
    assert res.significant[0, 2] and res.significant[1, 2] and not res.significant[0, 1]
    np.testing.assert_allclose(res.pvalues, res.pvalues.T)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cochran_q_agrees_with_statsmodels(seed):
    rng = np.random.default_rng(seed)
    correct = (rng.random((5, 200)) < np.array([[0.5], [0.55], [0.6], [0.5], [0.7]])).astype(int)
    res = cochran_q(correct)
    ref = sm_cochrans_q(correct.T)  # statsmodels: rows are subjects (items), columns treatments
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
    assert res.df == ref.df == 4


def test_cochran_q_two_models_is_mcnemar_chi2():
    # For k = 2 Cochran's Q equals McNemar's chi-square without continuity correction.
    rng = np.random.default_rng(4)
    a = (rng.random(150) < 0.6).astype(int)
    b = np.where(rng.random(150) < 0.7, a, 1 - a)
    table = [
        [np.sum((a == 1) & (b == 1)), np.sum((a == 1) & (b == 0))],
        [np.sum((a == 0) & (b == 1)), 0],
    ]
    ref = sm_mcnemar(table, exact=False, correction=False)
    assert cochran_q(np.vstack([a, b])).statistic == pytest.approx(ref.statistic, rel=1e-12)


def test_cochran_q_degenerate_warns():
    with pytest.warns(DegenerateDataWarning, match="answered alike"):
        res = cochran_q(np.ones((3, 5)))
    assert res.pvalue == 1.0


def test_no_warning_on_ordinary_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        friedman(np.random.default_rng(0).normal(size=(3, 10)))


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (friedman, (np.ones((1, 5)),), r"`scores` must hold at least 2 models"),
        (friedman, (np.ones((3, 1)),), r"`scores` must hold at least 2 items"),
        (friedman, (np.ones(5),), r"`scores` must have 2 dimension"),
        (friedman, ([[1, np.nan], [2, 3]],), r"`scores` contains 1 NaN"),
        (cochran_q, ([[1, 2], [0, 1]],), r"`correct` must hold binary outcomes"),
        (nemenyi, (np.ones((2, 3)),), None),
    ],
)
def test_bad_input(func, args, message):
    if message is None:
        with pytest.raises(InputError, match=r"`alpha` must be in \(0, 1\)"):
            func(*args, alpha=0)
        return
    with pytest.raises(InputError, match=message):
        func(*args)
