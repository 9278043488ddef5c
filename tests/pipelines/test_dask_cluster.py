"""The --scheduler path on a real cluster: `dask scheduler` and `dask worker` processes started here
(127.0.0.1 only), one worker killed while it runs a scan task; the scan completes with the result
of the local scan.

The kill is synchronised, not timed: the victim worker is started with a preload that makes its
scan tasks write a marker and wait forever, so it is certainly running a task when the test (which
also checks that the scheduler lists a task on it) sends SIGKILL; the scheduler then gives the task
to the other worker.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from assay.contamination import MinHasher, build_index
from assay.pipelines import CorpusOptions, ScanOptions, run_scan

from .conftest import write_corpus

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))
START_TIMEOUT = 90  # seconds for the cluster to come up (2 slow cores shared with other jobs)

PRELOAD = """
import os
import threading


def dask_setup(worker):
    import assay.pipelines._scan as scan

    marker = os.environ["ASSAY_TEST_MARKER"]

    def stuck(*args, **kwargs):
        with open(marker + ".tmp", "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(marker + ".tmp", marker)
        threading.Event().wait()  # until the test kills this process

    scan.scan_range = stuck
"""


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)  # polling a condition, not waiting for time to pass
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def cluster(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    env["ASSAY_TEST_MARKER"] = str(tmp_path / "victim-running")
    sched_file = tmp_path / "scheduler.json"
    preload = tmp_path / "stuck_preload.py"
    preload.write_text(PRELOAD)
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = []
    logs = []

    def start(cmd, name):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        logs.append(log)
        p = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    try:
        start(
            [*dask, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file)],
            "scheduler",
        )  # fmt: skip
        wait_for(
            lambda: sched_file.exists() and sched_file.stat().st_size, START_TIMEOUT, "scheduler"
        )
        worker = [
            sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
            str(sched_file), "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--death-timeout", "60",
        ]  # fmt: skip
        healthy = start([*worker, "--name", "healthy"], "healthy")
        victim = start([*worker, "--name", "victim", "--preload", str(preload)], "victim")
        from distributed import Client

        client = Client(scheduler_file=str(sched_file), timeout=START_TIMEOUT)
        try:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
            yield {
                "address": client.scheduler.address,
                "client": client,
                "victim": victim,
                "healthy": healthy,
                "marker": env["ASSAY_TEST_MARKER"],
                "logs": tmp_path,
            }
        finally:
            client.close()
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=20)
        for log in logs:
            log.close()


def test_worker_killed_mid_scan_result_equals_local(tmp_path, cluster, he_texts):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder, n_shards=2, docs_per_shard=200, plant_every=11)
    idx = build_index(he_texts, minhash=MinHasher(num_perm=64, bands=16))
    # small ranges: many tasks from two files
    opts = ScanOptions(corpus=CorpusOptions(id_field="id", range_bytes=20_000))
    local = run_scan(str(folder), idx, options=opts, workers=1, out=str(tmp_path / "local"))

    outcome = {}

    def scan():
        try:
            outcome["result"] = run_scan(
                str(folder), idx, options=opts, scheduler=cluster["address"],
                out=str(tmp_path / "dask"),
            )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            outcome["error"] = exc

    thread = threading.Thread(target=scan, daemon=True)
    thread.start()
    marker = cluster["marker"]
    wait_for(lambda: os.path.exists(marker), START_TIMEOUT, "the victim to run a scan task")
    client = cluster["client"]
    victim = cluster["victim"]
    info = client.scheduler_info()["workers"]
    victim_addr = next(a for a, w in info.items() if w["name"] == "victim")
    with open(marker, encoding="ascii") as fh:
        assert int(fh.read()) == victim.pid  # the stuck task runs in the victim's process
    running = wait_for(
        lambda: [k for k in client.processing().get(victim_addr, ()) if "assay-scan" in str(k)],
        START_TIMEOUT,
        "the scheduler to list the victim's task",
    )
    assert running and victim.poll() is None and thread.is_alive()
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=20)
    thread.join(timeout=240)
    assert not thread.is_alive(), "the scan did not finish after the worker was killed"
    assert "error" not in outcome, outcome.get("error")
    assert cluster["healthy"].poll() is None
    got = outcome["result"]
    assert got.to_dict() == local.to_dict()
    with open(tmp_path / "local" / "result.json", encoding="utf-8") as a:
        with open(tmp_path / "dask" / "result.json", encoding="utf-8") as b:
            assert a.read() == b.read()
    assert sum(v.contaminated for v in local.items) > 5
