"""The bottom layer: exceptions, result base class, validation and `ScoreMatrix`."""

from assay._core._exceptions import AssayError, DegenerateDataWarning, InputError, StoreLockedError
from assay._core._matrix import ScoreMatrix
from assay._core._results import Result, to_builtin
from assay._core._text import visible_controls

__all__ = [
    "AssayError",
    "DegenerateDataWarning",
    "InputError",
    "Result",
    "ScoreMatrix",
    "StoreLockedError",
    "to_builtin",
    "visible_controls",
]
