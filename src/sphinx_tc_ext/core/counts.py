"""What ``tc-matrix`` and ``tc-stats`` count: numbers from the whole bib, no Sphinx.

Counted when a page is read and counted again on an edited bib to learn whether the
page must be read again, so both go through these functions.
"""

from __future__ import annotations

from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.problems import did_you_mean
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy

#: The charts ``tc-stats`` draws.
CHARTS = ("quarterly", "share", "code")


def axis(spec: str, taxonomy: Taxonomy, what: str) -> tuple[Facet, list[str]]:
    """A facet and the values of it to count: ``facet`` (all of them) or ``facet = a, b``."""
    name, _, values = spec.partition("=")
    facet = taxonomy.facet(name.strip())
    if facet is None:
        raise FilterError(f"unknown facet {name.strip()!r} in {what} "
                          f"({did_you_mean(name.strip(), [f.id for f in taxonomy.facets])})")
    chosen = [v.strip() for v in values.split(",") if v.strip()] if values else list(facet.value_ids)
    for value in chosen:
        if facet.value(value) is None:
            raise FilterError(f"unknown {facet.id} value {value!r} in {what} "
                              f"({did_you_mean(value, facet.value_ids)})")
    return facet, chosen


def count_matrix(bib: Bibliography, taxonomy: Taxonomy, options: dict) -> dict:
    """Counts per cell, per row, per column and in all; a paper counts once per cell it is in."""
    rows, row_values = axis(options["rows"], taxonomy, ":rows:")
    cols, col_values = axis(options["columns"], taxonomy, ":columns:")
    cells = {(r, c): 0 for r in row_values for c in col_values}
    row_totals = dict.fromkeys(row_values, 0)
    col_totals = dict.fromkeys(col_values, 0)
    total = 0
    for paper in bib.papers.values():
        in_rows = [r for r in paper.facets.get(rows.id, ()) if r in row_totals]
        in_cols = [c for c in paper.facets.get(cols.id, ()) if c in col_totals]
        for r in in_rows:
            row_totals[r] += 1
            for c in in_cols:
                cells[(r, c)] += 1
        if in_rows:
            total += 1
            for c in in_cols:
                col_totals[c] += 1
    return {"rows": rows.id, "row_values": row_values, "columns": cols.id, "column_values": col_values,
            "cells": cells, "row_totals": row_totals, "column_totals": col_totals, "total": total}


def compute_stats(bib: Bibliography, taxonomy: Taxonomy, options: dict) -> dict:
    """The numbers behind a chart: ``{"title", "header", "rows", "kind"}``; rows are label + counts.

    The quarterly chart adds ``"note"``: how many papers it leaves out for want of a date ("" when none).
    """
    chart = options["chart"]
    papers = list(bib.papers.values())
    if chart == "quarterly":
        facet, values = axis(options.get("facet") or _first_facet(taxonomy), taxonomy, ":facet:")
        dated = [(p, month) for p in papers if (month := p.paper_month)]
        months = [month for _p, month in dated]
        rows: list[list] = [[quarter, *[0] * len(values)] for quarter in quarters(months)]
        start = quarter_index(*min(months)) if months else 0
        for paper, month in dated:
            row = rows[quarter_index(*month) - start]
            for i, value in enumerate(values):
                if value in paper.facets.get(facet.id, ()):
                    row[i + 1] += 1
        labels = [facet.value(v).label for v in values]
        undated = len(papers) - len(dated)
        note = (f"{undated} paper{'s' if undated != 1 else ''} without a month or an arXiv id "
                f"{'are' if undated != 1 else 'is'} not in this chart.") if undated else ""
        return {"title": f"Papers per quarter by {facet.label.lower()}", "header": ["Quarter", *labels],
                "rows": rows, "kind": "stacked", "note": note}
    if chart == "share":
        facet, values = axis(options.get("facet") or _first_facet(taxonomy), taxonomy, ":facet:")
        rows = [[facet.value(v).label, sum(v in p.facets.get(facet.id, ()) for p in papers)] for v in values]
        rows.append([f"No {facet.label.lower()}", sum(not p.facets.get(facet.id) for p in papers)])
        return {"title": f"Papers per {facet.label.lower()} (a paper counts once per value it lists)",
                "header": [facet.label, "Papers", "Share"],
                "rows": [[label, n, f"{100 * n / max(len(papers), 1):.0f}%"] for label, n in rows],
                "kind": "bars"}
    # code availability per year
    years: dict[int, list[int]] = {}
    for paper in papers:
        if paper.year:
            row = years.setdefault(paper.year, [0, 0])
            row[0 if paper.has_code else 1] += 1
    return {"title": "Code availability per year", "header": ["Year", "With code", "Without code"],
            "rows": [[str(y), *years[y]] for y in sorted(years)], "kind": "stacked"}


def quarter_index(year: int, month: int) -> int:
    """Quarters counted from year 0, so that consecutive quarters have consecutive numbers."""
    return year * 4 + (month - 1) // 3


def quarters(months: list[tuple[int, int]]) -> list[str]:
    """Every quarter from the first month's to the last's (``2025 Q1``), those without a paper included.

    A chart that skips empty quarters draws a pause in publishing as if there were none.
    """
    if not months:
        return []
    return [f"{q // 4} Q{q % 4 + 1}" for q in range(quarter_index(*min(months)), quarter_index(*max(months)) + 1)]


def _first_facet(taxonomy: Taxonomy) -> str:
    """The facet a chart without ``:facet:`` counts by; a broken taxonomy file may declare none."""
    if not taxonomy.facets:
        raise FilterError("the taxonomy declares no facet to chart (see its warnings); fix the taxonomy file")
    return taxonomy.facets[0].id


# -- what changed, and when: the ``added`` and ``updated`` dates ------------------------------------

def last_updated(bib: Bibliography) -> str:
    """The newest ``added`` or ``updated`` date of the bib (``YYYY-MM-DD``), "" when no entry has one.

    The date the survey's list last changed, not the build's: the same bib always shows the same date.
    """
    return max((d for p in bib.papers.values() for d in (p.added, p.fields.get("updated", "")) if _is_date(d)),
               default="")


def news_by_month(bib: Bibliography, months: int = 0) -> list[tuple[str, list[str], list[str]]]:
    """``[(YYYY-MM, added keys, updated keys)]``, newest month first, newest date first in a month.

    A paper is *added* in the month of its ``added`` date and *updated* in the month of its
    ``updated`` date (a preprint published, a retitle, new tags), unless that is the month
    it was added: news of a paper are one line.  ``months`` keeps the newest months only (0: all).
    """
    by_month: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
    for paper in bib.papers.values():
        added = paper.added if _is_date(paper.added) else ""
        if added:
            by_month.setdefault(added[:7], ([], []))[0].append((added, paper.key))
        updated = paper.fields.get("updated", "")
        if _is_date(updated) and updated[:7] != added[:7] and updated > added:
            by_month.setdefault(updated[:7], ([], []))[1].append((updated, paper.key))
    chosen = sorted(by_month, reverse=True)
    if months > 0:
        chosen = chosen[:months]

    def ordered(found: list[tuple[str, str]]) -> list[str]:  # newest date first, then by key
        return [key for _date, key in sorted(sorted(found, key=lambda item: item[1]),
                                             key=lambda item: item[0], reverse=True)]

    return [(month, ordered(by_month[month][0]), ordered(by_month[month][1])) for month in chosen]


def _is_date(value: str) -> bool:
    """An ISO date as the schema checks it (``YYYY-MM-DD``); anything else is ignored here."""
    return len(value) == 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit() and \
        value[5:7].isdigit() and value[8:].isdigit()
