"""`ScoreMatrix`: the array view that every analysis takes."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core._exceptions import InputError
from assay._core._scale import ScoreScale, score_scale

__all__ = ["MIN_COVERAGE", "CommonItems", "ScoreMatrix"]

MIN_COVERAGE = 0.5
"""A model that answered fewer than this share of a task's items is set aside from the shared item
set (and reported on its own items), so that one sparse model does not shrink everyone's items."""


@dataclasses.dataclass(frozen=True, eq=False)
class ScoreMatrix:
    """Scores of several models on the same items of one task and metric.

    Rows are models (persons, in IRT's words), columns items, and the third axis repeated samples.

    Parameters
    ----------
    models : tuple of str
        Sorted model names, one per row.
    items : tuple of str
        Sorted item ids, one per column.
    values : ndarray of shape (n_models, n_items, n_samples)
        Scores, NaN where a response is missing.
    task, metric : str
        What the scores are.
    cluster, subject : ndarray of shape (n_items,) of object, optional
        Per-item cluster and subject labels (None where unknown).
    missing : dict of str to tuple[int, tuple[str, ...]]
        For each model that lacked items when the matrix was built: how many, and up to five
        examples. Empty when every model answered every item.
    dropped_items : int
        Items left out because ``align='intersect'`` was chosen (0 otherwise).
    set_aside : dict of str to int
        Models left out of an ``align='intersect'`` matrix because they answered fewer than
        :data:`MIN_COVERAGE` of the items, with how many items each answered.
    """

    models: tuple[str, ...]
    items: tuple[str, ...]
    values: np.ndarray
    task: str = ""
    metric: str = ""
    cluster: np.ndarray | None = None
    subject: np.ndarray | None = None
    missing: dict[str, tuple[int, tuple[str, ...]]] = dataclasses.field(default_factory=dict)
    dropped_items: int = 0
    set_aside: dict[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        if values.ndim == 2:
            values = values[:, :, None]
        if values.ndim != 3:
            raise InputError(
                f"`values` must have shape (n_models, n_items, n_samples); got {values.shape}."
            )
        if values.shape[:2] != (len(self.models), len(self.items)):
            raise InputError(
                f"`values` has shape {values.shape} but there are {len(self.models)} models and "
                f"{len(self.items)} items."
            )
        if len(set(self.models)) != len(self.models):
            raise InputError("`models` contains duplicates.")
        if len(set(self.items)) != len(self.items):
            raise InputError("`items` contains duplicates.")
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "values", values)
        for name in ("cluster", "subject"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.asarray(arr, dtype=object)
                if arr.shape != (len(self.items),):
                    raise InputError(
                        f"`{name}` must have shape ({len(self.items)},); got {arr.shape}."
                    )
                object.__setattr__(self, name, arr)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(n_models, n_items, n_samples)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def n_models(self) -> int:
        return self.values.shape[0]

    @property
    def n_items(self) -> int:
        return self.values.shape[1]

    @property
    def n_samples(self) -> int:
        return self.values.shape[2]

    def item_scores(self) -> np.ndarray:
        """Mean over samples: shape (n_models, n_items), NaN where a model has no sample of an item."""
        counts = np.sum(~np.isnan(self.values), axis=2)
        sums = np.nansum(self.values, axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / counts
        out[counts == 0] = np.nan
        return out

    def row(self, model: str) -> np.ndarray:
        """The (n_items, n_samples) scores of one model."""
        try:
            return self.values[self.models.index(model)]
        except ValueError:
            raise InputError(
                f"model {model!r} is not in this matrix; models are: {', '.join(self.models)}."
            ) from None

    @property
    def scale(self) -> ScoreScale:
        """The range the scores can take and how they are shown (:func:`score_scale`)."""
        return score_scale(self.values)

    def answered(self) -> np.ndarray:
        """Boolean (n_models, n_items): whether the model has at least one sample of the item."""
        return ~np.all(np.isnan(self.values), axis=2)

    def common(self, *, min_coverage: float = MIN_COVERAGE) -> CommonItems:
        """The one shared item set: the items every model answered.

        This is the only place where models' item sets are aligned (``build_matrix(align=
        'intersect')``, the report and every command use it). Models that answered fewer than
        ``min_coverage`` of the items are set aside first (reported on their own items elsewhere),
        unless that would leave fewer than two models.

        Returns
        -------
        CommonItems
        """
        answered = self.answered()
        n_answered = answered.sum(axis=1)
        keep = n_answered >= min_coverage * self.n_items if self.n_items else np.ones(0, bool)
        if self.n_models and keep.sum() < min(2, self.n_models):
            order = np.argsort(-n_answered, kind="stable")[: min(2, self.n_models)]
            keep = np.zeros(self.n_models, dtype=bool)
            keep[order] = True
        kept = [m for m, k in zip(self.models, keep, strict=True) if k]
        shared = answered[keep].all(axis=0) if keep.any() else np.zeros(self.n_items, bool)
        items = [i for i, k in zip(self.items, shared, strict=True) if k]
        matrix = self.subset(models=kept, items=items)
        set_aside = {
            m: int(n) for m, k, n in zip(self.models, keep, n_answered, strict=True) if not k
        }
        matrix = dataclasses.replace(
            matrix, dropped_items=self.n_items - len(items), set_aside=set_aside
        )
        return CommonItems(matrix=matrix, set_aside=set_aside, n_union=self.n_items)

    def has_missing(self) -> bool:
        """Whether any response is missing."""
        return bool(np.isnan(self.values).any())

    def subset(self, *, models: Any = None, items: Any = None) -> ScoreMatrix:
        """A new matrix restricted to the named models and/or items (in the given order)."""
        mi = (
            np.arange(self.n_models)
            if models is None
            else np.array([self.models.index(m) for m in models], dtype=int)
        )
        if items is None:
            ii = np.arange(self.n_items)
        else:
            index = {it: k for k, it in enumerate(self.items)}
            ii = np.array([index[i] for i in items], dtype=int)
        return ScoreMatrix(
            models=tuple(self.models[k] for k in mi),
            items=tuple(self.items[k] for k in ii),
            values=self.values[np.ix_(mi, ii)],
            task=self.task,
            metric=self.metric,
            cluster=None if self.cluster is None else self.cluster[ii],
            subject=None if self.subject is None else self.subject[ii],
        )

    def __repr__(self) -> str:
        return (
            f"ScoreMatrix(task={self.task!r}, metric={self.metric!r}, models={self.n_models}, "
            f"items={self.n_items}, samples={self.n_samples})"
        )


@dataclasses.dataclass(frozen=True)
class CommonItems:
    """The result of :meth:`ScoreMatrix.common`.

    Attributes
    ----------
    matrix : ScoreMatrix
        The models kept, on the items all of them answered (no missing responses).
    set_aside : dict of str to int
        Models left out (too few items), with how many items each answered.
    n_union : int
        Items any model answered.
    """

    matrix: ScoreMatrix
    set_aside: dict[str, int]
    n_union: int

    @property
    def n_dropped(self) -> int:
        """Items left out because some kept model lacked them."""
        return self.n_union - self.matrix.n_items
