"""Calibration of every model in a long table's columns (plain arrays, no table library).

The report and the command line pass the columns of one task and metric as numpy arrays or
lists; this module picks the confidence source, runs :func:`calibration_metrics` per model and,
for models answering the same items, the paired comparisons.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from assay._core import DegenerateDataWarning, InputError, Result
from assay._core._validation import check_choice, check_rng
from assay.calibration._metrics import calibration_metrics, compare_calibration
from assay.calibration._recalibrate import (
    BINARY_METHODS,
    MULTICLASS_METHODS,
    RecalibrationResult,
    recalibrate,
)
from assay.calibration._results import CalibrationComparison, CalibrationResult, ConfidenceSource
from assay.calibration._sources import (
    LOGPROB_DEFINITIONS,
    confidence_from_column,
    confidence_from_logprobs,
)

__all__ = ["SOURCES", "ModelCalibration", "calibration_by_model", "recalibrate_model"]

SOURCES = ("auto", "column", "logprobs")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelCalibration(Result):
    """One model's confidence source, metrics, and the items they were computed on."""

    _array_fields = ("items",)

    model: str
    source: ConfidenceSource
    result: CalibrationResult
    items: np.ndarray = dataclasses.field(
        default_factory=lambda: np.empty(0, dtype=object), repr=False
    )
    _confidence: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)
    _correct: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0), repr=False)
    #: (n, K) per-choice log-probabilities and gold choice per answer, where every answer has
    #: K of them and a known gold choice (for multiclass recalibration); else None.
    _logprobs: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _labels: np.ndarray | None = dataclasses.field(default=None, repr=False)


def _gold(target: Any, row: np.ndarray, correct: float) -> int | None:
    """The gold choice: an integer ``target`` in range, else the argmax of a right answer."""
    if target is not None:
        text = str(target).strip()
        if text.lstrip("-").isdigit() and 0 <= int(text) < row.size:
            return int(text)
    return int(np.argmax(row)) if correct == 1 else None


def _vectors(lp_col, target_col, idx, correct) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(n, K) log-probabilities and gold labels of rows ``idx``, or (None, None)."""
    if lp_col is None:
        return None, None
    rows = [lp_col[i] for i in idx]
    if any(r is None for r in rows) or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return None, None
    z = np.asarray(rows, dtype=np.float64)
    if not np.all(np.isfinite(z)):
        return None, None
    gold = [_gold(None if target_col is None else target_col[i], z[j], correct[j])
            for j, i in enumerate(idx)]  # fmt: skip
    if any(g is None for g in gold):
        return None, None
    return z, np.asarray(gold, dtype=np.int64)


def _column(columns: Mapping[str, Any], name: str, n: int, required: bool = True):
    if name not in columns or columns[name] is None:
        if required:
            raise InputError(f"`columns` lacks the {name!r} column.")
        return None
    col = columns[name]
    if len(col) != n:
        raise InputError(f"column {name!r} has {len(col)} rows; expected {n}.")
    return col


def _pick_source(conf_col, lp_col, idx, source: str, definition: str):
    has_conf = conf_col is not None and np.isfinite(conf_col[idx]).any()
    has_lp = lp_col is not None and any(lp_col[i] is not None and len(lp_col[i]) for i in idx)
    if source in ("auto", "column") and has_conf:
        return confidence_from_column(conf_col[idx])
    if source in ("auto", "logprobs") and has_lp:
        return confidence_from_logprobs([lp_col[i] for i in idx], definition=definition)
    return None


def calibration_by_model(
    columns: Mapping[str, Any],
    *,
    source: str = "auto",
    definition: str = "chosen",
    compare: bool = True,
    max_pairs: int = 28,
    n_bins: int = 15,
    threshold: float = 0.9,
    coverage: float = 0.8,
    n_resamples: int = 1000,
    interval: str = "percentile",
    confidence_level: float = 0.95,
    rng: Any = None,
) -> tuple[list[ModelCalibration], list[tuple[str, str, CalibrationComparison]], list[str]]:
    """Calibration metrics per model from the columns of one task and metric.

    Parameters
    ----------
    columns : mapping of str to array_like
        ``model``, ``item``, ``score`` (0/1; NaN rows are left out and counted), and one or both
        of ``confidence`` (float, NaN where missing) and ``choice_logprobs`` (one list per row
        or None); optionally ``target`` (the gold choice's index, as lm-eval writes it, for
        multiclass recalibration).
    source : {"auto", "column", "logprobs"}, default "auto"
        ``auto`` uses the confidence column where a model has one, else the log-probabilities.
    definition : {"chosen", "max", "raw"}, default "chosen"
        How log-probabilities become a confidence (see :func:`confidence_from_logprobs`).
    interval : {"percentile", "basic"}, default "percentile"
        Bootstrap interval of the metrics (see :func:`calibration_metrics`).
    compare : bool, default True
        Also compare ECE between every pair of models (up to ``max_pairs`` pairs) on the items
        both answered.

    Returns
    -------
    (list of ModelCalibration, list of (model_a, model_b, CalibrationComparison), list of str)
        Per-model results (sorted by model), pairwise comparisons of ECE (B minus A), and notes
        (models skipped and why).
    """
    source = check_choice(source, "source", SOURCES)
    definition = check_choice(definition, "definition", tuple(LOGPROB_DEFINITIONS))
    rng = check_rng(rng)
    models = np.asarray(_column(columns, "model", len(columns.get("model", []))), dtype=object)
    n = models.size
    items = np.asarray(_column(columns, "item", n), dtype=object)
    score = np.asarray(_column(columns, "score", n), dtype=np.float64)
    conf_col = _column(columns, "confidence", n, required=False)
    conf_col = None if conf_col is None else np.asarray(
        [np.nan if v is None else v for v in conf_col], dtype=np.float64)  # fmt: skip
    lp_col = _column(columns, "choice_logprobs", n, required=False)
    target_col = _column(columns, "target", n, required=False)
    out, notes = [], []
    for model in sorted(set(models.tolist())):
        idx = np.flatnonzero((models == model) & ~np.isnan(score))
        src = _pick_source(conf_col, lp_col, idx, source, definition)
        if src is None:
            notes.append(f"{model}: no confidence or choice log-probabilities ({source}).")
            continue
        keep = ~np.isnan(src.confidence)
        correct = score[idx][keep]
        if np.any((correct != 0) & (correct != 1)):
            notes.append(f"{model}: scores are not 0/1, so calibration does not apply.")
            continue
        if keep.sum() < 10:
            notes.append(
                f"{model}: only {int(keep.sum())} answers with a confidence; at least 10 needed."
            )
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = calibration_metrics(src.confidence[keep], correct, n_bins=n_bins, threshold=threshold,
                                      coverage=coverage, n_resamples=n_resamples, interval=interval,
                                      confidence_level=confidence_level, rng=rng)  # fmt: skip
        z, gold = _vectors(lp_col, target_col, idx[keep], correct)
        out.append(ModelCalibration(model=model, source=src, result=res, items=items[idx][keep],
                                    _confidence=src.confidence[keep], _correct=correct,
                                    _logprobs=z, _labels=gold))  # fmt: skip
    comparisons = (
        _pairwise(out, max_pairs, n_bins, n_resamples, confidence_level, rng) if compare else []
    )
    return out, comparisons, notes


def _pairwise(models: list[ModelCalibration], max_pairs, n_bins, n_resamples, level, rng):
    out = []
    for a, b in itertools.islice(itertools.combinations(models, 2), max_pairs):
        common, ia, ib = np.intersect1d(
            a.items.astype(str), b.items.astype(str), return_indices=True
        )
        if common.size < 10:
            continue
        c = compare_calibration(a._confidence[ia], a._correct[ia], b._confidence[ib], b._correct[ib],
                                metric="ece", n_bins=n_bins, n_resamples=n_resamples,
                                confidence_level=level, rng=rng)  # fmt: skip
        out.append((a.model, b.model, c))
    return out


def recalibrate_model(
    model: ModelCalibration, *, method: str, n_folds: int = 5, rng: Any = None
) -> tuple[RecalibrationResult, str]:
    """Cross-fitted recalibration of one model, on the full log-probability vector if it can.

    A multiclass map (``temperature``, ``vector``, ``matrix``, ``ca-temperature``) is fitted to
    the per-choice log-probabilities, as logits, when every answer has the same number of
    choices and a known gold choice (an integer ``target``, or the argmax of a right answer).
    Otherwise a binary map is fitted to the top-label confidence; ``vector`` and ``matrix``
    have no binary form and raise then.

    Returns
    -------
    (RecalibrationResult, str)
        The result, and what it was fitted on, in words.
    """
    method = check_choice(
        method, "method", tuple(dict.fromkeys(MULTICLASS_METHODS + BINARY_METHODS))
    )
    if method in MULTICLASS_METHODS and model._logprobs is not None:
        res = recalibrate(model._logprobs, model._labels, method=method, input="logits",
                          n_folds=n_folds, rng=rng)  # fmt: skip
        k = model._logprobs.shape[1]
        return res, f"per-choice log-probabilities ({k} choices, as logits)"
    if method not in BINARY_METHODS:
        raise InputError(
            f"{model.model}: `{method}` scaling needs per-choice log-probabilities with the same "
            "number of choices for every answer and a known gold choice; these data have none."
        )
    res = recalibrate(model._confidence, model._correct, method=method, n_folds=n_folds, rng=rng)
    return res, "top-label confidence"
