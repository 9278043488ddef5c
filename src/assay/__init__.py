"""assay: what your evaluation results really say.

>>> import assay
>>> result = assay.read("results/")            # doctest: +SKIP
>>> matrix = assay.build_matrix(result.responses, "mmlu_pro", "acc")  # doctest: +SKIP
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
