"""Contamination: which test items are in the training corpus, and does it show in the scores?

Runs when the report is given a training corpus (``ReportOptions.corpus``: files or globs, text in
``corpus_text_field``) or the ``result.json`` of an earlier ``assay contamination scan --out``
(``ReportOptions.contamination_scan``). The items are indexed from the responses' input and target
text (GPT-3 13-gram recipe unless ``contamination_preset`` says otherwise).
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import AssayError, DegenerateDataWarning, InputError
from assay.report._context import ReportContext
from assay.report._model import SectionModel
from assay.report._sections._absent import absent
from assay.report._sections._common import fmt_p, level_pct

ID = "contamination"
TITLE = "Contamination"

MAX_ITEMS = 50
MAX_TEXT = 2000
"""Characters of an item's text shown beside its corpus evidence (the rest is cut, and said so)."""
REASON = (
    "needs a training corpus given with --corpus (JSONL, Parquet or text files), or the "
    "result.json of `assay contamination scan --out DIR` given with --contamination-scan."
)


def _scan_items(ctx: ReportContext) -> tuple[list[dict[str, Any]], dict[str, Any]] | str:
    """Per-item verdict dicts and scan facts, or the reason there are none."""
    scan_path = getattr(ctx.options, "contamination_scan", None)
    corpus = getattr(ctx.options, "corpus", None)
    if scan_path:
        try:
            with open(scan_path, encoding="utf-8") as fh:
                data = json.load(fh)
            result = data["result"]
            return result["items"], {
                k: result[k] for k in ("n_docs", "n_bytes", "stages", "recipe")
            } | {
                "sources": data.get("sources", []),
                "benchmarks": result.get("benchmarks", []),
                "flag_rates": result.get("flag_rates") or {},
            }
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            return f"the scan result {scan_path} could not be read ({type(exc).__name__})."
    if not corpus:
        return REASON
    from assay.pipelines import CorpusOptions, ScanOptions, index_from_responses, run_scan

    corpus = [corpus] if isinstance(corpus, str) else list(corpus)
    preset = getattr(ctx.options, "contamination_preset", None) or "gpt3"
    try:
        items = getattr(ctx, "contamination_items", None)
        index = index_from_responses(ctx.responses if items is None else items, preset=preset)
        cache = getattr(ctx.options, "corpus_embed_cache", None)
        options = ScanOptions(
            corpus=CorpusOptions(
                text_field=getattr(ctx.options, "corpus_text_field", None) or "text"
            ),
            embed=bool(getattr(ctx.options, "corpus_embed", False) or cache),
            embed_cache=cache,
        )
        result = run_scan(
            corpus,
            index,
            options=options,
            progress=False,
            confidence_level=ctx.options.confidence_level,
        )
    except AssayError as exc:
        return f"the corpus scan could not run: {exc}"
    d = result.to_dict()
    return d["items"], {
        "n_docs": d["n_docs"],
        "n_bytes": d["n_bytes"],
        "stages": d["stages"],
        "recipe": d["recipe"],
        "sources": corpus,
        "benchmarks": d["benchmarks"],
        "flag_rates": d.get("flag_rates") or {},
    }


def _item_texts(ctx: ReportContext) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """``{(benchmark, item): (question, answer)}``: the text that was checked against the corpus.

    The question comes from :meth:`ReportContext.item_text` (the one lookup the flip lists, the
    item audit and the IRT section use) or, when the report checks a separate set of benchmark
    items (``contamination_items``, e.g. the demo's HumanEval), from that table.
    """
    items = getattr(ctx, "contamination_items", None)
    source = ctx.responses if items is None else items
    out: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    targets: dict[tuple[str, str], str] = {}
    if "target" in source.column_names and source.num_rows:
        # the first non-empty target of each item, grouped in Arrow (one Python object per item,
        # not per response: a store holds millions)
        t = source.select(["task", "item", "target"])
        t = t.set_column(2, "target", t["target"].cast(pa.string()))  # an all-null column
        t = t.set_column(1, "item", t["item"].cast(pa.string()))
        t = t.filter(pc.and_(pc.invert(pc.is_null(t["target"])), pc.not_equal(t["target"], "")))
        g = t.group_by(["task", "item"], use_threads=False).aggregate([("target", "first")])
        targets = {
            (task, str(item)): target
            for task, item, target in zip(
                g["task"].to_pylist(), g["item"].to_pylist(), g["target_first"].to_pylist(),
                strict=True,
            )
        }  # fmt: skip
    if items is None:
        for task in sorted(
            v for v in pc.unique(source.column("task")).to_pylist() if v is not None
        ):
            for item, text in ctx.item_text(task).items():
                out[(task, str(item))] = (text, targets.get((task, str(item))))
        return out
    cols = [source.column(c).to_pylist() for c in ("task", "item", "input")]
    for task, item, text in zip(*cols, strict=True):
        if text is not None and (task, str(item)) not in out:
            out[(task, str(item))] = (text, targets.get((task, str(item))))
    return out


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f" [... {len(text) - MAX_TEXT:,} more characters]"


def _rates(items: list[dict[str, Any]], level: float) -> list[dict[str, Any]]:
    from assay.stats import proportion_ci

    out = []
    for bench in sorted({v["benchmark"] for v in items}):
        vs = [v for v in items if v["benchmark"] == bench]
        n_in = sum(v["status"] == "input" for v in vs)
        n_ia = sum(v["status"] == "input_and_answer" for v in vs)
        ci = proportion_ci(n_in + n_ia, len(vs), confidence_level=level)
        out.append(
            {
                "benchmark": bench,
                "n": len(vs),
                "n_input": n_in,
                "n_input_and_answer": n_ia,
                "n_unchecked": sum(v["status"] == "unchecked" for v in vs),
                "estimate": float(ci.estimate),
                "ci_low": float(ci.ci_low),
                "ci_high": float(ci.ci_high),
                "confidence_level": level,
                "method": "wilson",
            }
        )
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _flag_rate_texts(rates: dict[str, Any]) -> dict[str, str]:
    """Per stage, its measured false-flag rate and recall in words (from the result)."""
    out = {}
    ng = rates.get("ngram")
    if ng:
        out["ngram"] = (
            f"n-gram: {_pct(ng['false_flag_rate'])} false flags on a clean corpus of similar text "
            f"(n = {ng['n_clean']}), recall {_pct(ng['recall_copies'])} on planted copies, "
            f"{_pct(ng['recall_rephrasings'])} on rephrasings"
        )
    nd = rates.get("near_duplicate")
    if nd:
        out["near_duplicate"] = (
            f"near duplicate: {_pct(nd['false_flag_rate'])} false flags (n = {nd['n_clean']}), "
            f"recall {_pct(nd['recall_edited_2pct'])} on copies with 2% of words replaced"
        )
    rp = rates.get("rephrase")
    if rp:
        sim, unrel = rp.get("similar_problems", {}), rp.get("unrelated_code", {})
        out["rephrase"] = (
            f"rephrase (probability >= {rp.get('threshold', 0.5)}): false flags "
            f"{_pct(unrel.get('0%', {}).get('false_flag_rate'))} against unrelated text and "
            f"{_pct(sim.get('0%', {}).get('false_flag_rate'))} against similar problems; recall "
            f"{_pct(unrel.get('50%', {}).get('recall'))} and "
            f"{_pct(sim.get('50%', {}).get('recall'))} when half the items were rephrased in "
            f"(n = {rp.get('n_items')})"
        )
    return out


def _unidentified_text(rp: dict[str, Any] | None) -> str:
    """What the lower bound leaves out, in words, from the measured rates on the result."""
    text = "The upper end is not identified: a rephrasing that does not stand out looks like none"
    full = ((rp or {}).get("unrelated_code") or {}).get("100%") or {}
    if full.get("lower_bound") is not None and full.get("recall") is not None:
        n = rp.get("n_rephrasings", rp.get("n_items"))
        text += (
            f" (measured with all {n} of the paper's rephrasings of HumanEval items planted in "
            f"unrelated code: a bound of {full['lower_bound']:.0f} and {_pct(full['recall'])} of "
            "them at probability 0.5 or more)"
        )
    return text + "."


def _gaps(ctx: ReportContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from assay.contamination import clean_vs_dirty

    dirty_ids: dict[str, set[str]] = {}
    for v in items:
        if v["status"] in ("input", "input_and_answer"):
            dirty_ids.setdefault(v["benchmark"], set()).add(v["item"])
    out = []
    for task, metric in ctx.task_metrics:
        if task not in dirty_ids:
            continue
        m = ctx.matrix(task, metric)
        mask = np.array([it in dirty_ids[task] for it in m.items], bool)
        if not mask.any() or mask.all() or m.n_models < 2:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                res = clean_vs_dirty(
                    m.values,
                    mask,
                    models=m.models,
                    rng=ctx.rng(f"contamination/{task}/{metric}"),
                    confidence_level=ctx.options.confidence_level,
                    n_resamples=min(ctx.options.n_resamples, 1000),
                )
            except InputError:
                continue
        out.append(
            {
                "task": task,
                "metric": metric,
                "n_items": res.n_items,
                "n_dirty": res.n_dirty,
                "difficulty": res.difficulty,
                "n_strata": res.n_strata,
                "rows": [g.to_dict() for g in res.models],
            }
        )
    return out


def build(ctx: ReportContext) -> SectionModel:
    found = _scan_items(ctx)
    if isinstance(found, str):
        return absent(ID, TITLE, found)
    items, facts = found
    level = ctx.options.confidence_level
    rates = _rates(items, level)
    by_bench = {b.get("benchmark"): b for b in facts.get("benchmarks", [])}
    for r in rates:
        b = by_bench.get(r["benchmark"], {})
        r["rephrased"] = b.get("rephrased")
        r["rephrased_ci_low"] = b.get("rephrased_ci_low")
        r["rephrased_ci_high"] = b.get("rephrased_ci_high")
        r["n_rephrase_flags"] = b.get("n_rephrase_flags", 0)
        r["rephrase_null"] = b.get("rephrase_null", 0)
    flag_rates = facts.get("flag_rates") or {}
    rate_texts = _flag_rate_texts(flag_rates)
    flagged = [v for v in items if v["status"] in ("input", "input_and_answer")]
    flagged.sort(key=lambda v: (-(v["longest"] or 0), v["benchmark"], v["item"]))
    texts = _item_texts(ctx)
    shown = [
        {
            "benchmark": v["benchmark"],
            "item": v["item"],
            "question": _cut(texts.get((v["benchmark"], str(v["item"])), (None, None))[0]),
            "answer": _cut(texts.get((v["benchmark"], str(v["item"])), (None, None))[1]),
            "status": v["status"],
            "stages": v["stages"],
            "input_share": v["input_share"],
            "longest": v["longest"],
            "n_docs": v["n_docs"],
            "n_answer_docs": v["n_answer_docs"],
            "near_jaccard": v["near_jaccard"],
            "rephrase_probability": v.get("rephrase_probability"),
            "flag_rates": [rate_texts[st] for st in v["stages"] if st in rate_texts],
            "evidence": [
                {
                    k: e.get(k)
                    for k in ("source", "row", "doc_id", "start", "end", "longest", "snippet")
                }
                for e in (v.get("evidence") or [])[:3]
            ],
        }
        for v in flagged[:MAX_ITEMS]
    ]
    rephrased = [
        v
        for v in items
        if (v.get("rephrase_probability") or 0) >= 0.5
        and v["status"] not in ("input", "input_and_answer")
    ]
    rephrased.sort(key=lambda v: (-v["rephrase_probability"], v["benchmark"], v["item"]))
    rephrased_shown = [
        {
            "benchmark": v["benchmark"],
            "item": v["item"],
            "question": _cut(texts.get((v["benchmark"], str(v["item"])), (None, None))[0]),
            "answer": _cut(texts.get((v["benchmark"], str(v["item"])), (None, None))[1]),
            "probability": v["rephrase_probability"],
            "neighbour": {
                k: (v.get("neighbours") or [{}])[0].get(k)
                for k in ("source", "row", "doc_id", "score", "snippet")
            },
        }
        for v in rephrased[:MAX_ITEMS]
    ]
    gaps = _gaps(ctx, items)
    headline = []
    for r in rates:
        n_bad = r["n_input"] + r["n_input_and_answer"]
        if n_bad:
            headline.append(
                f"{r['benchmark'] or 'test set'}: {n_bad} of {r['n']} items found in the training "
                f"corpus ({100 * r['estimate']:.1f}%, {level_pct(level)} CI "
                f"{100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f}%)."
            )
    unidentified = _unidentified_text(flag_rates.get("rephrase"))
    for r in rates:
        if r["rephrased_ci_low"] is not None and r["rephrased_ci_low"] >= 1:
            headline.append(
                f"{r['benchmark'] or 'test set'}: at least {r['rephrased_ci_low']:.0f} of "
                f"{r['n']} items were rephrased into the corpus or have a document as close as a "
                f"rephrasing there ({level_pct(level)} lower bound, from embedding similarity "
                f"alone; {r['n_rephrase_flags']} items at probability 0.5 or more). {unidentified}"
            )
    for g in gaps:
        for row in g["rows"]:
            p = row["pvalue_adjusted"]
            if p is not None and math.isfinite(p) and p < ctx.options.alpha:
                headline.append(
                    f"{row['model']} scores {100 * row['estimate']:+.1f} points higher on contaminated "
                    f"{g['task']} items than their difficulty explains ({fmt_p(p)}, Holm)."
                )
    recipe = facts.get("recipe", {})
    notes = [
        f"n-gram stage: {recipe.get('name')} recipe, {recipe.get('n')}-grams of lowercased words with ASCII "
        "punctuation removed; an item is flagged when any of its input n-grams occurs in a document "
        "(input and answer when the same document also holds the answer).",
        "Clean against dirty: items stratified into difficulty quintiles by the other models' mean "
        "score; the gap is dirty minus clean within strata, weighted by contaminated items; binary "
        "scores tested by Cochran-Mantel-Haenszel, one-sided, Holm-adjusted across models.",
        "Rates: share of items contaminated, Wilson interval.",
    ]
    if "rephrase" in facts.get("stages", []):
        notes.append(
            "Rephrase probability: how far each item's nearest embedding neighbour stands above "
            "its other neighbours, as a spacing statistic of the top order statistics, with an "
            "empirical p-value against corpus documents used as pseudo-queries (the F "
            "distribution where there are none); each item's probability is one minus its local "
            "false discovery rate (Storey's null share). The count is a one-sided lower bound "
            "(binomial, Bonferroni over five thresholds): the number rephrased is not identified "
            "from above, and a document as close as a rephrasing (a similar problem) counts. It "
            "does not change the status (see docs/contamination.md)."
        )
    if rate_texts:
        notes.append(
            "How often a flag is wrong, measured on data with known truth ("
            + str(flag_rates.get("source", ""))
            + "): "
            + "; ".join(rate_texts.values())
            + "."
        )
    data = {
        "n_docs": facts.get("n_docs"),
        "n_bytes": facts.get("n_bytes"),
        "stages": list(facts.get("stages", [])),
        "sources": [str(s) for s in facts.get("sources", [])],
        "recipe": recipe,
        "rates": rates,
        "n_flagged": len(flagged),
        "items": shown,
        "rephrased_items": rephrased_shown,
        "n_rephrased_flags": len(rephrased),
        "flag_rates": flag_rates,
        "flag_rate_texts": rate_texts,
        "gaps": gaps,
        "confidence_level": level,
        "known": _known_agreement(ctx, items),
    }
    if data["known"] is not None:
        k = data["known"]
        headline.append(
            f"Against the {k['n_known']} items known to be contaminated ({k['source']}): the "
            f"n-gram and near-duplicate stages flag {k['ngram_hits']}, the embedding candidates "
            f"(cosine threshold) hold {k['embedding_hits']} (of {k['embedding_candidates']}), the "
            f"rephrase estimate flags {k['rephrase_hits']} (of its {k['rephrase_flags']} flags)."
        )
    return SectionModel(id=ID, title=TITLE, data=data, headline=headline, notes=notes)


def _known_agreement(ctx: ReportContext, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """How the scan's flags agree with items known to be contaminated (a judge's or a person's
    verdicts, ``ReportOptions.contamination_known``): each stage's hits among them and how many
    of its flags they confirm. None when no known items were given."""
    known = set(getattr(ctx.options, "contamination_known", None) or ())
    if not known:
        return None
    ids = {v["item"] for v in items}
    ngram = {v["item"] for v in items if v["status"] in ("input", "input_and_answer")}
    rephrase = {v["item"] for v in items if (v.get("rephrase_probability") or 0) >= 0.5}
    candidates = {v["item"] for v in items if "embedding" in (v.get("stages") or ())}
    return {
        "source": getattr(ctx.options, "contamination_known_source", None) or "given",
        "n_known": len(known & ids),
        "n_known_unmatched": len(known - ids),
        "ngram_hits": len(known & ngram),
        "ngram_flags": len(ngram),
        "rephrase_hits": len(known & rephrase),
        "rephrase_flags": len(rephrase),
        "embedding_hits": len(known & candidates),
        "embedding_candidates": len(candidates),
        "missed": sorted(known & ids - ngram - rephrase - candidates),
    }
