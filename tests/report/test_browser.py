"""The HTML report in a real browser: Debian's Chromium driven by Playwright (no browser download).

Checks, for the demo report and for a report built from hostile text: no console errors, no
dialog and no injected script runs, the figures are visible, a table sorts when its header is
clicked; and a screenshot is saved. `.ci/run` installs Chromium.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assay import datasets
from assay.report import ReportOptions, render_html

pytestmark = pytest.mark.browser


def _find_or_install_chromium() -> str | None:
    """Debian's Chromium; installed with apt-get when missing and we may (root, as in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)
    return shutil.which("chromium")


ARTIFACTS = Path(
    os.environ.get(
        "ASSAY_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
    )
)


@pytest.fixture(scope="module")
def browser():
    chromium = _find_or_install_chromium()
    if chromium is None:
        pytest.fail("Chromium is not installed: `apt-get install chromium` (.ci/run does this).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def _open(browser, html: str, tmp_path: Path):
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    events = {"console": [], "dialogs": [], "requests": []}
    page.on("console", lambda m: events["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: events["console"].append(("pageerror", str(e))))
    page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, events


def _check_page(page, events, name: str):
    errors = [m for m in events["console"] if m[0] in ("error", "pageerror")]
    assert errors == []
    assert events["dialogs"] == []
    assert page.evaluate("window.__pwned === undefined")
    # nothing fetched but the file itself and inline data: URIs
    assert all(u.startswith(("file:", "data:")) for u in events["requests"]), events["requests"]
    images = page.locator("figure img")
    assert images.count() >= 1
    for k in range(images.count()):
        img = images.nth(k)
        assert img.is_visible()
        assert img.evaluate("e => e.complete && e.naturalWidth > 50 && e.naturalHeight > 50")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def _check_sorting(page, table_id: str, column: int):
    table = page.locator(f"#{table_id}")
    header = table.locator("thead th").nth(column)
    cells = table.locator(f"tbody tr td:nth-child({column + 1})")

    def values():
        return [
            float(v)
            for v in cells.evaluate_all("els => els.map(e => e.getAttribute('data-value'))")
        ]

    header.click()
    asc = values()
    assert asc == sorted(asc)
    header.click()
    desc = values()
    assert desc == sorted(desc, reverse=True)


@pytest.fixture(scope="module")
def demo_html():
    from assay.report import build_report

    model = build_report(
        datasets.mmlu_pro_result(), options=ReportOptions(baseline="Meta-Llama-3_1-70B")
    )
    return render_html(model, title="assay demo")


def test_demo_report_in_chromium(browser, tmp_path, demo_html):
    page, events = _open(browser, demo_html, tmp_path)
    _check_page(page, events, "demo-report")
    _check_sorting(page, "tbl-leaderboard-0", 2)
    page.close()


@pytest.mark.parametrize("width", [800, 1280])
def test_demo_report_fits_the_window(browser, tmp_path, demo_html, width):
    # tables scroll inside their own box; the page itself never scrolls sideways
    path = tmp_path / "report.html"
    path.write_text(demo_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # a filter that matches nothing says so
    box = page.locator("input.filter[data-table='tbl-leaderboard-0']")
    box.fill("no model has this name")
    message = page.locator("#sec-leaderboard p.filter-empty").first
    assert message.is_visible() and "No row matches" in message.inner_text()
    box.fill("")
    assert not message.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-report-{width}.png"), full_page=False)
    page.close()


def test_hostile_report_runs_no_injected_script(browser, tmp_path, hostile_result):
    from assay.report import build_report

    model = build_report(hostile_result, options=ReportOptions(n_resamples=200))
    html = render_html(model)
    page, events = _open(browser, html, tmp_path)
    _check_page(page, events, "hostile-report")
    # the hostile model names are shown as text
    assert "<script>window.__pwned" in page.locator("#sec-leaderboard").inner_text()
    # no element carries an event handler attribute or a javascript: link
    handlers = page.evaluate(
        "() => Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)"
        ".filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value)).map(a => a.name))"
    )
    assert handlers == []
    assert page.locator("script").count() == 1
    page.close()


def test_report_reads_with_javascript_off(browser, tmp_path, small_result):
    from assay.report import build_report

    model = build_report(small_result, options=ReportOptions(n_resamples=200))
    path = tmp_path / "r.html"
    path.write_text(render_html(model), encoding="utf-8")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.locator("#sec-leaderboard table").first.is_visible()
    assert page.locator("figure img").first.is_visible()
    text = page.locator("#sec-leaderboard").inner_text()
    assert "base" in text and "sft" in text
    context.close()
