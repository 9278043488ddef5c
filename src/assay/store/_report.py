"""What an ingest did: the runs added, the runs skipped and why, and the reader's notes."""

from __future__ import annotations

import dataclasses

from assay._core import Result

__all__ = ["IngestReport", "IngestedRun"]


@dataclasses.dataclass(frozen=True)
class IngestedRun(Result):
    """One run met by an ingest.

    Attributes
    ----------
    run_id : str
        The run's id (``assay rm RUN_ID`` removes it).
    models, tasks : tuple of str
        The models and tasks of the run's rows in the runs table.
    harness : str
        The harness that wrote the source.
    source : str
        The file or folder the run was read from.
    sha256 : str
        SHA-256 of the source's content; the same content is never ingested twice.
    responses : int
        Rows of the long table written to the store (added), or read and not written (skipped).
    reason : str
        Why a run was skipped, or what happened beside adding it (empty when nothing did).
    """

    run_id: str
    models: tuple[str, ...]
    tasks: tuple[str, ...]
    harness: str
    source: str
    sha256: str
    responses: int
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class IngestReport(Result):
    """The result of :meth:`Store.ingest` or :meth:`Store.add`.

    Attributes
    ----------
    store : str
        Path of the store.
    added : tuple of IngestedRun
        Runs written, each in its own transaction.
    skipped : tuple of IngestedRun
        Runs already in the store with the same content (same SHA-256), so not written again.
    replaced : tuple of str
        Ids of runs removed because the file they came from has changed and was ingested again.
    notes : tuple of str
        What the reader and the store want the user to know: NaN scores, failed samples,
        duplicates resolved by ``on_duplicate``.
    """

    store: str
    added: tuple[IngestedRun, ...] = ()
    skipped: tuple[IngestedRun, ...] = ()
    replaced: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_responses(self) -> int:
        """Responses written by this ingest."""
        return sum(r.responses for r in self.added)

    def __str__(self) -> str:
        parts = [f"added {len(self.added)} run(s), {self.n_responses:,} responses"]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} already in the store")
        if self.replaced:
            parts.append(f"replaced {len(self.replaced)} whose file changed")
        return f"{'; '.join(parts)} ({self.store})"
