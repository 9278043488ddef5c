"""Validation helpers: each public function calls one of these first and computes after."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from assay._core._exceptions import InputError

__all__ = [
    "check_alternative",
    "check_array",
    "check_choice",
    "check_confidence_level",
    "check_missing_policy",
    "check_positive_int",
    "check_probability",
    "check_rng",
]

MISSING_POLICIES = ("raise", "omit", "propagate")


def check_confidence_level(confidence_level: Any) -> float:
    """Return ``confidence_level`` as a float in (0, 1) or raise ``InputError``."""
    if isinstance(confidence_level, bool) or not isinstance(confidence_level, numbers.Real):
        raise InputError(
            f"`confidence_level` must be a number in (0, 1); got {confidence_level!r}."
        )
    value = float(confidence_level)
    if not 0.0 < value < 1.0:
        raise InputError(f"`confidence_level` must be in (0, 1); got {confidence_level!r}.")
    return value


def check_probability(value: Any, name: str, *, open_interval: bool = False) -> float:
    """Return ``value`` as a float in [0, 1] (or (0, 1)) or raise ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"`{name}` must be a number in [0, 1]; got {value!r}.")
    v = float(value)
    ok = (0.0 < v < 1.0) if open_interval else (0.0 <= v <= 1.0)
    if not ok:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise InputError(f"`{name}` must be in {interval}; got {value!r}.")
    return v


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    if int(value) < minimum:
        raise InputError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise listing the valid ones."""
    choices = tuple(choices)
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise InputError(f"`{name}` must be one of {valid}; got {value!r}.")
    return value


def check_alternative(alternative: Any) -> str:
    """Return a valid ``alternative`` ('two-sided', 'less' or 'greater')."""
    return check_choice(alternative, "alternative", ("two-sided", "less", "greater"))


def check_missing_policy(value: Any) -> str:
    """Return a valid missing-data policy ('raise', 'omit' or 'propagate')."""
    return check_choice(value, "missing", MISSING_POLICIES)


def check_rng(rng: Any) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator, an int seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and int(rng) < 0:
            raise InputError(f"`rng` seed must be a non-negative integer; got {rng!r}.")
        return np.random.default_rng(rng)
    raise InputError(f"`rng` must be a numpy Generator, an integer seed or None; got {rng!r}.")


def check_array(
    values: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype: Any = np.float64,
    allow_nan: bool = False,
    min_size: int = 1,
    binary: bool = False,
) -> np.ndarray:
    """Return ``values`` as an ndarray of ``dtype`` after checking shape, size, NaN and range.

    Parameters
    ----------
    values : array_like
        The data.
    name : str
        The argument name, used in error messages.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    dtype : dtype, default float64
        Target dtype.
    allow_nan : bool, default False
        Whether NaN is allowed (missing responses).
    min_size : int, default 1
        Minimum number of elements; empty input raises.
    binary : bool, default False
        Require every non-NaN value to be 0 or 1.
    """
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"`{name}` must be numeric array-like; got {type(values).__name__} ({exc})."
        ) from None
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in dims:
            raise InputError(
                f"`{name}` must have {' or '.join(map(str, dims))} dimension(s); got shape {arr.shape}."
            )
    if arr.size < min_size:
        raise InputError(f"`{name}` must have at least {min_size} element(s); got {arr.size}.")
    if np.issubdtype(arr.dtype, np.floating):
        if np.isinf(arr).any():
            raise InputError(f"`{name}` contains infinite values.")
        if not allow_nan and np.isnan(arr).any():
            n = int(np.isnan(arr).sum())
            raise InputError(
                f"`{name}` contains {n} NaN value(s); pass `missing='omit'` or remove them."
            )
    if binary:
        finite = arr[~np.isnan(arr)] if np.issubdtype(arr.dtype, np.floating) else arr
        bad = (finite != 0) & (finite != 1)
        if bad.any():
            raise InputError(
                f"`{name}` must hold binary outcomes (0 or 1); found {int(bad.sum())} other value(s), e.g. {finite[bad][0]!r}."
            )
    return arr
