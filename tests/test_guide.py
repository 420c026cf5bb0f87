"""The user guide cannot drift from the behaviour.

* Every example of ``docs/guide/examples/`` is built against the test bib
  (``tests/roots/test-survey``) and a compact summary of what it renders (tables,
  groups with their headings, the key of each card, the filter controls) is
  compared with ``tests/guide_expected/NAME.txt``.  After an intended change,
  regenerate the expected files with ``TC_REGEN=1 pytest tests/test_guide.py``
  and review the diff.
* Every example is shown in the guide both as source (``literalinclude``) and
  rendered (``include``).  Each has a reStructuredText twin (``NAME.rst.txt``, shown in a
  synced tab beside the MyST source) that must render the same summary.
* Every registered ``tc_*`` configuration value is documented with its default in
  ``configuration.md``, every warning subtype in ``warnings.md``, every CSS custom
  property of ``tc.css`` in ``theming.md``.
* The guide builds with ``-nW`` when a site includes it; the CLI reference shows
  every subcommand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from bs4 import BeautifulSoup, Tag

import sphinx_tc_ext
from sphinx_tc_ext.core.schema import WARNING_SUBTYPES

REPO = Path(__file__).parent.parent
GUIDE = REPO / "docs" / "guide"
EXAMPLES = GUIDE / "examples"
EXPECTED = Path(__file__).parent / "guide_expected"
TEST_ROOT = Path(__file__).parent / "roots" / "test-survey"
SUFFIX = ".md.txt"
RST_SUFFIX = ".rst.txt"
REGEN = os.environ.get("TC_REGEN") == "1"
#: Modules with directives the guide's pages use (reference tables, CLI reference), by directive.
GUIDE_DIRECTIVES = {"tc-field-reference": "sphinx_tc_ext.sphinx.reference",
                    "tc-warning-types": "sphinx_tc_ext.sphinx.reference",
                    "tc-cli-reference": "sphinx_tc_ext.sphinx.clidoc"}

CONF = """\
extensions = ["myst_parser", "sphinx_tc_ext", *{extra!r}]
project = "guide-examples"
tc_bib_file = "refs/survey.bib"
tc_taxonomy_file = "refs/taxonomy.toml"
tc_papers_page = "papers"
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {{".rst": "restructuredtext", ".md": "markdown"}}
exclude_patterns = ["_build"]
nitpicky = True
"""


def example_names() -> list[str]:
    return sorted(p.name.removesuffix(SUFFIX) for p in EXAMPLES.glob(f"*{SUFFIX}"))


def sphinx_build(srcdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-q", "-b", "html", str(srcdir),
                           str(srcdir / "_build" / "html")], capture_output=True, text=True)


def missing_extensions(*directives: str) -> tuple[str, ...]:
    """The modules to list in ``extensions`` for these directives: those ``sphinx_tc_ext`` does not register.

    Listing a module that ``sphinx_tc_ext.setup`` already sets up would register its
    directives twice, a warning that fails ``-W``.
    """
    app = mock.MagicMock()
    sphinx_tc_ext.setup(app)
    registered = {call.args[0] for call in app.add_directive.call_args_list}
    return tuple(dict.fromkeys(GUIDE_DIRECTIVES[d] for d in directives or GUIDE_DIRECTIVES
                               if d not in registered))


def make_site(root: Path, extra_extensions: tuple[str, ...] = ()) -> Path:
    """A site with the test bib and taxonomy and a page defining every section label."""
    root.mkdir(parents=True)
    shutil.copytree(TEST_ROOT / "refs", root / "refs")
    sections = (TEST_ROOT / "sections.rst").read_text(encoding="utf-8")
    (root / "sections.rst").write_text(sections.split("\nBibliography\n")[0], encoding="utf-8")  # no bibtex
    (root / "conf.py").write_text(CONF.format(extra=list(extra_extensions)), encoding="utf-8")
    (root / "papers.rst").write_text("All papers\n==========\n\n.. paper-table::\n", encoding="utf-8")
    return root


# -- the summary ------------------------------------------------------------------------------

def _text(node: Tag) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def _heading(section: Tag) -> str:
    heading = section.find(class_="tc-group-title")
    for link in heading.find_all("a", class_="headerlink"):
        link.extract()
    return f"{section.get('data-value')}: {_text(heading)} #{heading.get('id')}"


def _controls(table: Tag) -> list[str]:
    bar = table.find(class_="tc-filterbar")
    controls = []
    if bar is None:
        return controls
    if bar.find("input", attrs={"name": "q"}):
        controls.append("search")
    for fieldset in bar.find_all("fieldset", class_="tc-facet"):
        options = [f"{o.get('data-value')}={_text(o.find(class_='tc-option-count'))}"
                   for o in fieldset.find_all(class_="tc-option")]
        controls.append(f"{fieldset.get('data-facet')}({' '.join(options)})" if options else
                        str(fieldset.get("data-facet")))
    if bar.find("select", attrs={"name": "sort"}):
        controls.append("sort")
    if bar.find("input", attrs={"name": "group"}):
        controls.append("group")
    return controls


def _walk(node: Tag, depth: int, lines: list[str]) -> None:
    for child in node.find_all(recursive=False):
        classes = child.get("class") or []
        if "tc-group" in classes:
            lines.append("  " * depth + "group " + _heading(child))
            _walk(child, depth + 1, lines)
        elif "tc-cards" in classes:
            for card in child.find_all("article", class_="tc-card", recursive=False):
                lines.append("  " * depth + "card " + card["data-key"])
        elif "tc-empty" in classes:
            lines.append("  " * depth + _text(child))


def _summarize_list_layout(soup: BeautifulSoup) -> list[str]:
    """``:layout: list`` renders headings (rubrics) and a bullet list of titles, after a target with the table id."""
    lines = []
    for target in soup.find_all(id=True):
        if target.name == "span" and not target.contents:
            following = target.find_next_siblings()
            if following and ("rubric" in (following[0].get("class") or []) or following[0].name == "ul"):
                lines.append(f"list #{target['id']}")
                for node in following:
                    if "rubric" in (node.get("class") or []):
                        lines.append("  heading " + _text(node))
                    elif node.name == "ul":
                        lines.extend("    item " + _text(li.find("strong")) for li in node.find_all("li"))
                    else:
                        break
    return lines


def summarize(html: str) -> str:
    """Tables, groups (value: heading (count) #anchor) and card keys, one a line, indented by nesting."""
    soup = BeautifulSoup(html, "html.parser")
    lines = _summarize_list_layout(soup)
    for table in soup.find_all("div", class_="tc-paper-table"):
        extra = [c for c in table["class"] if c != "tc-paper-table"]
        lines.append(f"table #{table['id']}" + (f" class={' '.join(extra)}" if extra else "") +
                     f" total={table.get('data-total')} group-by={table.get('data-group-by') or '-'}")
        lines.append("  controls: " + (", ".join(_controls(table)) or "-"))
        count = table.find(class_="tc-count", recursive=False)
        if count is not None:
            lines.append("  " + _text(count))
        _walk(table, 1, lines)
    for table in soup.select("table.tc-matrix, table.tc-stats-table"):
        lines.append(f"{' '.join(table['class'])}: {_text(table.find('caption')) if table.find('caption') else ''}")
        lines.extend("  " + " | ".join(_text(c) for c in row.find_all(["th", "td"])) for row in table.find_all("tr"))
    for block in soup.select(".tc-cite-block pre"):
        lines.append("bibtex " + block.get_text().splitlines()[0])
    for reference in soup.select("p.tc-cite-text"):
        lines.append("text " + _text(reference))
    for stamp in soup.select(".tc-last-updated"):
        lines.append("last-updated " + _text(stamp))
    for month in soup.select(".tc-whats-new .tc-news-month"):
        lines.append(f"news #{month['id']} {_text(month.find(class_='rubric'))}")
        lines.extend(f"  {' '.join(item.parent['class'])}: {_text(item)}" for item in month.select("ul > li"))
    for link in soup.select("a.tc-feed-link, a.reference.internal[href*='#paper-']"):
        lines.append(f"link {_text(link)} -> {link['href']}")
    return "\n".join(lines) + "\n"


# -- examples against the test bib -----------------------------------------------------------

@pytest.fixture(scope="module")
def built_examples(tmp_path_factory) -> Path:
    """One site with a page per example (the snippet included as the guide includes it)."""
    root = make_site(tmp_path_factory.mktemp("guide") / "site")
    shutil.copytree(EXAMPLES, root / "examples")
    names = example_names()
    for name in names:
        (root / f"ex-{name}.md").write_text(f"# {name}\n\n```{{include}} examples/{name}{SUFFIX}\n```\n",
                                            encoding="utf-8")
        title = f"{name}\n{'=' * len(name)}\n\n"
        (root / f"rst-{name}.rst").write_text(f"{title}.. include:: examples/{name}{RST_SUFFIX}\n", encoding="utf-8")
    toctree = "\n".join(["sections", "papers", *(f"ex-{n}" for n in names), *(f"rst-{n}" for n in names)])
    (root / "index.md").write_text(f"# Examples\n\n```{{toctree}}\n{toctree}\n```\n", encoding="utf-8")
    result = sphinx_build(root)
    assert result.returncode == 0, "the examples must build with -nW:\n" + result.stdout + result.stderr
    return root / "_build" / "html"


def test_there_are_examples():
    assert len(example_names()) >= 10


@pytest.mark.parametrize("name", example_names())
def test_example_renders_as_expected(built_examples, name):
    summary = summarize((built_examples / f"ex-{name}.html").read_text(encoding="utf-8"))
    expected_file = EXPECTED / f"{name}.txt"
    if REGEN:
        EXPECTED.mkdir(exist_ok=True)
        expected_file.write_text(summary, encoding="utf-8")
    assert expected_file.is_file(), f"no {expected_file.relative_to(REPO)}; run with TC_REGEN=1 and review it"
    assert summary == expected_file.read_text(encoding="utf-8"), (
        f"docs/guide/examples/{name}{SUFFIX} renders differently from tests/guide_expected/{name}.txt; "
        "if the change is intended, regenerate with TC_REGEN=1 and update the guide's prose")


@pytest.mark.parametrize("name", example_names())
def test_rest_twin_renders_like_the_example(built_examples, name):
    assert (EXAMPLES / f"{name}{RST_SUFFIX}").is_file(), f"docs/guide/examples/{name}{RST_SUFFIX} is missing"
    md = summarize((built_examples / f"ex-{name}.html").read_text(encoding="utf-8"))
    rst = summarize((built_examples / f"rst-{name}.html").read_text(encoding="utf-8"))
    assert rst == md, f"docs/guide/examples/{name}{RST_SUFFIX} renders differently from its MyST twin"


def test_no_rest_twin_without_an_example():
    twins = {p.name.removesuffix(RST_SUFFIX) for p in EXAMPLES.glob(f"*{RST_SUFFIX}")}
    assert twins == set(example_names())


def test_no_stale_expected_files():
    stale = {p.stem for p in EXPECTED.glob("*.txt")} - set(example_names())
    assert not stale, f"expected files without an example: {sorted(stale)}"


def guide_pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in GUIDE.glob("*.md")}


@pytest.mark.parametrize("name", example_names())
def test_example_is_shown_as_source_and_rendered(name):
    path = f"examples/{name}{SUFFIX}"
    pages = guide_pages()
    literal = [p for p, text in pages.items() if re.search(r"```\{literalinclude\} " + re.escape(path) + r"\n", text)]
    rendered = [p for p, text in pages.items() if re.search(r"```\{include\} " + re.escape(path) + r"\n", text)]
    assert literal, f"{path} is not shown with literalinclude in any guide page"
    assert rendered, f"{path} is not rendered with include in any guide page"


def test_guide_includes_name_existing_files():
    for page, text in guide_pages().items():
        for target in re.findall(r"```\{(?:literal)?include\} (\S+)", text):
            assert (GUIDE / target).is_file(), f"{page} includes {target}, which does not exist"


# -- references that must list everything ----------------------------------------------------

def registered_config_values() -> dict[str, object]:
    """Every ``tc_*`` value the extension (and its optional modules) registers, with its default."""
    app = mock.MagicMock()
    sphinx_tc_ext.setup(app)
    for module in missing_extensions():
        __import__(module, fromlist=["setup"]).setup(app)
    values = {}
    for call in app.add_config_value.call_args_list:
        name, default = call.args[0], call.args[1] if len(call.args) > 1 else call.kwargs.get("default")
        if name.startswith("tc_"):
            values[name] = default
    return values


def test_every_config_value_is_documented_with_its_default():
    text = (GUIDE / "configuration.md").read_text(encoding="utf-8")
    values = registered_config_values()
    assert len(values) >= 7
    for name, default in values.items():
        rows = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert rows, f"{name} is not documented in a table row of docs/guide/configuration.md"
        assert f"`{default!r}`" in rows[0].replace('"', "'") or f"`{default!r}`" in rows[0], \
            f"the row of {name} does not give its default `{default!r}`"


def test_every_warning_subtype_is_documented():
    text = (GUIDE / "warnings.md").read_text(encoding="utf-8")
    for subtype in WARNING_SUBTYPES:
        assert f'"tc.{subtype}"' in text, f"docs/guide/warnings.md does not say how to silence tc.{subtype}"


def test_every_css_custom_property_is_documented():
    css = (REPO / "src" / "sphinx_tc_ext" / "static" / "tc.css").read_text(encoding="utf-8")
    properties = set(re.findall(r"(--tc-[a-z0-9-]+)\s*:", css)) | {"--tc-badge-bg"}
    text = (GUIDE / "theming.md").read_text(encoding="utf-8")
    missing = sorted(p for p in properties if f"`{p}`" not in text)
    assert not missing, f"docs/guide/theming.md does not document {missing}"


def test_every_directive_option_has_a_section_with_an_example():
    from sphinx_tc_ext.sphinx.directive import PaperTableDirective

    text = (GUIDE / "directive.md").read_text(encoding="utf-8")
    for option in PaperTableDirective.option_spec:
        assert f"(guide-opt-{option})=\n## `:{option}:`" in text, f":{option}: has no section in directive.md"
        assert f"| {{ref}}`guide-opt-{option}` |" in text, f":{option}: is not in the table of options"
        assert re.search(rf"^:{re.escape(option)}:", "\n".join(p.read_text(encoding="utf-8")
                                                               for p in EXAMPLES.glob(f"*{SUFFIX}")), re.M), \
            f"no example uses :{option}:"


def test_grammar_in_the_guide_is_the_parser_s():
    from sphinx_tc_ext.core import filters

    grammar = re.search(r"Grammar.*?::\n\n(.*?)\n\n", filters.__doc__, re.S).group(1)
    grammar = "\n".join(line[4:] for line in grammar.splitlines())
    text = (GUIDE / "filters.md").read_text(encoding="utf-8")
    assert f"```text\n{grammar}\n```" in text, "the grammar in filters.md differs from the docstring of filters.py"


def test_supported_versions_are_stated():
    text = (GUIDE / "index.md").read_text(encoding="utf-8") + (GUIDE / "quickstart.md").read_text(encoding="utf-8")
    assert "Python 3.10–3.13" in text and "Sphinx 8.0–9.x" in text


# -- the guide as a whole --------------------------------------------------------------------

def test_cli_reference_shows_every_subcommand(tmp_path):
    from sphinx_tc_ext.cli import build_parser
    from sphinx_tc_ext.sphinx.clidoc import subcommands

    root = make_site(tmp_path / "site", missing_extensions("tc-cli-reference"))
    (root / "index.md").write_text("# CLI\n\n```{toctree}\nsections\npapers\n```\n\n```{tc-cli-reference}\n```\n",
                                   encoding="utf-8")
    result = sphinx_build(root)
    assert result.returncode == 0, result.stdout + result.stderr
    soup = BeautifulSoup((root / "_build" / "html" / "index.html").read_text(encoding="utf-8"), "html.parser")
    names = [name for name, _help, _parser in subcommands(build_parser())]
    assert {"init", "import-awesome", "check", "fmt"} <= set(names)
    for name in names:
        section = soup.find(id=f"cli-{name}")
        assert section is not None, f"no section for tc-survey {name}"
        assert f"usage: tc-survey {name}" in section.find("pre").get_text()


def test_guide_builds_with_nitpicky_warnings_as_errors_when_included(tmp_path):
    root = make_site(tmp_path / "site", (*missing_extensions(), "sphinx_design"))  # tabs: MyST and reST
    shutil.copytree(GUIDE, root / "guide")
    shutil.copytree(GUIDE.parent / "_static", root / "_static")
    (root / "index.md").write_text("# Site\n\n```{toctree}\nsections\npapers\nguide/index\n```\n", encoding="utf-8")
    result = sphinx_build(root)
    assert result.returncode == 0, result.stdout + result.stderr
    html = root / "_build" / "html" / "guide"
    pages = {p.stem for p in GUIDE.glob("*.md")}
    assert {"index", "quickstart", "directive", "filters", "configuration", "taxonomy-file", "bib-fields", "cli",
            "warnings", "theming"} <= pages
    for page in pages:
        assert (html / f"{page}.html").is_file(), page
