"""Item audit: broken items and wrong labels (the analysis is not in this version yet; the section says what would enable it)."""

from __future__ import annotations

from assay import __version__
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import NOT_BUILT, absent

ID = "item_audit"
TITLE = "Item audit: broken items and wrong labels"


def build(ctx: ReportContext) -> SectionModel:
    if (
        ctx.column_present("prediction") == 0
        or ctx.column_present("target") == 0
        or len(ctx.models()) < 3
    ):
        return absent(
            ID,
            TITLE,
            "needs at least 3 models with predictions and gold targets on the same items.",
        )
    return absent(ID, TITLE, NOT_BUILT.format(version=__version__) + ".")
