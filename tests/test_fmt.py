"""``tc-survey fmt``: canonical, idempotent and lossless (pybtex reads the same data)."""

from __future__ import annotations

import argparse
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string

from sphinx_tc_ext.cli import fmt as fmt_cli
from sphinx_tc_ext.core import bibsyntax as fmt
from sphinx_tc_ext.core import rules
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from sphinx_tc_ext.core.titlecase import protect_title

ROOT = Path(__file__).resolve().parent.parent
TAXONOMY_PATH = ROOT / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
TAXONOMY = load_taxonomy(TAXONOMY_PATH)
SAMPLE = ROOT / "tests" / "roots" / "test-survey" / "refs" / "survey.bib"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    fmt_cli.register(parser.add_subparsers())
    args = parser.parse_args(["fmt", "--taxonomy", str(TAXONOMY_PATH), *argv])
    return args.func(args)


def semantic(text: str):
    """What pybtex reads: entries in order with lowercased field names, persons, preamble."""
    data = parse_string(text, "bibtex")
    entries = []
    for key, entry in data.entries.items():
        fields = {}
        for name, value in entry.fields.items():
            if name.lower() == "month":
                value = rules.month_macro(value) or value
            if name.lower() == "title":  # fmt braces capitals (exactly: test_every_field_keeps_its_exact_value_text)
                value = value.replace("{", "").replace("}", "")
            fields[name.lower()] = value
        persons = {role.lower(): [str(p) for p in people] for role, people in entry.persons.items()}
        entries.append((key, entry.type.lower(), fields, persons))
    return entries, list(data.preamble_list)


# -- examples ----------------------------------------------------------------------------

MESSY = """% A header comment that stays.

@InProceedings( Shang2025LLaVA ,
    code="https://github.com/42Shawn/LLaVA-PruMerge", areas = {image,video},
  Title={{LLaVA-PruMerge}: Adaptive Token Reduction},
      year = 2025, month = "March", zzz = {kept}, Author = "Shang, Yuzhang and Cai, Mu",
  booktitle = iccv # { 2025},
  added={2025-07-29}, aaa = {also kept},
)
trailing text between entries\x20\x20\x20

@string{iccv = "ICCV"}
@misc{x,title={T},author={A, B},year={2024},month={8}}
"""

CANONICAL = """% A header comment that stays.

@inproceedings{Shang2025LLaVA,
  title = {{LLaVA-PruMerge}: Adaptive Token Reduction},
  author = {Shang, Yuzhang and Cai, Mu},
  year = {2025},
  month = mar,
  booktitle = iccv # { 2025},
  areas = {image,video},
  code = {https://github.com/42Shawn/LLaVA-PruMerge},
  added = {2025-07-29},
  aaa = {also kept},
  zzz = {kept},
}
trailing text between entries\x20\x20\x20

@string{iccv = "ICCV"}

@misc{x,
  title = {T},
  author = {A, B},
  year = {2024},
  month = aug,
}
"""


def test_canonical_layout():
    assert fmt.format_text(MESSY, TAXONOMY) == CANONICAL


def test_canonical_layout_is_a_fixed_point():
    assert fmt.format_text(CANONICAL, TAXONOMY) == CANONICAL


def test_field_order():
    order = fmt.canonical_order(TAXONOMY)
    assert order[:12] == ("title", "author", "year", "month", "journal", "booktitle", "eprint", "archiveprefix",
                          "primaryclass", "url", "doi", "note")
    assert order[-11:] == ("areas", "categories", "cost", "shortvenue", "aka", "code", "model", "dataset", "project",
                           "added", "updated")
    other = order[12:-11]
    assert list(other) == sorted(other) and "pages" in other and "volume" in other


@pytest.mark.parametrize(("value", "expected"), [
    ("jan", "jan"), ("Jan", "jan"), ("{January}", "jan"), ('"sep"', "sep"), ("{9}", "sep"), ("9", "sep"),
    ("{09}", "sep"), ("{Summer}", "{Summer}"), ("jan # {~15}", "jan # {~15}"), ("{Jan.}", "{Jan.}"),
])
def test_month_becomes_a_bare_macro(value, expected):
    out = fmt.format_text(f"@misc{{k, month = {value}}}")
    assert out == f"@misc{{k,\n  month = {expected},\n}}\n"


def test_month_macro_redefined_by_string_is_not_introduced():
    text = "@string{aug = {Harvest}}\n\n@misc{k,\n  month = {8},\n}\n"
    assert fmt.format_text(text) == text
    assert semantic(fmt.format_text(text)) == semantic(text)


def test_values_are_kept_exactly():
    text = '@misc{k, title = "A {\\"u}ber {B}" # sub # {  two\n   lines  }, note = 12, x = {%&_#$}}'
    out = fmt.format_text(text)
    assert 'title = {A {\\"u}ber {B}} # sub # {  two\n   lines  },' in out
    assert "note = {12}," in out and "x = {%&_#$}," in out


def test_title_capitals_get_braces_in_literal_text_only(tmp_path, capsys):
    text = ('@string{name = {LLaVA-PruMerge}}\n\n'
            '@misc{a,\n  title = "LLaVA-PruMerge: Adaptive {ViT} Tokens",\n}\n\n'
            '@misc{b,\n  title = name # {: DivPrune in 3D},\n  booktitle = {Proceedings of ICCV},\n'
            '  note = {DivPrune},\n}\n')
    out = fmt.format_text(text)
    assert '  title = {{LLaVA}-{PruMerge}: Adaptive {ViT} Tokens},\n' in out
    assert "  title = name # {: {DivPrune} in {3D}},\n" in out  # the macro keeps its meaning
    assert "{Proceedings of ICCV}" in out and "note = {DivPrune}" in out  # title only
    assert out.startswith("@string{name = {LLaVA-PruMerge}}\n")
    assert fmt.format_text(out) == out
    bib = tmp_path / "survey.bib"
    bib.write_text(out.replace("{{LLaVA}-{PruMerge}:", "{LLaVA-{PruMerge}:"))
    assert run("--check", str(bib)) == 1
    assert capsys.readouterr().out == f"{bib}:3: a (title: {{LLaVA}})\n"
    assert run(str(bib)) == 0
    assert bib.read_text() == out


def test_comments_preamble_strings_and_text_survive():
    text = ("Free text before.\n@Comment{keep {this} as it is }\n@PREAMBLE{ \"\\newcommand{\\noop}[1]{}\" }\n"
            "@STRING( tmlr = {Transactions} )\nmore text\n@misc{k, journal = tmlr}")
    out = fmt.format_text(text)
    assert out == ("Free text before.\n@Comment{keep {this} as it is }\n\n"
                   "@PREAMBLE{ \"\\newcommand{\\noop}[1]{}\" }\n\n@STRING( tmlr = {Transactions} )\n"
                   "more text\n@misc{k,\n  journal = tmlr,\n}\n")
    assert semantic(out) == semantic(text)


def test_entries_keep_their_order_unless_sorted():
    text = "@misc{b, title={B}}\n\n@misc{a, title={A}}\n\n@string{x = {y}}\n"
    assert [b.key for b in fmt.tokenize(fmt.format_text(text)) if b.kind == "entry"] == ["b", "a"]
    ordered = fmt.format_text(text, sort=True)
    assert ordered.startswith("@string{x = {y}}\n\n@misc{a,")
    assert [b.key for b in fmt.tokenize(ordered) if b.kind == "entry"] == ["a", "b"]


def test_broken_entry_is_kept_verbatim():
    broken = "@article{broken,\n  title = {Unclosed,\n  year = {2025},\n}"
    text = f"@misc{{a,title={{A}}}}\n\n{broken}\n\n@misc{{b,title={{B}}}}\n"
    out = fmt.format_text(text)
    assert broken in out
    assert out.startswith("@misc{a,\n  title = {A},\n}\n\n")
    assert out.endswith("@misc{b,\n  title = {B},\n}\n")
    assert fmt.format_text(out) == out


def test_tokenizer_covers_every_character():
    text = SAMPLE.read_text() + "\njunk @ not an entry\n@misc{broken, title = {x}\n@misc{ok,}\n"
    blocks = fmt.tokenize(text)
    assert "".join(b.source for b in blocks) == text
    assert [b.kind for b in blocks][-4:] == ["text", "invalid", "entry", "text"]


def test_sample_bib_roundtrip():
    text = SAMPLE.read_text()
    out = fmt.format_text(text, TAXONOMY)
    assert fmt.format_text(out, TAXONOMY) == out
    assert semantic(out) == semantic(text)


def test_check_lists_changed_entries_then_fmt_fixes_them(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_text(MESSY)
    assert run("--check", str(bib)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{bib}:3: Shang2025LLaVA", f"{bib}:13: x"]  # @string is left as written
    assert bib.read_text() == MESSY  # --check writes nothing
    assert run(str(bib)) == 0
    assert bib.read_text() == CANONICAL
    assert run("--check", str(bib)) == 0
    assert capsys.readouterr().out == ""
    assert run(str(bib)) == 0  # a second run changes nothing
    assert bib.read_text() == CANONICAL


def test_check_reports_layout_between_entries(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_text(CANONICAL.replace("\n\n@misc", "\n\n\n\n@misc"))
    assert run("--check", str(bib)) == 1
    assert capsys.readouterr().out == f"{bib}:1: blank lines or text between entries\n"


def test_diff(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_text("@misc{k, title = \"T\"}\n")
    assert run("--diff", str(bib)) == 0
    out = capsys.readouterr().out
    assert '-@misc{k, title = "T"}' in out and "+  title = {T}," in out
    assert bib.read_text() == "@misc{k, title = \"T\"}\n"


def test_broken_entry_fails_but_the_rest_is_formatted(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_text("@misc{a,title={A}}\n\n@misc{broken, title = {x}\n")
    assert run(str(bib)) == 1
    assert "entry broken left as is" in capsys.readouterr().err
    assert bib.read_text() == "@misc{a,\n  title = {A},\n}\n\n@misc{broken, title = {x}\n"


def test_missing_file(tmp_path, capsys):
    assert run(str(tmp_path / "nope.bib")) == 2
    assert "cannot read the bib file" in capsys.readouterr().err


# -- properties --------------------------------------------------------------------------

SPACE = st.sampled_from(["", " ", "  ", "\n", "\n  ", "\t", " \n\n "])
SOME_SPACE = st.sampled_from([" ", "\n", "\n  ", "\t"])
TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}@\\") | \
    st.sampled_from(["\n", " ", "\\&", "\\'e", "$x_1$", "%", "#", ",", "=", '"'])
PLAIN = st.lists(TEXT_CHARS, max_size=8).map("".join)
QUOTE_SAFE = PLAIN.map(lambda s: s.replace('"', "'"))
BALANCED = st.recursive(PLAIN, lambda inner: st.tuples(PLAIN, inner, PLAIN).map(lambda t: f"{t[0]}{{{t[1]}}}{t[2]}"),
                        max_leaves=4)
QUOTED_INNER = st.recursive(QUOTE_SAFE, lambda inner: st.tuples(QUOTE_SAFE, inner | BALANCED, QUOTE_SAFE).map(
    lambda t: f"{t[0]}{{{t[1]}}}{t[2]}"), max_leaves=3)
MONTHS = st.sampled_from(["jan", "Feb", "MAR", "{April}", '"may"', "{6}", "7", "{08}", "{Summer}", "{}"])
NAMES = st.sampled_from(["Shao, Kele", "Keda Tao", "{Qwen Team}", "Sch{\\\"o}n, Zo{\\\"e}", "van der Berg, Jan",
                         "King, Jr, Martin", "Zhang, Kejia", "others"])
FIELD_NAMES = st.sampled_from(["title", "Title", "journal", "booktitle", "eprint", "archivePrefix", "url", "note",
                               "areas", "categories", "cost", "code", "added", "volume", "pages", "zzz",
                               "x-custom", "shortvenue", "doi", "publisher"]) | \
    st.from_regex(r"[a-z][a-z0-9_:.+-]{0,8}", fullmatch=True)
KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9:_.+/-]{0,12}", fullmatch=True)
MACROS = ("tmlr", "iccv", "cvpr")


@st.composite
def values(draw, macros=MACROS):
    def piece():
        kind = draw(st.sampled_from(["brace", "brace", "quote", "number", "macro"]))
        if kind == "brace":
            return "{" + draw(BALANCED) + "}"
        if kind == "quote":
            return '"' + draw(QUOTED_INNER) + '"'
        if kind == "number":
            return str(draw(st.integers(0, 99999)))
        name = draw(st.sampled_from([*macros, "jan", "dec"]))
        return draw(st.sampled_from([name, name.upper(), name.capitalize()]))
    pieces = [piece() for _ in range(draw(st.integers(1, 3)))]
    out = pieces[0]
    for p in pieces[1:]:
        out += draw(SPACE) + "#" + draw(SPACE) + p
    return out


@st.composite
def entries(draw, key):
    etype = draw(st.sampled_from(["article", "Article", "INPROCEEDINGS", "misc", "book", "online"]))
    opening, closing = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    names = draw(st.lists(FIELD_NAMES, max_size=6, unique_by=str.lower).filter(
        lambda ns: not {"author", "editor", "month"} & {n.lower() for n in ns}))
    fields = [(name, draw(values())) for name in names]
    if draw(st.booleans()):
        people = draw(st.lists(NAMES, min_size=1, max_size=4))
        fields.append((draw(st.sampled_from(["author", "Author", "editor"])), "{" + " and ".join(people) + "}"))
    if draw(st.booleans()):
        fields.append(("month", draw(MONTHS)))
    fields = draw(st.permutations(fields))
    parts = [f"{draw(SPACE)}{name}{draw(SPACE)}={draw(SPACE)}{value}{draw(SPACE)}" for name, value in fields]
    body = ",".join(parts) + draw(st.sampled_from(["", ",", ", "]))
    return f"@{etype}{draw(SPACE)}{opening}{draw(SPACE)}{key}{draw(SOME_SPACE)},{body}{draw(SPACE)}{closing}"


JUNK = st.lists(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="@") |
                st.sampled_from(["\n", "% a comment\n", "  "]), max_size=20).map("".join)


@st.composite
def bib_files(draw):
    blocks = [f"@string{{{name} = {draw(values(macros=()))}}}" for name in MACROS]
    if draw(st.booleans()):
        blocks.append("@preamble{" + draw(values()) + "}")
    keys = draw(st.lists(KEYS, max_size=5, unique_by=str.lower))
    for key in keys:
        if draw(st.booleans()):
            blocks.append(draw(st.sampled_from(["@comment{" + draw(BALANCED) + "}", draw(JUNK)])))
        blocks.append(draw(entries(key)))
    separators = [draw(st.sampled_from(["", "\n", "\n\n", "\n\n\n", " "])) for _ in blocks]
    return "".join(b + s for b, s in zip(blocks, separators, strict=True))


PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(bib_files())
def test_fmt_is_idempotent(text):
    once = fmt.format_text(text, TAXONOMY)
    assert fmt.format_text(once, TAXONOMY) == once


@PROPERTY
@given(bib_files())
def test_fmt_keeps_what_pybtex_reads(text):
    out = fmt.format_text(text, TAXONOMY)
    assert semantic(out) == semantic(text)
    assert not any(b.kind == "invalid" for b in fmt.tokenize(out))


@PROPERTY
@given(bib_files())
def test_fmt_keeps_comments_and_text(text):
    out = fmt.format_text(text)
    for block in fmt.tokenize(text):
        if block.kind == "comment":
            assert block.source[len("@comment"):].lstrip() in out
        elif block.kind == "text":
            for line in block.source.splitlines():
                assert line.strip() in out


@PROPERTY
@given(bib_files())
def test_every_field_keeps_its_exact_value_text(text):
    out = fmt.format_text(text)
    before = [b for b in fmt.tokenize(text) if b.kind == "entry"]
    after = [b for b in fmt.tokenize(out) if b.kind == "entry"]
    assert [b.key for b in before] == [b.key for b in after]
    for old, new in zip(before, after, strict=True):
        def texts(block, protect=False):
            def text(f, p):  # fmt braces the capitals of a title's literal text, never a macro's
                return protect_title(p.text) if protect and f.lname == "title" and p.kind in ("brace", "quote") \
                    else p.text
            return sorted((f.lname, [text(f, p) for p in f.pieces]) for f in block.fields if f.lname != "month")
        assert texts(old, protect=True) == texts(new)
        for f in new.fields:
            assert all(p.kind in ("brace", "macro") for p in f.pieces)


@pytest.mark.parametrize("name", ["title", "zzz", "a", "x-custom"])
def test_generated_names_are_pybtex_names(name):
    assert fmt._NAME.fullmatch(name)
    assert set(name) <= set(string.ascii_letters + string.digits + "@!$&*+-./:;<>?[\\]^_`|~")
