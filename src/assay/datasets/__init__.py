"""Real evaluation data shipped inside the package, for ``assay demo``, the docs and experiments.

Each source's repository, commit and license is in :data:`SOURCES` (and, for people, in
``datasets/data/ATTRIBUTION.md``); ``scripts/build_demo_data.py`` rebuilds every file.

- :func:`mmlu_pro`, :func:`mmlu_pro_questions`, :func:`mmlu_pro_result`: 29 models x 12,032
  MMLU-Pro questions, with the questions' text.
- :func:`cruxeval`, :func:`cruxeval_result`, :func:`cruxeval_reported`: CodeLlama-7B, 800
  problems x 10 samples, input and output prediction.
- :func:`calibration_result`: Qwen3-8B's per-choice log-likelihoods (lm-evaluation-harness).
- :func:`pythia_paths`: lm-evaluation-harness results of six Pythia series over training.
- :func:`humaneval`, :func:`codealpaca_corpus`, :func:`humaneval_codealpaca_pairs`: HumanEval
  against its nearest CodeAlpaca training snippets; :func:`humaneval_rephrased_corpus`: a
  rephrasing of 147 of the 164 HumanEval problems (17 are empty; contamination known).
- :func:`demo_result` (the long-table part, one ReadResult) and :func:`demo_inputs` (all of it).

>>> from assay import datasets
>>> table = datasets.mmlu_pro()
>>> table.num_rows, len(set(table.column("model").to_pylist()))
(347215, 29)
"""

from __future__ import annotations

from assay.datasets._demo import (
    DemoInputs,
    calibration_result,
    codealpaca_corpus,
    cruxeval,
    cruxeval_reported,
    cruxeval_result,
    demo_embeddings,
    demo_inputs,
    demo_result,
    humaneval,
    humaneval_codealpaca_pairs,
    humaneval_rephrased_corpus,
    pythia_paths,
)
from assay.datasets._mmlu import mmlu_pro, mmlu_pro_questions, mmlu_pro_result, question_text
from assay.datasets._sources import SOURCES, Source, source

__all__ = [
    "SOURCES",
    "DemoInputs",
    "Source",
    "calibration_result",
    "codealpaca_corpus",
    "demo_embeddings",
    "cruxeval",
    "cruxeval_reported",
    "cruxeval_result",
    "demo_inputs",
    "demo_result",
    "humaneval",
    "humaneval_codealpaca_pairs",
    "humaneval_rephrased_corpus",
    "mmlu_pro",
    "mmlu_pro_questions",
    "mmlu_pro_result",
    "pythia_paths",
    "question_text",
    "source",
]
