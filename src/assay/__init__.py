r"""assay: what your evaluation results really say.

>>> import assay
>>> from pathlib import Path
>>> Path("results").mkdir(exist_ok=True)          # your harness's logs; here a small table
>>> _ = Path("results/scores.csv").write_text(
...     "model,task,item,metric,score\n"
...     "a,mmlu_pro,q1,acc,1\na,mmlu_pro,q2,acc,0\na,mmlu_pro,q3,acc,1\n"
...     "b,mmlu_pro,q1,acc,1\nb,mmlu_pro,q2,acc,1\nb,mmlu_pro,q3,acc,1\n"
... )
>>> result = assay.read("results/")               # any supported format, detected per file
>>> matrix = assay.build_matrix(result.responses, "mmlu_pro", "acc")
>>> matrix
ScoreMatrix(task='mmlu_pro', metric='acc', models=2, items=3, samples=1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assay._core import (
    AssayError,
    DegenerateDataWarning,
    InputError,
    ScoreMatrix,
    StoreLockedError,
    __version__,
)
from assay.io import ReadResult, build_matrix, read

if TYPE_CHECKING:  # pragma: no cover
    from assay.store import Store

__all__ = [
    "AssayError",
    "DegenerateDataWarning",
    "InputError",
    "ReadResult",
    "ScoreMatrix",
    "Store",
    "StoreLockedError",
    "__version__",
    "build_matrix",
    "datasets",
    "read",
]


def __getattr__(name: str) -> Any:
    # The store (DuckDB) and the datasets load only when used.
    if name == "Store":
        from assay.store import Store

        return Store
    if name == "datasets":
        import assay.datasets as datasets

        return datasets
    raise AttributeError(f"module 'assay' has no attribute {name!r}")
