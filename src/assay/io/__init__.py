"""Readers and writers: harness logs, plain tables and corpora into the long table.

Readers never compute statistics. A reader that meets something it cannot map raises an
:class:`~assay.InputError` naming the file, the line or record, and the field.
"""

from assay.io._matrix import MissingItemsWarning, alignment_note, build_matrix
from assay.io._options import ReadOptions
from assay.io._read import FORMATS, detect_format, read
from assay.io._rows import RowTable, read_rows
from assay.io._schema import (
    AGGREGATE_SCHEMA,
    CORPUS_ITEM_SCHEMA,
    RESPONSE_SCHEMA,
    RUN_SCHEMA,
    ReadResult,
    ResponseBuilder,
    RunInfo,
    file_sha256,
)
from assay.io._validate import is_binary_metric, resolve_duplicates, validate_responses

__all__ = [
    "AGGREGATE_SCHEMA",
    "CORPUS_ITEM_SCHEMA",
    "FORMATS",
    "RESPONSE_SCHEMA",
    "RUN_SCHEMA",
    "MissingItemsWarning",
    "ReadOptions",
    "ReadResult",
    "ResponseBuilder",
    "RowTable",
    "RunInfo",
    "alignment_note",
    "build_matrix",
    "detect_format",
    "file_sha256",
    "is_binary_metric",
    "read",
    "read_rows",
    "resolve_duplicates",
    "validate_responses",
]
