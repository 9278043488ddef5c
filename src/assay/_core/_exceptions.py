"""Exceptions and warnings shared by every layer of assay."""

from __future__ import annotations

__all__ = ["AssayError", "DegenerateDataWarning", "InputError", "StoreLockedError"]


class AssayError(Exception):
    """Base class of every error that assay raises on purpose."""


class InputError(AssayError, ValueError):
    """Input that assay cannot use: a malformed file, a wrong field, a bad argument.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str, optional
        The file or folder the problem was found in.
    record : int or str, optional
        The line number (1-based) or record name (a zip member, a JSON key path).
    field : str, optional
        The field (column, key) that holds the bad value.

    The rendered message starts with ``path:record: field:`` so that every reader error names the
    file, the line or record, and the field.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.record = record
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.record is not None:
            label = f"line {self.record}" if isinstance(self.record, int) else str(self.record)
            where.append(label)
        prefix = ": ".join(where)
        if self.field is not None:
            prefix = f"{prefix}: field '{self.field}'" if prefix else f"field '{self.field}'"
        return f"{prefix}: {self.message}" if prefix else self.message

    def __reduce__(self):  # keep keyword-only attributes through pickling (multiprocessing)
        return (_rebuild_input_error, (self.message, self.path, self.record, self.field))


def _rebuild_input_error(message, path, record, field):
    return InputError(message, path=path, record=record, field=field)


class StoreLockedError(AssayError):
    """Another process holds the results store and did not release it within the timeout."""


class DegenerateDataWarning(UserWarning):
    """Data that can be computed on but gives a degenerate or unreliable answer."""
