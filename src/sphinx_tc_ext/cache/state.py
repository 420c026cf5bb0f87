"""What a build works out once per parsed bib and reuses: one typed object instead of loose memos.

Sorted orders, card markup, filter counts and entry digests depend only on the parsed
bib (and on keys naming whatever else they depend on), so they live as long as it
does.  They are kept in one slot of the bib's instance dictionary (``Bibliography`` is
an unhashable dataclass, so a ``WeakKeyDictionary`` cannot hold it): the state goes
when the bib goes, costs one dictionary look-up to reach, and is inherited by forked
workers with the bib, which is parsed and memoized before Sphinx forks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sphinx_tc_ext.core.selection import SortMemo

if TYPE_CHECKING:
    from sphinx_tc_ext.core.model import Bibliography

_SLOT = "_tc_state"


@dataclass(eq=False)
class BuildState:
    """The memos of one parsed bib; each is filled by the one module that computes it."""

    #: key -> :attr:`Paper.digest` (bibmodel: a parse fills it from its chunk records).
    digests: dict[str, str] | None = None
    #: every order of the bib a table asked for, and the sort fields' values (selection).
    sorting: SortMemo = field(default_factory=SortMemo)
    #: (key, authors shown, show bibtex, taxonomy id) -> a card's markup around its slots (sphinx/cards.py).
    card_parts: dict[tuple, tuple[str, ...] | None] = field(default_factory=dict)
    #: (section links, taxonomy id) -> key -> badges markup (sphinx/cards.py).
    badges: dict[tuple, dict[str, str]] = field(default_factory=dict)
    #: a table's distinct keys -> what its filter controls count (filterbar).
    filter_counts: dict[tuple[str, ...], Any] = field(default_factory=dict)
    #: each paper's number of its combination of counted values, and the combinations (filterbar).
    counted: tuple[dict[str, int], list[tuple]] | None = None
    #: months -> what ``tc-whats-new`` lists (news records' digests and the page, sphinx/selection.py).
    news: dict[int, list[tuple[str, list[str], list[str]]]] = field(default_factory=dict)
    #: the newest ``added``/``updated`` date (every ``tc-last-updated`` and its record, sphinx/selection.py).
    last_updated: str | None = None


def state_of(bib: Bibliography) -> BuildState:
    """The bib's build state, made on first use."""
    slots = bib.__dict__
    state = slots.get(_SLOT)
    if state is None:
        state = slots[_SLOT] = BuildState()
    return state
