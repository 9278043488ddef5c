"""Control characters from logs (U+202E and the like, ESC, CR) are shown, never obeyed, in the
Markdown summary and the terminal summary (issue 14)."""

import io

from rich.console import Console

from assay._core import visible_controls
from assay.report import ReportOptions, build_report, render_markdown
from assay.report._terminal import print_summary

EVIL = "gpt\u202egnp.exe"  # shows as "gptexe.png" where the override is obeyed
ESC = "model\x1b[2J\x1b[31mred\rback"


def _model(make_result):
    result = make_result([EVIL, ESC, "plain"], n_items=60)
    return build_report(
        result, options=ReportOptions(n_resamples=100), sections=("inventory", "leaderboard")
    )


def test_visible_controls():
    assert visible_controls(EVIL) == "gpt<U+202E>gnp.exe"
    assert visible_controls(ESC) == "model<U+001B>[2J<U+001B>[31mred<U+000D>back"
    for ch in "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x00\x7f\x9b":
        assert visible_controls(ch) == f"<U+{ord(ch):04X}>"
    text = "tab\tnewline\n ünïcödé 模型 emoji 😀 zero-width-joiner\u200d"
    assert visible_controls(text) == text


def test_markdown_shows_control_characters(result_factory):
    md = render_markdown(_model(result_factory))
    assert "\u202e" not in md and "\x1b" not in md and "\r" not in md
    assert "gpt\\<U+202E\\>gnp.exe" in md  # _md_escape escapes the < and > it shows


def test_terminal_summary_shows_control_characters(result_factory):
    out = io.StringIO()
    print_summary(
        _model(result_factory),
        Console(file=out, width=200, color_system=None, force_terminal=False),
    )
    text = out.getvalue()
    assert "\u202e" not in text and "\x1b" not in text and "\r" not in text
    assert "gpt<U+202E>gnp.exe" in text and "model<U+001B>[2J" in text
