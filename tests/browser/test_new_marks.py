""""New since your last visit" marks (localStorage only) and the What's new page, in chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _site import REPO, build, copy_root, serve
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def earlier_visit(page: Page, newest_seen: str | None) -> None:
    """As if the reader's last visit had seen papers added up to ``newest_seen``, then closed the tab."""
    page.evaluate("""(newest) => { localStorage.clear(); sessionStorage.clear();
        if (newest) localStorage.setItem('tc-new:newest', newest); }""", newest_seen)
    page.reload()


def test_new_marks_since_the_last_visit_cleared_in_one_click(page: Page, site: str) -> None:
    page.goto(site + "papers.html")
    earlier_visit(page, None)  # a first visit: nothing is new to the reader
    expect(page.locator(".tc-filterbar")).to_be_visible()
    expect(page.locator(".tc-new-mark")).to_have_count(0)
    earlier_visit(page, "2025-07-30")  # zeng2025glimpse was added on 2025-08-14, the others on 2025-07-29
    marked = page.locator("article.tc-new")
    expect(marked).to_have_count(1)
    assert marked.get_attribute("data-key") == "zeng2025glimpse"
    expect(marked.locator(".tc-new-mark")).to_have_text("New")
    note = page.locator(".tc-new-note")
    expect(note).to_contain_text("1 paper new since your last visit.")
    page.reload()  # the same visit: the marks stay
    expect(page.locator("article.tc-new")).to_have_count(1)
    # The mark is not part of what the search reads.
    page.locator(".tc-filterbar input[type=search]").fill("new")
    expect(page.locator(".tc-count")).to_contain_text("0 of 5")
    page.locator(".tc-filterbar input[type=search]").fill("")
    note.get_by_role("button", name="Mark as seen").click()
    expect(page.locator(".tc-new-mark")).to_have_count(0)
    expect(note).to_have_count(0)
    assert page.evaluate("localStorage.getItem('tc-new:seen')") == "2025-08-14"
    page.reload()
    expect(page.locator(".tc-new-mark")).to_have_count(0)
    page.evaluate("sessionStorage.clear()")  # the next visit
    page.reload()
    expect(page.locator(".tc-new-mark")).to_have_count(0)
    assert page.context.cookies() == []


@pytest.fixture(scope="module")
def news_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("news")
    src = copy_root(base / "src", REPO / "tests" / "roots" / "test-news")
    out = build(src, base / "html")
    with serve(Path(out)) as url:
        yield url


def test_whats_new_page_lists_added_and_updated_by_month(page: Page, news_site: str) -> None:
    page.goto(news_site + "whats-new.html")
    months = page.locator(".tc-whats-new").first.locator(".tc-news-month")
    expect(months).to_have_count(2)
    expect(months.nth(0).locator(".rubric")).to_have_text("August 2025")
    expect(months.nth(0).locator("p.tc-news-updated")).to_have_text("Updated (2)")
    expect(months.nth(1).locator(".rubric")).to_have_text("June 2025")
    expect(months.nth(1).locator("ul.tc-news-added li")).to_have_count(3)
    months.nth(0).locator("ul.tc-news-updated a").first.click()
    page.wait_for_url("**/papers.html#paper-retitle2025image")
    expect(page.locator("#paper-retitle2025image")).to_be_in_viewport()


def test_table_layout_sorts_with_javascript_and_is_plain_without(page: Page, news_site: str, browser) -> None:
    page.goto(news_site + "table.html")
    table = page.locator("table.tc-plain-table")
    titles = table.locator("tbody tr td:nth-child(1)")
    built = titles.all_inner_texts()
    year_head = table.locator("thead th").nth(2)
    title_head = table.locator("thead th").nth(0)
    title_head.locator("button").click()
    expect(title_head).to_have_attribute("aria-sort", "ascending")
    assert titles.all_inner_texts() == sorted(built, key=str.casefold)
    title_head.locator("button").focus()
    page.keyboard.press("Enter")
    expect(title_head).to_have_attribute("aria-sort", "descending")
    assert titles.all_inner_texts() == sorted(built, key=str.casefold, reverse=True)
    expect(year_head).to_have_attribute("aria-sort", "none")
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(news_site + "table.html")
    assert plain.locator("table.tc-plain-table tbody tr").count() == 4
    assert plain.locator("table.tc-plain-table thead button").count() == 0  # a plain table
    context.close()
