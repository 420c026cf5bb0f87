"""Build a copy of a test root and serve it on 127.0.0.1: shared by the browser tests and
``benchmarks/browser_filter.py``; the server is the package's own (``tc-survey preview``'s)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_tc_ext.cli.preview import serving as serve  # noqa: F401  (the browser tests import it from here)

if TYPE_CHECKING:  # the benchmarks import this module without Playwright
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "tests" / "roots" / "test-survey"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def copy_root(dest: Path, root: Path = ROOT) -> Path:
    shutil.copytree(root, dest)
    return dest


def add_field(src: Path, key: str, field: str, value: str) -> None:
    """Give the entry ``key`` of a copied root's bib one more field (as its first)."""
    bib = src / "refs" / "survey.bib"
    text = bib.read_text(encoding="utf-8")
    start = text.index("{" + key + ",\n") + len(key) + 3
    bib.write_text(text[:start] + f"  {field} = {{{value}}},\n" + text[start:], encoding="utf-8")


def build_command(src: Path, out: Path, theme: str | None = None, strict: bool = True) -> list[str]:
    flags = ["-nW", "--keep-going"] if strict else []
    cmd = [sys.executable, "-m", "sphinx", *flags, "-q", "-b", "html", str(src), str(out)]
    if theme:
        cmd += ["-D", f"html_theme={theme}"]
    return cmd


def build(src: Path, out: Path, theme: str | None = None, strict: bool = True) -> Path:
    """Build ``src`` into ``out`` (with ``strict``, warnings are errors); return ``out``."""
    result = subprocess.run(build_command(src, out, theme, strict), capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"sphinx-build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return out


def build_many(jobs: list[tuple[Path, Path, str | None]]) -> None:
    """Run several builds at once (they are independent)."""
    procs = [(subprocess.Popen(build_command(*job), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), job)
             for job in jobs]
    errors = []
    for proc, job in procs:
        output, _ = proc.communicate()
        if proc.returncode:
            errors.append(f"sphinx-build {job} failed ({proc.returncode}):\n{output}")
    if errors:
        raise RuntimeError("\n".join(errors))




def download(page: Page, selector: str) -> tuple[str, str]:
    """Click what offers a file and return its suggested name and text, as saved (RIS keeps CRLF)."""
    with page.expect_download() as info:
        page.click(selector)
    path = Path(info.value.path())
    return info.value.suggested_filename, path.read_bytes().decode("utf-8")
