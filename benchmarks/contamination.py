"""Contamination n-gram scan speed (issues 9, 22): assay against a plain Python set and datatrove.

Writes one JSONL file of English-looking text (default 1 GB of document text, under /tmp, deleted at
the end): words drawn with their frequencies from the English of the Python standard library's
docstrings (a portable source), sentences of 5 to 30 words with capitals, commas, numbers and, in
8% of sentences, curly quotes, dashes or accents (as web text has); documents of a log-normal
number of sentences, none repeated. 10,000 test items of 2 to 4 such sentences; 0.2% of documents
carry a planted fragment of one. Then measures, each in its own process (so that peak memory is
its own):

1. assay's scan of the single file, end to end (read JSONL, normalise, hash, look up, collect
   evidence), with one worker: MB/s of document text per core (CPU time) and wall clock; once
   with the compiled kernels (numba, ``assay[fast]``) and once on the numpy path
   (``ASSAY_NO_NUMBA=1``), results checked identical;
2. the same file with every core (the file is split into ranges, issue 22): wall clock;
3. assay's scan of texts already in memory (the n-gram stage alone), on a slice;
4. a plain Python set of hashed word 13-grams (``hash(" ".join(gram)) in test_set``), on a slice;
5. datatrove's ``NGramsDecontFilter`` (13-grams, its default normalisation, spaCy word tokenizer,
   xxhash), with its index built from the same items as its ``NGramsDecontIndexer`` would hash
   them, on a smaller slice; skipped, with a note, when datatrove is not installed;

and checks that the documents flagged are the same on the slices.

Run: python benchmarks/contamination.py [--gb 1] [--slice-mb 50] [--datatrove-mb 3] [--keep]
Needs datatrove, spacy and xxhash<4 for step 5 (datatrove 0.10.1 passes str to xxhash, which
xxhash 4 refuses).
"""

from __future__ import annotations

import argparse
import ast
import collections
import hashlib
import importlib.util
import json
import multiprocessing as mp
import os
import queue
import re
import resource
import shutil
import string
import sys
import sysconfig
import tempfile
import time

import numpy as np

N_ITEMS = 10_000
N = 13

# run as a script (or as one's spawned child), this folder is on sys.path, where a script named
# like a package numba imports shadows it (interval_coverage.py was coverage.py until it did)
_HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ in ("__main__", "__mp_main__"):
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]


# ------------------------------------------------------------------------------ data generation

NONASCII = ["“{}”", "‘{}’", "{}’s", "{} —", "café", "naïve", "{}…", "€{}", "{} –"]


def english_vocabulary() -> tuple[np.ndarray, np.ndarray]:
    """Words and their counts in the English of the standard library's docstrings."""
    root = sysconfig.get_paths()["stdlib"]
    counts: collections.Counter[str] = collections.Counter()
    word = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
    for folder, _, names in sorted(os.walk(root)):
        if "site-packages" in folder or os.sep + "test" in folder:
            continue
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as fh:
                    tree = ast.parse(fh.read())
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)
                if isinstance(node, kinds) and (doc := ast.get_docstring(node)):
                    counts.update(word.findall(doc))
    words = sorted(counts, key=lambda w: (-counts[w], w))
    return np.array(words, dtype=object), np.array([counts[w] for w in words], float)


def sentences(rng: np.random.Generator, words: np.ndarray, p: np.ndarray, n: int) -> list[str]:
    lengths = rng.integers(5, 30, n)
    idx = rng.choice(len(words), int(lengths.sum()), p=p)
    ends = [".", ".", ".", ".", "?", "!", ";", ":"]
    out, pos = [], 0
    for k in lengths.tolist():
        w = words[idx[pos : pos + k]].tolist()
        pos += k
        w[0] = w[0].capitalize()
        if k > 9:
            w[int(rng.integers(3, k - 2))] += ","
        if rng.random() < 0.15:
            w[int(rng.integers(0, k))] = str(int(rng.integers(0, 5000)))
        if rng.random() < 0.08:  # curly quotes, dashes, accents
            j = int(rng.integers(0, k))
            w[j] = NONASCII[int(rng.integers(len(NONASCII)))].format(w[j])
        out.append(" ".join(w) + ends[int(rng.integers(len(ends)))])
    return out


def generate(folder: str, gb: float, seed: int = 0) -> tuple[list[str], str, int, int]:
    """Write the corpus file; return test items, its path, its bytes of text, planted documents."""
    rng = np.random.default_rng(seed)
    words, counts = english_vocabulary()
    p = counts / counts.sum()
    pool = np.array(sentences(rng, words, p, 400_000), dtype=object)
    items = [" ".join(sentences(rng, words, p, int(rng.integers(2, 5)))) for _ in range(N_ITEMS)]
    path = os.path.join(folder, "corpus.jsonl")
    target = int(gb * 1e9)
    size = planted = 0
    with open(path, "w", encoding="utf-8") as fh:
        lines = []
        while size < target:
            k = int(rng.lognormal(2.5, 0.8)) + 1
            text = " ".join(pool[rng.integers(0, len(pool), k)])
            if rng.random() < 0.3:
                text = text.replace(". ", ".\n\n", 2)
            if rng.random() < 0.002:  # a fragment of a test item, at least 13 words
                it = items[int(rng.integers(N_ITEMS))].split()
                a = int(rng.integers(0, max(1, len(it) - 20)))
                text += " " + " ".join(it[a : a + 20 + int(rng.integers(0, 20))])
                planted += 1
            lines.append(json.dumps({"text": text, "id": f"d{size}"}))
            size += len(text)
            if len(lines) == 10_000:
                fh.write("\n".join(lines) + "\n")
                lines = []
        fh.write("\n".join(lines) + "\n" if lines else "")
    return items, path, size, planted


def read_slice(path: str, mb: float) -> list[str]:
    out, size = [], 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)["text"]
            out.append(t)
            size += len(t)
            if size >= mb * 1e6:
                return out
    return out


# ------------------------------------------------------------------------------ contenders


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_assay_corpus(items, path, workers, compiled, q, scheduler=None):
    if not compiled:  # before assay is imported (spawned workers inherit the environment)
        os.environ["ASSAY_NO_NUMBA"] = "1"
    from assay.contamination import _fast, build_index, scan_texts
    from assay.pipelines import ScanOptions, scan_corpus

    t0 = time.perf_counter()
    idx = build_index(items, preset="gpt3")
    t_index = time.perf_counter() - t0
    # load every compiled kernel (from numba's cache; compiled on the first run) before the clock
    c0 = time.process_time()
    warm = "warm up the kernels " * 5
    scan_texts([warm], idx)
    if _fast.enabled():
        from assay.contamination import EncodedTexts

        scan_texts(EncodedTexts(warm.encode(), np.array([0, len(warm)])), idx)
    # the reader's kernel too (it decodes, normalises and cuts batches in one pass)
    small = os.path.join(os.path.dirname(path), f"warm-{os.getpid()}.jsonl")
    with open(small, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": warm}) + "\n")
    scan_corpus(small, idx, workers=1, progress=False, options=ScanOptions(near_duplicates=False))
    os.remove(small)
    start_s = time.process_time() - c0
    t1, c1 = time.perf_counter(), time.process_time()
    run = scan_corpus(
        path,
        idx,
        workers=workers,
        scheduler=scheduler,
        progress=False,
        options=ScanOptions(near_duplicates=False),
    )
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    if workers > 1 and scheduler is None:  # CPU time of the worker processes
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += ru.ru_utime + ru.ru_stime
    q.put(
        {
            "wall": wall,
            "cpu": cpu,
            "index_s": t_index,
            "index_mb": idx.nbytes / 1e6,
            "n_keys": len(idx.keys),
            "docs": run.partial.n_docs,
            "flagged_items": len(run.partial.items),
            "ranges": len(run.ranges),
            "peak_mb": _peak_mb(),
            "compiled": _fast.enabled(),
            "digest": hashlib.sha256(
                json.dumps(run.partial.to_dict(), sort_keys=True).encode()
            ).hexdigest(),
            "start_s": start_s,
            "load": os.getloadavg(),
        }
    )


def run_assay_memory(items, path, mb, q):
    from assay.contamination import build_index, clean_texts, scan_texts

    texts = read_slice(path, mb)
    idx = build_index(items, preset="gpt3")
    _ = idx.probe  # built once per process, like the index
    scan_texts(texts[:10], idx)  # kernels loaded before the clock
    c0 = time.process_time()
    for lo in range(0, len(texts), 2000):
        scan_texts(texts[lo : lo + 2000], idx)
    cpu = time.process_time() - c0
    flags = [
        r.action != "kept"
        for lo in range(0, len(texts), 2000)
        for r in clean_texts(texts[lo : lo + 2000], idx, mode="drop")
    ]
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def run_plain_set(items, path, mb, q):
    """The GPT-3 recipe with a Python set: 13-grams, and items of 8 to 12 words as one gram."""
    table = str.maketrans("", "", string.punctuation)

    def words(t):
        return t.lower().translate(table).split()

    test = set()
    short = set()
    for it in items:
        w = words(it)
        test.update(hash(" ".join(w[i : i + N])) for i in range(len(w) - N + 1))
        if 8 <= len(w) < N:
            test.add(hash(" ".join(w)))
            short.add(len(w))
    lengths = [N, *sorted(short)]
    texts = read_slice(path, mb)
    c0 = time.process_time()
    flags = []
    for t in texts:
        w = words(t)
        flags.append(
            any(
                hash(" ".join(w[i : i + k])) in test for k in lengths for i in range(len(w) - k + 1)
            )
        )
    cpu = time.process_time() - c0
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def run_datatrove(items, path, mb, q):
    from datatrove.data import Document
    from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.utils.text import simplify_text

    folder = tempfile.mkdtemp()
    filt = NGramsDecontFilter(index_folder=folder, config=NGramsDecontConfig(n_grams=N))
    index = {}
    for it in items:  # as NGramsDecontIndexer.compute_hashes hashes a label
        toks = filt.tokenizer.word_tokenize(simplify_text(it, filt.config.norm_config))
        for i in range(len(toks) - N + 1):
            index[filt.hash_func(" ".join(toks[i : i + N]))] = "bench"
    filt._index_hashes = index
    texts = read_slice(path, mb)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    c0 = time.process_time()
    flags = [filt.filter(d) is not True for d in docs]
    cpu = time.process_time() - c0
    shutil.rmtree(folder, ignore_errors=True)
    q.put({"cpu": cpu, "mb": sum(map(len, texts)) / 1e6, "flags": flags, "peak_mb": _peak_mb()})


def in_process(target, *args, timeout: float = 7200, **kwargs):
    """Run ``target`` in a spawned process; its result, or None (with a note) when it died."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q), kwargs=kwargs)
    p.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return q.get(timeout=1.0)
            except queue.Empty:
                if not p.is_alive():
                    print(f"  {target.__name__} died (exit code {p.exitcode}); skipped", flush=True)
                    return None
                if time.monotonic() > deadline:
                    print(f"  {target.__name__} ran past {timeout:.0f} s; stopped", flush=True)
                    return None
    finally:
        if p.is_alive():
            p.terminate()
        p.join(timeout=30)


# ------------------------------------------------------------------------------ flag error rates

DATA = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "contamination"
)


def _load(name: str) -> list[dict]:
    with open(os.path.join(DATA, name), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _split(problem: str) -> tuple[str, str]:
    ends = [m.end() for m in re.finditer(r"(\"\"\"|''')\s*\n", problem)]
    return problem[: ends[-1]], problem[ends[-1] :]


def flag_rates(
    cache: str | None,
    draws: int,
    stop_before_embeddings: dict | None = None,
    count_draws: int = 40,
) -> dict:
    """False flags on a clean corpus of similar text and recall on planted copies, edited copies
    and rephrasings, for each stage (issue 21): HumanEval against CRUXEval and CodeAlpaca code."""
    from assay.contamination import (
        MinHasher,
        build_index,
        rephrase_probability,
        scan_texts,
        summarize,
    )

    he = [r["text"] for r in _load("HumanEval.jsonl")]
    py = [r["text"] for r in _load("humaneval_python.jsonl")]
    # 17 of the paper's 164 "rephrasings" are empty strings (the rephrasing failed): nothing to
    # plant or to find, so they are neither planted nor counted in a recall
    has = np.array([bool(t.strip()) for t in py])
    ca = _load("CodeAlpacaDB.jsonl")
    confirmed = {r["train"][0] for r in ca if r["results"][0]}
    clean = [r["code"] for r in _load("cruxeval.jsonl")]
    clean += sorted({r["train"][0] for r in ca} - confirmed)
    n = len(he)
    prompts, solutions = zip(*map(_split, he), strict=True)
    out: dict = {}

    def flagged(idx, docs, stage=None):
        res = summarize(idx, scan_texts(docs, idx))
        if stage == "near":
            return np.array([bool(v.near) for v in res.items])
        return res.contaminated

    for preset, key in (("gpt3", "ngram_13"), ("tulu3", "ngram_8")):
        idx = build_index(prompts, targets=solutions, preset=preset)
        planted = [
            clean[i % len(clean)] + "\n\n" + he[i] + "\n" + clean[(i + 7) % len(clean)]
            for i in range(n)
        ]
        out[key] = {
            "false_flag_rate": float(flagged(idx, clean).mean()),
            "n_clean": n,
            "recall_copies": float(flagged(idx, planted + clean).mean()),
            "recall_rephrasings": float(flagged(idx, py + clean)[has].mean()),
            "n_planted": n,
            "n_rephrasings": int(has.sum()),
            "data": "HumanEval (164) against CRUXEval and CodeAlpaca code: clean, with verbatim "
            "copies planted, with the paper's Python rephrasings (the 147 not empty)",
        }
    # near duplicates alone: copies with 2% and 10% of their words replaced
    rng = np.random.default_rng(0)
    vocab = sorted({w for t in clean for w in t.split()})

    def edit(t, share):
        w = t.split(" ")
        for j in rng.choice(len(w), max(1, round(len(w) * share)), replace=False):
            w[j] = vocab[int(rng.integers(len(vocab)))]
        return " ".join(w)

    idx = build_index(he, minhash=MinHasher())
    out["near_duplicate"] = {
        "false_flag_rate": float(flagged(idx, clean, "near").mean()),
        "n_clean": n,
        "recall_edited_2pct": float(
            flagged(idx, [edit(t, 0.02) for t in he] + clean, "near").mean()
        ),
        "recall_edited_10pct": float(
            flagged(idx, [edit(t, 0.1) for t in he] + clean, "near").mean()
        ),
        "n_planted": n,
        "data": "HumanEval against CRUXEval and CodeAlpaca code; copies with 2% or 10% of their "
        "words replaced",
    }
    if stop_before_embeddings is not None:  # the test of the carried rates stops here
        stop_before_embeddings.update(out)
        return out
    # rephrasings without a judge: MiniLM neighbours, spacing test, local fdr
    n_crux = len(clean) - len({r["train"][0] for r in ca} - confirmed)
    if cache and os.path.exists(cache):
        emb = dict(np.load(cache))
    else:
        from assay.pipelines._embed import encode

        emb = {"he": encode(he), "py": encode(py), "clean": encode(clean)}
        if cache:
            np.savez(cache, **emb)
    k, n_null = 20, 500
    out["rephrase"] = {
        "threshold": 0.5,
        "draws": draws,
        "n_items": n,
        "n_rephrasings": int(has.sum()),
        "n_null": n_null,
        "confidence_level": 0.95,
        "data": "HumanEval (164) with the paper's Python rephrasings of a random share of the "
        "147 items that have one (17 are empty) planted into clean code: CRUXEval (different problems), or CRUXEval and the "
        "CodeAlpaca samples the paper's judge did not confirm (similar problems); "
        "all-MiniLM-L6-v2, 20 neighbours; null: 500 corpus documents as pseudo-queries",
    }
    f_null: dict = {}
    count: dict = {}
    # how close each item's rephrasing is to it (cosine): the reference the count transfers
    closeness = np.einsum("ij,ij->i", emb["he"], emb["py"])
    for name, base in (
        ("unrelated_code", emb["clean"][:n_crux]),
        ("similar_problems", emb["clean"]),
    ):
        rows: dict = {}
        f_rows: dict = {}
        c_rows: dict = {}
        for share in (0.0, 0.1, 0.5, 1.0):
            got: dict = {"corpus": [], "f": [], "count": []}
            fixed = share in (0.0, 1.0)  # nothing random to redraw but the pseudo-queries and split
            for d in range(min(draws, 20) if fixed else draws):
                g = np.random.default_rng(1000 + d)
                plant = (g.random(n) < share if not fixed else np.full(n, share == 1.0)) & has
                docs = np.vstack([base, emb["py"][plant]])
                top = -np.sort(-(emb["he"] @ docs.T), axis=1)[:, :k]
                null = _pseudo_queries(docs, g.choice(len(docs), n_null, replace=False), k)
                if d == 0 or not fixed:
                    for key, res in (
                        ("corpus", rephrase_probability(top, null_scores=null)),
                        ("f", rephrase_probability(top)),
                    ):
                        got[key].append(_rephrase_row(res, plant))
                # the count's point estimate and interval, cross-fitted: the closeness of a
                # rephrasing to its item from one half of HumanEval, planted and estimated on the
                # other half, and swapped (issue 22, point 3; an experiment, not in the library)
                if d >= count_draws:
                    continue  # fewer plantings for the count (it bootstraps each)
                half = np.random.default_rng(5000 + d).permutation(n) < n // 2
                for ref in (half, ~half):
                    est = _count_estimate(top[~ref], null, closeness[ref & has], g)
                    got["count"].append(_count_row(est, plant[~ref]))
            rows[f"{share:.0%}"] = _mean_rows(got["corpus"])
            f_rows[f"{share:.0%}"] = _mean_rows(got["f"])
            if got["count"]:
                c_rows[f"{share:.0%}"] = _mean_rows(got["count"])
        out["rephrase"][name] = rows
        f_null[name] = f_rows
        if c_rows:
            count[name] = c_rows
    out["rephrase"]["f_null"] = f_null
    out["rephrase_count_experiment"] = count
    out["rephrase"]["false_flag_rate"] = max(
        out["rephrase"][c]["0%"]["false_flag_rate"] for c in ("unrelated_code", "similar_problems")
    )
    return out


def _pseudo_queries(docs: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Top-k cosines of corpus documents against the rest of the corpus (themselves and exact
    copies left out), -inf-padded: the empirical null of the rephrase test."""
    sims = docs[rows] @ docs.T
    sims[sims >= 1 - 1e-4] = -np.inf
    return -np.sort(-sims, axis=1)[:, :k]


def _rephrase_row(res, plant: np.ndarray) -> dict:
    flag = res.probability >= 0.5
    truth = int(plant.sum())
    return {
        "recall": flag[plant].mean() if plant.any() else None,
        "false_flag_rate": flag[~plant].mean() if (~plant).any() else None,
        "count_bias": res.n_rephrased - truth,
        "lower_bound": res.ci_low,
        "lower_bound_coverage": res.ci_low <= truth,
        "planted": truth,
    }


# bins of the count's two-group likelihood (empirical p-values)
_COUNT_BINS = np.array([0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0])


def _count_estimate(
    top: np.ndarray, null: np.ndarray, closeness: np.ndarray, rng, n_boot: int = 150
) -> dict:
    """The number of items rephrased into the corpus, from each item's chance of standing out if
    it had been rephrased (issue 22, point 3; an experiment, not shipped: see benchmarks/README.md,
    "About N rephrased: an estimate that did not transfer").

    Each item's alternative: its neighbours without the one that would be its rephrasing, with a
    rephrasing at a cosine drawn from ``closeness`` (the reference: cosines of other items to
    their own rephrasings) inserted, and the spacing statistic's empirical p-value against the
    corpus' pseudo-queries (``null``). Which neighbour would be the rephrasing: the first or the
    second, with weights ``f1(s_j)`` times the chance of the rest (the other one's gap
    ``s_1 - s_2`` under the exponential spacings of scale ``b`` of neighbours 3..k:
    ``exp(-(s_1 - s_2) / b)`` when the second is the rephrasing), ``f1`` a Gaussian kernel
    density of ``closeness``; dropping the first always (an earlier version) over-predicted the
    recall of items whose first neighbour is a sibling's rephrasing. The
    observed p-values, binned, are a two-group mixture, ``pi q1_i(b) + (1 - pi) q0(b)`` with
    ``q0`` the null's discrete uniform and ``q1_i`` item i's alternative; ``n pi`` maximises the
    likelihood. Interval: percentile bootstrap over items, the reference sample and the
    pseudo-queries together.
    """
    from scipy import stats

    from assay.contamination import spacing_pvalues

    obs = spacing_pvalues(top)
    null_raw = spacing_pvalues(null)
    null_raw = np.sort(null_raw[np.isfinite(null_raw)])
    m = len(null_raw)
    ok = np.isfinite(obs) & np.all(np.isfinite(top), axis=1)
    top, obs = top[ok], obs[ok]
    # the alternative's raw p-values, item x reference cosine, with the first (alt[0]) or the
    # second (alt[1]) neighbour taken out as the one that would be the rephrasing
    alt = [
        _inserted_pvalues(top[:, 1:], closeness, spacing_pvalues),
        _inserted_pvalues(np.delete(top, 1, axis=1), closeness, spacing_pvalues),
    ]
    kk = top.shape[1]
    j = np.arange(2, kk - 1)
    scale = np.mean(j * (top[:, 2 : kk - 1] - top[:, 3:kk]), axis=1)
    gap = top[:, 0] - top[:, 1]

    def first_weight(ref):
        kde = stats.gaussian_kde(ref)
        ratio = kde(top[:, 1]) / np.maximum(kde(top[:, 0]), 1e-300)
        return 1.0 / (1.0 + ratio * np.exp(-gap / np.maximum(scale, 1e-12)))

    q0_bins = np.histogram(np.arange(1, m + 2) / (m + 1), _COUNT_BINS)[0] / (m + 1)
    pis = np.linspace(0.0, 1.0, 2 * len(top) + 1)

    def fit(ii, rr, null_sorted):
        def binned(raw):
            p = (1.0 + np.searchsorted(null_sorted, raw, side="right")) / (m + 1.0)
            return np.clip(np.searchsorted(_COUNT_BINS, p, side="left") - 1, 0, 6), p

        b_obs, _ = binned(obs[ii])
        w = first_weight(closeness[rr])[ii]
        (b0, p0), (b1, p1) = (binned(a[np.ix_(ii, rr)]) for a in alt)
        q1 = w * np.mean(b0 == b_obs[:, None], 1) + (1 - w) * np.mean(b1 == b_obs[:, None], 1)
        like = np.log(np.maximum(pis * q1[:, None] + (1 - pis) * q0_bins[b_obs][:, None], 1e-300))
        recall = w * np.mean(p0 <= 0.05, 1) + (1 - w) * np.mean(p1 <= 0.05, 1)
        return float(pis[np.argmax(like.sum(0))] * len(ii)), recall

    n, n_ref = len(obs), len(closeness)
    point, recall = fit(np.arange(n), np.arange(n_ref), null_raw)
    boots = [
        fit(
            rng.integers(0, n, n),
            rng.integers(0, n_ref, n_ref),
            np.sort(null_raw[rng.integers(0, m, m)]),
        )[0]
        for _ in range(n_boot)
    ]
    return {
        "point": point,
        "low": float(np.quantile(boots, 0.025)),
        "high": float(np.quantile(boots, 0.975)),
        "recall_predicted": recall,  # per item, at p <= 0.05
        "stands_out": (1.0 + np.searchsorted(null_raw, obs, side="right")) / (m + 1.0) <= 0.05,
        "tested": ok,
    }


def _inserted_pvalues(base: np.ndarray, closeness: np.ndarray, spacing_pvalues) -> np.ndarray:
    """Raw spacing p-values of each row of ``base`` (k - 1 neighbours, best first) with each
    value of ``closeness`` inserted in order: shape (rows, len(closeness))."""
    kk = base.shape[1] + 1
    pos = np.sum(base[:, None, :] > closeness[None, :, None], axis=2)[..., None]
    col = np.arange(kk)[None, None, :]
    padded = np.concatenate([base, np.full((len(base), 1), -np.inf)], axis=1)
    shifted = padded[:, np.maximum(np.arange(kk) - 1, 0)]  # column j holds neighbour j - 1
    merged = np.where(
        col < pos,
        padded[:, None, :],
        np.where(col == pos, closeness[None, :, None], shifted[:, None, :]),
    )
    return spacing_pvalues(merged.reshape(-1, kk)).reshape(len(base), len(closeness))


def _count_row(est: dict, plant: np.ndarray) -> dict:
    planted = plant[est["tested"]]
    truth = int(planted.sum())
    return {
        "planted": truth,
        "estimate_bias": est["point"] - truth,
        "interval_covers": est["low"] <= truth <= est["high"],
        "interval_width": est["high"] - est["low"],
        "recall_predicted": est["recall_predicted"][planted].mean() if truth else None,
        "recall_realised": est["stands_out"][planted].mean() if truth else None,
    }


def _mean_rows(rows: list[dict]) -> dict:
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows if r[key] is not None]
        out[key] = float(np.mean(vals)) if vals else None
    return out


def print_flag_rates(rates: dict) -> None:
    print(f"{'stage':24s} {'false flags (clean)':>20s} {'recall':>40s}")
    for key in ("ngram_13", "ngram_8"):
        r = rates[key]
        print(
            f"{key:24s} {r['false_flag_rate']:20.3f} {'copies ' + format(r['recall_copies'], '.3f') + ', rephrasings ' + format(r['recall_rephrasings'], '.3f'):>40s}"
        )
    r = rates["near_duplicate"]
    recall = f"2% edited {r['recall_edited_2pct']:.3f}, 10% edited {r['recall_edited_10pct']:.3f}"
    print(f"{'near_duplicate':24s} {r['false_flag_rate']:20.3f} {recall:>40s}")
    rp = rates["rephrase"]
    for null, table in (("corpus pseudo-queries", rp), ("F distribution", rp["f_null"])):
        for corpus in ("unrelated_code", "similar_problems"):
            print(f"\nrephrase in {corpus}, null: {null}; by share of items rephrased into it:")
            print(
                f"{'share':>6s} {'planted':>8s} {'recall':>7s} {'false flags':>12s} "
                f"{'stands out - planted':>21s} {'95% lower bound':>16s} {'bound covers':>13s}"
            )
            for share, r in table[corpus].items():
                rec = "-" if r["recall"] is None else f"{r['recall']:.3f}"
                fal = "-" if r["false_flag_rate"] is None else f"{r['false_flag_rate']:.3f}"
                print(
                    f"{share:>6s} {r['planted']:8.1f} {rec:>7s} {fal:>12s} {r['count_bias']:21.1f} "
                    f"{r['lower_bound']:16.1f} {r['lower_bound_coverage']:13.2f}"
                )
    for corpus, table in rates["rephrase_count_experiment"].items():
        print(
            f"\nrephrase count in {corpus} (experiment, cross-fitted halves): point estimate and "
            "95% bootstrap interval; recall at p <= 0.05 predicted from the other half's "
            "closeness and realised"
        )
        print(
            f"{'share':>6s} {'planted':>8s} {'estimate - planted':>19s} {'covers':>7s} "
            f"{'width':>6s} {'recall predicted':>17s} {'realised':>9s}"
        )
        for share, r in table.items():
            pred = "-" if r["recall_predicted"] is None else f"{r['recall_predicted']:.3f}"
            real = "-" if r["recall_realised"] is None else f"{r['recall_realised']:.3f}"
            print(
                f"{share:>6s} {r['planted']:8.1f} {r['estimate_bias']:19.1f} "
                f"{r['interval_covers']:7.2f} {r['interval_width']:6.1f} {pred:>17s} {real:>9s}"
            )
    print("\nas JSON (FLAG_RATES in src/assay/contamination/_rates.py):")
    print(json.dumps(rates, indent=1, sort_keys=True))


def have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--slice-mb", type=float, default=50.0)
    ap.add_argument("--datatrove-mb", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", action="store_true", help="keep the generated corpus")
    ap.add_argument(
        "--flags", action="store_true", help="measure the flags' error rates instead of speed"
    )
    ap.add_argument("--draws", type=int, default=20, help="--flags: random plantings per share")
    ap.add_argument("--embeddings-cache", default=None, help="--flags: .npz to reuse embeddings")
    ap.add_argument(
        "--count-draws",
        type=int,
        default=40,
        help="--flags: plantings a share for the count experiment (most of the run's time; 0 skips it)",
    )
    args = ap.parse_args()
    if args.flags:
        print_flag_rates(
            flag_rates(args.embeddings_cache, args.draws, count_draws=args.count_draws)
        )
        return
    folder = tempfile.mkdtemp(prefix="assay-contamination-bench-", dir="/tmp")
    dt = None
    try:
        t0 = time.perf_counter()
        items, path, size, planted = generate(folder, args.gb)
        total_mb = size / 1e6
        print(
            f"generated {total_mb:,.0f} MB of English-looking text in one JSONL file "
            f"({planted:,} documents with a planted test-item fragment) and {len(items):,} test "
            f"items in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        print(f"load average before: {os.getloadavg()}", flush=True)
        one = in_process(run_assay_corpus, items, path, 1, True)
        numpy_one = in_process(run_assay_corpus, items, path, 1, False)
        many = in_process(run_assay_corpus, items, path, args.workers, True)
        mem = in_process(run_assay_memory, items, path, args.slice_mb)
        plain = in_process(run_plain_set, items, path, args.slice_mb)
        if have("datatrove", "spacy", "xxhash"):
            dt = in_process(run_datatrove, items, path, args.datatrove_mb)
        else:
            print("datatrove (with spacy and xxhash) is not installed: its row is skipped")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"load average after: {os.getloadavg()}", flush=True)
    report(one, many, mem, plain, dt, total_mb, args.workers, numpy_one)


def report(one, many, mem, plain, dt, total_mb, workers, numpy_one=None) -> None:
    if one is None or mem is None or plain is None:
        print("assay or the plain set did not finish; nothing to compare")
        return
    print(
        f"test index: {one['n_keys']:,} distinct 13-grams, {one['index_mb']:.0f} MB, built in "
        f"{one['index_s']:.1f} s; the file is {one['ranges']} ranges of 64 MiB"
    )
    print(
        f"compiled kernels (numba): {one['compiled']}; loading them took {one['start_s']:.2f} s "
        f"of CPU per process, before the clock; load average during the 1-worker run: "
        f"{one['load'][0]:.1f}"
    )
    rows = [
        ("assay scan_corpus, 1 worker (read JSONL + scan)", total_mb, one, True),
        ("assay scan_corpus, 1 worker, numpy path (no numba)", total_mb, numpy_one, True),
        (f"assay scan_corpus, {workers} workers, same file", total_mb, many, True),
        ("assay scan_texts (texts in memory), slice", mem and mem["mb"], mem, False),
        ("plain Python set of hashed 13-grams, slice", plain["mb"], plain, False),
        ("datatrove NGramsDecontFilter, slice", dt and dt["mb"], dt, False),
    ]
    print(f"\n{'':52s} {'MB':>8s} {'MB/s/core':>10s} {'wall MB/s':>10s} {'peak MB':>8s}")
    for name, mb, r, wall in rows:
        if r is None:
            print(f"{name:52s} {'skipped':>8s}")
            continue
        wall_s = f"{mb / r['wall']:10.1f}" if wall else f"{'-':>10s}"
        print(f"{name:52s} {mb:8.0f} {mb / r['cpu']:10.2f} {wall_s} {r['peak_mb']:8.0f}")
    ours = total_mb / one["cpu"]
    line = f"\nassay end to end: {ours / (plain['mb'] / plain['cpu']):.1f}x the plain set per core"
    if dt is not None:
        line += f", {ours / (dt['mb'] / dt['cpu']):.0f}x datatrove"
    line += f"; n-gram stage alone {(mem['mb'] / mem['cpu']) / (plain['mb'] / plain['cpu']):.1f}x"
    if many is not None:
        line += f"; {workers} workers on one file: {one['wall'] / many['wall']:.2f}x the wall rate"
    print(line + " of one worker")
    same = [r["digest"] == one["digest"] for r in (numpy_one, many) if r is not None]
    print(
        f"scan_corpus results identical (compiled, numpy path, {workers} workers): {all(same)} "
        f"({one['flagged_items']:,} items matched in {one['docs']:,} documents)"
    )
    same_plain = mem["flags"] == plain["flags"]
    print(
        f"flags: assay and the plain set agree on all {len(plain['flags']):,} documents of the "
        f"slice: {same_plain} ({sum(plain['flags']):,} flagged)"
    )
    if dt is not None:
        n = len(dt["flags"])
        agree = sum(a == b for a, b in zip(mem["flags"][:n], dt["flags"], strict=True))
        print(
            f"assay and datatrove agree on {agree:,} of {n:,} ({sum(dt['flags']):,} flagged by "
            f"datatrove, {sum(mem['flags'][:n]):,} by assay)"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
