"""Compute the report: read, build each section, and write the files."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from assay._core import AssayError, __version__
from assay._core._validation import check_confidence_level, check_positive_int, check_probability
from assay.io import ReadResult
from assay.report._consistency import contradictions
from assay.report._context import MAX_FIGURE_TASKS, ReportContext, ReportOptions
from assay.report._model import ReportModel, SectionModel
from assay.report._registry import SECTIONS, section_module
from assay.report._render import render_html, render_markdown

__all__ = ["ReportFiles", "build_report", "result_from_store", "write_report"]


def result_from_store(path: str | os.PathLike) -> ReadResult:
    """Everything in the results store at ``path``, as :func:`assay.read` would return it."""
    from assay.store import load_results

    return load_results(store=path)


def _check_options(options: ReportOptions, result: ReadResult) -> None:
    check_confidence_level(options.confidence_level)
    check_probability(options.alpha, "alpha", open_interval=True)
    check_positive_int(options.n_resamples, "n_resamples", minimum=100)
    if options.baseline is not None:
        models = set(result.responses.column("model").to_pylist())
        if options.baseline not in models:
            from assay._core import InputError

            raise InputError(
                f"`baseline` {options.baseline!r} is not among the models read: {', '.join(sorted(models))}."
            )


def build_report(
    result: ReadResult,
    *,
    options: ReportOptions | None = None,
    progress: Callable[[str], None] | None = None,
    sections: Sequence[str] = SECTIONS,
    review: Any = None,
    contamination_items: Any = None,
) -> ReportModel:
    """Run every analysis the data supports and return the report as plain data.

    Parameters
    ----------
    result : ReadResult
        What :func:`assay.read` (or ``Store.read_result``) returned.
    options : ReportOptions, optional
        Baseline, confidence level, seed and the other settings.
    progress : callable, optional
        Called with each section's title before it is computed.
    sections : sequence of str
        Section ids to build, in order (default: all).
    review : ReviewOutcome, optional
        A human review already applied to ``result`` (:func:`assay.report._review.review_result`):
        the review section shows the ranking before and after it, and the item audit marks the
        reviewed items.
    contamination_items : pyarrow.Table, optional
        Benchmark items (``task, item, input, target``) to check against ``options.corpus``
        instead of the items of ``result`` (e.g. a test set that has no scores here).

    Returns
    -------
    ReportModel
    """
    options = options or ReportOptions()
    _check_options(options, result)
    ctx = ReportContext(result, options, review=review, contamination_items=contamination_items)
    built: list[SectionModel] = []
    for section_id in sections:
        module = section_module(section_id)
        if progress is not None:
            progress(module.TITLE)
        try:
            section = module.build(ctx)
            withheld = ctx.figures_withheld(module.ID)
            if withheld:
                drawn = MAX_FIGURE_TASKS
                section = dataclasses.replace(section, notes=[*section.notes, (
                    f"Figures are drawn for the first {drawn} of {drawn + withheld} tasks, to keep "
                    "the HTML small; every task's tables and numbers are complete."
                )])  # fmt: skip
            built.append(section)
        except AssayError as exc:  # data this section cannot use: say why, keep the rest
            built.append(
                SectionModel(id=module.ID, title=module.TITLE, status="absent", reason=str(exc))
            )
        # give Arrow's freed buffers back to the system between sections, so that the next
        # section's numpy arrays reuse those pages (the 290-model report's peak: 1.94 -> 1.73 GiB)
        pa.default_memory_pool().release_unused()
    return ReportModel(
        assay_version=__version__,
        settings=options.to_dict(),
        sources=sorted(set(result.sources)),
        sections=built,
    )


@dataclasses.dataclass(frozen=True)
class ReportFiles:
    """The report and where its files went."""

    model: ReportModel
    html: str | None
    json: str | None
    markdown: str | None
    notes: tuple[str, ...] = ()


def write_report(
    sources: Any = None,
    *,
    result: ReadResult | None = None,
    html: str | os.PathLike | None = "assay-report.html",
    json: str | os.PathLike | None = None,
    markdown: str | os.PathLike | None = None,
    options: ReportOptions | None = None,
    read_options: dict[str, Any] | None = None,
    title: str = "assay report",
    progress: Callable[[str], None] | None = None,
    review: str | os.PathLike | None = None,
    contamination_items: Any = None,
) -> ReportFiles:
    """Read ``sources`` (or take ``result``), build the report and write HTML, JSON and Markdown.

    This is the whole of ``assay report``; the command line only parses options and prints.
    ``review`` is a reviewed suspects file (``assay audit items -o FILE``): the results are
    re-scored with its verdicts and the report shows what they changed.
    """
    from assay._core import InputError

    for flag, path in (("html", html), ("json", json), ("markdown", markdown)):
        if path is not None and Path(path).is_dir():
            raise InputError(
                f"the {flag} output {str(path)!r} is a folder; give a file name, e.g. "
                f"{os.path.join(str(path), 'report.' + {'html': 'html', 'json': 'json', 'markdown': 'md'}[flag])}"
            )
    if result is None:
        if sources is None:
            raise InputError("give results files or folders to report on (or a ReadResult).")
        from assay.store import load_results

        result = load_results(sources, progress=progress, **(read_options or {}))
    outcome = None
    if review is not None:
        from assay.report._review import review_result

        result, outcome = review_result(result, review)
    model = build_report(
        result,
        options=options,
        progress=progress,
        review=outcome,
        contamination_items=contamination_items,
    )
    problems = contradictions(model.to_dict())
    if problems:  # never expected: the property tests hunt for these; say so rather than hide it
        import warnings

        warnings.warn(
            "the report contradicts itself (please report this as a bug): " + "; ".join(problems),
            stacklevel=2,
        )
    written = {}
    for kind, path, render in (
        ("html", html, lambda: render_html(model, title=title)),
        ("json", json, model.to_json),
        ("markdown", markdown, lambda: render_markdown(model)),
    ):
        if path is None:
            written[kind] = None
            continue
        p = Path(path)
        if p.parent and not p.parent.exists():
            p.parent.mkdir(parents=True)
        p.write_text(render(), encoding="utf-8")
        written[kind] = str(p)
    return ReportFiles(model=model, notes=tuple(result.notes), **written)
