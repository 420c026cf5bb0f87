"""The awesome list's layout as data: badge kinds and colours, columns, links, the survey's dates.

The packaged ``data/awesome-layout.toml`` describes the Awesome-Multimodal-Token-Compression
list; an ``awesome-layout.toml`` next to the taxonomy file replaces it for another survey, so
no survey's badges, facets or dates live in code.  Facets are named by the taxonomy's ids.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sphinx_tc_ext.core.problems import InputError, Problem, did_you_mean
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

LAYOUT_FILE = "awesome-layout.toml"
#: The layout families ``import-awesome`` reads: tables of badges, tables with a method-name column,
#: bullet items with badges; ``detect`` reads all three.
FAMILIES = ("detect", "badge-table", "method-table", "bullet-list")
DEFAULT_LAYOUT = Path(__file__).resolve().parents[1] / "data" / LAYOUT_FILE


@dataclass(frozen=True)
class BadgeKind:
    """How one kind of badge is written (``alt``, ``color``) and recognised (``alts``, lowercase)."""

    alt: str
    color: str = ""
    alts: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class FacetBadge(BadgeKind):
    facet: str = ""
    files: bool = False
    conflict: str = "unknown-tag"


@dataclass(frozen=True)
class Column:
    role: str  # name, title, areas, tags or links
    header: str
    align: str
    contains: tuple[str, ...] = ()
    equals: tuple[str, ...] = ()
    export: bool = True  # False: recognised when reading, not written by the export


@dataclass(frozen=True)
class Layout:
    path: str
    family: str
    v1_date: str
    arxiv_id: str
    later_added: str
    preprint: BadgeKind
    venue: BadgeKind
    venue_over_color: tuple[str, ...]
    star: BadgeKind
    facets: tuple[FacetBadge, ...]
    other_facets: BadgeKind
    columns: tuple[Column, ...]  # the ones the export writes, in order
    read_columns: tuple[Column, ...]  # every column the import recognises (``export = false`` ones too)
    links: dict[str, str]
    export_links: tuple[tuple[str, str], ...]
    legend: tuple[str, ...]

    def files_facet(self, taxonomy: Taxonomy) -> Facet | None:
        """The facet with one list file per value: the layout's, else the taxonomy's first."""
        for badge in self.facets:
            if badge.files and taxonomy.facet(badge.facet):
                return taxonomy.facet(badge.facet)
        return taxonomy.facets[0] if taxonomy.facets else None

    def badged_facets(self, taxonomy: Taxonomy) -> list[tuple[FacetBadge, Facet]]:
        """The layout's facet badges with the taxonomy facet each stands for (absent facets left out)."""
        found = []
        for badge in self.facets:
            facet = self.files_facet(taxonomy) if badge.files else taxonomy.facet(badge.facet)
            if facet is not None:
                found.append((badge, facet))
        return found

    def facet_badge(self, facet: Facet, taxonomy: Taxonomy) -> BadgeKind:
        """How the export writes a value of ``facet``: a facet the layout does not list gets its label as alt text.

        The import recognises a facet by its id, label or field as alt text, so such badges read back.
        """
        for badge, known in self.badged_facets(taxonomy):
            if known is facet:
                return badge
        return BadgeKind(alt=facet.label or facet.id, color=self.other_facets.color)

    def conflict_code(self, facet: Facet, taxonomy: Taxonomy) -> str:
        for badge, known in self.badged_facets(taxonomy):
            if known is facet:
                return badge.conflict
        return "unknown-tag"

    def column_role(self, header: str) -> str:
        """The role of a header cell's text (lowercase), ``other`` when no column claims it."""
        for column in self.read_columns:
            if any(word in header for word in column.contains) or header in column.equals:
                return column.role
        return "other"

    @property
    def table_head(self) -> str:
        return ("| " + " | ".join(c.header for c in self.columns) + " | \n| "
                + " | ".join(c.align for c in self.columns) + " | ")


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _badge(table: dict, cls: type = BadgeKind, **extra: object) -> BadgeKind:
    return cls(alt=str(table.get("alt", "")), color=str(table.get("color", "")).lower(),
               alts=tuple(a.lower() for a in _strings(table.get("alts"))), label=str(table.get("label", "")),
               **extra)


def parse_layout(data: dict, path: str) -> Layout:
    """A layout from the TOML data; a missing table or key raises :class:`InputError` at ``path``."""
    try:
        survey = data["survey"]
        venue = data["venue"]
        columns = tuple(Column(role=str(c["role"]), header=str(c["header"]), align=str(c.get("align", "---")),
                               contains=_strings(c.get("contains")), equals=_strings(c.get("equals")),
                               export=bool(c.get("export", True))) for c in data["columns"])
        family = str(data.get("read", {}).get("family", "detect"))
        if family not in FAMILIES:
            raise InputError([Problem(path, _line_of(path, "family"), "config",
                                      f"layout family '{family}' is not known ({did_you_mean(family, FAMILIES)})")])
        return Layout(
            path=path, family=family, v1_date=str(survey["v1_date"]), arxiv_id=str(survey["arxiv_id"]),
            later_added=str(survey["later_added"]), preprint=_badge(data["preprint"]), venue=_badge(venue),
            venue_over_color=tuple(a.lower() for a in _strings(venue.get("over_color"))),
            star=_badge(data["star"]),
            facets=tuple(_badge(f, FacetBadge, facet=str(f["facet"]), files=bool(f.get("files", False)),
                                conflict=str(f.get("conflict", "unknown-tag"))) for f in data.get("facets", [])),
            other_facets=_badge(data["other_facets"]),
            columns=tuple(c for c in columns if c.export), read_columns=columns,
            links={str(k).lower(): str(v) for k, v in data.get("links", {}).items()},
            export_links=tuple((str(f), str(label)) for f, label in data.get("export", {}).get("links", [])),
            legend=_strings(data.get("export", {}).get("legend")))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError([Problem(path, 1, "config", f"the awesome-list layout lacks or misspells {exc}; "
                                  f"start from the packaged {DEFAULT_LAYOUT.name}")]) from None


def _line_of(path: str, key: str) -> int:
    """The line of the first ``key =`` in the layout file (1 when it cannot be read)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines, 1) if line.strip().startswith(f"{key} ")), 1)


@functools.lru_cache(maxsize=8)
def load_layout(path: str | Path = DEFAULT_LAYOUT) -> Layout:
    """Read a layout file; TOML errors are reported at their file:line."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "config", f"cannot read the layout: {exc.strerror}")]) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise InputError([Problem(str(path), int(found.group(1)) if found else 1, "config",
                                  f"layout is not valid TOML: {exc}")]) from None
    return parse_layout(data, str(path))


def layout_for(taxonomy: Taxonomy) -> Layout:
    """The layout of ``taxonomy``'s survey: its ``awesome-layout.toml``, else the packaged one."""
    own = Path(taxonomy.path).parent / LAYOUT_FILE if taxonomy.path else None
    return load_layout(own if own is not None and own.is_file() else DEFAULT_LAYOUT)
