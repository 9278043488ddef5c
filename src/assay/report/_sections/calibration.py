"""Calibration: does the model's confidence mean anything? Metrics with intervals, per model."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow.compute as pc

from assay._core import DegenerateDataWarning
from assay.calibration import ModelCalibration, calibration_by_model, validity_screen
from assay.report._context import ReportContext
from assay.report._figures_calibration import reliability_diagrams, risk_coverage_curves
from assay.report._model import SectionModel
from assay.report._sections._absent import absent
from assay.report._sections._common import fmt_p, level_pct

ID = "calibration"
TITLE = "Calibration"

#: Metrics in the table, in order, with their label and whether smaller is better.
TABLE_METRICS = (
    ("accuracy", "accuracy", False),
    ("mean_confidence", "mean confidence", None),
    ("ece", "ECE", True),
    ("ece_debiased", "ECE (bias-corrected)", True),
    ("ece_mass", "ECE (equal mass)", True),
    ("debiased_l2_ce", "debiased L2 CE", True),
    ("smooth_ece", "smooth ECE", True),
    ("mce", "MCE", True),
    ("brier", "Brier", True),
    ("brier_reliability", "reliability", True),
    ("brier_resolution", "resolution", False),
    ("nll", "NLL", True),
    ("auroc", "AUROC", False),
    ("auprc", "AUPRC", False),
    ("aurc", "AURC", True),
    ("excess_aurc", "E-AURC", True),
    ("accuracy_at_coverage", "accuracy at coverage", False),
    ("wrong_at_high_confidence", "wrong at high confidence", True),
)
MAX_RESAMPLES = 1000
N_BINS = 15
THRESHOLD = 0.9
COVERAGE = 0.8

REASON = (
    "needs a confidence per answer: a `confidence` column (verbalised confidence, P(True) or the "
    "harness's own probability) or per-choice log-probabilities (`choice_logprobs`, as "
    "lm-evaluation-harness writes for multiple-choice tasks); these logs have neither."
)


def _columns(ctx: ReportContext, task: str, metric: str) -> dict | None:
    t = ctx.responses
    mask = pc.and_(pc.and_(pc.equal(t.column("task"), task), pc.equal(t.column("metric"), metric)),
                   pc.equal(t.column("sample"), 0))  # fmt: skip
    sub = t.filter(mask)
    has_conf = sub.column("confidence").null_count < sub.num_rows
    has_lp = sub.column("choice_logprobs").null_count < sub.num_rows
    if not (has_conf or has_lp):
        return None
    conf = sub.column("confidence").to_numpy(zero_copy_only=False)
    return {
        "model": np.asarray(sub.column("model").to_pylist(), dtype=object),
        "item": np.asarray(sub.column("item").to_pylist(), dtype=object),
        "score": sub.column("score").fill_null(np.nan).to_numpy(zero_copy_only=False),
        "confidence": np.asarray(conf, dtype=np.float64) if has_conf else None,
        "choice_logprobs": sub.column("choice_logprobs").to_pylist() if has_lp else None,
    }


def _screen(m: ModelCalibration, level: float, rng) -> dict | None:
    """The validity screen, for a stated confidence only (log-probabilities are not stated)."""
    if m.source.source != "column":
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        s = validity_screen(m._confidence, m._correct, n_resamples=min(m.result.n_resamples, 500),
                            confidence_level=level, rng=rng)  # fmt: skip
    return {"verdict": s.verdict, "reasons": list(s.reasons), "ceiling_rate": s.ceiling_rate,
            "sd": s.sd, "n_distinct": s.n_distinct}  # fmt: skip


def _row(m: ModelCalibration, level: float, rng) -> dict:
    res = m.result
    return {
        "model": m.model,
        "source": m.source.source,
        "definition": m.source.definition,
        "n": res.n,
        "n_missing": m.source.n_missing,
        "metrics": {
            name: {
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "method": r.method,
            }
            for name, r in res.metrics.items()
        },
        "reliability": res.reliability.to_dict(),
        "reliability_mass": res.reliability_mass.to_dict(),
        "risk_coverage": {
            "coverage": res.risk_coverage.coverage,
            "risk": res.risk_coverage.risk,
            "aurc": res.risk_coverage.aurc,
        },  # fmt: skip
        "smooth_ece_bandwidth": res.smooth_ece_bandwidth,
        "screen": _screen(m, level, rng),
    }


def _task_block(ctx: ReportContext, task: str, metric: str, cols: dict) -> dict | None:
    level = ctx.options.confidence_level
    rng = ctx.rng(f"calibration:{task}:{metric}")
    # about 2e8 answer-resamples per task keeps the section to a few seconds on 2 cores
    n_resamples = min(
        ctx.options.n_resamples, MAX_RESAMPLES, max(200, int(2e8 / max(len(cols["model"]), 1)))
    )
    n_models = len(set(cols["model"].tolist()))
    models, comps, notes = calibration_by_model(
        cols, compare=n_models <= ctx.options.max_pairs_models, n_bins=N_BINS, threshold=THRESHOLD,
        coverage=COVERAGE, n_resamples=n_resamples, confidence_level=level, rng=rng,
    )  # fmt: skip
    if not models:
        return {"task": task, "metric": metric, "rows": [], "comparisons": [], "notes": notes}
    rows = [_row(m, level, rng) for m in models]
    comparisons = [
        {"model_a": a, "model_b": b, "estimate": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
         "pvalue": c.pvalue, "n": c.n, "estimate_a": c.estimate_a, "estimate_b": c.estimate_b,
         "method": c.method}
        for a, b, c in comps
    ]  # fmt: skip
    return {"task": task, "metric": metric, "rows": rows, "comparisons": comparisons, "notes": notes,
            "n_resamples": n_resamples}  # fmt: skip


def _headline(block: dict, level: float) -> list[str]:
    out = []
    for r in block["rows"]:
        e = r["metrics"]["ece"]
        gap = r["metrics"]["overconfidence"]["estimate"]
        direction = "overconfident" if gap > 0 else "underconfident"
        out.append(
            f"{r['model']} on {block['task']}: ECE {100 * e['estimate']:.1f} points ({level_pct(level)} CI "
            f"{100 * e['ci_low']:.1f} to {100 * e['ci_high']:.1f}; n = {r['n']:,}), {direction} by "
            f"{100 * abs(gap):.1f} points on average; confidence from {r['source']}."
        )
        if r["screen"] is not None and r["screen"]["verdict"] == "invalid":
            out.append(f"{r['model']} on {block['task']}: its confidence fails the validity screen "
                       f"({r['screen']['reasons'][0]}).")  # fmt: skip
    for c in block["comparisons"]:
        if c["pvalue"] < 0.05:
            better = c["model_a"] if c["estimate"] > 0 else c["model_b"]
            out.append(f"On {block['task']}, {better} is better calibrated: ECE differs by "
                       f"{100 * abs(c['estimate']):.1f} points ({fmt_p(c['pvalue'])}, paired bootstrap).")  # fmt: skip
    return out[:6]


def build(ctx: ReportContext) -> SectionModel:
    if ctx.column_present("confidence") == 0 and ctx.column_present("choice_logprobs") == 0:
        return absent(ID, TITLE, REASON)
    blocks, figures, headline = [], {}, []
    level = ctx.options.confidence_level
    for task, metric in ctx.task_metrics:
        cols = _columns(ctx, task, metric)
        if cols is None:
            continue
        block = _task_block(ctx, task, metric, cols)
        bi = len(blocks)
        blocks.append(block)
        if block["rows"] and ctx.figure_allowed(ID):
            figures[f"reliability-{bi}"] = reliability_diagrams([
                {"label": r["model"], **r["reliability"], "ece": r["metrics"]["ece"]["estimate"]}
                for r in block["rows"]
            ], confidence_level=ctx.options.confidence_level)  # fmt: skip
            figures[f"risk-{bi}"] = risk_coverage_curves([
                {"label": r["model"], **r["risk_coverage"]} for r in block["rows"]
            ])  # fmt: skip
        if block["rows"]:
            headline += _headline(block, level)
    if not any(b["rows"] for b in blocks):
        notes = [n for b in blocks for n in b["notes"]]
        return absent(ID, TITLE, "no model had usable confidences: " + " ".join(notes[:5]))
    data = {
        "tasks": blocks,
        "metrics": [
            {"name": n, "label": lab, "lower_is_better": low} for n, lab, low in TABLE_METRICS
        ],
        "confidence_level": level,
        "n_bins": N_BINS,
        "threshold": THRESHOLD,
        "coverage": COVERAGE,
    }
    notes = [
        "Confidence sources: a `confidence` column is used as given; otherwise per-choice "
        "log-probabilities are turned into the softmax probability of the chosen (highest) answer. "
        "The source and its definition are printed per model: they change ECE a lot.",
        f"ECE, MCE and the Brier decomposition use {N_BINS} equal-width bins; the equal-mass ECE and "
        f"the debiased L2 error (Kumar et al. 2019) use {N_BINS} equal-count bins; the smooth ECE is "
        "Błasiok & Nakkiran (2023) with its fixed-point bandwidth. Binned ECE is biased upwards in "
        "small samples: compare models with the paired test, not by eye.",
        f"Intervals: {level_pct(level)} percentile bootstrap over answers (the same resamples for "
        "every metric); paired comparisons resample the items both models answered.",
        f"Wrong at high confidence: the share of all answers that are wrong with confidence >= "
        f"{THRESHOLD:g}; accuracy at coverage: accuracy of the {100 * COVERAGE:g}% most confident answers.",
        "Validity screen (stated confidences only: ceiling rate, spread, Type-2 AUROC): invalid when "
        "over 80% of confidences are >= 0.95, the sd is under 0.05 or fewer than 3 values occur, or "
        "confidence does not tell right from wrong answers (AUROC interval not above 0.5).",
        "Only sample 0 of each item is used when there are several samples.",
    ]
    return SectionModel(
        id=ID, title=TITLE, data=data, headline=headline, figures=figures, notes=notes
    )
