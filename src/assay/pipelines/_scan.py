"""The corpus scan: file ranges scanned in parallel (processes or Dask), resumable from a manifest."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import multiprocessing
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assay._core import InputError
from assay.contamination import (
    ContaminationResult,
    DocRef,
    ScanPartial,
    TestIndex,
    TopK,
    cosine_topk,
    scan_texts,
    summarize,
)
from assay.pipelines._corpus import CorpusOptions, expand_paths
from assay.pipelines._judge import JudgeConfig, judge_candidates, judge_preview
from assay.pipelines._manifest import Manifest
from assay.pipelines._ranges import Range, iter_batches, iter_range_batches, plan_ranges
from assay.pipelines._sample import spread_sample

__all__ = ["ScanOptions", "ScanRun", "run_scan", "scan_corpus", "scan_range", "scan_shard"]

_TEXT_CHARS = 2000
_NULL_EXTRA = 5  # neighbours a pseudo-query keeps beyond k, for itself and its exact copies
_COPY = 1 - 1e-4  # a pseudo-query's neighbour at least this similar is itself or a copy of it


@dataclasses.dataclass(frozen=True)
class ScanOptions:
    """Options of a corpus scan (everything that decides its result).

    Parameters
    ----------
    corpus : CorpusOptions
        Field names and text unit.
    max_evidence : int, default 20
        Evidence records kept per item.
    answer_window : int, default 100
        Words around an input match searched for a short answer.
    near_duplicates : bool, default True
        Run MinHash/LSH when the index has signatures.
    embed : bool, default False
        Run the embedding stage (needs ``assay[embed]``).
    embed_k : int, default 20
        Neighbours kept per item (the rephrase probability needs at least 4 and estimates the
        tail of unrelated documents from neighbours 2..k).
    keep_text_min : float, default 0.5
        Neighbours at least this similar keep up to 2,000 characters of text, for the judge.
    embed_cache : str, optional
        A file of precomputed embeddings (:func:`assay.pipelines.save_embeddings`): texts found
        there are not encoded again (the model loads only for the rest).
    embed_null : int, default 500
        Corpus documents used as pseudo-queries against the rest of the corpus (themselves and
        exact copies left out): the null that the rephrase p-values are calibrated against.
        0: the F distribution is the null. The documents are spread over the whole corpus (every
        file in proportion to its bytes, each file at evenly spaced places; see
        :func:`assay.pipelines.spread_sample`), so a corpus sorted by source gets pseudo-queries
        from every source; blank documents are never taken. The sample depends only on the files
        (never on ranges or workers): a resumed scan uses the same pseudo-queries, and a finished
        range whose pseudo-queries differ (a file changed) is scanned again.
    """

    corpus: CorpusOptions = CorpusOptions()
    max_evidence: int = 20
    answer_window: int = 100
    near_duplicates: bool = True
    embed: bool = False
    embed_k: int = 20
    keep_text_min: float = 0.5
    embed_cache: str | None = None
    embed_null: int = 500

    def __post_init__(self) -> None:
        if (
            isinstance(self.embed_null, bool)
            or not isinstance(self.embed_null, int)
            or self.embed_null < 0
        ):
            raise InputError(
                f"`embed_null` must be a non-negative integer; got {self.embed_null!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ScanRun:
    """The merged matches of a scan, before verdicts.

    Attributes
    ----------
    partial : ScanPartial
    neighbours : TopK or None
    sources : list of str
        The corpus files, in shard order.
    seconds : float
    n_ranges_resumed : int
        Ranges taken from the manifest instead of scanned.
    null_neighbours : TopK or None
        The pseudo-queries' ``k`` nearest other documents (scores only, no references): the
        rephrase test's empirical null (see ``ScanOptions.embed_null``).
    ranges : list of Range
        The units of work (see :func:`assay.pipelines.plan_ranges`).
    notes : list of str
        What could not be split (a gzip file, a single zstd frame), and why.
    """

    partial: ScanPartial
    neighbours: TopK | None
    sources: list[str]
    seconds: float
    n_ranges_resumed: int = 0
    ranges: list[Range] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    null_neighbours: TopK | None = None


# -- one range ----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(
    index: TestIndex,
    options: ScanOptions,
    item_embeddings: np.ndarray | None,
    null_keys: list[str] | None,
) -> None:
    _WORKER.update(
        index=index, options=options, item_embeddings=item_embeddings, null_keys=null_keys
    )


def _worker_task(rng: Range) -> dict[str, Any]:
    w = _WORKER
    return scan_range(rng, w["index"], w["options"], w["item_embeddings"], w["null_keys"])


def scan_range(
    rng: Range,
    index: TestIndex,
    options: ScanOptions,
    item_embeddings: np.ndarray | None = None,
    null_keys: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scan one range of a file; returns JSON-safe data with rows numbered within the range.

    The result holds ``partial`` (a :class:`ScanPartial`), ``neighbours`` (embedding neighbours or
    None) and ``rows`` (documents in the range); :func:`scan_corpus` shifts the rows by those of
    the file's earlier ranges when it merges. ``item_embeddings`` holds the items' vectors, then
    the pseudo-queries' (if any), whose text keys (``_embed.text_key``) are ``null_keys``: a
    document with one of those texts takes its vector instead of being encoded again.
    """
    counts: dict[str, int] = {}
    batches = iter_range_batches(rng, options.corpus, counts)
    out = _scan_batches(batches, rng.shard, rng.path, index, options, item_embeddings, null_keys)
    out["rows"] = counts["rows"]
    return out


def scan_shard(
    path: str,
    shard: int,
    index: TestIndex,
    options: ScanOptions,
    item_embeddings: np.ndarray | None = None,
) -> dict[str, Any]:
    """Scan one whole file; returns JSON-safe data (a :class:`ScanPartial` and neighbours)."""
    return _scan_batches(
        iter_batches(path, options.corpus), shard, path, index, options, item_embeddings
    )


def _scan_batches(
    batches, shard, path, index, options, item_embeddings, null_keys=None
) -> dict[str, Any]:
    """``item_embeddings`` holds the items' rows, then the pseudo-queries' (if any)."""
    partial = ScanPartial(max_evidence=options.max_evidence)
    top = TopK.empty(index.n_items, options.embed_k) if item_embeddings is not None else None
    null = None
    known: dict[str, np.ndarray] = {}
    if item_embeddings is not None and len(item_embeddings) > index.n_items:
        null = np.full(
            (len(item_embeddings) - index.n_items, options.embed_k + _NULL_EXTRA), -np.inf
        )
        if null_keys:
            known = dict(zip(null_keys, item_embeddings[index.n_items :], strict=True))
    for batch in batches:
        ref = DocRef(shard=shard, source=path, first_row=batch.first_row, doc_ids=batch.ids)
        part = scan_texts(
            batch.texts,
            index,
            ref=ref,
            max_evidence=options.max_evidence,
            answer_window=options.answer_window,
            near_duplicates=options.near_duplicates,
        )
        partial = partial.merge(part)
        if top is not None:
            refs = [{**ref.ref(d), "text": t[:_TEXT_CHARS]} for d, t in enumerate(batch.texts)]
            emb = _encode_documents(batch.texts, options.embed_cache, known)
            top = top.merge(
                cosine_topk(item_embeddings[: index.n_items], emb, k=options.embed_k, refs=refs)
            )
            if null is not None:
                null = _null_merge(null, _null_sims(item_embeddings[index.n_items :], emb))
    if top is not None:
        for scores, refs in zip(top.scores, top.refs, strict=True):
            for s, r in zip(scores, refs, strict=False):
                if s < options.keep_text_min:
                    r.pop("text", None)
    return {
        "partial": partial.to_dict(),
        "neighbours": None if top is None else top.to_dict(),
        "null": None if null is None else [row[np.isfinite(row)].tolist() for row in null],
    }


def _encode_documents(texts, cache: str | None, known: dict[str, np.ndarray]) -> np.ndarray:
    """The documents' vectors; those of the pseudo-queries (``known``, by text key) are reused,
    not encoded a second time."""
    from assay.pipelines._embed import encode, text_key

    if not known:
        return encode(texts, cache=cache)
    found = [known.get(text_key(t)) for t in texts]
    todo = [i for i, v in enumerate(found) if v is None]
    if len(todo) == len(found):
        return encode(texts, cache=cache)
    out = np.empty((len(found), len(next(iter(known.values())))), np.float32)
    if todo:
        out[todo] = encode([texts[i] for i in todo], cache=cache)
    for i, v in enumerate(found):
        if v is not None:
            out[i] = v
    return out


def _null_sims(queries: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Cosines in float64, rounded to float32: the same bits whatever the batch's shape (a float32
    product's last bits depend on how BLAS blocks it), so any split of the corpus agrees."""
    q, d = (np.asarray(x, dtype=np.float64) for x in (queries, docs))
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-300)
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
    return (q @ d.T).astype(np.float32)


def _null_merge(best: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """The ``best.shape[1]`` largest similarities per row of both (best first)."""
    both = np.concatenate([best, np.asarray(sims, dtype=np.float64)], axis=1)
    return -np.sort(-both, axis=1)[:, : best.shape[1]]


def _null_rows(data: list[list[float]], width: int) -> np.ndarray:
    out = np.full((len(data), width), -np.inf)
    for i, row in enumerate(data):
        out[i, : len(row)] = row
    return out


def _null_neighbours(best: np.ndarray, k: int) -> TopK:
    """The pseudo-queries' ``k`` nearest documents other than themselves and their copies."""
    best = np.where(best >= _COPY, -np.inf, best)
    scores = -np.sort(-best, axis=1)[:, :k]
    return TopK(scores, [[] for _ in range(len(scores))])


def _null_key(texts: list[str]) -> str | None:
    """A digest of the pseudo-queries: a range's null is only valid against the same ones."""
    if not texts:
        return None
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little") + b)
    return h.hexdigest()


def _shift_rows(data: dict[str, Any], offset: int) -> None:
    """Add ``offset`` to every row a range's result names (in place)."""
    if not offset:
        return
    for rec in data["partial"]["items"].values():
        for e in rec["evidence"]:
            e["row"] += offset
    for recs in data["partial"]["near"].values():
        for e in recs:
            e["row"] += offset
    if data.get("neighbours"):
        for refs in data["neighbours"]["refs"]:
            for r in refs:
                r["row"] += offset


# -- the whole corpus ---------------------------------------------------------------------------


def scan_corpus(
    paths: str | Sequence[str],
    index: TestIndex,
    *,
    options: ScanOptions | None = None,
    out: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    restart: bool = False,
) -> ScanRun:
    """Scan every shard of a corpus against ``index`` and merge the matches in shard order.

    Parameters
    ----------
    paths : str or sequence of str
        Files, folders or globs of JSONL, Parquet or text (plain, .gz, .zst). Each file is split
        into ranges (``options.corpus.range_bytes``; see :func:`plan_ranges`), the unit of work,
        so one large file uses every worker.
    index : TestIndex
    options : ScanOptions, optional
    out : str, optional
        A folder for the manifest and the finished ranges' results: a re-run with the same index
        and options skips the ranges already done (resume after a crash or a kill).
    workers : int, optional
        Processes (local) or Dask workers ('local' cluster); default: all cores.
    scheduler : str, optional
        ``'local'`` starts a Dask ``LocalCluster``; ``'tcp://HOST:PORT'`` uses a running cluster
        (its workers need assay installed). Default: local processes without Dask.
    progress : bool, optional
        Show a progress bar (ranges, documents, MB/s) on stderr; default: when it is a terminal.
    restart : bool, default False
        Ignore (and overwrite) a manifest in ``out``.

    Returns
    -------
    ScanRun
        Identical, whichever way and in however many ranges the files ran.
    """
    options = options or ScanOptions()
    files = expand_paths(paths)
    if not isinstance(index, TestIndex):
        raise InputError(f"`index` must be a TestIndex; got {type(index).__name__}.")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if not isinstance(workers, int) or workers < 1:
        raise InputError(f"`workers` must be a positive integer; got {workers!r}.")
    ranges, notes = plan_ranges(files, options.corpus)
    # the scan filters derived from the index, built once here and shipped with it to every
    # worker (instead of once per worker process)
    _ = index.probe, index.kernel_filter
    item_emb = None
    null_texts: list[str] = []
    if options.embed:
        from assay.pipelines._embed import encode

        item_emb = encode(list(index.inputs), cache=options.embed_cache)
        if options.embed_null:
            null_texts = spread_sample(files, options.embed_null, options.corpus)
            if null_texts:
                item_emb = np.vstack([item_emb, encode(null_texts, cache=options.embed_cache)])
    null_key = _null_key(null_texts)
    null_keys = None
    if null_texts:
        from assay.pipelines._embed import text_key

        null_keys = [text_key(t) for t in null_texts]
    manifest = (
        Manifest.open(out, ranges, index.fingerprint, options.to_dict(), restart=restart)
        if out
        else None
    )
    results: dict[int, dict[str, Any]] = {} if manifest is None else manifest.done_results()
    # a finished range whose null was found against other pseudo-queries (a file changed, and
    # with it the sample) is done again
    results = {i: d for i, d in results.items() if d.get("null_sample") == null_key}
    todo = [(i, r) for i, r in enumerate(ranges) if i not in results]
    resumed = len(results)
    start = time.perf_counter()
    with _Progress(len(ranges), resumed, progress) as bar:

        def finished(i: int, data: dict[str, Any]) -> None:
            if null_key is not None:
                data["null_sample"] = null_key
            results[i] = data
            if manifest is not None:
                manifest.record(i, data)
            bar.advance(data["partial"]["n_docs"], data["partial"]["n_bytes"])

        if scheduler is not None:
            _run_dask(todo, index, options, item_emb, null_keys, scheduler, workers, finished)
        elif workers == 1 or len(todo) <= 1:
            for i, rng in todo:
                finished(i, scan_range(rng, index, options, item_emb, null_keys))
        else:
            _run_processes(todo, index, options, item_emb, null_keys, workers, finished)
    partial = ScanPartial(max_evidence=options.max_evidence)
    neighbours = TopK.empty(index.n_items, options.embed_k) if options.embed else None
    width = options.embed_k + _NULL_EXTRA
    null = None
    if item_emb is not None and len(item_emb) > index.n_items:
        null = np.full((len(item_emb) - index.n_items, width), -np.inf)
    offset, shard = 0, -1
    for i, rng in enumerate(ranges):
        if rng.shard != shard:
            offset, shard = 0, rng.shard
        data = results[i]
        _shift_rows(data, offset)
        offset += int(data["rows"])
        partial = partial.merge(ScanPartial.from_dict(data["partial"]))
        if neighbours is not None:
            neighbours = neighbours.merge(TopK.from_dict(data["neighbours"]))
        if null is not None:
            null = _null_merge(null, _null_rows(data["null"], width))
    return ScanRun(
        partial,
        neighbours,
        files,
        time.perf_counter() - start,
        resumed,
        ranges,
        notes,
        null_neighbours=None if null is None else _null_neighbours(null, options.embed_k),
    )


def _run_processes(todo, index, options, item_emb, null_keys, workers, finished) -> None:
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(index, options, item_emb, null_keys),
    ) as pool:
        futures = {pool.submit(_worker_task, rng): i for i, rng in todo}
        for fut in cf.as_completed(futures):
            finished(futures[fut], fut.result())


def _run_dask(todo, index, options, item_emb, null_keys, scheduler, workers, finished) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError(
            "Dask scans need the assay[dask] extra: pip install 'dask[distributed]'"
        ) from None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    elif scheduler.startswith(("tcp://", "tls://", "ws://", "wss://")):
        cluster = None
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}).") from None
    else:
        raise InputError(
            f"`scheduler` must be 'local' or an address like tcp://HOST:PORT; got {scheduler!r}."
        )
    try:
        if not todo:
            return
        token = uuid.uuid4().hex[:12]
        # the index (and item embeddings) enter the graph as tasks, not scattered data: when the
        # worker holding them dies the scheduler recomputes them from the task, where scattered
        # data would be lost and every scan task with it
        # (so distributed's "Sending large graph" advice is deliberately declined, not shown)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            idx = client.submit(_same, index, key=f"assay-index-{token}")
            emb = None
            if item_emb is not None:
                emb = client.submit(_same, item_emb, key=f"assay-embeddings-{token}")
        futures = [
            client.submit(
                scan_range, rng, idx, options, emb, null_keys, key=f"assay-scan-{token}-{i}"
            )
            for i, rng in todo
        ]
        number = {f.key: i for f, (i, _) in zip(futures, todo, strict=True)}
        for fut in as_completed(futures):
            finished(number[fut.key], fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _same(x: Any) -> Any:
    return x


class _Progress:
    """Ranges, documents and MB/s on stderr when it is a terminal (rich), silent otherwise."""

    def __init__(self, total: int, done: int, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total, self.done, self.docs, self.bytes = total, done, 0, 0
        self.start = time.perf_counter()
        self._bar = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("ranges"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("scan", total=self.total, completed=self.done, info="")
        return self

    def advance(self, docs: int, nbytes: int) -> None:
        self.docs += docs
        self.bytes += nbytes
        if self._bar is not None:
            rate = self.bytes / 1e6 / max(time.perf_counter() - self.start, 1e-9)
            self._bar.update(self._task, advance=1, info=f"{self.docs:,} docs  {rate:,.1f} MB/s")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def run_scan(
    paths: str | Sequence[str],
    index: TestIndex,
    *,
    options: ScanOptions | None = None,
    judge: JudgeConfig | None = None,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
    min_share: float | None = None,
    embedding_threshold: float = 0.8,
    confidence_level: float = 0.95,
    out: str | None = None,
    **kwargs: Any,
) -> ContaminationResult:
    """Scan, optionally judge the embedding candidates, and return the verdicts.

    ``confirm`` receives the judge's cost preview and returns whether to go on (the CLI asks the
    user); without it the judge runs. When ``out`` is given the verdicts are also written to
    ``out/result.json``. Other keywords go to :func:`scan_corpus`.
    """
    if judge is not None and not (options and options.embed):
        raise InputError(
            "the judge stage needs the embedding stage (ScanOptions(embed=True), --embed)."
        )
    run = scan_corpus(paths, index, options=options, out=out, **kwargs)
    verdicts = None
    if judge is not None and run.neighbours is not None:
        preview = judge_preview(index.inputs, run.neighbours, judge)
        if confirm is None or confirm(preview):
            verdicts = judge_candidates(index.inputs, run.neighbours, judge)
    result = summarize(
        index,
        run.partial,
        embedding=run.neighbours,
        embedding_null=run.null_neighbours,
        judge=verdicts,
        min_share=min_share,
        embedding_threshold=embedding_threshold,
        confidence_level=confidence_level,
    )
    if run.notes:  # what could not be split, said where the result is read
        result = dataclasses.replace(result, settings={**result.settings, "notes": run.notes})
    if out:
        write_result(result, run.sources, os.path.join(out, "result.json"))
    return result


def write_result(result: ContaminationResult, sources: list[str], path: str) -> None:
    """Write the verdicts as canonical JSON (sorted keys; text from the corpus trimmed)."""
    data = {
        "format": "assay.contamination.result/1",
        "sources": sources,
        "result": _trim(result.to_dict()),
    }
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    os.replace(tmp, path)


def _trim(d: dict[str, Any]) -> dict[str, Any]:
    for item in d.get("items", []):
        for n in item.get("neighbours", []):
            if "text" in n:
                n["snippet"] = n.pop("text")[:300]
    return d
