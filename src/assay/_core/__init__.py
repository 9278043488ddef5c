"""The bottom layer: exceptions, result base class, validation and `ScoreMatrix`."""

from assay._core._exceptions import AssayError, DegenerateDataWarning, InputError, StoreLockedError
from assay._core._matrix import MIN_COVERAGE, CommonItems, ScoreMatrix
from assay._core._results import Result, to_builtin
from assay._core._scale import ScoreScale, score_scale
from assay._core._text import visible_controls
from assay._core._version import __version__

__all__ = [
    "MIN_COVERAGE",
    "CommonItems",
    "AssayError",
    "DegenerateDataWarning",
    "InputError",
    "Result",
    "ScoreMatrix",
    "ScoreScale",
    "StoreLockedError",
    "__version__",
    "score_scale",
    "to_builtin",
    "visible_controls",
]
