"""Take the guide's screenshots of the reader's views (docs/_static/screenshots/*.png).

    python scripts/screenshots.py                  # build the site, then shoot it
    python scripts/screenshots.py --site _build/html

Builds the companion site (or takes an already built one), serves it on 127.0.0.1 and
drives Debian's chromium (/usr/bin/chromium) headless through Playwright: light, dark
and 390 px views of the papers page, the table view, pick and compare, a "New" mark,
and the statistics charts in dark mode.  Every shot starts from a fresh browser
context with fixed localStorage, waits for fonts and tc.js, and is cropped to the
region it shows, so a rerun on the same site gives the same pictures.

Needs the standard library, Playwright and this package (its static server); Pillow,
when installed, shrinks the PNGs losslessly.  Never run ``playwright install``: the system chromium is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx_tc_ext.cli.preview import build_command
from sphinx_tc_ext.cli.preview import serving as serve

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "_static" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# The same flags as tests/browser/_site.py: no sandbox in containers, and no background requests.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_BYTES = 150_000  # per PNG: the guide is read over slow links too
WIDE = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 800}
# Every card is rendered before a shot (cards skip off-screen rendering with content-visibility),
# the caret and the transitions are still: a picture must not depend on timing.
SETTLE_CSS = """
.tc-card { content-visibility: visible !important; }
*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }
"""


@dataclasses.dataclass(frozen=True)
class Pages:
    """Which pages of the site to shoot (the test roots name them differently)."""

    papers: str = "papers.html"
    stats: str = "statistics.html"


@dataclasses.dataclass(frozen=True)
class Shot:
    """One PNG: its name (without .png), the viewport, dark mode or not, and the function that takes it."""

    name: str
    viewport: dict[str, int]
    dark: bool
    take: Callable[[Any, str, Pages, Path], None]


# -- serving and building ------------------------------------------------------------------------




def build_site(out: Path) -> Path:
    """Build the companion site as the pull request check and ``tc-survey preview`` do (warnings are errors)."""
    result = subprocess.run(build_command("docs", ".", str(out)), cwd=REPO, capture_output=True, text=True,
                            check=False)
    if result.returncode:
        raise RuntimeError(f"sphinx-build failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return out


# -- helpers used inside a page ------------------------------------------------------------------


def settle(page: Any) -> None:
    """Still the page (SETTLE_CSS), then wait for the fonts and two frames, so the layout is final."""
    page.add_style_tag(content=SETTLE_CSS)
    page.evaluate("document.fonts.ready.then(() => new Promise("
                  "r => requestAnimationFrame(() => requestAnimationFrame(r))))")


def open_papers(page: Any, base: str, pages: Pages, query: str = "") -> None:
    page.goto(base + pages.papers + query)
    page.wait_for_selector(".tc-filterbar:not([hidden])")
    settle(page)


BOX_JS = ("el => { const r = el.getBoundingClientRect(); "
          "return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; }")


def shoot_region(page: Any, target: Path, top: Any, bottom: Any | None = None, max_height: int = 900,
                 margin: int = 8) -> None:
    """Save the part of the page from ``top``'s top to ``bottom``'s bottom, at most ``max_height`` px tall.

    The width is the page's content column (the article, plus a margin), so the theme's
    sidebars stay out of the picture and every shot of a page has the same width.
    """
    first = page.evaluate(BOX_JS, top.element_handle())
    last = first if bottom is None else page.evaluate(BOX_JS, bottom.element_handle())
    column = page.locator("article[role=main], div.body, main").first
    across = page.evaluate(BOX_JS, column.element_handle()) if column.count() else first
    width = page.evaluate("document.documentElement.clientWidth")
    x = max(0, int(across["x"]) - margin)
    y = max(0, int(first["y"]) - margin)
    right = min(width, int(across["x"] + across["w"]) + margin)
    height = min(max_height, int(last["y"] + last["h"]) + margin - y)
    page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide",
                    clip={"x": x, "y": y, "width": right - x, "height": height})


def card_keys(page: Any, count: int) -> list[str]:
    """The keys of the first ``count`` full cards shown, in page order."""
    return page.eval_on_selector_all(
        ".tc-paper-table article.tc-card:not(.tc-repeat)",
        f"els => [...new Set(els.filter(e => e.checkVisibility()).map(e => e.dataset.key))].slice(0, {count})")


# -- the shots -----------------------------------------------------------------------------------

FILTERED = "?area=video&category=attention&q=pruning"


def papers_filtered(page: Any, base: str, pages: Pages, target: Path) -> None:
    """The papers page with two facets checked and a search typed: counts, highlights, cards."""
    open_papers(page, base, pages, FILTERED)
    root = page.locator(".tc-paper-table").first
    shoot_region(page, target, root, max_height=900)


def papers_mobile(page: Any, base: str, pages: Pages, target: Path) -> None:
    """At 390 px, a search typed: the facets fold under "Filters", the cards make one column.

    The whole width of the window is kept, so the theme's header shows too.
    """
    open_papers(page, base, pages, "?q=pruning")
    page.set_viewport_size({"width": MOBILE["width"], "height": 1100})
    settle(page)
    page.screenshot(path=str(target), animations="disabled", caret="hide")


def table_sorted(page: Any, base: str, pages: Pages, target: Path) -> None:
    """The table view of a filtered selection, newest first (a click on "Year")."""
    open_papers(page, base, pages, "?category=attention&view=table")
    page.locator(".tc-table thead th", has_text="Year").locator("button").click()
    page.wait_for_selector(".tc-table th[aria-sort=descending]")
    settle(page)
    # From the row of view controls down: the facets above are the same as in papers-light.
    shoot_region(page, target, page.locator(".tc-filterbar .tc-view").first, page.locator(".tc-table-wrap").first,
                 max_height=760)


def pick_compare(page: Any, base: str, pages: Pages, target: Path) -> None:
    """Three picked papers side by side in the table, as a shared ``?pick=`` link opens them."""
    open_papers(page, base, pages, "?category=similarity")
    keys = card_keys(page, 3)
    open_papers(page, base, pages, "?pick=" + ",".join(keys))
    page.wait_for_selector(".tc-pick-bar:not([hidden])")
    settle(page)
    shoot_region(page, target, page.locator(".tc-pick-bar").first, page.locator(".tc-table-wrap").first)


def new_mark(page: Any, base: str, pages: Pages, target: Path) -> None:
    """A card marked "New" since the last visit, its abstract unfolded when the bib has one.

    The "last visit" is made up: it saw every paper up to the day before the newest
    added date, so the papers of that date are new (the newest one with an abstract, if any).
    """
    open_papers(page, base, pages)
    added = page.eval_on_selector_all(
        ".tc-paper-table article.tc-card:not(.tc-repeat)[data-added]",
        "els => els.map(e => [e.dataset.added, !!e.querySelector('details.tc-abstract')])")
    with_abstract = [date for date, has in added if has]
    newest = max(with_abstract or [date for date, _ in added])
    page.evaluate("""(newest) => {
        const day = new Date(newest + 'T00:00:00Z'); day.setUTCDate(day.getUTCDate() - 1);
        localStorage.clear(); sessionStorage.clear();
        localStorage.setItem('tc-new:newest', day.toISOString().slice(0, 10)); }""", newest)
    page.reload()
    page.wait_for_selector("article.tc-new")
    settle(page)
    card = page.locator(f'article.tc-new[data-added="{newest}"]:has(details.tc-abstract)').first
    if not card.count():
        card = page.locator(f'article.tc-new[data-added="{newest}"]').first
    abstract = card.locator("details.tc-abstract")
    if abstract.count():
        abstract.first.evaluate("el => { el.open = true; }")
    card.scroll_into_view_if_needed()
    settle(page)
    note = page.locator(".tc-new-note").first
    # The note ("N papers new since your last visit") sits above the cards: show it when the card is near.
    near = page.evaluate("([n, c]) => c.getBoundingClientRect().top - n.getBoundingClientRect().bottom < 500",
                         [note.element_handle(), card.element_handle()])
    shoot_region(page, target, note if near else card, card, max_height=900)


def charts_dark(page: Any, base: str, pages: Pages, target: Path) -> None:
    """The statistics charts in furo's dark mode (the charts draw with the theme's colours)."""
    page.goto(base + pages.stats)
    page.wait_for_selector("figure.tc-chart svg")
    settle(page)
    # The first chart with its section heading (the numbers' table under it is left out).
    chart = page.locator("figure.tc-chart").first
    heading = chart.locator("xpath=preceding::*[self::h2 or self::h1][1]")
    shoot_region(page, target, heading if heading.count() else chart, chart, max_height=900)


SHOTS = (
    Shot("papers-light", WIDE, False, papers_filtered),
    Shot("papers-dark", WIDE, True, papers_filtered),
    Shot("papers-mobile", MOBILE, False, papers_mobile),
    Shot("table-sorted", WIDE, False, table_sorted),
    Shot("pick-compare", WIDE, False, pick_compare),
    Shot("new-mark", WIDE, False, new_mark),
    Shot("charts-dark", WIDE, True, charts_dark),
)


def optimise(path: Path) -> None:
    """Re-encode losslessly with Pillow's optimiser when Pillow is installed (often 10-30 % smaller)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        image.load()
    smaller = path.with_suffix(".tmp.png")
    image.save(smaller, optimize=True)
    if smaller.stat().st_size < path.stat().st_size:
        smaller.replace(path)
    else:
        smaller.unlink()


def capture(browser: Any, base: str, out: Path, pages: Pages = Pages(),
            shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    """Take ``shots`` of the site served at ``base`` with a Playwright ``browser``; return the PNGs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for shot in shots:
        context = browser.new_context(viewport=shot.viewport, device_scale_factor=1,
                                      color_scheme="dark" if shot.dark else "light", reduced_motion="reduce")
        # furo keeps the reader's choice in localStorage.theme; a fresh context is a first visit.
        context.add_init_script(f"try {{ localStorage.setItem('theme', '{'dark' if shot.dark else 'light'}'); }} "
                                "catch (e) {}")
        try:
            page = context.new_page()
            target = out / f"{shot.name}.png"
            shot.take(page, base, pages, target)
            optimise(target)
            written.append(target)
        finally:
            context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Writes one PNG per view; each must stay under "
                                            f"{MAX_BYTES // 1000} KB.")
    parser.add_argument("--site", type=Path, help="an already built site (e.g. _build/html); default: build it")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: %(default)s)")
    parser.add_argument("--only", action="append", choices=[s.name for s in SHOTS], metavar="NAME",
                        help="take only this shot (repeatable): " + ", ".join(s.name for s in SHOTS))
    args = parser.parse_args(argv)
    if args.site is not None and not (args.site / "index.html").is_file():
        print(f"{args.site}: no index.html, give the folder sphinx-build wrote (e.g. _build/html)", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print(f"{CHROMIUM}: missing, install Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright: not installed, pip install 'sphinx-tc-ext[test]'", file=sys.stderr)
        return 2
    shots = tuple(s for s in SHOTS if not args.only or s.name in args.only)
    with tempfile.TemporaryDirectory(prefix="tc-shots-") as tmp:
        try:
            site = args.site or build_site(Path(tmp) / "html")
        except RuntimeError as err:
            print(err, file=sys.stderr)
            return 1
        with serve(site) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                written = capture(browser, base, args.out, shots=shots)
            finally:
                browser.close()
    too_big = False
    for path in written:
        size = path.stat().st_size
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        print(f"{shown}: {size // 1024} KB")
        if size > MAX_BYTES:
            print(f"{shown}: larger than {MAX_BYTES // 1000} KB, crop it tighter in {Path(__file__).name}",
                  file=sys.stderr)
            too_big = True
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
