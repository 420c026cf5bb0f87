"""The ``paper-table`` directive: select, sort and group papers at read time.

The directive stores only keys and group structure in a placeholder node, so
doctrees stay small; :mod:`sphinx_tc_ext.render` turns the placeholder into
cards when the page is written, for whatever builder is running.  Selection
happens here so the domain knows, after reading, which page shows which paper.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .bibmodel import Paper
from .config import WARNING_TYPE, get_bibliography, get_taxonomy, settings
from .domain import TCDomain
from .filters import FilterError, compile_filter, parse_facet_list, parse_sort, sort_papers
from .taxonomy import Taxonomy

logger = logging.getLogger(__name__)

#: Filter controls that are not taxonomy facets.
EXTRA_CONTROLS = ("year", "kind", "code", "search", "sort", "group")
UNGROUPED = "_none"


class paper_table(nodes.General, nodes.Element):
    """Placeholder for a table of cards; replaced when the page is written.

    Attributes: ``table_id``, ``groups`` (see :func:`group_papers`), ``keys``,
    ``group_by``, ``facets``, ``filter``.
    """


class PaperTableDirective(SphinxDirective):
    has_content = False
    required_arguments = 0
    optional_arguments = 0
    option_spec = {
        "filter": directives.unchanged_required,
        "group-by": directives.unchanged,
        "sort": directives.unchanged_required,
        "facets": directives.unchanged,
        "limit": directives.positive_int,
        "class": directives.class_option,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        conf = settings(self.config)
        self.env.note_dependency(str(conf.bib_path))
        self.env.note_dependency(str(conf.taxonomy_path))
        taxonomy = get_taxonomy(self.config)
        bib = get_bibliography(self.config)

        try:
            papers = self.select(list(bib.papers.values()), taxonomy)
            group_by = parse_facet_list(self.options.get("group-by", ""), taxonomy, ":group-by:")
            if len(group_by) > 2:
                raise FilterError(":group-by: takes one or two facets")
            default_facets = ",".join([f.id for f in taxonomy.facets] + list(EXTRA_CONTROLS))
            facets = parse_facet_list(self.options.get("facets", default_facets), taxonomy, ":facets:",
                                      extra=EXTRA_CONTROLS)
        except FilterError as exc:
            logger.warning(f"paper-table: {exc}", location=(self.env.docname, self.lineno),
                           type=WARNING_TYPE, subtype="filter")
            return []

        table_id = self.unique_id(self.options.get("name") or "papers")
        node = paper_table()
        node["table_id"] = table_id
        node["ids"] = [table_id]
        node["classes"] = self.options.get("class", [])
        node["keys"] = [p.key for p in papers]
        node["group_by"] = group_by
        node["facets"] = facets
        node["filter"] = self.options.get("filter", "")
        node["groups"] = group_papers(papers, group_by, taxonomy, table_id)
        self.set_source_info(node)
        domain: TCDomain = self.env.get_domain("tc")  # type: ignore[assignment]
        domain.note_table(self.env.docname, table_id, node["keys"])
        return [node]

    def select(self, papers: list[Paper], taxonomy: Taxonomy) -> list[Paper]:
        if "filter" in self.options:
            try:
                predicate = compile_filter(self.options["filter"], taxonomy)
            except FilterError as exc:
                raise FilterError(f"bad :filter: {self.options['filter']!r}: {exc}") from None
            papers = [p for p in papers if predicate(p)]
        sort = self.options.get("sort") or self.config.tc_default_sort
        papers = sort_papers(papers, parse_sort(sort))
        if "limit" in self.options:
            papers = papers[: self.options["limit"]]
        return papers

    def unique_id(self, base: str) -> str:
        document = self.state.document
        candidate = nodes.make_id(base) or "papers"
        n = 1
        while candidate in document.ids or candidate in getattr(document, "_tc_table_ids", set()):
            n += 1
            candidate = f"{nodes.make_id(base)}-{n}"
        document._tc_table_ids = getattr(document, "_tc_table_ids", set()) | {candidate}  # type: ignore[attr-defined]
        return candidate


def group_papers(papers: list[Paper], group_by: list[str], taxonomy: Taxonomy, prefix: str) -> list:
    """Nest papers by up to two facets, in taxonomy order, papers without a value last.

    Returns ``[(value_id, anchor, [subgroups or keys])]``; with no grouping a single
    group with value ``None``.  A paper with several values appears in each group.
    """
    if not group_by:
        return [(None, prefix + "-all", [p.key for p in papers])]
    facet = taxonomy.facet(group_by[0])
    assert facet is not None
    groups = []
    for vid in (*facet.value_ids, UNGROUPED):
        members = [p for p in papers if (vid in p.facets.get(facet.id, ()) if vid != UNGROUPED
                                         else not p.facets.get(facet.id))]
        if not members:
            continue
        anchor = f"{prefix}-{vid.strip('_')}"
        inner = group_papers(members, group_by[1:], taxonomy, anchor) if len(group_by) > 1 else \
            [p.key for p in members]
        groups.append((vid, anchor, inner))
    return groups


def setup(app: Sphinx) -> None:
    app.add_node(paper_table)
    app.add_directive("paper-table", PaperTableDirective)
