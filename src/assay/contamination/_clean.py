"""Decontaminated text: drop matching documents, or cut matched spans with GPT-3's rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay._core import InputError
from assay._core._validation import check_choice
from assay.contamination._hashing import hash_texts
from assay.contamination._index import TestIndex
from assay.contamination._scan import _expand_owners, _gram_hits, word_spans

__all__ = ["CLEAN_MODES", "CleanedText", "clean_texts"]

CLEAN_MODES = ("drop", "spans")


@dataclasses.dataclass(frozen=True)
class CleanedText:
    """One document after cleaning.

    Attributes
    ----------
    text : str or None
        The cleaned text (the original when nothing matched), None when the document is dropped.
    action : {'kept', 'cut', 'dropped'}
    reason : str
        Why (empty when kept).
    removed : tuple of (int, int)
        Character spans removed from the original text (after merging windows).
    items : tuple of str
        Ids of the test items whose n-grams matched.
    """

    text: str | None
    action: str
    reason: str = ""
    removed: tuple[tuple[int, int], ...] = ()
    items: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "removed": [list(s) for s in self.removed],
            "items": list(self.items),
        }


def clean_texts(
    texts: Sequence[str], index: TestIndex, *, mode: str = "spans"
) -> list[CleanedText]:
    """Remove test-set overlap from training documents.

    Parameters
    ----------
    texts : sequence of str
    index : TestIndex
        The recipe's ``window``, ``min_fragment`` and ``max_splits`` give the span rules.
    mode : {'spans', 'drop'}, default 'spans'
        'drop' removes every document with a match; 'spans' removes each matched n-gram with
        ``window`` characters on each side, drops the pieces shorter than ``min_fragment``
        characters, and drops the whole document when it would be split into more than
        ``max_splits`` pieces (Brown et al. 2020, appendix C; lm-evaluation-harness's janitor).

    Returns
    -------
    list of CleanedText
        One per input document, in order. Pieces are joined with a newline.

    Examples
    --------
    >>> from assay.contamination import build_index
    >>> item = "one two three four five six seven eight nine ten eleven twelve thirteen"
    >>> out = clean_texts(["x" * 300 + " " + item + " " + "y" * 500], build_index([item]))
    >>> out[0].action, out[0].removed, len(out[0].text)
    ('cut', ((101, 572),), 301)
    """
    mode = check_choice(mode, "mode", CLEAN_MODES)
    if not isinstance(index, TestIndex):
        raise InputError(f"`index` must be a TestIndex; got {type(index).__name__}.")
    texts = list(texts)
    batch = hash_texts(texts)
    pos, key, k = _gram_hits(batch, index)
    out = [CleanedText(text=t, action="kept") for t in texts]
    if pos.size == 0:
        return out
    doc = np.searchsorted(batch.doc_start, pos, side="right") - 1
    code, _, _, _ = _expand_owners(index, pos, key, k)
    doc_of_code = np.repeat(doc, np.diff(index.owner_ptr)[key])
    for d in np.unique(doc).tolist():
        sel = doc == d
        items = tuple(sorted({index.item_ids[c // 2] for c in code[doc_of_code == d].tolist()}))
        if mode == "drop":
            out[d] = CleanedText(
                None, "dropped", "matches test n-grams", ((0, len(texts[d])),), items
            )
            continue
        spans = word_spans(texts[d])
        first = pos[sel] - batch.doc_start[d]
        out[d] = _cut(texts[d], spans, first, k[sel], index, items)
    return out


def _cut(
    text: str, spans, first: np.ndarray, k: np.ndarray, index: TestIndex, items
) -> CleanedText:
    rec = index.recipe
    order = np.argsort(first, kind="stable")
    windows = []
    for f, kk in zip(first[order].tolist(), k[order].tolist(), strict=True):
        a = max(0, spans[f][0] - rec.window)
        b = min(len(text), spans[f + kk - 1][1] + rec.window)
        if windows and a <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], b)
        else:
            windows.append([a, b])
    pieces, cursor = [], 0
    for a, b in windows:
        pieces.append((cursor, a))
        cursor = b
    pieces.append((cursor, len(text)))
    pieces = [(a, b) for a, b in pieces if b > a]
    removed = tuple((a, b) for a, b in windows)
    if len(pieces) > rec.max_splits:
        reason = f"split into {len(pieces)} pieces (more than {rec.max_splits})"
        return CleanedText(None, "dropped", reason, ((0, len(text)),), items)
    kept = [text[a:b] for a, b in pieces if b - a >= rec.min_fragment]
    if not kept:
        return CleanedText(
            None,
            "dropped",
            f"no piece of at least {rec.min_fragment} characters left",
            ((0, len(text)),),
            items,
        )
    reason = f"removed {len(windows)} matched span(s) with a {rec.window}-character window"
    return CleanedText("\n".join(kept), "cut", reason, removed, items)
