"""The report's pass^k and maj@k on real repeated samples (CRUXEval, issue 16 point 3)."""

import numpy as np
import pytest
from scipy.special import comb

from assay import datasets
from assay.report import ReportOptions, build_report


def test_pass_hat_k_and_maj_at_k_in_the_report():
    result = datasets.cruxeval_result()
    model = build_report(result, options=ReportOptions(n_resamples=200), sections=("sampling",))
    block = next(t for t in model.section("sampling").data["tasks"] if t["task"] == "cruxeval-i")
    by_k = {r["k"]: r for r in block["models"][0]["by_k"]}
    # reference: tau-bench's pass^k, C(c, k) / C(n, k) per item, from the raw table with scipy
    t = result.responses.to_pandas()
    t = t[t.task == "cruxeval-i"]
    c = t.groupby("item").score.sum().to_numpy()
    n = t.groupby("item").score.count().to_numpy()
    for k, row in by_k.items():
        ref = np.mean(comb(c, k) / comb(n, k))
        assert row["pass_hat_k"]["estimate"] == pytest.approx(ref, abs=1e-12)
        assert 0 <= row["pass_hat_k"]["ci_low"] <= row["pass_hat_k"]["ci_high"] <= 1
    # maj@k needs the answers (present: CRUXEval's raw generations); with ties split evenly, maj@2
    # equals pass@1 exactly
    assert by_k[2]["maj_at_k"]["estimate"] == pytest.approx(by_k[1]["pass_hat_k"]["estimate"])
