"""From matches to verdicts: per item clean / input / input-and-answer, per benchmark rates."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from assay._core import InputError, Result
from assay._core._validation import check_confidence_level, check_probability
from assay.contamination._embedding import TopK
from assay.contamination._index import INPUT, TARGET, TestIndex
from assay.contamination._rates import flag_rates
from assay.contamination._rephrase import RephraseResult, rephrase_probability
from assay.contamination._scan import ScanPartial

__all__ = ["STATUSES", "BenchmarkRate", "ContaminationResult", "ItemVerdict", "summarize"]

STATUSES = ("clean", "input", "input_and_answer", "unchecked")


@dataclasses.dataclass(frozen=True)
class ItemVerdict(Result):
    """One test item's verdict and the evidence for it.

    Attributes
    ----------
    item, benchmark : str
    status : {'clean', 'input', 'input_and_answer', 'unchecked'}
        'input': the question was found (by n-grams, MinHash, or a judge's yes); 'input_and_answer':
        a document holding the question also holds the answer; 'unchecked': the input is too short
        for the n-gram stage and no other stage flagged it.
    stages : tuple of str
        The stages that flagged the item ('ngram', 'near_duplicate', 'embedding', 'judge').
    input_share, target_share : float
        Share of the input's (target's) distinct n-grams found anywhere in the corpus (NaN when
        the part has none).
    longest : int
        Words in the longest verbatim match.
    n_docs, n_answer_docs, n_target_docs : int
        Documents matching the input; of those, holding the answer; documents matching the target.
    near_jaccard : float
        Best estimated Jaccard similarity among near duplicates (NaN when none).
    embedding_score : float
        Best cosine similarity (NaN without the embedding stage).
    judge : tuple of dict
        Judge verdicts on the embedding candidates: ``verdict`` (True/False/None) and ``error``.
    evidence, near, neighbours : tuple of dict
        Matching documents (n-gram), near duplicates, and embedding neighbours.
    rephrase_probability : float
        Probability that the nearest embedding neighbour is a rephrasing of the item (see
        :func:`rephrase_probability`; NaN without the embedding stage or with fewer than four
        neighbours). At 0.5 or more the item gets the stage 'rephrase'; it does not change the
        status, which stays with the n-gram, near-duplicate and judge stages.
    """

    item: str
    benchmark: str
    status: str
    stages: tuple[str, ...]
    input_share: float
    target_share: float
    longest: int
    n_docs: int
    n_answer_docs: int
    n_target_docs: int
    near_jaccard: float
    embedding_score: float
    judge: tuple[dict[str, Any], ...] = ()
    evidence: tuple[dict[str, Any], ...] = ()
    near: tuple[dict[str, Any], ...] = ()
    neighbours: tuple[dict[str, Any], ...] = ()
    rephrase_probability: float = float("nan")

    @property
    def contaminated(self) -> bool:
        return self.status in ("input", "input_and_answer")


@dataclasses.dataclass(frozen=True)
class BenchmarkRate(Result):
    """Share of a benchmark's items found contaminated, with a Wilson interval.

    From the embedding stage (NaN without it): ``rephrased_ci_low`` is a one-sided lower bound,
    at ``confidence_level``, on the number of the benchmark's items with a rephrasing (or a
    document as close as one) in the corpus; ``rephrased_ci_high`` is the number tested, as the
    upper end is not identified; ``rephrased`` the number whose rephrasing stands out (an
    estimate that errs low by the rephrasings the test misses); ``n_rephrase_flags`` the items
    whose rephrase probability is at least 0.5; ``rephrase_null`` the corpus pseudo-queries the
    p-values were calibrated against (0: the F distribution).
    """

    benchmark: str
    n: int
    n_input: int
    n_input_and_answer: int
    n_unchecked: int
    n_embedding_candidates: int
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    method: str = "wilson"
    rephrased: float = float("nan")
    rephrased_ci_low: float = float("nan")
    rephrased_ci_high: float = float("nan")
    n_rephrase_flags: int = 0
    rephrase_null: int = 0


@dataclasses.dataclass(frozen=True)
class ContaminationResult(Result):
    """Verdicts of a contamination scan.

    Attributes
    ----------
    recipe : dict
        The n-gram recipe used.
    fingerprint : str
        The test index's fingerprint.
    n_docs, n_bytes, n_words : int
        Size of the corpus scanned.
    stages : tuple of str
        Stages that ran.
    items : tuple of ItemVerdict
    benchmarks : tuple of BenchmarkRate
    settings : dict
        Thresholds used.
    flag_rates : dict
        Per stage, the false-flag rate and recall measured on data with known truth
        (:data:`assay.contamination.FLAG_RATES`), for citing beside each verdict.
    """

    recipe: dict[str, Any]
    fingerprint: str
    n_docs: int
    n_bytes: int
    n_words: int
    stages: tuple[str, ...]
    items: tuple[ItemVerdict, ...]
    benchmarks: tuple[BenchmarkRate, ...]
    settings: dict[str, Any]
    flag_rates: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def item_ids(self) -> list[str]:
        return [v.item for v in self.items]

    @property
    def contaminated(self) -> np.ndarray:
        """Boolean mask over :attr:`items`: input or input-and-answer contaminated."""
        return np.array([v.contaminated for v in self.items], bool)

    def counts(self) -> dict[str, int]:
        return {s: sum(v.status == s for v in self.items) for s in STATUSES}


def _summarize_iv(
    index,
    partial,
    embedding,
    embedding_null,
    judge,
    min_share,
    embedding_threshold,
    confidence_level,
):
    if not isinstance(index, TestIndex):
        raise InputError(f"`index` must be a TestIndex; got {type(index).__name__}.")
    if not isinstance(partial, ScanPartial):
        raise InputError(f"`partial` must be a ScanPartial; got {type(partial).__name__}.")
    if embedding is not None and (
        not isinstance(embedding, TopK) or len(embedding.refs) != index.n_items
    ):
        raise InputError("`embedding` must be a TopK with one row per test item.")
    if embedding_null is not None and (
        embedding is None or not isinstance(embedding_null, TopK) or embedding_null.k != embedding.k
    ):
        raise InputError(
            "`embedding_null` must be a TopK with the `embedding` stage's k, given with it."
        )
    if min_share is not None:
        check_probability(min_share, "min_share")
    check_probability(embedding_threshold, "embedding_threshold")
    check_confidence_level(confidence_level)
    if judge is not None and not isinstance(judge, dict):
        raise InputError(
            f"`judge` must be a dict of item index to verdicts; got {type(judge).__name__}."
        )


def summarize(
    index: TestIndex,
    partial: ScanPartial,
    *,
    embedding: TopK | None = None,
    embedding_null: TopK | None = None,
    judge: dict[int, list[dict[str, Any]]] | None = None,
    min_share: float | None = None,
    embedding_threshold: float = 0.8,
    confidence_level: float = 0.95,
) -> ContaminationResult:
    """Turn a scan's matches into per-item verdicts and per-benchmark rates.

    Parameters
    ----------
    index : TestIndex
    partial : ScanPartial
        The merged scan of the whole corpus.
    embedding : TopK, optional
        Embedding neighbours per item (from the embedding stage).
    embedding_null : TopK, optional
        Neighbours of corpus documents used as pseudo-queries against the rest of the corpus
        (themselves and exact copies left out): the null that the rephrase p-values are
        calibrated against (see :func:`rephrase_probability`); without it, the F distribution.
    judge : dict of int to list of dict, optional
        Judge verdicts per item index (from the judge stage).
    min_share : float, optional
        Flag an input when at least this share of its n-grams is found; default: any one n-gram
        (the GPT-3, Tulu 3 and open-r1 rule).
    embedding_threshold : float, default 0.8
        Top-1 cosine similarity at or above which an item is an embedding candidate. Candidates are
        reported, and count as contaminated only when the judge confirms them.
    confidence_level : float, default 0.95
        Level of the per-benchmark Wilson intervals and of the rephrase-count lower bounds.

    Returns
    -------
    ContaminationResult
    """
    _summarize_iv(
        index,
        partial,
        embedding,
        embedding_null,
        judge,
        min_share,
        embedding_threshold,
        confidence_level,
    )
    judge = judge or {}
    found = np.zeros(len(index.keys), bool)
    found[partial.found] = True
    share = _shares(index, found)
    rephrase = _rephrase(index, embedding, embedding_null, confidence_level)
    prob = rephrase[0]
    verdicts = []
    for i in range(index.n_items):
        v = _verdict(i, index, partial, share, embedding, judge, min_share, embedding_threshold)
        if np.isfinite(prob[i]):
            stages = v.stages + (("rephrase",) if prob[i] >= 0.5 else ())
            v = dataclasses.replace(v, rephrase_probability=float(prob[i]), stages=stages)
        verdicts.append(v)
    stages = ["ngram"]
    if index.minhash is not None:
        stages.append("near_duplicate")
    if embedding is not None:
        stages.append("embedding")
    if embedding is not None and np.isfinite(prob).any():
        stages.append("rephrase")
    if judge:
        stages.append("judge")
    return ContaminationResult(
        recipe=index.recipe.to_dict(),
        fingerprint=index.fingerprint,
        n_docs=partial.n_docs,
        n_bytes=partial.n_bytes,
        n_words=partial.n_words,
        stages=tuple(stages),
        items=tuple(verdicts),
        benchmarks=_rates(verdicts, confidence_level, rephrase[1]),
        settings={
            "min_share": min_share,
            "embedding_threshold": embedding_threshold,
            "minhash": None if index.minhasher is None else index.minhasher.to_dict(),
            "rephrase_threshold": 0.5,
        },
        flag_rates=flag_rates(index.recipe.name),
    )


def _rephrase(index, embedding, embedding_null, level):
    """Per-item rephrase probabilities, and per benchmark the count's lower bound."""
    prob = np.full(index.n_items, np.nan)
    per_bench: dict[str, RephraseResult] = {}
    if embedding is None:
        return prob, per_bench
    benches = np.asarray(index.benchmarks, dtype=object)
    for bench in sorted(set(index.benchmarks)):
        rows = np.flatnonzero(benches == bench)
        res = rephrase_probability(
            embedding.scores[rows],
            null_scores=None if embedding_null is None else embedding_null.scores,
            confidence_level=level,
        )
        prob[rows] = res.probability
        per_bench[bench] = res
    return prob, per_bench


def _shares(index: TestIndex, found: np.ndarray) -> np.ndarray:
    """Share of each item's (and part's) distinct grams found: shape (n_items, 2), NaN if none."""
    hit = np.repeat(found, np.diff(index.owner_ptr))
    counts = np.bincount(index.owner_code[hit], minlength=2 * index.n_items).reshape(-1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(index.n_grams > 0, counts / np.maximum(index.n_grams, 1), np.nan)


def _verdict(i, index, partial, share, embedding, judge, min_share, threshold) -> ItemVerdict:
    rec = partial.items.get(i, {})
    near = partial.near.get(i, [])
    s_in = float(share[i, INPUT])
    stages = []
    flagged_ngram = rec.get("n_docs", 0) > 0 and (min_share is None or s_in >= min_share)
    if flagged_ngram:
        stages.append("ngram")
    if near:
        stages.append("near_duplicate")
    emb_score, neighbours = float("nan"), ()
    if embedding is not None and embedding.refs[i]:
        emb_score = float(embedding.scores[i, 0])
        neighbours = tuple(
            {**r, "score": float(s)}
            for s, r in zip(embedding.scores[i], embedding.refs[i], strict=False)
        )
        if emb_score >= threshold:
            stages.append("embedding")
    verdicts = tuple(judge.get(i, ()))
    if any(v.get("verdict") is True for v in verdicts):
        stages.append("judge")
    flagged = flagged_ngram or bool(near) or "judge" in stages
    if not flagged:
        status = "unchecked" if index.n_grams[i, INPUT] == 0 else "clean"
    elif flagged_ngram and rec.get("n_answer_docs", 0) > 0:
        status = "input_and_answer"
    else:
        status = "input"
    return ItemVerdict(
        item=index.item_ids[i],
        benchmark=index.benchmarks[i],
        status=status,
        stages=tuple(stages),
        input_share=s_in,
        target_share=float(share[i, TARGET]),
        longest=int(rec.get("longest", 0)),
        n_docs=int(rec.get("n_docs", 0)),
        n_answer_docs=int(rec.get("n_answer_docs", 0)),
        n_target_docs=int(rec.get("n_target_docs", 0)),
        near_jaccard=max((e["jaccard"] for e in near), default=float("nan")),
        embedding_score=emb_score,
        judge=verdicts,
        evidence=tuple(rec.get("evidence", ())),
        near=tuple(near),
        neighbours=neighbours,
    )


def _rates(
    verdicts: list[ItemVerdict], confidence_level: float, rephrase
) -> tuple[BenchmarkRate, ...]:
    out = []
    for bench in sorted({v.benchmark for v in verdicts}):
        vs = [v for v in verdicts if v.benchmark == bench]
        n_in = sum(v.status == "input" for v in vs)
        n_ia = sum(v.status == "input_and_answer" for v in vs)
        from assay.stats import proportion_ci  # (scipy: imported when needed, not by workers)

        ci = proportion_ci(n_in + n_ia, len(vs), method="wilson", confidence_level=confidence_level)
        out.append(
            BenchmarkRate(
                benchmark=bench,
                n=len(vs),
                n_input=n_in,
                n_input_and_answer=n_ia,
                n_unchecked=sum(v.status == "unchecked" for v in vs),
                n_embedding_candidates=sum("embedding" in v.stages for v in vs),
                estimate=float(ci.estimate),
                ci_low=float(ci.ci_low),
                ci_high=float(ci.ci_high),
                confidence_level=confidence_level,
                **_rephrase_fields(rephrase.get(bench)),
            )
        )
    return tuple(out)


def _rephrase_fields(res: RephraseResult | None) -> dict[str, Any]:
    if res is None or res.n_tested == 0:
        return {}
    return {
        "rephrased": res.n_rephrased,
        "rephrased_ci_low": res.ci_low,
        "rephrased_ci_high": res.ci_high,
        "n_rephrase_flags": res.n_probable,
        "rephrase_null": res.n_null,
    }
