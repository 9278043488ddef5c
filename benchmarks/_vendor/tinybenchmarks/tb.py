"""tinyBenchmarks' own procedure, vendored for the side-by-side benchmark (benchmarks/irt.py --peer).

From felipemaiapolo/tinyBenchmarks at commit e9a8b10 (MIT, see LICENSE here; Polo et al. 2024,
arXiv:2402.14992). ``sigmoid`` and ``item_curve`` are ``tutorials/utils.py`` verbatim;
``estimate_ability_parameters`` is ``tutorials/irt.py`` verbatim; ``anchor_points``,
``get_lambda``, ``gpirt_lambda``, ``validation_error`` and ``estimates`` are the cells of
``tutorials/anchor_points.ipynb``, ``training_irt.ipynb`` and ``estimating_performance.ipynb``
in a function each, for one scenario with uniform balance weights (MMLU-Pro's score is the plain
mean over items). Changes are marked ``# assay:``.
"""

import numpy as np
from scipy.optimize import minimize
from sklearn.cluster import KMeans
from sklearn.metrics.pairwise import pairwise_distances


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def item_curve(theta, a, b):
    z = np.clip(a * theta - b, -30, 30).sum(axis=1)
    return sigmoid(z)


def estimate_ability_parameters(responses_test, A, B, theta_init=None, eps=1e-10, optimizer="BFGS"):
    D = A.shape[1]

    # Define the negative log likelihood function
    def neg_log_like(x):
        P = item_curve(x.reshape(1, D, 1), A, B).squeeze()
        log_likelihood = np.sum(
            responses_test * np.log(P + eps) + (1 - responses_test) * np.log(1 - P + eps)
        )
        return -log_likelihood

    # Ensure the initial theta is a numpy array with the correct shape
    if type(theta_init) == np.ndarray:  # noqa: E721
        theta_init = theta_init.reshape(-1)
        assert theta_init.shape[0] == D
    else:
        theta_init = np.zeros(D)

    optimal_theta = minimize(neg_log_like, theta_init, method=optimizer).x[None, :, None]
    return optimal_theta


def anchor_points(A, B, number_item, random_state):
    """anchor_points.ipynb, clustering='irt': k-means on the items' IRT embeddings.

    A: (1, D, N), B: (1, D, N) as returned by load_irt_parameters. Returns (anchor indices,
    anchor weights).
    """
    # assay: the notebook stacks A with B reshaped to one row, i.e. one difficulty per item in
    # the authors' py-irt fork; with PyPI py-irt's per-dimension difficulties the item's offset
    # in item_curve is sum_d B_d, which is that one number.
    X = np.vstack((A.squeeze(0), B.squeeze(0).sum(axis=0).reshape((1, -1)))).T
    norm_balance_weights = np.ones(X.shape[0])  # assay: one scenario, no sub-scenarios
    norm_balance_weights /= norm_balance_weights.sum()
    kmeans = KMeans(n_clusters=number_item, n_init="auto", random_state=random_state)
    kmeans.fit(X, sample_weight=norm_balance_weights)
    points = pairwise_distances(kmeans.cluster_centers_, X, metric="euclidean").argmin(axis=1)
    weights = np.array([np.sum(norm_balance_weights[kmeans.labels_ == c]) for c in range(number_item)])
    return points, weights


def get_lambda(b, v):
    return (b**2) / (v + (b**2))


def validation_error(Y_val, A, B):
    """training_irt.ipynb's validation error for one scenario (errors2 for the chosen D).

    Abilities from the even items, mean absolute error of the predicted accuracy on the odd ones.
    """
    seen_items = list(range(0, Y_val.shape[1], 2))
    unseen_items = list(range(1, Y_val.shape[1], 2))
    errs = []
    for j in range(Y_val.shape[0]):
        seen = [s for s in seen_items if not np.isnan(Y_val[j, s])]  # assay: skip unanswered
        unseen = [u for u in unseen_items if not np.isnan(Y_val[j, u])]
        theta = estimate_ability_parameters(Y_val[j][seen], A[:, :, seen], B[:, :, seen])
        errs.append(abs(item_curve(theta, A, B)[0, unseen].mean() - Y_val[j, unseen].mean()))
    return float(np.mean(errs))


def gpirt_lambda(Y_train, b, number_item):
    """training_irt.ipynb: lambda = b^2 / (v / (4 k) + b^2)."""
    v = np.nanvar(Y_train, axis=1).mean()  # assay: nanvar (unanswered cells)
    return get_lambda(b, v / (4 * number_item))


def estimates(y_test, points, weights, A, B, lambd):
    """estimating_performance.ipynb for one new model: anchor mean ('irt'), p-IRT, gp-IRT."""
    N = A.shape[2]
    seen_items = list(points)
    seen_set = set(seen_items)  # assay: a set, for speed
    unseen_items = [i for i in range(N) if i not in seen_set]
    pred = float((y_test[points] * weights).sum())
    theta = estimate_ability_parameters(y_test[seen_items], A[:, :, seen_items], B[:, :, seen_items])
    pirt_lambd = len(points) / N
    data_part = y_test[seen_items].mean()
    irt_part = item_curve(theta, A, B)[0, unseen_items].mean()
    pirt = float(pirt_lambd * data_part + (1 - pirt_lambd) * irt_part)
    return {"mean": pred, "irt": pirt, "gp-irt": float(lambd * pred + (1 - lambd) * pirt)}
