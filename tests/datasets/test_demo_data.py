"""The packaged demo data: each loader's shape and counts, the text columns, the attribution.

Expected counts come from the sources themselves (the shared data's README and the files' own
fields), never from our loaders' output: 29 models x 12,032 MMLU-Pro questions (MMLU-Pro
eval_results), 800 CRUXEval problems x 10 samples with the stored pass@1/pass@5 printed in
``sample_scored_codellama-7b_temp0.2_{input,output}.json``, 164 HumanEval problems, Pythia's
27 checkpoints per series (step 0 to 143,000).
"""

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from assay import datasets
from assay.io import RESPONSE_SCHEMA, RUN_SCHEMA
from assay.io._validate import resolve_duplicates, validate_responses
from assay.sampling import pass_at_k

DATA = Path(datasets.__file__).parent / "data"
ATTRIBUTION = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def mmlu():
    return datasets.mmlu_pro()


@pytest.fixture(scope="module")
def questions():
    return datasets.mmlu_pro_questions()


@pytest.fixture(scope="module")
def crux():
    return datasets.cruxeval()


def _first_rows(table, keys):
    """Index of the first row of each key tuple, and the set of rows with non-null input."""
    cols = [table.column(k).to_pylist() for k in keys]
    first = {}
    for i, key in enumerate(zip(*cols)):
        first.setdefault(key, i)
    valid = np.flatnonzero(table.column("input").is_valid().to_numpy(zero_copy_only=False))
    return first, set(valid.tolist())


# --- sources and attribution -------------------------------------------------------------


def test_every_source_names_existing_files_and_is_attributed():
    assert [s.name for s in datasets.SOURCES] == [
        "mmlu_pro",
        "cruxeval",
        "calibration",
        "pythia",
        "contamination",
    ]
    for s in datasets.SOURCES:
        for f in s.files:
            assert (DATA / f).exists(), (s.name, f)
            # Each shipped file or folder has its own heading in ATTRIBUTION.md.
            assert f.split("/")[0] in ATTRIBUTION, f
        assert f"{s.repository}, commit {s.commit}" in ATTRIBUTION, s.name
        assert re.fullmatch(r"[0-9a-f]{7}", s.commit)
        assert s.license in {"Apache-2.0", "MIT"}
        d = s.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert d["citation"].startswith(f"{s.repository}@{s.commit} ")
        assert set(s.sections) <= {
            "leaderboard",
            "comparisons",
            "subjects",
            "irt",
            "item_audit",
            "calibration",
            "sampling",
            "curves",
            "contamination",
        }
    assert datasets.source("pythia").license == "Apache-2.0"
    with pytest.raises(KeyError, match="expected one of"):
        datasets.source("nope")


def test_package_data_is_under_10_mb():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 10_000_000, total


def test_licenses_ship_with_the_data():
    root = Path(datasets.__file__).parents[3]
    text = (DATA / "pythia" / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    repo_license = root / "LICENSE"
    if repo_license.exists():  # a source checkout; an installed wheel has it in dist-info
        body = repo_license.read_text(encoding="utf-8")
        assert "Apache License" in body and "END OF TERMS AND CONDITIONS" in body


# --- MMLU-Pro -------------------------------------------------------------------------------


def test_mmlu_pro_shape_and_schema(mmlu, questions):
    assert mmlu.schema.equals(RESPONSE_SCHEMA)
    assert mmlu.num_rows == 347_215
    assert len(set(mmlu.column("model").to_pylist())) == 29
    assert questions.num_rows == 12_032
    assert questions.column_names == ["item", "subject", "question", "options", "answer"]
    assert len(set(questions.column("item").to_pylist())) == 12_032
    assert set(questions.column("item").to_pylist()) == set(mmlu.column("item").to_pylist())
    assert len(set(questions.column("subject").to_pylist())) == 14
    n_opts = Counter(len(o) for o in questions.column("options").to_pylist())
    assert min(n_opts) >= 1 and max(n_opts) == 10


def test_mmlu_pro_text_on_exactly_the_first_row_of_each_item(mmlu, questions):
    first, valid = _first_rows(mmlu, ["item"])
    assert len(first) == 12_032
    assert valid == set(first.values())
    q = {r["item"]: r for r in questions.select(["item", "question", "options"]).to_pylist()}
    inputs = mmlu.column("input")
    for item, row in list(first.items())[::97]:
        text = inputs[row].as_py()
        assert text.startswith(q[item[0]]["question"])
        for letter, opt in zip("ABCDEFGHIJ", q[item[0]]["options"]):
            assert f"\n{letter}. {opt}" in text
    assert datasets.mmlu_pro(text=False).column("input").null_count == mmlu.num_rows


def test_mmlu_pro_answers_agree_with_the_results_table_but_on_three(mmlu, questions):
    # The shared data's README: questions_text's answer differs from questions.csv on 3 items.
    gold = dict(zip(questions.column("item").to_pylist(), questions.column("answer").to_pylist()))
    target = dict(zip(mmlu.column("item").to_pylist(), mmlu.column("target").to_pylist()))
    assert sum(gold[k] != target[k] for k in gold) == 3


def test_question_text_letters():
    assert datasets.question_text("Q?", ["x", "y", "z"]) == "Q?\n\nA. x\nB. y\nC. z"


def test_mmlu_pro_result_runs(mmlu):
    res = datasets.mmlu_pro_result()
    assert res.runs.schema.equals(RUN_SCHEMA)
    assert res.runs.num_rows == 29
    assert set(res.runs.column("run_id").to_pylist()) == set(
        res.responses.column("run_id").to_pylist()
    )
    assert "TIGER-AI-Lab/MMLU-Pro@f418b11" in res.sources[0]


# --- CRUXEval -------------------------------------------------------------------------------


def test_cruxeval_shape(crux):
    assert crux.schema.equals(RESPONSE_SCHEMA)
    assert crux.num_rows == 2 * 800 * 10
    assert set(crux.column("task").to_pylist()) == {"cruxeval-i", "cruxeval-o"}
    assert set(crux.column("metric").to_pylist()) == {"pass"}
    per = Counter(zip(crux.column("task").to_pylist(), crux.column("item").to_pylist()))
    assert len(per) == 1600 and set(per.values()) == {10}
    assert set(crux.column("sample").to_pylist()) == set(range(10))
    assert crux.column("prediction").null_count == 0


def test_cruxeval_problem_text_on_one_row_per_item(crux):
    first, valid = _first_rows(crux, ["task", "item"])
    assert valid == set(first.values())
    row = first[("cruxeval-o", "sample_0")]
    text = crux.column("input")[row].as_py()
    assert text.startswith("def f(nums):") and text.endswith("assert f([1, 1, 3, 1, 3, 1]) == ??")


@pytest.mark.parametrize(
    ("task", "stored_1", "stored_5"),
    # Printed in facebookresearch/cruxeval@190faf1 sample_scored_codellama-7b_temp0.2_*.json.
    [
        ("cruxeval-i", 35.94999999999998, 44.991071428571416),
        ("cruxeval-o", 34.212500000000006, 40.286706349206355),
    ],
)
def test_cruxeval_pass_at_k_reproduces_the_stored_values(crux, task, stored_1, stored_5):
    reported = datasets.cruxeval_reported()[task]
    assert reported["pass@1"] == stored_1 and reported["pass@5"] == stored_5
    t = crux.filter(pc.equal(crux.column("task"), task)).sort_by(
        [("item", "ascending"), ("sample", "ascending")]
    )
    correct = t.column("score").to_numpy().reshape(800, 10)
    assert 100 * pass_at_k(correct, 1).estimate == pytest.approx(stored_1, abs=1e-9)
    assert 100 * pass_at_k(correct, 5).estimate == pytest.approx(stored_5, abs=1e-9)
    runs = datasets.cruxeval_result().runs.to_pylist()
    cfg = [json.loads(r["config"]) for r in runs if r["task"] == task][0]
    assert cfg["reported"]["pass@5"] == stored_5 and cfg["n_samples"] == 10


# --- calibration ----------------------------------------------------------------------------


def test_calibration_result_carries_real_choice_logprobs():
    res = datasets.calibration_result()
    t = res.responses
    assert t.num_rows == 40
    assert set(t.column("task").to_pylist()) == {"negotiationtom_belief", "negotiationtom_desire"}
    assert set(t.column("model").to_pylist()) == {"Qwen/Qwen3-8B"}
    lp = t.column("choice_logprobs").to_pylist()
    assert all(v is not None and len(v) == 4 and max(v) <= 0 for v in lp)
    # two runs with per-item rows (and, since issue 15, rows for the aggregate-only group)
    scored = set(res.responses.column("run_id").to_pylist())
    assert len(scored) == 2 and scored <= set(res.runs.column("run_id").to_pylist())
    # The three questions about one dialogue share a prompt, hence their log-likelihoods.
    by_cluster = {}
    for c, v in zip(t.column("cluster").to_pylist(), lp):
        by_cluster.setdefault(c, set()).add(tuple(v))
    assert all(len(s) == 1 for s in by_cluster.values())
    assert sorted(Counter(t.column("cluster").to_pylist()).values()) == [2, 2] + [3] * 12
    assert any("intention" in n for n in res.notes)


# --- Pythia ---------------------------------------------------------------------------------


def test_pythia_paths_hold_raw_results_of_27_checkpoints():
    paths = datasets.pythia_paths()
    assert [p.name for p in paths] == sorted(
        [
            "pythia-70m",
            "pythia-410m",
            "pythia-1.4b",
            "pythia-1.4b-deduped",
            "pythia-6.9b",
            "pythia-6.9b-deduped",
        ]
    )
    for p in paths:
        files = sorted((p / "zero-shot").glob("*.json"))
        steps = set()
        for f in files:
            d = json.loads(f.read_text(encoding="utf-8"))
            assert set(d) == {"results", "versions", "config"}
            m = re.search(r"revision=step(\d+)", str(d["config"]["model_args"]))
            assert m and f.stem.endswith(f"_step{m.group(1)}")
            steps.add(int(m.group(1)))
        assert len(files) == 27 and min(steps) == 0 and max(steps) == 143_000
    assert (paths[0].parent / "LICENSE").is_file()


# --- HumanEval / CodeAlpaca -----------------------------------------------------------------


def test_humaneval_items_and_codealpaca_corpus():
    he = datasets.humaneval()
    assert he.num_rows == 164
    assert he.column_names == ["task", "item", "input", "target"]
    assert he.column("item")[0].as_py() == "HumanEval/0"
    assert "def has_close_elements" in he.column("input")[0].as_py()
    corpus = datasets.codealpaca_corpus()
    docs = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    assert all(isinstance(d["text"], str) and d["text"] for d in docs)
    assert len({d["text"] for d in docs}) == len(docs) == 153
    pairs = datasets.humaneval_codealpaca_pairs()
    assert pairs.num_rows == 164
    assert pairs.column("test").to_pylist() == he.column("input").to_pylist()
    assert set(pairs.column("train").to_pylist()) == {d["text"] for d in docs}
    assert sum(pairs.column("rephrased").to_pylist()) == 18


def test_rephrased_corpus_pairs_line_i_with_humaneval_i():
    he = datasets.humaneval().column("item").to_pylist()
    lines = datasets.humaneval_rephrased_corpus().read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    assert [d["id"] for d in docs] == he
    # HumanEval/5 is `intersperse`; its rephrasing renames it but keeps the example's numbers.
    assert "def intersperse" in datasets.humaneval().column("input")[5].as_py()
    assert "def intersperse" not in docs[5]["text"] and "separator" in docs[5]["text"]
    # 17 of the source's rephrasings are empty strings (the docstring lists them): those items
    # are not contaminated, and a recall on this corpus is over the other 147
    empty = [int(d["id"].split("/")[1]) for d in docs if not d["text"].strip()]
    assert empty == [17, 19, 44, 68, 81, 87, 94, 105, 107, 118, 123, 124, 129, 148, 152, 156, 160]


def test_humaneval_indexes_and_scans():
    from assay.pipelines import CorpusOptions, ScanOptions, index_from_responses, run_scan

    index = index_from_responses(datasets.humaneval())
    res = run_scan(
        [str(datasets.codealpaca_corpus())],
        index,
        options=ScanOptions(corpus=CorpusOptions(text_field="text")),
        progress=False,
    ).to_dict()
    assert res["n_docs"] == 153 and len(res["items"]) == 164


# --- the demo as a whole --------------------------------------------------------------------


def test_demo_result_combines_the_long_tables():
    res = datasets.demo_result()
    assert res.responses.num_rows == 347_215 + 16_000 + 40
    # every scored run has its run row (the lm-eval group summary adds runs without responses)
    assert set(res.responses.column("run_id").to_pylist()) <= set(
        res.runs.column("run_id").to_pylist()
    )
    assert len(set(res.responses.column("run_id").to_pylist())) == 29 + 2 + 2
    assert res.responses.schema.equals(RESPONSE_SCHEMA) and res.runs.schema.equals(RUN_SCHEMA)
    # What assay.read checks on every source: no duplicate keys, no unscored or stray rows.
    assert resolve_duplicates(res.responses, res.runs) == (res.responses, [])
    assert validate_responses(res.responses)[1] == []
    inputs = datasets.demo_inputs()
    assert inputs.corpus == datasets.codealpaca_corpus()
    assert len(inputs.pythia) == 6 and inputs.sources == datasets.SOURCES
