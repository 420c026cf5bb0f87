"""Browser fixtures: build the test root once (default theme and furo), serve it on
127.0.0.1, and drive Debian's chromium through Playwright.

Run with ``.venv/bin/pytest tests/browser -m browser``.  Never run ``playwright
install``: the tests use /usr/bin/chromium and skip when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _site import CHROMIUM, LAUNCH_ARGS, build_many, copy_root, serve


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    return {"executable_path": str(CHROMIUM), "args": list(LAUNCH_ARGS)}


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test root built with Sphinx's default theme (alabaster) and with furo."""
    base = tmp_path_factory.mktemp("browser-site")
    src = copy_root(base / "src")
    out = {"default": base / "html", "furo": base / "html-furo"}
    build_many([(src, out["default"], None), (src, out["furo"], "furo")])
    return out


@pytest.fixture(scope="session")
def site(built_sites: dict[str, Path]) -> Iterator[str]:
    """Base URL (ending in /) of the default-theme build."""
    with serve(built_sites["default"]) as url:
        yield url


@pytest.fixture(scope="session")
def furo_site(built_sites: dict[str, Path]) -> Iterator[str]:
    """Base URL (ending in /) of the furo build, which has a dark mode."""
    with serve(built_sites["furo"]) as url:
        yield url


class Tab:
    """One page shared by the tests of a module (a new context per test costs ~0.4 s).

    Tests navigate first, which resets everything tc.js holds.  Clipboard
    access is granted for both sites.
    """

    def __init__(self, page) -> None:
        self.page = page


@pytest.fixture(scope="module")
def tab(browser, site: str, furo_site: str) -> Iterator[Tab]:
    context = browser.new_context()
    for base in (site, furo_site):
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    yield Tab(context.new_page())
    context.close()
