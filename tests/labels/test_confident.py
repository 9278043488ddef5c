"""Confident learning against cleanlab 2.x (the oracle) on real and simulated data.

Reference: cleanlab (installed in the dev environment) -- ``cleanlab.filter.find_label_issues``,
``cleanlab.count.compute_confident_joint``, ``get_confident_thresholds``, ``estimate_latent``,
``estimate_joint`` and ``cleanlab.rank.get_label_quality_scores``. Real data: MNIST and CIFAR-10
out-of-sample probabilities and human (MTurk) verdicts from cleanlab/label-errors (see
tests/data/label-errors/README.md).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import cleanlab  # noqa: E402, F401  (the oracle; a dev dependency)
import numpy as np
import pytest
from cleanlab import count as cl_count  # noqa: E402
from cleanlab import rank as cl_rank  # noqa: E402
from cleanlab.filter import find_label_issues as cl_find  # noqa: E402

from assay._core import InputError  # noqa: E402
from assay.labels import (  # noqa: E402
    FILTER_METHODS,
    QUALITY_METHODS,
    confident_joint,
    confident_thresholds,
    estimate_noise,
    find_label_issues,
    label_quality_scores,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "label-errors"


def _load(name: str):
    pyx = np.load(DATA / f"{name}_test_set_pyx.npy")
    labels = np.load(DATA / f"{name}_test_set_original_labels.npy")
    mturk = json.loads((DATA / f"{name}_mturk.json").read_text())
    return labels, pyx, mturk


def _cleanlab(labels, pyx, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cl_find(labels, pyx, n_jobs=1, **kw)


@pytest.fixture(scope="module", params=["mnist", "cifar10"])
def real(request):
    return _load(request.param)


def _simulated(n=3000, k=5, noise=0.1, seed=0, quantize=None, signal=2.0):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + signal * np.eye(k)[true]
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    if quantize:  # coarse probabilities: many exact ties at every selection boundary
        prob = np.round(prob * quantize) / quantize
    given = true.copy()
    flip = rng.random(n) < noise
    given[flip] = (given[flip] + rng.integers(1, k, flip.sum())) % k
    return given, prob, flip


# ------------------------------------------------------------------------------ same flags as cleanlab


@pytest.mark.parametrize("filter_by", FILTER_METHODS)
def test_same_flags_and_order_as_cleanlab_on_real_data(real, filter_by):
    labels, pyx, _ = real
    ours = find_label_issues(labels, pyx, filter_by=filter_by)
    ref = _cleanlab(labels, pyx, filter_by=filter_by)
    np.testing.assert_array_equal(ours.is_issue, ref)
    ranked = _cleanlab(labels, pyx, filter_by=filter_by, return_indices_ranked_by="self_confidence")
    np.testing.assert_array_equal(ours.ranked, ranked)
    assert ours.n_issues == int(ref.sum())
    # the suggested label is the most probable class (cleanlab's predicted label, pred_probs.argmax)
    np.testing.assert_array_equal(ours.suggested_label, pyx[ranked].argmax(axis=1))


@pytest.mark.parametrize(
    "filter_by", ["prune_by_noise_rate", "prune_by_class", "both", "low_self_confidence"]
)
def test_same_flags_for_float32_input(real, filter_by):
    labels, pyx, _ = real
    p32 = pyx.astype(np.float32)
    np.testing.assert_array_equal(
        find_label_issues(labels, p32, filter_by=filter_by).is_issue,
        _cleanlab(labels, p32, filter_by=filter_by),
    )


@pytest.mark.parametrize("rank_by", QUALITY_METHODS)
def test_ranking_by_each_score_matches_cleanlab(real, rank_by):
    labels, pyx, _ = real
    ours = find_label_issues(labels, pyx, rank_by=rank_by)
    ref = _cleanlab(labels, pyx, return_indices_ranked_by=rank_by)
    np.testing.assert_array_equal(ours.ranked, ref)


@pytest.mark.parametrize("filter_by", FILTER_METHODS)
@pytest.mark.parametrize("quantize", [None, 20])
def test_same_flags_on_simulated_data_with_ties(filter_by, quantize):
    # quantize=20 makes probabilities multiples of 0.05: the partition's tie fallback must pick the
    # same examples as cleanlab's full argsort.
    given, prob, _ = _simulated(quantize=quantize, seed=3)
    np.testing.assert_array_equal(
        find_label_issues(given, prob, filter_by=filter_by).is_issue,
        _cleanlab(given, prob, filter_by=filter_by),
    )


@pytest.mark.parametrize(
    "options",
    [
        {"frac_noise": 0.5},
        {"min_examples_per_class": 400},
        {"num_to_remove_per_class": [5, 0, 12, 3, 7]},
        {"filter_by": "prune_by_class", "num_to_remove_per_class": [5, 0, 12, 3, 7]},
        {"filter_by": "both", "frac_noise": 0.3},
    ],
)
def test_options_match_cleanlab(options):
    given, prob, _ = _simulated(seed=5)
    np.testing.assert_array_equal(
        find_label_issues(given, prob, **options).is_issue, _cleanlab(given, prob, **options)
    )


def test_a_class_nobody_is_labelled_with():
    given, prob, _ = _simulated(k=4, seed=8)
    given[given == 2] = 1  # class 2 has no examples
    for fb in ("prune_by_noise_rate", "confident_learning"):
        np.testing.assert_array_equal(find_label_issues(given, prob, filter_by=fb).is_issue,
                                      _cleanlab(given, prob, filter_by=fb))  # fmt: skip
    np.testing.assert_allclose(
        confident_thresholds(given, prob), cl_count.get_confident_thresholds(given, prob)
    )


# ------------------------------------------------------------------------------ the counting stage


def test_thresholds_joint_and_noise_match_cleanlab(real):
    labels, pyx, _ = real
    np.testing.assert_array_equal(
        confident_thresholds(labels, pyx), cl_count.get_confident_thresholds(labels, pyx)
    )
    for calibrate in (True, False):
        np.testing.assert_array_equal(
            confident_joint(labels, pyx, calibrate=calibrate),
            cl_count.compute_confident_joint(labels, pyx, calibrate=calibrate),
        )
    res = estimate_noise(labels, pyx)
    cj = cl_count.compute_confident_joint(labels, pyx)
    py, nm, inv = cl_count.estimate_latent(cj, labels)
    np.testing.assert_allclose(res.py, py, rtol=1e-12)
    np.testing.assert_allclose(res.noise_matrix, nm, rtol=1e-12)
    np.testing.assert_allclose(res.inverse_noise_matrix, inv, rtol=1e-12)
    np.testing.assert_allclose(res.joint, cl_count.estimate_joint(labels, pyx), rtol=1e-12)
    # num_label_issues(..., 'off_diagonal_calibrated') is n * (1 - trace(joint)), rounded
    assert round(res.noise_rate * res.n) == cl_count.num_label_issues(
        labels, pyx, estimation_method="off_diagonal_calibrated"
    )
    assert res.to_dict()["n"] == labels.size


@pytest.mark.parametrize("method", QUALITY_METHODS)
def test_label_quality_scores_match_cleanlab(real, method):
    labels, pyx, _ = real
    np.testing.assert_array_equal(
        label_quality_scores(labels, pyx, method=method),
        cl_rank.get_label_quality_scores(labels, pyx, method=method),
    )


def test_recovers_planted_noise_in_simulation():
    # Known truth: 10% of labels flipped; confident learning should find most flips, few false ones.
    # A classifier whose true-class logit leads by 4 (so its own errors are rare).
    given, prob, flip = _simulated(n=5000, noise=0.1, seed=11, signal=4.0)
    res = find_label_issues(given, prob)
    recall = (res.is_issue & flip).sum() / flip.sum()
    precision = (res.is_issue & flip).sum() / res.n_issues
    assert recall > 0.8 and precision > 0.8
    assert abs(res.noise.noise_rate - flip.mean()) < 0.03


# ------------------------------------------------------------------------------ against human verdicts


def test_precision_of_top_flags_against_mturk_verdicts(real):
    # An item is a real label error when fewer than 3 of the 5 workers chose the given label
    # (cleanlab/label-errors; shared data README): MNIST 15 of 100 candidates, CIFAR-10 54 of 275.
    labels, pyx, mturk = real
    verdict = {r["id"]: r["mturk"]["given"] < 3 for r in mturk}
    n_real = sum(verdict.values())
    assert n_real in (15, 54) and len(verdict) in (100, 275)
    res = find_label_issues(labels, pyx, filter_by="confident_learning")
    top = [int(i) for i in res.ranked[:15] if int(i) in verdict]
    precision = float(np.mean([verdict[i] for i in top]))
    # Measured (docs/labels.md): MNIST 7 of 15 = 0.47; CIFAR-10 top 15: 0.40. The candidates as a
    # whole were 15% and 20% real errors here; our top flags must beat that base rate.
    assert len(top) == 15
    assert precision > n_real / len(verdict)


# ------------------------------------------------------------------------------ result and doctests


def test_result_fields_and_dict():
    given, prob, _ = _simulated(seed=2)
    res = find_label_issues(given, prob)
    d = res.to_dict()
    assert d["n_issues"] == res.n_issues and "is_issue" not in d
    assert res.suggested_label.shape == res.ranked.shape
    np.testing.assert_array_equal(res.suggested_label, prob[res.ranked].argmax(axis=1))
    assert np.all(np.diff(res.label_quality[res.ranked]) >= 0)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("labels", "prob", "match"),
    [
        ([0, 1], [[0.5, 0.5, 0.0]], r"`y_true` must have shape \(1,\)"),
        ([0], [0.5, 0.5], r"`y_prob` must have shape \(n_examples, n_classes\)"),
        ([0], [[1.0]], r"n_classes >= 2"),
        (["a"], [[0.5, 0.5]], r"`y_true` must hold integer class labels"),
        ([2], [[0.5, 0.5]], r"`y_true` holds the label 2"),
        ([-1], [[0.5, 0.5]], r"`y_true` holds the label -1"),
        ([0], [[np.nan, 0.5]], r"non-finite"),
        ([0], [[1.5, 0.5]], r"probabilities in \[0, 1\]"),
        ([0], [["x", "y"]], r"numeric array"),
    ],
)
def test_bad_inputs_raise(labels, prob, match):
    with pytest.raises(InputError, match=match):
        find_label_issues(labels, prob)


def test_float_labels_that_are_integers_are_accepted():
    given, prob, _ = _simulated(n=500, seed=4)
    np.testing.assert_array_equal(find_label_issues(given.astype(float), prob).is_issue,
                                  find_label_issues(given, prob).is_issue)  # fmt: skip


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"filter_by": "nope"}, r"`filter_by` must be one of"),
        ({"rank_by": "nope"}, r"`rank_by` must be one of"),
        ({"frac_noise": 0}, r"`frac_noise` must be a number in \(0, 1\]"),
        ({"frac_noise": True}, r"`frac_noise` must be a number"),
        (
            {"frac_noise": 0.5, "filter_by": "confident_learning"},
            r"`frac_noise` applies to filter_by",
        ),
        ({"min_examples_per_class": -1}, r"`min_examples_per_class` must be an integer >= 0"),
        (
            {"num_to_remove_per_class": [1, 2]},
            r"`num_to_remove_per_class` must be 5 non-negative integers",
        ),
        (
            {"num_to_remove_per_class": [1] * 5, "filter_by": "predicted_neq_given"},
            r"applies to filter_by",
        ),
    ],
)
def test_bad_options_raise(options, match):
    given, prob, _ = _simulated(n=200, seed=1)
    with pytest.raises(InputError, match=match):
        find_label_issues(given, prob, **options)


def test_other_bad_arguments_raise():
    with pytest.raises(InputError, match=r"`calibrate` must be True or False"):
        confident_joint([0, 1], [[0.9, 0.1], [0.1, 0.9]], calibrate="yes")
    with pytest.raises(InputError, match=r"`method` must be one of"):
        label_quality_scores([0, 1], [[0.9, 0.1], [0.1, 0.9]], method="margin")


# ------------------------------------------------------------------------------ fast paths (issue 19)


@pytest.mark.parametrize("k", [2, 16, 17, 20])
def test_same_flags_either_side_of_the_packed_class_limit(k):
    # Up to 16 classes the confident joint packs each row's above-threshold classes into one
    # integer; above that it counts them directly. Both must give cleanlab's flags and joint.
    given, prob, _ = _simulated(n=4000, k=k, seed=20 + k)
    assert given.min() == 0 and given.max() == k - 1
    np.testing.assert_array_equal(confident_joint(given, prob, calibrate=False),
                                  cl_count.compute_confident_joint(given, prob, calibrate=False))  # fmt: skip
    for fb in FILTER_METHODS:
        np.testing.assert_array_equal(
            find_label_issues(given, prob, filter_by=fb).is_issue,
            _cleanlab(given, prob, filter_by=fb),
        )


@pytest.mark.parametrize("k", [4, 20])
def test_rows_with_several_classes_above_their_thresholds(k):
    # Flat probabilities put several classes of many rows above their thresholds; those rows go to
    # their arg-max, not to the first class above (cleanlab's rule).
    given, prob, _ = _simulated(n=3000, k=k, seed=31, signal=0.3)
    cut = cl_count.get_confident_thresholds(given, prob) - 1e-6
    assert ((prob >= cut).sum(axis=1) > 1).mean() > 0.05  # the case is exercised
    np.testing.assert_array_equal(confident_joint(given, prob, calibrate=False),
                                  cl_count.compute_confident_joint(given, prob, calibrate=False))  # fmt: skip
    for fb in ("prune_by_noise_rate", "confident_learning", "low_self_confidence"):
        np.testing.assert_array_equal(
            find_label_issues(given, prob, filter_by=fb).is_issue,
            _cleanlab(given, prob, filter_by=fb),
        )


def test_column_major_and_strided_probabilities():
    given, prob, _ = _simulated(seed=12)
    ref = _cleanlab(given, prob)
    np.testing.assert_array_equal(find_label_issues(given, np.asfortranarray(prob)).is_issue, ref)
    wide = np.zeros((prob.shape[0], 2 * prob.shape[1]))
    wide[:, ::2] = prob
    np.testing.assert_array_equal(find_label_issues(given, wide[:, ::2]).is_issue, ref)


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_reduce_step_ties_with_the_head_start(filter_by):
    # The reduce step unflags an example whose label is the arg-max after adding 1e-6 to it; with a
    # rival exactly 1e-6 above the label, arg-max keeps the first of the two. Rivals before and after
    # the label, exactly at the head start, must be resolved as cleanlab's argmax resolves them.
    given, prob, _ = _simulated(n=3000, seed=40, quantize=20)
    rng = np.random.default_rng(41)
    rows = rng.choice(given.size, 600, replace=False)
    for i in rows:
        rival = (given[i] + rng.integers(1, prob.shape[1])) % prob.shape[1]
        prob[i, rival] = prob[i, given[i]] + 1e-6  # rows no longer sum to 1 exactly: no matter
    head = prob[np.arange(given.size), given] + 1e-6
    ties = (prob == head[:, None]).any(axis=1)
    assert ties.sum() > 300
    ours = find_label_issues(given, prob, filter_by=filter_by)
    np.testing.assert_array_equal(ours.is_issue, _cleanlab(given, prob, filter_by=filter_by))
    assert (ours.is_issue & ties).any()  # some flagged rows carry the tie


@pytest.mark.parametrize("k", [2, 7, 8, 9, 10, 15, 16])
def test_packing_of_above_threshold_flags(k):
    # The packed code of each row must equal sum_c flag_c * 2**c, computed here by plain arithmetic.
    from assay.labels._count import _packed

    rng = np.random.default_rng(k)
    n = 1001
    flags = rng.random((n, k)) < 0.5
    buf = np.zeros(n * k + 8, dtype=np.uint8)
    buf[: n * k] = flags.ravel()
    buf[n * k :] = 1  # slack after the last row must not leak into its code
    expected = flags.astype(np.int64) @ (2 ** np.arange(k, dtype=np.int64))
    np.testing.assert_array_equal(_packed(buf, n, k), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_flags_when_rows_are_read_in_many_chunks(real, monkeypatch, dtype):
    # The passes over all rows go a cache-sized chunk at a time; with tiny chunks (256 rows, the
    # last one partial) the thresholds, joint and flags must still be cleanlab's.
    import assay.labels._count as count

    monkeypatch.setattr(count, "_CHUNK_BYTES", 1024)
    labels, pyx, _ = real
    pyx = pyx.astype(dtype)
    assert labels.size % 256 != 0
    np.testing.assert_array_equal(confident_thresholds(labels, pyx),
                                  cl_count.get_confident_thresholds(labels, pyx))  # fmt: skip
    np.testing.assert_array_equal(confident_joint(labels, pyx, calibrate=False),
                                  cl_count.compute_confident_joint(labels, pyx, calibrate=False))  # fmt: skip
    for fb in ("prune_by_noise_rate", "both", "confident_learning"):
        np.testing.assert_array_equal(find_label_issues(labels, pyx, filter_by=fb).is_issue,
                                      _cleanlab(labels, pyx, filter_by=fb))  # fmt: skip


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("kind", ["continuous", "ties", "off_sample"])
def test_selection_picks_what_cleanlabs_argsort_picks(largest, kind):
    # cleanlab keeps np.argsort(-margin)[:m] (largest) or np.argsort(p)[:m] (lowest); the selection
    # bounds the boundary on every 16th value first, and must fall back when the sample misleads.
    from assay.labels._filter import _select

    rng = np.random.default_rng(7)
    n = 50_000
    values = rng.random(n)
    if kind == "ties":
        values = np.round(values * 50) / 50
    if kind == "off_sample":  # the sampled positions hold the most extreme values (tied)
        values[::16] = 1.0 if largest else 0.0
    for count in (1, 37, 500, 3000, 12_000, 30_000):
        ref = np.argsort(-values if largest else values)[:count]
        got = _select(values, count, largest=largest)
        np.testing.assert_array_equal(np.sort(got), np.sort(ref))


@pytest.mark.parametrize(("k", "chunk_bytes"), [(10, 1024), (40, 1 << 20), (40, 1024)])
def test_normalized_margin_in_chunks_and_with_many_classes(monkeypatch, k, chunk_bytes):
    # The largest other probability is a running maximum over columns (up to 32 classes) or a row
    # maximum (more), a chunk of rows at a time; cleanlab's scores and flags are the reference.
    import assay.labels._count as count

    monkeypatch.setattr(count, "_CHUNK_BYTES", chunk_bytes)
    given, prob, _ = _simulated(n=3000, k=k, seed=50 + k)
    np.testing.assert_array_equal(
        label_quality_scores(given, prob, method="normalized_margin"),
        cl_rank.get_label_quality_scores(given, prob, method="normalized_margin"),
    )
    np.testing.assert_array_equal(
        find_label_issues(given, prob, filter_by="low_normalized_margin").is_issue,
        _cleanlab(given, prob, filter_by="low_normalized_margin"),
    )


@pytest.mark.parametrize("k", [2, 10, 33])
def test_row_argmax_keeps_the_first_maximum(monkeypatch, k):
    # numpy's argmax (cleanlab's) returns the first of tied maxima; coarse values tie often,
    # column 0 included. Small chunks so that several chunks and a partial one are read.
    import assay.labels._count as count

    monkeypatch.setattr(count, "_CHUNK_BYTES", 1024)
    rng = np.random.default_rng(k)
    p = np.round(rng.random((2000, k)) * 3) / 3
    assert ((p == p.max(axis=1, keepdims=True)).sum(axis=1) > 1).mean() > 0.1
    best, top = count._row_argmax(p)
    np.testing.assert_array_equal(best, p.argmax(axis=1))
    np.testing.assert_array_equal(top, p.max(axis=1))
