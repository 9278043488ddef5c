"""Classic tests over many models, shown in the comparisons section (issue 16).

Per task with at least three models: an omnibus test on the task's one item set
(``TaskClaims.common``; Cochran's Q for 0/1 scores, Friedman otherwise) and Nemenyi's critical
difference of mean Friedman ranks (Demšar 2006). Across tasks (at least three): Friedman over tasks,
each task's leaderboard scores as one block, with Nemenyi's critical difference.

These are other tests than the paired all-pairs tests behind the leaderboard's tiers and the
verdicts: Nemenyi compares mean *ranks* (on how many items a model scores above another), with its
own family-wise level, where the paired tests compare mean *scores*, Holm-adjusted (or as set). So
they can disagree about a pair; every pair where they do is listed with what each claims, and no
"better" or "worse" verdict of the report is drawn from them.
"""

from __future__ import annotations

import warnings

import numpy as np

from assay._core import DegenerateDataWarning, InputError
from assay.report._context import ReportContext, TaskClaims
from assay.report._sections._common import fmt_p, is_binary
from assay.stats import cochran_q, friedman, nemenyi

__all__ = ["MIN_MODELS", "MIN_TASKS", "across_tasks", "omnibus_block"]

MIN_MODELS = 3
"""An omnibus test over fewer models adds nothing to the one paired test."""
MIN_TASKS = 3
MAX_NEMENYI_MODELS = 100
"""Beyond this many models the Nemenyi pairs (k(k-1)/2) are not listed; the omnibus test still is."""
MAX_DISAGREEMENTS = 30


def _rank_rows(models, mean_ranks: np.ndarray, k: int) -> list[dict]:
    """Mean ranks with 1 = best (scipy ranks 1 = lowest score), best first."""
    best_first = k + 1.0 - np.asarray(mean_ranks, float)
    order = np.argsort(best_first, kind="stable")
    return [{"model": models[i], "mean_rank": float(best_first[i])} for i in order]


def _nemenyi(x: np.ndarray, models, alpha: float) -> dict:
    k, n = x.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        nem = nemenyi(x, alpha=alpha, n_models=k)
    return {
        "critical_difference": nem.critical_difference,
        "q_alpha": nem.q_alpha,
        "alpha": alpha,
        "n": n,
        "k": k,
        "method": nem.method,
        "mean_ranks": _rank_rows(models, nem.mean_ranks, k),
        "n_pairs": k * (k - 1) // 2,
        "n_significant": int(np.triu(nem.significant, 1).sum()),
        "_result": nem,
    }


def _disagreements(claims: TaskClaims, nem, models) -> tuple[dict[str, int], list[dict]]:
    """Pairs where Nemenyi and the paired all-pairs tests claim different things, by kind:
    'opposite' (both significant, opposite directions), 'nemenyi only' (Nemenyi significant, the
    paired test not), 'paired only' (the paired test significant, Nemenyi not: the rank test has
    less power on the same items, as with 0/1 scores). Listed in that order."""
    pw = claims.board.pairwise
    pos = {m: i for i, m in enumerate(models)}
    found: dict[str, list[dict]] = {"opposite": [], "nemenyi only": [], "paired only": []}
    rows = zip(pw.model_a, pw.model_b, pw.estimate, pw.reject, pw.pvalue_adjusted, strict=True)
    for a, b, est, rej, p_adj in rows:
        i, j = pos[a], pos[b]
        nem_sig = bool(nem.significant[i, j])
        nem_b_higher = bool(nem.mean_ranks[j] > nem.mean_ranks[i])  # scipy: high rank = high score
        if nem_sig and rej:
            if nem_b_higher == bool(est > 0):
                continue
            kind = "opposite"
        elif nem_sig:
            kind = "nemenyi only"
        elif rej:
            kind = "paired only"
        else:
            continue
        hi, lo = (b, a) if nem_b_higher else (a, b)
        better, worse = (b, a) if est > 0 else (a, b)
        found[kind].append({
            "model_a": a, "model_b": b, "kind": kind,
            "nemenyi": f"{hi} ranks above {lo}" if nem_sig else "no difference in mean rank",
            "nemenyi_pvalue": float(nem.pvalues[i, j]),
            "paired": f"{better} scores above {worse}" if rej else "no detectable difference",
            "paired_pvalue_adjusted": float(p_adj),
        })  # fmt: skip
    counts = {k: len(v) for k, v in found.items()}
    listed = [row for v in found.values() for row in v][:MAX_DISAGREEMENTS]
    return counts, listed


def omnibus_block(ctx: ReportContext, claims: TaskClaims) -> dict | None:
    """The omnibus test and Nemenyi ranks of one task, or None when it has under three models."""
    common, board = claims.common, claims.board
    if board is None or common.n_models < MIN_MODELS or common.n_items < 2:
        return None
    x = common.item_scores()
    models = list(common.models)
    k, n = x.shape
    alpha = ctx.options.alpha
    # 0/1 per item (several samples per item average to fractions: Friedman then)
    binary = is_binary(common) and bool(np.all((x == 0) | (x == 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        try:
            fr = friedman(x, n_models=k)
            cq = cochran_q(x, n_models=k) if binary else None
        except InputError as exc:
            return {"reason": str(exc), "n": n, "k": k}
    test = cq if cq is not None else fr
    block = {
        "test": test.method, "statistic": test.statistic, "df": test.df, "pvalue": test.pvalue,
        "n": n, "k": k, "alpha": alpha, "reject": bool(test.pvalue < alpha),
        "friedman": {"statistic": fr.statistic, "df": fr.df, "pvalue": fr.pvalue},
        "nemenyi": None, "n_disagreements": 0, "disagreement_counts": {}, "disagreements": [],
        "n_pairs_differ": int(np.sum(board.pairwise.reject)), "reason": None,
    }  # fmt: skip
    if k <= MAX_NEMENYI_MODELS:
        nem = _nemenyi(x, models, alpha)
        counts, block["disagreements"] = _disagreements(claims, nem.pop("_result"), models)
        block["disagreement_counts"] = counts
        block["n_disagreements"] = sum(counts.values())
        block["nemenyi"] = nem
    return block


def omnibus_sentences(label: str, block: dict, adjust: str) -> list[str]:
    """What the omnibus test and Nemenyi claim, and where they part from the paired tests."""
    if not block or block.get("reason"):
        return []
    name = {"cochran-q": "Cochran's Q", "friedman": "Friedman"}[block["test"]]
    verdict = "differ" if block["reject"] else "show no detectable difference"
    out = [
        f"{label}: the {block['k']} models {verdict} as a whole ({name} = "
        f"{block['statistic']:.2f}, df = {block['df']}, {fmt_p(block['pvalue'])}, "
        f"n = {block['n']:,} items)."
    ]
    if not block["reject"] and block["n_pairs_differ"]:
        out.append(
            f"{label}: yet {block['n_pairs_differ']} pair(s) differ by the paired tests "
            f"({adjust}-adjusted): the omnibus test pools all models and can miss a difference "
            "between two of them; the verdicts stand on the paired tests."
        )
    counts = block["disagreement_counts"]
    if counts.get("opposite") or counts.get("nemenyi only"):
        out.append(
            f"{label}: Nemenyi's test of mean ranks and the paired tests of mean scores disagree "
            f"on {counts['opposite'] + counts['nemenyi only']} pair(s) ({counts['opposite']} in "
            f"opposite directions, {counts['nemenyi only']} significant by Nemenyi only; listed): "
            "the leaderboard and the verdicts use the paired tests of mean scores."
        )
    if counts.get("paired only"):
        out.append(
            f"{label}: {counts['paired only']} pair(s) differ by the paired tests but not by "
            "Nemenyi's critical difference, which has less power on the same items."
        )
    return out


def across_tasks(ctx: ReportContext) -> dict | None:
    """Friedman over tasks (one score per model and task) with Nemenyi's critical difference."""
    per_task: dict[str, TaskClaims] = {}
    for c in ctx.claim_groups:  # the first metric group of each task (metrics sorted by name)
        if c.board is not None:
            per_task.setdefault(c.task, c)
    if len(per_task) < MIN_TASKS:
        return None
    sets = [{e.model for e in c.board.entries} for c in per_task.values()]
    models = sorted(set.intersection(*sets))
    skipped = sorted(set.union(*sets) - set(models))
    base = {"n_tasks": len(per_task), "tasks": [c.label for c in per_task.values()],
            "models": models, "set_aside": skipped}  # fmt: skip
    if len(models) < 2:
        return base | {"reason": "fewer than two models were scored on every task."}
    x = np.array(
        [[{e.model: e.estimate for e in c.board.entries}[m] for c in per_task.values()]
         for m in models]
    )  # fmt: skip
    k, n = x.shape
    alpha = ctx.options.alpha
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fr = friedman(x, n_models=k)
    nem = _nemenyi(x, models, alpha) if k <= MAX_NEMENYI_MODELS else None
    pairs = []
    if nem is not None:
        res = nem.pop("_result")
        for i, j in zip(*np.triu_indices(k, 1), strict=True):
            if res.significant[i, j]:
                hi, lo = (i, j) if res.mean_ranks[i] > res.mean_ranks[j] else (j, i)
                pairs.append({"higher": models[hi], "lower": models[lo],
                              "pvalue": float(res.pvalues[i, j])})  # fmt: skip
    return base | {
        "reason": None, "statistic": fr.statistic, "df": fr.df, "pvalue": fr.pvalue,
        "reject": bool(fr.pvalue < alpha), "n": n, "k": k, "alpha": alpha,
        "nemenyi": nem, "significant_pairs": pairs[:MAX_DISAGREEMENTS],
        "n_significant_pairs": len(pairs),
    }  # fmt: skip


def across_sentence(block: dict | None) -> list[str]:
    if not block or block.get("reason"):
        return []
    verdict = "rank differently" if block["reject"] else "show no detectable difference in rank"
    top = block["nemenyi"]["mean_ranks"][0] if block["nemenyi"] else None
    tail = (
        f"; best mean rank {top['model']} ({top['mean_rank']:.2f}), Nemenyi critical difference "
        f"{block['nemenyi']['critical_difference']:.2f}"
        if top
        else ""
    )
    return [
        f"Across {block['n']} tasks, the {block['k']} models {verdict} (Friedman over tasks, "
        f"{fmt_p(block['pvalue'])}{tail})."
    ]
