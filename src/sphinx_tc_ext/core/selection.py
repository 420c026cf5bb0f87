"""Which papers a ``paper-table`` shows, in which order and groups: the bib and the options, no Sphinx.

The directive runs :func:`select_table` when a page is read, and incremental builds run
it again on an edited bib without reading the page: one pure function for both keeps
them in step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sphinx_tc_ext.core.filters import FilterError, compile_filter, parse_facet_list, parse_sort, sort_papers
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.taxonomy import Taxonomy

#: Filter controls that are not taxonomy facets.
EXTRA_CONTROLS = ("year", "kind", "code", "search", "sort", "group")
UNGROUPED = "_none"
#: Options that decide which papers a table shows and how they are grouped.
SELECTION_OPTIONS = ("filter", "sort", "limit", "repeat", "group-by", "facets", "recent")
#: Groupings that are not taxonomy facets.
GROUP_PSEUDO_FACETS = ("kind", "venue", "year")

# docutils' make_id, so that venue anchors are the ids docutils would make, without loading docutils.
_ID_DIGRAPHS = {223: "sz", 230: "ae", 339: "oe", 568: "db", 569: "qp"}
_ID_LETTERS = dict(zip(
    (248, 273, 295, 305, 322, 359, 384, 387, 392, 396, 402, 409, 410, 414, 421, 427, 429, 436, 438, 485, 549, 564,
     565, 566, 567, 572, 575, 576, 583, 585, 587, 589, 591),
    "odhiltbbcdfklnpttyzgzlntjcszejqry", strict=True))
_NOT_ID = re.compile(r"[^a-z0-9]+")
_ID_ENDS = re.compile(r"^[-0-9]+|-+$")


def make_id(text: str) -> str:
    """``docutils.nodes.make_id``: ``text`` as an identifier (``[a-z](-?[a-z0-9]+)*``, maybe empty)."""
    ident = text.lower().translate(_ID_DIGRAPHS).translate(_ID_LETTERS)
    ident = unicodedata.normalize("NFKD", ident).encode("ascii", "ignore").decode("ascii")
    return _ID_ENDS.sub("", _NOT_ID.sub("-", " ".join(ident.split())))


@dataclass(eq=False)
class SortMemo:
    """Every order of one bib asked for so far, and each sort field's values, shared by every order.

    A build keeps one per parsed bib (see :mod:`sphinx_tc_ext.cache.state`).
    """

    papers: list[Paper] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    orders: dict[tuple[tuple[str, bool], ...], list[Paper]] = field(default_factory=dict)


class Selection(NamedTuple):
    keys: list[str]
    group_by: list[str]
    facets: list[str]
    groups: list


def select_table(bib: Bibliography, taxonomy: Taxonomy, options: dict, default_sort: str, prefix: str,
                 memo: SortMemo | None = None) -> Selection:
    """Evaluate a table's options against the bib; raise :class:`FilterError` on bad options.

    ``memo`` keeps the bib's sorted orders across the tables of a build.
    """
    # Filtering the bib sorted once per order is sorting the filtered papers: the order is total
    # (keys break ties), so each table's papers are a subsequence of it.
    papers = sorted_bib(bib, options.get("sort") or default_sort, memo if memo is not None else SortMemo())
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
    groups = group_papers(papers, group_by, taxonomy, prefix)
    return Selection([p.key for p in papers], group_by, facets, groups)


def sorted_bib(bib: Bibliography, sort: str, memo: SortMemo) -> list[Paper]:
    """Every paper of the bib in the order ``sort`` names, kept in ``memo`` (raises FilterError)."""
    keys = tuple(parse_sort(sort))
    order = memo.orders.get(keys)
    if order is None:
        if memo.papers is None:
            memo.papers = list(bib.papers.values())
        order = memo.orders[keys] = sort_papers(memo.papers, list(keys), memo.fields)
    return order


def reference_month(bib: Bibliography, configured: str) -> tuple[int, int]:
    """The month "recent" counts back from: ``tc_recent_date``, else the newest paper's month in the bib.

    The awesome list's own rule, and never today's date, so that a build is reproducible.  Not
    the newest ``added`` date: a paper added today but published long ago would move the window
    past every paper of the bib and leave the page empty.  The newest paper is always in its own window.
    """
    if configured:
        return int(configured[:4]), int(configured[5:7])
    return max(filter(None, (p.paper_month for p in bib.papers.values())), default=(1970, 1))


def recent_papers(papers: list[Paper], bib: Bibliography, months: int, configured: str) -> list[Paper]:
    """Papers whose :attr:`Paper.paper_month` is the reference month or one of the ``months`` before it.

    A paper with neither a month nor an arXiv id has no paper month and is never recent.
    """
    year, month = reference_month(bib, configured)
    newest = year * 12 + month - 1
    oldest = newest - months
    return [p for p in papers if (found := p.paper_month) and oldest <= found[0] * 12 + found[1] - 1 <= newest]


def _group_values(name: str, taxonomy: Taxonomy, papers: list[Paper], repeat: bool
                  ) -> tuple[list[tuple[str, str, object]], Callable[[Paper], Iterable[object]]]:
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
    return [(make_id(v) or "venue", v, v) for v in names] + [(UNGROUPED, "No venue", UNGROUPED)], \
        lambda p: (p.venue or UNGROUPED,)


def group_papers(papers: list[Paper], group_by: list[str], taxonomy: Taxonomy, prefix: str,
                 repeat: bool = True) -> list:
    """Nest papers by up to two groupings, in taxonomy order, papers without a value last.

    Returns ``[(value_id, label, anchor, inner)]`` where ``inner`` is a list of keys or
    of subgroups; with no grouping a single group with value ``None``.  A paper sits
    under each of its values, so a group's count is its value's count in the filter
    bar and in ``tc-matrix`` (the page marks every copy after the first as a repeat);
    ``repeat=False`` keeps only the first value a paper lists.
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
