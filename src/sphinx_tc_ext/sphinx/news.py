"""What changed in the survey, and when: ``tc-whats-new`` and ``:tc-last-updated:``.

Both read the ``added`` and ``updated`` fields (:mod:`sphinx_tc_ext.core.counts`) when the page
is written, not when it is read, like paper tables: each leaves a news record in the ``tc``
domain whose digest changes with what it shows, so a bib edit writes the page again
without reading it.  Items link to each paper's canonical card; other builders get the
same lists with plain text.

.. code-block:: md

   {tc-last-updated}`Last updated`.

   ```{tc-whats-new}
   :months: 12
   ```
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.nodes import make_refnode

from sphinx_tc_ext.core.model import Paper, paper_anchor
from sphinx_tc_ext.sphinx.cards import append_markup
from sphinx_tc_ext.sphinx.config import get_bibliography
from sphinx_tc_ext.sphinx.domain import TCDomain
from sphinx_tc_ext.sphinx.html import escape_attribute, escape_text
from sphinx_tc_ext.sphinx.nodes import tc_last_updated, tc_news, tc_news_items
from sphinx_tc_ext.sphinx.selection import NEWS, SelectionDirective, TableRecord, last_updated_of, news_digest, news_of

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def month_label(month: str) -> str:
    """``2025-08`` as ``August 2025``."""
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


class WhatsNewDirective(SelectionDirective):
    """``tc-whats-new``: per month, newest first, the papers added and the papers updated."""

    kind = NEWS
    has_content = False
    option_spec = {"months": directives.nonnegative_int}

    def run(self) -> list[nodes.Node]:
        options = {"what": "months", "months": self.options.get("months", 0)}
        serial = self.env.new_serialno("tc-news")
        node = tc_news(months=options["months"], prefix="news" if serial == 0 else f"news{serial}")
        self.set_source_info(node)
        self.record(f"news-{serial}", options, (), news_digest(get_bibliography(self.config), options))
        return [node]


def last_updated_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: dict | None = None,
                      content: list | None = None) -> tuple[list[nodes.Node], list]:
    """``{tc-last-updated}`Last updated```: the text, then the newest ``added``/``updated`` date of the bib."""
    env = inliner.document.settings.env
    record_options = {"what": "last-updated"}
    record = TableRecord(NEWS, f"last-updated-{env.new_serialno('tc-news')}", record_options, (),
                         news_digest(get_bibliography(env.config), record_options))
    env.get_domain("tc").note_table(env.docname, record)
    node = tc_last_updated(rawtext, "", label=text, classes=["tc-last-updated"])
    return [node], []


def render_news(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: fill the placeholders from the bib as it is now."""
    placeholders = list(doctree.findall(lambda n: isinstance(n, (tc_news, tc_last_updated))))
    if not placeholders:
        return
    bib = get_bibliography(app.config)
    domain: TCDomain = app.env.get_domain("tc")  # type: ignore[assignment]
    html = app.builder.format == "html"
    for node in placeholders:
        if isinstance(node, tc_last_updated):
            date = last_updated_of(bib)
            text = f"{node['label']} {date}" if date else f"{node['label']}: no date in the bib yet"
            node.replace_self(nodes.inline("", text, classes=["tc-last-updated"]))
            continue
        container = nodes.container(classes=["tc-whats-new"])
        news = news_of(bib, node["months"])
        if not news:
            container += nodes.paragraph("", "No paper has an added or updated date yet.")
        for month, added, updated in news:
            block = nodes.container(classes=["tc-news-month"], ids=[f"{node['prefix']}-{month}"])
            block += nodes.rubric("", month_label(month))
            for label, keys, what in (("Added", added, "added"), ("Updated", updated, "updated")):
                if not keys:
                    continue
                block += nodes.paragraph("", f"{label} ({len(keys)})", classes=[f"tc-news-{what}"])
                if html:
                    block += _html_items(bib.papers, keys, what, docname)
                    continue
                items = nodes.bullet_list(classes=[f"tc-news-{what}"])
                for key in keys:
                    items += nodes.list_item("", _item(app, domain, docname, bib.papers[key], what))
                block += items
            container += block
        node.replace_self(container)


def _details(paper: Paper, what: str) -> str:
    """What follows an item's title: its venue and the date of the change."""
    date = paper.added if what == "added" else paper.fields.get("updated", "")
    details = [paper.venue] if paper.venue else []
    details.append(f"{what} {date}")
    return " · " + " · ".join(details)


def _item(app: Sphinx, domain: TCDomain, docname: str, paper: Paper, what: str) -> nodes.paragraph:
    """One line: the title (a link to its card), the venue, and the date of the change."""
    para = nodes.paragraph()
    title = nodes.inline("", paper.title or paper.key, classes=["tc-news-title"])
    home = domain.canonical_page(paper.key)
    if home is not None and app.builder.format == "html":
        para += make_refnode(app.builder, docname, home, paper_anchor(paper.key), title, paper.key)
    else:
        para += title
    para += nodes.Text(_details(paper, what))
    return para


def _html_items(papers: dict[str, Paper], keys: list[str], what: str, docname: str) -> tc_news_items:
    """An HTML builder's list of items: keys, written as markup by :func:`visit_tc_news_items`.

    At 5,000 entries the page lists every paper: as nodes, 5,000 paragraphs to create,
    translate and index on every edit.  The one ``Text`` child, never written, gives
    Sphinx's search index each word of the items once (it keeps which pages hold a word).
    """
    node = tc_news_items("", keys=keys, what=what, docname=docname)
    words = dict.fromkeys(word for key in keys for paper in (papers[key],)
                          for word in f"{paper.title or paper.key}{_details(paper, what)}".split())
    node += nodes.Text(" ".join(words))
    return node


def visit_tc_news_items(self: Any, node: tc_news_items) -> None:
    """The ``<ul>`` Sphinx's HTML translator writes for :func:`_item`'s nodes, byte for byte, from strings.

    One format string per item (escaped with docutils' tables, attributes in ``starttag``'s
    order): 5,000 items take a few milliseconds.
    """
    builder = self.builder
    domain: TCDomain = builder.env.get_domain("tc")  # type: ignore[assignment]
    papers = get_bibliography(builder.config).papers
    docname, what = node["docname"], node["what"]
    uris: dict[str, str] = {}
    out = [f'<ul class="tc-news-{what} simple">\n']
    for key in node["keys"]:
        paper = papers[key]
        title = f'<span class="tc-news-title">{escape_text(paper.title or paper.key)}</span>'
        home = domain.canonical_page(key)
        if home is not None:
            if home == docname:
                href = "#" + paper_anchor(key)
            else:
                if home not in uris:
                    uris[home] = builder.get_relative_uri(docname, home)
                href = uris[home] + "#" + paper_anchor(key)
            title = (f'<a class="reference internal" href="{escape_attribute(href)}" '
                     f'title="{escape_attribute(key)}">{title}</a>')
        out.append(f"<li><p>{title}{escape_text(_details(paper, what))}</p></li>\n")
    out.append("</ul>\n")
    append_markup(self, "".join(out))
    raise nodes.SkipNode
