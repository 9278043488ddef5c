"""Where a confidence comes from: choice log-probabilities, verbalised text, P(True), or a column.

The definition changes ECE a lot (the normalised probability of the chosen answer is not the raw
sequence probability), so every source returns a :class:`ConfidenceSource` that says which
definition it used, and the report prints it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import expit, log_softmax

from assay._core import InputError
from assay._core._validation import check_array, check_choice
from assay.calibration._results import ConfidenceSource

__all__ = [
    "LOGPROB_DEFINITIONS",
    "VERBAL_LABELS",
    "confidence_from_column",
    "confidence_from_logprobs",
    "confidence_from_p_true",
    "parse_verbal_confidence",
]

LOGPROB_DEFINITIONS = {
    "chosen": "softmax over the choices' log-likelihoods; probability of the chosen answer",
    "max": "softmax over the choices' log-likelihoods; largest probability",
    "raw": "exp(log-likelihood of the chosen answer), not normalised over the choices",
}

#: Categorical labels and the confidence each stands for. Longer phrases are matched first.
#: The scale follows the usual 5-point verbal scale (very low .. very high) placed at the
#: midpoints of five equal-width bins, with "certain" at 0.95 rather than 1 (a stated certainty
#: is not a probability of 1). Pass ``labels=`` to use another mapping.
VERBAL_LABELS: dict[str, float] = {
    "very low": 0.1,
    "low": 0.3,
    "medium": 0.5,
    "moderate": 0.5,
    "high": 0.7,
    "very high": 0.9,
    "almost certain": 0.95,
    "certain": 0.95,
}

_NUMBER = r"(\d{1,3}(?:\.\d+)?|\.\d+)"
_KEYWORD = re.compile(r"confiden\w*\W{0,20}?" + _NUMBER + r"\s*(%|percent|/\s*100|/\s*10\b)?", re.I)
_PERCENT = re.compile(_NUMBER + r"\s*(%|percent)", re.I)
_FRACTION = re.compile(_NUMBER + r"\s*/\s*(100|10)\b")
_BARE = re.compile(r"^\W*" + _NUMBER + r"\W*$")


def _pad_logprobs(choice_logprobs: Any) -> np.ndarray:
    """Ragged per-item lists (or a 2-D array) to a float array padded with -inf."""
    if isinstance(choice_logprobs, np.ndarray) and choice_logprobs.ndim == 2:
        arr = choice_logprobs.astype(np.float64)
        return np.where(np.isnan(arr), -np.inf, arr)
    rows = list(choice_logprobs)
    width = max((len(r) for r in rows if r is not None), default=0)
    out = np.full((len(rows), max(width, 1)), np.nan)
    for i, r in enumerate(rows):
        if r is None or len(r) == 0:
            continue
        vals = np.asarray(r, dtype=np.float64)
        if np.isnan(vals).any() or np.isposinf(vals).any():
            raise InputError(
                f"choice log-probabilities of item {i} contain NaN or +inf: {list(r)!r}."
            )
        out[i, : vals.size] = vals
        out[i, vals.size :] = -np.inf
    return out


def confidence_from_logprobs(
    choice_logprobs: Any, *, chosen: Any = None, definition: str = "chosen"
) -> ConfidenceSource:
    """Confidence from per-choice log-likelihoods of a multiple-choice answer.

    Parameters
    ----------
    choice_logprobs : array_like (n, K) or sequence of sequences
        One log-likelihood per choice; rows may have different lengths (ragged lists); a row
        that is None or empty gives NaN.
    chosen : array_like of int, shape (n,), optional
        Index of the answer the model gave; default the choice with the largest log-likelihood.
    definition : {"chosen", "max", "raw"}, default "chosen"
        ``chosen``: softmax probability of the chosen answer; ``max``: the largest softmax
        probability; ``raw``: exp of the chosen answer's log-likelihood (the sequence
        probability, not normalised over the choices).

    Returns
    -------
    ConfidenceSource

    Examples
    --------
    >>> src = confidence_from_logprobs([[-1.0, -2.0], [-0.5, -0.5, -3.0]])
    >>> [round(float(c), 4) for c in src.confidence]
    [0.7311, 0.4803]
    """
    definition = check_choice(definition, "definition", tuple(LOGPROB_DEFINITIONS))
    lp = _pad_logprobs(choice_logprobs)
    n = lp.shape[0]
    empty = np.isnan(lp[:, 0]) | np.all(np.isneginf(lp), axis=1)
    safe = np.where(empty[:, None], 0.0, lp)
    safe = np.where(np.isnan(safe), -np.inf, safe)
    if chosen is None:
        idx = np.argmax(safe, axis=1)
    else:
        idx = np.asarray(chosen)
        if idx.shape != (n,) or not np.issubdtype(idx.dtype, np.integer):
            raise InputError(
                f"`chosen` must be {n} integer choice indices; got {idx.dtype} {idx.shape}."
            )
        if (idx < 0).any() or (idx >= lp.shape[1]).any():
            raise InputError(f"`chosen` indices must lie in 0..{lp.shape[1] - 1}.")
    with np.errstate(invalid="ignore"):
        logp = log_softmax(safe, axis=1)
    rows = np.arange(n)
    if definition == "chosen":
        conf = np.exp(logp[rows, idx])
    elif definition == "max":
        conf = np.exp(logp.max(axis=1))
    else:
        conf = np.minimum(np.exp(safe[rows, idx]), 1.0)
    conf = np.where(empty | ~np.isfinite(conf), np.nan, conf)
    return ConfidenceSource(source="logprobs", definition=LOGPROB_DEFINITIONS[definition], n=n,
                            n_missing=int(np.isnan(conf).sum()), confidence=conf)  # fmt: skip


def confidence_from_p_true(logprob_true: Any, logprob_false: Any = None) -> ConfidenceSource:
    """Confidence from a P(True) query ("Is the proposed answer true?") (Kadavath et al. 2022).

    With both log-probabilities, ``p = exp(lt) / (exp(lt) + exp(lf))`` (normalised over the two
    answers); with ``logprob_true`` alone, ``p = exp(lt)``.
    """
    lt = check_array(logprob_true, "logprob_true", ndim=1, allow_nan=True)
    if logprob_false is None:
        conf = np.minimum(np.exp(lt), 1.0)
        definition = "exp(log-probability of 'True'), not normalised"
    else:
        lf = check_array(logprob_false, "logprob_false", ndim=1, allow_nan=True)
        if lf.shape != lt.shape:
            raise InputError(
                f"`logprob_false` must match `logprob_true` ({lt.size}); got {lf.size}."
            )
        conf = expit(lt - lf)
        definition = "P(True) normalised over 'True' and 'False'"
    return ConfidenceSource(source="p-true", definition=definition, n=lt.size,
                            n_missing=int(np.isnan(conf).sum()), confidence=conf)  # fmt: skip


def confidence_from_column(confidence: Any) -> ConfidenceSource:
    """A confidence column used as given (checked to lie in [0, 1]; NaN where missing)."""
    conf = check_array(confidence, "confidence", ndim=1, allow_nan=True)
    bad = ~np.isnan(conf) & ((conf < 0) | (conf > 1))
    if bad.any():
        raise InputError(
            f"`confidence` must lie in [0, 1]; {int(bad.sum())} value(s) do not, e.g. {conf[bad][0]!r}."
        )
    return ConfidenceSource(source="column", definition="the confidence column, as given", n=conf.size,
                            n_missing=int(np.isnan(conf).sum()), confidence=conf)  # fmt: skip


def _scale(value: float, unit: str | None, text: str) -> float:
    unit = (unit or "").replace(" ", "").lower()
    if unit in ("%", "percent", "/100"):
        return value / 100.0
    if unit == "/10":
        return value / 10.0
    # a bare number: a probability when at most 1, else a percentage
    return value if value <= 1.0 else value / 100.0


def _parse_one(text: str, labels: Sequence[tuple[str, float]]) -> float:
    m = _KEYWORD.search(text)
    if m:
        return _scale(float(m.group(1)), m.group(2), text)
    m = _PERCENT.search(text)
    if m:
        return float(m.group(1)) / 100.0
    m = _FRACTION.search(text)
    if m:
        return float(m.group(1)) / float(m.group(2))
    m = _BARE.match(text)
    if m:
        return _scale(float(m.group(1)), None, text)
    low = text.lower()
    for phrase, value in labels:
        if re.search(r"\b" + re.escape(phrase) + r"\b", low):
            return value
    return math.nan


def parse_verbal_confidence(
    texts: Any, *, labels: Mapping[str, float] | None = None
) -> ConfidenceSource:
    """Parse verbalised confidences: "Confidence: 80%", "85/100", "0.7", "high", ...

    Parameters
    ----------
    texts : sequence of str or None
        One text per answer (the model's stated confidence, or its whole answer).
    labels : mapping of str to float, optional
        Categorical labels and their confidence (default :data:`VERBAL_LABELS`).

    Returns
    -------
    ConfidenceSource
        NaN where no confidence could be read or the value was outside [0, 1] after scaling;
        ``n_missing`` counts them and ``examples_missing`` shows a few.

    Notes
    -----
    Rules, first match wins: a number after the word "confidence" (with its unit: %, /100,
    /10; a bare number is a probability when at most 1, else a percentage); any percentage;
    a fraction "x/10" or "x/100"; a text that is only a number; else a categorical label
    (longest first, whole words, case-insensitive).

    Examples
    --------
    >>> import numpy as np
    >>> src = parse_verbal_confidence(["Confidence: 80%", "7/10", "0.35", "very high", "dunno"])
    >>> [None if np.isnan(c) else round(float(c), 2) for c in src.confidence]
    [0.8, 0.7, 0.35, 0.9, None]
    """
    table = dict(VERBAL_LABELS if labels is None else labels)
    for k, v in table.items():
        if not isinstance(k, str) or not (isinstance(v, int | float) and 0.0 <= float(v) <= 1.0):
            raise InputError(f"`labels` must map text to a confidence in [0, 1]; got {k!r}: {v!r}.")
    ordered = sorted(((k.lower(), float(v)) for k, v in table.items()), key=lambda kv: -len(kv[0]))
    items = list(texts)
    conf = np.full(len(items), np.nan)
    failed: list[str] = []
    for i, t in enumerate(items):
        if t is None:
            continue
        if not isinstance(t, str):
            raise InputError(f"`texts` must hold strings or None; item {i} is {type(t).__name__}.")
        v = _parse_one(t, ordered)
        if np.isfinite(v) and 0.0 <= v <= 1.0:
            conf[i] = v
        elif len(failed) < 5:
            failed.append(t if len(t) <= 60 else t[:59] + "\u2026")
    return ConfidenceSource(
        source="verbal",
        definition="verbalised confidence parsed from text (numbers, percentages, labels: "
        + ", ".join(f"{k}={v:g}" for k, v in sorted(table.items(), key=lambda kv: kv[1]))
        + ")",
        n=len(items), n_missing=int(np.isnan(conf).sum()), examples_missing=tuple(failed),
        confidence=conf,
    )  # fmt: skip
