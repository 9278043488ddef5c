"""`Store`: a DuckDB file of runs and responses."""

from __future__ import annotations

import inspect
import numbers
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from assay._core import AssayError, InputError, ScoreMatrix
from assay._core._validation import check_choice
from assay.io import (
    AGGREGATE_SCHEMA,
    CORPUS_ITEM_SCHEMA,
    RESPONSE_SCHEMA,
    RUN_SCHEMA,
    ReadResult,
    build_matrix,
    read,
)
from assay.store._ingest import add_result
from assay.store._lock import connect, store_lock
from assay.store._report import IngestReport
from assay.store._schema import (
    AGGREGATE_COLUMNS,
    CORPUS_ITEM_COLUMNS,
    RESPONSE_COLUMNS,
    RUN_COLUMNS,
    column_list,
    init_schema,
)
from assay.store._summary import RUN_SUMMARY_SQL, SUMMARY_SCHEMA, deterministic, summary_sql

__all__ = ["STORE_ENV", "Store", "default_store_path"]

STORE_ENV = "ASSAY_STORE"

_READ_OPTIONS = tuple(
    name
    for name in inspect.signature(read).parameters
    if name not in ("paths", "on_duplicate", "progress")
)
_ORDER = 'ORDER BY model, task, item, "sample", metric, run_id'


def default_store_path() -> str:
    """``$ASSAY_STORE``, or ``.assay/results.duckdb`` under the working directory."""
    return os.environ.get(STORE_ENV) or os.path.join(os.getcwd(), ".assay", "results.duckdb")


class Store:
    """A results store: the runs and the long table of responses in one DuckDB file.

    The store holds no connection and no lock between calls: each call opens the file, takes
    the store's lock (waiting up to ``timeout`` seconds while another process has it), does its
    work and lets go. So several processes can share one store; their writes take turns.

    Parameters
    ----------
    path : str or path-like, optional
        The DuckDB file. Default: ``$ASSAY_STORE``, or ``.assay/results.duckdb`` under the working
        directory. Its folder is created when needed.
    timeout : float, default 30.0
        Seconds to wait for another process that is using the store before raising
        :class:`~assay.StoreLockedError`.
    create : bool, default True
        Create the store when the file does not exist; when False, raise instead.

    Raises
    ------
    InputError
        ``path`` is a folder, is not a DuckDB file, holds a database that is not a store, or does
        not exist and ``create=False``.
    StoreLockedError
        Another process held the store for longer than ``timeout``.

    Examples
    --------
    >>> import tempfile, os
    >>> from assay.store import Store
    >>> with Store(os.path.join(tempfile.mkdtemp(), "results.duckdb")) as store:
    ...     store.runs().num_rows
    0
    """

    def __init__(
        self, path: str | os.PathLike | None = None, *, timeout: float = 30.0, create: bool = True
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout >= 0:
            raise InputError(f"`timeout` must be a number of seconds >= 0; got {timeout!r}.")
        self.path = os.path.abspath(os.fspath(path) if path is not None else default_store_path())
        self.timeout = float(timeout)
        self._closed = False
        if os.path.isdir(self.path):
            raise InputError(
                "is a folder; the store is a file (e.g. results.duckdb)", path=self.path
            )
        if not os.path.exists(self.path):
            if not create:
                raise InputError(
                    "no results store here; add results first with `assay ingest PATH...`",
                    path=self.path,
                )
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with self._session() as con:
            init_schema(con, self.path)

    # -- sessions -------------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._closed:
            raise AssayError(f"the store {self.path} is closed")
        with store_lock(self.path, timeout=self.timeout) as (start, deadline):
            con = connect(self.path, start=start, deadline=deadline, timeout=self.timeout)
            try:
                yield con
            finally:
                con.close()

    def close(self) -> None:
        """Close the store; later calls raise. (No connection is held between calls.)"""
        self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r}{', closed' if self._closed else ''})"

    # -- writing --------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Any,
        *,
        on_duplicate: str = "raise",
        progress: Callable[[str], None] | None = None,
        **read_options: Any,
    ) -> IngestReport:
        """Read results files or folders and add their runs to the store.

        Each run is written in its own transaction, so an ingest that crashes or is killed
        leaves every run either whole or absent; running it again adds the rest. A run whose
        source has the same content (SHA-256) as a run already stored is skipped and reported.
        When a file that was ingested before has changed, its new content replaces the old run.

        Parameters
        ----------
        paths : path, DataFrame, or a list of them
            What :func:`assay.read` accepts.
        on_duplicate : {'newest', 'raise', 'first', 'last'}, default 'raise'
            Two responses for the same (model, task, item, sample, metric), within the input or
            between the input and a run of another source already stored: raise naming both
            sources (nothing is written), keep the one read or stored first, or the last one.
            ``'newest'`` applies to the files read (a rerun into the same output folder keeps
            its newest run, as :func:`assay.read` does); against runs already stored it then
            raises, as ``'raise'`` does.
        progress : callable, optional
            Called with a short message as each source is read and each run is written.
        **read_options
            Passed to :func:`assay.read` (``format``, ``model``, ``cluster_field``,
            ``subject_field``, ``column_map``, ``task``, ``metric``, ``wide``).

        Returns
        -------
        IngestReport
            The runs added and skipped, and the reader's notes.
        """
        check_choice(on_duplicate, "on_duplicate", ("newest", "raise", "first", "last"))
        unknown = sorted(set(read_options) - set(_READ_OPTIONS))
        if unknown:
            raise InputError(
                f"unknown read option(s) {', '.join(unknown)}; valid: {', '.join(_READ_OPTIONS)}."
            )
        reading = None if progress is None else (lambda p: progress(f"reading {p}"))
        result = read(paths, on_duplicate=on_duplicate, progress=reading, **read_options)
        stored = "raise" if on_duplicate == "newest" else on_duplicate
        return self.add(result, on_duplicate=stored, progress=progress)

    def add(
        self,
        result: ReadResult,
        *,
        on_duplicate: str = "raise",
        progress: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Add the runs of a :class:`~assay.io.ReadResult` (what :func:`assay.read` returns).

        Same rules as :meth:`ingest`, which reads and then calls this.
        """
        check_choice(on_duplicate, "on_duplicate", ("raise", "first", "last"))
        if not isinstance(result, ReadResult):
            raise InputError(
                f"`result` must be an assay.io.ReadResult; got {type(result).__name__}."
            )
        with self._session() as con:
            return add_result(
                con, result, store=self.path, on_duplicate=on_duplicate, progress=progress
            )

    def remove(self, run_id: str) -> int:
        """Remove a run, its responses, aggregates and corpus items; return how many responses
        were removed.

        Raises
        ------
        InputError
            No run has this id.
        """
        if not isinstance(run_id, str):
            raise InputError(f"`run_id` must be a string; got {run_id!r}.")
        with self._session() as con:
            (found,) = con.execute(
                "SELECT count(*) FROM runs WHERE run_id = ?", [run_id]
            ).fetchall()[0]
            if not found:
                near = [
                    r
                    for (r,) in con.execute(
                        "SELECT DISTINCT run_id FROM runs ORDER BY jaro_winkler_similarity(run_id, ?) "
                        "DESC, run_id LIMIT 3",
                        [run_id],
                    ).fetchall()
                ]
                hint = f"; closest: {', '.join(near)}" if near else "; the store has no runs"
                raise InputError(
                    f"no run {run_id!r} in the store {self.path}{hint}", field="run_id"
                )
            con.begin()
            try:
                (n,) = con.execute("DELETE FROM responses WHERE run_id = ?", [run_id]).fetchall()[0]
                con.execute("DELETE FROM aggregates WHERE run_id = ?", [run_id])
                con.execute("DELETE FROM corpus_items WHERE run_id = ?", [run_id])
                con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
                con.commit()
            except BaseException:
                con.rollback()
                raise
        return int(n)

    # -- reading --------------------------------------------------------------------------------

    def responses(
        self, models: str | Iterable[str] | None = None, tasks: str | Iterable[str] | None = None
    ) -> pa.Table:
        """The long table (:data:`assay.io.RESPONSE_SCHEMA`), sorted by model, task, item, sample,
        metric and run, optionally only some models and tasks."""
        where, params = _filters(models=models, tasks=tasks)
        sql = f"SELECT {column_list(RESPONSE_COLUMNS)} FROM responses {where} {_ORDER}"
        with self._session() as con:
            return con.sql(sql, params=params).to_arrow_table().cast(RESPONSE_SCHEMA)

    def aggregates(
        self, models: str | Iterable[str] | None = None, tasks: str | Iterable[str] | None = None
    ) -> pa.Table:
        """The aggregate table (:data:`assay.io.AGGREGATE_SCHEMA`): what the harnesses reported,
        sorted by model, task, metric, step and run, optionally only some models and tasks."""
        where, params = _filters(models=models, tasks=tasks)
        sql = (
            f"SELECT {column_list(AGGREGATE_COLUMNS)} FROM aggregates {where} "
            "ORDER BY model, task, metric, step NULLS FIRST, run_id"
        )
        with self._session() as con:
            return con.sql(sql, params=params).to_arrow_table().cast(AGGREGATE_SCHEMA)

    def corpus_items(self) -> pa.Table:
        """The per-item (gold, prediction) pairs of corpus-level metrics
        (:data:`assay.io.CORPUS_ITEM_SCHEMA`), sorted by run, task, metric and item."""
        sql = (
            f"SELECT {column_list(CORPUS_ITEM_COLUMNS)} FROM corpus_items "
            "ORDER BY run_id, task, metric, item"
        )
        with self._session() as con:
            return con.sql(sql).to_arrow_table().cast(CORPUS_ITEM_SCHEMA)

    def read_result(self) -> ReadResult:
        """Everything in the store as a :class:`~assay.io.ReadResult` (responses, runs,
        aggregates and corpus items), as :func:`assay.read` gives it from files."""
        return ReadResult(
            self.responses(),
            self.runs(),
            [],
            [f"store:{os.path.basename(self.path)}"],
            self.aggregates(),
            self.corpus_items(),
        )

    def runs(self) -> pa.Table:
        """The runs table (:data:`assay.io.RUN_SCHEMA`), one row per (run, task), sorted."""
        with self._session() as con:
            return (
                con.sql(f"SELECT {column_list(RUN_COLUMNS)} FROM runs ORDER BY run_id, task")
                .to_arrow_table()
                .cast(RUN_SCHEMA)
            )

    def run_summary(self) -> pa.Table:
        """One row per (run, task): the run's metadata with its items, samples, metrics and
        number of responses (what ``assay runs`` shows)."""
        with self._session() as con:
            return con.sql(RUN_SUMMARY_SQL).to_arrow_table()

    def summary(self) -> pa.Table:
        """Items, samples, missing scores and mean score per (model, task, metric); see
        :func:`assay.store.summarize`."""
        with self._session() as con:
            deterministic(con)
            return con.sql(summary_sql("responses")).to_arrow_table().cast(SUMMARY_SCHEMA)

    def matrix(
        self,
        task: str | None = None,
        metric: str | None = None,
        *,
        align: str | None = None,
        models: list[str] | None = None,
        missing: str | None = None,
    ) -> ScoreMatrix:
        """The scores of one task and metric as a :class:`~assay.ScoreMatrix`.

        Parameters are those of :func:`assay.io.build_matrix`; ``task`` and ``metric`` may be
        omitted when the store holds only one.
        """
        if align is not None or missing is not None:
            check_choice(align or missing, "align", ("raise", "intersect", "keep"))
        cols = ("model", "task", "item", "sample", "metric", "score", "cluster", "subject")
        with self._session() as con:
            pairs = con.execute("SELECT DISTINCT task, metric FROM responses").fetchall()
            task = _pick([t for t, _ in pairs], task, "task", "")
            metric = _pick(
                [m for t, m in pairs if t == task], metric, "metric", f" of task {task!r}"
            )
            table = con.sql(
                f"SELECT {column_list(cols)} FROM responses WHERE task = $task AND metric = $metric",
                params={"task": task, "metric": metric},
            ).to_arrow_table()
        return build_matrix(table, task, metric, align=align, missing=missing, models=models)


def _pick(levels: list[str], value: str | None, name: str, context: str) -> str:
    levels = sorted(set(levels))
    if value is None:
        if len(levels) == 1:
            return levels[0]
        if not levels:
            raise InputError(f"the store holds no responses{context}.")
        raise InputError(
            f"several {name}s{context}; choose one of: {', '.join(levels)}.", field=name
        )
    if value not in levels:
        shown = ", ".join(levels) if levels else "none"
        raise InputError(
            f"{name} {value!r} not in the store{context}; available: {shown}.", field=name
        )
    return value


def _names(value: str | Iterable[str] | None, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        values = list(value)
    except TypeError:
        raise InputError(
            f"`{name}` must be a string or a list of strings; got {value!r}."
        ) from None
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise InputError(f"`{name}` must hold strings; got {bad[0]!r}.")
    return values


def _filters(**columns: Any) -> tuple[str, dict[str, list[str]]]:
    clauses, params = [], {}
    for key, value in columns.items():
        names = _names(value, key)
        if names is not None:
            column = key[:-1]  # models -> model
            clauses.append(f"list_contains(${key}, {column})")
            params[key] = names
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
