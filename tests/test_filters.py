"""The :filter: language, sorting and facet lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.core.filters import FilterError, compile_filter, parse_facet_list, parse_sort, sort_papers
from sphinx_tc_ext.core.selection import make_id
from sphinx_tc_ext.core.taxonomy import load_taxonomy

ROOTS = Path(__file__).parent / "roots"
TAXONOMY = load_taxonomy(Path(__file__).parent / "roots" / "test-survey" / "refs" / "taxonomy.toml")
BIB = load_bibliography(ROOTS / "test-survey" / "refs" / "survey.bib", TAXONOMY)
PAPERS = list(BIB.papers.values())


def keys(source: str) -> set[str]:
    predicate = compile_filter(source, TAXONOMY)
    return {p.key for p in PAPERS if predicate(p)}


@pytest.mark.parametrize(("source", "expected"), [
    ("areas has video", {"shao2025tokens", "shang2025llava", "sch2024accents"}),
    ("area has video", {"shao2025tokens", "shang2025llava", "sch2024accents"}),
    ("areas has video and year >= 2025", {"shao2025tokens", "shang2025llava"}),
    ("cost == training-free", {"shang2025llava", "sch2024accents"}),
    ("cost != training-free", {"shao2025tokens", "zeng2025glimpse", "yeo2025mms"}),
    ("key in [shao2025tokens, yeo2025mms]", {"shao2025tokens", "yeo2025mms"}),
    ("categories in [query, similarity]", {"yeo2025mms", "sch2024accents"}),
    ("areas has Video-LLM", {"shao2025tokens", "shang2025llava", "sch2024accents"}),
    ("not categories", {"shao2025tokens"}),
    ("code and not kind == preprint", {"shang2025llava", "yeo2025mms"}),
    ("model", {"zeng2025glimpse"}),
    ("(areas has audio or areas has image) and not year < 2025",
     {"shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms"}),
    ("title has 'token merging'", {"sch2024accents"}),
    ('author has "zoë"', {"sch2024accents"}),
    ("venue == 'ICCV 2025'", {"shang2025llava"}),
    ("added >= 2025-08-01", {"zeng2025glimpse"}),
    ("month == 11 AND year == 2024", {"sch2024accents"}),
])
def test_filter_semantics(source, expected):
    assert keys(source) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("", "the filter is empty"),
    ("areas has vidoe", "unknown area value 'vidoe' (did you mean 'video'?)"),
    ("aeras has video", "unknown field 'aeras' at column 1 (did you mean 'areas'?)"),
    ("year >= ", "expected a value at column 9"),
    ("year >= twenty", "year compares with whole numbers"),
    ("areas has video year", "unexpected 'year' at column 17"),
    ("(areas has video", "expected ')'"),
    ("cost > training-free", "cost values have no order"),
    ("key in [a, ]", "expected a value"),
    ("year has 2025", "'has' tests a list or text"),
    ("code == x", "'code' is a link"),
    ("title == 'x' !", "unexpected character '!'"),
])
def test_filter_errors_are_readable(source, message):
    with pytest.raises(FilterError, match=None) as info:
        compile_filter(source, TAXONOMY)
    assert message in str(info.value)


@given(st.text(max_size=80))
@settings(max_examples=500, deadline=None)
def test_arbitrary_filters_only_raise_filter_error(source):
    try:
        predicate = compile_filter(source, TAXONOMY)
    except FilterError:
        return
    for paper in PAPERS:
        assert predicate(paper) in (True, False)


words = st.sampled_from(["areas", "has", "video", "and", "or", "not", "(", ")", "year", ">=", "2025", "[",
                         "]", ",", "in", "cost", "==", "training-free", "key", "'x y'", "code"])


@given(st.lists(words, max_size=12))
@settings(max_examples=500, deadline=None)
def test_token_soup_only_raises_filter_error(parts):
    try:
        compile_filter(" ".join(parts), TAXONOMY)
    except FilterError:
        pass


def test_sort():
    order = [p.key for p in sort_papers(PAPERS, parse_sort("-year, title"))]
    assert order == ["zeng2025glimpse", "shang2025llava", "yeo2025mms", "shao2025tokens", "sch2024accents"]
    assert [p.key for p in sort_papers(PAPERS, parse_sort("-date"))][:2] == ["zeng2025glimpse", "shao2025tokens"]
    with pytest.raises(FilterError, match="cannot sort by 'yeer' \\(did you mean 'year'\\?\\)"):
        parse_sort("-yeer")
    with pytest.raises(FilterError, match="empty"):
        parse_sort(" , ")


def test_facet_lists():
    assert parse_facet_list("areas, category", TAXONOMY, ":group-by:") == ["area", "category"]
    assert parse_facet_list("area, year, search", TAXONOMY, ":facets:", extra=("year", "search")) == \
        ["area", "year", "search"]
    with pytest.raises(FilterError, match="unknown facet 'mechanism' in :group-by:"):
        parse_facet_list("mechanism", TAXONOMY, ":group-by:")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=20) | st.sampled_from(
    ["CVPR 2025", "Æsir Straße", "Łódź ĳ", "-12 NeurIPS", "_a_b_", "  "]))
def test_venue_ids_are_the_ids_docutils_makes(text):
    """The core makes venue anchors without docutils, as docutils would."""
    from docutils.nodes import make_id as docutils_make_id

    assert make_id(text) == docutils_make_id(text)
