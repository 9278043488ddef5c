"""Where the report's files go: a folder given as a file is a clear error (issue 14)."""

from __future__ import annotations

from click.testing import CliRunner

from assay.cli import main


def test_output_that_is_a_folder_is_a_one_line_error(tmp_path):
    from assay import datasets

    data = tmp_path / "mmlu.parquet"
    import pyarrow.parquet as pq

    pq.write_table(datasets.mmlu_pro().slice(0, 2000), data)
    folder = tmp_path / "out"
    folder.mkdir()
    res = CliRunner().invoke(main, ["report", str(data), "-o", str(folder)])
    assert res.exit_code == 2
    assert "is a folder; give a file name" in res.output and "Traceback" not in res.output
