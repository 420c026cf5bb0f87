"""A bib edit skips re-selecting a table only when the table cannot show anything else."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.selection import select_table
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from sphinx_tc_ext.sphinx.selection import FIXED, PAPERS, TableRecord
from tc_testing import REPO

CORPUS = REPO / "tests" / "data" / "corpus"  # a frozen copy of the survey: editing refs/ cannot break these
TAXONOMY = load_taxonomy(CORPUS / "taxonomy.toml")
BIB = load_bibliography(CORPUS / "survey.bib", TAXONOMY)
KEYS = sorted(BIB.papers)

TABLES = [
    {},
    {"filter": "areas has video", "group-by": "category"},
    {"filter": "areas has audio and year >= 2025", "sort": "title"},
    {"filter": "cost == training-free", "group-by": "year"},
    {"filter": "title has token", "group-by": "kind, venue", "sort": "-date, title"},
    {"filter": "areas has image", "limit": 5, "sort": "-date, title"},
    {"sort": "-added, -date, title", "limit": 6},
    {"filter": "not categories", "group-by": "area, category", "repeat": True},
]


def edit(bib: Bibliography, key: str, change: str, value: str) -> Bibliography:
    papers = dict(bib.papers)
    paper = papers[key]
    if change == "delete":
        del papers[key]
    elif change == "copy":
        papers[key + "copy"] = dataclasses.replace(paper, key=key + "copy")
    elif change == "title":
        papers[key] = dataclasses.replace(paper, title=value + paper.title,
                                          fields={**paper.fields, "title": value + paper.title})
    elif change == "year":
        year = (paper.year or 2020) - 1 - len(value) % 3  # always another year
        papers[key] = dataclasses.replace(paper, year=year, fields={**paper.fields, "year": str(year)})
    elif change == "areas":
        areas = ("video",) if "video" not in paper.facets.get("area", ()) else ("audio",)
        papers[key] = dataclasses.replace(paper, facets={**paper.facets, "area": areas},
                                          fields={**paper.fields, "areas": ",".join(areas)})
    return dataclasses.replace(bib, papers=papers)


def may_change(options: dict, shown, edited: set[str], bib: Bibliography, kind: str = PAPERS) -> bool:
    return TableRecord(kind, "papers", options, tuple(shown), "").may_change(edited, bib, TAXONOMY)


def digests(bib: Bibliography) -> dict[str, str]:
    return {key: paper.digest for key, paper in bib.papers.items()}


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(KEYS), change=st.sampled_from(["delete", "copy", "title", "year", "areas"]),
       value=st.sampled_from(["A ", "Zz ", "Token ", "zzz"]), table=st.sampled_from(TABLES))
def test_a_skipped_table_would_select_the_same(key, change, value, table):
    before = select_table(BIB, TAXONOMY, table, "-date, title", "papers")
    after_bib = edit(BIB, key, change, value)
    old, new = digests(BIB), digests(after_bib)
    edited = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert edited
    after = select_table(after_bib, TAXONOMY, table, "-date, title", "papers")
    if not may_change(table, before.keys, edited, after_bib):
        assert (after.keys, after.groups) == (before.keys, before.groups), (table, key, change)


def test_some_edits_are_skipped_and_some_are_not():
    """The shortcut does something: an unrelated paper skips a narrow table, a shown one does not."""
    table = TABLES[2]
    shown = select_table(BIB, TAXONOMY, table, "-date, title", "papers").keys
    outside = next(k for k in KEYS if k not in shown and "audio" not in BIB.papers[k].facets.get("area", ()))
    assert not may_change(table, shown, {outside}, edit(BIB, outside, "title", "A "))
    assert may_change(table, shown, {shown[0]}, edit(BIB, shown[0], "title", "A "))
    assert may_change({"recent": 6}, [], {outside}, BIB)
    assert not may_change({}, [outside], {outside}, BIB, kind=FIXED)
    assert not may_change(table, shown, set(), BIB)


def test_the_real_survey_is_loaded():
    assert len(KEYS) > 100 and all(re.match(r"^[\w:.-]+$", k) for k in KEYS)
    assert Path(BIB.path).name == "survey.bib"


@settings(max_examples=60, deadline=None)
@given(table=st.sampled_from(TABLES),
       sort=st.sampled_from(["-date, title", "title", "-year", "venue, -added", "author, key", "kind"]),
       drop=st.sets(st.sampled_from(KEYS), max_size=20))
def test_filtering_the_sorted_bib_equals_sorting_the_filtered_papers(table, sort, drop):
    """select_table filters one memoized ordering of the bib instead of sorting each table's papers."""
    from sphinx_tc_ext.core.filters import _SORT_KEYS, compile_filter, parse_sort, sort_papers

    bib = dataclasses.replace(BIB, papers={k: p for k, p in BIB.papers.items() if k not in drop})
    options = {**table, "sort": sort}
    papers = list(bib.papers.values())
    if "filter" in options:
        predicate = compile_filter(options["filter"], TAXONOMY)
        papers = [p for p in papers if predicate(p)]
    papers.sort(key=lambda p: p.key)  # the plain way: stable sorts of the papers, the last key first
    for name, descending in reversed(parse_sort(sort)):
        papers.sort(key=_SORT_KEYS[name], reverse=descending)
    expected = [p.key for p in papers][: options.get("limit")]
    assert select_table(bib, TAXONOMY, options, "-date, title", "papers").keys == expected
    for other in ("title", "-added, -date, title", "author, -year"):  # later orders reuse the field values
        assert select_table(bib, TAXONOMY, {"sort": other}, "-date, title", "papers").keys == [
            p.key for p in sort_papers(list(bib.papers.values()), parse_sort(other))]
