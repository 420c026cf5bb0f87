"""``tc-survey fmt``: one canonical, deterministic, lossless layout for bib files.

The layout::

    @inproceedings{shang2025llava,
      title = {{LLaVA-PruMerge}: Adaptive Token Reduction for Efficient Large Multimodal Models},
      author = {Shang, Yuzhang and Cai, Mu},
      year = {2025},
      month = mar,
      ...
    }

* the entry type in lowercase, the key as written, one field a line indented by
  two spaces, ``name = {value}`` with the field name in lowercase, a comma after
  every field (the last one too) and ``}`` alone on the last line;
* ``"quoted"`` values and bare numbers become ``{braced}`` values; the text
  inside the delimiters is kept byte for byte, ``@string`` macros stay bare and
  ``#`` concatenations stay concatenations (``{a} # mymacro # {b}``);
* but the title's words that sentence-case styles would lower get braces
  (``LLaVA-PruMerge`` -> ``{LLaVA}-{PruMerge}``, :mod:`sphinx_tc_ext.core.titlecase`),
  in its literal text only: a macro keeps its meaning;
* ``month`` is a bare macro (``jan`` ... ``dec``) whenever its value names a month
  (``{August}``, ``"aug"``, ``{8}`` and ``8`` all become ``aug``);
* fields in the order of :data:`canonical_order`: the standard fields in the
  schema's order (title, author, year, month, journal, booktitle, eprint,
  archiveprefix, primaryclass, url, doi, note), the other standard BibTeX fields
  alphabetically, then this survey's fields (the taxonomy fields in the taxonomy's
  order, then shortvenue, aka, code, model, dataset, project, added), then unknown
  fields alphabetically;
* entries stay in their original order; one blank line between commands, and a
  comment keeps whether a blank line separated it from its neighbours (runs of blank
  lines become one);
* ``@comment``, ``@preamble``, ``@string`` and any text between entries are kept byte
  for byte (``\f``, U+2028, trailing spaces...); only whole blank lines around them are
  layout.  An ``@`` starts a command only at the start of a line or right after another
  command, so ``% @misc{old,`` and ``me@example.org (ping me)`` are text;
* the file keeps its line endings (lines fmt writes anew get the majority ending) and
  its UTF-8 byte order mark;
* ``--sort`` orders entries by key, each with the comments right above it; ``@string``
  and ``@preamble`` keep their order and go as early as the entries using them allow,
  so every macro keeps the definition it had; where no order can (a macro redefined
  between two entries whose keys would cross it) it refuses and changes nothing.

The tokenizer below follows pybtex's grammar (the parser the site uses), so the
formatted file parses to the same entries, fields and persons.  An entry it
cannot parse is copied verbatim and reported; it is never rewritten.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from string import ascii_letters, digits

from sphinx_tc_ext.core.rules import MONTH_MACROS, month_macro
from sphinx_tc_ext.core.schema import FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.core.titlecase import protect_title, unprotected_words

# -- field vocabulary --------------------------------------------------------------------

#: Fields of the classic BibTeX styles (``plain.bst`` and friends).
STANDARD_BIBTEX_FIELDS: tuple[str, ...] = (
    "address", "annote", "author", "booktitle", "chapter", "crossref", "edition", "editor",
    "howpublished", "institution", "journal", "key", "month", "note", "number", "organization",
    "pages", "publisher", "school", "series", "title", "type", "volume", "year",
)
#: Widely used fields that styles and tools know besides those (natbib, biblatex, arXiv, DOI).
COMMON_BIBTEX_FIELDS: tuple[str, ...] = (
    "abstract", "archiveprefix", "doi", "eprint", "eprintclass", "eprinttype", "isbn", "issn",
    "keywords", "language", "primaryclass", "url", "urldate",
)


def entry_source(entry_type: str, key: str, fields: dict[str, str]) -> str:
    """A new entry as BibTeX text, before :func:`format_text` gives it the canonical layout.

    The one writer of entries that commands create (``new``, ``import-awesome``): values are
    braced, a month that names one is written as its macro (``aug``), empty values are left out.
    """
    body = []
    for name, value in fields.items():
        if value == "":
            continue
        macro = month_macro(value) if name == "month" else None
        body.append(f"  {name} = {macro}" if macro else f"  {name} = {{{value}}}")
    return "\n".join([f"@{entry_type}{{{key},", ",\n".join(body), "}"])


def known_fields(taxonomy: Taxonomy | None = None) -> tuple[str, ...]:
    """Every field name the survey knows: BibTeX's, the schema's and the taxonomy's."""
    names = dict.fromkeys(STANDARD_BIBTEX_FIELDS + COMMON_BIBTEX_FIELDS + tuple(f.name for f in FIELDS))
    if taxonomy is not None:
        names.update(dict.fromkeys(f.field for f in taxonomy.facets))
    return tuple(names)


def canonical_order(taxonomy: Taxonomy | None = None) -> tuple[str, ...]:
    """Field names in output order; fields not listed follow alphabetically."""
    schema_standard = [f.name for f in FIELDS if f.standard]
    other_standard = sorted(set(STANDARD_BIBTEX_FIELDS + COMMON_BIBTEX_FIELDS) - set(schema_standard))
    ours = [f.field for f in taxonomy.facets] if taxonomy is not None else []
    ours += [f.name for f in FIELDS if not f.standard]
    return tuple(dict.fromkeys(schema_standard + other_standard + ours))


# -- tokenizer ---------------------------------------------------------------------------

_NAME_CHARS = ascii_letters + "@!$&*+-./:;<>?[\\]^_`|~\x7f"  # pybtex's NAME_CHARS
_NAME = re.compile(rf"[{re.escape(_NAME_CHARS)}][{re.escape(_NAME_CHARS + digits)}]*")
_KEY_BRACE = re.compile(r"[^\s,}]+")
_KEY_PAREN = re.compile(r"[^\s,]+")
_NUMBER = re.compile(r"[0-9]+")
_SPACE = re.compile(r"\s*")
_BRACES = re.compile(r"[{}]")
_QUOTE_SPECIALS = re.compile(r'["{}]')
_LINE_START_COMMAND = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)


@dataclass
class Piece:
    """One part of a value: ``{text}``, ``"text"``, a number or a macro name."""

    kind: str  # "brace", "quote", "number", "macro"
    text: str  # inside the delimiters, exactly as written


@dataclass
class RawField:
    name: str  # as written
    pieces: list[Piece]
    line: int
    column: int  # 1-based column of the field name
    value_start: int  # offsets of the value in the file text
    value_end: int

    @property
    def lname(self) -> str:
        return self.name.lower()


@dataclass
class Block:
    """A top-level piece of a bib file, with its exact source text."""

    kind: str  # "entry", "string", "preamble", "comment", "text", "invalid"
    start: int
    end: int
    source: str
    line: int
    column: int
    entry_type: str = ""
    key: str = ""
    delimiter: str = "{"
    fields: list[RawField] = field(default_factory=list)
    error: str = ""
    error_line: int = 0
    error_column: int = 0

    def get(self, name: str) -> RawField | None:
        for f in self.fields:
            if f.lname == name:
                return f
        return None


class BibSyntaxError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _Positions:
    def __init__(self, text: str) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_left(self.newlines, offset)
        line_start = self.newlines[index - 1] + 1 if index else 0
        return index + 1, offset - line_start + 1


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.where = _Positions(text)

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def token(self, pattern: re.Pattern[str]) -> str | None:
        self.skip_space()
        m = pattern.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group()

    def literal(self, chars: str) -> str | None:
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1
            return self.text[self.pos - 1]
        return None

    def fail(self, message: str) -> BibSyntaxError:
        return BibSyntaxError(message, self.pos)

    def value(self) -> list[Piece]:
        pieces = [self.piece()]
        while self.literal("#"):
            pieces.append(self.piece())
        return pieces

    def piece(self) -> Piece:
        self.skip_space()
        text, start = self.text, self.pos
        if start >= len(text):
            raise self.fail("the file ends where a field value should be")
        char = text[start]
        if char == "{":
            depth = 1
            for m in _BRACES.finditer(text, start + 1):
                depth += 1 if m.group() == "{" else -1
                if depth == 0:
                    self.pos = m.end()
                    return Piece("brace", text[start + 1:m.start()])
            raise BibSyntaxError("unbalanced braces: this '{' is never closed", start)
        if char == '"':
            depth = 0
            for m in _QUOTE_SPECIALS.finditer(text, start + 1):
                c = m.group()
                if c == '"' and depth == 0:
                    self.pos = m.end()
                    return Piece("quote", text[start + 1:m.start()])
                if c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                    if depth < 0:
                        raise BibSyntaxError("unbalanced braces: '}' without '{' in a quoted value", m.start())
            raise BibSyntaxError('unbalanced quotes or braces: this \'"\' is never closed', start)
        number = self.token(_NUMBER)
        if number is not None:
            return Piece("number", number)
        name = self.token(_NAME)
        if name is not None:
            return Piece("macro", name)
        raise self.fail("expected a field value: {text}, \"text\", a number or a macro name")

    def command(self, at: int) -> Block:
        """Parse the command whose ``@`` is at ``at``; raise :class:`BibSyntaxError` if broken."""
        self.pos = at + 1
        name = self.token(_NAME)
        opening = self.literal("{(") if name else None
        if not name or not opening:
            raise BibSyntaxError("not a command", at)  # a stray '@': plain text for BibTeX too
        closing = "}" if opening == "{" else ")"
        kind = name.lower()
        line, column = self.where.line_col(at)
        block = Block(kind="entry", start=at, end=at, source="", line=line, column=column,
                      entry_type=name, delimiter=opening)
        if kind == "comment":
            block.kind = "comment"
            depth = 1
            for m in re.compile(re.escape(opening) + "|" + re.escape(closing)).finditer(self.text, self.pos):
                depth += 1 if m.group() == opening else -1
                if depth == 0:
                    self.pos = m.end()
                    break
            else:
                raise BibSyntaxError("not a command", at)
        elif kind == "string":
            block.kind = "string"
            self.skip_space()
            fline, fcol = self.where.line_col(self.pos)
            macro = self.token(_NAME)
            if not macro:
                raise self.fail("@string needs a macro name: @string{name = {value}}")
            if not self.literal("="):
                raise self.fail(f"expected '=' after the macro name '{macro}'")
            vstart = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            pieces = self.value()
            block.fields.append(RawField(macro, pieces, fline, fcol, vstart, self.pos))
            self.expect(closing)
        elif kind == "preamble":
            block.kind = "preamble"
            vstart = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            line_, col_ = self.where.line_col(vstart)
            pieces = self.value()
            block.fields.append(RawField("", pieces, line_, col_, vstart, self.pos))
            self.expect(closing)
        else:
            key = self.token(_KEY_BRACE if opening == "{" else _KEY_PAREN)
            if key is None:
                raise self.fail(f"expected the citation key after '@{name}{opening}'")
            block.key = key
            while True:
                self.skip_space()
                fstart = self.pos
                fname = self.token(_NAME)
                if fname:
                    fline, fcol = self.where.line_col(fstart)
                    if not self.literal("="):
                        raise self.fail(f"expected '=' after the field name '{fname}'")
                    vstart = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
                    pieces = self.value()
                    block.fields.append(RawField(fname, pieces, fline, fcol, vstart, self.pos))
                if not self.literal(","):
                    break
            self.expect(closing)
        block.end = self.pos
        block.source = self.text[at:self.pos]
        return block

    def expect(self, closing: str) -> None:
        if not self.literal(closing):
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail(f"the file ends before the closing '{closing}'; unbalanced braces?")
            found = self.text[self.pos]
            raise self.fail(f"expected ',' or the closing '{closing}' but found {found!r}")


def tokenize(text: str) -> list[Block]:
    """Split bib text into blocks; every character of ``text`` lands in exactly one block.

    A command starts only where its ``@`` is the first thing on its line (after spaces or
    tabs, as the site's parser splits entries) or right after another command: the ``@`` of
    ``% @misc{old2020,`` or of ``Maintainer: me@example.org (ping me)`` is text between entries.
    """
    parser = _Parser(text)
    blocks: list[Block] = []
    pos = 0  # end of the last block
    scan = 0  # where to look for the next '@'
    length = len(text)

    def add_text(upto: int) -> None:
        if upto > pos:
            line, column = parser.where.line_col(pos)
            blocks.append(Block("text", pos, upto, text[pos:upto], line, column))

    while True:
        at = text.find("@", scan)
        if at < 0:
            break
        if text[max(pos, text.rfind("\n", 0, at) + 1):at].strip(" \t"):
            scan = at + 1  # text before it on its line: an address or a commented-out entry, not a command
            continue
        try:
            block = parser.command(at)
        except BibSyntaxError as exc:
            if exc.message == "not a command":
                scan = at + 1
                continue
            add_text(at)
            following = _LINE_START_COMMAND.search(text, at + 1)
            end = following.start() if following else length
            # A line-start '@' inside the broken entry: resume there, like bibmodel does.
            line, column = parser.where.line_col(at)
            eline, ecol = parser.where.line_col(min(exc.pos, length))
            block = Block("invalid", at, end, text[at:end], line, column, error=exc.message,
                          error_line=eline, error_column=ecol)
            m = re.match(r"@\s*([^\s{(]*)\s*[{(]\s*([^\s,{}()]*)", text[at:end])
            if m:
                block.entry_type, block.key = m.group(1), m.group(2)
            blocks.append(block)
            pos = scan = end
            continue
        add_text(at)
        blocks.append(block)
        pos = scan = block.end
    add_text(length)
    return blocks


# -- values ------------------------------------------------------------------------------


def flatten(pieces: Iterable[Piece], macros: dict[str, str] | None = None) -> str:
    """The value as pybtex reads it: pieces joined, macros expanded (unknown ones kept)."""
    macros = macros if macros is not None else {}
    out = []
    for piece in pieces:
        if piece.kind == "macro":
            lowered = piece.text.lower()
            if lowered in macros:
                out.append(macros[lowered])
            elif lowered in MONTH_MACROS:
                out.append(lowered)
            else:
                out.append(piece.text)
        else:
            out.append(piece.text)
    return "".join(out)


def format_value(pieces: Sequence[Piece], field_name: str = "", redefined: Collection[str] = ()) -> str:
    """Canonical text of a value; ``redefined`` are month macros an ``@string`` gave another meaning."""
    if field_name.lower() == "month" and len(pieces) == 1:
        piece = pieces[0]
        if piece.kind == "macro":
            if piece.text.lower() in MONTH_MACROS:
                return piece.text.lower()
        else:
            macro = month_macro(piece.text)
            if macro and macro not in redefined:
                return macro
    title = field_name.lower() == "title"
    parts = []
    for piece in pieces:
        if piece.kind == "macro":
            parts.append(piece.text)
        elif title and piece.kind != "number":  # only the literal text: a macro's meaning is not ours to change
            parts.append("{" + protect_title(piece.text) + "}")
        else:
            parts.append("{" + piece.text + "}")
    return " # ".join(parts)


def title_words_to_protect(block: Block) -> list[str]:
    """The title words of an entry that ``fmt`` braces (see :mod:`sphinx_tc_ext.core.titlecase`)."""
    title = block.get("title")
    if title is None:
        return []
    return [w for p in title.pieces if p.kind in ("brace", "quote") for w in unprotected_words(p.text)]


def _order_key(order: dict[str, int]):
    def key(item: tuple[int, RawField]) -> tuple:
        index, f = item
        rank = order.get(f.lname)
        return (0, rank, index) if rank is not None else (1, f.lname, index)
    return key


def format_block(block: Block, taxonomy: Taxonomy | None = None, redefined: Collection[str] = ()) -> str:
    """The canonical text of one block (no trailing newline); only entries are rewritten."""
    if block.kind == "entry":
        if block.delimiter == "(" and "}" in block.key:
            return block.source  # no brace form can hold this key: keep it
        order = {name: i for i, name in enumerate(canonical_order(taxonomy))}
        ordered = [f for _, f in sorted(enumerate(block.fields), key=_order_key(order))]
        lines = [f"@{block.entry_type.lower()}{{{block.key},"]
        lines += [f"  {f.lname} = {format_value(f.pieces, f.lname, redefined)}," for f in ordered]
        lines.append("}")
        return "\n".join(lines)
    # @string, @preamble, @comment, text and broken entries: what we do not own stays as written.
    return block.source


def redefined_months(blocks: Iterable[Block]) -> frozenset[str]:
    """Month macros that an ``@string`` redefines: ``{8}`` must not become such a macro."""
    return frozenset(b.fields[0].lname for b in blocks if b.kind == "string") & frozenset(MONTH_MACROS)


# -- layout ------------------------------------------------------------------------------

_LINE = re.compile(r"[^\n]*\n|[^\n]+")  # lines split on "\n" only: U+2028, \f, \x1c... are text
_BLANK = " \t\r\n"


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on ``\\n`` only (``str.splitlines`` also splits on ``\\f``, U+2028...)."""
    return _LINE.findall(text)


def _cut(line: str) -> tuple[str, str]:
    """A line without its ending, and the ending (``\\r\\n``, ``\\n`` or ``""``)."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n"):
        return line[:-1], "\n"
    return line, ""


def line_ending(text: str) -> str:
    """The file's majority line ending: what rewritten lines get."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def same_but_line_endings(a: str, b: str) -> bool:
    return a == b or a.replace("\r\n", "\n") == b.replace("\r\n", "\n")


@dataclass
class _Item:
    """One piece of output and how it joins the piece before and after it."""

    body: str  # without the ending of its last line
    block: Block | None = None  # the command it renders; None for text between commands
    inline: bool = False  # text that continues the line its command ends on
    end: str = ""  # the ending of its last line as written ("": the file's)
    blank: str = ""  # the ending of the blank line after it as written ("": the file's)
    gap_before: bool | None = None  # text: a blank line before it as written; None: commands get one
    gap_after: bool | None = None
    own_end: bool = True  # its last line is as written, so it keeps the ending written after it


def _entry_body(block: Block, canonical: str, eol: str) -> str:
    """The rewritten entry; lines it leaves as they were keep their ending, new ones get ``eol``."""
    if same_but_line_endings(canonical, block.source):
        return block.source
    if eol == "\n" and "\r" not in block.source:
        return canonical
    endings: dict[str, list[str]] = {}
    for line in split_lines(block.source):
        content, ending = _cut(line)
        endings.setdefault(content, []).append(ending)
    new_lines = canonical.replace("\r\n", "\n").split("\n")
    out = []
    for i, line in enumerate(new_lines):
        out.append(line)
        if i + 1 < len(new_lines):
            kept = endings.get(line)
            out.append((kept.pop(0) if kept else "") or eol)
    return "".join(out)


def _text_items(source: str, prev: _Item | None, after_command: bool) -> list[_Item]:
    """Text between commands, byte for byte; only its leading and trailing blank lines are layout."""
    lines = split_lines(source)
    items: list[_Item] = []
    if after_command and lines:
        rest, ending = _cut(lines.pop(0))
        if rest.strip(_BLANK):
            items.append(_Item(rest, inline=True, end=ending))
        elif prev is not None and prev.own_end:
            prev.end = ending
    if lines and not lines[-1].endswith("\n") and not lines[-1].strip(_BLANK):
        lines.pop()  # the indentation of the next command, or spaces at the end of the file
    first = 0
    while first < len(lines) and not lines[first].strip(_BLANK):
        first += 1
    last = len(lines)
    while last > first and not lines[last - 1].strip(_BLANK):
        last -= 1
    owner = items[-1] if items else prev
    if first and owner is not None:
        owner.blank = _cut(lines[0])[1]
    if first == last:
        return items
    body, end = _cut("".join(lines[first:last]))
    item = _Item(body, end=end, gap_before=first > 0, gap_after=last < len(lines))
    if last < len(lines):
        item.blank = _cut(lines[last])[1]
    items.append(item)
    return items


def _items(blocks: list[Block], taxonomy: Taxonomy | None, eol: str) -> list[_Item]:
    redefined = redefined_months(blocks)
    items: list[_Item] = []
    prev: _Item | None = None
    prev_block: Block | None = None
    for block in blocks:
        if block.kind == "text":
            after_command = prev_block is not None and not prev_block.source.endswith("\n")
            new = _text_items(block.source, prev, after_command)
        elif block.kind == "entry":
            body = _entry_body(block, format_block(block, taxonomy, redefined), eol)
            new = [_Item(body, block, own_end=body.rpartition("\n")[2] == block.source.rpartition("\n")[2])]
        elif block.kind == "invalid":  # kept as written; the blank lines it runs into are layout
            new = _text_items(block.source, None, False)
            new[0].block, new[0].gap_before, new[0].gap_after = block, None, None
        else:
            new = [_Item(block.source, block)]
        items += new
        prev = items[-1] if items else None
        prev_block = block
    return items


def _join(items: list[_Item], eol: str) -> str:
    out: list[str] = []
    prev: _Item | None = None
    for item in items:
        if prev is not None and not item.inline:
            out.append(prev.end or eol)
            gap = prev.gap_after if prev.gap_after is not None else item.gap_before
            if gap is None or gap:
                out.append(prev.blank or eol)
        out.append(item.body)
        prev = item
    if prev is not None:
        out.append(prev.end or eol)
    return "".join(out)


# -- sorting -----------------------------------------------------------------------------


class SortError(Exception):
    """``--sort`` would change what an entry's macros expand to; nothing is sorted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Unit:
    """A command with the comments and text above it and the text after it on its line."""

    items: list[_Item]
    block: Block
    lo: int = 0  # fixed units (@string, @preamble) that must come before it
    hi: int = 0  # fixed units that may come before it
    lo_at: int = 0  # line of the @string it needs, and of the redefinition it must precede
    hi_at: int = 0
    hi_macro: str = ""
    lo_macro: str = ""
    placed: int = 0

    @property
    def fixed(self) -> bool:
        return self.block.kind in ("string", "preamble") or (
            self.block.kind == "invalid" and self.block.entry_type.lower() in ("string", "preamble"))


def _sort_items(items: list[_Item]) -> list[_Item]:
    """Entries by key, each with the comments above it; every macro keeps the definition it had.

    ``@string`` and ``@preamble`` keep their order and go as early as the entries allow (at the
    top when no macro is redefined): an entry may move anywhere the macros it uses still have
    the definition in force where it was.  A header (text at the top of the file followed by a
    blank line) stays at the top; text after the last command stays at the end.
    """
    header: list[_Item] = []
    if items and items[0].block is None and items[0].gap_after:
        header, items = items[:1], items[1:]
    units: list[_Unit] = []
    pending: list[_Item] = []
    for item in items:
        if item.inline and not pending and units:
            units[-1].items.append(item)
        elif item.block is None or item.block.kind == "comment":
            pending.append(item)
        else:
            units.append(_Unit([*pending, item], item.block))
            pending = []
    for unit in units:
        if unit.items[0].block is None:
            unit.items[0].gap_before = None  # a blank line before a moved comment: it goes with what follows
    fixed = [u for u in units if u.fixed]
    defs: dict[str, list[int]] = {}  # macro -> 1-based positions of its @string among the fixed units
    for position, unit in enumerate(fixed, 1):
        if unit.block.kind == "string":
            defs.setdefault(unit.block.fields[0].lname, []).append(position)
    movable: list[_Unit] = []
    seen = 0
    for unit in units:
        if unit.fixed:
            seen += 1
            continue
        movable.append(unit)
        unit.hi = len(fixed)
        used = {p.text.lower() for f in unit.block.fields for p in f.pieces if p.kind == "macro"}
        for macro in sorted(used & defs.keys()):
            positions = defs[macro]
            index = bisect.bisect_right(positions, seen)
            if index and positions[index - 1] > unit.lo:  # the definition it reads must come first
                unit.lo, unit.lo_macro = positions[index - 1], macro
                unit.lo_at = fixed[unit.lo - 1].block.line
            if index < len(positions) and positions[index] - 1 < unit.hi:  # and not the next one
                unit.hi, unit.hi_macro = positions[index] - 1, macro
                unit.hi_at = fixed[unit.hi].block.line
    movable.sort(key=lambda u: (u.block.key.lower(), u.block.key))
    bound, by = len(fixed), None
    for unit in reversed(movable):  # fixed units as early as every later entry allows
        if unit.hi < bound:
            bound, by = unit.hi, unit
        if bound < unit.lo:
            assert by is not None
            raise SortError(by.hi_at, (
                f"cannot sort: '{by.block.key}' (line {by.block.line}) uses @string {by.hi_macro} from before "
                f"this redefinition and '{unit.block.key}' (line {unit.block.line}) uses the @string "
                f"{unit.lo_macro} of line {unit.lo_at}, but '{unit.block.key}' sorts first; rename one "
                f"of the macros, or run fmt without --sort"))
        unit.placed = bound
    out = list(header)
    next_fixed = 0
    for unit in movable:
        while next_fixed < unit.placed:
            out += fixed[next_fixed].items
            next_fixed += 1
        out += unit.items
    for unit in fixed[next_fixed:]:
        out += unit.items
    return out + pending


def format_blocks(blocks: list[Block], taxonomy: Taxonomy | None = None, sort: bool = False,
                  eol: str = "\n") -> str:
    """The formatted text; raises :class:`SortError` when ``sort`` would change a value."""
    items = _items(blocks, taxonomy, eol)
    if sort:
        items = _sort_items(items)
    return _join(items, eol)


def format_text(text: str, taxonomy: Taxonomy | None = None, sort: bool = False) -> str:
    """Format bib text; ``format_text(format_text(x)) == format_text(x)``; line endings are kept."""
    return format_blocks(tokenize(text), taxonomy, sort, line_ending(text))


def changed_blocks(path: str, blocks: list[Block], taxonomy: Taxonomy | None) -> list[str]:
    """``file:line: key`` for each entry whose layout would change (line endings aside)."""
    out = []
    redefined = redefined_months(blocks)
    for block in blocks:
        if block.kind == "entry" and not same_but_line_endings(format_block(block, taxonomy, redefined),
                                                               block.source):
            words = title_words_to_protect(block)
            braced = f" (title: {', '.join('{' + w + '}' for w in words)})" if words else ""
            out.append(f"{path}:{block.line}: {block.key}{braced}")
    return out
