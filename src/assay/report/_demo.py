"""What `assay demo` reports on: every section on real data shipped with the package (issue 16)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from assay import datasets
from assay.io import ReadResult, read
from assay.io._schema import concat_results

__all__ = ["DEMO_BASELINE", "DemoReport", "demo_report_inputs"]

DEMO_BASELINE = "Meta-Llama-3_1-70B"


@dataclasses.dataclass(frozen=True)
class DemoReport:
    """The demo's inputs, ready for :func:`assay.report.write_report`."""

    result: ReadResult
    options: dict[str, Any]
    contamination_items: pa.Table
    title: str


def demo_report_inputs(*, seed: int = 0) -> DemoReport:
    """MMLU-Pro (with text), CRUXEval, real LLM confidences, the Pythia checkpoint series and
    HumanEval against the CodeAlpaca corpus, each source named (with its license) in the notes."""
    inputs = datasets.demo_inputs()
    pythia = read([str(p) for p in inputs.pythia])
    result = concat_results([inputs.result, pythia])
    attribution = [
        f"Demo data: {s.name}: {s.what}. Source: {s.citation}. Used by: {', '.join(s.sections)}."
        for s in inputs.sources
    ]
    pairs = inputs.contamination_pairs
    judged = sum(bool(x) for x in pairs.column("rephrased").to_pylist())
    attribution.append(
        "Contamination evidence: the llm-decontaminator paper's LLM judge found HumanEval problems "
        f"rephrased in CodeAlpaca ({judged} of {pairs.num_rows} judged pairs ship with assay). "
        "Rephrasings evade n-gram and MinHash checks; the demo's embedding stage (all-MiniLM-L6-v2 "
        "embeddings precomputed and shipped with assay, so the demo needs no model time) and its "
        "judge-free rephrase estimate are what can find them. Scanning your own corpus with "
        "--corpus-embed needs assay[embed]."
    )
    result = dataclasses.replace(result, notes=[*attribution, *result.notes])
    options = {
        "baseline": DEMO_BASELINE,
        "seed": seed,
        "corpus": (str(inputs.corpus),),
        "corpus_embed": True,
        "corpus_embed_cache": str(inputs.embeddings),
        "contamination_known": tuple(
            i
            for i, r in zip(
                pairs.column("item").to_pylist(), pairs.column("rephrased").to_pylist(), strict=True
            )
            if r
        ),
        "contamination_known_source": "the llm-decontaminator paper's LLM judge, on each problem's "
        "nearest CodeAlpaca snippet",
    }
    return DemoReport(
        result=result,
        options=options,
        contamination_items=inputs.contamination_items,
        title="assay demo: MMLU-Pro, CRUXEval, Pythia, HumanEval",
    )
