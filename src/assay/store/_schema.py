"""The store's tables, made from the Arrow schemas of `assay.io`, and its schema version."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from assay._core import AssayError, InputError, __version__
from assay.io import AGGREGATE_SCHEMA, CORPUS_ITEM_SCHEMA, RESPONSE_SCHEMA, RUN_SCHEMA

__all__ = [
    "AGGREGATE_COLUMNS",
    "CORPUS_ITEM_COLUMNS",
    "KEY",
    "RESPONSE_COLUMNS",
    "RUN_COLUMNS",
    "SCHEMA_VERSION",
    "column_list",
    "init_schema",
    "key_match",
]

SCHEMA_VERSION = 2
"""Version of the store's tables; a store written by a newer assay is refused, not misread.

1: runs, responses. 2: the aggregates and corpus_items tables (issue 15); a version-1 store gains
them, empty, when it is opened (its runs have none until they are ingested again)."""

KEY = ("model", "task", "item", "sample", "metric")
RESPONSE_COLUMNS = tuple(f.name for f in RESPONSE_SCHEMA)
RUN_COLUMNS = tuple(f.name for f in RUN_SCHEMA)
AGGREGATE_COLUMNS = tuple(f.name for f in AGGREGATE_SCHEMA)
CORPUS_ITEM_COLUMNS = tuple(f.name for f in CORPUS_ITEM_SCHEMA)

_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.list_(pa.float64()): "DOUBLE[]",
    pa.bool_(): "BOOLEAN",
}


def column_list(columns: tuple[str, ...], prefix: str = "") -> str:
    """``"a", "b"`` (quoted: ``sample`` and ``input`` are SQL words), optionally ``p."a"``."""
    return ", ".join(f'{prefix}"{c}"' for c in columns)


def key_match(left: str, right: str) -> str:
    """SQL condition that rows ``left`` and ``right`` have the same response key."""
    return " AND ".join(f'{left}."{k}" = {right}."{k}"' for k in KEY)


def _ddl(name: str, schema: pa.Schema) -> str:
    cols = []
    for f in schema:
        sql_type = _SQL_TYPES[f.type]
        cols.append(f'"{f.name}" {sql_type}' + ("" if f.nullable else " NOT NULL"))
    return f"CREATE TABLE {name} ({', '.join(cols)})"


def init_schema(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Create the tables of an empty database, or check that an existing one is a store we read."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if not tables:
        con.begin()
        con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, written_by VARCHAR)")
        con.execute(
            "INSERT INTO schema_version VALUES (?, ?)", [SCHEMA_VERSION, f"assay {__version__}"]
        )
        con.execute(_ddl("runs", RUN_SCHEMA))
        con.execute(_ddl("responses", RESPONSE_SCHEMA))
        con.execute(_ddl("aggregates", AGGREGATE_SCHEMA))
        con.execute(_ddl("corpus_items", CORPUS_ITEM_SCHEMA))
        con.commit()
        return
    if "schema_version" not in tables:
        raise InputError(
            "is a DuckDB database but not an assay results store (it has tables "
            f"{', '.join(sorted(tables))}); choose another path for the store",
            path=path,
        )
    (version,) = con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
    if version is None:
        raise InputError(
            "the results store has an empty schema_version table; it is damaged", path=path
        )
    if version > SCHEMA_VERSION:
        raise AssayError(
            f"the results store {path} has schema version {version}, newer than this assay "
            f"({__version__}) reads (up to {SCHEMA_VERSION}); upgrade assay to use it"
        )
    missing = {"runs", "responses"} - tables
    if version >= 2:
        missing |= {"aggregates", "corpus_items"} - tables
    if missing:
        raise InputError(
            f"the results store lacks its table(s) {', '.join(sorted(missing))}; it is damaged "
            "or was not written by assay",
            path=path,
        )
    if version < 2:
        _migrate_1_to_2(con)


def _migrate_1_to_2(con: duckdb.DuckDBPyConnection) -> None:
    """Add the aggregates and corpus_items tables to a version-1 store, in one transaction."""
    con.begin()
    try:
        con.execute(_ddl("aggregates", AGGREGATE_SCHEMA))
        con.execute(_ddl("corpus_items", CORPUS_ITEM_SCHEMA))
        con.execute("INSERT INTO schema_version VALUES (2, ?)", [f"assay {__version__}"])
        con.commit()
    except BaseException:
        con.rollback()
        raise
