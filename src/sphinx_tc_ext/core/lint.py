"""``tc-survey check``: lint the survey bib like a compiler, ``file:line:col: CODE message``.

Every code is declared once in :data:`CODES` (code, name, severity, description,
example); the contributing guide renders that table (``tc-check-codes``), so the
documentation is the code.  Problems the bib model already finds
(:func:`~sphinx_tc_ext.core.bibread.parse_bib_text`: syntax, duplicate keys,
vocabulary, missing title/year/facet, links, dates) are reused and given a code
by :func:`code_for`; this module adds the checks the site does not need but a
clean bib does (required fields per entry type, duplicate papers, URL shapes,
arXiv ids, author lists, LaTeX special characters, unknown fields).

Errors make ``check`` exit with 1; warnings do not unless ``--strict`` is given.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pybtex.bibtex.utils import split_name_list

from sphinx_tc_ext.core.bibread import (
    STRING_COMMAND,
    balanced_braces,
    chunk_spans,
    decode_bib,
    mask_stray_at,
    parse_bib_text,
)
from sphinx_tc_ext.core.bibsyntax import Block, RawField, flatten, known_fields, title_words_to_protect, tokenize
from sphinx_tc_ext.core.codes import CODES_BY_ID, ERROR
from sphinx_tc_ext.core.latex import control_characters, latex_to_text
from sphinx_tc_ext.core.linkcheck import Verdict
from sphinx_tc_ext.core.model import Bibliography, plain_anchor
from sphinx_tc_ext.core.problems import Problem
from sphinx_tc_ext.core.rules import MONTH_MACROS, arxiv_date, month_macro, strip_version, valid_arxiv_id
from sphinx_tc_ext.core.schema import DATE_FIELDS, FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy

#: Entry types of the standard BibTeX styles.
ENTRY_TYPES: tuple[str, ...] = (
    "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished",
)
#: Required fields beyond title, author and year, per entry type (what plain.bst warns about).
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "article": ("journal",),
    "inproceedings": ("booktitle",),
    "conference": ("booktitle",),
    "incollection": ("booktitle", "publisher"),
    "book": ("publisher",),
    "inbook": ("publisher",),
    "phdthesis": ("school",),
    "mastersthesis": ("school",),
    "techreport": ("institution",),
    "unpublished": ("note",),
}
#: Every paper names its authors; books may name editors instead, proceedings only editors.
_EDITOR_OK = ("book", "inbook", "proceedings")
_NO_AUTHOR = ("proceedings",)
_URL_KINDS = frozenset(f.name for f in FIELDS if f.kind == "url") | {"doi", "eprint", "urldate"}
_KEY_OK = re.compile(r"^[A-Za-z0-9_:.+/-]+$")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([^?#\s]+?)(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"arxiv:\s*([^\s,;}]+)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_LINEAGE = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "2nd", "3rd"}
_REPO_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com", "git.sr.ht",
               "sourceforge.net")
_PREPRINT_WORDS = ("arxiv", "preprint", "corr")
#: The fields :meth:`Checker.remember` and :meth:`Checker.check_arxiv` read: all an index of an entry needs.
_INDEXED = frozenset(("title", "doi", "url", "eprint", "archiveprefix", "eprinttype", "journal", "note",
                      "howpublished", "booktitle", "year", "month", "shortvenue"))


def code_for(problem: Problem) -> str:
    """The check code of a problem the bib model found: the one it was made with (every reader problem has one)."""
    return problem.code


# -- helpers -----------------------------------------------------------------------------


def _codepoints(pattern: re.Pattern, text: str) -> str:
    """The distinct characters ``pattern`` finds, as ``U+0001, U+200B``."""
    return ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(pattern.findall(text)))


def _osa_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def nearest(word: str, choices: Iterable[str]) -> tuple[str, int] | None:
    """The closest choice and its edit distance."""
    best = None
    for choice in choices:
        d = _osa_distance(word.lower(), choice.lower())
        if best is None or d < best[1]:
            best = (choice, d)
    return best


def normalised_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", latex_to_text(title)).lower()
    return "".join(c for c in text if c.isalnum())


def is_repository_url(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host == "huggingface.co":
        return len(segments) >= 3 and segments[0] == "spaces"
    if host in _REPO_HOSTS or host.startswith(("gitlab.", "git.")):
        if host == "sourceforge.net":
            return len(segments) >= 2 and segments[0] == "projects"
        return len(segments) >= 2
    return False


def _doubled(url: str) -> bool:
    parts = urlsplit(url)
    rest = url[len(parts.scheme) + 3:].split("?", 1)[0].split("#", 1)[0]
    if re.search(r"(?i)(https?:/|www\.)", rest.split("/", 1)[1] if "/" in rest else ""):
        return True
    if re.match(r"(?i)https?://https?:?/", url):
        return True
    host = (parts.hostname or "").lower()
    first = next((s for s in parts.path.split("/") if s), "").lower()
    return bool(host) and first in (host, host.removeprefix("www."))


def _latex_problem(text: str) -> tuple[str, str] | None:
    """("&", hint) for the first character that breaks LaTeX, ("$", hint) for unbalanced math."""
    i, n = 0, len(text)
    math = False
    while i < n:
        c = text[i]
        if c == "\\":
            m = re.match(r"\\(url|href)\s*\{", text[i:])
            if m:  # a URL argument is verbatim
                depth, j = 1, i + m.end()
                while j < n and depth:
                    depth += {"{": 1, "}": -1}.get(text[j], 0)
                    j += 1
                i = j
                continue
            if text.startswith("\\(", i) or text.startswith("\\[", i):
                math = True
            elif text.startswith("\\)", i) or text.startswith("\\]", i):
                math = False
            i += 2
            continue
        if c == "$":
            math = not math
        elif not math and c in "&%#_^":
            hint = {"^": "put it in $...$ or write \\textasciicircum{}"}.get(c, f"write \\{c}")
            return c, hint
        i += 1
    if math:
        return "$", "close the math with a second '$'"
    return None


def _is_preprint(entry_type: str, values: dict[str, str]) -> bool:
    badge = values.get("shortvenue", "").lower()
    if badge:
        return badge.startswith(_PREPRINT_WORDS)
    container = (values.get("booktitle") or values.get("journal") or "").lower()
    return not container or container.startswith(_PREPRINT_WORDS) or "arxiv" in container


# -- the checker -------------------------------------------------------------------------


@dataclass
class _Seen:
    path: str
    line: int
    key: str

    def where(self) -> str:
        return f"'{self.key}' ({self.path}:{self.line})"


class Checker:
    """Check one or more bib files; duplicates are found across all of them."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.known = known_fields(taxonomy)
        self.keys: dict[str, _Seen] = {}
        self.arxiv: dict[str, _Seen] = {}
        self.dois: dict[str, _Seen] = {}
        self.anchors: dict[str, _Seen] = {}
        self.titles: dict[str, _Seen] = {}
        self.problems: list[Problem] = []

    # reporting
    def add(self, code: str, path: str, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(path, line, CODES_BY_ID[code].subtype, message, column, code))

    def check_text(self, text: str, path: str) -> list[Problem]:
        start = len(self.problems)
        blocks = tokenize(mask_stray_at(text))  # an '@' between entries is TC174, not a broken entry
        self.report_bib(parse_bib_text(text, path, self.taxonomy), blocks, path)
        self.each_entry(blocks, path, self.check_entry)
        return self.sorted_since(start)

    def each_entry(self, blocks: list[Block], path: str, visit, macros: dict[str, str] | None = None,
                   keys_in_file: set[str] | None = None) -> tuple[dict[str, str], set[str]]:
        """``visit`` every entry with the ``@string`` macros defined above it; returns the macros and keys after.

        Pass them back in to go on with blocks that follow (``tc-survey new``: the bib, then its new entry).
        """
        macros = {m: m for m in MONTH_MACROS} if macros is None else macros
        keys_in_file = set() if keys_in_file is None else keys_in_file
        for block in blocks:
            if block.kind == "string":
                f = block.fields[0]
                macros[f.lname] = flatten(f.pieces, macros)
            elif block.kind == "entry":
                visit(block, path, macros, keys_in_file)
        return macros, keys_in_file

    def sorted_since(self, start: int) -> list[Problem]:
        """The problems added since ``start``, in file order (kept so in :attr:`problems` too)."""
        self.problems[start:] = sorted(self.problems[start:], key=lambda p: (p.line, p.column, p.code))
        return self.problems[start:]

    def check_appended(self, existing: str, blocks: list[Block], added: str, first_line: int,
                       path: str) -> list[Problem] | None:
        """What :meth:`check_text` reports at ``first_line`` and below for ``existing``, blank lines up to
        ``first_line``, then ``added``; ``blocks`` is ``tokenize(existing)``.  None when a shortcut could differ.

        ``tc-survey new`` checks one entry against a bib of 20,000 (a full check takes 20 s): the entries
        before it matter only through their ``@string`` macros, keys, anchors, arXiv ids, DOIs and titles.
        So the Checker only indexes ``blocks`` (no checks), and the bib model parses the ``@string`` chunks
        and those that hold the new key (in any case) or its anchor, the others blanked line for line so
        every line number stays.  The shortcut needs the text before to end where its blocks do: no broken
        entry and no '@' between entries (either could reach into or change the new text), and ``added``
        balanced (no ')' that could close an unclosed ``@comment(`` before it); otherwise the caller checks
        the whole text.
        """
        closes = re.sub(r"[^()]", "", added)
        while "()" in closes:
            closes = closes.replace("()", "")
        if not balanced_braces(added) or ")" in closes or any(b.kind == "invalid" for b in blocks) or \
                mask_stray_at(existing) is not existing or existing.count("\n") >= first_line:
            return None
        start = len(self.problems)
        macros, keys_in_file = self.each_entry(blocks, path, self.index_entry)
        padded = "\n" * (first_line - 1) + added
        new_blocks = tokenize(mask_stray_at(padded))
        keys = [b.key for b in new_blocks if b.kind in ("entry", "invalid") and b.key]
        folded = [k.casefold() for k in keys]
        anchors = [re.compile("".join("[^A-Za-z0-9_]" if c == "-" else re.escape(c) for c in plain_anchor(k)[6:]))
                   for k in keys]
        kept, pos = [], 0
        for begin, end in chunk_spans(existing):
            kept.append("\n" * existing.count("\n", pos, begin))
            chunk = existing[begin:end]
            if STRING_COMMAND.search(chunk) or any(a.search(chunk) for a in anchors) or \
                    any(k in chunk.casefold() for k in folded):
                kept.append(chunk)
            else:
                kept.append("\n" * chunk.count("\n"))
            pos = end
        reduced = "".join(kept)
        reduced += "\n" * (first_line - 1 - reduced.count("\n")) + added
        bib = parse_bib_text(reduced, path, self.taxonomy)
        bib.problems = [p for p in bib.problems if p.line >= first_line]
        self.report_bib(bib, new_blocks, path)
        self.each_entry(new_blocks, path, self.check_entry, macros, keys_in_file)
        return self.sorted_since(start)

    def report_bib(self, bib: Bibliography, blocks: list[Block], path: str) -> None:
        """Add the problems the bib model found, with a code and the column of the field they name."""
        field_columns: dict[int, list[tuple[int, str]]] = {}
        entry_columns: dict[int, int] = {}
        for block in blocks:
            if block.kind in ("entry", "invalid", "string", "preamble", "comment"):
                entry_columns.setdefault(block.line, block.column)
            for f in block.fields:
                field_columns.setdefault(f.line, []).append((f.column, f.lname))
        invalid = [b for b in blocks if b.kind == "invalid"]
        reported_syntax: set[int] = set()
        for problem in bib.problems:
            code = code_for(problem)
            message = problem.message
            column = entry_columns.get(problem.line, 1)
            on_line = field_columns.get(problem.line)
            if code in ("TC173", "TC174"):
                column = problem.column
            elif on_line:
                named = [c for c, name in on_line if f"'{name}'" in message or f" {name} " in message]
                column = named[0] if named else on_line[0][0]
            for block in invalid:
                if block.line == problem.line and code in ("TC101", "TC102"):
                    reported_syntax.add(block.start)
                    if code == "TC101":
                        message += f" [line {block.error_line}, column {block.error_column}: {block.error}]"
            for key in bib.papers:
                if message.startswith(key + ": "):
                    message = message[len(key) + 2:]
                    break
            self.add(code, problem.path, problem.line, column, message)
        for block in invalid:
            if block.start not in reported_syntax and block.entry_type.lower() not in ("comment",):
                self.add("TC102" if "unbalanced" in block.error else "TC101", path, block.error_line,
                         block.error_column, f"entry '{block.key}': {block.error}")

    def check_entry(self, block: Block, path: str, macros: dict[str, str],
                    keys_in_file: set[str]) -> None:
        kind = block.entry_type.lower()
        line, col = block.line, block.column
        fields: dict[str, RawField] = {}
        values: dict[str, str] = {}
        for f in block.fields:
            if f.lname not in fields:
                fields[f.lname] = f
                values[f.lname] = " ".join(flatten(f.pieces, macros).split())

        def at(name: str) -> tuple[int, int]:
            f = fields.get(name)
            return (f.line, f.column) if f else (line, col)

        def add(code: str, name: str | None, message: str) -> None:
            fline, fcol = at(name) if name else (line, col)
            self.add(code, path, fline, fcol, message)

        # entry type and key
        if kind not in ENTRY_TYPES:
            hint = nearest(kind, ENTRY_TYPES)
            suggestion = f" (did you mean '@{hint[0]}'?)" if hint and hint[1] <= 3 else \
                f"; use one of {', '.join(ENTRY_TYPES)}"
            add("TC109", None, f"unknown entry type '@{block.entry_type}'{suggestion}")
        if _INVISIBLE.search(block.key):
            self.add("TC135", path, line, col, f"key '{block.key}' holds {_codepoints(_INVISIBLE, block.key)}, "
                     "invisible; delete it")
        elif not _KEY_OK.match(block.key) and not control_characters(block.key):  # the bib model reports those
            bad = "".join(sorted({c for c in block.key if not re.match(r"[A-Za-z0-9_:.+/-]", c)}))
            self.add("TC110", path, line, col, f"key '{block.key}' contains {bad!r}, which \\cite cannot "
                     "take; use letters, digits and _ : . + / -")
        folded = block.key.lower()
        if folded in self.keys and folded not in keys_in_file:
            self.add("TC111", path, line, col, f"duplicate key '{block.key}' (first defined as "
                     f"{self.keys[folded].where()}); rename or delete one")
        keys_in_file.add(folded)
        self.keys.setdefault(folded, _Seen(path, line, block.key))
        first = self.anchors.setdefault(plain_anchor(block.key), _Seen(path, line, block.key))
        if first.path != path and first.key.lower() != folded:  # within a file the bib model reports it
            self.add("TC115", path, line, col, f"key '{block.key}' makes the same HTML anchor "
                     f"'#{plain_anchor(block.key)}' as {first.where()}, so links to one would open the other; "
                     "rename one key (e.g. only letters, digits, '-' and '_')")

        # fields
        for f in block.fields:
            if f.lname in self.known:
                continue
            hint = nearest(f.lname, self.known)
            if hint and hint[1] <= (1 if len(f.lname) <= 4 else 2):
                add("TC104", f.lname, f"unknown field '{f.name}' (did you mean '{hint[0]}'?)")
            else:
                suggestion = f" (nearest known field: '{hint[0]}')" if hint and hint[1] <= 3 else ""
                add("TC108", f.lname, f"unknown field '{f.name}': no style or page reads it{suggestion}; "
                    "remove it or see the field reference")

        # required fields (title and year are reported by the bib model)
        required = list(REQUIRED_BY_TYPE.get(kind, ()))
        if kind not in _NO_AUTHOR and "author" not in fields and \
                not (kind in _EDITOR_OK and values.get("editor", "").strip()):
            required.insert(0, "author")
        for name in required:
            if not values.get(name, "").strip():
                add("TC120", name if name in fields else None,
                    f"@{kind} needs {name}" + (" (it is empty)" if name in fields else f"; add {name} = {{...}}"))

        # authors
        if "author" in fields and values["author"].strip():
            self.check_authors(values["author"], lambda code, msg: add(code, "author", msg))

        # links
        for name in sorted(_URL_KINDS & fields.keys()):
            url = values[name].strip()
            if not re.match(r"(?i)^https?://", url) or name in ("doi", "eprint", "urldate"):
                continue
            if _doubled(url):
                add("TC130", name, f"{name} link '{url}' has a doubled prefix or a second URL inside; "
                    "keep one https://host/path")
            elif re.match(r"(?i)^http://", url) and " " not in url:
                add("TC132", name, f"{name} link '{url}' uses http; use https://")
        code_url = values.get("code", "").strip()
        if code_url and re.match(r"(?i)^https?://\S+$", code_url) and not _doubled(code_url) \
                and not is_repository_url(code_url):
            add("TC133", "code", f"code link '{code_url}' is not a repository (github.com/OWNER/REPO, GitLab, "
                "Bitbucket, a Hugging Face Space...); use project = {...} for pages, model = {...} for weights")
        doi = values.get("doi", "").strip()
        if doi and not _DOI.match(doi):
            m = _DOI_IN_URL.match(doi) or re.match(r"(?i)^doi:\s*(10\.\S+)$", doi)
            hint = f"write doi = {{{m.group(1)}}}" if m else "write the bare DOI, e.g. 10.1145/3581783.3612000"
            add("TC134", "doi", f"doi '{doi}' is not a bare DOI; {hint}")

        # arXiv
        arxiv_ids = self.check_arxiv(kind, fields, values, add)

        # invisible characters in links (control characters are reported by the bib model)
        for f in block.fields:
            raw = flatten(f.pieces, macros)
            if f.lname in _URL_KINDS and _INVISIBLE.search(raw):
                self.add("TC135", path, f.line, f.column, f"{f.lname} link holds {_codepoints(_INVISIBLE, raw)}, "
                         "invisible but part of the link; delete it")

        # LaTeX
        for f in block.fields:
            if f.lname in _URL_KINDS or f.lname in DATE_FIELDS or fields[f.lname] is not f:
                continue
            for piece in f.pieces:
                if piece.kind not in ("brace", "quote"):
                    continue
                found = _latex_problem(piece.text)
                if found:
                    char, hint = found
                    if char == "$":
                        self.add("TC171", path, f.line, f.column, f"unbalanced '$' in {f.lname}: {hint}")
                    else:
                        self.add("TC170", path, f.line, f.column,
                                 f"unescaped '{char}' in {f.lname} breaks LaTeX; {hint}")
                    break

        # capitals that sentence-case styles lower
        for word in title_words_to_protect(block):
            add("TC175", "title", f"title word '{word}' loses its capitals in sentence-case BibTeX styles "
                f"(plainnat prints '{word.lower()}'); write {{{word}}}, or run tc-survey fmt")

        self.remember(block, path, values, arxiv_ids, add)

    def index_entry(self, block: Block, path: str, macros: dict[str, str], keys_in_file: set[str]) -> None:
        """Remember what later entries are compared with (key, anchor, arXiv ids, DOI, title), check nothing."""
        fields: dict[str, RawField] = {}
        values: dict[str, str] = {}
        for f in block.fields:
            if f.lname in _INDEXED and f.lname not in fields:
                fields[f.lname] = f
                values[f.lname] = " ".join(flatten(f.pieces, macros).split())
        folded = block.key.lower()
        keys_in_file.add(folded)
        self.keys.setdefault(folded, _Seen(path, block.line, block.key))
        self.anchors.setdefault(plain_anchor(block.key), _Seen(path, block.line, block.key))

        def ignore(*_args: object) -> None:
            pass
        self.remember(block, path, values, self.check_arxiv(block.entry_type.lower(), fields, values, ignore), ignore)

    def remember(self, block: Block, path: str, values: dict[str, str], arxiv_ids: dict[str, str], add) -> None:
        """Index the entry's arXiv ids, DOI and title; ``add`` a problem for each an earlier entry has."""
        doi = values.get("doi", "").strip()
        bare_doi = doi if _DOI.match(doi) else ""
        if not bare_doi:
            m = _DOI_IN_URL.match(values.get("url", "").strip())
            bare_doi = m.group(1) if m else ""
        seen = _Seen(path, block.line, block.key)
        for arxiv_id, source in sorted(arxiv_ids.items()):
            first = self.arxiv.setdefault(arxiv_id, seen)
            if first is not seen:
                add("TC112", source, f"arXiv {arxiv_id} is also {first.where()}; keep one entry")
        if bare_doi:
            first = self.dois.setdefault(bare_doi.lower(), seen)
            if first is not seen:
                add("TC113", "doi" if doi else "url", f"DOI {bare_doi} is also {first.where()}; keep one entry")
        title = normalised_title(values.get("title", ""))
        if title:
            first = self.titles.setdefault(title, seen)
            if first is not seen:
                add("TC114", "title", f"same title as {first.where()}; if it is the same paper keep one entry "
                    "(the published version)")

    @staticmethod
    def check_authors(value: str, add) -> None:
        names = split_name_list(" ".join(value.split()))
        if any(not n.strip() or re.match(r"(?i)^and\b", n.strip()) or re.search(r"(?i)\band$", n.strip())
               for n in names):
            add("TC140", "the author list has an empty name (a doubled, leading or trailing 'and'); "
                "separate names with a single ' and '")
            return
        for name in names:
            depth, commas, top = 0, 0, []
            buf = ""
            for c in name:
                depth += {"{": 1, "}": -1}.get(c, 0)
                if c == "," and depth == 0:
                    commas += 1
                    top.append(buf)
                    buf = ""
                else:
                    buf += c
            top.append(buf)
            stripped = re.sub(r"\{[^{}]*\}", "", name)
            if ";" in stripped:
                add("TC141", f"author '{name}' holds a ';'; separate names with ' and '")
                return
            if re.search(r"(?i)\bet\.?\s*al\b", stripped):
                add("TC141", f"author '{name}': write 'and others' instead of 'et al.'")
                return
            if commas == 2 and top[1].strip().lower() not in _LINEAGE:
                add("TC141", f"author '{name}' looks like several names separated by commas; "
                    "separate names with ' and ' (Last, First and Last, First)")
                return

    def check_arxiv(self, kind: str, fields: dict[str, RawField], values: dict[str, str],
                    add) -> dict[str, str]:
        """Check the arXiv ids of an entry; return them with the field each came from."""
        found: dict[str, str] = {}  # id -> field it came from
        prefix = values.get("archiveprefix", values.get("eprinttype", "")).strip().lower()
        eprint = values.get("eprint", "").strip()
        if eprint and prefix in ("", "arxiv"):
            cleaned = re.sub(r"(?i)^arxiv:\s*", "", eprint)
            if cleaned != eprint:
                add("TC160", "eprint", f"eprint '{eprint}' has an 'arXiv:' prefix; write eprint = {{{cleaned}}}")
            elif not valid_arxiv_id(cleaned):
                add("TC160", "eprint", f"eprint '{eprint}' is not an arXiv id (YYMM.NNNNN, e.g. 2508.01548)")
            if valid_arxiv_id(cleaned):
                found.setdefault(strip_version(cleaned), "eprint")
        for name in ("url", "journal", "note", "howpublished"):
            value = values.get(name, "").strip()
            m = _ARXIV_IN_URL.search(value) if name == "url" else _ARXIV_IN_TEXT.search(value)
            if not m:
                continue
            candidate = m.group(1).rstrip(".")
            if not valid_arxiv_id(candidate):
                add("TC160", name, f"'{candidate}' in {name} is not an arXiv id (YYMM.NNNNN, e.g. 2508.01548)")
                continue
            found.setdefault(strip_version(candidate), name)
        if len(found) > 1:
            listed = ", ".join(f"{i} ({n})" for i, n in found.items())
            add("TC163", list(found.values())[1], f"different arXiv ids in one entry: {listed}; keep one paper")
            return found
        if not found:
            return found
        arxiv_id = next(iter(found))
        posted = arxiv_date(arxiv_id)
        if not posted:
            return found
        pyear, pmonth = posted
        year_text = values.get("year", "").strip()
        year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
        raw_month = fields["month"].pieces[0].text if "month" in fields and len(fields["month"].pieces) == 1 \
            else ""
        macro = month_macro(raw_month) if raw_month else None
        month = MONTH_MACROS.index(macro) + 1 if macro else None
        preprint = _is_preprint(kind, values)
        if year is not None and year < pyear:
            if preprint:
                add("TC161", "year", f"preprint arXiv {arxiv_id} was posted {pyear}-{pmonth:02d} but year = "
                    f"{year}; write year = {{{pyear}}}")
            else:
                add("TC164", "year", f"year {year} is earlier than arXiv {arxiv_id} (posted {pyear}-{pmonth:02d}); "
                    "fine if it was published before it was posted, otherwise fix the year")
        elif preprint:
            stamp = f"{pyear}-{pmonth:02d}"
            if year is not None and year != pyear:
                add("TC162", "year", f"preprint arXiv {arxiv_id} was posted {stamp} but year = {year}")
            elif month is not None and month != pmonth:
                add("TC162", "month", f"preprint arXiv {arxiv_id} was posted {stamp} but month = "
                    f"{MONTH_MACROS[month - 1]}; write month = {MONTH_MACROS[pmonth - 1]}")
            badge = re.match(r"(?i)^arxiv\s+(\d{4})\.(\d{2})\b", values.get("shortvenue", "").strip())
            if badge and (int(badge.group(1)), int(badge.group(2))) != (pyear, pmonth):
                add("TC162", "shortvenue", f"badge '{values['shortvenue']}' does not match arXiv {arxiv_id}; "
                    f"write shortvenue = {{arXiv {pyear}.{pmonth:02d}}}")
        return found


# -- output ------------------------------------------------------------------------------


def severity(problem: Problem) -> str:
    return CODES_BY_ID[problem.code].severity if problem.code in CODES_BY_ID else ERROR


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render(problems: Sequence[Problem], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{
            "path": p.path, "line": p.line, "column": p.column, "code": p.code,
            "name": CODES_BY_ID[p.code].name, "severity": severity(p), "message": p.message,
        } for p in problems], indent=2, ensure_ascii=False)
    out = []
    for p in problems:
        if fmt == "github":
            out.append(f"::{severity(p)} file={_gh_escape(p.path, True)},line={p.line},col={p.column},"
                       f"title={p.code}::{_gh_escape(p.message)}")
        else:
            out.append(f"{p.path}:{p.line}:{p.column}: {p.code} {p.message}")
    return "\n".join(out)


def select(problems: Iterable[Problem], selected: set[str], ignored: set[str]) -> list[Problem]:
    def matches(code: str, prefixes: set[str]) -> bool:
        return any(code.startswith(p) for p in prefixes)
    return [p for p in problems
            if (not selected or matches(p.code, selected)) and not matches(p.code, ignored)]


def check_paths(paths: Sequence[str], taxonomy: Taxonomy) -> list[Problem]:
    checker = Checker(taxonomy)
    for name in paths:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            checker.add("TC100", name, 1, 1, f"cannot read the bib file: {reason}")
            continue
        text, undecoded = decode_bib(data, name)
        checker.problems.extend(undecoded)
        if text is not None:
            checker.check_text(text, name)
    return checker.problems


# -- online: are the links alive? (``check --online``; the only part of the checks that uses the network) -----

#: The fields whose links ``check --online`` asks for; a doi is asked as its https://doi.org/ link.
ONLINE_FIELDS = ("url", "code", "model", "dataset", "project", "doi")


@dataclass(frozen=True)
class LinkUse:
    """One link of the bib: where it is written, and the URL asked for."""

    path: str
    line: int
    column: int
    key: str
    field: str
    value: str  # as written in the bib
    url: str  # what is asked for (a doi's resolver link)


def links_in_paths(paths: Sequence[str], doi_resolver: str = "https://doi.org/") -> list[LinkUse]:
    """Every http(s) link of ``ONLINE_FIELDS`` in the readable entries, with its file and line.

    Malformed links are the offline checks' business (TC130, TC131, TC134); they are not asked for.
    """
    uses: list[LinkUse] = []
    for name in paths:
        try:
            text, _ = decode_bib(Path(name).read_bytes(), name)
        except OSError:
            continue  # the offline check reports it (TC100)
        if text is None:
            continue
        for block in tokenize(text):
            if block.kind != "entry":
                continue
            seen: set[str] = set()
            for f in block.fields:
                if f.lname not in ONLINE_FIELDS or f.lname in seen:
                    continue
                seen.add(f.lname)
                value = " ".join(flatten(f.pieces).split())
                if f.lname == "doi":
                    url = doi_resolver.rstrip("/") + "/" + value if _DOI.match(value) else ""
                else:
                    url = value if re.fullmatch(r"(?i)https?://[^\s/]+\S*", value) and not _doubled(value) else ""
                if url and not _INVISIBLE.search(url):
                    uses.append(LinkUse(name, f.line, f.column, block.key, f.lname, value, url))
    return uses


def online_problems(uses: Sequence[LinkUse], verdicts: dict[str, Verdict]) -> list[Problem]:
    """A TC136 warning for each use of a link whose verdict is dead (a link used twice is reported twice)."""
    problems = []
    for use in uses:
        verdict = verdicts.get(use.url)
        if verdict is not None and verdict.dead:
            shown = f"doi '{use.value}'" if use.field == "doi" else f"{use.field} link '{use.value}'"
            problems.append(Problem(use.path, use.line, CODES_BY_ID["TC136"].subtype,
                                    f"{shown} looks dead ({verdict.reason}); fix or remove it, or check it in a "
                                    "browser", use.column, "TC136"))
    return problems
