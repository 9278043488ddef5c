"""Fixtures for report tests: small long tables, one of them full of hostile text."""

import numpy as np
import pytest

from assay.io import ReadResult, ResponseBuilder, RunInfo

HOSTILE = [
    "<script>window.__pwned = 1; alert('x')</script>",
    '<img src=x onerror="window.__pwned=2">',
    "javascript:window.__pwned=3",
    "</style><style>body{display:none}</style>",
    '"><svg onload=window.__pwned=4>',
    "$\\frac{1}{0}$ {{ 7*7 }} {% raw %}",
]


def make_result(models, n_items=200, *, seed=0, hostile=False, subjects=True, p=None):
    """Binary scores of ``models`` on ``n_items`` items with a shared item difficulty."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(size=n_items)
    b = ResponseBuilder()
    runs = []
    for k, model in enumerate(models):
        ability = (p or {}).get(model, 0.3 * k)
        prob = 1 / (1 + np.exp(-(ability - difficulty)))
        correct = rng.random(n_items) < prob
        run_id = f"run-{k}"
        for i in range(n_items):
            item = f"q{i}" if not hostile else f"{HOSTILE[i % len(HOSTILE)]}#{i}"
            b.add(
                model=model,
                task="quiz" if not hostile else "quiz<b>bold</b>",
                item=item,
                metric="acc",
                score=float(correct[i]),
                run_id=run_id,
                subject=(f"subject {i % 4}" if not hostile else HOSTILE[i % len(HOSTILE)])
                if subjects
                else None,
                prediction=HOSTILE[(i + 1) % len(HOSTILE)] if hostile else "A",
                target="A",
                input=HOSTILE[(i + 2) % len(HOSTILE)] if hostile else f"question {i}",
            )
        runs.append(
            RunInfo(
                run_id=run_id,
                model=model,
                task="quiz",
                harness="test",
                source=f"{model}.jsonl",
                sha256="0" * 64,
            )
        )
    return ReadResult.from_parts(b, runs, sources=[f"{m}.jsonl" for m in models])


@pytest.fixture
def result_factory():
    return make_result


@pytest.fixture
def small_result():
    return make_result(["base", "sft", "dpo"], n_items=300)


@pytest.fixture
def hostile_result():
    return make_result([HOSTILE[0], HOSTILE[1], HOSTILE[4]], n_items=60, hostile=True)
