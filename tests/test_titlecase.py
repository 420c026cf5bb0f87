"""Case protection of titles (``core/titlecase.py``): which words get braces, and nothing else changes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.core.bibread import balanced_braces, parse_bib_text
from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from sphinx_tc_ext.core.titlecase import protect_title, unprotected_words
from tc_testing import ROOTS

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("value", "expected"), [
    ("LLaVA-PruMerge: Adaptive Token Reduction", "{LLaVA}-{PruMerge}: Adaptive Token Reduction"),
    ("DivPrune: Diversity-based Visual Token Pruning", "{DivPrune}: Diversity-based Visual Token Pruning"),
    ("An Image is Worth 1/2 Tokens After Layer 2: FastV", "An Image is Worth 1/2 Tokens After Layer 2: {FastV}"),
    ("Token Merging for ViTs in 3D", "Token Merging for {ViTs} in {3D}"),
    # a capitalised part of a hyphenated name goes with it: "LLaVA-scissor" would be wrong
    ("LLaVA-Scissor for Video LLMs", "{LLaVA}-{Scissor} for Video {LLMs}"),
    ("Qwen2-VL and GPT-4o", "{Qwen2}-{VL} and {GPT}-4o"),
    ("Vision-Language Models", "Vision-Language Models"),  # no capital after a first letter: nothing to do
    # partly braced: the other words are protected, the braced ones left as written
    ("{LLaVA-PruMerge}: Adaptive ViTs", "{LLaVA-PruMerge}: Adaptive {ViTs}"),
    ("{L}LaVA and {Pru}Merge", "{L}{LaVA} and {Pru}{Merge}"),  # a word glued to a group continues it
    # LaTeX commands, their argument, escapes and math are left alone
    (r"Caf\'e \textbf{ViT} \emph{DeiT} \&ViT", r"Caf\'e \textbf{ViT} \emph{DeiT} \&ViT"),
    (r"$O(N)$ Tokens for \LaTeX ViTs", r"$O(N)$ Tokens for \LaTeX ViTs"),
    (r"Pruning to $O(n) ViTs", r"Pruning to $O(n) ViTs"),  # unclosed math: the rest is math to LaTeX
    (r"Tokens \& ViTs", r"Tokens \& {ViTs}"),
    ("Zürich ÉCLAIR Models", "Zürich {ÉCLAIR} Models"),
    ("", ""),
])
def test_protect_title(value, expected):
    assert protect_title(value) == expected
    assert protect_title(expected) == expected
    assert unprotected_words(expected) == []


def test_unprotected_words_are_the_words_protect_braces():
    assert unprotected_words("LLaVA-PruMerge: Adaptive {ViT} for 3D LLMs") == ["LLaVA", "PruMerge", "3D", "LLMs"]


# -- properties --------------------------------------------------------------------------

WORDS = st.from_regex(r"[A-Za-z0-9]{1,7}", fullmatch=True) | st.sampled_from(
    ["LLaVA", "PruMerge", "ViTs", "3D", "Éclair", "ÉCLAIR", "Zoë", "e\u0301A"])
SEPARATORS = st.sampled_from([" ", " ", "-", ": ", "~", ", ", "/", "--", "'", "(", ")", "\n  "])
LATEX = st.sampled_from([
    r"\&", r"\%", r"\_", r"\#", r"\'e", r"\"U", r"\'{E}", r"{\"o}", r"\textbf{ViT}", r"\emph{Pru}Merge",
    "$O(N)$", "$x_1$", r"\LaTeX", r"\LaTeX{}", "{LLaVA}", "{L}", "{}", r"{\'E}", r"\ss{}", r"\textsc{Foo}",
    r"\$",
])
TITLES = st.lists(WORDS | SEPARATORS | LATEX | st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}\\$"), max_size=4),
    max_size=12).map("".join)


@PROPERTY
@given(TITLES)
def test_protection_is_idempotent(value):
    once = protect_title(value)
    assert protect_title(once) == once
    assert unprotected_words(once) == []


@PROPERTY
@given(TITLES)
def test_protection_only_adds_balanced_braces(value):
    once = protect_title(value)
    assert balanced_braces(once)
    assert once.replace("{", "").replace("}", "") == value.replace("{", "").replace("}", "")
    assert len(once) - len(value) == 2 * len(unprotected_words(value))


@PROPERTY
@given(TITLES)
def test_the_text_a_reader_sees_is_unchanged(value):
    assert latex_to_text(protect_title(value)) == latex_to_text(value)


def test_the_card_title_is_unchanged():
    taxonomy = load_taxonomy(ROOTS / "test-survey" / "refs" / "taxonomy.toml")
    title = r"LLaVA-PruMerge: Tokens \& ViTs in 3D for Caf\'e LLMs"
    entry = "@misc{{k, title = {{{}}}, author = {{A, B}}, year = {{2025}}, areas = {{image}}}}\n"
    plain = parse_bib_text(entry.format(title), "a.bib", taxonomy).papers["k"]
    braced = parse_bib_text(entry.format(protect_title(title)), "a.bib", taxonomy).papers["k"]
    assert braced.title == plain.title == "LLaVA-PruMerge: Tokens & ViTs in 3D for Café LLMs"
    assert braced.fields["title"] == r"{LLaVA}-{PruMerge}: Tokens \& {ViTs} in {3D} for Caf\'e {LLMs}"
