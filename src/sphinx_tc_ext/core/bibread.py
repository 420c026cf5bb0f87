"""Read a bib: decode it, cut it into entries, parse each with pybtex, validate it into :class:`Paper` s.

Every problem becomes a :class:`~sphinx_tc_ext.core.problems.Problem` with the file,
the line and its check code, and parsing goes on with the next entry: one broken
entry never hides the rest.  The text is cut into chunks (one entry each) parsed on
their own, so a cache of chunk records (:class:`ChunkStore`; the on-disk one is
:class:`sphinx_tc_ext.cache.parse_cache.ChunkCache`) lets a parse redo only the
entries that changed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, MutableMapping
from datetime import date
from typing import Protocol
from urllib.parse import quote

from pybtex import errors as pybtex_errors
from pybtex.database import Person
from pybtex.database.input.bibtex import LowLevelParser, month_names
from pybtex.exceptions import PybtexError
from pybtex.utils import CaseInsensitiveDict

from sphinx_tc_ext.core.latex import control_characters, latex_to_text, strip_control_characters
from sphinx_tc_ext.core.model import ARXIV_NEW, ARXIV_OLD, Bibliography, Paper, distinct_anchors, plain_anchor
from sphinx_tc_ext.core.problems import Problem, did_you_mean
from sphinx_tc_ext.core.schema import DATE_FIELDS, LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.core.textio import decode_lenient

PERSON_FIELDS = ("author", "editor")
_ENTRY_AT = re.compile(r"@[ \t]*[A-Za-z]+[ \t]*[{(]")  # at the start of a line, after spaces or tabs
_KEY_AFTER_START = re.compile(r"\s*@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()=\"#%']+)\s*,")
# A field name at a line's start or after "," "{" "(" (a chunk starts with "@", never a name):
# "\n" in the set instead of "^" with MULTILINE lets the regex engine skip to those characters.
_FIELD_NAME = re.compile(r"[,{(\n]\s*([A-Za-z][\w:.+-]*)\s*=")
_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AND = re.compile(r"\s+and\s+")
_YEAR = re.compile(r"\d{4}")
_MONTHS = {name.lower(): i for i, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}


def chunk_spans(text: str) -> Iterable[tuple[int, int]]:
    """Spans of the text that each start with an ``@type{`` at the start of a line.

    Splitting first means an entry with unbalanced braces swallows nothing after it.
    A span ends where the next entry starts or, when an ``@`` follows the entry, at its
    balanced closing brace: text between entries is ignored (as BibTeX does), and a
    stray ``@`` in it (``Maintainer: me@example.org``) must not break the entry before.
    """
    starts = entry_starts(text)
    find = text.find
    for i, start in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else len(text)
        at = find("@", start)
        if find("@", at + 1, limit) == -1:  # nearly always: text after the entry, if any, is ignored either way
            yield start, limit
            continue
        end = _entry_end(text, at, limit)
        yield start, limit if find("@", end, limit) == -1 else end  # cut only before a stray '@': same chunk keys


_DELIMITERS = re.compile(r"[{}()]")


def _entry_end(text: str, at: int, limit: int) -> int:
    """Just after the brace (or parenthesis) that closes the entry whose ``@`` is at ``at``; ``limit`` if none does."""
    opening = _ENTRY_AT.match(text, at)
    paren = opening is not None and text[opening.end() - 1] == "("
    depth = 0
    for m in _DELIMITERS.finditer(text, opening.end() if opening else at, limit):
        char = m.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0 and not paren:  # the entry's own closing brace
                return m.end()
        elif char == ")" and paren and depth == 0:
            return m.end()
    return limit


def _gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of text between entries (most chunks run to the next entry: only a few gaps are not empty)."""
    ends = [0] + [end for _, end in spans]
    starts = [start for start, _ in spans] + [len(text)]
    return [(end, start) for end, start in zip(ends, starts, strict=True) if end < start]


def mask_stray_at(text: str) -> str:
    """The text with every ``@`` between entries made a space, so a tokenizer sees only what the parse sees."""
    parts: list[str] = []
    done = 0
    for begin, end in _gaps(text, list(chunk_spans(text))):
        at = text.find("@", begin, end)
        while at != -1:
            parts.append(text[done:at] + " ")
            done = at + 1
            at = text.find("@", done, end)
    return "".join(parts) + text[done:] if parts else text


def _stray_text(text: str, spans: list[tuple[int, int]], path: str) -> list[Problem]:
    """A warning for every line between entries that holds an ``@`` (``%`` comment lines aside)."""
    problems: list[Problem] = []
    for begin, end in _gaps(text, spans):
        at = text.find("@", begin, end)
        while at != -1:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            line_end = len(text) if line_end == -1 else line_end
            if not text[max(line_start, begin):at].lstrip().startswith("%"):
                line = text.count("\n", 0, at) + 1
                shown = text[max(line_start, begin):min(line_end, end)].strip()
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                problems.append(Problem(
                    path, line, "syntax",
                    f"text between entries holds an '@' ({shown!r}): BibTeX ignores text between entries, but "
                    "an '@' there is often a broken entry or a pasted line; remove it or make it a '%' comment",
                    at - line_start + 1, "TC174"))
            at = text.find("@", line_end, end) if line_end < end else -1
    return problems


def entry_starts(text: str) -> list[int]:
    """Where each line that opens an entry (``@type{`` after spaces or tabs) starts.

    The lines are found from the ``@`` signs: a multi-line regular expression tries
    every position of a 5 MB bib (25 ms); there are about as many ``@`` as entries (6 ms).
    """
    starts: list[int] = []
    find, line_start, opens = text.find, text.rfind, _ENTRY_AT.match
    at = find("@")
    while at != -1:
        line = line_start("\n", 0, at) + 1
        if (line == at or not text[line:at].strip(" \t")) and opens(text, at):
            starts.append(line)
        at = find("@", at + 1)
    return starts


def balanced_braces(text: str) -> bool:
    """Every ``{`` closed, never a ``}`` too many (BibTeX counts escaped braces too)."""
    return _brace_balance(text) == 0


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


class ChunkStore(Protocol):
    """What :func:`parse_bib_text` asks of a cache of chunk records (the core never imports one).

    A record holds only what its chunk's text and macro reads decide; the store
    keeps whatever else a record depends on (taxonomy, shown path, code) in check.
    """

    def begin(self, text: str, path: str, taxonomy: Taxonomy) -> None:
        """A parse of ``text`` starts (a store may fill itself ahead, e.g. in several processes)."""

    def key(self, chunk: str) -> bytes:
        """The key of a chunk's record."""

    def reuse(self, key: bytes, macros: CaseInsensitiveDict) -> ChunkRecord | None:
        """The record, its macro writes made, if its macro reads give the same values now; else None."""

    def store(self, key: bytes, record: ChunkRecord) -> None:
        """Keep a record just parsed."""

    def note_validated(self, entry_key: str) -> None:
        """An entry of a kept record was validated now: the record changed."""

    def finish(self) -> None:
        """The parse is over: keep the records of the chunks it met."""


def parse_bib_text(text: str, path: str, taxonomy: Taxonomy, cache: ChunkStore | None = None) -> Bibliography:
    """Parse and validate bib text; collect every problem instead of stopping at the first.

    With a ``cache`` (see :class:`ChunkStore`), every entry whose text, macros, taxonomy
    and path are unchanged since the cache was filled is taken from it instead of being
    parsed again; the result is the same either way.  The cache is updated in place.
    """
    problems: list[Problem] = []
    papers: dict[str, Paper] = {}
    digests: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    macros = CaseInsensitiveDict(month_names)
    preamble: list[str] = []
    if cache is not None:
        cache.begin(text, path, taxonomy)
    line, pos = 1, 0
    spans = list(chunk_spans(text))
    holds_entries = False
    for start, end in spans:
        line += text.count("\n", pos, start)
        pos = start
        chunk = text[start:end]
        if cache is None:
            record = _parse_chunk(chunk, macros)
        else:
            sha = cache.key(chunk)
            record = cache.reuse(sha, macros)
            if record is None:
                record = _parse_chunk(chunk, macros)
                cache.store(sha, record)
        holds_entries = holds_entries or record.error is not None or any(
            not isinstance(item, tuple) for item in record.items)
        if record.error is not None:
            what, relative, detail, hint, code = record.error
            where = f" at line {line + relative - 1}" if relative else ""
            problems.append(Problem(path, line, "syntax", f"{what} skipped (syntax error{where}: {detail}): {hint}",
                                    1, code))
            continue
        shift = line - 1
        for item in record.items:
            if isinstance(item, tuple):
                preamble.append(item[0])
                continue
            if item is None:
                problems.append(Problem(path, line, "syntax", "entry without a citation key skipped; add a key", 1,
                                        "TC101"))
                continue
            folded = item.key.lower()
            if folded in first_seen:
                problems.append(Problem(
                    path, line, "duplicate",
                    f"duplicate key '{item.key}' (first defined at {path}:{first_seen[folded]}); "
                    "this copy is ignored: rename or delete one", 1, "TC111"))
                continue
            first_seen[folded] = line
            if item.problems is None:  # validated lazily: a duplicate copy never is
                _validate(item, chunk, path, taxonomy)
                if cache is not None:
                    cache.note_validated(item.key)
            problems.extend(_shift_problem(p, shift) for p in item.problems)
            if item.paper is not None:
                papers[item.key] = _shift_paper(item.paper, shift)
                digests[item.key] = item.digest
    if cache is not None:
        cache.finish()
    problems.extend(_stray_text(text, spans, path))
    if not holds_entries:
        problems.append(Problem(
            path, 1, "missing", "the bib file holds no entries (only comments, @string or @preamble, or nothing); "
            "add entries such as @article{key, ...}, or check that this is the survey's bib file", 1, "TC121"))
    anchors: dict[str, str] = {}
    for key, (anchor, first) in distinct_anchors(papers).items():
        anchors[key] = anchor
        problems.append(Problem(
            path, papers[key].line, "duplicate",
            f"key '{key}' makes the same HTML anchor '#{plain_anchor(key)}' as key '{first}' "
            f"({path}:{papers[first].line}), so links to one would open the other; this card gets '#{anchor}' "
            "instead: rename one key (e.g. only letters, digits, '-' and '_')", 1, "TC115"))
    problems.sort(key=lambda p: p.line)
    bib = Bibliography(path=path, papers=papers, problems=problems, preamble=" ".join(preamble), anchors=anchors,
                       digest_memo=digests)
    return bib


def _validate(item: _Entry, chunk: str, path: str, taxonomy: Taxonomy) -> None:
    """Make the entry's paper and problems (lines counted from the chunk's first line)."""
    item.problems = []
    item.paper = _make_paper(item.kind, item.key, item.raw_fields, chunk, path, 1, taxonomy, item.problems)
    item.raw_fields = None
    item.digest = item.paper.digest if item.paper is not None else ""


STRING_COMMAND = re.compile(r"@\s*string\s*[{(]", re.IGNORECASE)


def parse_records(text: str, spans: list[tuple[int, int]], path: str, taxonomy: Taxonomy,
                  share: list[int]) -> list[tuple[int, ChunkRecord]]:
    """``(number, record)`` of the chunks numbered ``share`` (ascending), validated as the serial parse would.

    Only the ``@string`` commands of the chunks before each are parsed too, for their
    macros; records whose macro use cannot be replayed are left out.  A cache fills
    itself with these in other processes (the records are the same as a serial parse's
    wherever their macro reads agree: :meth:`ChunkRecord.replay` checks that).
    """
    macros = CaseInsensitiveDict(month_names)
    records: list[tuple[int, ChunkRecord]] = []
    done = 0
    for i in share:
        for start, end in spans[done:i]:  # chunks before this one not to parse here: only their macros matter
            if STRING_COMMAND.search(text, start, end):
                _parse_chunk(text[start:end], macros)
        done = i + 1
        chunk = text[spans[i][0]:spans[i][1]]
        record = _parse_chunk(chunk, macros)
        if record.reusable:
            for item in record.items:
                if isinstance(item, _Entry):
                    _validate(item, chunk, path, taxonomy)
            records.append((i, record))
    return records


class _Entry:
    """One entry of a chunk; ``paper`` and ``problems`` have line numbers counted from the chunk's first line (1)."""

    __slots__ = ("digest", "key", "kind", "paper", "problems", "raw_fields")

    def __init__(self, kind: str, key: str, raw_fields: list | None) -> None:
        self.kind = kind
        self.key = key
        self.raw_fields = raw_fields  # dropped once validated
        self.paper: Paper | None = None
        self.digest = ""  # the paper's digest, kept with the record: every build needs all of them
        self.problems: list[Problem] | None = None  # None: not validated yet


class ChunkRecord:
    """What one chunk parses to, independent of where the chunk sits in the file.

    ``events`` are the macro reads and writes the parse made, in order, as
    ``(name, value or None, is_write)``; the record holds wherever the reads give the
    same values.  ``error`` is ``(what, relative line or None, detail, hint, check code)``
    of a syntax error that skips the chunk; ``items`` are, in file order, ``(preamble text,)``,
    None for an entry without a key, and :class:`_Entry` objects.
    """

    __slots__ = ("error", "events", "items", "reusable")

    def __init__(self, events: tuple, error: tuple | None, items: list, reusable: bool = True) -> None:
        self.events = events
        self.error = error
        self.items = items
        self.reusable = reusable

    def replay(self, macros: CaseInsensitiveDict) -> bool:
        """Whether the parse's macro reads give the same values now; if so, make its macro writes."""
        written: dict[str, str | None] = {}
        for name, value, is_write in self.events:
            folded = name.lower()
            if is_write:
                written[folded] = value
            elif (written[folded] if folded in written else macros.get(name)) != value:
                return False
        for name, value, is_write in self.events:
            if is_write:
                if value is None:
                    macros.pop(name, None)
                else:
                    macros[name] = value
        return True


class _RecordingMacros(MutableMapping):
    """The macro table as the parser sees it, noting every read and write."""

    def __init__(self, macros: CaseInsensitiveDict) -> None:
        self.macros = macros
        self.events: list[tuple[str, str | None, bool]] = []
        self.opaque = False  # the parser looked at the whole table: the result cannot be checked name by name

    def __getitem__(self, name: str) -> str:
        try:
            value = self.macros[name]
        except KeyError:
            self.events.append((name, None, False))
            raise
        self.events.append((name, value, False))
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.macros[name] = value
        self.events.append((name, value, True))

    def __delitem__(self, name: str) -> None:
        del self.macros[name]
        self.events.append((name, None, True))

    def __iter__(self):
        self.opaque = True
        return iter(self.macros)

    def __len__(self) -> int:
        self.opaque = True
        return len(self.macros)


def _parse_chunk(chunk: str, macros: CaseInsensitiveDict) -> ChunkRecord:
    """Parse one chunk with pybtex (defining its ``@string`` macros in ``macros``); validation comes later."""
    recording = _RecordingMacros(macros)
    errors: list[PybtexError] = []
    parser = LowLevelParser(chunk, macros=recording, handle_error=errors.append)
    try:
        commands = list(parser)
    except PybtexError as exc:  # raised outside handle_error, e.g. by the scanner at EOF
        errors.append(exc)
        commands = []
    events = tuple(recording.events)
    if errors:
        balance = _brace_balance(chunk)
        hint = ("unbalanced braces; close every '{' in this entry" if balance
                else "fix the syntax (every field is name = {value} or name = \"value\", separated by commas)")
        error = errors[0]
        detail = str(error.args[0] if error.args else error).split("\n")[0]
        relative = getattr(error, "lineno", None)
        key_match = _KEY_AFTER_START.match(chunk)
        what = f"entry '{key_match.group(1)}'" if key_match else "entry"
        return ChunkRecord(events, (what, relative, detail, hint, "TC102" if balance else "TC101"), [],
                           not recording.opaque)
    items: list = []
    for entry_type, body in commands:
        kind = entry_type.lower()
        if kind in ("string", "comment"):
            continue
        if kind == "preamble":
            items.append(("".join(body[0]) if body else "",))
            continue
        key, raw_fields = body
        items.append(_Entry(kind, key, raw_fields) if key else None)
    return ChunkRecord(events, None, items, not recording.opaque)


def _shift_paper(paper: Paper, shift: int) -> Paper:
    """A copy of ``paper`` (containers copied too: callers may edit them) moved down ``shift`` lines."""
    return Paper(key=paper.key, entry_type=paper.entry_type, path=paper.path, line=paper.line + shift,
                 fields=dict(paper.fields), authors_raw=list(paper.authors_raw), authors=list(paper.authors),
                 title=paper.title, year=paper.year, month=paper.month, venue=paper.venue,
                 venue_kind=paper.venue_kind, facets=dict(paper.facets), links=dict(paper.links), added=paper.added,
                 field_lines={name: n + shift for name, n in paper.field_lines.items()})


def _shift_problem(problem: Problem, shift: int) -> Problem:
    return dataclasses.replace(problem, line=problem.line + shift) if shift else problem


def _field_lines(chunk: str, first_line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    line, pos = first_line, 0
    for m in _FIELD_NAME.finditer(chunk):  # matches come in order: count the newlines since the last one
        start = m.start(1)
        line += chunk.count("\n", pos, start)
        pos = start
        found.setdefault(m.group(1).lower(), line)
    return found


@functools.lru_cache(maxsize=65536)
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

    def report(name: str | None, subtype: str, code: str, message: str) -> None:
        problems.append(Problem(path, field_lines.get(name, line) if name else line, subtype,
                                f"{key}: {message}", 1, code))

    if found := control_characters(key):
        problems.append(Problem(path, line, "syntax", f"{key!r}: the key holds control character {found}; "
                                "entry skipped, delete it", 1, "TC172"))
        return None
    fields: dict[str, str] = {}
    for name, parts in raw_fields:
        lname = name.lower()
        if lname in fields:
            report(lname, "syntax", "TC103", f"field '{lname}' given twice; the first value is kept, delete the other")
            continue
        value = "".join(parts)
        if found := control_characters(value):
            report(lname, "syntax", "TC172",
                   f"field '{lname}' holds control character {found}; deleted, delete it in the bib")
            value = strip_control_characters(value)
        fields[lname] = " ".join(value.split())

    authors_raw: list[str] = []
    authors: list[str] = []
    for role in PERSON_FIELDS:
        value = fields.pop(role, None) if role == "author" else None
        if value is None:
            continue
        names = [n.strip() for n in _AND.split(value) if n.strip()] if value.strip() else []
        if not names:
            report(role, "missing", "TC140", "the author list is empty; give at least one author")
        for name in names:
            error, display = _person(name)
            if error is not None:
                report(role, "syntax", "TC141", f"author '{name}' is malformed ({error}); write 'Last, First'")
                continue
            authors_raw.append(name)
            authors.append(display)

    title = latex_to_text(fields.get("title", ""))
    if not title:
        report("title" if "title" in fields else None, "missing", "TC120", "no title; add a title field")

    year = None
    raw_year = fields.get("year", "")
    if not raw_year:
        report(None, "missing", "TC120", "no year; add a year field")
    elif _YEAR.fullmatch(raw_year.strip()):
        year = int(raw_year)
    else:
        report("year", "date", "TC150", f"year '{raw_year}' is not four digits; write e.g. year = {{2025}}")

    month = None
    raw_month = fields.get("month", "").strip()
    if raw_month:
        month = _MONTHS.get(raw_month.lower()) or (int(raw_month) if raw_month.isdigit() and
                                                    1 <= int(raw_month) <= 12 else None)
        if month is None:
            report("month", "date", "TC151", f"month '{raw_month}' is not a month; write jan..dec or 1..12")

    dates = {name: fields.get(name, "").strip() for name in DATE_FIELDS}
    for name, value in dates.items():
        if not value:
            continue
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            report(name, "date",
                   "TC152", f"{name} date '{value}' is not a real YYYY-MM-DD date; write e.g. {name} = {{2025-08-14}}")
            dates[name] = ""
    added = dates["added"]

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
                           "TC106", f"'{item}' in field '{facet.field}' is not a value id ({hint}); using '{alias}'")
                    vid = alias
                else:
                    report(facet.field, "vocabulary",
                           "TC105", f"unknown {facet.id} '{item}' in field '{facet.field}' ({hint}); value ignored")
                    continue
            if vid not in values:
                values.append(vid)
        if len(values) > 1 and not facet.multi:
            report(facet.field, "vocabulary",
                   "TC107", f"field '{facet.field}' takes one value but has {', '.join(values)}; "
                   f"keeping '{values[0]}'")
            values = values[:1]
        if facet.required and not values:
            report(facet.field if facet.field in fields else None, "missing",
                   "TC120", f"no {facet.id}; add {facet.field} = {{...}} with one of: {', '.join(facet.value_ids)}")
        facets[facet.id] = tuple(values)

    links: dict[str, str] = {}
    paper_url = fields.get("url", "").strip()
    if paper_url:
        if _URL.match(paper_url):
            links["paper"] = paper_url
        else:
            report("url", "url", "TC131", f"url '{paper_url}' is not an http(s) link; link dropped")
    if "paper" not in links:
        doi = fields.get("doi", "").strip()
        eprint = fields.get("eprint", "").strip()
        if doi and _DOI.match(doi):
            links["paper"] = "https://doi.org/" + quote(doi, safe="/:;()._-")
        elif doi:
            report("doi", "url", "TC131", f"doi '{doi}' is not a DOI (10.NNNN/suffix); no link made from it")
        elif eprint and _is_arxiv(eprint, fields):
            links["paper"] = "https://arxiv.org/abs/" + eprint
    for name, _label in LINK_FIELDS:
        url = fields.get(name, "").strip()
        if not url:
            continue
        if _URL.match(url):
            links[name] = url
        else:
            report(name, "url", "TC131", f"{name} link '{url}' is not an http(s) link; link dropped")

    venue, venue_kind = _venue(kind, fields, year, month)
    return Paper(key=key, entry_type=kind, path=path, line=line, fields=fields, authors_raw=authors_raw,
                 authors=authors, title=title, year=year, month=month, venue=venue, venue_kind=venue_kind,
                 facets=facets, links=links, added=added, field_lines=field_lines)


def _is_arxiv(eprint: str, fields: dict[str, str]) -> bool:
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
    return prefix == "arxiv" and bool(ARXIV_NEW.match(eprint) or ARXIV_OLD.match(eprint))


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



_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_bib(data: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """The bib's text and an error for every line holding bytes that are not UTF-8 (None: the file is UTF-16).

    A Latin-1 ``é`` makes one line wrong, not the file: each byte that does not decode
    becomes U+FFFD (:func:`~sphinx_tc_ext.core.textio.decode_lenient`), so the entry holding
    it stays on the site (its title shows where the character was) while ``check`` fails and
    the build warns at that line and column.
    """
    if data.startswith(_UTF16_BOMS):
        return None, [Problem(path, 1, "syntax", "cannot read the bib file: it is UTF-16 (it starts with a byte "
                                                 "order mark); re-save it as UTF-8", 1, "TC100")]
    text, bad_runs = decode_lenient(data)
    problems = [Problem(
        path, bad.line, "syntax",
        f"{'byte' if len(bad.raw) == 1 else 'bytes'} {' '.join(f'0x{b:02X}' for b in bad.raw[:4])} at column "
        f"{bad.column} is not UTF-8 (the file was probably saved as Latin-1 or Windows-1252); "
        "the site shows it as '\ufffd': re-save the file as UTF-8, or write the character as a LaTeX command "
        "such as {\\'e}", bad.column, "TC173") for bad in bad_runs]
    return text, problems
