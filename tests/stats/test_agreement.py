"""Tests of assay.stats._agreement: kappas, Krippendorff's alpha, judge vs human, PPI."""

import math

import krippendorff  # extra oracle, pip install krippendorff (0.9.0)
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from assay._core import InputError
from assay.stats._agreement import (
    cohen_kappa,
    fleiss_kappa,
    judge_agreement,
    krippendorff_alpha,
    ppi_mean,
    ratings_to_counts,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", sec. C: 4 observers,
# 12 units, values 1-5, missing data (NaN). Published: nominal 0.743, ordinal 0.815,
# interval 0.849, ratio 0.797.
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def _raters(seed=0, n=300, k=4, agree=0.6):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < agree, a, rng.integers(0, k, n))
    return a, b


# ------------------------------------------------------------------ Cohen's kappa


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_agrees_with_sklearn_and_statsmodels(weights):
    # Oracles: sklearn.metrics.cohen_kappa_score (estimate) and statsmodels
    # stats.inter_rater.cohens_kappa (Fleiss-Cohen-Everitt 1969 SE and interval), to 1e-12.
    a, b = _raters()
    r = cohen_kappa(a, b, weights=weights)
    assert r.estimate == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
    sm = cohens_kappa(confusion_matrix(a, b), wt=weights)  # 95% interval
    assert r.se == pytest.approx(sm.std_kappa, abs=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((sm.kappa_low, sm.kappa_upp), abs=1e-12)
    assert r.pvalue == pytest.approx(sm.pvalue_two_sided, abs=1e-12)
    assert r.n == 300 and r.labels == (0, 1, 2, 3)


def test_cohen_kappa_string_labels_and_label_order():
    # Oracle: sklearn with the same explicit label order (order matters for weights).
    a = np.array(["low", "mid", "high", "mid", "low", "high", "mid"])
    b = np.array(["low", "high", "high", "mid", "mid", "high", "low"])
    order = ["low", "mid", "high"]
    r = cohen_kappa(a, b, weights="linear", labels=order)
    assert r.estimate == pytest.approx(cohen_kappa_score(a, b, weights="linear", labels=order))
    assert r.labels == tuple(order)


def test_cohen_kappa_interval_coverage():
    # Simulation with known truth: two raters, true kappa from the generating joint
    # distribution (p_o = 0.6 + 0.4/3 ... computed exactly below); 95% interval covers ~95%.
    k, agree = 3, 0.5
    joint = (1 - agree) / k**2 * np.ones((k, k)) + agree / k * np.eye(k)
    po, pe = np.trace(joint), (joint.sum(1) @ joint.sum(0))
    truth = (po - pe) / (1 - pe)
    rng = np.random.default_rng(5)
    reps, hits = 600, 0
    for _ in range(reps):
        cells = rng.choice(k * k, size=400, p=joint.ravel())
        r = cohen_kappa(cells // k, cells % k, labels=[0, 1, 2])
        hits += r.ci_low <= truth <= r.ci_high
    assert abs(hits / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps)


# ------------------------------------------------------------------ Fleiss' kappa


def test_fleiss_kappa_agrees_with_statsmodels():
    # Oracle: statsmodels.stats.inter_rater.fleiss_kappa on aggregate_raters output.
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 80)
    ratings = np.where(rng.random((80, 5)) < 0.6, truth[:, None], rng.integers(0, 3, (80, 5)))
    counts, labels = ratings_to_counts(ratings)
    assert counts.tolist() == aggregate_raters(ratings)[0].tolist() and labels == (0, 1, 2)
    r = fleiss_kappa(counts, rng=0)
    assert r.estimate == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    assert r.ci_low < r.estimate < r.ci_high and r.n_raters == 5 and r.n == 80


def test_fleiss_kappa_published_example():
    # Published worked example: Wikipedia "Fleiss' kappa" (10 subjects, 14 raters, 5 categories):
    # P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    r = fleiss_kappa(table, rng=0)
    assert round(r.estimate, 3) == 0.210
    assert round(r.observed_agreement, 3) == 0.378 and round(r.chance_agreement, 3) == 0.213


def test_fleiss_bootstrap_interval_covers():
    # Simulation: items with true category; raters right with prob 0.7, else uniform. The truth
    # is the population kappa computed on a huge sample; bootstrap CI covers near 95%.
    def draw(rng, n):
        t = rng.integers(0, 3, n)
        r = np.where(rng.random((n, 4)) < 0.7, t[:, None], rng.integers(0, 3, (n, 4)))
        return ratings_to_counts(r, labels=[0, 1, 2])[0]

    rng = np.random.default_rng(2)
    truth = sm_fleiss_kappa(draw(rng, 400_000))
    reps, hits = 200, 0
    for _ in range(reps):
        r = fleiss_kappa(draw(rng, 150), n_resamples=1000, rng=rng)
        hits += r.ci_low <= truth <= r.ci_high
    assert abs(hits / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps) + 0.01


# ------------------------------------------------------------------ Krippendorff's alpha


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level, published):
    # Reference: Krippendorff (2011) published values (3 decimals) and the `krippendorff` package
    # (0.9.0) to 1e-12.
    r = krippendorff_alpha(K2011, level=level)
    assert round(r.estimate, 3) == published
    ref = krippendorff.alpha(reliability_data=K2011, level_of_measurement=level)
    assert r.estimate == pytest.approx(ref, abs=1e-12)
    assert r.n == 40 and r.n_units == 11  # unit 12 has one value: not pairable


def test_krippendorff_2011_binary_example():
    # Reference: Krippendorff (2011) sec. A, two observers, binary, no missing: alpha = 0.095.
    a = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert round(krippendorff_alpha(a).estimate, 3) == 0.095


def test_krippendorff_random_data_agrees_with_package():
    # Oracle: `krippendorff` package on random data with 30% missing, all levels.
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, (5, 60)).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ref = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
        assert krippendorff_alpha(x, level=level).estimate == pytest.approx(ref, abs=1e-12)


def test_krippendorff_two_raters_nominal_near_cohen():
    # Property: with two raters and no missing data, nominal alpha ~ Scott's pi ~ Cohen's kappa
    # for large n with equal marginals (Krippendorff 2011, sec. A).
    a, b = _raters(seed=4, n=5000)
    alpha = krippendorff_alpha(np.vstack([a, b]).astype(float)).estimate
    assert alpha == pytest.approx(cohen_kappa(a, b).estimate, abs=0.005)


# ------------------------------------------------------------------ judge vs human


def test_judge_agreement_against_sklearn():
    # Oracle: sklearn confusion_matrix and cohen_kappa_score.
    y, p = _raters(seed=6, k=2, agree=0.7)
    r = judge_agreement(y, p)
    np.testing.assert_array_equal(r.confusion, confusion_matrix(y, p))
    assert r.kappa.estimate == pytest.approx(cohen_kappa_score(y, p))
    assert r.observed_agreement == pytest.approx(np.mean(y == p))
    expected_chance = np.mean(y == 0) * np.mean(p == 0) + np.mean(y == 1) * np.mean(p == 1)
    assert r.chance_agreement == pytest.approx(expected_chance)
    assert r.recall[1] == pytest.approx(np.mean(p[y == 1] == 1))
    assert r.to_dict()["kappa"]["method"] == "cohen-kappa-none"


def test_judge_that_always_says_correct_has_zero_kappa():
    y = np.r_[np.ones(90), np.zeros(10)]
    r = judge_agreement(y, np.ones(100), labels=[0.0, 1.0])
    assert r.observed_agreement == 0.9 and r.chance_agreement == pytest.approx(0.9)
    assert r.kappa.estimate == pytest.approx(0.0)
    assert math.isnan(r.precision[0])


# ------------------------------------------------------------------ PPI


def test_ppi_matches_paper_closed_form():
    # Reference: Angelopoulos et al. (2023, Science), PPI mean estimate and interval:
    # theta = mean(f(X_u)) - mean(f(X) - Y); w = z * sqrt(var(f(X_u))/N + var(f(X) - Y)/n),
    # variances with 1/N, 1/n (numpy default), as the paper's algorithm and ppi_py's
    # ppi_mean_ci(lam=1) compute them.
    rng = np.random.default_rng(7)
    y = (rng.random(200) < 0.6).astype(float)
    yhat = np.where(rng.random(200) < 0.85, y, 1 - y)
    yu = (rng.random(5000) < 0.62).astype(float)
    r = ppi_mean(y, yhat, yu, confidence_level=0.9)
    theta = yu.mean() - (yhat - y).mean()
    w = 1.6448536269514722 * math.sqrt(yu.var() / 5000 + (yhat - y).var() / 200)
    assert r.estimate == pytest.approx(theta, abs=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((theta - w, theta + w), abs=1e-12)
    assert r.method == "ppi" and r.n == 200 and r.n_unlabeled == 5000
    # lam = 0 ignores the judge: the classical interval (ddof 0)
    r0 = ppi_mean(y, yhat, yu, lam=0.0, confidence_level=0.9)
    assert (r0.ci_low, r0.ci_high) == pytest.approx((r.classical_ci_low, r.classical_ci_high))


def test_ppi_tuned_lambda_formula():
    # Reference: PPI++ (Angelopoulos, Duchi & Zrnic 2023, eq. for the mean):
    # lambda* = Cov(Y, f) / ((1 + n/N) Var(f)), Var(f) over all predictions with ddof = 1 as in
    # ppi-python 0.2.3 (`_calc_lam_glm`: np.cov of the stacked predictions).
    rng = np.random.default_rng(8)
    y = rng.normal(size=300)
    yhat = 0.2 * y + rng.normal(size=300)  # a weak judge: lambda* is about 0.17
    yu = 0.2 * rng.normal(size=3000) + rng.normal(size=3000)
    r = ppi_mean(y, yhat, yu, lam="tuned")
    var_f = np.concatenate([yhat, yu]).var(ddof=1)
    lam = np.cov(y, yhat, ddof=0)[0, 1] / ((1 + 300 / 3000) * var_f)
    assert r.lam == pytest.approx(lam, rel=1e-12) and r.method == "ppi++"
    assert r.width < ppi_mean(y, yhat, yu).width  # the tuned weight helps a weak judge


def test_ppi_coverage_and_gain_by_simulation():
    # Simulation with known truth: E[Y] = 0.6; a biased judge (says 1 more often). PPI covers at
    # ~95% and is narrower than the labelled-only interval; the judge-only mean is biased.
    rng = np.random.default_rng(9)
    reps, hits, narrower = 1000, 0, 0
    for _ in range(reps):
        yall = (rng.random(20_200) < 0.6).astype(float)
        fall = np.where(yall == 1, rng.random(20_200) < 0.95, rng.random(20_200) < 0.2)
        y, f, fu = yall[:200], fall[:200].astype(float), fall[200:].astype(float)
        r = ppi_mean(y, f, fu)
        hits += r.ci_low <= 0.6 <= r.ci_high
        narrower += r.width < r.classical_ci_high - r.classical_ci_low
    assert abs(hits / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps)
    assert narrower / reps > 0.95


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("fn", "args", "kw", "match"),
    [
        (
            cohen_kappa,
            ([0, 1], [0, 1, 1]),
            {},
            r"`y1` and `y2` must have the same length; got 2 and 3",
        ),
        (cohen_kappa, ([[0, 1]], [0, 1]), {}, r"`y1` must be one-dimensional"),
        (cohen_kappa, ([], []), {}, r"`y1` must have at least 1 element"),
        (cohen_kappa, ([0.0, np.nan], [0, 1]), {}, r"`y1` contains 1 NaN label"),
        (
            cohen_kappa,
            ([0, 1], [0, 1]),
            {"weights": "cubic"},
            r"`weights` must be one of 'none', 'linear', 'quadratic'",
        ),
        (
            cohen_kappa,
            ([0, 1], [0, 2]),
            {"labels": [0, 1]},
            r"`labels` misses categories found in the data: \[2\]",
        ),
        (cohen_kappa, ([0, 1], [0, 1]), {"labels": [0]}, r"`labels` must list at least 2 distinct"),
        (cohen_kappa, ([0, 1], [0, 1]), {"confidence_level": 0}, r"`confidence_level` must be in"),
        (cohen_kappa, (np.array(["a", 1], dtype=object), [0, 1]), {}, r"labels must be comparable"),
        (judge_agreement, ([0, 1], [0]), {}, r"`y_true` and `y_pred` must have the same length"),
        (
            fleiss_kappa,
            ([[2, 1], [1, 1]],),
            {},
            r"same number of raters for every item; got row sums from 2 to 3",
        ),
        (fleiss_kappa, ([[1, 0], [0, 1]],), {}, r"needs at least 2 raters per item; got 1"),
        (fleiss_kappa, ([[2], [2]],), {}, r"needs at least 2 categories; got 1"),
        (fleiss_kappa, ([[2, -1], [1, 0]],), {}, r"`counts` must hold non-negative whole numbers"),
        (
            fleiss_kappa,
            ([[2, 1], [1, 2]],),
            {"n_resamples": 1},
            r"`n_resamples` must be an integer >= 2",
        ),
        (ratings_to_counts, ([1, 2],), {}, r"`ratings` must be a non-empty 2-D array"),
        (ratings_to_counts, ([[1.0, np.nan]],), {}, r"`ratings` contains 1 NaN label"),
        (
            ratings_to_counts,
            ([[1, 2]],),
            {"labels": [1]},
            r"`labels` misses categories found in the data: \[2\]",
        ),
        (
            krippendorff_alpha,
            ([[1, 2, 3]],),
            {"level": "metric"},
            r"`level` must be one of 'nominal'",
        ),
        (
            krippendorff_alpha,
            ([[1, np.nan], [np.nan, 2]],),
            {},
            r"no unit coded by at least 2 raters",
        ),
        (
            krippendorff_alpha,
            ([[-1, 2], [1, 2]],),
            {"level": "ratio"},
            r"must be >= 0 for the ratio level",
        ),
        (krippendorff_alpha, ([1, 2],), {}, r"`reliability_data` must have 2 dimension"),
        (
            ppi_mean,
            ([1, 0], [1, 0, 1], [1, 1]),
            {},
            r"`y` and `yhat` must have the same length; got 2 and 3",
        ),
        (ppi_mean, ([1, 0], [1, 0], [1]), {}, r"`yhat_unlabeled` must have at least 2 element"),
        (
            ppi_mean,
            ([1, 0], [1, 0], [1, 1]),
            {"lam": "auto"},
            r"`lam` must be one of 'tuned'; got 'auto'",
        ),
        (
            ppi_mean,
            ([1, 0], [1, 0], [1, 1]),
            {"lam": np.inf},
            r"`lam` must be a finite number or 'tuned'",
        ),
        (ppi_mean, ([1, np.nan], [1, 0], [1, 1]), {}, r"`y` contains 1 NaN"),
    ],
)
def test_bad_input(fn, args, kw, match):
    with pytest.raises(InputError, match=match):
        fn(*args, **kw)
