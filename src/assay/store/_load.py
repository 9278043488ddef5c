"""The one way into the data: results files or folders, or the store, for every command and the report.

Every command that reads results and :func:`assay.report.write_report` call :func:`load_results`
(the whole long table) or :func:`load_matrix` (one task and metric, item sets aligned by
:meth:`assay.ScoreMatrix.common`), so that the same inputs and options give the same data
everywhere.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from assay._core import InputError, ScoreMatrix
from assay.io import MissingItemsWarning, ReadResult, build_matrix, read
from assay.store._store import Store, default_store_path

__all__ = ["load_matrix", "load_results"]


def load_results(
    sources: Any = None,
    *,
    store: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    **read_options: Any,
) -> ReadResult:
    """What a command or report reads: files or folders (``sources``), or a results store.

    Parameters
    ----------
    sources : path, DataFrame or a list of them, optional
        Results files or folders of any supported format (see :func:`assay.read`).
    store : path, optional
        A results store (DuckDB file). When neither is given, the default store
        (``$ASSAY_STORE`` or ``.assay/results.duckdb``) is read and must exist.
    progress : callable, optional
        Called with each source path before it is read.
    **read_options
        Options of :func:`assay.read` (``column_map``, ``cluster_field``, ...); files only.

    Returns
    -------
    ReadResult
    """
    if _given(sources) and store is not None:
        raise InputError("give RESULTS files or --store, not both.")
    if _given(sources):
        return read(sources, progress=progress, **read_options)
    path = store if store is not None else default_store_path()
    with Store(path, create=False) as st:
        return st.read_result()


def load_matrix(
    result: ReadResult,
    task: str | None = None,
    metric: str | None = None,
    *,
    models: Sequence[str] | None = None,
    align: str = "raise",
) -> ScoreMatrix:
    """One task and metric of ``result`` as a :class:`~assay.ScoreMatrix`, item sets aligned once.

    ``align`` is that of :func:`assay.build_matrix` (``'raise'``, ``'intersect'`` or ``'keep'``);
    the matrix's ``missing``, ``dropped_items`` and ``set_aside`` say what alignment left out, for
    the command to print.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingItemsWarning)  # the caller states what was left out
        return build_matrix(
            result.responses,
            task,
            metric,
            align=align,
            models=None if models is None else list(models),
        )


def _given(sources: Any) -> bool:
    if sources is None:
        return False
    if isinstance(sources, (list, tuple)):
        return len(sources) > 0
    return True
