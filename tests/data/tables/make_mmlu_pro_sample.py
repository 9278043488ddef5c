"""Make mmlu_pro_sample.csv from the shared MMLU-Pro data (run from the project root).

4 models x the first 500 questions of Llama-2-7b-hf_5shots in file order = 2,000 rows of
``mmlu_pro_long.csv.gz`` (model, question_id, pred, correct), in the order they appear there,
with each question's ``category`` from ``questions.csv`` added as a last column.
"""

import csv
import gzip

SHARED = "../shared/data/mmlu-pro"
MODELS = (
    "Llama-2-7b-hf_5shots",
    "Meta-Llama-3_1-8B_5shots",
    "Meta-Llama-3_1-8B-Instruct_5shots",
    "Mistral-7B-v0.1_5shots",
)

with open(f"{SHARED}/questions.csv", newline="") as fh:
    category = {row["question_id"]: row["category"] for row in csv.DictReader(fh)}
with gzip.open(f"{SHARED}/mmlu_pro_long.csv.gz", "rt", newline="") as fh:
    rows = [row for row in csv.DictReader(fh) if row["model"] in MODELS]
questions = [r["question_id"] for r in rows if r["model"] == MODELS[0]][:500]
keep = set(questions)
with open("tests/data/tables/mmlu_pro_sample.csv", "w", newline="") as fh:
    out = csv.writer(fh, lineterminator="\n")
    out.writerow(["model", "question_id", "pred", "correct", "category"])
    for r in rows:
        if r["question_id"] in keep:
            out.writerow([r["model"], r["question_id"], r["pred"], r["correct"], category[r["question_id"]]])
