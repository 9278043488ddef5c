"""Item audit: suspect gold answers with their reasons, and whether the ranking survives them."""

from __future__ import annotations

import pyarrow.compute as pc

from assay._core import InputError
from assay.labels import ranking_stability
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._review import audit_responses

ID = "item_audit"
TITLE = "Item audit: broken items and wrong labels"

MAX_SUSPECTS_SHOWN = 25
TOP_MODELS = 10
MAX_TASKS = 8


def _tasks(ctx: ReportContext) -> list[tuple[str, str]]:
    """(task, metric) pairs whose rows carry predictions (or choice log-probabilities) and targets."""
    t = ctx.responses
    has_pred = pc.or_(pc.is_valid(t.column("prediction")), pc.is_valid(t.column("choice_logprobs")))
    usable = t.filter(pc.and_(has_pred, pc.is_valid(t.column("target"))))
    if usable.num_rows == 0:
        return []
    counts = usable.group_by(["task", "metric"]).aggregate([("model", "count_distinct")])
    pairs = zip(counts.column("task").to_pylist(), counts.column("metric").to_pylist(),
                counts.column("model_count_distinct").to_pylist(), strict=True)  # fmt: skip
    best: dict[str, str] = {}
    for task, metric, n in sorted(pairs):
        if n >= 3 and task not in best:
            best[task] = metric
    return sorted(best.items())[:MAX_TASKS]


def _stability_block(result, scenario: str, ctx: ReportContext, task: str) -> dict:
    verdicts = {} if ctx.review is None else ctx.review.verdicts
    confirmed = [item for (t, item), v in verdicts.items() if t == task and v == "ok"]
    st = ranking_stability(result, scenario=scenario, top=TOP_MODELS, adjust=ctx.options.adjust,
                           alpha=ctx.options.alpha, confirmed=confirmed or None)  # fmt: skip
    models = [
        {
            "model": m,
            "score_before": float(b),
            "score_after": float(a),
            "rank_before": int(rb),
            "rank_after": int(ra),
        }
        for m, b, a, rb, ra in zip(
            st.models, st.score_before, st.score_after, st.rank_before, st.rank_after, strict=True
        )  # fmt: skip
    ]
    position = {m: k for k, m in enumerate(st.models)}
    adjacent = [p for p in st.pairs if position[p["model_b"]] == position[p["model_a"]] + 1]
    changed = [p for p in st.pairs if p["flipped"] or p["significance_changed"]]
    return {"scenario": scenario, "k": st.k, "n_before": st.n_before, "n_after": st.n_after, "models": models,
            "n_pairs": len(st.pairs), "n_flipped": st.n_flipped, "n_significance_changed": st.n_significance_changed,
            "changed": changed, "adjacent": adjacent, "adjust": st.adjust, "alpha": st.alpha}  # fmt: skip


def _task_block(ctx: ReportContext, task: str, metric: str) -> dict:
    result, data = audit_responses(ctx.responses, task=task, metric=metric)
    index = {it: k for k, it in enumerate(data.items)}
    verdicts = {} if ctx.review is None else ctx.review.verdicts
    suspects = result.suspects(MAX_SUSPECTS_SHOWN + sum(1 for t, _ in verdicts if t == task))
    for s in suspects:
        q = data.questions[index[s["item"]]]
        s["question"] = None if q is None else q[:600]
        s["reviewed"] = verdicts.get((task, s["item"]))  # a reviewer's verdict, if any
    # a reviewer's 'ok' closes a suspect: it moves to the end, marked, and is not counted open
    suspects.sort(key=lambda s: s["reviewed"] == "ok")
    suspects = suspects[:MAX_SUSPECTS_SHOWN]
    n_ok = sum(1 for (t, it), v in verdicts.items() if t == task and v == "ok"
               and result.p_wrong[index[it]] >= result.threshold) if verdicts else 0  # fmt: skip
    block = {
        "task": task, "metric": metric, "n_items": result.n_items, "n_models": len(result.models),
        "n_suspects": result.n_suspects, "threshold": result.threshold, "prior_error": result.prior_error,
        "method": result.method, "flag_error_rates": result.flag_error_rates,
        "n_blind_solvable": int((result.p_blind_solvable >= result.threshold).sum()) if result.n_blind else 0,
        "error_correlation": result.error_correlation, "n_choices": result.n_choices,
        "n_all_correct": int(result.all_correct.sum()), "n_all_wrong": int(result.all_wrong.sum()),
        "confident_learning": result.cl_flag is not None,
        "n_cl_flagged": 0 if result.cl_flag is None else int(result.cl_flag.sum()),
        "suspects": suspects, "stability": [], "n_reviewed_ok": n_ok,
        "n_open": result.n_suspects - n_ok,
    }  # fmt: skip
    if result.n_suspects and len(result.models) >= 2 and result.n_suspects <= result.n_items - 2:
        block["stability"] = [_stability_block(result, sc, ctx, task) for sc in ("remove", "relabel")]
    return block


def _rate_notes(rates: dict) -> list[str]:
    """The measured false-flag rate, precision and recall of each flag, with their simulation."""
    names = {
        "suspect": "Suspect gold answer",
        "blind_solvable": "Solvable without the needed input",
    }
    out = []
    for key, r in rates.items():
        if r.get("false_flag_rate") is not None:
            out.append(f"{names.get(key, key)}: on simulations ({r['simulation']}), {100 * r['false_flag_rate']:.2g}% "
                       f"of clean items flagged; precision >= {r['precision']:.2f} and recall >= {r['recall']:.2f} "
                       "in every regime.")  # fmt: skip
    return out


def build(ctx: ReportContext) -> SectionModel:
    tasks = _tasks(ctx)
    if not tasks:
        return SectionModel(id=ID, title=TITLE, status="absent",
                            reason="needs at least 3 models with predictions (or per-choice log-probabilities) "
                                   "and gold targets on the same items.")  # fmt: skip
    blocks, skipped = [], []
    for task, metric in tasks:
        try:
            blocks.append(_task_block(ctx, task, metric))
        except InputError as exc:
            skipped.append(f"{task}: {exc}")
    if not blocks:
        return SectionModel(id=ID, title=TITLE, status="absent", reason="; ".join(skipped))
    headline = []
    for b in blocks:
        if b["n_suspects"]:
            flips = [s for s in b["stability"] if s["n_flipped"]]
            tail = (f"; removing them reverses {flips[0]['n_flipped']} of {flips[0]['n_pairs']} orders among the "
                    "top models") if flips else ""  # fmt: skip
            done = (
                f", {b['n_reviewed_ok']} confirmed correct by your review"
                if b["n_reviewed_ok"]
                else ""
            )
            headline.append(f"{b['task']}: {b['n_suspects']:,} of {b['n_items']:,} items have a suspect gold answer{done} "
                            f"(strong models agree on another answer; estimated {b['prior_error']:.1%} of gold "
                            f"answers wrong){tail}.")  # fmt: skip
    review = [n for n in ctx.notes if n.startswith("Human review")]
    notes = [
        "P(gold wrong) comes from a model of the answers: each model answers right with a 2PL probability in its "
        "ability and the item's difficulty; wrong answers follow the item's own distractor popularity (one or more "
        "attractive distractors, possibly a misconception of the stronger models); the item parameters, the "
        "distractor popularity and the share of wrong gold answers are estimated from all items (EM). Strong models "
        "agreeing on another answer is evidence; weak models agreeing on a popular distractor much less. Where "
        "strong models share misconceptions often, a wrong key and a misconception look alike (measured precision "
        "0.68 in that simulation, benchmarks/README.md). Suspects have P(gold wrong) >= the threshold; "
        "review them (`assay audit items -o suspects.csv`, then `assay report --review suspects.csv`).",
        *_rate_notes(blocks[0]["flag_error_rates"]),
        "Ranking stability re-scores the top models without the suspects ('remove') or against the competing "
        "answer ('relabel'); pairwise orders are tested with McNemar's exact test, adjusted over pairs. "
        "'Labels to flip' is the fewest wrong gold labels that could reverse an order (each such label moves "
        "one item from A's wins to B's). Stability re-scores on the items the audit covers (those with a gold "
        "answer and predictions), so its 'before' scores can differ from the leaderboard's, which uses the items "
        "every model answered.",
        *skipped,
    ]
    return SectionModel(id=ID, title=TITLE, data={"tasks": blocks, "review": review}, headline=headline[:4],
                        notes=notes)  # fmt: skip
