"""`assay irt fit|items` and `assay subset build|estimate` through click's CliRunner, on MMLU-Pro data."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from assay import datasets, irt
from assay.cli import main
from assay.io import build_matrix


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """10 MMLU-Pro models x 300 questions as a plain table (assay's own column names)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_matrix(datasets.mmlu_pro(), "mmlu_pro", "acc", align="keep")
    models = [k for k in range(m.n_models) if not np.isnan(m.values[k, :300, 0]).any()][:10]
    path = tmp_path_factory.mktemp("irt") / "mmlu_small.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "task", "item", "metric", "score"])
        for k in models:
            for i in range(300):
                w.writerow([m.models[k], "mmlu_pro", m.items[i], "acc", int(m.values[k, i, 0])])
    return str(path), m.values[models, :300, 0], [m.models[k] for k in models], list(m.items[:300])


def test_irt_fit_json_matches_the_library(results):
    path, values, models, items = results
    out = CliRunner().invoke(main, ["irt", "fit", path, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    order = np.argsort(items)  # the matrix sorts items by id
    f = irt.fit(values[:, order], items=sorted(items), models=models)
    got = {r["model"]: r["estimate"] for r in data["abilities"]}
    for m, e in zip(f.models, f.ability.estimate):
        assert got[m] == pytest.approx(e, abs=1e-6)
    assert data["fit"]["n_items"] == 300 and data["task"] == "mmlu_pro"


def test_irt_fit_table_and_items_formats(results):
    path, *_ = results
    runner = CliRunner()
    out = runner.invoke(main, ["irt", "fit", path, "--model", "1pl"])
    assert out.exit_code == 0 and "1pl mml fit of 10 models x 300 items" in out.output
    out = runner.invoke(main, ["irt", "items", path, "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.output.splitlines()))
    assert len(rows) == 300 and {"item", "flags", "reasons", "discrimination"} <= set(rows[0])
    out = runner.invoke(main, ["irt", "items", path, "--format", "json", "--flagged-only"])
    data = json.loads(out.output)
    assert data["n_flagged"] == len(data["rows"]) and all(r["flags"] for r in data["rows"])
    out = runner.invoke(main, ["irt", "items", path])
    assert out.exit_code == 0 and "items flagged" in out.output


def test_subset_build_and_estimate(results, tmp_path):
    path, values, models, items = results
    runner = CliRunner()
    sub_path = tmp_path / "subset.json"
    out = runner.invoke(
        main, ["subset", "build", path, "--k", "40", "--seed", "3", "-o", str(sub_path), "--json"]
    )
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["k"] == 40 and summary["validation"]["scheme"] == "leave-one-model-out"
    record = json.loads(sub_path.read_text())
    assert (
        record["format"] == "assay.subset/1"
        and record["seed"] == 3
        and record["method"] == "cluster-info"  # the default 'auto' at k = 40
    )
    out = runner.invoke(main, ["subset", "estimate", path, "--subset", str(sub_path), "--json"])
    assert out.exit_code == 0, out.output
    est = json.loads(out.output)["estimates"]
    sub = irt.Subset.from_dict(record)
    col = {it: j for j, it in enumerate(sorted(items))}
    order = np.argsort(items)
    anchor = values[:, order][:, [col[i] for i in sub.items]]
    lib = irt.estimate_accuracy(sub, anchor, models=models)
    got = {r["model"]: r["estimate"] for r in est}
    for m, e in zip(lib.models, lib.estimate):
        assert got[m] == pytest.approx(e, abs=1e-9)
    out = runner.invoke(main, ["subset", "estimate", path, "--subset", str(sub_path)])
    assert out.exit_code == 0 and out.output.startswith("model\testimate\tse")


def test_cli_anchor_methods_are_the_librarys():
    # the CLI spells the choices out (it loads assay.irt lazily); they must stay the library's
    from assay.cli._irt import build_cmd

    opt = next(p for p in build_cmd.params if p.name == "method")
    assert tuple(opt.type.choices) == irt.ANCHOR_METHODS
    assert opt.default == irt.DEFAULT_ANCHOR_METHOD


def test_cli_errors(results, tmp_path):
    path, *_ = results
    runner = CliRunner()
    out = runner.invoke(main, ["irt", "fit"])
    assert out.exit_code != 0 and "give results files or folders, or --store PATH" in out.output
    out = runner.invoke(
        main,
        [
            "irt",
            "fit",
            path,
            "--model",
            "continuous",
            "--method",
            "jml",
            "--backend",
            "numpy",
            "--n-choices",
            "1",
        ],
    )
    assert out.exit_code == 2 and "error: `n_choices` must be an integer >= 2" in out.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = runner.invoke(main, ["subset", "estimate", path, "--subset", str(bad)])
    assert out.exit_code == 2 and "not valid JSON" in out.output and "bad.json" in out.output
    bad.write_text(json.dumps({"format": "other"}))
    out = runner.invoke(main, ["subset", "estimate", path, "--subset", str(bad)])
    assert out.exit_code == 2 and "field 'format'" in out.output
