"""Build the data shipped in ``src/assay/datasets/data/`` (the ``assay demo`` data) from ../shared/data.

Every file written here comes from a public repository; ``datasets/data/ATTRIBUTION.md`` and
``assay.datasets.SOURCES`` name each source, its commit and license. The script is deterministic:
run twice, it writes the same bytes.

What it writes (under src/assay/datasets/data/):

- ``mmlu_pro.parquet``: the 29-model long table (``scripts/make_mmlu_pro.py``, rerun here).
- ``mmlu_pro_questions.parquet``: one row per question: item, subject, question, options (list of
  strings), answer (gold letter, from ``questions_text.csv.gz``).
- ``cruxeval.parquet``: CodeLlama-7B (temperature 0.2), 800 problems x 10 samples, tasks
  ``cruxeval-i`` (input prediction) and ``cruxeval-o`` (output prediction), metric ``pass``; the
  raw generation as ``prediction``; the problem (code and the assertion to complete) as ``input``
  on the first row of each item; the stored pass@1 and pass@5 in ``cruxeval_reported.json``.
- ``lm_eval/qwen3-8b_negotiationtom/``: the lm-eval results file and the two multiple-choice
  sample files (per-choice log-likelihoods), copied unchanged, with their README.
- ``pythia/<series>/zero-shot/*.json``: the raw lm-eval (2023 layout) results of the Pythia series
  in ``PYTHIA_SERIES``, copied unchanged, with the Pythia LICENSE.
- ``contamination/``: ``humaneval.jsonl`` (164 problems, field ``text``), ``codealpaca.jsonl``
  (the CodeAlpaca training snippets that llm-decontaminator retrieved as each HumanEval problem's
  nearest neighbour, field ``text``, deduplicated), ``humaneval_codealpaca_pairs.jsonl`` (the 164
  (test, train, LLM verdict) pairs of the llm-decontaminator database, unchanged fields),
  ``humaneval_rephrased_python.jsonl`` (llm-decontaminator's Python rephrasing of each HumanEval
  problem, made to evade n-gram checks: a corpus whose contamination is known, 164 of 164),
  ``embeddings.npz`` (all-MiniLM-L6-v2 embeddings of the HumanEval items and the corpus, float16,
  from :func:`assay.pipelines.save_embeddings`; needs ``assay[embed]`` to build; equal to the
  model's output up to float arithmetic, not byte for byte across machines).
- ``LICENSE-pythia`` and the attribution text stay hand-written in ``ATTRIBUTION.md``.

Run: python scripts/build_demo_data.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from assay.io._schema import RESPONSE_SCHEMA  # noqa: E402

OUT = ROOT / "src" / "assay" / "datasets" / "data"
LETTERS = "ABCDEFGHIJKLMNOP"

#: The Pythia series shipped (about 590 kB each): four sizes, and the deduplicated twins of the
#: two largest; all 16 series (9.4 MB) would not leave room under the 10 MB package-data budget.
PYTHIA_SERIES = (
    "pythia-70m",
    "pythia-410m",
    "pythia-1.4b",
    "pythia-1.4b-deduped",
    "pythia-6.9b",
    "pythia-6.9b-deduped",
)

#: The lm-eval files that carry per-choice log-likelihoods (multiple_choice tasks).
LM_EVAL_FILES = (
    "results_2026-07-08T18-15-33.115417.json",
    "samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl",
    "samples_negotiationtom_desire_2026-07-08T18-15-33.115417.jsonl",
)

LM_EVAL_README = """\
# lm-evaluation-harness output (real LLM confidences for the demo's calibration section)

`qwen3-8b_negotiationtom/`: Qwen/Qwen3-8B on the task group `negotiationtom`, lm-eval 0.4.13.dev0
(2026): the `results_*.json` file and the samples of the two `multiple_choice` subtasks
`negotiationtom_belief` and `negotiationtom_desire` (4 choices, 20 docs each, per-choice
log-likelihoods in `resps`/`filtered_resps`), copied unchanged. The samples of the generative
subtask `negotiationtom_intention` are not shipped. The three questions about one dialogue share
one prompt, so their log-likelihoods are identical.

Source: EleutherAI/lm-evaluation-harness pull-request branches, as collected in
evaleval/every_eval_ever, commit 9bce413, `tests/data`. License: MIT.
Read with `assay.datasets.calibration_result()` (or `assay.read` on the run folder).
"""

_PARQUET = {"compression": "zstd", "compression_level": 19, "use_dictionary": True}


def build_mmlu_pro(shared: Path) -> None:
    import make_mmlu_pro

    make_mmlu_pro.main(shared / "mmlu-pro")
    cols: dict[str, list] = {k: [] for k in ("item", "subject", "question", "options", "answer")}
    with gzip.open(
        shared / "mmlu-pro" / "questions_text.csv.gz", "rt", newline="", encoding="utf-8"
    ) as fh:
        for row in csv.DictReader(fh):
            options = json.loads(row["options"])
            if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
                raise ValueError(f"question {row['question_id']}: options is not a list of text")
            cols["item"].append(row["question_id"])
            cols["subject"].append(row["category"])
            cols["question"].append(row["question"])
            cols["options"].append(options)
            cols["answer"].append(row["answer"])
    schema = pa.schema(
        [
            pa.field("item", pa.string(), nullable=False),
            pa.field("subject", pa.string()),
            pa.field("question", pa.string()),
            pa.field("options", pa.list_(pa.string())),
            pa.field("answer", pa.string()),
        ]
    )
    table = pa.Table.from_pydict(cols, schema=schema)
    _write(table, OUT / "mmlu_pro_questions.parquet")


def _cruxeval_prompt(problem: dict, task: str) -> str:
    if task == "cruxeval-i":
        return f"{problem['code']}\nassert f(??) == {problem['output']}"
    return f"{problem['code']}\nassert f({problem['input']}) == ??"


def build_cruxeval(shared: Path) -> None:
    src = shared / "cruxeval"
    problems = {}
    with open(src / "cruxeval.jsonl", encoding="utf-8") as fh:
        for line in fh:
            p = json.loads(line)
            problems[p["id"]] = p
    order = sorted(problems, key=lambda k: int(k.removeprefix("sample_")))
    cols = {f.name: [] for f in RESPONSE_SCHEMA}
    reported = {}
    model = "codellama-7b"
    for task, kind in (("cruxeval-i", "input"), ("cruxeval-o", "output")):
        with open(src / f"sample_scored_codellama-7b_temp0.2_{kind}.json", encoding="utf-8") as fh:
            d = json.load(fh)
        reported[task] = {
            "file": f"sample_scored_codellama-7b_temp0.2_{kind}.json",
            "pass@1": d["pass_at_1"],
            "pass@5": d["pass_at_5"],
            "unit": "percent",
        }
        gens, scored = d["raw_generations"], d["raw_scored_generations"]
        if set(gens) != set(problems) or set(scored) != set(problems):
            raise ValueError(f"{kind}: the problems differ from cruxeval.jsonl")
        for item in order:
            g, s = gens[item], scored[item]
            if len(g) != len(s):
                raise ValueError(f"{kind} {item}: {len(g)} generations, {len(s)} scores")
            for j, (gen, ok) in enumerate(zip(g, s)):
                cols["model"].append(model)
                cols["task"].append(task)
                cols["item"].append(item)
                cols["sample"].append(j)
                cols["metric"].append("pass")
                cols["score"].append(1.0 if ok else 0.0)
                cols["confidence"].append(None)
                cols["choice_logprobs"].append(None)
                cols["target"].append(problems[item][kind])
                cols["prediction"].append(gen)
                cols["input"].append(_cruxeval_prompt(problems[item], task) if j == 0 else None)
                cols["cluster"].append(None)
                cols["subject"].append(None)
                cols["step"].append(None)
                cols["run_id"].append(f"cruxeval-{model}-{kind}")
    _write(pa.Table.from_pydict(cols, schema=RESPONSE_SCHEMA), OUT / "cruxeval.parquet")
    (OUT / "cruxeval_reported.json").write_text(
        json.dumps(reported, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def build_lm_eval(shared: Path) -> None:
    src = shared / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"
    dst = OUT / "lm_eval" / "qwen3-8b_negotiationtom"
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in LM_EVAL_FILES:
        shutil.copyfile(src / name, dst / name)
    (dst.parent / "README.md").write_text(LM_EVAL_README, encoding="utf-8")


def build_pythia(shared: Path) -> None:
    dst_root = OUT / "pythia"
    if dst_root.exists():
        shutil.rmtree(dst_root)
    dst_root.mkdir(parents=True)
    shutil.copyfile(shared / "pythia" / "LICENSE", dst_root / "LICENSE")
    for series in PYTHIA_SERIES:
        shutil.copytree(shared / "pythia" / series, dst_root / series)


def build_contamination(shared: Path) -> None:
    src = shared / "contamination"
    dst = OUT / "contamination"
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    humaneval = [
        json.loads(line)["text"] for line in open(src / "HumanEval.jsonl", encoding="utf-8")
    ]
    pairs = [json.loads(line) for line in open(src / "CodeAlpacaDB.jsonl", encoding="utf-8")]
    if [p["test"] for p in pairs] != humaneval:
        raise ValueError("CodeAlpacaDB.jsonl's test texts are not HumanEval.jsonl in order")
    seen: dict[str, None] = {}
    for p in pairs:
        for t in p["train"]:
            seen.setdefault(t, None)
    _jsonl(
        dst / "humaneval.jsonl",
        [{"id": f"HumanEval/{i}", "text": t} for i, t in enumerate(humaneval)],
    )
    _jsonl(dst / "codealpaca.jsonl", [{"text": t} for t in seen])
    rephrased = [
        json.loads(line)["text"] for line in open(src / "humaneval_python.jsonl", encoding="utf-8")
    ]
    if len(rephrased) != len(humaneval):
        raise ValueError("humaneval_python.jsonl is not one rephrasing per HumanEval problem")
    _jsonl(
        dst / "humaneval_rephrased_python.jsonl",
        [{"id": f"HumanEval/{i}", "text": t} for i, t in enumerate(rephrased)],
    )
    _jsonl(
        dst / "humaneval_codealpaca_pairs.jsonl",
        [
            {
                "id": f"HumanEval/{i}",
                "test": p["test"],
                "train": p["train"],
                "results": p["results"],
            }
            for i, p in enumerate(pairs)
        ],
    )
    build_embeddings(dst)


def build_embeddings(dst: Path) -> None:
    """The demo scan's embeddings (all-MiniLM-L6-v2, float16), so the demo's embedding stage
    needs no model time: the HumanEval texts as the report indexes them, and the corpus texts."""
    from assay import datasets
    from assay.pipelines import CorpusOptions, index_from_responses, iter_batches, save_embeddings

    index = index_from_responses(datasets.humaneval(), preset="gpt3")
    corpus = [
        t for b in iter_batches(str(dst / "codealpaca.jsonl"), CorpusOptions()) for t in b.texts
    ]
    n = save_embeddings([*index.inputs, *corpus], str(dst / "embeddings.npz"))
    print(f"wrote contamination/embeddings.npz ({n} texts)")


def _jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **_PARQUET)
    print(
        f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.2f} MB, {table.num_rows} rows)"
    )


def main(shared: Path) -> None:
    build_mmlu_pro(shared)
    build_cruxeval(shared)
    build_lm_eval(shared)
    build_pythia(shared)
    build_contamination(shared)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(
        f"package data: {total / 1e6:.2f} MB in {sum(1 for p in OUT.rglob('*') if p.is_file())} files"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
