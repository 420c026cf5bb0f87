"""The bib model: parsing, validation messages with file:line, derived display values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.bibmodel import load_bibliography, parse_bib_text
from sphinx_tc_ext.latex import latex_to_text
from sphinx_tc_ext.schema import SITE_ONLY_FIELDS
from sphinx_tc_ext.taxonomy import load_taxonomy

ROOTS = Path(__file__).parent / "roots"
TAXONOMY = load_taxonomy(Path(__file__).parent.parent / "refs" / "taxonomy.toml")


def parse(text: str):
    return parse_bib_text(text, "x.bib", TAXONOMY)


def test_test_root_bib_is_clean_and_complete():
    bib = load_bibliography(ROOTS / "test-survey" / "refs" / "survey.bib", TAXONOMY)
    assert bib.problems == []
    assert len(bib) == 5
    paper = bib.get("sch2024accents")
    assert paper.title == "Token Merging für Österreich: O(n^2) Costs & Benefits"
    assert paper.authors == ["Zoë Schön", "Jürgen Müller", "Qwen Team"]
    assert paper.venue == "TMLR 2024" and paper.venue_kind == "published"
    assert paper.month == 11
    assert paper.links == {"project": "https://example.org/merging"}
    survey = bib.get("shao2025tokens")
    assert survey.venue_kind == "preprint"
    assert survey.links["paper"] == "https://arxiv.org/abs/2507.20198"
    assert survey.facets == {"area": ("image", "video", "audio", "survey"), "category": (), "cost": ()}
    assert survey.line == 3 and survey.field_lines["areas"] == 11


def test_broken_bib_reports_every_problem_and_keeps_the_rest():
    bib = load_bibliography(ROOTS / "test-broken" / "refs" / "broken.bib", TAXONOMY, display_path="broken.bib")
    found = [(p.line, p.subtype, p.message) for p in bib.problems]
    expected_fragments = [
        (9, "syntax", "entry 'unbalanced2025' skipped"),
        (20, "vocabulary", "unknown area 'vidoe' in field 'areas' (did you mean 'video'?)"),
        (21, "vocabulary", "unknown category 'atention' in field 'categories' (did you mean 'attention'?)"),
        (22, "vocabulary", "field 'cost' takes one value"),
        (25, "duplicate", "duplicate key 'good2025first' (first defined at broken.bib:1)"),
        (37, "url", "url 'javascript:alert(1)' is not an http(s) link; link dropped"),
        (38, "url", "code link 'ftp://example.org/code' is not an http(s) link"),
        (41, "missing", "notitle2025: no title"),
        (47, "missing", "noyear: no year"),
        (51, "date", "added date '2025-02-30' is not a real YYYY-MM-DD date"),
        (54, "missing", "noarea2025: no area"),
        (65, "date", "month '13' is not a month"),
    ]
    assert len(found) == len(expected_fragments)
    for (line, subtype, message), (eline, esubtype, fragment) in zip(found, expected_fragments, strict=True):
        assert (line, subtype) == (eline, esubtype), message
        assert fragment in message
    # One broken entry hides nothing: every other entry is still there.
    assert set(bib.papers) == {"good2025first", "vocab2025", "links2025", "notitle2025", "noyear", "noarea2025",
                               "good2025last"}
    assert bib.get("good2025first").title == "A Good Entry Before the Mistakes"
    assert bib.get("vocab2025").facets["area"] == ("image",)
    assert "paper" not in bib.get("links2025").links


def test_alias_values_are_mapped_with_a_warning():
    bib = parse("@article{a2025x, title={X}, year={2025}, areas={Video-LLM}}")
    assert bib.get("a2025x").facets["area"] == ("video",)
    assert [p.message for p in bib.problems] == [
        "a2025x: 'Video-LLM' in field 'areas' is not a value id (did you mean 'video'?); using 'video'"]


def test_string_macros_and_concatenation():
    bib = parse('@string{conf = "Conference on Tests"}\n'
                '@inproceedings{a2025x, title={X}, booktitle = conf # " 2025", year={2025}, areas={image}}')
    assert bib.problems == []
    assert bib.get("a2025x").fields["booktitle"] == "Conference on Tests 2025"
    assert bib.get("a2025x").venue == "Conference on Tests 2025 2025"


def test_clean_bibtex_drops_site_only_fields():
    bib = load_bibliography(ROOTS / "test-survey" / "refs" / "survey.bib", TAXONOMY)
    text = bib.get("shang2025llava").clean_bibtex(SITE_ONLY_FIELDS | {"areas", "categories", "cost"})
    assert text.startswith("@inproceedings{shang2025llava,\n  author = {Shang, Yuzhang and Cai, Mu")
    for dropped in ("areas", "categories", "cost", "shortvenue", "code", "added"):
        assert f"  {dropped} =" not in text
    assert "  booktitle = {Proceedings of the IEEE/CVF" in text
    reparsed = parse(text)
    assert reparsed.get("shang2025llava").title == bib.get("shang2025llava").title


def test_cache_returns_same_object_until_the_file_changes(tmp_path):
    path = tmp_path / "a.bib"
    path.write_text("@article{a2025x, title={X}, year={2025}, areas={image}}", encoding="utf-8")
    first = load_bibliography(path, TAXONOMY)
    assert load_bibliography(path, TAXONOMY) is first
    path.write_text("@article{a2025x, title={Y changed}, year={2025}, areas={image}}", encoding="utf-8")
    second = load_bibliography(path, TAXONOMY)
    assert second is not first and second.get("a2025x").title == "Y changed"


@pytest.mark.parametrize(("latex", "text"), [
    (r"{LLaVA}-PruMerge: \& Co", "LLaVA-PruMerge: & Co"),
    (r"Sch{\"o}n \'{e}t\'e", "Schön été"),
    (r"cost $O(n^2)$ at 100\%", "cost O(n^2) at 100%"),
    (r"{\bf Bold} and \textit{italic}", "Bold and italic"),
    (r"a--b---c", "a–b—c"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
])
def test_latex_to_text(latex, text):
    assert latex_to_text(latex) == text


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_latex_to_text_never_crashes(value):
    result = latex_to_text(value)
    assert "{" not in result and "}" not in result


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
@settings(max_examples=300, deadline=None)
def test_parser_never_crashes_on_arbitrary_text(text):
    bib = parse(text)
    for problem in bib.problems:
        assert problem.path == "x.bib" and problem.line >= 1


field_text = st.text(alphabet=st.characters(blacklist_characters="{}\\", blacklist_categories=("Cs", "Cc")),
                     min_size=1, max_size=40).filter(lambda s: s.strip())


@given(field_text, field_text)
@settings(max_examples=200, deadline=None)
def test_any_brace_free_title_and_author_survive(title, author):
    bib = parse(f"@article{{k2025x,\n  title = {{{title}}},\n  author = {{{author}}},\n  year = {{2025}},\n"
                "  areas = {image},\n}\n")
    paper = bib.get("k2025x")
    assert paper is not None
    assert paper.title == latex_to_text(" ".join(title.split()))


_ENTRY_LINE = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)


@given(st.lists(st.sampled_from(["@", "@article{", "@ string (", "@Misc {", " ", "\t", "\n", "\r\n", "{", "a",
                                 "x@y.org", "@@", "\u2028", "é"]), max_size=40).map("".join))
def test_entry_starts_are_the_lines_a_multiline_expression_finds(text):
    """bibmodel.entry_starts scans ``@`` signs; it must find what ``^[ \\t]*@[ \\t]*type[ \\t]*[{(]`` finds."""
    from sphinx_tc_ext.bibmodel import entry_starts

    assert entry_starts(text) == [m.start() for m in _ENTRY_LINE.finditer(text)]
