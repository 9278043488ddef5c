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
    names = [info.filename for info in zf.infolist()]
    for name in names:
        _check_member_name(name, path)
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
