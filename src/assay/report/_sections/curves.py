"""Training curves (the analysis is not in this version yet; the section says what would enable it)."""

from __future__ import annotations

from assay import __version__
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import NOT_BUILT, absent

ID = "curves"
TITLE = "Training curves"


def build(ctx: ReportContext) -> SectionModel:
    if not ctx.steps_present():
        return absent(ID, TITLE, "needs a training step per run (checkpoints).")
    return absent(ID, TITLE, NOT_BUILT.format(version=__version__) + ".")
