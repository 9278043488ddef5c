"""Build the packaged MMLU-Pro demo data from ../shared/data/mmlu-pro.

Source: TIGER-AI-Lab/MMLU-Pro, commit f418b11, eval_results (flattened); Apache-2.0.
Paper: Wang et al. 2024, "MMLU-Pro", arXiv:2406.01574.

Writes src/assay/datasets/data/mmlu_pro.parquet: the long table of assay (RESPONSE_SCHEMA) with
one row per (model, question): score 1/0 (a missing prediction counts as wrong, as in the shared
data's README), target = gold letter, prediction = extracted letter (null when none was
extracted), subject = one of the 14 categories, cluster = the question's original source
(e.g. ori_mmlu-business_ethics). Model names drop the "_5shots" suffix: every run is 5-shot CoT.

Run: python scripts/make_mmlu_pro.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from assay.io._schema import RESPONSE_SCHEMA  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(shared: Path) -> None:
    questions = {}
    with open(shared / "questions.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            questions[row["question_id"]] = row
    cols = {f.name: [] for f in RESPONSE_SCHEMA}
    with gzip.open(shared / "mmlu_pro_long.csv.gz", "rt", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            q = questions[row["question_id"]]
            model = row["model"].removesuffix("_5shots")
            cols["model"].append(model)
            cols["task"].append("mmlu_pro")
            cols["item"].append(row["question_id"])
            cols["sample"].append(0)
            cols["metric"].append("acc")
            cols["score"].append(float(row["correct"]))
            cols["confidence"].append(None)
            cols["choice_logprobs"].append(None)
            cols["target"].append(q["answer"])
            cols["prediction"].append(row["pred"] or None)
            cols["input"].append(None)
            cols["cluster"].append(q["src"])
            cols["subject"].append(q["category"])
            cols["step"].append(None)
            cols["run_id"].append(f"mmlu_pro-{model}")
    table = pa.Table.from_pydict(cols, schema=RESPONSE_SCHEMA)
    table = table.sort_by([("model", "ascending"), ("item", "ascending")])
    out = ROOT / "src" / "assay" / "datasets" / "data" / "mmlu_pro.parquet"
    pq.write_table(table, out, compression="zstd", compression_level=19, use_dictionary=True)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {table.num_rows} rows)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "mmlu-pro")
