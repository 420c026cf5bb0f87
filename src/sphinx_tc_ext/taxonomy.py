"""The taxonomy file: facets (area, mechanism, cost...) and their allowed values.

The taxonomy is data so that another survey swaps this file and the bib and gets
its own site.  Nothing in the extension knows this survey's facets.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .problems import InputError, Problem
from .schema import SITE_ONLY_FIELDS

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

    def facet(self, name: str) -> Facet | None:
        """Find a facet by id or by its BibTeX field name."""
        for f in self.facets:
            if name in (f.id, f.field):
                return f
        return None

    def line_of(self, needle: str) -> int:
        """Line of the first mention of ``needle`` in the file, for messages."""
        return _line_of(self.text, f'"{needle}"')

    @property
    def fields(self) -> dict[str, Facet]:
        return {f.field: f for f in self.facets}

    @property
    def hidden_bibtex_fields(self) -> frozenset[str]:
        """Fields left out of the BibTeX an author copies: the site-only ones and the taxonomy's."""
        return SITE_ONLY_FIELDS | frozenset(self.fields)


def _line_of(text: str, needle: str, start: int = 0) -> int:
    pos = text.find(needle, start)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file; raise :class:`InputError` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem(str(path), 1, "taxonomy", f"cannot read the taxonomy file: {exc.strerror}")
        raise InputError([problem]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
        raise InputError([Problem(str(path), line, "taxonomy", f"not valid TOML: {exc}; fix the syntax")]) from None
    return parse_taxonomy(data, str(path), text)


def parse_taxonomy(data: dict, path: str = "<taxonomy>", text: str = "") -> Taxonomy:
    problems: list[Problem] = []

    def where(needle: str) -> int:
        return _line_of(text, needle) if text else 1

    survey = data.get("survey", {}) if isinstance(data.get("survey", {}), dict) else {}
    raw_facets = data.get("facets")
    if not isinstance(raw_facets, list) or not raw_facets:
        raise InputError([Problem(path, 1, "taxonomy", "no [[facets]] declared; add at least one facet")])
    facets: list[Facet] = []
    seen_ids: set[str] = set()
    seen_fields: set[str] = set()
    for raw in raw_facets:
        fid = str(raw.get("id", ""))
        line = where(f'id = "{fid}"') if fid else 1
        if not _ID_RE.match(fid):
            problems.append(Problem(path, line, "taxonomy",
                                    f"facet id {fid!r} must be lowercase letters, digits and '-'; rename it"))
            continue
        field_name = str(raw.get("field", fid)).lower()
        if fid in seen_ids or field_name in seen_fields:
            problems.append(Problem(path, line, "taxonomy", f"facet {fid!r} or its field {field_name!r} "
                                    "is declared twice; keep one"))
            continue
        seen_ids.add(fid)
        seen_fields.add(field_name)
        values: list[FacetValue] = []
        value_ids: set[str] = set()
        for rv in raw.get("values", []) or []:
            vid = str(rv.get("id", ""))
            vline = where(f'id = "{vid}"') if vid else line
            if not _ID_RE.match(vid) or vid in value_ids:
                problems.append(Problem(path, vline, "taxonomy", f"value id {vid!r} of facet {fid!r} is "
                                        "empty, malformed or repeated; use unique lowercase ids"))
                continue
            color = str(rv.get("color", ""))
            if color and not _COLOR_RE.match(color):
                problems.append(Problem(path, vline, "taxonomy",
                                        f"colour {color!r} of {fid}:{vid} is not #rrggbb; fix it"))
                color = ""
            value_ids.add(vid)
            values.append(FacetValue(
                id=vid,
                label=str(rv.get("label", vid)),
                description=str(rv.get("description", "")),
                color=color,
                section=str(rv.get("section", "")),
                aliases=tuple(str(a) for a in rv.get("aliases", []) or []),
            ))
        if not values:
            problems.append(Problem(path, line, "taxonomy", f"facet {fid!r} has no values; add [[facets.values]]"))
        facets.append(Facet(
            id=fid,
            field=field_name,
            label=str(raw.get("label", fid)),
            description=str(raw.get("description", "")),
            multi=bool(raw.get("multi", False)),
            required=bool(raw.get("required", False)),
            values=tuple(values),
        ))
    if problems:
        raise InputError(problems)
    return Taxonomy(
        path=path,
        title=str(survey.get("title", "")),
        short_title=str(survey.get("short_title", survey.get("title", ""))),
        facets=tuple(facets),
        text=text,
    )
