"""assay.stats._aggregate: intervals and unpaired comparisons from reported values (issue 15).

References: statsmodels (proportion_confint, proportions_ztest, confint_proportions_2indep),
scipy (ttest_ind_from_stats), the published sizes of the benchmarks' evaluation splits, and
simulations with known truth.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from assay._core import InputError
from assay.stats import (
    aggregate_intervals,
    aggregate_leaderboard,
    compare_unpaired,
    per_item_requirements,
    recover_n,
)

PYTHIA = Path(__file__).parents[1] / "data" / "pythia" / "pythia-160m" / "zero-shot"


def _lm_eval_se(p, n):
    return math.sqrt(p * (1 - p) / (n - 1))  # lm-eval's mean_stderr of 0/1 scores


def test_recover_n_gives_the_published_split_sizes_from_pythia_files():
    data = json.loads((PYTHIA / "160m_step143000.json").read_text())["results"]
    # sizes of the evaluation splits lm-eval 0.3 used, from the datasets' cards/papers:
    # ARC-Easy test 2376, ARC-Challenge test 1172, PIQA validation 1838, SciQ test 1000,
    # WinoGrande validation 1267, LAMBADA (OpenAI) test 5153, LogiQA test 651,
    # MMLU abstract_algebra test 100
    sizes = {
        "arc_easy": 2376,
        "arc_challenge": 1172,
        "piqa": 1838,
        "sciq": 1000,
        "winogrande": 1267,
        "lambada_openai": 5153,
        "logiqa": 651,
        "hendrycksTest-abstract_algebra": 100,
    }
    tasks = list(sizes)
    got = recover_n([data[t]["acc"] for t in tasks], [data[t]["acc_stderr"] for t in tasks])
    assert got.tolist() == [sizes[t] for t in tasks]
    # a perplexity is not a 0/1 mean
    assert recover_n(data["lambada_openai"]["ppl"], data["lambada_openai"]["ppl_stderr"]) == -1


def test_recover_n_false_recovery_rate_on_non_binary_means():
    # simulation: means of continuous scores in [0, 1] must not pass for 0/1 ones
    rng = np.random.default_rng(0)
    n = rng.integers(20, 3000, size=2000)
    values, ses = [], []
    for k in n:
        x = rng.beta(2, 3, size=k)
        values.append(x.mean())
        ses.append(x.std(ddof=1) / math.sqrt(k))
    assert np.all(recover_n(values, ses) == -1)  # measured false-recovery rate: 0 of 2000
    # and 0/1 means with lm-eval's or the population SE are all recovered
    k = rng.integers(1, n)
    p = k / n
    assert np.array_equal(recover_n(p, np.sqrt(p * (1 - p) / (n - 1))), n)
    assert np.array_equal(recover_n(p, np.sqrt(p * (1 - p) / n)), n)


def test_recover_n_edge_cases():
    assert recover_n([0.0, 1.0, 0.5, 0.5], [0.0, 0.0, float("nan"), 0.0]).tolist() == [-1] * 4


def test_wilson_interval_for_binary_with_n_equals_statsmodels():
    p, n = 0.3, 1000
    res = aggregate_intervals([p], [_lm_eval_se(p, n)])
    lo, hi = proportion_confint(300, 1000, alpha=0.05, method="wilson")
    assert res.method == ("wilson",) and res.n_source == ("recovered",)
    assert res.ci_low[0] == pytest.approx(lo, abs=1e-12)
    assert res.ci_high[0] == pytest.approx(hi, abs=1e-12)
    # n reported: same interval, said so
    res = aggregate_intervals([p], [_lm_eval_se(p, n)], n=[n])
    assert res.n_source == ("reported",) and res.ci_low[0] == pytest.approx(lo, abs=1e-12)


def test_wilson_stays_inside_0_1_where_a_normal_interval_would_not():
    p, n = 1 / 20, 20
    res = aggregate_intervals([p], [_lm_eval_se(p, n)], confidence_level=0.99)
    z = stats.norm.ppf(0.995)
    assert p - z * _lm_eval_se(p, n) < 0  # the normal interval would leave [0, 1]
    assert res.method == ("wilson",) and res.ci_low[0] >= 0


def test_normal_interval_on_reported_stderr_for_non_binary_metrics():
    res = aggregate_intervals([21.4, 38.06], [1.2, 1.436], aggregation=["bleu", "perplexity"])
    z = stats.norm.ppf(0.975)
    assert res.method == ("normal on reported stderr",) * 2
    assert res.ci_low.tolist() == pytest.approx([21.4 - z * 1.2, 38.06 - z * 1.436])
    assert res.n.tolist() == [-1, -1] and res.n_source == ("unknown", "unknown")


def test_custom_aggregation_without_stderr_has_no_interval_and_says_why():
    res = aggregate_intervals([0.2857], [None], n=[20], aggregation=["custom"])
    assert math.isnan(res.ci_low[0]) and "never executed" in res.method[0]
    assert res.row(0)["ci_low"] is None and res.row(0)["n"] == 20
    res = aggregate_intervals([0.5], [None])
    assert res.method[0].startswith("none: the harness reported no stderr")


def test_wilson_coverage_from_summaries_simulation():
    # known truth p = 0.3, n = 150: the interval from (value, stderr) covers p at ~95 %
    rng = np.random.default_rng(1)
    n, p = 150, 0.3
    k = rng.binomial(n, p, size=4000)
    v = k / n
    se = np.sqrt(v * (1 - v) / (n - 1))
    res = aggregate_intervals(v, se)
    ok = np.array([m == "wilson" for m in res.method])
    assert ok.mean() > 0.99
    cover = np.mean((res.ci_low[ok] <= p) & (p <= res.ci_high[ok]))
    assert 0.935 < cover < 0.965


def test_leaderboard_orders_and_labels():
    v = [0.61, 0.64, 0.50]
    se = [_lm_eval_se(x, 1000) for x in v]
    res = aggregate_leaderboard(v, se, models=["a", "b", "c"])
    assert res.models == ("b", "a", "c") and not res.paired
    rows = res.rows()
    assert rows[0]["model"] == "b" and rows[0]["method"] == "wilson" and rows[0]["n"] == 1000
    low = aggregate_leaderboard([38.0, 21.0], [1.0, 1.0], models=["x", "y"], higher_is_better=False)
    assert low.models == ("y", "x")
    assert set(res.to_dict()) == {"rows", "higher_is_better", "confidence_level", "paired", "note"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": ["a"]}, "one name per value"),
        ({"models": ["a", "a"]}, "must be distinct"),
        ({"models": ["a", "b"], "n": [10]}, "`n` must have one entry per value"),
        ({"models": ["a", "b"], "n": [0, 10]}, "whole numbers >= 1"),
        ({"models": ["a", "b"], "confidence_level": 1.5}, "confidence_level"),
    ],
)
def test_leaderboard_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        aggregate_leaderboard([0.5, 0.6], [0.01, 0.01], **kwargs)


def test_two_proportion_comparison_equals_statsmodels():
    a, b, n1, n2 = 640 / 1000, 600 / 1000, 1000, 1000
    res = compare_unpaired(a, b, stderr_a=_lm_eval_se(a, n1), stderr_b=_lm_eval_se(b, n2))
    stat, pval = proportions_ztest([640, 600], [1000, 1000])
    lo, hi = confint_proportions_2indep(640, 1000, 600, 1000, method="newcomb", compare="diff")
    assert res.method == "two-proportion z (unpaired)" and not res.paired
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    assert res.pvalue == pytest.approx(pval, rel=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    assert "--log_samples" in res.note


def test_welch_comparison_equals_scipy():
    a, sa, na = 0.47, 0.012, 800
    b, sb, nb = 0.43, 0.02, 300
    res = compare_unpaired(a, b, stderr_a=sa, stderr_b=sb, n_a=na, n_b=nb, binary=False)
    ref = stats.ttest_ind_from_stats(
        a, sa * math.sqrt(na), na, b, sb * math.sqrt(nb), nb, equal_var=False
    )
    assert res.method == "welch (unpaired)"
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    # without n: a normal reference on the reported standard errors
    res = compare_unpaired(21.0, 18.0, stderr_a=1.0, stderr_b=1.5)
    assert res.method == "normal (unpaired)"
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(3 / math.sqrt(1 + 2.25)))


def test_compare_is_the_mirror_of_its_swap():
    ab = compare_unpaired(0.64, 0.6, n_a=1000, n_b=900, binary=True, alternative="greater")
    ba = compare_unpaired(0.6, 0.64, n_a=900, n_b=1000, binary=True, alternative="less")
    assert ab.estimate == pytest.approx(-ba.estimate)
    assert (ab.ci_low, ab.ci_high) == pytest.approx((-ba.ci_high, -ba.ci_low))
    assert ab.pvalue == pytest.approx(ba.pvalue)


def test_compare_bad_input():
    with pytest.raises(InputError, match="needs both standard errors"):
        compare_unpaired(21.0, 18.0, stderr_a=1.0)
    with pytest.raises(InputError, match="alternative"):
        compare_unpaired(0.5, 0.4, stderr_a=0.1, stderr_b=0.1, alternative="bigger")
    with pytest.raises(InputError, match="both standard errors are 0"):
        compare_unpaired(0.5, 0.4, stderr_a=0.0, stderr_b=0.0, binary=False)


def test_per_item_requirements():
    reqs = per_item_requirements("lm_eval")
    assert any(r.analysis == "paired comparisons" for r in reqs)
    assert all("--log_samples" in r.enable for r in reqs)
    assert "--save-details" in per_item_requirements("lighteval")[0].enable
    assert per_item_requirements(None)[0].to_dict()["enable"]
    with pytest.raises(InputError, match="`harness` must be one of"):
        per_item_requirements("nope")


def test_normal_interval_of_a_binary_metric_without_n_is_clipped():
    # binary=True but no n: a normal interval on the stderr, kept inside [0, 1]
    res = aggregate_intervals([0.02], [0.05], binary=np.array([True]))
    assert res.method == ("normal on reported stderr",)
    assert res.ci_low[0] == 0.0 and res.ci_high[0] == pytest.approx(0.02 + 1.959964 * 0.05)
    res = aggregate_intervals([0.5], [None], n=[40])
    assert res.method[0].endswith("not known to be 0/1")


def test_normal_intervals_stay_inside_a_named_aggregations_range():
    res = aggregate_intervals(
        [1.5, 1.2, 0.95], [2.0, 0.5, 0.1], aggregation=["bleu", "perplexity", "matthews_corrcoef"]
    )
    assert res.ci_low.tolist() == [0.0, 1.0, 0.95 - 1.959963984540054 * 0.1]
    assert res.ci_high[2] == 1.0
