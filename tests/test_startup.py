"""What a build of the site imports before it starts: nothing it does not use (issue 19's one-entry edit)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="without matplotlib sphinxext-opengraph imports none anyway")
def test_conf_keeps_opengraph_from_importing_matplotlib():
    """Social cards are off, so matplotlib (0.6 s of every build) is never imported, and nothing is printed."""
    script = (
        "import runpy, sys\n"
        f"runpy.run_path({str(REPO / 'conf.py')!r})\n"
        "import sphinxext.opengraph as og\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'), og.create_social_card)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout == "[] None\n"


def test_theme_templates_are_compiled_once(copy_root, build, monkeypatch):
    """The second build loads the compiled templates the first saved next to the doctrees; same pages."""
    import jinja2

    from sphinx_tc_ext.sphinx.assets import TEMPLATE_CACHE_DIR

    src = copy_root()
    first = build(src)
    pages = {p.name: p.read_bytes() for p in Path(first.outdir).glob("*.html")}
    assert any(Path(first.doctreedir, TEMPLATE_CACHE_DIR).iterdir())
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    (src / "index.rst").write_text((src / "index.rst").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    second = build(src)
    assert [name for name in compiled if name] == []  # templates from strings have no name to cache by
    assert {p.name: p.read_bytes() for p in Path(second.outdir).glob("*.html")} == pages
