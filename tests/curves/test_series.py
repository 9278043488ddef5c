"""assay.curves._series: checkpoint series from reported values (issue 15).

References: the Pythia results files themselves (values), statsmodels (Wilson, two-proportion z),
numpy (SDs), the curve functions this module delegates to, and simulations with known truth.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import assay
from assay._core import InputError
from assay.curves import (
    AggregateSeries,
    aggregate_series,
    fit_curve,
    forgetting,
    series_curve,
    series_fit,
    series_forgetting,
    series_signal_to_noise,
    signal_to_noise_from_curves,
)

PYTHIA = Path(__file__).parents[1] / "data" / "pythia"
STEPS = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, *range(3000, 143001, 10000)])


@pytest.fixture(scope="module")
def pythia_series():
    return aggregate_series(assay.read(PYTHIA).aggregates.to_pydict())


def _series(values, n=2000, steps=STEPS):
    v = np.asarray(values, dtype=float)
    return AggregateSeries(
        model="m",
        task="t",
        metric="acc",
        steps=np.asarray(steps),
        value=v,
        stderr=np.sqrt(v * (1 - v) / (n - 1)),
        n=np.full(v.size, -1),
    )


def test_pythia_series_one_per_model_task_metric(pythia_series):
    by = {(s.model, s.task, s.metric): s for s in pythia_series}
    s160 = by["EleutherAI/pythia-v1.1-160m", "arc_easy", "acc"]
    assert s160.steps.size == 27 and s160.steps[0] == 0 and s160.steps[-1] == 143000
    assert by["EleutherAI/pythia-v1.1-410m", "arc_easy", "acc"].steps.size == 9
    # values are the files' own: 160m at step 143000, arc_easy acc
    import json

    data = json.loads((PYTHIA / "pythia-160m/zero-shot/160m_step143000.json").read_text())
    assert s160.value[-1] == data["results"]["arc_easy"]["acc"]
    assert s160.stderr[-1] == data["results"]["arc_easy"]["acc_stderr"]
    assert by["EleutherAI/pythia-v1.1-160m", "lambada_openai", "ppl"].corpus_level


def test_series_curve_on_pythia_matches_references(pythia_series):
    s = next(
        x
        for x in pythia_series
        if (x.model, x.task, x.metric) == ("EleutherAI/pythia-v1.1-160m", "arc_easy", "acc")
    )
    res = series_curve(s)
    assert set(res.method) == {"wilson"} and set(res.n.tolist()) == {2376}  # ARC-Easy test
    k = np.round(s.value * 2376)
    lo, hi = proportion_confint(k, 2376, alpha=0.05, method="wilson")
    np.testing.assert_allclose(res.ci_low, lo, atol=1e-12)
    np.testing.assert_allclose(res.ci_high, hi, atol=1e-12)
    # the last step test: two-proportion z of step 143000 against 133000 (statsmodels)
    _, p = proportions_ztest([k[-1], k[-2]], [2376, 2376])
    assert res.step_pvalues[-1] == pytest.approx(p, rel=1e-9)
    # end-of-run noise: SD of the last 5 values and the RMS of their standard errors
    keep = ~np.isin(s.steps, res.outlier_steps)
    tail = s.value[keep][-5:]
    assert res.noise_sd == pytest.approx(np.std(tail, ddof=1))
    assert res.sampling_se == pytest.approx(math.sqrt(np.mean(res.se[keep][-5:] ** 2)))
    assert not res.paired and "--log_samples" in res.note
    assert len(res.points()) == 27 and res.to_dict()["outlier_steps"] == list(res.outlier_steps)


def test_series_outliers_false_flag_rate_and_power():
    # smooth logistic learning curves in log-step, 0/1 metric on 2000 items, 27 checkpoints
    rng = np.random.default_rng(0)
    x = np.log1p(STEPS)
    p = 0.25 + 0.4 / (1 + np.exp(-(x - 7.5) * 1.2))
    false = 0
    for _ in range(200):
        res = series_curve(_series(rng.binomial(2000, p) / 2000))
        false += bool(res.outlier_steps)
    assert false / 200 <= 0.08  # measured: 0.05 of curves with any false flag (seed 0, 400 runs)
    hits = 0
    for _ in range(100):
        q = p.copy()
        q[18] -= 0.08  # a broken checkpoint at step 63000
        res = series_curve(_series(rng.binomial(2000, q) / 2000))
        hits += 63000 in res.outlier_steps
    assert hits / 100 >= 0.85  # measured power: 0.94


def test_series_fit_and_snr_delegate(pythia_series):
    s = next(
        x
        for x in pythia_series
        if (x.model, x.task, x.metric) == ("EleutherAI/pythia-v1.1-160m", "sciq", "acc")
    )
    fit = series_fit(s, rng=0, n_resamples=50)
    ref = fit_curve(s.steps[1:].astype(float), s.value[1:], rng=0, n_resamples=50)
    assert fit.params == ref.params
    two = [x for x in pythia_series if (x.task, x.metric) == ("sciq", "acc")]
    snr = series_signal_to_noise(two, n_last=3)
    common = sorted(set(two[0].steps) & set(two[1].steps))
    curves = [[x.value[list(x.steps).index(c)] for c in common] for x in two]
    assert snr.snr == signal_to_noise_from_curves(np.array(curves), n_last=3).snr


def test_series_bad_input():
    cols = {"model": ["m", "m"], "task": ["t", "t"], "metric": ["acc"] * 2, "step": [1, 1]}
    with pytest.raises(InputError, match="lacks column"):
        aggregate_series(cols)
    cols.update(value=[0.5, 0.6], stderr=[0.01, 0.01])
    with pytest.raises(InputError, match="step 1 of m / t / acc appears twice"):
        aggregate_series(cols)
    with pytest.raises(InputError, match="must be an AggregateSeries"):
        series_curve("x")
    with pytest.raises(InputError, match="at least 2 AggregateSeries"):
        series_signal_to_noise([_series([0.5] * 27)])
    with pytest.raises(InputError, match="`level` must be one of"):
        aggregate_series(cols, level="runs")
    s = _series([0.5] * 27)
    with pytest.raises(InputError, match="alpha"):
        series_curve(s, alpha=1.5)
    with pytest.raises(InputError, match="`outlier_threshold` must be a positive number"):
        series_curve(s, outlier_threshold=-1)
    with pytest.raises(InputError, match="adjust"):
        series_curve(s, adjust="nope")


def test_series_forgetting_matches_the_per_item_matrix():
    # per-item 0/1 scores of 3 tasks at 3 stages; their means and lm-eval SEs as the "reported"
    rng = np.random.default_rng(4)
    p = np.array([[0.7, 0.3, 0.2], [0.6, 0.8, 0.3], [0.5, 0.7, 0.9]])
    items = [(rng.random((3, 400)) < p[:, j][:, None]).astype(float) for j in range(3)]
    series = []
    for j, x in enumerate(items):
        v = x.mean(axis=1)
        series.append(
            AggregateSeries(
                model="m",
                task=f"t{j}",
                metric="acc",
                steps=np.array([100, 200, 300]),
                value=v,
                stderr=x.std(axis=1, ddof=1) / math.sqrt(400),
                n=np.full(3, 400),
            )
        )
    ours = series_forgetting(series)
    ref = forgetting(items)  # the per-item version (paired)
    np.testing.assert_allclose(ours.matrix, ref.matrix)
    assert ours.backward_transfer == pytest.approx(ref.backward_transfer)
    np.testing.assert_allclose(ours.task_forgetting, ref.task_forgetting)
    # the stages were simulated independently, so the unpaired SE is close to the paired one
    assert ours.bwt_se == pytest.approx(ref.bwt_se, rel=0.15)
    with pytest.raises(InputError, match="`trained_at` must give one stage"):
        series_forgetting(series, trained_at=[0, 5, 1])
