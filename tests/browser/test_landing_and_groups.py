"""Links land on their target, and group headings agree with the filter bar's counts.

A site of 120 tall cards (a long note each, several areas and mechanisms) built from
the test root, in the default theme and in furo (whose ``:target`` has a
``scroll-margin-top``): a link to a card or a group heading below many cards must put
its target at the top of the viewport (less the theme's margin), after a click, on a
direct load and after Back/Forward, with JavaScript on and off.  With
``content-visibility: auto`` always on the cards (12rem placeholders for ~20rem
cards) these landed thousands of pixels off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _site import build_many, copy_root, serve
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

AREAS = ("image", "video", "audio", "vision-transformer", "llm")
CATEGORIES = ("transformation", "similarity", "attention", "query")
NOTE = ("A long note that makes this card as tall as the survey's real cards, whose many authors, "
        "links and notes take several lines: the placeholder height of an off-screen card is "
        "much smaller than this, which is what moved every link target. ") * 2
LINKS = """Links
=====

A link to a card far down :tc:paper:`land060` and one to `a group heading <papers.html#{group}>`_.
"""


def landing_bib(n: int = 120) -> str:
    """``n`` tall entries, each in one to three areas and one or two mechanisms."""
    out = []
    for i in range(n):
        areas = ", ".join(dict.fromkeys(AREAS[(i + k * 2) % len(AREAS)] for k in range(1 + i % 3)))
        categories = ", ".join(dict.fromkeys(CATEGORIES[(i + k) % len(CATEGORIES)] for k in range(1 + i % 2)))
        out.append(f"""@article{{land{i:03d},
  title = {{Landing Paper {i:03d}: Token Compression for Long Inputs}},
  author = {{Author, Ada and Writer, Bob and Scholar, Cy and Reader, Di and Editor, Ed}},
  journal = {{arXiv preprint arXiv:2501.{i:05d}}},
  eprint = {{2501.{i:05d}}},
  archivePrefix = {{arXiv}},
  year = {{{2025 - i // 40}}},
  month = {{{12 - i % 12}}},
  areas = {{{areas}}},
  categories = {{{categories}}},
  cost = {{{'training-free' if i % 2 else 'training-based'}}},
  note = {{{NOTE}}},
  added = {{2025-07-29}},
}}
""")
    return "\n".join(out)


@pytest.fixture(scope="module")
def landing_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("landing")
    src = copy_root(base / "src")
    bib = src / "refs" / "survey.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + landing_bib(), encoding="utf-8")
    (src / "links.rst").write_text(LINKS.format(group="papers-audio-query"), encoding="utf-8")
    index = src / "index.rst"
    index.write_text(index.read_text(encoding="utf-8").replace("   overview\n", "   overview\n   links\n"),
                     encoding="utf-8")
    out = {"default": base / "html", "furo": base / "html-furo"}
    build_many([(src, out["default"], None), (src, out["furo"], "furo")])
    return out


@pytest.fixture(scope="module", params=["default", "furo"])
def landing_site(request: pytest.FixtureRequest, landing_sites: dict[str, Path]) -> Iterator[str]:
    with serve(landing_sites[request.param]) as url:
        yield url


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def reader(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=request.param, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def settle(page: Page) -> None:
    """Wait until the page stops scrolling (furo scrolls smoothly)."""
    last = None
    for _ in range(60):
        y = page.evaluate("scrollY")
        if y == last:
            return
        last = y
        page.wait_for_timeout(120)


def offset(page: Page, target: str) -> float:
    """How far the target's top is from where the theme means it to be (its scroll margin)."""
    settle(page)
    return page.evaluate("""(id) => { const t = document.getElementById(id);
        if (!t.checkVisibility()) return Infinity;
        return t.getBoundingClientRect().top - parseFloat(getComputedStyle(t).scrollMarginTop || '0'); }""", target)


def far_targets(page: Page, base: str) -> list[str]:
    """A full card and a group heading with thousands of pixels of cards above them."""
    page.goto(base + "papers.html")
    html = page.content()
    full = r'<article class="tc-card(?: sd-card sd-shadow-sm)?"[^>]* id="([^"]+)"'  # no repeat cards
    cards = re.findall(full, html)
    return [cards[len(cards) // 2], "papers-audio-query"]


def test_direct_load_lands_on_target(reader: Page, landing_site: str) -> None:
    for target in far_targets(reader, landing_site):
        reader.goto(landing_site + "papers.html#" + target)
        assert abs(offset(reader, target)) <= 3, target
        assert reader.evaluate("scrollY") > 2000  # the target was far down: the test can fail


def test_click_and_back_forward_land_on_target(reader: Page, landing_site: str) -> None:
    for link, target in (("papers.html#paper-land060", "paper-land060"),
                         ("papers.html#papers-audio-query", "papers-audio-query")):
        reader.goto(landing_site + "links.html")
        reader.click(f'a[href="{link}"]')
        reader.wait_for_url(f"**/{link}")
        assert abs(offset(reader, target)) <= 3, target
        reader.go_back()
        reader.wait_for_url("**/links.html")
        reader.go_forward()
        reader.wait_for_url(f"**/{link}")
        assert abs(offset(reader, target)) <= 3, f"{target} after Back/Forward"
    # A link inside the page: a repeat's link to its full card.
    reader.goto(landing_site + "papers.html")
    repeat = reader.locator("article.tc-repeat").nth(30)
    href = repeat.locator(".tc-repeat-note a").get_attribute("href")
    repeat.locator(".tc-repeat-note a").click()
    assert abs(offset(reader, href[1:])) <= 3


# -- group headings and facet counts --------------------------------------------------------

HEADINGS_AND_COUNTS = """(table) => {
  const root = document.querySelector(table);
  const counts = {};
  for (const option of root.querySelectorAll('.tc-filterbar label.tc-option')) {
    const facet = option.closest('fieldset').dataset.facet;
    counts[facet + '=' + option.dataset.value] = Number(option.querySelector('.tc-option-count').textContent);
  }
  const headings = [];
  for (const section of root.querySelectorAll('section.tc-group')) {
    if (!section.checkVisibility()) continue;
    const text = section.querySelector(':scope > .tc-group-title .tc-group-count').textContent;
    const top = !section.parentElement.closest('section.tc-group');
    headings.push([section.dataset.facet + '=' + section.dataset.value, Number(text.slice(1, -1)), top]);
  }
  const checked = [...root.querySelectorAll('.tc-filterbar fieldset input:checked')].map(
    (input) => input.closest('fieldset').dataset.facet + '=' + input.value);
  return {counts, headings, checked};
}"""


def assert_headings_agree(page: Page, table: str = ".tc-paper-table") -> list:
    found = page.evaluate(HEADINGS_AND_COUNTS, table)
    counts, headings = found["counts"], found["headings"]
    tops = [h for h in headings if h[2] and not h[0].endswith("=_none")]
    assert tops
    for value, count, _top in tops:
        assert count == counts[value], (value, count, counts[value], found["checked"])
    filtered = {c.split("=")[0] for c in found["checked"]}
    for value, _count, _top in headings:  # a filtered facet shows only its checked values' groups
        if value.split("=")[0] in filtered:
            assert value in found["checked"], value
    return headings


def test_group_counts_equal_facet_counts(page: Page, landing_site: str) -> None:
    page.goto(landing_site + "papers.html")
    expect(page.locator(".tc-filterbar")).to_be_visible()
    assert_headings_agree(page)
    # Subgroup counts are the matrix's cells: papers with both values.
    video_query = page.locator("#papers-video-query .tc-group-count")
    n = page.evaluate("""() => [...document.querySelectorAll('#papers article.tc-card')].filter((c) =>
        (c.dataset.area || '').split(' ').includes('video') && (c.dataset.category || '').split(' ').includes('query')
      ).reduce((keys, c) => keys.add(c.dataset.key), new Set()).size""")
    expect(video_query).to_have_text(f"({n})")
    bar = page.locator(".tc-filterbar")
    bar.locator('label.tc-option[data-value="video"]').click()
    headings = assert_headings_agree(page)
    assert [h[0] for h in headings if h[2]] == ["area=video"]
    bar.locator('label.tc-option[data-value="training-free"]').click()
    assert_headings_agree(page)
    bar.locator('label.tc-option[data-value="image"]').click()
    headings = assert_headings_agree(page)
    assert [h[0] for h in headings if h[2]] == ["area=image", "area=video"]
    bar.locator('label.tc-option[data-value="query"]').click()  # the subgroups follow too
    headings = assert_headings_agree(page)
    assert {h[0] for h in headings if not h[2]} == {"category=query"}
    page.goto(landing_site + "papers.html?q=landing+paper+01")
    assert_headings_agree(page)


def test_repeats_link_to_the_full_card(page: Page, landing_site: str) -> None:
    page.goto(landing_site + "papers.html")
    repeats = page.locator("article.tc-repeat")
    assert repeats.count() > 50
    first = repeats.first
    key = first.get_attribute("data-key")
    assert first.locator(".tc-repeat-note a").get_attribute("href") == f"#paper-{key}"
    assert first.locator(".tc-permalink, .tc-bibtex, .tc-copy").count() == 0
    full = page.locator(f"#paper-{key}")
    expect(full.locator(".tc-permalink")).to_have_count(1)
    # The full card sits in a group the filter hides: its repeat in a shown group is the target.
    area = full.evaluate("c => c.closest('section.tc-group[data-facet=area]').dataset.value")
    other = first.evaluate("c => c.closest('section.tc-group[data-facet=area]').dataset.value")
    if area != other:
        page.locator(f'.tc-filterbar label.tc-option[data-value="{other}"]').click()
        expect(full).to_be_hidden()
        page.evaluate(f"location.hash = '#paper-{key}'")
        page.wait_for_timeout(200)
        visible = page.locator(f'article[data-key="{key}"]').evaluate_all(
            "els => els.filter((e) => e.checkVisibility()).map((e) => e.getBoundingClientRect().top)")
        assert visible and any(0 <= top < 900 for top in visible)
