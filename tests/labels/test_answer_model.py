"""The item audit's answer model (method='irt') on simulations with known truth (issue 21).

Small fixed-seed versions of ``python benchmarks/labels.py --audit``: 29 models, 2,000 ten-option
items, 2PL answers, wrong answers drawn to one attractive distractor per item. With the weighted
vote (the old default), measured on these seeds: at 60% attraction 1 of 126 planted errors found
(recall 0.008); the clean benchmark with 30% attraction had 31 suspects (1.6%). The answer model
keeps P(gold wrong) calibrated.
"""

import numpy as np
import pytest

from assay._core import InputError
from assay.labels import FLAG_ERROR_RATES, audit_items
from assay.labels._simulate import simulate_answers


def _pr(res, sim):
    flag = res.is_suspect
    tp = (flag & sim.planted).sum()
    return tp / max(flag.sum(), 1), tp / max(sim.planted.sum(), 1), (flag & ~sim.planted).mean()


@pytest.mark.parametrize("attraction", [0.0, 0.3, 0.6, 0.8])
def test_planted_errors_found_with_precision_and_recall_in_every_regime(attraction):
    sim = simulate_answers(29, 2000, attraction=attraction, gold_error=0.05, rng=21)
    res = audit_items(sim.predictions, sim.gold, n_choices=10)
    precision, recall, clean_flagged = _pr(res, sim)
    assert precision >= 0.8 and recall >= 0.5
    assert clean_flagged <= 0.01
    assert (
        abs(res.prior_error - sim.planted.mean()) < 0.02
    )  # the estimated share of wrong gold answers


@pytest.mark.parametrize("attraction", [0.3, 0.8])
def test_clean_benchmark_gives_almost_no_suspects(attraction):
    sim = simulate_answers(29, 2000, attraction=attraction, gold_error=0.0, rng=22)
    res = audit_items(sim.predictions, sim.gold, n_choices=10)
    assert res.n_suspects <= 20  # at most 1% of the items


def test_p_wrong_is_calibrated_across_regimes():
    # Pool three regimes; in each bin of P(gold wrong), the share of planted errors matches the
    # mean predicted probability (binomial error at these counts is about 0.03 to 0.08).
    p, y = [], []
    for seed, attraction, err in ((31, 0.3, 0.10), (32, 0.6, 0.05), (33, 0.8, 0.10)):
        sim = simulate_answers(29, 2000, attraction=attraction, gold_error=err, rng=seed)
        p.append(audit_items(sim.predictions, sim.gold, n_choices=10).p_wrong)
        y.append(sim.planted)
    p, y = np.concatenate(p), np.concatenate(y)
    for lo, hi in ((0.0, 0.05), (0.05, 0.5), (0.5, 0.95), (0.95, 1.01)):
        sel = (p >= lo) & (p < hi)
        if sel.sum() >= 40:
            se = np.sqrt(max(p[sel].mean() * (1 - p[sel].mean()), 0.01) / sel.sum())
            assert abs(y[sel].mean() - p[sel].mean()) < max(3 * se, 0.02), (lo, hi)


def test_competing_answer_is_the_true_answer():
    sim = simulate_answers(29, 2000, attraction=0.6, gold_error=0.05, rng=23)
    res = audit_items(sim.predictions, sim.gold, n_choices=10)
    found = res.is_suspect & sim.planted
    codes = np.asarray(res.answers, dtype=int)
    assert (codes[res.competing[found]] == sim.true[found]).mean() > 0.9  # measured 0.949


def test_given_abilities_are_used_and_checked():
    sim = simulate_answers(29, 1500, attraction=0.3, gold_error=0.05, rng=24)
    res = audit_items(sim.predictions, sim.gold, n_choices=10, abilities=sim.theta)
    np.testing.assert_allclose(res.abilities, sim.theta)
    precision, recall, _ = _pr(res, sim)
    assert precision >= 0.8 and recall >= 0.5
    with pytest.raises(InputError, match="`abilities` must hold one finite value per model"):
        audit_items(sim.predictions, sim.gold, abilities=sim.theta[:3])
    with pytest.raises(InputError, match="`method` must be 'irt' or 'vote'"):
        audit_items(sim.predictions, sim.gold, method="ds")
    with pytest.raises(InputError, match="needs method='irt'"):
        audit_items(sim.predictions, sim.gold, method="vote", prior_error="estimate")


def test_blind_solvable_flag_is_beyond_chance():
    # A blind baseline guessing at random matches gold on ~10% of items; the old rule flagged them all.
    sim = simulate_answers(
        29, 2000, attraction=0.3, gold_error=0.0, n_blind=1, solvable_rate=0.0, rng=25
    )
    preds = np.vstack([sim.predictions, sim.blind])
    blind = np.r_[np.zeros(29, bool), True]
    res = audit_items(preds, sim.gold, n_choices=10, blind=blind)
    assert (res.blind_solved > 0).mean() > 0.07
    assert (res.p_blind_solvable >= 0.5).mean() <= 0.01
    # 20% of the items solvable without the question, two baselines: found, and mostly right
    sim = simulate_answers(
        29, 2000, attraction=0.3, gold_error=0.0, n_blind=2, solvable_rate=0.2, rng=26
    )
    res = audit_items(np.vstack([sim.predictions, sim.blind]), sim.gold, n_choices=10,
                      blind=np.r_[np.zeros(29, bool), True, True])  # fmt: skip
    flag = res.p_blind_solvable >= 0.5
    assert (flag & sim.solvable).sum() / flag.sum() >= 0.8
    assert (flag & sim.solvable).sum() / sim.solvable.sum() >= 0.55  # measured 0.64
    assert res.to_dict()["n_blind_solvable"] == int(flag.sum())


def test_results_carry_the_measured_flag_rates():
    sim = simulate_answers(10, 300, rng=27, n_blind=1)
    res = audit_items(
        np.vstack([sim.predictions, sim.blind]), sim.gold, blind=np.r_[np.zeros(10, bool), True]
    )
    rates = res.to_dict()["flag_error_rates"]
    assert rates["suspect"] == FLAG_ERROR_RATES["suspect"]["irt"]
    assert rates["blind_solvable"] == FLAG_ERROR_RATES["blind_solvable"][1]
    for r in rates.values():
        assert "benchmarks/labels.py --audit" in r["simulation"]
        assert 0 <= r["false_flag_rate"] <= 1 and 0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1
    suspect = rates["suspect"]  # the bar, as measured by the benchmark
    assert (
        suspect["false_flag_rate"] <= 0.01
        and suspect["precision"] >= 0.8
        and suspect["recall"] >= 0.5
    )
