"""subset_sizes: how many items tell the same story (leave-one-model-out), against known truth."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import ztest

from assay._core import InputError
from assay.irt import fit as irt_fit
from assay.irt import subset_sizes, validate_subset
from assay.irt._refit import item_map, prior_of
from assay.irt._sizes import _separated

from .conftest import simulate_2pl


@pytest.fixture(scope="module")
def sim():
    # 8 models spread over abilities, 300 items: most pairs are separated by the full data
    y, theta, *_ = simulate_2pl(8, 300, seed=41)
    return y, theta


@pytest.fixture(scope="module")
def sizes(sim):
    y, _ = sim
    return subset_sizes(
        y, ks=(10, 60, 299, 400), seeds=(0, 1), refit="full", method="info-stratified"
    )


def test_separated_pairs_match_statsmodels_paired_z_test(sim):
    y, _ = sim
    y = y.copy()
    y[0, :40] = np.nan  # unequal overlap: the test uses the items both answered
    z = stats.norm.ppf(0.975)
    got = {(i, j): s for i, j, s in _separated(y, z)}
    for i in range(y.shape[0]):
        for j in range(i + 1, y.shape[0]):
            both = ~np.isnan(y[i]) & ~np.isnan(y[j])
            d = y[i, both] - y[j, both]
            zstat, p = ztest(d)  # statsmodels: mean / (sd(ddof=1) / sqrt(n))
            assert ((i, j) in got) == (p < 0.05)
            if (i, j) in got:
                assert got[(i, j)] == np.sign(zstat)


def test_nearly_all_items_reproduce_the_scores_and_the_ranking(sizes):
    # k = n - 1: p-IRT is the observed mean over all but one item plus one fitted probability,
    # so each error is at most 1/300 in absolute value and every separated pair keeps its order
    assert sizes.ks == (10, 60, 299)  # 400 is not below the number of items
    j = sizes.ks.index(299)
    assert sizes.max_abs[j] <= 1 / 300 + 1e-12
    assert sizes.pairs_kept[j] == 1.0
    assert sizes.n_separated > 10
    assert sizes.k_needed is not None and sizes.k_needed <= 299
    assert sizes.error_at_k == pytest.approx(sizes.mae[sizes.ks.index(sizes.k_needed)])
    # ten items cannot: the error is of the order of the binomial noise of 10 answers
    assert sizes.mae[0] > 0.05
    assert sizes.mae[0] > sizes.mae[1] > sizes.mae[2]


def test_errors_are_validate_subsets_and_the_summaries_follow_from_them(sim, sizes):
    y, _ = sim
    j = sizes.ks.index(60)
    errs = [validate_subset(y, 60, method="info-stratified", rng=s).errors["irt"] for s in (0, 1)]
    e = np.stack(errs)
    assert sizes.mae[j] == pytest.approx(np.mean(np.abs(e)))
    assert sizes.rmse[j] == pytest.approx(np.sqrt(np.mean(e**2)))
    est = sizes.truth[None, :] + e
    tau = np.mean([stats.kendalltau(r, sizes.truth).statistic for r in est])
    assert sizes.kendall_tau[j] == pytest.approx(tau)
    rows = sizes.rows()
    assert [r["k"] for r in rows] == list(sizes.ks)
    assert sizes.to_dict()["k_needed"] == sizes.k_needed


def test_tolerance_can_only_raise_the_size_needed(sim, sizes):
    y, _ = sim
    strict = subset_sizes(
        y, ks=(10, 60, 299), seeds=(0, 1), tolerance=1e-9, refit="full", method="info-stratified"
    )
    assert strict.k_needed is None and strict.error_at_k is None
    loose = subset_sizes(
        y, ks=(10, 60, 299), seeds=(0, 1), tolerance=1.0, refit="full", method="info-stratified"
    )
    assert loose.k_needed == sizes.k_needed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ks": (500,)}, "not below the number of items"),
        ({"ks": ("x",)}, "sequences of integers"),
        ({"ks": ()}, "non-empty"),
        ({"seeds": ()}, "non-empty"),
        ({"estimator": "median"}, "estimator"),
        ({"method": "best"}, "method"),
        ({"min_pairs_kept": 0}, "min_pairs_kept"),
        ({"tolerance": -1}, "tolerance"),
        ({"refit": "some"}, "`refit` must be one of"),
        ({"refit": "full", "fit": "x"}, "`fit` must be an IRTFit"),
    ],
)
def test_bad_input(sim, kwargs, match):
    y, _ = sim
    with pytest.raises(InputError, match=match):
        subset_sizes(y[:, :20], **kwargs)


def test_item_map_is_the_logistic_regression_at_known_abilities():
    # without a prior and with point abilities each item's (a, d) is the ML logistic regression
    # of its answers on the abilities; reference: statsmodels Logit
    import statsmodels.api as sm

    y, theta, *_ = simulate_2pl(60, 5, seed=43)
    a, d = item_map(y, theta, np.zeros(60), prior_of(None), (np.ones(5), np.zeros(5)))
    for i in range(5):
        res = sm.Logit(y[:, i], sm.add_constant(theta)).fit(disp=0)
        assert a[i] == pytest.approx(res.params[1], abs=1e-6)
        assert d[i] == pytest.approx(res.params[0], abs=1e-6)
    # missing answers are left out, as statsmodels does when the rows are dropped
    y2 = y.copy()
    y2[:10, 0] = np.nan
    a2, d2 = item_map(y2, theta, np.zeros(60), prior_of(None), (np.ones(5), np.zeros(5)))
    res = sm.Logit(y[10:, 0], sm.add_constant(theta[10:])).fit(disp=0)
    assert (a2[0], d2[0]) == pytest.approx((res.params[1], res.params[0]), abs=1e-6)


def test_fast_folds_agree_with_a_new_fit_per_fold(sim, sizes):
    # refit='items' re-estimates each fold's items at the all-models abilities instead of
    # refitting; on 8 x 300 (abilities known to about 0.1) its errors track the exact scheme's
    # (measured: MAE 0.077, 0.033, 0.0017 against 0.073, 0.040, 0.0015; 16 errors per size)
    # (the default 'auto' design clusters 7 models' answer patterns at these sizes, where item
    # parameters re-estimated either way change which items are picked; 'info-stratified'
    # draws from the same strata, so the two schemes can be compared)
    y, _ = sim
    fast = subset_sizes(y, ks=(10, 60, 299), seeds=(0, 1), method="info-stratified")
    assert fast.refit == "items" and sizes.refit == "full"
    assert fast.truth == pytest.approx(sizes.truth)
    np.testing.assert_allclose(fast.mae, sizes.mae[:3], rtol=0.15, atol=2e-3)
    assert fast.max_abs[2] <= 1 / 300 + 1e-12
    np.testing.assert_allclose(fast.pairs_kept, sizes.pairs_kept[:3], atol=0.1)


def test_a_fit_of_other_models_is_refused(sim):
    y, _ = sim
    other = irt_fit(y[:7])
    with pytest.raises(InputError, match="same models and items"):
        subset_sizes(y, ks=(10,), seeds=(0,), fit=other)
