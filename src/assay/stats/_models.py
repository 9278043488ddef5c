"""The models-by-items input shared by rank intervals, the leaderboard and all-pairs tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core import InputError, ScoreMatrix
from assay._core._validation import check_array, check_choice
from assay.stats._bootstrap import _encode_clusters

# --------------------------------------------------------------------------------------------
# Validation shared by rank_intervals, leaderboard and pairwise
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Models:
    x: np.ndarray  # (m, n) item means
    names: tuple[str, ...]
    codes: np.ndarray | None
    binary: bool
    task: str = ""
    metric: str = ""
    bounded: bool = False


def _models_iv(scores: Any, models: Any, clusters: Any, cluster_by: str | None) -> _Models:
    """Item-mean score matrix, model names, cluster codes, and whether the scores are binary."""
    task = metric = ""
    if isinstance(scores, ScoreMatrix):
        if models is not None:
            absent = sorted(set(models) - set(scores.models))
            if absent:
                raise InputError(
                    f"model(s) {', '.join(map(repr, absent))} are not in the matrix; it has: "
                    f"{', '.join(scores.models)}."
                )
            scores = scores.subset(models=list(models))
        if cluster_by is not None:
            if clusters is not None:
                raise InputError("give `clusters` or `cluster_by`, not both.")
            clusters = _matrix_clusters(scores, cluster_by)
        names, values, task, metric = scores.models, scores.values, scores.task, scores.metric
    else:
        if cluster_by is not None:
            raise InputError("`cluster_by` needs a ScoreMatrix; pass `clusters` with an array.")
        values = check_array(scores, "scores", ndim=(2, 3), allow_nan=True)
        names = (
            tuple(f"model_{i}" for i in range(values.shape[0]))
            if models is None
            else tuple(map(str, models))
        )
        if len(names) != values.shape[0]:
            raise InputError(
                f"`models` must name every row of `scores` ({values.shape[0]}); got {len(names)}."
            )
        if len(set(names)) != len(names):
            raise InputError("`models` contains duplicates.")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    if values.shape[0] < 2:
        raise InputError(f"`scores` must hold at least 2 models; got {values.shape[0]}.")
    if values.shape[1] < 2:
        raise InputError(f"`scores` must hold at least 2 items; got {values.shape[1]}.")
    gaps = np.isnan(values).all(axis=2)
    if gaps.any():
        worst = int(np.argmax(gaps.sum(axis=1)))
        raise InputError(
            f"{int(gaps.any(axis=0).sum())} item(s) lack a score for some model (e.g. {names[worst]!r} "
            f"lacks {int(gaps[worst].sum())}); rank models on the same items, e.g. build the matrix "
            "with missing='intersect'."
        )
    counts = np.sum(~np.isnan(values), axis=2)
    x = np.nansum(values, axis=2) / counts
    binary = bool(values.shape[2] == 1 and np.all((x == 0) | (x == 1)))
    bounded = bool(np.all((x >= 0) & (x <= 1)))
    codes = None if clusters is None else _encode_clusters(clusters, x.shape[1])
    return _Models(x, tuple(names), codes, binary, task, metric, bounded)


def _matrix_clusters(matrix: ScoreMatrix, cluster_by: str) -> np.ndarray:
    """The matrix's per-item 'cluster' or 'subject' labels, refusing items without one."""
    check_choice(cluster_by, "cluster_by", ("cluster", "subject"))
    labels = getattr(matrix, cluster_by)
    if labels is None:
        raise InputError(f"`cluster_by={cluster_by!r}`: the matrix has no {cluster_by} labels.")
    absent = int(sum(v is None for v in labels))
    if absent:
        raise InputError(
            f"`cluster_by={cluster_by!r}`: {absent} of {labels.size} items have no {cluster_by} label."
        )
    return labels
