"""``tc-survey init``: the scaffold builds with ``sphinx-build -nW`` as created, and the importer can fill it."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from sphinx_tc_ext import cli
from sphinx_tc_ext._version import __version__
from sphinx_tc_ext.cli import init as init_module
from sphinx_tc_ext.cli.init import InitError, init_site, parse_facet, requirement_line, scaffold_files
from sphinx_tc_ext.core.taxonomy import load_taxonomy, tomllib

REPO = Path(__file__).parent.parent
SNAPSHOT = REPO / "tests" / "data" / "awesome" / "snapshot"


def sphinx_build(site: Path) -> subprocess.CompletedProcess:
    """Build the scaffold the way its README says: conf.py at the top, sources in docs/."""
    return subprocess.run([sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-q", "-b", "html",
                           "-c", ".", "docs", "_build/html"], cwd=site, capture_output=True, text=True)


def tc_survey(*args: str) -> int:
    return cli.main(list(args))


def test_default_scaffold_has_every_file_and_builds_clean(tmp_path, capsys):
    site = tmp_path / "new-survey"
    assert tc_survey("init", str(site), "--title", "A Survey of Everything", "--author", "Ada Lovelace") == 0
    out = capsys.readouterr().out
    assert "sphinx-build -nW" in out
    for name in ("conf.py", "README.md", "requirements.txt", ".readthedocs.yaml", ".pre-commit-config.yaml",
                 ".gitignore", "refs/survey.bib", "refs/taxonomy.toml", "docs/index.md", "docs/papers.md",
                 "docs/area/image.md", "docs/area/video.md", "docs/category/pruning.md",
                 "docs/category/merging.md"):
        assert (site / name).is_file(), name

    taxonomy = load_taxonomy(site / "refs" / "taxonomy.toml")
    assert [f.id for f in taxonomy.facets] == ["area", "category"]
    assert taxonomy.title == "A Survey of Everything"
    for facet in taxonomy.facets:
        for value in facet.values:
            page = (site / "docs" / facet.id / f"{value.id}.md").read_text(encoding="utf-8")
            assert page.startswith(f"({value.section})=\n"), "each value's page defines its section label"

    result = sphinx_build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    html = site / "_build" / "html"
    papers = (html / "papers.html").read_text(encoding="utf-8")
    assert 'data-key="doe2025example"' in papers
    assert 'href="area/image.html#area-image"' in papers, "badges link to the value's page"
    assert (html / "_static" / "tc.css").is_file() and (html / "_static" / "tc-taxonomy.css").is_file()
    assert "A Survey of Everything" in (html / "index.html").read_text(encoding="utf-8")
    assert "tc-survey preview" in (site / "README.md").read_text(encoding="utf-8")


def test_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert tc_survey("init", str(site)) == 1
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err
    assert sorted(p.name for p in site.iterdir()) == ["notes.txt"], "nothing written"

    assert tc_survey("init", str(site), "--force") == 0
    assert (site / "conf.py").is_file() and (site / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_refuses_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("", encoding="utf-8")
    with pytest.raises(InitError, match="is a file"):
        init_site(target)


def test_current_folder_is_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert tc_survey("init") == 0
    assert (tmp_path / "conf.py").is_file()
    assert "Next: pip install" in capsys.readouterr().out


@pytest.mark.parametrize(("spec", "message"), [
    ("area", "write ID"),
    ("area=", "write ID"),
    ("my area=image", "facet id"),
    ("area:2x=image", "field"),
    ("area=image,vid_eo", "value id"),
    ("area=image,image", "twice"),
])
def test_bad_facet_specs_say_what_to_write(spec, message):
    with pytest.raises(InitError, match=message):
        parse_facet(spec)


def test_facets_must_not_share_ids_or_fields(tmp_path, capsys):
    assert tc_survey("init", str(tmp_path / "s"), "--facet", "area=a", "--facet", "topic:area=b") == 1
    assert "names two facets" in capsys.readouterr().err


def test_custom_facets_title_with_markup_and_quotes(tmp_path):
    site = tmp_path / "site"
    title = 'Tokens {that} "talk" *too* much: a `survey` & <more> \\ \'quotes\''
    init_site(site, title=title, author="O'Brien, \"Q\"",
              facet_specs=["modality:modalities=image,video,audio", "cost=training-free,training-based",
                           "venue-kind=workshop"])
    taxonomy = load_taxonomy(site / "refs" / "taxonomy.toml")
    assert [(f.id, f.field, f.required) for f in taxonomy.facets] == [
        ("modality", "modalities", True), ("cost", "cost", False), ("venue-kind", "venue-kind", False)]
    assert taxonomy.title == title
    bib = (site / "refs" / "survey.bib").read_text(encoding="utf-8")
    assert "modalities = {image}," in bib and "cost = {training-free}," in bib
    assert ":group-by: modality, cost" in (site / "docs" / "papers.md").read_text(encoding="utf-8")
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid escape sequence in the docstring
        exec(compile((site / "conf.py").read_text(encoding="utf-8"), "conf.py", "exec"), namespace)
    assert title in namespace["__doc__"]
    assert namespace["project"] == title and namespace["author"] == "O'Brien, \"Q\""
    result = sphinx_build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site / "_build" / "html" / "venue-kind" / "workshop.html").is_file()


def test_read_the_docs_config_overrides_the_build_like_ours(tmp_path):
    files = scaffold_files("S", "A", [parse_facet("area=a")])
    config = yaml.safe_load(files[".readthedocs.yaml"])
    ours = yaml.safe_load((REPO / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert config["version"] == 2 and config["build"]["os"] == ours["build"]["os"]
    assert any("-c . docs" in c and "$READTHEDOCS_OUTPUT/html" in c for c in config["build"]["commands"])
    assert "requirements.txt" in " ".join(config["build"]["commands"])
    checker = Path(sys.executable).with_name("check-jsonschema")
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed")
    (tmp_path / ".readthedocs.yaml").write_text(files[".readthedocs.yaml"], encoding="utf-8")
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.readthedocs",
                             str(tmp_path / ".readthedocs.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_config_uses_our_hooks_with_a_documented_placeholder():
    files = scaffold_files("S", "A", [parse_facet("area=a")], hooks_repo="https://example.org/fork.git")
    config = yaml.safe_load(files[".pre-commit-config.yaml"])
    (repo,) = config["repos"]
    assert repo["repo"] == "https://example.org/fork.git"
    assert [h["id"] for h in repo["hooks"]] == ["tc-survey-check", "tc-survey-fmt"]
    assert "placeholder" in files[".pre-commit-config.yaml"] and "placeholder" in files["README.md"]
    hooks = REPO / ".pre-commit-hooks.yaml"
    if hooks.is_file():  # our published hooks, when the repository defines them
        published = {h["id"] for h in yaml.safe_load(hooks.read_text(encoding="utf-8"))}
        assert {"tc-survey-check", "tc-survey-fmt"} <= published


def test_requirements_and_taxonomy_are_valid():
    files = scaffold_files("S", "A", [parse_facet("area:areas=x,y")])
    requirement, _source = requirement_line()
    lines = [line for line in files["requirements.txt"].splitlines() if line and not line.startswith("#")]
    assert lines == [requirement, "myst-parser>=3.0"]
    assert Requirement(requirement).name == "sphinx-tc-ext" and Requirement(requirement).extras == {"docs"}
    data = tomllib.loads(files["refs/taxonomy.toml"])
    assert [v["section"] for v in data["facets"][0]["values"]] == ["area-x", "area-y"]


@pytest.mark.skipif(importlib.util.find_spec("sphinx_tc_ext.cli.awesome") is None,
                    reason="tc-survey import-awesome (awesome.py) is not available")
def test_import_awesome_fills_the_scaffold(tmp_path):
    """Value ids that match the list's badge texts need no aliases: the import fills every facet."""
    site = tmp_path / "site"
    assert tc_survey("init", str(site), "--title", "Token compression",
                     "--facet", "area:areas=image-llm,video-llm,audio-llm",
                     "--facet", "category:categories=transformation-based,similarity-based,attention-based,"
                                "query-based",
                     "--facet", "cost=training-free,training-based") == 0
    shutil.copy(SNAPSHOT / "image-llm.md", tmp_path / "image-llm.md")
    status = tc_survey("import-awesome", str(tmp_path / "image-llm.md"), "-o", str(site / "refs" / "survey.bib"),
                       "--taxonomy", str(site / "refs" / "taxonomy.toml"), "-q")
    assert status == 0
    bib = (site / "refs" / "survey.bib").read_text(encoding="utf-8")
    assert bib.count("\n@") > 50 and "doe2025example" in bib, "imported next to the kept example"
    assert "categories = {" in bib and "cost = {training-free}" in bib
    result = sphinx_build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    papers = (site / "_build" / "html" / "papers.html").read_text(encoding="utf-8")
    assert papers.count('class="tc-card') > 50
    assert 'href="category/attention-based.html#category-attention-based"' in papers


@pytest.mark.skipif(importlib.util.find_spec("sphinx_tc_ext.cli.check") is None
                    or importlib.util.find_spec("sphinx_tc_ext.cli.fmt") is None,
                    reason="tc-survey check/fmt (cli/check.py, cli/fmt.py) are not available")
def test_scaffold_passes_check_and_fmt(tmp_path, monkeypatch, capsys):
    """What the pre-commit hooks run on the scaffold passes as created (default paths: refs/)."""
    init_site(tmp_path, facet_specs=["area:areas=image,video", "method:methods=pruning,merging"])
    monkeypatch.chdir(tmp_path)
    assert tc_survey("check") == 0, capsys.readouterr()
    assert tc_survey("fmt", "--check") == 0, capsys.readouterr()


# -- where the scaffold installs sphinx-tc-ext from (PEP 610 direct_url.json) ---------------------

class FakeDistribution:
    """An installed distribution as ``importlib.metadata`` shows it: a version and its metadata files."""

    def __init__(self, direct_url: dict | str | None, version: str = "0.3.1") -> None:
        self.version = version
        self._direct_url = json.dumps(direct_url) if isinstance(direct_url, dict) else direct_url

    def read_text(self, filename: str) -> str | None:
        return self._direct_url if filename == "direct_url.json" else None


GIT = {"url": "https://github.com/someone/sphinx-tc-ext.git",
       "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123456789abcdef01234567",
                    "requested_revision": "main"}}


@pytest.mark.parametrize("direct_url, expected", [
    (GIT, "sphinx-tc-ext[docs] @ git+https://github.com/someone/sphinx-tc-ext.git"
          "@0123456789abcdef0123456789abcdef01234567"),
    ({**GIT, "subdirectory": "pkg"}, "sphinx-tc-ext[docs] @ git+https://github.com/someone/sphinx-tc-ext.git"
                                     "@0123456789abcdef0123456789abcdef01234567#subdirectory=pkg"),
    ({"url": "file:///home/ada/sphinx-tc-ext", "dir_info": {"editable": True}},
     "sphinx-tc-ext[docs] @ file:///home/ada/sphinx-tc-ext"),
    ({"url": "file:///home/ada/sphinx-tc-ext", "dir_info": {}}, "sphinx-tc-ext[docs] @ file:///home/ada/sphinx-tc-ext"),
    ({"url": "file:///tmp/dist/sphinx_tc_ext-0.3.1-py3-none-any.whl", "archive_info": {}},
     "sphinx-tc-ext[docs] @ file:///tmp/dist/sphinx_tc_ext-0.3.1-py3-none-any.whl"),
    (None, "sphinx-tc-ext[docs]==0.3.1"),  # from an index: no direct_url.json
    ("{not json", "sphinx-tc-ext[docs]==0.3.1"),
    ({"url": "javascript:alert(1)", "dir_info": {}}, "sphinx-tc-ext[docs]==0.3.1"),
], ids=["git", "git-subdirectory", "editable", "local-dir", "local-wheel", "index", "broken", "odd-scheme"])
def test_requirement_line_from_direct_url(direct_url, expected):
    line, source = requirement_line(FakeDistribution(direct_url))
    assert line == expected
    requirement = Requirement(line)  # what pip parses
    assert requirement.name == "sphinx-tc-ext" and requirement.extras == {"docs"}
    assert ("on this machine only" in source) == line.startswith("sphinx-tc-ext[docs] @ file:")


@pytest.mark.parametrize("direct_url, line", [
    (GIT, "sphinx-tc-ext[docs] @ git+https://github.com/someone/sphinx-tc-ext.git@0123456789abcdef0123456789abcdef01234567"),
    ({"url": "file:///src/tc", "dir_info": {"editable": True}}, "sphinx-tc-ext[docs] @ file:///src/tc"),
    (None, "sphinx-tc-ext[docs]==0.3.1"),
], ids=["git", "editable", "index"])
def test_init_writes_the_source_it_was_installed_from(tmp_path, monkeypatch, capsys, direct_url, line):
    asked = []

    def distribution(name: str) -> FakeDistribution:
        asked.append(name)
        return FakeDistribution(direct_url)

    monkeypatch.setattr(init_module.metadata, "distribution", distribution)
    assert tc_survey("init", str(tmp_path / "site")) == 0
    requirements = (tmp_path / "site" / "requirements.txt").read_text(encoding="utf-8")
    assert asked == ["sphinx-tc-ext"] and f"\n{line}\n" in requirements
    assert ">=" not in requirements.split("myst-parser")[0]


def test_init_from_a_source_tree_not_installed(monkeypatch):
    def missing(name: str):
        raise init_module.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(init_module.metadata, "distribution", missing)
    assert requirement_line()[0] == f"sphinx-tc-ext[docs]>={__version__}"


# -- pre-commit: a release tag, never a branch -----------------------------------------------------

def test_pre_commit_snippets_pin_the_release_tag():
    """pre-commit warns about a mutable rev such as main: every snippet we write or show pins v<version>."""
    config = yaml.safe_load(scaffold_files("S", "A", [parse_facet("area=a")])[".pre-commit-config.yaml"])
    assert config["repos"][0]["rev"] == f"v{__version__}"
    shown = {
        "docs/contributing.md": (REPO / "docs" / "contributing.md").read_text(encoding="utf-8"),
        "docs/guide/cli.md": (REPO / "docs" / "guide" / "cli.md").read_text(encoding="utf-8"),
        ".pre-commit-hooks.yaml": (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"),
    }
    for name, text in shown.items():
        revs = re.findall(r"^[\s#]*rev:\s*(\S+)", text, re.M)  # YAML lines, commented out or not
        assert revs, f"{name} shows no pre-commit snippet"
        assert set(revs) == {f"v{__version__}"}, f"{name}: rev {revs}; pin the release tag v{__version__}"
