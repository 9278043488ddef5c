"""Item response theory: the item audit (flagged items and reasons), curves of the worst items, abilities."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from assay._core import DegenerateDataWarning
from assay.irt import audit, subset_sizes
from assay.report._context import ReportContext
from assay.report._figures import forest_plot
from assay.report._figures_irt import icc_plot, information_plot
from assay.report._model import SectionModel
from assay.report._sections._absent import absent

ID = "irt"
TITLE = "Item response theory"

MIN_MODELS = 5
MIN_ITEMS = 10
MAX_ROWS = 100
N_CURVES = 6
MAX_FOREST_MODELS = 40  # as the leaderboard's figure
MAX_SUBSET_MODELS = 60  # the subset-size folds by default (one per model)
_ORDER = {
    "negative discrimination": 0,
    "near-zero discrimination": 1,
    "misfit": 2,
    "solved by no model": 3,
    "solved by every model": 4,
}
_THETA = np.linspace(-3.5, 3.5, 141)
SUBSET_SIZES = (50, 100, 200, 400, 800, 1600, 3200)


def _severity(row: dict) -> tuple:
    first = min(_ORDER.get(f, 9) for f in row["flags"])
    a = row["discrimination"] if row["discrimination"] is not None else 0.0
    return (first, a if first <= 1 else -(row["outfit"] or 0.0), row["item"])


def _with_text(ctx: ReportContext, task: str, rows: list[dict]) -> list[dict]:
    """Flagged items with their question, where the logs carry it (a person must judge them)."""
    text = ctx.item_text(task)
    return [{**r, "question": text.get(str(r["item"]))} for r in rows]


def _block(
    ctx: ReportContext, task: str, metric: str, key: str
) -> tuple[dict, dict[str, str]] | None:
    matrix = ctx.matrix(task, metric)
    values = matrix.item_scores()
    finite = values[np.isfinite(values)]
    if matrix.n_models < MIN_MODELS or matrix.n_items < MIN_ITEMS or finite.size == 0:
        return None
    if finite.min() < 0 or finite.max() > 1:
        return None
    binary = bool(np.all((finite == 0) | (finite == 1)))
    model = "2pl" if binary else "continuous"
    level = ctx.options.confidence_level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        au = audit(
            values,
            items=matrix.items,
            models=matrix.models,
            model=model,
            confidence_level=level,
            alpha=ctx.options.alpha,
        )
    fit = au.fit
    flagged = sorted(au.flagged(), key=_severity)
    counts = Counter(f for r in au.rows for f in r["flags"])
    abilities = sorted(fit.ability.rows(), key=lambda r: -r["estimate"])
    worst = [
        r
        for r in flagged
        if r["flags"][0] in ("negative discrimination", "near-zero discrimination", "misfit")
    ]
    worst = worst[:N_CURVES]
    figures = _figures(fit, values, abilities, worst, key, level) if ctx.figure_allowed(ID) else {}
    run_sizes = ctx.options.irt_subset_sizes or matrix.n_models <= MAX_SUBSET_MODELS
    block = {
        "subset_sizes": _subset_sizes(ctx, values, matrix, fit) if run_sizes else None,
        "subset_sizes_skipped": None
        if run_sizes
        else (
            "How many items would have told the same story is computed by default for up to "
            f"{MAX_SUBSET_MODELS} models (one leave-one-model-out fold per model: about 60 s of "
            "CPU at 29 models, growing faster than the number of models); "
            "`assay report --irt-subset-sizes` runs it for "
            f"these {matrix.n_models}."
        ),
        "key": key,
        "task": task,
        "metric": metric,
        "model": fit.model,
        "n_models": fit.n_models,
        "n_items": fit.n_items,
        "n_responses": fit.n_responses,
        "loglik": fit.loglik,
        "aic": fit.aic,
        "bic": fit.bic,
        "converged": fit.converged,
        "n_iter": fit.n_iter,
        "confidence_level": level,
        "ability_method": fit.ability.method,
        "se_method": fit.se_method,
        "criteria": au.criteria,
        "sx2_note": au.item_fit.sx2_note,
        "n_flagged": au.n_flagged,
        "flag_counts": {k: counts.get(k, 0) for k in _ORDER},
        "flag_error_rates": au.flag_error_rates,
        "flagged": _with_text(ctx, task, flagged[:MAX_ROWS]),
        "n_flagged_shown": min(len(flagged), MAX_ROWS),
        "worst": [r["item"] for r in worst],
        "abilities": abilities,
    }
    return block, figures


def _figures(fit, values, abilities, worst, key: str, level: float) -> dict[str, str]:
    """Abilities (top 40), the worst items' curves and the test information of one task."""
    figures: dict[str, str] = {}
    shown = abilities[:MAX_FOREST_MODELS]  # every model stays in the ability table
    figures[f"abilities-{key}"] = forest_plot(
        [r["model"] for r in shown],
        [r["estimate"] for r in shown],
        [r["ci_low"] for r in shown],
        [r["ci_high"] for r in shown],
        xlabel=f"ability ({fit.ability.method.upper()}, {100 * level:g}% interval)",
    )
    if worst:
        idx = [fit.items.index(r["item"]) for r in worst]
        curves = fit.probability(_THETA)[:, idx].T
        theta_m = fit.ability.estimate
        observed = [
            [
                (float(theta_m[m]), float(values[m, i]))
                for m in range(fit.n_models)
                if np.isfinite(values[m, i])
            ]
            for i in idx
        ]
        figures[f"icc-{key}"] = icc_plot(
            [r["item"] for r in worst], _THETA, curves, abilities=theta_m, observed=observed
        )
    figures[f"information-{key}"] = information_plot(
        _THETA, fit.information(_THETA).sum(1), abilities=fit.ability.estimate
    )
    return figures


def _rates_note(rates: dict) -> str:
    """Each inferred flag's measured false-flag rate and recall, with the simulation they come from."""
    parts = [f"{flag}: {100 * r['false_flag_rate']:.2g}% of items falsely flagged, recall {r['recall']:.2f}"
             for flag, r in rates.items() if r.get("false_flag_rate") is not None and flag in _ORDER
             and _ORDER[flag] <= 2]  # fmt: skip
    if not parts:
        return "The flags' false-flag rates have not been measured for this configuration."
    sim = next(r["simulation"] for f, r in rates.items() if _ORDER.get(f, 9) <= 2)
    return f"Measured on simulations ({sim}): " + "; ".join(parts) + "."


def _subset_sizes(ctx: ReportContext, values: np.ndarray, matrix, fit) -> dict | None:
    """How many items would have told the same story (leave-one-model-out; see irt.subset_sizes).

    By default each fold's items are re-estimated at the audit fit's abilities (about 24 s on
    MMLU-Pro, 29 x 12,032, on 2 cores); ``irt_subset_sizes`` asks for a new fit per fold
    (minutes). Three anchor seeds either way.
    """
    ks = tuple(k for k in SUBSET_SIZES if k < matrix.n_items)
    if not ks:
        return None
    full = ctx.options.irt_subset_sizes
    seed = ctx.options.seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = subset_sizes(
            values,
            ks,
            items=matrix.items,
            models=matrix.models,
            seeds=(seed, seed + 1, seed + 2),
            refit="full" if full else "items",
            fit=None if full else fit,
            confidence_level=ctx.options.confidence_level,
        )
    out = res.to_dict()
    out["rows"] = res.rows()
    return out


def build(ctx: ReportContext) -> SectionModel:
    n_models = len(ctx.models())
    if n_models < MIN_MODELS:
        return absent(
            ID,
            TITLE,
            f"needs at least {MIN_MODELS} models scored on the same items (found {n_models}).",
        )
    blocks, figures = [], {}
    for task, metric in ctx.task_metrics:
        out = _block(ctx, task, metric, str(len(blocks)))
        if out is not None:
            blocks.append(out[0])
            figures.update(out[1])
    if not blocks:
        return absent(
            ID,
            TITLE,
            f"needs a task with at least {MIN_MODELS} models and {MIN_ITEMS} items scored in [0, 1].",
        )
    headline = []
    for b in blocks:
        c = b["flag_counts"]
        parts = [f"{v} {k}" for k, v in c.items() if v]
        headline.append(
            f"{b['task']}: the IRT audit flags {b['n_flagged']} of {b['n_items']} items"
            + (f" ({', '.join(parts)})." if parts else ".")
        )
    notes = [
        "Model: 2PL for 0/1 scores (continuous-response 2PL for scores in [0, 1]), P(correct) = "
        "sigmoid(a (ability - b)), ability ~ N(0, 1) over these models; marginal maximum likelihood by EM "
        "over Gauss-Hermite quadrature with weak priors a ~ N(1, 2^2), intercept ~ N(0, 5^2). Missing "
        "responses are left out of the likelihood.",
        "Abilities are posterior means (EAP) with posterior-SD intervals, item parameters held fixed; "
        "their n is the number of items each model answered.",
        "Flags are tests with the false discovery rate held at {alpha:g} across items (Benjamini-Hochberg): "
        "negative discrimination (a < 0: stronger models more often wrong, a wrong key or an ambiguous "
        "question), near-zero discrimination (a below {min_discrimination:g}: the interval, not the point "
        "estimate), misfit (standardised infit or outfit significant and above {max_mean_square:g}, or S-X2 "
        "significant); solved by no model / every model are facts.".format(**blocks[0]["criteria"]),
        _rates_note(blocks[0]["flag_error_rates"]),
    ]
    return SectionModel(
        id=ID, title=TITLE, data={"tasks": blocks}, headline=headline, figures=figures, notes=notes
    )
