"""The ``paper-table`` directive: select, sort and group papers at read time.

The directive leaves a small placeholder node in the doctree and records the
selection (keys and group structure) in the ``tc`` domain, so the domain knows,
after reading, which page shows which paper; :mod:`sphinx_tc_ext.sphinx.cards` turns
the placeholder into cards when the page is written, for whatever builder is
running.  After a bib edit :mod:`sphinx_tc_ext.sphinx.tracking` replaces the recorded
selection, and the page is written again without being read again.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives

from sphinx_tc_ext.cache.state import state_of
from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.core.selection import SELECTION_OPTIONS, select_table
from sphinx_tc_ext.sphinx.config import get_bibliography, get_taxonomy, tc_config
from sphinx_tc_ext.sphinx.nodes import paper_table
from sphinx_tc_ext.sphinx.selection import PAPERS, SelectionDirective, selection_digest


class PaperTableDirective(SelectionDirective):
    kind = PAPERS
    has_content = False
    required_arguments = 0
    optional_arguments = 0
    option_spec = {
        "filter": directives.unchanged_required,
        "group-by": directives.unchanged,
        "sort": directives.unchanged_required,
        "facets": directives.unchanged,
        "limit": directives.positive_int,
        "repeat": directives.flag,
        "recent": directives.positive_int,
        "layout": lambda arg: directives.choice(arg, ("cards", "list", "table")),
        "class": directives.class_option,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        self.note_taxonomy_dependency()
        conf = tc_config(self.config)
        taxonomy = get_taxonomy(self.config)
        bib = get_bibliography(self.config)
        options = {name: value for name, value in self.options.items() if name in SELECTION_OPTIONS}
        if "recent" in options:
            options["recent_from"] = conf.recent_date
        table_id = self.unique_id(self.options.get("name") or "papers")
        try:
            selection = select_table(bib, taxonomy, options, conf.default_sort, table_id, state_of(bib).sorting)
        except FilterError as exc:
            return self.bad_options(exc)

        # The selection itself lives in the domain (tracking.py replaces it after a bib edit
        # without reading the page again); the node says where it goes and how it looks.
        node = paper_table()
        node["table_id"] = table_id
        node["ids"] = [table_id]
        node["docname"] = self.env.docname  # where the record is, even in an assembled (LaTeX) doctree
        node["classes"] = self.options.get("class", [])
        node["group_by"] = selection.group_by
        node["facets"] = selection.facets
        node["filter"] = self.options.get("filter", "") or ("recent" if "recent" in options else "")
        node["layout"] = self.options.get("layout", "cards")
        self.set_source_info(node)
        self.record(table_id, options, selection.keys, selection_digest(selection), selection.groups)
        return [node]

    def unique_id(self, base: str) -> str:
        document = self.state.document
        candidate = nodes.make_id(base) or "papers"
        n = 1
        while candidate in document.ids or candidate in getattr(document, "_tc_table_ids", set()):
            n += 1
            candidate = f"{nodes.make_id(base)}-{n}"
        document._tc_table_ids = getattr(document, "_tc_table_ids", set()) | {candidate}  # type: ignore[attr-defined]
        return candidate
