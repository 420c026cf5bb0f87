"""Bar charts as inline SVG text, drawn without a plotting library.

The ``tc-stats`` charts are horizontal bars (a ``share``) or horizontal stacked bars
(``quarterly``, ``code``): one row per label, so a chart grows downwards and stays
readable on a 390 px phone, where vertical bars would squeeze their labels.
Importing and running matplotlib was most of the real site's extension cost
(issue 19); this is string formatting, a millisecond per chart.

Colours follow the page: text and axis are ``currentColor`` (furo's foreground in
light and dark mode), bars take ``--tc-chart-1`` ... ``--tc-chart-7`` from ``tc.css``
(with a light fallback as the ``fill`` attribute), and there is no background, so
the page's shows through.  Every text is escaped; the output depends on the data
alone (no ids, dates or random salts), so ``-j 2`` and incremental builds give the
same bytes.
"""

from __future__ import annotations

from html import escape

#: Light-mode fallbacks of ``--tc-chart-N`` (tc.css overrides them, dark mode included).
PALETTE = ("#6f42c1", "#0b7285", "#b45309", "#15803d", "#be123c", "#1d4ed8", "#4b5563")
WIDTH = 400
FONT = 13
CHAR = 0.56 * FONT  # average advance of a sans-serif character: enough to lay out labels
ROW = 21
BAR = 13
GAP = 6
VALUE_ROOM = 6 * CHAR  # the total written after each bar


def _text_width(value: str) -> float:
    return len(value) * CHAR


def _fit(label: str, room: float) -> str:
    """``label`` cut with an ellipsis to ``room`` (the full text is in the row's tooltip and the table)."""
    fits = max(int(room / CHAR), 4)
    return label if len(label) <= fits else label[:fits - 1].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _legend(series: list[str], top: float) -> tuple[list[str], float]:
    """Legend items flowing over as many lines as they need; returns the parts and the next free y."""
    parts: list[str] = []
    x, y = 0.0, top
    for i, name in enumerate(series):
        shown = _fit(name, WIDTH - 20)
        width = 16 + _text_width(shown) + 14
        if x and x + width > WIDTH:
            x, y = 0.0, y + ROW
        colour = i % len(PALETTE)
        parts.append(f'<rect class="tc-chart-s{colour + 1}" fill="{PALETTE[colour]}" x="{_num(x)}" '
                     f'y="{_num(y + 5)}" width="11" height="11"/>'
                     f'<text x="{_num(x + 16)}" y="{_num(y + 15)}">{escape(shown)}</text>')
        x += width
    return parts, (y + ROW + GAP if series else top)


def render_svg(data: dict, label: str) -> str:
    """The chart of ``data`` (``kind``, ``header``, ``rows`` from :func:`compute_stats`) as an ``<svg>`` element.

    ``label`` is its accessible name (the title and the numbers).
    """
    stacked = data["kind"] == "stacked"
    series = [str(name) for name in data["header"][1:]] if stacked else [str(data["header"][1])]
    rows = [(str(row[0]), [int(v) for v in (row[1:1 + len(series)] if stacked else row[1:2])])
            for row in data["rows"]]
    parts: list[str] = []
    top = 0.0
    if stacked:
        legend, top = _legend(series, 0)
        parts += legend
    longest = max((_text_width(name) for name, _values in rows), default=0)
    label_room = min(longest + 8, WIDTH * 0.4)
    left = label_room + 4
    scale_room = WIDTH - left - VALUE_ROOM
    biggest = max((sum(values) for _name, values in rows), default=0) or 1
    for index, (name, values) in enumerate(rows):
        y = top + index * ROW
        total = sum(values)
        tip = ", ".join(f"{s} {v}" for s, v in zip(series, values, strict=True)) if stacked else str(total)
        row = [f"<g><title>{escape(name)}: {escape(tip)}</title>",
               f'<text x="{_num(label_room)}" y="{_num(y + 15)}" text-anchor="end">{escape(_fit(name, label_room - 8))}'
               "</text>"]
        x = left
        for i, value in enumerate(values):
            if not value:
                continue
            width = value / biggest * scale_room
            colour = i % len(PALETTE)
            row.append(f'<rect class="tc-chart-s{colour + 1}" fill="{PALETTE[colour]}" x="{_num(x)}" '
                       f'y="{_num(y + (ROW - BAR) / 2)}" width="{_num(width)}" height="{BAR}"/>')
            x += width
        row.append(f'<text x="{_num(x + 4)}" y="{_num(y + 15)}" class="tc-chart-value">{total}</text></g>')
        parts.append("".join(row))
    bottom = top + len(rows) * ROW
    parts.append(f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(bottom)}" '
                 'stroke="currentColor" stroke-opacity="0.5"/>')
    height = bottom + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="tc-chart-svg" role="img" '
            f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {_num(height)}" width="{WIDTH}" '
            f'height="{_num(height)}" fill="currentColor" font-size="{FONT}" font-family="sans-serif">'
            + "".join(parts) + "</svg>")
