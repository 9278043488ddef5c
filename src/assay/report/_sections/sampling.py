"""Repeated samples: pass@k with a simultaneous band over k, and consistency across samples."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import AssayError, DegenerateDataWarning, ScoreMatrix
from assay.report._context import ReportContext
from assay.report._figures_sampling import CurveLine, passk_curves
from assay.report._model import SectionModel
from assay.report._sections._absent import absent
from assay.report._sections._common import is_binary, level_pct
from assay.sampling import consistency, pass_at_k_curve

ID = "sampling"
TITLE = "Repeated samples: pass@k and consistency"

#: At most this many bootstrap resamples per model (the band needs no more for a report).
_MAX_RESAMPLES = 1000


def _ks(n_samples: int) -> list[int]:
    """1, 2, 4, ... up to the samples per item, and the samples per item itself."""
    ks, k = [], 1
    while k < n_samples:
        ks.append(k)
        k *= 2
    return ks + [n_samples]


def _predictions(ctx: ReportContext, m: ScoreMatrix) -> np.ndarray | None:
    """The (models x items x samples) answers, or None when the logs have none."""
    t = ctx.responses
    sub = t.filter(
        pc.and_(pc.equal(t.column("task"), m.task), pc.equal(t.column("metric"), m.metric))
    ).select(["model", "item", "sample", "prediction"])
    if sub.num_rows == 0 or sub.column("prediction").null_count == sub.num_rows:
        return None
    # the matrix's sample axis holds the distinct sample indices in order
    levels = pc.unique(sub.column("sample")).sort()
    idx = [
        np.asarray(pc.index_in(sub.column(col), value_set=values), dtype=np.int64)
        for col, values in (
            ("model", pa.array(m.models, pa.string())),
            ("item", pa.array(m.items, pa.string())),
            ("sample", levels),
        )
    ]
    out = np.full(m.values.shape, None, dtype=object)
    out[idx[0], idx[1], idx[2]] = sub.column("prediction").to_numpy(zero_copy_only=False)
    return out


def _consistency_row(
    ctx: ReportContext, m: ScoreMatrix, model: str, row: np.ndarray, preds: np.ndarray | None
) -> dict:
    complete = ~np.isnan(row).any(axis=1)
    x = row[complete]
    if x.shape[0] < 2:
        return {"available": False, "reason": "fewer than 2 items have every sample"}
    if preds is not None:
        preds = preds[complete]
        if any(v is None for v in preds.ravel()):
            preds = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        c = consistency(
            x,
            predictions=preds,
            confidence_level=ctx.options.confidence_level,
            n_resamples=min(ctx.options.n_resamples, _MAX_RESAMPLES),
            rng=ctx.rng(f"consistency/{m.task}/{m.metric}/{model}"),
        )
    out = c.to_dict()
    out.update(available=True, n_incomplete=int((~complete).sum()))
    return out


def _model_block(ctx: ReportContext, m: ScoreMatrix, model: str, preds: np.ndarray | None) -> dict:
    row = m.row(model)
    counts = np.sum(~np.isnan(row), axis=1)
    answered = counts > 0
    n_max = int(counts.max()) if answered.any() else 0
    if n_max < 2:
        return {"model": model, "available": False, "reason": "one sample per item"}
    # k up to the most common number of samples; items with fewer are left out and counted
    values, freq = np.unique(counts[answered], return_counts=True)
    k_max = int(values[freq == freq.max()].max())
    if k_max < 2:
        k_max = n_max
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        curve = pass_at_k_curve(
            row[answered],
            _ks(k_max),
            confidence_level=ctx.options.confidence_level,
            missing="omit",
            n_resamples=min(ctx.options.n_resamples, _MAX_RESAMPLES),
            rng=ctx.rng(f"passk/{m.task}/{m.metric}/{model}"),
        )
    block = {"model": model, "available": True, "curve": curve.to_dict()}
    block["curve"]["n_omitted"] += int((~answered).sum())
    mine = None if preds is None else preds[m.models.index(model)][answered]
    block["consistency"] = _consistency_row(ctx, m, model, row[answered], mine)
    block["by_k"] = _by_k(ctx, m, model, row[answered], mine, curve.to_dict()["k"])
    return block


def _by_k(ctx: ReportContext, m: ScoreMatrix, model: str, correct, answers, ks) -> list[dict]:
    """pass^k (all k right: reliability) and maj@k (the majority answer of k is right) at each k,
    with in-range intervals (:func:`assay.stats.bounded_interval` around each estimate's SE)."""
    from assay.sampling import maj_at_k, pass_hat_k
    from assay.stats import bounded_interval

    level = ctx.options.confidence_level
    out = []
    for k in ks:
        row = {"k": int(k)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                r = pass_hat_k(correct, int(k), confidence_level=level, missing="omit")
                lo, hi = bounded_interval(r.estimate, r.se, r.n, confidence_level=level)
                row["pass_hat_k"] = {"estimate": r.estimate, "ci_low": float(lo), "ci_high": float(hi),
                                     "n": r.n}  # fmt: skip
            except AssayError:
                row["pass_hat_k"] = None
            row["maj_at_k"] = None
            if answers is not None and k >= 2:
                try:
                    v = maj_at_k(answers, correct, int(k), n_draws=200, confidence_level=level,
                                 missing="omit", rng=ctx.rng(f"maj/{m.task}/{model}/{k}"))  # fmt: skip
                    lo, hi = bounded_interval(v.estimate, v.se, v.n, confidence_level=level)
                    row["maj_at_k"] = {"estimate": v.estimate, "ci_low": float(lo), "ci_high": float(hi),
                                       "n": v.n, "exact": v.exact}  # fmt: skip
                except AssayError:
                    pass
        out.append(row)
    return out


def _task_block(ctx: ReportContext, task: str, metric: str) -> tuple[dict | None, str | None]:
    m = ctx.matrix(task, metric)
    if m.n_samples < 2:
        return None, None
    if not is_binary(m):
        return None, f"{task} ({metric}): scores are not 0/1, so pass@k does not apply."
    models = []
    preds = _predictions(ctx, m)
    for model in m.models:
        try:
            models.append(_model_block(ctx, m, model, preds))
        except AssayError as exc:
            models.append({"model": model, "available": False, "reason": str(exc)})
    return {
        "task": task,
        "metric": metric,
        "n_items": m.n_items,
        "n_samples": m.n_samples,
        "models": models,
    }, None


def _figure(block: dict, level: float) -> str:
    lines = [
        CurveLine(
            b["model"],
            b["curve"]["k"],
            b["curve"]["estimate"],
            b["curve"]["band_low"],
            b["curve"]["band_high"],
        )
        for b in block["models"]
        if b["available"]
    ]
    return passk_curves(
        lines,
        ylabel=f"pass@k ({block['task']})",
        band_label=f"{level_pct(level)} simultaneous bands",
    )


def _headline(block: dict) -> list[str]:
    out = []
    for b in block["models"][:3]:
        if not b["available"]:
            continue
        c = b["curve"]
        line = (
            f"{block['task']}, {b['model']}: pass@1 {100 * c['estimate'][0]:.1f}, "
            f"pass@{c['k'][-1]} {100 * c['estimate'][-1]:.1f} (n = {c['n']:,} items)"
        )
        cons = b["consistency"]
        if cons.get("available") and cons.get("fleiss_kappa") is not None:
            line += (
                f"; samples agree on {100 * cons['agreement']:.0f}% of pairs, "
                f"kappa {cons['fleiss_kappa']:.2f}"
            )
        out.append(line + ".")
    return out


def build(ctx: ReportContext) -> SectionModel:
    if ctx.max_samples() < 2:
        return absent(ID, TITLE, "needs several samples per item (repeats or epochs).")
    tasks, notes, figures, headline = [], [], {}, []
    for task, metric in ctx.task_metrics:
        block, note = _task_block(ctx, task, metric)
        if note:
            notes.append(note)
        if block is None:
            continue
        if any(b["available"] for b in block["models"]) and ctx.figure_allowed(ID):
            figures[f"passk-{len(tasks)}"] = _figure(block, ctx.options.confidence_level)
        headline += _headline(block)
        tasks.append(block)
    if not tasks:
        return absent(
            ID,
            TITLE,
            "needs several 0/1-scored samples per item (repeats or epochs); " + " ".join(notes),
        )
    level = level_pct(ctx.options.confidence_level)
    notes += [
        "pass@k is the unbiased estimator of Chen et al. (2021): per item 1 - C(n-c, k)/C(n, k), "
        f"averaged over items; the shaded bands are {level} simultaneous bands over k (bootstrap "
        "max-t over items), so the whole curve lies inside them at that level.",
        "Consistency treats the samples of an item as repeated runs: agreement is the share of "
        "sample pairs with the same outcome, Fleiss' kappa corrects it for chance, and the CV is "
        "the spread of per-sample accuracy relative to its mean (item-bootstrap intervals).",
    ]
    return SectionModel(
        id=ID,
        title=TITLE,
        data={"tasks": tasks, "confidence_level": ctx.options.confidence_level},
        headline=headline[:6],
        figures=figures,
        notes=notes,
    )
