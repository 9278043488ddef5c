"""Real processes against one store: concurrent ingests, lock timeouts, SIGKILL and Ctrl-C mid-ingest.

Every test here starts a second Python process (``subprocess``); nothing is mocked in the parent.
The child runs :data:`CHILD`, which ingests Parquet files with a progress callback that prints
each message. Nothing here depends on timing: where the parent must act while the child is at a
given point, the child says so on stdout and then blocks reading its stdin, so the parent acts
(kills it, or lets it go on by writing a line) while the child is certainly there.

- ``hold=first``: after the first run is committed, the child blocks inside the write session (the
  store stays locked) until the parent writes a line or kills it.
- ``hold=mid-run``: the child blocks inside the transaction of its second run, after the rows are
  inserted and before the commit (the parent kills it there).
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pyarrow.parquet as pq
import pytest

from assay import StoreLockedError
from assay.io import ResponseBuilder
from assay.store import Store

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import signal
    import sys
    import assay.store._ingest as ingest

    # a parent that ignores SIGINT (a pytest-xdist worker may) passes that on to its children:
    # restore Python's handler so that SIGINT raises KeyboardInterrupt here, whoever started us
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from assay.store import Store

    store_path, hold, *files = sys.argv[1:]
    held = False

    def wait_for_parent(what):
        print(what, flush=True)
        sys.stdin.readline()  # the parent writes a line, or kills us here

    def progress(message):
        global held
        print(message, flush=True)
        if hold == "first" and message.startswith("added") and not held:
            held = True
            wait_for_parent("holding")  # still inside the write session: the store stays locked

    class HoldAtCommit:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def commit(self):
            wait_for_parent("mid-run")  # the second run's rows are inserted, not committed
            return self._con.commit()

    real_write_run = ingest._write_run
    calls = 0

    def write_run(con, run, **kwargs):
        global calls
        calls += 1
        held = HoldAtCommit(con) if hold == "mid-run" and calls == 2 else con
        return real_write_run(held, run, **kwargs)

    ingest._write_run = write_run
    print("starting", flush=True)
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


def _start(tmp_path, store_path, files, *, hold="no"):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), str(store_path), hold, *files],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc, prefix):
    """Read the child's stdout until a line starts with ``prefix``; return that line.

    No time limit of its own: the child either prints the line or ends (pytest's own timeout, if
    any, covers a child that hangs).
    """
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child ended before {prefix!r}: {proc.stderr.read()}")
        if line.startswith(prefix):
            return line


def _release(proc):
    proc.stdin.write("go\n")
    proc.stdin.flush()


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
    a = _start(tmp_path, store_path, a_files, hold="first")
    _wait_for(a, "holding")  # A holds the store until released
    b = _start(tmp_path, store_path, b_files)
    _wait_for(b, "starting")  # B is about to open the store, which A holds: B waits (up to 30 s)
    _release(a)  # both must succeed whether or not B is already waiting
    a_out, a_err = a.communicate(timeout=120)
    b_out, b_err = b.communicate(timeout=120)
    assert a.returncode == 0, a_err
    assert b.returncode == 0, b_err
    assert "done 6000" in a_out and "done 6000" in b_out
    store = Store(store_path)
    assert _assert_whole_runs(store, a_files + b_files) == set(a_files + b_files)


def _waited(message: str) -> float:
    """The seconds a StoreLockedError says it waited."""
    return float(re.search(r"waited (\d+\.\d) s", message).group(1))


def test_second_process_gives_up_after_the_timeout(tmp_path):
    store_path = tmp_path / "results.duckdb"
    store = Store(store_path, timeout=0.5)  # holds nothing between calls
    files = _files(tmp_path / "a", 2, 100)
    holder = _start(tmp_path, store_path, files, hold="first")
    try:
        _wait_for(holder, "holding")  # holds the store until killed
        start = time.monotonic()
        with pytest.raises(StoreLockedError) as err:
            store.runs()
        assert time.monotonic() - start >= 0.5  # waited at least the timeout (no upper bound)
        message = str(err.value)
        assert (
            f"the results store {store_path} is in use by another process (pid {holder.pid}"
            in message
        )
        # how long it waited is measured, so only its lower bound is certain on a busy machine
        assert _waited(message) >= 0.5 and "this one was 0.5 s" in message
        assert "pass a longer timeout" in message and "--store PATH or $ASSAY_STORE" in message
        with pytest.raises(StoreLockedError, match="this one was 0.3 s") as err:
            Store(store_path, timeout=0.3)
        assert _waited(str(err.value)) >= 0.3
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
            r"using assay's lock; waited \d+\.\d s for it\. .*this one was 0\.5 s",
        ) as err:
            Store(store_path, timeout=0.5)
        assert _waited(str(err.value)) >= 0.5  # measured: at least the timeout, maybe more
    finally:
        other.kill()
        other.wait()
    release = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
        "sys.stdin.readline(); c.close(); print('closed', flush=True)"
    )
    brief = subprocess.Popen(
        [sys.executable, "-c", release, str(store_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert brief.stdout.readline() == "open\n"
    opened = []
    waiter = threading.Thread(target=lambda: opened.append(Store(store_path, timeout=120).runs()))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive() and not opened  # the file is still held: the store keeps trying
    _release(brief)
    assert brief.stdout.readline() == "closed\n"
    waiter.join()
    assert opened[0].num_rows == 0  # retried until the file was free
    brief.wait()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_leaves_no_partial_run(tmp_path, sig):
    store_path = tmp_path / "results.duckdb"
    files = _files(tmp_path / "logs", 5, 10000)
    child = _start(tmp_path, store_path, files, hold="mid-run")
    _wait_for(child, "mid-run")  # the second run is written but not committed
    os.kill(child.pid, sig)
    _, err = child.communicate(timeout=120)
    assert child.returncode != 0
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in err

    store = Store(store_path)  # opens: DuckDB replays its log and drops the unfinished run
    kept = _assert_whole_runs(store, files)
    assert len(kept) == 1  # the first run, committed; none of the second

    report = store.ingest(files)  # running it again adds the rest, whole
    assert {r.source for r in report.skipped} == kept
    assert len(report.added) == len(files) - len(kept)
    assert _assert_whole_runs(store, files) == set(files)
    assert store.responses().num_rows == 5 * 10000
