"""Mutate real logs of every supported format and read each mutant (issue 14); a script.

Run by ``tests/io/test_fuzz.py`` (a short run in the default suite) and by ``benchmarks/fuzz.py``
(thousands of cases). Each case copies one real log from ``tests/data`` (a file, or the folder a
format needs), breaks one file of it with one mutation drawn from a seeded generator, and calls
:func:`assay.read` on it. The only acceptable outcomes are a read and an :class:`assay.InputError`
whose message names the file or the folder of the case. Anything else is a failure: another
exception, a case over the time limit (``signal.alarm``; the calling test also kills a process
that stops printing), or memory over the limit (``RLIMIT_AS``; a ``MemoryError``).

Mutations: truncation, flipped and zeroed bytes, invalid UTF-8, an empty file; on JSON (a whole
file, one JSONL line, one zip member): a deleted key, a value of the wrong type, NaN/inf/1e308, a
huge string, deep nesting, a lone surrogate; on ``.eval`` zips: a missing member, a member named
``../``, an oversized member, a member whose declared size lies; on Parquet: a dropped column, a
column of strings, all nulls, inf; on CSV: odd cells and a dropped header field.

So that a case stays fast, the zip limits are lowered in this process (a member over 4 MiB is
oversized); the rule they enforce is the same.

Usage: ``python tests/io/fuzz_logs.py --seed 14 --cases 200 [--time-limit 20] [--memory-gib 3]``
or ``--replay SEED:CASE,...``;
one JSON line per case on stdout, ``{"case", "source", "mutation", "outcome", "detail", "s"}``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
LOGS = DATA / "logs"

# (name, format, path relative to tests/data, files inside that a mutation may target: glob)
SOURCES = [
    ("lm_eval-asdiv", "lm_eval", "logs/lm_eval/llama3-8b-instruct_asdiv", "*"),
    ("lm_eval-math", "lm_eval", "logs/lm_eval/math_perturbed", "*"),
    ("inspect-eval", "inspect", "logs/inspect/log_formats.eval", None),
    ("inspect-eval-sample", "inspect", "logs/inspect/log_read_sample.eval", None),
    (
        "inspect-eval-popularity",
        "inspect",
        "logs/inspect/2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval",
        None,
    ),
    ("inspect-json", "inspect", "logs/inspect/log_formats.json", None),
    ("inspect-json-arc", "inspect", "logs/inspect/data_arc_qwen.json", None),
    (
        "helm-mmlu",
        "helm",
        "logs/helm/mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2",
        "*.json",
    ),
    ("helm-narrative", "helm", "logs/helm/narrative_qa-model=openai_gpt2", "*.json"),
    ("lighteval-flat", "lighteval", "logs/lighteval/flat", "**/*.*"),
    ("lighteval-nested", "lighteval", "logs/lighteval/nested", "**/*.*"),
    ("openai_evals", "openai_evals", "logs/openai_evals/arith_model-a.jsonl", None),
    ("table-csv", "tables", "derived:csv", None),
    ("table-jsonl", "tables", "derived:jsonl", None),
    ("table-parquet", "tables", "derived:parquet", None),
]

HUGE = 5 << 20  # characters of a huge string
DEEP = 100_000  # levels of nesting
WRONG = [None, True, False, 0, -1, 2**70, 1.5, "", "x", "NaN", [], [1, "a"], {}, {"k": None}]
NON_FINITE = [float("nan"), float("inf"), float("-inf"), 1e308, -1e308]
_DEEP_MARK = "@@deep@@"


class CaseTimeout(BaseException):  # noqa: N818 - BaseException, so that no reader can catch it
    pass


# ------------------------------------------------------------------------------ JSON mutations


def _leaves(doc, limit: int = 20_000):
    """(container, key) of every value inside ``doc``, breadth first, at most ``limit``."""
    out, queue = [], [doc]
    while queue and len(out) < limit:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            out.append((node, k))
            if isinstance(v, dict | list):
                queue.append(v)
    return out


def _mutate_json(doc, rng: random.Random) -> tuple[object, str]:
    """Mutate a parsed JSON document in place (or replace it); return (doc, mutation name)."""
    slots = _leaves(doc) if isinstance(doc, dict | list) else []
    kind = rng.choice(
        ["delete_key", "wrong_type", "non_finite", "huge_string", "deep", "surrogate"]
    )
    if not slots:
        return rng.choice(WRONG), "top_level_wrong_type"
    if kind == "delete_key":
        dict_slots = [(c, k) for c, k in slots if isinstance(c, dict)]
        if dict_slots:
            c, k = rng.choice(dict_slots)
            del c[k]
            return doc, f"delete_key:{k}"
        kind = "wrong_type"
    c, k = rng.choice(slots)
    if kind == "wrong_type":
        c[k] = rng.choice(WRONG)
    elif kind == "non_finite":
        numbers = [(c2, k2) for c2, k2 in slots if type(c2[k2]) in (int, float)]
        c, k = rng.choice(numbers) if numbers and rng.random() < 0.8 else (c, k)
        c[k] = rng.choice(NON_FINITE)
    elif kind == "huge_string":
        c[k] = "x" * HUGE
    elif kind == "deep":
        c[k] = _DEEP_MARK
    else:
        strings = [(c2, k2) for c2, k2 in slots if isinstance(c2[k2], str)]
        c, k = rng.choice(strings) if strings else (c, k)
        c[k] = rng.choice(["\ud800", "a\udfffb", "\udc80" * 3])
    return doc, f"{kind}:{k}"


def _dumps(doc) -> str:
    text = json.dumps(doc, allow_nan=True)  # NaN/Infinity tokens, surrogates as \ud800
    return text.replace(json.dumps(_DEEP_MARK), "[" * DEEP + "]" * DEEP)


def _json_file(path: Path, rng: random.Random) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc, name = _mutate_json(doc, rng)
    path.write_text(_dumps(doc), encoding="utf-8")
    return name


def _jsonl_file(path: Path, rng: random.Random) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return "empty"
    i = rng.randrange(len(lines))
    doc, name = _mutate_json(json.loads(lines[i]), rng)
    lines[i] = _dumps(doc)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"line {i + 1} {name}"


# ------------------------------------------------------------------------------ byte mutations


def _bytes(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    kind = rng.choice(["truncate", "flip", "zero", "invalid_utf8", "empty"])
    if kind == "empty" or not data:
        path.write_bytes(b"")
        return "empty"
    if kind == "truncate":
        cut = rng.randrange(len(data))
        path.write_bytes(bytes(data[:cut]))
        return f"truncate:{cut}"
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "zero":
        at = rng.randrange(len(data))
        data[at : at + rng.randint(1, 64)] = b"\0" * len(data[at : at + 64])
    else:
        at = rng.randrange(len(data))
        data[at:at] = rng.choice([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])
    path.write_bytes(bytes(data))
    return kind


# -------------------------------------------------------------------------------- zip surgery


def _zip(path: Path, rng: random.Random) -> str:
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    kind = rng.choice(["drop", "escape", "oversized", "member_json", "lying_size", "bytes"])
    if kind == "bytes":
        return _bytes(path, rng)
    if kind == "lying_size":
        data = bytearray(path.read_bytes())
        at = data.find(b"PK\x01\x02", rng.randrange(max(1, len(data) // 2)))
        if at < 0:
            at = data.find(b"PK\x01\x02")
        size = rng.choice([0, 1, 10, 2**31 - 1, 2**32 - 1])
        data[at + 24 : at + 28] = size.to_bytes(4, "little")  # uncompressed size
        path.write_bytes(bytes(data))
        return f"lying_size:{size}"
    name = rng.choice(sorted(members))
    if kind == "drop":
        del members[name]
    elif kind == "escape":
        members[rng.choice(["../evil.json", "/abs.json", "samples/../../x.json", "C:/x.json"])] = (
            b"{}"
        )
    elif kind == "oversized":
        members[name] = b'{"pad": "' + b"0" * (5 << 20) + b'"}'
    else:
        try:
            doc = json.loads(members[name])
        except ValueError:
            doc = {}
        doc, sub = _mutate_json(doc, rng)
        members[name] = _dumps(doc).encode("utf-8", "surrogatepass")
        name = f"{name} {sub}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return f"{kind}:{name}"


# ---------------------------------------------------------------------------- table mutations


def _parquet(path: Path, rng: random.Random) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    name = rng.choice(table.column_names)
    kind = rng.choice(["drop", "strings", "nulls", "inf", "bytes"])
    i = table.column_names.index(name)
    col = table.column(name)
    if kind == "bytes":
        return _bytes(path, rng)
    if kind == "drop":
        table = table.remove_column(i)
    elif kind == "strings":
        table = table.set_column(
            i, name, pa.array([rng.choice(["x", "1e308", "inf", None])] * len(col))
        )
    elif kind == "nulls":
        table = table.set_column(i, name, pa.nulls(len(col)))
    else:
        numeric = [n for n in table.column_names if pa.types.is_floating(table.column(n).type)]
        name = rng.choice(numeric) if numeric else name
        i = table.column_names.index(name)
        values = pc.if_else(
            pa.array([rng.random() < 0.1 for _ in range(table.num_rows)]),
            pa.scalar(float("inf")),
            pc.cast(table.column(name), pa.float64(), safe=False)
            if pa.types.is_floating(table.column(name).type)
            else pa.scalar(1.0),
        )
        table = table.set_column(i, name, values)
    pq.write_table(table, path)
    return f"{kind}:{name}"


def _csv(path: Path, rng: random.Random) -> str:
    lines = path.read_bytes().split(b"\n")
    kind = rng.choice(["cell", "cell", "header", "bytes"])
    if kind == "bytes":
        return _bytes(path, rng)
    if kind == "header":
        fields = lines[0].split(b",")
        del fields[rng.randrange(len(fields))]
        lines[0] = b",".join(fields)
        path.write_bytes(b"\n".join(lines))
        return "header_field_dropped"
    i = rng.randrange(1, max(2, len(lines) - 1))
    fields = lines[i].split(b",")
    j = rng.randrange(len(fields))
    value = rng.choice(
        [b"inf", b"-inf", b"nan", b"1e308", b"-1e400", b"abc", b"", b'"', b"\x00", b"\xff", b"1,2"]
    )
    fields[j] = value
    lines[i] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))
    return f"cell:{i + 1}:{j}:{value!r}"


def _mutator(path: Path) -> Callable[[Path, random.Random], str]:
    name = path.name
    if name.endswith(".eval"):
        return _zip
    if name.endswith(".parquet"):
        return _parquet
    if name.endswith(".csv"):
        return _csv
    if name.endswith(".jsonl"):
        return _jsonl_file
    if name.endswith(".json"):
        return _json_file
    return _bytes


# ----------------------------------------------------------------------------------- the run


def _derived(kind: str, folder: Path) -> Path:
    """The real table of tests/data/tables (MMLU-Pro answers) as CSV, JSONL or Parquet, with its
    columns named as assay reads them without a column map (question_id -> item, correct ->
    score), so that an unmutated copy reads."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = pcsv.read_csv(DATA / "tables" / "mmlu_pro_sample.csv")
    names = {"question_id": "item", "correct": "score", "category": "subject", "pred": "prediction"}
    table = table.rename_columns([names.get(n, n) for n in table.column_names])
    out = folder / f"mmlu_pro_sample.{kind}"
    if kind == "parquet":
        pq.write_table(table, out)
    elif kind == "csv":
        pcsv.write_csv(table, out)
    else:
        out.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    return out


def _prepare(source: tuple, case_dir: Path, rng: random.Random) -> tuple[Path, str]:
    name, _fmt, rel, pattern = source
    if rel.startswith("derived:"):
        target = _derived(rel.split(":")[1], case_dir)
        root = target
    else:
        src = DATA / rel
        root = case_dir / src.name
        if src.is_dir():
            shutil.copytree(src, root, ignore=shutil.ignore_patterns("*.md", "*.py"))
        else:
            shutil.copy(src, root)
        files = sorted(p for p in root.glob(pattern) if p.is_file()) if pattern else [root]
        target = rng.choice(files)
    if rng.random() < 0.05 and root != target:
        target.unlink()
        return root, f"{target.name}: deleted"
    return root, f"{target.name}: {_mutator(target)(target, rng)}"


def run_case(index: int, seed: int, work: Path) -> dict:
    import assay

    rng = random.Random(f"{seed}-{index}")
    source = SOURCES[index % len(SOURCES)]
    case_dir = work / f"seed{seed}-case{index}"
    case_dir.mkdir()
    root, mutation = _prepare(source, case_dir, rng)
    record = {"seed": seed, "case": index, "source": source[0], "mutation": mutation}
    start = time.perf_counter()
    try:
        result = assay.read(root)
        record.update(outcome="read", detail=f"{result.responses.num_rows} rows")
    except assay.InputError as exc:
        message = str(exc)
        named = str(case_dir) in message
        record.update(outcome="input_error" if named else "FAIL", detail=message[:300])
        if not named:
            record["detail"] = "InputError naming no file of the case: " + message[:300]
    except CaseTimeout:
        record.update(outcome="FAIL", detail="over the time limit")
    except MemoryError:
        record.update(outcome="FAIL", detail="MemoryError (over the memory limit)")
    except Exception as exc:  # noqa: BLE001 - the point is to report any other exception
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        record.update(
            outcome="FAIL",
            detail=f"{type(exc).__name__}: {str(exc)[:200]} ({tb.filename}:{tb.lineno})",
        )
    record["s"] = round(time.perf_counter() - start, 3)
    shutil.rmtree(case_dir, ignore_errors=True)
    return record


def _address_space() -> int:
    """Bytes of address space this process holds now (VmSize), so the limit is headroom above it
    (pyarrow and glibc reserve address space in proportion to the machine's cores)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2 << 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--time-limit", type=int, default=20, help="seconds per case")
    parser.add_argument(
        "--memory-gib",
        type=float,
        default=2.5,
        help="address space allowed above what the imports took (RLIMIT_AS)",
    )
    parser.add_argument(
        "--replay", default="", help="only these cases: SEED:CASE,SEED:CASE (overrides the rest)"
    )
    args = parser.parse_args(argv)
    if args.replay:
        todo = [tuple(int(x) for x in pair.split(":")) for pair in args.replay.split(",")]
    else:
        todo = [(args.seed, i) for i in range(args.first, args.first + args.cases)]
    import pyarrow as pa

    import assay  # noqa: F401 - imported before the limit is measured
    from assay.io import _inspect_zip

    pa.set_cpu_count(1)  # fewer threads, fewer malloc arenas reserving address space
    pa.set_io_thread_count(1)
    limit = _address_space() + int(args.memory_gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    _inspect_zip.MAX_MEMBER_BYTES = 4 << 20
    _inspect_zip.MAX_TOTAL_BYTES = 64 << 20

    def on_alarm(signum, frame):
        raise CaseTimeout

    signal.signal(signal.SIGALRM, on_alarm)
    sys.setrecursionlimit(1000)
    with tempfile.TemporaryDirectory(prefix="assay-fuzz-") as tmp:
        for seed, index in todo:
            print(json.dumps({"start": index}), flush=True)
            signal.alarm(args.time_limit)
            try:
                record = run_case(index, seed, Path(tmp))
            finally:
                signal.alarm(0)
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
