"""The results store: a DuckDB file of runs and responses; ingest, deduplicate, query.

>>> from assay.store import Store                      # doctest: +SKIP
>>> store = Store()                                    # doctest: +SKIP
>>> store.ingest(["results/"])                         # doctest: +SKIP
>>> matrix = store.matrix("mmlu_pro", "acc")           # doctest: +SKIP
"""

from assay.store._load import load_matrix, load_results
from assay.store._report import IngestedRun, IngestReport
from assay.store._schema import SCHEMA_VERSION
from assay.store._store import STORE_ENV, Store, default_store_path
from assay.store._summary import SUMMARY_SCHEMA, summarize

__all__ = [
    "SCHEMA_VERSION",
    "STORE_ENV",
    "SUMMARY_SCHEMA",
    "IngestReport",
    "IngestedRun",
    "Store",
    "default_store_path",
    "load_matrix",
    "load_results",
    "summarize",
]
