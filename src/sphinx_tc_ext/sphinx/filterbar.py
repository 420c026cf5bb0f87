"""The filter bar above a paper table: server-rendered controls that ``tc.js`` wires up.

Rendered hidden, so a reader without JavaScript sees every card, grouped, and no
dead controls; the script un-hides it.  Which controls appear follows the table's
``:facets:`` option (``data-facets``): taxonomy facet ids plus ``year``, ``kind``,
``code``, ``search``, ``sort`` and ``group``.  Every control is a real form
control with a real label, so it works with the keyboard and screen readers
before the script adds any behaviour; the counts next to each value are the
counts with no filter applied and the script keeps them live.

Control names are the URL parameters the script reads and writes: a taxonomy
facet's id (``area=image``), ``q``, ``year-from``/``year-to`` (written to the URL
as ``year=2023-2025``), ``kind``, ``code``, ``sort`` and ``group``.  With several
tables on a page, the first one with a filter bar owns the URL; the others filter
without URL state (see the header of ``static/tc.js``).  ``tests/test_guide.py``
and ``tests/browser`` read this markup: keep the class and ``name`` attributes.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from docutils import nodes

from sphinx_tc_ext.cache.state import state_of
from sphinx_tc_ext.sphinx.context import PageContext
from sphinx_tc_ext.sphinx.html import el
from sphinx_tc_ext.sphinx.nodes import tc_element

#: (value, label) of the sort control; "" keeps the order the page was built in.
SORT_OPTIONS = (("", "As listed"), ("newest", "Newest first"), ("oldest", "Oldest first"),
                ("title", "Title (A–Z)"), ("venue", "Venue (A–Z)"))
KIND_LABELS = (("published", "Published"), ("preprint", "Preprint"))


def render_filterbar(ctx: PageContext, table_id: str, facets: list[str], keys: list[str]) -> tc_element:
    bar = el("div", classes=["tc-filterbar"], hidden="hidden", **{"data-for": table_id})
    counts = _counts(ctx, keys)
    if counts is None:
        return bar
    form = el("form", classes=["tc-filter-form"], role="search", autocomplete="off",
              **{"aria-label": "Filter papers", "data-for": table_id})
    if "search" in facets:
        form += _search(ctx, table_id)

    groups = []
    for name in facets:
        facet = ctx.taxonomy.facet(name)
        if facet is not None:
            found = counts.facets.get(facet.id, Counter())
            options = [(v.id, v.label, found[v.id]) for v in facet.values if found[v.id]]
            if options:
                groups.append(_checkbox_group(ctx, table_id, facet.id, facet.label, options))
        elif name == "kind":
            options = [(kind, label, counts.kinds[kind]) for kind, label in KIND_LABELS if counts.kinds[kind]]
            if options:
                groups.append(_checkbox_group(ctx, table_id, "kind", "Venue type", options))
        elif name == "code" and counts.with_code:
            groups.append(_checkbox_group(ctx, table_id, "code", "Code", [("1", "Has code", counts.with_code)]))
        elif name == "year" and len(counts.years) > 1:
            groups.append(_year_range(ctx, table_id, counts.years))
    if groups:
        panel = el("details", classes=["tc-filter-panel"], open="open")
        panel += el("summary", nodes.Text("Filters"), el("span", classes=["tc-active-count"]))
        panel += el("div", *groups, classes=["tc-facets"])
        form += panel

    view = el("div", classes=["tc-view"])
    if "sort" in facets:
        view += _sort(ctx, table_id)
    if "group" in facets:
        # The script removes this switch from tables that are not grouped.
        group_id = ctx.unique_id(f"{table_id}-group")
        view += el("span", el("input", type="checkbox", name="group", value="1", checked="checked",
                              ids=[group_id]),
                   el("label", nodes.Text("Show groups"), **{"for": group_id}),
                   classes=["tc-control", "tc-group-switch"])
    actions = el("div", classes=["tc-actions"])
    actions += el("button", nodes.Text("Clear all"), type="button", classes=["tc-button", "tc-clear"],
                  title="Clear the search and every filter")
    if ctx.show_bibtex:
        actions += el("button", nodes.Text("Download .bib"), type="button", classes=["tc-button", "tc-download"],
                      title="Download the BibTeX entries of the papers shown")
    if getattr(ctx.config, "tc_coins", True):  # the exports are made from the cards' COinS spans
        actions += export_buttons()
    actions += el("button", nodes.Text("Copy keys"), type="button", classes=["tc-button", "tc-copy-keys"],
                  title="Copy the citation keys of the papers shown, comma-separated")
    view += actions
    form += view
    bar += form
    return bar


def export_buttons() -> list[nodes.Element]:
    """RIS and CSL-JSON downloads of the papers shown, made in the page from the cards' COinS spans."""
    return [el("button", nodes.Text(label), type="button", classes=["tc-button", "tc-export", f"tc-export-{fmt}"],
               title=f"Download the papers shown as {what}", **{"data-format": fmt})
            for fmt, label, what in (("ris", "RIS", "RIS (EndNote, Zotero, Mendeley)"),
                                     ("csl", "CSL-JSON", "CSL-JSON (Zotero, pandoc, citeproc)"))]


class _Counts(NamedTuple):
    facets: dict[str, Counter]  # facet id -> value id -> papers
    kinds: Counter
    with_code: int
    years: list[int]


def _counts(ctx: PageContext, keys: list[str]) -> _Counts | None:
    """What the controls count, memoized in the parsed bib's build state per set of papers (None: no paper).

    Several pages show the same papers (all of them, by venue, recent ones), and papers
    share a few combinations of counted values: a table's papers are counted per
    combination first, in one pass, then the combinations are added up.
    """
    memo = state_of(ctx.bib).filter_counts
    unique = tuple(dict.fromkeys(keys))
    if unique not in memo:
        numbers, combinations = _combinations(ctx)
        found = Counter(map(numbers.__getitem__, filter(numbers.__contains__, unique)))
        facets = {facet.id: Counter() for facet in ctx.taxonomy.facets}
        kinds: Counter = Counter()
        with_code, years = 0, set()
        for number, n in found.items():
            values, kind, code, year = combinations[number]
            for facet_id, ids in values:
                for value in ids:
                    facets[facet_id][value] += n
            kinds[kind] += n
            with_code += n if code else 0
            if year:
                years.add(year)
        memo[unique] = _Counts(facets, kinds, with_code, sorted(years)) if found else None
    return memo[unique]


def _combinations(ctx: PageContext) -> tuple[dict[str, int], list[tuple]]:
    """Each paper's number of its combination of counted values, and the combinations:
    ((facet id, values) per facet, venue kind, has code, year)."""
    state = state_of(ctx.bib)
    memo = state.counted
    if memo is None:
        facet_ids = [facet.id for facet in ctx.taxonomy.facets]
        numbered: dict[tuple, int] = {}  # combination -> its number, in order of first appearance
        numbers = {key: numbered.setdefault(
                       (tuple((f, p.facets.get(f, ())) for f in facet_ids), p.venue_kind, p.has_code, p.year),
                       len(numbered))
                   for key, p in ctx.bib.papers.items()}
        memo = state.counted = (numbers, list(numbered))
    return memo


def _search(ctx: PageContext, table_id: str) -> tc_element:
    search_id = ctx.unique_id(f"{table_id}-q")
    hint_id = ctx.unique_id(f"{table_id}-q-hint")
    return el("div",
              el("label", nodes.Text("Search papers"), classes=["tc-search-label"], **{"for": search_id}),
              el("input", type="search", name="q", ids=[search_id], classes=["tc-search"],
                 placeholder="Title, author, venue or key", autocomplete="off", spellcheck="false",
                 **{"aria-describedby": hint_id}),
              el("span", nodes.Text("Every word must match; accents and case are ignored."),
                 classes=["tc-hint"], ids=[hint_id]),
              classes=["tc-search-row"])


def _checkbox_group(ctx: PageContext, table_id: str, name: str, legend: str,
                    options: list[tuple[str, str, int]]) -> tc_element:
    fieldset = el("fieldset", classes=["tc-facet"], **{"data-facet": name})
    fieldset += el("legend", nodes.Text(legend))
    wrap = el("div", classes=["tc-options"])
    fieldset += wrap
    for value, label, count in options:
        wrap += el("label",
                       el("input", type="checkbox", name=name, value=value),
                       el("span", nodes.Text(label), classes=["tc-option-label"]),
                       el("span", nodes.Text(str(count)), classes=["tc-option-count"]),
                       classes=["tc-option"], **{"data-value": value})
    return fieldset


def _year_range(ctx: PageContext, table_id: str, years: list[int]) -> tc_element:
    fieldset = el("fieldset", classes=["tc-facet", "tc-year"], **{"data-facet": "year"})
    fieldset += el("legend", nodes.Text("Year"))
    wrap = el("div", classes=["tc-options"])
    fieldset += wrap
    for name, label, default in (("year-from", "From", years[0]), ("year-to", "To", years[-1])):
        control_id = ctx.unique_id(f"{table_id}-{name}")
        select = el("select", name=name, ids=[control_id])
        for year in years:
            attrs = {"selected": "selected"} if year == default else {}
            select += el("option", nodes.Text(str(year)), value=str(year), **attrs)
        wrap += el("span", el("label", nodes.Text(label), **{"for": control_id}), select,
                   classes=["tc-control"])
    return fieldset


def _sort(ctx: PageContext, table_id: str) -> tc_element:
    control_id = ctx.unique_id(f"{table_id}-sort")
    select = el("select", name="sort", ids=[control_id])
    for value, label in SORT_OPTIONS:
        select += el("option", nodes.Text(label), value=value)
    return el("span", el("label", nodes.Text("Sort"), **{"for": control_id}), select,
              classes=["tc-control", "tc-sort"])
