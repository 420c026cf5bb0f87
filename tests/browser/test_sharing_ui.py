"""Sharing in a real browser: RIS and CSL-JSON downloads of the filtered papers, the page search by
arXiv id, nickname and dash forms, and Sphinx's own search box leading to a paper's card.

The papers are those of tests/roots/test-survey (see test_reader_ui.py); one module site adds a
newer paper whose title names another paper's nickname, to show the exact nickname ranking first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from _site import CHROMIUM, build, copy_root, download, serve

pytest.importorskip("playwright", reason="Playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
                allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

NEWER = """
@article{doe2026beyond,
  title = {Beyond GlimpsePrune: Pruning Visual Tokens Twice with Q\u2011Former},
  author = {Doe, Jane},
  journal = {arXiv preprint arXiv:2601.00001},
  eprint = {2601.00001},
  archivePrefix = {arXiv},
  year = {2026},
  month = jan,
  areas = {image},
  categories = {attention},
  cost = {training-based},
  shortvenue = {arXiv 2026.01},
  added = {2026-01-10},
}
"""


@pytest.fixture
def page(tab) -> Page:
    return tab.page


@pytest.fixture(scope="module")
def rival_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test root plus a newer paper that mentions "GlimpsePrune" in its title."""
    base = tmp_path_factory.mktemp("sharing-site")
    src = copy_root(base / "src")
    bib = src / "refs" / "survey.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + NEWER, encoding="utf-8")
    with serve(build(src, base / "html")) as url:
        yield url


def shown_keys(page: Page, scope: str = "") -> list[str]:
    """Keys of the cards a reader sees, in page order, each once."""
    keys = page.eval_on_selector_all(
        f"{scope} article.tc-card", "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)")
    return list(dict.fromkeys(keys))


def search(page: Page, base: str, query: str) -> list[str]:
    page.goto(f"{base}papers.html")
    page.fill(".tc-filterbar input[name=q]", query)
    return shown_keys(page)


# -- the page search --------------------------------------------------------------------------

def test_search_finds_an_arxiv_id(page: Page, site: str):
    assert search(page, site, "2508.01548") == ["zeng2025glimpse"]
    assert search(page, site, "arxiv 2403.15388") == []  # every word must match: "arxiv" is not in the text
    assert search(page, site, "2403.15388") == ["shang2025llava"]


def test_search_finds_a_nickname(page: Page, site: str):
    assert search(page, site, "glimpseprune") == ["zeng2025glimpse"]


@pytest.mark.parametrize("dash", ["\u2011", "\u2010", "\u2013", "\u2014", "\u2212"])
def test_search_folds_dash_forms(page: Page, site: str, dash: str):
    assert search(page, site, f"Long{dash}Context") == ["shao2025tokens"]


def test_a_plain_hyphen_finds_a_non_breaking_one(page: Page, rival_site: str):
    assert search(page, rival_site, "q-former") == ["doe2026beyond"]  # the title says Q\u2011Former
    assert search(page, rival_site, "Q\u2011Former") == ["doe2026beyond"]


def test_an_exact_nickname_ranks_first(page: Page, rival_site: str):
    page.goto(f"{rival_site}papers.html")
    assert search(page, rival_site, "glimpse") == ["doe2026beyond", "zeng2025glimpse"]  # as listed: newest first
    assert search(page, rival_site, "GlimpsePrune") == ["zeng2025glimpse", "doe2026beyond"]
    page.fill(".tc-filterbar input[name=q]", "")
    assert shown_keys(page, 'section[data-value="attention"]')[:2] == ["doe2026beyond", "zeng2025glimpse"]


# -- exports ------------------------------------------------------------------------------------

def parse_ris(text: str) -> list[dict[str, list[str]]]:
    records, current = [], None
    for line in text.split("\r\n"):
        if not line:
            continue
        m = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert m, f"not a RIS line: {line!r}"
        tag, value = m.groups()
        if tag == "TY":
            current = {}
        assert current is not None
        current.setdefault(tag, []).append(value)
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None
    return records


def test_ris_download_of_the_filtered_papers(page: Page, site: str):
    page.goto(f"{site}papers.html?kind=preprint")
    shown = shown_keys(page)
    assert set(shown) == {"shao2025tokens", "zeng2025glimpse"}
    name, text = download(page, ".tc-export-ris")
    assert name == "papers.ris"
    records = parse_ris(text)
    assert [r["ID"][0] for r in records] == shown
    glimpse = records[shown.index("zeng2025glimpse")]
    assert glimpse["TY"] == ["UNPB"]
    assert glimpse["TI"] == ["A Glimpse to Compress: Dynamic Visual Token Pruning for Large Vision-Language Models"]
    assert glimpse["AU"][:2] == ["Zeng, Quan-Sheng", "Li, Yunheng"] and len(glimpse["AU"]) == 7
    assert glimpse["PY"] == ["2025"] and glimpse["UR"] == ["https://arxiv.org/abs/2508.01548"]


def test_csl_json_download_of_the_filtered_papers(page: Page, site: str):
    page.goto(f"{site}papers.html?kind=published")
    shown = shown_keys(page)
    name, text = download(page, ".tc-export-csl")
    assert name == "papers.json"
    items = json.loads(text)
    assert [item["id"] for item in items] == shown
    llava = next(item for item in items if item["id"] == "shang2025llava")
    assert llava["type"] == "paper-conference"
    assert llava["author"][0] == {"family": "Shang", "given": "Yuzhang"}
    assert llava["container-title"].startswith("Proceedings of the IEEE/CVF")
    assert llava["issued"] == {"date-parts": [[2025]]}
    accents = next(item for item in items if item["id"] == "sch2024accents")
    assert "\\" not in json.dumps(accents, ensure_ascii=False).replace('\\"', "")  # LaTeX rendered as text


def test_every_card_offers_zotero_its_metadata(page: Page, site: str):
    page.goto(f"{site}papers.html")
    spans = page.locator("article.tc-card > span.Z3988")
    assert spans.count() == page.locator("article.tc-card:not(.tc-repeat)").count() == 5
    assert page.locator("article.tc-repeat").count() > 0
    assert page.locator("article.tc-repeat span.Z3988").count() == 0  # each paper once for Zotero
    expect(spans.first).to_be_hidden()


# -- Sphinx's search box ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["2508.01548", "GlimpsePrune", "Glimpse to Compress"])
def test_sphinx_search_box_leads_to_the_card(page: Page, site: str, query: str):
    page.goto(f"{site}search.html?q={query}")
    link = page.locator('#search-results a[href$="papers.html#paper-zeng2025glimpse"]')
    expect(link).to_have_count(1, timeout=10000)
    expect(link).to_contain_text("A Glimpse to Compress")
    # The card ranks above the pages that mention the paper.
    expect(page.locator("#search-results li a").first).to_have_attribute(
        "href", re.compile(r"papers\.html#paper-zeng2025glimpse$"))
    link.click()
    page.wait_for_url(re.compile(r"#paper-zeng2025glimpse$"))
    assert page.evaluate("() => document.querySelector(':target').dataset.key") == "zeng2025glimpse"
