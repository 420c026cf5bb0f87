"""Sharing and discovery: objects.inv and the search index, COinS, sphinx-design classes, the
sharing extensions the site uses (Open Graph, sitemap, 404 page, copy buttons), "cite as text"."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
from bs4 import BeautifulSoup
from sphinx.util.inventory import InventoryFile

from sphinx_tc_ext.core import export
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import ROOTS, read

KEYS = {"shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms", "sch2024accents"}
SITE = "https://survey.example.org/docs/"
SHARING = """
extensions += ["sphinx_design", "sphinxext.opengraph", "sphinx_sitemap", "notfound.extension", "sphinx_copybutton"]
html_baseurl = "https://survey.example.org/docs/"
ogp_site_url = html_baseurl
ogp_image = "_static/card.png"
ogp_social_cards = {"enable": False}
sitemap_url_scheme = "{link}"
notfound_urls_prefix = "/docs/"
copybutton_exclude = ".linenos, .gp, .go"
"""


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(read(path), "html.parser")


def with_sharing(src: Path) -> Path:
    """The test root with the site's sharing extensions, a static card image and a page two folders down."""
    conf = src / "conf.py"
    conf.write_text(read(conf) + SHARING, encoding="utf-8")
    (src / "_static").mkdir(exist_ok=True)
    (src / "_static" / "card.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with conf.open("a", encoding="utf-8") as f:
        f.write('html_static_path = ["_static"]\n')
    deep = src / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "deep.rst").write_text("Deep page\n=========\n\nA page two folders down.\n\n"
                                   ".. code-block:: console\n\n   $ tc-survey check refs/survey.bib\n   ok\n",
                                   encoding="utf-8")
    index = src / "index.rst"
    index.write_text(read(index) + "\n.. toctree::\n   :hidden:\n\n   a/b/deep\n", encoding="utf-8")
    return src


# -- objects.inv and the search box -----------------------------------------------------------------

def test_objects_inv_lists_every_paper_at_its_card(copy_root, build):
    app = build(copy_root())
    with (app.outdir / "objects.inv").open("rb") as f:
        inventory = InventoryFile.load(f, "https://survey.example.org/", lambda base, uri: base + uri)
    cards = inventory["tc:card"]
    assert set(cards) == KEYS
    item = cards["zeng2025glimpse"]
    assert item.uri == "https://survey.example.org/papers.html#paper-zeng2025glimpse"
    # The display name carries what a reader types into the search box.
    assert item.display_name.startswith("zeng2025glimpse: A Glimpse to Compress")
    assert "(GlimpsePrune)" in item.display_name and "arXiv:2508.01548" in item.display_name


def test_search_index_points_at_the_card(copy_root, build):
    app = build(copy_root())
    text = read(app.outdir / "searchindex.js")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    assert index["objnames"]["0"] == ["tc", "card", "paper"]  # shown as "paper, in All papers"
    entries = [entry for entries in index["objects"].values() for entry in entries]
    anchors = {entry[3] for entry in entries}
    assert "paper-zeng2025glimpse" in anchors  # kept whole: the display name differs from the key
    assert not {"", "-"} & anchors


def test_another_project_links_a_paper_through_intersphinx(copy_root, build, tmp_path):
    survey = build(copy_root())
    other = tmp_path / "other"
    other.mkdir()
    (other / "conf.py").write_text(
        'extensions = ["sphinx.ext.intersphinx"]\n'
        f'intersphinx_mapping = {{"survey": ("https://survey.example.org/", "{survey.outdir / "objects.inv"}")}}\n'
        "nitpicky = True\n", encoding="utf-8")
    (other / "index.rst").write_text("Other\n=====\n\nSee :external+survey:ref:`paper-zeng2025glimpse`.\n",
                                     encoding="utf-8")
    app = build(other)  # without sphinx-tc-ext: papers are standard labels too
    assert app.warning.getvalue() == ""
    link = soup(app.outdir / "index.html").select_one("a.reference.external")
    assert link["href"] == "https://survey.example.org/papers.html#paper-zeng2025glimpse"
    assert link.get_text() == "A Glimpse to Compress: Dynamic Visual Token Pruning for Large Vision-Language Models"


# -- COinS ----------------------------------------------------------------------------------------

def test_one_coins_span_per_card(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "papers.html")
    cards = page.select("article.tc-card:not(.tc-repeat)")
    repeats = page.select("article.tc-repeat")
    assert cards and all(len(card.select(":scope > span.Z3988")) == 1 for card in cards)
    assert repeats and not any(card.select("span.Z3988") for card in repeats)  # Zotero lists each paper once
    assert len(page.select("span.Z3988")) == len(cards) == len({card["data-key"] for card in cards})
    glimpse = next(c for c in cards if c["data-key"] == "zeng2025glimpse")
    pairs = parse_qsl(glimpse.select_one("span.Z3988")["title"])
    kev = dict(pairs)
    assert kev["ctx_ver"] == "Z39.88-2004" and kev["rft.genre"] == "preprint"
    assert kev["rft.atitle"].startswith("A Glimpse to Compress")
    assert next(v for k, v in pairs if k == "rft.au") == "Zeng, Quan-Sheng"
    assert ("rft_id", "https://arxiv.org/abs/2508.01548") in pairs  # the arXiv id is in the link: no info:arxiv
    assert not [v for k, v in pairs if v.startswith("info:arxiv/")]


def test_coins_can_be_left_out(copy_root, build):
    app = build(copy_root(), confoverrides={"tc_coins": False})
    page = soup(app.outdir / "papers.html")
    assert page.select("article.tc-card") and not page.select("span.Z3988")
    assert not page.select(".tc-export") and page.select(".tc-download")  # RIS and CSL-JSON come from COinS


def test_coins_follow_the_csl_mapping():
    taxonomy = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")
    bib = parse_bib_text(read(ROOTS / "test-survey" / "refs" / "survey.bib"), "survey.bib", taxonomy)
    for paper in bib.papers.values():
        item = export.csl_item(paper, taxonomy)
        pairs = export.coins_pairs(item)
        kev = dict(pairs)
        fmt, genre = export.COINS_FORMATS[item["type"]]
        assert kev["rft_val_fmt"].endswith(fmt) and kev["rft.genre"] == genre
        assert len([k for k, _ in pairs if k == "rft.au"]) == len(item.get("author", ()))
        if "URL" in item:
            assert ("rft_id", item["URL"]) in pairs
    # Markup in a title is text in the span, and escaped in the page.
    assert "<" not in export.coins_title(next(iter(bib.papers.values())), taxonomy)


# -- sphinx-design --------------------------------------------------------------------------------

def test_without_sphinx_design_our_css_draws_the_cards(copy_root, build):
    app = build(copy_root())  # the test root does not load sphinx-design
    page = soup(app.outdir / "papers.html")
    assert "tc-sd" not in page.select_one(".tc-paper-table")["class"]
    assert not (app.outdir / "_static" / "sphinx-design.min.css").exists()
    card = page.select_one("article.tc-card")
    assert "sd-card" in card["class"]  # harmless without sphinx-design: tc.css draws the card
    css = read(app.outdir / "_static" / "tc.css")
    fallback = re.search(r"\.tc-paper-table:not\(\.tc-sd\) \.tc-card \{([^}]*)\}", css)
    assert fallback and "border:" in fallback.group(1) and "background:" in fallback.group(1)
    assert re.search(r"\.tc-paper-table:not\(\.tc-sd\) \.tc-badge \{[^}]*border-radius", css)


def test_with_sphinx_design_cards_badges_and_buttons_use_its_classes(copy_root, build):
    app = build(with_sharing(copy_root()))
    assert app.warning.getvalue() == ""
    page = soup(app.outdir / "papers.html")
    assert "tc-sd" in page.select_one(".tc-paper-table")["class"]
    assert (app.outdir / "_static" / "sphinx-design.min.css").exists()
    for card in page.select("article.tc-card"):
        assert {"sd-card", "sd-shadow-sm"} <= set(card["class"])
        assert all("sd-badge" in badge["class"] for badge in card.select(".tc-badge"))
        assert all({"sd-btn", "sd-btn-outline-primary"} <= set(a["class"]) for a in card.select(".tc-links a"))


# -- Open Graph, sitemap, 404, copy buttons -----------------------------------------------------------

@pytest.fixture(scope="module")
def shared_site(tmp_path_factory, module_apps):
    src = tmp_path_factory.mktemp("sharing") / "src"
    shutil.copytree(ROOTS / "test-survey", src)
    app = module_apps("html", srcdir=with_sharing(src))
    app.build()
    app.cleanup()
    assert app.warning.getvalue() == ""
    return app.outdir


@pytest.fixture(scope="module")
def module_apps():
    """Sphinx test apps shared by a module's tests (sphinx.testing's ``make_app`` is per test)."""
    from sphinx.testing.util import SphinxTestApp

    apps = []

    def make(*args, **kwargs):
        app = SphinxTestApp(*args, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.cleanup()


def remote_urls(page: BeautifulSoup) -> list[str]:
    """URLs the browser fetches by itself (scripts, styles, images, fonts, preloads), if not on this host."""
    found = [tag.get("src") for tag in page.find_all(["script", "img", "iframe", "source"])]
    found += [tag.get("href") for tag in page.find_all("link") if set(tag.get("rel", [])) & {
        "stylesheet", "preload", "icon", "prefetch", "preconnect", "modulepreload", "dns-prefetch"}]
    return [u for u in found if u and urlparse(u).netloc]


def test_open_graph_tags_name_only_the_site(shared_site):
    for name in ("index.html", "papers.html", "a/b/deep.html"):
        page = soup(shared_site / name)
        og = {m["property"]: m["content"] for m in page.find_all("meta", property=True)}
        assert og["og:title"] and og["og:description"]
        assert og["og:url"] == SITE + name
        assert og["og:image"] == SITE + "_static/card.png"
        urls = [v for v in og.values() if "://" in v]
        assert urls and all(u.startswith(SITE) for u in urls)
        assert remote_urls(page) == []


def test_sitemap_lists_every_page_under_the_site(shared_site):
    text = read(shared_site / "sitemap.xml")
    locs = re.findall(r"<loc>([^<]*)</loc>", text)
    assert SITE + "papers.html" in locs and SITE + "a/b/deep.html" in locs
    assert all(loc.startswith(SITE) for loc in locs)


def test_404_page_links_work_at_any_depth(shared_site):
    page = soup(shared_site / "404.html")
    links = [a["href"] for a in page.find_all("a", href=True)] + [t["href"] for t in page.find_all("link", href=True)]
    links += [s["src"] for s in page.find_all("script", src=True)]
    local = [u for u in links if u and not u.startswith("#") and not urlparse(u).netloc]  # "": the page itself
    assert local and all(u.startswith("/docs/") for u in local), local
    assert "/docs/index.html" in links and any(u.startswith("/docs/_static/") for u in links)
    assert remote_urls(page) == []


def test_copy_buttons_skip_prompts(shared_site):
    script = read(shared_site / "_static" / "copybutton.js")
    assert ".linenos, .gp, .go" in script
    assert (shared_site / "_static" / "clipboard.min.js").exists()  # a local file, not a CDN
    deep = soup(shared_site / "a" / "b" / "deep.html")
    assert deep.select_one("div.highlight-console span.gp").get_text() == "$ "


# -- "cite this" as text ----------------------------------------------------------------------------

def test_tc_bibtex_as_a_plain_text_reference(copy_root, build):
    src = copy_root()
    (src / "cite.rst").write_text("Cite\n====\n\n.. tc-bibtex:: shao2025tokens\n   :format: text\n\n"
                                  ".. tc-bibtex:: shao2025tokens\n   :format: text\n   :style: unknown\n",
                                  encoding="utf-8")
    index = src / "index.rst"
    index.write_text(read(index) + "\n.. toctree::\n   :hidden:\n\n   cite\n", encoding="utf-8")
    app = build(src)
    warnings = app.warning.getvalue()
    assert "cite.rst:7: WARNING: tc-bibtex: unknown pybtex style 'unknown'" in warnings
    assert warnings.count("WARNING") == 1
    text = soup(app.outdir / "cite.html").select_one("p.tc-cite-text").get_text()
    assert text.startswith("Kele Shao, Keda Tao")
    assert "arXiv:2507.20198" in text and "{" not in text and "\\" not in text


def test_text_reference_renders_latex():
    taxonomy = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")
    bib = parse_bib_text(read(ROOTS / "test-survey" / "refs" / "survey.bib"), "survey.bib", taxonomy)
    accents = bib.get("sch2024accents")
    text = export.text_reference(accents)
    assert "{" not in text and "\\" not in text
    with pytest.raises(ValueError, match="unknown pybtex style 'nope'"):
        export.text_reference(accents, "nope")


def test_text_reference_of_an_entry_the_style_cannot_format():
    taxonomy = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")
    bib = parse_bib_text("@article{doe2025x,\n  title = {A Title},\n  author = {Doe, Jane},\n  year = {2025},\n}\n",
                         "x.bib", taxonomy)  # no journal: pybtex's plain style needs one
    assert export.text_reference(bib.get("doe2025x")) == "Jane Doe. A Title. 2025."
