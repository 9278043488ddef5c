"""`assay.io.read_rows`: the plain tables of the label commands, and their errors."""

import gzip
import json

import pytest

from assay import InputError
from assay.io import read_rows


def test_formats_give_the_same_rows(tmp_path):
    (tmp_path / "t.tsv").write_text("a\tb\n1\tx\n2\t\n")
    (tmp_path / "t.json").write_text(json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": None}]))
    with gzip.open(tmp_path / "t.jsonl.gz", "wt") as fh:
        fh.write('{"a": 1, "b": "x"}\n\n{"a": 2}\n')
    for name in ("t.tsv", "t.json", "t.jsonl.gz"):
        t = read_rows(tmp_path / name)
        assert t.numbers("a") == [1.0, 2.0], name
        assert t.text("b", missing="keep") == ["x", None], name
    assert read_rows(tmp_path / "t.jsonl.gz").lines == (1, 3)  # blank line skipped, counted


@pytest.mark.parametrize(
    ("name", "text", "call", "message"),
    [
        ("t.csv", "", None, "t.csv: line 1: the table is empty (no header line)."),
        ("t.csv", "a,a\n1,2\n", None, "repeated column names"),
        ("t.csv", "a\n", None, "the table has no rows."),
        ("t.json", "[1, 2]", None, "line 1: expected a list of JSON objects; item 1 is int."),
        ("t.jsonl", '{"a": 1}\n[1]\n', None, "line 2: expected a JSON object per line; got list."),
        ("t.csv", "a\nnan\n", ("numbers", "a"), "line 2: field 'a': empty value."),
        ("t.csv", "a\ninf\n", ("numbers", "a"), "line 2: field 'a': expected a finite number"),
        ("t.json", '[{"a": true}]', ("numbers", "a"), "field 'a': expected a number; got 'True'."),
        ("t.json", '[{"a": [1]}]', ("text", "a"), "field 'a': expected a single value; got list."),
    ],
)
def test_errors_name_file_line_and_field(tmp_path, name, text, call, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as exc:
        t = read_rows(tmp_path / name)
        getattr(t, call[0])(call[1])
    assert message in str(exc.value)


def test_binary_file_is_refused(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"a\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_rows(tmp_path / "t.csv")
