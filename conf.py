"""Sphinx configuration of the survey's companion site.

Sources live in ``docs/`` and data in ``refs/``; build with
``sphinx-build -c . docs _build/html`` (see the README).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent.resolve()
sys.path.insert(0, str(HERE / "src"))  # use the extension from this checkout

from sphinx_tc_ext import __version__  # noqa: E402

project = "When Tokens Talk Too Much"
author = ("Kele Shao, Keda Tao, Kejia Zhang, Sicheng Feng, Mu Cai, Yuzhang Shang, Haoxuan You, Can Qin, Yang Sui, "
          "Huan Wang")
copyright = "2025-2026, the survey's authors and the sphinx-tc-ext contributors"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinxcontrib.bibtex",
    "sphinx_tc_ext",
]

# One source of truth: the same bib feeds the paper cards and the citations.
tc_bib_file = "refs/survey.bib"
tc_taxonomy_file = "refs/taxonomy.toml"
tc_papers_page = "papers"
tc_backlinks_exclude = ["guide/*"]  # the user guide's examples show papers without discussing them
bibtex_bibfiles = [str(HERE / "refs" / "survey.bib")]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
nitpicky = True

html_theme = "furo"
html_title = "Multimodal Token Compression — survey companion"
html_static_path = ["docs/_static/css"]  # relative to conf.py; screenshots are copied as images
html_css_files = ["guide.css"]
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": True,
}
