"""Outside references for functions issue 24 (point 10) found unchecked.

Already checked elsewhere (see docs/stats.md, "What each function is checked against"):
bootstrap_632_score against mlxtend, kappa against statsmodels with interval coverage, Fleiss
against statsmodels with bootstrap coverage, Krippendorff at every level against the
`krippendorff` package, judge_agreement against sklearn, rank_agreement against scipy with
coverage, repeated_samples against a statsmodels ANOVA with coverage, subgroups against
statsmodels' meta-analysis. Here: Nemenyi against scikit-posthocs, the ICC against pingouin,
the clustered `compare` and `leaderboard` by coverage, and power planned from pilot data.
"""

import warnings

import numpy as np
import pandas as pd
import pingouin as pg  # 0.7.0 (dev extra)
import pytest
import scikit_posthocs as sp  # 0.17.1 (dev extra)
from scipy.special import expit

from assay._core import DegenerateDataWarning
from assay.stats import compare, intraclass_correlation, leaderboard, nemenyi, power_from_data
from assay.stats._power_exact import mcnemar_exact_power


@pytest.mark.parametrize("seed", [0, 1])
def test_nemenyi_pvalues_equal_scikit_posthocs(seed):
    # Oracle: scikit_posthocs.posthoc_nemenyi_friedman, which takes blocks (items) in rows and
    # groups (models) in columns and uses the studentized range with infinite df, as we do.
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(5, 40)) + np.arange(5)[:, None] * 0.25  # 5 models x 40 items
    ours = nemenyi(scores)
    ref = sp.posthoc_nemenyi_friedman(scores.T).to_numpy()
    np.testing.assert_allclose(ours.pvalues, ref, rtol=1e-6, atol=1e-10)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")  # pingouin 0.7
def test_icc_equals_pingouin_icc1_on_balanced_clusters():
    # Oracle: pingouin.intraclass_corr, type "ICC(1,1)" (ICC1: one-way random effects, single rating), with
    # the clusters as targets and the position within a cluster as the rater: for equal cluster
    # sizes it is the one-way ANOVA estimator (MSB - MSW) / (MSB + (k - 1) MSW).
    rng = np.random.default_rng(3)
    g, k = 25, 6
    x = rng.normal(0, 0.8, g).repeat(k) + rng.normal(size=g * k)
    df = pd.DataFrame({"target": np.repeat(np.arange(g), k), "rater": np.tile(np.arange(k), g),
                       "score": x})  # fmt: skip
    icc1 = pg.intraclass_corr(df, targets="target", raters="rater", ratings="score")
    ref = float(icc1.set_index("Type").loc["ICC(1,1)", "ICC"])
    assert intraclass_correlation(x, np.repeat(np.arange(g), k)) == pytest.approx(ref, rel=1e-10)


def _clustered_pair(rng, g=30, size=40, sd=0.8, beta=0.3):
    codes = np.repeat(np.arange(g), size)
    eta = rng.normal(0, sd, g)[codes] + rng.normal(size=codes.size)
    a = (rng.random(codes.size) < expit(eta)).astype(float)
    b = (rng.random(codes.size) < expit(eta + beta)).astype(float)
    c = (rng.random(codes.size) < expit(eta + 2 * beta)).astype(float)
    return a, b, c, codes


def _truth(beta, sd=0.8):
    z, w = np.polynomial.hermite_e.hermegauss(80)
    return float(np.sum(w * expit(beta + np.sqrt(1 + sd**2) * z)) / np.sum(w))


def test_clustered_compare_and_leaderboard_cover_with_equal_clusters():
    # Simulation with known truth (fast version of `benchmarks/interval_coverage.py --section levels`):
    # 30 clusters of 40 items, logit cluster effect SD 0.8 and item effect SD 1, B and C 0.3 and
    # 0.6 logits better than A. 150 replicates; each interval must cover within 3 MC SE of 95%.
    rng = np.random.default_rng(11)
    reps, hits_t, hits_boot, hits_lb = 150, 0, 0, 0
    t = [_truth(0.0), _truth(0.3), _truth(0.6)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for _ in range(reps):
            a, b, c, codes = _clustered_pair(rng)
            res = compare(a, b, clusters=codes, n_resamples=500, rng=rng)
            hits_t += res.ci_low <= t[1] - t[0] <= res.ci_high
            hits_boot += res.bootstrap.ci_low <= t[1] - t[0] <= res.bootstrap.ci_high
            lb = leaderboard(np.vstack([a, b, c]), models=["A", "B", "C"], clusters=codes,
                             n_resamples=200, rng=rng)  # fmt: skip
            by = {e.model: e for e in lb.entries}
            hits_lb += sum(by[m].ci_low <= v <= by[m].ci_high for m, v in zip("ABC", t))
    floor = 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
    assert hits_t / reps >= floor and hits_boot / reps >= floor
    assert hits_lb / (3 * reps) >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / (3 * reps))


def test_power_planned_from_pilot_data_is_realised():
    # Simulation with known truth: p(A only) = 0.06, p(B only) = 0.10. From 25 pilots of 1,000
    # items, plan n for delta = 0.04; the exact McNemar power under the truth at each planned n,
    # averaged, is near 80% (within the pilot's own uncertainty), and above the normal plan's.
    pa, pb = 0.06, 0.10
    psi, delta = pa + pb, pb - pa
    rng = np.random.default_rng(5)
    exact, normal = [], []
    for _ in range(25):
        cells = rng.choice(3, size=1000, p=[pa, pb, 1 - psi])
        both = rng.integers(0, 2, 1000).astype(float)
        a = np.where(cells == 0, 1.0, np.where(cells == 1, 0.0, both))
        b = np.where(cells == 0, 0.0, np.where(cells == 1, 1.0, both))
        for method, out in (("auto", exact), ("normal", normal)):
            n = power_from_data(a, b, delta=delta, method=method).n
            out.append(mcnemar_exact_power(delta, n, psi, alpha=0.05, tails=2))
    assert np.mean(exact) == pytest.approx(0.80, abs=0.02)
    assert np.mean(exact) > np.mean(normal) + 0.01
