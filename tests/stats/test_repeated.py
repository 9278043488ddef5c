"""Tests of assay.stats._repeated.repeated_samples."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from assay._core import InputError
from assay.stats._repeated import repeated_samples


def _anova(x):
    """MSB, MSW from statsmodels anova_lm of score ~ C(item), long format, NaNs dropped."""
    n, k = x.shape
    df = pd.DataFrame({"y": x.ravel(), "item": np.repeat(np.arange(n), k)}).dropna()
    table = sm.stats.anova_lm(smf.ols("y ~ C(item)", data=df).fit())
    return table["mean_sq"].iloc[0], table["mean_sq"].iloc[1], df


def test_components_agree_with_statsmodels_anova_balanced():
    # Oracle: one-way random-effects ANOVA from statsmodels anova_lm; balanced design:
    # sigma_w^2 = MSW, sigma_b^2 = (MSB - MSW) / K (Searle, Casella & McCulloch 1992, eq. 3.11).
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.6, size=(80, 1)) + rng.normal(size=(80, 5))
    msb, msw, _ = _anova(x)
    r = repeated_samples(x)
    assert r.var_within == pytest.approx(msw, rel=1e-10)
    assert r.var_between == pytest.approx((msb - msw) / 5, rel=1e-10)
    # SE from item means: the same as a t-free CLT SE of the item means (scipy.stats.sem)
    assert r.se == pytest.approx(stats.sem(x.mean(axis=1)), rel=1e-12)
    assert r.var_item_means == pytest.approx(np.var(x.mean(axis=1), ddof=1), rel=1e-12)


def test_components_agree_with_statsmodels_anova_unbalanced():
    # Oracle: anova_lm on the samples present; unbalanced n0 = (N - sum K_i^2 / N)/(n - 1).
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1.0, size=(60, 1)) + rng.normal(size=(60, 6))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[0, :] = np.nan  # one item with no sample at all
    msb, msw, df = _anova(x)
    counts = df.groupby("item").size().to_numpy()
    big_n, n = counts.sum(), counts.size
    n0 = (big_n - np.sum(counts**2) / big_n) / (n - 1)
    r = repeated_samples(x, missing="omit")
    assert (r.n, r.n_omitted) == (59, 1)
    assert r.var_within == pytest.approx(msw, rel=1e-10)
    assert r.var_between == pytest.approx((msb - msw) / n0, rel=1e-10)


def test_recovers_known_components_binary():
    # Simulation with known truth: item difficulty p_i ~ Beta(2, 3), K = 8 Bernoulli samples.
    # sigma_b^2 = Var(p) = ab/((a+b)^2 (a+b+1)) = 6/150 = 0.04;
    # sigma_w^2 = E[p(1-p)] = E[p] - E[p^2] = 0.4 - (0.04 + 0.16) = 0.2.
    rng = np.random.default_rng(2)
    p = rng.beta(2, 3, size=20_000)
    x = (rng.random((20_000, 8)) < p[:, None]).astype(float)
    r = repeated_samples(x)
    assert r.var_between == pytest.approx(0.04, abs=0.003)
    assert r.var_within == pytest.approx(0.2, abs=0.003)
    assert r.icc == pytest.approx(0.04 / 0.24, abs=0.015)
    # Miller (2024) sec. 3: Var(item mean) = sigma_b^2 + sigma_w^2 / K
    assert r.var_item_means == pytest.approx(0.04 + 0.2 / 8, rel=0.05)


def test_item_level_interval_covers_and_sample_level_does_not():
    # Simulation: 200 items x 10 samples, true mean 0.5. The item-level interval covers at
    # ~95%; treating the 2000 samples as independent undercovers badly.
    rng = np.random.default_rng(3)
    reps, hits, naive = 400, 0, 0
    for _ in range(reps):
        p = rng.beta(1, 1, size=200)
        x = (rng.random((200, 10)) < p[:, None]).astype(float)
        r = repeated_samples(x)
        hits += r.ci_low <= 0.5 <= r.ci_high
        naive += abs(x.mean() - 0.5) <= 1.96 * x.std(ddof=1) / math.sqrt(x.size)
    assert abs(hits / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps)
    assert naive / reps < 0.8


def test_k_needed_reaches_the_target_and_k_minus_one_does_not():
    # Property of the formula: width(K) = 2 z sqrt((sb2 + sw2/K)/n) <= W exactly at k_needed.
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.2, size=(500, 1)) + rng.normal(size=(500, 4))
    r = repeated_samples(x, target_width=0.09)
    z = stats.norm.ppf(0.975)

    def width(k):
        return 2 * z * math.sqrt((r.var_between + r.var_within / k) / r.n)

    assert r.k_needed is not None and r.k_needed > 1
    assert width(r.k_needed) <= 0.09 < width(r.k_needed - 1)
    assert r.min_width == pytest.approx(2 * z * math.sqrt(r.var_between / 500))


def test_simulated_width_at_k_needed():
    # Simulation with known components sb = 0.3, sw = 1, n = 400, target width 0.1:
    # K_true = ceil(sw2 / (n (W/2z)^2 - sb2)) = ceil(1 / (0.2603 - 0.09)) = 6. The K estimated from
    # a pilot with K = 4 is close to it, and fresh data with K_true samples reach the target.
    z = stats.norm.ppf(0.975)
    k_true = math.ceil(1.0 / (400 * (0.1 / (2 * z)) ** 2 - 0.09))
    assert k_true == 6
    rng = np.random.default_rng(5)
    pilot = rng.normal(0, 0.3, size=(400, 1)) + rng.normal(size=(400, 4))
    r = repeated_samples(pilot, target_width=0.1)
    assert abs(r.k_needed - k_true) <= 2  # estimated components, so within sampling error
    widths = [
        repeated_samples(rng.normal(0, 0.3, size=(400, 1)) + rng.normal(size=(400, k_true))).width
        for _ in range(50)
    ]
    expected = 2 * z * math.sqrt((0.09 + 1 / k_true) / 400)
    assert np.mean(widths) == pytest.approx(expected, rel=0.03)
    assert expected <= 0.1


def test_no_k_can_reach_the_target():
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1.0, size=(100, 1)) + rng.normal(size=(100, 3))
    r = repeated_samples(x, target_width=0.05)
    assert r.k_needed is None
    assert "No K reaches width 0.05" in r.note and "add items" in r.note
    assert r.min_width > 0.05


def test_missing_policies():
    x = np.array([[1.0, 0.0, np.nan], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    r = repeated_samples(x, missing="omit")
    assert r.estimate == pytest.approx(np.mean([0.5, 1.0, 1 / 3]))
    p = repeated_samples(x, missing="propagate")
    assert np.isnan(p.estimate) and np.isnan(p.var_between)
    assert "k_needed" in r.to_dict()


@pytest.mark.parametrize(
    ("scores", "kwargs", "match"),
    [
        (
            [[1.0], [0.0]],
            {},
            r"`scores` must have at least 2 samples per item .*got shape \(2, 1\)",
        ),
        ([1.0, 0.0], {}, r"`scores` must have 2 dimension"),
        (
            [[1.0, np.nan], [0.0, 1.0]],
            {},
            r"`scores` contains 1 NaN value\(s\); pass `missing='omit'`",
        ),
        ([[1.0, 0.0]], {}, r"`scores` needs at least 2 items with samples; got 1"),
        ([[1.0, np.nan], [0.0, np.nan]], {"missing": "omit"}, r"no item with 2 or more samples"),
        (
            [[1.0, 0.0], [0.0, 1.0]],
            {"target_width": 0},
            r"`target_width` must be a positive number; got 0",
        ),
        (
            [[1.0, 0.0], [0.0, 1.0]],
            {"target_width": "1"},
            r"`target_width` must be a positive number",
        ),
        ([[1.0, 0.0], [0.0, 1.0]], {"missing": "x"}, r"`missing` must be one of"),
        ([[1.0, 0.0], [0.0, 1.0]], {"confidence_level": 1}, r"`confidence_level` must be in"),
    ],
)
def test_bad_input(scores, kwargs, match):
    with pytest.raises(InputError, match=match):
        repeated_samples(scores, **kwargs)
