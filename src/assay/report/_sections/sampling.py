"""Repeated samples: pass@k and consistency (the analysis is not in this version yet; the section says what would enable it)."""

from __future__ import annotations

from assay import __version__
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import NOT_BUILT, absent

ID = "sampling"
TITLE = "Repeated samples: pass@k and consistency"


def build(ctx: ReportContext) -> SectionModel:
    if ctx.max_samples() < 2:
        return absent(ID, TITLE, "needs several samples per item (repeats or epochs).")
    return absent(ID, TITLE, NOT_BUILT.format(version=__version__) + ".")
