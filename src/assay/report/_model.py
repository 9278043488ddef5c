"""`ReportModel`: the plain, versioned data between the analyses and the renderers."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from assay._core import to_builtin

__all__ = ["SCHEMA", "ReportModel", "SectionModel", "canonical_json"]

SCHEMA = "assay.report/1"
"""Version of the report's JSON layout. Bump it when a field changes meaning or is removed."""

_SIGNIFICANT = 10


@dataclasses.dataclass
class SectionModel:
    """One section of the report.

    Attributes
    ----------
    id, title : str
        Stable identifier and display title.
    status : {'present', 'absent'}
        Whether the section could be computed from the inputs.
    reason : str or None
        When absent: which input would enable it (or why it could not be computed).
    data : dict
        JSON-safe content, rendered by the section's template and written to the JSON.
    headline : list of str
        One-sentence findings for the top of the report and the terminal.
    figures : dict of str to str
        Named SVG documents (HTML only; never in the JSON).
    notes : list of str
        Methods and caveats shown under the section.
    """

    id: str
    title: str
    status: str = "present"
    reason: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    headline: list[str] = dataclasses.field(default_factory=list)
    figures: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "data": to_builtin(self.data),
            "headline": list(self.headline),
            "notes": list(self.notes),
        }


@dataclasses.dataclass
class ReportModel:
    """Everything the report says, as plain data (see :data:`SCHEMA`)."""

    assay_version: str
    settings: dict[str, Any]
    sources: list[str]
    sections: list[SectionModel]

    @property
    def headline(self) -> list[dict[str, str]]:
        return [{"section": s.id, "text": h} for s in self.sections for h in s.headline]

    def section(self, id: str) -> SectionModel:  # noqa: A002
        for s in self.sections:
            if s.id == id:
                return s
        raise KeyError(id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "assay_version": self.assay_version,
            "settings": to_builtin(self.settings),
            "sources": list(self.sources),
            "headline": self.headline,
            "sections": [s.to_dict() for s in self.sections],
        }

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, floats to 10 significant digits, NaN as null."""
        return canonical_json(self.to_dict())


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{_SIGNIFICANT}g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def canonical_json(data: Any) -> str:
    """JSON with sorted keys, fixed float precision and a trailing newline (byte-stable)."""
    return (
        json.dumps(
            _round(to_builtin(data)), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n"
    )
