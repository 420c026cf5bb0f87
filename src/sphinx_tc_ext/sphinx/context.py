"""What every card, list and filter bar of one page needs: the data, the page, URI helpers, ids.

A module of its own so the filter bar, the card markup and the plain lists all use
it without importing each other.
"""

from __future__ import annotations

from itertools import chain

from docutils import nodes
from sphinx.builders import Builder
from sphinx.util import logging

from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy, tc_config
from sphinx_tc_ext.sphinx.domain import TCDomain

logger = logging.getLogger(__name__)


class PageContext:
    """The page being rendered and what its tables read.

    Built from the builder alone, so the HTML translator (which runs in a worker
    process under ``-j``) can build one as well as ``doctree-resolved`` can.
    """

    def __init__(self, builder: Builder, docname: str, used_ids: set[str] | None = None) -> None:
        self.builder = builder
        self.env = builder.env
        self.config = builder.config
        self.docname = docname
        self.taxonomy: Taxonomy = get_taxonomy(self.config)
        self.taxonomy_shown = tc_config(self.config).shown_taxonomy
        self.bib: Bibliography = get_bibliography(self.config)
        self.domain: TCDomain = self.env.get_domain("tc")  # type: ignore[assignment]
        self.used_ids: set[str] = used_ids if used_ids is not None else set()
        self.html = builder.format == "html"
        self.authors_shown = tc_config(self.config).authors_shown
        self.show_bibtex = tc_config(self.config).show_bibtex
        self.section_id = ""  # section of the table being rendered
        self.section_uris: dict[str, str] = {}  # taxonomy section label -> URI from this page
        self.search_words: set[str] = set()  # words this page already gave the search index
        self.badges: dict[str, str] | None = None  # paper key -> badges markup, for this page's section links
        self._relative_uris: dict[str, str] = {}

    def unique_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.used_ids:
            n += 1
            candidate = f"{base}-{n}"
        self.used_ids.add(candidate)
        return candidate

    def page_uri(self, docname: str, anchor: str) -> str:
        if docname == self.docname:
            return "#" + anchor
        relative = self._relative_uris.get(docname)
        if relative is None:
            relative = self._relative_uris[docname] = self.builder.get_relative_uri(self.docname, docname)
        return relative + "#" + anchor

    def section_uri(self, label: str) -> str | None:
        """URI of the section a taxonomy value names, or None (warned once) if there is none."""
        if not label:
            return None
        std = self.env.get_domain("std")
        found = std.labels.get(label)  # type: ignore[attr-defined]
        if found is None:
            missing = getattr(self.config, "_tc_missing_labels", set())
            if label not in missing:
                self.config._tc_missing_labels = missing | {label}
                logger.warning(f"taxonomy section label '{label}' is not defined in any page; add "
                               f"'.. _{label}:' before that section or remove 'section' from the taxonomy file",
                               location=f"{self.taxonomy_shown}:{self.taxonomy.line_of(label)}",
                               type=WARNING_TYPE, subtype="reference")
            return None
        docname, labelid, _title = found
        return self.page_uri(docname, labelid)

    def resolve_section_uris(self) -> dict[str, str]:
        """Every taxonomy value's section URI as seen from this page (warnings happen here, once)."""
        uris = {}
        for facet in self.taxonomy.facets:
            for value in facet.values:
                uri = self.section_uri(value.section)
                if uri:
                    uris[value.section] = uri
        return uris

    def add_search_text(self, node: nodes.Element, papers: list[Paper]) -> None:
        """Sphinx's search index reads Text nodes: each paper's title, nickname and authors, on its canonical page only.

        The index keeps which pages hold a word, not how often, so each word goes in once
        per page: at 5,000 entries the all-papers page has 125,000 words and a few thousand
        distinct ones, and Sphinx filters and stems every word it is given.  No splitter
        finds a word across whitespace, so the index is the same as for the whole text.
        """
        home = self.docname
        canonical = self.domain.canonical_pages()
        words = dict.fromkeys(chain.from_iterable(f"{p.title} {p.aka} {' '.join(p.authors)} {abstract_of(p)}".split()
                                                  for p in papers if canonical.get(p.key) == home))
        seen = self.search_words
        fresh = [word for word in words if word not in seen]
        seen.update(fresh)
        if fresh:
            node += nodes.Text(" ".join(fresh))


def abstract_of(paper: Paper) -> str:
    """The ``abstract`` field as text (LaTeX decoded, braces dropped); "" without one.  Issue 20."""
    raw = paper.fields.get("abstract", "")
    return latex_to_text(raw).replace("{", "").replace("}", "").strip() if raw else ""
