"""Calibration (the analysis is not in this version yet; the section says what would enable it)."""

from __future__ import annotations

from assay import __version__
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import NOT_BUILT, absent

ID = "calibration"
TITLE = "Calibration"


def build(ctx: ReportContext) -> SectionModel:
    if ctx.column_present("confidence") == 0 and ctx.column_present("choice_logprobs") == 0:
        return absent(ID, TITLE, "needs confidences or per-choice log-probabilities in the logs.")
    return absent(ID, TITLE, NOT_BUILT.format(version=__version__) + ".")
