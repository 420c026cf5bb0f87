"""Living data: a paper with several costs counts under each; dates come from the paper, never a guess.

The build tests use ``tests/roots/test-living``: ToMe and PyramidDrop are both training-free and
training-based, one paper dates from its arXiv link only, one has no month and no arXiv id.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.counts import compute_stats, count_matrix
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import ROOTS, read

LIVING = ROOTS / "test-living" / "refs"
LIVING_TAXONOMY = load_taxonomy(LIVING / "taxonomy.toml")


def living_bib():
    return parse_bib_text(read(LIVING / "survey.bib"), "survey.bib", LIVING_TAXONOMY)


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
    matrix, share = page.select("table")[:2]
    assert rows(matrix) == [
        ["Training cost \\ Area", "Image LLM", "Video LLM", "Vision Transformer", "All"],
        ["Training-free", "2", "1", "1", "4"],
        ["Training-based", "1", "1", "1", "3"],
        ["All", "2", "2", "1", "5"],
    ]
    assert rows(share)[1:3] == [["Training-free", "4", "80%"], ["Training-based", "3", "60%"]]
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
