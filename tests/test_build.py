"""Sphinx builds of the test roots: cards, grouping, builders, parallel and incremental builds."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
import sphinx
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from sphinx.errors import ConfigError

from tc_testing import read


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(read(path), "html.parser")


def warnings_of(app) -> str:
    return app.warning.getvalue()


def test_html_cards(copy_root, build):
    app = build(copy_root())
    assert warnings_of(app) == ""
    page = soup(app.outdir / "papers.html")
    cards = page.select("article.tc-card:not(.tc-repeat)")
    assert {c["data-key"] for c in cards} == {"shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms",
                                              "sch2024accents"}
    table = page.select_one("div.tc-paper-table")
    assert table["data-total"] == "5"
    assert table["data-group-by"] == "area category"
    # Groups: area first, in taxonomy order, then mechanism; headings carry anchors and counts.
    top = [s["data-value"] for s in table.find_all("section", recursive=False)]
    assert top == ["image", "video", "audio", "survey"]  # a paper under each of its areas
    image = table.find("section", attrs={"data-value": "image"})
    heading = image.find(re.compile("h[1-6]"))
    assert heading.name == "h2" and heading["id"] == "papers-image"
    assert heading.get_text(" ", strip=True).startswith("Image LLM (3)")
    inner = [s["data-value"] for s in image.find_all("section", recursive=False)]
    assert inner == ["transformation", "attention", "_none"]
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert len(cards) == 5  # one full card per entry, the others repeats that link to it
    repeats = page.select("article.tc-repeat")
    assert len(repeats) == 6  # the survey paper in 3 more areas, LLaVA-PruMerge in 3 more cells
    for repeat in repeats:
        assert repeat.select_one(".tc-repeat-note a")["href"] == f"#paper-{repeat['data-key']}"
        assert repeat.select_one(".tc-permalink") is None
    # The first card of a paper carries its canonical anchor.
    card = page.find("article", id="paper-shang2025llava")
    assert card["data-area"] == "image video"
    assert card["data-category"] == "attention transformation"
    assert card["data-cost"] == "training-free"
    assert card["data-kind"] == "published" and card["data-code"] == "1" and card["data-year"] == "2025"
    assert card.select_one(".tc-title a")["href"] == "https://arxiv.org/abs/2403.15388"
    # braces that keep the case in BibTeX styles are not shown
    assert card.select_one(".tc-title a").get_text() == \
        "LLaVA-PruMerge: Adaptive Token Reduction for Efficient Large Multimodal Models"
    assert page.find("article", id="paper-yeo2025mms").select_one(".tc-title a").get_text().startswith(
        "MMS-LLaMA: Efficient LLM-based Audio-Visual")
    assert card.select_one(".tc-permalink")["href"] == "#paper-shang2025llava"
    venue = card.select_one(".tc-venue")
    assert venue.get_text() == "ICCV 2025" and "tc-published" in venue["class"]
    badge = card.select_one('a.tc-badge[data-value="attention"]')
    assert badge["href"] == "sections.html#mechanism-attention"
    assert [a.get_text() for a in card.select(".tc-links a")] == ["Paper", "Code"]
    bibtex = card.select_one("details.tc-bibtex pre").get_text()
    assert bibtex.startswith("@inproceedings{shang2025llava,") and "areas" not in bibtex
    # LaTeX in titles and names renders as text.
    accents = page.find("article", id="paper-sch2024accents")
    assert accents.select_one(".tc-title").get_text().startswith(
        "Token Merging für Österreich: O(n^2) Costs & Benefits")
    assert accents.select_one(".tc-authors").get_text() == "Zoë Schön, Jürgen Müller, Qwen Team"
    # Long author lists are shortened with a way to see all.
    survey = page.find("article", id="paper-shao2025tokens")
    more = survey.select_one("details.tc-more-authors")
    assert more.summary.get_text() == "and 4 more"
    assert "Huan Wang" in more.get_text()
    assert "tc-preprint" in survey.select_one(".tc-venue")["class"]


def _search_index(outdir: Path) -> dict:
    text = read(outdir / "searchindex.js")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_search_index_has_every_title_and_author_word_on_the_canonical_page(copy_root, make_app):
    """Card text reaches Sphinx's search index on the paper's canonical page, each word given once."""
    from sphinx.search.en import SearchEnglish

    from sphinx_tc_ext.sphinx.config import get_bibliography
    from sphinx_tc_ext.sphinx.nodes import tc_cards

    app = make_app("html", srcdir=copy_root())
    given: list[str] = []  # the text of the papers page's grids, once rendered

    def note_grid_text(_app, doctree, docname: str) -> None:
        if docname == "papers":
            given.extend(word for node in doctree.findall(tc_cards) for word in node.astext().split())

    app.connect("doctree-resolved", note_grid_text, priority=900)
    app.build()
    index = _search_index(app.outdir)
    papers_page = index["docnames"].index("papers")
    lang = SearchEnglish({})
    bib = get_bibliography(app.config)
    for paper in bib.papers.values():
        for word in lang.split(f"{paper.title} {' '.join(paper.authors)}"):
            stemmed = lang.stem(word).lower()
            if not lang.word_filter(stemmed):
                continue
            pages = index["terms"].get(stemmed, index["titleterms"].get(stemmed))
            assert pages is not None, (paper.key, word)
            assert papers_page in (pages if isinstance(pages, list) else [pages]), (paper.key, word)
    assert given and len(given) == len(set(given))


@given(st.lists(st.text(alphabet="ab-. é'’\n\t", max_size=12), max_size=20))
def test_each_word_once_splits_into_the_same_words(texts):
    """Why giving each whitespace-separated word once is enough: no splitter finds words across whitespace."""
    from sphinx.search.en import SearchEnglish

    lang = SearchEnglish({})
    full = "\n".join(texts)
    once = " ".join(dict.fromkeys(full.split()))
    assert set(lang.split(full)) == set(lang.split(once))


def test_repeat_and_pseudo_groupings(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "repeat.html")
    repeated, venues = page.select("div.tc-paper-table")
    groups = {s["data-value"]: [c["data-key"] for c in s.select("article")]
              for s in repeated.find_all("section", recursive=False)}
    assert list(groups) == ["image", "video", "audio", "survey"]
    assert groups["video"] == ["shao2025tokens", "shang2025llava", "sch2024accents"]
    # Papers repeat across groups, ids stay unique; the first copy carries the canonical id.
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert "paper-shang2025llava-2" in ids
    assert [s["data-value"] for s in venues.find_all("section", recursive=False)] == ["published", "preprint"]
    published = venues.find("section", attrs={"data-value": "published"})
    labels = [h.get_text(" ", strip=True) for h in published.select("section h3")]
    assert labels == ["ACL 2025 Findings (1) ¶", "ICCV 2025 (1) ¶", "TMLR 2024 (1) ¶"]


def test_cards_link_back_to_canonical_page(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "area-image.html")
    card = page.find("article", id="paper-shang2025llava")
    assert card.select_one(".tc-permalink")["href"] == "papers.html#paper-shang2025llava"
    index = soup(app.outdir / "index.html")
    assert index.find("a", href="papers.html#paper-zeng2025glimpse") is not None


def test_assets_only_on_pages_with_tables(copy_root, build):
    app = build(copy_root())
    assert 'tc.css' in read(app.outdir / "papers.html")
    assert 'tc.css' not in read(app.outdir / "sections.html")
    css = read(app.outdir / "_static" / "tc-taxonomy.css")
    assert '.tc-badge[data-facet="area"][data-value="image"]{--tc-badge-bg:#6f42c1}' in css


def test_myst_directive(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "markdown.html")
    assert [c["data-key"] for c in page.select("article.tc-card")] == ["shang2025llava", "yeo2025mms"]


@pytest.mark.parametrize("builder", ["text", "latex"])
def test_other_builders_get_a_readable_list(copy_root, build, builder):
    app = build(copy_root(), builder)
    assert warnings_of(app) == ""
    if builder == "text":
        out = read(app.outdir / "papers.txt")
        assert "Image LLM / Attention-based (2)" in out
        assert "Token Merging für Österreich: O(n^2) Costs & Benefits" in out
        assert "Yuzhang Shang, Mu Cai" in out
    else:
        tex = read(next(app.outdir.glob("*.tex")))
        assert r"\sphinxhref{https://arxiv.org/abs/2403.15388}" in tex
        assert "tc-card" not in tex


def html_pages(outdir: Path) -> dict[str, str]:
    return {str(p.relative_to(outdir)): read(p) for p in sorted(outdir.rglob("*.html"))}


def test_parallel_build_equals_serial(copy_root, build):
    serial = build(copy_root(dest="serial"))
    parallel = build(copy_root(dest="parallel"), parallel=2)
    assert warnings_of(parallel) == ""
    assert html_pages(serial.outdir) == html_pages(parallel.outdir)


def test_incremental_build_picks_up_bib_and_taxonomy_edits(copy_root, make_app):
    src = copy_root()
    app = make_app("html", srcdir=src)
    app.build()
    assert "LLaVA-PruMerge: Adaptive" in read(app.outdir / "papers.html")
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("{LLaVA-PruMerge}: Adaptive", "{LLaVA-PruMerge}: Edited"), encoding="utf-8")
    taxonomy = src / "refs" / "taxonomy.toml"
    taxonomy.write_text(read(taxonomy).replace('label = "Query-based"', 'label = "Query-driven"'),
                        encoding="utf-8")
    app2 = make_app("html", srcdir=src)
    app2.build()
    for page in ("papers.html", "area-image.html", "area-video.html"):
        text = read(app2.outdir / page)
        assert "LLaVA-PruMerge: Edited" in text, page
        assert "LLaVA-PruMerge: Adaptive" not in text, page
    assert "Query-driven" in read(app2.outdir / "area-audio.html")


def test_broken_input_warns_with_locations_and_builds_the_rest(copy_root, build):
    app = build(copy_root("test-broken"))
    warnings = warnings_of(app)
    expected = [
        "refs/broken.bib:9: WARNING: entry 'unbalanced2025' skipped",
        "refs/broken.bib:20: WARNING: vocab2025: unknown area 'vidoe' in field 'areas' (did you mean 'video'?)",
        "refs/broken.bib:25: WARNING: duplicate key 'good2025first' (first defined at refs/broken.bib:1)",
        "refs/broken.bib:37: WARNING: links2025: url 'javascript:alert(1)' is not an http(s) link; link dropped "
        "[tc.url]",
        "refs/broken.bib:41: WARNING: notitle2025: no title; add a title field [tc.missing]",
        "refs/broken.bib:65: WARNING: good2025last: month '13' is not a month",
        "index.rst:6: WARNING: paper-table: bad :filter: 'areas has vidoe': unknown area value 'vidoe' "
        "(did you mean 'video'?) [tc.filter]",
        "index.rst:9: WARNING: paper-table: bad :filter: 'year >> 2020'",
        "index.rst:12: WARNING: paper-table: :group-by: takes one or two facets [tc.filter]",
        "index.rst:15: WARNING: paper-table: cannot sort by 'yeer' (did you mean 'year'?) [tc.filter]",
    ]
    for fragment in expected:
        assert fragment in warnings
    assert warnings.count("WARNING") == 16
    assert "Traceback" not in warnings
    page = soup(app.outdir / "index.html")
    assert {c["data-key"] for c in page.select("article.tc-card")} == {
        "good2025first", "vocab2025", "links2025", "notitle2025", "noyear", "noarea2025", "good2025last"}
    assert page.find("a", href=re.compile("^(javascript|ftp):")) is None


def test_suppress_warnings_silences_one_subtype(copy_root, build):
    app = build(copy_root("test-broken"), confoverrides={"suppress_warnings": ["tc.vocabulary", "tc.filter"]})
    warnings = warnings_of(app)
    assert "[tc.vocabulary]" not in warnings and "[tc.filter]" not in warnings
    assert "[tc.duplicate]" in warnings and "[tc.syntax]" in warnings


def test_made_up_survey_with_its_own_taxonomy(copy_root, build):
    app = build(copy_root("test-madeup"), warningiserror=True)
    page = soup(app.outdir / "index.html")
    first = page.select_one("div.tc-paper-table")
    assert [s["data-value"] for s in first.find_all("section", recursive=False)] == ["soup", "cake"]
    card = page.find("article", id="paper-baker2025cake")
    assert card["data-dish"] == "cake soup" and card["data-skill"] == "cutting"
    assert card.select_one('a.tc-badge[data-value="soup"]')["href"] == "#dish-soup"
    assert card.select_one('span.tc-badge[data-value="cake"]') is not None
    assert card.select_one(".tc-venue").get_text() == "arXiv 2025.03"
    css = read(app.outdir / "_static" / "tc-taxonomy.css")
    assert '[data-facet="dish"][data-value="cake"]{--tc-badge-bg:#9a3412}' in css


def test_broken_taxonomy_warns_naming_the_line_and_the_build_goes_on(copy_root, build):
    src = copy_root()
    (src / "refs" / "taxonomy.toml").write_text('[[facets]]\nid = "x"\n  [[facets.values]]\n  id = "Bad"\n',
                                                encoding="utf-8")
    app = build(src)
    warnings = app.warning.getvalue()
    assert re.search(r"refs/taxonomy.toml:4: WARNING: value id 'Bad' of facet 'x'.*\[tc.taxonomy\]", warnings)
    assert (app.outdir / "index.html").is_file()


def test_missing_bib_is_a_config_error(copy_root, make_app):
    src = copy_root()
    with pytest.raises(ConfigError, match=r"tc_bib_file: .*nothing\.bib does not exist"):
        make_app("html", srcdir=src, confoverrides={"tc_bib_file": "nothing.bib"})


def _docs_in(status: str, phase: str) -> set[str]:
    """Docnames Sphinx reported in the 'reading sources' or 'writing output' phase of a build log."""
    found = set()
    for line in re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", status)):  # colours, line erasing
        match = re.match(rf"{phase}\.\.\. \[\s*\d+%\] (\S+)", line.strip())
        if match:
            found.add(match.group(1))
    return found


def _rebuild(make_app, src):
    app = make_app("html", srcdir=src)
    app.build()
    app.cleanup()
    status = app.status.getvalue()
    return app, _docs_in(status, "reading sources"), _docs_in(status, "writing output")


def _counting_recounts(monkeypatch) -> list[dict]:
    """Note each matrix or chart that tracking counts again after a bib edit."""
    from sphinx_tc_ext.sphinx.selection import TableRecord

    recounted: list[dict] = []
    real = TableRecord.reselect

    def reselect(record: TableRecord, *args):
        if record.counted:
            recounted.append(record.options)
        return real(record, *args)

    monkeypatch.setattr(TableRecord, "reselect", reselect)
    return recounted


def test_editing_one_entry_rewrites_only_the_pages_that_show_it(copy_root, make_app, monkeypatch):
    src = copy_root()
    _rebuild(make_app, src)
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("{MMS-LLaMA}: Efficient", "{MMS-LLaMA}: Renamed"), encoding="utf-8")
    recounted = _counting_recounts(monkeypatch)
    app, reread, rewritten = _rebuild(make_app, src)
    assert recounted == []  # a title changes no count: "overview" is written for its card, not recounted
    # "sections" holds a sphinxcontrib-bibtex bibliography of the cited entries; MMS-LLaMA is cited, so
    # the generated bib it reads (tc-cite.bib) changes, and Sphinx re-reads the page when that file's
    # mtime is newer than the page's last read (not within one tick of the file clock); index, whose
    # toctree holds it, follows.
    assert reread <= {"sections"}
    assert rewritten - {"sections", "index"} == {"papers", "area-audio", "markdown", "repeat", "overview"}
    for page in ("papers", "area-audio", "markdown", "repeat"):
        assert "MMS-LLaMA: Renamed" in read(app.outdir / f"{page}.html")
    # Nothing changed: nothing is read or written, and the bib is not even parsed.
    app, reread, rewritten = _rebuild(make_app, src)
    assert reread == set() and rewritten == set()


def test_a_layout_only_bib_edit_is_parsed_once(copy_root, make_app):
    """An edit that changes no entry (blank lines, a comment) writes no page, so Sphinx keeps the old
    environment; the next builds must still know the bib is as good as unchanged, without parsing it."""
    src = copy_root()
    _rebuild(make_app, src)
    bib = src / "refs" / "survey.bib"
    bib.write_text("% reformatted\n\n" + read(bib).replace("\n}\n", "\n}\n\n"), encoding="utf-8")
    app, reread, rewritten = _rebuild(make_app, src)
    assert getattr(app.config, "_tc_bib", None) is not None  # parsed once, to compare the entries
    assert reread <= {"sections"} and rewritten <= {"sections", "index"}  # (sections: tc-cite.bib's mtime)
    for _ in range(2):
        app, reread, rewritten = _rebuild(make_app, src)
        assert getattr(app.config, "_tc_bib", None) is None  # not parsed again
        assert reread == set() and rewritten == set()
    bib.write_text(read(bib).replace("{MMS-LLaMA}: Efficient", "{MMS-LLaMA}: Renamed"), encoding="utf-8")
    app, reread, rewritten = _rebuild(make_app, src)  # a real edit after it is still seen
    assert "papers" in rewritten and "MMS-LLaMA: Renamed" in read(app.outdir / "papers.html")


def test_moving_an_entry_between_groups_rewrites_pages_whose_selection_changed(copy_root, make_app, monkeypatch):
    src = copy_root()
    _rebuild(make_app, src)
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("categories = {similarity}", "categories = {attention}"), encoding="utf-8")
    recounted = _counting_recounts(monkeypatch)
    app, reread, rewritten = _rebuild(make_app, src)
    assert recounted  # a category moved: the matrix and charts are counted again
    # Tables grouped by category are selected again and their pages written, not read: only the
    # page whose matrix and charts count categories is read again (and maybe the bibliography).
    assert reread - {"sections"} == {"overview"}
    assert {"area-video", "papers", "repeat", "overview"} <= rewritten
    clean = src.parent / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    clean_app = make_app("html", srcdir=clean)
    clean_app.build()
    assert html_pages(app.outdir) == html_pages(clean_app.outdir)
    video = soup(app.outdir / "area-video.html")
    attention = video.find("section", attrs={"data-value": "attention"})
    assert "sch2024accents" in [c["data-key"] for c in attention.select("article")]


def test_discussed_in_and_citations_land_on_cards(copy_root, build):
    app = build(copy_root())
    page = soup(app.outdir / "papers.html")
    survey = page.find("article", id="paper-shao2025tokens")
    links = {a["href"]: a.get_text() for a in survey.select(".tc-discussed a")}
    assert links == {"area-audio.html#area-audio": "Area audio", "area-image.html#area-image": "Area image",
                     "area-video.html#area-video": "Area video", "index.html#test-survey": "Test survey",
                     "overview.html#recent": "Overview › Recent"}
    index = soup(app.outdir / "index.html")
    cite = index.select_one(".bibtex-citation a")
    assert cite["href"] == "papers.html#paper-shao2025tokens"
    # Every "Discussed in" link resolves to an existing anchor.
    for card in page.select("article.tc-card"):
        for link in card.select(".tc-discussed a"):
            target_page, _, anchor = link["href"].partition("#")
            assert soup(app.outdir / target_page).find(id=anchor) is not None, link


def test_bibliography_page_follows_new_citations_incrementally(copy_root, make_app):
    src = copy_root()
    first = make_app("html", srcdir=src)
    first.build()
    assert "MMS-LLaMA" not in read(first.outdir / "sections.html")
    markdown = src / "markdown.md"
    markdown.write_text(read(markdown) + "\nAs {cite:t}`yeo2025mms` show.\n", encoding="utf-8")
    app = make_app("html", srcdir=src)
    app.build()
    assert "MMS-LLaMA" in read(app.outdir / "sections.html")


def test_backlinks_exclude_patterns(copy_root, build):
    app = build(copy_root(), confoverrides={"tc_backlinks_exclude": ["area-*"]})
    survey = soup(app.outdir / "papers.html").find("article", id="paper-shao2025tokens")
    assert [a["href"] for a in survey.select(".tc-discussed a")] == ["index.html#test-survey", "overview.html#recent"]


def test_a_bib_edit_writes_no_page_whose_html_stays_the_same(copy_root, make_app, tmp_path):
    """No page is read after a title edit, so no toctree changes: Sphinx's toctree parents of the
    written pages (index here) are not written again, and the site equals a clean build."""
    src = copy_root()
    app, _, _ = _rebuild(make_app, src)
    before = {p.relative_to(app.outdir).as_posix(): p.read_bytes() for p in Path(app.outdir).rglob("*.html")}
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("{LLaVA-PruMerge}: Adaptive", "{LLaVA-PruMerge}: Renamed"), encoding="utf-8")
    later = time.time() + 2
    os.utime(bib, (later, later))
    app, reread, rewritten = _rebuild(make_app, src)
    after = {p.relative_to(app.outdir).as_posix(): p.read_bytes() for p in Path(app.outdir).rglob("*.html")}
    changed = {name.removesuffix(".html") for name in after if after[name] != before.get(name)}
    # Sphinx 8 writes the root page on every build (Builder.write adds config.root_doc); Sphinx 9 does not.
    always = {"index"} if sphinx.version_info < (9,) else set()
    assert reread == set() and changed and "index" not in rewritten - always
    assert rewritten == changed | always
    clean = tmp_path / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    clean_app, _, _ = _rebuild(make_app, clean)
    assert after == {p.relative_to(clean_app.outdir).as_posix(): p.read_bytes()
                     for p in Path(clean_app.outdir).rglob("*.html")}
    assert app.env.files_to_rebuild  # set back once writing began
