"""Example data shipped inside the package (being written)."""

__all__: list[str] = []
