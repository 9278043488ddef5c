"""Corpus-level metrics of lm-evaluation-harness, recomputed from per-item (gold, prediction)
pairs, with bootstrap intervals over items (paired between models on the same items).

lm-eval scores some tasks with an aggregation over the whole corpus rather than a mean of
per-item scores (``lm_eval/api/metrics.py``): ``f1`` (sklearn's binary F1), ``matthews_corrcoef``,
``bleu``, ``chrf`` and ``ter`` (sacrebleu's corpus scores), ``perplexity``,
``weighted_perplexity``, ``bits_per_byte``, ``brier_score``. Its samples files hold each item's
input to that aggregation. Every metric here is a function of column sums of per-item
statistics, so one bootstrap resample is a matrix product of resample counts with the
statistics: vectorised, and paired when two models share the resamples.

An aggregation written as code inside a log (``custom``) is never executed. TER (edit distance
with shifts) is not recomputed: its reported value is used.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level, check_positive_int, check_rng

__all__ = [
    "CORPUS_METRICS",
    "CorpusMetricResult",
    "corpus_bootstrap",
    "corpus_compare",
    "corpus_metric",
    "corpus_statistics",
]

_MY_LOG_ZERO = -9999999999.0  # sacrebleu.utils.my_log(0)


# -------------------------------------------------------------------------- per-item stats


def _labels(golds, preds, name):
    try:
        g = np.array([int(x) for x in golds])
        p = np.array([int(x) for x in preds])
    except (TypeError, ValueError):
        raise InputError(f"{name} needs integer labels as gold and prediction.") from None
    return g, p


def _f1_stats(golds, preds):
    g, p = _labels(golds, preds, "f1")
    bad = set(np.unique(np.r_[g, p]).tolist()) - {0, 1}
    if bad:
        raise InputError(
            f"f1 is lm-eval's binary F1 (sklearn f1_score, pos_label=1): labels must be 0 or 1; "
            f"got {sorted(bad)[:3]}."
        )
    return np.column_stack([(g == 1) & (p == 1), (g == 0) & (p == 1), (g == 1) & (p == 0)])


def _f1_value(s):
    tp, fp, fn = s[..., 0], s[..., 1], s[..., 2]
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)


def _mcc_stats(golds, preds, labels=None):
    g, p = _labels(golds, preds, "matthews_corrcoef")
    labels = np.unique(np.r_[g, p]) if labels is None else np.asarray(labels)
    k = labels.size
    cells = np.searchsorted(labels, g) * k + np.searchsorted(labels, p)
    out = np.zeros((g.size, k * k))
    out[np.arange(g.size), cells] = 1.0
    return out


def _mcc_value(s):
    k = int(round(math.sqrt(s.shape[-1])))
    c = s.reshape(*s.shape[:-1], k, k)
    t_sum, p_sum = c.sum(axis=-1), c.sum(axis=-2)
    n = c.sum(axis=(-1, -2))
    correct = np.trace(c, axis1=-2, axis2=-1)
    cov_tp = correct * n - (t_sum * p_sum).sum(axis=-1)
    cov_pp = n**2 - (p_sum * p_sum).sum(axis=-1)
    cov_tt = n**2 - (t_sum * t_sum).sum(axis=-1)
    den = cov_tt * cov_pp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, cov_tp / np.sqrt(np.where(den > 0, den, 1)), 0.0)


_RE_13A = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def _tokenize_13a(line: str) -> list[str]:
    """sacrebleu's default ``13a`` tokenizer (mteval-v13a), as ``Tokenizer13a`` does it."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        for a, b in (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")):
            line = line.replace(a, b)
    line = f" {line} "
    for rx, repl in _RE_13A:
        line = rx.sub(repl, line)
    return line.split()


def _word_ngrams(tokens: list[str], order: int) -> Counter:
    return Counter(
        tuple(tokens[i : i + n]) for n in range(1, order + 1) for i in range(len(tokens) - n + 1)
    )


def _refs_preds(golds, preds):
    """lm-eval's ``_sacreformat``: each gold is a reference or a list of them; each prediction a
    string or a one-element list."""
    refs, hyps = [], []
    for i, (g, p) in enumerate(zip(golds, preds, strict=True)):
        r = [g] if isinstance(g, str) else list(g)
        if isinstance(p, list | tuple):
            if len(p) != 1:
                raise InputError(f"item {i}: a prediction must be a string; got {p!r:.60}.")
            p = p[0]
        if not isinstance(p, str) or not r or not all(isinstance(x, str) for x in r):
            raise InputError(f"item {i}: references and prediction must be text.")
        refs.append(r)
        hyps.append(p)
    return refs, hyps


def _bleu_stats(golds, preds):
    refs, hyps = _refs_preds(golds, preds)
    out = np.zeros((len(hyps), 10))
    for i, (r, h) in enumerate(zip(refs, hyps, strict=True)):
        ht = _tokenize_13a(h)
        hyp_ng = _word_ngrams(ht, 4)
        ref_ng: Counter = Counter()
        lens = []
        for ref in r:
            rt = _tokenize_13a(ref)
            lens.append(len(rt))
            for ng, c in _word_ngrams(rt, 4).items():
                ref_ng[ng] = max(ref_ng[ng], c)
        hl = len(ht)
        ref_len = min(lens, key=lambda x: (abs(hl - x), x))  # closest, the shorter on a tie
        out[i, 0], out[i, 1] = hl, ref_len
        for ng, c in hyp_ng.items():
            n = len(ng) - 1
            out[i, 6 + n] += c
            out[i, 2 + n] += min(c, ref_ng.get(ng, 0))
    return out


def _bleu_value(s):
    """sacrebleu's ``BLEU.compute_bleu`` with ``smooth_method='exp'`` (corpus_bleu's default)."""
    sys_len, ref_len = s[..., 0], s[..., 1]
    correct, total = s[..., 2:6], s[..., 6:10]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bp = np.where(
            sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0.0), 1.0
        )
        smooth = np.ones(sys_len.shape)
        stopped = np.zeros(sys_len.shape, dtype=bool)
        logsum = np.zeros(sys_len.shape)
        for n in range(4):
            stopped |= total[..., n] == 0
            zero = correct[..., n] == 0
            smooth = np.where(~stopped & zero, smooth * 2, smooth)
            prec = np.where(
                zero, 100.0 / (smooth * total[..., n]), 100.0 * correct[..., n] / total[..., n]
            )
            logsum += np.where(stopped, _MY_LOG_ZERO, np.log(np.where(stopped, 1.0, prec)))
        score = bp * np.exp(logsum / 4)
    return np.where(correct.sum(axis=-1) == 0, 0.0, score)


def _char_ngrams(line: str) -> list[Counter]:
    line = "".join(line.split())
    return [Counter(line[i : i + n] for i in range(len(line) - n + 1)) for n in range(1, 7)]


def _chrf_value(s):
    """sacrebleu's ``CHRF._compute_f_score`` (char order 6, word order 0, beta 2, no eps)."""
    s = np.asarray(s, dtype=float)
    hyp, ref, match = s[..., 0::3], s[..., 1::3], s[..., 2::3]
    ok = (hyp > 0) & (ref > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(ok, match / np.where(hyp > 0, hyp, 1), 0.0)
        rec = np.where(ok, match / np.where(ref > 0, ref, 1), 0.0)
    eff = ok.sum(axis=-1)
    avg_p = np.where(eff > 0, prec.sum(axis=-1) / np.maximum(eff, 1), 0.0)
    avg_r = np.where(eff > 0, rec.sum(axis=-1) / np.maximum(eff, 1), 0.0)
    den = 4 * avg_p + avg_r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(avg_p + avg_r > 0, 100 * 5 * avg_p * avg_r / np.where(den > 0, den, 1), 0.0)


def _chrf_stats(golds, preds):
    refs, hyps = _refs_preds(golds, preds)
    out = np.zeros((len(hyps), 18))
    for i, (r, h) in enumerate(zip(refs, hyps, strict=True)):
        hn = _char_ngrams(h)
        best, best_f = None, -1.0
        for ref in r:
            rn = _char_ngrams(ref)
            st = []
            for hc, rc in zip(hn, rn, strict=True):
                # as sacrebleu: no hypothesis count for an order the reference lacks
                st += [sum(hc.values()) if rc else 0, sum(rc.values()), sum((hc & rc).values())]
            f = float(_chrf_value(np.array(st)))
            if f > best_f:
                best, best_f = st, f
        out[i] = best
    return out


def _numbers(values, name):
    try:
        return np.array([float(v) for v in values])
    except (TypeError, ValueError):
        raise InputError(f"{name} needs numbers per item.") from None


def _ll_stats(golds, preds):
    """perplexity: each item's log-likelihood (the gold slot; lm-eval stores one number)."""
    return np.column_stack([_numbers(golds, "perplexity"), np.ones(len(golds))])


def _weighted_stats(golds, preds):
    """weighted_perplexity, bits_per_byte: (log-likelihood, words or bytes) per item."""
    return np.column_stack([_numbers(golds, "loglikelihood"), _numbers(preds, "weights")])


def _ratio(s):
    with np.errstate(divide="ignore", invalid="ignore"):
        return s[..., 0] / s[..., 1]


@dataclasses.dataclass(frozen=True)
class _Metric:
    stats: Callable[[Sequence[Any], Sequence[Any]], np.ndarray]
    value: Callable[[np.ndarray], np.ndarray]
    scale: str


CORPUS_METRICS: dict[str, _Metric] = {
    "f1": _Metric(_f1_stats, _f1_value, "[0, 1]"),
    "matthews_corrcoef": _Metric(_mcc_stats, _mcc_value, "[-1, 1]"),
    "bleu": _Metric(_bleu_stats, _bleu_value, "[0, 100]"),
    "chrf": _Metric(_chrf_stats, _chrf_value, "[0, 100]"),
    "perplexity": _Metric(_ll_stats, lambda s: np.exp(-_ratio(s)), ">= 1"),
    "weighted_perplexity": _Metric(_weighted_stats, lambda s: np.exp(-_ratio(s)), ">= 1"),
    "bits_per_byte": _Metric(_weighted_stats, lambda s: -_ratio(s) / math.log(2), ">= 0"),
}
"""lm-eval's corpus aggregations recomputed here (TER and custom code are not)."""

_NOT_RECOMPUTED = {
    "ter": "TER (edit distance with shifts) is not recomputed; the reported value is used",
    "custom": "a custom aggregation written as code in the log is never executed; the reported "
    "value is used, without an interval",
}


def _metric(aggregation: str) -> _Metric:
    if aggregation in _NOT_RECOMPUTED:
        raise InputError(f"{aggregation}: {_NOT_RECOMPUTED[aggregation]}.", field="aggregation")
    if aggregation not in CORPUS_METRICS:
        raise InputError(
            f"`aggregation` must be one of {', '.join(sorted(CORPUS_METRICS))}; "
            f"got {aggregation!r}.",
            field="aggregation",
        )
    return CORPUS_METRICS[aggregation]


def corpus_statistics(
    golds: Sequence[Any], preds: Sequence[Any], *, aggregation: str
) -> np.ndarray:
    """Per-item statistics of shape (n_items, k) whose column sums give the corpus metric."""
    m = _metric(aggregation)
    if len(golds) != len(preds):
        raise InputError(
            f"`golds` and `preds` must have one entry per item; got {len(golds)} and {len(preds)}."
        )
    if len(golds) == 0:
        raise InputError("`golds` is empty; a corpus metric needs at least one item.")
    return m.stats(golds, preds)


def corpus_metric(golds: Sequence[Any], preds: Sequence[Any], *, aggregation: str) -> float:
    """The corpus value of one of lm-eval's aggregations, from per-item (gold, prediction) pairs.

    Parameters
    ----------
    golds, preds : sequence
        Per item, as lm-eval's samples file holds the metric's value ``[gold, prediction]``:
        labels for ``f1``/``matthews_corrcoef``; reference text (or a list of references) and
        the generated text for ``bleu``/``chrf``; the log-likelihood (and, for the weighted
        ones, the word or byte count as ``preds``) for the perplexities.
    aggregation : str
        One of :data:`CORPUS_METRICS`.

    Returns
    -------
    float
        On lm-eval's scale (BLEU and chrF 0-100).

    Examples
    --------
    >>> from assay.stats import corpus_metric
    >>> corpus_metric([1, 0, 1, 1], [1, 0, 0, 1], aggregation="f1")
    0.8
    """
    m = _metric(aggregation)
    s = corpus_statistics(golds, preds, aggregation=aggregation)
    return float(m.value(s.sum(axis=0)))


# ------------------------------------------------------------------------------ bootstrap


@dataclasses.dataclass(frozen=True, kw_only=True)
class CorpusMetricResult(Result):
    """A corpus metric (or a difference of two) with a percentile bootstrap interval over items.

    Attributes
    ----------
    estimate, ci_low, ci_high, se : float
    confidence_level : float
    method : str
    n : int
        Items.
    aggregation : str
    paired : bool
        For a difference: the same item resamples for both models.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    confidence_level: float
    method: str
    n: int
    aggregation: str
    n_resamples: int
    paired: bool = False


def _resampled(stats_list, value, n_resamples, rng, chunk=200):
    """Metric values of the bootstrap resamples (same resamples for every stats array)."""
    n = stats_list[0].shape[0]
    out = [np.empty(n_resamples) for _ in stats_list]
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)
        for o, s in zip(out, stats_list, strict=True):
            o[done : done + b] = value(counts @ s)
        done += b
    return out


def _bootstrap_iv(n_resamples, confidence_level, rng):
    return (
        check_positive_int(n_resamples, "n_resamples", minimum=10),
        check_confidence_level(confidence_level),
        check_rng(rng),
    )


def corpus_bootstrap(
    golds: Sequence[Any],
    preds: Sequence[Any],
    *,
    aggregation: str,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: Any = None,
) -> CorpusMetricResult:
    """A corpus metric with a percentile bootstrap interval over items.

    Items are resampled with replacement and the corpus metric recomputed on each resample
    (Koehn 2004, "Statistical Significance Tests for Machine Translation Evaluation"). The
    interval is the percentile one; ``se`` is the resamples' SD.

    Examples
    --------
    >>> from assay.stats import corpus_bootstrap
    >>> res = corpus_bootstrap([1, 0, 1, 1] * 25, [1, 0, 0, 1] * 25, aggregation="f1", rng=0)
    >>> round(res.estimate, 2), res.ci_low < 0.8 < res.ci_high
    (0.8, True)
    """
    n_resamples, level, gen = _bootstrap_iv(n_resamples, confidence_level, rng)
    m = _metric(aggregation)
    s = corpus_statistics(golds, preds, aggregation=aggregation)
    (boot,) = _resampled([s], m.value, n_resamples, gen)
    lo, hi = np.nanpercentile(boot, [50 * (1 - level), 50 * (1 + level)])
    return CorpusMetricResult(
        estimate=float(m.value(s.sum(axis=0))),
        ci_low=float(lo),
        ci_high=float(hi),
        se=float(np.nanstd(boot, ddof=1)),
        confidence_level=level,
        method="percentile bootstrap over items",
        n=int(s.shape[0]),
        aggregation=aggregation,
        n_resamples=n_resamples,
    )


def corpus_compare(
    golds: Sequence[Any],
    preds_a: Sequence[Any],
    preds_b: Sequence[Any],
    *,
    aggregation: str,
    golds_b: Sequence[Any] | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: Any = None,
) -> CorpusMetricResult:
    """Model A minus model B on a corpus metric, paired bootstrap over the same items.

    Parameters
    ----------
    golds : sequence
        Per-item gold values, aligned with both models' predictions (same items, same order).
    preds_a, preds_b : sequence
    golds_b : sequence, optional
        B's gold values when they are stored per model (perplexities: B's log-likelihoods in
        ``golds_b``; the weights in ``preds_*``). Default: ``golds``.

    Returns
    -------
    CorpusMetricResult
        ``paired=True``; the interval is the percentile interval of the resampled differences.
    """
    n_resamples, level, gen = _bootstrap_iv(n_resamples, confidence_level, rng)
    m = _metric(aggregation)
    gb = golds if golds_b is None else golds_b
    sa = corpus_statistics(golds, preds_a, aggregation=aggregation)
    sb = corpus_statistics(gb, preds_b, aggregation=aggregation)
    if aggregation == "matthews_corrcoef":  # one confusion matrix shape for both models
        shared = np.unique(
            np.r_[
                _labels(golds, preds_a, "mcc")[0],
                _labels(gb, preds_b, "mcc")[0],
                _labels(golds, preds_a, "mcc")[1],
                _labels(gb, preds_b, "mcc")[1],
            ]
        )
        sa, sb = _mcc_stats(golds, preds_a, shared), _mcc_stats(gb, preds_b, shared)
    if sa.shape[0] != sb.shape[0]:
        raise InputError("A and B must be scored on the same items, in the same order.")
    ba, bb = _resampled([sa, sb], m.value, n_resamples, gen)
    diff = ba - bb
    lo, hi = np.nanpercentile(diff, [50 * (1 - level), 50 * (1 + level)])
    return CorpusMetricResult(
        estimate=float(m.value(sa.sum(axis=0)) - m.value(sb.sum(axis=0))),
        ci_low=float(lo),
        ci_high=float(hi),
        se=float(np.nanstd(diff, ddof=1)),
        confidence_level=level,
        method="paired percentile bootstrap over items",
        n=int(sa.shape[0]),
        aggregation=aggregation,
        n_resamples=n_resamples,
        paired=True,
    )
