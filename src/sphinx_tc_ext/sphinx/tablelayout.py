"""``:layout: table``: a table's papers as one plain table, for every builder and without JavaScript.

One row per paper (a paper in several groups is one row), in the table's order: title
(linked to the paper), venue, year, one column per taxonomy facet, code.  Built from
docutils nodes, so every builder writes it and escapes its text; ``tc.js`` makes the
column heads of the HTML table sort it (``table.tc-plain-table``).
"""

from __future__ import annotations

from docutils import nodes

from sphinx_tc_ext.core.model import Paper
from sphinx_tc_ext.sphinx.context import PageContext
from sphinx_tc_ext.sphinx.html import table_node
from sphinx_tc_ext.sphinx.nodes import paper_table
from sphinx_tc_ext.sphinx.plainlist import count_keys


def render_table_layout(ctx: PageContext, node: paper_table) -> list[nodes.Node]:
    keys = list(dict.fromkeys(node["keys"]))
    papers = [p for p in map(ctx.bib.get, keys) if p is not None]
    if not papers:
        return [nodes.paragraph("", "No paper matches this table's filter.")]
    header: list[nodes.Node | str] = ["Title", "Venue", "Year", *(f.label for f in ctx.taxonomy.facets), "Code"]
    rows = [header, *(_row(ctx, paper) for paper in papers)]
    table = table_node(rows, f"{count_keys(keys)} papers", ["tc-plain-table"])
    if ctx.html:
        table["ids"] = [node["table_id"]]
    return [table]


def _row(ctx: PageContext, paper: Paper) -> list[nodes.Node | str]:
    title: nodes.Node = nodes.Text(paper.title or paper.key)
    if "paper" in paper.links:  # links are http(s) only (the model drops the rest)
        title = nodes.reference("", "", title, refuri=paper.links["paper"])
    cells: list[nodes.Node | str] = [title, paper.venue, str(paper.year or "")]
    for facet in ctx.taxonomy.facets:
        cells.append(", ".join(value.label for vid in paper.facets.get(facet.id, ())
                               if (value := facet.value(vid)) is not None))
    cells.append(nodes.reference("", "code", refuri=paper.links["code"]) if "code" in paper.links else "")
    return cells
