"""The bib model: parsing, validation messages with file:line, derived display values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.schema import SITE_ONLY_FIELDS
from sphinx_tc_ext.core.taxonomy import load_taxonomy

ROOTS = Path(__file__).parent / "roots"
# The test root's taxonomy: the survey's own, with cost single-valued (so TC107 has a facet to check).
TAXONOMY = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")


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
    """bibread.entry_starts scans ``@`` signs; it must find what ``^[ \\t]*@[ \\t]*type[ \\t]*[{(]`` finds."""
    from sphinx_tc_ext.core.bibread import entry_starts

    assert entry_starts(text) == [m.start() for m in _ENTRY_LINE.finditer(text)]


def test_a_stray_at_line_between_entries_keeps_the_entry_before():
    text = ("@article{first2025,\n  title = {First},\n  year = {2025},\n  areas = {image},\n}\n"
            "Maintainer: someone@example.org (ping me)\n"
            "@article{second2025,\n  title = {Second},\n  year = {2025},\n  areas = {image},\n}\n")
    bib = parse(text)
    assert list(bib.papers) == ["first2025", "second2025"]
    assert bib.get("second2025").line == 7
    assert [(p.line, p.column, p.code) for p in bib.problems if p.code] == [(6, 20, "TC174")]
    assert not any("skipped" in p.message for p in bib.problems)


def test_a_latin1_byte_costs_one_character_not_the_file(tmp_path):
    path = tmp_path / "latin1.bib"
    path.write_bytes(b"@article{a2025,\n  title = {Caf\xe9 Tokens},\n  year = {2025},\n  areas = {image},\n}\n")
    bib = load_bibliography(path, TAXONOMY, display_path="latin1.bib")
    assert bib.get("a2025").title == "Caf\ufffd Tokens"
    (problem,) = [p for p in bib.problems if p.code == "TC173"]
    assert (str(problem), problem.column) == (
        "latin1.bib:2: byte 0xE9 at column 15 is not UTF-8 (the file was probably saved as Latin-1 or "
        "Windows-1252); the site shows it as '\ufffd': re-save the file as UTF-8, or write the character as a "
        "LaTeX command such as {\\'e}", 15)


def test_an_empty_bib_says_so():
    for text in ("", "% just a comment\n", "@string{v = {V}}\n"):
        assert [(p.line, p.subtype, p.code) for p in parse(text).problems] == [(1, "missing", "TC121")]
    assert not [p for p in parse("@misc{broken,\n title = {x\n").problems if p.code == "TC121"]


def test_colliding_anchors_get_a_stable_suffix_and_others_keep_theirs(tmp_path):
    from sphinx_tc_ext.core.model import distinct_anchors, paper_anchor, plain_anchor

    entry = "@article{{{},\n  title = {{T{}}},\n  year = {{2025}},\n  areas = {{image}},\n}}\n"
    keys = ["smith2025:vit", "plain2025", "smith2025/vit", "smith2025.vit"]
    path = tmp_path / "anchors.bib"
    path.write_text("".join(entry.format(key, n) for n, key in enumerate(keys)))
    bib = load_bibliography(path, TAXONOMY)
    anchors = {key: bib.get(key).anchor for key in keys}
    assert anchors["smith2025:vit"] == paper_anchor("smith2025:vit") == "paper-smith2025-vit"
    assert anchors["plain2025"] == "paper-plain2025"
    assert len(set(anchors.values())) == 4
    for key in ("smith2025/vit", "smith2025.vit"):
        assert anchors[key] == plain_anchor(key) + "-" + __import__("hashlib").sha1(key.encode()).hexdigest()[:8]
        assert paper_anchor(key) == anchors[key]  # roles, feed and permalinks ask by key
    assert [(p.line, p.code) for p in bib.problems] == [(11, "TC115"), (16, "TC115")]
    assert distinct_anchors(keys) == distinct_anchors(list(keys))  # the same in every build


#: One bib text per kind of problem the reader finds, and the check code it must carry.
PROBLEM_KINDS = {
    "syntax-error": ("@article{k, title = {A} year = {2025}}\n", "TC101"),
    "unbalanced-braces": ("@article{k, title = {{A}, year = {2025}, areas = {image}}\n", "TC102"),
    "no-key": ("@article{, title = {A}, year = {2025}, areas = {image}}\n", "TC101"),
    "duplicate-key": ("@misc{k, title = {A}, year = {2025}, areas = {image}}\n"
                      "@misc{K, title = {B}, year = {2025}, areas = {image}}\n", "TC111"),
    "anchor-collision": ("@misc{a:b, title = {A}, year = {2025}, areas = {image}}\n"
                         "@misc{a/b, title = {B}, year = {2025}, areas = {image}}\n", "TC115"),
    "no-entries": ("% nothing\n", "TC121"),
    "stray-text": ("@misc{k, title = {A}, year = {2025}, areas = {image}}\nme@example.org\n", "TC174"),
    "control-in-key": ("@misc{k\x01x, title = {A}, year = {2025}, areas = {image}}\n", "TC172"),
    "control-in-field": ("@misc{k, title = {A\x01}, year = {2025}, areas = {image}}\n", "TC172"),
    "field-twice": ("@misc{k, title = {A}, title = {B}, year = {2025}, areas = {image}}\n", "TC103"),
    "empty-author": ("@misc{k, title = {A}, author = {}, year = {2025}, areas = {image}}\n", "TC140"),
    "malformed-author": ("@misc{k, title = {A}, author = {Doe, J, Jr, X}, year = {2025}, areas = {image}}\n",
                         "TC141"),
    "no-title": ("@misc{k, year = {2025}, areas = {image}}\n", "TC120"),
    "no-year": ("@misc{k, title = {A}, areas = {image}}\n", "TC120"),
    "no-facet": ("@misc{k, title = {A}, year = {2025}}\n", "TC120"),
    "bad-year": ("@misc{k, title = {A}, year = {25}, areas = {image}}\n", "TC150"),
    "bad-month": ("@misc{k, title = {A}, year = {2025}, month = {Summer}, areas = {image}}\n", "TC151"),
    "bad-added": ("@misc{k, title = {A}, year = {2025}, added = {2025-02-30}, areas = {image}}\n", "TC152"),
    "value-alias": ("@misc{k, title = {A}, year = {2025}, areas = {Image-LLM}}\n", "TC106"),
    "unknown-value": ("@misc{k, title = {A}, year = {2025}, areas = {image, vidoe}}\n", "TC105"),
    "too-many-values": ("@misc{k, title = {A}, year = {2025}, areas = {image},\n"
                        "  cost = {training-free, training-based}}\n", "TC107"),
    "bad-url": ("@misc{k, title = {A}, year = {2025}, url = {ftp://x}, areas = {image}}\n", "TC131"),
    "bad-doi": ("@misc{k, title = {A}, year = {2025}, doi = {doi:10.1/x}, areas = {image}}\n", "TC131"),
    "bad-link": ("@misc{k, title = {A}, year = {2025}, code = {github.com/o/r}, areas = {image}}\n", "TC131"),
}


@pytest.mark.parametrize("kind", list(PROBLEM_KINDS))
def test_every_reader_problem_carries_its_check_code(kind):
    """The reader sets each problem's code where it makes it; ``check`` reports that code as is."""
    from sphinx_tc_ext.core.codes import CODES_BY_ID

    text, code = PROBLEM_KINDS[kind]
    problems = parse(text).problems
    assert code in [p.code for p in problems], problems
    for problem in problems:
        assert problem.code in CODES_BY_ID, problem
        assert CODES_BY_ID[problem.code].subtype == problem.subtype, problem


def test_unreadable_and_undecodable_files_carry_their_codes(tmp_path):
    utf16 = tmp_path / "utf16.bib"
    utf16.write_bytes("@misc{k, title = {A}}".encode("utf-16"))
    latin1 = tmp_path / "latin1.bib"
    latin1.write_bytes("@misc{k, title = {Caf\xe9}, year = {2025}, areas = {image}}\n".encode("latin-1"))
    codes = [[p.code for p in load_bibliography(path, TAXONOMY).problems]
             for path in (tmp_path / "missing.bib", utf16, latin1)]
    assert codes == [["TC100"], ["TC100"], ["TC173"]]
