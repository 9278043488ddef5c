"""Check a harness's reported aggregates against the per-item rows they came from.

Where a run has per-item rows they are the truth. A reported value that they do not reproduce
is a finding about the harness run: a different filter, a truncated samples file, a limit, a
bug in a custom metric. :func:`check_aggregates` recomputes each reported mean (and its
standard error and n) from the items, and each named corpus-level metric from its (gold,
prediction) pairs, and lists every disagreement.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay.stats._corpus import CORPUS_METRICS, corpus_metric

__all__ = ["AggregateFinding", "check_aggregates"]

_CHECKED = frozenset({"lm_eval", "inspect", "lighteval"})
"""Harnesses whose aggregates summarise exactly the per-item rows read. HELM's stats.json is
per split (the long table pools its splits) and is not checked."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregateFinding(Result):
    """One disagreement between a reported aggregate and the per-item rows.

    Attributes
    ----------
    run_id, model, task, metric : str
    kind : str
        ``value``, ``stderr``, ``n``, ``corpus`` (a recomputed corpus metric differs) or
        ``no-items`` (the run has per-item rows for the task but none for this metric).
    reported, recomputed : float or None
    message : str
    """

    run_id: str
    model: str
    task: str
    metric: str
    kind: str
    reported: float | None
    recomputed: float | None
    message: str


def _col(table: Any, name: str) -> np.ndarray:
    try:
        col = table[name]
    except (KeyError, TypeError):
        raise InputError(f"the table lacks the column {name!r}.", field=name) from None
    if hasattr(col, "to_pylist"):  # a pyarrow column, without importing pyarrow here
        return np.asarray(col.to_pylist(), dtype=object)
    return np.asarray(col, dtype=object)


def _item_means(responses: Any, runs: set[str]) -> dict[tuple[str, str, str], tuple]:
    """Per (run, task, metric): mean over items of each item's mean over its scored samples,
    the SD of those item means (ddof 1) and the number of items with a score."""
    run = _col(responses, "run_id")
    keep = np.isin(run, list(runs))
    if not keep.any():
        return {}
    task = _col(responses, "task")[keep]
    metric = _col(responses, "metric")[keep]
    item = _col(responses, "item")[keep]
    score = np.array([math.nan if s is None else float(s) for s in _col(responses, "score")[keep]])
    group = np.array(
        [f"{r}\x1f{t}\x1f{m}" for r, t, m in zip(run[keep], task, metric, strict=True)],
        dtype=object,
    )
    g_keys, g_inv = np.unique(group, return_inverse=True)
    i_keys, i_inv = np.unique(item.astype(str), return_inverse=True)
    cell = g_inv.astype(np.int64) * i_keys.size + i_inv
    ok = np.isfinite(score)
    sums = np.bincount(cell[ok], weights=score[ok], minlength=g_keys.size * i_keys.size)
    counts = np.bincount(cell[ok], minlength=g_keys.size * i_keys.size)
    present = np.bincount(cell, minlength=g_keys.size * i_keys.size) > 0
    out = {}
    for g, key in enumerate(g_keys):
        sl = slice(g * i_keys.size, (g + 1) * i_keys.size)
        c, s, pres = counts[sl], sums[sl], present[sl]
        means = s[c > 0] / c[c > 0]
        sd = float(np.std(means, ddof=1)) if means.size > 1 else math.nan
        r, t, m = key.split("\x1f")
        out[r, t, m] = (
            float(means.mean()) if means.size else math.nan,
            sd,
            int(means.size),
            int(pres.sum()),
        )
    return out


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def check_aggregates(
    responses: Any,
    aggregates: Any,
    corpus_items: Any = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> list[AggregateFinding]:
    """Findings where a harness's reported aggregates disagree with the per-item rows.

    Parameters
    ----------
    responses : table
        The long table (``ReadResult.responses`` or anything indexable by column name: ``run_id,
        task, metric, item, score``).
    aggregates : table
        The aggregate table (``ReadResult.aggregates``).
    corpus_items : table, optional
        ``ReadResult.corpus_items``; named corpus-level metrics are then recomputed too.
    rtol, atol : float
        Tolerance of a match, ``|recomputed - reported| <= atol + rtol * |reported|``.

    Returns
    -------
    list of AggregateFinding
        Empty when everything matches. Only aggregates of runs that have per-item rows (or
        corpus items) are checked; group aggregates and HELM's per-split means are not.

    Notes
    -----
    A ``mean`` aggregate is compared with the mean over items of each item's mean over its
    scored samples, its standard error with :math:`s/\\sqrt{n}` (lm-eval's ``mean_stderr``,
    n - 1 in the variance), and its n with the number of scored items. Missing (NaN) scores
    are left out, as the harness leaves out nothing: a missing score is itself a finding
    (``n``).
    """
    run_col = _col(aggregates, "run_id")
    runs = set(run_col.tolist())
    item_stats = _item_means(responses, runs)
    tasks_with_items = {(r, t) for r, t, _ in item_stats}
    corpus = _corpus_groups(corpus_items)
    findings = []
    cols = {k: _col(aggregates, k) for k in ("model", "task", "metric", "value", "stderr", "n")}
    agg = _col(aggregates, "aggregation")
    level = _col(aggregates, "level")
    harness = _col(aggregates, "harness")
    for i in range(run_col.size):
        key = (run_col[i], cols["task"][i], cols["metric"][i])
        if level[i] != "task" or cols["value"][i] is None or harness[i] not in _CHECKED:
            continue
        value = float(cols["value"][i])
        base = dict(run_id=key[0], model=cols["model"][i], task=key[1], metric=key[2])
        if agg[i] in CORPUS_METRICS and key in corpus:
            golds, preds = corpus[key]
            redo = corpus_metric(golds, preds, aggregation=agg[i])
            if not _close(redo, value, rtol, atol):
                findings.append(
                    AggregateFinding(
                        **base,
                        kind="corpus",
                        reported=value,
                        recomputed=redo,
                        message=f"{agg[i]} recomputed from {len(golds)} item pairs is {redo:.6g}; "
                        f"the harness reported {value:.6g}",
                    )
                )
            continue
        if agg[i] not in ("mean", None):
            continue
        if key not in item_stats:
            if (key[0], key[1]) in tasks_with_items:
                findings.append(
                    AggregateFinding(
                        **base,
                        kind="no-items",
                        reported=value,
                        recomputed=None,
                        message="the run has per-item rows for this task but none for this "
                        "metric (another filter or metric name in the samples file?)",
                    )
                )
            continue
        mean, sd, n_scored, n_items = item_stats[key]
        findings.extend(
            _mean_findings(
                base,
                value,
                cols["stderr"][i],
                cols["n"][i],
                mean,
                sd,
                n_scored,
                n_items,
                rtol,
                atol,
            )
        )
    return findings


def _mean_findings(base, value, stderr, n, mean, sd, n_scored, n_items, rtol, atol):
    out = []
    if not _close(mean, value, rtol, atol):
        out.append(
            AggregateFinding(
                **base,
                kind="value",
                reported=value,
                recomputed=mean,
                message=f"the mean of {n_scored} per-item scores is {mean:.6g}; the harness "
                f"reported {value:.6g}",
            )
        )
    if n is not None and int(n) != n_scored:
        out.append(
            AggregateFinding(
                **base,
                kind="n",
                reported=float(n),
                recomputed=float(n_scored),
                message=f"the harness reported n = {int(n)}; the samples hold {n_items} item(s), "
                f"{n_scored} with a score (a truncated samples file, or a --limit?)",
            )
        )
    if stderr is not None and n_scored > 1:
        se = sd / math.sqrt(n_scored)
        if not _close(se, float(stderr), 1e-4, atol):
            out.append(
                AggregateFinding(
                    **base,
                    kind="stderr",
                    reported=float(stderr),
                    recomputed=se,
                    message=f"s/sqrt(n) of the per-item scores is {se:.6g}; the harness reported "
                    f"{float(stderr):.6g}",
                )
            )
    return out


def _corpus_groups(corpus_items: Any) -> dict[tuple[str, str, str], tuple[list, list]]:
    if corpus_items is None:
        return {}
    cols = [_col(corpus_items, k) for k in ("run_id", "task", "metric", "gold", "prediction")]
    out: dict[tuple[str, str, str], tuple[list, list]] = {}
    for r, t, m, g, p in zip(*cols, strict=True):
        golds, preds = out.setdefault((r, t, m), ([], []))
        golds.append(json.loads(g) if g is not None else None)
        preds.append(json.loads(p) if p is not None else None)
    return out
