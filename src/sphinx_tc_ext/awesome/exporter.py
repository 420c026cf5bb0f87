"""``export-awesome``: the bib written as the awesome list's Markdown files.

A README with the recent papers per area and the papers of recent venues, and one file per
value of the layout's files facet with a section per year.  Importing the export gives back
the same bib.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sphinx_tc_ext.awesome.layout import BadgeKind, Layout, layout_for
from sphinx_tc_ext.awesome.markdown import badge_url, github_repo, md_inline
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.rules import VenueTable, bib_to_text, display_name, load_venues, parse_arxiv_id
from sphinx_tc_ext.core.selection import reference_month
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy


@dataclass
class Card:
    """What one exported row shows, computed from a parsed bib entry."""

    paper: Paper
    title: str
    authors: list[str]
    badge: str
    star: str
    areas: tuple[str, ...]
    tags: list[str]
    links: list[tuple[str, str]]
    date: tuple[int, int, int]
    venue_group: str
    venue_year: int | None
    preprint: bool

    @property
    def section_year(self) -> int:
        return self.date[0]


@dataclass(frozen=True)
class Style:
    """The layout resolved against one taxonomy: made once per export or merge, not per card."""

    layout: Layout
    area_facet: Facet
    area_kind: BadgeKind
    tag_kinds: tuple[tuple[Facet, BadgeKind], ...]


def style_for(taxonomy: Taxonomy, layout: Layout | None = None) -> Style:
    layout = layout or layout_for(taxonomy)
    area_facet = layout.files_facet(taxonomy)
    if area_facet is None:
        raise IndexError("the taxonomy has no facet")
    tag_kinds = tuple((f, layout.facet_badge(f, taxonomy)) for f in taxonomy.facets if f is not area_facet)
    return Style(layout, area_facet, layout.facet_badge(area_facet, taxonomy), tag_kinds)


def make_card(paper: Paper, venues: VenueTable, style: Style) -> Card:
    """What ``paper``'s row shows (the import's merge reads it back too)."""
    layout = style.layout
    fields = paper.fields
    title = bib_to_text(fields.get("title", ""))
    authors = [display_name(a) for a in paper.authors_raw]
    eprint = fields.get("eprint", "").strip()
    arxiv = parse_arxiv_id(eprint) if eprint else None
    date = arxiv or (paper.year or 0, paper.month or 0, 0)
    shortvenue = bib_to_text(fields.get("shortvenue", "")) or paper.venue
    preprint = shortvenue.lower().startswith("arxiv") or paper.venue_kind == "preprint"
    venue_group, venue_year = "", None
    if preprint:
        m = re.match(r"^arxiv\s+(\d{4})(?:\.(\d{2}))?", shortvenue, re.IGNORECASE)
        if m:
            stamp = m.group(1) + ("." + m.group(2) if m.group(2) else "")
        elif arxiv:
            stamp = f"{arxiv[0]}.{arxiv[1]:02d}"
        else:
            stamp = ""
        message = stamp.replace(".", "\\.")
        pre = layout.preprint
        src = badge_url(pre.label, '', pre.color) if not stamp else _arxiv_badge(pre.label, message, pre.color)
        badge = f"[![{pre.alt}]({src})]()"
    else:
        label, year = _venue_label(shortvenue, paper, venues)
        venue_year = year
        venue, base, _quals = venues.resolve(label)
        venue_group = venue.shortvenue(year) if venue else f"{base} {year or ''}".strip()
        badge = f"[![{layout.venue.alt}]({badge_url(label, str(year) if year else '', layout.venue.color)})]()"
    code = paper.links.get("code", "")
    repo = github_repo(code)
    star = ""
    if repo:
        owner_repo = re.match(r"^https?://(?:www\.)?github\.com/([^/?#]+/[^/?#]+)", code, re.IGNORECASE)
        star_repo = owner_repo.group(1) if owner_repo else repo
        star = (f"[![{layout.star.alt}](https://img.shields.io/github/stars/{star_repo}.svg?style=social"
                f"&label={layout.star.alt})]"
                f"({code})")
    areas = paper.facets.get(style.area_facet.id, ())
    tags: list[str] = []
    for facet, kind in style.tag_kinds:
        alt, color = kind.alt, kind.color
        tags.append(" ".join(f"[![{alt}]({badge_url(_alias(facet, v), '', color)})]()"
                             for v in paper.facets.get(facet.id, ())))
    links: list[tuple[str, str]] = []
    for name, label in layout.export_links:
        url = paper.links.get("paper" if name == "url" else name, "")
        if url:
            links.append((label, url))
    return Card(paper=paper, title=title, authors=authors, badge=badge, star=star, areas=areas, tags=tags,
                 links=links, date=tuple(date), venue_group=venue_group, venue_year=venue_year,  # type: ignore
                 preprint=preprint)


def _arxiv_badge(label: str, message: str, color: str) -> str:
    """An arXiv badge whose message is already escaped (``2025\\.07``)."""
    return f"https://img.shields.io/badge/{label}-{message}-{color}"


def _alias(facet: Facet, value_id: str) -> str:
    value = facet.value(value_id)
    if value is None:
        return value_id
    return value.aliases[0] if value.aliases else value.label


def _venue_label(shortvenue: str, paper: Paper, venues: VenueTable) -> tuple[str, int | None]:
    """Badge label and year of a published paper, from ``shortvenue`` (or the container's full name)."""
    m = re.match(r"^(?P<pre>.*?)\s*\b(?P<year>\d{4})\b\s*(?P<post>.*)$", shortvenue)
    if m and m.group("pre"):
        pre, year, post = m.group("pre").strip(), int(m.group("year")), m.group("post").split()
        for cut in range(len(post), -1, -1):
            candidate = " ".join([pre, *post[:cut]])
            venue = venues.lookup(candidate)
            if venue is not None:
                return " ".join([venue.key, *post[cut:]]), year
        return " ".join([pre, *post]), year
    container = latex_to_text(paper.fields.get("booktitle") or paper.fields.get("journal") or "")
    venue = venues.by_name(container)
    return (venue.key if venue else (shortvenue or container or "Venue")), paper.year


def card_row(card: Card, style: Style) -> str:
    """The card's table row, its cells in the layout's column order."""
    area_facet, area_kind = style.area_facet, style.area_kind
    head = card.badge + (" " + card.star if card.star else " ")
    authors = ", ".join(md_inline(a) for a in card.authors)
    link = card.paper.links.get("paper", "")
    title = f"[{md_inline(card.title)}]({link})" if link else md_inline(card.title)
    first = f"{head}<br>{title}<br>{authors}"
    area_badges = " ".join(f"[![{area_kind.alt}]({badge_url(_alias(area_facet, a), '', area_kind.color)})]()"
                           for a in card.areas)
    tags = "<br> ".join(t for t in card.tags if t)
    links = " ".join(f"[{label}]({url})<br>" for label, url in card.links)
    aka = bib_to_text(card.paper.fields.get("aka", ""))
    by_role = {"name": f"**{md_inline(aka)}**" if aka else "", "title": first, "areas": area_badges, "tags": tags,
               "links": links}
    cells = [by_role.get(column.role, "") for column in style.layout.columns]
    return "| " + " | ".join(" " + c.replace("|", "\\|") if c else "" for c in cells) + " | "


def _details(summary: str, rows: list[str], layout: Layout) -> str:
    return "\n".join(["<details open>", f"<summary><strong>{summary}</strong></summary>", "", layout.table_head,
                      *rows, "</details>", ""])


def _card_order(card: Card) -> tuple:
    return (-card.date[0], -card.date[1], -card.date[2], card.paper.key)


def area_file_name(facet: Facet, value_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _alias(facet, value_id).lower()).strip("-") + ".md"


def export_awesome(bib: Bibliography, taxonomy: Taxonomy, venues: VenueTable | None = None,
                   as_of: str | None = None, recent_months: int = 6, layout: Layout | None = None) -> dict[str, str]:
    """The Markdown files (name -> text) of the awesome list for ``bib``."""
    venues = venues or load_venues()
    style = style_for(taxonomy, layout)
    layout, area_facet = style.layout, style.area_facet
    cards = sorted((make_card(p, venues, style) for p in bib.papers.values()), key=_card_order)
    made: dict[int, str] = {}

    def row(card: Card) -> str:
        """A card's row, made once: it shows in its area's file, among recent papers and under its venue."""
        text = made.get(id(card))
        if text is None:
            text = made[id(card)] = card_row(card, style)
        return text

    files: dict[str, str] = {}
    contents: list[tuple[str, str]] = []
    for value in area_facet.values:
        members = [c for c in cards if value.id in c.areas]
        if not members:
            continue
        name = area_file_name(area_facet, value.id)
        years = sorted({c.section_year for c in members}, reverse=True)
        parts = [""]
        for year in years:
            rows = [row(c) for c in members if c.section_year == year]
            parts.append(_details(f"{year} {value.label}" if year else value.label, rows, layout))
        files[name] = "\n".join(parts)
        contents.append((value.label, name))
    orphans = [c for c in cards if not c.areas]
    if orphans:
        files["unsorted.md"] = "\n" + _details("Papers without an area", [row(c) for c in orphans], layout)
        contents.append(("Papers without an area", "unsorted.md"))

    # The README: recent papers per area and the papers of recent venues.
    year, month = reference_month(bib, as_of or "")  # the site's "recent" counts back from the same month
    total = year * 12 + (month - 1) - recent_months
    since = (total // 12, total % 12 + 1)
    recent = [c for c in cards if (c.date[0], c.date[1]) >= since]
    lines = [f"# {taxonomy.title or 'Paper list'}", "",
             "This list is generated from the survey's BibTeX file by `tc-survey export-awesome`; "
             "edit the bib and export again rather than editing these tables.", "",
             "## Contents", ""]
    lines += [f"- [{label}]({name})" for label, name in contents]
    lines += ["", "### Badges", "",
              *(f"- {line}" for line in layout.legend), "",
              f"### Recent Papers (Last {recent_months} Months)", "",
              f"Papers from {since[0]}.{since[1]:02d} on, per area.", ""]
    for value in area_facet.values:
        rows = [row(c) for c in recent if value.id in c.areas]
        if rows:
            lines.append(_details(value.label, rows, layout))
    groups: dict[str, list[Card]] = {}
    for card in cards:
        if not card.preprint and card.venue_year and card.venue_year >= since[0]:
            groups.setdefault(card.venue_group, []).append(card)
    lines += ["", "### Published in Recent Conference/Journal", "",
              f"Published papers with a venue year of {since[0]} or later, per venue.", ""]
    for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        lines.append(_details(group, [row(c) for c in groups[group]], layout))
    files["README.md"] = "\n".join(lines)
    return {name: text.rstrip("\n") + "\n" for name, text in files.items()}

