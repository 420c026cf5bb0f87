"""Turn ``paper_table`` placeholders into cards (HTML) or a readable list (other builders).

Runs at ``doctree-resolved``, once every document has been read, so permalinks
point at each paper's canonical page.  Other builders get docutils nodes, whose
text their writers escape.  For HTML the cards are strings built with exactly
the escaping docutils' HTML writer applies (:func:`escape_text`,
:func:`escape_attribute`), held by :class:`tc_cards` nodes and cached per page
across builds (:class:`_PageCards`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import secrets
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.writers._html_base import HTMLTranslator
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util import logging

from sphinx_tc_ext.cache import heap
from sphinx_tc_ext.core.model import Bibliography, Paper, paper_anchor
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy, settings
from sphinx_tc_ext.sphinx.directive import paper_table
from sphinx_tc_ext.sphinx.domain import TCDomain
from sphinx_tc_ext.sphinx.filterbar import render_filterbar

logger = logging.getLogger(__name__)


class tc_element(nodes.Element):
    """An HTML element with a fixed tag and ``data-`` attributes; only used by HTML builders.

    ``node["tag"]`` is the tag name, ``node["attrs"]`` extra attributes
    (escaped by ``starttag``).  Our own node class, so other extensions'
    ``container`` visitors are never affected.
    """


VOID_ELEMENTS = frozenset({"img", "input", "br", "hr", "meta", "link", "source"})


def visit_tc_element(self: Any, node: tc_element) -> None:
    attrs = dict(node.get("attrs", {}))
    empty = node["tag"] in VOID_ELEMENTS
    self.body.append(self.starttag(node, node["tag"], "", empty=empty, **attrs))


def depart_tc_element(self: Any, node: tc_element) -> None:
    if node["tag"] not in VOID_ELEMENTS:
        self.body.append(f"</{node['tag']}>")


def el(tag: str, *children: nodes.Node, classes: list[str] | None = None, ids: list[str] | None = None,
       **attrs: str) -> tc_element:
    node = tc_element("", *children, tag=tag, attrs=attrs)
    if classes:
        node["classes"] = classes
    if ids:
        node["ids"] = ids
    return node


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


def text(value: str) -> nodes.Text:
    return nodes.Text(value)


# -- cards as markup ---------------------------------------------------------------------------
# A page of 5,000 papers holds about 600,000 card elements: as docutils nodes they cost half the
# build (creating them, then translating them).  Cards are therefore built as small Python
# objects and written as one raw HTML node per grid, with exactly the escaping docutils' HTML
# writer applies (its own translation table), so the markup is byte-for-byte what the nodes gave.

_ESCAPES = HTMLTranslator.special_characters
# docutils' starttag turns these into spaces in attribute values, then escapes: one table does both.
_ATTRIBUTE_ESCAPES = {**{ord(c): " " for c in "\n\r\t\v\f"}, **_ESCAPES}


def escape_text(value: str) -> str:
    return value.translate(_ESCAPES)


def escape_attribute(value: str) -> str:
    return value.translate(_ATTRIBUTE_ESCAPES)


class Html:
    """An element of a card: ``h("a", "text", classes=[...], href=...)``; ``str()`` gives its markup."""

    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, children: list, attrs: dict[str, str]) -> None:
        self.tag, self.children, self.attrs = tag, children, attrs

    def __iadd__(self, child: Html | str) -> Html:
        self.children.append(child)
        return self

    def __len__(self) -> int:
        return len(self.children)

    def write(self, out: list[str]) -> None:
        if self.attrs:  # sorted, like docutils' starttag
            out.append(f"<{self.tag} " + " ".join(f'{name}="{value.translate(_ATTRIBUTE_ESCAPES)}"'
                                                  for name, value in sorted(self.attrs.items())) + ">")
        else:
            out.append(f"<{self.tag}>")
        for child in self.children:
            if isinstance(child, Html):
                child.write(out)
            else:
                out.append(escape_text(child))
        if self.tag not in VOID_ELEMENTS:
            out.append(f"</{self.tag}>")


def h(tag: str, *children: Html | str, classes: list[str] | None = None, ids: list[str] | None = None,
      **attrs: str) -> Html:
    if classes:
        attrs["class"] = " ".join(classes)
    if ids:
        attrs["id"] = ids[0]
    return Html(tag, list(children), attrs)


def table_node(rows: list[list[nodes.Node | str]], caption: str, classes: list[str]) -> nodes.table:
    """A docutils table whose first row is the header, for every builder.

    Column widths follow the longest cell: the text writer of older docutils loops
    forever on a width-1 column holding a long word.
    """
    table = nodes.table(classes=classes)
    if caption:
        table += nodes.title("", caption)
    group = nodes.tgroup(cols=len(rows[0]))
    table += group
    for column in zip(*rows, strict=True):
        width = max(len(cell.astext() if isinstance(cell, nodes.Node) else str(cell)) for cell in column)
        group += nodes.colspec(colwidth=min(max(width, 3), 40))

    def row_of(cells: list[nodes.Node | str]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            content = cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            row += nodes.entry("", nodes.paragraph("", "", content))
        return row

    group += nodes.thead("", row_of(rows[0]))
    group += nodes.tbody("", *(row_of(r) for r in rows[1:]))
    return table


class _Context:
    """What every card of one page needs: the data, the page, and URI helpers.

    Built from the builder alone, so the HTML translator (which runs in a worker
    process under ``-j``) can build one as well as ``doctree-resolved`` can.
    """

    def __init__(self, builder: Builder, docname: str, used_ids: set[str] | None = None) -> None:
        self.builder = builder
        self.env = builder.env
        self.config = builder.config
        self.docname = docname
        self.taxonomy: Taxonomy = get_taxonomy(self.config)
        self.taxonomy_shown = settings(self.config).shown_taxonomy
        self.bib: Bibliography = get_bibliography(self.config)
        self.domain: TCDomain = self.env.get_domain("tc")  # type: ignore[assignment]
        self.used_ids: set[str] = used_ids if used_ids is not None else set()
        self.html = builder.format == "html"
        self.authors_shown = self.config.tc_authors_shown
        self.show_bibtex = self.config.tc_show_bibtex
        self.section_id = ""  # section of the table being rendered
        self.section_uris: dict[str, str] = {}  # taxonomy section label -> URI from this page
        self.search_words: set[str] = set()  # words this page already gave the search index
        self._relative_uris: dict[str, str] = {}
        self._badges: dict[str, str] | None = None

    def shared_parts(self, paper: Paper) -> tuple[str, ...] | None:
        """A card's markup around its four page-specific places, memoized on the parsed bib.

        Keyed by what the shared markup depends on, so builds in one process that differ
        in options never share a card.  None when the paper's own text holds the marker.
        """
        memo = self.bib.__dict__.setdefault("_tc_card_parts", {})
        key = (paper.key, self.authors_shown, self.show_bibtex, id(self.taxonomy))
        if key not in memo:
            out: list[str] = []
            html_card(self, paper, _SLOT, _SLOT, _SLOT, _SLOT).write(out)
            parts = tuple("".join(out).split(_SLOT))
            memo[key] = parts if len(parts) == 5 else None
        return memo[key]

    def badges_markup(self, paper: Paper) -> str:
        """A paper's badges as markup, shared by the pages whose section links read the same."""
        if self._badges is None:
            memo = self.bib.__dict__.setdefault("_tc_badges", {})
            self._badges = memo.setdefault((tuple(sorted(self.section_uris.items())), id(self.taxonomy)), {})
        markup = self._badges.get(paper.key)
        if markup is None:
            out: list[str] = []
            html_badges(self, paper).write(out)
            markup = self._badges[paper.key] = "".join(out)
        return markup

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


def render_paper_tables(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each ``paper_table`` placeholder with rendered papers (``doctree-resolved``).

    Runs once all documents are read, so permalinks point at each paper's canonical
    page.  For HTML the tables are laid out as nodes (filter bar, group headings) and
    each grid of cards becomes one :class:`tc_cards` node, which the translator fills.
    Under ``-j N`` Sphinx resolves pages here, in the main process, while a worker
    writes the pages resolved before: the work is split between the two, the parts of
    a card every page shares built here, the cards assembled by the writer.  A serial
    build leaves them to the writer, which needs them only for cards not in its cache.
    """
    tables = list(doctree.findall(paper_table))
    if not tables:
        return
    ctx = _Context(app.builder, docname, set(doctree.ids))
    if ctx.html:
        ctx.section_uris = ctx.resolve_section_uris()
    for node in tables:
        record = ctx.domain.table(node["docname"], node["table_id"])
        node["keys"], node["groups"] = (record.keys, record.groups) if record is not None else ((), [])
        level = sum(1 for a in _ancestors(node) if isinstance(a, nodes.section))
        ctx.section_id = next((a["ids"][0] for a in _ancestors(node)
                               if isinstance(a, nodes.section) and a["ids"]), "")
        if ctx.html and node.get("layout", "cards") == "cards":
            node.replace_self(render_html_table(ctx, node, level))
        else:
            node.replace_self(render_plain_table(ctx, node))
    # The translator assembles cards and list items (from the page's cache); the last node saves it.
    grids = list(doctree.findall(lambda n: isinstance(n, (tc_cards, tc_list))))
    section_uris = sorted(ctx.section_uris.items())
    for i, grid in enumerate(grids):
        grid["docname"], grid["section_uris"], grid["last"] = docname, section_uris, i == len(grids) - 1
        if app.parallel > 1 and isinstance(grid, tc_cards):  # a worker forked after this inherits them
            for key in grid["keys"]:
                paper = ctx.bib.papers[key]
                ctx.shared_parts(paper)
                ctx.badges_markup(paper)


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _count_keys(inner: list) -> int:
    keys: set[str] = set()

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, str):
                keys.add(item)
            else:
                walk(item[3])

    walk(inner)
    return len(keys)


# -- HTML ------------------------------------------------------------------------------------

def render_html_table(ctx: _Context, node: paper_table, level: int) -> nodes.Node:
    facets = node["facets"]
    container = el("div", classes=["tc-paper-table", *node["classes"]], ids=[node["table_id"]], **{
        "data-facets": " ".join(facets),
        "data-group-by": " ".join(node["group_by"]),
        "data-total": str(len(node["keys"])),
    })
    container += render_filterbar(ctx, node["table_id"], facets, node["keys"])
    if not node["keys"]:
        container += el("p", text("No paper matches this table's filter."), classes=["tc-empty"])
        return container
    container += el("p", text(f"{len(node['keys'])} papers"), classes=["tc-count"], role="status",
                    **{"aria-live": "polite"})
    _html_groups(ctx, container, node["groups"], node["group_by"], min(level + 1, 6))
    return container


def _html_groups(ctx: _Context, parent: nodes.Element, groups: list, group_by: list[str], level: int) -> None:
    for value_id, label, anchor, inner in groups:
        if value_id is None:  # ungrouped table
            _html_cards(ctx, parent, inner)
            continue
        section = el("section", classes=["tc-group"], **{"data-facet": group_by[0], "data-value": value_id})
        anchor = ctx.unique_id(anchor)
        heading = el(f"h{level}", text(label + " "), classes=["tc-group-title"], ids=[anchor])
        heading += el("span", text(f"({_count_keys(inner)})"), classes=["tc-group-count"])
        heading += el("a", text("¶"), classes=["headerlink"], href="#" + anchor,
                      title="Link to this group")
        section += heading
        if inner and not isinstance(inner[0], str):
            _html_groups(ctx, section, inner, group_by[1:], min(level + 1, 6))
        else:
            _html_cards(ctx, section, inner)
        parent += section


def _html_cards(ctx: _Context, parent: nodes.Element, keys: list[str]) -> None:
    papers = [p for p in map(ctx.bib.papers.get, keys) if p is not None]
    grid = tc_cards("", keys=[p.key for p in papers], card_ids=[ctx.unique_id(paper_anchor(p.key)) for p in papers],
                    section_id=ctx.section_id)
    _add_search_text(ctx, grid, papers)
    parent += grid


def _add_search_text(ctx: _Context, node: nodes.Element, papers: list[Paper]) -> None:
    """Sphinx's search index reads Text nodes: each paper's title and authors, on its canonical page only.

    The index keeps which pages hold a word, not how often, so each word goes in once
    per page: at 5,000 entries the all-papers page has 125,000 words and a few thousand
    distinct ones, and Sphinx filters and stems every word it is given.  No splitter
    finds a word across whitespace, so the index is the same as for the whole text.
    """
    home = ctx.docname
    canonical = ctx.domain.canonical_pages()
    words = dict.fromkeys(chain.from_iterable(f"{p.title} {' '.join(p.authors)}".split()
                                              for p in papers if canonical.get(p.key) == home))
    seen = ctx.search_words
    fresh = [word for word in words if word not in seen]
    seen.update(fresh)
    if fresh:
        node += nodes.Text(" ".join(fresh))


_SLOT = "\x00"  # marks the page-specific places in a card's shared markup (escaping keeps it)


def card_markup(ctx: _Context, paper: Paper, card_id: str) -> str:
    """One card's markup: the parts every page shares are built once per paper and process.

    A paper's card differs between pages only in its id, its permalink, its badges'
    links (relative to the page) and its "Discussed in" line; everything else (most of
    the bytes: authors, links, BibTeX) is reused.
    """
    home = ctx.domain.canonical_page(paper.key) or ctx.docname
    permalink = ctx.page_uri(home, paper.anchor)
    discussed = discussed_in(ctx, paper.key)
    shared = ctx.shared_parts(paper)
    if shared is None:  # the paper's own text holds the marker: build this card directly
        out: list[str] = []
        html_card(ctx, paper, card_id, permalink, html_badges(ctx, paper), discussed).write(out)
        return "".join(out)
    out = [shared[0], escape_attribute(card_id), shared[1], escape_attribute(permalink), shared[2],
           ctx.badges_markup(paper), shared[3]]
    if discussed is not None:
        discussed.write(out)
    out.append(shared[4])
    return "".join(out)


def html_badges(ctx: _Context, paper: Paper) -> Html:
    """The venue badge and a badge per taxonomy value, linked to the value's section."""
    # Badges and buttons are the bulk of a card's bytes: no wrappers, no redundant attributes
    # (a page of 5,000 cards stays under 2 KB per card).
    badges = h("p", classes=["tc-badges"])
    if paper.venue:
        badges += h("span", paper.venue, classes=["tc-badge", "tc-venue", f"tc-{paper.venue_kind}"])
    for facet in ctx.taxonomy.facets:
        for vid in paper.facets.get(facet.id, ()):
            value = facet.value(vid)
            if value is None:
                continue
            uri = ctx.section_uris.get(value.section)
            badge_attrs = {"data-facet": facet.id, "data-value": vid}
            classes = ["tc-badge"]
            if len(badges):
                badges += " "
            if uri:
                badges += h("a", value.label, classes=classes, href=uri, **badge_attrs)
            else:
                badges += h("span", value.label, classes=classes, **badge_attrs)
    return badges


def html_card(ctx: _Context, paper: Paper, card_id: str, permalink: str, badges: Html | str,
              discussed: Html | str | None) -> Html:
    attrs = {"data-key": paper.key, "data-kind": paper.venue_kind}
    optional = {"data-year": str(paper.year or ""), "data-month": str(paper.month or ""),
                "data-code": "1" if paper.has_code else ""}
    for facet in ctx.taxonomy.facets:
        optional[f"data-{facet.id}"] = " ".join(paper.facets.get(facet.id, ()))
    attrs.update((name, value) for name, value in optional.items() if value)
    card = h("article", classes=["tc-card"], ids=[card_id], **attrs)

    title = h("p", classes=["tc-title"])
    title_text = paper.title or paper.key
    if "paper" in paper.links:
        title += h("a", title_text, href=paper.links["paper"])
    else:
        title += title_text
    title += h("a", "#", classes=["tc-permalink"], href=permalink, **{"aria-label": "Permalink"})
    card += title

    if paper.authors:
        authors = h("div", classes=["tc-authors"])
        shown = paper.authors if len(paper.authors) <= ctx.authors_shown + 1 else paper.authors[:ctx.authors_shown]
        authors += ", ".join(shown)
        if len(shown) < len(paper.authors):
            authors += " "
            rest = paper.authors[len(shown):]
            more = h("details", classes=["tc-more-authors"])
            more += h("summary", f"and {len(rest)} more")
            more += h("span", ", ".join(rest))
            authors += more
        card += authors

    card += badges

    links = h("p", classes=["tc-links"])
    for name, label in (("paper", "Paper"), *LINK_FIELDS):
        if name in paper.links:
            if len(links):
                links += " "
            links += h("a", label, classes=[f"tc-link-{name}"], href=paper.links[name])
    if paper.fields.get("note"):
        card += h("p", paper.fields["note"], classes=["tc-note"])
    if len(links):
        card += links
    if discussed is not None:
        card += discussed
    if ctx.show_bibtex:
        bibtex = h("details", classes=["tc-bibtex"])
        bibtex += h("summary", "BibTeX")
        bibtex += h("pre", paper.clean_bibtex(ctx.taxonomy.hidden_bibtex_fields))
        card += bibtex
    return card


def discussed_in(ctx: _Context, key: str) -> Html | None:
    """Links to every other section that cites the paper or lists it in a filtered table."""
    seen: set[tuple[str, str]] = {(ctx.docname, ctx.section_id)}
    links = []
    for mention in ctx.domain.backlinks(key):
        place = (mention.docname, mention.section_id)
        if place in seen:
            continue
        seen.add(place)
        links.append(h("a", mention.title, href=ctx.page_uri(*place),
                        **({"data-cites": "1"} if mention.kind == "cites" else {})))
    if not links:
        return None
    if len(links) <= 3:
        para = h("p", "Discussed in: ", classes=["tc-discussed"])
    else:  # a long list stays one line until the reader asks for it
        para = h("details", h("summary", f"Discussed in {len(links)} sections"), classes=["tc-discussed"])
    for i, link in enumerate(links):
        if i:
            para += ", "
        para += link
    return para


# -- other builders: a readable list --------------------------------------------------------

def render_plain_table(ctx: _Context, node: paper_table) -> list[nodes.Node]:
    if not node["keys"]:
        return [nodes.paragraph("", "No paper matches this table's filter.")]
    result: list[nodes.Node] = [nodes.target("", "", ids=[node["table_id"]])] if ctx.html else []
    _plain_groups(ctx, result, node["groups"], node["group_by"], prefix="")
    return result


def _plain_groups(ctx: _Context, out: list[nodes.Node], groups: list, group_by: list[str], prefix: str) -> None:
    for value_id, label, _anchor, inner in groups:
        if value_id is None:
            out.append(_plain_list(ctx, inner))
            continue
        label = prefix + label
        out.append(nodes.rubric("", f"{label} ({_count_keys(inner)})"))
        if inner and not isinstance(inner[0], str):
            _plain_groups(ctx, out, inner, group_by[1:], prefix=label + " / ")
        else:
            out.append(_plain_list(ctx, inner))


def _plain_list(ctx: _Context, keys: list[str]) -> nodes.Element:
    if ctx.html:
        papers = [p for p in (ctx.bib.get(k) for k in keys) if p is not None]
        listing = tc_list("", keys=[p.key for p in papers])
        _add_search_text(ctx, listing, papers)
        return listing
    items = nodes.bullet_list()
    for key in keys:
        paper = ctx.bib.get(key)
        if paper is None:
            continue
        para = nodes.paragraph()
        for kind, value, uri in list_item_parts(ctx.taxonomy, paper):
            if kind == "text":
                para += nodes.Text(value)
            elif kind == "venue":
                para += nodes.emphasis("", value)
            elif kind == "title":
                title = nodes.strong("", value)
                para += nodes.reference("", "", title, refuri=uri) if uri else title
            else:
                para += nodes.reference("", value, refuri=uri)
        items += nodes.list_item("", para)
    return items


def list_item_parts(taxonomy: Taxonomy, paper: Paper) -> list[tuple[str, str, str]]:
    """What one item of a list layout says, as ``(kind, text, uri)``: the nodes other builders get
    and the HTML markup (:func:`list_item_markup`) are both written from this one description."""
    parts = [("title", paper.title or paper.key, paper.links.get("paper", ""))]
    if paper.authors:
        parts.append(("text", ". " + ", ".join(paper.authors), ""))
    if paper.venue:
        parts += [("text", ". ", ""), ("venue", paper.venue, "")]
    labels = [facet.value(v).label for facet in taxonomy.facets
              for v in paper.facets.get(facet.id, ()) if facet.value(v)]
    if labels:
        parts.append(("text", ". " + ", ".join(labels), ""))
    parts.append(("text", ".", ""))
    for name, label in LINK_FIELDS:
        if name in paper.links:
            parts += [("text", " ", ""), ("link", f"[{label}]", paper.links[name])]
    return parts


# -- cards cached across builds, and the translator's side -----------------------------------

CARD_CACHE_DIR = "tc-cards"


class _PageCards:
    """The cards of one page being written, and the cache of the cards it showed last time.

    A card's markup depends on the paper, its id and section on this page, its
    canonical page and backlinks (the card key), and on page-wide inputs (the page,
    the builder, the taxonomy, the ``tc_*`` options, this module's code: the stamp).
    Editing one entry then rebuilds a page of 5,000 cards from 4,999 cached ones.
    """

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        builder = ctx.builder
        self.path = Path(builder.doctreedir, CARD_CACHE_DIR, builder.name, ctx.docname + ".pickle")
        self.stamp = hashlib.sha1(repr((
            _code_digest(), ctx.docname, builder.name, builder.get_target_uri(ctx.docname),
            sorted(ctx.section_uris.items()), settings(ctx.config).taxonomy_path.read_bytes(),
            ctx.authors_shown, ctx.show_bibtex,
        )).encode("utf-8")).digest()
        self.old: dict[tuple[str, ...], str] = {}
        try:
            with self.path.open("rb") as f, heap.paused():
                saved = pickle.load(f)
            if saved.get("stamp") == self.stamp:
                self.old = saved["cards"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError, ValueError):
            pass
        self.new: dict[tuple[str, ...], str] = {}
        self.built = 0  # cards not found in the old file
        self.digests = ctx.bib.digests()

    def card(self, paper: Paper, card_id: str) -> str:
        ctx = self.ctx
        key = (self.digests[paper.key], ctx.domain.links_digest(paper.key), card_id, ctx.section_id)
        return self._cached(key, lambda: card_markup(ctx, paper, card_id))

    def list_item(self, paper: Paper) -> str:
        """One ``<li>`` of a list layout (it depends on the paper and the page-wide inputs only)."""
        return self._cached((self.digests[paper.key], "li"), lambda: list_item_markup(self.ctx.taxonomy, paper))

    def _cached(self, key: tuple[str, ...], build: Callable[[], str]) -> str:
        markup = self.old.get(key)
        if markup is None:
            markup = build()
            self.built += 1
        self.new[key] = markup
        return markup

    def save(self) -> None:
        """Written atomically (a killed build leaves the old file or the new), and only when worth it.

        After an edit of a few entries the old file still serves all but those few cards:
        rewriting megabytes for them would cost more than building them again next time,
        so the file is kept until 2% of the page's cards are missing from it or it holds
        twice as many cards as the page shows.
        """
        if self.new == self.old:
            return
        if self.old and self.built * 50 <= len(self.new) and len(self.old) <= 2 * len(self.new):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as f:
            pickle.dump({"stamp": self.stamp, "cards": self.new}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


@functools.cache
def _code_digest() -> bytes:
    """The card markup changes with this module's code (and the package version)."""
    from sphinx_tc_ext._version import __version__

    return hashlib.sha1(Path(__file__).read_bytes() + __version__.encode()).digest()


def _page_cards(translator: Any, node: tc_cards | tc_list) -> _PageCards:
    page = getattr(translator, "_tc_page_cards", None)
    if page is None:
        ctx = _Context(translator.builder, node["docname"])
        ctx.section_uris = dict(node["section_uris"])
        page = translator._tc_page_cards = _PageCards(ctx)
    return page


def _written(translator: Any, node: tc_cards | tc_list, page: _PageCards, markup: str) -> None:
    deferred = getattr(translator.builder, "_tc_deferred", None)
    if deferred is None:
        translator.body.append(markup)
    else:
        markups = deferred.setdefault(translator.builder.current_docname, [])
        translator.body.append(f"{_DEFERRED}{len(markups)}-->")
        markups.append(markup)
    if node["last"]:
        page.save()
        translator._tc_page_cards = None
    raise nodes.SkipNode


def visit_tc_cards(self: Any, node: tc_cards) -> None:
    page = _page_cards(self, node)
    ctx = page.ctx
    ctx.section_id = node["section_id"]
    parts = ['<div class="tc-cards">']
    parts.extend(page.card(ctx.bib.papers[key], card_id)
                 for key, card_id in zip(node["keys"], node["card_ids"], strict=True))
    parts.append("</div>")
    _written(self, node, page, "".join(parts))


def visit_tc_list(self: Any, node: tc_list) -> None:
    page = _page_cards(self, node)
    papers = page.ctx.bib.papers
    parts = ['<ul class="simple">\n']
    parts.extend(page.list_item(papers[key]) for key in node["keys"])
    parts.append("</ul>\n")
    _written(self, node, page, "".join(parts))


def list_item_markup(taxonomy: Taxonomy, paper: Paper) -> str:
    """One ``<li>`` of a list layout, byte for byte what docutils writes for :func:`_plain_list`'s nodes."""
    para = h("p")
    for kind, value, uri in list_item_parts(taxonomy, paper):
        if kind == "text":
            para += value
        elif kind == "venue":
            para += h("em", value)
        elif kind == "title":
            title = h("strong", value)
            para += h("a", title, classes=["reference", "external"], href=uri) if uri else title
        else:
            para += h("a", value, classes=["reference", "external"], href=uri)
    out = ["<li>"]
    para.write(out)
    out.append("</li>\n")
    return "".join(out)


# -- cards put in place after Sphinx's debug message ---------------------------------------
#
# Sphinx builds a debug message holding ``repr()`` of every event's arguments, even
# when debug output is off; for ``html-page-context`` that is the whole page body, and
# on pages of thousands of cards the repr took a tenth of an edit's rebuild.  So the
# translator leaves a marker where each grid goes, and the first ``html-page-context``
# handler (which runs after that repr) puts the grids in.  Only for builders derived
# from Sphinx's HTML builder, all of which emit the event for every page they write.

_DEFERRED = f"<!--tc-cards {secrets.token_hex(8)} "


def defer_cards(app: Sphinx) -> None:
    """``builder-inited``: markup of each page's grids, by docname, until its page context is emitted."""
    if isinstance(app.builder, StandaloneHTMLBuilder):
        app.builder._tc_deferred = {}  # type: ignore[attr-defined]


def insert_cards(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context``, before any other handler: the page's grids in place of their markers."""
    deferred = getattr(app.builder, "_tc_deferred", None)
    markups = deferred.pop(pagename, None) if deferred else None
    if not markups:
        return
    pieces = context["body"].split(_DEFERRED)
    out = [pieces[0]]
    for piece in pieces[1:]:
        number, _, rest = piece.partition("-->")
        out += (markups[int(number)], rest)
    context["body"] = "".join(out)
