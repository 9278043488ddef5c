"""Ranking stability and the label noise that flips a comparison.

References: statsmodels' exact McNemar test (``statsmodels.stats.contingency_tables.mcnemar``)
and Holm adjustment (``statsmodels.stats.multitest.multipletests``); the flip counts are checked
by brute force (relabelling items one by one and re-scoring).
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from assay._core import InputError
from assay.labels import audit_items, label_noise_to_flip, ranking_stability


def _pair(n10, n01, n11=30, n00=20):
    a = np.r_[np.ones(n10), np.zeros(n01), np.ones(n11), np.zeros(n00)]
    b = np.r_[np.zeros(n10), np.ones(n01), np.ones(n11), np.zeros(n00)]
    return a, b


@pytest.mark.parametrize(("n10", "n01"), [(20, 8), (9, 9), (5, 30), (41, 0)])
def test_flip_counts_by_brute_force(n10, n01):
    a, b = _pair(n10, n01)
    res = label_noise_to_flip(a, b, alpha=0.05)
    lead, trail = (a, b) if n10 >= n01 else (b, a)
    # relabel items the leader got right and the trailer wrong, one at a time, to the trailer's answer
    movable = np.flatnonzero((lead == 1) & (trail == 0))
    x, y = lead.copy(), trail.copy()
    first_tie = first_flip = first_ns = None
    for k in range(movable.size + 1):
        d = int(((x == 1) & (y == 0)).sum() - ((x == 0) & (y == 1)).sum())
        table = [[0, ((x == 1) & (y == 0)).sum()], [((x == 0) & (y == 1)).sum(), 0]]
        p = mcnemar(table, exact=True).pvalue
        if first_tie is None and d <= 0:
            first_tie = k
        if first_flip is None and d < 0:
            first_flip = k
        if first_ns is None and p > 0.05:
            first_ns = k
        if k < movable.size:
            x[movable[k]], y[movable[k]] = 0, 1
    assert res.k_tie == first_tie
    assert res.k_flip == (first_flip if first_flip is not None else res.k_flip)
    assert res.k_not_significant == first_ns
    assert res.difference == abs(n10 - n01)
    assert res.noise_flip == pytest.approx(res.k_flip / a.size)


def test_flip_noise_errors():
    with pytest.raises(InputError, match=r"`a` and `b` must be 1-D of the same non-zero length"):
        label_noise_to_flip([1, 0], [1])
    with pytest.raises(InputError, match=r"must hold 0/1 correctness"):
        label_noise_to_flip([1, 0.5], [1, 0])
    with pytest.raises(InputError, match=r"`alpha` must be in \(0, 1\)"):
        label_noise_to_flip([1, 0], [1, 0], alpha=1)


def _audit(seed=0, n_items=600, n_models=8):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 4, n_items)
    acc = np.linspace(0.45, 0.8, n_models)
    right = rng.random((n_models, n_items)) < acc[:, None]
    pred = np.where(right, true, (true + rng.integers(1, 4, (n_models, n_items))) % 4)
    gold = true.copy()
    bad = rng.random(n_items) < 0.05
    gold[bad] = (true[bad] + 1) % 4
    return (
        audit_items(pred, gold, models=[f"m{i}" for i in range(n_models)], n_choices=4),
        pred,
        gold,
    )


def test_remove_and_relabel_rescore_directly():
    audit, pred, gold = _audit()
    k = 15
    sus = audit.order[:k]
    codes = np.asarray(audit.answers, dtype=int)
    for scenario in ("remove", "relabel"):
        res = ranking_stability(audit, k=k, scenario=scenario, top=5)
        idx = [audit.models.index(m) for m in res.models]
        before = (pred[idx] == gold).mean(axis=1)
        np.testing.assert_allclose(res.score_before, before)
        if scenario == "remove":
            keep = np.setdiff1d(np.arange(gold.size), sus)
            after = (pred[idx][:, keep] == gold[keep]).mean(axis=1)
            assert res.n_after == gold.size - k
        else:
            g2 = gold.copy()
            g2[sus] = codes[audit.competing[sus]]
            after = (pred[idx] == g2).mean(axis=1)
        np.testing.assert_allclose(res.score_after, after)
        assert np.all(np.diff(res.score_before) <= 0)  # best first
        assert res.rank_before[0] == 1


def test_pairwise_pvalues_match_statsmodels_mcnemar_with_holm():
    audit, pred, gold = _audit(seed=1)
    res = ranking_stability(audit, k=10, top=4)
    idx = [audit.models.index(m) for m in res.models]
    right = (pred[idx] == gold).astype(int)
    raw = []
    for row in res.pairs:
        i, j = res.models.index(row["model_a"]), res.models.index(row["model_b"])
        n10 = int(((right[i] == 1) & (right[j] == 0)).sum())
        n01 = int(((right[i] == 0) & (right[j] == 1)).sum())
        raw.append(mcnemar([[0, n10], [n01, 0]], exact=True).pvalue)
    holm = multipletests(raw, method="holm")[1]
    np.testing.assert_allclose([r["pvalue_before"] for r in res.pairs], holm, rtol=1e-10)
    assert len(res.pairs) == 6


def test_flips_are_detected():
    # Model y leads x by 2 items; both suspects are items y got right and x wrong, so removing
    # them ties the pair, and relabelling them to x's answer reverses it.
    gold = np.array(["A"] * 40)
    x = np.array(["A"] * 30 + ["B"] * 10)
    y = np.array(["A"] * 32 + ["B"] * 8)
    z = np.array(["A"] * 20 + ["C"] * 20)
    helpers = [np.array(["A"] * 30 + ["B"] * 10) for _ in range(4)]
    preds = np.vstack([x, y, z, *helpers])
    preds[:, 30:32] = "B"  # every model but y answers B on items 30, 31
    preds[1, 30:32] = "A"
    preds[:, 32:] = np.array(list("BCDEFGH"))[:, None]  # no consensus on the other failed items
    audit = audit_items(preds, gold, models=["x", "y", "z", "h1", "h2", "h3", "h4"], n_choices=10)
    assert set(audit.order[:2].tolist()) == {30, 31}
    res = ranking_stability(audit, k=2, scenario="relabel", models=["x", "y"])
    assert res.models == ("y", "x") and res.n_flipped == 1 and res.pairs[0]["flipped"]
    res = ranking_stability(audit, k=2, scenario="remove", models=["x", "y"])
    assert res.n_flipped == 1  # a tie appears
    assert res.to_dict()["k"] == 2


def test_stability_errors():
    audit, _, _ = _audit()
    with pytest.raises(InputError, match=r"`audit` must be an ItemAuditResult"):
        ranking_stability("x")
    with pytest.raises(InputError, match=r"`scenario` must be one of"):
        ranking_stability(audit, scenario="drop")
    with pytest.raises(InputError, match=r"`k` = 599 would leave fewer than 2"):
        ranking_stability(audit, k=599)
    with pytest.raises(
        InputError, match=r"`models` must name at least 2 of the audited models; unknown: q"
    ):
        ranking_stability(audit, models=["m1", "q"])
    with pytest.raises(InputError, match=r"`top` must be an integer >= 2"):
        ranking_stability(audit, top=1)
    with pytest.raises(InputError, match=r"`adjust` must be one of"):
        ranking_stability(audit, adjust="x")
