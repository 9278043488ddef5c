"""Render a `ReportModel` as one self-contained HTML file, JSON, or Markdown.

Text from logs is untrusted. The HTML is rendered by Jinja2 with autoescaping on everywhere; no
value from a log is placed in a script, a style, a URL or an event-handler attribute; figures are
``<img>`` data URIs (scripts inside an SVG image never run); and a Content-Security-Policy allows
only the report's own script, by hash, so even a missed escape could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
import math
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from assay._core import visible_controls
from assay.report._model import ReportModel, SectionModel

__all__ = ["render_html", "render_markdown"]


def _static(name: str) -> str:
    return (resources.files("assay.report") / "static" / name).read_text(encoding="utf-8")


def _fmt_pct(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{100 * float(value):.{digits}f}"


def _fmt_num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    v = float(value)
    if v != 0 and (abs(v) < 10 ** (-digits) or abs(v) >= 1e6):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}f}"


def _fmt_p(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    if v < 1e-4:
        return "< 0.0001"
    return f"{v:.4f}" if v < 0.01 else f"{v:.3f}"


def _fmt_int(value: Any) -> str:
    return "n/a" if value is None else f"{int(value):,}"


def _svg_img(svg: str, alt: str) -> Markup:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="{}">').format(data, alt)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assay.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=_fmt_pct, num=_fmt_num, pval=_fmt_p, int=_fmt_int, svg_img=_svg_img)
    return env


def _template_for(env: jinja2.Environment, section: SectionModel) -> str:
    name = f"sections/{section.id}.html.j2"
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return "sections/_generic.html.j2"
    return name


def render_html(model: ReportModel, *, title: str = "assay report") -> str:
    """The report as one HTML document with styles, script and figures inline."""
    env = _environment()
    script = _static("report.js")
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    sections = [(s, _template_for(env, s)) for s in model.sections]
    return env.get_template("report.html.j2").render(
        title=title,
        model=model,
        sections=sections,
        css=Markup(_static("report.css")),
        script=Markup(script),
        script_hash=script_hash,
    )


def _md_escape(text: str) -> str:
    out = visible_controls(str(text)).replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


def render_markdown(model: ReportModel, *, max_rows: int = 10) -> str:
    """A short summary fit for a pull-request comment: headline findings and the top of each table."""
    lines = ["## assay report", ""]
    settings = model.settings
    lines.append(
        f"_{int(round(100 * settings.get('confidence_level', 0.95)))}% intervals, seed {settings.get('seed')}, "
        f"assay {model.assay_version}_"
    )
    lines.append("")
    if model.headline:
        lines += [f"- {_md_escape(h['text'])}" for h in model.headline]
        lines.append("")
    for section in model.sections:
        if section.status != "present":
            continue
        md = getattr(_MARKDOWN, section.id, None)
        if md is not None:
            lines += md(section, max_rows)
    return "\n".join(lines).rstrip() + "\n"


class _MARKDOWN:
    """Per-section Markdown tables (only the sections worth a pull-request comment)."""

    @staticmethod
    def leaderboard(section: SectionModel, max_rows: int) -> list[str]:
        lines = []
        for task in section.data.get("tasks", []):
            level = int(round(100 * task.get("confidence_level", 0.95)))
            scale = task.get("scale", 100)
            fmt = _fmt_pct if scale == 100 else _fmt_num
            lines += [f"### {_md_escape(task.get('label', task['task']))}", ""]
            if not task.get("ranked", True):
                lines += [f"Not ranked: {_md_escape(task.get('unranked_reason') or '')}", ""]
            lines += [
                f"| rank | model | score | {level}% CI | rank interval | n |",
                "|---:|---|---:|---:|---:|---:|",
            ]
            for row in task["rows"][:max_rows]:
                ci = (
                    "too few items"
                    if row["ci_low"] is None
                    else f"{fmt(row['ci_low'])} to {fmt(row['ci_high'])}"
                )
                ranks = "" if row["rank"] is None else f"{row['rank_low']}-{row['rank_high']}"
                lines.append(
                    f"| {row['rank'] if row['rank'] is not None else ''} | "
                    f"{_md_escape(row['model'])} | {fmt(row['estimate'])} | {ci} | {ranks} | "
                    f"{row['n']:,} |"
                )
            if len(task["rows"]) > max_rows:
                lines.append(f"| | ... {len(task['rows']) - max_rows} more in the report | | | | |")
            lines.append("")
        return lines

    @staticmethod
    def review(section: SectionModel, max_rows: int) -> list[str]:
        lines = [f"### Review: {_md_escape(section.data.get('note', ''))}", ""]
        for task in section.data.get("tasks", []):
            scale = task.get("scale", 100)
            fmt = _fmt_pct if scale == 100 else _fmt_num
            lines += [
                f"{_md_escape(task['label'])}: rank before and after the review",
                "",
                "| model | score before | score after | rank before | rank after |",
                "|---|---:|---:|---:|---:|",
            ]
            for row in task["rows"][:max_rows]:
                lines.append(
                    f"| {_md_escape(row['model'])} | {fmt(row['estimate_before'])} | "
                    f"{fmt(row['estimate_after'])} | {row['rank_before'] or ''} | "
                    f"{row['rank_after'] or ''} |"
                )
            if len(task["rows"]) > max_rows:
                lines.append(f"| ... {len(task['rows']) - max_rows} more in the report | | | | |")
            lines.append("")
        return lines

    @staticmethod
    def comparisons(section: SectionModel, max_rows: int) -> list[str]:
        lines = []
        for task in section.data.get("tasks", []):
            lines += [f"### Comparisons: {_md_escape(task.get('label', task['task']))}", ""]
            for row in task["rows"][:max_rows]:
                lines.append(f"- {_md_escape(row['verdict'])}")
            if len(task["rows"]) > max_rows:
                lines.append(f"- ... {len(task['rows']) - max_rows} more in the report")
            lines += [f"- {_md_escape(t)}" for t in task.get("omnibus_text", [])]
            lines.append("")
        lines += [f"- {_md_escape(t)}" for t in section.data.get("across_text", [])]
        return lines
