"""Hardening (issue 8): parallel = serial byte for byte, incremental = clean, interrupted builds
recover, hostile bib text and fields never crash the build or reach the HTML as markup, and a
20k-entry bib with 5% broken entries keeps every intact entry.

Synthetic bibs come from ``tests/synth.py`` (real entries copied under new keys).
"""

from __future__ import annotations

import difflib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

import synth
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import ROOTS

SURVEY_BIB = ROOTS / "test-survey" / "refs" / "survey.bib"
SURVEY_TAXONOMY = ROOTS / "test-survey" / "refs" / "taxonomy.toml"


# -- helpers ---------------------------------------------------------------------------------

def grown_site(tmp: Path, n: int, name: str = "site") -> Path:
    """The test-survey root with its bib grown to ``n`` entries (its own entries keep their keys)."""
    src = tmp / name
    shutil.copytree(ROOTS / "test-survey", src, ignore=shutil.ignore_patterns("_build"))
    text, _keys = synth.grow(n, seed=SURVEY_BIB)
    (src / "refs" / "survey.bib").write_text(text, encoding="utf-8")
    return src


def clean_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("_build"))
    return dest


def build_in_process(src: Path, **kwargs) -> SphinxTestApp:
    app = SphinxTestApp("html", srcdir=src, **kwargs)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def outputs(outdir: Path, exclude: tuple[str, ...] = ("searchindex.js",), only_html: bool = False
            ) -> dict[str, bytes]:
    found = {}
    for path in sorted(outdir.rglob("*")):
        rel = path.relative_to(outdir).as_posix()
        if rel.startswith(".doctrees/"):  # sphinx-build's default doctree folder: pickles, not output
            continue
        if path.is_file() and rel not in exclude and (not only_html or rel.endswith(".html")):
            found[rel] = path.read_bytes()
    return found


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """Readable summary: missing/extra files and the first differing lines of each changed file."""
    lines = []
    for name in sorted(set(expected) - set(actual)):
        lines.append(f"missing: {name}")
    for name in sorted(set(actual) - set(expected)):
        lines.append(f"extra: {name}")
    for name in sorted(set(expected) & set(actual)):
        if expected[name] != actual[name]:
            a = expected[name].decode("utf-8", "replace").splitlines()
            b = actual[name].decode("utf-8", "replace").splitlines()
            diff = [d[:200] for d in difflib.unified_diff(a, b, "clean", "incremental", n=0, lineterm="")][2:8]
            lines.append(f"differs: {name}\n    " + "\n    ".join(diff))
    return "\n".join(lines)


def touch_later(path: Path, seconds: float = 2.0) -> None:
    """An edit made by hand comes seconds after the build; make that true on any file system."""
    later = time.time() + seconds
    os.utime(path, (later, later))


def entry_span(text: str, key: str) -> tuple[int, int]:
    start = text.index("@", text.rindex("\n", 0, text.index("{" + key + ",")) + 1)
    nxt = text.find("\n@", start + 1)
    return start, (nxt + 1 if nxt != -1 else len(text))


# -- parallel = serial -----------------------------------------------------------------------

def test_parallel_output_is_byte_identical_to_serial(tmp_path):
    """Every output file of ``-j 2`` equals ``-j 1`` byte for byte (only searchindex.js may differ);
    the bib is parsed in two processes too (parse_cache.parse_in_parallel, here from 10 entries)."""
    from sphinx_tc_ext.cache import parse_cache

    serial_src = grown_site(tmp_path, 60, "serial")
    parallel_src = clean_copy(serial_src, tmp_path / "parallel")
    assert len(list(serial_src.glob("*.rst")) + list(serial_src.glob("*.md"))) >= 8
    serial = build_in_process(serial_src)
    parallel = build_in_process(parallel_src, parallel=2, confoverrides={"tc_parallel_parse_minimum": 10})
    assert parallel.parallel == 2
    assert parse_cache.last_parse().from_workers >= 20  # the other process parsed its half of the 60 entries
    assert "Traceback" not in parallel.warning.getvalue()
    assert parallel.warning.getvalue() == serial.warning.getvalue().replace(str(serial_src), str(parallel_src))
    expected, actual = outputs(serial.outdir), outputs(parallel.outdir)
    assert expected == actual, differences(expected, actual)


def test_parallel_incremental_build_equals_serial_clean_build(tmp_path):
    """Under -j 2 the worker that writes a page keeps its card cache; the next -j 2 build after an
    edit reuses it and must still equal a clean serial build of the edited sources."""
    src = grown_site(tmp_path, 60, "parallel")
    build_in_process(src, parallel=2)
    _edit_title(src)
    touch_later(src / "refs" / "survey.bib")
    incremental = build_in_process(src, parallel=2)
    assert "Traceback" not in incremental.warning.getvalue()
    clean = build_in_process(clean_copy(src, tmp_path / "clean"))
    expected, actual = outputs(clean.outdir), outputs(incremental.outdir)
    assert expected == actual, differences(expected, actual)
    assert any(Path(incremental.doctreedir, "tc-cards", "html").rglob("*.pickle"))


# -- incremental = clean ---------------------------------------------------------------------

def _edit_title(src: Path) -> None:
    bib = src / "refs" / "survey.bib"
    text = bib.read_text(encoding="utf-8")
    start, _end = entry_span(text, "zeng2025glimpsex3")
    bib.write_text(text[:start] + text[start:].replace("title = {", "title = {Edited: ", 1), encoding="utf-8")


def _edit_facet(src: Path) -> None:
    """Move a paper to another mechanism: tables, counts, matrix and statistics change."""
    bib = src / "refs" / "survey.bib"
    text = bib.read_text(encoding="utf-8")
    start, end = entry_span(text, "yeo2025mmsx2")
    bib.write_text(text[:start] + text[start:end].replace("categories = {query}", "categories = {attention}")
                   + text[end:], encoding="utf-8")


def _add_entry(src: Path) -> None:
    bib = src / "refs" / "survey.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + """
@inproceedings{added2026entry,
  title = {A Paper Added Later},
  author = {Later, Ada and Newer, Bo},
  booktitle = {Proceedings of NeurIPS},
  year = {2026},
  month = jan,
  url = {https://example.org/added},
  areas = {audio, video},
  categories = {similarity},
  cost = {training-free},
  shortvenue = {NeurIPS 2026},
  added = {2026-01-15},
}
""", encoding="utf-8")


def _delete(key: str):
    def edit(src: Path) -> None:
        bib = src / "refs" / "survey.bib"
        text = bib.read_text(encoding="utf-8")
        start, end = entry_span(text, key)
        bib.write_text(text[:start] + text[end:], encoding="utf-8")
    return edit


def _taxonomy(old: str, new: str):
    def edit(src: Path) -> None:
        path = src / "refs" / "taxonomy.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


EDITS = {
    "edit-title": (_edit_title, "refs/survey.bib"),
    "edit-facet": (_edit_facet, "refs/survey.bib"),
    "add-entry": (_add_entry, "refs/survey.bib"),
    "delete-entry": (_delete("shang2025llavax1"), "refs/survey.bib"),
    # index.rst links to this one with :tc:paper: and the bib has copies of it under other keys
    "delete-linked-entry": (_delete("zeng2025glimpse"), "refs/survey.bib"),
    "taxonomy-label": (_taxonomy('label = "Query-based"', 'label = "Query-driven"'), "refs/taxonomy.toml"),
    "taxonomy-section": (_taxonomy('section = "area-audio"', 'section = "area-video"'), "refs/taxonomy.toml"),
    "taxonomy-color": (_taxonomy('color = "#6f42c1"', 'color = "#123456"'), "refs/taxonomy.toml"),
}


_PAIRS: dict[str, tuple[dict[str, bytes], dict[str, bytes]]] = {}


def incremental_and_clean(tmp_path_factory, edit: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Outputs of a clean build and of an incremental build after ``edit`` (built once per edit)."""
    if edit not in _PAIRS:
        change, edited_file = EDITS[edit]
        tmp = tmp_path_factory.mktemp(edit)
        src = grown_site(tmp, 24)
        build_in_process(src)
        change(src)
        touch_later(src / edited_file)
        incremental = build_in_process(src)
        assert "Traceback" not in incremental.warning.getvalue()
        clean = build_in_process(clean_copy(src, tmp / "clean"))
        _PAIRS[edit] = outputs(clean.outdir), outputs(incremental.outdir)
    return _PAIRS[edit]


@pytest.mark.parametrize("edit", list(EDITS))
def test_incremental_html_equals_clean_build(tmp_path_factory, edit):
    expected, actual = incremental_and_clean(tmp_path_factory, edit)
    html = {k: v for k, v in expected.items() if k.endswith(".html")}
    actual_html = {k: v for k, v in actual.items() if k.endswith(".html")}
    assert html == actual_html, "HTML pages differ:\n" + differences(html, actual_html)


@pytest.mark.parametrize("edit", list(EDITS))
def test_incremental_other_outputs_equal_clean_build(tmp_path_factory, edit):
    """Every other output file too (feed, CSS, charts, inventory), the search index excepted."""
    expected, actual = incremental_and_clean(tmp_path_factory, edit)
    assert expected == actual, "output files differ:\n" + differences(expected, actual)


# -- interrupted builds ----------------------------------------------------------------------

def run_sphinx(src: Path, out: Path, kill_after_writing: int | None = None, sig: int = signal.SIGKILL
               ) -> tuple[int, str]:
    """Run sphinx-build; with ``kill_after_writing`` send ``sig`` once that many "writing output" lines appeared."""
    cmd = [sys.executable, "-m", "sphinx", "-N", "-b", "html", str(src), str(out)]  # -N: plain lines to match
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen, log = 0, []
    assert proc.stdout is not None
    for line in proc.stdout:
        log.append(line)
        if kill_after_writing and re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line).lstrip("\r").startswith(
                "writing output... ["):
            seen += 1
            if seen == kill_after_writing:
                proc.send_signal(sig)
                break
    rest, _ = proc.communicate(timeout=120)
    log.append(rest or "")
    return proc.returncode, "".join(log)


def _html_and_index(out: Path) -> tuple[dict[str, bytes], bytes | None]:
    index = out / "searchindex.js"
    return outputs(out, exclude=("searchindex.js",)), index.read_bytes() if index.exists() else None


@pytest.mark.parametrize("scenario", ["first-build", "incremental-after-edit"])
def test_interrupted_build_then_rebuild_equals_clean_build(tmp_path, scenario):
    """Kill sphinx-build while it writes pages, build again: the site equals a clean build."""
    src = grown_site(tmp_path, 60)
    out = src / "_build" / "html"
    if scenario == "incremental-after-edit":
        code, log = run_sphinx(src, out)
        assert code == 0, log
        _edit_title(src)  # shown on papers.html, which is written after the kill
        touch_later(src / "refs" / "survey.bib")
    code, log = run_sphinx(src, out, kill_after_writing=1)
    assert code == -signal.SIGKILL, f"the build ended before it could be interrupted:\n{log}"
    assert "writing output" in log
    code, log = run_sphinx(src, out)
    assert code == 0, log
    assert "Traceback" not in log
    clean_out = tmp_path / "clean-out"
    code, clean_log = run_sphinx(clean_copy(src, tmp_path / "clean"), clean_out)
    assert code == 0, clean_log
    expected, expected_index = _html_and_index(clean_out)
    actual, actual_index = _html_and_index(out)
    assert expected == actual, differences(expected, actual)
    if expected_index != actual_index:
        # Sphinx itself: pages written before the kill are not re-read, and the search index they
        # were fed into was never dumped ("search index couldn't be loaded ... incomplete").
        assert "search index couldn't be loaded" in log
        pytest.xfail("Sphinx limitation: the search index misses pages written before the interruption")


# -- hostile input: raw bib text -------------------------------------------------------------

TAXONOMY = load_taxonomy(SURVEY_TAXONOMY)
SEED_TEXT = SURVEY_BIB.read_text(encoding="utf-8")
NOISE = [*'@{}()",=#%\\\n \tabcx0123-_:.$~^&<>', "and", "title = ", "@misc{", "areas", "image", "\\\"", "}\n"]
BIBISH = st.lists(st.sampled_from(NOISE), max_size=120).map("".join)


def mutate(text: str, rng_draw) -> str:
    """``text`` with random slices deleted, duplicated or replaced by bib-ish noise."""
    for _ in range(rng_draw("steps", 1, 6)):
        i = rng_draw("i", 0, len(text))
        j = rng_draw("j", i, min(len(text), i + 80))
        how = rng_draw("how", 0, 2)
        if how == 0:
            text = text[:i] + text[j:]
        elif how == 1:
            text = text[:i] + "".join(NOISE[rng_draw("noise", 0, len(NOISE) - 1)]
                                      for _ in range(rng_draw("len", 0, 20))) + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


@st.composite
def mutated_bib(draw) -> str:
    return mutate(SEED_TEXT, lambda _label, lo, hi: draw(st.integers(lo, hi)))


def seeded_mutation(seed: int) -> str:
    rng = random.Random(seed)
    return mutate(SEED_TEXT, lambda _label, lo, hi: rng.randint(lo, hi))


def _check_parse(text: str) -> None:
    bib = parse_bib_text(text, "fuzz.bib", TAXONOMY)
    n_lines = text.count("\n") + 1
    for problem in bib.problems:
        assert problem.path == "fuzz.bib"
        assert 1 <= problem.line <= n_lines, problem
        assert problem.subtype in {"syntax", "duplicate", "vocabulary", "missing", "url", "date"}, problem
    for key, paper in bib.papers.items():
        assert key and key in text
        assert 1 <= paper.line <= n_lines
        for url in paper.links.values():
            assert re.match(r"^https?://", url, re.IGNORECASE), url


@settings(max_examples=200, deadline=None)
@given(BIBISH)
def test_parser_survives_any_bibish_text(text):
    _check_parse(text)


@settings(max_examples=200, deadline=None)
@given(mutated_bib())
def test_parser_survives_mutated_bib(text):
    _check_parse(text)


# the extension alone: sphinxcontrib-bibtex is switched off here (see the test after the next one)
EXT_ONLY = {"extensions": ["myst_parser", "sphinx_tc_ext"], "suppress_warnings": ["ref.role", "myst.role_unknown"]}


@pytest.mark.parametrize("seed", range(4))
def test_build_survives_mutated_bib(tmp_path, seed):
    """Whatever the bib holds, the build finishes with warnings, never a traceback (deterministic seeds)."""
    text = seeded_mutation(seed)
    src = tmp_path / "site"
    shutil.copytree(ROOTS / "test-survey", src, ignore=shutil.ignore_patterns("_build"))
    (src / "refs" / "survey.bib").write_text(text, encoding="utf-8")
    app = build_in_process(src, confoverrides=EXT_ONLY)
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings and "Exception occurred" not in warnings
    assert (app.outdir / "papers.html").exists()


def test_one_broken_entry_does_not_abort_a_site_that_also_uses_sphinxcontrib_bibtex(tmp_path):
    """sphinxcontrib-bibtex would stop at the broken entry; it is given a copy without it."""
    src = tmp_path / "site"
    shutil.copytree(ROOTS / "test-survey", src, ignore=shutil.ignore_patterns("_build"))
    bib = src / "refs" / "survey.bib"
    bib.write_text(SEED_TEXT.replace("title = {A Glimpse", "title = {{A Glimpse", 1), encoding="utf-8")
    app = build_in_process(src)
    assert "zeng2025glimpse' skipped" in app.warning.getvalue()
    assert (app.outdir / "papers.html").exists()
    assert "LLaVA-PruMerge" in (app.outdir / "papers.html").read_text(encoding="utf-8")
    # Once the entry is repaired, sphinxcontrib-bibtex reads the bib itself again.
    bib.write_text(SEED_TEXT, encoding="utf-8")
    app = build_in_process(src)
    assert "skipped" not in app.warning.getvalue()
    assert "A Glimpse to Compress" in (app.outdir / "papers.html").read_text(encoding="utf-8")


# -- hostile input: every field --------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</div></article></section>",
            "' onmouseover='alert(1)", "<!-- x", "]]><x>", "&lt;b&gt; &amp;", "\u202eevil"]
BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>x</script>",
            "vbscript:msgbox(1)", "//evil.example.org/x", "ftp://example.org/x", "file:///etc/passwd",
            'https://ok.example.org/" onmouseover="alert(1)', "https://ok.example.org/<script>"]
TEXT_FIELDS = ("title", "journal", "booktitle", "note")


def hostile_bib() -> tuple[str, dict[str, dict[str, str]]]:
    """Entries whose every field is hostile; returns the text and the raw fields of each key."""
    entries: dict[str, dict[str, str]] = {}
    for i, payload in enumerate(PAYLOADS):
        url = BAD_URLS[i % len(BAD_URLS)]
        entries[f"text{i}"] = {
            "title": f"T{i} {payload}", "author": f"{payload} and Doe, Jane", "journal": f"J {payload}",
            "note": f"N {payload}", "year": "2025", "month": "jan", "areas": "image", "categories": "attention",
            "cost": "training-free", "url": url, "code": BAD_URLS[(i + 1) % len(BAD_URLS)],
            "model": BAD_URLS[(i + 2) % len(BAD_URLS)], "dataset": BAD_URLS[(i + 3) % len(BAD_URLS)],
            "project": BAD_URLS[(i + 4) % len(BAD_URLS)], "added": "2025-08-01",
        }
        # the venue comes from booktitle when there is no badge
        entries[f"venue{i}"] = {
            "title": f"V{i}", "author": "Doe, Jane", "booktitle": f"B {payload}", "year": "2024",
            "areas": "video", "categories": "query", "cost": "training-based", "doi": f'10.1/{payload}',
            "added": "2025-08-02",
        }
        entries[f"badge{i}"] = {
            "title": f"S{i}", "author": "Doe, Jane", "shortvenue": f"SV {payload}", "year": "2024",
            "eprint": payload, "archiveprefix": "arXiv", "areas": f"audio, {payload}",
            "categories": payload, "cost": "training-free", "month": payload, "added": payload,
        }
    entries["x<b>k</b>y"] = {"title": "Hostile key", "author": "Doe, Jane", "year": "2025", "areas": "image",
                             "categories": "similarity", "cost": "training-free", "added": "2025-08-03"}
    chunks = []
    for key, fields in entries.items():
        kind = "inproceedings" if "booktitle" in fields else "article"
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields.items())
        chunks.append(f"@{kind}{{{key},\n{body}}}\n")
    return "\n".join(chunks), entries


def test_hostile_fields_render_as_text_everywhere(tmp_path):
    src = tmp_path / "site"
    shutil.copytree(ROOTS / "test-survey", src, ignore=shutil.ignore_patterns("_build"))
    text, entries = hostile_bib()
    bib = src / "refs" / "survey.bib"
    # keep the entries index.rst cites, add the hostile ones
    bib.write_text(SEED_TEXT + "\n" + text, encoding="utf-8")
    app = build_in_process(src)
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings and "Exception occurred" not in warnings
    assert "[tc.url]" in warnings and "[tc.vocabulary]" in warnings

    pages = {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in app.outdir.rglob("*.html")}
    seen_cards, hrefs = set(), set()
    for path, page in pages.items():
        main = page.select_one("div.body, div[role=main], article[role=main]") or page.body
        for bad in ("script", "iframe", "object", "embed", "x"):
            assert main.find(bad) is None, f"{path.name}: <{bad}> from bib text: {main.find(bad)}"
        for img in main.find_all("img"):  # only our statistics charts
            assert re.match(r"^(\.\./)*_static/tc-stats/[\w.-]+\.svg(\?v=[0-9a-f]+)?$", img.get("src", "")), img
        for tag in main.find_all(True):
            assert not any(a.lower().startswith("on") for a in tag.attrs), f"{path.name}: {tag}"
            href = tag.get("href")
            if href is not None:
                assert not re.match(r"^\s*(javascript|data|vbscript|file|ftp):", href, re.IGNORECASE), href
                assert not href.startswith("//"), href
                if re.match(r"^https?://", href):
                    hrefs.add(href)
        for card in main.select("article.tc-card"):
            key = card["data-key"]
            seen_cards.add(key)
            fields = entries.get(key)
            if fields is None:
                continue
            # structure: exactly the elements our renderer makes, whatever the text
            assert {t.name for t in card.find_all(True)} <= {"p", "a", "div", "details", "summary", "span", "ul",
                                                             "li", "pre", "button", "mark"}, card
            if key.startswith("text"):
                i = key[4:]
                assert card.select_one(".tc-title").get_text().startswith(f"T{i} ")
                payload = PAYLOADS[int(i)]
                assert payload.split("<")[0] in card.select_one(".tc-title").get_text()
                assert card.select_one(".tc-note").get_text() == fields["note"]
                assert card.select_one(".tc-title a:not(.tc-permalink)") is None, "a non-http(s) url became a link"
                bibtex = card.select_one("details.tc-bibtex pre")
                if bibtex is not None:
                    assert fields["note"] in bibtex.get_text()
            if key.startswith("venue"):
                venue = card.select_one(".tc-venue").get_text()
                assert venue.startswith("B ")
            if key.startswith("badge"):
                assert card.select_one(".tc-venue").get_text().startswith("SV ")
                assert card.get("data-month") is None and card.get("data-added") is None
                assert set(card.get("data-area", "").split()) <= {"audio"}
    assert set(entries) <= seen_cards, set(entries) - seen_cards

    for svg in (app.outdir / "_static").rglob("*.svg"):
        chart = ET.fromstring(svg.read_bytes())  # well-formed
        assert not {el.tag.split("}")[-1] for el in chart.iter()} & {"script", "foreignObject", "x"}, svg
    # http(s) links in the bib arrive as given (escaped in the attribute), never rewritten into another scheme
    assert all(re.match(r"^https?://[^\s]", h) for h in hrefs)

    feed = app.outdir / "feed.xml"
    if feed.exists():
        root = ET.fromstring(feed.read_bytes())  # well-formed: every string was escaped
        tags = {el.tag.split("}")[-1] for el in root.iter()}
        assert not tags & {"script", "img", "x", "div"}, tags
        for link in root.iter("{http://www.w3.org/2005/Atom}link"):
            assert not re.match(r"^\s*(javascript|data|vbscript):", link.get("href", ""), re.IGNORECASE)


# -- 20k entries, 5% broken ------------------------------------------------------------------

def test_twenty_thousand_entries_with_five_percent_broken():
    """Each broken entry is one syntax problem at its own line; the 19,000 others are all kept."""
    text, good, broken = synth.grow_broken(20_000, 0.05, seed=SURVEY_BIB)
    assert len(good) == 19_000 and len(broken) == 1_000
    start = time.perf_counter()
    bib = parse_bib_text(text, "refs/survey.bib", TAXONOMY)
    elapsed = time.perf_counter() - start
    assert set(bib.papers) == set(good)
    syntax = {p.line: p for p in bib.problems if p.subtype == "syntax"}
    assert set(syntax) == set(broken.values())
    assert all(p.path == "refs/survey.bib" for p in syntax.values())
    assert all(str(p).startswith(f"refs/survey.bib:{p.line}: ") for p in syntax.values())
    assert len(bib.problems) == len(syntax), [p for p in bib.problems if p.subtype != "syntax"][:3]
    print(f"parsed 20,000 entries (1,000 broken) in {elapsed:.1f} s")


def test_syntax_problem_names_the_file_line_of_the_error():
    text = SEED_TEXT.replace("title = {A Glimpse to Compress", "title = {{A Glimpse to Compress", 1)
    bib = parse_bib_text(text, "refs/survey.bib", TAXONOMY)
    (problem,) = [p for p in bib.problems if p.subtype == "syntax"]
    # the entry starts at problem.line; the line pybtex stopped at is a file line too, not one inside the entry
    inner = re.search(r"(?:in|at) line (\d+)", problem.message)
    assert inner is not None and problem.line <= int(inner.group(1)) <= problem.line + 20, problem


def test_doi_links_are_valid_urls():
    text = SEED_TEXT.replace("eprint = {2508.01548},", 'doi = {10.1/a b"<c>},', 1)
    bib = parse_bib_text(text, "refs/survey.bib", TAXONOMY)
    link = bib.papers["zeng2025glimpse"].links.get("paper", "")
    assert not re.search(r'[\s"<>]', link), link


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_heap_is_frozen_while_building_and_handed_back_when_the_next_build_starts(tmp_path):
    """``heap.py``: pages are written with the heap in the collector's permanent generation
    (serial and -j 2); cyclic garbage frozen with it is freed once the next build starts."""
    import gc
    import weakref

    for jobs in (2, 1):
        seen: list[int] = []
        app = SphinxTestApp("html", srcdir=grown_site(tmp_path, 12, f"j{jobs}"), parallel=jobs)
        app.connect("write-started", lambda _app, _builder, seen=seen: seen.append(gc.get_freeze_count()),
                    priority=950)
        garbage = _Cycle()
        gone = weakref.ref(garbage)
        del garbage
        try:
            app.build()
        finally:
            app.cleanup()
        assert seen[0] > 0
        gc.collect()
        # -j 2 collects before freezing (forked workers must not inherit garbage); serial does not.
        assert (gone() is None) is (jobs == 2)
    assert gc.get_freeze_count() > 0  # left frozen: the process's exit skips a full collection
    app = SphinxTestApp("html", srcdir=grown_site(tmp_path, 12, "next"))
    app.cleanup()
    gc.collect()
    assert gone() is None
