"""Inspect ``.eval`` logs as zip files: the index, member checks and size limits.

Used by :mod:`assay.io._inspect`. Members are read one at a time under a per-member and a total
limit on decompressed bytes (a zip bomb stops with an error naming the member); member names that
leave the archive (``..``, absolute, drive letters) are refused.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from assay._core import InputError

HEADER = "header.json"
START = "_journal/start.json"
SUMMARIES = "summaries.json"
SAMPLES_DIR = "samples/"

_DRIVE = re.compile(r"^[A-Za-z]:")

MAX_MEMBER_BYTES = 512 * 1024 * 1024
"""Largest decompressed size accepted for one zip member (guards against zip bombs)."""

MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
"""Largest decompressed size accepted for all the members of one ``.eval`` read together."""

MAX_JSON_VALUES = 8_000_000
"""Most JSON values (counted from the commas and opening brackets, an upper bound) accepted in
one member. Parsed JSON takes up to ~70 bytes per value (an empty object in a list), so this bounds
a member's parsed size to about 600 MB whatever its byte size: 500 MB of ``[0,0,...]`` compresses
below 1 MB and would otherwise become 250 million list items. The largest member of the real
logs in the test suite holds 343."""


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise InputError(
            f"not a readable zip archive ({exc}); an .eval log is a zip", path=str(path)
        ) from None


def _eval_index(zf: zipfile.ZipFile, path: Path) -> tuple[dict, list[str], _Budget]:
    """The header of an ``.eval`` zip and the names of its sample members, checked.

    Members are read in memory, never extracted; every member name is checked before anything is
    read, and the decompressed size of each member and of them all is capped.
    """
    infos = zf.infolist()
    names = [info.filename for info in infos]
    for name in names:
        _check_member_name(name, path)
    _check_declared_sizes(infos, path)
    budget = _Budget(path)
    if HEADER in names:
        header = _read_member(zf, HEADER, path, budget)
    elif START in names:  # a run still going or killed: Inspect reads the journal's start
        header = _read_member(zf, START, path, budget)
        if isinstance(header, dict):
            header.setdefault("status", "started")
    else:
        raise InputError(
            f"missing member '{HEADER}' (nor '{START}'): not a complete Inspect .eval log",
            path=str(path),
            record=HEADER,
        )
    _require_type(header, dict, path=path, record=HEADER, field=None, what="a JSON object")
    members = sorted(n for n in names if n.startswith(SAMPLES_DIR) and n.endswith(".json"))
    _check_expected_samples(zf, names, members, header, path, budget)
    return header, members, budget


def _check_member_name(name: str, path: Path) -> None:
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise InputError(
            "zip member path escapes the archive folder (absolute or '..'); "
            "refusing to read this archive",
            path=str(path),
            record=f"member {name!r}",
        )


def _to_read(name: str) -> bool:
    return name in (HEADER, START, SUMMARIES) or (
        name.startswith(SAMPLES_DIR) and name.endswith(".json")
    )


def _check_declared_sizes(infos: list[zipfile.ZipInfo], path: Path) -> None:
    """Refuse, before inflating anything, a member or an archive whose declared size is too big.

    zipfile stops inflating a member at its declared ``file_size`` (more data fails its CRC
    check), so the declared sizes bound what reading costs.
    """
    total = 0
    for info in infos:
        if not _to_read(info.filename):
            continue
        _check_member_size(info, path)
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"the members to read declare {total} bytes decompressed in all, more than "
            f"{MAX_TOTAL_BYTES}; refusing to read the archive (zip bomb?)",
            path=str(path),
        )


def _check_member_size(info: zipfile.ZipInfo, path: Path) -> None:
    if info.file_size > MAX_MEMBER_BYTES:
        raise InputError(
            f"member declares {info.file_size} bytes decompressed, more than {MAX_MEMBER_BYTES}; "
            "refusing to read it (zip bomb?)",
            path=str(path),
            record=info.filename,
        )


def _check_expected_samples(
    zf: zipfile.ZipFile,
    names: list[str],
    sample_names: list[str],
    header: dict,
    path: Path,
    budget: _Budget,
) -> None:
    """Every sample listed in ``summaries.json`` has its member; a finished run has samples."""
    present = set(sample_names)
    if SUMMARIES in names:
        summaries = _read_member(zf, SUMMARIES, path, budget)
        _require_type(summaries, list, path=path, record=SUMMARIES, field=None, what="a list")
        for i, s in enumerate(summaries):
            where = f"{SUMMARIES}[{i}]"
            _require_type(s, dict, path=path, record=where, field=None, what="a JSON object")
            member = f"{SAMPLES_DIR}{s.get('id')}_epoch_{s.get('epoch')}.json"
            if member not in present:
                raise InputError(
                    f"missing member '{member}' for the sample that {SUMMARIES} "
                    f"lists (id {s.get('id')!r}, epoch {s.get('epoch')!r})",
                    path=str(path),
                    record=member,
                )
    results = header.get("results")
    completed = results.get("completed_samples") if isinstance(results, dict) else None
    config = header.get("eval", {}).get("config") if isinstance(header.get("eval"), dict) else None
    logged = not (isinstance(config, dict) and config.get("log_samples") is False)
    if not sample_names and isinstance(completed, int) and completed > 0 and logged:
        raise InputError(
            f"missing members '{SAMPLES_DIR}*.json': the header reports {completed} "
            "completed samples but the archive holds none",
            path=str(path),
            record=SAMPLES_DIR,
        )


class _Budget:
    """Decompressed bytes left for one archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.left = MAX_TOTAL_BYTES

    def take(self, n: int, member: str) -> None:
        self.left -= n
        if self.left < 0:
            raise InputError(
                f"archive decompresses to more than {MAX_TOTAL_BYTES} bytes in all; "
                "refusing to read it (zip bomb?)",
                path=str(self.path),
                record=member,
            )


def _read_member(zf: zipfile.ZipFile, name: str, path: Path, budget: _Budget) -> Any:
    """Decompress one member in memory (at most :data:`MAX_MEMBER_BYTES`) and parse its JSON."""
    limit = MAX_MEMBER_BYTES
    try:
        _check_member_size(zf.getinfo(name), path)
        with zf.open(name) as fh:
            data = fh.read(limit + 1)
    except KeyError:
        raise InputError(f"missing member '{name}'", path=str(path), record=name) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(f"corrupt zip member ({exc})", path=str(path), record=name) from None
    except NotImplementedError as exc:
        raise InputError(
            f"unsupported zip compression ({exc})", path=str(path), record=name
        ) from None
    except RuntimeError as exc:  # encrypted members
        raise InputError(f"cannot read zip member ({exc})", path=str(path), record=name) from None
    if len(data) > limit:
        raise InputError(
            f"member decompresses to more than {limit} bytes; refusing to read it (zip bomb?)",
            path=str(path),
            record=name,
        )
    budget.take(len(data), name)
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        raise InputError(
            f"member holds up to {values} JSON values, more than {MAX_JSON_VALUES}; refusing to "
            "parse it (it would take gigabytes of memory)",
            path=str(path),
            record=name,
        )
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno})",
            path=str(path),
            record=name,
        ) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InputError(
            f"not readable as JSON: {type(exc).__name__}", path=str(path), record=name
        ) from None


def _require_type(
    value: Any, kind: type, *, path: Path, record: str, field: str | None, what: str
) -> None:
    if not isinstance(value, kind):
        raise InputError(
            f"expected {what}; got {type(value).__name__} {_short(value)}",
            path=str(path),
            record=record,
            field=field,
        )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
