"""assay.stats: honest intervals, paired comparisons, many models at once, power (being written)."""

__all__: list[str] = []
