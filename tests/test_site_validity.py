"""The real site is valid HTML (Nu HTML checker) and every internal link resolves.

Builds ``-c . docs`` like ``scripts/build-site`` into a temporary folder.  The Nu checker
(``vnu-jar``) is installed with npm into a cache folder outside the repository the first time:
``npm install --prefix ~/.cache/sphinx-tc-ext/vnu vnu-jar`` (set ``TC_VNU_DIR`` to put it
elsewhere); it needs Java 11+.  Errors that are not ours are filtered out, each rule with its
reason, and the filtered errors are printed (``pytest -rA -s`` shows them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tc_testing import REPO

pytestmark = pytest.mark.slow

VNU_DIR = Path(os.environ.get("TC_VNU_DIR") or
               Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sphinx-tc-ext" / "vnu")
VNU_JAR = VNU_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Pages with no content of ours: what the checker reports there comes from the theme or Sphinx.
THEME_ONLY_PAGES = ("genindex.html", "search.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not (REPO / "refs" / "survey.bib").is_file():
        pytest.skip("refs/survey.bib is missing: the real site cannot be built yet")
    tmp = tmp_path_factory.mktemp("real-site")
    out = tmp / "html"
    cmd = [sys.executable, "-m", "sphinx", "-n", "--keep-going", "-b", "html", "-d", str(tmp / "doctrees"),
           "-c", str(REPO), str(REPO / "docs"), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Exception occurred" not in proc.stderr, proc.stderr[-3000:]
    if proc.stderr.strip():
        print(f"build warnings (not this test's concern):\n{proc.stderr[-2000:]}")
    return out


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed (the Nu HTML checker needs Java 11+)")
    if not VNU_JAR.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install vnu-jar")
        VNU_DIR.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([npm, "install", "--prefix", str(VNU_DIR), "--no-audit", "--no-fund", "vnu-jar"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 and VNU_JAR.is_file(), f"npm install vnu-jar failed:\n{proc.stderr[-2000:]}"
    return [java, "-Xss8m", "-jar", str(VNU_JAR)]


def html_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if ".doctrees" not in p.parts)


def run_vnu(vnu: list[str], files: list[Path]) -> list[dict]:
    proc = subprocess.run([*vnu, "--errors-only", "--format", "json", *map(str, files)],
                          capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stderr or proc.stdout)
    return [m for m in report["messages"] if m.get("type") == "error"]


def page_of(message: dict, out: Path) -> str:
    url = message.get("url", "")
    path = Path(unquote(urlsplit(url).path))
    try:
        return path.relative_to(out).as_posix()
    except ValueError:
        return url


def signature(message: dict) -> tuple[str, str]:
    return message["message"], " ".join(message.get("extract", "").split())


def furo_table_wrapper_duplicate(message: dict, out: Path) -> bool:
    """furo wraps every table in ``div.table-wrapper`` and copies the table's attributes, ids included
    (``furo.WrapTableAndMathInAContainerTransform``): a captioned table's id then appears twice."""
    found = re.match(r"Duplicate ID “(.+)”\.$", message["message"])
    if not found:
        return False
    html = (out / page_of(message, out)).read_text(encoding="utf-8")
    ident = re.escape(found.group(1))
    wrapped = re.search(rf'<div class="table-wrapper[^"]*"[^>]* id="{ident}">\s*<table [^>]*id="{ident}"', html)
    return wrapped is not None and len(re.findall(rf'id="{ident}"', html)) == 2


def sphinx_toctree_caption(message: dict) -> bool:
    """Sphinx writes a toctree's ``:caption:`` as ``<p class="caption" role="heading">`` without
    ``aria-level`` (``sphinx.environment.adapters.toctree`` / the HTML5 writer), in furo's sidebar
    and wherever a page has a captioned toctree."""
    return message["message"].startswith("Element “p” is missing required attribute “aria-level”") and \
        '<p class="caption" role="heading">' in message.get("extract", "")


def sphinx_design_tab_label(message: dict) -> bool:
    """sphinx-design's tabs are radio inputs with labels that carry ``aria-controls``
    (``sphinx_design.tabs``), which the checker does not allow on a label of an input."""
    return message["message"].startswith("The “aria-controls” attribute must not be used on any “label”") and \
        'class="sd-tab-label"' in message.get("extract", "")


def test_nu_checker_finds_no_errors_in_our_markup(site, vnu):
    files = html_files(site)
    errors = run_vnu(vnu, files)
    theme_only = {signature(m) for m in errors if page_of(m, site) in THEME_ONLY_PAGES}
    ours, filtered = [], Counter()
    for m in errors:
        if signature(m) in theme_only:
            filtered[f"theme/Sphinx (also on {', '.join(THEME_ONLY_PAGES)}): {m['message']}"] += 1
        elif sphinx_toctree_caption(m):
            filtered[f"Sphinx's toctree caption markup: {m['message']}"] += 1
        elif sphinx_design_tab_label(m):
            filtered[f"sphinx-design's tab labels: {m['message']}"] += 1
        elif furo_table_wrapper_duplicate(m, site):
            filtered["furo's table wrapper copies a captioned table's id: Duplicate ID"] += 1
        else:
            ours.append(m)
    summary = f"Nu checker: {len(files)} pages, {len(errors)} errors, {len(errors) - len(ours)} not ours:\n" + \
        "\n".join(f"  {count:4d} × {reason}" for reason, count in filtered.most_common())
    print(summary)
    assert not ours, "errors in our markup:\n" + "\n".join(
        f"{page_of(m, site)}:{m.get('lastLine')}: {m['message']}  [{' '.join(m.get('extract', '').split())[:160]}]"
        for m in ours) + "\n" + summary


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])  # type: ignore[arg-type]
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])  # type: ignore[arg-type]
        for name in ("href", "src"):
            value = a.get(name)
            if value is not None:
                self.links.append((self.getpos()[0], value))


def test_every_internal_link_resolves(site):
    """Every relative href/src names an existing file, and every #fragment an id on that page.

    A path from the server's root (the 404 page's links, which work at any depth) is read from
    the site's root path, that of its canonical address.
    """
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', (site / "index.html").read_text(encoding="utf-8"))
    root_path = urlsplit(canonical.group(1)).path.rsplit("/", 1)[0] + "/" if canonical else "/"
    pages: dict[Path, _Page] = {}
    for path in html_files(site):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken, checked = [], 0
    for path, page in pages.items():
        for line, url in page.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//") or url in ("", "#"):
                continue
            checked += 1
            if parts.path.startswith(root_path):
                target = (site / unquote(parts.path[len(root_path):])).resolve()
            else:
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            where = f"{path.relative_to(site.resolve())}:{line}: {url}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                other = pages.get(target)
                if other is None or unquote(parts.fragment) not in other.ids:
                    broken.append(f"{where} (no id '{unquote(parts.fragment)}' there)")
    assert checked > 100
    assert not broken, f"{len(broken)} of {checked} internal links are broken:\n" + "\n".join(broken[:50])
