"""Fixtures shared across test folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

NEGO = Path(__file__).resolve().parent / "data" / "logs" / "lm_eval" / "qwen3-8b_negotiationtom"


@pytest.fixture
def corpus_f1_only_run(tmp_path: Path) -> Path:
    """The real negotiationtom lm-eval run cut down to one task whose only metrics are corpus-level
    F1s with a custom aggregation (issue 15's gemma-2b case); returns its results file."""
    out = tmp_path / "only_f1"
    shutil.copytree(NEGO, out)
    path = out / "results_2026-07-08T18-15-33.115417.json"
    data = json.loads(path.read_text())
    keep = "negotiationtom_intention"
    data["results"] = {keep: {k: v for k, v in data["results"][keep].items() if "f1" in k}}
    for key in ("configs", "n-samples", "higher_is_better", "versions", "n-shot"):
        data[key] = {keep: data[key][keep]}
    data["configs"][keep]["metric_list"] = data["configs"][keep]["metric_list"][:2]
    data.pop("groups")
    data["group_subtasks"] = {keep: []}
    path.write_text(json.dumps(data))
    for other in out.glob("samples_*"):
        if keep not in other.name:
            other.unlink()
            continue
        rows = [json.loads(line) for line in other.read_text().splitlines()]
        for row in rows:
            row.pop("exact_match")
            row["metrics"] = ["micro_f1", "macro_f1"]
        other.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
