"""``tc-stats``: charts drawn at build time from the bib, each with its numbers in a table beside it.

Charts are inline SVG drawn by :mod:`~sphinx_tc_ext.sphinx.svgchart` (no plotting
library, no scripts, no fonts to load; coloured by the page's CSS, so they follow
dark mode); the table is the text alternative and what non-HTML builders show.
Counts are computed at read time and tracked like a table's selection, so they
follow edits of the bib.

.. code-block:: rst

   .. tc-stats:: quarterly
      :facet: area = image, video, audio
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx

from sphinx_tc_ext.core.counts import CHARTS, compute_stats
from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.sphinx.config import get_bibliography, get_taxonomy
from sphinx_tc_ext.sphinx.html import el, table_node, text
from sphinx_tc_ext.sphinx.nodes import tc_stats
from sphinx_tc_ext.sphinx.selection import STATS, SelectionDirective, stats_digest
from sphinx_tc_ext.sphinx.svgchart import render_svg


class StatsDirective(SelectionDirective):
    kind = STATS
    required_arguments = 1
    option_spec = {"facet": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        self.note_taxonomy_dependency()
        options = {"chart": self.arguments[0].strip(), "facet": self.options.get("facet", "")}
        try:
            if options["chart"] not in CHARTS:
                raise FilterError(f"unknown chart {options['chart']!r}; use one of: {', '.join(CHARTS)}")
            taxonomy = get_taxonomy(self.config)
            bib = get_bibliography(self.config)
            data = compute_stats(bib, taxonomy, options)
        except FilterError as exc:
            return self.bad_options(exc)
        node = tc_stats()
        node["data"] = data
        self.set_source_info(node)
        self.record("stats", options, (), stats_digest(data))
        return [node]


def table_of(header: list[str], rows: list[list], caption: str) -> nodes.table:
    return table_node([header, *rows], caption, ["tc-stats-table"])


def render_stats(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: a figure (HTML only) and the table of numbers."""
    for node in list(doctree.findall(tc_stats)):
        data = node["data"]
        replacement: list[nodes.Node] = []
        if app.builder.format == "html":
            replacement.append(_figure(data))
        if data.get("note"):  # papers the chart leaves out are said, under the chart, not silently lost
            replacement.append(nodes.paragraph(data["note"], data["note"], classes=["tc-stats-note"]))
        table = table_of(data["header"], data["rows"], data["title"])
        doctree.set_id(table)  # a captioned table needs an id (numfig)
        replacement.append(table)
        node.replace_self(replacement)


def _figure(data: dict) -> nodes.Node:
    """The chart inline (so CSS colours it in light and dark mode) with its caption."""
    summary = "; ".join(f"{r[0]}: {', '.join(str(v) for v in r[1:])}" for r in data["rows"])
    svg = render_svg(data, f"{data['title']}. {summary}"[:1000])
    figure = el("figure", classes=["tc-chart"])
    figure += nodes.raw("", svg, format="html")
    figure += el("figcaption", text(data["title"] + " (numbers in the table below)"))
    return figure
