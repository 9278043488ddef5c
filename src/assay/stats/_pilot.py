"""Power planned from pilot data held in a ScoreMatrix (what `assay power --model-a/--model-b` does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from assay._core import InputError, ScoreMatrix
from assay.stats._models import _matrix_clusters
from assay.stats._power import PowerResult
from assay.stats._power_data import power_from_data

__all__ = ["power_from_matrix"]


def power_from_matrix(
    matrix: ScoreMatrix,
    model_a: str,
    model_b: str,
    *,
    cluster_by: str | None = None,
    **options: Any,
) -> PowerResult:
    """:func:`power_from_data` on two rows of a matrix, on the items both models answered.

    Parameters
    ----------
    matrix : ScoreMatrix
    model_a, model_b : str
        The pilot pair.
    cluster_by : {'cluster', 'subject'}, optional
        Estimate the design effect of the matrix's per-item labels.
    **options
        Passed to :func:`power_from_data` (``n`` or ``delta``, ``k``, ``alpha``, ``power``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from assay import ScoreMatrix
    >>> rng = np.random.default_rng(0)
    >>> v = (rng.random((2, 400)) < [[0.6], [0.65]]).astype(float)
    >>> m = ScoreMatrix(models=("a", "b"), items=tuple(map(str, range(400))), values=v)
    >>> res = power_from_matrix(m, "a", "b", n=400)
    >>> res.solved_for, res.n
    ('delta', 400)
    """
    if not isinstance(matrix, ScoreMatrix):
        raise InputError(f"`matrix` must be a ScoreMatrix; got {type(matrix).__name__}.")
    a, b = matrix.row(model_a), matrix.row(model_b)
    both = ~(np.isnan(a).all(axis=1) | np.isnan(b).all(axis=1))
    if both.sum() < 2:
        raise InputError(
            f"{model_a!r} and {model_b!r} share {int(both.sum())} scored item(s); pilot data need 2."
        )
    clusters = None
    if cluster_by is not None:
        clusters = _matrix_clusters(matrix, cluster_by)[both]
    return power_from_data(a[both], b[both], clusters=clusters, **options)
