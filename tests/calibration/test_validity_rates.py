"""The verbal-confidence validity screen's measured error rates (issue 21, point 4).

A small fixed-seed version of ``python benchmarks/flags.py --validity-only``: valid confidences
(Type-2 AUROC about 0.75) are rarely screened invalid, confidences unrelated to correctness are
nearly always; the result carries the rates the benchmark measured.
"""

import numpy as np

from assay.calibration import validity_screen
from assay.calibration._validity import VALIDITY_ERROR_RATES


def _runs(kind, n_runs, rng):
    out = []
    for _ in range(n_runs):
        y = (rng.random(500) < rng.uniform(0.4, 0.85)).astype(float)
        if kind == "valid":  # shift +-0.477 on a logistic scale: AUROC = Phi(0.954 / sqrt 2) = 0.75
            conf = np.round(
                0.3 + 0.7 / (1 + np.exp(-(rng.normal(0, 1, 500) + 0.954 * (y - 0.5)))), 2
            )
        else:
            conf = np.round(rng.uniform(0.3, 1.0, 500), 2)
        out.append(validity_screen(conf, y, n_resamples=200, rng=rng).verdict == "invalid")
    return np.mean(out)


def test_false_flags_and_recall_on_simulated_confidences():
    rng = np.random.default_rng(41)
    assert _runs("valid", 25, rng) <= 0.04  # at most 1 of 25
    assert _runs("noise", 25, rng) >= 0.88  # at least 22 of 25


def test_screen_carries_its_measured_rates():
    rng = np.random.default_rng(42)
    y = (rng.random(300) < 0.7).astype(float)
    d = validity_screen(np.full(300, 0.95), y, n_resamples=100, rng=1).to_dict()
    rates = d["flag_error_rates"]
    assert rates == VALIDITY_ERROR_RATES
    assert 0 <= rates["false_flag_rate"] <= 0.01 and rates["recall"] >= 0.9
    assert "benchmarks/flags.py" in rates["simulation"]
    assert d["verdict"] == "invalid" and "valid confidences screened invalid" in d["reasons"][-1]
