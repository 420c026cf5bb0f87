"""The guide's screenshots (docs/_static/screenshots) and scripts/screenshots.py, without a browser.

Every picture the guide shows must exist, be a real PNG, stay small and carry alt text; the
script must take exactly those pictures and answer ``--help`` and bad input without a browser.
The pictures themselves are taken in tests/browser/test_screenshots_ui.py.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "screenshots.py"
SHOTS_DIR = REPO / "docs" / "_static" / "screenshots"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A figure or image of a screenshot in a MyST page, with its options up to the first blank line.
DIRECTIVE = re.compile(r"```\{(?:figure|image)\} (\S*_static/screenshots/[^\s`]+)\n((?::[^\n]*\n)*)")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tc_screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name}: no IHDR chunk first"
    return struct.unpack(">II", head[16:24])


def guide_references() -> dict[str, list[tuple[str, str]]]:
    """PNG name -> [(page, directive options)] for every screenshot shown in docs/."""
    found: dict[str, list[tuple[str, str]]] = {}
    for page in sorted((REPO / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for target, options in DIRECTIVE.findall(text):
            assert (page.parent / target).resolve().parent == SHOTS_DIR, f"{page}: {target} is outside the folder"
            found.setdefault(Path(target).name, []).append((str(page.relative_to(REPO)), options))
        # A screenshot referenced some other way (a link, raw HTML) would escape the checks below.
        assert len(re.findall(r"_static/screenshots/", text)) == len(DIRECTIVE.findall(text)), page
    return found


def test_the_guide_shows_screenshots():
    refs = guide_references()
    assert {"papers-light.png", "papers-dark.png", "papers-mobile.png"} <= set(refs)
    assert any(page == "docs/guide/screenshots.md" for uses in refs.values() for page, _ in uses)


@pytest.mark.parametrize("name", sorted(guide_references()))
def test_every_screenshot_is_a_small_png_with_alt_text(name):
    script = load_script()
    path = SHOTS_DIR / name
    assert path.is_file(), f"the guide shows {name}, which is missing: run python scripts/screenshots.py"
    width, height = png_size(path)
    mobile = name == "papers-mobile.png"
    assert width == script.MOBILE["width"] if mobile else 600 <= width <= script.WIDE["width"], (name, width)
    assert 200 <= height <= 1400, (name, height)
    assert path.stat().st_size <= script.MAX_BYTES, f"{name}: {path.stat().st_size} bytes"
    for page, options in guide_references()[name]:
        alt = re.search(r"^:alt: (.+)$", options, re.M)
        assert alt and len(alt.group(1).split()) >= 5, f"{page}: {name} needs an alt text that describes it"


def test_the_script_takes_exactly_the_pictures_in_the_folder_and_the_guide():
    taken = {f"{shot.name}.png" for shot in load_script().SHOTS}
    assert taken == {p.name for p in SHOTS_DIR.glob("*.png")}, "stale or missing PNGs: rerun the script"
    assert taken == set(guide_references()), "every picture the script takes is shown in the guide"
    assert not [p for p in SHOTS_DIR.iterdir() if p.suffix != ".png"]


def test_the_script_imports_only_the_standard_library_playwright_and_the_package():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    roots = {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots |= {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
              for alias in node.names}
    third_party = roots - set(sys.stdlib_module_names) - {"__future__"}
    # PIL only to recompress, when installed; the package for its static server (tc-survey preview's)
    assert third_party == {"playwright", "PIL", "sphinx_tc_ext"}, third_party


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}  # argparse wraps --help at the terminal's width
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          check=False, env=env)


def test_help_works_without_a_browser():
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for option in ("--site", "--out", "--only"):
        assert option in result.stdout
    assert "papers-dark" in result.stdout and "charts-dark" in result.stdout


def test_a_folder_without_a_site_is_one_line(tmp_path):
    result = run("--site", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"{tmp_path}: no index.html, give the folder sphinx-build wrote (e.g. _build/html)\n"
    assert not (tmp_path / "out").exists()


def test_an_unknown_shot_is_refused(tmp_path):
    result = run("--only", "nope", "--site", str(tmp_path))
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr
