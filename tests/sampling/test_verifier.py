"""Tests of resampling against an imperfect verifier (assay.sampling._verifier)."""

import itertools
import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay._core import InputError
from assay.sampling import pass_at_k, verifier_resampling


def _brute_item(correct, verdicts, k):
    """Oracle: every ordering of the item's samples; return the first passing one in k tries."""
    n = len(correct)
    acc = fp = 0.0
    perms = list(itertools.permutations(range(n)))
    for perm in perms:
        for j in perm[:k]:
            if verdicts[j]:
                acc += correct[j]
                fp += 1 - correct[j]
                break
    return acc / len(perms), fp / len(perms)


def test_verdict_formula_equals_enumeration_of_orderings():
    rng = np.random.default_rng(0)
    correct = (rng.random((12, 6)) < 0.4).astype(float)
    verdicts = np.where(correct == 1, rng.random((12, 6)) < 0.9, rng.random((12, 6)) < 0.3).astype(
        float
    )
    res = verifier_resampling(correct, verdicts, k=[1, 2, 4, 6], cost_false_positive=0.0)
    for j, k in enumerate(res.k):
        brute = np.array([_brute_item(c, v, k) for c, v in zip(correct, verdicts, strict=True)])
        assert res.accuracy[j] == pytest.approx(brute[:, 0].mean(), abs=1e-12)
        assert res.false_positive[j] == pytest.approx(brute[:, 1].mean(), abs=1e-12)
    np.testing.assert_allclose(res.accuracy + res.false_positive + res.abstain, 1.0, atol=1e-12)


def _truth(p, fpr, tpr, k):
    q = p * tpr + (1 - p) * fpr
    any_pass = 1 - (1 - q) ** k
    return (p * tpr / q) * any_pass, ((1 - p) * fpr / q) * any_pass


def test_verdicts_estimate_is_unbiased_for_the_with_replacement_truth():
    # Known truth (Stroebl et al. 2024's model): items with success rate p, a verifier with
    # FPR 0.2 and TPR 0.9; resampling with replacement gives accuracy (r/q)(1 - (1-q)^k).
    rng = np.random.default_rng(1)
    fpr, tpr, n_items, n = 0.2, 0.9, 6000, 12
    p = rng.beta(1, 3, n_items)
    correct = (rng.random((n_items, n)) < p[:, None]).astype(float)
    passes = np.where(
        correct == 1, rng.random(correct.shape) < tpr, rng.random(correct.shape) < fpr
    )
    ks = [1, 3, 12]
    res = verifier_resampling(correct, passes.astype(float), k=ks)
    for j, k in enumerate(ks):
        acc, fp = _truth(p, fpr, tpr, k)
        half = (res.ci_high[j] - res.ci_low[j]) / 2
        assert abs(res.accuracy[j] - acc.mean()) < 1.5 * half
        assert res.false_positive[j] == pytest.approx(fp.mean(), abs=0.01)
    # estimated error rates cover the truth; Wilson interval as statsmodels computes it
    assert res.fpr_ci_low < fpr < res.fpr_ci_high and res.tpr_ci_low < tpr < res.tpr_ci_high
    wrong = correct == 0
    lo, hi = proportion_confint(int(passes[wrong].sum()), int(wrong.sum()), method="wilson")
    assert (res.fpr_ci_low, res.fpr_ci_high) == pytest.approx((lo, hi), abs=1e-12)
    # the rate mode plugs each item's share correct into the with-replacement formula: unbiased
    # at k = 1, biased (Jensen) for larger k, where the verdicts estimate is the one to use
    by_rate = verifier_resampling(correct, false_positive_rate=fpr, true_positive_rate=tpr, k=ks)
    assert by_rate.mode == "rate" and math.isnan(by_rate.fpr_ci_low)
    p_hat = correct.mean(axis=1)
    plug_in = [_truth(p_hat, fpr, tpr, k)[0].mean() for k in ks]
    np.testing.assert_allclose(by_rate.accuracy, plug_in, atol=1e-12)
    assert by_rate.accuracy[0] == pytest.approx(_truth(p, fpr, tpr, 1)[0].mean(), abs=0.01)


def test_ceiling_and_optimal_k_with_costly_false_positives():
    # Known truth: with rate mode on fixed p, accuracy and false positives follow the closed
    # form; the utility's argmax over k must be the closed form's argmax.
    correct = np.array([[1, 0, 0, 0, 0]] * 5 + [[1, 1, 1, 1, 0]] * 5, dtype=float)
    p = correct.mean(axis=1)
    ks = list(range(1, 31))
    res = verifier_resampling(correct, false_positive_rate=0.3, k=ks, cost_false_positive=4.0)
    acc, fp = zip(*[_truth(p, 0.3, 1.0, k) for k in ks], strict=True)
    utility = np.array([a.mean() - 4.0 * f.mean() for a, f in zip(acc, fp, strict=True)])
    assert res.optimal_k == ks[int(np.argmax(utility))]
    np.testing.assert_allclose(res.utility, utility, atol=1e-12)
    q = p + (1 - p) * 0.3
    assert res.ceiling == pytest.approx(np.mean(p / q), abs=1e-12)
    assert res.accuracy[-1] < res.ceiling  # resampling never beats the verifier's precision
    free = verifier_resampling(correct, false_positive_rate=0.3, k=ks, cost_false_positive=0.0)
    assert free.optimal_k == 30  # without a cost, more samples always help
    costly_abstain = verifier_resampling(
        correct, false_positive_rate=0.3, k=ks, cost_false_positive=4.0, cost_abstain=5.0
    )
    assert costly_abstain.optimal_k > res.optimal_k


def test_perfect_verifier_gives_pass_at_k(cruxeval):
    _, data = cruxeval
    res = verifier_resampling(data["correct"], data["correct"], k=[1, 5, 10])
    for j, k in enumerate(res.k):
        assert res.accuracy[j] == pytest.approx(pass_at_k(data["correct"], k).estimate, abs=1e-12)
    assert res.false_positive_rate == 0.0 and np.all(res.false_positive == 0)


def test_verifier_errors():
    c = [[1, 0], [0, 1]]
    with pytest.raises(InputError, match="give either `verdicts`"):
        verifier_resampling(c)
    with pytest.raises(InputError, match="not both and not neither"):
        verifier_resampling(c, c, false_positive_rate=0.1)
    with pytest.raises(InputError, match="`cost_false_positive` must be >= 0"):
        verifier_resampling(c, c, cost_false_positive=-1)
    with pytest.raises(InputError, match="`cost_abstain` must be a finite number"):
        verifier_resampling(c, c, cost_abstain=float("nan"))
    with pytest.raises(InputError, match=r"`verdicts` must have the shape of `correct` \(2, 2\)"):
        verifier_resampling(c, [[1, 0, 1]])
    with pytest.raises(InputError, match="`verdicts` must hold binary outcomes"):
        verifier_resampling(c, [[0.5, 0], [0, 1]])
    with pytest.raises(InputError, match="disagree on which samples exist"):
        verifier_resampling(c, [[1, np.nan], [0, 1]])
    with pytest.raises(InputError, match=r"`false_positive_rate` must be in \[0, 1\]"):
        verifier_resampling(c, false_positive_rate=1.5)
    with pytest.raises(InputError, match="never passes"):
        verifier_resampling(c, false_positive_rate=0.0, true_positive_rate=0.0)
    with pytest.raises(InputError, match="`k` = 3 exceeds the samples"):
        verifier_resampling(c, c, k=3)
    with pytest.raises(InputError, match="needs at least 2 items"):
        verifier_resampling([[1, 0]], [[1, 0]])
    with pytest.raises(InputError, match="`missing` must be one of"):
        verifier_resampling(c, c, missing="keep")


def test_default_k_runs_to_the_fewest_samples_per_item():
    # issue 13: the default list was built with `min(initial=1)` and so was always (1,)
    rng = np.random.default_rng(3)
    correct = (rng.random((20, 6)) < 0.5).astype(float)
    correct[0, 5] = np.nan  # one item with 5 samples: the default list stops at 5
    res = verifier_resampling(correct, false_positive_rate=0.2)
    assert res.k == (1, 2, 3, 4, 5)
    full = verifier_resampling(correct[1:], correct[1:])
    assert full.k == (1, 2, 3, 4, 5, 6)


def test_accuracy_interval_stays_in_unit_range():
    # a t interval over items can leave [0, 1] when most items are all-correct; it is clipped
    correct = np.ones((5, 4))
    correct[0] = 0.0
    res = verifier_resampling(correct, correct, k=[1, 4])
    assert np.all(res.ci_low >= 0.0) and np.all(res.ci_high <= 1.0)
    assert res.ci_high[-1] == 1.0
