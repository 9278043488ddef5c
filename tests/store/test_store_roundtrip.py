"""Property: long table -> store -> long table loses nothing (nulls, NaN, unicode, lists, step)."""

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.io import RESPONSE_SCHEMA, RUN_SCHEMA, ReadResult, ResponseBuilder, RunInfo
from assay.io._schema import MAX_ABS_SCORE
from assay.store import Store

names = st.text(min_size=1, max_size=6)  # any unicode but surrogates, NUL and emoji included
maybe_text = st.none() | st.text(max_size=12)
any_float = st.floats(allow_nan=True, allow_infinity=True)
# a score or confidence is a finite number within +-MAX_ABS_SCORE, NaN or missing (issue 14)
maybe_score = (
    st.none() | st.floats(-MAX_ABS_SCORE, MAX_ABS_SCORE, allow_nan=False) | st.just(float("nan"))
)

row = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["m", "ü-model", "模型"]),
        "task": st.sampled_from(["t", "task,with comma"]),
        "item": names,
        "sample": st.integers(-(2**31), 2**31 - 1),
        "metric": st.sampled_from(["acc", "exact_match,strict-match"]),
        "score": maybe_score,
        "confidence": maybe_score,
        "choice_logprobs": st.none() | st.lists(any_float, max_size=5),
        "target": maybe_text,
        "prediction": maybe_text,
        "input": maybe_text,
        "cluster": maybe_text,
        "subject": maybe_text,
        "step": st.none() | st.integers(-(2**63), 2**63 - 1),
        "run": st.integers(0, 2),
    }
)
KEY = ("model", "task", "item", "sample", "metric")


def _exact(value):
    """A comparable form that tells NaN from null and -0.0 from 0.0."""
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, list):
        return tuple(_exact(v) for v in value)
    return value


def _rows(table, *, sort=True):
    names = table.column_names
    rows = [tuple(_exact(r[n]) for n in names) for r in table.to_pylist()]
    return sorted(rows, key=repr) if sort else rows


def _build(rows):
    b = ResponseBuilder()
    runs = {}
    for r in rows:
        run_id = f"run-{r['run']}"
        b.add(**{k: v for k, v in r.items() if k != "run"}, run_id=run_id)
        runs.setdefault((run_id, r["task"]), r["model"])
    infos = [
        RunInfo(
            run_id=run_id,
            model=model,
            task=task,
            harness="test",
            source=f"/src/{run_id}.parquet",
            sha256=f"sha-{run_id}",
            harness_version="1.0",
            created="2026-01-01T00:00:00",
            config={"ü": [1, None, 2.5]},
            task_group=None if task == "t" else "g",
        )
        for (run_id, task), model in sorted(runs.items())
    ]
    return ReadResult.from_parts(b, infos)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, max_size=25, unique_by=lambda r: tuple(r[k] for k in KEY)))
def test_long_table_survives_the_store(rows):
    result = _build(rows)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "s.duckdb"))
        report = store.add(result)
        assert report.n_responses == len(rows)
        back = store.responses()
        assert back.schema == RESPONSE_SCHEMA
        assert _rows(back) == _rows(result.responses)
        runs = store.runs()
        assert runs.schema == RUN_SCHEMA
        assert _rows(runs) == _rows(result.runs)
        # the order is deterministic: sorted by the key, then run
        keys = [tuple(r[k] for k in (*KEY, "run_id")) for r in back.to_pylist()]
        assert keys == sorted(keys)
        assert _rows(store.responses(), sort=False) == _rows(back, sort=False)
