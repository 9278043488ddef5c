"""Reader for helm logs (being written; see issue 2)."""

from __future__ import annotations

from pathlib import Path

from assay.io._options import ReadOptions
from assay.io._schema import ReadResult

NAME = "helm"


def claim(path: Path) -> bool:
    """Whether `path` (a file or folder) is in this format; reads at most a few KB."""
    return False


def read(path: Path, options: ReadOptions) -> ReadResult:
    """Read `path` into the long table."""
    raise NotImplementedError(NAME)
