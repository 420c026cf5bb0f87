"""Survey-companion features: matrix, recent papers, list layout, statistics, Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bs4 import BeautifulSoup

from tc_testing import read

ATOM = "{http://www.w3.org/2005/Atom}"


def soup(path) -> BeautifulSoup:
    return BeautifulSoup(read(path), "html.parser")


def matrix_rows(page: BeautifulSoup) -> list[list[str]]:
    return [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for row in page.select("table.tc-matrix tr")]


def test_matrix_counts_and_links(copy_root, build):
    app = build(copy_root())
    assert app.warning.getvalue() == ""
    page = soup(app.outdir / "overview.html")
    assert matrix_rows(page) == [
        ["Area \\ Mechanism", "Transformation-based", "Similarity-based", "Attention-based", "Query-based", "All"],
        ["Image LLM", "1", "0", "2", "0", "3"],
        ["Video LLM", "1", "1", "1", "0", "3"],
        ["Audio LLM", "0", "0", "0", "1", "2"],
        ["All", "1", "1", "2", "1", "5"],
    ]
    hrefs = {a.get_text(): a["href"] for a in page.select("table.tc-matrix tbody tr:first-child a")}
    assert hrefs == {"Image LLM": "papers.html?area=image", "1": "papers.html?area=image&category=transformation",
                     "2": "papers.html?area=image&category=attention", "3": "papers.html?area=image"}


def test_matrix_follows_an_incremental_category_edit(copy_root, make_app):
    src = copy_root()
    make_app("html", srcdir=src).build()
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("categories = {query}", "categories = {attention}"), encoding="utf-8")
    app = make_app("html", srcdir=src)
    app.build()
    assert matrix_rows(soup(app.outdir / "overview.html"))[3] == ["Audio LLM", "0", "0", "1", "0", "2"]


def test_recent_papers_count_back_from_the_newest_paper_month(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "overview.html")
    # The newest paper is of August 2025: February to August 2025, grouped by area (image, then audio).
    assert [c["data-key"] for c in page.select("#recent article:not(.tc-repeat)")] == [
        "zeng2025glimpse", "shao2025tokens", "yeo2025mms"]
    # The survey paper is in four areas: a full card under the first, repeats under the others.
    assert [c["data-key"] for c in page.select("#recent article.tc-repeat")] == ["shao2025tokens"] * 3
    app = build(copy_root(dest="pinned"), confoverrides={"tc_recent_date": "2025-02-01"})
    page = soup(app.outdir / "overview.html")
    # August 2024 to February 2025: LLaVA-PruMerge (ICCV 2025, no month) dates from its arXiv id, March 2024.
    assert [c["data-key"] for c in page.select("#recent article")] == ["sch2024accents"]


def test_list_layout_is_text_not_cards(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "overview.html")
    section = page.find(id="list").parent
    assert section.find("article") is None
    items = [li.get_text(" ", strip=True) for li in section.select("li")]
    assert len(items) == 5 and items[0].startswith("Token Merging für Österreich")


def test_statistics_have_svg_charts_with_text_alternatives(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "overview.html")
    charts = page.select("figure.tc-chart svg")
    assert len(charts) == 3
    for svg in charts:  # inline, coloured by the page: no script, font, image or background of its own
        assert svg["role"] == "img" and svg["aria-label"].startswith(("Papers per", "Code availability"))
        assert not svg.find(["script", "style", "image", "foreignobject"]) and "@font-face" not in str(svg)
        assert {r.get("class", [""])[0] for r in svg.find_all("rect")} <= {f"tc-chart-s{i}" for i in range(1, 8)}
        assert all(t.get("fill") in (None, "currentColor") for t in svg.find_all("text"))
    code_bars = [g.title.get_text() for g in charts[2].find_all("g")]
    assert code_bars == ["2024: With code 0, Without code 1", "2025: With code 4, Without code 0"]
    tables = page.select("table.tc-stats-table")
    code = [[c.get_text(strip=True) for c in row.find_all(["th", "td"])] for row in tables[2].select("tr")]
    assert code == [["Year", "With code", "Without code"], ["2024", "0", "1"], ["2025", "4", "0"]]
    text = build(copy_root(dest="text"), "text")
    assert "Code availability per year" in read(text.outdir / "overview.txt")


def test_atom_feed_lists_newly_added_papers(copy_root, build):
    app = build(copy_root(), confoverrides={"html_baseurl": "https://tokens.example.org/"})
    feed = ET.fromstring((app.outdir / "feed.xml").read_bytes())
    entries = feed.findall(f"{ATOM}entry")
    assert entries[0].find(f"{ATOM}title").text.startswith("A Glimpse to Compress")
    assert entries[0].find(f"{ATOM}link").get("href") == \
        "https://tokens.example.org/papers.html#paper-zeng2025glimpse"
    assert entries[0].find(f"{ATOM}updated").text == "2025-08-14T00:00:00Z"
    assert len(entries) == 5
    titles = [e.find(f"{ATOM}title").text for e in entries]  # case-protecting braces are not shown
    assert "LLaVA-PruMerge: Adaptive Token Reduction for Efficient Large Multimodal Models" in titles
    assert any(t.startswith("MMS-LLaMA: Efficient LLM-based Audio-Visual") for t in titles)
    assert '<link rel="alternate" type="application/atom+xml"' in read(app.outdir / "index.html")


def test_cite_block_and_feed_link(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "overview.html")
    block = page.select_one(".tc-cite-block pre").get_text()
    assert block.startswith("@article{shao2025tokens,") and "areas" not in block and "added" not in block
    assert page.select_one("a.tc-feed-link")["href"] == "feed.xml"
    text = build(copy_root(dest="text"), "text")
    assert "Subscribe with the Atom feed." in read(text.outdir / "overview.txt")
