"""The scan manifest: which ranges are finished, so that a killed scan resumes where it stopped.

Layout of the output folder::

    manifest.json          format, index fingerprint, options, one entry per range of a file
    ranges/000007.json     the finished result of range 7 (written before the manifest says so)

A range (:class:`assay.pipelines.Range`) is part of one file; a file's entry records its size and
modification time, and a range is redone when its file changed.

Every file is written to a temporary name and renamed, so a kill leaves either the old or the new
version, never half a file.
"""

from __future__ import annotations

import json
import os
from typing import Any

from assay._core import InputError
from assay.pipelines._ranges import Range

__all__ = ["Manifest"]

FORMAT = "assay.contamination.manifest/2"


def _atomic_json(path: str, data: Any) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, sort_keys=True, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _stat(path: str) -> dict[str, int]:
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Manifest:
    """Finished ranges of one scan in one folder."""

    def __init__(self, folder: str, data: dict[str, Any]) -> None:
        self.folder = folder
        self.data = data

    @classmethod
    def open(
        cls,
        folder: str,
        ranges: list[Range],
        fingerprint: str,
        options: dict[str, Any],
        *,
        restart: bool = False,
    ) -> Manifest:
        """Open (or start) the manifest of a scan of ``ranges`` with this index and options.

        Raises
        ------
        InputError
            When the folder holds a manifest of a different scan (another index, options or list
            of files) and ``restart`` is False.
        """
        os.makedirs(os.path.join(folder, "ranges"), exist_ok=True)
        stats = {r.path: _stat(r.path) for r in ranges}
        path = os.path.join(folder, "manifest.json")
        fresh = {
            "format": FORMAT,
            "fingerprint": fingerprint,
            "options": options,
            "ranges": [{**r.to_dict(), **stats[r.path], "done": False} for r in ranges],
        }
        if os.path.exists(path) and not restart:
            try:
                with open(path, encoding="utf-8") as fh:
                    old = json.load(fh)
            except (json.JSONDecodeError, OSError) as exc:
                raise InputError(
                    f"unreadable manifest ({exc}); pass --restart to start over.", path=path
                ) from None
            for key, what in (
                ("format", "format"),
                ("fingerprint", "test index"),
                ("options", "options"),
            ):
                if old.get(key) != fresh[key]:
                    raise InputError(
                        f"this folder holds a scan with another {what}; use another --out folder or "
                        "pass --restart to start over.",
                        path=path,
                        field=key,
                    )
            files = sorted({r.path for r in ranges})
            if sorted({s["path"] for s in old.get("ranges", [])}) != files:
                raise InputError(
                    "this folder holds a scan of other files; use another --out folder or "
                    "pass --restart to start over.",
                    path=path,
                    field="ranges",
                )
            previous = {_key(s): (i, s) for i, s in enumerate(old["ranges"])}
            moves: dict[int, int] = {}
            for i, new in enumerate(fresh["ranges"]):
                j, prev = previous.get(_key(new), (None, None))
                if prev is not None and prev.get("done"):
                    moves[i] = j
            if any(i != j for i, j in moves.items()):  # nothing done while results move
                _atomic_json(path, fresh)
                _move_results(folder, moves)
            for i in moves:
                fresh["ranges"][i]["done"] = True
        m = cls(folder, fresh)
        _atomic_json(path, fresh)
        return m

    def _range_path(self, i: int) -> str:
        return os.path.join(self.folder, "ranges", f"{i:06d}.json")

    def done_results(self) -> dict[int, dict[str, Any]]:
        """Results of the ranges already finished (a missing or broken result file is redone)."""
        out = {}
        for i, s in enumerate(self.data["ranges"]):
            if not s["done"]:
                continue
            try:
                with open(self._range_path(i), encoding="utf-8") as fh:
                    out[i] = json.load(fh)
            except (OSError, json.JSONDecodeError):
                s["done"] = False
        return out

    def record(self, i: int, result: dict[str, Any]) -> None:
        """Save a finished range's result, then mark it done."""
        _atomic_json(self._range_path(i), result)
        self.data["ranges"][i]["done"] = True
        _atomic_json(os.path.join(self.folder, "manifest.json"), self.data)

    @property
    def n_done(self) -> int:
        return sum(s["done"] for s in self.data["ranges"])


def _key(entry: dict[str, Any]) -> tuple:
    """What identifies a range's work: file, its size and time, and the range's bounds."""
    return tuple(entry[k] for k in ("path", "size", "mtime_ns", "kind", "start", "end"))


def _move_results(folder: str, moves: dict[int, int]) -> None:
    """Renumber finished results whose range moved in the list (another file changed size)."""
    moves = {i: j for i, j in moves.items() if i != j}
    if not moves:
        return
    base = os.path.join(folder, "ranges")
    staged = {}
    for i, j in moves.items():
        src = os.path.join(base, f"{j:06d}.json")
        if os.path.exists(src):
            tmp = os.path.join(base, f"{j:06d}.json.move")
            os.replace(src, tmp)
            staged[i] = tmp
    for i, tmp in staged.items():
        os.replace(tmp, os.path.join(base, f"{i:06d}.json"))
