"""The item audit on simulated multi-model answers with planted label errors (known truth)."""

from __future__ import annotations

import numpy as np
import pytest

from assay._core import InputError
from assay.labels import audit_items

LETTERS = np.array(list("ABCDEFGHIJ"))


def simulate(n_items=2000, n_models=20, k=10, planted=0.03, attract=0.5, seed=0):
    """Models answer by a 2PL-like rule; wrong answers favour one attractive distractor per item
    (correlated errors); then a fraction ``planted`` of gold labels is replaced by another answer."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n_items)
    theta = np.sort(rng.normal(0, 1, n_models))
    b = rng.normal(0, 1, n_items)
    p_right = 1 / (1 + np.exp(-(1.5 * (theta[:, None] - b[None, :]))))
    right = rng.random((n_models, n_items)) < p_right
    lure = (true + rng.integers(1, k, n_items)) % k
    other = (true[None, :] + rng.integers(1, k, (n_models, n_items))) % k
    wrong = np.where(rng.random((n_models, n_items)) < attract, lure[None, :], other)
    pred = np.where(right, true[None, :], wrong)
    gold = true.copy()
    bad = rng.random(n_items) < planted
    gold[bad] = (true[bad] + rng.integers(1, k, bad.sum())) % k
    return pred, gold, bad, true


@pytest.mark.parametrize(
    ("attract", "min_precision_at_k", "rho_range"),
    [(0.0, 0.8, (0.0, 0.05)), (0.3, 0.65, (0.05, 0.2)), (0.5, 0.5, (0.2, 0.35))],
)
def test_recovers_planted_label_errors(attract, min_precision_at_k, rho_range):
    # Known truth: 3% of gold labels replaced, 20 models, 2,000 items, 10 answers. At the planted
    # rate (the top k items, k = number planted) precision equals recall. Measured (seed 1):
    # 0.875, 0.73 and 0.58 as the wrong answers cluster more on one lure (attract = 0, 0.3, 0.5);
    # a planted error on an item most models fail cannot be told from a hard item.
    pred, gold, bad, _ = simulate(seed=1, attract=attract)
    res = audit_items(LETTERS[pred], LETTERS[gold], n_choices=10)
    k = int(bad.sum())
    assert bad[res.order[:k]].mean() > min_precision_at_k
    assert rho_range[0] <= res.error_correlation <= rho_range[1]
    flagged = res.is_suspect
    assert (flagged & bad).sum() / max(flagged.sum(), 1) > 0.55  # precision of the suspects at 0.5


def test_competing_answer_is_the_true_answer_of_planted_errors():
    pred, gold, bad, true = simulate(seed=2, attract=0.3)
    res = audit_items(pred, gold)  # integer answers work as well as strings
    found = res.is_suspect & bad
    assert found.sum() > 20
    assert (np.asarray(res.answers, dtype=int)[res.competing[found]] == true[found]).mean() > 0.95


def test_votes_and_counts_match_direct_counting():
    pred, gold, _, _ = simulate(n_items=300, n_models=7, seed=3)
    res = audit_items(pred, gold)
    codes = np.asarray(res.answers, dtype=int)
    for i in range(0, 300, 37):
        comp = res.competing[i]
        if comp >= 0:
            assert res.competing_votes[i] == (pred[:, i] == codes[comp]).sum()
            assert codes[comp] != gold[i]
        assert res.gold_votes[i] == (pred[:, i] == gold[i]).sum()
    np.testing.assert_array_equal(res.all_correct, (pred == gold).all(axis=0))
    np.testing.assert_array_equal(res.all_wrong, ~(pred == gold).any(axis=0))
    np.testing.assert_allclose(res.accuracy, (pred == gold).mean(axis=1))


def test_posterior_is_calibrated_when_the_model_holds():
    # Independent one-coin raters with known accuracies and a 10% prior of wrong gold: the
    # posterior P(gold wrong) must match the observed error frequency (simulation with known truth).
    rng = np.random.default_rng(4)
    n, m, k, eps = 20000, 6, 4, 0.1
    acc = np.linspace(0.4, 0.8, m)
    true = rng.integers(0, k, n)
    right = rng.random((m, n)) < acc[:, None]
    pred = np.where(right, true, (true + rng.integers(1, k, (m, n))) % k)
    gold = true.copy()
    bad = rng.random(n) < eps
    gold[bad] = (true[bad] + rng.integers(1, k, bad.sum())) % k
    w = np.log((k - 1) * acc / (1 - acc))
    res = audit_items(
        pred, gold, method="vote", n_choices=k, prior_error=eps, error_correlation=0.0, weights=w
    )
    for lo, hi in ((0.0, 0.05), (0.05, 0.3), (0.3, 0.7), (0.7, 1.0)):
        sel = (res.p_wrong >= lo) & (res.p_wrong < hi)
        if sel.sum() > 200:
            assert abs(bad[sel].mean() - res.p_wrong[sel].mean()) < 0.03


def test_posterior_by_hand():
    # Two answers per item, three models with weights 1, 1, 2: gold A, votes A, B, B.
    # odds(B) = eps/(K-1) * e^(1+2) ; odds(A) = (1-eps) * e^1 ; with K = 2, eps = 0.05
    res = audit_items(
        [["A"], ["B"], ["B"]],
        ["A"],
        method="vote",
        n_choices=2,
        weights=[1, 1, 2],
        error_correlation=0.0,
    )
    other, gold = 0.05 * np.exp(3), 0.95 * np.exp(1)
    assert res.p_wrong[0] == pytest.approx(other / (other + gold))
    # with correlation rho the sums are divided by 1 + (3 - 1) rho
    res = audit_items(
        [["A"], ["B"], ["B"]],
        ["A"],
        method="vote",
        n_choices=2,
        weights=[1, 1, 2],
        error_correlation=0.5,
    )
    other, gold = 0.05 * np.exp(3 / 2), 0.95 * np.exp(1 / 2)
    assert res.p_wrong[0] == pytest.approx(other / (other + gold))


def test_blind_baselines_do_not_vote_and_are_reported():
    pred, gold, _, _ = simulate(n_items=500, n_models=8, seed=5)
    blind_row = np.where(np.random.default_rng(0).random(500) < 0.3, gold, (gold + 1) % 10)
    preds = np.vstack([pred, blind_row])
    models = [f"m{i}" for i in range(8)] + ["text-only"]
    res = audit_items(preds, gold, models=models, blind=["text-only"])
    assert res.weights[-1] == 0 and res.n_blind == 1
    np.testing.assert_array_equal(res.blind_solved, (blind_row == gold).astype(int))
    np.testing.assert_array_equal(res.n_voters, np.full(500, 8))
    plain = audit_items(pred, gold)
    np.testing.assert_allclose(res.p_wrong, plain.p_wrong)
    i = int(np.flatnonzero(res.blind_solved)[0])
    assert any(r["code"] == "blind_solvable" for r in res.reasons(i))
    assert res.to_dict()["n_blind_solvable"] == int((blind_row == gold).sum())


def test_confident_learning_over_choice_probabilities():
    pred, gold, bad, true = simulate(n_items=1500, n_models=6, k=4, planted=0.05, seed=6)
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(6, 1500, 4)) + 3.0 * np.eye(4)[true][None]
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    res = audit_items(pred, gold, choice_probs=probs, gold_index=gold)
    assert res.cl_flag is not None
    assert (res.cl_flag & bad).sum() / bad.sum() > 0.8
    assert (res.cl_flag & bad).sum() / res.cl_flag.sum() > 0.8
    assert np.all(res.suspicion >= res.p_wrong)
    i = int(np.flatnonzero(res.cl_flag)[0])
    assert any(r["code"] == "confident_learning" for r in res.reasons(i))


def test_irt_flags_become_reasons_and_suspects_rows():
    pred, gold, _, _ = simulate(n_items=50, n_models=5, seed=8)
    nd = np.zeros(50, bool)
    nd[3] = True
    res = audit_items(pred, gold, negative_discrimination=nd, misfit=nd)
    codes = [r["code"] for r in res.reasons(3)]
    assert "negative_discrimination" in codes and "misfit" in codes
    rows = res.suspects()
    assert len(rows) == res.n_suspects
    assert all({"item", "gold", "competing", "competing_votes", "reasons"} <= set(r) for r in rows)


def test_missing_answers_do_not_vote():
    res = audit_items([["A", None], ["B", ""], [np.nan, "C"]], ["A", "C"])
    assert res.n_voters.tolist() == [2, 1]
    assert set(res.answers) == {"A", "B", "C"}


def test_item_order_does_not_matter():
    pred, gold, _, _ = simulate(n_items=400, n_models=6, seed=9)
    perm = np.random.default_rng(1).permutation(400)
    a = audit_items(pred, gold)
    b = audit_items(pred[:, perm], gold[perm])
    np.testing.assert_allclose(a.p_wrong[perm], b.p_wrong, atol=1e-6)  # EM sums in another order


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([["A", "B"]], ["A", "B"]), {}, r"`predictions` must have shape \(n_models >= 2"),
        (([["A"], ["B"]], ["A", "B"]), {}, r"`gold` must have shape \(1,\)"),
        (([["A"], ["B"]], [None]), {}, r"`gold` is missing for 1 item"),
        (([["A"], ["B"]], ["A"]), {"models": ["x"]}, r"`models` must name all 2 models"),
        (([["A"], ["B"]], ["A"]), {"models": ["x", "x"]}, r"`models` contains duplicates"),
        (([["A"], ["B"]], ["A"]), {"blind": ["z"]}, r"`blind` names model\(s\) 'z'"),
        (
            ([["A"], ["B"], ["C"]], ["A"]),
            {"blind": np.array([True, True, False])},
            r"at least 2 models",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"prior_error": 1.0},
            r"`prior_error` must be 'estimate' or in \[0, 1\)",
        ),
        (([["A"], ["B"]], ["A"]), {"prior_error": 2}, r"`prior_error` must be in \[0, 1\]"),
        (([["A"], ["B"]], ["A"]), {"threshold": 0}, r"`threshold` must be in \(0, 1\]"),
        (([["A"], ["B"]], ["A"]), {"n_choices": 1}, r"`n_choices` must be an integer >= 2"),
        (([["A"], ["B"]], ["A"]), {"weights": [1]}, r"`weights` must have one value per model"),
        (
            ([["A"], ["B"]], ["A"]),
            {"weights": [1, -1]},
            r"`weights` must be finite and non-negative",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"error_correlation": 2},
            r"`error_correlation` must be 'estimate'",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"negative_discrimination": [1]},
            r"`negative_discrimination` must be a boolean",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"choice_probs": np.ones((2, 1, 2))},
            r"`choice_probs` needs `gold_index`",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"choice_probs": np.ones((2, 2)), "gold_index": [0]},
            r"`choice_probs` must have",
        ),
        (
            ([["A"], ["B"]], ["A"]),
            {"choice_probs": np.ones((2, 1, 2)), "gold_index": ["a"]},
            r"`gold_index` must be",
        ),
        (
            ([[0], [5]], [0]),
            {"answers": ["x", "y"]},
            r"with `answers`, `predictions` must hold integer codes",
        ),
    ],
)
def test_bad_input_raises(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        audit_items(*args, **kwargs)
