"""Save light, dark and mobile screenshots of the test root's papers page (furo theme).

A script, not a test::

    .venv/bin/python tests/browser/screenshots.py [--out docs/_static/screenshots]

It builds tests/roots/test-survey with furo into a temporary folder, serves it on
127.0.0.1 and drives Debian's chromium (/usr/bin/chromium) through Playwright.
Each PNG shows the filter bar in use (a facet checked and a search typed, so the
counts and the highlighting show) and stays under 300 KB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _site import CHROMIUM, LAUNCH_ARGS, REPO, build, copy_root, serve

MAX_BYTES = 300_000
SHOTS = (
    # name, viewport, colour scheme, query string, page height to keep
    ("papers-light", {"width": 1100, "height": 900}, "light", "?category=attention", 1250),
    ("papers-dark", {"width": 1100, "height": 900}, "dark", "?q=token", 1250),
    ("papers-mobile", {"width": 375, "height": 740}, "light", "?q=zoe", 1300),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "_static" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tc-shots-") as tmp:
        src = copy_root(Path(tmp) / "src")
        html = build(src, Path(tmp) / "html", theme="furo")
        with serve(html) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            for name, viewport, scheme, query, height in SHOTS:
                context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
                page = context.new_page()
                page.goto(base + "papers.html" + query)
                page.wait_for_selector(".tc-filterbar:not([hidden])")
                if viewport["width"] < 600:
                    page.locator(".tc-filter-panel > summary").click()  # folded on small screens: show it
                page.evaluate("document.fonts.ready")
                # Render every card (content-visibility skips off-screen ones) before a full-page shot.
                page.add_style_tag(content=".tc-card { content-visibility: visible !important; }")
                full = page.evaluate("document.documentElement.scrollHeight")
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True,
                                clip={"x": 0, "y": 0, "width": viewport["width"], "height": min(full, height)})
                size = target.stat().st_size
                print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {size // 1024} KB")
                if size > MAX_BYTES:
                    print(f"  larger than {MAX_BYTES // 1000} KB", file=sys.stderr)
                    return 1
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
