"""The extension's docutils nodes, in one place so every module (and the registration table) can name them.

Most are placeholders that a ``doctree-resolved`` handler replaces before any writer
sees them, so they need no visitors; :class:`tc_element` is written by the visitors in
:mod:`sphinx_tc_ext.sphinx.html`, :class:`tc_cards` and :class:`tc_list` by the card
visitors (they hold keys, the markup comes from the page's card cache).
"""

from __future__ import annotations

from docutils import nodes


class paper_table(nodes.General, nodes.Element):
    """Placeholder for a table of cards; replaced when the page is written.

    Attributes: ``table_id``, ``docname``, ``group_by``, ``facets``, ``filter``,
    ``layout``; the selection (``keys``, ``groups``) is the domain's
    :class:`~sphinx_tc_ext.sphinx.selection.TableRecord`, copied in when the page is written.
    """


class tc_element(nodes.Element):
    """An HTML element with a fixed tag and ``data-`` attributes; only used by HTML builders.

    ``node["tag"]`` is the tag name, ``node["attrs"]`` extra attributes
    (escaped by ``starttag``).  Our own node class, so other extensions'
    ``container`` visitors are never affected.
    """


class tc_cards(nodes.General, nodes.Element):
    """A grid of cards: keys and card ids, assembled into markup by the HTML translator.

    Not a ``raw`` node, whose text Sphinx's search index would strip and index card by
    card; the one ``Text`` child (each paper's title and authors, on its canonical page)
    is what the index reads, and is never written.
    """


class tc_list(nodes.General, nodes.Element):
    """A ``:layout: list`` list in HTML: keys, filled by the translator like :class:`tc_cards`.

    The markup is what docutils writes for the bullet list other builders get, built
    from strings (and kept in the page's card cache): a page listing 5,000 papers would
    otherwise be 5,000 paragraphs of nodes to create, translate and feed to the search
    index on every edit.
    """


class tc_bibtex(nodes.General, nodes.Element):
    """Placeholder for a clean BibTeX entry; filled when the page is written, from the current bib."""


class tc_matrix(nodes.General, nodes.Element):
    """Placeholder holding the counts; turned into a table when the page is written."""


class tc_stats(nodes.General, nodes.Element):
    """Placeholder holding one chart's numbers (``node["data"]``)."""


class tc_news(nodes.General, nodes.Element):
    """Placeholder for ``tc-whats-new``: papers added and updated by month, drawn from the bib when written."""


class tc_last_updated(nodes.Inline, nodes.TextElement):
    """Placeholder for ``:tc-last-updated:``: the newest ``added``/``updated`` date, filled when written."""


class tc_news_items(nodes.General, nodes.Element):
    """One month's added (or updated) papers of ``tc-whats-new`` in HTML: keys, written by the translator.

    The markup is what Sphinx writes for the bullet list other builders get; its one
    ``Text`` child (the items' words, once each) is for the search index and never written.
    """
