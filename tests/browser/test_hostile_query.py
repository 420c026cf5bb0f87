"""A crafted ``?q=`` of thousands of words does not block the papers page (tc.js caps the query)."""

from __future__ import annotations

import time

import pytest
from _site import CHROMIUM

pytest.importorskip("playwright", reason="Playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
                allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: Main-thread time in long tasks beyond a one-word query's that 20,000 words may cost.  Measured on the test
#: root's five cards: 0.55 s before the cap (0.9-2 s from navigation to an answering page), 0.00 s with it.
EXTRA_BLOCKED = 0.25


#: Counts the main thread's long tasks (over 50 ms): the time a reader's clicks and keys would wait.
LONG_TASKS = """
window.tcBlocked = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.tcBlocked += entry.duration;
}).observe({ type: 'longtask', buffered: true });
"""


def open_interactive(page: Page, url: str) -> tuple[float, float]:
    """Seconds from navigating to ``url`` to a page that runs a script of ours, and seconds of long tasks."""
    start = time.perf_counter()
    page.goto(url)
    expect(page.locator(".tc-filterbar")).to_be_visible()
    blocked = page.evaluate("window.tcBlocked")  # runs only once the page's scripts let go of the main thread
    return time.perf_counter() - start, blocked / 1000


def visible_keys(page: Page) -> set[str]:
    return set(page.eval_on_selector_all(
        "article.tc-card", "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)"))


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    return digits[n] if n < 36 else base36(n // 36) + digits[n % 36]


# 20,000 distinct words do not fit the 64 KiB request line of the test server: 12,000 do.
@pytest.mark.parametrize("words", ["a " * 20_000, " ".join(base36(i) for i in range(12_000))],
                         ids=["repeated", "distinct"])
def test_a_huge_query_leaves_the_page_interactive(tab, site, words):
    page = tab.page.context.new_page()  # its own page: the long-task counter is added to every document
    try:
        check_huge_query(page, site, words)
    finally:
        page.close()


def check_huge_query(page: Page, site: str, words: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = site + "papers.html?q=" + "+".join(words.split())
    page.add_init_script(LONG_TASKS)
    plain, plain_blocked = open_interactive(page, site + "papers.html?q=a")  # also warms the cache up
    elapsed, blocked = open_interactive(page, url)
    print(f"{len(words.split())} words: interactive after {elapsed:.2f} s, {blocked:.2f} s in long tasks "
          f"(one word: {plain:.2f} s, {plain_blocked:.2f} s)")
    assert blocked < plain_blocked + EXTRA_BLOCKED
    assert elapsed < 10  # generous: the machine is shared; the long tasks are what the cap removes
    assert errors == []
    search = page.get_by_label("Search papers")
    assert search.get_attribute("maxlength") == "200"
    assert len(search.input_value()) <= 200
    search.fill("glimpse")  # the filter still works
    assert visible_keys(page) == {"zeng2025glimpse"}
    search.fill("")
    assert len(visible_keys(page)) == 5
