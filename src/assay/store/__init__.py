r"""The results store: a DuckDB file of runs and responses; ingest, deduplicate, query.

>>> from pathlib import Path
>>> from assay.store import Store
>>> Path("results").mkdir(exist_ok=True)          # your harness's logs; here a small table
>>> _ = Path("results/scores.csv").write_text(
...     "model,task,item,metric,score\n"
...     "a,mmlu_pro,q1,acc,1\na,mmlu_pro,q2,acc,0\nb,mmlu_pro,q1,acc,1\nb,mmlu_pro,q2,acc,1\n"
... )
>>> with Store("results.duckdb") as store:        # Store() alone: .assay/results.duckdb
...     report = store.ingest(["results/"])
...     matrix = store.matrix("mmlu_pro", "acc")
>>> len(report.added), report.n_responses
(2, 4)
>>> matrix
ScoreMatrix(task='mmlu_pro', metric='acc', models=2, items=2, samples=1)
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
