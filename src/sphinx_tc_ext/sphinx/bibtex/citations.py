"""Citations made with sphinxcontrib-bibtex on the same bib land on the paper's card.

sphinxcontrib-bibtex links ``{cite:p}`` to the entry in a bibliography directive.
When the cited paper has a card, the link is pointed at its canonical card
instead, so a reader goes from the survey's text straight to the paper's links,
badges and BibTeX.  Without a card the bibliography link is kept.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging

from sphinx_tc_ext.core.export import pybtex_style, text_reference
from sphinx_tc_ext.core.model import paper_anchor
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy
from sphinx_tc_ext.sphinx.domain import TCDomain
from sphinx_tc_ext.sphinx.nodes import tc_bibtex
from sphinx_tc_ext.sphinx.selection import FIXED, SelectionDirective

logger = logging.getLogger(__name__)


def citations_to_cards(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or "cite" not in app.env.domains:
        return
    cite_domain = app.env.get_domain("cite")
    ids_to_keys = {c.citation_id: c.key for c in getattr(cite_domain, "citations", ())}
    if not ids_to_keys:
        return
    tc_domain: TCDomain = app.env.get_domain("tc")  # type: ignore[assignment]
    for citation in doctree.findall(nodes.inline):
        if "bibtex-citation" not in citation["classes"]:
            continue
        for ref in citation.findall(nodes.reference):
            target = ref.get("refid") or ref.get("refuri", "").rpartition("#")[2]
            key = ids_to_keys.get(target)
            home = tc_domain.canonical_page(key) if key else None
            if home is None:
                continue
            anchor = paper_anchor(key)
            uri = "#" + anchor if home == docname else app.builder.get_relative_uri(docname, home) + "#" + anchor
            ref.attributes.pop("refid", None)
            ref["refuri"] = uri
            ref["internal"] = True
            ref["classes"].append("tc-cite")


class BibtexDirective(SelectionDirective):
    """``.. tc-bibtex:: KEY`` shows the entry as authors paste it (site-only fields removed).

    Used for "Cite this survey": the entry comes from the bib, so it cannot drift.  With
    ``:format: text`` it shows the entry as a reference in plain text instead, formatted by
    the pybtex style ``:style:`` (``plain`` by default), for readers who cite without BibTeX.
    """

    kind = FIXED
    required_arguments = 1
    option_spec = {
        "format": lambda arg: directives.choice(arg, ("bibtex", "text")),
        "style": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        key = self.arguments[0].strip()
        if get_bibliography(self.config).get(key) is None:
            logger.warning(f"tc-bibtex: no entry '{key}' in the bib; check the key", type=WARNING_TYPE,
                           subtype="reference", location=(self.env.docname, self.lineno))
            return []
        style = self.options.get("style", "plain").strip()
        try:
            pybtex_style(style)
        except ValueError as err:
            logger.warning(f"tc-bibtex: {err}; use one of them", type=WARNING_TYPE, subtype="reference",
                           location=(self.env.docname, self.lineno))
            return []
        node = tc_bibtex(key=key, format=self.options.get("format", "bibtex"), style=style)
        self.set_source_info(node)
        self.record("bibtex", {}, (key,), "fixed")
        return [node]


def fill_bibtex_blocks(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    bib = None
    for node in list(doctree.findall(tc_bibtex)):
        bib = bib or get_bibliography(app.config)
        paper = bib.get(node["key"])
        if node.get("format") == "text":
            text = text_reference(paper, node.get("style", "plain")) if paper else ""
            node.replace_self(nodes.paragraph(text, text, classes=["tc-cite-text"]))
            continue
        text = paper.clean_bibtex(get_taxonomy(app.config).hidden_bibtex_fields) if paper else ""
        block = nodes.literal_block(text, text, language="bibtex", classes=["tc-cite-block"])
        node.replace_self(block)
