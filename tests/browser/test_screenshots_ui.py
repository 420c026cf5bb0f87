"""scripts/screenshots.py against the test root (furo and sphinx-design, like the real site), in chromium.

The script's ``capture`` takes every picture into ``tmp_path``; the sizes, the light and dark
versions and a second run are compared.  The "New" card is checked in the page itself: its
abstract open, and its mark a small label, not a bar across the card (a float that sphinx-design's
flex cards ignored).
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _site import REPO, add_field, build_command, copy_root, serve

pytest.importorskip("playwright", reason="Playwright is not installed")

pytestmark = pytest.mark.browser

NEW_KEY = "zeng2025glimpse"  # the test root's newest paper (added 2025-08-14, the others 2025-07-29)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tc_screenshots", REPO / "scripts" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


@pytest.fixture(scope="module")
def design_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test root with furo and sphinx-design, and an abstract on the newest paper."""
    base = tmp_path_factory.mktemp("shots-site")
    src = copy_root(base / "src")
    add_field(src, NEW_KEY, "abstract", "Glimpse keeps the tokens a model looks at.")
    cmd = build_command(src, base / "html", theme="furo")
    cmd += ["-D", "extensions=myst_parser,sphinxcontrib.bibtex,sphinx_design,sphinx_tc_ext"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    with serve(base / "html") as url:
        yield url


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def mean_brightness(path: Path) -> float:
    image = pytest.importorskip("PIL.Image")
    with image.open(path) as picture:
        grey = picture.convert("L")
        return sum(i * n for i, n in enumerate(grey.histogram())) / (grey.width * grey.height)


def test_capture_takes_every_picture_at_its_size(browser, design_site: str, script, tmp_path: Path) -> None:
    pages = script.Pages(stats="overview.html")
    written = script.capture(browser, design_site, tmp_path, pages=pages)
    assert [p.name for p in written] == [f"{shot.name}.png" for shot in script.SHOTS]
    sizes = {p.stem: png_size(p) for p in written}
    assert sizes["papers-mobile"] == (390, 1100)
    for name, (width, height) in sizes.items():
        if name != "papers-mobile":
            assert 500 <= width <= 1280 and 100 <= height <= 900, (name, width, height)
        assert (tmp_path / f"{name}.png").stat().st_size <= script.MAX_BYTES
    light, dark = tmp_path / "papers-light.png", tmp_path / "papers-dark.png"
    assert sizes["papers-light"] == sizes["papers-dark"]  # the same view, cropped the same
    assert light.read_bytes() != dark.read_bytes()
    assert mean_brightness(light) > 180 > 60 > mean_brightness(dark)
    assert mean_brightness(tmp_path / "charts-dark.png") < 60

    again = script.capture(browser, design_site, tmp_path / "again", pages=pages, shots=script.SHOTS[:1])
    assert again[0].read_bytes() == light.read_bytes()  # no timing, no state: the same picture


def test_the_new_card_shows_its_abstract_and_a_small_mark(browser, design_site: str, script, tmp_path: Path) -> None:
    context = browser.new_context(viewport=script.WIDE, device_scale_factor=1)
    try:
        page = context.new_page()
        script.new_mark(page, design_site, script.Pages(), tmp_path / "new.png")
        card = page.locator(f'article.tc-new[data-key="{NEW_KEY}"]').first
        assert card.locator("details.tc-abstract").get_attribute("open") is not None
        mark = card.locator(".tc-new-mark").first
        mark_box, card_box = mark.bounding_box(), card.bounding_box()
        assert mark_box and card_box
        assert mark_box["width"] < card_box["width"] / 4, (mark_box, card_box)  # a label, not a bar
        assert mark_box["x"] + mark_box["width"] > card_box["x"] + card_box["width"] * 0.75  # at the right
        assert page.locator(".tc-new-note").first.is_visible()
    finally:
        context.close()
