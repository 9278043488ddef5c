"""Real processes against one store: concurrent ingests, lock timeouts, SIGKILL and Ctrl-C mid-ingest.

Every test here starts a second Python process (``subprocess``); nothing is mocked. The child runs
:data:`CHILD`, which ingests Parquet files with a progress callback that prints each message (so
the parent knows when a run has been committed) and, when asked, sleeps after the first commit
while it still holds the store, standing in for a long ingest.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow.parquet as pq
import pytest

from assay import StoreLockedError
from assay.io import ResponseBuilder
from assay.store import Store

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import sys, time
    from assay.store import Store

    store_path, hold, *files = sys.argv[1:]
    held = False

    def progress(message):
        global held
        print(message, flush=True)
        if message.startswith("added") and not held:
            held = True
            time.sleep(float(hold))  # still inside the write session: the store stays locked

    report = Store(store_path).ingest(files, progress=progress)
    print("done", report.n_responses, flush=True)
    """
)


def _files(folder, n_runs, n_items, *, first=0):
    """One Parquet file per model: a run of the plain-table reader each."""
    folder.mkdir(exist_ok=True)
    paths = []
    for k in range(first, first + n_runs):
        b = ResponseBuilder()
        for i in range(n_items):
            b.add(
                model=f"model-{k}",
                task="t",
                item=f"q{i}",
                metric="acc",
                score=float((i * (k + 1)) % 3 == 0),
                input=f"question {i} " * 4,
                run_id="-",
            )
        path = folder / f"model-{k}.parquet"
        pq.write_table(b.to_table().drop_columns(["run_id"]), path)
        paths.append(str(path))
    return paths


def _start(tmp_path, store_path, files, *, hold=0.0):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), str(store_path), str(hold), *files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc, prefix, limit=30.0):
    """Read the child's stdout until a line starts with ``prefix``; return that line."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child ended before {prefix!r}: {proc.stderr.read()}")
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no {prefix!r} from the child in {limit} s")


def _assert_whole_runs(store, files):
    """Every stored run holds exactly the rows of its source file; return the runs' sources."""
    summary = store.run_summary().to_pylist()
    for run in summary:
        assert run["responses"] == pq.read_metadata(run["source"]).num_rows, run
    assert store.responses().num_rows == sum(r["responses"] for r in summary)
    assert {r["source"] for r in summary} <= set(files)
    return {r["source"] for r in summary}


def test_two_processes_ingesting_at_once_both_succeed(tmp_path):
    store_path = tmp_path / "results.duckdb"
    Store(store_path)
    a_files = _files(tmp_path / "a", 3, 2000)
    b_files = _files(tmp_path / "b", 3, 2000, first=3)
    a = _start(tmp_path, store_path, a_files, hold=1.5)
    _wait_for(a, "added")  # A holds the store for 1.5 s from now
    b = _start(tmp_path, store_path, b_files)
    a_out, a_err = a.communicate(timeout=60)
    b_out, b_err = b.communicate(timeout=60)
    assert a.returncode == 0, a_err
    assert b.returncode == 0, b_err
    assert "done 6000" in a_out and "done 6000" in b_out
    store = Store(store_path)
    assert _assert_whole_runs(store, a_files + b_files) == set(a_files + b_files)


def test_second_process_gives_up_after_the_timeout(tmp_path):
    store_path = tmp_path / "results.duckdb"
    store = Store(store_path, timeout=0.5)  # holds nothing between calls
    files = _files(tmp_path / "a", 2, 100)
    holder = _start(tmp_path, store_path, files, hold=20)
    try:
        _wait_for(holder, "added")
        start = time.monotonic()
        with pytest.raises(StoreLockedError) as err:
            store.runs()
        assert 0.5 <= time.monotonic() - start < 3
        message = str(err.value)
        assert (
            f"the results store {store_path} is in use by another process (pid {holder.pid}"
            in message
        )
        assert "waited 0.5 s" in message
        assert "pass a longer timeout" in message and "--store PATH or $ASSAY_STORE" in message
        with pytest.raises(StoreLockedError, match="waited 0.3 s"):
            Store(store_path, timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
    # killed while holding the store: the lock went with the process, the first run is whole
    assert len(_assert_whole_runs(Store(store_path, timeout=5), files)) == 1


def test_a_program_holding_the_duckdb_file_is_waited_for(tmp_path):
    store_path = tmp_path / "results.duckdb"
    Store(store_path)
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
        "time.sleep(float(sys.argv[2])); c.close()"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", code, str(store_path), "20"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout.readline() == "open\n"
        with pytest.raises(
            StoreLockedError,
            match=r"open in another program \(PID \d+\) that is not "
            r"using assay's lock; waited 0.5 s",
        ):
            Store(store_path, timeout=0.5)
    finally:
        other.kill()
        other.wait()
    brief = subprocess.Popen(
        [sys.executable, "-c", code, str(store_path), "1"], stdout=subprocess.PIPE, text=True
    )
    assert brief.stdout.readline() == "open\n"
    start = time.monotonic()
    assert Store(store_path, timeout=20).runs().num_rows == 0  # retried until the file was free
    assert time.monotonic() - start > 0.3
    brief.wait()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_leaves_no_partial_run(tmp_path, sig):
    store_path = tmp_path / "results.duckdb"
    files = _files(tmp_path / "logs", 20, 10000)
    child = _start(tmp_path, store_path, files)
    _wait_for(child, "added")
    os.kill(child.pid, sig)
    _, err = child.communicate(timeout=30)
    assert child.returncode != 0
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in err

    store = Store(store_path)  # opens: DuckDB replays its log and drops the unfinished run
    kept = _assert_whole_runs(store, files)
    assert 1 <= len(kept) < len(files), "the child finished before it was stopped"

    report = store.ingest(files)  # running it again adds the rest, whole
    assert {r.source for r in report.skipped} == kept
    assert len(report.added) == len(files) - len(kept)
    assert _assert_whole_runs(store, files) == set(files)
    assert store.responses().num_rows == 20 * 10000
