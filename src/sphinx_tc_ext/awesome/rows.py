"""The paper rows of an awesome list's Markdown, read with the list's layout and the taxonomy.

Three layout families (:data:`~sphinx_tc_ext.awesome.layout.FAMILIES`): badge tables, method
tables (a table with a method-name column, read into ``aka``) and bullet lists
(``* [badges] [Title](url)`` items under year headings).

Never raises on malformed input: every repair is reported as a :class:`Problem` of a kind
listed in :data:`ANOMALY_KINDS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sphinx_tc_ext.awesome.layout import LAYOUT_FILE, Layout, layout_for
from sphinx_tc_ext.awesome.markdown import (
    BADGE,
    BR,
    DELIMITER,
    IMAGE,
    LINK,
    TAG,
    Badge,
    has_odd_space,
    md_unescape,
    parse_badge,
    plain_text,
    split_cells,
    unstick_color,
)
from sphinx_tc_ext.core.problems import Problem, did_you_mean
from sphinx_tc_ext.core.rules import SUFFIXES, VenueTable, load_venues
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy

#: Anomaly kinds with a one-line description (the summary and the docs use them).
ANOMALY_KINDS: dict[str, str] = {
    "doubled-prefix": "a link starts with a doubled host prefix (https://github.com/https://github.com/...)",
    "star-host": "a star badge links to a host other than GitHub",
    "star-mismatch": "a star badge names another repository than the GitHub link",
    "tracking-query": "a link carries a ?tab=... tracking query",
    "empty-authors": "an empty author cell",
    "et-al": "an author list cut short with 'et al.'",
    "arxiv-placeholder": "an arXiv link whose id is a placeholder or malformed",
    "badge-no-date": "an arXiv badge without its YYYY.MM date",
    "badge-date": "an arXiv badge whose date disagrees with the arXiv id",
    "venue-no-year": "a venue badge without a year",
    "venue-year": "a venue year earlier than the arXiv id's year",
    "unknown-venue": "a venue badge missing from the venue table",
    "venue-conflict": "rows of one paper that disagree on the venue",
    "title-mismatch": "rows of one paper that disagree on the title",
    "author-mismatch": "rows of one paper that disagree on the authors",
    "link-conflict": "rows of one paper that disagree on a link",
    "cost-conflict": "more than one value for the single-valued cost facet",
    "unknown-tag": "a badge text that is no value or alias of the taxonomy",
    "new-value": "an unknown tag added to the taxonomy by --add-values (or not added: close to a known value)",
    "unknown-badge": "a badge that is neither venue, star nor taxonomy",
    "unknown-link": "a named link whose label is not known",
    "area-placement": "a row placed under an area its area badges do not name",
    "no-area": "a paper without any area badge",
    "no-arxiv": "a paper without an arXiv id (identified by its title)",
    "no-title": "a row without a title",
    "whitespace": "a non-breaking or other unusual space in a title or name",
    "cells": "a row with more or fewer cells than its header",
    "no-year": "a paper without any year",
}


YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
#: A bullet item's first line (``*``, ``-`` or ``+``, indented at most three spaces).
LIST_ITEM = re.compile(r"^ {0,3}[*+-]\s+(?P<body>.*)$")
#: A venue in a badge's alt text: name, then a year (``ECCV 2026``, ``CVPR'25``), then qualifiers.
ALT_VENUE = re.compile(r"^(?P<name>.*?)[\s_-]*(?:\b(?P<year>(?:19|20)\d{2})|['’](?P<short>\d{2}))\b(?P<rest>.*)$")
#: How many lines a list with no paper rows shows of what it could not read.
UNREAD_SHOWN = 5


@dataclass
class Row:
    """One paper row of a table, as written (before merging with other rows)."""

    path: str
    line: int
    section: str
    title: str = ""
    title_url: str = ""
    authors: list[str] = field(default_factory=list)
    venue: Badge | None = None
    preprint: Badge | None = None
    star: Badge | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)  # (facet id or "", text) in badge order
    links: dict[str, str] = field(default_factory=dict)
    aka: str = ""  # a method table's name column

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def note(problems: list[Problem], path: str, line: int, kind: str, what: str, done: str) -> None:
    problems.append(Problem(path, line, "import", f"{what}; {done}", code=kind))


def header_roles(cells: Sequence[str], layout: Layout) -> list[str]:
    """The role of each header cell (title, areas, tags, links or other)."""
    return [layout.column_role(plain_text(cell).strip("*_ ").lower()) for cell in cells]


def fix_url(url: str, path: str, line: int, what: str, problems: list[Problem]) -> str:
    url = url.strip().strip("<>")
    doubled = re.match(r"^(https?://[^/]+/)+(https?://.+)$", url)
    if doubled:
        inner = doubled.group(2)
        note(problems, path, line, "doubled-prefix", f"{what} '{url}' has a doubled host prefix",
              f"using {inner}")
        url = inner
    if re.search(r"[?&]tab=readme-ov-file\b", url):
        fixed = re.sub(r"[?&]tab=readme-ov-file\b", "", url).rstrip("?&")
        note(problems, path, line, "tracking-query", f"{what} '{url}' carries a '?tab=' tracking query",
              f"using {fixed}")
        url = fixed
    return url


class Vocabulary:
    """Taxonomy lookups for badge texts by the layout's badge kinds, with unknown tags collected per facet."""

    def __init__(self, taxonomy: Taxonomy, layout: Layout | None = None, venues: VenueTable | None = None) -> None:
        self.taxonomy = taxonomy
        self.layout = layout = layout or layout_for(taxonomy)
        self.area = layout.files_facet(taxonomy)
        badged = layout.badged_facets(taxonomy)
        self.by_alt = {alt: facet for badge, facet in badged for alt in badge.alts}
        for facet in taxonomy.facets:  # a facet the layout does not list: its id, label or field as alt text
            for name in (facet.id, facet.label, facet.field):
                if name:
                    self.by_alt.setdefault(name.lower(), facet)
        self._venues = venues
        self.by_color = {badge.color: facet for badge, facet in badged if badge.color}
        self.conflicts = {id(facet): badge.conflict for badge, facet in reversed(badged)}
        self.unknown: dict[tuple[str, str], list[str]] = {}

    def facet_for(self, badge: Badge) -> Facet | None:
        facet = self.by_alt.get(badge.alt.strip().lower())
        return facet if facet is not None else self.by_color.get(badge.color)

    def conflict_code(self, facet: Facet) -> str:
        """The anomaly kind of several values for single-valued ``facet``."""
        return self.conflicts.get(id(facet), "unknown-tag")

    def resolve(self, facet: Facet, text: str) -> str | None:
        for candidate in (text, text.replace(" ", "-"), text.replace("-", " ")):
            found = facet.resolve_alias(candidate)
            if found:
                return found
        return None

    def resolve_any(self, text: str) -> tuple[str, str] | None:
        for facet in self.taxonomy.facets:
            found = self.resolve(facet, text)
            if found:
                return facet.id, found
        return None

    @property
    def venues(self) -> VenueTable:
        """The venue table, read on first use (only a badge no kind claims needs it)."""
        if self._venues is None:
            self._venues = load_venues()
        return self._venues

    def alt_venue(self, badge: Badge) -> Badge | None:
        """A badge whose alt text is its venue (``![ECCV 2026](...)``), with label and year from that text.

        The alt text must hold a year or name a venue of the venue table; None otherwise.
        """
        alt = " ".join(badge.alt.split())
        found = ALT_VENUE.match(alt)
        if found and found.group("name"):
            year = found.group("year") or "20" + found.group("short")
            return replace(badge, label=" ".join(f"{found.group('name')} {found.group('rest')}".split()), message=year)
        if alt and self.venues.resolve(alt)[0] is not None:
            return replace(badge, label=alt, message="")
        return None

    def alt_preprint(self, badge: Badge) -> Badge | None:
        """A badge whose alt text names the preprint server and its date (``![arXiv 2025.06](...)``)."""
        name = self.layout.preprint.label
        alt = " ".join(badge.alt.split())
        if not name or not alt.lower().startswith(name.lower()):
            return None
        return replace(badge, label=name, message=alt[len(name):].strip(" -:"))


def parse_markdown(text: str, path: str, taxonomy: Taxonomy, problems: list[Problem] | None = None,
                   layout: Layout | None = None, unknown: dict[tuple[str, str], list[str]] | None = None,
                   unread: list[Problem] | None = None, venues: VenueTable | None = None) -> list[Row]:
    """Every paper row of the paper tables and paper items in one Markdown text.

    Never raises on malformed input: what cannot be read is reported in ``problems``; the unknown
    tags are also collected in ``unknown`` (``(facet id, tag) -> rows``) for ``--add-values``;
    tables and items that are not read as papers are described in ``unread`` (for a list with none).
    """
    problems = problems if problems is not None else []
    unread = unread if unread is not None else []
    vocab = Vocabulary(taxonomy, layout, venues)
    family = vocab.layout.family
    rows: list[Row] = []
    lines = text.splitlines()
    section = ""
    roles: list[str] | None = None
    headers: list[str] = []
    in_table = False
    i = 0
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        lineno = i + 1
        i += 1
        if not stripped.startswith("|"):
            in_table = False
            roles = None
            summary = re.search(r"<summary>(.*?)</summary>", stripped, re.IGNORECASE)
            heading = re.match(r"^#{1,6}\s+(.*)$", stripped)
            item = LIST_ITEM.match(raw)
            if summary:
                section = plain_text(summary.group(1))
            elif heading:
                section = plain_text(heading.group(1))
            elif item:
                end = _item_end(lines, i)
                body = "\n".join([item.group("body"), *lines[i:end]])
                i = end
                row = parse_item(body, path, lineno, section, vocab, problems, unread)
                if row is not None and family not in ("detect", "bullet-list"):
                    _unread(unread, path, lineno, f"a bullet item, but the layout reads {family}s only")
                elif row is not None:
                    rows.append(row)
            continue
        if not in_table:
            # A header row counts only when a delimiter row follows it.
            if i < len(lines) and DELIMITER.match(lines[i].strip()):
                cells = split_cells(stripped)
                header = header_roles(cells, vocab.layout)
                roles = header if "title" in header else None
                kind = "method-table" if "name" in header else "badge-table"
                if roles is None:
                    _unread(unread, path, lineno, f"a table whose header ({' | '.join(plain_text(c) for c in cells)}) "
                            "has no title column", "name one 'Title' or 'Paper'")
                elif family not in ("detect", kind):
                    _unread(unread, path, lineno, f"a {kind}, but the layout reads {family}s only")
                    roles = None
                headers = [plain_text(cell).strip("*_ ").lower() for cell in cells]
                in_table = True
                i += 1
            elif lineno == 1 or not lines[lineno - 2].strip().startswith("|"):
                _unread(unread, path, lineno, "a table without a delimiter row (| --- |) under its header")
            continue
        if roles is None:
            continue
        row = parse_row(stripped, roles, path, lineno, section, vocab, problems, headers)
        if row is not None:
            rows.append(row)
    for (facet_id, tag), where in sorted(vocab.unknown.items()):
        if unknown is not None:
            unknown.setdefault((facet_id, tag), []).extend(where)
        facet = taxonomy.facet(facet_id)
        choices = [a for v in facet.values for a in (v.id, *v.aliases)] if facet else []
        line = _taxonomy_line(taxonomy, facet_id)
        more = f" and {len(where) - 1} more row(s)" if len(where) > 1 else ""
        problems.append(Problem(taxonomy.path, line, "vocabulary",
                                f"unknown {facet_id} tag '{tag}' at {where[0]}{more} "
                                f"({did_you_mean(tag, choices)}); tag ignored: add it to the 'aliases' "
                                f"of a value of facet '{facet_id}', or import with --add-values to add it as "
                                "a new value", code="unknown-tag"))
    return rows


def _unread(unread: list[Problem], path: str, line: int, what: str,
            todo: str = f"describe the list's layout in {LAYOUT_FILE} next to the taxonomy file") -> None:
    unread.append(Problem(path, line, "import", f"not read as papers: {what}; {todo}", code="unread"))


def _item_end(lines: Sequence[str], start: int) -> int:
    """The index after a bullet item's last line: it ends at a blank line, an item, a heading, a table or a tag."""
    end = start
    while end < len(lines):
        text = lines[end].strip()
        if not text or LIST_ITEM.match(lines[end]) or text.startswith(("#", "|", "<")):
            break
        end += 1
    return end


def parse_item(body: str, path: str, lineno: int, section: str, vocab: Vocabulary, problems: list[Problem],
               unread: list[Problem] | None = None) -> Row | None:
    """One bullet item: ``[badges] [Title](url)``, then the authors, more badges and named links.

    An item is a paper only when it starts with a badge (or badge image) and has a title link;
    the authors are the plain text after the title link, on its line or the following ones
    (badges and named links left out, a leading ``-``, ``:`` or "by" dropped).
    """
    rest = IMAGE.sub(" ", BADGE.sub(" ", body))
    title = LINK.search(rest)
    if not body.startswith(("[![", "![")) or title is None:
        if unread is not None and (title or BADGE.search(body) or IMAGE.search(body)):
            _unread(unread, path, lineno, "a bullet item that does not start with a badge followed by a "
                    "[Title](url) link", "write paper items as '* [badges] [Title](url)'")
        return None
    row = Row(path=path, line=lineno, section=section)
    _classify_badges(body, row, vocab, problems)
    after = rest[title.end():]
    for link in LINK.finditer(after):
        _add_link(row, link, "", vocab, problems)
    _fill_title(row, title.group("text"), title.group("href"), BR.sub(" ", LINK.sub(" ", after)), problems)
    return row if row.title else None


def unread_lines(files: Sequence[Path], taxonomy: Taxonomy, layout: Layout | None = None,
                 venues: VenueTable | None = None, limit: int = UNREAD_SHOWN) -> list[Problem]:
    """The first tables and items of ``files`` that were not read as papers (what a list without papers shows)."""
    unread: list[Problem] = []
    for path in files:
        parse_markdown(path.read_text(encoding="utf-8-sig"), str(path), taxonomy, [], layout, unread=unread,
                       venues=venues)
        if len(unread) >= limit:
            break
    return unread[:limit]


def _taxonomy_line(taxonomy: Taxonomy, facet_id: str) -> int:
    try:
        text = Path(taxonomy.path).read_text(encoding="utf-8")
    except OSError:
        return 1
    pos = text.find(f'id = "{facet_id}"')
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def parse_row(line: str, roles: list[str], path: str, lineno: int, section: str, vocab: Vocabulary,
               problems: list[Problem], headers: Sequence[str] = ()) -> Row | None:
    """One table row; ``headers`` (lowercase header texts) give the field of a link no label names (``[✓](url)``)."""
    cells = split_cells(line)
    if len(cells) != len(roles):
        done = "missing cells read as empty" if len(cells) < len(roles) else "extra cells scanned for badges and links"
        note(problems, path, lineno, "cells", f"row has {len(cells)} cells, its header {len(roles)}", done)
    if not any(c.strip() for c in cells):
        return None
    row = Row(path=path, line=lineno, section=section)
    title_index = roles.index("title") if "title" in roles else 0
    for index, cell in enumerate(cells):
        _classify_badges(cell, row, vocab, problems)
        if index == title_index:
            _parse_title_cell(cell, row, problems)
            continue
        if index < len(roles) and roles[index] == "name":
            name = IMAGE.sub(" ", BADGE.sub(" ", cell))
            row.aka = plain_text(LINK.sub(lambda m: m.group("text"), name)).strip("*_` ")
            continue
        header = headers[index] if index < len(headers) else ""
        for m in LINK.finditer(IMAGE.sub(" ", BADGE.sub(" ", cell))):
            _add_link(row, m, header, vocab, problems)
    if not row.title:
        note(problems, path, lineno, "no-title", "row has no title", "row skipped")
        return None
    return row


def _add_link(row: Row, link: re.Match, header: str, vocab: Vocabulary, problems: list[Problem]) -> None:
    """A named link of a cell or item: its label names the field, else its column's header does."""
    label = plain_text(link.group("text"))
    href = link.group("href").strip("<>")
    links = vocab.layout.links
    target = links.get(label.lower()) or links.get(header)
    if target is None:
        known = ", ".join(sorted(links))
        note(problems, row.path, row.line, "unknown-link", f"link label '{label}' is not known",
              f"link {href} ignored (known: {known}; or a link under a column of one of these names)")
        return
    if href:
        row.links.setdefault(target, fix_url(md_unescape(href), row.path, row.line, f"{label} link", problems))


def _parse_title_cell(cell: str, row: Row, problems: list[Problem]) -> None:
    """Title link, then the authors: after a ``<br>`` or after the link on its segment (``[T](url) A, B``)."""
    rest = BADGE.sub(" ", cell)
    rest = IMAGE.sub(" ", rest)
    segments = [s for s in BR.split(rest)]
    title_at = None
    title, url, after = "", "", ""
    for n, segment in enumerate(segments):
        m = LINK.search(segment)
        if m:
            title, url, after = m.group("text"), m.group("href"), segment[m.end():]
            title_at = n
            break
    if title_at is None:  # a title without a link: the first non-empty segment
        for n, segment in enumerate(segments):
            if plain_text(segment):
                title, title_at = segment, n
                break
    if title_at is None:
        return
    _fill_title(row, title, url, " ".join([after, *segments[title_at + 1:]]), problems)


def _fill_title(row: Row, title: str, url: str, author_text: str, problems: list[Problem]) -> None:
    """Title, title link and authors of a row from their Markdown (odd spaces and bad links reported)."""
    raw_title = md_unescape(title)
    if has_odd_space(html.unescape(raw_title)):
        note(problems, row.path, row.line, "whitespace", "title contains a non-breaking or unusual space",
              "replaced by a plain space")
    row.title = plain_text(title)
    url = url.strip("<>")
    if url:
        row.title_url = fix_url(md_unescape(url), row.path, row.line, "title link", problems)
    if has_odd_space(html.unescape(TAG.sub(" ", author_text))):
        note(problems, row.path, row.line, "whitespace", "author list contains a non-breaking or unusual space",
              "replaced by a plain space")
    author_text = re.sub(r"(?i)^[\s\-–—:;,|]*(?:by\s+)?", "", plain_text(author_text))
    row.authors = _split_authors(author_text, row, problems)


def _split_authors(text: str, row: Row, problems: list[Problem]) -> list[str]:
    text = text.strip().rstrip(".").strip() if text.endswith("et al.") else text.strip()
    items = [" ".join(a.split()) for a in text.split(",")]
    if items and " and " in items[-1]:
        items[-1:] = items[-1].split(" and ")
    names: list[str] = []
    for item in items:
        item = item.strip(" *†‡§¶#0123456789").strip()
        if not item:
            continue
        if re.fullmatch(r"(?i)et\.? al\.?|others|\.\.\.|…", item) or re.search(r"(?i)\s+et\.? al\.?$", item):
            note(problems, row.path, row.line, "et-al", "author list ends with 'et al.'",
                  "the listed authors are kept; complete the list by hand")
            item = re.sub(r"(?i)\s*et\.? al\.?$", "", item).strip()
            if not item or item.lower() in ("et al", "others", "...", "…"):
                continue
        if item in SUFFIXES and names:
            names[-1] = f"{names[-1]} {item}"
            continue
        names.append(item)
    return names


def _classify_badges(text: str, row: Row, vocab: Vocabulary, problems: list[Problem]) -> None:
    """Every badge of a cell or item: linked badges ``[![alt](src)](href)``, then plain badge images."""
    for m in BADGE.finditer(text):
        _classify_badge(parse_badge(m.group("alt"), m.group("src"), m.group("href")), row, vocab, problems)
    for m in IMAGE.finditer(BADGE.sub(" ", text)):
        _classify_badge(parse_badge(m.group("alt"), m.group("src"), ""), row, vocab, problems)


def _classify_badge(badge: Badge, row: Row, vocab: Vocabulary, problems: list[Problem]) -> None:
    if badge.star_repo:
        row.star = badge
        return
    alt = badge.alt.strip().lower()
    layout = vocab.layout
    if alt in layout.star.alts:
        row.star = badge
        return
    preprint = layout.preprint
    if alt in preprint.alts or (preprint.label and badge.label.lower() == preprint.label.lower()) or (
            badge.color == preprint.color and alt not in layout.venue_over_color):
        row.preprint = row.preprint or badge
        return
    if alt in layout.venue.alts or badge.color == layout.venue.color:
        row.venue = row.venue or unstick_color(badge)
        return
    facet = vocab.facet_for(badge)
    text = badge.text
    if facet is not None:
        value = vocab.resolve(facet, text)
        if value:
            row.tags.append((facet.id, value))
        else:
            vocab.unknown.setdefault((facet.id, text), []).append(row.location)
        return
    found = vocab.resolve_any(text)
    if found:
        row.tags.append(found)
        return
    preprint_alt = vocab.alt_preprint(badge)
    if preprint_alt is not None:
        row.preprint = row.preprint or preprint_alt
        return
    venue = vocab.alt_venue(badge)
    if venue is not None:
        row.venue = row.venue or venue
        return
    note(problems, row.path, row.line, "unknown-badge", f"badge '{badge.alt}' with text '{text}' is not a venue, "
          "star or taxonomy badge", "badge ignored")



def markdown_files(source: str | Path) -> list[Path]:
    """The Markdown files of a directory in reading order (README last), or the one file given."""
    source = Path(source)
    if source.is_file():
        return [source]
    files = sorted((p for p in source.iterdir() if p.is_file() and p.suffix.lower() in (".md", ".markdown")),
                   key=lambda p: (p.stem.lower() == "readme", p.name))
    return files


def read_rows(files: Sequence[Path], taxonomy: Taxonomy, problems: list[Problem],
              layout: Layout | None = None, unknown: dict[tuple[str, str], list[str]] | None = None,
              venues: VenueTable | None = None) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        rows.extend(parse_markdown(text, str(path), taxonomy, problems, layout, unknown, venues=venues))
    return rows

