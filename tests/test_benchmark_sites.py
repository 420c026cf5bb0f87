"""The baselines of issue 19's benchmarks build, and measure what they claim to.

``benchmarks/plain_site.py`` makes the real site without the extension (the real-site ratio's
denominator) and the "floor" site (pages that show an edited paper as their built HTML, written
by Sphinx and furo with nothing of ours).  A baseline that stops building cleanly (a new
directive or role of ours it does not know) would make the ratio compare against a failed
build, as happened once unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tc_testing import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import plain_site

pytestmark = pytest.mark.slow


def sphinx_build(root: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-q", "-b", "html", "-c", ".", "docs",
           "_build/html"]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    root = plain_site.make_plain_site(tmp_path_factory.mktemp("bench") / "plain")
    done = sphinx_build(root)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def test_the_plain_copy_builds_clean_with_every_page_and_nothing_of_ours(plain):
    sources = {p.relative_to(REPO / "docs").with_suffix("").as_posix()
               for p in (REPO / "docs").rglob("*.md") if "_build" not in p.parts}
    html = plain / "_build" / "html"
    for page in sources:
        if (html / f"{page}.html").is_file():  # included fragments have no page of their own
            text = (html / f"{page}.html").read_text(encoding="utf-8")
            assert 'class="tc-' not in text, page
    assert (html / "papers.html").is_file() and (html / "index.html").is_file()
    conf = (plain / "conf.py").read_text(encoding="utf-8")
    assert "extensions = [name for name in extensions if name not in" in conf


def test_a_directive_inside_a_tab_leaves_the_tab_some_content():
    text = "::::{tab-set}\n:::{tab-item} A\n```{tc-bibtex} key\n```\n:::\n::::\n```{paper-table}\n```\nafter"
    assert plain_site.strip_text(text, set()) == "::::{tab-set}\n:::{tab-item} A\n(tc-bibtex)\n:::\n::::\nafter"


def test_the_floor_site_writes_the_same_main_content(plain, tmp_path):
    floor = plain_site.make_floor_site(tmp_path / "floor", plain, ["papers", "areas/video"])
    source = (floor / "docs" / "areas" / "video.md").read_text(encoding="utf-8")
    assert source.startswith("(area-video)=\n(video-transformation)=\n") and "\n# Video LLMs\n" in source
    done = sphinx_build(floor)
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("papers", "areas/video"):
        body = plain_site.main_content((plain / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8"))
        after = (floor / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")
        assert len(body) > 500 and body in after, page
