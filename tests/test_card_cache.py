"""The per-page card cache (``doctreedir/tc-cards``): reused only when every input matches."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import time
from pathlib import Path

import pytest

import synth
from sphinx_tc_ext.cache.card_cache import CARD_CACHE_DIR, read_card_file
from sphinx_tc_ext.cache.digest import code_digest, digest
from sphinx_tc_ext.sphinx import cards
from tc_testing import read

CARD = re.compile(r'<article class="tc-card[^"]*".*?</article>', re.S)


def touch_later(path: Path) -> None:
    later = time.time() + 2
    os.utime(path, (later, later))


def edit_title(srcdir: Path, key: str, marker: str) -> None:
    bib = srcdir / "refs" / "survey.bib"
    text = read(bib)
    start = text.index("{" + key + ",")
    m = re.compile(r"title\s*=\s*\{", re.I).search(text, start)
    bib.write_text(text[:m.end()] + marker + text[m.end():], encoding="utf-8")
    touch_later(bib)


@pytest.fixture
def counted_cards(monkeypatch):
    """Keys of the papers whose card markup is built (not taken from a page's cache)."""
    return count_builds(monkeypatch, "card_markup")


def count_builds(monkeypatch, name: str) -> list[str]:
    """Wrap ``cards.<name>`` (a markup builder taking ``ctx, paper, ...``) to list the keys it builds."""
    built: list[str] = []
    original = getattr(cards, name)

    def counting(ctx, paper, *args, **kwargs):
        built.append(paper.key)
        return original(ctx, paper, *args, **kwargs)

    monkeypatch.setattr(cards, name, counting)
    return built


def cards_of(outdir: Path) -> dict[str, list[str]]:
    return {str(p.relative_to(outdir)): CARD.findall(read(p)) for p in sorted(outdir.rglob("*.html"))}


def test_cache_files_are_written_per_page(copy_root, build):
    app = build(copy_root())
    cached = {p.relative_to(Path(app.doctreedir, CARD_CACHE_DIR, "html")).as_posix()
              for p in Path(app.doctreedir, CARD_CACHE_DIR).rglob("*.pickle")}
    pages_with_cards = {name.removesuffix(".html") + ".pickle" for name, cards in cards_of(app.outdir).items()
                        if cards}
    assert pages_with_cards and cached == pages_with_cards


def test_editing_one_entry_builds_only_its_cards_again(copy_root, build, counted_cards):
    src = copy_root()
    build(src)
    assert len(set(counted_cards)) == 5  # the first build builds every paper's card (5 in the test bib)
    counted_cards.clear()
    edit_title(src, "yeo2025mms", "Edited ")
    app = build(src)
    assert set(counted_cards) == {"yeo2025mms"}
    shown = [card for cards in cards_of(app.outdir).values() for card in cards if 'data-key="yeo2025mms"' in card]
    assert shown and all(">Edited " in card for card in shown)


def test_an_edit_that_moves_every_entry_below_builds_only_its_own_card(copy_root, build, counted_cards):
    """Entries are ordered newest first: an edit near the top shifts the lines of all the others."""
    src = copy_root()
    build(src)
    counted_cards.clear()
    bib = src / "refs" / "survey.bib"
    text = read(bib)
    first = re.search(r"^@(?!comment|string|preamble)\w+\{([^,]+),", text, re.M | re.I).group(1)
    bib.write_text(text.replace("title = {", "title = {Edited\n  ", 1), encoding="utf-8")  # one line more
    touch_later(bib)
    app = build(src)
    assert set(counted_cards) == {first}
    clean = src.parent / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    assert cards_of(app.outdir) == cards_of(build(clean).outdir)


def test_cached_cards_equal_fresh_ones_after_edits(copy_root, build, tmp_path):
    """Incremental builds reuse cached cards; a clean build of the same sources builds them all."""
    src = copy_root()
    build(src)
    edit_title(src, "yeo2025mms", "Edited ")
    (src / "sections.rst").write_text(read(src / "sections.rst") + "\nMore text citing :cite:p:`yeo2025mms`.\n",
                                      encoding="utf-8")
    incremental = build(src)
    clean_src = tmp_path / "clean"
    shutil.copytree(src, clean_src, ignore=shutil.ignore_patterns("_build"))
    clean = build(clean_src)
    assert cards_of(incremental.outdir) == cards_of(clean.outdir)


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_damaged_cache_files_are_ignored(copy_root, build, counted_cards, damage):
    src = copy_root()
    first = build(src)
    expected = cards_of(first.outdir)
    for path in Path(first.doctreedir, CARD_CACHE_DIR).rglob("*.pickle"):
        path.write_bytes(damage)
    counted_cards.clear()
    (src / "papers.rst").write_text(read(src / "papers.rst") + "\n", encoding="utf-8")  # re-write that page
    touch_later(src / "papers.rst")
    again = build(src, freshenv=True)
    assert counted_cards  # built again instead of read from the damaged files
    assert cards_of(again.outdir) == expected


def test_cards_saved_by_other_code_are_built_again(copy_root, build, counted_cards):
    """Cards are saved with the digest of all the code that shapes output, not of the card module alone:
    ``core/bibmodel.py`` writes the BibTeX on every card, and a change there must not serve old cards."""
    src = copy_root()
    first = build(src)
    expected = cards_of(first.outdir)
    files = list(Path(first.doctreedir, CARD_CACHE_DIR).rglob("*.pickle"))
    assert files
    for path in files:
        saved = read_card_file(path)
        assert saved["code"] == code_digest()
        path.write_bytes(pickle.dumps({**saved, "code": digest("other code")}))
    counted_cards.clear()
    (src / "papers.rst").write_text(read(src / "papers.rst") + "\n", encoding="utf-8")  # re-write that page
    touch_later(src / "papers.rst")
    again = build(src, freshenv=True)
    assert counted_cards  # built again, not read from files another version of the code wrote
    assert cards_of(again.outdir) == expected


def test_options_that_change_cards_invalidate_the_cache(copy_root, build):
    src = copy_root()
    folded = cards_of(build(src, confoverrides={"tc_authors_shown": 1}).outdir)
    assert "tc-more-authors" in "".join(c for cards in folded.values() for c in cards)
    unfolded = cards_of(build(src, confoverrides={"tc_authors_shown": 50}).outdir)
    clean = cards_of(build(copy_root(dest="clean"), confoverrides={"tc_authors_shown": 50}).outdir)
    assert "tc-more-authors" not in "".join(c for cards in unfolded.values() for c in cards)
    assert unfolded == clean


def test_a_few_new_cards_do_not_rewrite_a_large_page_cache(copy_root, build):
    """After editing one of 100 entries the papers page's cache file is kept (one card is cheaper
    to build again than 100 to write); the output still equals a clean build's, edit after edit."""
    src = copy_root()
    bib = src / "refs" / "survey.bib"
    text, _keys = synth.grow(100, seed=bib)
    bib.write_text(text, encoding="utf-8")
    first = build(src)
    papers_cache = Path(first.doctreedir, CARD_CACHE_DIR, "html", "papers.pickle")
    stamp = papers_cache.stat().st_mtime_ns
    for key, marker in (("yeo2025mms", "Edited "), ("shao2025tokens", "Again ")):
        edit_title(src, key, marker)
        incremental = cards_of(build(src).outdir)
        assert papers_cache.stat().st_mtime_ns == stamp
        clean_src = copy_root(dest=f"clean-{key}")
        shutil.copy2(bib, clean_src / "refs" / "survey.bib")
        assert incremental == cards_of(build(clean_src).outdir)
        assert any(marker in card for card in incremental["papers.html"])


def test_grids_are_in_place_for_every_html_builder(copy_root, build):
    """Cards are put in after Sphinx's debug repr of the page context; no builder is left with a marker."""
    src = copy_root()
    for builder in ("html", "dirhtml", "singlehtml", "json"):
        app = build(src, builder)
        outputs = [p for p in Path(app.outdir).rglob("*") if p.suffix in (".html", ".fjson")]
        text = "".join(read(p) for p in outputs)
        assert "<!--tc-cards" not in text, builder
        assert 'data-key="zeng2025glimpse"' in text.replace('\\"', '"'), builder


def test_repeat_cards_come_from_the_cache_and_follow_edits(copy_root, build, monkeypatch, tmp_path):
    """A paper shown in several groups gets one full card and repeats; repeats are cached like cards."""
    built = count_builds(monkeypatch, "repeat_card_markup")
    src = copy_root()
    build(src)
    repeated = sorted(set(built))
    assert repeated  # the test bib has papers in two groups of one table
    built.clear()
    edit_title(src, repeated[0], "Edited ")
    app = build(src)
    assert set(built) == {repeated[0]}
    clean_src = tmp_path / "clean"
    shutil.copytree(src, clean_src, ignore=shutil.ignore_patterns("_build"))
    assert cards_of(app.outdir) == cards_of(build(clean_src).outdir)
    assert any("tc-repeat" in card and ">Edited " in card for cards in cards_of(app.outdir).values()
               for card in cards)


@pytest.mark.parametrize("linked", [True, False])
def test_memoized_badges_are_the_badges_elements(linked):
    """badges_markup joins memoized badges; the bytes must be html_badges' for every paper of the survey."""
    from types import SimpleNamespace

    from sphinx_tc_ext.core.bibread import parse_bib_text
    from sphinx_tc_ext.core.taxonomy import load_taxonomy
    from tc_testing import REPO

    taxonomy = load_taxonomy(REPO / "refs" / "taxonomy.toml")
    bib = parse_bib_text(read(REPO / "refs" / "survey.bib"), "survey.bib", taxonomy)
    sections = {value.section for facet in taxonomy.facets for value in facet.values if value.section}
    uris = {label: f"areas/{label}.html#{label}" for label in sorted(sections)[::2]} if linked else {}
    ctx = SimpleNamespace(bib=bib, taxonomy=taxonomy, section_uris=uris, badges=None)
    for paper in [*bib.papers.values(), *bib.papers.values()]:  # the second round from the memo
        out: list[str] = []
        cards.html_badges(ctx, paper).write(out)
        assert cards.badges_markup(ctx, paper) == "".join(out), paper.key
    assert any('href="' in markup for markup in ctx.badges.values()) == linked
