"""Test items from the long table or a file of items; saving and loading a test index."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pyarrow as pa

from assay._core import InputError
from assay.contamination import MinHasher, Recipe, TestIndex, build_index
from assay.pipelines._corpus import corpus_format, open_text

__all__ = [
    "index_from_items_file",
    "index_from_responses",
    "load_index",
    "read_items",
    "save_index",
]

_FORMAT = "assay.contamination.index/1"


def index_from_responses(
    responses: pa.Table, *, tasks: list[str] | None = None, **options: Any
) -> TestIndex:
    """Index the items of a long table (from ``assay.read`` or ``Store.responses()``).

    An item's input and target are the first non-empty ``input`` and ``target`` among its rows.
    Items without input text are left out; if none has any, :class:`InputError` is raised.
    """
    cols = {c: responses.column(c).to_pylist() for c in ("task", "item", "input", "target")}
    first: dict[tuple[str, str], list[str | None]] = {}
    for task, item, inp, tgt in zip(
        cols["task"], cols["item"], cols["input"], cols["target"], strict=True
    ):
        if tasks and task not in tasks:
            continue
        rec = first.setdefault((task, item), [None, None])
        if rec[0] is None and inp:
            rec[0] = inp
        if rec[1] is None and tgt:
            rec[1] = tgt
    keys = sorted(k for k, v in first.items() if v[0])
    if not keys:
        raise InputError(
            "no item has input text; index a file of items instead (--items with --input-field).",
            field="input",
        )
    return build_index(
        [first[k][0] for k in keys],
        targets=[first[k][1] for k in keys],
        ids=[k[1] for k in keys],
        benchmarks=[k[0] for k in keys],
        **options,
    )


def read_items(
    path: str,
    *,
    input_field: str,
    target_field: str | None = None,
    id_field: str | None = None,
    benchmark_field: str | None = None,
) -> dict[str, list]:
    """Read a JSONL, Parquet or CSV file of test items into columns (input, target, id, benchmark)."""
    lower = path.lower()
    if lower.endswith((".csv", ".csv.gz", ".tsv")):
        import pyarrow.csv as pacsv

        opts = pacsv.ParseOptions(delimiter="\t" if lower.endswith(".tsv") else ",")
        try:
            rows = pacsv.read_csv(path, parse_options=opts).to_pylist()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot read as CSV ({exc}).", path=path) from None
    else:
        fmt, compression = corpus_format(path)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        elif fmt == "jsonl":
            rows = []
            with open_text(path, compression) as fh:
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except json.JSONDecodeError as exc:
                            raise InputError(
                                f"invalid JSON ({exc.msg}).", path=path, record=n
                            ) from None
        else:
            raise InputError("a file of items must be JSONL, Parquet or CSV.", path=path)
    out: dict[str, list] = {"input": [], "target": [], "id": [], "benchmark": []}
    for n, rec in enumerate(rows, start=1):
        if not isinstance(rec, dict):
            raise InputError("expected an object per line.", path=path, record=n)
        for name, field, required in (
            ("input", input_field, True),
            ("target", target_field, False),
            ("id", id_field, False),
            ("benchmark", benchmark_field, False),
        ):
            if field is None:
                value = str(n - 1) if name == "id" else None
            elif field not in rec:
                raise InputError(
                    f"missing; the record has {', '.join(sorted(rec)[:8])}.",
                    path=path,
                    record=n,
                    field=field,
                )
            else:
                value = rec[field]
                if value is not None and not isinstance(value, str):
                    value = (
                        str(value)
                        if name in ("id", "benchmark")
                        else _not_text(path, n, field, value)
                    )
            if required and not value:
                raise InputError(
                    "is empty; every test item needs input text.", path=path, record=n, field=field
                )
            out[name].append(value)
    if not out["input"]:
        raise InputError("holds no test items.", path=path)
    out["benchmark"] = [b or os.path.splitext(os.path.basename(path))[0] for b in out["benchmark"]]
    return out


def _not_text(path, n, field, value):
    raise InputError(f"must be text; got {type(value).__name__}.", path=path, record=n, field=field)


def index_from_items_file(
    path: str,
    *,
    input_field: str = "text",
    target_field: str | None = None,
    id_field: str | None = None,
    benchmark_field: str | None = None,
    **options: Any,
) -> TestIndex:
    """Index a file of items (see :func:`read_items`)."""
    cols = read_items(
        path,
        input_field=input_field,
        target_field=target_field,
        id_field=id_field,
        benchmark_field=benchmark_field,
    )
    return build_index(
        cols["input"],
        targets=cols["target"],
        ids=cols["id"],
        benchmarks=cols["benchmark"],
        **options,
    )


def save_index(index: TestIndex, path: str) -> None:
    """Write the index as a NumPy ``.npz`` (no pickles) with its settings as JSON."""
    meta = {
        "format": _FORMAT,
        "recipe": index.recipe.to_dict(),
        "short_lengths": list(index.short_lengths),
        "minhasher": None if index.minhasher is None else index.minhasher.to_dict(),
        "item_ids": list(index.item_ids),
        "benchmarks": list(index.benchmarks),
        "targets": list(index.targets),
        "inputs": list(index.inputs),
    }
    arrays = {
        k: getattr(index, k) for k in ("keys", "owner_ptr", "owner_code", "n_grams", "n_words")
    }
    if index.minhash is not None:
        arrays["minhash"] = index.minhash
    tmp = f"{path}.tmp.npz"
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)


def load_index(path: str) -> TestIndex:
    """Read an index written by :func:`save_index`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in z.files if k != "meta"}
    except FileNotFoundError:
        raise InputError(
            "no such index file; build one with `assay contamination index`.", path=path
        ) from None
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"not an index written by assay ({exc}).", path=path) from None
    if meta.get("format") != _FORMAT:
        raise InputError(
            f"unknown index format {meta.get('format')!r}; expected {_FORMAT!r}.", path=path
        )
    return TestIndex(
        recipe=Recipe(**meta["recipe"]),
        item_ids=tuple(meta["item_ids"]),
        benchmarks=tuple(meta["benchmarks"]),
        keys=arrays["keys"],
        owner_ptr=arrays["owner_ptr"],
        owner_code=arrays["owner_code"],
        n_grams=arrays["n_grams"],
        n_words=arrays["n_words"],
        short_lengths=tuple(meta["short_lengths"]),
        targets=tuple(meta["targets"]),
        inputs=tuple(meta.get("inputs", ())),
        minhasher=None if meta["minhasher"] is None else MinHasher(**meta["minhasher"]),
        minhash=arrays.get("minhash"),
    )
