"""The HTML toolkit of cards, filter bars, matrices and charts: elements as nodes or as strings.

:func:`el` makes a :class:`~sphinx_tc_ext.sphinx.nodes.tc_element` node, which the
translator writes with :func:`visit_tc_element`; :func:`h` makes an :class:`Html` object
whose ``write`` gives markup directly.  A page of 5,000 papers holds about 600,000 card
elements: as docutils nodes they cost half the build (creating them, then translating
them), so cards are built with :func:`h`, with exactly the escaping docutils' HTML writer
applies (its own translation table), so the markup is byte-for-byte what the nodes gave.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.writers._html_base import HTMLTranslator

from sphinx_tc_ext.sphinx.nodes import tc_element

VOID_ELEMENTS = frozenset({"img", "input", "br", "hr", "meta", "link", "source"})


def visit_tc_element(self: Any, node: tc_element) -> None:
    attrs = dict(node.get("attrs", {}))
    empty = node["tag"] in VOID_ELEMENTS
    self.body.append(self.starttag(node, node["tag"], "", empty=empty, **attrs))


def depart_tc_element(self: Any, node: tc_element) -> None:
    if node["tag"] not in VOID_ELEMENTS:
        self.body.append(f"</{node['tag']}>")


def el(tag: str, *children: nodes.Node, classes: list[str] | None = None, ids: list[str] | None = None,
       **attrs: str) -> tc_element:
    node = tc_element("", *children, tag=tag, attrs=attrs)
    if classes:
        node["classes"] = classes
    if ids:
        node["ids"] = ids
    return node


def text(value: str) -> nodes.Text:
    return nodes.Text(value)


# docutils' escapes, as (character, entity) pairs with "&" first.  A chain of str.replace is 3x
# faster than str.translate on a title and 25x on an abstract (translate looks up every character).
_ESCAPES = sorted(((chr(code), entity) for code, entity in HTMLTranslator.special_characters.items()),
                  key=lambda pair: pair[0] != "&")
# docutils' starttag turns these into spaces in attribute values, then escapes.
_ATTRIBUTE_SPACES = tuple("\n\r\t\v\f")


def escape_text(value: str) -> str:
    for char, entity in _ESCAPES:
        if char in value:
            value = value.replace(char, entity)
    return value


def escape_attribute(value: str) -> str:
    for char in _ATTRIBUTE_SPACES:
        if char in value:
            value = value.replace(char, " ")
    return escape_text(value)


class Html:
    """An element of a card: ``h("a", "text", classes=[...], href=...)``; ``write`` appends its markup."""

    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, children: list, attrs: dict[str, str]) -> None:
        self.tag, self.children, self.attrs = tag, children, attrs

    def __iadd__(self, child: Html | str) -> Html:
        self.children.append(child)
        return self

    def __len__(self) -> int:
        return len(self.children)

    def write(self, out: list[str]) -> None:
        if self.attrs:  # sorted, like docutils' starttag
            out.append(f"<{self.tag} " + " ".join(f'{name}="{escape_attribute(value)}"'
                                                  for name, value in sorted(self.attrs.items())) + ">")
        else:
            out.append(f"<{self.tag}>")
        for child in self.children:
            if isinstance(child, Html):
                child.write(out)
            else:
                out.append(escape_text(child))
        if self.tag not in VOID_ELEMENTS:
            out.append(f"</{self.tag}>")


def h(tag: str, *children: Html | str, classes: list[str] | None = None, ids: list[str] | None = None,
      **attrs: str) -> Html:
    if classes:
        attrs["class"] = " ".join(classes)
    if ids:
        attrs["id"] = ids[0]
    return Html(tag, list(children), attrs)


def table_node(rows: list[list[nodes.Node | str]], caption: str, classes: list[str]) -> nodes.table:
    """A docutils table whose first row is the header, for every builder.

    Column widths follow the longest cell: the text writer of older docutils loops
    forever on a width-1 column holding a long word.
    """
    table = nodes.table(classes=classes)
    if caption:
        table += nodes.title("", caption)
    group = nodes.tgroup(cols=len(rows[0]))
    table += group
    for column in zip(*rows, strict=True):
        width = max(len(cell.astext() if isinstance(cell, nodes.Node) else str(cell)) for cell in column)
        group += nodes.colspec(colwidth=min(max(width, 3), 40))

    def row_of(cells: list[nodes.Node | str]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            content = cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            row += nodes.entry("", nodes.paragraph("", "", content))
        return row

    group += nodes.thead("", row_of(rows[0]))
    group += nodes.tbody("", *(row_of(r) for r in rows[1:]))
    return table
