"""Living data: a paper with several costs counts under each; dates come from the paper, never a guess.

The build tests use ``tests/roots/test-living``: ToMe and PyramidDrop are both training-free and
training-based, one paper dates from its arXiv link only, one has no month and no arXiv id.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.awesome.exporter import export_awesome
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.counts import compute_stats, count_matrix, quarters
from sphinx_tc_ext.core.selection import reference_month, select_table
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import ROOTS, read

LIVING = ROOTS / "test-living" / "refs"
SURVEY = ROOTS / "test-survey" / "refs"
LIVING_TAXONOMY = load_taxonomy(LIVING / "taxonomy.toml")
SURVEY_TAXONOMY = load_taxonomy(SURVEY / "taxonomy.toml")


def living_bib():
    return parse_bib_text(read(LIVING / "survey.bib"), "survey.bib", LIVING_TAXONOMY)


def survey_bib_with(entry: str):
    """The test-survey bib (newest paper: August 2025) with one more entry at its end."""
    return parse_bib_text(read(SURVEY / "survey.bib") + "\n" + entry, "survey.bib", SURVEY_TAXONOMY)


def recent_keys(bib, months: int = 6, configured: str = "") -> list[str]:
    options = {"recent": months, "recent_from": configured}
    return select_table(bib, SURVEY_TAXONOMY, options, "-date, title", "recent").keys


def rows(table) -> list[list[str]]:
    return [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])] for row in table.select("tr")]


# -- every cost badge ----------------------------------------------------------------------------

def test_a_paper_with_both_costs_has_both():
    bib = living_bib()
    assert bib.problems == []
    assert bib.get("bolya2023token").facets["cost"] == ("training-free", "training-based")
    assert bib.get("free2025image").facets["cost"] == ("training-free",)


def test_matrix_counts_a_paper_under_each_cost():
    counts = count_matrix(living_bib(), LIVING_TAXONOMY, {"rows": "cost", "columns": "area"})
    assert counts["cells"][("training-free", "vision-transformer")] == 1  # ToMe
    assert counts["cells"][("training-based", "vision-transformer")] == 1  # ToMe again
    assert counts["row_totals"] == {"training-free": 4, "training-based": 3}
    assert counts["total"] == 5  # each paper once in all


def test_share_counts_a_paper_under_each_cost():
    data = compute_stats(living_bib(), LIVING_TAXONOMY, {"chart": "share", "facet": "cost"})
    assert data["rows"] == [["Training-free", 4, "80%"], ["Training-based", 3, "60%"], ["No training cost", 0, "0%"]]


def test_the_site_counts_filters_and_groups_a_paper_under_each_cost(copy_root, build):
    app = build(copy_root("test-living"))
    assert app.warning.getvalue() == ""
    page = BeautifulSoup(read(app.outdir / "index.html"), "html.parser")
    matrix, share, quarterly = page.select("table")
    assert rows(matrix) == [
        ["Training cost \\ Area", "Image LLM", "Video LLM", "Vision Transformer", "All"],
        ["Training-free", "2", "1", "1", "4"],
        ["Training-based", "1", "1", "1", "3"],
        ["All", "2", "2", "1", "5"],
    ]
    assert rows(share)[1:3] == [["Training-free", "4", "80%"], ["Training-based", "3", "60%"]]
    assert rows(quarterly)[1] == ["2022 Q4", "1", "1"]  # ToMe, in both series
    # The filter bar reads a card's values from data-cost: a paper with both shows under either chip.
    cards = {card["data-key"]: card["data-cost"] for card in page.select("#all article")}
    assert cards["bolya2023token"] == "training-free training-based"
    assert cards["based2024video"] == "training-based"
    chips = {option["data-value"]: option.select_one(".tc-option-count").get_text()
             for option in page.select("form[data-for=all] fieldset[data-facet=cost] .tc-option")}
    assert chips == {"training-free": "4", "training-based": "3"}
    # Grouped by cost with :repeat:, a paper with both costs sits in both groups.
    groups = {group["data-value"]: [card["data-key"] for card in group.select("article")]
              for group in page.select("#all section.tc-group")}
    assert "bolya2023token" in groups["training-free"] and "bolya2023token" in groups["training-based"]


# -- recent papers ---------------------------------------------------------------------------------

def test_adding_a_paper_today_does_not_empty_recent_papers():
    """A contributor adds, in December 2026, a paper of February 2026: it was the newest `added` date that
    "recent" counted back from, so the window (June-December 2026) held no paper at all."""
    bib = survey_bib_with("@article{new2026paper, title = {A 2026 Paper}, author = {Doe, Jane}, year = {2026},\n"
                          "  month = feb, areas = {image}, added = {2026-12-04}}\n")
    assert reference_month(bib, "") == (2026, 2)
    assert recent_keys(bib) == ["new2026paper", "zeng2025glimpse"]  # August 2025 to February 2026


def test_the_exported_list_counts_back_from_the_newest_paper_too():
    bib = survey_bib_with("@article{new2026paper, title = {A 2026 Paper}, author = {Doe, Jane}, year = {2026},\n"
                          "  month = feb, eprint = {2602.00001}, areas = {image}, added = {2026-12-04}}\n")
    readme = export_awesome(bib, SURVEY_TAXONOMY)["README.md"]
    recent = readme[readme.index("### Recent Papers"):readme.index("### Published in Recent")]
    assert "Papers from 2025.08 on" in recent
    assert "2602.00001" in recent and "2508.01548" in recent  # the new paper and Glimpse (August 2025)


@settings(max_examples=60, deadline=None)
@given(year=st.integers(2000, 2040), month=st.integers(1, 12), added=st.dates().map(str))
@example(year=2025, month=1, added="2026-12-04")  # the month before the window: left out
@example(year=2025, month=2, added="2000-01-01")  # its first month
def test_recent_papers_always_show_the_newest_paper(year, month, added):
    entry = (f"@article{{new, title = {{New}}, year = {{{year}}}, month = {{{month}}}, areas = {{image}},\n"
             f"  added = {{{added}}}}}\n")
    keys = recent_keys(survey_bib_with(entry))
    assert keys, "recent papers is empty"
    # The survey's newest paper is of August 2025: the window starts six months before it, or before "new".
    assert ("new" in keys) == ((year, month) >= (2025, 2))


def test_recent_papers_take_the_arxiv_month_and_skip_papers_without_a_date():
    bib = survey_bib_with("@article{nodate2025, title = {No Month}, year = {2025}, areas = {image}}\n")
    # LLaVA-PruMerge (ICCV 2025, no month) dates from its arXiv id, March 2024; MMS-LLaMA from its arXiv link,
    # March 2025; a paper with neither a month nor an arXiv id is never recent (it was January before).
    assert bib.get("shang2025llava").paper_month == (2024, 3)
    assert bib.get("yeo2025mms").paper_month == (2025, 3)
    assert bib.get("nodate2025").paper_month is None
    assert recent_keys(bib) == ["zeng2025glimpse", "shao2025tokens", "yeo2025mms"]
    assert recent_keys(bib, 2, configured="2024-04-15") == ["shang2025llava"]


# -- charts ----------------------------------------------------------------------------------------

def test_quarters_include_the_empty_ones():
    assert quarters([(2024, 11), (2025, 8), (2025, 1)]) == ["2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3"]
    assert quarters([]) == []


def test_quarterly_chart_dates_each_paper_and_says_which_it_leaves_out():
    data = compute_stats(living_bib(), LIVING_TAXONOMY, {"chart": "quarterly", "facet": "cost"})
    assert [row[0] for row in data["rows"]] == ["2022 Q4", *(f"2023 Q{q}" for q in range(1, 5)),
                                               *(f"2024 Q{q}" for q in range(1, 5)), "2025 Q1", "2025 Q2"]
    by_quarter = {row[0]: row[1:] for row in data["rows"]}
    assert by_quarter["2022 Q4"] == [1, 1]  # ToMe: ICLR 2023 without a month, arXiv October 2022
    assert by_quarter["2024 Q1"] == [0, 1]  # from the arXiv link alone, not January by default
    assert by_quarter["2025 Q2"] == [1, 1]  # PyramidDrop: its month field wins over its arXiv id
    assert sum(sum(row[1:]) for row in data["rows"]) == 6  # undated2024video is left out...
    assert data["note"] == "1 paper without a month or an arXiv id is not in this chart."  # ...and said


def test_the_note_on_left_out_papers_is_under_the_chart(copy_root, build):
    app = build(copy_root("test-living"))
    page = BeautifulSoup(read(app.outdir / "index.html"), "html.parser")
    note = page.select_one("p.tc-stats-note")
    assert note.get_text() == "1 paper without a month or an arXiv id is not in this chart."
    assert note.find_previous("figure")["class"] == ["tc-chart"]
    text = build(copy_root("test-living", dest="text"), "text")
    assert "1 paper without a month or an arXiv id is not in this chart." in read(Path(text.outdir) / "index.txt")
