"""Counts and mean scores per (model, task, metric), and per run, computed in DuckDB."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from assay._core import InputError

__all__ = ["RUN_SUMMARY_SQL", "SUMMARY_SCHEMA", "summarize", "summary_sql"]

SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("items", pa.int64(), nullable=False),
        pa.field("scored_items", pa.int64(), nullable=False),
        pa.field("samples", pa.int64(), nullable=False),
        pa.field("responses", pa.int64(), nullable=False),
        pa.field("missing_scores", pa.int64(), nullable=False),
        pa.field("mean_score", pa.float64()),
    ]
)
"""One row per (model, task, metric); see docs/show-json.md for the meaning of each column."""


def summary_sql(source: str) -> str:
    """SQL of the summary of the long table ``source`` (a table or registered Arrow table).

    The mean is over items of each item's mean over its scored samples, so that an item with more
    samples does not weigh more; with one sample per item it is the plain mean. NaN and null
    scores are missing: they count in ``missing_scores`` and not in the mean.
    """
    return f"""
    WITH per_item AS (
        SELECT model, task, metric, item,
               count(DISTINCT "sample") AS n_samples,
               count(*) AS n_responses,
               count(score) FILTER (WHERE NOT isnan(score)) AS n_scored,
               avg(score) FILTER (WHERE NOT isnan(score)) AS item_mean
        FROM {source}
        GROUP BY model, task, metric, item
    )
    SELECT model, task, metric,
           count(*) AS items,
           count(item_mean) AS scored_items,
           max(n_samples) AS samples,
           sum(n_responses)::BIGINT AS responses,
           sum(n_responses - n_scored)::BIGINT AS missing_scores,
           avg(item_mean) AS mean_score
    FROM per_item
    GROUP BY model, task, metric
    ORDER BY model, task, metric
    """


def run_summary(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per (run, task) with the counts that ``assay runs`` shows."""
    return con.sql(RUN_SUMMARY_SQL).to_arrow_table()


RUN_SUMMARY_SQL = """
SELECT ru.run_id, ru.model, ru.task, ru.task_group, ru.harness, ru.harness_version, ru.created,
       ru.source, ru.sha256,
       coalesce(s.items, 0)::BIGINT AS items,
       coalesce(s.samples, 0)::BIGINT AS samples,
       coalesce(s.metrics, []::VARCHAR[]) AS metrics,
       coalesce(s.responses, 0)::BIGINT AS responses,
       coalesce(a.aggregates, 0)::BIGINT AS aggregates
FROM runs ru LEFT JOIN (
    SELECT run_id, task,
           count(DISTINCT item) AS items,
           count(DISTINCT "sample") AS samples,
           list_sort(list(DISTINCT metric)) AS metrics,
           count(*) AS responses
    FROM responses GROUP BY run_id, task
) s ON s.run_id = ru.run_id AND s.task = ru.task
LEFT JOIN (
    SELECT run_id, task, count(*) AS aggregates FROM aggregates GROUP BY run_id, task
) a ON a.run_id = ru.run_id AND a.task = ru.task
ORDER BY ru.run_id, ru.task
"""


def deterministic(con: duckdb.DuckDBPyConnection) -> None:
    """One thread, so that sums are added in the same order every time (byte-identical JSON)."""
    con.execute("SET threads = 1")


def summarize(responses: pa.Table) -> pa.Table:
    """Items, samples, responses, missing scores and mean score per (model, task, metric).

    Parameters
    ----------
    responses : pyarrow.Table
        The long table (:data:`assay.io.RESPONSE_SCHEMA`); only ``model, task, item, sample,
        metric, score`` are used.

    Returns
    -------
    pyarrow.Table
        :data:`SUMMARY_SCHEMA`, sorted by model, task and metric.

    Examples
    --------
    >>> from assay.io import ResponseBuilder
    >>> b = ResponseBuilder()
    >>> for item, score in [("q1", 1.0), ("q2", 0.0), ("q3", 1.0)]:
    ...     b.add(model="m", task="t", item=item, metric="acc", score=score, run_id="r")
    >>> summarize(b.to_table()).to_pylist()[0]["mean_score"]
    0.6666666666666666
    """
    needed = ["model", "task", "item", "sample", "metric", "score"]
    absent = [c for c in needed if c not in responses.column_names]
    if absent:
        raise InputError(f"`responses` lacks column(s) {', '.join(absent)}", field=absent[0])
    con = duckdb.connect()
    try:
        deterministic(con)
        con.register("src", responses.select(needed))
        return con.sql(summary_sql("src")).to_arrow_table().cast(SUMMARY_SCHEMA)
    finally:
        con.close()
