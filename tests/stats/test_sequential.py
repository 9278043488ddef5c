"""Anytime-valid confidence sequences and the sequential gate."""

import numpy as np
import pytest

from assay._core import InputError
from assay.stats import confidence_sequence, sequential_noninferiority


def _confseq_predmix_empbern_lower(x, alpha, truncation=0.5):
    # Reference: confseq 0.0.11 (Howard & Waudby-Smith, MIT), src/confseq/predmix.py
    # `predmix_empbern_lower_cs` with `betting_strategies.lambda_predmix_eb` at their defaults
    # (prior mean 1/2, prior variance 1/4, one fake observation), running_intersection=True.
    # Transcribed here because the package's C++ extension does not build in this environment.
    t = np.arange(1, len(x) + 1)
    mu_hat_t = np.minimum((0.5 + np.cumsum(x)) / (t + 1), 1)
    sigma2_t = (0.25 + np.cumsum(np.power(x - mu_hat_t, 2))) / (t + 1)
    sigma2_tminus1 = np.append(0.25, sigma2_t[0 : (len(x) - 1)])
    lambdas = np.sqrt(2 * np.log(1 / alpha) / (t * np.log(1 + t) * sigma2_tminus1))
    lambdas[np.isnan(lambdas)] = 0
    lambdas = np.minimum(truncation, lambdas)
    mu_plain = np.cumsum(x) / t
    v = np.power(x - np.append(0, mu_plain[0 : (len(x) - 1)]), 2)
    psi = -np.log(1 - lambdas) - lambdas
    margin = (np.log(1 / alpha) + np.cumsum(v * psi)) / np.cumsum(lambdas)
    weighted = np.cumsum(lambdas * x) / np.cumsum(lambdas)
    return np.maximum.accumulate(np.maximum(weighted - margin, 0))


def test_matches_confseq_predmix_empirical_bernstein():
    rng = np.random.default_rng(0)
    x = rng.beta(2, 5, size=500)
    cs = confidence_sequence(x, bounds=(0.0, 1.0), alpha=0.05)
    np.testing.assert_allclose(cs.lower, _confseq_predmix_empbern_lower(x, 0.05), rtol=1e-12)
    np.testing.assert_allclose(
        cs.upper, 1 - _confseq_predmix_empbern_lower(1 - x, 0.05), rtol=1e-12
    )
    # bounds other than [0, 1] are an affine map
    d = 2 * x - 1
    cs2 = confidence_sequence(d, bounds=(-1.0, 1.0))
    np.testing.assert_allclose(cs2.lower, 2 * cs.lower - 1)


def test_covers_the_truth_at_every_sample_size_at_once():
    # Known truth: paired differences in {-1, 0, 1} with mean 0.05. The chance that the lower
    # sequence ever rises above the truth, over 2,000 looks, must be at most alpha.
    rng = np.random.default_rng(1)
    reps, misses = 300, 0
    for _ in range(reps):
        d = rng.choice([-1.0, 0.0, 1.0], size=2000, p=[0.10, 0.75, 0.15])
        cs = confidence_sequence(d, alternative="greater")
        misses += bool(np.any(cs.lower > 0.05))
    assert misses / reps <= 0.05


def test_sequential_gate_false_pass_rate_under_continuous_monitoring():
    # Known truth: B is worse by exactly the margin (the least favourable null). Looking after
    # every item and passing at the first chance must still pass at most alpha of the time.
    rng = np.random.default_rng(2)
    margin, reps, passes = 0.05, 300, 0
    for _ in range(reps):
        u = rng.random(1500)
        a = (u < 0.6).astype(float)
        b = (u < 0.55).astype(float)
        passes += sequential_noninferiority(a, b, margin=margin).passed
    assert passes / reps <= 0.05


def test_sequential_gate_stops_when_settled():
    rng = np.random.default_rng(3)
    u = rng.random(4000)
    a = (u < 0.6).astype(float)
    good = sequential_noninferiority(a, a.copy(), margin=0.02)
    assert good.decision == "pass" and good.stopped_at < 4000 and good.n_used == good.stopped_at
    assert good.sequence.lower[good.stopped_at - 1] > -0.02
    assert np.all(good.sequence.lower[: good.stopped_at - 1] <= -0.02)
    bad = sequential_noninferiority(a, (u < 0.4).astype(float), margin=0.02)
    assert bad.decision == "block" and bad.upper < -0.02
    few = sequential_noninferiority(a[:30], a[:30], margin=0.02)
    assert few.decision == "continue" and few.stopped_at is None and few.n_used == 30
    low = sequential_noninferiority(1 - a, 1 - a, margin=0.02, direction="lower")
    assert low.stopped_at == good.stopped_at


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: confidence_sequence([0.5, 2.0], bounds=(0, 1)),
            "`x` must lie within `bounds` 0 to 1",
        ),
        (
            lambda: confidence_sequence([0.5], bounds=(1, 0)),
            "`bounds` must be finite with low < high",
        ),
        (lambda: confidence_sequence([0.5], alpha=0), "`alpha` must be in \\(0, 1\\); got 0"),
        (lambda: confidence_sequence([0.5], alternative="both"), "`alternative` must be one of"),
        (
            lambda: sequential_noninferiority([1, 0], [1], margin=0.1),
            "`a` has 2 items and `b` has 1",
        ),
        (
            lambda: sequential_noninferiority([1, 0], [1, 0], margin=-1),
            "`margin` must be a non-negative",
        ),
        (
            lambda: sequential_noninferiority([1, 0], [1, 3], margin=0.1),
            "`a` and `b` must lie within",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()
