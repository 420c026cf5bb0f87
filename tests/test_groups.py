"""Group headings agree with the filter bar and the matrix: a paper sits in every group of its values.

Built with ``sphinx.testing`` from ``tests/roots/test-survey``, read with JavaScript off
(the page as served); ``tests/browser/test_landing_and_groups.py`` checks the same
agreement while filtering.
"""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup

from tc_testing import read


def _page(app, name: str) -> BeautifulSoup:
    return BeautifulSoup(read(app.outdir / name), "html.parser")


def test_headings_count_what_the_facets_count(copy_root, build):
    app = build(copy_root())
    table = _page(app, "papers.html").select_one("div.tc-paper-table")
    full = {c["data-key"]: c for c in table.select("article.tc-card:not(.tc-repeat)")}
    facet_counts = {(o.find_parent("fieldset")["data-facet"], o["data-value"]):
                    int(o.select_one(".tc-option-count").text) for o in table.select(".tc-filterbar label.tc-option")}
    cells: Counter = Counter()
    for card in full.values():
        for area in card.get("data-area", "").split():
            for category in card.get("data-category", "").split():
                cells[area, category] += 1
    tops = table.find_all("section", class_="tc-group", recursive=False)
    assert tops
    for top in tops:
        area = top["data-value"]
        count = int(top.select_one(".tc-group-count").text.strip("()"))
        assert count == facet_counts["area", area]
        assert {a["data-key"] for a in top.select("article")} == \
            {k for k, c in full.items() if area in c.get("data-area", "").split()}
        for sub in top.find_all("section", class_="tc-group", recursive=False):
            if sub["data-value"] != "_none":
                assert int(sub.select_one(".tc-group-count").text.strip("()")) == cells[area, sub["data-value"]]


def test_one_full_card_per_paper_and_repeats_link_to_it(copy_root, build):
    app = build(copy_root())
    page = _page(app, "papers.html")
    seen: dict[str, str] = {}
    for card in page.select("article.tc-card"):
        key = card["data-key"]
        if key not in seen:  # the first card of a paper is the full one, with the canonical id
            assert "tc-repeat" not in card["class"] and card["id"] == f"paper-{key}"
            assert card.select_one(".tc-permalink") and card.select_one(".tc-bibtex")
            seen[key] = card.find_parent("section").select_one(".tc-group-title").contents[0].strip()
            continue
        assert "tc-repeat" in card["class"] and card["id"].startswith(f"paper-{key}-")
        link = card.select_one(".tc-repeat-note a")
        assert link["href"] == f"#paper-{key}" and seen[key] in link.text
        assert not card.select(".tc-permalink, .tc-bibtex, .tc-badges")
        # filterable like the full card
        assert card["data-area"] == page.find(id=f"paper-{key}")["data-area"]
    assert len(seen) == 5
    # the search index holds each paper's text once, from its full card
    text = read(app.outdir / "searchindex.js")
    assert "prumerg" in text.lower()
