"""assay.pipelines: work that streams data through an analysis.

The contamination scan: training corpora (JSONL, Parquet, text; plain, gzip or zstd) read range
by range, scanned against a test index from :mod:`assay.contamination` on all local cores or as
Dask tasks, resumable from a manifest; the embedding and LLM-judge stages; decontaminated copies.
"""

from assay.pipelines._clean import CleanReport, write_clean_copy
from assay.pipelines._corpus import Batch, CorpusOptions, corpus_format, expand_paths
from assay.pipelines._embed import save_embeddings
from assay.pipelines._index_io import (
    index_from_items_file,
    index_from_responses,
    load_index,
    read_items,
    save_index,
)
from assay.pipelines._judge import JudgeConfig, judge_candidates, judge_preview
from assay.pipelines._ranges import (
    Range,
    iter_batches,
    iter_range_batches,
    plan_ranges,
    zstd_frames,
)
from assay.pipelines._sample import spread_sample
from assay.pipelines._scan import (
    ScanOptions,
    ScanRun,
    run_scan,
    scan_corpus,
    scan_range,
    scan_shard,
    write_result,
)

__all__ = [
    "Batch",
    "CleanReport",
    "CorpusOptions",
    "JudgeConfig",
    "Range",
    "ScanOptions",
    "ScanRun",
    "corpus_format",
    "expand_paths",
    "index_from_items_file",
    "index_from_responses",
    "iter_batches",
    "iter_range_batches",
    "judge_candidates",
    "judge_preview",
    "load_index",
    "plan_ranges",
    "read_items",
    "run_scan",
    "save_embeddings",
    "save_index",
    "scan_corpus",
    "scan_range",
    "scan_shard",
    "spread_sample",
    "write_clean_copy",
    "write_result",
    "zstd_frames",
]
