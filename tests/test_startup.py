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
