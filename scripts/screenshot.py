"""Screenshot a report in Chromium (Playwright), optionally scrolled to a section, for the docs.

    python scripts/screenshot.py REPORT.html OUT.png [--width 1280] [--height 900]
                                 [--section leaderboard] [--filter TEXT]

``--section`` scrolls to ``#sec-<id>``; ``--filter`` types into that section's first table filter,
to show the paged, filterable table of a large report. Needs Chromium (``apt-get install chromium``, as ``.ci/run`` does, or ``playwright install chromium``).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--section", default=None)
    ap.add_argument("--filter", default=None)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Debian's Chromium when installed (as .ci/run does), else Playwright's own download
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(args.html.resolve().as_uri())
        page.wait_for_load_state("load")
        if args.section:
            sec = page.locator(f"#sec-{args.section}")
            sec.scroll_into_view_if_needed()
            page.evaluate("id => document.getElementById(id).scrollIntoView()", f"sec-{args.section}")
            if args.filter:
                sec.locator("input.filter").first.fill(args.filter)
        page.screenshot(path=str(args.out), full_page=False)
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    print(f"wrote {args.out} (page width {width} px at a {args.width} px window; errors: {errors})")


if __name__ == "__main__":
    main()
