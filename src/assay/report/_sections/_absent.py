"""Sections for analyses that need an input the data lacks, or that this version does not have."""

from __future__ import annotations

from assay.report._model import SectionModel

NOT_BUILT = "assay {version} does not include this analysis yet"


def absent(section_id: str, title: str, reason: str) -> SectionModel:
    return SectionModel(id=section_id, title=title, status="absent", reason=reason)
