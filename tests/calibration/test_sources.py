"""Confidence sources, the validity screen, paired comparisons and per-model tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from scipy.special import softmax

from assay._core import InputError
from assay.calibration import (
    VERBAL_LABELS,
    calibration_by_model,
    calibration_metrics,
    compare_calibration,
    confidence_from_column,
    confidence_from_logprobs,
    confidence_from_p_true,
    parse_verbal_confidence,
    validity_screen,
)

# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def test_logprob_definitions_against_scipy_softmax():
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(4), 50)) - rng.uniform(0, 3, (50, 1))  # unnormalised
    p = softmax(lp, axis=1)
    chosen = rng.integers(0, 4, 50)
    src = confidence_from_logprobs(lp, chosen=chosen)
    np.testing.assert_allclose(src.confidence, p[np.arange(50), chosen])
    np.testing.assert_allclose(
        confidence_from_logprobs(lp, definition="max").confidence, p.max(axis=1)
    )
    np.testing.assert_allclose(
        confidence_from_logprobs(lp).confidence, p.max(axis=1)
    )  # argmax chosen
    raw = confidence_from_logprobs(lp, chosen=chosen, definition="raw")
    np.testing.assert_allclose(raw.confidence, np.exp(lp[np.arange(50), chosen]))
    assert "not normalised" in raw.definition and "softmax" in src.definition


def test_ragged_logprobs_and_missing_rows():
    src = confidence_from_logprobs([[-1.0, -2.0], None, [], [-0.1, -5.0, -5.0]])
    np.testing.assert_allclose(
        src.confidence[[0, 3]], [softmax([-1.0, -2.0])[0], softmax([-0.1, -5, -5])[0]]
    )
    assert np.isnan(src.confidence[1]) and np.isnan(src.confidence[2])
    assert src.n == 4 and src.n_missing == 2


def test_logprob_errors():
    with pytest.raises(InputError, match="item 1 contain NaN or \\+inf"):
        confidence_from_logprobs([[-1.0], [np.nan, -1.0]])
    with pytest.raises(InputError, match="`chosen` must be 2 integer choice indices"):
        confidence_from_logprobs([[-1.0, -2.0], [-1.0, -2.0]], chosen=[0.5, 1.0])
    with pytest.raises(InputError, match="`chosen` indices must lie in 0..1"):
        confidence_from_logprobs([[-1.0, -2.0], [-1.0, -2.0]], chosen=[0, 2])
    with pytest.raises(InputError, match="`definition` must be one of 'chosen', 'max', 'raw'"):
        confidence_from_logprobs([[-1.0]], definition="mean")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Confidence: 80%", 0.8),
        ("confidence 0.65", 0.65),
        ("Confidence level: 7/10", 0.7),
        ("I am 90 percent sure", 0.9),
        ("Answer: B (85/100)", 0.85),
        ("72", 0.72),
        ("0.4", 0.4),
        ("My confidence is very high.", 0.9),
        ("HIGH", 0.7),
        ("low", 0.3),
        ("almost certain", 0.95),
        ("Confidence: 150%", None),
        ("no idea", None),
        ("", None),
    ],
)
def test_verbal_parser(text, expected):
    value = parse_verbal_confidence([text]).confidence[0]
    if expected is None:
        assert np.isnan(value)
    else:
        assert value == pytest.approx(expected)


def test_verbal_parser_counts_failures_and_takes_custom_labels():
    src = parse_verbal_confidence(
        ["sure", "high", None, "maybe"], labels={"sure": 0.9, "maybe": 0.5}
    )
    assert src.confidence[0] == 0.9 and src.confidence[3] == 0.5
    assert np.isnan(src.confidence[1])  # 'high' is not in the custom table
    assert src.n_missing == 2 and src.examples_missing == ("high",)
    assert "sure=0.9" in src.definition
    assert VERBAL_LABELS["very high"] == 0.9
    with pytest.raises(InputError, match="`labels` must map text to a confidence in \\[0, 1\\]"):
        parse_verbal_confidence(["x"], labels={"sure": 2})
    with pytest.raises(InputError, match="item 0 is int"):
        parse_verbal_confidence([3])


def test_p_true_and_column():
    src = confidence_from_p_true(np.log([0.6, 0.2]), np.log([0.2, 0.2]))
    np.testing.assert_allclose(src.confidence, [0.75, 0.5])
    np.testing.assert_allclose(confidence_from_p_true(np.log([0.6])).confidence, [0.6])
    with pytest.raises(
        InputError, match="`logprob_false` must match `logprob_true` \\(2\\); got 1"
    ):
        confidence_from_p_true([0.0, 0.0], [0.0])
    col = confidence_from_column([0.2, np.nan, 1.0])
    assert col.n_missing == 1 and col.definition == "the confidence column, as given"
    with pytest.raises(InputError, match="1 value\\(s\\) do not"):
        confidence_from_column([0.2, 1.5])


# --------------------------------------------------------------------------------------------
# Validity screen
# --------------------------------------------------------------------------------------------


def test_screen_flags_a_ceiling_confidence():
    # simulation in the style of small instruct models: ~95% of answers say "95%"
    rng = np.random.default_rng(0)
    y = (rng.random(800) < 0.7).astype(float)
    conf = np.where(rng.random(800) < 0.95, 0.95, 0.9)
    s = validity_screen(conf, y, rng=0)
    assert s.verdict == "invalid"
    assert s.ceiling_rate == pytest.approx(np.mean(conf >= 0.95))
    assert any("at or above 0.95" in r for r in s.reasons)
    assert any("spread" in r for r in s.reasons)  # two distinct values
    assert any("Type-2 AUROC" in r for r in s.reasons)  # independent of correctness


def test_screen_passes_an_informative_confidence(simulate):
    conf, y = simulate(1000)
    lp = np.log(conf) + np.random.default_rng(1).normal(0, 0.05, 1000)
    s = validity_screen(conf, y, token_logprob=lp, n_unparsed=5, rng=0)
    assert s.verdict == "valid" and len(s.reasons) == 4
    assert s.type2_auroc.ci_low > 0.5
    ref = sps.spearmanr(conf, lp)  # scipy as the reference
    assert s.logprob_correlation == pytest.approx(ref.statistic)
    assert s.parse_rate == pytest.approx(1000 / 1005)
    assert s.to_dict()["type2_auroc"]["estimate"] == pytest.approx(s.type2_auroc.estimate)


def test_screen_parse_rate_and_errors(simulate):
    conf, y = simulate(300)
    s = validity_screen(conf, y, n_unparsed=100, rng=0)
    assert s.verdict == "invalid" and any("readable confidence" in r for r in s.reasons)
    with pytest.raises(InputError, match="`n_unparsed` must be >= 0"):
        validity_screen(conf, y, n_unparsed=-1)
    with pytest.raises(
        InputError, match="`token_logprob` must have one value per answer \\(300\\)"
    ):
        validity_screen(conf, y, token_logprob=[0.0])
    with pytest.raises(InputError, match="`ceiling` must be in \\[0, 1\\]"):
        validity_screen(conf, y, ceiling=95)


# --------------------------------------------------------------------------------------------
# Paired comparison
# --------------------------------------------------------------------------------------------


def test_compare_is_the_mirror_image(simulate):
    conf, y = simulate(1500, shift=0.05)
    other = np.clip(conf + 0.08, 0, 1)
    ab = compare_calibration(conf, y, other, y, metric="ece", rng=3, n_resamples=400)
    ba = compare_calibration(other, y, conf, y, metric="ece", rng=3, n_resamples=400)
    assert ab.estimate == pytest.approx(-ba.estimate)
    assert ab.ci_low == pytest.approx(-ba.ci_high) and ab.ci_high == pytest.approx(-ba.ci_low)
    assert ab.pvalue == pytest.approx(ba.pvalue)
    assert ab.estimate == pytest.approx(ab.estimate_b - ab.estimate_a)
    single = calibration_metrics(other, y, metrics="ece", n_resamples=10, rng=0)["ece"]
    assert ab.estimate_b == pytest.approx(single.estimate)


def test_compare_detects_a_real_difference_and_not_a_null_one(simulate):
    conf, y = simulate(3000)
    worse = np.clip(conf + 0.1, 0, 1)
    res = compare_calibration(
        conf, y, worse, y, metric="ece", alternative="greater", rng=0, n_resamples=500
    )
    assert res.pvalue < 0.01 and res.ci_low > 0.02
    null = compare_calibration(conf, y, conf, y, metric="brier", rng=0, n_resamples=200)
    assert null.estimate == 0.0 and null.pvalue == 1.0


def test_compare_type_one_error_is_near_nominal():
    # two equally calibrated models (same truth, independent noise): rejections at 5% ~ 5%
    rng = np.random.default_rng(9)
    rejections = 0
    reps = 60
    for _ in range(reps):
        f = rng.uniform(0.5, 1.0, 800)
        y = (rng.random(800) < f).astype(float)
        g = np.clip(f + rng.normal(0, 0.02, 800), 0, 1)
        rejections += (
            compare_calibration(f, y, g, y, metric="brier", rng=rng, n_resamples=300).pvalue < 0.05
        )
    assert rejections / reps <= 0.15


def test_compare_errors(simulate):
    conf, y = simulate(100)
    with pytest.raises(InputError, match="same items; got 100 and 50"):
        compare_calibration(conf, y, conf[:50], y[:50])
    with pytest.raises(InputError, match="`metric` must be one of"):
        compare_calibration(conf, y, conf, y, metric="classwise_ece")
    with pytest.raises(InputError, match="`alternative` must be one of"):
        compare_calibration(conf, y, conf, y, alternative="bigger")
    with pytest.raises(InputError, match="metric 'auroc' is undefined"):
        compare_calibration(conf, np.ones(100), conf, np.ones(100), metric="auroc", n_resamples=20)


# --------------------------------------------------------------------------------------------
# Per-model tables
# --------------------------------------------------------------------------------------------


def test_calibration_by_model_picks_sources(simulate):
    conf, y = simulate(200, shift=0.1)
    lp = [[np.log(c), np.log(1 - c)] for c in conf]
    cols = {
        "model": ["with-conf"] * 200 + ["with-lp"] * 200 + ["nothing"] * 200,
        "item": [f"q{i}" for i in range(200)] * 3,
        "score": np.r_[y, y, y],
        "confidence": np.r_[conf, np.full(400, np.nan)],
        "choice_logprobs": [None] * 200 + lp + [None] * 200,
    }
    models, comparisons, notes = calibration_by_model(cols, n_resamples=50, rng=0)
    assert [m.model for m in models] == ["with-conf", "with-lp"]
    assert models[0].source.source == "column" and models[1].source.source == "logprobs"
    # the log-probabilities were built so that softmax gives back the confidence (> 0.5)
    assert models[1].result["ece"].estimate == pytest.approx(models[0].result["ece"].estimate)
    assert notes == ["nothing: no confidence or choice log-probabilities (auto)."]
    assert len(comparisons) == 1 and comparisons[0][:2] == ("with-conf", "with-lp")
    assert comparisons[0][2].estimate == pytest.approx(0.0, abs=1e-12)


def test_calibration_by_model_errors_and_notes():
    with pytest.raises(InputError, match="lacks the 'score' column"):
        calibration_by_model({"model": ["a"], "item": ["1"]})
    with pytest.raises(InputError, match="column 'item' has 1 rows; expected 2"):
        calibration_by_model({"model": ["a", "b"], "item": ["1"], "score": [1, 0]})
    cols = {"model": ["a"] * 5 + ["b"] * 20, "item": [str(i) for i in range(25)],
            "score": np.r_[np.ones(5), np.full(20, 0.5)], "confidence": np.full(25, 0.7)}  # fmt: skip
    models, _, notes = calibration_by_model(cols, n_resamples=20, rng=0)
    assert models == []
    assert "a: only 5 answers with a confidence" in notes[0]
    assert "b: scores are not 0/1" in notes[1]
    with pytest.raises(InputError, match="`source` must be one of 'auto', 'column', 'logprobs'"):
        calibration_by_model(cols, source="verbal")
