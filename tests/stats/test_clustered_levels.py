"""CR2 with Imbens-Kolesar df for unequal clusters; warning from the effective number of clusters.

Issue 24, points 2 and 10: one model's clustered interval, and the clustered ``compare``,
``pairwise`` and ``leaderboard``, which use the same CR2 computation. The full coverage study is in ``benchmarks/interval_coverage.py`` (table in
``benchmarks/README.md``); here are the formulas against a dense reference and a fast fixed-seed
version of the study.
"""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import linalg, stats
from scipy.special import expit, logit

from assay._core import DegenerateDataWarning
from assay.stats import compare, leaderboard, pairwise
from assay.stats._clustered import (
    _df_imbens_kolesar,
    _effective_clusters,
    _icc_anova,
    clustered_mean_ci,
)


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
    # Simulation with known truth (fast version of benchmarks/interval_coverage.py, "unequal clusters"):
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


# ---------------------------------------------------------------- compare, pairwise, leaderboard


def _three_models(sizes, seed, sd_v=0.6):
    """0/1 scores of 3 models on clustered items; B's and C's advantage varies by cluster."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(sizes.size), sizes)
    g, n = sizes.size, codes.size
    base = rng.normal(0, 0.8, g)[codes] + rng.normal(0, 1, n)
    x = np.vstack(
        [
            (rng.random(n) < expit(base + j * (0.3 + rng.normal(0, sd_v, g)[codes])))
            for j in range(3)
        ]
    ).astype(float)
    return x, codes


def test_clustered_compare_pairwise_and_leaderboard_equal_the_dense_cr2_formulas():
    # Oracle: the dense Bell-McCaffrey CR2 and Imbens-Kolesar df of _dense_cr2 (matrix square
    # roots), applied to the paired differences at their ANOVA ICC (statsmodels has no CR2).
    sizes = np.array([1, 2, 3, 5, 8, 13, 21, 34, 2, 4, 6, 9])
    x, codes = _three_models(sizes, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        pw = pairwise(x, models=["a", "b", "c"], clusters=codes, adjust="none")
        board = leaderboard(x, models=["a", "b", "c"], clusters=codes, rng=0, n_resamples=200)
        for k, (i, j) in enumerate(zip(*np.triu_indices(3, 1), strict=True)):
            d = x[j] - x[i]
            se_ref, df_ref = _dense_cr2(d, codes, max(_icc_anova(d, codes), 0.0))
            res = compare(x[i], x[j], clusters=codes, n_resamples=100, rng=0)
            assert res.se == pytest.approx(se_ref, rel=1e-10)
            assert res.df == pytest.approx(df_ref, rel=1e-9)
            assert res.pvalue == pytest.approx(
                2 * stats.t.sf(abs(d.mean()) / se_ref, df_ref), rel=1e-8
            )
            assert res.method == "paired-cr2-score"
            assert pw.se[k] == pytest.approx(se_ref, rel=1e-10)
            assert pw.pvalue[k] == pytest.approx(res.pvalue, rel=1e-8)
            assert (pw.ci_low[k], pw.ci_high[k]) == pytest.approx(
                (res.ci_low, res.ci_high), rel=1e-9
            )
    assert pw.test == "paired-cr2"
    # the leaderboard's all-pairs tests are the same tests, and each model's SE is the dense CR2
    np.testing.assert_allclose(board.pairwise.pvalue, pw.pvalue, rtol=1e-12)
    for e in board.entries:
        row = x["abc".index(e.model)]
        se_ref, _ = _dense_cr2(row, codes, max(_icc_anova(row, codes), 0.0))
        assert e.se == pytest.approx(se_ref, rel=1e-10)


def test_clustered_compare_is_statsmodels_cr1_on_equal_clusters_and_hc2_on_single_items():
    # Outside references where CR2 has a closed match: with G equal clusters CR2 = CR1 and the
    # Imbens-Kolesar df are G - 1 (statsmodels OLS on a constant, cov_type="cluster", use_t);
    # with one item per cluster CR2 is HC2 (statsmodels cov_type="HC2"; h_ii = 1/n).
    rng = np.random.default_rng(8)
    codes = rng.permutation(np.repeat(np.arange(25), 12))
    a = rng.normal(0.5, 0.2, 300) + rng.normal(0, 0.1, 25)[codes]
    b = a + 0.03 + rng.normal(0, 0.1, 300) + rng.normal(0, 0.05, 25)[codes]
    res = compare(a, b, clusters=codes, n_resamples=100, rng=0)
    fit = sm.OLS(b - a, np.ones(300)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    assert res.se == pytest.approx(fit.bse[0], rel=1e-10)
    assert res.df == pytest.approx(24.0, rel=1e-9)
    assert res.pvalue == pytest.approx(fit.pvalues[0], rel=1e-8)
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(fit.conf_int()[0]), rel=1e-9)
    assert res.method == "paired-cr2"  # scores outside [0, 1]: plain t interval
    single = compare(a, b, clusters=np.arange(300), n_resamples=100, rng=0)
    hc2 = sm.OLS(b - a, np.ones(300)).fit(cov_type="HC2")
    assert single.se == pytest.approx(hc2.bse[0], rel=1e-10)
    assert single.df == pytest.approx(299.0, rel=1e-9)
    pw = pairwise(np.vstack([a, b]), clusters=codes)
    assert pw.se[0] == pytest.approx(fit.bse[0], rel=1e-10)
    assert pw.pvalue[0] == pytest.approx(fit.pvalues[0], rel=1e-8)


def test_vectorised_df_and_effective_clusters_equal_the_scalar_ones():
    # pairwise evaluates the df and G* for an array of ICCs (quadratic / linear in rho)
    sizes = _issue_sizes()
    rho = np.array([[0.0, 0.013, 0.2], [0.5, 0.77, 1.0]])
    np.testing.assert_allclose(
        _df_imbens_kolesar(sizes, rho),
        [[_df_imbens_kolesar(sizes, float(r)) for r in row] for row in rho], rtol=1e-10,
    )  # fmt: skip
    np.testing.assert_allclose(
        _effective_clusters(sizes, rho),
        [[_effective_clusters(sizes, float(r)) for r in row] for row in rho], rtol=1e-12,
    )  # fmt: skip


def test_clustered_compare_and_pairwise_warn_from_the_effective_number_of_clusters():
    # Before: compare and pairwise warned below 30 clusters only (91 unequal clusters: silent)
    x, codes = _three_models(_issue_sizes(), 5, sd_v=1.0)
    with pytest.warns(DegenerateDataWarning, match=r"91 clusters, worth \d+\.\d equal clusters"):
        compare(x[0], x[1], clusters=codes, n_resamples=100, rng=0)
    with pytest.warns(DegenerateDataWarning, match=r"91 clusters, worth \d+\.\d equal clusters"):
        pairwise(x, clusters=codes)
    # 40 equal clusters do not warn (the old rule's 30 did not matter there either)
    eq = np.repeat(np.arange(40), 25)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        compare(x[0, :1000], x[1, :1000], clusters=eq, n_resamples=100, rng=0)
        pairwise(x[:, :1000], clusters=eq)


def test_clustered_compare_covers_with_many_unequal_clusters():
    # Simulation with known truth (fast version of benchmarks/interval_coverage.py, "compare(clusters=)"):
    # the issue's 91 lognormal cluster sizes scaled down 10 times (1 to 157 items), logit
    # p_A = u + e, logit p_B = u + e + 0.3 + v, u ~ N(0, 0.8^2) and v ~ N(0, 1) per cluster,
    # e ~ N(0, 1) per item; the truth E[expit(0.3 + sqrt(2.64) Z)] - E[expit(sqrt(1.64) Z)] by
    # Gauss-Hermite quadrature. 600 replicates: the old CR1 interval (t, G - 1) covered 0.920
    # with this seed (below the bound); CR2 with Imbens-Kolesar df 0.968, and must reach
    # 0.95 - 2 MC SE = 0.932.
    sizes = np.maximum(1, np.round(_issue_sizes() / 10)).astype(int)
    codes = np.repeat(np.arange(91), sizes)
    n = codes.size
    zq, wq = np.polynomial.hermite_e.hermegauss(80)
    truth = float(
        np.sum(wq * (expit(0.3 + np.sqrt(2.64) * zq) - expit(np.sqrt(1.64) * zq))) / np.sum(wq)
    )
    rng = np.random.default_rng(11)
    reps, hits = 600, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for _ in range(reps):
            eta = rng.normal(0, 0.8, 91)[codes] + rng.normal(0, 1, n)
            a = (rng.random(n) < expit(eta)).astype(float)
            b = (rng.random(n) < expit(eta + 0.3 + rng.normal(0, 1, 91)[codes])).astype(float)
            res = compare(a, b, clusters=codes, n_resamples=2, rng=rng)
            hits += res.ci_low <= truth <= res.ci_high
    assert hits / reps >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / reps), hits


def test_power_from_clustered_pilot_uses_the_design_effect_of_the_clustered_compare():
    # One truth: the plan's design effect is compare's clustered variance (CR2) over the iid
    # variance of the differences; with unequal clusters CR1's differs (by G/(G-1) against
    # 1/(1 - n_c/N) per cluster), so this fails on the old CR1 plan.
    from assay.stats import power_from_data

    sizes = np.array([40, 3, 5, 8, 2, 12, 30, 6, 9, 4, 15, 7, 20, 10, 25])
    codes = np.repeat(np.arange(sizes.size), sizes)
    rng = np.random.default_rng(21)
    a = rng.normal(0, 1, codes.size) + rng.normal(0, 0.5, sizes.size)[codes]
    b = a + 0.1 + rng.normal(0, 1, codes.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = compare(a, b, clusters=codes, n_resamples=100, rng=0)
        plan = power_from_data(a, b, delta=0.1, clusters=codes)
        d = b - a
        cr1 = clustered_mean_ci(d, codes, method="cr1").se ** 2 / (d.var(ddof=1) / d.size)
    assert plan.design_effect == pytest.approx(res.se**2 / (d.var(ddof=1) / d.size), rel=1e-10)
    assert abs(plan.design_effect - cr1) > 1e-3 * cr1
