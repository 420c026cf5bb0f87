"""Paper tables as a readable list: for builders other than HTML, and for ``:layout: list``.

Other builders get docutils nodes, whose text their writers escape.  HTML gets a
:class:`~sphinx_tc_ext.sphinx.nodes.tc_list` of keys, whose items the card visitors
write from :func:`list_item_markup` (byte for byte what docutils writes for the nodes).
"""

from __future__ import annotations

from docutils import nodes

from sphinx_tc_ext.core.model import Paper
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy
from sphinx_tc_ext.sphinx.context import PageContext
from sphinx_tc_ext.sphinx.html import h
from sphinx_tc_ext.sphinx.nodes import paper_table, tc_list


def render_plain_table(ctx: PageContext, node: paper_table) -> list[nodes.Node]:
    if not node["keys"]:
        return [nodes.paragraph("", "No paper matches this table's filter.")]
    result: list[nodes.Node] = [nodes.target("", "", ids=[node["table_id"]])] if ctx.html else []
    _plain_groups(ctx, result, node["groups"], node["group_by"], prefix="")
    return result


def count_keys(inner: list) -> int:
    """How many papers a group holds (a paper in two of its subgroups counts once)."""
    keys: set[str] = set()

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, str):
                keys.add(item)
            else:
                walk(item[3])

    walk(inner)
    return len(keys)


def _plain_groups(ctx: PageContext, out: list[nodes.Node], groups: list, group_by: list[str], prefix: str) -> None:
    for value_id, label, _anchor, inner in groups:
        if value_id is None:
            out.append(_plain_list(ctx, inner))
            continue
        label = prefix + label
        out.append(nodes.rubric("", f"{label} ({count_keys(inner)})"))
        if inner and not isinstance(inner[0], str):
            _plain_groups(ctx, out, inner, group_by[1:], prefix=label + " / ")
        else:
            out.append(_plain_list(ctx, inner))


def _plain_list(ctx: PageContext, keys: list[str]) -> nodes.Element:
    if ctx.html:
        papers = [p for p in (ctx.bib.get(k) for k in keys) if p is not None]
        listing = tc_list("", keys=[p.key for p in papers])
        ctx.add_search_text(listing, papers)
        return listing
    items = nodes.bullet_list()
    for key in keys:
        paper = ctx.bib.get(key)
        if paper is None:
            continue
        para = nodes.paragraph()
        for kind, value, uri in list_item_parts(ctx.taxonomy, paper):
            if kind == "text":
                para += nodes.Text(value)
            elif kind == "venue":
                para += nodes.emphasis("", value)
            elif kind == "title":
                title = nodes.strong("", value)
                para += nodes.reference("", "", title, refuri=uri) if uri else title
            else:
                para += nodes.reference("", value, refuri=uri)
        items += nodes.list_item("", para)
    return items


def list_item_parts(taxonomy: Taxonomy, paper: Paper) -> list[tuple[str, str, str]]:
    """What one item of a list layout says, as ``(kind, text, uri)``: the nodes other builders get
    and the HTML markup (:func:`list_item_markup`) are both written from this one description."""
    parts = [("title", paper.title or paper.key, paper.links.get("paper", ""))]
    if paper.aka:
        parts.append(("text", f" ({paper.aka})", ""))
    if paper.authors:
        parts.append(("text", ". " + ", ".join(paper.authors), ""))
    if paper.venue:
        parts += [("text", ". ", ""), ("venue", paper.venue, "")]
    labels = [facet.value(v).label for facet in taxonomy.facets
              for v in paper.facets.get(facet.id, ()) if facet.value(v)]
    if labels:
        parts.append(("text", ". " + ", ".join(labels), ""))
    parts.append(("text", ".", ""))
    for name, label in LINK_FIELDS:
        if name in paper.links:
            parts += [("text", " ", ""), ("link", f"[{label}]", paper.links[name])]
    return parts


def list_item_markup(taxonomy: Taxonomy, paper: Paper) -> str:
    """One ``<li>`` of a list layout, byte for byte what docutils writes for :func:`_plain_list`'s nodes."""
    para = h("p")
    for kind, value, uri in list_item_parts(taxonomy, paper):
        if kind == "text":
            para += value
        elif kind == "venue":
            para += h("em", value)
        elif kind == "title":
            title = h("strong", value)
            para += h("a", title, classes=["reference", "external"], href=uri) if uri else title
        else:
            para += h("a", value, classes=["reference", "external"], href=uri)
    out = ["<li>"]
    para.write(out)
    out.append("</li>\n")
    return "".join(out)
