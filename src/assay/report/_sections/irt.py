"""Item response theory (the analysis is not in this version yet; the section says what would enable it)."""

from __future__ import annotations

from assay import __version__
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import NOT_BUILT, absent

ID = "irt"
TITLE = "Item response theory"


def build(ctx: ReportContext) -> SectionModel:
    n_models = len(ctx.models())
    if n_models < 5:
        return absent(
            ID, TITLE, f"needs at least 5 models scored on the same items (found {n_models})."
        )
    return absent(ID, TITLE, NOT_BUILT.format(version=__version__) + ".")
