"""Fixtures: the CRUXEval scored samples (tests/data/cruxeval), loaded with plain json."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "cruxeval"


def load_cruxeval(mode: str) -> dict:
    name = f"sample_scored_codellama-7b_temp0.2_{mode}.json.gz"
    with gzip.open(DATA / name, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    keys = [f"sample_{i}" for i in range(len(raw["raw_scored_generations"]))]
    return {
        "keys": keys,
        "correct": np.array([raw["raw_scored_generations"][k] for k in keys], dtype=float),
        "answers": np.array([raw["raw_generations"][k] for k in keys], dtype=object),
        "scored": [raw["raw_scored_generations"][k] for k in keys],
        "pass_at_1": raw["pass_at_1"],
        "pass_at_5": raw["pass_at_5"],
    }


@pytest.fixture(scope="session", params=["input", "output"])
def cruxeval(request):
    return request.param, load_cruxeval(request.param)
