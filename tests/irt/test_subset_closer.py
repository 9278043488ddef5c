"""Issue 18, point 1: anchor designs and estimators closer to the known-items bound.

The k-means++ seeding is checked against scipy's own (``kmeans2(minit='++')``, the outside
reference); the designs and estimators against simulated 2PL benchmarks with known truth.
"""

import warnings

import numpy as np
import pytest
from scipy import special
from scipy.cluster.vq import kmeans2

from assay import irt
from assay._core import DegenerateDataWarning
from assay.irt._anchors import (
    AUTO_CLUSTER_UP_TO,
    DEFAULT_ANCHOR_METHOD,
    _cluster,
    _cluster_info,
    _info_cluster,
    _kmeans_items,
    _kmeans_pp,
    resolve_method,
)
from assay.irt._subset import SUBSET_PRIOR

from .conftest import simulate_2pl


def test_kmeans_pp_seeding_is_scipys():
    # scipy.cluster.vq.kmeans2(minit='++') is the reference: the same random draws give the
    # same centroids and labels, only faster (a running minimum of the squared distances).
    y, *_ = simulate_2pl(28, 2000, seed=3)
    x = y.T
    for k in (5, 60):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c_ref, lab_ref = kmeans2(x, k, minit="++", rng=np.random.default_rng(7))
            c, lab = kmeans2(x, _kmeans_pp(x, k, np.random.default_rng(7)), minit="matrix")
        np.testing.assert_array_equal(lab, lab_ref)
        np.testing.assert_allclose(c, c_ref)


def test_lloyd_is_scipys_kmeans2():
    # scipy.cluster.vq.kmeans2(x, init, minit='matrix') (10 iterations) is the reference. Where no
    # two centroids are equally near a point (continuous data) the labels and centroids are its
    # own; on binary response patterns, where ties are common, rounding may assign a tied point
    # to the other centroid, so there the clustering must be as good (same total distance).
    from assay.irt._anchors import _lloyd

    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(m, 1.0, (300, 4)) for m in (-3, 0, 3)])
    init = _kmeans_pp(x, 9, np.random.default_rng(2))
    c_ref, lab_ref = kmeans2(x, init, minit="matrix")
    c, lab = _lloyd(x, init)
    np.testing.assert_array_equal(lab, lab_ref)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-12)

    y, *_ = simulate_2pl(28, 2000, seed=3)
    x = np.ascontiguousarray(y.T, dtype=float)
    init = _kmeans_pp(x, 60, np.random.default_rng(7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about empty clusters
        c_ref, lab_ref = kmeans2(x, init, minit="matrix")
    c, lab = _lloyd(x, init)
    inertia = lambda c, lab: ((x - c[lab]) ** 2).sum()  # noqa: E731
    assert inertia(c, lab) == pytest.approx(inertia(c_ref, lab_ref), rel=0.01)
    assert (lab == lab_ref).mean() > 0.9


def test_kmeans_pp_with_fewer_distinct_patterns_than_clusters():
    # 3 distinct response patterns, 10 clusters: the seeding must still return 10 centroids
    x = np.repeat(np.eye(3), 20, axis=0)
    init = _kmeans_pp(x, 10, np.random.default_rng(0))
    assert init.shape == (10, 3)
    assert {tuple(r) for r in init} <= {tuple(r) for r in np.eye(3)}
    idx, w = _cluster(x.T, 10, np.random.default_rng(0))  # (models, items) as select_anchors passes
    assert len(set(idx.tolist())) == idx.size and np.isclose(w.sum(), 1.0)


def _bifactor(n_ref, n_new, n_items, *, n_groups, specific, seed):
    """2PL on a general ability plus one of ``n_groups`` specific abilities per item (known truth).

    theta_ji = g_j + specific * s_j,group(i); g, s ~ N(0, 1); a ~ U(0.5, 2.5); b ~ N(0, 1.2^2).
    With ``specific = 0`` it is a unidimensional 2PL.
    """
    rng = np.random.default_rng(seed)
    n = n_ref + n_new
    g, s = rng.normal(size=(n, 1)), rng.normal(size=(n, n_groups))
    a, b = rng.uniform(0.5, 2.5, n_items), rng.normal(0, 1.2, n_items)
    theta = g + specific * s[:, rng.integers(0, n_groups, n_items)]
    y = (rng.random((n, n_items)) < special.expit(a * (theta - b))).astype(float)
    return y[:n_ref], y[n_ref:]


def _mae(ref, new, fit, k, method, seeds):
    truth = new.mean(1)
    err = []
    for s in seeds:
        sub = irt.select_anchors(ref, k, method=method, fit=fit, rng=s)
        est = irt.estimate_accuracy(sub, new[:, sub.indices], method="irt").estimate
        err.append(np.abs(est - truth))
    return float(np.mean(err))


@pytest.fixture(scope="module")
def bifactor():
    """28 reference models (as on MMLU-Pro) and 60 new ones; 1,500 items in 4 specific groups."""
    ref, new = _bifactor(28, 60, 1500, n_groups=4, specific=0.8, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fit = irt.fit(ref, standard_errors=False, prior=SUBSET_PRIOR)
    return ref, new, fit


def test_auto_chooses_the_design_by_size(bifactor):
    ref, _, fit = bifactor
    assert DEFAULT_ANCHOR_METHOD == "auto"
    assert resolve_method("auto", AUTO_CLUSTER_UP_TO) == "cluster-info"
    assert resolve_method("auto", AUTO_CLUSTER_UP_TO + 1) == "info-stratified"
    assert resolve_method("auto", 50, strata_given=True) == "info-stratified"
    assert resolve_method("stratified", 50) == "stratified"
    small = irt.select_anchors(ref, 40, fit=fit, rng=0)
    large = irt.select_anchors(ref, 160, fit=fit, rng=0)
    assert (small.method, large.method) == ("cluster-info", "info-stratified")  # the design used
    given = irt.select_anchors(ref, 40, fit=fit, rng=0, strata=np.arange(1500) % 3)
    assert given.method == "info-stratified"


def test_cluster_info_takes_the_most_informative_item_near_each_centroid(bifactor):
    ref, _, fit = bifactor
    idx, w = _cluster_info(ref, fit, 30, np.random.default_rng(4))
    x, centroids, label = _kmeans_items(ref, 30, np.random.default_rng(4))
    info = fit.information(fit.ability.estimate).mean(0)
    assert np.isclose(w.sum(), 1.0) and idx.size == np.unique(label).size
    for i, wi in zip(idx, w, strict=True):
        members = np.flatnonzero(label == label[i])
        dist = ((x[members] - centroids[label[i]]) ** 2).sum(1)
        near = members[dist <= np.quantile(dist, 0.25)]
        assert i == near[np.argmax(info[near])]
        assert wi == pytest.approx(members.size / ref.shape[1])


def test_info_cluster_stratifies_by_answer_pattern_clusters(bifactor):
    ref, _, fit = bifactor
    k = 120
    idx, w = _info_cluster(ref, fit, k, np.random.default_rng(5))
    _, _, label = _kmeans_items(ref, k // 4, np.random.default_rng(5))
    sizes = np.bincount(label, minlength=k // 4)
    got = np.bincount(label[idx], minlength=k // 4)
    assert idx.size == k == len(set(idx.tolist()))
    # proportional allocation: each cluster's share of anchors is its share of items, +-1
    assert np.all(np.abs(got - sizes / sizes.sum() * k) < 1 + 1e-9)


def test_info_cluster_beats_difficulty_strata_when_items_have_specific_factors(bifactor):
    # Known truth: the new models' accuracy on all 1,500 items. Difficulty strata ignore which
    # group an item measures, so a draw can over-represent one specific ability; clusters of
    # answer patterns balance them. Measured (8 anchor seeds x 60 models, k = 160): MAE 2.47
    # points with 'info-cluster' against 2.82 with 'info-stratified' on this simulation (seed
    # 8), 2.22 against 2.71 and 2.23 against 2.69 with seeds 9 and 10. (On MMLU-Pro the same
    # comparison was not confirmed on fresh anchor seeds, so 'auto' does not use it; and the
    # half of 'auto' that changed, 'cluster-info' up to k = 100, has no simulation here that
    # it reliably wins: with the 2PL true it won at k = 50 on one of three simulated data sets
    # and lost on another. Its case rests on MMLU-Pro, benchmarks/README.md.)
    ref, new, fit = bifactor
    seeds = range(8)
    new_design, old = (
        _mae(ref, new, fit, 160, m, seeds) for m in ("info-cluster", "info-stratified")
    )
    assert new_design < 0.9 * old
