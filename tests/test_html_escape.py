"""The card writer's escaping is docutils' own, character for character (hypothesis).

Cards are built as strings for speed (``sphinx/html.py``); their text and attribute values must
come out exactly as docutils' HTML writer would escape them, so pages stay byte-identical and no
bib text reaches the page as markup.
"""

from __future__ import annotations

from docutils.writers._html_base import HTMLTranslator
from hypothesis import example, given
from hypothesis import strategies as st

from sphinx_tc_ext.sphinx.html import escape_attribute, escape_text, h

DOCUTILS_TEXT = HTMLTranslator.special_characters
DOCUTILS_ATTRIBUTE = {**{ord(c): " " for c in "\n\r\t\v\f"}, **DOCUTILS_TEXT}  # starttag: spaces, then encode

MARKUP_HEAVY = st.text(alphabet=st.sampled_from('&<>"@\'\n\r\t\v\f a;#é\u2011'), max_size=40) | st.text()


@given(MARKUP_HEAVY)
@example("&amp;&lt;")  # escaped once, not twice
def test_text_is_escaped_like_docutils(value: str) -> None:
    assert escape_text(value) == value.translate(DOCUTILS_TEXT)


@given(MARKUP_HEAVY)
@example('a\n"b"\t&')
def test_attributes_are_escaped_like_docutils(value: str) -> None:
    assert escape_attribute(value) == value.translate(DOCUTILS_ATTRIBUTE)


@given(MARKUP_HEAVY, MARKUP_HEAVY)
def test_no_text_becomes_markup(title: str, link: str) -> None:
    out: list[str] = []
    h("p", title, h("a", title, href=link), classes=["tc-title"]).write(out)
    html = "".join(out)
    assert html.count("<") == 4 and html.count(">") == 4 and html.count('"') == 4
