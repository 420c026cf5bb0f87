"""The bib model: a :class:`Paper` per entry, the :class:`Bibliography` of a file, and card anchors.

What a parse produces and every layer reads; reading a bib is :mod:`sphinx_tc_ext.core.bibread`'s job.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sphinx_tc_ext.core.digest import digest, value_digest
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.problems import Problem

#: New-style and old-style arXiv identifiers (``2508.01548v2``, ``cs.CV/0601001``).
ARXIV_NEW = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}(v\d+)?$")
ARXIV_OLD = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(v\d+)?$")

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
        plain, full = plain_anchor(key), digest(key)
        size = 8
        while (anchor := f"{plain}-{full[:size]}") in first and size < len(full):
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
    def aka(self) -> str:
        """The method's nickname (``aka`` field, ``FastV``) as text: shown on the card and searched."""
        value = self.fields.get("aka", "")
        return latex_to_text(value) if value else ""

    @property
    def has_code(self) -> bool:
        return "code" in self.links

    @property
    def publication_month(self) -> int:
        """Month of publication: the ``month`` field, else the arXiv id's month in the same year, else 1."""
        if self.month:
            return self.month
        found = ARXIV_NEW.match(self.fields.get("eprint", ""))
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
        return value_digest(self.counted, COUNTED_DIGEST) + digest(shown, 16)

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
    """A parsed bib file: its papers by key in file order, and every problem found reading it."""

    path: str
    papers: dict[str, Paper]
    problems: list[Problem]
    preamble: str = ""
    anchors: dict[str, str] = field(default_factory=dict)  # key -> anchor, for keys whose plain anchor is taken
    #: every paper's digest, filled by the parse from its chunk records (builds ask per card)
    digest_memo: dict[str, str] | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.papers)

    def get(self, key: str) -> Paper | None:
        return self.papers.get(key)

    def digests(self) -> dict[str, str]:
        """Every paper's :attr:`Paper.digest` (builds ask per card); a parse fills it from its chunk records."""
        if self.digest_memo is None:
            self.digest_memo = {key: paper.digest for key, paper in self.papers.items()}
        return self.digest_memo
