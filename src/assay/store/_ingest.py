"""Write a read result into the store: plan under the lock, then one transaction per run.

Stages (each a function below):

1. ``_prepare``: check the result's tables, resolve duplicates inside it, split it by run.
2. ``_plan``: against the runs already stored, decide for each run whether it is already present
   (same content: skip), replaces an older version of the same file, or conflicts.
3. ``_check_duplicates``: responses that the store already holds from another source follow
   ``on_duplicate``; with ``'raise'`` nothing is written.
4. ``_write_run``: one transaction per run, so a crash or kill leaves no partial run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import InputError
from assay.io import (
    AGGREGATE_SCHEMA,
    CORPUS_ITEM_SCHEMA,
    RESPONSE_SCHEMA,
    RUN_SCHEMA,
    ReadResult,
    resolve_duplicates,
)
from assay.store._report import IngestedRun, IngestReport
from assay.store._schema import (
    AGGREGATE_COLUMNS,
    CORPUS_ITEM_COLUMNS,
    KEY,
    RESPONSE_COLUMNS,
    RUN_COLUMNS,
    column_list,
    key_match,
)

__all__ = ["add_result"]

Progress = Callable[[str], None] | None


@dataclasses.dataclass
class _Run:
    run_id: str
    runs: pa.Table  # this run's rows of the runs table
    responses: pa.Table  # this run's rows of the long table
    source: str
    sha256: str
    superseded: tuple[str, ...] = ()  # stored runs of an older version of the same file
    skip_reason: str = ""
    aggregates: pa.Table = dataclasses.field(default_factory=AGGREGATE_SCHEMA.empty_table)
    corpus_items: pa.Table = dataclasses.field(default_factory=CORPUS_ITEM_SCHEMA.empty_table)

    def record(self, responses: int, reason: str = "") -> IngestedRun:
        return IngestedRun(
            run_id=self.run_id,
            models=tuple(sorted(set(self.runs.column("model").to_pylist()))),
            tasks=tuple(sorted(set(self.runs.column("task").to_pylist()))),
            harness=self.runs.column("harness")[0].as_py(),
            source=self.source,
            sha256=self.sha256,
            responses=responses,
            reason=reason,
        )


def add_result(
    con: duckdb.DuckDBPyConnection,
    result: ReadResult,
    *,
    store: str,
    on_duplicate: str,
    progress: Progress,
) -> IngestReport:
    """Write ``result`` into the store open on ``con`` (the caller holds the store's lock)."""
    runs, notes = _prepare(result, on_duplicate=on_duplicate)
    to_add, skipped = _plan(con, runs)
    notes.extend(_check_duplicates(con, to_add, on_duplicate=on_duplicate))
    added = []
    replaced: list[str] = []
    for run in skipped:
        if progress is not None:
            progress(f"skipped {run.run_id}: already in the store")
    for run in to_add:
        n, run_notes = _write_run(con, run, on_duplicate=on_duplicate)
        reason = (
            f"replaces {', '.join(run.superseded)} (the file changed since it was ingested)"
            if run.superseded
            else ""
        )
        added.append(run.record(n, reason))
        replaced.extend(r for r in run.superseded if r not in replaced)
        notes.extend(run_notes)
        if progress is not None:
            progress(f"added {run.run_id}: {n:,} responses")
    return IngestReport(
        store=store,
        added=tuple(added),
        skipped=tuple(s.record(s.responses.num_rows, s.skip_reason) for s in skipped),
        replaced=tuple(replaced),
        notes=tuple(notes),
    )


# -- 1. prepare ---------------------------------------------------------------------------------


def _conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    names = set(table.column_names)
    missing = [f.name for f in schema if f.name not in names]
    if missing:
        raise InputError(f"the {what} table lacks column(s) {', '.join(missing)}", field=missing[0])
    table = table.select([f.name for f in schema])
    for f in schema:
        if not f.nullable and table.column(f.name).null_count:
            raise InputError(
                f"the {what} table has empty values in a required column", field=f.name
            )
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise InputError(f"the {what} table does not have the expected types: {exc}") from None


def _absolute(source: str) -> str:
    """Sources are stored as absolute paths when they are paths, so that a later ingest from
    another working directory recognises the same file."""
    if os.path.isabs(source) or not os.path.exists(source):
        return source
    return os.path.abspath(source)


def _prepare(result: ReadResult, *, on_duplicate: str) -> tuple[list[_Run], list[str]]:
    responses = _conform(result.responses, RESPONSE_SCHEMA, "responses")
    run_table = _conform(result.runs, RUN_SCHEMA, "runs")
    responses, notes = resolve_duplicates(responses, run_table, on_duplicate=on_duplicate)
    notes = list(result.notes) + notes
    aggregates = _conform(result.aggregates, AGGREGATE_SCHEMA, "aggregates")
    corpus = _conform(result.corpus_items, CORPUS_ITEM_SCHEMA, "corpus_items")
    known = set(run_table.column("run_id").to_pylist())
    for name, table in (
        ("responses", responses),
        ("aggregates", aggregates),
        ("corpus_items", corpus),
    ):
        orphans = sorted(set(table.column("run_id").unique().to_pylist()) - known)
        if orphans:
            raise InputError(
                f"{name} name run(s) {', '.join(orphans[:5])} that the runs table lacks",
                field="run_id",
            )
    by_run = _split(responses)
    agg_by_run = _split(aggregates)
    corpus_by_run = _split(corpus)
    runs: list[_Run] = []
    for run_id in dict.fromkeys(run_table.column("run_id").to_pylist()):
        rows = run_table.filter(pc.equal(run_table.column("run_id"), run_id))
        sources = set(rows.column("source").to_pylist())
        shas = set(rows.column("sha256").to_pylist())
        if len(sources) > 1 or len(shas) > 1:
            raise InputError(
                f"run {run_id!r} has several sources or hashes in the runs table: "
                f"{', '.join(sorted(sources | shas))}",
                field="source",
            )
        source = _absolute(sources.pop())
        rows = rows.set_column(
            RUN_COLUMNS.index("source"), "source", pa.array([source] * rows.num_rows, pa.string())
        )
        empty = RESPONSE_SCHEMA.empty_table()
        run = _Run(run_id, rows.cast(RUN_SCHEMA), by_run.get(run_id, empty), source, shas.pop())
        if run_id in agg_by_run:
            run.aggregates = agg_by_run[run_id]
        if run_id in corpus_by_run:
            run.corpus_items = corpus_by_run[run_id]
        runs.append(run)
    return runs, notes


def _split(responses: pa.Table) -> dict[str, pa.Table]:
    """The rows of a table with a run_id column grouped by run, each group in its original order."""
    if responses.num_rows == 0:
        return {}
    encoded = pc.dictionary_encode(responses.column("run_id")).combine_chunks()
    codes = np.asarray(encoded.indices, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    out = {}
    for chunk in np.split(order, bounds):
        out[encoded.dictionary[int(codes[chunk[0]])].as_py()] = responses.take(pa.array(chunk))
    return out


# -- 2. plan --------------------------------------------------------------------------------------


def _plan(con: duckdb.DuckDBPyConnection, runs: list[_Run]) -> tuple[list[_Run], list[_Run]]:
    stored = con.execute("SELECT run_id, model, task, source, sha256 FROM runs").fetchall()
    content = {(sha, model, task): (run_id, source) for run_id, model, task, source, sha in stored}
    by_id = {run_id: (source, sha) for run_id, _, _, source, sha in stored}
    to_add, skipped = [], []
    for run in runs:
        keys = [
            (run.sha256, m, t)
            for m, t in zip(run.runs["model"].to_pylist(), run.runs["task"].to_pylist())
        ]
        if all(k in content for k in keys):
            old_id, old_source = content[keys[0]]
            where = "" if old_source == run.source else f", read from {old_source}"
            run.skip_reason = f"already in the store as run {old_id} (same content, sha256 {run.sha256[:12]}{where})"
            skipped.append(run)
            continue
        run.superseded = tuple(
            sorted(
                {
                    run_id
                    for run_id, (source, sha) in by_id.items()
                    if os.path.isabs(source) and source == run.source and sha != run.sha256
                }
            )
        )
        if run.run_id in by_id and run.run_id not in run.superseded:
            raise InputError(
                f"run id {run.run_id!r} is already in the store, read from {by_id[run.run_id][0]} "
                f"with different content; remove it first (assay rm {run.run_id}) or store "
                "this run elsewhere (--store)",
                path=run.source,
            )
        to_add.append(run)
    return to_add, skipped


# -- 3. duplicates against the store --------------------------------------------------------------


def _check_duplicates(
    con: duckdb.DuckDBPyConnection, runs: list[_Run], *, on_duplicate: str
) -> list[str]:
    """Raise (``'raise'``) before anything is written when the store already holds some of the
    incoming responses from another source; otherwise say how many will be resolved."""
    if not runs:
        return []
    incoming = pa.concat_tables([r.responses for r in runs])
    replaced = sorted({old for r in runs for old in r.superseded})
    key_cols = column_list(KEY, "i.")
    con.register("incoming", incoming.select([*KEY, "run_id"]))
    try:
        rows = con.execute(
            f"""
            SELECT count(*) OVER () AS n, {key_cols}, i.run_id, r.run_id
            FROM incoming i JOIN responses r ON {key_match("i", "r")}
            WHERE NOT list_contains($replaced, r.run_id)
            ORDER BY {key_cols}, r.run_id
            LIMIT 1
            """,
            {"replaced": replaced},
        ).fetchall()
    finally:
        con.unregister("incoming")
    if not rows:
        return []
    n, *key, new_id, old_id = rows[0]
    if on_duplicate != "raise":
        return []  # counted per run by _write_run
    sources = {r.run_id: r.source for r in runs}
    (old_source,) = con.execute(
        "SELECT any_value(source) FROM runs WHERE run_id = ?", [old_id]
    ).fetchall()[0]
    shown = ", ".join(f"{k}={v!r}" for k, v in zip(KEY, key, strict=True))
    raise InputError(
        f"{n:,} response(s) are already in the store from another source; the first is "
        f"({shown}), in {sources[new_id]} (run {new_id}) and in {old_source} (run {old_id}). "
        "Nothing was written. Pass on_duplicate='first' to keep the stored responses or "
        "'last' to replace them with the new ones (--on-duplicate first|last)."
    )


# -- 4. write one run -------------------------------------------------------------------------------


def _write_run(
    con: duckdb.DuckDBPyConnection, run: _Run, *, on_duplicate: str
) -> tuple[int, list[str]]:
    """Write one run in one transaction; return the responses written and notes."""
    cols = column_list(RESPONSE_COLUMNS)
    notes: list[str] = []
    con.register("incoming_run", run.responses)
    con.register("incoming_runs", run.runs)
    con.register("incoming_aggregates", run.aggregates)
    con.register("incoming_corpus", run.corpus_items)
    try:
        con.begin()
        try:
            for old in run.superseded:
                con.execute("DELETE FROM responses WHERE run_id = ?", [old])
                con.execute("DELETE FROM aggregates WHERE run_id = ?", [old])
                con.execute("DELETE FROM corpus_items WHERE run_id = ?", [old])
                con.execute("DELETE FROM runs WHERE run_id = ?", [old])
            if on_duplicate == "first":
                (n,) = con.execute(
                    f"""INSERT INTO responses ({cols}) SELECT {column_list(RESPONSE_COLUMNS, "i.")}
                    FROM incoming_run i
                    WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE {key_match("i", "r")})"""
                ).fetchall()[0]
                if n < run.responses.num_rows:
                    notes.append(
                        f"run {run.run_id}: {run.responses.num_rows - n:,} response(s) already in "
                        "the store from another source were kept and the new ones left out "
                        "(on_duplicate='first')"
                    )
            else:
                if on_duplicate == "last":
                    notes.extend(_replace_stored(con, run))
                (n,) = con.execute(
                    f"INSERT INTO responses ({cols}) SELECT {cols} FROM incoming_run"
                ).fetchall()[0]
            con.execute(
                f"INSERT INTO runs ({column_list(RUN_COLUMNS)}) "
                f"SELECT {column_list(RUN_COLUMNS)} FROM incoming_runs"
            )
            con.execute(
                f"INSERT INTO aggregates ({column_list(AGGREGATE_COLUMNS)}) "
                f"SELECT {column_list(AGGREGATE_COLUMNS)} FROM incoming_aggregates"
            )
            con.execute(
                f"INSERT INTO corpus_items ({column_list(CORPUS_ITEM_COLUMNS)}) "
                f"SELECT {column_list(CORPUS_ITEM_COLUMNS)} FROM incoming_corpus"
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.unregister("incoming_run")
        con.unregister("incoming_runs")
        con.unregister("incoming_aggregates")
        con.unregister("incoming_corpus")
    return int(n), notes


def _replace_stored(con: duckdb.DuckDBPyConnection, run: _Run) -> list[str]:
    """``on_duplicate='last'``: delete the stored responses that the run's rows replace."""
    losers = con.execute(
        f"""SELECT r.run_id, count(*) FROM responses r JOIN incoming_run i ON {key_match("r", "i")}
        GROUP BY r.run_id ORDER BY r.run_id"""
    ).fetchall()
    if not losers:
        return []
    con.execute(f"DELETE FROM responses r USING incoming_run i WHERE {key_match('r', 'i')}")
    counts = ", ".join(f"{n:,} of run {rid}" for rid, n in losers)
    return [
        f"run {run.run_id}: replaced responses already in the store from other sources "
        f"({counts}) with its own (on_duplicate='last')"
    ]
