"""Multiple-testing adjustment against statsmodels.stats.multitest.multipletests."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from assay import InputError
from assay.stats import adjust_pvalues

# our method name -> statsmodels' name (statsmodels 0.14 multipletests)
SM_NAMES = {
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bh": "fdr_bh",
    "by": "fdr_by",
    "bonferroni": "bonferroni",
}


@pytest.mark.parametrize("method", sorted(SM_NAMES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_statsmodels(method, seed):
    rng = np.random.default_rng(seed)
    # a mix of tiny, moderate and null p-values, with exact ties
    p = np.concatenate(
        [rng.uniform(0, 0.01, 20), rng.uniform(0, 1, 60), [0.03, 0.03, 0.5, 1.0, 0.0]]
    )
    rng.shuffle(p)
    res = adjust_pvalues(p, method=method, alpha=0.05)
    reject, adj, _, _ = multipletests(p, alpha=0.05, method=SM_NAMES[method])
    np.testing.assert_allclose(res.pvalues_adjusted, adj, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.reject, reject)
    assert res.n == p.size and res.method == method


def test_textbook_holm_example():
    # Holm (1979)-style hand computation: sorted p = .01, .03, .04 with m = 3
    # adjusted: 3*.01 = .03, max(.03, 2*.03) = .06, max(.06, 1*.04) = .06
    res = adjust_pvalues([0.01, 0.04, 0.03])
    np.testing.assert_allclose(res.pvalues_adjusted, [0.03, 0.06, 0.06], atol=1e-15)


def test_none_keeps_pvalues_and_single_pvalue():
    np.testing.assert_array_equal(
        adjust_pvalues([0.2, 0.01], method="none").pvalues_adjusted, [0.2, 0.01]
    )
    assert adjust_pvalues([0.02], method="by").pvalues_adjusted[0] == pytest.approx(0.02)


def test_to_dict_is_json_safe():
    d = adjust_pvalues([0.01, 0.5]).to_dict()
    assert d["reject"] == [True, False] and d["method"] == "holm"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pvalues": [0.1, 1.2]}, r"`pvalues` must lie in \[0, 1\]; found 1 value"),
        ({"pvalues": [0.1, -0.1]}, r"`pvalues` must lie in \[0, 1\]"),
        ({"pvalues": [0.1, np.nan]}, r"`pvalues` contains 1 NaN"),
        ({"pvalues": []}, r"`pvalues` must have at least 1 element"),
        ({"pvalues": [[0.1]]}, r"`pvalues` must have 1 dimension"),
        ({"pvalues": [0.1], "method": "sidak"}, r"`method` must be one of 'holm'"),
        ({"pvalues": [0.1], "alpha": 1.0}, r"`alpha` must be in \(0, 1\)"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        adjust_pvalues(**kwargs)
