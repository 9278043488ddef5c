"""Shared corpora for the pipeline tests: HumanEval problems planted into filler shards."""

import json
import os

import numpy as np
import pytest

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "contamination")


def humaneval() -> list[str]:
    with open(os.path.join(DATA, "HumanEval.jsonl"), encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def write_corpus(
    folder,
    n_shards: int,
    docs_per_shard: int,
    *,
    plant_every: int = 7,
    words: int = 80,
    seed: int = 0,
) -> list[int]:
    """JSONL shards of random words with HumanEval problems planted; returns the planted items."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"tok{i}" for i in range(3000)])
    he = humaneval()
    planted = []
    k = 0
    for s in range(n_shards):
        with open(os.path.join(folder, f"shard{s:03d}.jsonl"), "w", encoding="utf-8") as fh:
            for d in range(docs_per_shard):
                text = " ".join(vocab[rng.integers(0, len(vocab), words)])
                if k % plant_every == 0:
                    item = (k // plant_every) % len(he)
                    planted.append(item)
                    text = text + "\n" + he[item]
                fh.write(json.dumps({"text": text, "id": f"s{s}d{d}"}) + "\n")
                k += 1
    return planted


@pytest.fixture
def he_texts():
    return humaneval()
