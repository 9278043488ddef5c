"""`compare`, `compare_models` and `pairwise` against scipy, statsmodels, mlxtend and published values."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from mlxtend.evaluate import mcnemar as mlx_mcnemar
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW, ttost_paired

from assay import DegenerateDataWarning, InputError, ScoreMatrix
from assay.stats import compare, compare_models, pairwise


def paired_binary(n, seed, p_a=0.6, agree=0.8, shift=0.0):
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < p_a).astype(float)
    b = np.where(rng.random(n) < agree, a, 1.0 - a)
    if shift:
        b = np.maximum(b, (rng.random(n) < shift).astype(float))
    return a, b


def from_table(both, a_only, b_only, neither):
    """Score vectors with the given 2x2 counts (A right & B right, A only, B only, neither)."""
    a = np.r_[np.ones(both), np.ones(a_only), np.zeros(b_only), np.zeros(neither)]
    b = np.r_[np.ones(both), np.zeros(a_only), np.ones(b_only), np.zeros(neither)]
    return a, b


# ---------------------------------------------------------------- paired t, CI, effect size


def test_paired_t_agrees_with_scipy_ttest_rel():
    rng = np.random.default_rng(0)
    a = rng.normal(0.5, 0.2, 300)
    b = a + rng.normal(0.03, 0.1, 300)
    res = compare(a, b, n_resamples=200, rng=0)
    ref = sps.ttest_rel(b, a)  # scipy's difference is first - second: b - a
    ci = ref.confidence_interval(0.95)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-10)
    d = b - a
    assert res.effect_size == pytest.approx(d.mean() / d.std(ddof=1))  # Cohen's d_z
    assert res.correlation == pytest.approx(sps.pearsonr(a, b).statistic, abs=1e-12)
    for alt in ("less", "greater"):
        one = compare(a, b, alternative=alt, n_resamples=200, rng=0)
        assert one.pvalue == pytest.approx(sps.ttest_rel(b, a, alternative=alt).pvalue, rel=1e-8)


# ---------------------------------------------------------------- McNemar


@pytest.mark.parametrize(
    "counts", [(50, 30, 18, 40), (10, 0, 5, 3), (80, 40, 40, 10), (5, 60, 2, 9)]
)
def test_mcnemar_agrees_with_statsmodels(counts):
    a, b = from_table(*counts)
    res = compare(a, b, n_resamples=200, rng=0).mcnemar
    table = [[counts[0], counts[1]], [counts[2], counts[3]]]
    exact = sm_mcnemar(table, exact=True)
    chi2 = sm_mcnemar(table, exact=False, correction=False)
    chi2_cc = sm_mcnemar(table, exact=False, correction=True)
    assert res.pvalue == pytest.approx(exact.pvalue, abs=1e-8)
    assert res.statistic == exact.statistic
    assert res.chi2 == pytest.approx(chi2.statistic, abs=1e-8)
    assert res.chi2_pvalue == pytest.approx(chi2.pvalue, abs=1e-8)
    assert res.chi2_cc == pytest.approx(chi2_cc.statistic, abs=1e-8)
    assert res.chi2_cc_pvalue == pytest.approx(chi2_cc.pvalue, abs=1e-8)
    assert (res.n_a_only, res.n_b_only) == (counts[1], counts[2])
    # exact one-sided test: scipy.stats.binomtest on the B-only count
    greater = compare(a, b, alternative="greater", n_resamples=200, rng=0).mcnemar
    ref = sps.binomtest(counts[2], counts[1] + counts[2], 0.5, alternative="greater").pvalue
    assert greater.pvalue == pytest.approx(ref, abs=1e-12)


def test_mcnemar_mlxtend_documented_example():
    # mlxtend.evaluate.mcnemar user guide, example 2: table [[9959, 11], [1, 29]]. Its page prints
    # an out-of-date exact p; the exact binomial value is 0.00634765625 = 2 * 13 / 4096.
    a, b = from_table(9959, 11, 1, 29)
    res = compare(a, b, n_resamples=200, rng=0).mcnemar
    assert res.pvalue == pytest.approx(0.00634765625, abs=1e-15)
    assert res.pvalue == pytest.approx(
        mlx_mcnemar(np.array([[9959, 11], [1, 29]]), exact=True)[1], abs=1e-12
    )
    assert res.chi2_cc == pytest.approx(6.75)  # mlxtend's corrected chi-square for the same table


def test_mcnemar_midp_fagerland_example():
    # Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91, worked example with
    # discordant pairs 1 and 7: exact p = 0.070, mid-p = 0.039 (= 2 * (9 - 4) / 256 = 0.0390625).
    a, b = from_table(10, 1, 7, 5)
    res = compare(a, b, n_resamples=200, rng=0).mcnemar
    assert res.pvalue == pytest.approx(18 / 256, abs=1e-12)
    assert res.pvalue_midp == pytest.approx(10 / 256, abs=1e-12)


def test_no_discordant_pairs():
    a = np.array([1.0, 0, 1, 1])
    with pytest.warns(DegenerateDataWarning, match="no spread"):
        res = compare(a, a.copy(), n_resamples=200, rng=0)
    assert res.mcnemar.pvalue == 1.0 and res.mcnemar.n == 0
    assert res.permutation.pvalue == 1.0
    assert res.a_wins == () and res.b_wins == ()
    assert np.isnan(res.pvalue)
    # four identical items are not certainty: the interval is the worst-case Wilson interval on
    # [-1, 1] (n_e = n = 4, t with 3 df), never the zero-width "0.00 to 0.00" of before
    assert -1.0 <= res.ci_low < 0.0 < res.ci_high <= 1.0
    assert res.ci_low == pytest.approx(-res.ci_high)


# ---------------------------------------------------------------- permutation and bootstrap


def stat_b_minus_a(x, y, axis):
    return np.mean(y - x, axis=axis)


def test_sign_flip_exact_equals_scipy_exact():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=11), rng.normal(0.5, 1, size=11)
    res = compare(a, b, n_resamples=5000, rng=0)
    ref = sps.permutation_test((a, b), stat_b_minus_a, permutation_type="samples", n_resamples=5000)
    assert res.permutation.method == "sign-flip-exact"
    assert res.permutation.pvalue == pytest.approx(ref.pvalue, abs=1e-12)


@pytest.mark.parametrize("kind", ["continuous", "binary"])
def test_sign_flip_agrees_with_scipy_within_mc_error(kind):
    rng = np.random.default_rng(2)
    if kind == "continuous":
        a = rng.normal(size=120)
        b = a + rng.normal(0.12, 1.0, size=120)
    else:
        a, b = paired_binary(400, 3, shift=0.05)
    res = compare(a, b, n_resamples=20_000, rng=0)
    ref = sps.permutation_test(
        (a, b), stat_b_minus_a, permutation_type="samples", n_resamples=20_000, rng=1
    )
    se = np.sqrt(ref.pvalue * (1 - ref.pvalue) / 20_000)
    assert abs(res.permutation.pvalue - ref.pvalue) < 5 * se + 1e-4
    if kind == "binary":  # the sign-flip test of 0/1 data is McNemar's exact test
        assert res.permutation.pvalue == pytest.approx(res.mcnemar.pvalue, abs=0.01)


def test_paired_bootstrap_agrees_with_scipy_within_mc_error():
    a, b = paired_binary(500, 4, shift=0.04)
    res = compare(a, b, n_resamples=10_000, rng=0)
    ref = sps.bootstrap(
        (a, b),
        stat_b_minus_a,
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=10_000,
        rng=1,
    )
    se = res.bootstrap.se
    assert abs(res.bootstrap.ci_low - ref.confidence_interval.low) < 0.15 * se
    assert abs(res.bootstrap.ci_high - ref.confidence_interval.high) < 0.15 * se
    assert res.bootstrap.se == pytest.approx(ref.standard_error, rel=0.05)
    # the bootstrap p-value is below 0.05 exactly when the percentile interval excludes 0
    assert (res.bootstrap_pvalue < 0.05) == (res.bootstrap.ci_low > 0 or res.bootstrap.ci_high < 0)


# ---------------------------------------------------------------- clusters, repeated samples


def test_clustered_se_agrees_with_statsmodels_cluster_robust_ols():
    rng = np.random.default_rng(5)
    n, g = 400, 40
    # equal clusters: there CR2 equals CR1 and the Imbens-Kolesar df are G - 1 (unequal clusters
    # are checked against the dense CR2 formulas in test_clustered_levels.py)
    clusters = rng.permutation(np.repeat(np.arange(g), n // g))
    effect = rng.normal(0, 0.15, g)[clusters]
    a = (rng.random(n) < 0.55).astype(float)
    b = (rng.random(n) < 0.6 + effect).astype(float)
    res = compare(a, b, clusters=clusters, n_resamples=500, rng=0)
    # statsmodels: OLS of d on a constant with CR1 cluster-robust covariance, t with G - 1 df
    fit = sm.OLS(b - a, np.ones(n)).fit(
        cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True
    )
    assert res.se == pytest.approx(fit.bse[0], rel=1e-10)
    assert res.pvalue == pytest.approx(fit.pvalues[0], rel=1e-8)
    # 0/1 scores: the interval is the score form on [-1, 1] around that same SE; it agrees with
    # statsmodels' Wald t interval to well under the SE (it differs only by the Wilson centring)
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(fit.conf_int()[0]), abs=0.05 * res.se)
    assert res.n_clusters == g and res.df == pytest.approx(g - 1, rel=1e-9)
    assert res.method == "paired-cr2-score"
    assert res.bootstrap.n_clusters == g


def test_repeated_samples_use_item_means_and_the_nested_se():
    rng = np.random.default_rng(6)
    n, k = 150, 4
    difficulty = rng.normal(0, 1, n)[:, None]
    a = (rng.random((n, k)) < 1 / (1 + np.exp(-difficulty))).astype(float)
    b = (rng.random((n, k)) < 1 / (1 + np.exp(-(difficulty + 0.3)))).astype(float)
    res = compare(a, b, n_resamples=500, rng=0)
    assert res.n_samples == k and res.n == n and not res.binary and res.mcnemar is None
    # reference: OLS on the n*k sample-level differences, CR1-clustered by item (statsmodels)
    d = (b - a).ravel()
    items = np.repeat(np.arange(n), k)
    fit = sm.OLS(d, np.ones(d.size)).fit(cov_type="cluster", cov_kwds={"groups": items})
    assert res.estimate == pytest.approx(fit.params[0], abs=1e-12)
    assert res.se == pytest.approx(fit.bse[0], rel=1e-10)


# ---------------------------------------------------------------- margin


def test_noninferiority_and_tost_agree_with_statsmodels():
    a, b = paired_binary(800, 7)
    res = compare(a, b, margin=0.05, n_resamples=200, rng=0).margin
    # statsmodels ttost_paired(x1, x2, low, upp) tests low < mean(x1 - x2) < upp
    p_tost = ttost_paired(b, a, -0.05, 0.05)[0]
    assert res.equivalence_pvalue == pytest.approx(p_tost, rel=1e-10)
    ni = DescrStatsW(b - a).ttest_mean(-0.05, alternative="larger")[1]
    assert res.noninferiority_pvalue == pytest.approx(ni, rel=1e-10)
    assert res.equivalent == (p_tost < 0.05) and res.noninferior == (ni < 0.05)
    assert res.confidence_level == pytest.approx(0.90)
    # equivalence at level alpha <=> the 1 - 2 alpha interval lies inside the margins
    assert res.equivalent == (-0.05 < res.ci_low and res.ci_high < 0.05)


# ---------------------------------------------------------------- properties


def test_mirror_property():
    a, b = paired_binary(600, 8, shift=0.03)
    ids = [f"q{i}" for i in range(a.size)]
    ab = compare(a, b, item_ids=ids, margin=0.02, n_resamples=4000, rng=0)
    ba = compare(b, a, item_ids=ids, margin=0.02, n_resamples=4000, rng=0)
    assert ba.estimate == pytest.approx(-ab.estimate)
    assert (ba.ci_low, ba.ci_high) == pytest.approx((-ab.ci_high, -ab.ci_low))
    assert ba.pvalue == pytest.approx(ab.pvalue)
    assert (
        ba.mcnemar.pvalue == ab.mcnemar.pvalue and ba.mcnemar.pvalue_midp == ab.mcnemar.pvalue_midp
    )
    assert ba.permutation.pvalue == pytest.approx(ab.permutation.pvalue, abs=1e-12)
    assert (ba.a_wins, ba.b_wins) == (ab.b_wins, ab.a_wins)
    assert ba.correlation == pytest.approx(ab.correlation)
    assert abs(ba.bootstrap.ci_low + ab.bootstrap.ci_high) < 0.1 * ab.bootstrap.se  # MC error
    one = compare(a, b, alternative="greater", n_resamples=200, rng=0)
    other = compare(b, a, alternative="less", n_resamples=200, rng=0)
    assert one.pvalue == pytest.approx(other.pvalue) and one.mcnemar.pvalue == other.mcnemar.pvalue


def test_t_interval_covers_at_nominal_rate():
    # Simulation with known truth: paired binary data, true difference 0.05.
    rng = np.random.default_rng(9)
    hits = 0
    reps = 400
    for _ in range(reps):
        a = (rng.random(300) < 0.6).astype(float)
        b = np.where(rng.random(300) < 0.75, a, (rng.random(300) < 0.65).astype(float))
        # E[b] = 0.75 * 0.6 + 0.25 * 0.65 = 0.6125, so the true difference is 0.0125
        res = compare(a, b, n_resamples=100, rng=rng)
        hits += res.ci_low <= 0.0125 <= res.ci_high
    assert 0.925 <= hits / reps <= 0.975  # 400 replicates: MC SE about 1.1 points


def test_flips_and_verdict():
    a, b = from_table(900, 20, 45, 35)
    ids = [f"item{i}" for i in range(a.size)]
    res = compare(a, b, item_ids=ids, n_resamples=500, rng=0)
    assert res.a_wins == tuple(ids[900:920]) and res.b_wins == tuple(ids[920:965])
    text = res.verdict("base", "instruct")
    assert text.startswith("instruct is better by 2.5 points, 95% CI ")
    assert f"McNemar p = {res.mcnemar.pvalue:.2g}" in text and text.endswith("n = 1,000")
    d = res.to_dict()
    assert d["mcnemar"]["n_b_only"] == 45 and len(d["b_wins"]) == 45
    assert "distribution" not in d["bootstrap"]


def test_alignment_by_ids_reorders_b():
    a, b = paired_binary(50, 10)
    ids = [f"q{i}" for i in range(50)]
    order = np.random.default_rng(0).permutation(50)
    res = compare(a, b[order], item_ids=(ids, [ids[i] for i in order]), n_resamples=200, rng=0)
    ref = compare(a, b, n_resamples=200, rng=0)
    assert res.estimate == ref.estimate and res.mcnemar.pvalue == ref.mcnemar.pvalue


def test_missing_omit_counts_items():
    a, b = paired_binary(40, 11)
    a[3] = np.nan
    b[7] = np.nan
    res = compare(a, b, missing="omit", n_resamples=200, rng=0)
    assert res.n == 38 and res.n_omitted == 2
    keep = np.ones(40, bool)
    keep[[3, 7]] = False
    assert res.estimate == pytest.approx(np.mean(b[keep] - a[keep]))


def test_compare_models_on_a_score_matrix():
    a, b = paired_binary(200, 12)
    subjects = np.array([f"s{i % 8}" for i in range(200)], dtype=object)
    m = ScoreMatrix(
        models=("a", "b"),
        items=tuple(f"q{i:03d}" for i in range(200)),
        values=np.vstack([a, b]),
        subject=subjects,
    )
    with pytest.warns(DegenerateDataWarning, match="Only 8 clusters"):
        res = compare_models(m, "a", "b", cluster_by="subject", n_resamples=200, rng=0)
    with pytest.warns(DegenerateDataWarning, match="Only 8 clusters"):
        ref = compare(a, b, clusters=subjects, n_resamples=200, rng=0)
    assert res.se == ref.se and res.n_clusters == 8
    assert set(res.b_wins) <= set(m.items)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 0, 1], [1, 0]), {}, r"`a` has 3 items and `b` has 2; the items do not align"),
        (
            ([1, 0, 1], [1, 0, 1]),
            {"item_ids": (["x", "y", "z"], ["x", "y", "w"])},
            r"do not align: 1 of A's 3 items are not in B \('z'\) and 1 of B's 3 items are not in A \('w'\)",
        ),
        (
            ([1, 0, 1], [1, 0, 1]),
            {"item_ids": ["x", "y"]},
            r"`item_ids` must have one id per item \(3\); got 2",
        ),
        (
            ([1, 0, 1], [1, 0, 1]),
            {"item_ids": ["x", "y", "x"]},
            r"`item_ids` has 1 duplicate id\(s\), e.g. \['x'\]",
        ),
        (
            ([1, np.nan, 1], [1, 0, 1]),
            {},
            r"missing \(NaN\) for 1 item\(s\) of `a` \(1\) and 0 of `b`.*missing='omit'",
        ),
        (([1, 0, 1], [1, 0, 1]), {"missing": "drop"}, r"`missing` must be one of 'raise', 'omit'"),
        (([1, 0, 1], [1, 0, 1]), {"margin": -0.1}, r"`margin` must be a positive number; got -0.1"),
        (([1, 0, 1], [1, 0, 1]), {"margin": "1"}, r"`margin` must be a positive number"),
        (([1, 0, 1], [1, 0, 1]), {"alternative": "two_sided"}, r"`alternative` must be one of"),
        (
            ([1, 0, 1], [1, 0, 1]),
            {"confidence_level": 95},
            r"`confidence_level` must be in \(0, 1\)",
        ),
        (([1, 0, 1], [1, 0, 1]), {"n_resamples": 1}, r"`n_resamples` must be an integer >= 2"),
        (
            ([1, 0, 1], [1, 0, 1]),
            {"clusters": [1, 2]},
            r"`clusters` must have one label per item \(3\)",
        ),
        (([1], [0]), {}, r"at least 2 scored items; got 1"),
        (([[[1]]], [1]), {}, r"`a` must have 1 or 2 dimension"),
        (([np.nan, np.nan], [1, 0]), {"missing": "omit"}, r"no item has a score for both"),
    ],
)
def test_refusals(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        compare(*args, **kwargs)


def test_compare_models_refusals():
    m = ScoreMatrix(models=("a", "b"), items=("q1", "q2"), values=np.array([[1, 0], [1, 1.0]]))
    with pytest.raises(InputError, match=r"model 'c' is not in this matrix"):
        compare_models(m, "a", "c")
    with pytest.raises(
        InputError, match=r"`cluster_by='subject'`: the matrix has no subject labels"
    ):
        compare_models(m, "a", "b", cluster_by="subject")
    with pytest.raises(InputError, match=r"`item_ids` comes from the matrix"):
        compare_models(m, "a", "b", item_ids=["x", "y"])
    with pytest.raises(InputError, match=r"`matrix` must be a ScoreMatrix; got list"):
        compare_models([[1, 0]], "a", "b")


# ---------------------------------------------------------------- pairwise


def test_pairwise_binary_matches_compare_and_statsmodels_holm():
    rng = np.random.default_rng(13)
    x = (rng.random((6, 300)) < rng.uniform(0.4, 0.7, (6, 1))).astype(float)
    names = [f"m{i}" for i in range(6)]
    res = pairwise(x, models=names, adjust="holm")
    assert len(res.model_a) == 15 and res.test == "mcnemar-exact"
    for k, (ma, mb) in enumerate(zip(res.model_a, res.model_b)):
        one = compare(x[names.index(ma)], x[names.index(mb)], n_resamples=100, rng=0)
        assert res.pvalue[k] == pytest.approx(one.mcnemar.pvalue, abs=1e-12)
        assert res.estimate[k] == pytest.approx(one.estimate, abs=1e-12)
        assert (res.ci_low[k], res.ci_high[k]) == pytest.approx(
            (one.ci_low, one.ci_high), abs=1e-10
        )
        assert (res.n_a_only[k], res.n_b_only[k]) == (one.mcnemar.n_a_only, one.mcnemar.n_b_only)
    reject, adj, _, _ = multipletests(res.pvalue, alpha=0.05, method="holm")
    np.testing.assert_allclose(res.pvalue_adjusted, adj, atol=1e-12)
    np.testing.assert_array_equal(res.reject, reject)


def test_pairwise_continuous_and_clustered_match_compare():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(4, 120)) + rng.normal(size=(1, 120))
    clusters = rng.permutation(np.arange(120) % 35)
    plain = pairwise(x, adjust="bh")
    clustered = pairwise(x, clusters=clusters, adjust="none")
    assert plain.test == "paired-t" and clustered.test == "paired-cr2"
    for k, (i, j) in enumerate(zip(*np.triu_indices(4, 1))):
        ref = sps.ttest_rel(x[j], x[i])
        assert plain.pvalue[k] == pytest.approx(ref.pvalue, rel=1e-8)
        one = compare(x[i], x[j], clusters=clusters, n_resamples=100, rng=0)
        assert clustered.se[k] == pytest.approx(one.se, rel=1e-10)
        assert clustered.pvalue[k] == pytest.approx(one.pvalue, rel=1e-8)
    assert clustered.n_clusters == 35
    with pytest.warns(DegenerateDataWarning, match="Only 5 clusters"):
        pairwise(x, clusters=np.arange(120) % 5)


def test_pairwise_refusals():
    with pytest.raises(InputError, match=r"`adjust` must be one of 'holm'"):
        pairwise(np.ones((2, 3)), adjust="tukey")
    with pytest.raises(InputError, match=r"`scores` must hold at least 2 models"):
        pairwise(np.ones((1, 3)))
    with pytest.raises(InputError, match=r"1 item\(s\) lack a score for some model"):
        pairwise([[1, np.nan, 0], [1, 1, 0]])
    with pytest.raises(InputError, match=r"`models` must name every row of `scores` \(2\); got 3"):
        pairwise(np.ones((2, 3)), models=["a", "b", "c"])


def test_no_warnings_on_ordinary_data():
    a, b = paired_binary(100, 15, shift=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(a, b, n_resamples=200, rng=0)
        pairwise(np.vstack([a, b]))
