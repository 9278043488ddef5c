"""assay.report: results -> `ReportModel` (plain, versioned data) -> HTML / JSON / Markdown.

>>> from assay import datasets
>>> from assay.report import build_report, ReportOptions
>>> model = build_report(datasets.mmlu_pro_result(), sections=["inventory"])
>>> model.section("inventory").data["n_models"]
29
"""

from assay.report._build import ReportFiles, build_report, write_report
from assay.report._consistency import contradictions
from assay.report._context import ReportContext, ReportOptions
from assay.report._model import SCHEMA, ReportModel, SectionModel, canonical_json
from assay.report._registry import SECTIONS
from assay.report._render import render_html, render_markdown

__all__ = [
    "SCHEMA",
    "SECTIONS",
    "ReportContext",
    "ReportFiles",
    "ReportModel",
    "ReportOptions",
    "SectionModel",
    "build_report",
    "canonical_json",
    "contradictions",
    "render_html",
    "render_markdown",
    "write_report",
]
