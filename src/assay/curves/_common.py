"""Validation shared by the curve analyses, and grouping checkpoints into training runs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_array

__all__ = ["check_curve", "check_steps", "group_series"]


def check_steps(steps: Any, n_points: int | None = None, name: str = "steps") -> np.ndarray:
    """Finite, distinct steps as float64, one per point."""
    x = check_array(steps, name, ndim=1)
    if n_points is not None and x.size != n_points:
        raise InputError(f"`{name}` must have one value per point ({n_points}); got {x.size}.")
    if np.unique(x).size != x.size:
        values, counts = np.unique(x, return_counts=True)
        raise InputError(
            f"`{name}` must be distinct; {values[counts > 1][0]:g} appears more than once."
        )
    return x


def check_curve(
    scores: Any, steps: Any, *, missing: str = "raise", min_points: int = 2
) -> tuple[np.ndarray, np.ndarray, int]:
    """Sort checkpoints by step and return ``(scores (n_points, n_items), steps, n_omitted)``.

    ``scores`` may hold samples on a third axis; items are then their sample means. With
    ``missing="omit"`` items missing at any checkpoint are dropped so that every comparison
    between checkpoints is paired on the same items.
    """
    if missing not in ("raise", "omit"):
        raise InputError(f"`missing` must be one of 'raise', 'omit'; got {missing!r}.")
    y = check_array(scores, "scores", ndim=(1, 2, 3), allow_nan=True)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim == 3:
        counts = np.sum(~np.isnan(y), axis=2)
        with np.errstate(invalid="ignore"):
            y = np.where(counts > 0, np.nansum(y, axis=2) / np.maximum(counts, 1), np.nan)
    if y.shape[0] < min_points:
        raise InputError(
            f"`scores` needs at least {min_points} checkpoints (rows); got {y.shape[0]}."
        )
    x = check_steps(steps, y.shape[0])
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    bad = np.isnan(y).any(axis=0)
    if bad.any():
        if missing == "raise":
            raise InputError(
                f"`scores` lacks {int(bad.sum())} item(s) at some checkpoint (first: item index "
                f"{int(np.flatnonzero(bad)[0])}); pass `missing='omit'` to compare checkpoints on "
                "the items all of them answered."
            )
        y = y[:, ~bad]
        if y.shape[1] == 0:
            raise InputError("no item was answered at every checkpoint.")
    return y, x, int(bad.sum())


_STEP_TOKEN = r"(?:[@/_.\-]?(?:global[_-]?)?(?:step|checkpoint|ckpt|iter)[_-]?{step}\b)"


def group_series(models: Sequence[str], steps: Sequence[Any]) -> dict[str, list[tuple[int, str]]]:
    """Group checkpoints (one model name each, with a step) into training runs.

    The run name is the model name with its step token removed (``org/model@step1000`` and
    ``org/model@step2000`` form the run ``org/model``; so do ``out/checkpoint-500`` and
    ``out/checkpoint-1000``). Names without a step token lose the step number itself when it
    appears. When every run would then hold one checkpoint, all checkpoints form one run.

    Returns
    -------
    dict of str to list of (step, model)
        Runs in name order; each run's checkpoints sorted by step.
    """
    runs: dict[str, list[tuple[int, str]]] = {}
    for model, step in zip(models, steps, strict=True):
        if step is None:
            continue
        s = int(step)
        name = re.sub(_STEP_TOKEN.format(step=s), "", model, count=1, flags=re.IGNORECASE)
        if name == model:
            name = re.sub(rf"[@/_.\-]?\b{s}\b", "", model, count=1)
        runs.setdefault(name or model, []).append((s, model))
    if runs and all(len(v) == 1 for v in runs.values()) and len(runs) > 1:
        runs = {"all checkpoints": [v[0] for v in runs.values()]}
    return {name: sorted(points) for name, points in sorted(runs.items())}
