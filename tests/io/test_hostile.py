"""Hostile input to every reader (issue 14): deep nesting, lone surrogates, non-finite scores,
wrong types and zip surgery give an InputError naming the file (and the record where there is one),
never another exception. Each case is a broken copy of a real log in tests/data/logs.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import assay
from assay import InputError
from assay.io import _inspect_zip

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
LM = LOGS / "lm_eval" / "llama3-8b-instruct_asdiv"
HELM = LOGS / "helm" / "mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2"
INSPECT_JSON = LOGS / "inspect" / "log_formats.json"
INSPECT_EVAL = LOGS / "inspect" / "log_formats.eval"
OPENAI = LOGS / "openai_evals" / "arith_model-a.jsonl"
LIGHTEVAL = LOGS / "lighteval" / "flat"
DEEP = "[" * 50_000  # far past the recursion limit of Python's json parser


def _lm_copy(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / LM.name
    shutil.copytree(LM, folder)
    return next(folder.glob("results_*.json")), next(folder.glob("samples_*.jsonl"))


def _edit_line(path: Path, index: int, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[index] = edit(lines[index])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _insert_key(text: str, key_json: str) -> str:
    """A JSON object with one more key first: '{' + key_json + ', ' + rest."""
    start = text.index("{")
    return text[: start + 1] + key_json + ", " + text[start + 1 :]


# ------------------------------------------------------------------------------- deep nesting


def _deep_lm_results(tmp_path):
    results, _ = _lm_copy(tmp_path)
    results.write_text(_insert_key(results.read_text(), f'"zz": {DEEP}'))
    return results, f"{results}: JSON nested too deeply"


def _deep_lm_samples(tmp_path):
    _, samples = _lm_copy(tmp_path)
    _edit_line(samples, 3, lambda line: _insert_key(line, f'"zz": {DEEP}'))
    return samples, f"{samples}: line 4: JSON nested too deeply"


def _deep_openai(tmp_path):
    path = tmp_path / "arith.jsonl"
    shutil.copy(OPENAI, path)
    _edit_line(path, 2, lambda line: _insert_key(line, f'"zz": {DEEP}'))
    return path, f"{path}: line 3: JSON nested too deeply"


def _deep_helm(tmp_path):
    folder = tmp_path / HELM.name
    shutil.copytree(HELM, folder)
    state = folder / "scenario_state.json"
    state.write_text(_insert_key(state.read_text(), f'"zz": {DEEP}'))
    return folder, f"{state}: JSON nested too deeply"


def _deep_inspect(tmp_path):
    path = tmp_path / "log.json"
    text = INSPECT_JSON.read_text().rstrip()
    path.write_text(text[:-1] + f', "zz": {DEEP}' + "}")  # last, so that claim sees the keys
    return path, f"{path}: not readable as JSON: RecursionError"


def _deep_lighteval(tmp_path):
    folder = tmp_path / "lighteval"
    shutil.copytree(LIGHTEVAL, folder)
    results = next((folder / "results").rglob("results_*.json"))
    results.write_text(_insert_key(results.read_text(), f'"zz": {DEEP}'))
    return results, f"{results}: JSON nested too deeply"


def _deep_table(tmp_path):
    path = tmp_path / "table.jsonl"
    path.write_text(
        '{"model": "a", "item": "1", "score": 1}\n'
        + f'{{"model": "a", "item": "2", "x": {DEEP}}}\n'
    )
    return path, f"{path}: line 2: JSON nested too deeply"


@pytest.mark.parametrize(
    "make",
    [
        _deep_lm_results,
        _deep_lm_samples,
        _deep_openai,
        _deep_helm,
        _deep_inspect,
        _deep_lighteval,
        _deep_table,
    ],
)
def test_deep_nesting_is_an_input_error_naming_the_file(make, tmp_path):
    path, message = make(tmp_path)
    with pytest.raises(InputError) as info:
        assay.read(path)
    assert str(info.value).startswith(message)


# --------------------------------------------------------------------------- lone surrogates


def test_lone_surrogate_in_text_is_replaced_and_noted(tmp_path):
    doc = json.loads(INSPECT_JSON.read_text())
    doc["samples"][0]["input"] = "a\ud800b"
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))  # ensure_ascii writes the surrogate as \ud800
    result = assay.read(path)
    inputs = result.responses.column("input").to_pylist()
    assert "a\ufffdb" in inputs
    assert (
        f"{path}: 1 text value(s) held lone UTF-16 surrogates (not valid Unicode), replaced by "
        "U+FFFD (the first in samples[0], field 'input')"
    ) in result.notes


def test_lone_surrogate_in_an_id_is_an_input_error(tmp_path):
    doc = json.loads(INSPECT_JSON.read_text())
    doc["samples"][0]["id"] = "a\ud800b"
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(
        InputError,
        match=r"log.json: samples\[0\]: field 'item': 'a\\ud800b' is not valid Unicode",
    ):
        assay.read(path)


def test_lone_surrogate_in_a_model_name_is_an_input_error(tmp_path):
    doc = json.loads(INSPECT_JSON.read_text())
    doc["eval"]["model"] = "m\udc80"
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"log.json: field 'model': 'm\\udc80' is not valid"):
        assay.read(path)


def test_lone_surrogate_in_a_dataframe_is_an_input_error():
    model = pd.Series(["a", "b\ud800"], dtype=object)  # pandas' Arrow strings refuse it
    df = pd.DataFrame({"model": model, "item": ["1", "1"], "score": [1.0, 0.0]})
    with pytest.raises(InputError, match="<DataFrame>: holds text that is not valid Unicode"):
        assay.read(df, task="t")


# ------------------------------------------------------------------------- non-finite scores


def test_infinite_score_in_inspect_names_file_record_model_item_field(tmp_path):
    doc = json.loads(INSPECT_JSON.read_text())
    sample = doc["samples"][0]
    scorer = next(iter(sample["scores"]))
    sample["scores"][scorer]["value"] = math.inf
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))  # writes Infinity
    with pytest.raises(InputError) as info:
        assay.read(path)
    assert str(info.value) == (
        f"{path}: samples[0]: field 'scores.{scorer}.value': score inf of model "
        f"{doc['eval']['model']!r}, item {str(sample['id'])!r} is not finite; a score must be a "
        "finite number (write NaN or null for a missing one)"
    )


def test_infinite_score_in_lm_eval_samples(tmp_path):
    _, samples = _lm_copy(tmp_path)
    _edit_line(samples, 1, lambda line: line.replace('"acc": 1}', '"acc": -Infinity}'))
    with pytest.raises(
        InputError, match=rf"{samples.name}: line 2: field 'acc,none': score -inf of model"
    ):
        assay.read(samples.parent)


@pytest.mark.parametrize(
    ("value", "what"),
    [("inf", "score inf"), ("-1e308", "score -1e+308"), ("1e151", "score 1e+151")],
)
def test_non_finite_or_huge_score_in_a_csv(value, what, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"model,item,score\na,1,1\na,2,{value}\nb,1,0\n")
    with pytest.raises(InputError) as info:
        assay.read(path, task="t")
    assert str(info.value).startswith(
        f"{path}: line 3: field 'score': {what} of model 'a', item '2'"
    )


def test_infinite_score_in_a_wide_dataframe_names_the_model_column():
    df = pd.DataFrame({"item": ["1", "2"], "m1": [1.0, 0.0], "m2": [0.0, math.inf]})
    with pytest.raises(
        InputError, match=r"<DataFrame>: row 2: field 'm2': score inf of model 'm2'"
    ):
        assay.read(df, task="t")


def test_nan_and_large_finite_scores_still_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("model,item,score\na,1,1e150\na,2,nan\nb,1,-3.5\nb,2,\n")
    result = assay.read(path, task="t")
    assert result.responses.column("score").to_pylist()[0] == 1e150
    assert any("have no score" in n for n in result.notes)


def test_infinite_stat_in_helm(tmp_path):
    folder = tmp_path / HELM.name
    shutil.copytree(HELM, folder)
    stats = folder / "per_instance_stats.json"
    records = json.loads(stats.read_text())
    for stat in records[0]["stats"]:
        if stat["name"]["name"] == "exact_match":
            stat["mean"] = stat["sum"] = math.inf
    stats.write_text(json.dumps(records))
    with pytest.raises(InputError, match=rf"{stats.name}: .*score inf of model"):
        assay.read(folder)


# ------------------------------------------------------------------------------ wrong types


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("result", True, "field 'result': expected an object or null; got bool"),
        ("result", {"completions": 3}, "field 'result.completions': expected a list or null"),
        ("instance.input", ["x"], "field 'instance.input': expected an object or null; got list"),
        ("instance.references", {"a": 1}, "field 'instance.references': expected a list"),
        ("instance.references[0].tags", 5, r"field 'instance.references\[0\].tags': expected"),
    ],
)
def test_helm_wrong_types_are_input_errors(field, value, message, tmp_path):
    folder = tmp_path / HELM.name
    shutil.copytree(HELM, folder)
    state = folder / "scenario_state.json"
    doc = json.loads(state.read_text())
    rs = doc["request_states"][0]
    if field == "result":
        rs["result"] = value
    elif field == "result.completions":
        rs["result"]["completions"] = value
    elif field.startswith("instance.references[0]"):
        rs["instance"]["references"][0]["tags"] = value
    else:
        rs["instance"][field.split(".")[1]] = value
    state.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=rf"scenario_state.json: request_states\[0\]: {message}"):
        assay.read(folder)


# --------------------------------------------------------------------------------- zip files


def test_eval_zip_of_an_unsupported_version_is_an_input_error(tmp_path):
    data = bytearray(INSPECT_EVAL.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 6 : central + 8] = struct.pack("<H", 0xFF)  # "version needed to extract"
    path = tmp_path / "log.eval"
    path.write_bytes(bytes(data))
    with pytest.raises(
        InputError, match=r"log.eval: not a readable zip archive \(zip file version"
    ):
        assay.read(path)


def _zip_with(src: Path, dst: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in members:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in members.items():
            zout.writestr(name, data)
    return dst


@pytest.fixture
def opened(monkeypatch):
    """Names of the zip members that get opened (inflated)."""
    names: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            names.append(getattr(name, "filename", name))
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_oversized_member_is_refused_without_inflating_it(tmp_path, monkeypatch, opened):
    # The old reader inflated MAX_MEMBER_BYTES + 1 bytes before refusing (512 MiB, 10-63 s).
    monkeypatch.setattr(_inspect_zip, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = b'{"id": 1, "epoch": 1, "pad": "' + b"0" * (4 << 20) + b'"}'
    path = _zip_with(INSPECT_EVAL, tmp_path / "bomb.eval", {"samples/1_epoch_1.json": bomb})
    opened.clear()  # building the copy read the original's members
    with pytest.raises(
        InputError,
        match=r"bomb\.eval: samples/1_epoch_1\.json: member declares 4194336 bytes decompressed, "
        r"more than 1048576; refusing to read it \(zip bomb\?\)",
    ):
        assay.read(path)
    assert opened == []  # refused from the central directory, before any member is inflated


def test_total_declared_size_is_checked_before_inflating(tmp_path, monkeypatch, opened):
    monkeypatch.setattr(_inspect_zip, "MAX_TOTAL_BYTES", 3 << 20)
    pad = b'{"pad": "' + b"0" * (1 << 20) + b'"}'
    extra = {f"samples/{i}_epoch_1.json": pad for i in range(2, 6)}
    path = _zip_with(INSPECT_EVAL, tmp_path / "many.eval", extra)
    opened.clear()
    with pytest.raises(InputError, match=r"many\.eval: the members to read declare \d+ bytes"):
        assay.read(path)
    assert opened == []


def test_dense_json_member_is_refused_before_parsing(tmp_path, monkeypatch):
    # 500 MB of [0,0,...] compresses below 1 MB and parses into 250M list items (2 GB RSS); the
    # same shape at 1/1000 the size with the value cap lowered to match.
    monkeypatch.setattr(_inspect_zip, "MAX_JSON_VALUES", 100_000)
    dense = b'{"id": 1, "epoch": 1, "pad": [' + b"0," * 250_000 + b"0]}"
    path = _zip_with(INSPECT_EVAL, tmp_path / "dense.eval", {"samples/1_epoch_1.json": dense})
    assert path.stat().st_size < 20_000
    with pytest.raises(
        InputError,
        match=r"dense\.eval: samples/1_epoch_1\.json: member holds up to 250004 JSON values, "
        r"more than 100000; refusing to parse it",
    ):
        assay.read(path)


def test_the_default_value_cap_leaves_real_members_far_below_it():
    with zipfile.ZipFile(INSPECT_EVAL) as zf:
        counts = [sum(zf.read(n).count(c) for c in (b",", b"[", b"{")) for n in zf.namelist()]
    assert max(counts) * 1000 < _inspect_zip.MAX_JSON_VALUES


def test_whole_numbers_beyond_int64_in_table_columns(tmp_path):
    # an item column of integers with one 1e308: was ArrowInvalid from a cast to int64
    rows = [{"model": "a", "item": 1, "score": 1}, {"model": "a", "item": 1e308, "score": 0}]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert assay.read(path).responses.column("item").to_pylist() == ["1", "1e+308"]
    for field, value, expected in (
        ("sample", 1e300, "an integer >= 0"),
        ("step", 2.0**64, "an integer"),
    ):
        rows = [
            {"model": "a", "item": 1, "score": 1, field: 0},
            {"model": "a", "item": 2, "score": 0, field: value},
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        with pytest.raises(
            InputError, match=rf"t.jsonl: line 2: field '{field}': expected {expected}; got"
        ):
            assay.read(path)


def test_lone_surrogates_in_openai_evals_text_are_replaced_and_noted(tmp_path):
    # was: UnicodeEncodeError from pa.array
    out = []
    for line in OPENAI.read_text().splitlines():
        event = json.loads(line)
        if event.get("type") == "match":
            event["data"]["expected"] = "e\ud801"
        out.append(json.dumps(event))
    path = tmp_path / "evals.jsonl"
    path.write_text("\n".join(out) + "\n")
    result = assay.read(path)
    assert set(result.responses.column("target").to_pylist()) == {"e\ufffd"}
    assert result.notes[0].startswith(
        f"{path}: {result.responses.num_rows} text value(s) held lone UTF-16 surrogates"
    )
    assert result.notes[0].endswith("(the first in line 4, field 'target')")
