"""Packaging: the wheel carries everything a site needs, its metadata is right, ``setup()`` is honest.

The slow test builds the sdist and, from it, the wheel (as ``python -m build`` does), installs the wheel
into a fresh virtual environment with Sphinx and MyST from PyPI, scaffolds a site with that
environment's ``tc-survey init`` and builds it with its ``sphinx-build -nW``: a CSS, JavaScript, template
or data file missing from the package data fails here, not on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import sphinx_tc_ext

REPO = Path(__file__).parent.parent
PACKAGE = REPO / "src" / "sphinx_tc_ext"
DATA_DIRS = ("static", "data", "templates")


def run(*args: str | os.PathLike, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def checkout(dest: Path) -> Path:
    """The files a clean checkout would have (tracked, plus new files not ignored), without build leftovers."""
    listing = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).stdout
    for name in filter(None, listing.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def package_data_files() -> set[str]:
    """Every non-Python file under static/, data/ and templates/, as a path inside the wheel."""
    found = set()
    for folder in DATA_DIRS:
        for path in (PACKAGE / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                found.add(path.relative_to(PACKAGE.parent).as_posix())
    return found


def test_setup_declares_parallel_safety_and_version(make_app, tmp_path):
    (tmp_path / "conf.py").write_text("extensions = ['sphinx_tc_ext']\ntc_bib_file = 'survey.bib'\n"
                                      "tc_taxonomy_file = 'taxonomy.toml'\n", encoding="utf-8")
    (tmp_path / "index.rst").write_text("Index\n=====\n", encoding="utf-8")
    shutil.copy(REPO / "tests" / "roots" / "test-survey" / "refs" / "survey.bib", tmp_path / "survey.bib")
    shutil.copy(REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml", tmp_path / "taxonomy.toml")
    app = make_app("html", srcdir=tmp_path)
    extension = app.extensions["sphinx_tc_ext"]
    assert extension.version == sphinx_tc_ext.__version__
    assert extension.parallel_read_safe is True
    assert extension.parallel_write_safe is True


def test_version_has_a_single_source():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "sphinx_tc_ext._version.__version__" }' in pyproject
    parts = sphinx_tc_ext.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), "SemVer MAJOR.MINOR.PATCH"
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{sphinx_tc_ext.__version__}]" in changelog


@pytest.mark.slow
def test_wheel_installs_scaffolds_and_builds_a_site(tmp_path):
    source = checkout(tmp_path / "checkout")
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name.startswith(f"sphinx_tc_ext-{sphinx_tc_ext.__version__}-py3-none-any")

    with zipfile.ZipFile(wheel) as zf:
        in_wheel = set(zf.namelist())
    missing = package_data_files() - in_wheel
    assert not missing, f"package data missing from the wheel: {sorted(missing)}"
    assert not [n for n in in_wheel if n.startswith(("tests/", "docs/", "refs/"))], "only the package is shipped"
    with tarfile.open(sdist) as tf:
        in_sdist = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md"} <= in_sdist
    assert {f"src/{name}" for name in package_data_files()} <= in_sdist

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environ["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, "sphinx", "myst-parser",
        env=environ)

    metadata = json.loads(run(python, "-c", (
        "import importlib.metadata as m, json, sphinx_tc_ext\n"
        "md = m.metadata('sphinx-tc-ext')\n"
        "print(json.dumps({'version': md['Version'], 'module_version': sphinx_tc_ext.__version__,\n"
        "  'module_file': sphinx_tc_ext.__file__, 'classifiers': md.get_all('Classifier'),\n"
        "  'license': md.get('License-Expression') or md.get('License'), 'urls': md.get_all('Project-URL'),\n"
        "  'requires_python': md['Requires-Python'], 'requires': md.get_all('Requires-Dist'),\n"
        "  'scripts': [e.name for e in m.entry_points(group='console_scripts') if e.value.startswith('sphinx_tc')]}))"
    ), cwd=tmp_path, env=environ).stdout)
    assert metadata["version"] == metadata["module_version"] == sphinx_tc_ext.__version__
    assert str(env_dir) in metadata["module_file"], "imported from the installed wheel, not the checkout"
    classifiers = set(metadata["classifiers"])
    assert {"Framework :: Sphinx :: Extension", "Framework :: Sphinx"} <= classifiers
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)} <= classifiers
    assert metadata["license"] == "MIT"
    assert metadata["requires_python"] == ">=3.10"
    assert any(r.startswith("sphinx") and ">=8.0" in r and "<10" in r for r in metadata["requires"])
    urls = dict(u.split(", ", 1) for u in metadata["urls"])
    assert {"Homepage", "Source"} <= set(urls) and all(u.startswith("https://") for u in urls.values())
    assert metadata["scripts"] == ["tc-survey"]

    site = tmp_path / "site"
    run(env_dir / "bin" / "tc-survey", "init", site, "--title", "Packaging check", cwd=tmp_path, env=environ)
    run(env_dir / "bin" / "sphinx-build", "-nW", "--keep-going", "-q", "-b", "html", "-c", ".", "docs",
        "_build/html", cwd=site, env=environ)
    html = site / "_build" / "html"
    for static in ("tc.css", "tc.js", "tc-taxonomy.css"):
        assert (html / "_static" / static).is_file(), static
    papers = (html / "papers.html").read_text(encoding="utf-8")
    assert 'data-key="doe2025example"' in papers and "_static/tc.js" in papers
