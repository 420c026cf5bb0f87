"""The paper rows of an awesome list's Markdown tables, read with the list's layout and the taxonomy.

Never raises on malformed input: every repair is reported as a :class:`Problem` of a kind
listed in :data:`ANOMALY_KINDS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sphinx_tc_ext.awesome.layout import Layout, layout_for
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
)
from sphinx_tc_ext.core.problems import Problem, did_you_mean
from sphinx_tc_ext.core.rules import SUFFIXES
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

    def __init__(self, taxonomy: Taxonomy, layout: Layout | None = None) -> None:
        self.taxonomy = taxonomy
        self.layout = layout = layout or layout_for(taxonomy)
        self.area = layout.files_facet(taxonomy)
        badged = layout.badged_facets(taxonomy)
        self.by_alt = {alt: facet for badge, facet in badged for alt in badge.alts}
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


def parse_markdown(text: str, path: str, taxonomy: Taxonomy, problems: list[Problem] | None = None,
                   layout: Layout | None = None, unknown: dict[tuple[str, str], list[str]] | None = None) -> list[Row]:
    """Every paper row of the paper tables in one Markdown text.

    Never raises on malformed input: what cannot be read is reported in ``problems``; the unknown
    tags are also collected in ``unknown`` (``(facet id, tag) -> rows``) for ``--add-values``.
    """
    problems = problems if problems is not None else []
    vocab = Vocabulary(taxonomy, layout)
    rows: list[Row] = []
    lines = text.splitlines()
    section = ""
    roles: list[str] | None = None
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
            if summary:
                section = plain_text(summary.group(1))
            elif heading:
                section = plain_text(heading.group(1))
            continue
        if not in_table:
            # A header row counts only when a delimiter row follows it.
            if i < len(lines) and DELIMITER.match(lines[i].strip()):
                header = header_roles(split_cells(stripped), vocab.layout)
                roles = header if "title" in header else None
                in_table = True
                i += 1
            continue
        if roles is None:
            continue
        row = parse_row(stripped, roles, path, lineno, section, vocab, problems)
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


def _taxonomy_line(taxonomy: Taxonomy, facet_id: str) -> int:
    try:
        text = Path(taxonomy.path).read_text(encoding="utf-8")
    except OSError:
        return 1
    pos = text.find(f'id = "{facet_id}"')
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def parse_row(line: str, roles: list[str], path: str, lineno: int, section: str, vocab: Vocabulary,
               problems: list[Problem]) -> Row | None:
    cells = split_cells(line)
    if len(cells) != len(roles):
        done = "missing cells read as empty" if len(cells) < len(roles) else "extra cells scanned for badges and links"
        note(problems, path, lineno, "cells", f"row has {len(cells)} cells, its header {len(roles)}", done)
    if not any(c.strip() for c in cells):
        return None
    row = Row(path=path, line=lineno, section=section)
    title_index = roles.index("title") if "title" in roles else 0
    for index, cell in enumerate(cells):
        for m in BADGE.finditer(cell):
            _classify_badge(parse_badge(m.group("alt"), m.group("src"), m.group("href")), row, vocab, problems)
        if index == title_index:
            _parse_title_cell(cell, row, problems)
            continue
        without_badges = BADGE.sub(" ", cell)
        for m in LINK.finditer(without_badges):
            label = plain_text(m.group("text")).lower()
            href = m.group("href").strip("<>")
            target = vocab.layout.links.get(label)
            if target is None:
                note(problems, path, lineno, "unknown-link", f"link label '{plain_text(m.group('text'))}' is not known",
                      f"link {href} ignored (known: Paper, GitHub, Code, Model, Dataset, Project)")
                continue
            if not href:
                continue
            url = fix_url(md_unescape(href), path, lineno, f"{plain_text(m.group('text'))} link", problems)
            row.links.setdefault(target, url)
    if not row.title:
        note(problems, path, lineno, "no-title", "row has no title", "row skipped")
        return None
    return row


def _parse_title_cell(cell: str, row: Row, problems: list[Problem]) -> None:
    rest = BADGE.sub(" ", cell)
    rest = IMAGE.sub(" ", rest)
    segments = [s for s in BR.split(rest)]
    title_at = None
    for n, segment in enumerate(segments):
        m = LINK.search(segment)
        if m:
            row.title = m.group("text")
            row.title_url = m.group("href").strip("<>")
            title_at = n
            break
    if title_at is None:  # a title without a link: the first non-empty segment
        for n, segment in enumerate(segments):
            if plain_text(segment):
                row.title, title_at = segment, n
                break
    if title_at is None:
        return
    raw_title = md_unescape(row.title)
    if has_odd_space(html.unescape(raw_title)):
        note(problems, row.path, row.line, "whitespace", "title contains a non-breaking or unusual space",
              "replaced by a plain space")
    row.title = plain_text(row.title)
    if row.title_url:
        row.title_url = fix_url(md_unescape(row.title_url), row.path, row.line, "title link", problems)
    author_text = " ".join(segments[title_at + 1:])
    if has_odd_space(html.unescape(TAG.sub(" ", author_text))):
        note(problems, row.path, row.line, "whitespace", "author list contains a non-breaking or unusual space",
              "replaced by a plain space")
    row.authors = _split_authors(plain_text(author_text), row, problems)


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
        row.venue = row.venue or badge
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
              layout: Layout | None = None, unknown: dict[tuple[str, str], list[str]] | None = None) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        rows.extend(parse_markdown(text, str(path), taxonomy, problems, layout, unknown))
    return rows

