"""The ordered list of report sections."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["SECTIONS", "section_module"]

SECTIONS: tuple[str, ...] = (
    "inventory",
    "leaderboard",
    "summarised",
    "comparisons",
    "subjects",
    "irt",
    "item_audit",
    "review",
    "calibration",
    "sampling",
    "curves",
    "contamination",
)


def section_module(section_id: str) -> ModuleType:
    return importlib.import_module(f"assay.report._sections.{section_id}")
