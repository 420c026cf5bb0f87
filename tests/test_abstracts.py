"""An ``abstract`` on the cards (issue 20): folded, escaped, searched, and kept out of the BibTeX copy on request."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from tc_testing import read

ABSTRACT = r"We merge tokens <b>adaptively</b> & keep {Caf\'e} quality; zygomorphic pruning."


def with_abstract(copy_root, hidden: str = "") -> Path:
    src = copy_root()
    bib = src / "refs" / "survey.bib"
    text = read(bib)
    assert "@inproceedings{shang2025llava,\n" in text
    bib.write_text(text.replace("@inproceedings{shang2025llava,\n",
                                "@inproceedings{shang2025llava,\n  abstract = {" + ABSTRACT + "},\n"), encoding="utf-8")
    if hidden:
        taxonomy = src / "refs" / "taxonomy.toml"
        taxonomy.write_text(read(taxonomy).replace("[survey]\n", f"[survey]\nbibtex_hidden = {hidden}\n", 1),
                            encoding="utf-8")
    return src


def card(outdir: Path, key: str = "shang2025llava"):
    page = BeautifulSoup(read(outdir / "papers.html"), "html.parser")
    return page.select_one(f'article.tc-card[data-key="{key}"]')


def test_the_abstract_is_folded_escaped_and_in_sphinx_search(copy_root, build):
    app = build(with_abstract(copy_root))
    assert "WARNING" not in app.warning.getvalue()
    found = card(app.outdir)
    details = found.select_one("details.tc-abstract")
    assert details is not None and "open" not in details.attrs  # one line until opened, with or without JS
    assert details.summary.get_text() == "Abstract"
    assert details.p.get_text() == "We merge tokens <b>adaptively</b> & keep Café quality; zygomorphic pruning."
    assert details.find("b") is None  # text, never markup
    assert card(app.outdir, "zeng2025glimpse").select_one("details.tc-abstract") is None  # only when present
    assert "zygomorph" in read(app.outdir / "searchindex.js")  # Sphinx's search finds it (stemmed)
    bibtex = found.select_one("details.tc-bibtex pre").get_text()
    assert "abstract = {" + ABSTRACT + "}" in bibtex  # readers copy it unless the taxonomy says otherwise


def test_the_taxonomy_can_keep_the_abstract_out_of_the_bibtex_copy(copy_root, build):
    app = build(with_abstract(copy_root, hidden='["abstract"]'))
    found = card(app.outdir)
    assert found.select_one("details.tc-abstract") is not None  # still shown
    assert "abstract" not in found.select_one("details.tc-bibtex pre").get_text()


def test_a_bad_bibtex_hidden_is_a_taxonomy_warning(copy_root, build):
    app = build(with_abstract(copy_root, hidden='"abstract"'), warningiserror=False)
    assert re.search(r"taxonomy\.toml:9: WARNING: .*bibtex_hidden", app.warning.getvalue())
