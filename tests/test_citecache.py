"""sphinxcontrib-bibtex keeps its formatted citations when nothing they depend on changed (``citecache.py``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sphinxcontrib.bibtex.domain import BibtexDomain

from tc_testing import read

TITLE = "when tokens talk too much"  # as pybtex's plain style writes titles


@pytest.fixture
def formatted(monkeypatch) -> list[int]:
    """Counts the runs of sphinxcontrib-bibtex's own ``env_updated`` (the formatting of every citation)."""
    calls: list[int] = []
    real = BibtexDomain.env_updated

    def counting(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(BibtexDomain, "env_updated", counting)
    return calls


def rebuild(make_app, src: Path, **confoverrides):
    app = make_app("html", srcdir=src, confoverrides=confoverrides)
    app.build()
    app.cleanup()
    return app


def tooltip(app) -> str:
    """The tooltip of the index page's citation of the survey."""
    found = re.search(r'class="[^"]*tc-cite[^"]*"[^>]*title="([^"]*)"', read(app.outdir / "index.html"))
    return found.group(1).lower() if found else ""


def pages(outdir: Path) -> dict[str, str]:
    return {str(p.relative_to(outdir)): re.sub(r"\bid\d+\b", "idN", read(p)) for p in sorted(outdir.rglob("*.html"))}


def test_nothing_changed_nothing_formatted(copy_root, make_app, formatted):
    src = copy_root()
    first = rebuild(make_app, src)
    assert formatted == [1] and TITLE in tooltip(first)
    before = pages(first.outdir)
    again = rebuild(make_app, src)
    assert formatted == [1]  # kept: no page read, same bib file, same options
    assert pages(again.outdir) == before
    assert type(again.env.get_domain("cite")).__module__ == "sphinx_tc_ext.sphinx.bibtex.citecache"


def test_an_edited_citation_is_formatted_again(copy_root, make_app, formatted):
    src = copy_root()
    rebuild(make_app, src)
    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("When Tokens Talk Too Much", "Tokens Renamed"), encoding="utf-8")
    app = rebuild(make_app, src)
    assert len(formatted) == 2
    assert "tokens renamed" in tooltip(app).lower()
    clean = src.parent / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    assert pages(app.outdir) == pages(rebuild(make_app, clean).outdir)


def test_a_changed_bibtex_option_is_formatted_again(copy_root, make_app, formatted):
    """bibtex_tooltips is an "html" option: changing it reads no page, yet the citations change."""
    src = copy_root()
    rebuild(make_app, src)
    app = rebuild(make_app, src, bibtex_tooltips=False)
    assert len(formatted) == 2
    assert tooltip(app) == "" and "tc-cite" in read(app.outdir / "index.html")  # still linked to the card


def test_an_added_page_formats_again(copy_root, make_app, formatted):
    src = copy_root()
    rebuild(make_app, src)
    (src / "extra.md").write_text("# Extra\n\nAlso {cite:p}`shao2025tokens`.\n", encoding="utf-8")
    with (src / "index.rst").open("a", encoding="utf-8") as f:
        f.write("\n.. toctree::\n   :hidden:\n\n   extra\n")
    app = rebuild(make_app, src)
    assert len(formatted) == 2
    assert TITLE in read(app.outdir / "extra.html").lower()


def test_switched_off(copy_root, make_app, formatted):
    src = copy_root()
    rebuild(make_app, src, tc_keep_citations=False)
    app = rebuild(make_app, src, tc_keep_citations=False)
    assert formatted == [1, 1]
    assert type(app.env.get_domain("cite")) is BibtexDomain



@pytest.fixture
def entries_formatted(monkeypatch) -> list[str]:
    """The keys pybtex's styles format, once per call (the bibliography entry and each tooltip)."""
    from pybtex.style.formatting import BaseStyle

    calls: list[str] = []
    real = BaseStyle.format_entry

    def counting(self, label, entry, *args, **kwargs):
        calls.append(entry.key)
        return real(self, label, entry, *args, **kwargs)

    monkeypatch.setattr(BaseStyle, "format_entry", counting)
    return calls


@pytest.mark.parametrize(("style", "tooltips_style"), [("alpha", ""), ("plain", "plain")])
def test_each_entry_is_formatted_once_with_the_same_tooltips(copy_root, make_app, entries_formatted, style,
                                                            tooltips_style):
    """A tooltip in the bibliography's own style is the formatted entry: the pages are those of formatting twice."""
    once = rebuild(make_app, copy_root(), bibtex_default_style=style, bibtex_tooltips_style=tooltips_style)
    keys = list(entries_formatted)
    assert keys and len(keys) == len(set(keys)) and TITLE in tooltip(once)
    entries_formatted.clear()
    twice = rebuild(make_app, copy_root(dest="twice"), tc_keep_citations=False, bibtex_default_style=style,
                    bibtex_tooltips_style=tooltips_style)
    assert sorted(entries_formatted) == sorted(keys * 2)  # sphinxcontrib-bibtex alone formats each twice
    assert pages(once.outdir) == pages(twice.outdir)


def test_another_tooltip_style_is_formatted_on_its_own(copy_root, make_app, entries_formatted):
    app = rebuild(make_app, copy_root(), bibtex_tooltips_style="plain")  # the bibliography's is "alpha"
    assert len(entries_formatted) == 2 * len(set(entries_formatted)) and TITLE in tooltip(app)


def test_the_plaintext_backend_is_looked_up_once(copy_root, make_app, monkeypatch):
    """pybtex scans every distribution's entry points per lookup; after the first build no citation does."""
    import pybtex.plugin

    rebuild(make_app, copy_root())
    plaintext = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")

    def no_scan(*args, **kwargs):
        raise AssertionError(f"entry points scanned for {kwargs}")

    monkeypatch.setattr(pybtex.plugin, "entry_points", no_scan)
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext") is plaintext
    assert plaintext.__module__ == "pybtex.backends.plaintext"
