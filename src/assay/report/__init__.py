"""assay.report: results -> ReportModel -> HTML / JSON / Markdown (being written)."""

__all__: list[str] = []
