"""One bad spot never hides a good entry: ``check``, ``export-json`` and the site keep every valid entry.

Valid entries are mixed with junk lines, stray ``@`` text, bytes that are not UTF-8, ``%``
comments, ``@comment`` and entries with unbalanced braces; each problem must be reported at
its own line and none on a valid entry.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from sphinx_tc_ext.cli import export as export_cli
from sphinx_tc_ext.core import lint
from sphinx_tc_ext.core.model import plain_anchor
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import ROOTS

TAXONOMY_FILE = ROOTS / "test-survey" / "refs" / "taxonomy.toml"
TAXONOMY = load_taxonomy(TAXONOMY_FILE)


def entry(key: str, n: int) -> str:
    """A clean entry: ``check`` finds nothing in it, and no two share a title, arXiv id or link."""
    return (f"@inproceedings{{{key},\n  title = {{Token Pruning Study Number {n}}},\n"
            f"  author = {{Shang, Yuzhang and Cai, Mu}},\n  year = {{2025}},\n"
            f"  booktitle = {{Proceedings of ICCV}},\n  eprint = {{2403.{15000 + n:05d}}},\n"
            f"  archiveprefix = {{arXiv}},\n  url = {{https://arxiv.org/abs/2403.{15000 + n:05d}}},\n"
            f"  areas = {{image}},\n  categories = {{attention}},\n  cost = {{training-free}},\n"
            f"  shortvenue = {{ICCV 2025}},\n  added = {{2025-07-29}},\n}}\n")


#: Junk between entries: (bytes, check code expected at its line or None, whether it swallows what follows).
JUNK: list[tuple[bytes, str | None, bool]] = [
    (b"Maintainer: someone@example.org (ping me)", "TC174", False),
    (b"@ a stray at sign at the start of a line", "TC174", False),
    (b"see x@misc{y, title = {z}} for details", "TC174", False),
    (b"% a comment with mail@example.org in it", None, False),
    (b"@comment{anything @ here, even {braces}}", None, False),
    (b"plain text that BibTeX ignores", None, False),
    (b"stray closing } and opening { braces", None, False),
    (b"r\xe9sum\xe9 written in Latin-1", "TC173", False),
    (b"@misc{unbalanced,\n  title = {never closed,", "TC102", True),
]


@dataclass
class Mixed:
    data: bytes
    valid: dict[str, tuple[int, int]]  # key -> (first line, last line)
    expected: list[tuple[int, str]]  # (line, code) that must be reported


@st.composite
def mixed_bibs(draw) -> Mixed:
    pieces = draw(st.lists(st.one_of(st.none(), st.sampled_from(range(len(JUNK)))), min_size=1, max_size=10))
    parts: list[bytes] = []
    valid: dict[str, tuple[int, int]] = {}
    expected: list[tuple[int, str]] = []
    line, swallowing = 1, False
    for n, piece in enumerate(pieces):
        if piece is None:
            text = entry(f"paper{n}", n).encode()
            valid[f"paper{n}"] = (line, line + text.count(b"\n") - 1)
            swallowing = False
        else:
            text, code, swallows = JUNK[piece]
            text += b"\n"
            if code == "TC173" or (code and not swallowing):  # bytes are checked everywhere, '@' only between
                expected.append((line, code))
            swallowing = swallowing or swallows
        parts.append(text)
        line += text.count(b"\n")
    return Mixed(b"".join(parts), valid, expected)


def run_cli(register, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def assert_reported(problems: list[tuple[int, str]], mixed: Mixed) -> None:
    """Each expected problem at its line, and none inside a valid entry."""
    for line, code in mixed.expected:
        assert (line, code) in problems, (line, code, problems)
    for key, (first, last) in mixed.valid.items():
        blamed = [p for p in problems if first <= p[0] <= last]
        assert not blamed, (key, blamed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mixed=mixed_bibs())
def test_check_and_export_keep_every_valid_entry(mixed, tmp_path, capsys):
    bib = tmp_path / "mixed.bib"
    bib.write_bytes(mixed.data)
    problems = lint.check_paths([str(bib)], TAXONOMY)
    assert_reported([(p.line, p.code) for p in problems], mixed)
    out = tmp_path / "mixed.json"
    capsys.readouterr()
    status = run_cli(export_cli.register, ["export-json", str(bib), "-o", str(out), "--taxonomy", str(TAXONOMY_FILE)])
    if mixed.valid:
        assert status == 0, capsys.readouterr().err
        assert {item["id"] for item in json.loads(out.read_text(encoding="utf-8"))} == set(mixed.valid)
    err = capsys.readouterr().err
    for line, _code in mixed.expected:
        assert f"mixed.bib:{line}: " in err


# -- the site ----------------------------------------------------------------------------


def make_root(root: Path, data: bytes, index: str = "") -> Path:
    (root / "refs").mkdir(parents=True, exist_ok=True)
    shutil.copy(TAXONOMY_FILE, root / "refs" / "taxonomy.toml")
    (root / "refs" / "survey.bib").write_bytes(data)
    (root / "conf.py").write_text('extensions = ["sphinx_tc_ext"]\nproject = "mixed"\n'
                                  'tc_bib_file = "refs/survey.bib"\nexclude_patterns = ["_build"]\n')
    (root / "index.rst").write_text("Mixed\n=====\n\n.. paper-table::\n\n" + index)
    return root


def build_site(root: Path) -> tuple[BeautifulSoup, str]:
    """Build ``root`` once (fresh output folder); the index page and the warnings."""
    shutil.rmtree(root / "_build", ignore_errors=True)
    warnings = io.StringIO()
    app = SphinxTestApp("html", srcdir=root, builddir=root / "_build", status=io.StringIO(), warning=warnings)
    try:
        app.build()
    finally:
        app.cleanup()
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser"), warnings.getvalue()


def site_problem_lines(warnings: str) -> list[int]:
    return [int(n) for n in re.findall(r"refs/survey\.bib:(\d+): WARNING", warnings)]


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mixed=mixed_bibs())
def test_site_keeps_every_valid_entry(mixed, tmp_path_factory):
    root = make_root(tmp_path_factory.mktemp("mixed"), mixed.data)
    page, warnings = build_site(root)
    assert "Traceback" not in warnings
    cards = {card["data-key"] for card in page.select("article.tc-card")}
    assert cards == set(mixed.valid)
    lines = site_problem_lines(warnings)
    for line, _code in mixed.expected:
        assert line in lines, (line, warnings)
    for key, (first, last) in mixed.valid.items():
        assert not [n for n in lines if first <= n <= last], (key, warnings)


# -- each case on the site ---------------------------------------------------------------

TWO = entry("first2025", 1) + "\n" + entry("second2025", 2)


def test_site_keeps_the_entry_before_a_stray_at_line(tmp_path):
    stray = TWO.replace("\n@inproceedings{second", "\nMaintainer: someone@example.org (ping me)\n@inproceedings{second")
    page, warnings = build_site(make_root(tmp_path, stray.encode()))
    assert {c["data-key"] for c in page.select("article.tc-card")} == {"first2025", "second2025"}
    assert "refs/survey.bib:16: WARNING: text between entries holds an '@'" in warnings
    assert "[tc.syntax]" in warnings and "skipped" not in warnings


def test_site_keeps_an_entry_with_a_latin1_byte(tmp_path):
    data = TWO.replace("Study Number 2", "Caf\xe9 Study").encode("latin-1")
    page, warnings = build_site(make_root(tmp_path, data))
    titles = {c["data-key"]: c.select_one(".tc-title a").get_text() for c in page.select("article.tc-card")}
    assert titles == {"first2025": "Token Pruning Study Number 1", "second2025": "Token Pruning Caf\ufffd Study"}
    assert "refs/survey.bib:17: WARNING: byte 0xE9 at column 29 is not UTF-8" in warnings
    assert "re-save the file as UTF-8" in warnings


def test_site_warns_about_a_bib_without_entries(tmp_path):
    page, warnings = build_site(make_root(tmp_path, b"% the entries went missing\n@comment{nothing}\n"))
    assert not page.select("article.tc-card")
    assert "refs/survey.bib:1: WARNING: the bib file holds no entries" in warnings


def test_site_gives_colliding_keys_distinct_anchors(tmp_path):
    bib = entry("smith2025:vit", 1) + "\n" + entry("smith2025/vit", 2) + "\n" + entry("plain2025", 3)
    index = "Links: :tc:paper:`smith2025:vit`, :tc:paper:`smith2025/vit`, :tc:paper:`plain2025`.\n"
    page, warnings = build_site(make_root(tmp_path, bib.encode(), index))
    ids = {c["data-key"]: c["id"] for c in page.select("article.tc-card")}
    assert ids["smith2025:vit"] == plain_anchor("smith2025:vit") == "paper-smith2025-vit"
    assert ids["plain2025"] == "paper-plain2025"  # anchors of keys that do not collide stay as they were
    assert re.fullmatch(r"paper-smith2025-vit-[0-9a-f]{8}", ids["smith2025/vit"])
    links = [a["href"] for a in page.select("a[href^='#paper-']") if a.find_parent("article") is None]
    assert links == ["#" + ids["smith2025:vit"], "#" + ids["smith2025/vit"], "#paper-plain2025"]
    assert ("refs/survey.bib:16: WARNING: key 'smith2025/vit' makes the same HTML anchor '#paper-smith2025-vit' "
            "as key 'smith2025:vit' (refs/survey.bib:1)") in warnings
    assert "[tc.duplicate]" in warnings
