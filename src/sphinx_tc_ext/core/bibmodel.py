"""The bib model: read ``survey.bib`` with pybtex, validate it, and keep it cached.

Every problem becomes a :class:`~sphinx_tc_ext.problems.Problem` with the file
and line, and parsing goes on with the next entry: one broken entry never hides
the rest.  The parse is cached in memory by the file's content, so a build
parses the bib once however many pages show papers, and, given a cache
directory, entry by entry on disk (:class:`ChunkCache`), so the next build
parses only the entries that changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import re
import sys
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import pybtex
from pybtex import errors as pybtex_errors
from pybtex.database import Person
from pybtex.database.input.bibtex import LowLevelParser, month_names
from pybtex.exceptions import PybtexError
from pybtex.utils import CaseInsensitiveDict

from sphinx_tc_ext.cache import heap
from sphinx_tc_ext.core.latex import control_characters, latex_to_text, strip_control_characters
from sphinx_tc_ext.core.problems import Problem, did_you_mean
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy

PERSON_FIELDS = ("author", "editor")
_ENTRY_AT = re.compile(r"@[ \t]*[A-Za-z]+[ \t]*[{(]")  # at the start of a line, after spaces or tabs
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


_NOT_IN_IDS = re.compile(r"[^A-Za-z0-9_-]")


#: Anchors of the keys whose :func:`plain_anchor` another key of the bib loaded last already has.
_DISTINCT_ANCHORS: dict[str, str] = {}


@functools.lru_cache(maxsize=65536)
def plain_anchor(key: str) -> str:
    """``paper-`` and the key with every character an id may not hold made a ``-`` (memoized: asked per card)."""
    return "paper-" + _NOT_IN_IDS.sub("-", key)


def paper_anchor(key: str) -> str:
    """The HTML id of a paper's card: :func:`plain_anchor`, unless an earlier key of the bib has that one.

    ``smith2025:vit`` and ``smith2025/vit`` both make ``paper-smith2025-vit``; the later
    one gets a suffix from its key's hash (see :func:`distinct_anchors`), so every link
    lands on its own paper and no other key's anchor moves.
    """
    return _DISTINCT_ANCHORS.get(key) or plain_anchor(key)


def distinct_anchors(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``{later key: (anchor it gets, first key with its plain anchor)}`` for the keys whose anchors collide.

    The first key in file order keeps its plain anchor; a later one gets
    ``-`` and 8 hex digits of its SHA-1 (more if that too is taken), the same in every build.
    """
    first: dict[str, str] = {}
    later: list[str] = []
    for key in keys:
        if first.setdefault(plain_anchor(key), key) != key:
            later.append(key)
    found: dict[str, tuple[str, str]] = {}
    for key in later:
        plain, digest = plain_anchor(key), hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
        size = 8
        while (anchor := f"{plain}-{digest[:size]}") in first and size < len(digest):
            size += 4
        first[anchor] = key
        found[key] = (anchor, first[plain])
    return found


def use_anchors(bib: Bibliography) -> None:
    """Make :func:`paper_anchor` give ``bib``'s anchors (a build shows one bib; its cards and links must agree)."""
    _DISTINCT_ANCHORS.clear()
    _DISTINCT_ANCHORS.update(bib.anchors)


#: Length of the part of :attr:`Paper.digest` that follows :attr:`Paper.counted`.
COUNTED_DIGEST = 12


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
        return paper_anchor(self.key)

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
        """Changes whenever anything shown about the paper changes (its fields and names).

        Not its line: a new entry at the top of the bib moves every entry below, and no
        page shows where an entry is in the file.  Its first :data:`COUNTED_DIGEST` characters
        change only with what matrices and charts count (:attr:`counted`), so a build can
        tell a title or author fix from an edit that changes counts by the digests alone.
        """
        shown = repr((self.entry_type, self.key, sorted(self.fields.items()), self.authors_raw))
        return (hashlib.sha1(repr(self.counted).encode("utf-8")).hexdigest()[:COUNTED_DIGEST]
                + hashlib.sha1(shown.encode("utf-8")).hexdigest()[:16])

    @property
    def counted(self) -> tuple:
        """What ``tc-matrix`` and ``tc-stats`` count of a paper (without a filter of their own)."""
        return (sorted(self.facets.items()), self.year, self.publication_month, self.has_code)

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
    anchors: dict[str, str] = field(default_factory=dict)  # key -> anchor, for keys whose plain anchor is taken

    def __len__(self) -> int:
        return len(self.papers)

    def get(self, key: str) -> Paper | None:
        return self.papers.get(key)

    def digests(self) -> dict[str, str]:
        """Every paper's :attr:`Paper.digest` (builds ask per card); a parse fills it from its chunk records."""
        digests = self.__dict__.get("_digests")
        if digests is None:
            digests = self.__dict__["_digests"] = {key: paper.digest for key, paper in self.papers.items()}
        return digests


def _chunks(text: str) -> Iterable[tuple[int, int]]:
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
    for begin, end in _gaps(text, list(_chunks(text))):
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


def parse_bib_text(text: str, path: str, taxonomy: Taxonomy, cache: ChunkCache | None = None,
                   jobs: int = 1) -> Bibliography:
    """Parse and validate bib text; collect every problem instead of stopping at the first.

    With a ``cache`` (see :class:`ChunkCache`), every entry whose text, macros, taxonomy
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
        cache.begin(path, taxonomy)
        if jobs > 1:
            parse_in_parallel(text, path, taxonomy, cache, jobs)
    line, pos = 1, 0
    spans = list(_chunks(text))
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
            what, relative, detail, hint = record.error
            where = f" at line {line + relative - 1}" if relative else ""
            problems.append(Problem(path, line, "syntax", f"{what} skipped (syntax error{where}: {detail}): {hint}"))
            continue
        shift = line - 1
        for item in record.items:
            if isinstance(item, tuple):
                preamble.append(item[0])
                continue
            if item is None:
                problems.append(Problem(path, line, "syntax", "entry without a citation key skipped; add a key"))
                continue
            folded = item.key.lower()
            if folded in first_seen:
                problems.append(Problem(
                    path, line, "duplicate",
                    f"duplicate key '{item.key}' (first defined at {path}:{first_seen[folded]}); "
                    "this copy is ignored: rename or delete one"))
                continue
            first_seen[folded] = line
            if item.problems is None:  # validated lazily: a duplicate copy never is
                _validate(item, chunk, path, taxonomy)
                if cache is not None:
                    cache.changed = True
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
    bib = Bibliography(path=path, papers=papers, problems=problems, preamble=" ".join(preamble), anchors=anchors)
    bib.__dict__["_digests"] = digests
    return bib


def _validate(item: _Entry, chunk: str, path: str, taxonomy: Taxonomy) -> None:
    """Make the entry's paper and problems (lines counted from the chunk's first line)."""
    item.problems = []
    item.paper = _make_paper(item.kind, item.key, item.raw_fields, chunk, path, 1, taxonomy, item.problems)
    item.raw_fields = None
    item.digest = item.paper.digest if item.paper is not None else ""


#: Fewer entries to parse than this are parsed in one process (a fork costs more than it saves).
PARALLEL_MINIMUM = 400
_STRING_COMMAND = re.compile(r"@\s*string\s*[{(]", re.IGNORECASE)


def parse_in_parallel(text: str, path: str, taxonomy: Taxonomy, cache: ChunkCache, jobs: int) -> int:
    """Parse the chunks the cache lacks in ``jobs`` forked processes; their records go into the cache.

    The parse that follows then takes every entry from the cache: pybtex's parse is
    what a cold build waits for (1.6 s at 5,000 entries), and under ``-j N`` nothing
    else runs meanwhile.  Each process parses a contiguous share of the missing
    chunks with the macros the ``@string`` commands before it define; a record parsed
    with other macros than the serial parse meets is not reused (its macro reads are
    replayed, see :class:`ChunkCache`), so the result is the serial one whatever
    happens here.  Returns the number of records the other processes gave.
    """
    import multiprocessing

    spans = list(_chunks(text))
    missing = [i for i, (start, end) in enumerate(spans) if cache.key(text[start:end]) not in cache.chunks]
    if jobs < 2 or len(missing) < PARALLEL_MINIMUM or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    size = -(-len(missing) // jobs)
    shares = [missing[i:i + size] for i in range(0, len(missing), size)]
    with multiprocessing.get_context("fork").Pool(len(shares) - 1) as pool:
        pending = pool.map_async(functools.partial(_parse_share, text, spans, path, taxonomy), shares[1:])
        records = _parse_share(text, spans, path, taxonomy, shares[0])
        given = 0
        for share in pending.get():
            records.update(share)
            given += len(share)
    cache.chunks.update(records)  # the parse that follows reuses them, and counts them parsed here
    cache.parsed += len(records)
    cache.changed = cache.changed or bool(records)
    return given


def _parse_share(text: str, spans: list[tuple[int, int]], path: str, taxonomy: Taxonomy,
                 share: list[int]) -> dict[bytes, _ChunkRecord]:
    """Records of the chunks numbered ``share`` (ascending), validated as the serial parse would."""
    macros = CaseInsensitiveDict(month_names)
    records: dict[bytes, _ChunkRecord] = {}
    done = 0
    for i in share:
        for start, end in spans[done:i]:  # chunks before this one not to parse here: only their macros matter
            if _STRING_COMMAND.search(text, start, end):
                _parse_chunk(text[start:end], macros)
        done = i + 1
        chunk = text[spans[i][0]:spans[i][1]]
        record = _parse_chunk(chunk, macros)
        if record.reusable:
            for item in record.items:
                if isinstance(item, _Entry):
                    _validate(item, chunk, path, taxonomy)
            records[ChunkCache.key(chunk)] = record
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


class _ChunkRecord:
    """What one chunk parses to, independent of where the chunk sits in the file.

    ``events`` are the macro reads and writes the parse made, in order, as
    ``(name, value or None, is_write)``; the record holds wherever the reads give the
    same values.  ``error`` is ``(what, relative line or None, detail, hint)`` of a
    syntax error that skips the chunk; ``items`` are, in file order, ``(preamble text,)``,
    None for an entry without a key, and :class:`_Entry` objects.
    """

    __slots__ = ("error", "events", "items", "reusable")

    def __init__(self, events: tuple, error: tuple | None, items: list, reusable: bool = True) -> None:
        self.events = events
        self.error = error
        self.items = items
        self.reusable = reusable


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


def _parse_chunk(chunk: str, macros: CaseInsensitiveDict) -> _ChunkRecord:
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
        return _ChunkRecord(events, (what, relative, detail, hint), [], not recording.opaque)
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
    return _ChunkRecord(events, None, items, not recording.opaque)


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

    def report(name: str | None, subtype: str, message: str) -> None:
        problems.append(Problem(path, field_lines.get(name, line) if name else line, subtype,
                                f"{key}: {message}"))

    if found := control_characters(key):
        problems.append(Problem(path, line, "syntax", f"{key!r}: the key holds control character {found}; "
                                "entry skipped, delete it"))
        return None
    fields: dict[str, str] = {}
    for name, parts in raw_fields:
        lname = name.lower()
        if lname in fields:
            report(lname, "syntax", f"field '{lname}' given twice; the first value is kept, delete the other")
            continue
        value = "".join(parts)
        if found := control_characters(value):
            report(lname, "syntax", f"field '{lname}' holds control character {found}; deleted, delete it in the bib")
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


# -- the caches --------------------------------------------------------------------------

_CHUNK_CACHE_FILE = "tc-bib-chunks.pickle"
_CHUNK_CACHE_FORMAT = 3
_CODE_FILES = ("bibmodel.py", "latex.py", "problems.py", "schema.py", "taxonomy.py")


@functools.cache
def _code_digest() -> str:
    """Changes with the code a chunk's parse depends on, so an edited checkout never reuses old records.

    That includes latexcodec, which decodes every title and name (pybtex's version is checked on its own).
    """
    here = Path(__file__).parent
    digest = hashlib.sha1()
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):
        digest.update(metadata.version("latexcodec").encode())
    return digest.hexdigest()


def _cache_context(path: str, taxonomy: Taxonomy) -> tuple:
    """Everything besides a chunk's text and macros that its parse depends on."""
    from sphinx_tc_ext._version import __version__

    taxonomy_digest = hashlib.sha1(repr(taxonomy.facets).encode("utf-8", "surrogatepass")).hexdigest()
    return (_CHUNK_CACHE_FORMAT, __version__, pybtex.__version__, _code_digest(), path, taxonomy_digest)


def _replay(events: tuple, macros: CaseInsensitiveDict) -> bool:
    """Whether a recorded parse's macro reads give the same values now; if so, make its macro writes."""
    written: dict[str, str | None] = {}
    for name, value, is_write in events:
        folded = name.lower()
        if is_write:
            written[folded] = value
        elif (written[folded] if folded in written else macros.get(name)) != value:
            return False
    for name, value, is_write in events:
        if is_write:
            if value is None:
                macros.pop(name, None)
            else:
                macros[name] = value
    return True


#: Share of entries parsed afresh below which the chunk cache file is not rewritten.
UNSAVED_SHARE = 0.02


class ChunkCache:
    """The parse of every chunk (entry) of a bib, kept between builds in one pickle file.

    Records are keyed by the SHA-1 of the chunk's text and hold line numbers relative
    to the chunk, so an edit re-parses only the edited entries, however far the
    entries below it move.  A record is reused only when the macros its parse read
    have the same values; the taxonomy, the shown path, the package, pybtex and this
    code are checked for the whole file (:func:`_cache_context`).  Checks across
    entries (duplicate keys) are redone on every parse.
    """

    def __init__(self, context: tuple = (), chunks: dict[bytes, _ChunkRecord] | None = None) -> None:
        self.context = context
        self.chunks = chunks if chunks is not None else {}
        self.seen: dict[bytes, _ChunkRecord] = {}
        self.changed = False
        self.stale = not self.chunks  # the file must be written whatever the parse finds
        self.loaded = len(self.chunks)
        self.parsed = self.reused = 0

    @classmethod
    def load(cls, cache_dir: str | os.PathLike) -> ChunkCache:
        """The cache in ``cache_dir``; empty when the file is missing, unreadable, corrupt or of another format."""
        try:
            with open(Path(cache_dir, _CHUNK_CACHE_FILE), "rb") as f, heap.paused():
                context, chunks = pickle.load(f)
            if not isinstance(context, tuple) or not isinstance(chunks, dict):
                raise TypeError("not a chunk cache")
        except Exception:  # whatever is wrong with a cache, the remedy is to parse afresh
            return cls()
        return cls(context, chunks)

    @staticmethod
    def key(chunk: str) -> bytes:
        return hashlib.sha1(chunk.encode("utf-8", "surrogatepass")).digest()

    def begin(self, path: str, taxonomy: Taxonomy) -> None:
        """Start a parse; drop every record when anything besides the chunks themselves changed."""
        context = _cache_context(path, taxonomy)
        if context != self.context:
            self.context, self.chunks, self.changed, self.stale = context, {}, True, True
        self.seen = {}
        self.parsed = self.reused = 0

    def reuse(self, sha: bytes, macros: CaseInsensitiveDict) -> _ChunkRecord | None:
        record = self.seen.get(sha) or self.chunks.get(sha)
        if record is None or not _replay(record.events, macros):
            return None
        self.seen[sha] = record
        self.reused += 1
        return record

    def store(self, sha: bytes, record: _ChunkRecord) -> None:
        self.parsed += 1
        self.changed = True
        if record.reusable:
            self.seen[sha] = record

    def finish(self) -> None:
        """End a parse: keep the records of the chunks it saw, and only those."""
        if self.seen.keys() != self.chunks.keys():
            self.changed = True
        self.chunks, self.seen = self.seen, {}

    def save(self, cache_dir: str | os.PathLike) -> bool:
        """Write the file (atomically) when the records changed enough; False when nothing was written.

        After an edit of a few entries the file on disk still serves all but those few:
        rewriting megabytes for them costs more than parsing them again next time, so
        it is kept until 2% of the entries are parsed afresh or it holds twice as many
        records as the bib has entries.
        """
        if not self.changed:
            return False
        if not self.stale and self.parsed < UNSAVED_SHARE * len(self.chunks) and self.loaded <= 2 * len(self.chunks):
            return False
        target = Path(cache_dir, _CHUNK_CACHE_FILE)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as f:
                pickle.dump((self.context, self.chunks), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except OSError:  # a cache that cannot be written costs time on the next build, nothing else
            with contextlib.suppress(OSError):
                temporary.unlink()
            return False
        self.changed = self.stale = False
        self.loaded = len(self.chunks)
        return True


_CACHE: dict[tuple, Bibliography] = {}


def load_bibliography(path: str | os.PathLike, taxonomy: Taxonomy, display_path: str | None = None,
                      cache_dir: str | os.PathLike | None = None, write_cache: bool = True,
                      jobs: int = 1) -> Bibliography:
    """Parse ``path`` once per content and taxonomy; later calls return the cached model.

    Keyed by a digest of the bytes, not the mtime: an edit within one tick of the
    file clock (or one that restores the mtime) is still seen.  Reading and hashing
    a few MB costs milliseconds; callers that ask often cache per build on top.

    With ``cache_dir``, the parse of each entry is also kept on disk there (see
    :class:`ChunkCache`), so the next process re-parses only the entries that changed;
    ``write_cache=False`` reads that file but leaves it alone (e.g. in a forked worker).
    With a cache, ``jobs`` > 1 parses the entries it lacks in that many processes
    (:func:`parse_in_parallel`).
    """
    path = Path(path)
    shown = display_path or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Bibliography(shown, {}, [Problem(shown, 1, "syntax", f"cannot read the bib file: {exc}", 1, "TC100")])
    cache_key = (str(path.resolve()), hashlib.sha1(data).hexdigest(), shown, id(taxonomy),
                 None if cache_dir is None else str(cache_dir))
    if cache_key not in _CACHE:
        _CACHE.clear()  # one bib at a time: keep memory flat when the file changes
        text, undecoded = decode_bib(data, shown)
        if text is None:
            bib = Bibliography(shown, {}, undecoded)
        elif cache_dir is None:
            bib = parse_bib_text(text, shown, taxonomy)
        else:
            chunks = ChunkCache.load(cache_dir)
            bib = parse_bib_text(text, shown, taxonomy, chunks, jobs)
            if write_cache:
                chunks.save(cache_dir)
        if undecoded and text is not None:
            bib.problems = sorted(bib.problems + undecoded, key=lambda p: p.line)
        _CACHE[cache_key] = bib
    use_anchors(_CACHE[cache_key])
    return _CACHE[cache_key]


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UNDECODED = re.compile("[\udc80-\udcff]+")


def decode_bib(data: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """The bib's text and an error for every line holding bytes that are not UTF-8 (None: the file is UTF-16).

    A Latin-1 ``é`` makes one line wrong, not the file: each byte that does not decode
    becomes U+FFFD, so the entry holding it stays on the site (its title shows where the
    character was) while ``check`` fails and the build warns at that line and column.
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if data.startswith(_UTF16_BOMS):
        return None, [Problem(path, 1, "syntax", "cannot read the bib file: it is UTF-16 (it starts with a byte "
                                                 "order mark); re-save it as UTF-8", 1, "TC100")]
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    problems: list[Problem] = []
    line, pos, last_line = 1, 0, 0
    for m in _UNDECODED.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if line == last_line:
            continue  # one error per line: the fix (re-save as UTF-8) is the same for all of them
        last_line = line
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        raw = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in m.group()[:4])
        problems.append(Problem(
            path, line, "syntax",
            f"{'byte' if len(m.group()) == 1 else 'bytes'} {raw} at column {column} is not UTF-8 "
            "(the file was probably saved as Latin-1 or Windows-1252); "
            "the site shows it as '\ufffd': re-save the file as UTF-8, or write the character as a LaTeX command "
            "such as {\\'e}", column, "TC173"))
    return _UNDECODED.sub(lambda m: "\ufffd" * len(m.group()), text), problems
