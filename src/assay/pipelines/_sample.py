"""A deterministic sample of corpus documents spread over the whole corpus: the rephrase test's
pseudo-queries (``ScanOptions.embed_null``).

The corpus is seen as its files laid end to end, in the scan's (sorted) order. ``n`` points are
placed at evenly spaced bytes of it, ``(j + 1/2) T / n`` for a corpus of ``T`` bytes, so each file
gets points in proportion to its size on disk, and each point picks a document near it:

- uncompressed JSONL and line text: the file is cut into windows of 256 KiB (fixed, not the scan's
  ranges); a point at a fraction ``r`` of its window takes the window's document
  ``floor(r * n_docs)`` among those whose line starts in the window;
- zstd written as several frames: the same with frames as windows (compressed offsets);
- Parquet: the row at the same fraction of the file's rows (from the row-group metadata);
- a single compressed stream (gzip, one zstd frame) cannot be entered in the middle: the file is
  read once and gives the documents whose keyed hash (BLAKE2b of the text) is smallest, a simple
  random sample of its documents fixed by their content; so is a text file read as one document.

A point whose document is taken already (long documents take several points), is blank or has
empty text moves on to the next document, past the end of the file to its start. A file with fewer
usable documents than points gives all of them, and the points it could not use are placed again
over the other files (evenly, by size), until ``n`` are found or the corpus has no more.

Nothing here depends on how the scan splits files into ranges, on ``batch_bytes`` or on the number
of workers, so a resumed scan finds the same documents.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import os
from collections import OrderedDict
from collections.abc import Sequence

from assay._core import InputError
from assay.contamination import EncodedTexts
from assay.pipelines._corpus import CorpusOptions, corpus_format
from assay.pipelines._ranges import Range, iter_range_batches, zstd_frames

__all__ = ["spread_sample"]

_WINDOW = 1 << 18  # bytes of an uncompressed file that one point reads (and its last line's tail)
_KEEP = 4  # units kept in memory while points walk past taken documents


def spread_sample(files: Sequence[str], n: int, options: CorpusOptions | None = None) -> list[str]:
    """``n`` documents of ``files`` spread over all of them (fewer when the corpus has fewer).

    Parameters
    ----------
    files : sequence of str
        The corpus files, in the scan's order (:func:`assay.pipelines.expand_paths`).
    n : int
        Documents wanted.
    options : CorpusOptions, optional
        How to read the files (text field, text unit); ``range_bytes`` and ``batch_bytes`` do not
        change the sample.

    Returns
    -------
    list of str
        Distinct documents (by position; blank ones never), in file and position order.

    Notes
    -----
    See the module notes. Points are spread by bytes, so a part of the corpus gets pseudo-queries
    in proportion to its size, not to its number of documents. The cost is one small read per
    point (a window and the end of its last line), except for single compressed streams, which
    are read once more in full.

    Examples
    --------
    >>> import json
    >>> with open("corpus.jsonl", "w") as fh:
    ...     for i in range(100):
    ...         _ = fh.write(json.dumps({"text": f"doc {i}"}) + "\\n")
    >>> spread_sample(["corpus.jsonl"], 4)
    ['doc 12', 'doc 37', 'doc 62', 'doc 87']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InputError(f"`n` must be a non-negative integer; got {n!r}.")
    options = options or CorpusOptions()
    files = list(files)
    try:
        sizes = [os.path.getsize(f) for f in files]
    except OSError as exc:
        raise InputError("no such file.", path=exc.filename) from None
    sources: dict[int, _Source] = {}
    got: dict[int, list[tuple[tuple[int, int], str]]] = {}
    full: set[int] = set()  # files whose every usable document is in the sample
    while True:
        active = [i for i in range(len(files)) if i not in full and sizes[i] > 0]
        want = n - sum(len(got[i]) for i in full)
        if want <= 0 or not active:
            break
        points = _points([sizes[i] for i in active], want)
        short = False
        for i, offsets in zip(active, points, strict=True):
            if i not in sources and offsets:
                sources[i] = _source(files[i], sizes[i], options)
            got[i] = sources[i].take(offsets) if offsets else []
            if len(got[i]) < len(offsets):
                full.add(i)
                short = True
        if not short:
            break
    return [text for i in sorted(got) for _, text in sorted(got[i], key=lambda p: p[0])]


def _points(sizes: list[int], n: int) -> list[list[int]]:
    """Byte offsets, per file, of ``n`` points at ``(j + 1/2) T / n`` of the files end to end
    (integer arithmetic: the same on every machine)."""
    total = sum(sizes)
    out: list[list[int]] = [[] for _ in sizes]
    starts = [0]
    for s in sizes:
        starts.append(starts[-1] + s)
    f = 0
    for j in range(n):
        x2 = (2 * j + 1) * total  # the point, times 2n
        while x2 >= 2 * n * starts[f + 1]:
            f += 1
        out[f].append((x2 - 2 * n * starts[f]) // (2 * n))
    return out


def _usable(text: str) -> bool:
    return bool(text) and not text.isspace()


def _texts(rng: Range, options: CorpusOptions) -> list[str]:
    return [t for b in iter_range_batches(rng, options) for t in b.texts]


class _Source:
    """A file cut into units (windows, frames, row groups); ``take`` places points on it."""

    path: str

    def n_units(self) -> int:
        raise NotImplementedError

    def locate(self, offset: int) -> tuple[int, int, int]:
        """The unit a point falls in and its place there, as a fraction ``num / den``."""
        raise NotImplementedError

    def unit(self, u: int) -> Range:
        raise NotImplementedError

    def take(self, offsets: list[int]) -> list[tuple[tuple[int, int], str]]:
        """One distinct usable document per point (fewer when the file runs out), keyed by
        (unit, index)."""
        taken: set[tuple[int, int]] = set()
        out: list[tuple[tuple[int, int], str]] = []
        loaded: OrderedDict[int, list[str]] = OrderedDict()  # the last few units read

        def docs(u: int) -> list[str]:
            if u not in loaded:
                loaded[u] = _texts(self.unit(u), self.options)
                if len(loaded) > _KEEP:
                    loaded.popitem(last=False)
            loaded.move_to_end(u)
            return loaded[u]

        n_units = self.n_units()
        for offset in offsets:
            u0, num, den = self.locate(offset)
            first = docs(u0)
            i0 = num * len(first) // den
            found = None
            for step in range(n_units + 1):  # from the point to the end, then from the start
                u = (u0 + step) % n_units
                texts = docs(u)
                lo = i0 if step == 0 else 0
                hi = i0 if step == n_units else len(texts)
                for i in range(lo, hi):
                    if (u, i) not in taken and _usable(texts[i]):
                        found = (u, i)
                        break
                if found is not None:
                    break
            if found is None:  # every usable document of the file is taken
                return out
            taken.add(found)
            out.append((found, docs(found[0])[found[1]]))
        return out


class _Windows(_Source):
    """Uncompressed JSONL or line text: fixed windows of ``_WINDOW`` bytes."""

    def __init__(self, path: str, size: int, options: CorpusOptions) -> None:
        self.path, self.size, self.options = path, size, options

    def n_units(self) -> int:
        return -(-self.size // _WINDOW)

    def locate(self, offset: int) -> tuple[int, int, int]:
        u = offset // _WINDOW
        return u, offset - u * _WINDOW, min(_WINDOW, self.size - u * _WINDOW)

    def unit(self, u: int) -> Range:
        return Range(0, self.path, u, "bytes", u * _WINDOW, min((u + 1) * _WINDOW, self.size))


class _Frames(_Source):
    """zstd in several frames: the frames (compressed offsets) are the windows."""

    def __init__(self, path: str, bounds: list[int], options: CorpusOptions) -> None:
        self.path, self.bounds, self.options = path, bounds, options

    def n_units(self) -> int:
        return len(self.bounds) - 1

    def locate(self, offset: int) -> tuple[int, int, int]:
        u = bisect.bisect_right(self.bounds, offset) - 1
        return u, offset - self.bounds[u], self.bounds[u + 1] - self.bounds[u]

    def unit(self, u: int) -> Range:
        return Range(0, self.path, u, "frames", self.bounds[u], self.bounds[u + 1])


class _RowGroups(_Source):
    """Parquet: the point's fraction of the file is the same fraction of its rows."""

    def __init__(self, path: str, size: int, options: CorpusOptions) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except pa.ArrowException as exc:
            raise InputError(f"not a readable Parquet file ({exc}).", path=path) from None
        self.path, self.size, self.options = path, size, options
        self.firsts = [0]
        for g in range(meta.num_row_groups):
            self.firsts.append(self.firsts[-1] + meta.row_group(g).num_rows)

    def n_units(self) -> int:
        return len(self.firsts) - 1

    def locate(self, offset: int) -> tuple[int, int, int]:
        row = offset * self.firsts[-1] // self.size
        g = bisect.bisect_right(self.firsts, row) - 1  # the last group starting at or before
        return g, row - self.firsts[g], self.firsts[g + 1] - self.firsts[g]

    def unit(self, u: int) -> Range:
        return Range(0, self.path, u, "row_groups", u, u + 1)

    def take(self, offsets: list[int]) -> list[tuple[tuple[int, int], str]]:
        return super().take(offsets) if self.firsts[-1] else []


class _Stream(_Source):
    """A single compressed stream (or a text file read as one document): read in full once, the
    documents with the smallest keyed hashes."""

    def __init__(self, path: str, size: int, options: CorpusOptions) -> None:
        self.path, self.size, self.options = path, size, options
        self.best: list[tuple[tuple[int, int], str]] = []
        self.k = -1  # how many smallest hashes ``best`` holds (or all usable documents)

    def take(self, offsets: list[int]) -> list[tuple[tuple[int, int], str]]:
        k = len(offsets)
        if k > self.k:
            heap: list[tuple[int, int, str]] = []  # (-hash, -row, text): the k smallest kept
            row = 0
            for raw in _raw_texts(Range(0, self.path, 0, "whole", 0, self.size), self.options):
                h = int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")
                if len(heap) < k or (-h, -row) > heap[0][:2]:  # decoded only if it would enter
                    text = raw.decode("utf-8")
                    if _usable(text):
                        if len(heap) < k:
                            heapq.heappush(heap, (-h, -row, text))
                        else:
                            heapq.heapreplace(heap, (-h, -row, text))
                row += 1
            self.best = [((-h, -r), t) for h, r, t in sorted(heap, reverse=True)]
            self.k = k
        return [((0, row), t) for (_, row), t in self.best[:k]]  # keyed by row: file order


def _raw_texts(rng: Range, options: CorpusOptions):
    """The UTF-8 of every document of a range (not decoded when the reader holds the bytes)."""
    for b in iter_range_batches(rng, options):
        if isinstance(b.texts, EncodedTexts):
            buf, off = b.texts.buf, b.texts.offsets.tolist()
            for a, e in zip(off[:-1], off[1:], strict=True):
                yield bytes(buf[a:e])
        else:
            for t in b.texts:
                yield t.encode("utf-8")


def _source(path: str, size: int, options: CorpusOptions) -> _Source:
    fmt, compression = corpus_format(path)
    if fmt == "parquet":
        return _RowGroups(path, size, options)
    if fmt == "text" and options.text_unit == "file":
        return _Stream(path, size, options)
    if compression is None:
        return _Windows(path, size, options)
    if compression == "zstd":
        bounds = zstd_frames(path)
        if len(bounds) > 2:
            return _Frames(path, bounds, options)
    return _Stream(path, size, options)
