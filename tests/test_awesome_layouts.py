"""Awesome lists in other layouts: bullet lists, method tables, a layout's family, facets of any taxonomy.

``tests/data/awesome/bullets`` is a bullet list in the layout the survey's list used until
August 2025 and ``tests/data/awesome/methods`` a method table; both are composed for these
tests (every paper in them is invented).
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.awesome.exporter import export_awesome
from sphinx_tc_ext.awesome.importer import import_awesome
from sphinx_tc_ext.awesome.layout import DEFAULT_LAYOUT, LAYOUT_FILE, load_layout, parse_layout
from sphinx_tc_ext.awesome.markdown import parse_badge, unstick_color
from sphinx_tc_ext.awesome.rows import parse_markdown, unread_lines
from sphinx_tc_ext.cli import main
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.problems import InputError
from sphinx_tc_ext.core.rules import load_venues
from sphinx_tc_ext.core.taxonomy import load_taxonomy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).parent
DATA = HERE / "data" / "awesome"
BULLETS = DATA / "bullets"
METHODS = DATA / "methods"
ROOT_TAXONOMY = HERE / "roots" / "test-survey" / "refs" / "taxonomy.toml"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT_TAXONOMY)


@pytest.fixture(scope="module")
def venues():
    return load_venues()


def by_key(result) -> dict[str, dict[str, str]]:
    return {e.key: {"@type": e.entry_type, **e.fields} for e in result.entries}


def kinds(result) -> Counter:
    return Counter(p.code for p in result.problems)


def layout_with(tmp_path: Path, edit) -> Path:
    """A copy of the packaged layout changed by ``edit(text) -> text``, next to a copy of the test taxonomy."""
    shutil.copy(ROOT_TAXONOMY, tmp_path / "taxonomy.toml")
    (tmp_path / LAYOUT_FILE).write_text(edit(DEFAULT_LAYOUT.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp_path / "taxonomy.toml"


# -- bullet lists ---------------------------------------------------------------------------------

def test_bullet_list_imports_every_field(taxonomy, venues):
    result = import_awesome(BULLETS, None, taxonomy, venues)
    assert result.count == 4  # the news item and the badge legend are not papers
    assert by_key(result) == {
        "auber2025sievekit": {
            "@type": "article", "title": "{SieveKit}: Dropping Visual Tokens by Conditional Diversity",
            "author": "Auber, Alice and Berg, Bo", "year": "2025", "month": "jun",
            "journal": "arXiv preprint arXiv:2506.11111", "eprint": "2506.11111", "archiveprefix": "arXiv",
            "url": "https://arxiv.org/abs/2506.11111", "areas": "image", "categories": "similarity",
            "cost": "training-free", "shortvenue": "arXiv 2025.06", "code": "https://github.com/alice/sievekit",
            "added": "2025-07-29"},
        # The title runs over two lines; the authors are on the line after it, cut short with "et al.";
        # the venue badge has no year: the arXiv id's.
        "cao2025long": {
            "@type": "inproceedings", "title": "Long Titles Break Across Lines: Token Merging Without Retraining",
            "author": "Cao, Chen and Dorn, Dana", "year": "2025",
            "booktitle": "International Conference on Learning Representations (ICLR)", "eprint": "2505.22222",
            "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2505.22222", "areas": "image, video",
            "categories": "attention", "shortvenue": "ICLR 2025", "added": "2025-07-29"},
        # `EMNLP--blue`: the colour stuck to the venue; a [CLS] in the title (written protected); a named
        # link after it; no authors.
        "anon2025cls": {
            "@type": "inproceedings", "title": "[{CLS}] Tokens Are All You Keep", "year": "2025",
            "booktitle": "Proceedings of the Conference on Empirical Methods in Natural Language Processing (EMNLP)",
            "eprint": "2504.33333", "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2504.33333",
            "areas": "image", "cost": "training-based", "shortvenue": "EMNLP 2025",
            "code": "https://github.com/erin/cls-keep", "added": "2025-07-29"},
        # "by A and B" after the title on the item's line; an HTML entity in the title.
        "eclair2025pruning": {
            "@type": "inproceedings", "title": "Pruning \\& Merging at Once", "author": "Éclair, Émile and Fang, Fu",
            "year": "2025",
            "booktitle": "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
            "eprint": "2412.44444", "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2412.44444",
            "areas": "image", "categories": "query", "shortvenue": "CVPR 2025 Highlight", "added": "2025-07-29"},
    }
    assert kinds(result) == {"venue-no-year": 2, "et-al": 1, "empty-authors": 1}
    line = {p.line for p in result.problems if p.code == "et-al"}
    assert line == {11}  # the item's first line, where a reader finds it


def test_bullet_item_rules(taxonomy):
    text = ("### 2023\n"
            "* [![Publish](https://img.shields.io/badge/ICCV-2023-blue)]() [A Title](https://arxiv.org/abs/2301.00001)\n"
            "  Ann Ames, Ben Bo\n"
            "  [![Area](https://img.shields.io/badge/Image--LLM-purple)]()\n"
            "* [A Link Without Badges](https://arxiv.org/abs/2301.00002)\n"
            "+ ![Arxiv](https://img.shields.io/badge/arXiv-2023.01-red) "
            "[Plain Image Badge](https://arxiv.org/abs/2301.00003): Cy Cole\n")
    unread: list = []
    rows = parse_markdown(text, "list.md", taxonomy, [], unread=unread)
    assert [(r.line, r.section, r.title, r.authors) for r in rows] == [
        (2, "2023", "A Title", ["Ann Ames", "Ben Bo"]), (6, "2023", "Plain Image Badge", ["Cy Cole"])]
    assert rows[0].venue.label == "ICCV" and rows[0].tags == [("area", "image")]
    assert rows[1].preprint is not None and rows[1].preprint.message == "2023.01"
    assert [(p.line, "does not start with a badge" in p.message) for p in unread] == [(5, True)]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["* ", "- ", "  ", "[![A](https://img.shields.io/badge/x-y-red)]()", "![B](s)",
                                 "[T](u)", "[", "]", "(", ")", "\n", "|", "<br>", "et al.", "#", "Ann, Bo",
                                 "\\", "`", "**"]), max_size=30).map("".join))
def test_the_reader_never_crashes_on_items(taxonomy, text):
    unread: list = []
    parse_markdown(text, "x.md", taxonomy, [], unread=unread)


# -- method tables ------------------------------------------------------------------------------

def test_method_table_imports_every_field(taxonomy, venues):
    result = import_awesome(METHODS, None, taxonomy, venues)
    assert by_key(result) == {
        # A plain image badge whose alt text is the venue; authors after the title link, "et al."; a check mark.
        "gray2024half": {
            "@type": "inproceedings", "title": "Half the Tokens After Layer Two", "author": "Gray, Gina and He, Hao",
            "year": "2024", "booktitle": "Proceedings of the European Conference on Computer Vision (ECCV)",
            "eprint": "2403.55555", "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2403.55555",
            "areas": "image", "categories": "attention", "cost": "training-free", "shortvenue": "ECCV 2024",
            "aka": "GlanceV", "code": "https://github.com/gina/glancev", "added": "2025-07-29"},
        # A linked name; CVPR'25 Highlight in the alt text; authors after <br>; a check mark without a link.
        "ilic2025merge": {
            "@type": "inproceedings", "title": "Merge Tokens, Not Models", "author": "Ilic, Ivo and Jiang, Jun",
            "year": "2025",
            "booktitle": "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
            "eprint": "2410.66666", "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2410.66666",
            "areas": "image, video", "categories": "similarity", "cost": "training-based",
            "shortvenue": "CVPR 2025 Highlight", "aka": "MergeMe", "added": "2025-07-29"},
        "kim2025query": {
            "@type": "article", "title": "Query-Guided Sifting of Audio Tokens", "author": "Kim, Kai", "year": "2025",
            "month": "feb", "journal": "arXiv preprint arXiv:2502.77777", "eprint": "2502.77777",
            "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2502.77777", "areas": "audio",
            "categories": "query", "shortvenue": "arXiv 2025.02", "aka": "Q-Sift",
            "code": "https://github.com/kai/q-sift", "added": "2025-07-29"},
        # A venue badge without a year: the arXiv id's year.
        "lund2024tokens": {
            "@type": "inproceedings", "title": "Tokens Without a Year Badge", "author": "Lund, Lea", "year": "2024",
            "booktitle": "Advances in Neural Information Processing Systems (NeurIPS)", "eprint": "2409.88888",
            "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2409.88888", "areas": "image",
            "shortvenue": "NeurIPS 2024", "aka": "OddVenue", "added": "2025-07-29"},
    }
    assert kinds(result) == {"et-al": 1, "venue-no-year": 1}


def test_aka_is_left_out_of_the_bibtex_copy(taxonomy, venues):
    result = import_awesome(METHODS, None, taxonomy, venues)
    bib = parse_bib_text(result.text, "survey.bib", taxonomy)
    paper = bib.papers["gray2024half"]
    assert paper.aka == "GlanceV"
    assert "aka" not in paper.clean_bibtex(taxonomy.hidden_bibtex_fields)
    assert "aka" in paper.clean_bibtex(())


def test_method_table_layout_exports_the_name_column_and_reads_it_back(tmp_path, venues):
    tax_path = layout_with(tmp_path, lambda text: text.replace("\nexport = false", "\nexport = true"))
    taxonomy = load_taxonomy(tax_path)
    bib = parse_bib_text(import_awesome(METHODS, None, taxonomy, venues).text, "survey.bib", taxonomy)
    files = export_awesome(bib, taxonomy, venues)
    assert "| **Method** | **Title & Authors** | **Areas** | **Tags** | **Links** |" in files["image-llm.md"]
    assert "|  **GlanceV** |  " in files["image-llm.md"]
    out = tmp_path / "list"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    again = import_awesome(out, None, taxonomy, venues)
    assert {e.key: e.fields.get("aka") for e in again.entries} == {
        "gray2024half": "GlanceV", "ilic2025merge": "MergeMe", "kim2025query": "Q-Sift", "lund2024tokens": "OddVenue"}
    # The packaged layout leaves the column out, so today's list is written as before.
    packaged = export_awesome(bib, load_taxonomy(ROOT_TAXONOMY), venues)
    assert "GlanceV" not in packaged["image-llm.md"] and "**Method**" not in packaged["image-llm.md"]


# -- the layout's family ---------------------------------------------------------------------------

def test_the_family_says_which_layouts_are_read(tmp_path, venues):
    tax_path = layout_with(tmp_path, lambda text: text.replace('family = "detect"', 'family = "bullet-list"'))
    taxonomy = load_taxonomy(tax_path)
    assert import_awesome(BULLETS, None, taxonomy, venues).count == 4
    assert import_awesome(METHODS, None, taxonomy, venues).count == 0
    unread = unread_lines(sorted(METHODS.glob("*.md")), taxonomy)
    assert [(p.line, p.code) for p in unread] == [(6, "unread")]
    assert "a method-table, but the layout reads bullet-lists only" in unread[0].message


def test_an_unknown_family_is_reported_at_its_line(tmp_path):
    tax_path = layout_with(tmp_path, lambda text: text.replace('family = "detect"', 'family = "method-tables"'))
    with pytest.raises(InputError) as caught:
        load_layout(tax_path.parent / LAYOUT_FILE)
    (problem,) = caught.value.problems
    lines = (tax_path.parent / LAYOUT_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1].startswith("family = ")
    assert "did you mean 'method-table'?" in problem.message


# -- a list without papers ----------------------------------------------------------------------

def test_a_list_without_paper_rows_is_an_error_that_shows_what_it_could_not_read(tmp_path, capsys):
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "README.md").write_text(
        "# A list\n\nSome prose.\n\n| Name | Venue |\n| --- | --- |\n| FastV | ECCV |\n\n"
        "- [A paper](https://arxiv.org/abs/2403.06764) by Someone\n", encoding="utf-8")
    out = tmp_path / "survey.bib"
    code = main(["import-awesome", str(tmp_path / "list"), "-o", str(out), "--taxonomy", str(ROOT_TAXONOMY)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "papers read" not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    readme = tmp_path / "list" / "README.md"
    assert lines[0].startswith(f"{readme}:5: not read as papers: a table whose header (Name | Venue) has no title")
    assert lines[1].startswith(f"{readme}:9: not read as papers: a bullet item that does not start with a badge")
    assert lines[2].startswith(f"{readme}:1: no paper found in 1 Markdown file(s)")
    assert len(lines) == 3


def test_an_empty_file_is_an_error_too(tmp_path, capsys):
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    code = main(["import-awesome", str(tmp_path / "empty.md"), "-o", str(tmp_path / "out.bib"),
                 "--taxonomy", str(ROOT_TAXONOMY)])
    err = capsys.readouterr().err
    assert code == 1 and "it holds no table and no bullet item" in err


# -- badges and facets ------------------------------------------------------------------------------

def test_a_colour_stuck_to_the_venue_is_split_off():
    badge = parse_badge("Publish", "https://img.shields.io/badge/EMNLP--blue", "")
    assert (badge.label, badge.color) == ("EMNLP-blue", "")  # shields.io's reading of the path
    fixed = unstick_color(badge)
    assert (fixed.label, fixed.message, fixed.color) == ("EMNLP", "", "blue")
    for kept in ("https://img.shields.io/badge/Image--LLM", "https://img.shields.io/badge/EMNLP-2025-blue"):
        assert unstick_color(parse_badge("Publish", kept, "")) == parse_badge("Publish", kept, "")


def test_a_facet_without_a_layout_entry_is_read_by_its_label(tmp_path, venues):
    tax_path = tmp_path / "taxonomy.toml"
    tax_path.write_text(ROOT_TAXONOMY.read_text(encoding="utf-8") + """
[[facets]]
id = "modality"
field = "modalities"
label = "Input"
description = "What the model reads."
multi = true

  [[facets.values]]
  id = "speech"
  label = "Speech"
  description = "Spoken input."
""", encoding="utf-8")
    taxonomy = load_taxonomy(tax_path)
    layout = load_layout(DEFAULT_LAYOUT)
    modality = taxonomy.facet("modality")
    kind = layout.facet_badge(modality, taxonomy)
    assert kind.alt == "Input"  # what the export writes, so the import knows the facet
    row = ("| Title | Tags |\n| --- | --- |\n| [![Arxiv](https://img.shields.io/badge/arXiv-2025.01-red)]()"
           "<br>[T](https://arxiv.org/abs/2501.00001)<br>Ann Ames | [![Input](https://img.shields.io/badge/Speech-orange)]()"
           " [![modalities](https://img.shields.io/badge/Speech-orange)]() |\n")
    problems: list = []
    (parsed,) = parse_markdown(row, "x.md", taxonomy, problems, layout)
    assert parsed.tags == [("modality", "speech"), ("modality", "speech")] and problems == []


def test_the_packaged_layout_reads_every_family():
    data = tomllib.loads(DEFAULT_LAYOUT.read_text(encoding="utf-8"))
    layout = parse_layout(data, str(DEFAULT_LAYOUT))
    assert layout.family == "detect"
    assert [c.role for c in layout.columns] == ["title", "areas", "tags", "links"]  # what the export writes
    assert layout.column_role("method") == "name" and layout.column_role("paper") == "title"


# -- the card ------------------------------------------------------------------------------------------

def test_the_card_shows_the_nickname_and_the_search_finds_it(copy_root, build):
    app = build(copy_root())
    page = BeautifulSoup((app.outdir / "papers.html").read_text(encoding="utf-8"), "html.parser")
    card = page.find("article", id="paper-zeng2025glimpse")
    aka = card.select_one(".tc-title .tc-aka")
    assert aka is not None and aka.get_text() == "GlimpsePrune"
    assert card.select_one(".tc-title a").get_text().startswith("A Glimpse to Compress")
    assert "aka" not in card.select_one("details.tc-bibtex pre").get_text()
    assert page.find("article", id="paper-shang2025llava").select_one(".tc-aka") is None
    index = (app.outdir / "searchindex.js").read_text(encoding="utf-8")
    assert '"glimpseprun' in index  # the stemmed nickname


def test_a_merge_adds_the_nickname_and_keeps_one_the_list_does_not_give(tmp_path, taxonomy, venues):
    bib = tmp_path / "survey.bib"
    bib.write_text(import_awesome(METHODS, None, taxonomy, venues).text.replace("  aka = {GlanceV},\n", ""),
                   encoding="utf-8")
    result = import_awesome(METHODS, bib, taxonomy, venues)
    assert ("updated", "gray2024half", "aka") in result.changes
    assert "  aka = {GlanceV},\n" in result.text
    # A bullet list has no name column: a hand-written nickname stays.
    bullets = tmp_path / "bullets.bib"
    text = import_awesome(BULLETS, None, taxonomy, venues).text
    bullets.write_text(text.replace("  shortvenue = {ICLR 2025},\n", "  shortvenue = {ICLR 2025},\n  aka = {LTB},\n"),
                       encoding="utf-8")
    again = import_awesome(BULLETS, bullets, taxonomy, venues)
    assert ("unchanged", "cao2025long", "") in again.changes and "  aka = {LTB},\n" in again.text
