"""Issue 18, point 1: anchor designs and estimators closer to the known-items bound.

The k-means++ seeding is checked against scipy's own (``kmeans2(minit='++')``, the outside
reference); the designs and estimators against simulated 2PL benchmarks with known truth.
"""

import warnings

import numpy as np
from scipy.cluster.vq import kmeans2

from assay.irt._subset import _cluster, _kmeans_pp

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


def test_kmeans_pp_with_fewer_distinct_patterns_than_clusters():
    # 3 distinct response patterns, 10 clusters: the seeding must still return 10 centroids
    x = np.repeat(np.eye(3), 20, axis=0)
    init = _kmeans_pp(x, 10, np.random.default_rng(0))
    assert init.shape == (10, 3)
    assert {tuple(r) for r in init} <= {tuple(r) for r in np.eye(3)}
    idx, w = _cluster(x.T, 10, np.random.default_rng(0))  # (models, items) as select_anchors passes
    assert len(set(idx.tolist())) == idx.size and np.isclose(w.sum(), 1.0)
