"""Text normalisation and the decontamination recipes (GPT-3 13-gram, Tulu 3 / open-r1 8-gram)."""

from __future__ import annotations

import dataclasses
import string
from typing import Any

from assay._core import InputError
from assay._core._validation import check_positive_int

__all__ = ["PRESETS", "Recipe", "normalize", "recipe", "tokenize"]

_PUNCT = string.punctuation
_STR_TABLE = str.maketrans("", "", _PUNCT)
# bytes path: ASCII upper -> lower, every ASCII character that str.split() treats as whitespace
# (\t \n \v \f \r and \x1c-\x1f) -> space; ASCII punctuation is deleted.
_WHITESPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_BYTES_TABLE = bytes.maketrans(
    string.ascii_uppercase.encode() + _WHITESPACE,
    string.ascii_lowercase.encode() + b" " * len(_WHITESPACE),
)
_BYTES_DELETE = _PUNCT.encode()


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How test items and training documents are compared.

    Attributes
    ----------
    name : str
        Preset name, or ``"custom"``.
    n : int
        Words per n-gram.
    window : int
        Characters removed on each side of a matched span when cleaning (GPT-3: 200).
    min_fragment : int
        Fragments shorter than this many characters are dropped when cleaning (GPT-3: 200).
    max_splits : int
        A document split into more than this many pieces is dropped whole (GPT-3: 10).
    min_tokens : int
        Inputs shorter than ``n`` words but at least ``min_tokens`` long are matched as one
        whole-item gram; shorter ones are reported as unchecked by the n-gram stage.
    """

    name: str = "gpt3"
    n: int = 13
    window: int = 200
    min_fragment: int = 200
    max_splits: int = 10
    min_tokens: int = 8

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, Recipe] = {
    # Brown et al. 2020, appendix C; lm-evaluation-harness `janitor.py` (13-gram, 200-char window,
    # fragments under 200 characters dropped, documents split more than 10 times dropped).
    "gpt3": Recipe(name="gpt3", n=13, window=200, min_fragment=200, max_splits=10, min_tokens=8),
    # Tulu 3 (Lambert et al. 2024) and open-r1 `scripts/decontaminate.py`: 8-gram, any overlap.
    "tulu3": Recipe(name="tulu3", n=8, window=200, min_fragment=200, max_splits=10, min_tokens=5),
    "open-r1": Recipe(
        name="open-r1", n=8, window=200, min_fragment=200, max_splits=10, min_tokens=5
    ),
}


def recipe(preset: str | Recipe = "gpt3", **overrides: Any) -> Recipe:
    """Return a preset recipe with ``overrides`` applied (e.g. ``recipe("gpt3", n=10)``).

    Raises
    ------
    InputError
        For an unknown preset, an unknown override or a non-positive size.
    """
    if isinstance(preset, Recipe):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        valid = ", ".join(repr(k) for k in PRESETS)
        raise InputError(f"`preset` must be one of {valid}; got {preset!r}.")
    fields = {f.name for f in dataclasses.fields(Recipe)} - {"name"}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    for key, value in overrides.items():
        if key not in fields:
            raise InputError(f"unknown recipe option {key!r}; expected one of {sorted(fields)}.")
        check_positive_int(value, key, minimum=0 if key in ("window", "min_fragment") else 1)
    if not overrides:
        return base
    name = base.name if all(getattr(base, k) == v for k, v in overrides.items()) else "custom"
    return dataclasses.replace(base, name=name, **overrides)


def normalize(text: str) -> str:
    """Normalise text as the recipes do: lowercase, ASCII punctuation deleted, whitespace collapsed.

    This is the reference (pure Python) definition; the vectorised scan produces the same words.

    Examples
    --------
    >>> normalize("Hello,   World! It's 4:30.")
    'hello world its 430'
    """
    return " ".join(text.lower().translate(_STR_TABLE).split())


def tokenize(text: str) -> list[str]:
    """The words of ``normalize(text)``."""
    return text.lower().translate(_STR_TABLE).split()


def normalized_bytes(text: str) -> bytes:
    """UTF-8 bytes of the normalised text, separators not yet collapsed (the scan's fast path)."""
    if text.isascii():
        return text.encode("ascii").translate(_BYTES_TABLE, _BYTES_DELETE)
    # non-ASCII: full Unicode lowercase and Unicode whitespace, then the ASCII table
    return " ".join(text.lower().split()).encode("utf-8").translate(_BYTES_TABLE, _BYTES_DELETE)
