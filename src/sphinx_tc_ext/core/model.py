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
#: A new-style arXiv id in an arxiv.org link (a ``url`` field without ``eprint``).
ARXIV_LINK = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5}(v\d+)?)\b",
                        re.IGNORECASE)

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
    def arxiv_id(self) -> str:
        """The versionless arXiv id (``eprint``, else an arxiv.org ``url``); "" without one."""
        eprint = self.fields.get("eprint", "").strip()
        if ARXIV_NEW.match(eprint) or ARXIV_OLD.match(eprint):
            return re.sub(r"v\d+$", "", eprint)
        link = ARXIV_LINK.match(self.fields.get("url", "").strip())
        return re.sub(r"v\d+$", "", link.group(1)) if link else ""

    @property
    def has_code(self) -> bool:
        return "code" in self.links

    @property
    def arxiv_month(self) -> tuple[int, int] | None:
        """(year, month) of the paper's arXiv id (``eprint``, else an arxiv.org ``url``); None without one."""
        eprint = self.fields.get("eprint", "").strip()
        link = ARXIV_LINK.match(self.fields.get("url", "").strip())
        if found := ARXIV_NEW.match(eprint) or (link and ARXIV_NEW.match(link.group(1))):
            year, month = 2000 + int(found.group(1)), int(found.group(2))
        elif found := ARXIV_OLD.match(eprint):
            year, month = int(found.group(2)), int(found.group(3))
            year += 1900 if year >= 91 else 2000
        else:
            return None
        return (year, month) if 1 <= month <= 12 else None

    @property
    def paper_month(self) -> tuple[int, int] | None:
        """(year, month) the paper came out: its ``month`` in its ``year``, else its arXiv id's month.

        None when the bib says neither: "recent" and the quarterly chart leave such a paper
        out rather than guess January.
        """
        if self.year and self.month:
            return self.year, self.month
        return self.arxiv_month

    @property
    def publication_month(self) -> int:
        """Month within :attr:`year` to sort by: :attr:`paper_month`'s when it is in that year, else 1."""
        found = self.paper_month
        return found[1] if found and found[0] == self.year else 1

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
        return (sorted(self.facets.items()), self.year, self.paper_month, self.has_code)

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
