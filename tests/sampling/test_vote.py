"""Tests of maj@k and best-of-k (assay.sampling._vote) against brute-force enumeration."""

import itertools
from collections import Counter

import numpy as np
import pytest

from assay._core import InputError
from assay.sampling import best_of_k, maj_at_k, pass_at_k


def _brute_maj(answers, correct, k):
    """Oracle: enumerate every k-subset; the plurality answer's score, ties shared equally."""
    out = []
    for ans, cor in zip(answers, correct, strict=True):
        idx = [j for j, a in enumerate(ans) if a is not None]
        score = {ans[j]: cor[j] for j in idx}
        vals = []
        for sub in itertools.combinations(idx, k):
            votes = Counter(ans[j] for j in sub)
            top = max(votes.values())
            tied = [a for a, v in votes.items() if v == top]
            vals.append(sum(score[a] for a in tied) / len(tied))
        out.append(np.mean(vals))
    return np.array(out)


def _brute_best(scores, correct, k):
    """Oracle: enumerate every k-subset; pick the highest verifier score, ties shared equally."""
    out = []
    for s, c in zip(scores, correct, strict=True):
        idx = [j for j in range(len(s)) if not np.isnan(s[j])]
        vals = []
        for sub in itertools.combinations(idx, k):
            top = max(s[j] for j in sub)
            tied = [j for j in sub if s[j] == top]
            vals.append(np.mean([c[j] for j in tied]))
        out.append(np.mean(vals))
    return np.array(out)


def _random_votes(rng, n_items, n_samples, n_answers=3, drop=0.0):
    answers = rng.integers(0, n_answers, (n_items, n_samples)).astype(str).astype(object)
    right = rng.integers(0, n_answers, n_items).astype(str)
    correct = (answers == right[:, None]).astype(float)
    holes = rng.random((n_items, n_samples)) < drop
    holes[:, :3] = False  # keep at least 3 samples per item
    answers[holes] = None
    correct[holes] = np.nan
    return answers, correct


def test_maj_at_k_equals_brute_force_with_ties_and_missing_samples():
    rng = np.random.default_rng(0)
    answers, correct = _random_votes(rng, 40, 7, drop=0.3)
    for k in (1, 2, 3):
        res = maj_at_k(answers, correct, k)
        assert res.exact
        np.testing.assert_allclose(res.per_item, _brute_maj(answers, correct, k), atol=1e-12)
    # maj@1 is pass@1
    assert maj_at_k(answers, correct, 1).estimate == pytest.approx(pass_at_k(correct, 1).estimate)


def test_maj_at_k_monte_carlo_close_to_exact():
    rng = np.random.default_rng(1)
    answers, correct = _random_votes(rng, 4, 16, n_answers=4)
    res = maj_at_k(answers, correct, 8, n_draws=6000, rng=0)  # C(16, 8) = 12870 > 4096 subsets
    assert not res.exact and res.n_draws == 6000
    np.testing.assert_allclose(res.per_item, _brute_maj(answers, correct, 8), atol=0.025)


def test_maj_at_n_on_cruxeval_is_the_majority_answer(cruxeval):
    # Oracle: collections.Counter over the 10 raw generations of each problem; a tie among the
    # most common answers counts the share of them that pass.
    _, data = cruxeval
    res = maj_at_k(data["answers"], data["correct"], 10)
    expected = []
    for ans, cor in zip(data["answers"], data["correct"], strict=True):
        votes = Counter(ans)
        top = max(votes.values())
        tied = [a for a, v in votes.items() if v == top]
        expected.append(np.mean([cor[list(ans).index(a)] for a in tied]))
    np.testing.assert_allclose(res.per_item, expected, atol=1e-12)
    assert res.exact and res.n == 800


def test_best_of_k_equals_brute_force_with_tied_scores():
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 4, (30, 6)).astype(float)  # many ties
    correct = (rng.random((30, 6)) < 0.4).astype(float)
    scores[0, 5] = correct[0, 5] = np.nan
    for k in (1, 2, 4, 5):
        res = best_of_k(scores, correct, k, missing="omit" if k > 5 else "raise")
        np.testing.assert_allclose(res.per_item, _brute_best(scores, correct, k), atol=1e-12)


def test_best_of_k_limits_perfect_and_useless_verifier():
    rng = np.random.default_rng(3)
    correct = (rng.random((200, 8)) < 0.3).astype(float)
    noise = rng.random((200, 8)) * 1e-3
    perfect = best_of_k(correct + noise, correct, 4)
    assert perfect.estimate == pytest.approx(pass_at_k(correct, 4).estimate, abs=1e-12)
    useless = best_of_k(np.zeros_like(correct), correct, 4)
    assert useless.estimate == pytest.approx(pass_at_k(correct, 1).estimate, abs=1e-12)
    # one correct sample in four, perfect verifier: best-of-4 is 1, not 0.684 or 0.25
    assert best_of_k([[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 0, 0, 0], [0, 1, 0, 0]], 4).estimate == 1.0


def test_vote_errors():
    with pytest.raises(InputError, match=r"`answers` must have the shape of `correct` \(2, 2\)"):
        maj_at_k([["a"]], [[1, 0], [0, 1]], 1)
    with pytest.raises(InputError, match="disagree on which samples exist at 1 place"):
        maj_at_k([["a", None], ["b", "c"]], [[1, 0], [0, 1]], 1)
    with pytest.raises(InputError, match="`k` = 3 exceeds the samples of 2 item"):
        maj_at_k([["a", "b"], ["b", "c"]], [[1, 0], [0, 1]], 3)
    with pytest.raises(InputError, match=r"`verifier_scores` must have the shape of `correct`"):
        best_of_k([[0.1, 0.2, 0.3]], [[1, 0], [0, 1]], 1)
    with pytest.raises(InputError, match="`verifier_scores` and `correct` disagree"):
        best_of_k([[0.1, np.nan], [0.2, 0.3]], [[1, 0], [0, 1]], 1)
    with pytest.raises(InputError, match="`n_draws` must be an integer >= 1"):
        maj_at_k([["a", "b"], ["b", "c"]], [[1, 0], [0, 1]], 1, n_draws=0)
    with pytest.raises(InputError, match="`verifier_scores` contains infinite values"):
        best_of_k([[np.inf, 0.0], [0.2, 0.3]], [[1, 0], [0, 1]], 1)
