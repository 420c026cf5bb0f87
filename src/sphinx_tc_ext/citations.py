"""Citations made with sphinxcontrib-bibtex on the same bib land on the paper's card.

sphinxcontrib-bibtex links ``{cite:p}`` to the entry in a bibliography directive.
When the cited paper has a card, the link is pointed at its canonical card
instead, so a reader goes from the survey's text straight to the paper's links,
badges and BibTeX.  Without a card the bibliography link is kept.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

from .domain import TCDomain, paper_anchor


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


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", citations_to_cards)
