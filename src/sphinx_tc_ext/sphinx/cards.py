"""Turn ``paper_table`` placeholders into cards (HTML) or a readable list (other builders).

Runs at ``doctree-resolved``, once every document has been read, so permalinks
point at each paper's canonical page.  For HTML the cards are strings built with the
toolkit of :mod:`sphinx_tc_ext.sphinx.html`, held by
:class:`~sphinx_tc_ext.sphinx.nodes.tc_cards` nodes, assembled by the translator and
cached per page across builds (:mod:`sphinx_tc_ext.cache.card_cache`); other builders
get the list of :mod:`sphinx_tc_ext.sphinx.plainlist`.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder

from sphinx_tc_ext.cache.card_cache import CardCache, card_cache_path
from sphinx_tc_ext.cache.state import state_of
from sphinx_tc_ext.core.export import coins_title
from sphinx_tc_ext.core.model import Paper, paper_anchor
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Facet
from sphinx_tc_ext.sphinx.config import tc_config
from sphinx_tc_ext.sphinx.context import PageContext, abstract_of
from sphinx_tc_ext.sphinx.filterbar import render_filterbar
from sphinx_tc_ext.sphinx.html import Html, el, escape_attribute, h, text
from sphinx_tc_ext.sphinx.nodes import paper_table, tc_cards, tc_list
from sphinx_tc_ext.sphinx.plainlist import count_keys, list_item_markup, render_plain_table
from sphinx_tc_ext.sphinx.tablelayout import render_table_layout


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
    ctx = PageContext(app.builder, docname, set(doctree.ids))
    if ctx.html:
        ctx.section_uris = ctx.resolve_section_uris()
    for node in tables:
        record = ctx.domain.table(node["docname"], node["table_id"])
        node["keys"], node["groups"] = (record.keys, record.groups) if record is not None else ((), [])
        level = sum(1 for a in _ancestors(node) if isinstance(a, nodes.section))
        ctx.section_id = next((a["ids"][0] for a in _ancestors(node)
                               if isinstance(a, nodes.section) and a["ids"]), "")
        if node.get("layout") == "table":
            node.replace_self(render_table_layout(ctx, node))
        elif ctx.html and node.get("layout", "cards") == "cards":
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
                shared_parts(ctx, paper)
                badges_markup(ctx, paper)


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


# -- HTML ------------------------------------------------------------------------------------

def render_html_table(ctx: PageContext, node: paper_table, level: int) -> nodes.Node:
    facets = node["facets"]
    classes = ["tc-paper-table", *design_classes(ctx), *node["classes"]]
    container = el("div", classes=classes, ids=[node["table_id"]], **{
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
    _html_groups(ctx, container, node["groups"], node["group_by"], min(level + 1, 6), {}, ())
    return container


def _html_groups(ctx: PageContext, parent: nodes.Element, groups: list, group_by: list[str], level: int,
                 first: dict[str, tuple[str, str]], where: tuple[str, ...]) -> None:
    """Group sections with their headings; ``first`` collects each paper's first card (see :func:`_html_cards`)."""
    for value_id, label, anchor, inner in groups:
        if value_id is None:  # ungrouped table
            _html_cards(ctx, parent, inner, first, where)
            continue
        section = el("section", classes=["tc-group"], **{"data-facet": group_by[0], "data-value": value_id})
        anchor = ctx.unique_id(anchor)
        heading = el(f"h{level}", text(label + " "), classes=["tc-group-title"], ids=[anchor])
        heading += el("span", text(f"({count_keys(inner)})"), classes=["tc-group-count"])
        heading += el("a", text("¶"), classes=["headerlink"], href="#" + anchor,
                      title="Link to this group")
        section += heading
        if inner and not isinstance(inner[0], str):
            _html_groups(ctx, section, inner, group_by[1:], min(level + 1, 6), first, (*where, label))
        else:
            _html_cards(ctx, section, inner, first, (*where, label))
        parent += section


def _html_cards(ctx: PageContext, parent: nodes.Element, keys: list[str],
                first: dict[str, tuple[str, str]], where: tuple[str, ...]) -> None:
    """A grid of cards.  A paper in several groups has one full card, its first; the others are
    repeats (``repeats[i]``: the first card's id and group), short cards that link to it."""
    papers = [p for p in map(ctx.bib.papers.get, keys) if p is not None]
    card_ids = [ctx.unique_id(paper_anchor(p.key)) for p in papers]
    repeats: list[tuple[str, str] | None] = []
    for paper, card_id in zip(papers, card_ids, strict=True):
        repeats.append(first.get(paper.key))
        first.setdefault(paper.key, (card_id, " › ".join(where)))
    grid = tc_cards("", keys=[p.key for p in papers], card_ids=card_ids, section_id=ctx.section_id,
                    repeats=repeats)
    ctx.add_search_text(grid, [p for p, r in zip(papers, repeats, strict=True) if r is None])
    parent += grid


# -- sphinx-design's classes ---------------------------------------------------------------------
#
# Cards, badges and link buttons carry sphinx-design's classes, so a site's sphinx-design theme
# (its colours, its dark mode) styles them too.  A table says whether sphinx-design is loaded
# (``tc-sd``): tc.css styles the same parts itself only in tables without it.

CARD_CLASSES = ("tc-card", "sd-card", "sd-shadow-sm")
BADGE_CLASSES = ("tc-badge", "sd-badge")
LINK_BUTTON_CLASSES = ("sd-btn", "sd-btn-outline-primary")


def design_classes(ctx: PageContext) -> list[str]:
    """``tc-sd`` on a table when the project loads sphinx-design (its CSS is then on the page)."""
    return ["tc-sd"] if "sphinx_design" in ctx.config.extensions else []


def coins_span(ctx: PageContext, paper: Paper) -> Html | None:
    """The card's COinS span: Zotero (and other reference managers) offer to save every card of a page.

    The page script reads the same span to export the filtered papers as RIS and CSL-JSON.
    About 500 bytes a card: ``tc_coins = False`` leaves it (and those exports) out.
    """
    if not coins_enabled(ctx.config):
        return None
    return h("span", classes=["Z3988"], title=coins_title(paper, ctx.taxonomy))


def coins_enabled(config: Any) -> bool:
    return bool(getattr(config, "tc_coins", True))


# -- cards as markup ---------------------------------------------------------------------------

_SLOT = "\x00"  # marks the page-specific places in a card's shared markup (escaping keeps it)


def card_markup(ctx: PageContext, paper: Paper, card_id: str) -> str:
    """One card's markup: the parts every page shares are built once per paper and process.

    A paper's card differs between pages only in its id, its permalink, its badges'
    links (relative to the page) and its "Discussed in" line; everything else (most of
    the bytes: authors, links, BibTeX) is reused.
    """
    home = ctx.domain.canonical_page(paper.key) or ctx.docname
    permalink = ctx.page_uri(home, paper.anchor)
    discussed = discussed_in(ctx, paper.key)
    shared = shared_parts(ctx, paper)
    if shared is None:  # the paper's own text holds the marker: build this card directly
        out: list[str] = []
        html_card(ctx, paper, card_id, permalink, html_badges(ctx, paper), discussed).write(out)
        return "".join(out)
    out = [shared[0], escape_attribute(card_id), shared[1], escape_attribute(permalink), shared[2],
           badges_markup(ctx, paper), shared[3]]
    if discussed is not None:
        discussed.write(out)
    out.append(shared[4])
    return "".join(out)


def html_badges(ctx: PageContext, paper: Paper) -> Html:
    """The venue badge and a badge per taxonomy value, linked to the value's section."""
    # Badges and buttons are the bulk of a card's bytes: no wrappers, no redundant attributes
    # (a page of 5,000 cards stays under 2 KB per card).
    badges = h("p", classes=["tc-badges"])
    for _key, make in _badge_makers(ctx, paper):
        badge = make()
        if badge is None:
            continue
        if len(badges):
            badges += " "
        badges += badge
    return badges


def _badge_makers(ctx: PageContext, paper: Paper) -> Iterator[tuple[tuple[str, ...], Callable[[], Html | None]]]:
    """A paper's badges in order, each as a key naming its markup (alike on every paper) and its builder.

    :func:`html_badges` builds them; :func:`badges_markup` builds each key once.
    """
    if paper.venue:
        yield ("venue", paper.venue, paper.venue_kind), functools.partial(venue_badge, paper)
    for facet in ctx.taxonomy.facets:
        for vid in paper.facets.get(facet.id, ()):
            yield (facet.id, vid), functools.partial(value_badge, ctx, facet, vid)


def venue_badge(paper: Paper) -> Html:
    return h("span", paper.venue, classes=[*BADGE_CLASSES, "tc-venue", f"tc-{paper.venue_kind}"])


def value_badge(ctx: PageContext, facet: Facet, vid: str) -> Html | None:
    """A taxonomy value's badge: a link to the value's section when the site has one."""
    value = facet.value(vid)
    if value is None:
        return None
    attrs = {"data-facet": facet.id, "data-value": vid}
    if uri := ctx.section_uris.get(value.section):
        return h("a", value.label, classes=list(BADGE_CLASSES), href=uri, **attrs)
    return h("span", value.label, classes=list(BADGE_CLASSES), **attrs)


def html_card(ctx: PageContext, paper: Paper, card_id: str, permalink: str, badges: Html | str,
              discussed: Html | str | None) -> Html:
    card = html_card_frame(ctx, paper, card_id, list(CARD_CLASSES))

    title = h("p", classes=["tc-title"])
    title_text = paper.title or paper.key
    if "paper" in paper.links:
        title += h("a", title_text, href=paper.links["paper"])
    else:
        title += title_text
    if paper.aka:  # inside the title, so the search highlights it; tc.js keeps it out of the sorted title
        title += " "
        title += h("span", paper.aka, classes=["tc-aka"])
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
            links += h("a", label, classes=[f"tc-link-{name}", *LINK_BUTTON_CLASSES], href=paper.links[name])
    if paper.fields.get("note"):
        card += h("p", paper.fields["note"], classes=["tc-note"])
    if (abstract := html_abstract(paper)) is not None:
        card += abstract
    if len(links):
        card += links
    if discussed is not None:
        card += discussed
    if ctx.show_bibtex:
        bibtex = h("details", classes=["tc-bibtex"])
        bibtex += h("summary", "BibTeX")
        bibtex += h("pre", paper.clean_bibtex(ctx.taxonomy.hidden_bibtex_fields))
        card += bibtex
    coins = coins_span(ctx, paper)
    if coins is not None:
        card += coins
    return card


def html_abstract(paper: Paper) -> Html | None:
    """The ``abstract``, folded under one line (``<details>``: opens without JavaScript); None without one."""
    abstract = abstract_of(paper)
    if not abstract:
        return None
    details = h("details", classes=["tc-abstract"])
    details += h("summary", "Abstract")
    details += h("p", abstract)
    return details


def discussed_in(ctx: PageContext, key: str) -> Html | None:
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


def repeat_card_markup(ctx: PageContext, paper: Paper, card_id: str, first_id: str, where: str) -> str:
    """A repeat: the paper's title and a link to its full card earlier in the table, under ``where``.

    It carries the full card's ``data-`` attributes, so the page script filters it like any card;
    the permalink, badges and BibTeX are on the full card only.
    """
    card = html_card_frame(ctx, paper, card_id, [*CARD_CLASSES, "tc-repeat"])
    title = h("p", classes=["tc-title"])
    title_text = paper.title or paper.key
    title += h("a", title_text, href=paper.links["paper"]) if "paper" in paper.links else title_text
    if paper.aka:
        title += " "
        title += h("span", paper.aka, classes=["tc-aka"])
    card += title
    note = h("p", "Repeated here: ", classes=["tc-repeat-note"])
    note += h("a", f"see its card under {where}" if where else "see its card above", href="#" + first_id)
    card += note
    out: list[str] = []
    card.write(out)
    return "".join(out)


def html_card_frame(ctx: PageContext, paper: Paper, card_id: str, classes: list[str]) -> Html:
    """The ``<article>`` of a card with the ``data-`` attributes the page script filters on."""
    attrs = {"data-key": paper.key, "data-kind": paper.venue_kind}
    optional = {"data-year": str(paper.year or ""), "data-month": str(paper.month or ""),
                "data-code": "1" if paper.has_code else "", "data-added": paper.added}  # added: tc.js "new" marks
    for facet in ctx.taxonomy.facets:
        optional[f"data-{facet.id}"] = " ".join(paper.facets.get(facet.id, ()))
    attrs.update((name, value) for name, value in optional.items() if value)
    return h("article", classes=classes, ids=[card_id], **attrs)


# -- card markup memoized across the pages of a build -------------------------------------------

def shared_parts(ctx: PageContext, paper: Paper) -> tuple[str, ...] | None:
    """A card's markup around its four page-specific places, memoized in the parsed bib's build state.

    Keyed by what the shared markup depends on, so builds in one process that differ
    in options never share a card.  None when the paper's own text holds the marker.
    """
    memo = state_of(ctx.bib).card_parts
    key = (paper.key, ctx.authors_shown, ctx.show_bibtex, coins_enabled(ctx.config), id(ctx.taxonomy))
    if key not in memo:
        out: list[str] = []
        html_card(ctx, paper, _SLOT, _SLOT, _SLOT, _SLOT).write(out)
        parts = tuple("".join(out).split(_SLOT))
        memo[key] = parts if len(parts) == 5 else None
    return memo[key]


def badges_markup(ctx: PageContext, paper: Paper) -> str:
    """A paper's badges as markup, shared by the pages whose section links read the same.

    Made of each badge's markup, memoized too: 5,000 papers carry a few dozen distinct
    badges, and building each as elements took 5% of a 5k build.  The same bytes as
    :func:`html_badges` (a test compares them).
    """
    if ctx.badges is None:
        links = (tuple(sorted(ctx.section_uris.items())), id(ctx.taxonomy))
        ctx.badges = state_of(ctx.bib).badges.setdefault(links, {})
    markup = ctx.badges.get(paper.key)
    if markup is None:
        memo: dict = ctx.badges  # each badge's markup too, under tuple keys (never a paper key)
        pieces = []
        for key, make in _badge_makers(ctx, paper):
            if (piece := memo.get(key)) is None:
                piece = memo[key] = _markup(make())
            pieces.append(piece)
        markup = ctx.badges[paper.key] = '<p class="tc-badges">' + " ".join(filter(None, pieces)) + "</p>"
    return markup


def _markup(element: Html | None) -> str:
    out: list[str] = []
    if element is not None:
        element.write(out)
    return "".join(out)


# -- the translator's side: cards from the page's cache --------------------------------------

class _PageCards:
    """The cards of one page being written: its card cache, stamped with the page-wide inputs."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        builder = ctx.builder
        self.cache = CardCache(card_cache_path(builder.doctreedir, builder.name, ctx.docname), (
            ctx.docname, builder.name, builder.get_target_uri(ctx.docname),
            sorted(ctx.section_uris.items()), tc_config(ctx.config).taxonomy_path.read_bytes(),
            ctx.authors_shown, ctx.show_bibtex, coins_enabled(ctx.config),
        ))
        self.digests = ctx.bib.digests()

    def card(self, paper: Paper, card_id: str) -> str:
        ctx = self.ctx
        key = (self.digests[paper.key], ctx.domain.links_digest(paper.key), card_id, ctx.section_id)
        return self.cache.cached(key, lambda: card_markup(ctx, paper, card_id))

    def repeat_card(self, paper: Paper, card_id: str, first: tuple[str, str]) -> str:
        """Cached like full cards: at 5,000 entries an edit writes 3,300 repeats, a third of its card time.

        A repeat shows the paper's own fields and where its full card is, nothing of other pages.
        """
        return self.cache.cached((self.digests[paper.key], "repeat", card_id, *first),
                                 lambda: repeat_card_markup(self.ctx, paper, card_id, *first), counts=False)

    def list_item(self, paper: Paper) -> str:
        """One ``<li>`` of a list layout (it depends on the paper and the page-wide inputs only)."""
        return self.cache.cached((self.digests[paper.key], "li"),
                                 lambda: list_item_markup(self.ctx.taxonomy, paper))


def _page_cards(translator: Any, node: tc_cards | tc_list) -> _PageCards:
    page = getattr(translator, "_tc_page_cards", None)
    if page is None:
        ctx = PageContext(translator.builder, node["docname"])
        ctx.section_uris = dict(node["section_uris"])
        page = translator._tc_page_cards = _PageCards(ctx)
    return page


def append_markup(translator: Any, markup: str) -> None:
    """Large markup goes into the page body after Sphinx's debug ``repr`` of it (see :func:`insert_cards`)."""
    deferred = getattr(translator.builder, "_tc_deferred", None)
    if deferred is None:
        translator.body.append(markup)
    else:
        markups = deferred.setdefault(translator.builder.current_docname, [])
        translator.body.append(f"{_DEFERRED}{len(markups)}-->")
        markups.append(markup)


def _written(translator: Any, node: tc_cards | tc_list, page: _PageCards, markup: str) -> None:
    append_markup(translator, markup)
    if node["last"]:
        page.cache.save()
        translator._tc_page_cards = None
    raise nodes.SkipNode


def visit_tc_cards(self: Any, node: tc_cards) -> None:
    page = _page_cards(self, node)
    ctx = page.ctx
    ctx.section_id = node["section_id"]
    parts = ['<div class="tc-cards">']
    repeats = node.get("repeats") or [None] * len(node["keys"])
    parts.extend(page.card(ctx.bib.papers[key], card_id) if first is None
                 else page.repeat_card(ctx.bib.papers[key], card_id, first)
                 for key, card_id, first in zip(node["keys"], node["card_ids"], repeats, strict=True))
    parts.append("</div>")
    _written(self, node, page, "".join(parts))


def visit_tc_list(self: Any, node: tc_list) -> None:
    page = _page_cards(self, node)
    papers = page.ctx.bib.papers
    parts = ['<ul class="simple">\n']
    parts.extend(page.list_item(papers[key]) for key in node["keys"])
    parts.append("</ul>\n")
    _written(self, node, page, "".join(parts))


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
