"""The ``:filter:`` language of ``paper-table``: small, safe, and checked against the taxonomy.

Grammar (keywords are case-insensitive)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | test
    test       := FIELD OP value | FIELD "has" value | FIELD "in" list | FIELD
    OP         := "==" | "!=" | ">=" | "<=" | ">" | "<"
    list       := "[" value ("," value)* "]"
    value      := WORD | "quoted string" | 'quoted string'

Examples: ``areas has video and year >= 2025``, ``cost == training-free``,
``key in [shao2025tokens, li2025catp]``, ``code and not kind == preprint``.

Nothing is evaluated with ``eval``: the expression compiles to closures over a
:class:`~sphinx_tc_ext.core.model.Paper`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sphinx_tc_ext.core.model import Paper
from sphinx_tc_ext.core.problems import did_you_mean
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy

Predicate = Callable[[Paper], bool]


class FilterError(ValueError):
    """A filter, sort or group-by expression that cannot be used; the message says why."""


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>==|!=|>=|<=|>|<|\(|\)|\[|\]|,)
    | "(?P<dq>[^"]*)"
    | '(?P<sq>[^']*)'
    | (?P<word>[^\s()\[\],"'=!<>]+)
    )""", re.VERBOSE)

_KEYWORDS = {"and", "or", "not", "has", "in"}


@dataclass(frozen=True)
class Token:
    kind: str  # "op", "str", "word", "end"
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        m = _TOKEN.match(source, pos)
        if not m or m.end() == pos:
            raise FilterError(f"unexpected character {source[pos:].lstrip()[:1]!r} at column {pos + 1}")
        if m.group("op") is not None:
            tokens.append(Token("op", m.group("op"), m.start("op")))
        elif m.group("dq") is not None or m.group("sq") is not None:
            tokens.append(Token("str", m.group("dq") if m.group("dq") is not None else m.group("sq"), m.start()))
        else:
            tokens.append(Token("word", m.group("word"), m.start("word")))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# -- fields a filter or sort can name ------------------------------------------------------

def _text_fields() -> dict[str, Callable[[Paper], str]]:
    return {
        "key": lambda p: p.key,
        "title": lambda p: p.title,
        "author": lambda p: "; ".join(p.authors),
        "authors": lambda p: "; ".join(p.authors),
        "venue": lambda p: p.venue,
        "kind": lambda p: p.venue_kind,
        "type": lambda p: p.entry_type,
        "added": lambda p: p.added,
        "note": lambda p: p.fields.get("note", ""),
    }


_NUMBER_FIELDS: dict[str, Callable[[Paper], int | None]] = {
    "year": lambda p: p.year,
    "month": lambda p: p.month,
}
_LINK_NAMES = ("paper", *(name for name, _ in LINK_FIELDS))


class _Parser:
    def __init__(self, source: str, taxonomy: Taxonomy) -> None:
        self.source = source
        self.taxonomy = taxonomy
        self.tokens = tokenize(source)
        self.i = 0
        self.text_fields = _text_fields()

    # token helpers
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text.lower() in words

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise FilterError(f"expected {op!r} at column {tok.pos + 1}, found {tok.text or 'end of filter'!r}")

    # grammar
    def parse(self) -> Predicate:
        if self.peek().kind == "end":
            raise FilterError("the filter is empty; write e.g. 'areas has video'")
        pred = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise FilterError(f"unexpected {tok.text!r} at column {tok.pos + 1}; join tests with 'and' or 'or'")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.at_word("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda p, parts=tuple(parts): any(f(p) for f in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.at_word("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda p, parts=tuple(parts): all(f(p) for f in parts))

    def not_expr(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.not_expr()
            return lambda p: not inner(p)
        tok = self.peek()
        if tok.kind == "op" and tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.expect_op(")")
            return inner
        return self.test()

    def value(self) -> str:
        tok = self.take()
        if tok.kind == "str" or (tok.kind == "word" and tok.text.lower() not in _KEYWORDS):
            return tok.text
        raise FilterError(f"expected a value at column {tok.pos + 1}, found {tok.text or 'end of filter'!r}")

    def value_list(self) -> list[str]:
        self.expect_op("[")
        values = [self.value()]
        while self.peek().kind == "op" and self.peek().text == ",":
            self.take()
            values.append(self.value())
        self.expect_op("]")
        return values

    def test(self) -> Predicate:
        tok = self.take()
        if tok.kind != "word" or tok.text.lower() in _KEYWORDS:
            raise FilterError(f"expected a field name at column {tok.pos + 1}, found {tok.text or 'end of filter'!r}")
        name = tok.text.lower()
        nxt = self.peek()
        if nxt.kind == "op" and nxt.text in ("==", "!=", ">=", "<=", ">", "<"):
            op = self.take().text
            return self.compare(name, op, [self.value()], tok.pos)
        if self.at_word("has"):
            self.take()
            return self.compare(name, "has", [self.value()], tok.pos)
        if self.at_word("in"):
            self.take()
            return self.compare(name, "in", self.value_list(), tok.pos)
        return self.truthy(name, tok.pos)

    def known_fields(self) -> list[str]:
        names = [*self.text_fields, *_NUMBER_FIELDS, *_LINK_NAMES, "code"]
        for facet in self.taxonomy.facets:
            names += [facet.id, facet.field]
        return sorted(set(names))

    def unknown_field(self, name: str, pos: int) -> FilterError:
        return FilterError(f"unknown field {name!r} at column {pos + 1} ({did_you_mean(name, self.known_fields())})")

    def truthy(self, name: str, pos: int) -> Predicate:
        if name in _LINK_NAMES:
            return lambda p: name in p.links
        facet = self.taxonomy.facet(name)
        if facet is not None:
            return lambda p: bool(p.facets.get(facet.id))
        if name in self.text_fields:
            get = self.text_fields[name]
            return lambda p: bool(get(p))
        if name in _NUMBER_FIELDS:
            getn = _NUMBER_FIELDS[name]
            return lambda p: getn(p) is not None
        raise self.unknown_field(name, pos)

    def compare(self, name: str, op: str, values: list[str], pos: int) -> Predicate:
        facet = self.taxonomy.facet(name)
        if facet is not None:
            wanted = []
            for v in values:
                vid = v.lower() if facet.value(v.lower()) else facet.resolve_alias(v)
                if vid is None:
                    raise FilterError(f"unknown {facet.id} value {v!r} ({did_you_mean(v, facet.value_ids)})")
                wanted.append(vid)
            if op in ("==", "has", "in"):
                return lambda p: any(v in p.facets.get(facet.id, ()) for v in wanted)
            if op == "!=":
                return lambda p: not any(v in p.facets.get(facet.id, ()) for v in wanted)
            raise FilterError(f"{facet.id} values have no order; use ==, !=, has or in")
        if name in _NUMBER_FIELDS:
            get = _NUMBER_FIELDS[name]
            try:
                numbers = [int(v) for v in values]
            except ValueError:
                raise FilterError(f"{name} compares with whole numbers, not {values!r}") from None
            return _ordered(get, op, numbers, name)
        if name in self.text_fields:
            gett = self.text_fields[name]
            folded = [v.lower() for v in values]
            if op == "has":
                return lambda p: folded[0] in gett(p).lower()
            if op == "in":
                return lambda p: gett(p).lower() in folded
            return _ordered(lambda p: gett(p).lower(), op, folded, name)
        if name in _LINK_NAMES:
            raise FilterError(f"{name!r} is a link; test it on its own, e.g. '{name}' or 'not {name}'")
        raise self.unknown_field(name, pos)


def _ordered(get: Callable[[Paper], object], op: str, values: list, name: str) -> Predicate:
    target = values[0]
    if op == "in":
        return lambda p: get(p) in values
    if op == "has":
        raise FilterError(f"'has' tests a list or text; for {name} use ==, !=, <, <=, >, >=")
    checks: dict[str, Callable[[object], bool]] = {
        "==": lambda x: x == target,
        "!=": lambda x: x != target,
        ">=": lambda x: x is not None and x != "" and x >= target,
        "<=": lambda x: x is not None and x != "" and x <= target,
        ">": lambda x: x is not None and x != "" and x > target,
        "<": lambda x: x is not None and x != "" and x < target,
    }
    check = checks[op]
    return lambda p: check(get(p))


def compile_filter(source: str, taxonomy: Taxonomy) -> Predicate:
    """Compile a filter expression; raise :class:`FilterError` with a readable reason."""
    return _Parser(source, taxonomy).parse()


# -- sorting and grouping ------------------------------------------------------------------

_SORT_KEYS: dict[str, Callable[[Paper], object]] = {
    "year": lambda p: p.year or 0,
    "month": lambda p: p.month or 0,
    "date": lambda p: ((p.year or 0), p.publication_month if p.year else 0),
    "title": lambda p: p.title.casefold(),
    "key": lambda p: p.key.casefold(),
    "venue": lambda p: p.venue.casefold(),
    "kind": lambda p: p.venue_kind,
    "added": lambda p: p.added,
    "author": lambda p: (p.authors[0].split()[-1].casefold() if p.authors else ""),
}
DEFAULT_SORT = "-date, title"


def parse_sort(source: str) -> list[tuple[str, bool]]:
    """``-year, title`` -> [("year", True), ("title", False)]; True means descending."""
    keys = []
    for part in (s.strip() for s in source.split(",")):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-").strip().lower()
        if name not in _SORT_KEYS:
            raise FilterError(f"cannot sort by {name!r} ({did_you_mean(name, _SORT_KEYS)})")
        keys.append((name, descending))
    if not keys:
        raise FilterError("the sort order is empty; write e.g. '-year, title'")
    return keys


def sort_papers(papers: list[Paper], keys: list[tuple[str, bool]],
                fields: dict[str, list] | None = None) -> list[Paper]:
    """``papers`` in the order ``keys`` names, ties broken by citation key.

    Stable sorts of positions, the last key first, each by a list of that field's values
    computed once per paper; ``fields`` keeps those lists for the next call with the
    same list of papers (every order of one bib shares its titles and dates).
    """
    fields = {} if fields is None else fields

    def values(name: str) -> list:
        found = fields.get(name)
        if found is None:
            found = fields[name] = [p.key for p in papers] if name == "" else list(map(_SORT_KEYS[name], papers))
        return found

    positions = sorted(range(len(papers)), key=values("").__getitem__)  # "": the citation key as it is
    for name, descending in reversed(keys):
        positions.sort(key=values(name).__getitem__, reverse=descending)
    return [papers[i] for i in positions]


def parse_facet_list(source: str, taxonomy: Taxonomy, what: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Facet ids named in ``:group-by:`` or ``:facets:`` (ids or field names accepted)."""
    result = []
    for part in (s.strip() for s in source.split(",")):
        if not part:
            continue
        if part.lower() in extra:
            result.append(part.lower())
            continue
        facet = taxonomy.facet(part.lower())
        if facet is None:
            choices = [f.id for f in taxonomy.facets] + list(extra)
            raise FilterError(f"unknown facet {part!r} in {what} ({did_you_mean(part, choices)})")
        if facet.id not in result:
            result.append(facet.id)
    return result
