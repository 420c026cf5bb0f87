"""Sphinx configuration of the survey's companion site.

Sources live in ``docs/`` and data in ``refs/``; build with
``sphinx-build -c . docs _build/html`` (see the README).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).parent.resolve()
sys.path.insert(0, str(HERE / "src"))  # use the extension from this checkout

from sphinx_tc_ext import __version__  # noqa: E402

project = "When Tokens Talk Too Much"
author = ("Kele Shao, Keda Tao, Kejia Zhang, Sicheng Feng, Mu Cai, Yuzhang Shang, Haoxuan You, Can Qin, Yang Sui, "
          "Huan Wang")
copyright = "2025-2026, the survey's authors and the sphinx-tc-ext contributors"
release = version = __version__

# Social cards are off (ogp_social_cards below), yet sphinxext-opengraph imports matplotlib when it
# is installed, to draw none: 0.6 s of every build, a fifth of a one-entry edit at 5k. Its module is
# imported here with the social-card part marked absent, as when matplotlib is not installed (the
# notice it prints then is dropped); the pages are the same.
sys.modules.setdefault("sphinxext.opengraph._social_cards", None)  # type: ignore[arg-type]
with contextlib.redirect_stdout(io.StringIO()):
    import sphinxext.opengraph  # noqa: F401

extensions = [
    "myst_parser",
    "sphinxcontrib.bibtex",
    "sphinx_design",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
    "sphinx_copybutton",
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
html_static_path = ["docs/_static/css", "docs/_static/social"]  # relative to conf.py; screenshots are copied as images
html_css_files = ["guide.css"]
# The canonical address: Read the Docs says where this version lives; a local build assumes the
# published site, so the sitemap, the Open Graph tags and the 404 page's links are complete.
SITE_URL = "https://sphinx-tc-ext.readthedocs.io/en/latest/"
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL") or SITE_URL
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": True,
}

# -- sharing: link previews, sitemap, 404 page, copy buttons --------------------------------
# Every asset these extensions add is a local file: no CDN, no web font, no remote image.

# Open Graph: one static card image for every page (a matplotlib card per page would cost build
# time and pull a font); the title and description come from each page.
ogp_site_url = html_baseurl
ogp_site_name = "Multimodal Token Compression survey"
ogp_image = "_static/social-card.png"  # made once by scripts/social-card.py, served by the site
ogp_image_alt = "When Tokens Talk Too Much: a survey of multimodal token compression"
ogp_social_cards = {"enable": False}
ogp_description_length = 200

# sitemap.xml lists every page under the canonical address (html_baseurl already names the version).
sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html", "404.html"]

# The 404 page is served at any depth: its links start at the site's root path.
notfound_urls_prefix = urlparse(html_baseurl).path or "/"
notfound_context = {
    "title": "Page not found",
    "body": "<h1>Page not found</h1>\n<p>This page does not exist (any more). The papers are listed on "
            f'<a href="{notfound_urls_prefix}papers.html">the papers page</a>; the '
            f'<a href="{notfound_urls_prefix}index.html">home page</a> explains the survey.</p>',
}

# Copy buttons on code and console blocks; prompts (Pygments' Generic.Prompt) and output are not copied.
copybutton_exclude = ".linenos, .gp, .go"
copybutton_selector = "div:not(.tc-cite-block) > div.highlight pre"  # "Cite this" blocks have their own button
