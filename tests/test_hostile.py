"""Hostile bib text never reaches a page, the feed or the bib sphinxcontrib-bibtex renders (issue 15)."""

from __future__ import annotations

import hashlib
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

from sphinx_tc_ext.core.latex import latex_to_text, strip_control_characters
from sphinx_tc_ext.core.lint import Checker
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from sphinx_tc_ext.sphinx.bibtex.citebib import GENERATED_NAME
from tc_testing import ROOTS, read

ATOM = "{http://www.w3.org/2005/Atom}"
#: Every C0 and C1 control character but tab and newline.
CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
CONTROL_RE = re.compile(f"[{re.escape(CONTROLS)}]")
HOSTILE_URLS = {"jsurl": "javascript:alert(1)", "dataurl": "data:text/html,<script>alert(1)</script>",
                "vbsurl": "vbscript:msgbox(1)", "spaceurl": " JavaScript:alert(1)", "taburl": "java\tscript:alert(1)"}
#: RFC 3986 URI: a scheme, then only unreserved, reserved and percent-encoded characters.
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")


def entry(key: str, title: str, extra: str = "") -> str:
    return (f"@misc{{{key},\n  title = {{{title}}},\n  author = {{Evil\x02, Eve and Doe, Jane}},\n"
            f"  year = {{2025}},\n  areas = {{image}},\n  added = {{2025-09-01}},\n{extra}}}\n\n")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    src = tmp_path_factory.mktemp("hostile") / "site"
    shutil.copytree(ROOTS / "test-survey", src)
    bib = src / "refs" / "survey.bib"
    text = read(bib) + "\n" + entry("ctrl2025", "Bell\x07 and\x01 NUL\x00 escape\x1b[31m del\x7f c1\x85\x9b end",
                                     "  note = {vertical\x0btab},\n")
    cites = ["ctrl2025", "shang2025llava"]
    for key, url in HOSTILE_URLS.items():
        text += entry(key, f"Link {key}", f"  url = {{{url}}},\n")
        cites.append(key)
    text += entry("baddoi", "Bad doi", '  doi = {10.1000/x" onclick=alert(1)},\n  eprint = {java script:x},\n')
    cites.append("baddoi")
    bib.write_bytes(text.encode("utf-8"))
    with open(src / "index.rst", "a", encoding="utf-8") as out:
        out.write("\n" + " ".join(f":cite:p:`{key}`" for key in cites) + "\n")
    app = SphinxTestApp("html", srcdir=src)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def html_pages(outdir: Path) -> dict[str, str]:
    return {str(p.relative_to(outdir)): read(p) for p in sorted(outdir.rglob("*.html"))}


# -- control characters ------------------------------------------------------------------------

def test_strip_control_characters_keeps_tab_newline_and_text():
    assert strip_control_characters("a\x00b\x01c\td\ne\x7ff\x85g\x9f h é 漢") == "abc\td\nefg h é 漢"
    assert strip_control_characters("plain") == "plain"
    assert latex_to_text("x\x01y") == "xy"


def test_feed_is_valid_xml_without_control_characters(hostile_site):
    data = (hostile_site.outdir / "feed.xml").read_bytes()
    root = ET.fromstring(data)  # raises on a control character
    titles = [t.text for t in root.iter(f"{ATOM}title")]
    assert "Bell and NUL escape[31m del c1 end" in titles
    assert not CONTROL_RE.search(data.decode("utf-8"))
    warnings = hostile_site.warning.getvalue()
    assert "ctrl2025: field 'title' holds control character U+0007, U+0001, U+0000, U+001B, U+007F, U+0085, U+009B; " \
        "deleted" in warnings


def test_pages_search_data_and_bibtex_blocks_hold_no_control_characters(hostile_site):
    outdir = hostile_site.outdir
    pages = html_pages(outdir)
    assert "Bell and NUL escape[31m del c1 end" in pages["papers.html"]
    for name, html in pages.items():
        assert not CONTROL_RE.search(html), name
    assert not CONTROL_RE.search(read(outdir / "searchindex.js"))
    cards = BeautifulSoup(pages["papers.html"], "html.parser")
    block = cards.find("article", attrs={"data-key": "ctrl2025"}).select_one("details.tc-bibtex pre").get_text()
    assert "author = {Evil, Eve and Doe, Jane}" in block and "note = {verticaltab}" in block
    assert not CONTROL_RE.search(read(Path(hostile_site.doctreedir) / GENERATED_NAME))


# -- links on the bibliography page ----------------------------------------------------------

def test_no_page_links_anything_but_http_mailto_or_relative(hostile_site):
    pages = html_pages(hostile_site.outdir)
    assert "Link jsurl" in pages["sections.html"]  # the entries are on the bibliography page
    for name, html in pages.items():
        for tag in BeautifulSoup(html, "html.parser").find_all(href=True):
            scheme = urlsplit(tag["href"].strip()).scheme.lower()
            assert scheme in ("", "http", "https", "mailto"), (name, tag["href"])
            assert not re.match(r"(?i)\s*(java|vb)\s*script|data:", tag["href"]), (name, tag["href"])


def test_generated_bib_keeps_only_sane_links(hostile_site):
    generated = read(Path(hostile_site.doctreedir) / GENERATED_NAME)
    assert "url = {https://arxiv.org/abs/2403.15388}" in generated  # sane links stay
    for url in HOSTILE_URLS.values():
        assert " ".join(url.split()) not in generated
    assert "onclick" not in generated and "java script" not in generated
    assert "@misc{jsurl," in generated  # the entry itself stays, without the link


# -- the feed's ids --------------------------------------------------------------------------

def test_feed_ids_are_uris(hostile_site):
    root = ET.fromstring((hostile_site.outdir / "feed.xml").read_bytes())
    ids = [e.text for e in root.iter(f"{ATOM}id")]
    assert len(ids) > 5
    for value in ids:
        assert URI.fullmatch(value), value
    assert ids[0] == "tag:sphinx-tc-ext,2025:multimodal-token-compression-new-papers"
    assert "urn:sphinx-tc-ext:paper:shao2025tokens" in ids  # entry ids of ordinary keys are what they were


def test_feed_ids_with_base_url_and_odd_keys(copy_root, build):
    src = copy_root()
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib) + entry("odd key\u00e9<2025>", "Odd"), encoding="utf-8")
    for overrides in ({}, {"html_baseurl": "https://example.org/my survey/"},
                      {"tc_feed_title": "Neue Aufsätze: 新しい"}):
        app = build(src, confoverrides=overrides, freshenv=True)
        root = ET.fromstring((app.outdir / "feed.xml").read_bytes())
        ids = [e.text for e in root.iter(f"{ATOM}id")]
        assert len(set(ids)) == len(ids)
        for value in ids:
            assert URI.fullmatch(value), (overrides, value)
        if overrides.get("html_baseurl"):
            assert ids[0] == "https://example.org/my%20survey/feed.xml"


def test_a_feed_written_by_older_code_is_rewritten(copy_root, build):
    src = copy_root()
    app = build(src)
    feed, stamp = app.outdir / "feed.xml", app.outdir / ".tc-feed-stamp"
    written = feed.read_bytes()
    domain = app.env.get_domain("tc")
    taxonomy = hashlib.sha1((src / "refs" / "taxonomy.toml").read_bytes()).hexdigest()
    old_stamp = repr((domain.data["bib_stamp"], taxonomy, "", "", 50, sorted(domain.tables)))  # as 0.x wrote it
    feed.write_text("<feed>urn:sphinx-tc-ext:Multimodal Token Compression: new papers</feed>", encoding="utf-8")
    stamp.write_text(old_stamp, encoding="utf-8")
    build(src)
    assert feed.read_bytes() == written


# -- tc-survey check -------------------------------------------------------------------------

def test_check_reports_control_characters_and_invisible_characters_in_urls():
    taxonomy = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")
    text = ("@misc{a2025,\n  title = {Bell\x01 here},\n  author = {Doe, Jane},\n  year = {2025},\n"
            "  areas = {image},\n  code = {https://github.com/o/r\u200b},\n"
            "  url = {https://example.org/\u202egnp.exe},\n}\n\n"
            + "\n".join(f"@misc{{{key},\n  title = {{Fine}},\n  author = {{Doe, Jane}},\n  year = {{2025}},\n"
                        "  areas = {image},\n}\n" for key in ("b\u200d2025", "c\x1b2025")))
    problems = Checker(taxonomy).check_text(text, "x.bib")
    found = {(p.code, p.line) for p in problems}
    assert ("TC172", 2) in found
    assert ("TC135", 6) in found and ("TC135", 7) in found and ("TC135", 10) in found
    message = next(p.message for p in problems if p.code == "TC172")
    assert "U+0001" in message and "delete" in message
    assert "U+202E" in next(p.message for p in problems if p.code == "TC135" and p.line == 7)
    assert ("TC172", 17) in found  # a key: the site skips the entry
    assert not {"TC110", "TC101"} & {p.code for p in problems}
    assert "U+001B" in next(p.message for p in problems if p.line == 17)
