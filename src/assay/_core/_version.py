"""The package version, in the bottom layer so that any layer can name it without the package face."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
