"""assay.contamination: did the test set leak into the training data?

Pure functions on text and arrays: normalisation and the GPT-3 / Tulu 3 / open-r1 recipes, a
hashed test-side n-gram index, a vectorised scan of training documents against it, MinHash with
LSH for near duplicates, exact top-k cosine search for embeddings, a calibrated probability that
an item's nearest neighbour is a rephrasing of it, per-item verdicts with
evidence, decontaminated text, and clean-against-dirty score comparisons. Reading corpora and
running scans over shards (locally or on Dask) lives in :mod:`assay.pipelines`.
"""

from assay.contamination._clean import CLEAN_MODES, CleanedText, clean_texts
from assay.contamination._embedding import TopK, cosine_topk
from assay.contamination._hashing import (
    EncodedTexts,
    TokenBatch,
    gram_hashes,
    hash_texts,
    same_document,
)
from assay.contamination._index import TestIndex, build_index
from assay.contamination._minhash import MinHasher, lsh_candidates
from assay.contamination._normalize import PRESETS, Recipe, normalize, recipe, tokenize
from assay.contamination._rates import FLAG_RATES, flag_rates
from assay.contamination._rephrase import RephraseResult, rephrase_probability, spacing_pvalues
from assay.contamination._scan import DocRef, ScanPartial, scan_texts, word_spans
from assay.contamination._scores import CleanDirtyResult, ModelGap, clean_vs_dirty
from assay.contamination._verdict import (
    STATUSES,
    BenchmarkRate,
    ContaminationResult,
    ItemVerdict,
    summarize,
)

__all__ = [
    "CLEAN_MODES",
    "FLAG_RATES",
    "RephraseResult",
    "flag_rates",
    "rephrase_probability",
    "spacing_pvalues",
    "PRESETS",
    "STATUSES",
    "BenchmarkRate",
    "CleanDirtyResult",
    "CleanedText",
    "ContaminationResult",
    "DocRef",
    "ItemVerdict",
    "MinHasher",
    "ModelGap",
    "Recipe",
    "ScanPartial",
    "TestIndex",
    "EncodedTexts",
    "TokenBatch",
    "TopK",
    "build_index",
    "clean_texts",
    "clean_vs_dirty",
    "cosine_topk",
    "gram_hashes",
    "hash_texts",
    "lsh_candidates",
    "normalize",
    "recipe",
    "same_document",
    "scan_texts",
    "summarize",
    "tokenize",
    "word_spans",
]
