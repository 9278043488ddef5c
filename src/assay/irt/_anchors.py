"""Anchor designs: which k items of a benchmark stand for all of it.

Every design takes the reference models' scores (n_models, n_items) and returns the anchors'
indices and their weights for the anchor mean (the share of the benchmark each stands for):
stratified random samples over difficulty strata (plain, or with draws proportional to the
items' Fisher information), the k most informative items, and k-means clusters of the items'
response patterns (the item nearest each centroid, as tinyBenchmarks' "correctness" anchors,
or the most informative item near it). ``'auto'`` picks by ``k`` (see :func:`resolve_method`).
"""

from __future__ import annotations

import numpy as np

from assay.irt._results import IRTFit

__all__: list[str] = []

ANCHOR_METHODS = (
    "auto",
    "info-stratified",
    "info-cluster",
    "stratified",
    "cluster",
    "cluster-info",
    "information",
)
DEFAULT_ANCHOR_METHOD = "auto"
AUTO_CLUSTER_UP_TO = 100
"""'auto' uses 'cluster-info' anchors up to this k and 'info-stratified' above it: on MMLU-Pro (29
models, leave-one-model-out) 'cluster-info' gave the smaller p-IRT error at k = 50 and 100 on the
anchor seeds it was chosen on and on fresh ones; at k = 200 and 400 no design tried beat
'info-stratified' on fresh seeds (benchmarks/README.md, "Closer to the bound")."""
_N_DIFFICULTY_BINS = 20
_NEAR_SHARE = 0.25  # 'cluster-info': the share of a cluster, nearest its centroid, to choose from
_ANCHORS_PER_CLUSTER = 4  # 'info-cluster': k // 4 clusters serve as strata


def _allocate(sizes: np.ndarray, k: int) -> np.ndarray:
    """Largest-remainder proportional allocation of k draws over strata, at least 1 where possible."""
    share = sizes / sizes.sum() * k
    alloc = np.floor(share).astype(int)
    order = np.argsort(-(share - alloc), kind="stable")
    alloc[order[: k - alloc.sum()]] += 1
    return np.minimum(alloc, sizes)


def _stratified(values, strata, k, rng):
    if strata is None:  # difficulty strata: 20 quantile bins of the reference models' mean score
        strata = _difficulty_strata(values)
    labels, inv = np.unique(np.asarray(strata, dtype=str), return_inverse=True)
    sizes = np.bincount(inv, minlength=labels.size)
    alloc = _allocate(sizes, k)
    idx, w = [], []
    N = values.shape[1]
    for s in range(labels.size):
        if alloc[s] == 0:
            continue
        members = np.flatnonzero(inv == s)
        pick = rng.choice(members, size=alloc[s], replace=False)
        idx.extend(pick.tolist())
        w.extend([sizes[s] / N / alloc[s]] * alloc[s])
    return np.asarray(idx), np.asarray(w)


def _difficulty_strata(values):
    """20 quantile bins of the reference models' mean score per item."""
    mean = np.nanmean(values, axis=0)
    edges = np.nanquantile(mean, np.linspace(0, 1, _N_DIFFICULTY_BINS + 1)[1:-1])
    return np.searchsorted(edges, mean, side="right").astype(str)


def _info_stratified(values, fit, strata, k, rng, info=None):
    """Difficulty strata; within each, draws with probability proportional to expected information.

    The size measure of item i is its Fisher information averaged over the reference abilities,
    ``mean_j a_i^2 P_ij (1 - P_ij)`` (fixed a priori, not tuned). Weights for the anchor mean are
    the stratum's share times the inverse of the item's relative size (Hansen-Hurwitz), so the
    weighted mean stays (approximately) unbiased.
    """
    if strata is None:
        strata = _difficulty_strata(values)
    info = _mean_information(fit) if info is None else info
    info = np.where(np.isfinite(info) & (info > 0), info, 0.0) + 1e-12
    labels, inv = np.unique(np.asarray(strata, dtype=str), return_inverse=True)
    sizes = np.bincount(inv, minlength=labels.size)
    alloc = _allocate(sizes, k)
    idx, w = [], []
    N = values.shape[1]
    for s in np.flatnonzero(alloc):
        members = np.flatnonzero(inv == s)
        prob = info[members] / info[members].sum()
        pick = rng.choice(members, size=alloc[s], replace=False, p=prob)
        idx.extend(pick.tolist())
        rel = info[pick] / info[members].mean()  # relative size; 1 for an average item
        w.extend((sizes[s] / N / alloc[s] / rel).tolist())
    return np.asarray(idx), np.asarray(w)


def _information(values, fit, k, info=None):
    info = _mean_information(fit) if info is None else info
    idx = np.argsort(-info, kind="stable")[:k]
    return idx, np.full(k, 1.0 / k)


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur and Vassilvitskii 2007), as ``kmeans2(minit='++')`` draws it.

    The same random draws as scipy's ``_kpp`` (one integer, then one uniform per centroid), so
    the same centroids, but with a running minimum of the squared distances, each centroid's by
    one matrix-vector product: O(n k d) instead of scipy's O(n k^2 d), which made 400 clusters
    of 12,032 items take about 28 s.
    """
    init = np.empty((k, x.shape[1]))
    x2 = (x**2).sum(1)
    first = int(rng.integers(x.shape[0]))
    init[0] = x[first]
    d2 = _sq_dist(x, x2, x[first])
    cum = np.empty_like(d2)
    for i in range(1, k):
        np.cumsum(d2, out=cum)
        total = cum[-1]
        r = rng.uniform()
        if total > 0:
            j = int(np.searchsorted(cum, r * total))
        else:  # fewer distinct patterns than clusters: any point will do
            j = int(r * x.shape[0])
        init[i] = x[min(j, x.shape[0] - 1)]
        np.minimum(d2, _sq_dist(x, x2, init[i]), out=d2)
    return init


def _sq_dist(x: np.ndarray, x2: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distances of the rows of ``x`` (``x2 = |x|^2``) to ``c``, by one product."""
    d = x @ c
    d *= -2.0
    d += x2
    d += c @ c
    return np.maximum(d, 0.0, out=d)


def _lloyd(x: np.ndarray, code: np.ndarray, n_iter: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means as ``kmeans2(x, code, iter=n_iter, minit='matrix')`` runs it.

    Ten iterations of: each row to its nearest centroid, each centroid to its rows' mean (an
    empty cluster keeps its centroid). The distances come from one matrix product a step
    (``|c|^2 - 2 x.c``) and the sums from one sparse product, about twice as fast as scipy's
    ``vq`` loop on MMLU-Pro's 12,032 x 28 patterns; where two centroids are equally near a
    row, which binary patterns often are, rounding may pick the other one (tested: the same
    clustering where there are no ties, the same total distance on response patterns). Single
    precision was twice as fast again but broke more ties differently, and moved the
    leave-one-model-out error at k = 100 by 0.1 points (benchmarks/README.md).
    """
    from scipy import sparse

    n, k = x.shape[0], code.shape[0]
    rows = np.arange(n)
    ones = np.ones(n)
    for _ in range(n_iter):
        d = x @ (-2.0 * code.T)
        d += (code**2).sum(1)
        label = d.argmin(1)
        onehot = sparse.csr_matrix((ones, (label, rows)), shape=(k, n))
        counts = np.bincount(label, minlength=k)
        sums = onehot @ x
        has = counts > 0
        code = code.copy()
        code[has] = sums[has] / counts[has, None]
    return code, label


def _kmeans_items(values, k, rng):
    """k-means of the items' response patterns: (patterns (n_items, n_models), centroids, labels).

    A missing answer counts as the item's mean over the models that answered it.
    """
    x = np.where(
        np.isnan(values), np.nanmean(values, axis=0, keepdims=True), values
    ).T  # items x models
    x = np.ascontiguousarray(np.nan_to_num(x, nan=0.5))
    centroids, label = _lloyd(x, _kmeans_pp(x, k, rng))  # empty clusters: the callers skip them
    return x, centroids, label


def _clusters(label: np.ndarray, k: int):
    """The members of each non-empty cluster, in cluster order (one sort, not k scans)."""
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(k) if bounds[c + 1] > bounds[c]]


def _cluster(values, k, rng):
    x, centroids, label = _kmeans_items(values, k, rng)
    idx, w = [], []
    for members in _clusters(label, k):
        dist = ((x[members] - centroids[label[members[0]]]) ** 2).sum(1)
        idx.append(int(members[np.argmin(dist)]))
        w.append(members.size / x.shape[0])
    return np.asarray(idx), np.asarray(w)


def _cluster_info(values, fit, k, rng, info=None):
    """k-means clusters; from each, the most informative of the quarter of it nearest the centroid.

    The centroid's nearest item (``'cluster'``) stands for its cluster's response pattern but is
    often an item every or no reference model solved, which says little about an ability; the
    most informative item among the 25% nearest the centroid (by squared distance; the share is
    fixed a priori) keeps the representativeness and adds information. Weight: the cluster's
    share of the items.
    """
    x, centroids, label = _kmeans_items(values, k, rng)
    info = _mean_information(fit) if info is None else info
    info = np.where(np.isfinite(info), info, 0.0)
    idx, w = [], []
    for members in _clusters(label, k):
        dist = ((x[members] - centroids[label[members[0]]]) ** 2).sum(1)
        near = members[dist <= np.quantile(dist, _NEAR_SHARE)]
        idx.append(int(near[np.argmax(info[near])]))
        w.append(members.size / x.shape[0])
    return np.asarray(idx), np.asarray(w)


def _info_cluster(values, fit, k, rng, info=None):
    """'info-stratified' with k-means clusters of the response patterns as its strata.

    ``k // 4`` clusters (at least one) replace the 20 difficulty bins: a cluster holds items
    that the same reference models solve, so it stratifies by difficulty and by whatever else
    the references disagree on (subject, format). Within each, draws with probability
    proportional to information and Hansen-Hurwitz weights, as :func:`_info_stratified`.
    """
    _, _, label = _kmeans_items(values, max(1, k // _ANCHORS_PER_CLUSTER), rng)
    return _info_stratified(values, fit, label.astype(str), k, rng, info)


def resolve_method(method: str, k: int, *, strata_given: bool = False) -> str:
    """The design ``method`` stands for at ``k`` anchors.

    'auto' is 'cluster-info' up to ``AUTO_CLUSTER_UP_TO`` anchors and 'info-stratified' above,
    and 'info-stratified' over the strata a caller gave (clusters would ignore them); any other
    method stands for itself.
    """
    if method != "auto":
        return method
    if strata_given or k > AUTO_CLUSTER_UP_TO:
        return "info-stratified"
    return "cluster-info"


def _mean_information(fit: IRTFit) -> np.ndarray:
    """Each item's Fisher information averaged over the reference abilities."""
    return fit.information(fit.ability.estimate).mean(0)


def _choose(values, k, method, fit, strata, rng, info=None):
    """Anchor indices and weights (``info``: the items' mean information, if already computed)."""
    method = resolve_method(method, k)
    if method == "stratified":
        return _stratified(values, strata, k, rng)
    if method == "info-stratified":
        return _info_stratified(values, fit, strata, k, rng, info)
    if method == "information":
        return _information(values, fit, k, info)
    if method == "cluster-info":
        return _cluster_info(values, fit, k, rng, info)
    if method == "info-cluster":
        return _info_cluster(values, fit, k, rng, info)
    return _cluster(values, k, rng)
