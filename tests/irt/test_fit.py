"""2PL, 1PL, 3PL, continuous and graded fits against published values, girth and independent integrals."""

import math
import warnings

import girth
import numpy as np
import pytest
from scipy import integrate, special, stats
from statsmodels.tools.numdiff import approx_hess2

from assay import irt
from assay._core import DegenerateDataWarning, InputError

from .conftest import simulate_2pl

# ltm(LSAT ~ z1), 21 Gauss-Hermite points: Rizopoulos (2006), J. Stat. Softw. 17(5), reproduced at
# https://rstudio-pubs-static.s3.amazonaws.com/1049111_d258e411eefe4ba085e3bbc59b32dbeb.html
LTM_B = [-3.3597341, -1.3696497, -0.2798983, -1.8659189, -3.1235725]
LTM_A = [0.8253715, 0.7229499, 0.8904748, 0.6885502, 0.6574516]
# factor.scores(), method "EB" (posterior mode and its SE) for four response patterns (same source)
LTM_EB = {
    (0, 0, 0, 0, 0): (-1.895, 0.795),
    (1, 1, 1, 1, 1): (0.606, 0.855),
    (1, 1, 0, 1, 1): (-0.022, 0.827),
    (0, 1, 1, 1, 1): (0.023, 0.828),
}


@pytest.fixture(scope="module")
def lsat_2pl(lsat):
    return irt.fit(lsat, prior=None)


def test_lsat_2pl_matches_ltm(lsat_2pl):
    # ltm integrates with 21 points, we with 41: agreement to the third decimal is what the rules allow
    np.testing.assert_allclose(lsat_2pl.difficulty, LTM_B, atol=0.01)
    np.testing.assert_allclose(lsat_2pl.discrimination, LTM_A, atol=0.005)
    assert lsat_2pl.converged


def test_lsat_map_abilities_match_ltm_empirical_bayes(lsat_2pl):
    patterns = np.array(list(LTM_EB), dtype=float)
    ab = irt.abilities(lsat_2pl, patterns, method="map")
    est, se = np.array(list(LTM_EB.values())).T
    np.testing.assert_allclose(ab.estimate, est, atol=0.005)
    np.testing.assert_allclose(ab.se, se, atol=0.005)


def test_lsat_2pl_matches_girth(lsat, lsat_2pl):
    # girth twopl_mml without its lookup table: both integrate N(0, 1) by quadrature
    g = girth.twopl_mml(lsat.T.astype(int), {"use_LUT": False, "max_iteration": 200})
    np.testing.assert_allclose(lsat_2pl.discrimination, g["Discrimination"], atol=0.003)
    np.testing.assert_allclose(lsat_2pl.difficulty, g["Difficulty"], atol=0.005)
    # girth's EAP abilities on its own 41-point grid against our adaptive-quadrature EAP
    np.testing.assert_allclose(lsat_2pl.ability.estimate, g["Ability"], atol=0.01)


def test_lsat_rasch_and_1pl_match_girth(lsat):
    rasch = irt.fit(lsat, model="1pl", discrimination=1.0, prior=None)
    g = girth.rasch_mml(lsat.T.astype(int), 1.0)
    # girth solves each difficulty by fminbound on [-6, 6] over its own quadrature
    np.testing.assert_allclose(rasch.difficulty, g["Difficulty"], atol=0.03)
    onepl = irt.fit(lsat, model="1pl", prior=None)
    g1 = girth.onepl_mml(lsat.T.astype(int))
    assert onepl.discrimination[0] == pytest.approx(g1["Discrimination"], abs=0.01)
    np.testing.assert_allclose(onepl.difficulty, g1["Difficulty"], atol=0.04)
    assert np.ptp(onepl.discrimination) == 0


def _pattern_loglik_quad(y, a, b):
    """Marginal log-likelihood by adaptive scipy quadrature, pattern by pattern (independent of our code)."""
    pats, counts = np.unique(y, axis=0, return_counts=True)
    total = 0.0
    for pat, n in zip(pats, counts):

        def f(t, pat=pat):
            p = special.expit(a * (t - b))
            return np.prod(np.where(pat == 1, p, 1 - p)) * stats.norm.pdf(t)

        total += n * math.log(integrate.quad(f, -10, 10, epsabs=1e-13, limit=200)[0])
    return total


def test_loglik_aic_bic_and_lr_test_against_scipy_integration(lsat, lsat_2pl):
    ll = _pattern_loglik_quad(lsat, lsat_2pl.discrimination, lsat_2pl.difficulty)
    assert lsat_2pl.loglik == pytest.approx(ll, abs=1e-4)
    assert lsat_2pl.aic == pytest.approx(-2 * ll + 2 * 10, abs=1e-3)
    assert lsat_2pl.bic == pytest.approx(-2 * ll + 10 * math.log(1000), abs=1e-3)
    onepl = irt.fit(lsat, model="1pl", prior=None)
    ll1 = _pattern_loglik_quad(lsat, onepl.discrimination, onepl.difficulty)
    t = irt.lr_test(onepl, lsat_2pl)
    assert t.df == 4
    assert t.statistic == pytest.approx(2 * (ll - ll1), abs=1e-3)
    assert t.pvalue == pytest.approx(stats.chi2.sf(2 * (ll - ll1), 4), abs=1e-4)
    assert t.pvalue > 0.5  # the 1PL is enough for LSAT


def test_item_standard_errors_match_numerical_hessian_of_an_independent_likelihood(lsat, lsat_2pl):
    # statsmodels' numerical Hessian of a marginal log-likelihood written here with numpy's
    # Gauss-Hermite rule, in the (a, b) parametrisation the SEs are reported in
    x, w = np.polynomial.hermite_e.hermegauss(61)
    w = w / w.sum()
    pats, counts = np.unique(lsat, axis=0, return_counts=True)

    def loglik(params):
        a, b = params[:5], params[5:]
        p = special.expit(a[None, :] * (x[:, None] - b[None, :]))
        lik = np.exp(pats @ np.log(p).T + (1 - pats) @ np.log(1 - p).T) @ w
        return float(counts @ np.log(lik))

    theta = np.concatenate([lsat_2pl.discrimination, lsat_2pl.difficulty])
    cov = np.linalg.inv(-approx_hess2(theta, loglik))
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(lsat_2pl.discrimination_se, se[:5], rtol=0.01)
    np.testing.assert_allclose(lsat_2pl.difficulty_se, se[5:], rtol=0.01)


def test_graded_response_model_matches_girth_on_science(science):
    y = science[:, [0, 2, 3, 6]]  # the four positively worded items, as in ltm's example
    f = irt.fit(y, model="grm", prior=None)
    g = girth.grm_mml(y.T.astype(int) + 1, {"use_LUT": False, "max_iteration": 1000})
    # girth integrates on [-4.5, 4.5] with 41 points and solves thresholds by integral equations
    np.testing.assert_allclose(f.discrimination, g["Discrimination"], atol=0.03)
    np.testing.assert_allclose(f.difficulty, g["Difficulty"], atol=0.05)
    assert f.difficulty.shape == (4, 3)
    assert np.all(np.diff(f.difficulty, axis=1) > 0)
    assert np.all(np.isfinite(f.discrimination_se)) and np.all(f.difficulty_se > 0)


def test_graded_response_model_matches_girth_on_simulation():
    rng = np.random.default_rng(3)
    theta = rng.normal(size=800)
    a = rng.uniform(0.8, 2.0, 6)
    b = np.sort(rng.normal(size=(6, 3)), axis=1)
    cum = special.expit(a[None, :, None] * (theta[:, None, None] - b[None]))
    y = (rng.random((800, 6))[..., None] < cum).sum(2).astype(float)
    f = irt.fit(y, model="grm", prior=None)
    g = girth.grm_mml(y.T.astype(int) + 1, {"use_LUT": False, "max_iteration": 1000})
    np.testing.assert_allclose(f.discrimination, g["Discrimination"], atol=0.03)
    np.testing.assert_allclose(f.difficulty, g["Difficulty"], atol=0.05)
    assert np.corrcoef(f.difficulty.ravel(), b.ravel())[0, 1] > 0.97


def test_2pl_matches_girth_on_simulation():
    y, theta, a, b = simulate_2pl(400, 30, seed=5)
    f = irt.fit(y, prior=None)
    g = girth.twopl_mml(y.T.astype(int), {"use_LUT": False, "max_iteration": 500})
    np.testing.assert_allclose(f.discrimination, g["Discrimination"], atol=0.02)
    np.testing.assert_allclose(f.difficulty, g["Difficulty"], atol=0.02)


def test_recovery_and_coverage_500_by_100():
    y, theta, a, b = simulate_2pl(500, 100, seed=1)
    f = irt.fit(y)
    assert np.corrcoef(f.difficulty, b)[0, 1] > 0.98
    assert np.corrcoef(f.discrimination, a)[0, 1] > 0.85
    assert np.corrcoef(f.ability.estimate, theta)[0, 1] > 0.97
    cover = np.mean((f.ability.ci_low <= theta) & (theta <= f.ability.ci_high))
    assert 0.92 <= cover <= 0.98  # 95% posterior intervals, 500 draws: binomial SD about 1 point
    cover_b = np.mean(np.abs(f.difficulty - b) <= 1.96 * f.difficulty_se)
    cover_a = np.mean(np.abs(f.discrimination - a) <= 1.96 * f.discrimination_se)
    assert cover_b >= 0.85 and cover_a >= 0.85


def test_missing_responses_are_masked_not_imputed():
    y, theta, a, b = simulate_2pl(600, 60, seed=2)
    rng = np.random.default_rng(9)
    holes = y.copy()
    holes[rng.random(y.shape) < 0.3] = np.nan
    f = irt.fit(holes)
    assert f.n_responses == int(np.isfinite(holes).sum())
    assert np.corrcoef(f.difficulty, b)[0, 1] > 0.97
    assert np.corrcoef(f.ability.estimate, theta)[0, 1] > 0.93
    np.testing.assert_array_equal(f.ability.n, np.isfinite(holes).sum(1))


def test_3pl_recovers_guessing_and_fixed_guessing():
    y, theta, a, b = simulate_2pl(3000, 20, seed=4, a_range=(1.2, 2.2), c=0.25)
    f = irt.fit(y, model="3pl", n_choices=4)
    assert abs(np.median(f.guessing) - 0.25) < 0.06
    assert np.corrcoef(f.difficulty, b)[0, 1] > 0.95
    fixed = irt.fit(y, model="3pl", guessing="fixed", n_choices=4)
    np.testing.assert_allclose(fixed.guessing, 0.25)
    assert fixed.n_params == 40 and f.n_params == 60


def test_continuous_model_on_fractional_scores():
    rng = np.random.default_rng(6)
    theta = rng.normal(size=500)
    b = rng.normal(size=40)
    p = special.expit(1.5 * (theta[:, None] - b))
    scores = rng.binomial(4, p) / 4.0  # partial credit out of 4
    f = irt.fit(scores, model="continuous")
    assert np.corrcoef(f.difficulty, b)[0, 1] > 0.97
    assert np.corrcoef(f.ability.estimate, theta)[0, 1] > 0.95
    with pytest.raises(InputError, match="binary scores"):
        irt.fit(scores, model="2pl")


def test_jml_agrees_with_mml_on_a_long_test():
    y, theta, a, b = simulate_2pl(300, 300, seed=8)
    mml = irt.fit(y, standard_errors=False)
    jml = irt.fit(y, method="jml")
    assert np.corrcoef(jml.difficulty, mml.difficulty)[0, 1] > 0.99
    assert np.corrcoef(jml.ability.estimate, mml.ability.estimate)[0, 1] > 0.99
    assert jml.method == "jml" and "jml" in jml.se_method


def test_identification_reflects_a_reversed_scale():
    y, theta, a, b = simulate_2pl(400, 30, seed=11)
    f = irt.fit(1 - y)  # every item reversed: still positive slopes, ability now runs the other way
    assert np.median(f.discrimination) > 0
    assert np.corrcoef(f.ability.estimate, theta)[0, 1] < -0.9


def test_degenerate_items_stay_finite_with_the_weak_prior():
    y, _, _, _ = simulate_2pl(50, 20, seed=12)
    y[:, 0] = 1
    y[:, 1] = 0
    f = irt.fit(y)
    assert np.isfinite(f.difficulty).all() and f.difficulty[0] < -2 and f.difficulty[1] > 2


def test_ml_abilities_and_score_matrix_input(lsat):
    from assay._core import ScoreMatrix

    m = ScoreMatrix(
        models=tuple(f"p{i:04d}" for i in range(1000)), items=tuple("abcde"), values=lsat
    )
    f = irt.fit(m, prior=None, abilities="ml")
    assert f.items == tuple("abcde") and f.models[0] == "p0000"
    assert f.ability.method == "ml"
    perfect = f.ability.estimate[np.all(lsat == 1, axis=1)]
    assert np.all(perfect > 2)  # no prior: the all-correct pattern runs to the bound


def test_nonconvergence_warns(lsat):
    with pytest.warns(DegenerateDataWarning, match="did not converge"):
        irt.fit(lsat, max_iter=1, prior=None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "4pl"}, "`model` must be one of"),
        ({"method": "vi"}, "`method` must be one of"),
        ({"abilities": "wle"}, "`abilities` must be one of"),
        ({"n_quad": 2}, "`n_quad` must be an integer >= 5"),
        ({"tol": 0}, "`tol` must be a positive number"),
        ({"prior": "strong"}, "`prior` must be 'weak', None or a dict"),
        ({"prior": {"a_sd": -1}}, "`prior` as a dict"),
        ({"missing": "raise", "scores": [[1, np.nan], [0, 1]]}, "missing response"),
        ({"missing": "drop"}, "`missing` must be one of"),
        ({"model": "1pl", "discrimination": -1}, "`discrimination` must be a positive number"),
        ({"model": "3pl", "guessing": "fixed"}, "needs `n_choices`"),
        ({"model": "3pl", "guessing": "maybe"}, "`guessing` must be one of"),
        ({"n_choices": 1}, "`n_choices` must be an integer >= 2"),
        ({"backend": "jax"}, "`backend` must be one of"),
        ({"device": "cuda"}, "needs backend='torch'"),
        ({"dtype": "float16"}, "`dtype` must be"),
        ({"confidence_level": 1.5}, "`confidence_level` must be in"),
        ({"scores": [[1, 0, 1]]}, "at least 2 models and 2 items"),
        ({"scores": [[1, np.nan], [0, np.nan]]}, "has no response from any model"),
        ({"scores": [[np.nan, np.nan], [0, 1]]}, "answered no item"),
        ({"scores": [[0.5, 1], [0, 1]]}, "needs binary scores"),
        ({"scores": [[1.5, 1], [0, 1]], "model": "continuous"}, r"needs scores in \[0, 1\]"),
        ({"scores": [[1.5, 1], [0, 1]], "model": "grm"}, "needs ordinal scores"),
        ({"scores": [[0, 0], [0, 0]], "model": "grm"}, "at least 2 categories"),
        (
            {"scores": [[0, 2], [1, 0], [2, 2]], "model": "grm", "method": "jml"},
            "method='mml' on backend='numpy'",
        ),
        (
            {"scores": [[0, 2], [0, 0], [2, 2]], "model": "grm", "prior": None},
            "never uses category 1",
        ),
        ({"items": ["a"]}, "`items` has 1 names"),
        ({"models": ["a"]}, "`models` has 1 names"),
        ({"scores": "abc"}, "`scores` must be numeric"),
    ],
)
def test_fit_errors(kwargs, message):
    kwargs = dict(kwargs)
    scores = kwargs.pop("scores", [[1, 0, 1], [0, 0, 1], [1, 1, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with pytest.raises(InputError, match=message):
            irt.fit(scores, **kwargs)


def test_abilities_errors(lsat_2pl):
    with pytest.raises(InputError, match="has 3 columns but the fit has 5 items"):
        irt.abilities(lsat_2pl, np.ones((2, 3)))
    with pytest.raises(InputError, match="answered none of the fit's items"):
        irt.abilities(lsat_2pl, np.full((1, 5), np.nan))
    with pytest.raises(InputError, match="`method` must be one of"):
        irt.abilities(lsat_2pl, np.ones((1, 5)), method="wle")
    with pytest.raises(InputError, match="binary scores"):
        irt.abilities(lsat_2pl, np.full((1, 5), 0.5))


def test_result_to_dict_is_json_safe(lsat_2pl):
    import json

    d = lsat_2pl.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["n_items"] == 5 and "discrimination" not in d
    assert "discrimination" in lsat_2pl.to_dict(arrays=True)
    rows = lsat_2pl.item_rows()
    assert rows[0]["item"] == "item 0" and rows[0]["difficulty"] == pytest.approx(
        lsat_2pl.difficulty[0]
    )
    # probability and information: information is the derivative of P times a
    t = np.array([-1.0, 0.0, 1.0])
    h = 1e-5
    dp = (lsat_2pl.probability(t + h) - lsat_2pl.probability(t - h)) / (2 * h)
    np.testing.assert_allclose(lsat_2pl.information(t), dp * lsat_2pl.discrimination, rtol=1e-5)
