"""Reading and writing Markdown badge tables: cells, shields.io badges, links, escapes.

A reader with no knowledge of any survey: which badge means what is the list layout's
business (:mod:`sphinx_tc_ext.awesome.layout`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

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


#: shields.io's named colours (and their aliases): what may end a badge path.
SHIELDS_COLORS = frozenset({
    "brightgreen", "green", "yellowgreen", "yellow", "orange", "red", "blue", "lightgrey", "lightgray", "grey", "gray",
    "blueviolet", "purple", "pink", "black", "white", "success", "important", "critical", "informational", "inactive",
})


def unstick_color(badge: Badge) -> Badge:
    """A badge whose colour got stuck to its text (``EMNLP--blue`` reads as ``EMNLP-blue``), split again.

    Only a badge without a colour of its own is split, and only on a shields.io colour name.
    """
    if badge.color or badge.message:
        return badge
    label, dash, color = badge.label.rpartition("-")
    if not dash or not label.strip() or color.lower() not in SHIELDS_COLORS:
        return badge
    return replace(badge, label=label.strip(), color=color.lower())


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


#: Table syntax: the delimiter row, a badge ``[![alt](src)](href)``, an image, a link ``[text](href)``,
#: a line break and any HTML tag.
DELIMITER = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<src>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)\]"
                    r"\((?P<href>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
LINK = re.compile(r"(?<!!)\[(?P<text>(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]"
                   r"\((?P<href><[^<>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def plain_text(fragment: str) -> str:
    """Markdown/HTML fragment to plain text: escapes undone, entities decoded, tags dropped, spaces collapsed."""
    fragment = TAG.sub(" ", fragment)
    return " ".join(html.unescape(md_unescape(fragment)).split())


def has_odd_space(text: str) -> bool:
    """A non-breaking or other unusual space (not space, tab or line end)."""
    return any(ch.isspace() and ch not in " \t\n\r" for ch in text)


def md_inline(text: str) -> str:
    """Plain text safe inside a table cell's link text (pipes are escaped per cell)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\\[\]*_`])", r"\\\1", text)


def github_repo(url: str) -> str:
    """``owner/repo`` (lowercase) of a GitHub link, ``""`` for any other link."""
    m = re.match(r"^https?://(?:www\.)?github\.com/([^/?#]+)/([^/?#]+)", url, re.IGNORECASE)
    return f"{m.group(1)}/{re.sub(r'[.]git$', '', m.group(2))}".lower() if m else ""
