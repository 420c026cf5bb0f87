"""The reader UI (tc.js, tc.css, the filter bar) in a real browser: Debian's chromium via Playwright.

The test root's five papers (see tests/roots/test-survey/refs/survey.bib):

==================  ========================  =========================  ==============  =========  ====
key                 area                      category                   cost            kind       code
==================  ========================  =========================  ==============  =========  ====
shao2025tokens      image video audio survey  -                          -               preprint   yes
shang2025llava      image video               attention transformation   training-free   published  yes
zeng2025glimpse     image                     attention                  training-based  preprint   yes
yeo2025mms          audio                     query                      training-based  published  yes
sch2024accents      video                     similarity                 training-free   published  no
==================  ========================  =========================  ==============  =========  ====
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from _site import CHROMIUM

pytest.importorskip("playwright", reason="Playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
                allow_module_level=True)

from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ALL = {"shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms", "sch2024accents"}


def visible_keys(page: Page) -> set[str]:
    """Keys of the cards a reader can see (checkVisibility: hidden cards and hidden groups)."""
    return set(page.eval_on_selector_all(
        "article.tc-card", "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)"))


def option(page: Page, facet: str, value: str):
    return page.locator(f'.tc-filterbar fieldset[data-facet="{facet}"] label.tc-option[data-value="{value}"]')


def count_of(page: Page, facet: str, value: str) -> int:
    return int(option(page, facet, value).locator(".tc-option-count").inner_text())


@pytest.fixture
def page(tab) -> Page:
    """The module's shared page (see ``tab`` in conftest.py); every test navigates first."""
    return tab.page


def open_papers(page: Page, base: str, query: str = "") -> list[str]:
    """Open the papers page; return the page errors collected from then on."""
    if not hasattr(page, "tc_errors"):
        page.tc_errors = []
        page.on("pageerror", lambda exc: page.tc_errors.append(str(exc)))
    errors = page.tc_errors
    errors.clear()
    page.goto(base + "papers.html" + query)
    expect(page.locator(".tc-filterbar")).to_be_visible()
    return errors


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# -- without JavaScript ----------------------------------------------------------------------

def test_without_javascript_every_card_shows_grouped_and_the_bar_stays_hidden(new_context, site):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site + "papers.html")
    assert visible_keys(page) == ALL
    expect(page.locator(".tc-filterbar")).to_be_hidden()
    expect(page.locator(".tc-filterbar input").first).to_be_hidden()
    expect(page.locator(".tc-count")).to_have_text("5 papers")
    assert page.locator("section.tc-group").count() >= 3
    assert page.locator("button").count() == page.locator(".tc-filterbar button").count()  # none outside the bar


# -- facets ----------------------------------------------------------------------------------

def test_counts_are_live_and_ignore_their_own_facet(page, site):
    errors = open_papers(page, site)
    assert [count_of(page, "area", v) for v in ("image", "video", "audio", "survey")] == [3, 3, 2, 1]
    assert count_of(page, "kind", "published") == 3
    assert count_of(page, "code", "1") == 4
    expect(page.locator(".tc-count")).to_have_text("5 papers")

    option(page, "category", "attention").click()
    assert visible_keys(page) == {"shang2025llava", "zeng2025glimpse"}
    expect(page.locator(".tc-count")).to_have_text("2 of 5 papers shown")
    # Other facets count within the attention-based papers ...
    assert [count_of(page, "area", v) for v in ("image", "video", "audio", "survey")] == [2, 1, 0, 0]
    assert count_of(page, "kind", "preprint") == 1
    expect(option(page, "area", "audio")).to_have_class(re.compile(r"\btc-zero\b"))
    # ... while the facet itself still counts every paper, so each value says what checking it adds.
    assert [count_of(page, "category", v) for v in ("transformation", "similarity", "attention", "query")] \
        == [1, 1, 2, 1]
    # Group headings count the papers shown; empty groups disappear.
    expect(page.locator('section.tc-group[data-value="audio"]')).to_be_hidden()
    expect(page.locator('section.tc-group[data-value="image"] > .tc-group-title .tc-group-count')).to_have_text("(2)")
    assert errors == []


def test_values_of_one_facet_or_and_facets_and(page, site):
    open_papers(page, site)
    option(page, "area", "image").click()
    assert visible_keys(page) == {"shao2025tokens", "shang2025llava", "zeng2025glimpse"}
    option(page, "area", "audio").click()  # OR within a facet
    assert visible_keys(page) == {"shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms"}
    option(page, "category", "query").click()  # AND across facets
    assert visible_keys(page) == {"yeo2025mms"}
    option(page, "kind", "preprint").click()
    assert visible_keys(page) == set()
    expect(page.locator(".tc-count")).to_contain_text("No paper matches")
    expect(page.locator(".tc-filter-panel summary")).to_contain_text("(4 active)")
    page.get_by_role("button", name="Clear all").click()
    assert visible_keys(page) == ALL
    assert page.locator(".tc-filterbar input[type=checkbox]:checked").count() == 1  # only "Show groups"


def test_year_range_and_code(page, site):
    open_papers(page, site)
    page.select_option('select[name="year-to"]', "2024")
    assert visible_keys(page) == {"sch2024accents"}
    assert query_of(page)["year"] == ["2024"]
    page.select_option('select[name="year-from"]', "2025")  # from > to: "to" follows
    assert page.input_value('select[name="year-to"]') == "2025"
    assert visible_keys(page) == ALL - {"sch2024accents"}
    option(page, "code", "1").click()
    assert "sch2024accents" not in visible_keys(page)


# -- search ----------------------------------------------------------------------------------

def test_search_ignores_accents_and_case_and_highlights(page, site):
    open_papers(page, site)
    search = page.get_by_label("Search papers")
    search.fill("zoe")
    assert visible_keys(page) == {"sch2024accents"}
    marks = page.locator("article.tc-card mark.tc-mark")
    expect(marks).to_have_count(1)
    expect(marks).to_have_text("Zoë")
    card = page.locator("#paper-sch2024accents")
    expect(card.locator(".tc-authors")).to_have_text(re.compile(r"^Zoë Schön, Jürgen Müller"))

    search.fill("OSTERREICH muller")  # every word must match, in any field
    assert visible_keys(page) == {"sch2024accents"}
    assert sorted(marks.all_inner_texts()) == ["Müller", "Österreich"]

    search.fill("tmlr")  # venue
    assert visible_keys(page) == {"sch2024accents"}
    search.fill("zeng2025")  # key
    assert visible_keys(page) == {"zeng2025glimpse"}
    search.fill("token glimpse")
    assert visible_keys(page) == {"zeng2025glimpse"}
    search.fill("token nothing-like-this")
    assert visible_keys(page) == set()

    search.fill("huan wang")  # an author folded under "and 4 more" is unfolded and marked
    assert visible_keys(page) == {"shao2025tokens"}
    more = page.locator("#paper-shao2025tokens details.tc-more-authors")
    expect(more).to_have_attribute("open", "")
    expect(more.locator("mark")).to_have_text(["Huan", "Wang"])

    search.fill("")
    assert visible_keys(page) == ALL
    expect(page.locator("mark")).to_have_count(0)
    expect(more).not_to_have_attribute("open", "")
    # Highlighting never changes the text.
    expect(card.locator(".tc-title")).to_have_text(re.compile(r"^Token Merging für Österreich"))


# -- URL state -------------------------------------------------------------------------------

def test_url_opens_the_same_view_and_back_forward_work(page, site):
    errors = open_papers(page, site, "?area=video&category=similarity&q=Zo%C3%AB&foo=bar")
    assert visible_keys(page) == {"sch2024accents"}
    expect(option(page, "area", "video").locator("input")).to_be_checked()
    expect(page.get_by_label("Search papers")).to_have_value("Zoë")

    page.get_by_label("Search papers").fill("")
    option(page, "area", "image").click()
    state = query_of(page)
    assert state["area"] == ["image", "video"] and state["category"] == ["similarity"]  # taxonomy order
    assert state["foo"] == ["bar"] and "q" not in state  # foreign parameters are kept
    assert visible_keys(page) == {"sch2024accents"}

    option(page, "category", "similarity").click()
    assert visible_keys(page) == ALL - {"yeo2025mms"}

    page.go_back()
    expect(option(page, "category", "similarity").locator("input")).to_be_checked()
    assert visible_keys(page) == {"sch2024accents"}
    page.go_back()  # before the image click
    expect(option(page, "area", "image").locator("input")).not_to_be_checked()
    page.go_back()  # the search as opened
    expect(page.get_by_label("Search papers")).to_have_value("Zoë")
    page.go_forward()
    page.go_forward()
    page.go_forward()
    assert visible_keys(page) == ALL - {"yeo2025mms"}
    expect(option(page, "category", "similarity").locator("input")).not_to_be_checked()
    assert errors == []


def test_bad_and_unknown_parameters_are_ignored(page, site):
    errors = open_papers(page, site, "?area=nope&area=audio,,&year=abc&sort=bogus&group=maybe&code=yes&zzz=1")
    assert visible_keys(page) == {"shao2025tokens", "yeo2025mms"}
    assert page.input_value('select[name="sort"]') == ""
    expect(page.get_by_label("Show groups")).to_be_checked()
    assert errors == []
    page.goto(site + "papers.html?year=2025-&kind=preprint")
    assert visible_keys(page) == {"shao2025tokens", "zeng2025glimpse"}


def test_sort_and_flat_list_in_the_url(page, site):
    open_papers(page, site, "?sort=title&group=flat")
    flat = page.locator(".tc-cards.tc-flat article.tc-card")
    expect(flat).to_have_count(5)
    titles = [t.removesuffix("#").strip() for t in flat.locator(".tc-title").all_inner_texts()]
    assert titles == sorted(titles, key=str.casefold)
    expect(page.locator("section.tc-group").first).to_be_hidden()
    page.select_option('select[name="sort"]', "oldest")
    assert flat.first.get_attribute("data-key") == "sch2024accents"
    page.get_by_label("Show groups").check()
    assert query_of(page) == {"sort": ["oldest"]}
    expect(page.locator("section.tc-group").first).to_be_visible()
    assert visible_keys(page) == ALL
    page.go_back()
    expect(flat).to_have_count(5)


# -- copy and download -----------------------------------------------------------------------

def test_copy_bibtex_key_and_keys(page, site):
    open_papers(page, site)
    card = page.locator("#paper-zeng2025glimpse")
    button = card.get_by_role("button", name="Copy BibTeX")
    button.click()
    expect(card.locator(".tc-copy-bibtex")).to_have_text("Copied ✓")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@article{zeng2025glimpse,")
    assert copied.strip() == card.locator(".tc-bibtex pre").text_content().strip()
    assert "areas" not in copied and "added" not in copied
    expect(page.locator(".tc-paper-table > .tc-sr-only[role=status]")).to_contain_text("Copied BibTeX")

    card.get_by_role("button", name="Copy key").click()
    assert page.evaluate("navigator.clipboard.readText()") == "zeng2025glimpse"

    option(page, "area", "video").click()
    page.locator(".tc-filterbar").get_by_role("button", name="Copy keys").click()
    keys = page.evaluate("navigator.clipboard.readText()").split(",")
    assert set(keys) == {"shao2025tokens", "shang2025llava", "sch2024accents"} and len(keys) == 3


def test_download_the_view_as_bib(page, site):
    open_papers(page, site, "?kind=published")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .bib").click()
    download = info.value
    assert download.suggested_filename == "papers.bib"
    text = download.path().read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", text, flags=re.M)
    assert sorted(keys) == ["sch2024accents", "shang2025llava", "yeo2025mms"]
    assert text.endswith("}\n") and text.count("\n\n@") == 2
    assert "areas =" not in text


# -- accessibility ---------------------------------------------------------------------------

def test_keyboard_only(page, site):
    open_papers(page, site)
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'checkbox' && document.activeElement.name === 'area'"):
            break
    else:
        pytest.fail("Tab never reached a facet checkbox")
    focused = page.evaluate("""() => {
        const el = document.activeElement;
        const chip = el.closest('.tc-option');
        return {value: el.value, visible: el.matches(':focus-visible'),
                outline: getComputedStyle(el).outlineStyle, chip: getComputedStyle(chip).outlineStyle};
    }""")
    assert focused["visible"] and focused["outline"] == "solid" and focused["chip"] == "solid"
    page.keyboard.press("Space")
    expect(option(page, "area", focused["value"]).locator("input")).to_be_checked()
    assert visible_keys(page) != ALL
    assert query_of(page)["area"] == [focused["value"]]
    page.keyboard.press("Space")
    assert visible_keys(page) == ALL


def test_every_control_has_a_label(page, site):
    open_papers(page, site)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            '.tc-paper-table input, .tc-paper-table select, .tc-paper-table button')]
        .filter(el => !(el.labels && el.labels.length) && !el.textContent.trim() && !el.getAttribute('aria-label'))
        .map(el => el.outerHTML)""")
    assert unlabelled == []
    assert page.locator(".tc-filterbar fieldset:not(:has(> legend))").count() == 0
    expect(page.locator(".tc-count")).to_have_attribute("aria-live", "polite")


def test_no_request_leaves_127_0_0_1(page, site, furo_site):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for base in (site, furo_site):
        open_papers(page, base, "?q=token")
        option(page, "area", "image").click()
        page.locator("#paper-zeng2025glimpse").get_by_role("button", name="Copy key").click()
        page.goto(base + "area-image.html")
    assert requests
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1" and not u.startswith(("blob:", "data:"))]
    assert outside == []


CONTRAST_JS = """() => {
  const rgba = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) throw new Error('colour ' + c);
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    return out;
  };
  const ratio = (el) => { const a = lum(rgba(getComputedStyle(el).color)), b = lum(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const picks = {
    'card title': '.tc-card .tc-title a', 'authors': '.tc-card .tc-authors', 'venue badge': '.tc-venue',
    'facet badge': '.tc-card a.tc-badge', 'link button': '.tc-card .tc-links a', 'copy button': '.tc-card .tc-copy',
    'bibtex summary': '.tc-bibtex summary', 'legend': '.tc-facet legend', 'option': '.tc-option-label',
    'option count': '.tc-option-count', 'zero option': '.tc-zero .tc-option-label', 'search': '.tc-search',
    'hint': '.tc-hint', 'select': '.tc-filterbar select', 'bar button': '.tc-actions .tc-button',
    'result count': '.tc-count', 'group count': '.tc-group-count', 'mark': 'mark.tc-mark',
  };
  const out = {};
  for (const [name, sel] of Object.entries(picks)) {
    const el = document.querySelector(sel);
    if (el) out[name] = Math.round(ratio(el) * 100) / 100;
  }
  out._cardBackground = lum(background(document.querySelector('.tc-card')));
  return out;
}"""


def contrast(page: Page) -> dict[str, float]:
    # Make a zero-count option and a search mark exist without hiding the zero option's card.
    page.get_by_label("Search papers").fill("token")
    option(page, "category", "query").click()
    ratios = page.evaluate(CONTRAST_JS)
    assert "mark" in ratios and "zero option" in ratios
    return ratios


@pytest.mark.parametrize("how", ["prefers-color-scheme", "theme switch"])
def test_dark_mode_contrast(new_context, furo_site, how):
    if how == "prefers-color-scheme":
        context = new_context(color_scheme="dark")
    else:
        context = new_context(color_scheme="light")
        context.add_init_script("localStorage.setItem('theme', 'dark')")
    page = context.new_page()
    open_papers(page, furo_site)
    assert page.evaluate("document.body.dataset.theme") in (("auto", "dark") if how != "theme switch" else ("dark",))
    ratios = contrast(page)
    assert ratios.pop("_cardBackground") < 0.05, "the cards did not turn dark"
    low = {name: r for name, r in ratios.items() if r < 4.5}
    assert low == {}


@pytest.mark.parametrize("theme", ["default", "furo"])
def test_light_mode_contrast(new_context, site, furo_site, theme):
    # Alabaster has no dark mode: a dark preference must leave its cards light and readable.
    page = new_context(color_scheme="dark" if theme == "default" else "light").new_page()
    open_papers(page, site if theme == "default" else furo_site)
    ratios = contrast(page)
    assert ratios.pop("_cardBackground") > 0.8
    low = {name: r for name, r in ratios.items() if r < 4.5}
    assert low == {}


@pytest.mark.parametrize("theme", ["default", "furo"])
def test_375px_wide_has_no_horizontal_scroll(new_context, site, furo_site, theme):
    page = new_context(viewport={"width": 375, "height": 740}).new_page()
    open_papers(page, site if theme == "default" else furo_site)
    panel = page.locator(".tc-filter-panel")
    expect(panel).not_to_have_attribute("open", "")  # folded on small screens
    panel.locator("summary").click()
    option(page, "area", "video").click()
    assert visible_keys(page) == {"shao2025tokens", "shang2025llava", "sch2024accents"}
    page.get_by_label("Search papers").fill("Zoë Schön")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 375
    box = page.locator(".tc-filterbar").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375


# -- long tables and several tables ----------------------------------------------------------

def test_render_limit_show_all_and_links_past_it(new_context, site):
    context = new_context()
    context.add_init_script("window.tcConfig = {renderLimit: 2};")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.rstrip("/"))
    page = context.new_page()
    errors = open_papers(page, site)
    cards = page.locator(".tc-paper-table >> article.tc-card")
    expect(cards).to_have_count(2)  # the rest are out of the document, not just hidden
    more = page.locator(".tc-more")
    expect(more).to_be_visible()
    expect(more).to_contain_text("9 more match")  # cards: 5 papers, 6 repeats in their other groups
    page.locator(".tc-filterbar").get_by_role("button", name="Copy keys").click()
    assert len(page.evaluate("navigator.clipboard.readText()").split(",")) == 5  # every match, not only those shown
    more.get_by_role("button", name="Show all 11").click()
    expect(cards).to_have_count(11)
    expect(more).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('article').dataset.key") == \
        page.locator("article.tc-card").nth(2).get_attribute("data-key")

    page.goto(site + "papers.html?q=token")  # two of the three matches, then a link to a card past the limit
    expect(cards).to_have_count(2)
    last = page.evaluate("document.querySelector('.tc-paper-table').tcTable.order.at(-1).card.id")
    matching = page.evaluate("document.querySelector('.tc-paper-table').tcTable.order"
                             ".filter((st) => st.paper.visible).length")
    page.goto(site + f"papers.html#{last}")
    expect(page.locator(f"#{last}")).to_be_in_viewport()
    expect(cards).to_have_count(matching)
    assert errors == []


def test_several_tables_on_a_page(page, site):
    page.goto(site + "repeat.html")
    first, second = page.locator(".tc-paper-table").nth(0), page.locator(".tc-paper-table").nth(1)
    expect(second.locator(".tc-filterbar")).to_be_visible()
    # Repeated cards (one per group) count once.
    expect(first.locator('label.tc-option[data-value="video"] .tc-option-count')).to_have_text("3")
    first.locator('label.tc-option[data-value="video"]').click()
    assert query_of(page) == {"area": ["video"]}  # the first table owns the URL
    keys = first.locator("article.tc-card").evaluate_all(
        "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)")
    # Only the video group stays: no video paper under another area's heading.
    assert sorted(keys) == ["sch2024accents", "shang2025llava", "shao2025tokens"]
    expect(first.locator(".tc-count")).to_have_text("3 of 5 papers shown")
    second.locator('label.tc-option[data-value="preprint"]').click()
    assert query_of(page) == {"area": ["video"]}  # the others keep no URL state
    keys = second.locator("article.tc-card").evaluate_all(
        "els => els.filter(e => e.checkVisibility()).map(e => e.dataset.key)")
    assert set(keys) == {"shao2025tokens", "zeng2025glimpse"}


def test_cite_block_copy_button(page, site):
    """The tc-bibtex block ("Cite this survey") gets a copy button that copies the clean entry."""
    page.goto(site + "overview.html")
    button = page.locator("button.tc-copy-cite")
    button.click()
    expect(button).to_have_text("Copied ✓")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@article{shao2025tokens,") and "areas" not in copied
