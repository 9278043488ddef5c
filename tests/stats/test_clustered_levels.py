"""CR2 with Imbens-Kolesar df for unequal clusters; warning from the effective number of clusters.

Issue 24, point 2. The full coverage study is in ``benchmarks/coverage.py`` (table in
``benchmarks/README.md``); here are the formulas against a dense reference and a fast fixed-seed
version of the study.
"""

import warnings

import numpy as np
import pytest
from scipy import linalg, stats
from scipy.special import expit, logit

from assay._core import DegenerateDataWarning
from assay.stats._clustered import _df_imbens_kolesar, clustered_mean_ci


def _dense_cr2(x, codes, rho):
    """CR2 SE and Bell-McCaffrey df from the general regression formulas, written densely.

    Bell & McCaffrey (2002), eq. for V_BRL with A_g = (I - H_gg)^{-1/2}; Imbens & Kolesar (2016),
    sec. IV: df = (sum lambda)^2 / sum lambda^2, lambda the eigenvalues of G' Omega G, the columns
    of G being (I - H)_{., g} A_g X_g (X'X)^{-1} l, Omega = (1 - rho) I + rho blockdiag(J).
    """
    n = x.size
    xmat = np.ones((n, 1))
    xtx_inv = np.linalg.inv(xmat.T @ xmat)
    hat = xmat @ xtx_inv @ xmat.T
    e = x - hat @ x
    gmat, meat = [], 0.0
    for g in np.unique(codes):
        idx = np.flatnonzero(codes == g)
        a_g = np.real(linalg.inv(linalg.sqrtm(np.eye(idx.size) - hat[np.ix_(idx, idx)])))
        meat += (xmat[idx].T @ a_g @ e[idx]) ** 2
        col = (np.eye(n) - hat)[:, idx] @ a_g @ xmat[idx] @ xtx_inv
        gmat.append(col[:, 0])
    gmat = np.array(gmat).T
    omega = (1 - rho) * np.eye(n) + rho * (codes[:, None] == codes[None, :])
    lam = np.linalg.eigvalsh(gmat.T @ omega @ gmat)
    se = float(np.sqrt(xtx_inv[0, 0] ** 2 * meat[0]))
    return se, float(lam.sum() ** 2 / np.sum(lam**2))


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.9])
def test_cr2_and_df_equal_the_dense_regression_formulas(rho):
    # Oracle: the dense matrix formulas above (matrix square roots with scipy.linalg.sqrtm).
    rng = np.random.default_rng(1)
    sizes = np.array([1, 2, 3, 5, 8, 13, 21, 2, 4])
    codes = np.repeat(np.arange(sizes.size), sizes)
    x = rng.normal(size=sizes.size)[codes] + rng.normal(size=codes.size)
    se_ref, df_ref = _dense_cr2(x, codes, rho)
    assert _df_imbens_kolesar(sizes, rho) == pytest.approx(df_ref, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = clustered_mean_ci(x, codes)
    assert res.se == pytest.approx(se_ref, rel=1e-10)
    assert res.method == "cr2"


def test_bell_mccaffrey_df_with_equal_clusters_is_g_minus_1():
    # Known case: with G equal clusters and rho = 0 the Bell-McCaffrey df is G - 1 and CR2 equals
    # CR1 (for a mean, 1 / (1 - 1/G) = G / (G - 1)).
    assert _df_imbens_kolesar(np.full(12, 7), 0.0) == pytest.approx(11.0, rel=1e-12)
    assert _df_imbens_kolesar(np.full(12, 7), 0.5) == pytest.approx(11.0, rel=1e-12)
    x = np.random.default_rng(2).normal(size=84)
    codes = np.repeat(np.arange(12), 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        cr1 = clustered_mean_ci(x, codes, method="cr1")
        cr2 = clustered_mean_ci(x, codes)
    assert cr2.se == pytest.approx(cr1.se, rel=1e-12)


def _issue_sizes():
    """91 clusters, 12,032 items, lognormal sizes from 4 to 1,569 (median about 50): the shape
    of MMLU-Pro's `src` field that issue 24 measured."""
    z = stats.norm.ppf((np.arange(91) + 0.5) / 91)
    s = np.clip(47 * np.exp(1.38 * z), 4, None)
    s[-1] = 1569
    mid = (s > 4) & (s < 1569)
    s[mid] *= (12032 - s[~mid].sum()) / s[mid].sum()
    s = np.round(s).astype(int)
    s[45] += 12032 - s.sum()
    return s


def test_unequal_clusters_warn_from_the_effective_number():
    # Before: the warning fired only below 30 clusters; 91 clusters never warned although a few
    # large clusters carry the mean (CR1 covered 91%).
    sizes = _issue_sizes()
    codes = np.repeat(np.arange(sizes.size), sizes)
    rng = np.random.default_rng(3)
    x = (rng.random(codes.size) < expit(logit(0.6) + rng.normal(0, 0.8, 91)[codes])).astype(float)
    with pytest.warns(DegenerateDataWarning, match=r"91 clusters, worth \d+\.\d equal clusters"):
        res = clustered_mean_ci(x, codes)
    assert res.effective_clusters < 10 and res.df < 30
    # 91 equal clusters of the same total do not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        clustered_mean_ci(x[: 91 * 132], np.repeat(np.arange(91), 132))


def test_cr2_covers_with_many_unequal_clusters():
    # Simulation with known truth (fast version of benchmarks/coverage.py, "unequal clusters"):
    # the issue's 91 clusters, logit p = logit(0.6) + u, u ~ N(0, 0.8^2) per cluster; the truth
    # E[expit(logit 0.6 + 0.8 Z)] by Gauss-Hermite quadrature. 400 replicates: CR1 (t, G - 1)
    # covered 0.91 (0.898 here), CR2 with Imbens-Kolesar df (0.970 here) must reach 0.95 - 2 MC SE.
    sizes = _issue_sizes()
    codes = np.repeat(np.arange(sizes.size), sizes)
    zq, wq = np.polynomial.hermite_e.hermegauss(80)
    truth = float(np.sum(wq * expit(logit(0.6) + 0.8 * zq)) / np.sum(wq))
    rng = np.random.default_rng(7)
    hits = {"cr1": 0, "cr2": 0}
    reps = 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for _ in range(reps):
            p = expit(logit(0.6) + rng.normal(0, 0.8, 91))[codes]
            x = (rng.random(codes.size) < p).astype(float)
            for m in hits:
                r = clustered_mean_ci(x, codes, method=m)
                hits[m] += r.ci_low <= truth <= r.ci_high
    assert hits["cr2"] / reps >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / reps), hits
    assert hits["cr2"] > hits["cr1"], hits
