"""sphinxcontrib-bibtex gets a generated bib of the entries the sources can cite (``citebib.py``)."""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from sphinx_tc_ext.sphinx.bibtex import citebib
from sphinx_tc_ext.sphinx.bibtex.citebib import GENERATED_NAME, Sources, fallback_reason, scan_sources, select_keys
from tc_testing import read

VALID_KEYS = ["shao2025tokens", "shang2025llava", "zeng2025glimpse", "yeo2025mms", "sch2024accents"]
CITE_SHANG = "\nAs :cite:t:`shang2025llava` show.\n"
BROKEN_ENTRY = "@article{broken2025entry,\n  title = {Unbalanced {braces},\n  year = {2025},\n}\n\n"


def generated(app) -> Path:
    return Path(app.doctreedir) / GENERATED_NAME


def generated_keys(app) -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", read(generated(app)), re.MULTILINE)


def bibfiles_read_by_bibtex(app) -> list[Path]:
    return list(app.env.get_domain("cite").bibdata.bibfiles)


def without_auto_ids(html: str) -> str:
    """Docutils numbers the anchors of bibliography entries (``id3``) among the entries of the bib files."""
    return re.sub(r"\bid\d+\b", "idN", html)


def html_pages(outdir: Path) -> dict[str, str]:
    return {str(p.relative_to(outdir)): without_auto_ids(read(p)) for p in sorted(outdir.rglob("*.html"))}


def append(path: Path, text: str) -> None:
    path.write_text(read(path) + text, encoding="utf-8")


def rebuild(make_app, src: Path, **kwargs):
    app = make_app("html", srcdir=src, **kwargs)
    app.build()
    app.cleanup()
    return app


# -- builds ----------------------------------------------------------------------------------

def test_generated_bib_holds_the_cited_keys_and_pages_are_unchanged(copy_root, build):
    sites = {}
    for name in ("subset", "everything", "original"):
        src = copy_root(dest=name)
        append(src / "index.rst", CITE_SHANG)
        sites[name] = src
    # The reference: sphinxcontrib-bibtex reads a copy of the bib itself (bibtex_bibfiles does not name ours).
    shutil.copy(sites["original"] / "refs" / "survey.bib", sites["original"] / "refs" / "copy.bib")
    original = build(sites["original"], confoverrides={"bibtex_bibfiles": ["refs/copy.bib"]})
    subset = build(sites["subset"])
    everything = build(sites["everything"], confoverrides={"tc_bibtex_subset": False})

    assert not generated(original).exists()
    assert bibfiles_read_by_bibtex(original) == [(sites["original"] / "refs" / "copy.bib").resolve()]
    assert bibfiles_read_by_bibtex(subset) == [generated(subset).resolve()]
    # index cites two keys and links one card; bib order
    assert generated_keys(subset) == ["shao2025tokens", "shang2025llava", "zeng2025glimpse"]
    assert generated_keys(everything) == VALID_KEYS
    assert "areas =" not in read(generated(subset)) and "shortvenue" not in read(generated(subset))
    for app in (original, subset, everything):
        assert app.warning.getvalue() == ""
    # The bibliography page lists the same entries, the other pages are the same.
    assert "LLaVA-PruMerge" in read(subset.outdir / "sections.html")
    assert html_pages(subset.outdir) == html_pages(original.outdir)
    assert html_pages(everything.outdir) == html_pages(original.outdir)


def test_buildinfo_and_pickled_config_keep_the_users_bibtex_bibfiles(copy_root, build):
    first = build(copy_root(dest="first"))
    second = build(copy_root(dest="second"))
    assert bibfiles_read_by_bibtex(first) == [generated(first).resolve()]
    # .buildinfo hashes the configuration: a doctree path in it would differ between the two folders
    assert read(first.outdir / ".buildinfo") == read(second.outdir / ".buildinfo")
    assert first.config.bibtex_bibfiles == ["refs/survey.bib"]
    with open(Path(first.doctreedir) / "environment.pickle", "rb") as fh:
        env = pickle.load(fh)
    assert env.config.bibtex_bibfiles == ["refs/survey.bib"]
    assert not hasattr(env.config, "_tc_bibtex_bibfiles")


def test_uncited_edits_leave_the_generated_bib_and_new_citations_enter_it(copy_root, make_app, monkeypatch):
    src = copy_root()
    first = rebuild(make_app, src)
    mtime = generated(first).stat().st_mtime_ns
    read_at = first.env.all_docs["sections"]  # the page with the bibliography

    # Nothing changed: our bib is not even parsed for the generated file.
    with monkeypatch.context() as patch:
        patch.setattr(citebib, "get_bibliography", lambda config: pytest.fail("parsed the bib"))
        rebuild(make_app, src)

    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("{MMS-LLaMA}: Efficient", "{MMS-LLaMA}: Renamed"), encoding="utf-8")
    app = rebuild(make_app, src)
    assert generated(app).stat().st_mtime_ns == mtime
    assert "checking bibtex cache... up to date" in re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", app.status.getvalue())
    assert app.env.all_docs["sections"] == read_at  # not re-read
    assert "MMS-LLaMA: Renamed" in read(app.outdir / "papers.html")

    append(src / "markdown.md", "\nAs {cite:t}`yeo2025mms` show.\n")
    app = rebuild(make_app, src)
    assert "yeo2025mms" in generated_keys(app)
    assert app.env.all_docs["sections"] != read_at
    assert "mms-llama: renamed" in read(app.outdir / "sections.html").lower()
    assert app.warning.getvalue() == ""

    clean = src.parent / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    clean_app = rebuild(make_app, clean)
    assert html_pages(app.outdir) == html_pages(clean_app.outdir)


def test_when_the_generated_bib_is_no_longer_used_bibliography_pages_are_reread(copy_root, make_app):
    src = copy_root()
    first = rebuild(make_app, src)
    assert generated(first).is_file()
    # bibtex_bibfiles is an "html" value: changing it re-reads nothing by itself
    shutil.copy(src / "refs" / "survey.bib", src / "refs" / "copy.bib")
    app = rebuild(make_app, src, confoverrides={"bibtex_bibfiles": ["refs/copy.bib"]})
    assert not generated(app).exists()
    assert app.env.all_docs["sections"] != first.env.all_docs["sections"]
    assert app.warning.getvalue() == ""
    assert "when tokens talk too much" in read(app.outdir / "sections.html").lower()


def test_a_broken_entry_stays_out_and_citations_resolve(copy_root, build):
    src = copy_root()
    bib = src / "refs" / "survey.bib"
    text = read(bib)
    at = text.index("@inproceedings{shang2025llava")
    bib.write_text(text[:at] + BROKEN_ENTRY + text[at:], encoding="utf-8")
    append(src / "index.rst", CITE_SHANG)
    app = build(src)
    warnings = app.warning.getvalue()
    assert "entry 'broken2025entry' skipped (syntax error" in warnings
    assert "bibtex" not in warnings
    assert "broken2025entry" not in read(generated(app))
    assert generated_keys(app) == ["shao2025tokens", "shang2025llava", "zeng2025glimpse"]
    index = read(app.outdir / "index.html")
    assert 'href="papers.html#paper-shang2025llava"' in index
    assert "LLaVA-PruMerge" in read(app.outdir / "sections.html")


def build_with_bibliography(copy_root, build, directive: str):
    """Build the test root with its ``.. bibliography::`` line replaced by ``directive``."""
    src = copy_root()
    sections = src / "sections.rst"
    sections.write_text(read(sections).replace(".. bibliography::\n", directive), encoding="utf-8")
    return src, build(src)


def test_bibliography_listing_uncited_entries_gets_every_valid_entry(copy_root, build):
    _src, app = build_with_bibliography(copy_root, build, ".. bibliography::\n   :all:\n")
    assert generated_keys(app) == VALID_KEYS
    assert "MMS-LLaMA" in read(app.outdir / "sections.html")
    assert app.warning.getvalue() == ""


def test_bibliography_naming_its_bib_reads_the_bib_itself(copy_root, build):
    src, app = build_with_bibliography(copy_root, build, ".. bibliography:: refs/survey.bib\n")
    assert bibfiles_read_by_bibtex(app) == [(src / "refs" / "survey.bib").resolve()]
    assert app.warning.getvalue() == ""
    assert "when tokens talk too much" in read(app.outdir / "sections.html").lower()


def test_bibliography_reading_the_bib_itself_links_no_javascript(copy_root, build):
    src = copy_root()
    bib = src / "refs" / "survey.bib"
    hostile = {"jsurl": "javascript:alert(1)", "spaceurl": " JavaScript:alert(1)", "taburl": "java\tscript:alert(1)",
               "vbsurl": "vbscript:msgbox(1)", "dataurl": "data:text/html,x"}
    bib.write_text(read(bib) + "".join(
        f"@misc{{{key},\n  title = {{Link {key}}},\n  author = {{Doe, Jane}},\n  year = {{2025}},\n"
        f"  areas = {{image}},\n  url = {{{url}}},\n}}\n\n" for key, url in hostile.items()), encoding="utf-8")
    sections = src / "sections.rst"
    sections.write_text(read(sections).replace(".. bibliography::\n", ".. bibliography:: refs/survey.bib\n   :all:\n"),
                        encoding="utf-8")
    app = build(src)
    assert bibfiles_read_by_bibtex(app) == [bib.resolve()]  # sphinxcontrib-bibtex read the bib itself
    html = read(app.outdir / "sections.html")
    assert "Link jsurl" in html and "https://github.com/42Shawn/LLaVA-PruMerge" not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert any(h.startswith("https://arxiv.org/abs/2403.15388") for h in hrefs)  # sane links stay
    for href in hrefs:
        assert not re.match(r"(?i)\s*(java|vb)\s*script|\s*data:", href), href


# -- the scan and the rules ------------------------------------------------------------------

def sources_of(*texts: str) -> Sources:
    sources = Sources()
    for i, text in enumerate(texts):
        sources.add(text, f"page{i}.md")
    return sources


def test_keys_are_found_as_tokens_with_any_punctuation():
    sources = sources_of(
        "See {cite:p}`a:key,b-key.v2` and :cite:t:`{see}c/key{p. 2}`.\n",
        "(d+key); 'e_key'; \"F.Key\"\n",
        ".. bibliography::\n\n   g.key.\n",
        '{"source": ["as {cite:p}`h2025`\\n"]}',  # a notebook
        "i[odd]key and j;key",
    )
    keys = ["a:key", "b-key.v2", "c/key", "d+key", "e_key", "f.key", "g.key", "h2025", "i[odd]key", "j;key",
            "missing", "b-key"]
    assert [k for k in keys if sources.mentions(k)] == keys[:-2]


def test_bibliography_options_and_arguments_are_seen():
    assert sources_of(".. bibliography::\n   :all:\n").listing
    assert sources_of(".. bibliography::\n   :style: plain\n   :filter: author % \"Shang\"\n").listing
    assert sources_of("```{bibliography}\n:notcited:\n```\n").listing
    assert sources_of(":::{bibliography}\n---\nfilter: cited\n---\n:::\n").listing
    assert not sources_of(".. bibliography::\n   :style: plain\n\n   all\n").listing
    assert not sources_of("```{bibliography}\n```\n\n:all: is documented here\n").listing
    assert not sources_of("```{paper-table}\n:filter: year >= 2025\n```\n").listing
    assert sources_of(".. bibliography:: refs/survey.bib\n").names_bib_files == "page0.md:1"
    assert sources_of("intro\n\n.. bibliography::\n   refs/a.bib\n   :all:\n").names_bib_files == "page0.md:3"
    assert sources_of("```{bibliography} refs/a.bib\n```\n").names_bib_files
    assert not sources_of(".. bibliography::\n   :style: plain\n\n   key1\n").names_bib_files


def test_extensions_that_may_cite_from_elsewhere_mean_every_entry():
    def reason(*extensions: str, subset: bool = True) -> str:
        config = SimpleNamespace(tc_bibtex_subset=subset, extensions=list(extensions))
        return fallback_reason(config, Sources())

    assert reason("myst_parser", "sphinxcontrib.bibtex", "sphinx_tc_ext", "sphinx_tc_ext.sphinx.clidoc",
                  "sphinx.ext.intersphinx", "sphinx.ext.mathjax", "sphinx_copybutton") == ""
    assert "sphinx.ext.autodoc" in reason("sphinxcontrib.bibtex", "sphinx.ext.autodoc")
    assert "sphinx.ext.autosummary" in reason("sphinx.ext.autosummary")
    assert "myst_nb" in reason("myst_nb")
    assert reason("sphinxcontrib.bibtex", subset=False) == "tc_bibtex_subset is False"


def test_crossref_targets_come_along():
    sources = sources_of("{cite:p}`child`")
    assert select_keys(["parent", "child", "other"], {"child": "Parent"}, sources, everything=False) == \
        ["parent", "child"]
    assert select_keys(["parent", "child", "other"], {}, sources, everything=True) == ["parent", "child", "other"]


def test_scan_skips_build_folders_and_bibs_and_follows_includes(tmp_path):
    src = tmp_path / "docs"
    (src / "_build" / "html").mkdir(parents=True)
    (src / "_build" / "latex").mkdir()
    (src / "_build" / "doctrees").mkdir()
    (src / ".git").mkdir()
    (src / "refs").mkdir()
    (src / "_build" / "latex" / "site.tex").write_text(r"\cite{inbuild}")
    (src / ".git" / "COMMIT_EDITMSG").write_text("hidden")
    (src / "refs" / "survey.bib").write_text("@article{inbib, title={x}}")
    (src / "fragment.txt").write_text("{cite:p}`fragment`")
    (src / "index.rst").write_text(".. include:: ../README.rst\n\n:cite:p:`page`\n")
    (src / "image.png").write_bytes(b"\x89PNG\0binary")
    (tmp_path / "README.rst").write_text(":cite:p:`readme`\n")
    (tmp_path / "conf.py").write_text("rst_prolog = ':cite:p:`prolog`'\n")
    (tmp_path / "other.md").write_text("outside")
    sources = scan_sources(src, src / "_build" / "html", src / "_build" / "doctrees", tmp_path,
                           [src / "refs" / "survey.bib"])
    found = {k for k in ("inbuild", "hidden", "inbib", "fragment", "page", "readme", "prolog", "outside", "binary")
             if sources.mentions(k)}
    assert found == {"fragment", "page", "readme", "prolog"}


def test_generated_entries_are_what_pybtex_reads_from_the_bib(tmp_path):
    """Same type, persons and fields for pybtex (sphinxcontrib-bibtex's parser), minus the hidden fields."""
    from pybtex.database.input.bibtex import Parser

    from sphinx_tc_ext.cache.parse_cache import load_bibliography
    from sphinx_tc_ext.core.schema import SITE_ONLY_FIELDS
    from sphinx_tc_ext.core.taxonomy import load_taxonomy

    root = Path(__file__).parent / "roots" / "test-survey" / "refs"
    bib_path = tmp_path / "survey.bib"
    bib_path.write_text('@string{tmlr = "Transactions on Machine Learning Research"}\n'
                        '@preamble{"\\newcommand{\\noopsort}[1]{}"}\n\n' +
                        read(root / "survey.bib").replace("{Transactions on Machine Learning Research}", "tmlr"),
                        encoding="utf-8")
    taxonomy = load_taxonomy(root / "taxonomy.toml")
    bib = load_bibliography(bib_path, taxonomy)
    hidden = SITE_ONLY_FIELDS | set(taxonomy.fields)
    text = citebib.render_bib(bib, list(bib.papers), hidden)
    original = Parser().parse_file(str(bib_path))
    written = Parser().parse_string(text)
    assert written.preamble == original.preamble == r"\newcommand{\noopsort}[1]{}"
    assert list(written.entries) == VALID_KEYS
    for key, entry in written.entries.items():
        source = original.entries[key]
        assert entry.type == source.type
        assert {role: [str(p) for p in people] for role, people in entry.persons.items()} == \
            {role: [str(p) for p in people] for role, people in source.persons.items()}
        assert dict(entry.fields.lower()) == {name: value for name, value in source.fields.lower().items()
                                              if name not in hidden}
