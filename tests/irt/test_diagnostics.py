"""Item fit, the Lord-Wingersky recursion, item-total correlations and the audit's flags."""

import itertools

import numpy as np
import pytest
from scipy import special, stats

from assay import irt
from assay._core import InputError
from assay.irt._diagnostics import _leave_one_out, sum_score_distribution

from .conftest import simulate_2pl


def test_sum_score_distribution_matches_brute_force_enumeration():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, size=(6, 3))
    f = sum_score_distribution(p)
    brute = np.zeros((7, 3))
    for pat in itertools.product([0, 1], repeat=6):
        pat = np.array(pat)[:, None]
        brute[pat.sum()] += np.prod(np.where(pat == 1, p, 1 - p), axis=0)
    np.testing.assert_allclose(f, brute, atol=1e-14)
    loo = _leave_one_out(f, p)
    for i in range(6):
        direct = sum_score_distribution(np.delete(p, i, axis=0))
        np.testing.assert_allclose(loo[i], direct, atol=1e-10)


def test_item_total_correlation_matches_scipy(lsat):
    f = irt.fit(lsat, prior=None)
    r = irt.item_fit(f, lsat)
    for i in range(5):
        rest = np.delete(lsat, i, axis=1).mean(1)
        assert r.item_total[i] == pytest.approx(stats.pearsonr(lsat[:, i], rest)[0], abs=1e-12)


def test_fit_statistics_under_the_model_and_for_misfitting_items():
    y, theta, a, b = simulate_2pl(1500, 25, seed=3)
    rng = np.random.default_rng(1)
    # item 0 follows a non-monotone curve: easy for the middle, hard at both ends
    p0 = 0.85 * np.exp(-0.5 * (theta / 0.7) ** 2) + 0.1
    y[:, 0] = rng.random(1500) < p0
    # item 1 is a deterministic step (Guttman): more predictable than any logistic curve allows
    y[:, 1] = theta > 0.3
    f = irt.fit(y)
    r = irt.item_fit(f, y)
    good = slice(2, None)
    # mean squares average 1 under the model (Wright and Masters 1982)
    assert 0.85 < np.median(r.infit[good]) < 1.15 and 0.8 < np.median(r.outfit[good]) < 1.2
    assert r.infit[1] < 0.7 and r.outfit[1] < 0.7
    # S-X2: the non-monotone item is rejected; the others' p-values are not concentrated near 0
    assert r.sx2_pvalue[0] < 1e-6
    assert np.mean(r.sx2_pvalue[good] < 0.05) <= 0.2
    assert np.all(r.sx2_df[good] >= 10)
    au = irt.audit(y, fit=f)
    assert "misfit" in au.rows[0]["flags"]
    assert any("S-X2" in x for x in au.rows[0]["reasons"])


def test_sx2_pvalues_are_roughly_uniform_under_the_model():
    pvals = []
    for seed in range(3):
        y, *_ = simulate_2pl(1000, 20, seed=100 + seed)
        f = irt.fit(y, standard_errors=False)
        pvals.extend(irt.item_fit(f, y).sx2_pvalue)
    pvals = np.asarray(pvals)
    # 60 p-values under a correct model: a Kolmogorov-Smirnov test against U(0, 1) does not reject
    assert stats.kstest(pvals, "uniform").pvalue > 0.01


def test_sx2_not_computed_with_missing_or_too_many_items():
    y, *_ = simulate_2pl(200, 12, seed=4)
    y[0, 0] = np.nan
    f = irt.fit(y)
    r = irt.item_fit(f, y)
    assert np.isnan(r.sx2).all() and "every model to answer" in r.sx2_note
    cont = irt.fit(np.where(np.isnan(y), 0.5, y), model="continuous")
    assert "binary models" in irt.item_fit(cont, np.where(np.isnan(y), 0.5, y)).sx2_note


def test_audit_flags_with_reasons():
    # 1,500 models: the discrimination interval of a pure-noise item is narrow enough (SE ~0.07)
    # to lie below 0.25, as the flag now requires
    y, theta, a, b = simulate_2pl(1500, 40, seed=5)
    rng = np.random.default_rng(2)
    y[:, 0] = rng.random(1500) < special.expit(-2.0 * theta)  # reversed: a wrong key
    y[:, 1] = rng.random(1500) < 0.5  # pure noise
    y[:, 2] = 1.0
    y[:, 3] = 0.0
    au = irt.audit(y, alpha=0.01)
    flags = {r["item"]: r["flags"] for r in au.rows}
    assert flags["item 0"] == ["negative discrimination"]
    assert flags["item 1"][0] == "near-zero discrimination"
    assert flags["item 2"] == ["solved by every model"]
    assert flags["item 3"] == ["solved by no model"]
    assert au.rows[0]["reasons"][0].startswith("discrimination -")
    assert au.n_flagged == sum(bool(f) for f in flags.values())
    worst = au.flagged()
    assert worst[0]["item"] == "item 0"
    d = au.to_dict()
    assert d["n_flagged"] == au.n_flagged and len(d["rows"]) == 40


def test_graded_item_fit_uses_expected_scores(science):
    y = science[:, [0, 2, 3, 6]]
    f = irt.fit(y, model="grm")
    r = irt.item_fit(f, y)
    assert np.all((r.infit > 0.6) & (r.infit < 1.4))
    assert np.isnan(r.sx2).all()


def test_lr_test_errors(lsat):
    two = irt.fit(lsat, prior=None)
    one = irt.fit(lsat, model="1pl", prior=None)
    with pytest.raises(InputError, match="must have more parameters"):
        irt.lr_test(two, one)
    with pytest.raises(InputError, match="pure ML fits"):
        irt.lr_test(irt.fit(lsat, model="1pl"), two)
    with pytest.raises(InputError, match="same models and items"):
        irt.lr_test(irt.fit(lsat[:500], model="1pl", prior=None), two)
    holes = lsat.copy()
    holes[0, 0] = np.nan
    with pytest.raises(InputError, match="different responses"):
        irt.lr_test(irt.fit(holes, model="1pl", prior=None), two)


def test_item_fit_and_audit_errors(lsat):
    f = irt.fit(lsat, prior=None)
    with pytest.raises(InputError, match="has shape"):
        irt.item_fit(f, lsat[:10])
    with pytest.raises(InputError, match="has shape"):
        irt.audit(lsat[:10], fit=f)
    with pytest.raises(InputError, match="`min_discrimination` must be a non-negative number"):
        irt.audit(lsat, fit=f, min_discrimination=-1)
    with pytest.raises(InputError, match="`max_mean_square` must be a non-negative number"):
        irt.audit(lsat, fit=f, max_mean_square="x")
    with pytest.raises(InputError, match="`alpha` must be in"):
        irt.audit(lsat, fit=f, alpha=1.0)


def test_information_curves_match_finite_difference_fisher_information(science):
    # Fisher information = E[(d log P(Y) / d theta)^2], by finite differences over the categories
    f = irt.fit(science[:, [0, 2, 3, 6]], model="grm")
    t = np.array([-1.5, 0.0, 1.2])
    h = 1e-5

    def cat_probs(theta):
        z = f.discrimination[None, :, None] * theta[:, None, None] + f.intercept[None, :, :]
        s = special.expit(z)
        ones, zeros = np.ones(s.shape[:2] + (1,)), np.zeros(s.shape[:2] + (1,))
        ps = np.concatenate([ones, s, zeros], axis=2)
        return ps[..., :-1] - ps[..., 1:]

    P = cat_probs(t)
    dlog = (np.log(cat_probs(t + h)) - np.log(cat_probs(t - h))) / (2 * h)
    np.testing.assert_allclose(f.information(t), (P * dlog**2).sum(2), rtol=1e-5)
    three = irt.fit(simulate_2pl(800, 10, seed=6, c=0.2)[0], model="3pl")
    P3 = three.probability(t)
    dP = (three.probability(t + h) - three.probability(t - h)) / (2 * h)
    np.testing.assert_allclose(three.information(t), dP**2 / (P3 * (1 - P3)), rtol=1e-5)
