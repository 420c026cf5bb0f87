"""``tc-matrix``: a facet × facet table of paper counts, every cell a link to the filtered view.

Counts come from the bib at read time, so they cannot drift from the cards; the
directive registers its selection with the tracking module, so editing an
entry's category updates the counts in an incremental build.

.. code-block:: rst

   .. tc-matrix::
      :rows: area = image, video, audio
      :columns: category
      :page: papers
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging

from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.problems import did_you_mean
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy
from sphinx_tc_ext.sphinx.directive import SelectionDirective
from sphinx_tc_ext.sphinx.render import table_node

logger = logging.getLogger(__name__)


class tc_matrix(nodes.General, nodes.Element):
    """Placeholder holding the counts; turned into a table when the page is written."""


def _axis(spec: str, taxonomy: Taxonomy, what: str) -> tuple[Facet, list[str]]:
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
    rows, row_values = _axis(options["rows"], taxonomy, ":rows:")
    cols, col_values = _axis(options["columns"], taxonomy, ":columns:")
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


def matrix_digest(counts: dict) -> str:
    return hashlib.sha1(repr(sorted(counts.items(), key=str)).encode()).hexdigest()[:16]


class MatrixDirective(SelectionDirective):
    has_content = False
    option_spec = {
        "rows": directives.unchanged_required,
        "columns": directives.unchanged_required,
        "page": directives.unchanged,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        self.note_taxonomy_dependency()
        options = {"matrix": True, "rows": self.options.get("rows", ""), "columns": self.options.get("columns", "")}
        try:
            if not options["rows"] or not options["columns"]:
                raise FilterError("tc-matrix needs :rows: and :columns:")
            counts = count_matrix(get_bibliography(self.config), get_taxonomy(self.config), options)
        except FilterError as exc:
            return self.bad_options(exc)
        node = tc_matrix()
        node["counts"] = counts
        node["page"] = self.options.get("page") or self.config.tc_papers_page or self.env.docname
        node["caption"] = self.options.get("caption", "")
        self.set_source_info(node)
        self.record("matrix", options, (), matrix_digest(counts))
        return [node]


def _link(app: Sphinx, docname: str, target: str, params: dict[str, str], label: str) -> nodes.Node:
    text = nodes.Text(label)
    if app.builder.format != "html":
        return text
    try:
        uri = app.builder.get_relative_uri(docname, target)
    except Exception:
        return text
    query = "?" + urlencode(params) if params else ""
    return nodes.reference("", "", text, refuri=uri + query, internal=True)


def render_matrices(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: build the tables (links carry the filter in the URL the reader UI reads)."""
    taxonomy = None
    for node in list(doctree.findall(tc_matrix)):
        taxonomy = taxonomy or get_taxonomy(app.config)
        counts, page = node["counts"], node["page"]
        if page not in app.env.all_docs:
            logger.warning(f"tc-matrix: :page: {page!r} is not a document of this site", location=node,
                           type=WARNING_TYPE, subtype="filter")
            page = docname
        rows, cols = taxonomy.facet(counts["rows"]), taxonomy.facet(counts["columns"])
        header: list[nodes.Node | str] = [f"{rows.label} \\ {cols.label}"]
        header += [_link(app, docname, page, {cols.id: c}, cols.value(c).label) for c in counts["column_values"]]
        body: list[list[nodes.Node | str]] = [[*header, "All"]]
        for r in counts["row_values"]:
            line: list[nodes.Node | str] = [_link(app, docname, page, {rows.id: r}, rows.value(r).label)]
            for c in counts["column_values"]:
                n = counts["cells"][(r, c)]
                line.append(_link(app, docname, page, {rows.id: r, cols.id: c}, str(n)) if n else "0")
            line.append(_link(app, docname, page, {rows.id: r}, str(counts["row_totals"][r])))
            body.append(line)
        totals: list[nodes.Node | str] = ["All"]
        totals += [_link(app, docname, page, {cols.id: c}, str(counts["column_totals"][c]))
                   for c in counts["column_values"]]
        totals.append(_link(app, docname, page, {}, str(counts["total"])))
        body.append(totals)
        table = table_node(body, node["caption"], ["tc-matrix"])
        doctree.set_id(table)  # a captioned table needs an id (numfig)
        node.replace_self(table)
