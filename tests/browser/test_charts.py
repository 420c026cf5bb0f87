"""The ``tc-stats`` charts in a real browser (issue 18): dark mode, no background, 390 px.

The test root's ``overview`` page holds three charts (inline SVG, ``sphinx/svgchart.py``).
"""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="Playwright is not installed")

pytestmark = pytest.mark.browser

# For each chart: the backgrounds of the svg and the figure, the colours of its texts, the page's
# text and background colours, and the fill of its first bar.
CHART_COLOURS_JS = """() => [...document.querySelectorAll('figure.tc-chart')].map(fig => {
  const svg = fig.querySelector('svg'), css = el => getComputedStyle(el);
  return {
    svgBackground: css(svg).backgroundColor, figureBackground: css(fig).backgroundColor,
    textFills: [...new Set([...svg.querySelectorAll('text')].map(t => css(t).fill))],
    bodyColour: css(document.body).color, bodyBackground: css(document.body).backgroundColor,
    barFill: css(svg.querySelector('rect')).fill,
  };
})"""
TRANSPARENT = "rgba(0, 0, 0, 0)"


def luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ratio(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("how", ["prefers-color-scheme", "theme switch", "light"])
def test_charts_follow_the_theme(new_context, furo_site, how):
    context = new_context(color_scheme="dark" if how == "prefers-color-scheme" else "light")
    if how == "theme switch":
        context.add_init_script("localStorage.setItem('theme', 'dark')")
    page = context.new_page()
    page.goto(furo_site + "overview.html")
    charts = page.evaluate(CHART_COLOURS_JS)
    assert len(charts) == 3
    for chart in charts:
        assert chart["svgBackground"] == TRANSPARENT and chart["figureBackground"] == TRANSPARENT
        assert chart["textFills"] == [chart["bodyColour"]]  # currentColor: the theme's text colour
        assert ratio(chart["barFill"], chart["bodyBackground"]) >= 3  # bars stand out (WCAG graphics)
    dark = luminance(charts[0]["bodyBackground"]) < 0.05
    assert dark == (how != "light")
    assert (luminance(charts[0]["bodyColour"]) > 0.5) == dark  # light text on dark, dark on light


def test_charts_are_readable_at_390px(new_context, site, furo_site):
    for base in (site, furo_site):
        page = new_context(viewport={"width": 390, "height": 800}).new_page()
        page.goto(base + "overview.html")
        for svg in page.locator("figure.tc-chart svg").all():
            box = svg.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # (the page's tc-matrix may scroll)
            label = svg.locator("text").first.bounding_box()
            assert label and label["height"] >= 10, label  # text drawn at 10 px or more
        assert page.locator("table.tc-stats-table").count() == 3  # the numbers stay


def test_charts_turn_dark_without_javascript(new_context, furo_site):
    """furo sets ``data-theme`` from a script; without it the dark preference alone must do."""
    page = new_context(java_script_enabled=False, color_scheme="dark").new_page()
    page.goto(furo_site + "overview.html")
    charts = page.evaluate(CHART_COLOURS_JS)
    assert luminance(charts[0]["bodyBackground"]) < 0.05
    for chart in charts:
        assert chart["svgBackground"] == TRANSPARENT and chart["textFills"] == [chart["bodyColour"]]
        assert ratio(chart["barFill"], chart["bodyBackground"]) >= 3
