"""Corpus-level metrics of lm-eval recomputed from (gold, prediction) pairs (issue 15).

References: scikit-learn (f1_score, matthews_corrcoef: what lm-eval's aggregations call),
sacrebleu (corpus_bleu, corpus_chrf: what lm-eval's bleu/chrf call, through its _sacreformat),
math (lm-eval's perplexity formulas), and simulations for the bootstrap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu
from sklearn.metrics import f1_score, matthews_corrcoef

from assay._core import InputError
from assay.stats import corpus_bootstrap, corpus_compare, corpus_metric

WORDS = (
    "the cat sat on mat dog ran 3.5 km , . ! ? don't U.S. 1,000 e-mail &amp; (a) [b] "
    "Zürich naïve -- 1999-2000 it's"
).split()


def _texts(rng, n, lo=1, hi=25):
    return [" ".join(rng.choice(WORDS, size=rng.integers(lo, hi))) for _ in range(n)]


def test_f1_and_mcc_equal_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(5, 300))
        g = rng.integers(0, 2, n)
        p = np.where(rng.random(n) < 0.7, g, 1 - g)
        assert corpus_metric(g, p, aggregation="f1") == pytest.approx(f1_score(g, p), abs=1e-12)
        g3, p3 = rng.integers(0, 4, n), rng.integers(0, 4, n)
        assert corpus_metric(g3, p3, aggregation="matthews_corrcoef") == pytest.approx(
            matthews_corrcoef(g3, p3), abs=1e-12
        )
    # degenerate: no positive at all -> sklearn gives 0 (zero_division), and so do we
    assert corpus_metric([0, 0], [0, 0], aggregation="f1") == 0.0
    assert corpus_metric([1, 1], [1, 1], aggregation="matthews_corrcoef") == 0.0


def test_bleu_and_chrf_equal_sacrebleu():
    rng = np.random.default_rng(1)
    for trial in range(8):
        n = int(rng.integers(1, 40))
        refs = _texts(rng, n)
        hyps = [
            r if rng.random() < 0.3 else " ".join(rng.permutation(r.split())[: len(r.split())])
            for r in refs
        ]
        hyps = [h if rng.random() < 0.8 else t for h, t in zip(hyps, _texts(rng, n, 0, 8))]
        # lm-eval's bleu(items): refs, preds = _sacreformat(refs, preds);
        # sacrebleu.corpus_bleu(preds, refs) with refs as [[ref_1, ..., ref_n]]
        want = sacrebleu.corpus_bleu(hyps, [refs]).score
        assert corpus_metric(refs, hyps, aggregation="bleu") == pytest.approx(want, abs=1e-9)
        want = sacrebleu.corpus_chrf(hyps, [refs]).score
        assert corpus_metric(refs, hyps, aggregation="chrf") == pytest.approx(want, abs=1e-9)
        # two references per item, predictions as one-element lists (lm-eval's shapes)
        refs2 = _texts(rng, n)
        both = [[a, b] for a, b in zip(refs, refs2)]
        want = sacrebleu.corpus_bleu(hyps, [refs, refs2]).score
        got = corpus_metric(both, [[h] for h in hyps], aggregation="bleu")
        assert got == pytest.approx(want, abs=1e-9), trial
        want = sacrebleu.corpus_chrf(hyps, [refs, refs2]).score
        assert corpus_metric(both, hyps, aggregation="chrf") == pytest.approx(want, abs=1e-9)


def test_bleu_no_match_is_zero_like_sacrebleu():
    assert corpus_metric(["a b c"], ["x y"], aggregation="bleu") == 0.0
    assert sacrebleu.corpus_bleu(["x y"], [["a b c"]]).score == 0.0


def test_perplexities_equal_lm_eval_formulas():
    ll = np.array([-12.5, -3.25, -40.0])
    words = np.array([5, 2, 11])
    # lm-eval: perplexity = exp(-mean(ll)); weighted_perplexity = exp(-sum(ll)/sum(w));
    # bits_per_byte = -sum(ll)/sum(bytes)/log(2)
    assert corpus_metric(ll, ll, aggregation="perplexity") == pytest.approx(math.exp(-ll.mean()))
    assert corpus_metric(ll, words, aggregation="weighted_perplexity") == pytest.approx(
        math.exp(-ll.sum() / words.sum())
    )
    assert corpus_metric(ll, words, aggregation="bits_per_byte") == pytest.approx(
        -ll.sum() / words.sum() / math.log(2)
    )


def test_bootstrap_interval_covers_the_truth_simulation():
    # known truth: F1 of a classifier with fixed confusion rates on an infinite population
    rng = np.random.default_rng(2)
    tpr, fpr, prev = 0.8, 0.1, 0.4
    truth = 2 * prev * tpr / (2 * prev * tpr + prev * (1 - tpr) + (1 - prev) * fpr)
    cover = 0
    for _ in range(150):
        g = (rng.random(400) < prev).astype(int)
        p = np.where(g == 1, rng.random(400) < tpr, rng.random(400) < fpr).astype(int)
        res = corpus_bootstrap(g, p, aggregation="f1", n_resamples=400, rng=rng)
        cover += res.ci_low <= truth <= res.ci_high
    assert 0.88 <= cover / 150 <= 0.99  # nominal 0.95; percentile bootstrap, n = 400


def test_paired_compare_is_narrower_than_unpaired_and_mirrors():
    rng = np.random.default_rng(3)
    refs = _texts(rng, 200, 5, 20)
    a = [r if rng.random() < 0.6 else t for r, t in zip(refs, _texts(rng, 200, 5, 20))]
    b = [x if rng.random() < 0.9 else t for x, t in zip(a, _texts(rng, 200, 5, 20))]
    ab = corpus_compare(refs, a, b, aggregation="chrf", n_resamples=300, rng=0)
    ba = corpus_compare(refs, b, a, aggregation="chrf", n_resamples=300, rng=0)
    assert ab.paired and ab.estimate == pytest.approx(-ba.estimate)
    assert (ab.ci_low, ab.ci_high) == pytest.approx((-ba.ci_high, -ba.ci_low))
    sa = corpus_bootstrap(refs, a, aggregation="chrf", n_resamples=300, rng=0).se
    sb = corpus_bootstrap(refs, b, aggregation="chrf", n_resamples=300, rng=1).se
    assert ab.se < math.sqrt(sa**2 + sb**2)  # pairing removes the items' shared difficulty
    mcc = corpus_compare(
        [0, 1, 2, 1] * 10,
        [0, 1, 2, 2] * 10,
        [0, 1, 1, 1] * 10,
        aggregation="matthews_corrcoef",
        n_resamples=50,
        rng=0,
    )
    assert mcc.estimate == pytest.approx(
        matthews_corrcoef([0, 1, 2, 1] * 10, [0, 1, 2, 2] * 10)
        - matthews_corrcoef([0, 1, 2, 1] * 10, [0, 1, 1, 1] * 10)
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1], [1]), {"aggregation": "ter"}, "TER .* is not recomputed"),
        (([1], [1]), {"aggregation": "custom"}, "never executed"),
        (([1], [1]), {"aggregation": "rouge"}, "`aggregation` must be one of"),
        (([1, 0], [1]), {"aggregation": "f1"}, "one entry per item"),
        (([], []), {"aggregation": "f1"}, "is empty"),
        (([2, 0], [1, 0]), {"aggregation": "f1"}, "labels must be 0 or 1"),
        ((["a"], ["b"]), {"aggregation": "matthews_corrcoef"}, "integer labels"),
        (([["a", 1]], ["b"]), {"aggregation": "bleu"}, "must be text"),
    ],
)
def test_corpus_bad_input(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        corpus_metric(*args, **kwargs)


def test_bootstrap_same_rng_same_result():
    g, p = [1, 0, 1, 1, 0] * 20, [1, 0, 0, 1, 1] * 20
    a = corpus_bootstrap(g, p, aggregation="f1", n_resamples=100, rng=5)
    b = corpus_bootstrap(g, p, aggregation="f1", n_resamples=100, rng=5)
    assert a == b and set(a.to_dict()) >= {"estimate", "ci_low", "ci_high", "n", "method"}
