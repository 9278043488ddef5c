"""What every section builder receives: the responses, cached score matrices and the options."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay._core import DegenerateDataWarning, InputError, ScoreMatrix, ScoreScale
from assay.io import MissingItemsWarning, ReadResult, build_matrix
from assay.io._matrix import keep_rows
from assay.stats import LeaderboardResult, leaderboard

__all__ = ["ReportContext", "ReportOptions", "TaskClaims"]

MIN_ITEMS_TO_RANK = 2
"""Fewer shared items than this: scores are shown, no order or difference is claimed."""


@dataclasses.dataclass(frozen=True)
class TaskClaims:
    """Everything the report claims about one task and metric, computed once.

    Attributes
    ----------
    task, metric : str
        ``metric`` is the first of ``metrics``.
    metrics : tuple of str
        Metrics of the task whose per-item values are identical: one claim covers them all.
    full : ScoreMatrix
        Every item any model answered, NaN where a response is missing.
    common : ScoreMatrix
        The one item set of every claim about this task (headline, leaderboard, comparisons,
        subjects, heat map): the items every kept model answered (:meth:`ScoreMatrix.common`).
    set_aside : dict of str to int
        Models left out of the claims (they answered under half the items), with their item count.
    scale : ScoreScale
    board : LeaderboardResult or None
        The leaderboard on ``common``; its ``pairwise`` tests are the single source of every
        "better", "worse", "tied" or "distinguishable" statement about a pair.
    unranked_reason : str or None
        Why there is no ranking (one model, too few shared items).
    """

    task: str
    metric: str
    metrics: tuple[str, ...]
    full: ScoreMatrix
    common: ScoreMatrix
    set_aside: dict[str, int]
    scale: ScoreScale
    board: LeaderboardResult | None
    unranked_reason: str | None

    @property
    def label(self) -> str:
        """'task (metric)', naming every identical metric."""
        return f"{self.task} ({' = '.join(self.metrics)})"


#: Per section, figures are drawn for this many tasks (the rest get their tables only), so a
#: 30-task suite's HTML stays near the size of an 8-task one (tests/report/test_scale.py).
MAX_FIGURE_TASKS = 8


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    """Options of :func:`assay.report.build_report`.

    Parameters
    ----------
    baseline : str, optional
        Compare every model against this one; otherwise all pairs when there are at most
        ``max_pairs_models`` models, else each model against the best.
    confidence_level : float, default 0.95
    seed : int, default 0
        Seeds every resampling step, so that the same inputs give byte-identical JSON.
    n_resamples : int, default 2000
        Bootstrap resamples for rank intervals.
    alpha : float, default 0.05
        Level of the tests (after adjustment for multiple comparisons).
    adjust : str, default 'holm'
        Multiple-comparison adjustment of the pairwise p-values.
    max_pairs_models : int, default 8
    corpus : tuple of str, default ()
        Training-corpus files or globs (JSONL, Parquet, text) for the contamination section.
    corpus_text_field : str, default 'text'
        The field of each corpus record that holds its text.
    contamination_scan : str, optional
        The ``result.json`` of an earlier ``assay contamination scan --out``, instead of a corpus.
    contamination_preset : str, default 'gpt3'
        The n-gram recipe of the contamination scan.
    corpus_embed : bool, default False
        Also run the scan's embedding stage and its rephrase estimate (needs ``assay[embed]``
        unless every text is in ``corpus_embed_cache``).
    corpus_embed_cache : str, optional
        Precomputed embeddings (:func:`assay.pipelines.save_embeddings`) for that stage.
    contamination_known : tuple of str, default ()
        Item ids known to be contaminated (an LLM judge's or a person's verdicts): the section
        says how many of them each stage flags and how many of its flags they confirm.
    contamination_known_source : str, optional
        Where ``contamination_known`` comes from, named in the report.
    irt_subset_sizes : bool, default False
        In the IRT section, say how many items would have told the same story with a new IRT
        fit per held-out model (:func:`assay.irt.subset_sizes` with ``refit='full'``: minutes
        of CPU on MMLU-Pro); by default each fold's items are re-estimated at the fit's
        abilities (``refit='items'``: seconds).
    curve_target : float, optional
        The score whose time to target the training-curves section reports (in the score's
        units); default each run's final level.
    """

    baseline: str | None = None
    confidence_level: float = 0.95
    seed: int = 0
    n_resamples: int = 2000
    alpha: float = 0.05
    adjust: str = "holm"
    max_pairs_models: int = 8
    corpus: tuple[str, ...] = ()
    corpus_text_field: str = "text"
    contamination_scan: str | None = None
    contamination_preset: str = "gpt3"
    corpus_embed: bool = False
    corpus_embed_cache: str | None = None
    contamination_known: tuple[str, ...] = ()
    contamination_known_source: str | None = None
    irt_subset_sizes: bool = False
    curve_target: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ReportContext:
    """The inputs of a report, with score matrices built once and shared by the sections."""

    def __init__(
        self,
        result: ReadResult,
        options: ReportOptions,
        review: Any = None,
        contamination_items: pa.Table | None = None,
    ) -> None:
        self.result = result
        self.review = review  # a report._review.ReviewOutcome, or None
        # benchmark items (task, item, input, target) to check against the corpus, when they are
        # not the scored results themselves (the demo's HumanEval)
        self.contamination_items = contamination_items
        self.responses: pa.Table = result.responses
        self.runs: pa.Table = result.runs
        self.options = options
        self.notes: list[str] = list(result.notes)
        self._figure_calls: dict[str, int] = {}

    def figure_allowed(self, section: str) -> bool:
        """Whether ``section`` may draw its next task's figures: the first
        :data:`MAX_FIGURE_TASKS` tasks get them, the rest tables only (the HTML size budget)."""
        n = self._figure_calls.get(section, 0)
        self._figure_calls[section] = n + 1
        return n < MAX_FIGURE_TASKS

    def figures_withheld(self, section: str) -> int:
        """How many tasks of ``section`` were refused figures by :meth:`figure_allowed`."""
        return max(self._figure_calls.get(section, 0) - MAX_FIGURE_TASKS, 0)

    def rng(self, salt: str) -> np.random.Generator:
        """A generator seeded by the report seed and a stable salt (section/task name)."""
        digest = sum((i + 1) * b for i, b in enumerate(salt.encode("utf-8")))
        return np.random.default_rng([self.options.seed, digest])

    @functools.cached_property
    def task_metrics(self) -> list[tuple[str, str]]:
        """Sorted (task, metric) pairs that have at least one finite score."""
        t = self.responses
        if t.num_rows == 0:
            return []
        keyed = t.group_by(["task", "metric"]).aggregate([("score", "count")])
        pairs = zip(
            keyed.column("task").to_pylist(),
            keyed.column("metric").to_pylist(),
            keyed.column("score_count").to_pylist(),
            strict=True,
        )
        return sorted((a, b) for a, b, n in pairs if n)

    @functools.cache  # noqa: B019 - the context lives for one report
    def matrix(self, task: str, metric: str) -> ScoreMatrix:
        """The (models x items x samples) matrix of one task and metric, NaN where missing."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingItemsWarning)  # the inventory reports it
            return build_matrix(self.responses, task, metric, align="keep")

    @functools.cached_property
    def claim_groups(self) -> list[TaskClaims]:
        """One :class:`TaskClaims` per task and distinct metric (identical metrics merged)."""
        groups: dict[tuple[str, bytes], list[str]] = {}
        for task, metric in self.task_metrics:
            m = self.matrix(task, metric)
            key = (task, _fingerprint(m))
            groups.setdefault(key, []).append(metric)
        return [self._claims(task, tuple(metrics)) for (task, _), metrics in groups.items()]

    def claims(self, task: str, metric: str) -> TaskClaims:
        """The claims of the group that holds ``metric`` of ``task``."""
        for c in self.claim_groups:
            if c.task == task and metric in c.metrics:
                return c
        raise KeyError((task, metric))

    def _claims(self, task: str, metrics: tuple[str, ...]) -> TaskClaims:
        full = self.matrix(task, metrics[0])
        common = full.common()
        matrix = common.matrix
        board, reason = None, None
        if matrix.n_models < 2:
            reason = "only one model was scored on this task: there is nothing to rank or compare."
        elif matrix.n_items < MIN_ITEMS_TO_RANK:
            reason = (
                f"the models share {matrix.n_items} item(s): too few to order them or to test a "
                "difference."
            )
        else:
            opts = self.options
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DegenerateDataWarning)
                    board = leaderboard(
                        matrix,
                        confidence_level=opts.confidence_level,
                        n_resamples=opts.n_resamples,
                        adjust=opts.adjust,
                        alpha=opts.alpha,
                        rng=self.rng(f"board:{task}:{metrics[0]}"),
                    )
            except InputError as exc:  # say why, show the scores
                reason = str(exc)
        return TaskClaims(
            task=task, metric=metrics[0], metrics=metrics, full=full, common=matrix,
            set_aside=common.set_aside, scale=full.scale, board=board, unranked_reason=reason,
        )  # fmt: skip

    @functools.cache  # noqa: B019 - the context lives for one report
    def item_text(self, task: str) -> dict[str, str]:
        """The question text of each item of ``task`` (the first non-null ``input``), if any."""
        t = self.responses.filter(pc.equal(self.responses.column("task"), task))
        col = t.column("input")
        if col.null_count == t.num_rows:
            return {}
        t = t.filter(pc.invert(pc.is_null(col))).select(["item", "input"])
        out: dict[str, str] = {}
        for item, text in zip(
            t.column("item").to_pylist(), t.column("input").to_pylist(), strict=True
        ):
            out.setdefault(item, text)
        return out

    def answers(self, task: str, metric: str, models: list[str], items: list[str]) -> dict:
        """``{(model, item): (prediction, target)}`` for a few items (sample 0): what a reviewer
        of a flip or a suspect needs to see beside the question."""
        if not items:
            return {}
        t, grid, model_names, item_names = self._answer_rows(task, metric)
        want_m = np.flatnonzero(np.isin(model_names, np.asarray(models, dtype=object)))
        want_i = np.flatnonzero(np.isin(item_names, np.asarray(items, dtype=object)))
        rows = np.sort(grid[np.ix_(want_m, want_i)].ravel())
        t = t.take(pa.array(rows[rows >= 0]))
        cols = [t.column(c).to_pylist() for c in ("model", "item", "prediction", "target")]
        return {(m, i): (p, g) for m, i, p, g in zip(*cols, strict=True)}

    @functools.cache  # noqa: B019 - the context lives for one report
    def _answer_rows(self, task: str, metric: str) -> tuple:
        """Sample-0 rows of (task, metric) and a (model, item) -> row grid, built once per task
        (each flip list and suspect looks a few items up in it)."""
        r = self.responses
        mask = pc.and_(
            pc.and_(pc.equal(r.column("task"), task), pc.equal(r.column("metric"), metric)),
            pc.equal(r.column("sample"), 0),
        )
        t = keep_rows(r.select(["model", "item", "prediction", "target"]), mask)
        codes, names = [], []
        for name in ("model", "item"):
            enc = pc.dictionary_encode(t.column(name)).combine_chunks()
            codes.append(np.asarray(enc.indices, dtype=np.int64))
            names.append(np.asarray(enc.dictionary.to_pylist(), dtype=object))
        grid = np.full((len(names[0]), len(names[1])), -1, dtype=np.int64)
        grid[codes[0], codes[1]] = np.arange(t.num_rows)  # a repeated (model, item): the last row
        return t, grid, names[0], names[1]

    @functools.cached_property
    def aggregate_only(self) -> pa.Table | None:
        """Task-level aggregate rows whose (model, task, metric) has no per-item score (computed
        once; the summarised-results and training-curves sections both read it)."""
        agg = getattr(self.result, "aggregates", None)
        if agg is None or agg.num_rows == 0:
            return None
        agg = agg.filter(pc.equal(agg.column("level"), "task"))
        if self.responses.num_rows:
            have = {
                (r["run_id"], r["task"], r["metric"])
                for r in self.responses.select(["run_id", "task", "metric"])
                .group_by(["run_id", "task", "metric"])
                .aggregate([])
                .to_pylist()
            }
            keep = [
                (r, t, m) not in have
                for r, t, m in zip(
                    agg.column("run_id").to_pylist(),
                    agg.column("task").to_pylist(),
                    agg.column("metric").to_pylist(),
                    strict=True,
                )
            ]
            agg = agg.filter(pa.array(keep, pa.bool_()))
        return agg if agg.num_rows else None

    def column_present(self, name: str) -> int:
        """How many rows have a non-null value in ``name``."""
        col = self.responses.column(name)
        return len(col) - col.null_count

    def models(self) -> list[str]:
        return sorted(
            v for v in pc.unique(self.responses.column("model")).to_pylist() if v is not None
        )

    def steps_present(self) -> bool:
        return self.column_present("step") > 0

    def max_samples(self) -> int:
        if self.responses.num_rows == 0:
            return 0
        return int(pc.max(self.responses.column("sample")).as_py()) + 1


def _fingerprint(m: ScoreMatrix) -> bytes:
    """Identical models, items and per-item values give the same bytes."""
    import hashlib

    h = hashlib.sha256()
    h.update("\x1f".join(m.models).encode("utf-8", "surrogatepass") + b"\x1e")
    h.update("\x1f".join(m.items).encode("utf-8", "surrogatepass") + b"\x1e")
    h.update(np.ascontiguousarray(m.values).tobytes())
    return h.digest()
