"""`assay compare`, `assay leaderboard` and `assay power` on a small table written to Parquet."""

import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from assay import DegenerateDataWarning
from assay.cli import main
from assay.io import ResponseBuilder
from assay.stats import compare, leaderboard, minimum_detectable_effect, sample_size

N_ITEMS = 300
RATES = {"base": 0.55, "tuned": 0.65, "other": 0.56}


def scores():
    rng = np.random.default_rng(0)
    ease = rng.normal(0, 1, N_ITEMS)
    out = {}
    for model, rate in RATES.items():
        logit = np.log(rate / (1 - rate)) + ease
        out[model] = (rng.random(N_ITEMS) < 1 / (1 + np.exp(-logit))).astype(float)
    return out


def write_table(path, *, drop_for=None):
    builder = ResponseBuilder()
    for model, values in scores().items():
        for i, s in enumerate(values):
            if model == drop_for and i < 7:
                continue
            builder.add(
                model=model, task="quiz", item=f"q{i:03d}", metric="acc", score=float(s),
                run_id=f"run-{model}", subject=f"topic{i % 6}", cluster=f"passage{i // 5}",
            )  # fmt: skip
    pq.write_table(builder.to_table(), path)
    return str(path)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("stats_cli") / "results.parquet")


def run(*args):
    # a fixed terminal width: text output wraps to $COLUMNS (tests below check 80 and 100)
    result = CliRunner().invoke(main, list(args), env={"COLUMNS": "100"})
    return result


def test_compare_prints_the_verdict_first(table):
    res = run("compare", "base", "tuned", table)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    s = scores()
    ref = compare(s["base"], s["tuned"], rng=0)  # the library call the command makes
    est = 100 * ref.estimate
    assert lines[0].startswith(
        f"tuned is better by {est:.1f} points, 95% CI {100 * ref.ci_low:.1f} to "
    )
    assert lines[0].endswith(f"n = {N_ITEMS}")
    assert "McNemar p = " in lines[0]
    assert any(
        line.startswith(f"flips: {ref.mcnemar.n_a_only} items base got right and tuned wrong")
        for line in lines
    )
    assert any(
        line.startswith(f"flips: {ref.mcnemar.n_b_only} items tuned got right and base wrong: q")
        for line in lines
    )


def test_compare_json_is_reproducible_and_matches_the_library(table):
    first = run("compare", "base", "tuned", table, "--json", "--margin", "2", "--seed", "7")
    second = run("compare", "base", "tuned", table, "--json", "--margin", "2", "--seed", "7")
    assert first.exit_code == 0, first.output
    assert first.output == second.output  # same inputs and seed: byte-identical JSON
    doc = json.loads(first.output)
    s = scores()
    ref = compare(
        s["base"], s["tuned"], margin=0.02, rng=7, item_ids=[f"q{i:03d}" for i in range(N_ITEMS)]
    )
    assert doc["version"] == 1 and doc["model_a"] == "base" and doc["task"] == "quiz"
    assert doc["result"]["estimate"] == pytest.approx(ref.estimate)
    assert doc["result"]["mcnemar"]["pvalue"] == pytest.approx(ref.mcnemar.pvalue)
    assert doc["result"]["margin"]["margin"] == pytest.approx(0.02)
    assert doc["result"]["b_wins"] == list(ref.b_wins)
    assert doc["result"]["bootstrap"]["ci_low"] == pytest.approx(ref.bootstrap.ci_low)


def test_compare_clustered_by_subject(table):
    res = run("compare", "base", "tuned", table, "--cluster-by", "subject", "--json")
    # the CLI shows the library's warning as one plain line on stderr
    assert "warning: Only 6 clusters" in res.stderr
    doc = json.loads(res.stdout)
    s = scores()
    subjects = [f"topic{i % 6}" for i in range(N_ITEMS)]
    with pytest.warns(DegenerateDataWarning):
        ref = compare(s["base"], s["tuned"], clusters=subjects, rng=0)
    assert doc["result"]["n_clusters"] == 6 and doc["result"]["se"] == pytest.approx(ref.se)
    text = run("compare", "base", "tuned", table, "--cluster-by", "cluster")
    verdict = " ".join(text.output.split("\n\n")[0].split())  # the first paragraph, unwrapped
    assert "in 60 clusters" in verdict


def test_compare_uses_shared_items_by_default_and_says_so(tmp_path):
    # one rule for every command and the report: the items every model answered, stated
    path = write_table(tmp_path / "gappy.parquet", drop_for="tuned")
    ok = run("compare", "base", "tuned", path, "--json")
    doc = json.loads(ok.stdout)
    assert doc["result"]["n"] == 293 and doc["dropped_items"] == 7
    assert "293 items used: those every model answered (7 left out" in ok.stderr
    res = run("compare", "base", "tuned", path, "--align", "raise")
    assert res.exit_code == 2
    assert re.search(
        r"error: models were scored on different items .*tuned lacks 7 of 300 items \(e\.g\. q000",
        res.output,
    )
    old_name = run("compare", "base", "tuned", path, "--missing", "intersect", "--json")
    assert json.loads(old_name.stdout)["result"]["n"] == 293


def test_compare_takes_paths_first_and_suggests_names(tmp_path, table):
    first = run("compare", table, "base", "tuned", "--json")
    last = run("compare", "base", "tuned", table, "--json")
    assert first.exit_code == 0 and json.loads(first.stdout) == json.loads(last.stdout)
    res = run("compare", table, "BASE", "tuned")
    assert res.exit_code == 2 and "did you mean 'base'?" in res.output


def test_compare_errors(table):
    res = run("compare", "base", "nobody", table)
    assert res.exit_code == 2 and "error: model(s) 'nobody' have no 'acc' scores" in res.output
    res = run("compare", "base", "tuned", table, "--store", "x.duckdb")
    assert res.exit_code == 2 and "give RESULTS files or --store, not both" in res.output
    res = run("compare", "base", "tuned", table, "--margin", "-1")
    assert res.exit_code == 2 and "`margin` must be a positive number" in res.output


def test_compare_from_the_store(table, tmp_path):
    from assay.store import Store

    store_path = str(tmp_path / "results.duckdb")
    with Store(store_path) as store:
        store.ingest([table])
    res = run("compare", "base", "tuned", "--store", store_path, "--json")
    assert res.exit_code == 0, res.output
    from_file = json.loads(run("compare", "base", "tuned", table, "--json").output)
    assert json.loads(res.output)["result"] == from_file["result"]
    missing = run("compare", "base", "tuned", "--store", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 2 and "no results store here" in missing.output


def test_leaderboard(table):
    res = run("leaderboard", table)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("task quiz, metric acc: 3 models on 300 items")
    s = scores()
    ref = leaderboard(
        np.vstack([s["base"], s["other"], s["tuned"]]), models=["base", "other", "tuned"], rng=0
    )
    assert lines[4].split()[3] == ref.entries[0].model
    best = ref.ranks.best_group
    assert lines[-1] == (
        f"best: {best[0]} (significantly ahead of every other model)"
        if len(best) == 1
        else f"cannot be told apart from the best: {', '.join(best)}"
    )
    assert all(len(line) <= 100 for line in lines)
    res = run("leaderboard", table, "--json", "--cluster-by", "subject")
    assert "warning: Only 6 clusters" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["result"]["n_clusters"] == 6 and len(doc["result"]["entries"]) == 3
    assert [e["model"] for e in doc["result"]["entries"]][0] == "tuned"


def test_power():
    res = run("power", "--n", "1000", "--rho", "0.5", "--baseline", "0.7")
    ref = minimum_detectable_effect(1000, baseline=0.7, rho=0.5)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(
        f"With 1,000 items, a difference of {100 * ref.delta:.2f} points is detected"
    )
    res = run("power", "--delta", "2", "--deff", "1.5", "--json")
    ref = sample_size(0.02, baseline=0.5, design_effect=1.5)
    assert json.loads(res.output)["result"]["n"] == ref.n
    text = run("power", "--delta", "2").output
    assert text.startswith(
        f"To detect 2 points with power 0.8 at alpha 0.05, you need {sample_size(0.02, baseline=0.5).n:,} items"
    )


def test_power_errors():
    res = run("power")
    assert res.exit_code == 2 and "give exactly one of --n" in res.output
    res = run("power", "--n", "100", "--delta", "1")
    assert res.exit_code == 2 and "give exactly one of --n" in res.output
    res = run("power", "--delta", "2", "--k", "3")
    assert res.exit_code == 2 and "needs `icc`" in res.output


def test_power_from_pilot_data_matches_the_normal_formula(tmp_path):
    # Reference: statsmodels' one-sample normal power (NormalIndPower with ratio=0, both tails) solved
    # for the effect size, times sd_d, the SD of the item differences computed here with numpy.
    import pyarrow.parquet as pq
    from click.testing import CliRunner
    from statsmodels.stats.power import NormalIndPower

    from assay import datasets
    from assay.cli import main

    table = datasets.mmlu_pro()
    path = tmp_path / "mmlu.parquet"
    pq.write_table(table, path)
    t = table.to_pandas().pivot(index="item", columns="model", values="score")
    d = (t["Meta-Llama-3_1-8B-Instruct"] - t["Meta-Llama-3_1-8B"]).dropna().to_numpy()
    es = NormalIndPower().solve_power(effect_size=None, nobs1=1000, alpha=0.05, power=0.8, ratio=0)
    expected = es * d.std(ddof=1)
    r = CliRunner().invoke(
        main,
        [
            "power",
            str(path),
            "--model-a",
            "Meta-Llama-3_1-8B",
            "--model-b",
            "Meta-Llama-3_1-8B-Instruct",
            "--n",
            "1000",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["from_data"]["pilot_items"] == d.size == 12032
    # binary pilot data are planned for the exact McNemar test the comparisons report (issue 24):
    # the same as the library on the same pairs, and a little above the normal formula's answer
    from assay.stats import power_from_data

    ref = power_from_data(
        t["Meta-Llama-3_1-8B"].dropna().to_numpy(),
        t["Meta-Llama-3_1-8B-Instruct"].dropna().to_numpy(),
        n=1000,
    )
    assert out["result"]["delta"] == pytest.approx(ref.delta, rel=1e-9)
    assert expected < out["result"]["delta"] < 1.05 * expected
    r = CliRunner().invoke(main, ["power", "--n", "100", "--model-a", "x"])
    assert r.exit_code == 2 and "needs --model-a and --model-b" in r.output


@pytest.mark.parametrize("columns", [80, 100])
def test_text_output_fits_the_terminal(table, columns):
    # compare, leaderboard and the report summary wrap to $COLUMNS (at most 100)
    import os

    env = {"COLUMNS": str(columns)}
    for args in (["compare", "base", "tuned", table], ["leaderboard", table]):
        res = CliRunner().invoke(main, args, env=env)
        assert res.exit_code == 0, res.output
        assert max(len(line) for line in res.output.splitlines()) <= columns
    out = os.path.join(os.path.dirname(table), f"r{columns}.html")
    res = CliRunner().invoke(main, ["report", table, "-o", out, "--resamples", "200"], env=env)
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= columns
