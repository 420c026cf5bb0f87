"""``tc-stats``: charts drawn at build time from the bib, each with its numbers in a table beside it.

Charts are SVG files made with matplotlib (no scripts, no web fonts: text is
drawn as paths) and written next to the page's assets; the table is the text
alternative and what non-HTML builders show.  Counts are computed at read time
and tracked like a table's selection, so they follow edits of the bib.

.. code-block:: rst

   .. tc-stats:: quarterly
      :facet: area = image, video, audio
"""

from __future__ import annotations

import io
import posixpath
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging

from sphinx_tc_ext.cache.digest import digest
from sphinx_tc_ext.core.counts import CHARTS, compute_stats
from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.sphinx.config import WARNING_TYPE, get_bibliography, get_taxonomy, tc_config
from sphinx_tc_ext.sphinx.html import el, table_node, text
from sphinx_tc_ext.sphinx.nodes import tc_stats
from sphinx_tc_ext.sphinx.selection import STATS, SelectionDirective, stats_digest

logger = logging.getLogger(__name__)


class StatsDirective(SelectionDirective):
    kind = STATS
    required_arguments = 1
    option_spec = {"facet": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        self.note_taxonomy_dependency()
        options = {"chart": self.arguments[0].strip(), "facet": self.options.get("facet", "")}
        try:
            if options["chart"] not in CHARTS:
                raise FilterError(f"unknown chart {options['chart']!r}; use one of: {', '.join(CHARTS)}")
            taxonomy = get_taxonomy(self.config)
            bib = get_bibliography(self.config)
            data = compute_stats(bib, taxonomy, options)
        except FilterError as exc:
            return self.bad_options(exc)
        node = tc_stats()
        node["data"] = data
        self.set_source_info(node)
        self.record("stats", options, (), stats_digest(data))
        return [node]


def table_of(header: list[str], rows: list[list], caption: str) -> nodes.table:
    return table_node([header, *rows], caption, ["tc-stats-table"])


def draw_svg(data: dict) -> str:
    """Render the chart as SVG text; deterministic (no date, fixed hash salt)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "sphinx-tc-ext", "svg.fonttype": "path", "font.size": 9})
    labels = [str(r[0]) for r in data["rows"]]
    series = data["header"][1:]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    palette = ["#6f42c1", "#0b7285", "#b45309", "#15803d", "#be123c", "#1d4ed8", "#4b5563"]
    positions = list(range(len(labels)))  # positions, not strings: labels like "2025" stay labels
    if data["kind"] == "stacked":
        bottoms = [0] * len(labels)
        for i, name in enumerate(series):
            values = [r[i + 1] for r in data["rows"]]
            ax.bar(positions, values, bottom=bottoms, label=name, color=palette[i % len(palette)])
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        ax.set_xticks(positions, labels, rotation=45, ha="right")
        ax.legend(frameon=False)
    else:
        values = [r[1] for r in data["rows"]]
        ax.barh(positions, values[::-1], color=palette[0])
        ax.set_yticks(positions, labels[::-1])
        ax.set_xlabel("Papers")
    ax.set_title(data["title"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()


def render_stats(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: a figure (HTML only) and the table of numbers."""
    for number, node in enumerate(list(doctree.findall(tc_stats)), start=1):
        data = node["data"]
        replacement: list[nodes.Node] = []
        if app.builder.format == "html":
            replacement.append(_figure(app, docname, data, number))
        if data.get("note"):  # papers the chart leaves out are said, under the chart, not silently lost
            replacement.append(nodes.paragraph(data["note"], data["note"], classes=["tc-stats-note"]))
        table = table_of(data["header"], data["rows"], data["title"])
        doctree.set_id(table)  # a captioned table needs an id (numfig)
        replacement.append(table)
        node.replace_self(replacement)


def mathtext_error(label: str) -> str | None:
    """Why matplotlib cannot typeset ``label`` (a ``$...$`` formula it does not know), or None when it can."""
    from matplotlib import cbook
    from matplotlib.mathtext import MathTextParser

    if not cbook.is_math_text(label):
        return None
    try:
        MathTextParser("path").parse(label)
    except ValueError as exc:  # matplotlib's parser error: the last line says what it did not know
        reason = str(exc).strip().splitlines()[-1]
        return re.sub(r"^\w+Exception: |, found .*$", "", reason).strip() or "not a formula it knows"
    return None


def plain_labels(data: dict) -> tuple[dict, dict[str, str]]:
    """The chart's data with each text matplotlib cannot typeset made plain (``$`` escaped), and why each failed.

    A taxonomy label such as ``$\\undefinedmacro$`` would otherwise stop the build
    with matplotlib's traceback; drawn as plain text, the chart is still right.
    """
    texts = {data["title"], *map(str, data["header"]), *(str(row[0]) for row in data["rows"])}
    bad = {t: reason for t in texts if "$" in t and (reason := mathtext_error(t))}
    if not bad:
        return data, bad

    def plain(value):
        return value.replace("$", r"\$") if isinstance(value, str) and value in bad else value

    fixed = dict(data, title=plain(data["title"]), header=[plain(h) for h in data["header"]],
                 rows=[[plain(row[0]), *row[1:]] for row in data["rows"]])
    return fixed, bad


def _warn_labels(app: Sphinx, bad: dict[str, str]) -> None:
    """One ``tc.taxonomy`` warning per taxonomy label in ``bad``, at its line in the taxonomy file."""
    taxonomy = get_taxonomy(app.config)
    shown = tc_config(app).shown_taxonomy
    for facet in taxonomy.facets:
        for value_id, label, name in [(None, facet.label, f"facet '{facet.id}'"),
                                      *((v.id, v.label, f"value {facet.id}:{v.id}") for v in facet.values)]:
            if "$" not in label or not any(label in t or label.lower() in t for t in bad):
                continue
            reason = mathtext_error(label) or mathtext_error(label.lower()) or "not a formula it knows"
            logger.warning(f"label '{label}' of {name} cannot be typeset by matplotlib ({reason}); the tc-stats "
                           "chart shows it as plain text: fix the formula, or write \\$ for a dollar sign",
                           location=f"{shown}:{taxonomy.key_line(facet.id, value_id)}", type=WARNING_TYPE,
                           subtype="taxonomy", once=True)


def _figure(app: Sphinx, docname: str, data: dict, number: int) -> nodes.Node:
    try:
        data, bad = plain_labels(data)
        if bad:
            _warn_labels(app, bad)
        svg = draw_svg(data)
    except ImportError:
        logger.warning("tc-stats: matplotlib is not installed, so only the table is shown; "
                       "pip install matplotlib", type=WARNING_TYPE, subtype="config", once=True)
        return nodes.container()
    except ValueError as exc:  # a text matplotlib still refuses: the table below has the numbers
        logger.warning(f"tc-stats: the chart {data['title']!r} could not be drawn ({exc}); only its table is "
                       "shown", location=docname, type=WARNING_TYPE, subtype="taxonomy")
        return nodes.container()
    # One file per chart slot of a page, overwritten when the data changes (no stale files
    # pile up); the content hash in the query keeps browser caches honest.
    name = f"{re.sub(r'[^A-Za-z0-9_-]', '-', docname)}-{number}.svg"
    target = Path(app.outdir, "_static", "tc-stats", name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != svg:
        target.write_text(svg, encoding="utf-8")
    page_dir = posixpath.dirname(app.builder.get_target_uri(docname))
    version = digest(svg, 10)
    src = posixpath.relpath(f"_static/tc-stats/{name}", page_dir or ".") + f"?v={version}"
    summary = "; ".join(f"{r[0]}: {', '.join(str(v) for v in r[1:])}" for r in data["rows"])
    figure = el("figure", classes=["tc-chart"])
    figure += el("img", src=src, alt=f"{data['title']}. {summary}"[:1000],
                 loading="lazy")
    figure += el("figcaption", text(data["title"] + " (numbers in the table below)"))
    return figure
