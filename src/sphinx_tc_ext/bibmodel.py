"""The bib model: read ``survey.bib`` with pybtex, validate it, and keep it cached.

Every problem becomes a :class:`~sphinx_tc_ext.problems.Problem` with the file
and line, and parsing goes on with the next entry: one broken entry never hides
the rest.  The parse is cached by the file's path, size and mtime, so a build
parses the bib once however many pages show papers.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from pybtex import errors as pybtex_errors
from pybtex.database import Person
from pybtex.database.input.bibtex import LowLevelParser, month_names
from pybtex.exceptions import PybtexError
from pybtex.utils import CaseInsensitiveDict

from .latex import latex_to_text
from .problems import Problem, did_you_mean
from .schema import LINK_FIELDS
from .taxonomy import Taxonomy

PERSON_FIELDS = ("author", "editor")
_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)
_KEY_AFTER_START = re.compile(r"\s*@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()=\"#%']+)\s*,")
_FIELD_NAME = re.compile(r"(?:^|[,{(])\s*([A-Za-z][\w:.+-]*)\s*=", re.MULTILINE)
_ARXIV_NEW = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}(v\d+)?$")
_ARXIV_OLD = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(v\d+)?$")
_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AND = re.compile(r"\s+and\s+")
_YEAR = re.compile(r"\d{4}")
_MONTHS = {name.lower(): i for i, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})


@dataclass
class Paper:
    """One bib entry, with the raw fields kept and the display values derived once."""

    key: str
    entry_type: str
    path: str
    line: int
    fields: dict[str, str]
    authors_raw: list[str]
    authors: list[str]
    title: str
    year: int | None
    month: int | None
    venue: str
    venue_kind: str  # "published" or "preprint"
    facets: dict[str, tuple[str, ...]]
    links: dict[str, str]  # "paper", "code", "model", "dataset", "project"
    added: str
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        """The HTML id of the paper's card; keys may hold characters ids may not."""
        return "paper-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.key)

    @property
    def has_code(self) -> bool:
        return "code" in self.links

    @property
    def publication_month(self) -> int:
        """Month of publication: the ``month`` field, else the arXiv id's month in the same year, else 1."""
        if self.month:
            return self.month
        found = _ARXIV_NEW.match(self.fields.get("eprint", ""))
        if found and self.year and 2000 + int(found.group(1)) == self.year:
            return int(found.group(2))
        return 1

    @property
    def digest(self) -> str:
        """Changes whenever anything shown about the paper changes (fields, names, position)."""
        text = repr((self.entry_type, self.key, self.line, sorted(self.fields.items()), self.authors_raw))
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]

    def clean_bibtex(self, site_only: Iterable[str]) -> str:
        """The entry as an author pastes it into a paper: site-only fields removed."""
        dropped = set(site_only)
        lines = [f"@{self.entry_type}{{{self.key},"]
        if self.authors_raw:
            lines.append("  author = {" + " and ".join(self.authors_raw) + "},")
        for name, value in self.fields.items():
            if name not in dropped:
                lines.append(f"  {name} = {{{value}}},")
        lines.append("}")
        return "\n".join(lines)


@dataclass
class Bibliography:
    path: str
    papers: dict[str, Paper]
    problems: list[Problem]
    preamble: str = ""

    def __len__(self) -> int:
        return len(self.papers)

    def get(self, key: str) -> Paper | None:
        return self.papers.get(key)


class _Lines:
    """Offset to line number, by bisecting the newline offsets once computed."""

    def __init__(self, text: str) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1


def _chunks(text: str) -> Iterable[tuple[int, int]]:
    """Spans of the text that each start with an ``@type{`` at the start of a line.

    Splitting first means an entry with unbalanced braces swallows nothing after it.
    """
    starts = [m.start() for m in _ENTRY_START.finditer(text)]
    for i, start in enumerate(starts):
        yield start, starts[i + 1] if i + 1 < len(starts) else len(text)


def balanced_braces(text: str) -> bool:
    """Every ``{`` closed, never a ``}`` too many (BibTeX counts escaped braces too)."""
    return _brace_balance(text) == 0


def load_for_command(bib_path: str | os.PathLike, taxonomy: Taxonomy) -> Bibliography | None:
    """A command line's read of a bib: problems printed to stderr; None when nothing is usable."""
    bib = load_bibliography(bib_path, taxonomy)
    for problem in bib.problems:
        print(problem, file=sys.stderr)
    return None if not bib.papers and bib.problems else bib


def _brace_balance(text: str) -> int:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return depth
    return depth


def parse_bib_text(text: str, path: str, taxonomy: Taxonomy) -> Bibliography:
    """Parse and validate bib text; collect every problem instead of stopping at the first."""
    lines = _Lines(text)
    problems: list[Problem] = []
    papers: dict[str, Paper] = {}
    first_seen: dict[str, int] = {}
    macros = CaseInsensitiveDict(month_names)
    preamble: list[str] = []
    for start, end in _chunks(text):
        chunk = text[start:end]
        line = lines.line(start)
        errors: list[PybtexError] = []
        parser = LowLevelParser(chunk, macros=macros, handle_error=errors.append)
        try:
            commands = list(parser)
        except PybtexError as exc:  # raised outside handle_error, e.g. by the scanner at EOF
            errors.append(exc)
            commands = []
        if errors:
            balance = _brace_balance(chunk)
            hint = ("unbalanced braces; close every '{' in this entry" if balance
                    else "fix the syntax (every field is name = {value} or name = \"value\", separated by commas)")
            error = errors[0]
            detail = str(error.args[0] if error.args else error).split("\n")[0]
            relative = getattr(error, "lineno", None)
            where = f" at line {line + relative - 1}" if relative else ""
            key_match = _KEY_AFTER_START.match(chunk)
            what = f"entry '{key_match.group(1)}'" if key_match else "entry"
            problems.append(Problem(path, line, "syntax", f"{what} skipped (syntax error{where}: {detail}): {hint}"))
            continue
        for entry_type, body in commands:
            kind = entry_type.lower()
            if kind in ("string", "comment"):
                continue
            if kind == "preamble":
                preamble.append("".join(body[0]) if body else "")
                continue
            key, raw_fields = body
            if not key:
                problems.append(Problem(path, line, "syntax", "entry without a citation key skipped; add a key"))
                continue
            folded = key.lower()
            if folded in first_seen:
                problems.append(Problem(
                    path, line, "duplicate",
                    f"duplicate key '{key}' (first defined at {path}:{first_seen[folded]}); "
                    "this copy is ignored: rename or delete one"))
                continue
            first_seen[folded] = line
            paper = _make_paper(kind, key, raw_fields, chunk, path, line, taxonomy, problems)
            if paper is not None:
                papers[key] = paper
    problems.sort(key=lambda p: p.line)
    return Bibliography(path=path, papers=papers, problems=problems, preamble=" ".join(preamble))


def _field_lines(chunk: str, first_line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    line, pos = first_line, 0
    for m in _FIELD_NAME.finditer(chunk):  # matches come in order: count the newlines since the last one
        start = m.start(1)
        line += chunk.count("\n", pos, start)
        pos = start
        found.setdefault(m.group(1).lower(), line)
    return found


@lru_cache(maxsize=65536)
def _person(name: str) -> tuple[str | None, str]:
    """``(error, display name)`` of one author string; the same names recur across thousands of entries.

    The error is pybtex's complaint about a malformed name (strict or not, collected
    instead of raised or printed), None when the name is fine.
    """
    with pybtex_errors.capture() as captured:
        person = Person(name)
    if captured:
        return str(captured[0]), ""
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names
    display = latex_to_text(" ".join(parts))
    if person.lineage_names:
        display += ", " + latex_to_text(" ".join(person.lineage_names))
    return None, display


def _make_paper(kind: str, key: str, raw_fields: list, chunk: str, path: str, line: int,
                taxonomy: Taxonomy, problems: list[Problem]) -> Paper | None:
    field_lines = _field_lines(chunk, line)

    def report(name: str | None, subtype: str, message: str) -> None:
        problems.append(Problem(path, field_lines.get(name, line) if name else line, subtype,
                                f"{key}: {message}"))

    fields: dict[str, str] = {}
    for name, parts in raw_fields:
        lname = name.lower()
        if lname in fields:
            report(lname, "syntax", f"field '{lname}' given twice; the first value is kept, delete the other")
            continue
        fields[lname] = " ".join("".join(parts).split())

    authors_raw: list[str] = []
    authors: list[str] = []
    for role in PERSON_FIELDS:
        value = fields.pop(role, None) if role == "author" else None
        if value is None:
            continue
        names = [n.strip() for n in _AND.split(value) if n.strip()] if value.strip() else []
        if not names:
            report(role, "missing", "the author list is empty; give at least one author")
        for name in names:
            error, display = _person(name)
            if error is not None:
                report(role, "syntax", f"author '{name}' is malformed ({error}); write 'Last, First'")
                continue
            authors_raw.append(name)
            authors.append(display)

    title = latex_to_text(fields.get("title", ""))
    if not title:
        report("title" if "title" in fields else None, "missing", "no title; add a title field")

    year = None
    raw_year = fields.get("year", "")
    if not raw_year:
        report(None, "missing", "no year; add a year field")
    elif _YEAR.fullmatch(raw_year.strip()):
        year = int(raw_year)
    else:
        report("year", "date", f"year '{raw_year}' is not four digits; write e.g. year = {{2025}}")

    month = None
    raw_month = fields.get("month", "").strip()
    if raw_month:
        month = _MONTHS.get(raw_month.lower()) or (int(raw_month) if raw_month.isdigit() and
                                                    1 <= int(raw_month) <= 12 else None)
        if month is None:
            report("month", "date", f"month '{raw_month}' is not a month; write jan..dec or 1..12")

    added = fields.get("added", "").strip()
    if added:
        try:
            if not _ISO_DATE.match(added):
                raise ValueError
            date.fromisoformat(added)
        except ValueError:
            report("added", "date",
                   f"added date '{added}' is not a real YYYY-MM-DD date; write e.g. added = {{2025-08-14}}")
            added = ""

    facets: dict[str, tuple[str, ...]] = {}
    for facet in taxonomy.facets:
        raw = fields.get(facet.field, "")
        values: list[str] = []
        for item in (v.strip() for v in raw.split(",")):
            if not item:
                continue
            if facet.value(item.lower()) is not None:
                vid = item.lower()
            else:
                alias = facet.resolve_alias(item)
                hint = f"did you mean '{alias}'?" if alias else did_you_mean(item, facet.value_ids)
                if alias:
                    report(facet.field, "vocabulary",
                           f"'{item}' in field '{facet.field}' is not a value id ({hint}); using '{alias}'")
                    vid = alias
                else:
                    report(facet.field, "vocabulary",
                           f"unknown {facet.id} '{item}' in field '{facet.field}' ({hint}); value ignored")
                    continue
            if vid not in values:
                values.append(vid)
        if len(values) > 1 and not facet.multi:
            report(facet.field, "vocabulary",
                   f"field '{facet.field}' takes one value but has {', '.join(values)}; "
                   f"keeping '{values[0]}'")
            values = values[:1]
        if facet.required and not values:
            report(facet.field if facet.field in fields else None, "missing",
                   f"no {facet.id}; add {facet.field} = {{...}} with one of: {', '.join(facet.value_ids)}")
        facets[facet.id] = tuple(values)

    links: dict[str, str] = {}
    paper_url = fields.get("url", "").strip()
    if paper_url:
        if _URL.match(paper_url):
            links["paper"] = paper_url
        else:
            report("url", "url", f"url '{paper_url}' is not an http(s) link; link dropped")
    if "paper" not in links:
        doi = fields.get("doi", "").strip()
        eprint = fields.get("eprint", "").strip()
        if doi and _DOI.match(doi):
            links["paper"] = "https://doi.org/" + quote(doi, safe="/:;()._-")
        elif doi:
            report("doi", "url", f"doi '{doi}' is not a DOI (10.NNNN/suffix); no link made from it")
        elif eprint and _is_arxiv(eprint, fields):
            links["paper"] = "https://arxiv.org/abs/" + eprint
    for name, _label in LINK_FIELDS:
        url = fields.get(name, "").strip()
        if not url:
            continue
        if _URL.match(url):
            links[name] = url
        else:
            report(name, "url", f"{name} link '{url}' is not an http(s) link; link dropped")

    venue, venue_kind = _venue(kind, fields, year, month)
    return Paper(key=key, entry_type=kind, path=path, line=line, fields=fields, authors_raw=authors_raw,
                 authors=authors, title=title, year=year, month=month, venue=venue, venue_kind=venue_kind,
                 facets=facets, links=links, added=added, field_lines=field_lines)


def _is_arxiv(eprint: str, fields: dict[str, str]) -> bool:
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
    return prefix == "arxiv" and bool(_ARXIV_NEW.match(eprint) or _ARXIV_OLD.match(eprint))


def _venue(kind: str, fields: dict[str, str], year: int | None, month: int | None) -> tuple[str, str]:
    """The badge text and whether it is a publication or a preprint."""
    badge = latex_to_text(fields.get("shortvenue", ""))
    container = latex_to_text(fields.get("booktitle") or fields.get("journal") or "")
    preprint_words = ("arxiv", "preprint", "biorxiv", "medrxiv", "openreview")
    if badge:
        is_preprint = badge.lower().startswith(preprint_words)
    else:
        is_preprint = (kind in ("misc", "unpublished", "online") and not container) or \
            container.lower().startswith(preprint_words) or not container
        if is_preprint:
            stamp = f"{year}.{month:02d}" if year and month else (str(year) if year else "")
            badge = f"arXiv {stamp}".strip() if fields.get("eprint") or "arxiv" in container.lower() \
                else f"Preprint {stamp}".strip()
        else:
            badge = f"{container} {year}" if year else container
    return badge, "preprint" if is_preprint else "published"


# -- the cache ---------------------------------------------------------------------------

_CACHE: dict[tuple[str, str, str, int], Bibliography] = {}


def load_bibliography(path: str | os.PathLike, taxonomy: Taxonomy, display_path: str | None = None) -> Bibliography:
    """Parse ``path`` once per content and taxonomy; later calls return the cached model.

    Keyed by a digest of the bytes, not the mtime: an edit within one tick of the
    file clock (or one that restores the mtime) is still seen.  Reading and hashing
    a few MB costs milliseconds; callers that ask often cache per build on top.
    """
    path = Path(path)
    shown = display_path or str(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return Bibliography(shown, {}, [Problem(shown, 1, "syntax", f"cannot read the bib file: {exc}")])
    cache_key = (str(path.resolve()), hashlib.sha1(data).hexdigest(), shown, id(taxonomy))
    if cache_key not in _CACHE:
        _CACHE.clear()  # one bib at a time: keep memory flat when the file changes
        _CACHE[cache_key] = parse_bib_text(text, shown, taxonomy)
    return _CACHE[cache_key]
