"""subset_sizes: how many items tell the same story (leave-one-model-out), against known truth."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import ztest

from assay._core import InputError
from assay.irt import subset_sizes, validate_subset
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
    return subset_sizes(y, ks=(10, 60, 299, 400), seeds=(0, 1))


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
    errs = [validate_subset(y, 60, rng=s).errors["irt"] for s in (0, 1)]
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
    strict = subset_sizes(y, ks=(10, 60, 299), seeds=(0, 1), tolerance=1e-9)
    assert strict.k_needed is None and strict.error_at_k is None
    loose = subset_sizes(y, ks=(10, 60, 299), seeds=(0, 1), tolerance=1.0)
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
    ],
)
def test_bad_input(sim, kwargs, match):
    y, _ = sim
    with pytest.raises(InputError, match=match):
        subset_sizes(y[:, :20], **kwargs)
