"""What's new: papers added and updated by month, "Last updated", and updates in the Atom feed."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from bs4 import BeautifulSoup

from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.counts import last_updated, news_by_month
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import read

ATOM = "{http://www.w3.org/2005/Atom}"


def _news_root(copy_root):
    return copy_root("test-news")


def test_news_by_month_and_last_updated(copy_root):
    root = _news_root(copy_root)
    taxonomy = load_taxonomy(root / "refs" / "taxonomy.toml")
    bib = parse_bib_text(read(root / "refs" / "survey.bib"), "survey.bib", taxonomy)
    assert news_by_month(bib) == [
        ("2025-08", ["query2025audio"], ["retitle2025image", "early2025pruning"]),  # newest date first
        ("2025-06", ["merge2025video", "early2025pruning", "retitle2025image"], []),
    ]
    assert news_by_month(bib, 1) == news_by_month(bib)[:1]
    assert last_updated(bib) == "2025-08-30"


def test_whats_new_page_lists_added_and_updated_by_month(copy_root, build):
    app = build(_news_root(copy_root))
    assert app.warning.getvalue() == ""
    page = BeautifulSoup(read(app.outdir / "whats-new.html"), "html.parser")
    full, newest = page.select(".tc-whats-new")
    months = [(m.select_one(".rubric").get_text(), [p.get_text() for p in m.select("p.tc-news-added, "
                                                                                   "p.tc-news-updated")])
              for m in full.select(".tc-news-month")]
    assert months == [("August 2025", ["Added (1)", "Updated (2)"]), ("June 2025", ["Added (3)"])]
    updated = full.select_one("ul.tc-news-updated li")
    assert updated.select_one("a")["href"] == "papers.html#paper-retitle2025image"
    assert "updated 2025-08-30" in updated.get_text()
    assert [m.select_one(".rubric").get_text() for m in newest.select(".tc-news-month")] == ["August 2025"]
    for name, text in (("index.html", "Last updated 2025-08-30"), ("papers.html", "its update of 2025-08-30")):
        stamp = BeautifulSoup(read(app.outdir / name), "html.parser").select_one(".tc-last-updated")
        assert stamp.get_text() == text


def test_other_builders_get_the_lists(copy_root, build):
    app = build(copy_root("test-news", dest="text"), "text")
    out = read(app.outdir / "whats-new.txt")
    assert "August 2025" in out and "Updated (2)" in out and "A Retitled Study of Token Budgets" in out
    assert "Last updated 2025-08-30." in read(app.outdir / "index.txt")


def test_feed_carries_updates(copy_root, build):
    app = build(_news_root(copy_root), confoverrides={"html_baseurl": "https://tokens.example.org/"})
    feed = ET.fromstring((app.outdir / "feed.xml").read_bytes())
    assert feed.find(f"{ATOM}updated").text == "2025-08-30T00:00:00Z"
    entries = [(e.find(f"{ATOM}title").text, e.find(f"{ATOM}id").text, e.find(f"{ATOM}updated").text)
               for e in feed.findall(f"{ATOM}entry")]
    assert entries[0][0] == "Updated: A Retitled Study of Token Budgets"
    assert entries[0][2] == "2025-08-30T00:00:00Z"
    assert len(entries) == 6  # four additions, two updates (one update fell in the month of its addition)
    ids = [entry_id for _t, entry_id, _u in entries]
    assert len(set(ids)) == len(ids)
    added = [e for e in entries if e[0] == "A Retitled Study of Token Budgets"]
    assert added and added[0][2] == "2025-06-01T00:00:00Z"


def test_an_update_rewrites_the_news_without_reading_pages(copy_root, build):
    src = _news_root(copy_root)
    build(src)
    bib = src / "refs" / "survey.bib"
    time.sleep(0.01)
    bib.write_text(read(bib).replace("added = {2025-06-20},", "added = {2025-06-20},\n  updated = {2025-09-02},"),
                   encoding="utf-8")
    app = build(src)
    page = BeautifulSoup(read(app.outdir / "whats-new.html"), "html.parser")
    assert page.select_one(".tc-news-month .rubric").get_text() == "September 2025"
    assert BeautifulSoup(read(app.outdir / "index.html"), "html.parser").select_one(
        ".tc-last-updated").get_text().startswith("Last updated 2025-09-02")


def test_parallel_build_equals_serial(copy_root, build):
    serial = build(copy_root("test-news", dest="serial"))
    parallel = build(copy_root("test-news", dest="parallel"), parallel=2)
    assert parallel.warning.getvalue() == ""
    for name in ("index.html", "papers.html", "whats-new.html"):
        assert read(serial.outdir / name) == read(parallel.outdir / name)
    assert read(serial.outdir / "feed.xml") == read(parallel.outdir / "feed.xml")


def test_table_layout_is_a_plain_table_for_every_builder(copy_root, build):
    app = build(_news_root(copy_root))
    assert app.warning.getvalue() == ""
    page = BeautifulSoup(read(app.outdir / "table.html"), "html.parser")
    table = page.select_one("table.tc-plain-table")
    assert table.select_one("caption .caption-text").get_text(strip=True) == "4 papers"
    head = [th.get_text(strip=True) for th in table.select("thead th")]
    assert head == ["Title", "Venue", "Year", "Area", "Mechanism", "Training cost", "Code"]
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert len(rows) == 4  # merge2025video is in two areas: still one row
    merge = next(r for r in rows if r[0].startswith("Merging Frames"))
    assert merge[1:5] == ["arXiv 2025.06", "2025", "Video LLM, Image LLM", "Similarity-based"]
    assert table.select_one("tbody a")["href"].startswith("https://arxiv.org/abs/")
    text = build(copy_root("test-news", dest="text"), "text")
    assert "Merging Frames" in read(text.outdir / "table.txt")  # in a cell, wrapped


def test_html_items_are_what_sphinx_writes_for_the_nodes(copy_root, build):
    """The HTML lists are built from strings (5,000 items at 5k entries); they must be the markup
    Sphinx's translator writes for the nodes other builders get, and index the same words."""
    from docutils import nodes
    from docutils.utils import new_document

    from sphinx_tc_ext.sphinx import news
    from sphinx_tc_ext.sphinx.nodes import tc_news_items

    src = _news_root(copy_root)
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("title = {A Retitled Study of Token Budgets}",
                                     'title = {A "Retitled" Study of <Token> Budgets \\& user@example.org}'),
                   encoding="utf-8")
    app = build(src)
    assert app.warning.getvalue() == ""
    app.builder._tc_deferred = None  # markup straight into the translator's body
    doctree = app.env.get_and_resolve_doctree("whats-new", app.builder, tags=app.tags)
    domain = app.env.get_domain("tc")
    papers = news.get_bibliography(app.config).papers
    lists = list(doctree.findall(tc_news_items))
    assert len(lists) == 5  # added and updated in August, added in June; August again (the newest month)
    for node in lists:
        items = nodes.bullet_list(classes=[f"tc-news-{node['what']}"])
        for key in node["keys"]:
            items += nodes.list_item("", news._item(app, domain, "whats-new", papers[key], node["what"]))
        written = {}
        for name, tree in (("markup", node.deepcopy()), ("nodes", items)):
            document = new_document("whats-new", app.builder.docsettings)
            document += tree
            translator = app.builder.create_translator(document, app.builder)
            document.walkabout(translator)
            written[name] = "".join(translator.body)
        assert written["markup"] == written["nodes"]
        words = {w for item in items.findall(nodes.Text) for w in item.astext().split()}
        assert set(node.astext().split()) == words
    assert "&quot;Retitled&quot; Study of &lt;Token&gt; Budgets &amp; user&#64;example.org" in read(
        app.outdir / "whats-new.html")
