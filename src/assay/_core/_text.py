"""Text from logs made safe to print: invisible control characters shown, never obeyed."""

from __future__ import annotations

__all__ = ["CONTROL_CHARACTERS", "visible_controls"]

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_C0_C1 = [c for c in range(0x20) if c not in (0x09, 0x0A)] + [0x7F, *range(0x80, 0xA0)]

CONTROL_CHARACTERS: frozenset[str] = frozenset(chr(c) for c in (*_BIDI, *_C0_C1))
"""Characters that reorder or rewrite what is displayed around them: the bidirectional
embeddings, overrides, isolates and marks (U+202E RIGHT-TO-LEFT OVERRIDE makes ``txt.exe``
read as ``exe.txt``), and the C0/C1 controls but tab and newline (ESC starts a terminal escape
sequence; CR returns to the start of the line and overwrites it)."""

_TABLE = {ord(c): f"<U+{ord(c):04X}>" for c in CONTROL_CHARACTERS}


def visible_controls(text: str) -> str:
    """``text`` with each character of :data:`CONTROL_CHARACTERS` written as ``<U+XXXX>``.

    For text from logs (model names, task names, findings quoting items) that is printed in a
    terminal or written to Markdown, where such a character would reorder or hide what is shown.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> visible_controls("model\\u202eevil")
    'model<U+202E>evil'
    >>> visible_controls("tab\\tand newline\\n stay")
    'tab\\tand newline\\n stay'
    """
    return text.translate(_TABLE)
