"""Reference tables rendered from the code, so the docs cannot drift from the behaviour.

``tc-check-codes``
    every ``tc-survey check`` code (:data:`sphinx_tc_ext.core.codes.CODES`).
``tc-field-reference``
    the bib schema (:data:`sphinx_tc_ext.schema.FIELDS`), then one table per facet
    of the configured taxonomy with its values.
``tc-warning-types``
    the Sphinx warning subtypes (:data:`sphinx_tc_ext.schema.WARNING_SUBTYPES`).

Tables are plain docutils nodes, so every builder renders them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective, is_directive_registered

from sphinx_tc_ext.core.schema import FIELDS, SITE_ONLY_FIELDS, WARNING_SUBTYPES
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_taxonomy

Cell = str | nodes.Node | Sequence[nodes.Node]


def rich_text(text: str) -> list[nodes.Node]:
    """Text with ````literal```` spans as literal nodes (the markup the schema's descriptions use)."""
    out: list[nodes.Node] = []
    for i, part in enumerate(re.split(r"``(.+?)``", text)):
        if not part:
            continue
        out.append(nodes.literal(part, part) if i % 2 else nodes.Text(part))
    return out


def _cell(content: Cell) -> nodes.entry:
    entry = nodes.entry()
    if isinstance(content, str):
        if content:
            entry += nodes.paragraph("", "", *rich_text(content))
    elif isinstance(content, nodes.Node):
        entry += content if isinstance(content, nodes.Body) else nodes.paragraph("", "", content)
    elif all(isinstance(node, nodes.Body) for node in content):
        entry.extend(content)  # several paragraphs or blocks
    else:
        entry += nodes.paragraph("", "", *content)
    return entry


def make_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[int],
               title: str | Sequence[nodes.Node] = "", classes: Sequence[str] = ()) -> nodes.table:
    table = nodes.table(classes=["tc-reference", *classes])
    if title:
        table += nodes.title("", *(rich_text(title) if isinstance(title, str) else title))
    tgroup = nodes.tgroup(cols=len(headers))
    table += tgroup
    for width in widths:
        tgroup += nodes.colspec(colwidth=width)
    thead = nodes.thead()
    tgroup += thead
    head = nodes.row()
    for header in headers:
        head += _cell(header)
    thead += head
    tbody = nodes.tbody()
    tgroup += tbody
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += _cell(cell)
        tbody += row
    return table


def check_codes_table() -> nodes.table:
    """Code, name with its Sphinx warning type, severity, and the description with an example."""
    from sphinx_tc_ext.core.codes import CODES

    rows = []
    for code in CODES:
        warning = f"{WARNING_TYPE}.{code.subtype}"
        name = [nodes.paragraph("", code.name), nodes.paragraph("", "", nodes.literal(warning, warning))]
        description = [nodes.paragraph("", code.description),
                       nodes.literal_block(code.example, code.example, language="text")]  # fragments: no lexer
        rows.append([nodes.literal(code.code, code.code), name, code.severity, description])
    return make_table(["Code", "Name and Sphinx warning", "Severity", "Description and example"], rows,
                      [8, 18, 9, 65], classes=["tc-check-codes"])


def schema_table() -> nodes.table:
    rows = []
    for field in FIELDS:
        where = "standard BibTeX" if field.standard else "survey"
        if field.name in SITE_ONLY_FIELDS:
            where += " (not in copied BibTeX)"
        rows.append([nodes.literal(field.name, field.name), field.kind, where, field.description])
    return make_table(["Field", "Kind", "Known to", "Description"], rows, [12, 8, 16, 64],
                      title="Fields of the bib schema", classes=["tc-field-reference"])


def facet_tables(taxonomy) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for facet in taxonomy.facets:
        how = ("several values, comma-separated" if facet.multi else "one value") + \
              (", required" if facet.required else ", optional")
        title: list[nodes.Node] = [nodes.Text(f"{facet.label}: field "), nodes.literal(facet.field, facet.field),
                                   nodes.Text(f" ({how})")]
        rows = []
        for value in facet.values:
            aliases = ", ".join(value.aliases)
            rows.append([nodes.literal(value.id, value.id), value.label, aliases, value.description])
        table = make_table(["Value", "Label", "Also accepted", "Description"], rows, [16, 18, 18, 48],
                           title=title, classes=["tc-facet-reference"])
        if facet.description:
            out.append(nodes.paragraph("", "", nodes.strong("", facet.label), nodes.Text(": " + facet.description)))
        out.append(table)
    return out


def warning_types_table() -> nodes.table:
    rows = [[nodes.literal(f"{WARNING_TYPE}.{name}", f"{WARNING_TYPE}.{name}"), text]
            for name, text in WARNING_SUBTYPES.items()]
    return make_table(["Warning type", "Meaning"], rows, [20, 80], classes=["tc-warning-types"])


class CheckCodesDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        return [check_codes_table()]


class FieldReferenceDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        taxonomy = get_taxonomy(self.config)
        self.env.note_dependency(str(taxonomy.path))
        return [schema_table(), *facet_tables(taxonomy)]


class WarningTypesDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        return [warning_types_table()]


DIRECTIVES = {
    "tc-check-codes": CheckCodesDirective,
    "tc-field-reference": FieldReferenceDirective,
    "tc-warning-types": WarningTypesDirective,
}


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives; safe to call twice (from the package's setup and as an extension)."""
    for name, directive in DIRECTIVES.items():
        if not is_directive_registered(name):
            app.add_directive(name, directive)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
