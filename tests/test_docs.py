"""The documentation runs as written (issue 20).

* Every ```python block of ``README.md`` and ``docs/*.md`` runs, in order per page, in one
  namespace, from a fresh temporary working directory (so nothing relies on the checkout's paths).
  A block whose next fence is a ```text (or ```output) block must print that text; a block made
  of ``>>>`` lines is run as a doctest. Both compare with doctest's rules (``...`` matches
  anything, whitespace is normalised).
* Shell blocks are not run, but every ``assay COMMAND`` shown in any code block must parse:
  ``assay COMMAND [SUBCOMMAND] --help`` exits 0.
* Every docstring example over the package runs (doctest over every module of ``assay``), each
  module from a fresh temporary working directory; an example marked ``+SKIP`` fails the test,
  because a skipped example is an example nobody checks.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import assay

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Pages other helpers were still editing when this test was written (issue 20): their examples
# are known to fail (names never defined, checkout-only paths; see /work/notes/docs.md for the
# failures and the fixes). Remove an entry once its page runs.
PENDING: dict[str, str] = {}
# Pages whose examples take more than a few seconds (a report or an IRT fit on 29 x 12,032).
SLOW = {"docs/irt.md"}

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_OUTPUT_LANGS = {"text", "output"}
_SHELL_LANGS = {"", "bash", "sh", "shell", "console", "yaml", "yml"}
_CHECK = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int  # 1-based line of the opening fence
    output: str | None = None  # the ```text block that follows, if any


def parse_blocks(text: str) -> list[Block]:
    """Fenced code blocks of a Markdown page, each python block with the output block after it."""
    lines = text.splitlines()
    raw: list[tuple[str, str, int, int]] = []  # lang, code, open line, close line (0-based)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m["fence"], m["info"].strip().split(" ")[0].lower()
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""
        ):
            j += 1
        raw.append((lang, "\n".join(lines[i + 1 : j]) + "\n", i, j))
        i = j + 1
    blocks: list[Block] = []
    for k, (lang, code, start, _end) in enumerate(raw):
        if lang in _OUTPUT_LANGS:
            continue
        output = None
        if lang == "python" and k + 1 < len(raw):
            nlang, ncode, _, _ = raw[k + 1]
            if nlang in _OUTPUT_LANGS:  # the next fence is the output, prose between allowed
                output = ncode
        blocks.append(Block(lang, code, start + 1, output))
    return blocks


def _rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _page_params():
    params = []
    for page in PAGES:
        rel = _rel(page)
        if not any(b.lang == "python" for b in parse_blocks(page.read_text(encoding="utf-8"))):
            continue
        marks = []
        if rel in PENDING:
            marks.append(pytest.mark.xfail(reason=PENDING[rel], strict=False))
        if rel in SLOW:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(page, id=rel, marks=marks))
    return params


def _check_output(want: str, got: str, where: str) -> None:
    checker = doctest.OutputChecker()
    if not checker.check_output(want, got, _CHECK):
        diff = checker.output_difference(doctest.Example("", want), got, _CHECK)
        raise AssertionError(f"{where}: printed output differs from the page\n{diff}")


def _run_python_block(block: Block, ns: dict, where: str) -> None:
    if any(line.lstrip().startswith(">>>") for line in block.code.splitlines()):
        test = doctest.DocTestParser().get_doctest(block.code, ns, where, where, block.line)
        out = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=_CHECK)
        runner.run(test, out=out.write, clear_globs=False)
        assert runner.failures == 0, f"{where}: doctest failed\n{out.getvalue()}"
        return
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(block.code, where, "exec"), ns)  # noqa: S102 - our own documentation
    if block.output is not None:
        _check_output(block.output, buf.getvalue(), where)


@pytest.mark.parametrize("page", _page_params())
def test_page_examples_run(page, tmp_path, monkeypatch):
    """Every python block of the page runs, in order, in one namespace, from an empty folder."""
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are part of what a page may show
        for block in parse_blocks(page.read_text(encoding="utf-8")):
            if block.lang == "python":
                _run_python_block(block, ns, f"{_rel(page)}:{block.line}")


# --------------------------------------------------------------------------- commands shown


def _shown_lines(text: str) -> list[str]:
    """Lines of the page's shell (and other non-python) code blocks, and its inline code spans."""
    lines = [
        line
        for block in parse_blocks(text)
        if block.lang in _SHELL_LANGS
        for line in block.code.splitlines()
    ]
    return lines + re.findall(r"(?<!`)`(assay [^`\n]+)`(?!`)", text)


def _commands_shown() -> list[tuple[str, tuple[str, ...]]]:
    """(page, command words) of every ``assay ...`` command a page shows (placeholders skipped)."""
    import click

    from assay.cli import main

    ctx = click.Context(main)
    found: dict[tuple[str, ...], str] = {}
    for page in PAGES:
        for line in _shown_lines(page.read_text(encoding="utf-8")):
            line = line.split(" #")[0].strip().lstrip("$ ")
            for part in re.split(r"&&|\|\||;|\|", line):
                try:
                    words = shlex.split(part.strip())
                except ValueError:
                    words = part.split()
                if (
                    len(words) < 2
                    or words[0] != "assay"
                    or not re.fullmatch(r"[a-z][a-z-]*", words[1])
                ):
                    continue  # `assay --help`, `assay COMMAND --help`
                group = main.get_command(ctx, words[1])
                subs = words[2].split("/") if len(words) > 2 else []
                subs = [w for w in subs if re.fullmatch(r"[a-z][a-z-]*", w)]
                if isinstance(group, click.Group) and subs:
                    for sub in subs:
                        found.setdefault((words[1], sub), _rel(page))
                else:
                    found.setdefault((words[1],), _rel(page))
    return sorted((page, cmd) for cmd, page in found.items())


@pytest.mark.parametrize(
    "page, command", _commands_shown(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_commands_shown_parse(page, command):
    """``assay COMMAND --help`` exits 0 for every command a page shows."""
    from click.testing import CliRunner

    from assay.cli import main

    res = CliRunner().invoke(main, [*command, "--help"])
    assert res.exit_code == 0, (
        f"{page} shows `assay {' '.join(command)}`, but `assay {' '.join(command)} --help` "
        f"exits {res.exit_code}:\n{res.output}"
    )


def test_commands_found():
    """The scan for shown commands finds the ones the README's set-up and gate sections show."""
    cmds = {c for _, c in _commands_shown()}
    assert {("demo",), ("gate",)} <= cmds
    assert ("contamination", "scan") in cmds
    assert {
        ("subset", "build"),
        ("subset", "estimate"),
    } <= cmds  # inline `assay subset build/estimate`


# --------------------------------------------------------------------------- docstrings


def _modules() -> list[str]:
    names = ["assay"]
    for info in pkgutil.walk_packages(assay.__path__, "assay."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


def _doctests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    """Every docstring example of the module runs and prints what it shows; none is skipped."""
    monkeypatch.chdir(tmp_path)
    tests = _doctests(name)
    skipped = [
        f"{t.name} line {(t.lineno or 0) + ex.lineno + 1}"
        for t in tests
        for ex in t.examples
        if ex.options.get(doctest.SKIP)
    ]
    assert not skipped, f"docstring examples marked +SKIP (make them runnable): {skipped}"
    runner = doctest.DocTestRunner(optionflags=_CHECK)
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in tests:
            runner.run(t, out=out.write)
    assert runner.failures == 0, out.getvalue()


def test_docstring_examples_exist():
    """The package has docstring examples to check (so the test above cannot pass vacuously)."""
    n = sum(len(t.examples) for name in _modules() for t in _doctests(name))
    assert n >= 50


# --------------------------------------------------------------------------- the checker itself


def test_parse_blocks_pairs_output_and_checks_it():
    """A python block with a ```text block after it is compared; a wrong output fails."""
    page = "x\n```python\nprint(1 + 1)\n```\nprints\n```text\n2\n```\n```bash\nassay demo\n```\n"
    blocks = parse_blocks(page)
    assert [b.lang for b in blocks] == ["python", "bash"]
    assert blocks[0].output == "2\n"
    _run_python_block(blocks[0], {}, "ok")
    wrong = Block("python", "print(3)\n", 1, "2\n")
    with pytest.raises(AssertionError, match="differs"):
        _run_python_block(wrong, {}, "wrong")
    with pytest.raises(AssertionError, match="doctest failed"):
        _run_python_block(Block("python", ">>> 1 + 1\n3\n", 1), {}, "doctest")


# --------------------------------------------------------------------------- the index page


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_index_links_every_page_section_and_command():
    """docs/index.md links every page (links resolve), every report section in the report's order,
    and every command of ``assay --help``; the README's command table links to it."""
    import click

    from assay.cli import main
    from assay.report._registry import SECTIONS, section_module

    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#([^)\s]+))?\)", index)
    targets = {(ROOT / "docs" / path).resolve() for path, _ in links}
    assert set(PAGES) - {ROOT / "docs" / "index.md"} <= targets
    for path, anchor in links:
        target = (ROOT / "docs" / path).resolve()
        assert target.is_file(), f"docs/index.md links {path}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"no heading #{anchor} in {path}"
    rows = [line for line in index.splitlines() if line.startswith("| `")]
    shown = [s for s in SECTIONS for row in rows if row.startswith(f"| `{s}`")]
    assert shown == list(SECTIONS), "one row per report section, in the report's order"
    for s in SECTIONS:
        row = next(r for r in rows if r.startswith(f"| `{s}`"))
        assert section_module(s).TITLE in row, f"section {s}: its title is not in its row"
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        assert f"`assay {name}" in index, f"docs/index.md does not name `assay {name}`"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme[readme.index("## Commands") :]
    assert "(docs/index.md)" in commands[: commands.index("| command |")]
