"""Directives that show a selection of the bib, and the records that let a bib edit re-check them.

A page is not read again when the bib changes (the bib is not a ``note_dependency``:
editing one entry would re-read every page that shows papers).  Instead each
directive leaves a :class:`TableRecord` in the ``tc`` domain saying what it showed
and how to select it again; :mod:`sphinx_tc_ext.sphinx.tracking` asks the records an
edit may concern to :meth:`~TableRecord.reselect` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from sphinx_tc_ext.cache.digest import value_digest
from sphinx_tc_ext.cache.state import state_of
from sphinx_tc_ext.core.counts import compute_stats, count_matrix, last_updated, news_by_month
from sphinx_tc_ext.core.filters import FilterError, compile_filter
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.selection import Selection, select_table
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, tc_config

logger = logging.getLogger(__name__)

#: Record kinds.  A paper table's selection is replaced in its record (the page is written
#: again, not read again); a matrix's or chart's counts live in the doctree (the page is read
#: again); a fixed record (``tc-bibtex``) shows one entry whatever the bib holds; a news record
#: (``tc-whats-new``, ``tc-last-updated``) is drawn from the bib when the page is written, like
#: a paper table, and its digest changes with what it shows.
PAPERS, MATRIX, STATS, FIXED, NEWS = "papers", "matrix", "stats", "fixed", "news"
COUNTED = (MATRIX, STATS)


def selection_digest(selection: Selection) -> str:
    """What a paper table shows, in order and grouping, as a short digest."""
    return value_digest((selection.keys, selection.groups), 16)


def matrix_digest(counts: dict) -> str:
    return value_digest(sorted(counts.items(), key=str), 16)


def stats_digest(data: dict) -> str:
    return value_digest(data, 16)


def news_of(bib: Bibliography, months: int) -> list[tuple[str, list[str], list[str]]]:
    """:func:`~sphinx_tc_ext.core.counts.news_by_month`, once per parsed bib and number of months.

    The records' digests and the page itself list the same news: each took a pass over every paper.
    """
    memo = state_of(bib).news
    if months not in memo:
        memo[months] = news_by_month(bib, months)
    return memo[months]


def last_updated_of(bib: Bibliography) -> str:
    """:func:`~sphinx_tc_ext.core.counts.last_updated`, once per parsed bib (three pages show it)."""
    state = state_of(bib)
    if state.last_updated is None:
        state.last_updated = last_updated(bib)
    return state.last_updated


def news_digest(bib: Bibliography, options: dict) -> str:
    """What a news record shows: the months' keys with each paper's entry (titles and venues are shown)."""
    if options.get("what") == "last-updated":
        return value_digest(last_updated_of(bib), 16)
    news = news_of(bib, options.get("months", 0))
    digests = bib.digests()
    return value_digest([(month, [digests[k] for k in added], [digests[k] for k in updated])
                         for month, added, updated in news], 16)


class TableRecord(NamedTuple):
    """What a selection directive showed, and how: what its page is written with.

    A bib edit re-runs the selection from ``options`` (:meth:`reselect`), so a paper
    table's page is written again without being read again.
    """

    kind: str  # PAPERS, MATRIX, STATS or FIXED
    table_id: str
    options: dict[str, Any]
    keys: tuple[str, ...]
    groups_digest: str
    groups: list | tuple = ()  # see core.selection.group_papers, anchors based on table_id
    mention: Mention | None = None  # what listing a paper here says about it (filtered tables)

    @property
    def counted(self) -> bool:
        """Whether the record holds counts of the whole bib, kept in the doctree (a change re-reads the page)."""
        return self.kind in COUNTED

    def may_change(self, edited: set[str], bib: Bibliography, taxonomy: Taxonomy) -> bool:
        """Whether the record can show something else after the ``edited`` entries changed.

        A paper table's selection is the filter applied to each paper on its own, then
        sorted, cut to ``limit`` and grouped by the chosen papers' own fields: untouched
        unless an edited entry was shown or now passes the filter (an entry that was
        filtered in but cut by the limit can only leave).  Selections that depend on the
        whole bib (``recent`` counts back from the newest ``added`` date; charts and
        matrices) are always selected again.
        """
        if not edited or self.kind == FIXED:
            return False
        if self.counted or self.kind == NEWS or "recent" in self.options:
            return True
        if not edited.isdisjoint(self.keys):
            return True
        candidates = [paper for key in edited if (paper := bib.papers.get(key)) is not None]
        if not candidates:
            return False
        if "filter" not in self.options:
            return True
        try:
            predicate = compile_filter(self.options["filter"], taxonomy)
        except FilterError:
            return True  # selected again, which reports the error
        return any(predicate(paper) for paper in candidates)

    def reselect(self, bib: Bibliography, taxonomy: Taxonomy, default_sort: str) -> TableRecord:
        """This record as the bib now selects it: itself when nothing changed (raises FilterError)."""
        if self.kind == FIXED:
            return self
        if self.kind == PAPERS:
            selection = select_table(bib, taxonomy, self.options, default_sort, self.table_id,
                                     state_of(bib).sorting)
            if selection.keys == list(self.keys) and selection.groups == self.groups:  # cheaper than the digest
                return self
            return self._replace(keys=tuple(selection.keys), groups_digest=selection_digest(selection),
                                 groups=selection.groups)
        if self.kind == NEWS:
            digest = news_digest(bib, self.options)
        elif self.kind == MATRIX:
            digest = matrix_digest(count_matrix(bib, taxonomy, self.options))
        else:
            digest = stats_digest(compute_stats(bib, taxonomy, self.options))
        return self if digest == self.groups_digest else self._replace(groups_digest=digest)


class Mention(NamedTuple):
    """A place that discusses a paper: a section that cites it or a filtered table that lists it."""

    docname: str
    section_id: str
    title: str  # "Page › Section", or the page title for a page's top section
    kind: str  # "cites" or "lists"


class SelectionDirective(SphinxDirective):
    """A directive that shows a selection of the bib, recorded so that a bib edit can re-check it.

    The bib is not a ``note_dependency`` (editing one entry would re-read every such page);
    the taxonomy is.
    """

    #: The kind of record the directive leaves (see :class:`TableRecord`).
    kind: ClassVar[str] = PAPERS

    def note_taxonomy_dependency(self) -> None:
        self.env.note_dependency(str(tc_config(self.config).taxonomy_path))

    def bad_options(self, exc: FilterError) -> list[nodes.Node]:
        """Warn at the directive (subtype ``filter``, prefixed with its name) and show nothing."""
        logger.warning(f"{self.name}: {exc}", location=(self.env.docname, self.lineno),
                       type=WARNING_TYPE, subtype="filter")
        return []

    def record(self, table_id: str, options: dict, keys: Iterable[str], digest: str, groups: list | tuple = ()
               ) -> None:
        """Note what was selected and how, so a bib edit can be re-checked without re-reading."""
        record = TableRecord(self.kind, table_id, options, tuple(keys), digest, groups)
        self.env.get_domain("tc").note_table(self.env.docname, record)  # type: ignore[attr-defined]
