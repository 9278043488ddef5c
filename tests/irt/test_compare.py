"""Two models compared, split gaps and per-topic abilities, checked on simulations with known truth."""

import numpy as np
import pytest
from scipy import special, stats

from assay import irt
from assay._core import InputError, ScoreMatrix

from .conftest import simulate_2pl


def _bank(n_items=200, seed=0):
    y, theta, a, b = simulate_2pl(400, n_items, seed=seed)
    return irt.fit(y, standard_errors=False), a, b


def _answers(a, b, theta, rng):
    return (
        rng.random((len(theta), a.size)) < special.expit(a * (np.asarray(theta)[:, None] - b))
    ).astype(float)


def test_compare_abilities_is_calibrated_and_antisymmetric():
    y, theta, a, b = simulate_2pl(300, 60, seed=1)
    theta[:2] = 0.4  # two models of equal ability
    rng = np.random.default_rng(5)
    y[:2] = _answers(a, b, theta[:2], rng)
    f = irt.fit(y)
    ab = irt.compare_abilities(f, "model 0", "model 1")
    ba = irt.compare_abilities(f, "model 1", "model 0")
    assert ab.estimate == pytest.approx(-ba.estimate) and ab.pvalue == pytest.approx(ba.pvalue)
    assert ab.se == pytest.approx(np.hypot(f.ability.se[0], f.ability.se[1]))
    assert ab.pvalue == pytest.approx(2 * stats.norm.sf(abs(ab.estimate / ab.se)))


def test_compare_abilities_type_one_error_and_power():
    fit, a, b = _bank(80, seed=2)
    rng = np.random.default_rng(3)
    rejections, power = 0, 0
    for _ in range(150):
        y = _answers(a, b, [0.0, 0.0, 1.0], rng)
        ab = irt.abilities(fit, y)
        z0 = (ab.estimate[0] - ab.estimate[1]) / np.hypot(ab.se[0], ab.se[1])
        z1 = (ab.estimate[2] - ab.estimate[1]) / np.hypot(ab.se[2], ab.se[1])
        rejections += abs(z0) > 1.96
        power += abs(z1) > 1.96
    assert rejections / 150 < 0.1  # nominal 5%; 150 draws
    assert power / 150 > 0.8


def test_split_gap_null_and_contamination():
    fit, a, b = _bank(200, seed=4)
    rng = np.random.default_rng(6)
    in_a = np.arange(200) < 80
    theta = rng.normal(size=300)
    y = _answers(a, b, theta, rng)
    gap = irt.split_gap(fit, y, in_a)
    # under the null the z statistics are close to N(0, 1)
    assert abs(np.mean(gap.statistic)) < 0.2 and 0.8 < np.std(gap.statistic) < 1.25
    assert np.mean(gap.pvalue < 0.05) < 0.1
    assert gap.n_a == 80 and gap.n_b == 120
    # contaminated: the first 50 models get 60% of set-A items they would have missed right
    y2 = y.copy()
    leak = (rng.random(y.shape) < 0.6) & in_a[None, :]
    y2[:50] = np.where(leak[:50], 1.0, y[:50])
    g2 = irt.split_gap(fit, y2, in_a)
    assert np.mean(g2.pvalue[:50] < 0.05) > 0.75 and np.all(g2.estimate[:50] > 0)
    assert np.mean(g2.pvalue[50:] < 0.05) < 0.1


def test_topic_abilities_recover_topic_profiles():
    rng = np.random.default_rng(7)
    n_models, per_topic = 200, 60
    general = rng.normal(size=n_models)
    maths = 0.6 * general + 0.8 * rng.normal(size=n_models)  # a second, partly separate skill
    a = rng.uniform(0.8, 2.0, 2 * per_topic)
    b = rng.normal(size=2 * per_topic)
    ability = np.concatenate(
        [np.repeat(general[:, None], per_topic, 1), np.repeat(maths[:, None], per_topic, 1)], 1
    )
    y = (rng.random(ability.shape) < special.expit(a * (ability - b))).astype(float)
    topics = np.array(["law"] * per_topic + ["math"] * per_topic + [])
    m = ScoreMatrix(
        models=tuple(f"m{i:03d}" for i in range(n_models)),
        items=tuple(f"q{i}" for i in range(120)),
        values=y,
        subject=topics,
    )
    t = irt.topic_abilities(m, None)
    assert t.topics == ("law", "math") and t.estimate.shape == (n_models, 2)
    assert np.corrcoef(t.estimate[:, 0], general)[0, 1] > 0.9
    assert np.corrcoef(t.estimate[:, 1], maths)[0, 1] > 0.9
    assert np.corrcoef(t.estimate[:, 1], general)[0, 1] < 0.8
    assert np.all(t.ci_low < t.estimate) and list(t.n_items) == [60, 60]
    small = irt.topic_abilities(y[:, :70], np.array(["a"] * 60 + ["b"] * 10), min_items=20)
    assert small.skipped == {"b": 10} and small.topics == ("a",)


def test_compare_errors():
    fit, a, b = _bank(30, seed=8)
    with pytest.raises(InputError, match="`model_a` 'x' is not in the fit"):
        irt.compare_abilities(fit, "x", "model 1")
    y = np.ones((2, 30))
    with pytest.raises(InputError, match="`in_a` must be a boolean array"):
        irt.split_gap(fit, y, np.ones(30))
    with pytest.raises(InputError, match="some items in set A"):
        irt.split_gap(fit, y, np.ones(30, bool))
    with pytest.raises(InputError, match="`topics` must have one entry per item"):
        irt.topic_abilities(y, ["a"])
    with pytest.raises(InputError, match="`topics` is required"):
        irt.topic_abilities(y, None)
    with pytest.raises(InputError, match="no topic has at least 40 items"):
        irt.topic_abilities(y, ["a"] * 30, min_items=40)
    with pytest.raises(InputError, match="`min_items` must be an integer >= 2"):
        irt.topic_abilities(y, ["a"] * 30, min_items=1)
