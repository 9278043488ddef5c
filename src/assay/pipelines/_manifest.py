"""The scan manifest: which shards are finished, so that a killed scan resumes where it stopped.

Layout of the output folder::

    manifest.json          format, index fingerprint, options, one entry per shard
    shards/000007.json     the finished result of shard 7 (written before the manifest says so)

Every file is written to a temporary name and renamed, so a kill leaves either the old or the new
version, never half a file.
"""

from __future__ import annotations

import json
import os
from typing import Any

from assay._core import InputError

__all__ = ["Manifest"]

FORMAT = "assay.contamination.manifest/1"


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
    """Finished shards of one scan in one folder."""

    def __init__(self, folder: str, data: dict[str, Any]) -> None:
        self.folder = folder
        self.data = data

    @classmethod
    def open(
        cls,
        folder: str,
        files: list[str],
        fingerprint: str,
        options: dict[str, Any],
        *,
        restart: bool = False,
    ) -> Manifest:
        """Open (or start) the manifest of a scan of ``files`` with this index and options.

        Raises
        ------
        InputError
            When the folder holds a manifest of a different scan (another index, options or list
            of files) and ``restart`` is False.
        """
        os.makedirs(os.path.join(folder, "shards"), exist_ok=True)
        path = os.path.join(folder, "manifest.json")
        fresh = {
            "format": FORMAT,
            "fingerprint": fingerprint,
            "options": options,
            "shards": [{"path": f, **_stat(f), "done": False} for f in files],
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
            if [s["path"] for s in old.get("shards", [])] != files:
                raise InputError(
                    "this folder holds a scan of other files; use another --out folder or "
                    "pass --restart to start over.",
                    path=path,
                    field="shards",
                )
            for new, prev in zip(fresh["shards"], old["shards"], strict=True):
                same = new["size"] == prev["size"] and new["mtime_ns"] == prev["mtime_ns"]
                new["done"] = bool(prev.get("done")) and same
        m = cls(folder, fresh)
        _atomic_json(path, fresh)
        return m

    def _shard_path(self, shard: int) -> str:
        return os.path.join(self.folder, "shards", f"{shard:06d}.json")

    def done_results(self) -> dict[int, dict[str, Any]]:
        """Results of the shards already finished (a missing or broken result file is redone)."""
        out = {}
        for i, s in enumerate(self.data["shards"]):
            if not s["done"]:
                continue
            try:
                with open(self._shard_path(i), encoding="utf-8") as fh:
                    out[i] = json.load(fh)
            except (OSError, json.JSONDecodeError):
                s["done"] = False
        return out

    def record(self, shard: int, result: dict[str, Any]) -> None:
        """Save a finished shard's result, then mark it done."""
        _atomic_json(self._shard_path(shard), result)
        self.data["shards"][shard]["done"] = True
        _atomic_json(os.path.join(self.folder, "manifest.json"), self.data)

    @property
    def n_done(self) -> int:
        return sum(s["done"] for s in self.data["shards"])
