"""``import-awesome``: the rows of an awesome list merged into one bib entry per paper.

See :mod:`sphinx_tc_ext.cli.awesome` for the rules a user relies on (which rows, one entry
per paper, keys, dates, ``added``, venues, order, merging, anomalies).  A merge into an
existing bib edits it in place (:mod:`sphinx_tc_ext.awesome.bibedit`).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sphinx_tc_ext.awesome.bibedit import BibEditor, read_exact
from sphinx_tc_ext.awesome.exporter import Style, card_row, make_card, style_for
from sphinx_tc_ext.awesome.layout import Layout, layout_for, load_layout
from sphinx_tc_ext.awesome.markdown import github_repo, md_unescape
from sphinx_tc_ext.awesome.rows import YEAR, Row, Vocabulary, fix_url, markdown_files, note, parse_row, read_rows
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.bibsyntax import Block, canonical_order, entry_source, format_text, tokenize
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.model import Paper
from sphinx_tc_ext.core.problems import InputError, Problem, did_you_mean
from sphinx_tc_ext.core.rules import (
    MONTH_MACROS,
    VenueTable,
    arxiv_from_url,
    bib_to_text,
    citation_key,
    display_name,
    load_venues,
    month_macro,
    month_number,
    normalise_title,
    parse_arxiv_id,
    text_to_bib,
    to_bibtex_name,
    unique_key,
)
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.core.titlecase import protect_title

#: Fields the awesome list carries besides the taxonomy's facets; the import refreshes them on merge.
_LIST_FIELDS = ("title", "author", "journal", "booktitle", "year", "month", "eprint", "archiveprefix", "url",
                "shortvenue", "aka")
_LINK_FIELDS = ("code", "model", "dataset", "project")


def imported_fields(taxonomy: Taxonomy) -> tuple[str, ...]:
    """The fields a merge refreshes: the list's own, the taxonomy's facet fields, the named links."""
    return (*_LIST_FIELDS, *(f.field for f in taxonomy.facets), *_LINK_FIELDS)
_VENUE_GROUP = ("journal", "booktitle", "month")


@dataclass
class Entry:
    """A bib entry about to be written: raw (already escaped) field values, lowercase names."""

    key: str
    entry_type: str
    fields: dict[str, str]

    @property
    def year(self) -> int:
        value = self.fields.get("year", "")
        return int(value) if value.isdigit() else 0

    @property
    def month(self) -> int:
        return month_number(self.fields.get("month", ""))

    def sort_key(self) -> tuple:
        return (-self.year, -self.month, self.key)


def format_entry(entry: Entry) -> str:
    """The entry as BibTeX, fields in the order built; callers pass it through ``format_text`` (fmt's layout)."""
    return entry_source(entry.entry_type, entry.key, entry.fields)


BIB_HEADER = """@comment{{
  {name}: the bibliography of the survey, one entry per paper.
  Generated from an awesome list by "tc-survey import-awesome DIR -o {name}"
  and maintained by hand on top of that: re-running the import merges into this
  file, keeps hand-added fields and entries, and reports what it changed.
  Entries are ordered newest first (year, month, then key).
}}
"""


def render_bib(entries: Iterable[Entry], name: str = "survey.bib", preamble: str = "") -> str:
    ordered = sorted(entries, key=Entry.sort_key)
    parts = [BIB_HEADER.format(name=name)]
    if preamble:
        parts.append(f"@preamble{{{{{preamble}}}}}\n")
    parts.extend(format_entry(e) + "\n" for e in ordered)
    return "\n".join(parts)


def added_date(eprint: str | None, year: int | None, month: int | None, later: str | None = None,
               layout: Layout | None = None) -> str:
    """The ``added`` rule: the survey's v1 date for papers not newer than its arXiv id, else ``later``.

    The dates come from the layout (the packaged one by default); ``later`` defaults to its ``later_added``.
    """
    layout = layout or load_layout()
    later = later or layout.later_added
    cut = parse_arxiv_id(layout.arxiv_id)
    parsed = parse_arxiv_id(eprint) if eprint else None
    if parsed and cut:
        return layout.v1_date if parsed <= cut else later
    if year is None:
        return later
    return layout.v1_date if (year, month or 0) <= (cut[0], cut[1]) else later


@dataclass
class Imported:
    """One paper merged from all its rows: the entry plus what identifies and orders it."""

    entry: Entry
    ident: str
    title_ident: str
    date: tuple[int, int, int]
    first: Row


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _row_eprint(row: Row, problems: list[Problem] | None) -> str | None:
    seen: set[str] = set()
    for url in (row.title_url, row.links.get("url", "")):
        if not url or url in seen:
            continue
        seen.add(url)
        eprint, is_arxiv = arxiv_from_url(url)
        if eprint:
            return eprint
        if is_arxiv and problems is not None:
            note(problems, row.path, row.line, "arxiv-placeholder", f"arXiv link '{url}' has no valid arXiv id",
                  "link dropped; the paper is identified by its title and dated by its badges")
    return None


def group_rows(rows: Sequence[Row], problems: list[Problem]) -> list[list[Row]]:
    """Rows of the same paper together (arXiv id, else normalised title), in reading order."""
    uf = _UnionFind()
    by_id: dict[str, int] = {}
    by_title: dict[str, int] = {}
    eprints = [_row_eprint(row, problems) for row in rows]
    for n, row in enumerate(rows):
        uf.find(n)
        eprint = eprints[n]
        title = normalise_title(row.title)
        if eprint:
            if eprint in by_id:
                uf.union(by_id[eprint], n)
            else:
                by_id[eprint] = n
        if title:
            if title in by_title:
                other = eprints[by_title[title]]
                if not (eprint and other and other != eprint):  # same title, different ids: two papers
                    uf.union(by_title[title], n)
            else:
                by_title[title] = n
    groups: dict[int, list[Row]] = {}
    for n, row in enumerate(rows):
        groups.setdefault(uf.find(n), []).append(row)
    return [groups[k] for k in sorted(groups)]


def _majority(values: list[tuple[Row, object]]) -> tuple[Row, object]:
    counts = Counter(repr(v) for _, v in values)
    best = max(counts.values())
    return next((r, v) for r, v in values if counts[repr(v)] == best)


def _placement_area(row: Row, vocab: Vocabulary) -> str | None:
    if vocab.area is None:
        return None
    stem = Path(row.path).stem
    if stem.lower() != "readme":
        return vocab.resolve(vocab.area, stem)
    section = YEAR.sub(" ", row.section).strip()
    return vocab.resolve(vocab.area, section) if section else None


def build_entry(group: list[Row], taxonomy: Taxonomy, venues: VenueTable, problems: list[Problem],
                later: str | None = None, layout: Layout | None = None) -> Imported:
    """Merge the rows of one paper into a bib entry (key assigned later)."""
    vocab = Vocabulary(taxonomy, layout)
    first = group[0]
    fields: dict[str, str] = {}

    # Title and authors: the most frequent variant (of the published rows: a venue retitles); others reported.
    published = [r for r in group if r.venue is not None]
    chosen_row, title = _majority([(r, r.title) for r in published or group])
    for row in group:
        if row.title != title:
            why = " (the published row)" if published and row.venue is None else ""
            note(problems, row.path, row.line, "title-mismatch",
                  f"title '{row.title}' differs from '{title}' at {chosen_row.location}{why}", f"kept '{title}'")
    fields["title"] = protect_title(text_to_bib(str(title)))
    with_authors = [(r, tuple(r.authors)) for r in group if r.authors]
    authors: tuple[str, ...] = ()
    if with_authors:
        author_row, chosen = _majority(with_authors)
        authors = tuple(chosen)  # type: ignore[arg-type]
        for row, names in with_authors:
            if names != authors:
                note(problems, row.path, row.line, "author-mismatch",
                      f"authors '{', '.join(names)}' differ from those at {author_row.location}",
                      "kept the most frequent list")
    for row in group:
        if not row.authors:
            done = (f"authors taken from {author_row.location}" if authors
                    else "no author field written; add the authors by hand")
            note(problems, row.path, row.line, "empty-authors", "author cell is empty", done)
    if authors:
        fields["author"] = " and ".join(to_bibtex_name(a) for a in authors)

    # arXiv id and the paper link.
    eprint = next((e for e in (_row_eprint(r, None) for r in group) if e), None)
    url = ""
    for row in group:
        for candidate in (row.title_url, row.links.get("url", "")):
            if candidate and not url and arxiv_from_url(candidate) != (None, True):
                url = candidate
    if eprint:
        url = f"https://arxiv.org/abs/{eprint}"
    elif url:
        note(problems, first.path, first.line, "no-arxiv", f"paper link '{url}' is not an arXiv abstract",
              "no eprint written; the paper is identified by its title")
    arxiv_date = parse_arxiv_id(eprint) if eprint else None

    # Venue: a venue badge wins over an arXiv badge; the most frequent one wins.
    venue_rows = [(r, r.venue.shown) for r in group if r.venue is not None]
    preprint_rows = [(r, r.preprint) for r in group if r.preprint is not None]
    section_years = [int(m.group(1)) for r in group for m in [YEAR.search(r.section)] if m]
    year: int | None = None
    month: int | None = None
    if venue_rows:
        venue_row, _text_ = _majority(venue_rows)
        badge = venue_row.venue
        assert badge is not None
        for row, text in venue_rows:
            if text != _text_:
                note(problems, row.path, row.line, "venue-conflict",
                      f"venue badge '{text}' differs from '{_text_}' at {venue_row.location}", f"kept '{_text_}'")
        for row, _badge in preprint_rows:
            note(problems, row.path, row.line, "venue-conflict",
                  f"arXiv badge here but venue badge '{_text_}' at {venue_row.location}", "kept the venue")
        label, message = badge.label, badge.message
        found = YEAR.search(message) or YEAR.search(label)
        if found:
            year = int(found.group(1))
            label = " ".join(YEAR.sub(" ", label).split())
        else:
            year = arxiv_date[0] if arxiv_date else (section_years[0] if section_years else None)
            note(problems, venue_row.path, venue_row.line, "venue-no-year", f"venue badge '{badge.shown}' has no year",
                  f"year {year} taken from the {'arXiv id' if arxiv_date else 'section'}" if year
                  else "no year written")
        venue, base, qualifiers = venues.resolve(label)
        if venue is None:
            choices = [v.key for v in venues.venues]
            note(problems, venue_row.path, venue_row.line, "unknown-venue",
                  f"venue '{base}' is not in the venue table {venues.path} ({did_you_mean(base, choices)})",
                  f"'{base}' written as booktitle; add the venue to the table")
            entry_type, container_field, container = "inproceedings", "booktitle", base
            shortvenue = " ".join([base, str(year) if year else "", *qualifiers]).split()
            shortvenue = " ".join(shortvenue)
        else:
            entry_type = "inproceedings" if venue.kind == "conference" else "article"
            container_field = "booktitle" if venue.kind == "conference" else "journal"
            container = venue.full_name(year)
            shortvenue = venue.shortvenue(year, qualifiers)
        if year and arxiv_date and year < arxiv_date[0]:
            note(problems, venue_row.path, venue_row.line, "venue-year",
                  f"venue year {year} is earlier than the arXiv id {eprint} ({arxiv_date[0]})",
                  "kept the badge's year; check the badge")
        fields[container_field] = text_to_bib(container)
    else:
        entry_type, container_field = "article", "journal"
        badge_date: tuple[int, int] | None = None
        badge_year: int | None = None
        for row, badge in preprint_rows:
            m = re.fullmatch(r"\s*(\d{4})[.\-/](\d{1,2})\s*", badge.message or "")
            year_only = re.fullmatch(r"\s*(\d{4})\s*", badge.message or "")
            if year_only:  # a year without a month: kept as it is
                badge_year = badge_year or int(year_only.group(1))
            elif m and 1 <= int(m.group(2)) <= 12:
                badge_date = badge_date or (int(m.group(1)), int(m.group(2)))
                if arxiv_date and (int(m.group(1)), int(m.group(2))) != arxiv_date[:2]:
                    note(problems, row.path, row.line, "badge-date",
                          f"arXiv badge says {m.group(1)}.{int(m.group(2)):02d} but the id {eprint} is from "
                          f"{arxiv_date[0]}.{arxiv_date[1]:02d}", "date taken from the arXiv id")
            else:
                done = (f"date {arxiv_date[0]}.{arxiv_date[1]:02d} taken from the arXiv id" if arxiv_date
                        else "date taken from the section" if section_years else "no date written")
                note(problems, row.path, row.line, "badge-no-date",
                      f"arXiv badge '{badge.shown or badge.src}' has no YYYY.MM date", done)
        if arxiv_date:
            year, month = arxiv_date[0], arxiv_date[1]
        elif badge_date:
            year, month = badge_date
        elif badge_year:
            year = badge_year
        elif section_years:
            year = section_years[0]
        container = f"arXiv preprint arXiv:{eprint}" if eprint else "arXiv preprint"
        fields["journal"] = container
        stamp = f"{year}.{month:02d}" if year and month else (str(year) if year else "")
        shortvenue = f"arXiv {stamp}".strip()
    if year is None:
        note(problems, first.path, first.line, "no-year", "no year in the badges, the arXiv id or the section",
              "no year written; add it by hand")
    else:
        fields["year"] = str(year)
    if month:
        fields["month"] = MONTH_MACROS[month - 1]
    if eprint:
        fields["eprint"] = eprint
        fields["archiveprefix"] = "arXiv"
    if url:
        fields["url"] = _bib_url(url)
    fields["shortvenue"] = text_to_bib(shortvenue)
    aka = next((r.aka for r in group if r.aka), "")  # a method table's name column
    if aka:
        fields["aka"] = text_to_bib(aka)

    # Taxonomy facets: union over rows, in the taxonomy's order.
    for facet in taxonomy.facets:
        seen = {v for r in group for f, v in r.tags if f == facet.id}
        values = [v for v in facet.value_ids if v in seen]
        if facet is vocab.area:
            placed = {}
            for row in group:
                area = _placement_area(row, vocab)
                if area and area not in seen:
                    placed.setdefault(area, row)
            if not values and placed:
                values = [v for v in facet.value_ids if v in placed]
                where = ", ".join(sorted({r.location for r in group}))
                note(problems, first.path, first.line, "no-area", "paper has no area badge",
                      f"areas '{', '.join(values)}' taken from where it is listed ({where})")
            else:
                for area, row in placed.items():
                    note(problems, row.path, row.line, "area-placement",
                          f"listed under area '{area}' but its area badges say '{', '.join(values) or 'none'}'",
                          "areas taken from the badges")
            if not values:
                note(problems, first.path, first.line, "no-area", "paper has no area badge and no area placement",
                      "areas left empty; add them by hand")
        if len(values) > 1 and not facet.multi:
            note(problems, first.path, first.line, vocab.conflict_code(facet),
                  f"{facet.id} takes one value but the badges give {', '.join(values)}",
                  f"kept '{values[0]}' (first in the taxonomy's order)")
            values = values[:1]
        if values:
            fields[facet.field] = ", ".join(values)

    # Links: the first value of each; conflicts reported.
    for name in _LINK_FIELDS:
        seen_links = [(r, r.links[name]) for r in group if r.links.get(name)]
        if name == "code":
            seen_links.extend(_star_code(r, problems) for r in group if r.star is not None and not r.links.get("code"))
            seen_links = [(r, v) for r, v in seen_links if v]
        if not seen_links:
            continue
        value = seen_links[0][1]
        for row, other in seen_links[1:]:
            if other.rstrip("/") != value.rstrip("/"):
                note(problems, row.path, row.line, "link-conflict",
                      f"{name} link '{other}' differs from '{value}' at {seen_links[0][0].location}",
                      f"kept {value}")
        fields[name] = _bib_url(value)
    for row in group:
        if row.star is not None and row.links.get("code"):
            _check_star(row, problems)

    date = arxiv_date or (year or 0, month or 0, 0)
    fields_added = added_date(eprint, year, month, later, layout)
    entry = Entry(key="", entry_type=entry_type, fields={**fields, "added": fields_added})
    return Imported(entry=entry, ident=eprint or "title:" + normalise_title(str(title)),
                    title_ident=normalise_title(str(title)), date=tuple(date), first=first)  # type: ignore[arg-type]


def _fixed_star_link(row: Row, problems: list[Problem]) -> str:
    assert row.star is not None
    href = row.star.href.strip()
    if not href:
        return ""
    return fix_url(md_unescape(href), row.path, row.line, "star badge link", problems)


def _star_code(row: Row, problems: list[Problem]) -> tuple[Row, str]:
    """The code link of a row that has a star badge but no GitHub link."""
    link = _fixed_star_link(row, problems)
    if link and github_repo(link):
        return row, link
    fallback = f"https://github.com/{row.star.star_repo}" if row.star and row.star.star_repo else ""
    if link:
        note(problems, row.path, row.line, "star-host", f"star badge links to '{link}', not to GitHub",
              f"code link {'set to ' + fallback if fallback else 'not set'} (from the badge image)")
    return row, fallback


def _check_star(row: Row, problems: list[Problem]) -> None:
    assert row.star is not None
    link = _fixed_star_link(row, problems)
    code_repo = github_repo(row.links.get("code", ""))
    if link and not github_repo(link):
        note(problems, row.path, row.line, "star-host", f"star badge links to '{link}', not to GitHub",
              f"ignored; the code link is {row.links['code']}")
        return
    repos = {github_repo(link)} if link else set()
    if row.star.star_repo:
        repos.add(row.star.star_repo.lower())
    if code_repo and any(r and r != code_repo for r in repos):
        note(problems, row.path, row.line, "star-mismatch",
              f"star badge names {', '.join(sorted(r for r in repos if r))} but the GitHub link is {code_repo}",
              "kept the GitHub link")


def _bib_url(url: str) -> str:
    return re.sub(r"[{}\s\\%]", lambda m: quote(m.group(0)), url)


# -- the whole import ------------------------------------------------------------------------------

@dataclass
class ImportResult:
    entries: list[Entry]
    problems: list[Problem]
    changes: list[tuple[str, str, str]]  # (action, key, detail): action in added/updated/unchanged/kept
    text: str
    count: int  # papers found in the list
    published: list[str] = field(default_factory=list)  # keys of preprints the list now gives a venue
    retitled: list[str] = field(default_factory=list)  # keys whose title the list changed
    #: key -> field -> (old raw value, new raw value; "" when deleted) of every entry the merge edited,
    #: ``updated`` left out: what ``--summary`` shows a reviewer (``type`` is the entry type)
    diffs: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)


#: Fields whose change a merge dates with ``updated``: what a reader of the site notices.
_DATED_FIELDS = frozenset({"title", "journal", "booktitle", "shortvenue"})


def _is_preprint(entry: Entry) -> bool:
    return entry.fields.get("shortvenue", "").strip().lower().startswith("arxiv") or (
        not entry.fields.get("booktitle") and "arxiv" in entry.fields.get("journal", "").lower())


def _assign_keys(items: list[Imported], reserved: set[str]) -> None:
    taken = {k.lower() for k in reserved}
    for item in sorted(items, key=lambda i: (i.date, i.ident)):
        fields = item.entry.fields
        first_author = re.split(r"\s+and\s+", fields.get("author", ""))[0]
        base = citation_key(first_author, fields.get("year"), bib_to_text(fields.get("title", "")))
        key = unique_key(base, taken)
        taken.add(key.lower())
        item.entry.key = key



def _paper_ident(paper: Paper) -> tuple[str, str]:
    eprint = paper.fields.get("eprint", "").strip()
    prefix = paper.fields.get("archiveprefix", "arxiv").lower()
    title = normalise_title(paper.title)
    return (eprint if eprint and prefix == "arxiv" else ""), title


def _existing_entry(paper: Paper) -> Entry:
    fields = dict(paper.fields)
    if paper.authors_raw:
        fields["author"] = " and ".join(paper.authors_raw)
    return Entry(key=paper.key, entry_type=paper.entry_type, fields=fields)


def _same_text(name: str, old: str, new: str) -> bool:
    if old == new:
        return True
    if name == "title":
        return latex_to_text(old) == bib_to_text(new) or bib_to_text(old) == bib_to_text(new)
    if name == "author":
        old_names = [display_name(n) for n in re.split(r"\s+and\s+", old)]
        new_names = [display_name(n) for n in re.split(r"\s+and\s+", new)]
        return [latex_to_text(n) for n in old_names] == [latex_to_text(n) for n in new_names]
    if name == "month":
        return month_macro(old) == month_macro(new)
    return False


#: Entry types a venue change in the list may retype (the import's own and the preprint types); a
#: ``@book`` or ``@proceedings`` has nothing the list can express and keeps its type and container.
_RETYPED = frozenset({"article", "inproceedings", "misc", "unpublished"})


def list_view(paper: Paper, taxonomy: Taxonomy, venues: VenueTable, style: Style | None = None) -> Entry:
    """What the list says about ``paper``: its exported row, read back.

    A merge compares the list with this rather than with the bib, so what the list cannot
    show (a macro, hand-written LaTeX, a ``@book``'s publisher) never reads as a change.
    """
    style = style or style_for(taxonomy)
    layout = style.layout
    card = make_card(paper, venues, style)
    # Under the heading of its year in an area file, as the export places it (the year dates undated badges).
    section = str(card.section_year) if card.areas and card.section_year else ""
    roles = [column.role for column in layout.columns]
    row = parse_row(card_row(card, style), roles, paper.path, paper.line, section, Vocabulary(taxonomy, layout), [])
    if row is None:
        return Entry(paper.key, paper.entry_type, {})
    return build_entry([row], taxonomy, venues, [], layout=layout).entry


def merge_entry(old: Entry, was: Entry, new: Entry,
                fields: Sequence[str]) -> tuple[str | None, dict[str, str | None]]:
    """What the list changed about ``old``: a new entry type (or None) and field edits (None deletes).

    ``was`` is the list's view of ``old`` (:func:`list_view`) and ``new`` what the list says now:
    only fields whose meaning differs between the two are edited, and only when the bib's own
    value does not already mean the new one.  A field the list leaves empty keeps its bib value,
    except the old venue's fields when the paper moved to another venue.
    """
    edits: dict[str, str | None] = {}
    retype = old.entry_type.lower() in _RETYPED
    moved = any(not _same_text(n, was.fields.get(n, ""), new.fields.get(n, "")) for n in ("journal", "booktitle"))
    for name in fields:
        value, current = new.fields.get(name, ""), old.fields.get(name, "")
        if _same_text(name, was.fields.get(name, ""), value):
            continue
        if name in ("journal", "booktitle") and not retype:
            continue  # no venue invented for a type the list cannot express
        if not value:
            if name in _VENUE_GROUP and moved and retype and current:
                edits[name] = None
            continue
        if not _same_text(name, current, value):
            edits[name] = value
    entry_type = new.entry_type if retype and moved and new.entry_type != old.entry_type.lower() else None
    return entry_type, edits




def import_awesome(source: str | Path, output: str | Path | None, taxonomy: Taxonomy,
                   venues: VenueTable | None = None, later: str | None = None,
                   force: bool = False, layout: Layout | None = None, updated: str | None = None) -> ImportResult:
    """Read the list at ``source`` and return the bib text (merged into ``output`` when it exists).

    A merge edits the existing text in place: only the fields the list changed, in the entries
    the list carries, and new papers appended at the end; every other byte is kept.  ``layout``
    defaults to the taxonomy's (:func:`~sphinx_tc_ext.awesome.layout.layout_for`), ``later`` to its
    ``later_added``.  An entry whose venue or title the merge changes gets ``updated`` (default:
    today), so the site can show that a preprint was published.
    """
    venues = venues or load_venues()
    layout = layout or layout_for(taxonomy)
    problems: list[Problem] = []
    files = markdown_files(source)
    rows = read_rows(files, taxonomy, problems, layout, venues=venues)
    items = [build_entry(g, taxonomy, venues, problems, later, layout) for g in group_rows(rows, problems)]

    out_path = Path(output) if output else None
    if out_path is None or not out_path.exists():
        _assign_keys(items, set())
        entries = [item.entry for item in items]
        name = out_path.name if out_path else "survey.bib"
        # In the canonical layout of `tc-survey fmt`, so an import passes `fmt --check` as written.
        text = format_text(render_bib(entries, name=name), taxonomy)
        problems.sort(key=lambda p: (p.path, p.line, p.message))
        return ImportResult(entries=sorted(entries, key=Entry.sort_key), problems=problems, changes=[], text=text,
                            count=len(items))

    raw, bom = read_exact(out_path)
    existing = parse_bib_text(raw.replace("\r\n", "\n"), str(out_path), taxonomy)
    broken = [p for p in existing.problems if p.subtype in ("syntax", "duplicate")]
    if broken and not force:
        raise InputError([*broken, Problem(str(out_path), 1, "syntax", "the existing bib has entries that "
                                           "cannot be read; fix them (or pass --force to keep them as they are)")])
    blocks: dict[str, Block] = {}
    for block in tokenize(raw):
        if block.kind == "entry":
            blocks.setdefault(block.key.lower(), block)
    editor = BibEditor(raw, canonical_order(taxonomy))
    style = style_for(taxonomy, layout)
    refreshed = imported_fields(taxonomy)

    changes: list[tuple[str, str, str]] = []
    by_eprint: dict[str, Paper] = {}
    by_title: dict[str, Paper] = {}
    entries: dict[str, Entry] = {}
    for paper in existing.papers.values():
        eprint, title = _paper_ident(paper)
        if eprint:
            by_eprint.setdefault(eprint, paper)
        if title:
            by_title.setdefault(title, paper)
        entries[paper.key] = _existing_entry(paper)
    matched: set[str] = set()
    new_items: list[Imported] = []
    published: list[str] = []
    retitled: list[str] = []
    diffs: dict[str, dict[str, tuple[str, str]]] = {}
    for item in items:
        eprint = item.entry.fields.get("eprint", "")
        paper = by_eprint.get(eprint) if eprint else None
        if paper is None:
            candidate = by_title.get(item.title_ident)
            if candidate is not None and not (candidate.fields.get("eprint") and eprint and
                                              candidate.fields.get("eprint") != eprint):
                paper = candidate
        if paper is None or paper.key in matched:
            new_items.append(item)
            continue
        matched.add(paper.key)
        old = entries[paper.key]
        entry_type, edits = merge_entry(old, list_view(paper, taxonomy, venues, style), item.entry,
                                       refreshed)
        if _DATED_FIELDS & set(edits):
            if _is_preprint(old) and not _is_preprint(item.entry):
                published.append(paper.key)
            if "title" in edits:
                retitled.append(paper.key)
            edits["updated"] = updated or datetime.date.today().isoformat()
        block = blocks.get(paper.key.lower())
        if block is None and (entry_type or edits):
            problems.append(Problem(paper.path, paper.line, "import", f"{paper.key}: entry could not be located "
                                    "for an edit; left as it is: check its braces and commas", code="syntax"))
            entry_type, edits = None, {}
        if block is not None:
            editor.edit(block, entry_type, edits)
        if entry_type or edits:
            diffs[paper.key] = {name: (old.fields.get(name, ""), value or "") for name, value in edits.items()
                                if name != "updated"}
            if entry_type:
                diffs[paper.key]["type"] = (old.entry_type.lower(), entry_type)
        if entry_type:
            old.entry_type = entry_type
        for name, value in edits.items():
            if value is None:
                old.fields.pop(name, None)
            else:
                old.fields[name] = value
        changed = (["type"] if entry_type else []) + list(edits)
        changes.append(("updated", paper.key, ", ".join(changed)) if changed else ("unchanged", paper.key, ""))
    for key in entries:
        if key not in matched:
            changes.append(("kept", key, "not in the list; kept as is"))
    _assign_keys(new_items, set(entries))
    appended = sorted((item.entry for item in new_items), key=Entry.sort_key)
    for entry in appended:
        changes.append(("added", entry.key, bib_to_text(entry.fields.get("title", ""))))
    text = bom + editor.result([format_text(format_entry(e), taxonomy).rstrip("\n") for e in appended])
    problems.sort(key=lambda p: (p.path, p.line, p.message))
    return ImportResult(entries=sorted([*entries.values(), *appended], key=Entry.sort_key), problems=problems,
                        changes=sorted(changes, key=lambda c: (c[0], c[1])), text=text, count=len(items),
                        published=sorted(published), retitled=sorted(retitled), diffs=diffs)


def summarise(problems: Sequence[Problem]) -> str:
    counts = Counter(p.code or p.subtype for p in problems)
    if not counts:
        return "no anomalies"
    return "anomalies: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1],
                                                                                                          kv[0])))


