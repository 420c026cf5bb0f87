"""Import an awesome list of badge tables into the survey bib, and export it back.

``tc-survey import-awesome DIR -o BIB`` reads every ``*.md`` file of ``DIR`` (or a
single Markdown file) written in the badge-table format of awesome lists such as
Awesome-Multimodal-Token-Compression (one row per paper, cells shortened here)::

    | **Title & Authors** | **Areas** | **Tags** | **Links** |
    | --- | --- | --- | :---: |
    |  [![Publish](https://img.shields.io/badge/ICCV-2025-blue)]() [![Star](...)](...)<br>[Title](URL)<br>A, B
       |  [![Area](https://img.shields.io/badge/Image--LLM-purple)]()
       |  [![Type](https://img.shields.io/badge/Attention--Based-green)]()<br> [![Cost](...Training--Free-yellow)]()
       |  [Paper](URL)<br> [GitHub](URL)<br> |

and writes one Google-Scholar-like BibTeX entry per paper.  ``tc-survey
export-awesome BIB -o OUTDIR`` writes the same format back: a README with the
recent papers per area and the papers of recent venues, and one file per area
with a section per year.  Importing the export gives back the same bib.

Rules, so that the output is predictable:

* **Which rows.**  A table is a paper table when its header has a title column.
  Badges are recognised in every cell (by their alt text, else their colour:
  red = arXiv, blue = venue, purple = area, green = mechanism, yellow = cost,
  ``github/stars`` = star badge); named links (``[Paper]``, ``[GitHub]``,
  ``[Model]``, ``[Dataset]``, ``[Project]``...) in every cell but the title's.
  Extra and missing cells are reported, never fatal.
* **One entry per paper.**  Rows are the same paper when they share an arXiv id,
  else the same normalised title (case, punctuation and spacing ignored).  The
  files are read in name order with ``README.md`` last.  Areas, mechanisms and
  links are merged over all rows (union); for the title and the authors the most
  frequent variant wins (ties: the first one read) and every other variant is
  reported.  Area badges are the truth for ``areas``: a row placed in a file or
  section of another area is reported, not re-tagged.
* **Keys** follow Google Scholar: first author's last name (ASCII-folded,
  lowercase; the first word for a corporate author such as ``{Qwen Team}``),
  the year, and the first title word that is not a stop word
  (``shao2025tokens``).  Clashes get ``b``, ``c``... in order of the papers'
  dates (older first).  Keys already in the output bib are never changed.
* **Dates.**  Preprints take ``year``/``month`` from the arXiv id (the badge's
  ``YYYY.MM`` when there is no id); published papers take ``year`` from the
  venue badge and no ``month``.  ``eprint``/``archivePrefix`` are written for
  every paper with an arXiv id.
* **added.**  The survey's v1 appeared on 2025-07-29 and the list's news of
  2025-08-14 announces the papers added since.  A paper whose arXiv id is not
  newer than the survey's own id (2507.20198) -- or, without an id, whose
  year/month is not later than 2025-07 -- gets ``added = 2025-07-29``; newer
  papers get 2025-08-14 (``--added`` changes that second date for later
  imports).  An ``added`` already in the bib is kept.
* **Venues** come from a data table (``data/venues.toml``, ``--venues``): badge
  abbreviation to full name and kind; conferences become ``@inproceedings``
  with ``booktitle``, journals ``@article`` with ``journal``, preprints
  ``@article`` with ``journal = {arXiv preprint arXiv:ID}``.  Presentation
  labels (Oral, Highlight, Spotlight, Poster) stay in ``shortvenue`` only.
* **Order.**  Entries are written newest first: year, then month descending
  (entries without a month, i.e. published papers, after the dated ones of
  their year); then key ascending.  Running the
  import twice gives byte-identical files.
* **Merging.**  When ``-o`` names an existing bib, its entries are matched by
  arXiv id, else normalised title, and the file is edited in place: a field
  the list carries is rewritten only when the list now says something else
  than the bib's entry exported would (so a macro use, hand-written LaTeX or
  another quoting style is never a change), in its place and layout; a field
  the list leaves empty keeps its bib value, except the old venue's fields when
  a paper moved venue.  ``@book``, ``@proceedings`` and other types the list
  cannot express keep their type and container.  New papers are appended at
  the end in the canonical layout.  Every other byte (comments, ``@string``,
  ``@preamble``, blank lines, line endings, other fields and entries, entries
  that cannot be read with ``--force``) is kept, so exporting a bib and
  importing the export into it changes nothing.  What was added, updated and
  kept is printed.
* **Anomalies** are repaired where possible and always reported on stderr as
  ``file:line: what; what was done``, with a count per kind at the end.
"""

from __future__ import annotations

import argparse
import functools
import html
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pybtex.database import Person
from pybtex.exceptions import PybtexError

from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.core.bibread import balanced_braces, parse_bib_text
from sphinx_tc_ext.core.bibsyntax import Block, RawField, canonical_order, format_text, tokenize
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.problems import InputError, Problem, did_you_mean
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy, load_taxonomy, read_utf8

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_TAXONOMY = "refs/taxonomy.toml"
DEFAULT_VENUES = Path(__file__).resolve().parents[1] / "data" / "venues.toml"

#: The survey's first version; papers not newer than it get this ``added`` date.
SURVEY_V1_DATE = "2025-07-29"
#: The survey's own arXiv id: the cut between "in v1" and "added later".
SURVEY_ARXIV_ID = "2507.20198"
#: ``added`` for papers newer than the survey's v1 (the list's news of that day).
LATER_ADDED_DATE = "2025-08-14"

#: Title words skipped when building a citation key.
STOP_WORDS = frozenset({
    "a", "an", "the", "on", "of", "in", "for", "to", "towards", "toward", "and", "or", "with", "without", "via",
    "by", "from", "at", "as", "is", "are", "be", "into", "onto", "when", "what", "how", "why", "where", "which",
    "who", "do", "does", "can", "your", "our", "we", "you", "its", "it", "not", "no", "beyond",
})

#: Words after a venue abbreviation that label a presentation, not a venue.
QUALIFIERS = ("Oral", "Highlight", "Spotlight", "Poster")

#: Last words that mark a corporate author, written braced: ``{Qwen Team}``.
CORPORATE_WORDS = frozenset({"team", "lab", "labs", "group", "consortium", "collaboration", "inc", "inc.",
                             "corporation", "research", "organization"})
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "del", "della", "du", "la", "le", "dos",
                        "das", "ten", "ter", "bin", "al", "el"})
_CAPITAL_PARTICLES = frozenset({"Van", "Von", "Der", "Den", "Ter", "Ten", "Della", "Dos", "Das", "Du"})
_SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})

#: Named links of the links cell: label (lowercase) -> bib field.
LINK_LABELS: dict[str, str] = {
    "paper": "url", "pdf": "url", "arxiv": "url",
    "github": "code", "code": "code", "gitlab": "code",
    "model": "model", "models": "model", "weights": "model", "checkpoint": "model", "checkpoints": "model",
    "dataset": "dataset", "datasets": "dataset", "data": "dataset",
    "project": "project", "project page": "project", "page": "project", "website": "project",
    "homepage": "project", "home": "project",
}
#: Export order and labels of the named links.
EXPORT_LINKS: tuple[tuple[str, str], ...] = (("url", "Paper"), ("code", "GitHub"), ("model", "Model"),
                                              ("dataset", "Dataset"), ("project", "Project"))

#: Fields the awesome list carries; the import refreshes them on merge.
IMPORTED_FIELDS = ("title", "author", "journal", "booktitle", "year", "month", "eprint", "archiveprefix", "url",
                   "shortvenue", "areas", "categories", "cost", "code", "model", "dataset", "project")
_VENUE_GROUP = ("journal", "booktitle", "month")
#: Field order in the written bib; other fields follow in alphabetical order.
FIELD_ORDER = ("title", "author", "journal", "booktitle", "year", "month", "eprint", "archiveprefix",
               "primaryclass", "url", "doi", "shortvenue", "areas", "categories", "cost", "code", "model",
               "dataset", "project", "added")
_FIELD_CASE = {"archiveprefix": "archivePrefix", "primaryclass": "primaryClass"}
_MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}

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


# -- shields.io badge text ----------------------------------------------------------------

_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def md_unescape(text: str) -> str:
    r"""Undo Markdown backslash escapes (``\.`` -> ``.``, ``\|`` -> ``|``)."""
    return _MD_ESCAPE.sub(r"\1", text)


_UNDERSCORES = re.compile(r"__|_|[^_]+")
_DASHES = re.compile(r"--|-|[^-]+")


def unescape_badge_part(part: str) -> str:
    """One ``-``-separated part of a shields.io badge path as text: ``_`` is a space, ``__`` an underscore."""
    out = [{"__": "_", "_": " "}.get(token, token) for token in _UNDERSCORES.findall(part)]
    return unquote("".join(out))


def split_badge_path(path: str) -> list[str]:
    """Split a badge path ``label-message-color`` on single dashes (``--`` is a literal dash)."""
    parts: list[str] = []
    current: list[str] = []
    for token in _DASHES.findall(path):
        if token == "-":
            parts.append("".join(current))
            current = []
        else:
            current.append("-" if token == "--" else token)
    parts.append("".join(current))
    return [unescape_badge_part(p) for p in parts]


def escape_badge_part(text: str) -> str:
    """Text as one part of a shields.io badge path (inverse of :func:`unescape_badge_part` after splitting)."""
    # "_" means a space, "__" an underscore: where that would be ambiguous, spell spaces %20.
    ambiguous = "_" in text or "  " in text
    text = text.replace("-", "--").replace("_", "__")
    if not ambiguous:
        text = text.replace(" ", "_")
    return quote(text, safe="-_.~!*'")


@dataclass(frozen=True)
class Badge:
    alt: str
    src: str
    href: str
    label: str = ""
    message: str = ""
    color: str = ""
    star_repo: str = ""  # owner/repo of a github/stars badge

    @property
    def text(self) -> str:
        """Label and message joined by a dash (how taxonomy badges spell one term)."""
        return f"{self.label}-{self.message}" if self.label and self.message else (self.label or self.message)

    @property
    def shown(self) -> str:
        """Label and message as a reader sees them on the badge."""
        return " ".join(p for p in (self.label, self.message) if p)


def parse_badge(alt: str, src: str, href: str) -> Badge:
    """Read a shields.io badge (never raises; unknown shapes give empty label/message)."""
    src = md_unescape(src.strip())
    split = urlsplit(src) if "://" in src else None
    path = split.path if split else src
    star = re.match(r"^/github/stars/([^/]+)/([^/?#]+?)(?:\.svg|\.png)?$", path)
    if star:
        return Badge(alt, src, href, star_repo=f"{unquote(star.group(1))}/{unquote(star.group(2))}")
    m = re.match(r"^/badge/(.*)$", path) if split else re.match(r"^(?:.*/)?badge/(.*)$", path)
    if not m:
        return Badge(alt, src, href)
    body = re.sub(r"\.(svg|png|json)$", "", m.group(1))
    parts = split_badge_path(body)
    if len(parts) >= 3:
        return Badge(alt, src, href, label=parts[0], message="-".join(parts[1:-1]), color=parts[-1].lower())
    if len(parts) == 2:
        return Badge(alt, src, href, label=parts[0], color=parts[1].lower())
    return Badge(alt, src, href, label=parts[0])


def badge_url(label: str, message: str, color: str) -> str:
    parts = [escape_badge_part(label)] + ([escape_badge_part(message)] if message else []) + [color]
    return "https://img.shields.io/badge/" + "-".join(parts)


# -- Markdown tables ---------------------------------------------------------------------------

_CELL_TOKEN = re.compile(r"\\\||\\.?|[^\\|]+|\|", re.DOTALL)


def split_cells(line: str) -> list[str]:
    r"""Split a Markdown table row on unescaped pipes; ``\|`` becomes ``|``, other escapes stay."""
    text = line.strip()
    cells: list[str] = []
    current: list[str] = []
    for token in _CELL_TOKEN.findall(text):
        if token == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append("|" if token == "\\|" else token)
    cells.append("".join(current))
    if text.startswith("|"):
        cells = cells[1:]
    if len(cells) > 1 and text.endswith("|") and not text.endswith("\\|"):
        cells = cells[:-1]
    elif len(cells) == 1 and text.endswith("|") and text.startswith("|") and len(text) > 1:
        cells = cells[:1]
    return [c.strip() for c in cells]


def join_cells(cells: Sequence[str]) -> str:
    """A table row from cell texts, escaping pipes (the inverse of :func:`split_cells`)."""
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


_DELIMITER = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<src>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)\]"
                    r"\((?P<href>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
_LINK = re.compile(r"(?<!!)\[(?P<text>(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]"
                   r"\((?P<href><[^<>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>[^?#]+?)/?(?:[?#].*)?$",
                        re.IGNORECASE)
_ARXIV_NEW = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})$")
_ARXIV_OLD = re.compile(r"^[a-z-]+(?:\.[A-Z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}$")


def _text(fragment: str) -> str:
    """Markdown/HTML fragment to plain text: escapes undone, entities decoded, tags dropped, spaces collapsed."""
    fragment = _TAG.sub(" ", fragment)
    return " ".join(html.unescape(md_unescape(fragment)).split())


def _has_odd_space(text: str) -> bool:
    return any(ch.isspace() and ch not in " \t\n\r" for ch in text)


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


def _note(problems: list[Problem], path: str, line: int, kind: str, what: str, done: str) -> None:
    problems.append(Problem(path, line, "import", f"{what}; {done}", code=kind))


def _header_roles(cells: Sequence[str]) -> list[str]:
    roles = []
    for cell in cells:
        name = _text(cell).strip("*_ ").lower()
        if "title" in name or name == "paper":
            roles.append("title")
        elif "area" in name:
            roles.append("areas")
        elif "tag" in name or "categor" in name or "type" in name or "cost" in name:
            roles.append("tags")
        elif "link" in name or "code" in name or "resource" in name:
            roles.append("links")
        else:
            roles.append("other")
    return roles


def _fix_url(url: str, path: str, line: int, what: str, problems: list[Problem]) -> str:
    url = url.strip().strip("<>")
    doubled = re.match(r"^(https?://[^/]+/)+(https?://.+)$", url)
    if doubled:
        inner = doubled.group(2)
        _note(problems, path, line, "doubled-prefix", f"{what} '{url}' has a doubled host prefix",
              f"using {inner}")
        url = inner
    if re.search(r"[?&]tab=readme-ov-file\b", url):
        fixed = re.sub(r"[?&]tab=readme-ov-file\b", "", url).rstrip("?&")
        _note(problems, path, line, "tracking-query", f"{what} '{url}' carries a '?tab=' tracking query",
              f"using {fixed}")
        url = fixed
    return url


def _github_repo(url: str) -> str:
    m = re.match(r"^https?://(?:www\.)?github\.com/([^/?#]+)/([^/?#]+)", url, re.IGNORECASE)
    return f"{m.group(1)}/{re.sub(r'[.]git$', '', m.group(2))}".lower() if m else ""


class _Vocabulary:
    """Taxonomy lookups for badge texts, with unknown tags collected per facet."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.area = taxonomy.facet("area") or (taxonomy.facets[0] if taxonomy.facets else None)
        self.category = taxonomy.facet("category")
        self.cost = taxonomy.facet("cost")
        self.unknown: dict[tuple[str, str], list[str]] = {}

    def facet_for(self, badge: Badge) -> Facet | None:
        alt = badge.alt.strip().lower()
        by_alt = {"area": self.area, "areas": self.area, "type": self.category, "category": self.category,
                  "categories": self.category, "tag": self.category, "mechanism": self.category,
                  "cost": self.cost}
        if alt in by_alt and by_alt[alt] is not None:
            return by_alt[alt]
        by_color = {"purple": self.area, "green": self.category, "yellow": self.cost}
        return by_color.get(badge.color)

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


def parse_markdown(text: str, path: str, taxonomy: Taxonomy,
                   problems: list[Problem] | None = None) -> list[Row]:
    """Every paper row of the paper tables in one Markdown text.

    Never raises on malformed input: what cannot be read is reported in ``problems``.
    """
    problems = problems if problems is not None else []
    vocab = _Vocabulary(taxonomy)
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
                section = _text(summary.group(1))
            elif heading:
                section = _text(heading.group(1))
            continue
        if not in_table:
            # A header row counts only when a delimiter row follows it.
            if i < len(lines) and _DELIMITER.match(lines[i].strip()):
                header = _header_roles(split_cells(stripped))
                roles = header if "title" in header else None
                in_table = True
                i += 1
            continue
        if roles is None:
            continue
        row = _parse_row(stripped, roles, path, lineno, section, vocab, problems)
        if row is not None:
            rows.append(row)
    for (facet_id, tag), where in sorted(vocab.unknown.items()):
        facet = taxonomy.facet(facet_id)
        choices = [a for v in facet.values for a in (v.id, *v.aliases)] if facet else []
        line = _taxonomy_line(taxonomy, facet_id)
        more = f" and {len(where) - 1} more row(s)" if len(where) > 1 else ""
        problems.append(Problem(taxonomy.path, line, "vocabulary",
                                f"unknown {facet_id} tag '{tag}' at {where[0]}{more} "
                                f"({did_you_mean(tag, choices)}); tag ignored: add it to the 'aliases' "
                                f"of a value of facet '{facet_id}'", code="unknown-tag"))
    return rows


def _taxonomy_line(taxonomy: Taxonomy, facet_id: str) -> int:
    try:
        text = Path(taxonomy.path).read_text(encoding="utf-8")
    except OSError:
        return 1
    pos = text.find(f'id = "{facet_id}"')
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def _parse_row(line: str, roles: list[str], path: str, lineno: int, section: str, vocab: _Vocabulary,
               problems: list[Problem]) -> Row | None:
    cells = split_cells(line)
    if len(cells) != len(roles):
        done = "missing cells read as empty" if len(cells) < len(roles) else "extra cells scanned for badges and links"
        _note(problems, path, lineno, "cells", f"row has {len(cells)} cells, its header {len(roles)}", done)
    if not any(c.strip() for c in cells):
        return None
    row = Row(path=path, line=lineno, section=section)
    title_index = roles.index("title") if "title" in roles else 0
    for index, cell in enumerate(cells):
        for m in _BADGE.finditer(cell):
            _classify_badge(parse_badge(m.group("alt"), m.group("src"), m.group("href")), row, vocab, problems)
        if index == title_index:
            _parse_title_cell(cell, row, problems)
            continue
        without_badges = _BADGE.sub(" ", cell)
        for m in _LINK.finditer(without_badges):
            label = _text(m.group("text")).lower()
            href = m.group("href").strip("<>")
            target = LINK_LABELS.get(label)
            if target is None:
                _note(problems, path, lineno, "unknown-link", f"link label '{_text(m.group('text'))}' is not known",
                      f"link {href} ignored (known: Paper, GitHub, Code, Model, Dataset, Project)")
                continue
            if not href:
                continue
            url = _fix_url(md_unescape(href), path, lineno, f"{_text(m.group('text'))} link", problems)
            row.links.setdefault(target, url)
    if not row.title:
        _note(problems, path, lineno, "no-title", "row has no title", "row skipped")
        return None
    return row


def _parse_title_cell(cell: str, row: Row, problems: list[Problem]) -> None:
    rest = _BADGE.sub(" ", cell)
    rest = _IMAGE.sub(" ", rest)
    segments = [s for s in _BR.split(rest)]
    title_at = None
    for n, segment in enumerate(segments):
        m = _LINK.search(segment)
        if m:
            row.title = m.group("text")
            row.title_url = m.group("href").strip("<>")
            title_at = n
            break
    if title_at is None:  # a title without a link: the first non-empty segment
        for n, segment in enumerate(segments):
            if _text(segment):
                row.title, title_at = segment, n
                break
    if title_at is None:
        return
    raw_title = md_unescape(row.title)
    if _has_odd_space(html.unescape(raw_title)):
        _note(problems, row.path, row.line, "whitespace", "title contains a non-breaking or unusual space",
              "replaced by a plain space")
    row.title = _text(row.title)
    if row.title_url:
        row.title_url = _fix_url(md_unescape(row.title_url), row.path, row.line, "title link", problems)
    author_text = " ".join(segments[title_at + 1:])
    if _has_odd_space(html.unescape(_TAG.sub(" ", author_text))):
        _note(problems, row.path, row.line, "whitespace", "author list contains a non-breaking or unusual space",
              "replaced by a plain space")
    row.authors = _split_authors(_text(author_text), row, problems)


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
            _note(problems, row.path, row.line, "et-al", "author list ends with 'et al.'",
                  "the listed authors are kept; complete the list by hand")
            item = re.sub(r"(?i)\s*et\.? al\.?$", "", item).strip()
            if not item or item.lower() in ("et al", "others", "...", "…"):
                continue
        if item in _SUFFIXES and names:
            names[-1] = f"{names[-1]} {item}"
            continue
        names.append(item)
    return names


def _classify_badge(badge: Badge, row: Row, vocab: _Vocabulary, problems: list[Problem]) -> None:
    if badge.star_repo:
        row.star = badge
        return
    alt = badge.alt.strip().lower()
    if alt in ("star", "stars", "github"):
        row.star = badge
        return
    if alt in ("arxiv", "preprint") or badge.label.lower() == "arxiv" or (
            badge.color == "red" and alt not in ("publish", "venue", "pdf")):
        row.preprint = row.preprint or badge
        return
    if alt in ("publish", "venue", "conference", "journal", "pdf") or badge.color == "blue":
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
    _note(problems, row.path, row.line, "unknown-badge", f"badge '{badge.alt}' with text '{text}' is not a venue, "
          "star or taxonomy badge", "badge ignored")


# -- venues ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Venue:
    key: str
    name: str
    kind: str  # "conference" or "journal"
    short: str
    aliases: tuple[str, ...] = ()
    by_year: tuple[tuple[int, str], ...] = ()

    def full_name(self, year: int | None) -> str:
        name = self.name
        for since, renamed in self.by_year:
            if year is not None and year >= since:
                name = renamed
        return name.replace("{year}", str(year) if year else "").strip()

    def shortvenue(self, year: int | None, qualifiers: Sequence[str] = ()) -> str:
        text = self.short.replace("{year}", str(year) if year else "")
        return " ".join([*text.split(), *qualifiers])


@dataclass
class VenueTable:
    path: str
    venues: tuple[Venue, ...]

    def lookup(self, text: str) -> Venue | None:
        wanted = " ".join(text.split()).lower()
        for venue in self.venues:
            if wanted == venue.key.lower() or wanted in (a.lower() for a in venue.aliases):
                return venue
        return None

    def by_name(self, name: str) -> Venue | None:
        wanted = " ".join(name.split()).lower()
        for venue in self.venues:
            names = [venue.name, *(n for _, n in venue.by_year)]
            for candidate in names:
                pattern = re.escape(" ".join(candidate.split()).lower()).replace(r"\{year\}", r"\d{4}")
                if re.fullmatch(pattern, wanted):
                    return venue
        return None

    def resolve(self, label: str) -> tuple[Venue | None, str, list[str]]:
        """Badge label -> (venue, base text, presentation qualifiers)."""
        words = label.split()
        qualifiers: list[str] = []
        while True:
            base = " ".join(words)
            venue = self.lookup(base)
            if venue or not words or words[-1].capitalize() not in QUALIFIERS or len(words) == 1:
                return venue, base, qualifiers
            qualifiers.insert(0, words.pop().capitalize())


def load_venues(path: str | Path | None = None) -> VenueTable:
    """Read the venue table; raise :class:`InputError` with every problem found."""
    path = Path(path) if path else DEFAULT_VENUES
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "config", f"cannot read the venue table: {exc.strerror}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), 1, "config", f"venue table is not valid TOML: {exc}")]) from exc
    problems: list[Problem] = []
    venues: list[Venue] = []
    raw = data.get("venues", {})
    if not isinstance(raw, dict):
        raise InputError([Problem(str(path), 1, "config", "expected [venues.<abbreviation>] tables")])
    for key, entry in raw.items():
        pos = text.find(f"venues.{key}]")
        if pos < 0:
            pos = text.find(f'venues."{key}"]')
        line = text.count("\n", 0, pos) + 1 if pos >= 0 else 1
        if not isinstance(entry, dict) or not entry.get("name") or entry.get("kind") not in ("conference", "journal"):
            problems.append(Problem(str(path), line, "config", f"venue '{key}' needs a name and kind = "
                                    "\"conference\" or \"journal\""))
            continue
        by_year = tuple(sorted((int(y), str(n)) for y, n in (entry.get("by_year") or {}).items()))
        venues.append(Venue(key=key, name=str(entry["name"]), kind=str(entry["kind"]),
                            short=str(entry.get("short", f"{key} {{year}}")),
                            aliases=tuple(str(a) for a in entry.get("aliases", []) or []), by_year=by_year))
    if problems:
        raise InputError(problems)
    return VenueTable(str(path), tuple(venues))


# -- BibTeX text -------------------------------------------------------------------------------

# BibTeX counts every brace, escaped or not, so literal braces become commands.
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&",
            "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_ESCAPE_RE = re.compile(r"[\\{}&%$#_~^]")
_COMMANDS = r"\\text(?:backslash|braceleft|braceright|asciitilde|asciicircum)\{\}"
_UNESCAPE_RE = re.compile(_COMMANDS + r"|\\[&%$#_]")
_EXACT = re.compile(r"(?:" + _COMMANDS + r"|\\[&%$#_]|[^\\{}~^$])*")
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}


def text_to_bib(text: str) -> str:
    """Plain text as a BibTeX value: LaTeX specials escaped, unicode kept."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def bib_to_text(value: str) -> str:
    """The inverse of :func:`text_to_bib`; other LaTeX goes through :func:`latex_to_text`."""
    if _EXACT.fullmatch(value):
        return " ".join(_UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(0)], value).split())
    return latex_to_text(value)


_FOLD_SPECIAL = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                               "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i"})


def _ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_SPECIAL))  # translate: one C pass, not one per letter
    if text.isascii():  # nothing to drop (a merge folds every title of the bib)
        return text
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise_title(title: str) -> str:
    """Title identity: case, accents, punctuation and spacing ignored."""
    folded = _ascii_fold(unicodedata.normalize("NFKC", title)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def to_bibtex_name(name: str) -> str:
    """``First Middle von Last Jr.`` as a BibTeX name ``von Last, Jr., First Middle``.

    Corporate names (last word Team, Lab, Group...), single-word names and names the
    list already braces are written braced: ``{Qwen Team}``.
    """
    words = name.split()
    if not words:
        return ""
    if name.startswith("{") and name.endswith("}") and _balanced_inside(name):  # braced by the list's author
        return "{" + text_to_bib(" ".join(name[1:-1].split())) + "}"
    if len(words) > 1 and words[-1].lower().rstrip(".") in {w.rstrip(".") for w in CORPORATE_WORDS}:
        return "{" + text_to_bib(" ".join(words)) + "}"
    if len(words) == 1:  # a mononym is almost always an organisation (NVIDIA, ASLP@NPU): brace it
        return "{" + text_to_bib(words[0]) + "}"
    if any(w.lower() == "and" for w in words):  # "and" would split the name in BibTeX: keep it whole
        return "{" + text_to_bib(" ".join(words)) + "}"
    suffix = ""
    if words[-1] in _SUFFIXES and len(words) > 2:
        suffix = words.pop()
    start = len(words) - 1
    while start > 1 and (words[start - 1] in _PARTICLES or words[start - 1] in _CAPITAL_PARTICLES):
        start -= 1
    last = " ".join(words[start:])
    first = " ".join(words[:start])
    parts = [text_to_bib(last)] + ([text_to_bib(suffix)] if suffix else []) + [text_to_bib(first)]
    return ", ".join(parts)


@functools.lru_cache(maxsize=65536)
def display_name(raw: str) -> str:
    """A BibTeX name as ``First von Last Jr.`` plain text (the list's spelling).

    Memoized: pybtex's name parser is most of an export's time, and authors recur across entries.
    """
    stripped = raw.strip()
    if stripped.startswith("{") and stripped.endswith("}") and _balanced_inside(stripped):
        return bib_to_text(stripped[1:-1])
    try:
        person = Person(stripped)
    except PybtexError:
        return bib_to_text(stripped)
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names \
        + person.lineage_names
    return " ".join(bib_to_text(p) for p in parts if p)


def _balanced_inside(text: str) -> bool:
    return balanced_braces(text[1:-1])


def _key_name(raw_author: str) -> str:
    stripped = raw_author.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        words = bib_to_text(stripped[1:-1]).split()
        base = words[0] if words else ""
    else:
        try:
            person = Person(stripped)
            base = " ".join(person.prelast_names + person.last_names) or stripped
        except PybtexError:
            base = stripped
        base = bib_to_text(base)
    return re.sub(r"[^a-z0-9]", "", _ascii_fold(base).lower())


def title_word(title: str) -> str:
    """The first title word that is not a stop word, lowercase ASCII."""
    for word in re.findall(r"[a-z0-9]+", _ascii_fold(title).lower()):
        if word not in STOP_WORDS:
            return word
    return "paper"


def citation_key(first_author: str, year: int | str | None, title: str) -> str:
    name = _key_name(first_author) if first_author else ""
    return f"{name or 'anon'}{year or ''}{title_word(title)}"


def _month_macro(value: str) -> str | None:
    value = value.strip().lower()
    if value in _MONTH_MACROS:
        return value
    if value in _MONTH_NAMES:
        return _MONTH_MACROS[_MONTH_NAMES[value] - 1]
    if value.isdigit() and 1 <= int(value) <= 12:
        return _MONTH_MACROS[int(value) - 1]
    return None


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
        macro = _month_macro(self.fields.get("month", ""))
        return _MONTH_MACROS.index(macro) + 1 if macro else 0

    def sort_key(self) -> tuple:
        return (-self.year, -self.month, self.key)


def format_entry(entry: Entry) -> str:
    names = sorted(entry.fields, key=lambda n: (FIELD_ORDER.index(n) if n in FIELD_ORDER else len(FIELD_ORDER), n))
    lines = [f"@{entry.entry_type}{{{entry.key},"]
    body = []
    for name in names:
        value = entry.fields[name]
        if value == "":
            continue
        shown = _FIELD_CASE.get(name, name)
        macro = _month_macro(value) if name == "month" else None
        body.append(f"  {shown} = {macro}" if macro else f"  {shown} = {{{value}}}")
    lines.append(",\n".join(body))
    lines.append("}")
    return "\n".join(lines)


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


# -- from rows to entries -------------------------------------------------------------------------

def parse_arxiv_id(eprint: str) -> tuple[int, int, int] | None:
    """``2507.20198`` -> (2025, 7, 20198); old-style ids give number 0; placeholders give None."""
    eprint = eprint.strip()
    m = _ARXIV_NEW.match(eprint)
    if m:
        year, month, number = 2000 + int(m.group("yy")), int(m.group("mm")), int(m.group("num"))
        if 1 <= month <= 12 and number > 0 and (year, month) >= (2007, 4):
            return year, month, number
        return None
    m = _ARXIV_OLD.match(eprint)
    if m:
        yy = int(m.group("yy"))
        month = int(m.group("mm"))
        return (1900 + yy if yy >= 91 else 2000 + yy), month, 0
    return None


def _arxiv_from_url(url: str) -> tuple[str | None, bool]:
    """(id, is_arxiv_url): id None with True means a placeholder/malformed arXiv link."""
    m = _ARXIV_URL.match(url.strip())
    if not m:
        return None, False
    raw = re.sub(r"\.pdf$", "", unquote(m.group("id")))
    raw = re.sub(r"v\d+$", "", raw)
    return (raw, True) if parse_arxiv_id(raw) else (None, True)


def added_date(eprint: str | None, year: int | None, month: int | None, later: str = LATER_ADDED_DATE) -> str:
    """The ``added`` rule (see the module docstring)."""
    cut = parse_arxiv_id(SURVEY_ARXIV_ID)
    parsed = parse_arxiv_id(eprint) if eprint else None
    if parsed and cut:
        return SURVEY_V1_DATE if parsed <= cut else later
    if year is None:
        return later
    return SURVEY_V1_DATE if (year, month or 0) <= (cut[0], cut[1]) else later


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
        eprint, is_arxiv = _arxiv_from_url(url)
        if eprint:
            return eprint
        if is_arxiv and problems is not None:
            _note(problems, row.path, row.line, "arxiv-placeholder", f"arXiv link '{url}' has no valid arXiv id",
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


def _placement_area(row: Row, vocab: _Vocabulary) -> str | None:
    if vocab.area is None:
        return None
    stem = Path(row.path).stem
    if stem.lower() != "readme":
        return vocab.resolve(vocab.area, stem)
    section = _YEAR.sub(" ", row.section).strip()
    return vocab.resolve(vocab.area, section) if section else None


def build_entry(group: list[Row], taxonomy: Taxonomy, venues: VenueTable, problems: list[Problem],
                later: str = LATER_ADDED_DATE) -> Imported:
    """Merge the rows of one paper into a bib entry (key assigned later)."""
    vocab = _Vocabulary(taxonomy)
    first = group[0]
    fields: dict[str, str] = {}

    # Title and authors: the most frequent variant; others reported.
    chosen_row, title = _majority([(r, r.title) for r in group])
    for row in group:
        if row.title != title:
            _note(problems, row.path, row.line, "title-mismatch",
                  f"title '{row.title}' differs from '{title}' at {chosen_row.location}", f"kept '{title}'")
    fields["title"] = text_to_bib(str(title))
    with_authors = [(r, tuple(r.authors)) for r in group if r.authors]
    authors: tuple[str, ...] = ()
    if with_authors:
        author_row, chosen = _majority(with_authors)
        authors = tuple(chosen)  # type: ignore[arg-type]
        for row, names in with_authors:
            if names != authors:
                _note(problems, row.path, row.line, "author-mismatch",
                      f"authors '{', '.join(names)}' differ from those at {author_row.location}",
                      "kept the most frequent list")
    for row in group:
        if not row.authors:
            done = (f"authors taken from {author_row.location}" if authors
                    else "no author field written; add the authors by hand")
            _note(problems, row.path, row.line, "empty-authors", "author cell is empty", done)
    if authors:
        fields["author"] = " and ".join(to_bibtex_name(a) for a in authors)

    # arXiv id and the paper link.
    eprint = next((e for e in (_row_eprint(r, None) for r in group) if e), None)
    url = ""
    for row in group:
        for candidate in (row.title_url, row.links.get("url", "")):
            if candidate and not url and not (_ARXIV_URL.match(candidate) and not _arxiv_from_url(candidate)[0]):
                url = candidate
    if eprint:
        url = f"https://arxiv.org/abs/{eprint}"
    elif url:
        _note(problems, first.path, first.line, "no-arxiv", f"paper link '{url}' is not an arXiv abstract",
              "no eprint written; the paper is identified by its title")
    arxiv_date = parse_arxiv_id(eprint) if eprint else None

    # Venue: a venue badge wins over an arXiv badge; the most frequent one wins.
    venue_rows = [(r, r.venue.shown) for r in group if r.venue is not None]
    preprint_rows = [(r, r.preprint) for r in group if r.preprint is not None]
    section_years = [int(m.group(1)) for r in group for m in [_YEAR.search(r.section)] if m]
    year: int | None = None
    month: int | None = None
    if venue_rows:
        venue_row, _text_ = _majority(venue_rows)
        badge = venue_row.venue
        assert badge is not None
        for row, text in venue_rows:
            if text != _text_:
                _note(problems, row.path, row.line, "venue-conflict",
                      f"venue badge '{text}' differs from '{_text_}' at {venue_row.location}", f"kept '{_text_}'")
        for row, _badge in preprint_rows:
            _note(problems, row.path, row.line, "venue-conflict",
                  f"arXiv badge here but venue badge '{_text_}' at {venue_row.location}", "kept the venue")
        label, message = badge.label, badge.message
        found = _YEAR.search(message) or _YEAR.search(label)
        if found:
            year = int(found.group(1))
            label = " ".join(_YEAR.sub(" ", label).split())
        else:
            year = arxiv_date[0] if arxiv_date else (section_years[0] if section_years else None)
            _note(problems, venue_row.path, venue_row.line, "venue-no-year", f"venue badge '{badge.shown}' has no year",
                  f"year {year} taken from the {'arXiv id' if arxiv_date else 'section'}" if year
                  else "no year written")
        venue, base, qualifiers = venues.resolve(label)
        if venue is None:
            choices = [v.key for v in venues.venues]
            _note(problems, venue_row.path, venue_row.line, "unknown-venue",
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
            _note(problems, venue_row.path, venue_row.line, "venue-year",
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
                    _note(problems, row.path, row.line, "badge-date",
                          f"arXiv badge says {m.group(1)}.{int(m.group(2)):02d} but the id {eprint} is from "
                          f"{arxiv_date[0]}.{arxiv_date[1]:02d}", "date taken from the arXiv id")
            else:
                done = (f"date {arxiv_date[0]}.{arxiv_date[1]:02d} taken from the arXiv id" if arxiv_date
                        else "date taken from the section" if section_years else "no date written")
                _note(problems, row.path, row.line, "badge-no-date",
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
        _note(problems, first.path, first.line, "no-year", "no year in the badges, the arXiv id or the section",
              "no year written; add it by hand")
    else:
        fields["year"] = str(year)
    if month:
        fields["month"] = _MONTH_MACROS[month - 1]
    if eprint:
        fields["eprint"] = eprint
        fields["archiveprefix"] = "arXiv"
    if url:
        fields["url"] = _bib_url(url)
    fields["shortvenue"] = text_to_bib(shortvenue)

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
                _note(problems, first.path, first.line, "no-area", "paper has no area badge",
                      f"areas '{', '.join(values)}' taken from where it is listed ({where})")
            else:
                for area, row in placed.items():
                    _note(problems, row.path, row.line, "area-placement",
                          f"listed under area '{area}' but its area badges say '{', '.join(values) or 'none'}'",
                          "areas taken from the badges")
            if not values:
                _note(problems, first.path, first.line, "no-area", "paper has no area badge and no area placement",
                      "areas left empty; add them by hand")
        if len(values) > 1 and not facet.multi:
            _note(problems, first.path, first.line, "cost-conflict" if facet is vocab.cost else "unknown-tag",
                  f"{facet.id} takes one value but the badges give {', '.join(values)}",
                  f"kept '{values[0]}' (first in the taxonomy's order)")
            values = values[:1]
        if values:
            fields[facet.field] = ", ".join(values)

    # Links: the first value of each; conflicts reported.
    for name in ("code", "model", "dataset", "project"):
        seen_links = [(r, r.links[name]) for r in group if r.links.get(name)]
        if name == "code":
            seen_links.extend(_star_code(r, problems) for r in group if r.star is not None and not r.links.get("code"))
            seen_links = [(r, v) for r, v in seen_links if v]
        if not seen_links:
            continue
        value = seen_links[0][1]
        for row, other in seen_links[1:]:
            if other.rstrip("/") != value.rstrip("/"):
                _note(problems, row.path, row.line, "link-conflict",
                      f"{name} link '{other}' differs from '{value}' at {seen_links[0][0].location}",
                      f"kept {value}")
        fields[name] = _bib_url(value)
    for row in group:
        if row.star is not None and row.links.get("code"):
            _check_star(row, problems)

    date = arxiv_date or (year or 0, month or 0, 0)
    fields_added = added_date(eprint, year, month, later)
    entry = Entry(key="", entry_type=entry_type, fields={**fields, "added": fields_added})
    return Imported(entry=entry, ident=eprint or "title:" + normalise_title(str(title)),
                    title_ident=normalise_title(str(title)), date=tuple(date), first=first)  # type: ignore[arg-type]


def _fixed_star_link(row: Row, problems: list[Problem]) -> str:
    assert row.star is not None
    href = row.star.href.strip()
    if not href:
        return ""
    return _fix_url(md_unescape(href), row.path, row.line, "star badge link", problems)


def _star_code(row: Row, problems: list[Problem]) -> tuple[Row, str]:
    """The code link of a row that has a star badge but no GitHub link."""
    link = _fixed_star_link(row, problems)
    if link and _github_repo(link):
        return row, link
    fallback = f"https://github.com/{row.star.star_repo}" if row.star and row.star.star_repo else ""
    if link:
        _note(problems, row.path, row.line, "star-host", f"star badge links to '{link}', not to GitHub",
              f"code link {'set to ' + fallback if fallback else 'not set'} (from the badge image)")
    return row, fallback


def _check_star(row: Row, problems: list[Problem]) -> None:
    assert row.star is not None
    link = _fixed_star_link(row, problems)
    code_repo = _github_repo(row.links.get("code", ""))
    if link and not _github_repo(link):
        _note(problems, row.path, row.line, "star-host", f"star badge links to '{link}', not to GitHub",
              f"ignored; the code link is {row.links['code']}")
        return
    repos = {_github_repo(link)} if link else set()
    if row.star.star_repo:
        repos.add(row.star.star_repo.lower())
    if code_repo and any(r and r != code_repo for r in repos):
        _note(problems, row.path, row.line, "star-mismatch",
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


def markdown_files(source: str | Path) -> list[Path]:
    """The Markdown files of a directory in reading order (README last), or the one file given."""
    source = Path(source)
    if source.is_file():
        return [source]
    files = sorted((p for p in source.iterdir() if p.is_file() and p.suffix.lower() in (".md", ".markdown")),
                   key=lambda p: (p.stem.lower() == "readme", p.name))
    return files


def read_rows(files: Sequence[Path], taxonomy: Taxonomy, problems: list[Problem]) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        rows.extend(parse_markdown(text, str(path), taxonomy, problems))
    return rows


def _assign_keys(items: list[Imported], reserved: set[str]) -> None:
    taken = {k.lower() for k in reserved}
    for item in sorted(items, key=lambda i: (i.date, i.ident)):
        fields = item.entry.fields
        first_author = re.split(r"\s+and\s+", fields.get("author", ""))[0]
        base = citation_key(first_author, fields.get("year"), bib_to_text(fields.get("title", "")))
        key, n = base, 0
        while key.lower() in taken:
            n += 1
            key = base + _suffix(n)
        taken.add(key.lower())
        item.entry.key = key


def _suffix(n: int) -> str:
    """1 -> b, 2 -> c, ..., 25 -> z, 26 -> zb ..."""
    letters = "bcdefghijklmnopqrstuvwxyz"
    out = ""
    while n > len(letters):
        out += "z"
        n -= len(letters)
    return out + letters[n - 1]


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
        return _month_macro(old) == _month_macro(new)
    return False


#: Entry types a venue change in the list may retype (the import's own and the preprint types); a
#: ``@book`` or ``@proceedings`` has nothing the list can express and keeps its type and container.
_RETYPED = frozenset({"article", "inproceedings", "misc", "unpublished"})
_LIST_ROLES = ["title", "areas", "tags", "links"]


def list_view(paper: Paper, taxonomy: Taxonomy, venues: VenueTable) -> Entry:
    """What the list says about ``paper``: its exported row, read back.

    A merge compares the list with this rather than with the bib, so what the list cannot
    show (a macro, hand-written LaTeX, a ``@book``'s publisher) never reads as a change.
    """
    card = _card(paper, taxonomy, venues)
    # Under the heading of its year in an area file, as the export places it (the year dates undated badges).
    section = str(card.section_year) if card.areas and card.section_year else ""
    row = _parse_row(_row(card, taxonomy), _LIST_ROLES, paper.path, paper.line, section, _Vocabulary(taxonomy), [])
    if row is None:
        return Entry(paper.key, paper.entry_type, {})
    return build_entry([row], taxonomy, venues, []).entry


def merge_entry(old: Entry, was: Entry, new: Entry) -> tuple[str | None, dict[str, str | None]]:
    """What the list changed about ``old``: a new entry type (or None) and field edits (None deletes).

    ``was`` is the list's view of ``old`` (:func:`list_view`) and ``new`` what the list says now:
    only fields whose meaning differs between the two are edited, and only when the bib's own
    value does not already mean the new one.  A field the list leaves empty keeps its bib value,
    except the old venue's fields when the paper moved to another venue.
    """
    edits: dict[str, str | None] = {}
    retype = old.entry_type.lower() in _RETYPED
    moved = any(not _same_text(n, was.fields.get(n, ""), new.fields.get(n, "")) for n in ("journal", "booktitle"))
    for name in IMPORTED_FIELDS:
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


def _bib_value(name: str, value: str) -> str:
    macro = _month_macro(value) if name == "month" else None
    return macro or "{" + value + "}"


_SPACES = re.compile(r"[ \t]*")
_COMMA = re.compile(r"\s*,")
_LINE_END = re.compile(r"[ \t]*\r?\n")


class _EntryEditor:
    """Span edits of one bib text: the entries the list changed, every other byte kept."""

    def __init__(self, text: str, order: Sequence[str]) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.rank = {name: i for i, name in enumerate(order)}
        self.edits: list[tuple[int, int, str]] = []

    def _name_start(self, f: RawField) -> int:
        return self.line_starts[f.line - 1] + f.column - 1

    def _indent(self, f: RawField) -> str | None:
        """The indentation of a field that starts its line (None when it shares the line)."""
        start = self._name_start(f)
        lead = self.text[self.text.rfind("\n", 0, start) + 1:start]
        return None if lead.strip() else lead

    def _delete(self, f: RawField) -> tuple[int, int, str]:
        """The field, its comma and, when it has its line to itself, the line."""
        start = self._name_start(f)
        comma = _COMMA.match(self.text, f.value_end)
        end = comma.end() if comma else f.value_end
        indent = self._indent(f)
        line_end = _LINE_END.match(self.text, end)
        if indent is not None and line_end:
            return start - len(indent), line_end.end(), ""
        if indent is not None:  # fields follow on its line: they move to its place
            return start, _SPACES.match(self.text, end).end(), ""  # type: ignore[union-attr]
        before = self.text[self.text.rfind("\n", 0, start) + 1:start]  # its line, not a copy of the whole text
        return start - (len(before) - len(before.rstrip(" \t"))), end, ""

    def edit(self, block: Block, entry_type: str | None, fields: dict[str, str | None]) -> None:
        if entry_type:
            at = block.start + re.match(r"@\s*", block.source).end()  # type: ignore[union-attr]
            old = block.entry_type
            shown = entry_type if old.islower() else entry_type.upper() if old.isupper() else entry_type.capitalize()
            self.edits.append((at, at + len(old), shown))
        kept = [f for f in block.fields if fields.get(f.lname, "") is not None]
        inserts: dict[tuple[int, str], tuple[RawField, list[tuple[int, str]]]] = {}
        last = len(self.rank)
        for name, value in fields.items():
            f = block.get(name)
            if f is not None:
                self.edits.append(self._delete(f) if value is None else
                                  (f.value_start, f.value_end, _bib_value(name, value)))
                continue
            if value is None:
                continue
            # A new field goes after the last kept field that precedes it in fmt's order.
            rank = self.rank.get(name, last)
            before = [k for k in kept if self.rank.get(k.lname, last) < rank]
            anchor, where = (before[-1], "after") if before else (kept[0], "before")
            text = f"{_FIELD_CASE.get(name, name)} = {_bib_value(name, value)}"
            inserts.setdefault((id(anchor), where), (anchor, []))[1].append((rank, text))
        for (_id, where), (anchor, items) in inserts.items():
            texts = [t for _r, t in sorted(items)]
            indent = self._indent(anchor)
            gap = self.newline + indent if indent is not None else " "
            if where == "after":
                self.edits.append((anchor.value_end, anchor.value_end, "".join("," + gap + t for t in texts)))
            else:
                at = self._name_start(anchor)
                self.edits.append((at, at, "".join(t + "," + gap for t in texts)))

    def result(self, appended: Sequence[str]) -> str:
        """The edited text with ``appended`` entries (``\\n`` line ends) after a blank line at the end."""
        out: list[str] = []
        pos = 0
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], e[1])):
            out.append(self.text[pos:start])
            out.append(replacement)
            pos = end
        out.append(self.text[pos:])
        text = "".join(out)
        if appended:
            nl = self.newline
            text = (text if text.endswith("\n") else text + nl) + nl if text.strip() else ""
            text += (nl + nl).join(e.replace("\n", nl) for e in appended) + nl
        return text


def _read_existing(path: Path) -> tuple[str, str]:
    """The bib's text exactly as stored (line endings kept) and its byte-order mark, if any."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), 1, "syntax", f"the bib is not UTF-8 ({exc.reason} at byte "
                                  f"{exc.start}); save it as UTF-8 and run the import again")]) from exc
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "io", f"cannot read the bib: {exc.strerror}")]) from exc
    if text.startswith("\ufeff"):
        return text[1:], "\ufeff"
    return text, ""


def import_awesome(source: str | Path, output: str | Path | None, taxonomy: Taxonomy,
                   venues: VenueTable | None = None, later: str = LATER_ADDED_DATE,
                   force: bool = False) -> ImportResult:
    """Read the list at ``source`` and return the bib text (merged into ``output`` when it exists).

    A merge edits the existing text in place: only the fields the list changed, in the entries
    the list carries, and new papers appended at the end; every other byte is kept.
    """
    venues = venues or load_venues()
    problems: list[Problem] = []
    files = markdown_files(source)
    rows = read_rows(files, taxonomy, problems)
    items = [build_entry(g, taxonomy, venues, problems, later) for g in group_rows(rows, problems)]

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

    raw, bom = _read_existing(out_path)
    existing = parse_bib_text(raw.replace("\r\n", "\n"), str(out_path), taxonomy)
    broken = [p for p in existing.problems if p.subtype in ("syntax", "duplicate")]
    if broken and not force:
        raise InputError([*broken, Problem(str(out_path), 1, "syntax", "the existing bib has entries that "
                                           "cannot be read; fix them (or pass --force to keep them as they are)")])
    blocks: dict[str, Block] = {}
    for block in tokenize(raw):
        if block.kind == "entry":
            blocks.setdefault(block.key.lower(), block)
    editor = _EntryEditor(raw, canonical_order(taxonomy))

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
        entry_type, edits = merge_entry(old, list_view(paper, taxonomy, venues), item.entry)
        block = blocks.get(paper.key.lower())
        if block is None and (entry_type or edits):
            problems.append(Problem(paper.path, paper.line, "import", f"{paper.key}: entry could not be located "
                                    "for an edit; left as it is: check its braces and commas", code="syntax"))
            entry_type, edits = None, {}
        if block is not None:
            editor.edit(block, entry_type, edits)
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
                        changes=sorted(changes, key=lambda c: (c[0], c[1])), text=text, count=len(items))


def summarise(problems: Sequence[Problem]) -> str:
    counts = Counter(p.code or p.subtype for p in problems)
    if not counts:
        return "no anomalies"
    return "anomalies: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1],
                                                                                                          kv[0])))


# -- export ----------------------------------------------------------------------------------------

@dataclass
class _Card:
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


def _md_inline(text: str) -> str:
    """Plain text safe inside a table cell's link text (pipes are escaped per cell)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\\[\]*_`])", r"\\\1", text)


def _card(paper: Paper, taxonomy: Taxonomy, venues: VenueTable) -> _Card:
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
        badge = f"[![Arxiv]({badge_url('arXiv', '', 'red') if not stamp else _arxiv_badge(message)})]()"
    else:
        label, year = _venue_label(shortvenue, paper, venues)
        venue_year = year
        venue, base, _quals = venues.resolve(label)
        venue_group = venue.shortvenue(year) if venue else f"{base} {year or ''}".strip()
        badge = f"[![Publish]({badge_url(label, str(year) if year else '', 'blue')})]()"
    code = paper.links.get("code", "")
    repo = _github_repo(code)
    star = ""
    if repo:
        owner_repo = re.match(r"^https?://(?:www\.)?github\.com/([^/?#]+/[^/?#]+)", code, re.IGNORECASE)
        star_repo = owner_repo.group(1) if owner_repo else repo
        star = (f"[![Star](https://img.shields.io/github/stars/{star_repo}.svg?style=social&label=Star)]"
                f"({code})")
    area_facet = taxonomy.facet("area") or taxonomy.facets[0]
    areas = paper.facets.get(area_facet.id, ())
    tags: list[str] = []
    for facet in taxonomy.facets:
        if facet is area_facet:
            continue
        alt, color = ("Cost", "yellow") if facet.id == "cost" else ("Type", "green")
        tags.append(" ".join(f"[![{alt}]({badge_url(_alias(facet, v), '', color)})]()"
                             for v in paper.facets.get(facet.id, ())))
    links: list[tuple[str, str]] = []
    for name, label in EXPORT_LINKS:
        url = paper.links.get("paper" if name == "url" else name, "")
        if url:
            links.append((label, url))
    return _Card(paper=paper, title=title, authors=authors, badge=badge, star=star, areas=areas, tags=tags,
                 links=links, date=tuple(date), venue_group=venue_group, venue_year=venue_year,  # type: ignore
                 preprint=preprint)


def _arxiv_badge(message: str) -> str:
    return f"https://img.shields.io/badge/arXiv-{message}-red"


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


def _row(card: _Card, taxonomy: Taxonomy) -> str:
    area_facet = taxonomy.facet("area") or taxonomy.facets[0]
    head = card.badge + (" " + card.star if card.star else " ")
    authors = ", ".join(_md_inline(a) for a in card.authors)
    link = card.paper.links.get("paper", "")
    title = f"[{_md_inline(card.title)}]({link})" if link else _md_inline(card.title)
    first = f"{head}<br>{title}<br>{authors}"
    area_badges = " ".join(f"[![Area]({badge_url(_alias(area_facet, a), '', 'purple')})]()" for a in card.areas)
    tags = "<br> ".join(t for t in card.tags if t)
    links = " ".join(f"[{label}]({url})<br>" for label, url in card.links)
    cells = [first, area_badges, tags, links]
    return "| " + " | ".join(" " + c.replace("|", "\\|") if c else "" for c in cells) + " | "


_TABLE_HEAD = "| **Title & Authors** | **Areas** | **Tags** | **Links** | \n| --- | --- | --- | :---: | "


def _details(summary: str, rows: list[str]) -> str:
    return "\n".join(["<details open>", f"<summary><strong>{summary}</strong></summary>", "", _TABLE_HEAD,
                      *rows, "</details>", ""])


def _card_order(card: _Card) -> tuple:
    return (-card.date[0], -card.date[1], -card.date[2], card.paper.key)


def area_file_name(facet: Facet, value_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _alias(facet, value_id).lower()).strip("-") + ".md"


def export_awesome(bib: Bibliography, taxonomy: Taxonomy, venues: VenueTable | None = None,
                   as_of: str | None = None, recent_months: int = 6) -> dict[str, str]:
    """The Markdown files (name -> text) of the awesome list for ``bib``."""
    venues = venues or load_venues()
    area_facet = taxonomy.facet("area") or taxonomy.facets[0]
    cards = sorted((_card(p, taxonomy, venues) for p in bib.papers.values()), key=_card_order)
    made: dict[int, str] = {}

    def row(card: _Card) -> str:
        """A card's row, made once: it shows in its area's file, among recent papers and under its venue."""
        text = made.get(id(card))
        if text is None:
            text = made[id(card)] = _row(card, taxonomy)
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
            parts.append(_details(f"{year} {value.label}" if year else value.label, rows))
        files[name] = "\n".join(parts)
        contents.append((value.label, name))
    orphans = [c for c in cards if not c.areas]
    if orphans:
        files["unsorted.md"] = "\n" + _details("Papers without an area", [row(c) for c in orphans])
        contents.append(("Papers without an area", "unsorted.md"))

    # The README: recent papers per area and the papers of recent venues.
    if as_of is None:
        dates = sorted(p.added for p in bib.papers.values() if p.added)
        as_of = dates[-1] if dates else None
    if as_of:
        year, month = int(as_of[:4]), int(as_of[5:7])
    else:
        newest = max((c.date for c in cards), default=(0, 0, 0))
        year, month = newest[0], newest[1] or 12
    total = year * 12 + (month - 1) - recent_months
    since = (total // 12, total % 12 + 1)
    recent = [c for c in cards if (c.date[0], c.date[1]) >= since]
    lines = [f"# {taxonomy.title or 'Paper list'}", "",
             "This list is generated from the survey's BibTeX file by `tc-survey export-awesome`; "
             "edit the bib and export again rather than editing these tables.", "",
             "## Contents", ""]
    lines += [f"- [{label}]({name})" for label, name in contents]
    lines += ["", "### Badges", "",
              "- red: arXiv preprint (year.month); blue: conference or journal (venue and year)",
              "- purple: area; green: mechanism; yellow: training cost", "",
              f"### Recent Papers (Last {recent_months} Months)", "",
              f"Papers from {since[0]}.{since[1]:02d} on, per area.", ""]
    for value in area_facet.values:
        rows = [row(c) for c in recent if value.id in c.areas]
        if rows:
            lines.append(_details(value.label, rows))
    groups: dict[str, list[_Card]] = {}
    for card in cards:
        if not card.preprint and card.venue_year and card.venue_year >= since[0]:
            groups.setdefault(card.venue_group, []).append(card)
    lines += ["", "### Published in Recent Conference/Journal", "",
              f"Published papers with a venue year of {since[0]} or later, per venue.", ""]
    for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        lines.append(_details(group, [row(c) for c in groups[group]]))
    files["README.md"] = "\n".join(lines)
    return {name: text.rstrip("\n") + "\n" for name, text in files.items()}


# -- command line -----------------------------------------------------------------------------------

def register(subparsers: argparse._SubParsersAction) -> None:
    from sphinx_tc_ext.cli import iso_date, positive_int, year_month

    p = subparsers.add_parser(
        "import-awesome", help="import an awesome list of badge tables into the bib",
        description="Read the Markdown badge tables of an awesome list (a directory or one file) and write "
                    "one BibTeX entry per paper; merges into an existing bib. Anomalies go to stderr.")
    p.add_argument("source", metavar="DIR", help="directory of *.md files (README.md is read last), or one file")
    p.add_argument("-o", "--output", required=True, metavar="BIB", help="bib file to write or merge into")
    p.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                   help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    p.add_argument("--venues", default=None, metavar="FILE",
                   help="venue table (default: the packaged data/venues.toml)")
    p.add_argument("--added", default=LATER_ADDED_DATE, metavar="DATE", type=iso_date,
                   help=f"'added' date of papers newer than the survey's v1 (default: {LATER_ADDED_DATE})")
    p.add_argument("--force", action="store_true",
                   help="merge even when the existing bib has entries that cannot be read (they are kept as they are)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary of the anomalies")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when anomalies were found")
    p.set_defaults(func=_cmd_import)

    e = subparsers.add_parser(
        "export-awesome", help="write the bib as an awesome list of badge tables",
        description="Write README.md (recent papers, recent venues) and one Markdown file per area.")
    e.add_argument("bib", metavar="BIB")
    e.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    e.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                   help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    e.add_argument("--venues", default=None, metavar="FILE", help="venue table (default: packaged)")
    e.add_argument("--as-of", default=None, metavar="DATE", type=year_month,
                   help="date the 'recent' sections count back from (default: the newest 'added' date)")
    e.add_argument("--recent-months", type=positive_int, default=6, metavar="N", help="months counted as recent (6)")
    e.set_defaults(func=_cmd_export)


def _load_common(args: argparse.Namespace) -> tuple[Taxonomy, VenueTable]:
    return load_taxonomy(args.taxonomy), load_venues(args.venues)


def _cmd_import(args: argparse.Namespace) -> int:
    from sphinx_tc_ext.cli import output_file

    try:
        if args.venues:  # load_venues reads it too, but would let a Latin-1 byte out as a traceback
            read_utf8(args.venues, "venue table")
        taxonomy, venues = _load_common(args)
        if not Path(args.source).exists():
            raise InputError([Problem(args.source, 1, "config", "no such file or directory")])
        files = markdown_files(args.source)
        if not files:
            raise InputError([Problem(args.source, 1, "config", "no Markdown files (*.md) in this folder; "
                                      "give the folder of the awesome list or one of its files")])
        for path in files:  # a Latin-1 byte: say where, before anything is parsed or written
            read_utf8(path, "Markdown file")
        out = output_file(args.output, "survey.bib")
        if out.exists():
            read_utf8(out, "bib to merge into", "syntax")
        result = import_awesome(args.source, out, taxonomy, venues, later=args.added, force=args.force)
    except InputError as exc:
        return InputError(exc.problems, exit_code=1).report()
    if not args.quiet:
        for problem in result.problems:
            print(problem, file=sys.stderr)
    print(f"{result.count} papers read; {summarise(result.problems)}", file=sys.stderr)
    write_atomic(out, result.text)
    counts = Counter(action for action, _k, _d in result.changes)
    for action, key, detail in result.changes:
        if action != "unchanged":
            print(f"{action:8} {key}" + (f": {detail}" if detail else ""))
    if result.changes:
        print(", ".join(f"{counts.get(a, 0)} {a}" for a in ("added", "updated", "unchanged", "kept")))
    else:
        print(f"wrote {len(result.entries)} entries to {out}")
    return 1 if args.strict and result.problems else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from sphinx_tc_ext.cli import load_for_command, output_folder

    try:
        if args.venues:  # load_venues reads it too, but would let a Latin-1 byte out as a traceback
            read_utf8(args.venues, "venue table")
        taxonomy, venues = _load_common(args)
        out = output_folder(args.output)
    except InputError as exc:
        return InputError(exc.problems, exit_code=1).report()
    bib = load_for_command(args.bib, taxonomy)
    if bib is None:
        return 1
    files = export_awesome(bib, taxonomy, venues, as_of=args.as_of, recent_months=args.recent_months)
    for name, text in sorted(files.items()):
        write_atomic(out / name, text)
        print(out / name)
    return 0
