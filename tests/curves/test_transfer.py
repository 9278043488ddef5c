"""Tests of data_scaling, forgetting, time_to_target and performance_profiles."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from assay._core import InputError
from assay.curves import data_scaling, forgetting, performance_profiles, time_to_target

# ---------------------------------------------------------------------------------------------
# Power law in the number of fine-tuning examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["score", "error"])
def test_data_scaling_equals_statsmodels_ols_on_logs(target):
    # Oracle: statsmodels OLS of log(y) on log(N) with its t interval for the slope.
    rng = np.random.default_rng(0)
    n = np.array([100, 200, 500, 1000, 2000, 5000, 10000])
    score = np.clip(0.1 * n**0.2 * np.exp(rng.normal(0, 0.03, n.size)), 0, 0.95)
    res = data_scaling(n, score, target=target)
    y = score if target == "score" else 1 - score
    ols = sm.OLS(np.log(y), sm.add_constant(np.log(n))).fit()
    assert res.exponent == pytest.approx(ols.params[1], rel=1e-10)
    assert res.coefficient == pytest.approx(math.exp(ols.params[0]), rel=1e-10)
    lo, hi = ols.conf_int(0.05)[1]
    assert (res.exponent_ci_low, res.exponent_ci_high) == pytest.approx((lo, hi), rel=1e-9)
    assert res.r_squared == pytest.approx(ols.rsquared, rel=1e-10)
    assert res.pvalue == pytest.approx(ols.pvalues[1], rel=1e-8)
    assert res.predict(1000)[0] == pytest.approx(
        res.coefficient * 1000**res.exponent
        if target == "score"
        else 1 - res.coefficient * 1000**res.exponent
    )
    assert res.examples_for(float(res.predict(3000)[0])) == pytest.approx(3000, rel=1e-9)


def test_data_scaling_recovers_a_known_exponent():
    # Known truth: score = 0.05 N^0.25 with 2% multiplicative noise, 8 data sizes.
    rng = np.random.default_rng(1)
    n = np.geomspace(50, 50_000, 8)
    hits = 0
    for _ in range(200):
        s = 0.05 * n**0.25 * np.exp(rng.normal(0, 0.02, n.size))
        r = data_scaling(n, s)
        hits += r.exponent_ci_low <= 0.25 <= r.exponent_ci_high
    assert 0.9 <= hits / 200 <= 0.99


def test_data_scaling_errors():
    with pytest.raises(InputError, match="needs at least 3 data sizes"):
        data_scaling([1, 2], [0.1, 0.2])
    with pytest.raises(InputError, match="same length"):
        data_scaling([1, 2, 3], [0.1, 0.2])
    with pytest.raises(InputError, match="`n_examples` must be positive"):
        data_scaling([0, 2, 3], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match=r"needs positive errors \(1 - score\)"):
        data_scaling([1, 2, 3], [0.1, 0.2, 1.0], target="error")
    with pytest.raises(InputError, match="at least 2 different values"):
        data_scaling([5, 5, 5], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="`target` must be one of"):
        data_scaling([1, 2, 3], [0.1, 0.2, 0.3], target="loss")


# ---------------------------------------------------------------------------------------------
# Forgetting during continual post-training
# ---------------------------------------------------------------------------------------------

# Known truth: three tasks trained in stages 0, 1, 2. Stage i lifts task i and erodes the
# tasks trained before it; the expected accuracy matrix R[stage, task]:
R_TRUE = np.array(
    [
        [0.80, 0.30, 0.20],
        [0.70, 0.85, 0.25],
        [0.60, 0.75, 0.90],
    ]
)
BASE = np.array([0.25, 0.28, 0.20])


def _simulate(rng, n_items=3000):
    """Items with their own difficulty: item j of task t is right after stage s when its
    latent uniform is below R_TRUE[s, t], so an item's outcomes are correlated across stages
    as in a real model, while the expected mean over items is R_TRUE[s, t]."""
    tasks, base = [], []
    for t in range(3):
        u = rng.random(n_items)  # one latent uniform per item: monotone in every stage
        tasks.append(np.array([(u < R_TRUE[s, t]).astype(float) for s in range(3)]))
        base.append((u < BASE[t]).astype(float))
    return tasks, base


def test_simulated_continual_post_training_gives_the_expected_forgetting_matrix():
    rng = np.random.default_rng(2)
    tasks, base = _simulate(rng)
    res = forgetting(tasks, baseline=base)
    assert np.all(np.abs(res.matrix - R_TRUE) < 4 * (res.ci_high - res.ci_low) / 3.92 + 1e-12)
    assert np.all((res.ci_low <= R_TRUE) | (np.abs(res.matrix - R_TRUE) < 0.03))
    # BWT = mean(R[2, 0] - R[0, 0], R[2, 1] - R[1, 1]) = mean(-0.20, -0.10) = -0.15
    assert res.backward_transfer == pytest.approx(-0.15, abs=0.015)
    assert res.bwt_ci_low < -0.15 < res.bwt_ci_high
    # forgetting (Chaudhry): task 0 max(0.80, 0.70) - 0.60 = 0.20; task 1: 0.85 - 0.75 = 0.10
    np.testing.assert_allclose(res.task_forgetting[:2], [0.20, 0.10], atol=0.02)
    assert np.isnan(res.task_forgetting[2]) and np.isnan(res.task_bwt[2])
    assert res.average_forgetting == pytest.approx(0.15, abs=0.015)
    # FWT = mean(R[0, 1] - b_1, R[1, 2] - b_2) = mean(0.02, 0.05) = 0.035
    assert res.forward_transfer == pytest.approx(0.035, abs=0.015)
    assert res.final_average == pytest.approx(R_TRUE[2].mean(), abs=0.015)


def test_bwt_interval_covers_at_its_level():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        tasks, _ = _simulate(rng, n_items=400)
        res = forgetting(tasks)
        hits += res.bwt_ci_low <= -0.15 <= res.bwt_ci_high
    assert 0.9 <= hits / 200 <= 0.99


def test_forgetting_input_shapes_and_errors():
    rng = np.random.default_rng(4)
    cube = (rng.random((3, 2, 50)) < 0.5).astype(float)  # (stages, tasks, items)
    res = forgetting(cube, trained_at=[0, 2])
    assert res.matrix.shape == (3, 2) and res.trained_at == (0, 2)
    assert res.matrix[1, 0] == pytest.approx(cube[1, 0].mean())
    with pytest.raises(InputError, match="at least 2 tasks"):
        forgetting([np.ones((2, 3))])
    with pytest.raises(
        InputError, match=r"`scores\[1\]` has 3 stages \(rows\) but `scores\[0\]` has 2"
    ):
        forgetting([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(InputError, match="give `trained_at`"):
        forgetting([np.ones((2, 3))] * 3)
    with pytest.raises(InputError, match="`trained_at` must give one stage in 0..1 per task"):
        forgetting([np.ones((2, 3))] * 2, trained_at=[0, 2])
    with pytest.raises(InputError, match=r"`baseline\[0\]` has 2 items"):
        forgetting([np.ones((2, 3))] * 2, baseline=[np.ones(2), np.ones(3)])
    with pytest.raises(InputError, match="needs at least 2 items"):
        forgetting([np.ones((2, 1))] * 2)


# ---------------------------------------------------------------------------------------------
# Time to target and performance profiles (AlgoPerf)
# ---------------------------------------------------------------------------------------------


def algoperf_profiles(times_df, min_tau=1.0, max_tau=None, num_points=100, scale="linear"):
    """Reference: the profile and score steps of ``compute_performance_profiles`` and
    ``compute_leaderboard_score(normalize=True)`` in mlcommons/algorithmic-efficiency,
    scoring/performance_profile.py (Apache-2.0), reproduced faithfully from the time-to-target
    table on (NUM_WORKLOADS = the number of columns here)."""
    df = times_df.copy()
    num_workloads = df.shape[1]
    df.update(df.div(df.min(axis=0), axis=1))
    if max_tau is None:
        max_tau = df.replace(float("inf"), -1).replace(np.nan, -1).values.max()
    if scale == "linear":
        points = np.linspace(min_tau, max_tau, num=num_points)
    else:
        points = np.logspace(np.log10(min_tau), np.log10(max_tau), num=num_points, base=10.0)

    def rho(r, tau):
        return (r <= tau).sum(axis=1) / num_workloads

    perf_df = pd.concat([rho(df, tau) for tau in points], axis=1)
    cols = points if scale == "linear" else np.log10(points)
    perf_df.columns = cols
    scores = np.trapezoid(perf_df, x=perf_df.columns)
    scores /= perf_df.columns.max() - perf_df.columns.min()
    return perf_df, scores


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_profiles_equal_algoperf_reference(scale):
    rng = np.random.default_rng(5)
    times = rng.uniform(1000, 5000, (5, 8))
    times[1, 2] = times[3, 5] = np.inf
    df = pd.DataFrame(
        times, index=[f"alg{i}" for i in range(5)], columns=[f"w{j}" for j in range(8)]
    )
    ref_rho, ref_score = algoperf_profiles(df, max_tau=4.0, scale=scale)
    res = performance_profiles(
        times, algorithms=df.index, workloads=df.columns, max_tau=4.0, scale=scale
    )
    np.testing.assert_allclose(res.rho, ref_rho.to_numpy(), atol=1e-15)
    np.testing.assert_allclose(res.score, ref_score, rtol=1e-12)
    default_rho, _ = algoperf_profiles(df)
    np.testing.assert_allclose(performance_profiles(times).rho, default_rho.to_numpy(), atol=1e-15)
    assert res.algorithms[0] == "alg0" and res.ratios.min() == 1.0


def test_time_to_target_from_curves():
    steps = [100, 200, 300, 400]
    assert time_to_target(steps, [0.1, 0.5, 0.7, 0.9], 0.7) == 300.0
    assert time_to_target(steps, [0.1, 0.5, 0.6, 0.65], 0.7) == math.inf
    assert time_to_target(steps, [3.0, 2.0, np.nan, 0.5], 1.0, higher_is_better=False) == 400.0
    assert time_to_target([300, 100, 200], [0.9, 0.1, 0.8], 0.75) == 200.0  # sorted by step


def test_profile_errors():
    with pytest.raises(InputError, match="`times` must be positive"):
        performance_profiles([[0.0, 1.0], [1.0, 2.0]])
    with pytest.raises(InputError, match=r"must name the 2 rows and 2 columns"):
        performance_profiles([[1.0, 1.0], [1.0, 2.0]], algorithms=["a"])
    with pytest.raises(InputError, match="`reference` 'z' is not among the algorithms"):
        performance_profiles([[1.0, 1.0], [1.0, 2.0]], reference="z")
    with pytest.raises(InputError, match="need 0 < `min_tau` < `max_tau`"):
        performance_profiles([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(InputError, match="`target` must be a finite number"):
        time_to_target([1, 2], [0.1, 0.2], float("nan"))
    with pytest.raises(InputError, match="`scale` must be one of"):
        performance_profiles([[1.0, 3.0], [2.0, 1.0]], scale="sqrt")
