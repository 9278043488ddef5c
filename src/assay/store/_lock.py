"""One process at a time: an advisory lock file beside the store, and DuckDB's own file lock.

DuckDB lets only one process open a database file for writing. Rather than fail at once when
another process has it, every store session takes an exclusive ``fcntl.flock`` on
``<store>.lock`` (waiting up to the store's timeout), then opens the database, retrying while
DuckDB reports the file locked (a process that is not assay, such as the ``duckdb`` shell, may
hold it). The lock file is never deleted: removing a file that others may be waiting on would
let two processes in at once.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import duckdb

from assay._core import InputError, StoreLockedError

try:  # POSIX; elsewhere DuckDB's own lock and the retry below still keep writers apart
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["connect", "lock_path", "store_lock"]

_POLL_START = 0.02
_POLL_MAX = 0.25


def lock_path(path: str) -> str:
    """The advisory lock file of the store at ``path``."""
    return f"{path}.lock"


def _advice(timeout: float) -> str:
    return (
        "Wait for the other process to finish and run the command again, pass a longer timeout "
        f"(Store(path, timeout=...); this one was {timeout:g} s), or use another store "
        "(--store PATH or $ASSAY_STORE)."
    )


def _holder(fh: IO[str]) -> str:
    """Who holds the lock, as the holder wrote it into the lock file (best effort)."""
    try:
        fh.seek(0)
        text = fh.read(200).strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


@contextmanager
def store_lock(path: str, *, timeout: float) -> Iterator[tuple[float, float]]:
    """Hold the exclusive advisory lock of the store at ``path``.

    Yields ``(start, deadline)`` in ``time.monotonic()`` seconds: when waiting began, and when
    opening the database must give up.

    Raises
    ------
    StoreLockedError
        When another process holds the lock for longer than ``timeout`` seconds.
    """
    start = time.monotonic()
    deadline = start + timeout
    if fcntl is None:  # pragma: no cover - Windows
        yield start, deadline
        return
    try:
        fh = open(lock_path(path), "a+", encoding="utf-8")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise InputError(
            f"cannot create the store's lock file {lock_path(path)}: {exc.strerror or exc}",
            path=path,
        ) from None
    try:
        delay = _POLL_START
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline:
                    raise StoreLockedError(
                        f"the results store {path} is in use by another process{_holder(fh)}; "
                        f"waited {now - start:.1f} s for it. {_advice(timeout)}"
                    ) from None
                time.sleep(min(delay, max(deadline - now, 0.0)))
                delay = min(delay * 2, _POLL_MAX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        try:
            yield start, deadline
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


_LOCKED = re.compile(r"lock", re.IGNORECASE)


def connect(
    path: str, *, start: float, deadline: float, timeout: float
) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file read-write, retrying until ``deadline`` while another process has it.

    Raises
    ------
    StoreLockedError
        When DuckDB still reports the file locked at the deadline.
    InputError
        When the file exists but is not a DuckDB database.
    """
    delay = _POLL_START
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as exc:
            message = str(exc)
            if not _LOCKED.search(message):
                raise InputError(f"cannot open the results store: {message}", path=path) from None
            now = time.monotonic()
            if now >= deadline:
                holder = re.search(r"PID \d+", message)
                who = f" ({holder.group(0)})" if holder else ""
                raise StoreLockedError(
                    f"the results store {path} is open in another program{who} that is not "
                    f"using assay's lock; waited {now - start:.1f} s for it. {_advice(timeout)}"
                ) from None
            time.sleep(min(delay, max(deadline - now, 0.0)))
            delay = min(delay * 2, _POLL_MAX)
        except duckdb.Error as exc:
            raise InputError(f"cannot open the results store: {exc}", path=path) from None
