"""Log folders as users have them (issue 14): reruns into one lm-eval output folder, renamed
results files, samples without results, and the same log present twice. Built from copies of the
real logs in tests/data/logs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import assay
from assay import InputError

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
ASDIV = LOGS / "lm_eval" / "llama3-8b-instruct_asdiv"
DATE = "2024-08-21T03-44-09.494230"
RERUN = "2024-09-01T10-00-00.000000"
MODEL = "meta-llama/Meta-Llama-3-8B-Instruct"


def _rerun_folder(tmp_path: Path, *, flip: int = 10) -> Path:
    """The asdiv run and a rerun written later into the same folder, with `flip` scores changed."""
    folder = tmp_path / "out"
    shutil.copytree(ASDIV, folder)
    results = json.loads((folder / f"results_{DATE}.json").read_text())
    results["date"] = 1725184800.0  # 2024-09-01T10:00:00Z
    (folder / f"results_{RERUN}.json").write_text(json.dumps(results))
    rows = [json.loads(line) for line in (folder / f"samples_asdiv_{DATE}.jsonl").open()]
    for row in rows[:flip]:
        row["acc"] = 1 - row["acc"]
    (folder / f"samples_asdiv_{RERUN}.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )
    return folder


def _scores(result) -> dict[str, float]:
    t = result.responses
    return dict(zip(t.column("item").to_pylist(), t.column("score").to_pylist(), strict=True))


def test_a_rerun_into_the_same_folder_keeps_the_newest_run(tmp_path):
    folder = _rerun_folder(tmp_path)
    old = _scores(assay.read(folder / f"results_{DATE}.json"))
    new = _scores(assay.read(folder / f"results_{RERUN}.json"))
    assert old != new  # the two runs differ on 10 items
    result = assay.read(folder)  # was: "50 duplicate response(s)" error
    assert _scores(result) == new
    assert result.runs.column("source").to_pylist() == [str(folder / f"results_{RERUN}.json")]
    assert result.notes == [
        f"model {MODEL!r}, task 'asdiv': 2 runs give the same items; kept the newest, "
        f"{folder / f'results_{RERUN}.json'} (2024-09-01T10:00:00+00:00), and left out "
        f"{folder / f'results_{DATE}.json'} (2024-08-21T03:43:56.101268+00:00) "
        "(on_duplicate='newest'; 'first', 'last' or 'raise' choose otherwise)"
    ]


def test_the_newest_is_by_date_not_by_read_order(tmp_path):
    folder = _rerun_folder(tmp_path)
    # give the file read last the older date: the run read first is then the newer one
    path = folder / f"results_{RERUN}.json"
    results = json.loads(path.read_text())
    results["date"] = 1600000000.0  # 2020
    path.write_text(json.dumps(results))
    result = assay.read(folder)
    assert result.runs.column("source").to_pylist() == [str(folder / f"results_{DATE}.json")]


def test_on_duplicate_raise_first_last_still_choose_otherwise(tmp_path):
    folder = _rerun_folder(tmp_path)
    with pytest.raises(
        InputError,
        match=rf"50 duplicate response\(s\); .* in {folder / f'results_{DATE}.json'} and "
        rf"{folder / f'results_{RERUN}.json'}\.",
    ):
        assay.read(folder, on_duplicate="raise")
    first = assay.read(folder, on_duplicate="first")
    assert first.runs.num_rows == 2 and "50 duplicate response(s)" in first.notes[-1]
    with pytest.raises(InputError, match="`on_duplicate` must be one of"):
        assay.read(folder, on_duplicate="oldest")


def test_two_copies_of_one_file_are_one_run(tmp_path):
    folder = tmp_path / "out"
    shutil.copytree(ASDIV, folder)
    for name in (f"results_{DATE}.json", f"samples_asdiv_{DATE}.jsonl"):
        shutil.copy(folder / name, folder / name.replace(DATE, RERUN))
    result = assay.read(folder, on_duplicate="raise")  # was: "... in X and X"
    assert result.responses.num_rows == 50 and result.runs.num_rows == 1
    assert result.notes[0].startswith(
        f"{folder / f'results_{DATE}.json'} and {folder / f'results_{RERUN}.json'} are the same "
        "log (identical content;"
    )


def test_a_duplicate_inside_one_file_names_it_once(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("model,item,score\na,1,1\na,1,0\n")
    with pytest.raises(InputError) as info:
        assay.read(path, task="t")
    message = str(info.value)
    assert f"twice in {path}." in message and message.count(str(path)) == 1


def test_inspect_eval_and_its_json_export_are_one_run(tmp_path):
    for name in ("log_formats.eval", "log_formats.json"):
        shutil.copy(LOGS / "inspect" / name, tmp_path / name)
    result = assay.read(tmp_path, on_duplicate="raise")
    assert result.runs.num_rows == 1 and result.responses.num_rows == 1
    assert result.notes == [
        f"{tmp_path / 'log_formats.eval'} and {tmp_path / 'log_formats.json'} are the same log "
        "(Inspect run_id BpiPFmbVcMCRUAXv8ovCTx, task_id 9eTnG3tV8jGRYoTPMH54Ee; model "
        "'ollama/llama3.1', task 'popularity'); read once, from "
        f"{tmp_path / 'log_formats.eval'}"
    ]


@pytest.mark.parametrize(
    "name", [f"myrun_{DATE}.json", f"results-asdiv-{DATE}.json", f"asdiv{DATE}.json"]
)
def test_a_renamed_results_file_is_paired_by_its_timestamp(name, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(ASDIV / f"samples_asdiv_{DATE}.jsonl", folder)
    shutil.copy(ASDIV / f"results_{DATE}.json", folder / name)
    for source in (folder, folder / f"samples_asdiv_{DATE}.jsonl", folder / name):
        result = assay.read(source)
        assert result.responses.num_rows == 50
        assert result.runs.column("source").to_pylist() == [str(folder / name)]


def test_samples_without_results_are_reported_and_the_folder_still_reads(tmp_path):
    shutil.copytree(ASDIV, tmp_path / "a")
    (tmp_path / "b").mkdir()
    orphan = tmp_path / "b" / f"samples_asdiv_{RERUN}.jsonl"
    shutil.copy(ASDIV / f"samples_asdiv_{DATE}.jsonl", orphan)
    result = assay.read(tmp_path)  # was: the orphan stopped the whole folder
    assert result.responses.num_rows == 50
    assert result.notes[-1].startswith(
        f"1 file(s) not read for want of a companion file: {orphan}: the lm-eval results file "
        "is missing"
    )
    with pytest.raises(InputError, match=rf"{orphan}: the lm-eval results file is missing"):
        assay.read(orphan)  # named on its own it is an error
    with pytest.raises(InputError, match=r"found no results in .*; .* results file is missing"):
        assay.read(tmp_path / "b")


def test_resolve_duplicates_treats_newest_as_raise_and_checks_the_choice():
    # the store passes on_duplicate through to resolve_duplicates; 'newest' must not act as 'last'
    import pyarrow as pa

    from assay.io import resolve_duplicates

    once = assay.read(ASDIV)
    doubled = pa.concat_tables([once.responses, once.responses])  # duplicates inside one run
    with pytest.raises(InputError, match=r"50 duplicate response\(s\); .* twice in "):
        resolve_duplicates(doubled, once.runs, on_duplicate="newest")
    with pytest.raises(InputError, match="`on_duplicate` must be one of"):
        resolve_duplicates(doubled, once.runs, on_duplicate="oldest")
