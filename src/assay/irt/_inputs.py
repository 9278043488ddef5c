"""Input validation shared by every public function of :mod:`assay.irt`."""

from __future__ import annotations

from typing import Any

import numpy as np

from assay._core import InputError, ScoreMatrix
from assay._core._validation import (
    check_array,
    check_choice,
)

__all__ = ["as_scores", "binary_data", "check_coverage", "check_values"]


def as_scores(
    scores: Any,
    *,
    items: Any = None,
    models: Any = None,
    missing: str = "omit",
    name: str = "scores",
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Return (values (n_models, n_items) with NaN where missing, item names, model names)."""
    check_choice(missing, "missing", ("omit", "raise"))
    if isinstance(scores, ScoreMatrix):
        values = scores.item_scores()
        items = scores.items if items is None else items
        models = scores.models if models is None else models
    else:
        values = check_array(scores, name, ndim=2, allow_nan=True)
    if missing == "raise" and np.isnan(values).any():
        raise InputError(
            f"`{name}` has {int(np.isnan(values).sum())} missing response(s); pass "
            "missing='omit' to leave them out of the likelihood."
        )
    n_m, n_i = values.shape
    items = tuple(f"item {j}" for j in range(n_i)) if items is None else tuple(map(str, items))
    models = tuple(f"model {j}" for j in range(n_m)) if models is None else tuple(map(str, models))
    if len(items) != n_i:
        raise InputError(f"`items` has {len(items)} names but `{name}` has {n_i} columns.")
    if len(models) != n_m:
        raise InputError(f"`models` has {len(models)} names but `{name}` has {n_m} rows.")
    return values, items, models


def check_values(values: np.ndarray, model: str, items, models) -> int:
    """Check the score range for ``model``; return the number of categories."""
    finite = values[~np.isnan(values)]
    if model in ("1pl", "2pl", "3pl"):
        bad = (finite != 0) & (finite != 1)
        if bad.any():
            raise InputError(
                f"model={model!r} needs binary scores (0 or 1); found {int(bad.sum())} other "
                f"value(s), e.g. {finite[bad][0]!r}. Use model='continuous' for scores in [0, 1]."
            )
        return 2
    if model == "continuous":
        bad = (finite < 0) | (finite > 1)
        if bad.any():
            raise InputError(
                f"model='continuous' needs scores in [0, 1]; found {int(bad.sum())} outside, "
                f"e.g. {finite[bad][0]!r}."
            )
        return 2
    bad = (finite < 0) | (finite != np.round(finite))
    if bad.any():
        raise InputError(
            f"model='grm' needs ordinal scores 0, 1, 2, ...; found {int(bad.sum())} other "
            f"value(s), e.g. {finite[bad][0]!r}."
        )
    K = int(finite.max()) + 1 if finite.size else 0
    if K < 2:
        raise InputError(f"model='grm' needs at least 2 categories; the scores use {K}.")
    return K


def check_coverage(values: np.ndarray, items, models) -> None:
    obs = ~np.isnan(values)
    if values.shape[0] < 2 or values.shape[1] < 2:
        raise InputError(f"`scores` needs at least 2 models and 2 items; got shape {values.shape}.")
    empty_i = np.flatnonzero(~obs.any(0))
    if empty_i.size:
        raise InputError(
            f"item {items[empty_i[0]]!r} has no response from any model "
            f"({empty_i.size} such item(s)); remove them."
        )
    empty_m = np.flatnonzero(~obs.any(1))
    if empty_m.size:
        raise InputError(
            f"model {models[empty_m[0]]!r} answered no item ({empty_m.size} such model(s)); remove them."
        )


def binary_data(ops: Any, values: np.ndarray):
    obs = ~np.isnan(values)
    Y = np.where(obs, values, 0.0)
    M = None if obs.all() else obs.astype(float)
    return Y, M
