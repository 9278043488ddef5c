"""What `assay.read` says when it finds nothing (issue 23: the formats looked for, and why)."""

import pytest

from assay import read
from assay._core import InputError


def test_an_empty_folder_names_the_formats_looked_for(tmp_path):
    with pytest.raises(
        InputError, match=r"found no results in .*Looked for: lm-evaluation-harness"
    ):
        read(tmp_path)


def test_skipped_files_are_named(tmp_path):
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(InputError, match=r"skipped, no known format: .*x\.json"):
        read(tmp_path)


def test_a_path_that_is_neither_file_nor_folder_is_an_input_error():
    # a character device (Linux, as CI): a path that exists but holds no results
    with pytest.raises(InputError, match=r"/dev/null: is neither a file nor a folder"):
        read("/dev/null")
