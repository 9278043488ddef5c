"""Per-subgroup results and heterogeneity: against scipy, statsmodels and simulation."""

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from assay import DegenerateDataWarning, InputError
from assay.stats import subgroups


def binary_data(seed, rates=(0.5, 0.6, 0.7), sizes=(120, 200, 80)):
    rng = np.random.default_rng(seed)
    x = np.concatenate([(rng.random(n) < p).astype(float) for p, n in zip(rates, sizes)])
    g = np.concatenate([[f"s{i}"] * n for i, n in enumerate(sizes)])
    return x, g


def test_binary_intervals_are_wilson_from_statsmodels():
    x, g = binary_data(0)
    res = subgroups(x, g)
    assert [e.group for e in res.groups] == ["s0", "s1", "s2"]
    for e in res.groups:
        sel = x[g == e.group]
        lo, hi = proportion_confint(sel.sum(), sel.size, alpha=0.05, method="wilson")
        assert (e.ci_low, e.ci_high) == pytest.approx((lo, hi), abs=1e-12)
        assert e.n == sel.size and e.method == "wilson"


def test_binary_homogeneity_is_pearson_chi2():
    x, g = binary_data(1)
    res = subgroups(x, g)
    table = [[np.sum(x[g == s]), np.sum(1 - x[g == s])] for s in ("s0", "s1", "s2")]
    chi2, p, dof, _ = sps.chi2_contingency(table, correction=False)
    assert res.homogeneity.statistic == pytest.approx(chi2, rel=1e-10)
    assert res.homogeneity.pvalue == pytest.approx(p, rel=1e-8)
    assert res.homogeneity.df == dof == 2


@pytest.mark.parametrize("binary", [True, False])
def test_cochran_q_and_i2_agree_with_statsmodels_meta_analysis(binary):
    if binary:
        x, g = binary_data(2)
    else:
        rng = np.random.default_rng(3)
        x = np.concatenate([rng.normal(mu, 1.0, 60) for mu in (0.0, 0.3, 0.1, 0.5)])
        g = np.repeat(["a", "b", "c", "d"], 60)
    res = subgroups(x, g)
    labels = sorted(set(g))
    eff = np.array([x[g == s].mean() for s in labels])
    if binary:
        var = np.array([m * (1 - m) / np.sum(g == s) for m, s in zip(eff, labels)])
    else:
        var = np.array([x[g == s].var(ddof=1) / np.sum(g == s) for s in labels])
    ref = combine_effects(eff, var, method_re="dl")
    assert res.q.statistic == pytest.approx(ref.q, rel=1e-10)
    assert res.q.pvalue == pytest.approx(sps.chi2.sf(ref.q, len(labels) - 1), rel=1e-10)
    assert res.i2 == pytest.approx(ref.i2, abs=1e-12)
    assert res.tau2 == pytest.approx(ref.tau2, abs=1e-12)
    if not binary:
        e = res.groups[0]
        sel = x[g == "a"]
        half = sps.t.ppf(0.975, sel.size - 1) * sel.std(ddof=1) / np.sqrt(sel.size)
        assert (e.ci_low, e.ci_high) == pytest.approx((sel.mean() - half, sel.mean() + half))
        assert res.homogeneity is None


def test_heterogeneity_test_holds_its_level_under_the_null():
    # Simulation: equal rates in 5 subgroups; the chi-square test rejects about 5% of the time.
    rejections = []
    for seed in range(400):
        x, g = binary_data(1000 + seed, rates=(0.6,) * 5, sizes=(100, 150, 200, 80, 120))
        rejections.append(subgroups(x, g).homogeneity.pvalue < 0.05)
    assert 0.025 <= np.mean(rejections) <= 0.075  # 400 replicates: MC SE about 1.1 points


def test_repeated_samples_use_item_means():
    x = np.array([[1, 0], [1, 1], [0, 0], [1, 0]], dtype=float)
    res = subgroups(x, ["a", "a", "b", "b"])
    assert [e.estimate for e in res.groups] == [0.75, 0.25]
    assert res.groups[0].method == "t"  # item means are not binary


def test_zero_variance_group_is_left_out_of_q():
    x = np.r_[
        np.ones(10), (np.arange(20) % 2).astype(float), (np.arange(30) % 3 == 0).astype(float)
    ]
    g = np.repeat(["a", "b", "c"], [10, 20, 30])
    with pytest.warns(DegenerateDataWarning, match="1 subgroup"):
        res = subgroups(x, g)
    assert res.q.df == 1


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 0, 1], ["a", "b"]), {}, r"`groups` must have one label per item \(3\); got 2"),
        (([1, 0, 1], ["a", None, "b"]), {}, r"`groups` has no label for 1 of 3"),
        (([1, 0, 1], ["a", "a", "a"]), {}, r"at least 2 subgroups; got 1 \('a'\)"),
        (([0.5, 0, 1], ["a", "b", "b"]), {"method": "wilson"}, r"`method='wilson'` needs binary"),
        (([1, 0, 1], ["a", "b", "b"]), {"method": "exact"}, r"`method` must be one of"),
        (([1, np.nan, 1], ["a", "b", "b"]), {}, r"`scores` contains 1 NaN"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        subgroups(*args, **kwargs)
