"""The corpus scan: in-process, local processes and a real Dask cluster agree; resume after a kill."""

import json
import os
import signal
import subprocess
import sys

import pytest

from assay._core import InputError
from assay.contamination import MinHasher, build_index, tokenize
from assay.pipelines import CorpusOptions, ScanOptions, run_scan, save_index, scan_corpus

from .conftest import write_corpus


def sharing_a_13gram(texts, planted):
    """Items with a 13-gram in some planted problem (plain Python; HumanEval 0 and 20 share one)."""
    grams = lambda t: {tuple(tokenize(t)[i : i + 13]) for i in range(len(tokenize(t)) - 12)}  # noqa: E731
    seen = set().union(*(grams(texts[i]) for i in planted))
    return {i for i, t in enumerate(texts) if grams(t) & seen}


def result_text(folder):
    with open(os.path.join(folder, "result.json"), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def corpus(tmp_path, he_texts):
    folder = tmp_path / "corpus"
    folder.mkdir()
    planted = write_corpus(folder, n_shards=4, docs_per_shard=30)
    return str(folder), planted


def test_local_modes_agree_and_find_every_planted_item(tmp_path, corpus, he_texts):
    folder, planted = corpus
    idx = build_index(he_texts, minhash=MinHasher(num_perm=64, bands=16))
    opts = ScanOptions(corpus=CorpusOptions(id_field="id", batch_bytes=4000))
    one = run_scan(folder, idx, options=opts, workers=1, out=str(tmp_path / "a"))
    two = run_scan(folder, idx, options=opts, workers=2, out=str(tmp_path / "b"))
    assert result_text(tmp_path / "a") == result_text(tmp_path / "b")
    flagged = {int(v.item) for v in one.items if v.contaminated}
    assert flagged == sharing_a_13gram(he_texts, set(planted))
    assert one.n_docs == 120 and two.to_dict() == one.to_dict()
    ev = next(v for v in one.items if int(v.item) == planted[0]).evidence[0]
    assert ev["doc_id"] == "s0d0" and ev["row"] == 0 and ev["source"].endswith("shard000.jsonl")


@pytest.mark.slow
def test_dask_cluster_gives_identical_results(tmp_path, corpus, he_texts):
    from distributed import LocalCluster

    folder, _ = corpus
    idx = build_index(he_texts, minhash=MinHasher(num_perm=64, bands=16))
    opts = ScanOptions(corpus=CorpusOptions(id_field="id", batch_bytes=4000))
    run_scan(folder, idx, options=opts, workers=1, out=str(tmp_path / "local"))
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        run_scan(
            folder,
            idx,
            options=opts,
            scheduler=cluster.scheduler_address,
            out=str(tmp_path / "dask"),
        )
    assert result_text(tmp_path / "local") == result_text(tmp_path / "dask")
    run_scan(
        folder, idx, options=opts, scheduler="local", workers=2, out=str(tmp_path / "dask-local")
    )
    assert result_text(tmp_path / "local") == result_text(tmp_path / "dask-local")


@pytest.mark.slow
def test_dask_scan_sends_a_large_index_without_distributeds_warning(tmp_path):
    # the index enters the graph as a task on purpose (a killed worker's copy is recomputed);
    # distributed's "Sending large graph ... consider scattering" advice must not reach the user
    import warnings

    import numpy as np

    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(5000)])
    items = [" ".join(rng.choice(vocab, 40)) for _ in range(4000)]
    idx = build_index(items)
    assert idx.nbytes > 10e6  # above distributed's 10 MB threshold for that warning
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": items[7]}) + "\n" + json.dumps({"text": "x y"}) + "\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run = scan_corpus(str(path), idx, scheduler="local", workers=1)
    assert [str(w.message)[:60] for w in seen if "large graph" in str(w.message)] == []
    assert set(run.partial.items) == {7}


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path, corpus, he_texts, capfd):
    folder, _ = corpus
    idx = build_index(he_texts[:5])
    scan_corpus(folder, idx, workers=1)  # stderr is not a terminal under pytest
    assert capfd.readouterr().err == ""
    scan_corpus(folder, idx, workers=1, progress=True)
    err = capfd.readouterr().err
    assert "ranges" in err and "4/4" in err and "120 docs" in err and "MB/s" in err


@pytest.mark.slow
@pytest.mark.parametrize("one_file", [False, True])
def test_sigkill_then_resume_gives_the_same_result(tmp_path, he_texts, one_file):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder, n_shards=10, docs_per_shard=200, words=250, plant_every=50)
    extra = []
    if one_file:  # the same documents in one file, split into about 10 ranges
        big = tmp_path / "one.jsonl"
        with open(big, "w", encoding="utf-8") as out:
            for name in sorted(os.listdir(folder)):
                out.write((folder / name).read_text(encoding="utf-8"))
        folder = big
        extra = ["--range-mib", str(os.path.getsize(big) / 2**20 / 10)]
    index = str(tmp_path / "index.npz")
    save_index(build_index(he_texts, minhash=MinHasher()), index)
    cmd = [
        sys.executable,
        "-m",
        "assay.cli",
        "contamination",
        "scan",
        str(folder),
        "--index",
        index,
        "--workers",
        "1",
        "--no-progress",
        *extra,
    ]
    out = tmp_path / "killed"
    # The child pauses (forever) once two ranges are recorded and says so by writing one byte to
    # a pipe; the parent blocks on that pipe and kills the child then, mid-scan, whatever the
    # machine's load. No clock is involved: if the child exits instead, the read returns EOF.
    ready_r, ready_w = os.pipe()
    child = (
        "import os, sys, time\n"
        "from assay.pipelines import _manifest\n"
        "record = _manifest.Manifest.record\n"
        "def paused(self, i, result):\n"
        "    record(self, i, result)\n"
        "    if self.n_done >= 2:\n"
        f"        os.write({ready_w}, b'x')\n"
        "        while True: time.sleep(60)\n"
        "_manifest.Manifest.record = paused\n"
        "from assay.cli import main\n"
        "sys.argv = ['assay', *sys.argv[1:]]\n"
        "main()\n"
    )
    err = open(tmp_path / "child.err", "wb")  # a file, not a pipe: the child never blocks on it
    proc = subprocess.Popen(
        [sys.executable, "-c", child, *cmd[3:], "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=err,
        pass_fds=(ready_w,),
    )
    os.close(ready_w)
    paused = os.read(ready_r, 1)
    os.close(ready_r)
    err.close()
    manifest = out / "manifest.json"
    assert paused == b"x", (tmp_path / "child.err").read_text()  # it must pause, not finish
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = json.loads(manifest.read_text())
    n_done = sum(s["done"] for s in state["ranges"])
    assert 2 <= n_done < 10 and not (out / "result.json").exists()
    assert len(state["ranges"]) >= 10 and len({r["path"] for r in state["ranges"]}) == (
        1 if one_file else 10
    )
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True)
    subprocess.run([*cmd, "--out", str(tmp_path / "clean")], check=True, capture_output=True)
    assert result_text(out) == result_text(tmp_path / "clean")


def test_resume_skips_finished_shards_and_refuses_other_scans(tmp_path, corpus, he_texts):
    folder, _ = corpus
    idx = build_index(he_texts)
    out = str(tmp_path / "o")
    first = scan_corpus(folder, idx, workers=1, out=out)
    again = scan_corpus(folder, idx, workers=1, out=out)
    assert first.n_ranges_resumed == 0 and again.n_ranges_resumed == 4
    assert again.partial.to_dict() == first.partial.to_dict()
    with pytest.raises(
        InputError,
        match="manifest.json: field 'fingerprint': this folder holds a scan with another test index",
    ):
        scan_corpus(folder, build_index(he_texts[:10]), workers=1, out=out)
    with pytest.raises(
        InputError, match="field 'options': this folder holds a scan with another options"
    ):
        scan_corpus(folder, idx, workers=1, out=out, options=ScanOptions(max_evidence=3))
    restarted = scan_corpus(folder, build_index(he_texts[:10]), workers=1, out=out, restart=True)
    assert restarted.n_ranges_resumed == 0
    # a shard that changed on disk is scanned again
    shard = os.path.join(folder, "shard001.jsonl")
    with open(shard, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": he_texts[100], "id": "new"}) + "\n")
    redo = scan_corpus(folder, build_index(he_texts[:10]), workers=1, out=out)
    assert redo.n_ranges_resumed == 3


def test_errors(tmp_path, he_texts):
    idx = build_index(he_texts[:3])
    p = tmp_path / "c.jsonl"
    p.write_text('{"text": "x"}\n')
    with pytest.raises(InputError, match="`workers` must be a positive integer; got 0"):
        scan_corpus(str(p), idx, workers=0)
    with pytest.raises(InputError, match="`index` must be a TestIndex; got str"):
        scan_corpus(str(p), "idx")
    with pytest.raises(
        InputError,
        match="`scheduler` must be 'local' or an address like tcp://HOST:PORT; got 'yarn'",
    ):
        scan_corpus(str(p), idx, scheduler="yarn")
    with pytest.raises(InputError, match="the judge stage needs the embedding stage"):
        from assay.pipelines import JudgeConfig

        run_scan(str(p), idx, judge=JudgeConfig(base_url="http://127.0.0.1:9", model="m"))
