"""assay.contamination: not built yet (see the open issues)."""

__all__: list[str] = []
