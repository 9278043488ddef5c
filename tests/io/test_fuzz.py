"""Fuzz: mutated real logs of every format give a read or an InputError naming the file (issue 14).

The cases are made and read by ``tests/io/fuzz_logs.py`` in a child process that runs under a
memory limit (``RLIMIT_AS``, 2.5 GiB above what its imports took) and a per-case time limit (``signal.alarm``, 20 s); this test
reads the child's one-line reports and also stops it when it prints nothing for
:data:`SILENCE_LIMIT` seconds (a hang in C code that the alarm cannot interrupt), naming the case
it was in. The seed is fixed, so a failure names a case that reproduces with
``python tests/io/fuzz_logs.py --seed 14 --first N --cases 1``.

The default run has :data:`N_CASES` cases (about a minute on a loaded 2-core machine);
``benchmarks/fuzz.py`` runs thousands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

ENGINE = Path(__file__).with_name("fuzz_logs.py")
SRC = Path(__file__).resolve().parents[2] / "src"
SEED = 14
N_CASES = 500
SILENCE_LIMIT = 120.0  # seconds without a line from the child: it hangs (not a timing assertion)


# Cases that failed before their fix (seed, case): a lighteval list column holding floats (1:279,
# 1:1179, 1:1524), an Inspect run_id of the wrong type (1:965), a corrupt Parquet file raising
# ArrowNotImplementedError (2:884), an lm-eval "n-samples" that is not an object (14:240), a
# JSONL table's integer item column holding 1e308 or 2**70 (2026:733, 2026:3583), a lighteval
# results file without "results" (7:3370).
REGRESSIONS = [
    (1, 279),
    (1, 965),
    (1, 1179),
    (1, 1524),
    (2, 884),
    (14, 240),
    (2026, 733),
    (2026, 3583),
    (7, 3370),
]


def run_fuzz(*args: str) -> tuple[list[dict], str | None]:
    """Run the engine; return its case records and, if it hung or died, what happened."""
    env = dict(
        os.environ,
        PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        MALLOC_ARENA_MAX="2",  # glibc reserves address space per thread arena otherwise
    )
    proc = subprocess.Popen(
        [sys.executable, str(ENGINE), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    records: list[dict] = []
    current: list[int | None] = [None]
    lines: list[str] = []

    def reader():
        for line in proc.stdout:
            lines.append(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    seen = 0
    problem = None
    while True:
        thread.join(SILENCE_LIMIT)
        if len(lines) == seen and thread.is_alive():
            proc.kill()
            problem = f"no output for {SILENCE_LIMIT:.0f} s: case {current[0]} hangs"
            break
        for line in lines[seen:]:
            rec = json.loads(line)
            if "start" in rec:
                current[0] = rec["start"]
            else:
                records.append(rec)
        seen = len(lines)
        if not thread.is_alive():
            break
    proc.wait()
    if problem is None and proc.returncode != 0:
        problem = (
            f"the engine died in case {current[0]} (exit {proc.returncode}): "
            + (proc.stderr.read()[-2000:])
        )
    return records, problem


def _failures(records: list[dict]) -> str:
    return "\n".join(
        f"seed {r['seed']} case {r['case']} ({r['source']}, {r['mutation']}): {r['detail']}"
        for r in records
        if r["outcome"] == "FAIL"
    )


def test_cases_that_failed_before_their_fix():
    records, problem = run_fuzz("--replay", ",".join(f"{s}:{c}" for s, c in REGRESSIONS))
    assert problem is None, problem
    assert len(records) == len(REGRESSIONS)
    assert not _failures(records), _failures(records)


def test_mutated_logs_read_or_raise_input_errors_naming_the_file():
    records, problem = run_fuzz("--seed", str(SEED), "--cases", str(N_CASES))
    assert problem is None, problem
    assert len(records) == N_CASES
    assert not _failures(records), _failures(records)
    # the run exercised every format, both outcomes, and the main mutation families
    assert {r["source"].split("-")[0] for r in records} == {
        "lm_eval",
        "inspect",
        "helm",
        "lighteval",
        "openai_evals",
        "table",
    }
    outcomes = Counter(r["outcome"] for r in records)
    assert outcomes["read"] > 0 and outcomes["input_error"] > 0
    text = " ".join(r["mutation"] for r in records)
    for family in ("truncate", "deep", "non_finite", "huge_string", "surrogate", "oversized"):
        assert family in text, family
