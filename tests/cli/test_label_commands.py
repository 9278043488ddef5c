"""`assay agreement`, `assay ppi`, `assay bt` and `assay scaling` (issue 16: library-only before),
on real data where there is some (tests/data/label-errors: MNIST and CIFAR-10 with MTurk
verdicts, cleanlab/label-errors, Apache-2.0) and against the outside references the library's own
tests use (scikit-learn, statsmodels, krippendorff, ppi-python, scipy)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assay.cli import main

DATA = Path(__file__).parents[1] / "data" / "label-errors"


def _run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r


def _json(*args):
    r = _run(*args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# ------------------------------------------------------------------------------- agreement


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    """The MNIST test set: given (human) labels against a cross-validated model's argmax."""
    labels = np.load(DATA / "mnist_test_set_original_labels.npy").astype(int)
    pyx = np.load(DATA / "mnist_test_set_pyx.npy")
    path = tmp_path_factory.mktemp("mnist") / "mnist.csv"
    rows = [(i, labels[i], int(np.argmax(pyx[i])), float(pyx[i].max())) for i in range(len(labels))]
    return _write_csv(path, ["id", "human", "model", "confidence"], rows), labels, pyx


def test_judge_agreement_matches_sklearn_on_mnist(mnist):
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    path, labels, pyx = mnist
    out = _json("agreement", path, "--human", "human", "--judge", "model")
    res = out["result"]
    pred = pyx.argmax(axis=1)
    assert res["n"] == 10_000 and out["n_omitted"] == 0
    assert res["kappa"]["estimate"] == pytest.approx(cohen_kappa_score(labels, pred), abs=1e-12)
    # labels are read as text: "0".."9" sort as the digits do
    np.testing.assert_array_equal(res["confusion"], confusion_matrix(labels, pred))
    assert res["observed_agreement"] == pytest.approx(np.mean(labels == pred))
    assert res["kappa"]["ci_low"] <= res["kappa"]["estimate"] <= res["kappa"]["ci_high"] <= 1
    text = _run("agreement", path, "--human", "human", "--judge", "model").stdout
    assert "Cohen's kappa" in text and "chance agreement" in text


def _raters_table(tmp_path, name):
    """Each candidate's five MTurk workers as five rater columns (given / guessed / neither)."""
    items = json.loads((DATA / name).read_text())
    cats = ["given", "guessed", "neither", "both"]
    rows, counts = [], []
    for it in items:
        votes = [c for c in cats for _ in range(it["mturk"].get(c, 0))]
        assert len(votes) == 5
        rows.append([it["id"], *votes])
        counts.append([it["mturk"].get(c, 0) for c in cats])
    path = _write_csv(tmp_path / "raters.csv", ["id", "r1", "r2", "r3", "r4", "r5"], rows)
    return path, np.array(counts), rows


def test_raters_agreement_matches_statsmodels_and_krippendorff_on_cifar10_mturk(tmp_path):
    import krippendorff
    from statsmodels.stats.inter_rater import fleiss_kappa

    path, counts, rows = _raters_table(tmp_path, "cifar10_mturk.json")
    out = _json("agreement", path, "--raters", "r1,r2,r3,r4,r5")
    used = counts[:, counts.sum(axis=0) > 0]
    assert out["fleiss_kappa"]["estimate"] == pytest.approx(fleiss_kappa(used), abs=1e-12)
    codes = {c: i for i, c in enumerate(sorted({v for r in rows for v in r[1:]}))}
    data = np.array([[codes[v] for v in r[1:]] for r in rows], float).T
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert out["krippendorff_alpha"]["estimate"] == pytest.approx(ref, abs=1e-12)
    lo, hi = out["fleiss_kappa"]["ci_low"], out["fleiss_kappa"]["ci_high"]
    assert -1 <= lo <= out["fleiss_kappa"]["estimate"] <= hi <= 1


def test_raters_with_missing_cells_get_alpha_only(tmp_path):
    import krippendorff

    path = _write_csv(tmp_path / "r.csv", ["a", "b", "c"],
                      [[1, 1, ""], [2, 2, 2], [3, 3, 1], ["", 1, 1], [2, 1, 2]])  # fmt: skip
    out = _json("agreement", path, "--raters", "a,b,c", "--level", "interval")
    data = np.array([[1, 2, 3, np.nan, 2], [1, 2, 3, 1, 1], [np.nan, 2, 1, 1, 2]])
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    assert out["krippendorff_alpha"]["estimate"] == pytest.approx(ref, abs=1e-12)
    assert out["fleiss_kappa"] is None
    assert "not computed" in _run("agreement", path, "--raters", "a,b,c").stdout


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        (
            [["x", "y"], ["", "y"]],
            ("--human", "h", "--judge", "j"),
            "t.csv: line 3: field 'h': empty value.",
        ),
        (
            [["x", "y"]],
            ("--human", "h", "--judge", "nope"),
            "field 'nope': no column 'nope'; the table has: h, j",
        ),
        ([["x", "y"]], ("--human", "h"), "give --human and --judge, or --raters"),
        ([["x", "y"]], ("--raters", "h"), "--raters needs at least two columns"),
        ([["x", "y", "z"]], ("--raters", "h,j"), "t.csv: line 2: 3 cells, but the header has 2."),
    ],
)
def test_agreement_errors_name_file_line_and_field(tmp_path, rows, args, message):
    path = _write_csv(tmp_path / "t.csv", ["h", "j"], rows)
    r = _run("agreement", path, *args)
    assert r.exit_code != 0 and message in r.output, r.output


def test_missing_labels_can_be_omitted_and_are_counted(tmp_path):
    path = _write_csv(
        tmp_path / "t.csv", ["h", "j"], [["a", "a"], ["", "b"], ["b", "b"], ["a", "b"]]
    )
    out = _json("agreement", path, "--human", "h", "--judge", "j", "--missing", "omit")
    assert out["n_omitted"] == 1 and out["result"]["n"] == 3


# ------------------------------------------------------------------------------------- ppi


def test_ppi_on_mnist_matches_ppi_python(mnist, tmp_path):
    import ppi_py  # ppi-python 0.2.3, the reference of tests/stats/test_ppi_reference.py

    _, labels, pyx = mnist
    # is the model right (human label)? known for the first 300 items; the judge: its confidence
    correct = (pyx.argmax(axis=1) == labels).astype(float)
    conf = pyx.max(axis=1)
    rows = [[i, correct[i] if i < 300 else "", conf[i]] for i in range(len(labels))]
    path = _write_csv(tmp_path / "ppi.csv", ["id", "correct", "confidence"], rows)
    out = _json("ppi", path, "--human", "correct", "--judge", "confidence")
    res = out["result"]
    y, yhat, yu = correct[:300], conf[:300], conf[300:]
    assert out["n_labelled"] == 300 and out["n_unlabelled"] == 9_700
    est = float(np.ravel(ppi_py.ppi_mean_pointestimate(y, yhat, yu, lam=1))[0])
    lo, hi = (float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05, lam=1))
    assert res["estimate"] == pytest.approx(est, rel=1e-10)
    # ppi-python uses ddof = 1 variances, ours 1/n as the paper: ends agree to 1% of the width
    assert res["ci_low"] == pytest.approx(lo, abs=0.01 * (hi - lo))
    assert res["ci_high"] == pytest.approx(hi, abs=0.01 * (hi - lo))
    tuned = _json("ppi", path, "--human", "correct", "--judge", "confidence", "--lam", "tuned")
    est_t = float(np.ravel(ppi_py.ppi_mean_pointestimate(y, yhat, yu))[0])
    assert tuned["result"]["estimate"] == pytest.approx(est_t, rel=1e-10)
    text = _run("ppi", path, "--human", "correct", "--judge", "confidence").stdout
    assert "human labels alone" in text


def test_ppi_intervals_stay_in_the_scores_range(tmp_path):
    # a judge that says 0 on every labelled item (all right) and 1 on the rest: PPI's mean is 2
    rows = [[1, 0.0]] * 5 + [[1, 0.1]] + [["", 1.0]] * 50
    path = _write_csv(tmp_path / "p.csv", ["h", "j"], rows)
    out = _json("ppi", path, "--human", "h", "--judge", "j")
    assert out["result"]["estimate"] > 1.5  # the library's number, unclipped
    shown = out["in_range"]
    assert 0 <= shown["ci_low"] <= shown["estimate"] <= shown["ci_high"] <= 1
    assert shown["score_range"] == [0.0, 1.0]


def test_ppi_errors(tmp_path):
    path = _write_csv(tmp_path / "p.csv", ["h", "j"], [[1, 0.9], [0, "x"], ["", 0.5]])
    r = _run("ppi", path, "--human", "h", "--judge", "j")
    assert r.exit_code != 0 and "p.csv: line 3: field 'j': expected a number; got 'x'." in r.output
    path = _write_csv(tmp_path / "q.csv", ["h", "j"], [[1, 0.9], ["", 0.5]])
    r = _run("ppi", path, "--human", "h", "--judge", "j")
    assert "needs at least 2 rows with a human score and 1 without; got 1 and 1" in r.output
    r = _run("ppi", path, "--human", "h", "--judge", "j", "--lam", "x")
    assert r.exit_code != 0 and "expected a number in [0, 1] or 'tuned'" in r.output


# -------------------------------------------------------------------------------------- bt


def _battles(tmp_path, fmt="jsonl"):
    rng = np.random.default_rng(7)
    names, true = ["m0", "m1", "m2", "m3"], np.array([0.0, 0.6, -0.4, 1.1])
    recs = []
    for _ in range(600):
        i, j = rng.choice(4, 2, replace=False)
        p = 1 / (1 + np.exp(-(true[i] - true[j])))
        w = "tie" if rng.random() < 0.1 else ("model_a" if rng.random() < p else "model_b")
        recs.append({"model_a": names[i], "model_b": names[j], "winner": w})
    path = tmp_path / f"battles.{fmt}"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path, recs


def test_bt_matches_a_statsmodels_logistic_fit(tmp_path):
    import statsmodels.api as sm

    path, recs = _battles(tmp_path)
    out = _json("bt", path, "--reference", "m0")["result"]
    # Chatbot Arena's logistic regression on +1/-1 indicators, m0 dropped; a tie is a win and a
    # loss of weight 1/2 each
    names = ["m0", "m1", "m2", "m3"]
    x, y, w = [], [], []
    for r in recs:
        row = np.zeros(4)
        row[names.index(r["model_a"])], row[names.index(r["model_b"])] = 1, -1
        outcomes = [(1.0, 0.5), (0.0, 0.5)] if r["winner"] == "tie" else [
            (1.0 if r["winner"] == "model_a" else 0.0, 1.0)]  # fmt: skip
        for yy, ww in outcomes:
            x.append(row[1:])
            y.append(yy)
            w.append(ww)
    fit = sm.GLM(np.array(y), np.array(x), family=sm.families.Binomial(),
                 freq_weights=np.array(w)).fit()  # fmt: skip
    assert out["estimate"][1:] == pytest.approx(fit.params, abs=1e-6)
    assert out["se"][1:] == pytest.approx(fit.bse, rel=1e-4)
    assert out["n"] == 600
    text = _run("bt", path).stdout
    assert text.splitlines()[2].startswith("m3")  # strongest first
    n_m3 = sum("m3" in (r["model_a"], r["model_b"]) for r in recs)
    assert text.splitlines()[2].split("\t")[-1] == f"{n_m3:,}"


def test_bt_errors_name_the_line(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text('{"model_a": "x", "model_b": "y", "winner": "a"}\n'
                    '{"model_a": "x", "model_b": "y", "winner": "draw"}\n')  # fmt: skip
    r = _run("bt", path)
    assert (
        r.exit_code != 0
        and "b.jsonl: line 2: field 'winner': expected a, b, model_a, model_b or tie" in r.output
    )
    path.write_text('{"model_a": "x", "model_b": "y", "winner": "a"}\nnot json\n')
    assert "b.jsonl: line 2: not JSON" in _run("bt", path).output
    path.write_text('{"model_a": "x", "model_b": "x", "winner": "a"}\n')
    assert (
        "b.jsonl: line 1: field 'model_b': a model against itself ('x')." in _run("bt", path).output
    )


# --------------------------------------------------------------------------------- scaling


def test_scaling_matches_scipy_linregress_on_log_axes(tmp_path):
    from scipy import stats

    n = np.array([100, 300, 1000, 3000, 10000, 30000])
    score = np.array([0.21, 0.26, 0.31, 0.37, 0.45, 0.52])
    path = _write_csv(tmp_path / "s.csv", ["n_examples", "score"], zip(n, score, strict=True))
    out = _json("scaling", path, "--at", "100000")
    ref = stats.linregress(np.log(n), np.log(score))
    t = stats.t.ppf(0.975, len(n) - 2)
    res = out["result"]
    assert res["exponent"] == pytest.approx(ref.slope, rel=1e-10)
    assert res["exponent_ci_low"] == pytest.approx(ref.slope - t * ref.stderr, rel=1e-8)
    assert res["pvalue"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert out["predictions"][0]["score"] == pytest.approx(np.exp(ref.intercept) * 1e5**ref.slope)
    err = _json("scaling", path, "--target", "error")["result"]
    assert err["exponent"] == pytest.approx(stats.linregress(np.log(n), np.log(1 - score)).slope)


def test_scaling_errors(tmp_path):
    path = _write_csv(tmp_path / "s.csv", ["n_examples", "score"], [[100, 0.2], ["lots", 0.3]])
    r = _run("scaling", path)
    assert (
        r.exit_code != 0
        and "s.csv: line 3: field 'n_examples': expected a number; got 'lots'." in r.output
    )
    r = _run("scaling", tmp_path / "s.xlsx")
    assert "no such file" in r.output
    (tmp_path / "s.xlsx").write_text("x")
    assert "unknown table format" in _run("scaling", tmp_path / "s.xlsx").output
