"""The base of every result object: frozen dataclasses with a JSON-safe ``to_dict``."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["Result", "to_builtin"]


def to_builtin(value: Any) -> Any:
    """Convert numpy scalars, arrays, tuples and nested results into JSON-safe builtins.

    Non-finite floats become ``None`` so that the output is valid JSON.
    """
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_builtin(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_builtin(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of analysis results.

    Subclasses are frozen dataclasses that use the shared vocabulary of STYLE.md
    (``estimate, ci_low, ci_high, confidence_level, method, n``; for tests ``statistic, pvalue,
    alternative``). Fields listed in ``_array_fields`` are large arrays kept on the object and left
    out of :meth:`to_dict` unless ``arrays=True``.
    """

    _array_fields = ()

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        """Return the result as JSON-safe builtins (floats, ints, str, lists, dicts, None)."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_"):
                continue
            if not arrays and f.name in self._array_fields:
                continue
            out[f.name] = to_builtin(getattr(self, f.name))
        return out
