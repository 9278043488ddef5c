"""Where each shipped data set comes from: one machine-readable record per source.

The report's inventory can list :data:`SOURCES` (name, what, repository@commit, license, paper,
the files in ``datasets/data/`` and the report sections that use them); ``ATTRIBUTION.md`` beside
the data says the same for people, with the changes made.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["SOURCES", "Source", "source"]


@dataclasses.dataclass(frozen=True)
class Source:
    """One data source shipped with assay.

    Attributes
    ----------
    name : str
        Short key (``"mmlu_pro"``, ``"cruxeval"``, ...), also the loader's name.
    what : str
        What the data is, in one sentence.
    repository : str
        ``owner/name`` of the public repository the files come from.
    commit : str
        The repository's commit.
    path : str
        The folder or files in that repository.
    license : str
        SPDX identifier of the license the data is shipped under.
    paper : str or None
        The paper that describes the data, with its arXiv id.
    files : tuple of str
        The shipped files or folders, relative to ``assay/datasets/data``.
    sections : tuple of str
        The report sections (their ids) that use the data in ``assay demo``.
    """

    name: str
    what: str
    repository: str
    commit: str
    path: str
    license: str
    paper: str | None
    files: tuple[str, ...]
    sections: tuple[str, ...]

    @property
    def citation(self) -> str:
        """``repository@commit path (license; paper)``: one line for a report's footer."""
        tail = f"{self.license}; {self.paper}" if self.paper else self.license
        return f"{self.repository}@{self.commit} {self.path} ({tail})"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, ``citation`` included."""
        d = dataclasses.asdict(self)
        d["files"] = list(self.files)
        d["sections"] = list(self.sections)
        d["citation"] = self.citation
        return d


SOURCES: tuple[Source, ...] = (
    Source(
        name="mmlu_pro",
        what=(
            "29 models x 12,032 MMLU-Pro questions (5-shot chain of thought), per-question "
            "correctness, with each question's text, options and gold letter"
        ),
        repository="TIGER-AI-Lab/MMLU-Pro",
        commit="f418b11",
        path="eval_results (flattened); the questions' text from the MMLU-Pro test set",
        license="Apache-2.0",
        paper="Wang et al. 2024, arXiv:2406.01574",
        files=("mmlu_pro.parquet", "mmlu_pro_questions.parquet"),
        sections=("leaderboard", "comparisons", "subjects", "irt", "item_audit"),
    ),
    Source(
        name="cruxeval",
        what=(
            "CodeLlama-7B (temperature 0.2), 800 CRUXEval problems x 10 samples, pass/fail of "
            "each sample, input prediction (cruxeval-i) and output prediction (cruxeval-o)"
        ),
        repository="facebookresearch/cruxeval",
        commit="190faf1",
        path="sample_scored_codellama-7b_temp0.2_{input,output}.json and cruxeval.jsonl",
        license="MIT",
        paper="Gu et al. 2024, arXiv:2401.03065",
        files=("cruxeval.parquet", "cruxeval_reported.json"),
        sections=("sampling",),
    ),
    Source(
        name="calibration",
        what=(
            "Qwen3-8B on the negotiationtom belief and desire tasks (4 choices, 20 questions "
            "each): lm-evaluation-harness per-choice log-likelihoods, the only real LLM "
            "confidences in the shared data"
        ),
        repository="evaleval/every_eval_ever",
        commit="9bce413",
        path="tests/data (lm-evaluation-harness output, from its pull-request branches)",
        license="MIT",
        paper=None,
        files=("lm_eval/qwen3-8b_negotiationtom",),
        sections=("calibration",),
    ),
    Source(
        name="pythia",
        what=(
            "lm-evaluation-harness results (2023 layout, aggregates only) of six Pythia series "
            "(70M, 410M, 1.4B, 6.9B; 1.4B and 6.9B deduplicated) at 27 training checkpoints each "
            "(step 0 to 143,000), 87 zero-shot tasks"
        ),
        repository="EleutherAI/pythia",
        commit="a19eecb",
        path="evals/pythia-v1/*/zero-shot",
        license="Apache-2.0",
        paper="Biderman et al. 2023, arXiv:2304.01373",
        files=("pythia",),
        sections=("curves",),
    ),
    Source(
        name="contamination",
        what=(
            "the 164 HumanEval problems, the CodeAlpaca training snippets retrieved as their "
            "nearest neighbours, the LLM decontaminator's verdict on each pair, and a Python "
            "rephrasing of every problem made to evade n-gram checks"
        ),
        repository="lm-sys/llm-decontaminator",
        commit="931834a",
        path="HumanEval.jsonl, CodeAlpacaDB.jsonl, humaneval_python.jsonl",
        license="Apache-2.0",
        paper="Yang et al. 2023, arXiv:2311.04850",
        files=(
            "contamination/humaneval.jsonl",
            "contamination/codealpaca.jsonl",
            "contamination/humaneval_codealpaca_pairs.jsonl",
            "contamination/humaneval_rephrased_python.jsonl",
        ),
        sections=("contamination",),
    ),
)
"""Every data source shipped in ``assay/datasets/data``, in the order the demo uses them."""


def source(name: str) -> Source:
    """The :class:`Source` called ``name``.

    Raises
    ------
    KeyError
        Naming the known sources when ``name`` is not one of them.
    """
    for s in SOURCES:
        if s.name == name:
            return s
    raise KeyError(f"name={name!r}: expected one of {[s.name for s in SOURCES]}")
