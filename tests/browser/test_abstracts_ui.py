"""Abstracts on cards in a real browser (issue 20): folded, found by the page's search, unfolded on a match."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _site import add_field, build, copy_root, serve

pytest.importorskip("playwright", reason="Playwright is not installed")

pytestmark = pytest.mark.browser

KEY = "shang2025llava"


@pytest.fixture(scope="module")
def abstract_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("abstract-site")
    src = copy_root(base / "src")
    add_field(src, KEY, "abstract", "Zygomorphic token pruning keeps accuracy.")
    with serve(build(src, base / "html")) as url:
        yield url


def visible_keys(page) -> set[str]:
    return set(page.eval_on_selector_all(
        "article.tc-card", "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)"))


def test_search_finds_the_abstract_and_unfolds_it(new_context, abstract_site: str):
    page = new_context().new_page()
    page.goto(abstract_site + "papers.html")
    details = page.locator(f'article[data-key="{KEY}"] details.tc-abstract').first
    assert details.get_attribute("open") is None  # folded
    page.get_by_label("Search papers").fill("zygomorphic")
    page.wait_for_function("document.querySelector('article.tc-card mark') !== null")
    assert visible_keys(page) == {KEY}
    assert details.get_attribute("open") is not None
    assert details.locator("mark").inner_text().lower() == "zygomorphic"
    page.get_by_label("Search papers").fill("")
    page.wait_for_function(f"!document.querySelector('article[data-key=\"{KEY}\"] details.tc-abstract').open")


def test_the_abstract_opens_without_javascript(new_context, abstract_site: str):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(abstract_site + "papers.html")
    card = page.locator(f'article[data-key="{KEY}"]').first
    assert not card.locator(".tc-abstract > p").is_visible()
    card.locator("details.tc-abstract summary").click()
    assert card.locator(".tc-abstract > p").is_visible()
