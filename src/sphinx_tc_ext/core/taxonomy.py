"""The taxonomy file: facets (area, mechanism, cost...) and their allowed values.

The taxonomy is data so that another survey swaps this file and the bib and gets
its own site.  Nothing in the extension knows this survey's facets.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sphinx_tc_ext.core.problems import InputError, Problem, did_you_mean
from sphinx_tc_ext.core.schema import SITE_ONLY_FIELDS
from sphinx_tc_ext.core.textio import read_utf8

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class FacetValue:
    id: str
    label: str
    description: str = ""
    color: str = ""
    section: str = ""  # reST label of the section that discusses this value
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facet:
    id: str
    field: str  # BibTeX field holding the values
    label: str
    description: str
    multi: bool
    required: bool
    values: tuple[FacetValue, ...]

    @property
    def value_ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.values)

    def value(self, value_id: str) -> FacetValue | None:
        for v in self.values:
            if v.id == value_id:
                return v
        return None

    def resolve_alias(self, text: str) -> str | None:
        """Map an id, label or alias (case-insensitive) onto a value id."""
        wanted = text.strip().lower()
        for v in self.values:
            if wanted in (v.id, v.label.lower(), *(a.lower() for a in v.aliases)):
                return v.id
        return None


@dataclass(frozen=True)
class Taxonomy:
    path: str
    title: str
    short_title: str
    facets: tuple[Facet, ...] = field(default_factory=tuple)
    text: str = field(default="", repr=False, compare=False)
    #: ``[survey] bibtex_hidden``: more fields left out of the BibTeX readers copy (``abstract``...).
    bibtex_hidden: tuple[str, ...] = ()

    def facet(self, name: str) -> Facet | None:
        """Find a facet by id or by its BibTeX field name."""
        for f in self.facets:
            if name in (f.id, f.field):
                return f
        return None

    def line_of(self, needle: str) -> int:
        """Line of the first mention of ``needle`` in the file, for messages."""
        return _line_of(self.text, f'"{needle}"')

    def key_line(self, facet_id: str, value_id: str | None = None, key: str = "label") -> int:
        """Line of a facet's key, or of one of its values' keys, in the file: for messages about it."""
        index = next((i for i, f in enumerate(self.facets) if f.id == facet_id), None)
        if index is None:
            return 1
        scope: tuple = ("facets", index)
        if value_id is not None:
            number = self.facets[index].value_ids.index(value_id) if value_id in self.facets[index].value_ids else 0
            scope = (*scope, "values", number)
        return _Lines(self.text).line(scope, key)

    @property
    def fields(self) -> dict[str, Facet]:
        return {f.field: f for f in self.facets}

    @property
    def hidden_bibtex_fields(self) -> frozenset[str]:
        """Fields left out of the BibTeX an author copies: the site-only ones, the taxonomy's and ``bibtex_hidden``."""
        return SITE_ONLY_FIELDS | frozenset(self.fields) | frozenset(name.lower() for name in self.bibtex_hidden)


def _line_of(text: str, needle: str, start: int = 0) -> int:
    pos = text.find(needle, start)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file; raise :class:`InputError` listing every problem."""
    text = read_utf8(path, "taxonomy file", "taxonomy")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
        raise InputError([Problem(str(path), line, "taxonomy", f"not valid TOML: {exc}; fix the syntax")]) from None
    return parse_taxonomy(data, str(path), text)


# -- validation: every key known, every value of the documented type ---------------------------------

#: The keys of each level of the file and the kind of value each holds (docs/guide/taxonomy-file.md).
_TOP_KEYS = {"survey": "table", "facets": "tables"}
_SURVEY_KEYS = {"title": "string", "short_title": "string", "bibtex_hidden": "strings"}
_FACET_KEYS = {"id": "string", "field": "string", "label": "string", "description": "string", "multi": "boolean",
               "required": "boolean", "values": "tables"}
_VALUE_KEYS = {"id": "string", "label": "string", "description": "string", "color": "string", "section": "string",
               "aliases": "strings"}
_KINDS = {
    "string": ("a string in quotes", lambda v: isinstance(v, str)),
    "boolean": ("true or false, without quotes", lambda v: isinstance(v, bool)),
    "table": ("a table", lambda v: isinstance(v, dict)),
    "tables": ("an array of tables", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v)),
    "strings": ("an array of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
}
_HEADER_RE = re.compile(r"^(\[\[?)\s*([^\]]*?)\s*\]")
_KEY_RE = re.compile(r"""^(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.[^=]*)?=""")


class _Lines:
    """Where each table and key of a taxonomy file is: tomllib keeps no positions, messages need them.

    Scopes are tuples: ``()`` the top level, ``("survey",)``, ``("facets", 0)`` the first
    ``[[facets]]``, ``("facets", 0, "values", 2)`` its third ``[[facets.values]]``.
    """

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple, int] = {}
        self.keys: dict[tuple, int] = {}
        scope: tuple = ()
        facet = value = -1
        in_string = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            quotes = line.count('"""') + line.count("'''")
            if in_string:
                in_string = quotes % 2 == 0
                continue
            header = _HEADER_RE.match(line)
            if header:
                name = re.sub(r"""[\s"']""", "", header.group(2))
                array = header.group(1) == "[["
                if array and name == "facets":
                    facet, value = facet + 1, -1
                    scope = ("facets", facet)
                elif array and name == "facets.values":
                    value += 1
                    scope = ("facets", facet, "values", value)
                else:
                    scope = tuple(name.split("."))
                self.tables.setdefault(scope, number)
                continue
            key = _KEY_RE.match(line)
            if key:
                self.keys.setdefault((*scope, next(k for k in key.groups() if k is not None)), number)
            in_string = quotes % 2 == 1

    def line(self, scope: tuple, key: str | None = None) -> int:
        """The key's line, else its table's header, else the line of what holds the table."""
        if key is not None:
            found = self.keys.get((*scope, key)) or self.tables.get((*scope, key))
            if found:
                return found
        if scope in self.tables:
            return self.tables[scope]
        if not scope:
            return 1
        if isinstance(scope[-1], int):
            return self.line(scope[:-2], scope[-2])
        return self.line(scope[:-1], scope[-1])


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        kinds = sorted({"strings" if isinstance(x, str) else "tables" if isinstance(x, dict) else "values"
                        for x in value})
        return "an empty array" if not kinds else f"an array of {' and '.join(kinds)}"
    return f"a {type(value).__name__}"


def _how_to_fix(key: str, value: object, kind: str) -> str:
    if kind == "boolean":
        word = str(value).strip().lower()
        if word in ("true", "yes", "1", "on"):
            return f"write {key} = true"
        if word in ("false", "no", "0", "off"):
            return f"write {key} = false"
        return f"write {key} = true or {key} = false"
    if kind == "strings":
        return f'write {key} = ["{value}"]' if isinstance(value, str) else f'write {key} = ["...", "..."]'
    if kind == "string":
        return f'write {key} = "{value}"' if isinstance(value, (int, float, bool)) else f'write {key} = "..."'
    if kind == "table":
        return f"write it as a [{key}] table"
    item, header = ("facet", "[[facets]]") if key == "facets" else ("value", "[[facets.values]]")
    return f"declare each {item} as its own {header} table with id = \"...\""


def parse_taxonomy(data: dict, path: str = "<taxonomy>", text: str = "") -> Taxonomy:
    """Validate the parsed TOML and build the :class:`Taxonomy`; raise :class:`InputError` listing every problem.

    Values of the wrong kind are errors, not guesses: ``multi = "false"`` would be true
    under ``bool()``, ``aliases = "img"`` three one-letter aliases.
    """
    problems: list[Problem] = []
    lines = _Lines(text)

    def problem(scope: tuple, key: str | None, message: str) -> None:
        problems.append(Problem(path, lines.line(scope, key), "taxonomy", message))

    def checked(table: dict, scope: tuple, allowed: dict[str, str], where: str) -> dict:
        """The keys of ``table`` that are known and of the right kind; the others are problems."""
        good = {}
        for key, value in table.items():
            kind = allowed.get(key)
            if kind is None:
                problem(scope, key, f"{where}: unknown key '{key}' ({did_you_mean(key, allowed)}); "
                                    "fix or remove it")
            elif not _KINDS[kind][1](value):
                problem(scope, key, f"{where}: '{key}' must be {_KINDS[kind][0]}, not {_describe(value)}; "
                                    f"{_how_to_fix(key, value, kind)}")
            else:
                good[key] = value
        return good

    top = checked(data, (), _TOP_KEYS, "the top level")
    survey = checked(top.get("survey", {}), ("survey",), _SURVEY_KEYS, "[survey]")
    raw_facets = top.get("facets")
    if "facets" not in data or (raw_facets is not None and not raw_facets):
        problem((), "facets", "no [[facets]] declared; add at least one facet")
    facets: list[Facet] = []
    seen_ids: set[str] = set()
    seen_fields: set[str] = set()
    for index, raw_facet in enumerate(raw_facets or []):
        scope = ("facets", index)
        name = raw_facet.get("id")
        raw = checked(raw_facet, scope, _FACET_KEYS,
                      f"facet '{name}'" if isinstance(name, str) else f"facet #{index + 1}")
        if "id" in raw_facet and "id" not in raw:
            continue  # reported: not a string
        fid = raw.get("id", "")
        line = lines.line(scope, "id")
        if not _ID_RE.match(fid):
            problems.append(Problem(path, line, "taxonomy",
                                    f"facet id {fid!r} must be lowercase letters, digits and '-'; rename it"))
            continue
        field_name = raw.get("field", fid).lower()
        if fid in seen_ids or field_name in seen_fields:
            problems.append(Problem(path, line, "taxonomy", f"facet {fid!r} or its field {field_name!r} "
                                    "is declared twice; keep one"))
            continue
        seen_ids.add(fid)
        seen_fields.add(field_name)
        values: list[FacetValue] = []
        value_ids: set[str] = set()
        for number, raw_value in enumerate(raw.get("values", [])):
            vscope = (*scope, "values", number)
            name = raw_value.get("id")
            rv = checked(raw_value, vscope, _VALUE_KEYS,
                         f"value {fid}:{name}" if isinstance(name, str) else f"value #{number + 1} of facet {fid!r}")
            if "id" in raw_value and "id" not in rv:
                continue
            vid = rv.get("id", "")
            vline = lines.line(vscope, "id")
            if not _ID_RE.match(vid) or vid in value_ids:
                problems.append(Problem(path, vline, "taxonomy", f"value id {vid!r} of facet {fid!r} is "
                                        "empty, malformed or repeated; use unique lowercase ids"))
                continue
            color = rv.get("color", "")
            if color and not _COLOR_RE.match(color):
                problem(vscope, "color", f"colour {color!r} of {fid}:{vid} is not #rrggbb; fix it")
                color = ""
            value_ids.add(vid)
            values.append(FacetValue(
                id=vid,
                label=rv.get("label", vid),
                description=rv.get("description", ""),
                color=color,
                section=rv.get("section", ""),
                aliases=tuple(rv.get("aliases", ())),
            ))
        if not values and not raw_facet.get("values"):  # bad items were reported one by one
            problems.append(Problem(path, line, "taxonomy", f"facet {fid!r} has no values; add [[facets.values]]"))
        facets.append(Facet(
            id=fid,
            field=field_name,
            label=raw.get("label", fid),
            description=raw.get("description", ""),
            multi=raw.get("multi", False),
            required=raw.get("required", False),
            values=tuple(values),
        ))
    taxonomy = Taxonomy(
        path=path,
        title=survey.get("title", ""),
        short_title=survey.get("short_title", survey.get("title", "")),
        facets=tuple(facets),
        text=text,
        bibtex_hidden=tuple(survey.get("bibtex_hidden", ())),
    )
    if problems:
        raise InputError(problems, partial=taxonomy)  # without the broken parts: a build warns and goes on
    return taxonomy


# -- adding values to the file: an insertion, never a re-serialisation --------------------------------

def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group(0)):04x}", escaped) + '"'


def insert_values(text: str, facet_index: int, values: list[FacetValue]) -> tuple[str, list[int]]:
    """``text`` with a ``[[facets.values]]`` table per value after the last value of the ``facet_index``-th facet.

    Every other byte stays (comments, order, formatting, line endings): the tables go after the last
    key line of the facet's last value, indented like it.  Returns the new text and the line of each
    new value's ``id``.  Why not tomllib + a writer: TOML writers drop comments and reflow the file.
    """
    lines = _Lines(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = text.splitlines(keepends=True)
    value_tables = sorted(line for scope, line in lines.tables.items()
                          if len(scope) == 4 and scope[:3] == ("facets", facet_index, "values"))
    anchor = value_tables[-1] if value_tables else lines.tables.get(("facets", facet_index), 0)
    if not anchor:
        raise ValueError(f"no [[facets]] table number {facet_index + 1}")
    end = min((line for line in lines.tables.values() if line > anchor), default=len(rows) + 1)
    last = max(n for n in range(anchor, end) if n == anchor or (rows[n - 1].strip()
                                                                 and not rows[n - 1].lstrip().startswith("#")))
    header_indent = re.match(r"[ \t]*", rows[anchor - 1]).group(0) if value_tables else "  "
    key_lines = [rows[n - 1] for n in range(anchor + 1, last + 1) if rows[n - 1].strip()]
    key_indent = re.match(r"[ \t]*", key_lines[0]).group(0) if key_lines and value_tables else header_indent
    if not rows[last - 1].endswith("\n"):
        rows[last - 1] += newline
    block: list[str] = []
    id_lines: list[int] = []
    for value in values:
        block.append(newline)
        block.append(f"{header_indent}[[facets.values]]{newline}")
        id_lines.append(last + len(block) + 1)
        keys = [("id", toml_string(value.id)), ("label", toml_string(value.label)),
                ("description", toml_string(value.description)), ("color", toml_string(value.color))]
        if value.aliases:
            keys.append(("aliases", "[" + ", ".join(toml_string(a) for a in value.aliases) + "]"))
        block.extend(f"{key_indent}{key} = {shown}{newline}" for key, shown in keys)
    return "".join([*rows[:last], *block, *rows[last:]]), id_lines
