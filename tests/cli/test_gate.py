"""`assay gate` from the command line: suite verdicts, config, Markdown, runs, sequential."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.io import ResponseBuilder, read
from assay.stats import GateTask, noninferiority, suite_gate

N = 400
EVIL = "<script>alert(1)</script>|**x**"


def _table(path, *, runs=1, evil=False):
    """Tasks: 'quiz' (equal), 'math' (cand 10 points worse), 'tox' (a loss, cand 0.02 lower)."""
    rng = np.random.default_rng(0)
    b = ResponseBuilder()
    u = {t: rng.random(N) for t in ("quiz", "math")}
    tox = rng.normal(3.0, 0.5, N)
    for model in ("base", "cand"):
        for r in range(runs):
            name = model if runs == 1 else f"{model}-seed{r}"
            for i in range(N):
                for task in ("quiz", "math"):
                    p = 0.6 - (0.10 if task == "math" and model == "cand" else 0.0)
                    jitter = rng.random() < 0.02  # a few items differ between runs
                    score = float((u[task][i] < p) != jitter)
                    b.add(model=name, task=EVIL if evil and task == "quiz" else task,
                          item=f"q{i:03d}", metric="acc", score=score, run_id=f"{name}-{task}",
                          subject=f"s{i % 4}")  # fmt: skip
                b.add(model=name, task="tox", item=f"q{i:03d}", metric="score",
                      score=float(tox[i] + rng.normal(0, 0.01) - 0.02 * (model == "cand")), run_id=f"{name}-tox")  # fmt: skip
    pq.write_table(b.to_table(), path)
    return path


@pytest.fixture
def table(tmp_path):
    return _table(tmp_path / "r.parquet")


def _gate(*args):
    return CliRunner().invoke(main, ["gate", *map(str, args)])


def test_suite_verdict_lists_every_task_and_blocks(table, tmp_path):
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--margin", "5")
    assert r.exit_code == 1, r.output
    v = json.loads(r.stdout)
    assert v["schema"] == "assay.gate/2" and v["passed"] is False
    names = [(t["task"], t["metric"]) for t in v["tasks"]]
    assert names == [("math", "acc"), ("quiz", "acc"), ("tox", "score")]
    for t in v["tasks"]:
        assert {"n", "estimate", "bound", "margin", "verdict", "pvalue", "method"} <= set(t)
    assert [t["verdict"] for t in v["tasks"]] == ["block", "pass", "pass"]
    assert v["blocked"] == ["math/acc"]
    assert [t["units"] for t in v["tasks"]] == ["points", "points", "score"]
    assert "BLOCK" in r.stderr and "math/acc" in r.stderr


def test_config_sets_directions_margins_and_exclusions(table, tmp_path):
    cfg = tmp_path / "gate.toml"
    cfg.write_text(
        'margin = 5.0\n[tasks.math]\nexclude = true\n[tasks."tox/score"]\ndirection = "lower"\n'
        "margin = 0.01\n"
    )
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--config", cfg)
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)
    assert [t["task"] for t in v["tasks"]] == ["quiz", "tox"]
    tox = v["tasks"][1]
    assert tox["direction"] == "lower" and tox["margin"] == 0.01 and tox["units"] == "score"
    # --margin overrides the config's default, not a task's own margin
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--config", cfg, "--margin", "0")
    assert json.loads(r.stdout)["tasks"][1]["margin"] == 0.01
    # the same loss read as higher-is-better: 0.02 lower is worse than the 0.01 margin
    cfg.write_text('[tasks."tox/score"]\nmargin = 0.01\n')
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--config", cfg, "--task", "tox")
    assert r.exit_code == 1 and json.loads(r.stdout)["blocked"] == ["tox/score"]


def test_cli_numbers_are_the_library_numbers(table):
    # One truth: the command's bound is suite_gate's, which is the single-task test's.
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "quiz", "--margin", "5")
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)
    t = pq.read_table(table).to_pandas()
    q = t[t.task == "quiz"].pivot(index="item", columns="model", values="score")
    ref = noninferiority(q["base"].to_numpy(), q["cand"].to_numpy(), margin=0.05)
    assert v["tasks"][0]["bound"] == pytest.approx(100 * ref.bound, abs=1e-6)
    assert v["tasks"][0]["n"] == N and v["tasks"][0]["method"] == "tango-score"


def test_usage_and_input_errors_exit_2(table, tmp_path):
    r = _gate(table, "--baseline", "base", "--candidate", "nobody")
    assert r.exit_code == 2 and "`candidate` 'nobody' is not among the models read" in r.output
    r = _gate(table, "--candidate", "base")
    assert r.exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("margin = [\n")
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--config", bad)
    assert r.exit_code == 2 and "not valid TOML" in r.output
    bad.write_text("[tasks.quiz]\nmragin = 1\n")
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--config", bad)
    assert r.exit_code == 2 and "unknown key(s) 'mragin' in `tasks.quiz`" in r.output
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "nope")
    assert r.exit_code == 2 and "task(s) nope are not shared" in r.output


def test_markdown_comment_escapes_log_text(tmp_path):
    path = _table(tmp_path / "evil.parquet", evil=True)
    md = tmp_path / "c.md"
    r = _gate(path, "--baseline", "base", "--candidate", "cand", "--margin", "5", "--markdown", md)
    assert r.exit_code == 1
    text = md.read_text()
    assert text.startswith("## assay gate: BLOCK")
    assert "<script>" not in text and "\\<script\\>" in text and "\\|" in text
    assert "| math | acc | 400 |" in text and "**block**" in text
    assert "- math (acc): the lower bound" in text and "is not above -5" in text


def test_split_by_subject_and_claims(table):
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "quiz/acc",
              "--split-by", "subject", "--margin", "15", "--claim", "any")  # fmt: skip
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)
    assert [t["task"] for t in v["tasks"]] == [f"quiz:s{k}" for k in range(4)]
    assert v["better_on"] == [] and all(t["n"] == N // 4 for t in v["tasks"])


def test_seeds_as_runs_widen_the_bound(tmp_path):
    path = _table(tmp_path / "runs.parquet", runs=3)
    r = _gate(path, "--baseline", "base-seed*", "--candidate", "cand-seed*", "--task", "quiz",
              "--margin", "2")  # fmt: skip
    v = json.loads(r.stdout)
    t = v["tasks"][0]
    assert t["n_runs_baseline"] == 3 and t["n_runs_candidate"] == 3
    assert t["method"] == "random-effects-t" and t["run_sd_baseline"] is not None
    # the same library call on the same arrays
    res = read(path)
    tab = res.responses.to_pandas()
    q = tab[tab.task == "quiz"].pivot(index="item", columns="model", values="score")
    a = q[[f"base-seed{k}" for k in range(3)]].to_numpy()
    b = q[[f"cand-seed{k}" for k in range(3)]].to_numpy()
    lib = suite_gate([GateTask(task="quiz", metric="acc", baseline=a, candidate=b, runs=True)],
                     margin=2.0)  # fmt: skip
    assert t["bound"] == pytest.approx(lib.tasks[0].bound, abs=1e-6)


def test_sequential_mode(table):
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "quiz",
              "--margin", "10", "--sequential")  # fmt: skip
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)
    assert v["mode"] == "sequential" and v["decision"] == "pass"
    assert v["tasks"][0]["stopped_at"] <= N
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "quiz",
              "--margin", "0.1", "--sequential")  # fmt: skip
    assert r.exit_code == 1 and json.loads(r.stdout)["decision"] == "continue"
    assert "CONTINUE" in r.stderr
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "tox", "--sequential")
    assert r.exit_code == 2 and "--sequential needs scores in [0, 1]" in r.output


def test_split_by_keeps_items_without_a_label(tmp_path):
    b = ResponseBuilder()
    for m in ("a", "b"):
        for i in range(10):
            b.add(model=m, task="t", item=f"q{i}", metric="acc", score=float(i % 2), run_id=m,
                  subject=None if i < 3 else f"s{i % 2}")  # fmt: skip
    path = tmp_path / "ns.parquet"
    pq.write_table(b.to_table(), path)
    r = _gate(
        path, "--baseline", "a", "--candidate", "b", "--split-by", "subject", "--margin", "50"
    )
    v = json.loads(r.stdout)
    got = [(t["task"], t["n"]) for t in v["tasks"]]
    assert got == [("t:s0", 3), ("t:s1", 4), ("t:(no subject)", 3)]


def test_method_option_reaches_every_task(table):
    r = _gate(table, "--baseline", "base", "--candidate", "cand", "--task", "quiz", "--margin", "5",
              "--method", "t")  # fmt: skip
    t = json.loads(r.stdout)["tasks"][0]
    assert t["method"] == "paired-t"
    r = _gate(
        table, "--baseline", "base", "--candidate", "cand", "--task", "tox", "--method", "exact"
    )
    assert r.exit_code == 2 and "`method` 'exact' needs binary scores" in r.output


def test_mmlu_pro_subjects_as_tasks():
    # Real data (issue 17): the 14 MMLU-Pro subjects, Llama-3.1-8B and its Instruct version.
    from assay import datasets
    from assay.report._gate import gate_result

    result = datasets.mmlu_pro_result()
    base, inst = "Meta-Llama-3_1-8B", "Meta-Llama-3_1-8B-Instruct"
    kw = {"split_by": "subject"}
    up = gate_result(result, baseline=base, candidate=inst, margin=5.0, **kw)
    assert up["passed"] and len(up["tasks"]) == 14
    down = gate_result(result, baseline=inst, candidate=base, margin=5.0, **kw)
    assert not down["passed"] and len(down["blocked"]) == 11
    tight = gate_result(result, baseline=base, candidate=inst, margin=0.5, **kw)
    assert tight["blocked"] == [
        "mmlu_pro:engineering/acc", "mmlu_pro:history/acc", "mmlu_pro:other/acc"
    ]  # fmt: skip
    assert "mmlu_pro:history/acc" in tight["message"]
    assert sum(t["n"] for t in tight["tasks"]) == 12032 - sum(
        t["n_omitted"] for t in tight["tasks"]
    )
