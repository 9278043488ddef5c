"""Fixtures for store tests: small long tables built with ResponseBuilder, and real lm-eval logs."""

import shutil
from pathlib import Path

import pytest

from assay.io import ReadResult, ResponseBuilder, RunInfo

DATA = Path(__file__).resolve().parents[1] / "data"
LM_EVAL_ASDIV = DATA / "logs" / "lm_eval" / "llama3-8b-instruct_asdiv"


def _make_result(
    runs, *, items=4, metrics=("acc",), samples=1, task="t", score=None, source_dir="/data"
):
    """A ReadResult with one run per model in ``runs`` (a list of (run_id, model))."""
    b = ResponseBuilder()
    infos = []
    for k, (run_id, model) in enumerate(runs):
        for i in range(items):
            for s in range(samples):
                for metric in metrics:
                    value = score(k, i, s) if score else float((i + k + s) % 2)
                    b.add(
                        model=model,
                        task=task,
                        item=f"q{i}",
                        sample=s,
                        metric=metric,
                        score=value,
                        run_id=run_id,
                    )
        infos.append(
            RunInfo(
                run_id=run_id,
                model=model,
                task=task,
                harness="test",
                source=f"{source_dir}/{run_id}.jsonl",
                sha256=f"sha-{run_id}",
            )
        )
    return ReadResult.from_parts(b, infos)


@pytest.fixture
def make_result():
    return _make_result


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "store" / "results.duckdb"


@pytest.fixture
def asdiv(tmp_path):
    """A private copy of a real lm-eval run (results + samples file) that tests may change."""
    dest = tmp_path / "logs" / "asdiv"
    shutil.copytree(LM_EVAL_ASDIV, dest)
    return dest
