"""Which runs give the same responses: the vectorised grouping against a plain-Python reference."""

import itertools

import numpy as np
import pyarrow as pa
import pytest

from assay.io._duplicates import _KEY, _overlapping_runs


def _reference(table: pa.Table) -> set[frozenset[str]]:
    """Runs joined when they share a response key, closed transitively (plain Python)."""
    keys: dict[tuple, set[str]] = {}
    for row in table.to_pylist():
        keys.setdefault(tuple(row[k] for k in _KEY), set()).add(row["run_id"])
    parent: dict[str, str] = {}

    def root(r):
        while parent.setdefault(r, r) != r:
            r = parent[r]
        return r

    for runs in keys.values():
        for a, b in itertools.pairwise(sorted(runs)):
            parent[root(b)] = root(a)
    groups: dict[str, set[str]] = {}
    for r in list(parent):
        groups.setdefault(root(r), set()).add(r)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


@pytest.mark.parametrize("seed", range(6))
def test_groups_equal_the_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    cols = {
        "model": [f"m{v}" for v in rng.integers(0, 3, n)],
        "task": [f"t{v}" for v in rng.integers(0, 2, n)],
        "item": [f"i{v}" for v in rng.integers(0, 60, n)],
        "sample": rng.integers(0, 3, n).tolist(),
        "metric": ["acc"] * n,
        "run_id": [f"r{v}" for v in rng.integers(0, 8, n)],
    }
    table = pa.table(cols)
    assert set(_overlapping_runs(table)) == _reference(table)


def test_no_duplicates_no_groups():
    table = pa.table({"model": ["a", "a"], "task": ["t", "t"], "item": ["1", "2"],
                      "sample": [0, 0], "metric": ["acc", "acc"], "run_id": ["r1", "r2"]})  # fmt: skip
    assert _overlapping_runs(table) == []
