"""The report's contamination section, checked against the library on simulated data."""

import dataclasses
import json

import numpy as np
import pyarrow as pa
import pytest

from assay.contamination import clean_vs_dirty
from assay.io import RESPONSE_SCHEMA, ReadResult
from assay.io._schema import empty_runs
from assay.pipelines import index_from_responses, run_scan
from assay.report import build_report
from assay.report._context import ReportOptions
from assay.report._render import render_html


@dataclasses.dataclass(frozen=True)
class Options(ReportOptions):
    # the fields the report needs (asked of the report's owner); read with getattr in the section
    corpus: tuple[str, ...] = ()
    corpus_text_field: str = "text"
    contamination_scan: str | None = None


def simulated(tmp_path, seed=0):
    rng = np.random.default_rng(seed)
    n_items, models = 120, ["m-a", "m-b", "m-c", "m-d"]
    vocab = [f"w{i}" for i in range(2000)]
    questions = [" ".join(rng.choice(vocab, 20)) for _ in range(n_items)]
    questions[3] = questions[3] + " <script>alert(1)</script>"
    p = rng.uniform(0.2, 0.9, n_items)
    dirty = np.zeros(n_items, bool)
    dirty[:30] = True
    rows = []
    for m, name in enumerate(models):
        prob = np.clip(p + (0.3 if m == 0 else 0.0) * dirty, 0, 1)  # only m-a profits from the leak
        for i in range(n_items):
            rows.append(
                {
                    "model": name,
                    "task": "quiz",
                    "item": f"q{i}",
                    "sample": 0,
                    "metric": "acc",
                    "score": float(rng.random() < prob[i]),
                    "input": questions[i],
                    "target": f"ans{i}",
                    "run_id": f"run-{name}",
                }
            )
    table = pa.Table.from_pylist(rows, schema=RESPONSE_SCHEMA)
    corpus = tmp_path / "corpus.jsonl"
    with open(corpus, "w") as fh:
        for i in range(n_items):
            filler = " ".join(rng.choice(vocab, 50))
            text = f"{filler} {questions[i]} ans{i}" if dirty[i] else filler
            fh.write(json.dumps({"text": text}) + "\n")
    return ReadResult(table, empty_runs(), [], ["sim"]), str(corpus), dirty


def test_section_matches_the_library(tmp_path):
    result, corpus, dirty = simulated(tmp_path)
    model = build_report(
        result, options=Options(corpus=(corpus,)), sections=["inventory", "contamination"]
    )
    sec = model.section("contamination")
    assert sec.status == "present", sec.reason
    lib = run_scan(corpus, index_from_responses(result.responses), workers=1)
    rate = sec.data["rates"][0]
    assert (rate["n"], rate["n_input_and_answer"]) == (120, 30) and rate[
        "estimate"
    ] == lib.benchmarks[0].estimate
    assert rate["ci_low"] == pytest.approx(lib.benchmarks[0].ci_low)
    flagged = {v["item"] for v in sec.data["items"]}
    assert flagged == {f"q{i}" for i in range(30)}
    # clean against dirty, recomputed from the library with the section's seed
    ctx_matrix = sec.data["gaps"][0]
    assert ctx_matrix["task"] == "quiz" and ctx_matrix["n_dirty"] == 30
    rows = {r["model"]: r for r in ctx_matrix["rows"]}
    assert rows["m-a"]["pvalue_adjusted"] < 0.05 and rows["m-b"]["pvalue_adjusted"] > 0.05
    values = np.array(
        [
            [float(s) for s in rows_]
            for rows_ in np.array(result.responses.column("score").to_pylist()).reshape(4, 120)
        ]
    )
    items = [f"q{i}" for i in range(120)]
    order = np.argsort(items)  # the matrix sorts items as strings
    ref = clean_vs_dirty(values[:, order], dirty[order], models=["m-a", "m-b", "m-c", "m-d"])
    assert rows["m-a"]["estimate"] == pytest.approx(ref.models[0].estimate)
    assert rows["m-a"]["pvalue"] == pytest.approx(ref.models[0].pvalue)
    assert any("m-a scores" in h for h in sec.headline)
    html = render_html(model)
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    assert 'id="tbl-contamination-rates"' in html and 'id="tbl-contamination-gap-0"' in html


def test_section_from_a_saved_scan(tmp_path):
    result, corpus, _ = simulated(tmp_path, seed=1)
    run_scan(corpus, index_from_responses(result.responses), workers=1, out=str(tmp_path / "scan"))
    opts = Options(contamination_scan=str(tmp_path / "scan" / "result.json"))
    sec = build_report(result, options=opts, sections=["contamination"]).section("contamination")
    assert sec.status == "present" and sec.data["rates"][0]["n_input_and_answer"] == 30


def test_absent_without_a_corpus(tmp_path):
    result, _, _ = simulated(tmp_path)
    sec = build_report(result, sections=["contamination"]).section("contamination")
    assert sec.status == "absent" and "--corpus" in sec.reason
    sec = build_report(
        result,
        options=Options(contamination_scan=str(tmp_path / "none.json")),
        sections=["contamination"],
    ).section("contamination")
    assert sec.status == "absent" and "could not be read" in sec.reason


def test_flags_cite_their_measured_rates_and_rephrasings_are_estimated(tmp_path):
    """Each flagged item shows the measured false-flag rate and recall of the stages that flagged
    it (the numbers carried on the library result); a scan with embedding neighbours gets the
    estimate of rephrased items, as the library computed it."""
    from assay.contamination import FLAG_RATES, TopK, summarize
    from assay.pipelines import ScanOptions, scan_corpus, write_result

    result, corpus, dirty = simulated(tmp_path)
    index = index_from_responses(result.responses)
    run = scan_corpus(corpus, index, workers=1, options=ScanOptions())
    rng = np.random.default_rng(5)
    n = index.n_items
    sims = -np.sort(-rng.normal(0.3, 0.08, (n, 2000)), axis=1)[:, :20]
    truth = np.zeros(n, bool)
    truth[40:90] = True  # rephrased, not copied
    sims[truth, 1:] = sims[truth, :-1]
    sims[truth, 0] += 0.3
    refs = [[{"shard": 0, "row": j, "source": "c", "snippet": "x"} for j in range(20)]] * n
    lib = summarize(index, run.partial, embedding=TopK(sims, refs))
    scan = tmp_path / "result.json"
    write_result(lib, [corpus], str(scan))
    model = build_report(
        result, options=Options(contamination_scan=str(scan)), sections=["contamination"]
    )
    sec = model.section("contamination")
    rate = sec.data["rates"][0]
    bench = lib.benchmarks[0]
    assert rate["rephrased"] == pytest.approx(bench.rephrased)
    assert (rate["rephrased_ci_low"], rate["rephrased_ci_high"]) == (
        pytest.approx(bench.rephrased_ci_low),
        pytest.approx(bench.rephrased_ci_high),
    )
    assert sec.data["n_rephrased_flags"] == sum(
        v.rephrase_probability >= 0.5 and not v.contaminated for v in lib.items
    )
    # known truth: 50 items rephrased; the headline claims a lower bound at or below it, and says
    # that the upper end is not identified, with the measured numbers carried on the result
    assert 0 < bench.rephrased_ci_low <= 50 and bench.rephrased_ci_high == n
    line = next(h for h in sec.headline if "rephrased into the corpus" in h)
    assert f"at least {bench.rephrased_ci_low} of {n} items" in line
    full = FLAG_RATES["rephrase"]["unrelated_code"]["100%"]
    assert "upper end is not identified" in line
    assert f"a bound of {full['lower_bound']:.0f}" in line
    # the bound was measured with the 147 rephrasings that exist planted (17 of the paper's are
    # empty), not "every one of 164" as the line said before they were found
    assert full["planted"] == FLAG_RATES["rephrase"]["n_rephrasings"] == 147
    assert "all 147 of the paper's rephrasings" in line
    ng = FLAG_RATES["ngram_13"]
    cited = sec.data["items"][0]["flag_rates"][0]
    assert f"{100 * ng['false_flag_rate']:.1f}% false flags" in cited
    assert f"recall {100 * ng['recall_copies']:.1f}% on planted copies" in cited
    html = render_html(model)
    assert "how often this flag is wrong" in html and "Probably rephrased" in html
