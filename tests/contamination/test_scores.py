"""Clean against dirty: CMH and the stratified gap against statsmodels; error rates in simulation."""

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from assay._core import DegenerateDataWarning, InputError
from assay.contamination import clean_vs_dirty

LEVELS = np.array([0.2, 0.4, 0.6, 0.8, 0.95])


def confounded(rng, n_items=400, n_models=3, effect=0.0):
    """Easy items are more often contaminated; models answer with the item's own probability."""
    p = LEVELS[rng.integers(0, 5, n_items)]
    dirty = rng.random(n_items) < 0.1 + 0.5 * (p - 0.2)
    prob = np.clip(p + effect * dirty, 0, 1)
    scores = (rng.random((n_models, n_items)) < prob).astype(float)
    return scores, dirty, p


def test_cmh_statistic_matches_statsmodels():
    rng = np.random.default_rng(0)
    scores, dirty, p = confounded(rng, effect=0.1)
    res = clean_vs_dirty(scores, dirty, difficulty=p, n_strata=5, alternative="two-sided")
    for m, row in enumerate(res.models):
        tables = []
        for level in LEVELS:
            s = p == level
            y = scores[m, s]
            d = dirty[s]
            tables.append([[y[d].sum(), (1 - y[d]).sum()], [y[~d].sum(), (1 - y[~d]).sum()]])
        ref = StratifiedTable(np.array(tables, float).transpose(1, 2, 0)).test_null_odds(
            correction=False
        )
        assert row.statistic**2 == pytest.approx(ref.statistic, rel=1e-10)
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
        assert row.method == "cmh" and row.n_strata == 5


def test_single_stratum_interval_matches_statsmodels():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(2, 120))
    dirty = np.arange(120) < 40
    res = clean_vs_dirty(
        scores,
        dirty,
        difficulty=np.zeros(120),
        n_strata=1,
        confidence_level=0.9,
        n_resamples=200,
        rng=0,
    )
    cm = CompareMeans(DescrStatsW(scores[0, dirty]), DescrStatsW(scores[0, ~dirty]))
    lo, hi = cm.zconfint_diff(alpha=0.1, usevar="unequal")
    row = res.models[0]
    assert row.estimate == pytest.approx(scores[0, dirty].mean() - scores[0, ~dirty].mean())
    assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
    assert row.method == "stratified-permutation"


def test_difficulty_explains_a_raw_gap_at_the_nominal_rate():
    # a simulation with known truth: no contamination effect, but contaminated items are easier
    rng = np.random.default_rng(2)
    raw, rejections, n_sim = [], 0, 200
    for _ in range(n_sim):
        scores, dirty, p = confounded(rng, n_models=1)
        res = clean_vs_dirty(scores, dirty, difficulty=p)
        raw.append(res.models[0].gap)
        rejections += res.models[0].pvalue < 0.05
    assert np.mean(raw) > 0.1  # the raw gap is large ...
    assert rejections / n_sim < 0.05 + 3 * np.sqrt(0.05 * 0.95 / n_sim)  # ... but not significant


def test_a_real_effect_is_found():
    rng = np.random.default_rng(3)
    scores, dirty, p = confounded(rng, n_items=1000, n_models=4, effect=0.15)
    res = clean_vs_dirty(scores, dirty, models=list("abcd"))  # leave-one-out difficulty
    assert all(r.pvalue_adjusted < 0.01 for r in res.models)
    assert all(0.05 < r.estimate < 0.25 for r in res.models)
    assert res.difficulty == "leave-one-out mean score" and [r.model for r in res.models] == list(
        "abcd"
    )


def test_permutation_p_is_valid_under_the_null():
    rng = np.random.default_rng(4)
    ps = []
    for _ in range(60):
        scores = rng.normal(size=(1, 80))
        ps.append(
            clean_vs_dirty(
                scores, np.arange(80) < 20, difficulty=rng.random(80), n_resamples=199, rng=rng
            )
            .models[0]
            .pvalue
        )
    assert np.mean(np.array(ps) < 0.1) < 0.1 + 3 * np.sqrt(0.09 / 60)
    assert 0.35 < np.mean(ps) < 0.65


def test_samples_are_averaged_and_missing_scores_omitted():
    rng = np.random.default_rng(5)
    s3 = rng.integers(0, 2, size=(2, 50, 3)).astype(float)
    s3[0, 0, :] = np.nan
    dirty = np.arange(50) < 10
    res = clean_vs_dirty(s3, dirty, difficulty=rng.random(50), n_resamples=100, rng=0)
    assert res.models[0].n_dirty == 9 and res.models[1].n_dirty == 10


def test_no_mixed_stratum_warns_and_returns_nan():
    scores = np.tile(np.arange(10) % 2, (2, 1)).astype(float)
    dirty = np.arange(10) < 5
    with pytest.warns(DegenerateDataWarning, match="no difficulty stratum holds both"):
        res = clean_vs_dirty(scores, dirty, difficulty=np.arange(10.0), n_strata=2)
    assert np.isnan(res.models[0].estimate) and np.isnan(res.models[0].pvalue)
    assert res.models[0].gap == pytest.approx(0.4 - 0.6)


def test_errors():
    s = np.zeros((2, 4))
    d = np.array([True, False, True, False])
    with pytest.raises(InputError, match="`contaminated` must be a boolean array; got dtype int64"):
        clean_vs_dirty(s, d.astype(int))
    with pytest.raises(
        InputError, match=r"`contaminated` must have one entry per item \(4\); got shape \(3,\)"
    ):
        clean_vs_dirty(s, d[:3])
    with pytest.raises(InputError, match="must mark some items and leave some clean; got 4 of 4"):
        clean_vs_dirty(s, np.ones(4, bool))
    with pytest.raises(
        InputError, match=r"`models` must have one name per row of `scores` \(2\); got 1"
    ):
        clean_vs_dirty(s, d, models=["a"])
    with pytest.raises(InputError, match=r"`difficulty` must have one entry per item \(4\); got 2"):
        clean_vs_dirty(s, d, difficulty=[0.1, 0.2])
    with pytest.raises(InputError, match="`difficulty` is needed with a single model"):
        clean_vs_dirty(s[:1], d)
    with pytest.raises(InputError, match="`alternative` must be one of"):
        clean_vs_dirty(s, d, alternative="bigger")
    with pytest.raises(InputError, match="`n_strata` must be an integer >= 1; got 0"):
        clean_vs_dirty(s, d, n_strata=0)
