"""Matrices have one orientation; subgroups take multi-label tags (issue 13, point 7)."""

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import cochrans_q as sm_cochrans_q
from statsmodels.stats.proportion import proportion_confint

from assay import InputError
from assay.stats import cochran_q, friedman, nemenyi, subgroups

RNG = np.random.default_rng(0)
CORRECT = (RNG.random((3, 100)) < 0.6).astype(float)  # 3 models x 100 items
SCORES = RNG.normal(size=(3, 100))


@pytest.mark.parametrize(
    ("func", "x", "name"),
    [(cochran_q, CORRECT, "correct"), (friedman, SCORES, "scores"), (nemenyi, SCORES, "scores")],
)
def test_a_transposed_matrix_is_refused_with_the_axes_named(func, x, name):
    # Before: cochran_q(items x models) returned Q over 100 "models" with df = 99.
    with pytest.raises(InputError, match=rf"`{name}` has shape \(100, 3\).*\(n_models, n_items\)"):
        func(x.T)


def test_more_models_than_items_when_confirmed():
    # 6 models on 4 datasets (Demsar-style tables can be wide either way): allowed with n_models.
    # Oracle: scipy.stats.friedmanchisquare (one argument per model) and statsmodels cochrans_q
    # (items in rows, models in columns).
    x = np.random.default_rng(1).normal(size=(6, 4))
    assert friedman(x, n_models=6).statistic == pytest.approx(
        sps.friedmanchisquare(*x).statistic, rel=1e-12
    )
    c = (np.random.default_rng(2).random((6, 5)) < 0.5).astype(float)
    assert cochran_q(c, n_models=6).statistic == pytest.approx(
        sm_cochrans_q(c.T).statistic, rel=1e-12
    )
    with pytest.raises(InputError, match=r"`n_models` = 4 does not match .*\(6, 4\)"):
        friedman(x, n_models=4)


@pytest.mark.parametrize("func", [cochran_q, friedman, nemenyi])
def test_one_dimensional_or_one_model_is_refused(func):
    with pytest.raises(InputError, match="must have 2 dimension"):
        func(CORRECT[0])
    with pytest.raises(InputError, match=r"at least 2 models \(rows\).*\(n_models, n_items\)"):
        func(CORRECT[:1])


def test_orientation_agrees_with_the_references():
    # Oracle: statsmodels cochrans_q takes (n_items, n_models); scipy friedmanchisquare one
    # sample per model. Ours take (n_models, n_items) and must give the same numbers.
    assert cochran_q(CORRECT).statistic == pytest.approx(
        sm_cochrans_q(CORRECT.T).statistic, rel=1e-12
    )
    assert cochran_q(CORRECT).df == 2
    assert friedman(SCORES).statistic == pytest.approx(
        sps.friedmanchisquare(*SCORES).statistic, rel=1e-12
    )
    assert nemenyi(SCORES).k == 3


# ------------------------------------------------------------------ multi-label subgroups


def test_multi_label_tags_count_an_item_in_each_of_its_groups():
    # Before: np.asarray(groups, dtype=object) on ragged lists raised a raw ValueError.
    # Oracle: statsmodels proportion_confint(method="wilson") on each group's own items.
    x = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 1], dtype=float)
    tags = [["a", "b"], "a", ("a",), ["b", "c"], "c", {"c", "a"}, "b", ["a", "c"], "b", ["c"]]
    res = subgroups(x, tags)
    assert res.overlapping and res.n == 10
    assert "several subgroups" in res.note and res.homogeneity is None and np.isnan(res.q.pvalue)
    members = {"a": [0, 1, 2, 5, 7], "b": [0, 3, 6, 8], "c": [3, 4, 5, 7, 9]}
    for g in res.groups:
        idx = members[g.group]
        k = int(x[idx].sum())
        lo, hi = proportion_confint(k, len(idx), alpha=0.05, method="wilson")
        assert g.n == len(idx) and g.estimate == pytest.approx(k / len(idx))
        assert (g.ci_low, g.ci_high) == pytest.approx((lo, hi), rel=1e-12)
    assert res.overall.estimate == pytest.approx(x.mean())


def test_single_labels_in_lists_are_disjoint_and_keep_the_tests():
    # One tag per item, written as one-element lists, is the ordinary disjoint case.
    x = (np.random.default_rng(3).random(60) < 0.5).astype(float)
    plain = [f"g{i % 3}" for i in range(60)]
    a = subgroups(x, plain)
    b = subgroups(x, [[t] for t in plain])
    assert not b.overlapping and b.q.pvalue == a.q.pvalue
    assert b.homogeneity.statistic == a.homogeneity.statistic


def test_an_item_without_any_tag_is_refused():
    with pytest.raises(InputError, match=r"`groups` has no label for 1 of 3 item\(s\)"):
        subgroups([1.0, 0.0, 1.0], [["a"], [], ["b"]])
