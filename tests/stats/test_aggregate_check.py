"""check_aggregates: the harness's aggregates against the per-item rows (issue 15, part 5).

On the real lm-eval logs every reported value, stderr and n is reproduced by the items except
one fact the data README states: the math_perturbed samples file keeps 10 of the 5,000 docs.
Broken copies are made inside the tests. The MCC run is made from the real negotiationtom_desire
samples: each row gets the (gold, argmax of the choice log-likelihoods) pair that lm-eval's
multiple-choice ``process_results`` writes for ``mcc``, and the results file the value that
lm-eval's ``matthews_corrcoef`` aggregation (sklearn) gives.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sklearn.metrics import matthews_corrcoef

import assay
from assay.stats import check_aggregates, corpus_bootstrap, corpus_metric

LOGS = Path(__file__).parents[1] / "data" / "logs" / "lm_eval"
NEGO_DATE = "2026-07-08T18-15-33.115417"


def _check(path):
    res = assay.read(path)
    return res, check_aggregates(res.responses, res.aggregates, res.corpus_items)


def test_real_logs_agree_except_the_truncated_samples_file():
    _, findings = _check(LOGS)
    assert [(f.task, f.kind, f.reported, f.recomputed) for f in findings] == [
        ("math_perturbed_full", "n", 5000.0, 10.0)
    ]
    assert "truncated" in findings[0].message


def test_a_tampered_value_stderr_and_a_missing_row_are_found(tmp_path: Path):
    out = tmp_path / "asdiv"
    shutil.copytree(LOGS / "llama3-8b-instruct_asdiv", out)
    results = next(out.glob("results_*.json"))
    data = json.loads(results.read_text())
    data["results"]["asdiv"]["acc,none"] = 0.94
    data["results"]["asdiv"]["acc_stderr,none"] = 0.02
    results.write_text(json.dumps(data))
    _, findings = _check(results)
    kinds = {f.kind: f for f in findings}
    assert set(kinds) == {"value", "stderr"}
    assert kinds["value"].recomputed == pytest.approx(46 / 50)  # 46 of 50 rows have acc 1
    samples = next(out.glob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    samples.write_text("\n".join(lines[:-1]) + "\n")
    _, findings = _check(results)
    assert "n" in {f.kind for f in findings}


def _mcc_run(tmp_path: Path, reported_shift: float = 0.0) -> Path:
    out = tmp_path / "mcc"
    shutil.copytree(LOGS / "qwen3-8b_negotiationtom", out)
    task = "negotiationtom_desire"
    samples = out / f"samples_{task}_{NEGO_DATE}.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    golds, preds = [], []
    for row in rows:
        ll = [float(pair[0]) for pair in row["filtered_resps"]]
        gold, pred = int(row["target"]), max(range(len(ll)), key=ll.__getitem__)
        row["mcc"] = [gold, pred]
        row["metrics"] = ["acc", "mcc"]
        golds.append(gold)
        preds.append(pred)
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = out / f"results_{NEGO_DATE}.json"
    data = json.loads(results.read_text())
    data["results"][task]["mcc,none"] = matthews_corrcoef(golds, preds) + reported_shift
    data["results"][task]["mcc_stderr,none"] = "N/A"
    data["configs"][task]["metric_list"].append(
        {"metric": "mcc", "aggregation": "matthews_corrcoef", "higher_is_better": True}
    )
    results.write_text(json.dumps(data))
    return results


def test_corpus_metric_recomputed_from_the_samples_equals_the_reported(tmp_path: Path):
    res, findings = _check(_mcc_run(tmp_path))
    assert findings == []
    items = res.corpus_items.to_pylist()
    assert len(items) == 20 and {r["aggregation"] for r in items} == {"matthews_corrcoef"}
    golds = [json.loads(r["gold"]) for r in items]
    preds = [json.loads(r["prediction"]) for r in items]
    (row,) = [r for r in res.aggregates.to_pylist() if r["metric"] == "mcc,none"]
    assert row["corpus_level"] and row["stderr"] is None
    assert corpus_metric(golds, preds, aggregation="matthews_corrcoef") == pytest.approx(
        row["value"], abs=1e-12
    )
    boot = corpus_bootstrap(golds, preds, aggregation="matthews_corrcoef", rng=0)
    assert boot.ci_low <= row["value"] <= boot.ci_high


def test_corpus_mismatch_is_a_finding(tmp_path: Path):
    _, findings = _check(_mcc_run(tmp_path, reported_shift=0.05))
    (f,) = findings
    assert f.kind == "corpus" and f.metric == "mcc,none"
    assert f.reported - f.recomputed == pytest.approx(0.05)


def test_check_bad_input():
    with pytest.raises(assay.InputError, match="lacks the column 'run_id'"):
        check_aggregates({}, {})
