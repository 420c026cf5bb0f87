"""Hostile bib text reaches the HTML as text: property test over every displayed field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from sphinx_tc_ext.core.latex import latex_to_text

ROOT = Path(__file__).parent / "roots" / "test-madeup"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</div></article>", "' onmouseover='x",
            "&amp; &lt;b&gt;", "javascript:alert(1)", "<!--", "]]>", "\u202e", "é ü ß 漢字",
            "\x00\x01\x1b[31m\x7f\x9b"]
#: C0 and C1 control characters but tab and newline: no page may hold one.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

safe_text = st.text(alphabet=st.characters(blacklist_characters="{}\\@%#", blacklist_categories=("Cs", "Cc")),
                    min_size=1, max_size=30)
field = st.one_of(st.sampled_from(PAYLOADS), safe_text, st.tuples(st.sampled_from(PAYLOADS), safe_text).map("".join))
entry = st.fixed_dictionaries({"title": field, "author": field, "shortvenue": field, "note": field, "aka": field,
                               "code": st.one_of(st.sampled_from(PAYLOADS),
                                                 safe_text.map(lambda s: "https://example.org/" + s))})


def bib_for(entries: list[dict]) -> str:
    chunks = []
    for i, fields in enumerate(entries):
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields.items())
        chunks.append(f"@misc{{k{i},\n{body}  year = {{2025}},\n  dishes = {{soup}},\n}}\n")
    return "\n".join(chunks)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(entry, min_size=1, max_size=8))
@example([{"title": "Bell\x07 \x00\x01\x1b[31m\x7f\x9b", "author": "Doe\x02, Jane", "shortvenue": "V\x0b",
           "note": "n\x1f", "code": "https://example.org/x"}])
def test_every_field_is_escaped(tmp_path_factory, entries):
    src = tmp_path_factory.mktemp("escape") / "site"
    shutil.copytree(ROOT, src)
    (src / "data" / "kitchen.bib").write_text(bib_for(entries), encoding="utf-8")
    app = SphinxTestApp("html", srcdir=src)
    try:
        app.build()
    finally:
        app.cleanup()
    assert "Traceback" not in app.warning.getvalue()
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert not CONTROLS.search(html)
    page = BeautifulSoup(html, "html.parser")
    table = page.select_one("div.tc-paper-table")
    assert table is not None
    assert table.find("script") is None and table.find("img") is None
    for tag in table.find_all(True):
        assert not any(attr.lower().startswith("on") for attr in tag.attrs), tag
        href = tag.get("href")
        if href is not None:
            assert href.startswith(("https://", "http://", "#")) or href.endswith(".html") or ".html#" in href
    for i, fields in enumerate(entries):
        card = table.find("article", attrs={"data-key": f"k{i}"})
        title = latex_to_text(" ".join(fields["title"].split()))
        shown = card.select_one(".tc-title").get_text()
        assert shown.startswith(title or f"k{i}")
        if latex_to_text(fields["shortvenue"]):
            assert card.select_one(".tc-venue").get_text() == latex_to_text(" ".join(fields["shortvenue"].split()))
        code = card.select_one("a.tc-link-code")
        if re.fullmatch(r"https://example\.org/[^\s\"'<>]+", fields["code"]):
            assert code is not None and code["href"] == fields["code"]
        elif not fields["code"].startswith("http"):
            assert code is None
