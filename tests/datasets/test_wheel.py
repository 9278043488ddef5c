"""The demo data ships in the wheel: build one from a copy of the tree and list its contents."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_every_data_file_and_the_license(tmp_path):
    # the tests live in the source checkout, so its pyproject.toml is always there
    assert (ROOT / "pyproject.toml").exists()
    src = tmp_path / "tree"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    out = tmp_path / "wheel"
    # No build isolation: the test must not need the network to fetch setuptools.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "-w",
            str(out),
            "--no-deps",
            "--no-build-isolation",
            "-q",
        ],
        check=True,
        cwd=tmp_path,
    )
    spec = importlib.util.spec_from_file_location("check", ROOT / "scripts" / "check_wheel_data.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    (wheel,) = out.glob("assay-*.whl")
    missing, sizes = check.missing_from_wheel(wheel)
    assert missing == []
    assert sizes["files"] > 170  # 163 Pythia files, the parquet, JSON(L) and lm-eval files
