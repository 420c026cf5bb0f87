"""The ``paper-table`` directive: select, sort and group papers at read time.

The directive leaves a small placeholder node in the doctree and records the
selection (keys and group structure) in the ``tc`` domain, so the domain knows,
after reading, which page shows which paper; :mod:`sphinx_tc_ext.render` turns
the placeholder into cards when the page is written, for whatever builder is
running.  After a bib edit :mod:`sphinx_tc_ext.tracking` replaces the recorded
selection, and the page is written again without being read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from sphinx_tc_ext.core.filters import FilterError, compile_filter, parse_facet_list, parse_sort, sort_papers
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy, settings
from sphinx_tc_ext.sphinx.domain import TableRecord, TCDomain

logger = logging.getLogger(__name__)

#: Filter controls that are not taxonomy facets.
EXTRA_CONTROLS = ("year", "kind", "code", "search", "sort", "group")
UNGROUPED = "_none"
#: Options that decide which papers a table shows and how they are grouped.
SELECTION_OPTIONS = ("filter", "sort", "limit", "repeat", "group-by", "facets", "recent")
#: Groupings that are not taxonomy facets.
GROUP_PSEUDO_FACETS = ("kind", "venue", "year")


class paper_table(nodes.General, nodes.Element):
    """Placeholder for a table of cards; replaced when the page is written.

    Attributes: ``table_id``, ``docname``, ``group_by``, ``facets``, ``filter``,
    ``layout``; the selection (``keys``, ``groups``) is the domain's
    :class:`~sphinx_tc_ext.domain.TableRecord`, copied in when the page is written.
    """


class SelectionDirective(SphinxDirective):
    """A directive that shows a selection of the bib, which tracking.py re-checks when the bib changes.

    The bib is not a ``note_dependency`` (editing one entry would re-read every such page);
    the taxonomy is.
    """

    def note_taxonomy_dependency(self) -> None:
        self.env.note_dependency(str(settings(self.config).taxonomy_path))

    def bad_options(self, exc: FilterError) -> list[nodes.Node]:
        """Warn at the directive (subtype ``filter``, prefixed with its name) and show nothing."""
        logger.warning(f"{self.name}: {exc}", location=(self.env.docname, self.lineno),
                       type=WARNING_TYPE, subtype="filter")
        return []

    def record(self, table_id: str, options: dict, keys: Iterable[str], digest: str, groups: list | tuple = ()
               ) -> None:
        """Note what was selected and how, so a bib edit can be re-checked without re-reading."""
        domain: TCDomain = self.env.get_domain("tc")  # type: ignore[assignment]
        domain.note_table(self.env.docname, TableRecord(table_id, options, tuple(keys), digest, groups))


class PaperTableDirective(SelectionDirective):
    has_content = False
    required_arguments = 0
    optional_arguments = 0
    option_spec = {
        "filter": directives.unchanged_required,
        "group-by": directives.unchanged,
        "sort": directives.unchanged_required,
        "facets": directives.unchanged,
        "limit": directives.positive_int,
        "repeat": directives.flag,
        "recent": directives.positive_int,
        "layout": lambda arg: directives.choice(arg, ("cards", "list")),
        "class": directives.class_option,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        self.note_taxonomy_dependency()
        taxonomy = get_taxonomy(self.config)
        bib = get_bibliography(self.config)
        options = {name: value for name, value in self.options.items() if name in SELECTION_OPTIONS}
        if "recent" in options:
            options["recent_from"] = self.config.tc_recent_date
        table_id = self.unique_id(self.options.get("name") or "papers")
        try:
            selection = select_table(bib, taxonomy, options, self.config.tc_default_sort, table_id)
        except FilterError as exc:
            return self.bad_options(exc)

        # The selection itself lives in the domain (tracking.py replaces it after a bib edit
        # without reading the page again); the node says where it goes and how it looks.
        node = paper_table()
        node["table_id"] = table_id
        node["ids"] = [table_id]
        node["docname"] = self.env.docname  # where the record is, even in an assembled (LaTeX) doctree
        node["classes"] = self.options.get("class", [])
        node["group_by"] = selection.group_by
        node["facets"] = selection.facets
        node["filter"] = self.options.get("filter", "") or ("recent" if "recent" in options else "")
        node["layout"] = self.options.get("layout", "cards")
        self.set_source_info(node)
        self.record(table_id, options, selection.keys, selection.digest, selection.groups)
        return [node]

    def unique_id(self, base: str) -> str:
        document = self.state.document
        candidate = nodes.make_id(base) or "papers"
        n = 1
        while candidate in document.ids or candidate in getattr(document, "_tc_table_ids", set()):
            n += 1
            candidate = f"{nodes.make_id(base)}-{n}"
        document._tc_table_ids = getattr(document, "_tc_table_ids", set()) | {candidate}  # type: ignore[attr-defined]
        return candidate


def _group_values(name: str, taxonomy: Taxonomy, papers: list[Paper], repeat: bool):
    """The groups of one grouping level: ``([(value id, label, bucket)], assign)`` in display order.

    ``assign(paper)`` gives the buckets a paper sits in, so grouping is one pass over
    the papers rather than one per value.
    """
    facet = taxonomy.facet(name)
    if facet is not None:
        def assign(p: Paper) -> Iterable[str]:
            values = p.facets.get(facet.id, ())
            if not values:
                return (UNGROUPED,)
            return dict.fromkeys(values) if repeat else values[:1]
        values = [(v.id, v.label, v.id) for v in facet.values]
        return [*values, (UNGROUPED, f"No {facet.label.lower()}", UNGROUPED)], assign
    if name == "kind":
        return [("published", "Published", "published"), ("preprint", "Preprints", "preprint")], \
            lambda p: (p.venue_kind,)
    if name == "year":
        years = sorted({p.year for p in papers if p.year}, reverse=True)
        return [(str(y), str(y), y) for y in years] + [(UNGROUPED, "No year", UNGROUPED)], \
            lambda p: (p.year or UNGROUPED,)
    # venue: newest year first, then by name
    venues = sorted({(p.year or 0, p.venue) for p in papers if p.venue}, key=lambda v: (-v[0], v[1].casefold()))
    names = list(dict.fromkeys(venue for _year, venue in venues))
    return [(nodes.make_id(v) or "venue", v, v) for v in names] + [(UNGROUPED, "No venue", UNGROUPED)], \
        lambda p: (p.venue or UNGROUPED,)


class Selection(NamedTuple):
    keys: list[str]
    group_by: list[str]
    facets: list[str]
    groups: list

    @property
    def digest(self) -> str:
        return hashlib.sha1(repr((self.keys, self.groups)).encode()).hexdigest()[:16]


def select_table(bib: Bibliography, taxonomy: Taxonomy, options: dict, default_sort: str,
                 prefix: str) -> Selection:
    """Evaluate a table's options against the bib; raise :class:`FilterError` on bad options.

    Pure, so :mod:`sphinx_tc_ext.tracking` can re-run it on an edited bib without
    re-reading the page.
    """
    # Filtering the bib sorted once per order is sorting the filtered papers: the order is total
    # (keys break ties), so each table's papers are a subsequence of it.
    papers = sorted_bib(bib, options.get("sort") or default_sort)
    if "filter" in options:
        try:
            predicate = compile_filter(options["filter"], taxonomy)
        except FilterError as exc:
            raise FilterError(f"bad :filter: {options['filter']!r}: {exc}") from None
        papers = [p for p in papers if predicate(p)]
    if "recent" in options:
        papers = recent_papers(papers, bib, options["recent"], options.get("recent_from", ""))
    if "limit" in options:
        papers = papers[: options["limit"]]
    group_by = parse_facet_list(options.get("group-by", ""), taxonomy, ":group-by:", extra=GROUP_PSEUDO_FACETS)
    if len(group_by) > 2:
        raise FilterError(":group-by: takes one or two facets")
    default_facets = ",".join([f.id for f in taxonomy.facets] + list(EXTRA_CONTROLS))
    facets = parse_facet_list(options.get("facets", default_facets), taxonomy, ":facets:", extra=EXTRA_CONTROLS)
    groups = group_papers(papers, group_by, taxonomy, prefix, repeat="repeat" in options)
    return Selection([p.key for p in papers], group_by, facets, groups)


def sorted_bib(bib: Bibliography, sort: str) -> list[Paper]:
    """Every paper of the bib in the order ``sort`` names; memoized on the parsed bib (raises FilterError)."""
    keys = parse_sort(sort)
    memo = bib.__dict__.setdefault("_tc_sorted", {})
    order = memo.get(tuple(keys))
    if order is None:
        papers, fields = bib.__dict__.get("_tc_sort_fields") or bib.__dict__.setdefault(
            "_tc_sort_fields", (list(bib.papers.values()), {}))  # each field's values, shared by every order
        order = memo[tuple(keys)] = sort_papers(papers, keys, fields)
    return order


def reference_month(bib: Bibliography, configured: str) -> tuple[int, int]:
    """The month "recent" counts back from: ``tc_recent_date`` or the newest ``added`` date.

    Never today's date, so that a build is reproducible.
    """
    stamp = configured or max((p.added for p in bib.papers.values() if p.added), default="")
    if not stamp:
        stamp = max((f"{p.year:04d}-{p.month or 12:02d}" for p in bib.papers.values() if p.year), default="1970-01")
    return int(stamp[:4]), int(stamp[5:7])


def recent_papers(papers: list[Paper], bib: Bibliography, months: int, configured: str) -> list[Paper]:
    """Papers published in the ``months`` months before the reference month, and in it."""
    year, month = reference_month(bib, configured)
    newest = year * 12 + month - 1
    oldest = newest - months
    return [p for p in papers if p.year and oldest <= p.year * 12 + (p.publication_month - 1) <= newest]


def group_papers(papers: list[Paper], group_by: list[str], taxonomy: Taxonomy, prefix: str,
                 repeat: bool = False) -> list:
    """Nest papers by up to two groupings, in taxonomy order, papers without a value last.

    Returns ``[(value_id, label, anchor, inner)]`` where ``inner`` is a list of keys or
    of subgroups; with no grouping a single group with value ``None``.  By default a
    paper sits once, under the first value it lists (so a page shows one card per
    paper); with ``repeat`` it appears under each of its values.
    """
    if not group_by:
        return [(None, "", prefix + "-all", [p.key for p in papers])]
    values, assign = _group_values(group_by[0], taxonomy, papers, repeat)
    buckets: dict[object, list[Paper]] = {}
    for paper in papers:  # one pass; papers keep their order inside each group
        for bucket in assign(paper):
            buckets.setdefault(bucket, []).append(paper)
    groups = []
    for vid, label, bucket in values:
        members = buckets.get(bucket)
        if not members:
            continue
        anchor = f"{prefix}-{vid.strip('_')}"
        inner = group_papers(members, group_by[1:], taxonomy, anchor, repeat) if len(group_by) > 1 else \
            [p.key for p in members]
        groups.append((vid, label, anchor, inner))
    return groups
