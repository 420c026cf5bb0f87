"""The table view of a paper table and "pick and compare", in chromium."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from _site import download
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def column(page: Page, index: int) -> list[str]:
    return page.locator(f".tc-table tbody tr td:nth-child({index})").all_inner_texts()


def test_table_view_sorts_filters_and_keeps_its_state_in_the_url(page: Page, site: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site + "papers.html")
    expect(page.locator(".tc-table")).to_be_hidden()
    page.locator(".tc-filterbar select[name=view]").select_option("table")
    rows = page.locator(".tc-table tbody tr")
    expect(rows).to_have_count(5)  # each paper once, repeats or not
    expect(page.locator("article.tc-card").first).to_be_hidden()
    assert query(page)["view"] == ["table"]
    heads = page.locator(".tc-table thead th")
    assert heads.all_inner_texts()[:3] == ["Title", "Venue", "Year"] and heads.all_inner_texts()[-1] == "Code"
    year = heads.nth(2)
    year.locator("button").click()  # newest first
    expect(year).to_have_attribute("aria-sort", "descending")
    assert column(page, 3) == sorted(column(page, 3), reverse=True)
    assert query(page)["tsort"] == ["-year"]
    year.locator("button").focus()
    page.keyboard.press("Enter")  # the keyboard sorts too
    expect(year).to_have_attribute("aria-sort", "ascending")
    assert column(page, 3) == sorted(column(page, 3))
    page.locator('.tc-filterbar label.tc-option[data-value="audio"]').click()  # the same filters
    expect(rows).to_have_count(2)
    page.reload()  # the state comes back from the URL
    expect(rows).to_have_count(2)
    expect(page.locator(".tc-table thead th").nth(2)).to_have_attribute("aria-sort", "ascending")
    first = rows.first.locator("td a").first
    href = first.get_attribute("href")
    assert href.startswith("#paper-")
    page.locator(".tc-filterbar select[name=view]").select_option("")
    expect(page.locator(".tc-table")).to_be_hidden()
    assert "view" not in query(page)
    assert errors == []


def test_pick_and_compare(page: Page, site: str) -> None:
    page.goto(site + "papers.html")
    for key in ("yeo2025mms", "zeng2025glimpse"):
        page.locator(f"#paper-{key} .tc-pick").click()
    expect(page.locator("#paper-yeo2025mms .tc-pick")).to_have_attribute("aria-pressed", "true")
    bar = page.locator(".tc-pick-bar")
    expect(bar).to_contain_text("2 papers picked.")
    bar.get_by_role("button", name="Compare").click()
    expect(page.locator(".tc-table tbody tr")).to_have_count(2)
    expect(page.locator(".tc-paper-table > .tc-count")).to_have_text("2 picked of 5 papers shown")
    assert sorted(query(page)["pick"][0].split(",")) == ["yeo2025mms", "zeng2025glimpse"]
    url = page.url
    page.goto(site + "index.html")
    page.goto(url)  # a shared link shows just those papers, as a table
    keys = page.locator(".tc-table tbody tr").evaluate_all("rows => rows.map((r) => r.dataset.key)")
    assert sorted(keys) == ["yeo2025mms", "zeng2025glimpse"]
    expect(page.locator(".tc-paper-table > .tc-count")).to_have_text("2 picked of 5 papers shown")
    name, bib = download(page, ".tc-download")  # the exports take the picked papers
    assert sorted(re.findall(r"^@\w+\{([^,]+),", bib, re.M)) == ["yeo2025mms", "zeng2025glimpse"], name
    _, ris = download(page, ".tc-export-ris")
    assert sorted(re.findall(r"^ID  - (.+?)\r?$", ris, re.M)) == ["yeo2025mms", "zeng2025glimpse"]
    page.locator(".tc-pick-bar").get_by_role("button", name="Show all papers").click()
    expect(page.locator(".tc-table tbody tr")).to_have_count(5)
    expect(page.locator(".tc-paper-table > .tc-count")).to_have_text("5 papers")
    assert "pick" not in query(page)
