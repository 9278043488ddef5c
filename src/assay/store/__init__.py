"""The results store: a DuckDB file of runs and responses (being written; see issue 2)."""

__all__: list[str] = []
