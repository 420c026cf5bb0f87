"""``tc-survey fmt`` is lossless: text between entries, line endings, BOM, and ``--sort`` keeps every value."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string

from sphinx_tc_ext.cli import fmt as fmt_cli
from sphinx_tc_ext.core import bibsyntax as fmt
from sphinx_tc_ext.core.textio import BOM

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    fmt_cli.register(parser.add_subparsers())
    args = parser.parse_args(["fmt", *argv])
    return args.func(args)


def values(text: str) -> dict:
    """Every entry's fields as pybtex expands them (macros included), and its persons."""
    data = parse_string(text, "bibtex")
    return {key: (dict(entry.fields), {role: [str(p) for p in people] for role, people in entry.persons.items()})
            for key, entry in data.entries.items()}


def outside(text: str) -> list[str]:
    """The non-blank lines of everything that is not an entry, with their line endings."""
    if text and not text.endswith("\n"):
        text += fmt.line_ending(text)  # fmt ends the last line
    lines = []
    for block in fmt.tokenize(text):
        if block.kind != "entry":
            lines += [line for line in fmt.split_lines(block.source) if line.strip(" \t\r\n")]
    return lines


def keys(text: str) -> list[str]:
    return sorted(b.key for b in fmt.tokenize(text) if b.kind in ("entry", "invalid"))


# -- --sort ------------------------------------------------------------------------------

REDEFINED = """@string{v = {Old}}
@misc{b, journal = v}
@string{v = {New}}
% about a
@misc{a, journal = v}
"""


def test_sort_refuses_to_move_an_entry_across_a_redefinition(tmp_path, capsys):
    with pytest.raises(fmt.SortError) as exc:
        fmt.format_text(REDEFINED, sort=True)
    assert exc.value.line == 3
    bib = tmp_path / "survey.bib"
    bib.write_text(REDEFINED)
    assert run("--sort", str(bib)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bib}:3: cannot sort: 'b' (line 2) uses @string v from before this redefinition")
    assert "run fmt without --sort" in err and err.count("\n") == 1
    assert bib.read_text() == REDEFINED  # nothing written
    assert run(str(bib)) == 0  # without --sort it formats


def test_sort_keeps_the_definition_each_entry_reads():
    text = ("@string{v = {Old}}\n@misc{c, journal = v}\n@string{v = {New}}\n@misc{z, journal = v}\n"
            "@misc{a, title = {no macro}}\n@misc{d, journal = v}\n")
    out = fmt.format_text(text, sort=True)
    assert values(out) == values(text)
    assert [b.key for b in fmt.tokenize(out) if b.kind == "entry"] == ["a", "c", "d", "z"]
    assert out.index("{c,") < out.index("{New}") < out.index("{d,")
    assert fmt.format_text(out, sort=True) == out


def test_sort_keeps_each_comment_above_its_entry():
    text = "% header\n\n@string{j = {J}}\n% about b\n@misc{b, journal = j}\n\n% about a\n@misc{a, title = {A}}\n"
    out = fmt.format_text(text, sort=True)
    assert out == ("% header\n\n@string{j = {J}}\n\n% about a\n@misc{a,\n  title = {A},\n}\n\n"
                   "% about b\n@misc{b,\n  journal = j,\n}\n")


def test_sort_keeps_a_redefined_month_macro():
    text = "@misc{b, month = aug}\n@string{aug = {Harvest}}\n@misc{a, month = aug}\n"
    with pytest.raises(fmt.SortError):
        fmt.format_text(text, sort=True)
    text = "@misc{a, month = aug}\n@string{aug = {Harvest}}\n@misc{b, month = aug}\n"
    assert values(fmt.format_text(text, sort=True)) == values(text)


MACRO_NAMES = ("va", "vb", "aug")


@st.composite
def sortable_bibs(draw):
    """@strings (redefinitions too), comments right above commands, entries using defined macros."""
    defined: set[str] = {"aug"}
    parts = []
    keys_ = draw(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,3}", fullmatch=True), min_size=1, max_size=7,
                          unique=True))
    serial = 0
    for key in keys_:
        for _ in range(draw(st.integers(0, 2))):
            name = draw(st.sampled_from(MACRO_NAMES))
            serial += 1
            value = draw(st.sampled_from([f"{{S{serial}}}", f'"q{serial}"']))
            if defined - {name} and draw(st.booleans()):
                value += " # " + draw(st.sampled_from(sorted(defined - {name})))
            string = f"@string{{{name} = {value}}}"
            if draw(st.booleans()):
                serial += 1
                string = f"% note {serial}\n" + string
            parts.append(string)
            defined.add(name)
        serial += 1
        fields = [f"title = {{T{serial}}}"]
        for field_name in draw(st.lists(st.sampled_from(["journal", "note", "month"]), max_size=2, unique=True)):
            fields.append(f"{field_name} = {draw(st.sampled_from(sorted(defined)))}")
        entry = f"@misc{{{key}, {', '.join(fields)}}}"
        if draw(st.booleans()):
            serial += 1
            entry = draw(st.sampled_from([f"% note {serial}\n", f"@comment{{note {serial}}}\n"])) + entry
        parts.append(entry)
    return "".join(p + draw(st.sampled_from(["\n", "\n\n"])) for p in parts)


def following(text: str) -> dict[str, str]:
    """Each comment -> the command right after it (an entry's key or a @string's text)."""
    out = {}
    blocks = fmt.tokenize(text)
    for i, block in enumerate(blocks):
        if block.kind == "comment" or (block.kind == "text" and block.source.strip()):
            nxt = next(b for b in blocks[i + 1:] if b.kind in ("entry", "string"))
            out[block.source.strip()] = nxt.key or nxt.source
    return out


@PROPERTY
@given(sortable_bibs())
def test_sort_refuses_or_keeps_every_value_and_comment(text):
    try:
        out = fmt.format_text(text, sort=True)
    except fmt.SortError as exc:
        redefined = [b.fields[0].lname for b in fmt.tokenize(text) if b.kind == "string"]
        assert len(redefined) > len(set(redefined)) or "aug" in redefined  # only a redefinition can block
        assert exc.message.startswith("cannot sort: ")
        return
    assert values(out) == values(text)
    entries = [b.key for b in fmt.tokenize(out) if b.kind == "entry"]
    assert entries == sorted(entries)
    assert following(out) == following(text)
    assert fmt.format_text(out, sort=True) == out


# -- text between entries ----------------------------------------------------------------


def test_commented_out_entry_stays_a_comment():
    text = "% @misc{old2020,\n%   title = {Old},\n% }\n\n@misc{k, title={T}}\n"
    out = fmt.format_text(text)
    assert out == "% @misc{old2020,\n%   title = {Old},\n% }\n\n@misc{k,\n  title = {T},\n}\n"
    assert not any(b.kind in ("entry", "invalid") and b.key == "old2020" for b in fmt.tokenize(out))


def test_form_feed_and_unicode_line_separators_are_kept():
    text = "\f\n% page\u2028two\x1cthree\x85four\u2029\n@misc{k, title = {T}}\n\f\n"
    out = fmt.format_text(text)
    assert out == "\f\n% page\u2028two\x1cthree\x85four\u2029\n@misc{k,\n  title = {T},\n}\n\f\n"


def test_an_address_between_entries_is_text():
    text = "@misc{a, title={A}}\nMaintainer: someone@example.org (ping me)\n@misc{b, title={B}}\n"
    assert [(b.kind, b.key) for b in fmt.tokenize(text) if b.kind != "text"] == [("entry", "a"), ("entry", "b")]
    out = fmt.format_text(text)
    assert out == ("@misc{a,\n  title = {A},\n}\nMaintainer: someone@example.org (ping me)\n"
                   "@misc{b,\n  title = {B},\n}\n")


def test_strings_preambles_and_comments_are_left_as_written():
    text = '@STRING( tmlr = "TMLR" )\n@Preamble{ "x" }\n@Comment{ keep  }\n@misc{k, journal = tmlr}\n'
    out = fmt.format_text(text)
    assert out.startswith('@STRING( tmlr = "TMLR" )\n\n@Preamble{ "x" }\n\n@Comment{ keep  }\n\n@misc{k,')


def test_text_on_the_line_an_entry_ends_on_stays_there():
    text = "@misc{a, title={A}} % checked 2025\n@misc{b, title={B}}\n"
    out = fmt.format_text(text)
    assert out == "@misc{a,\n  title = {A},\n} % checked 2025\n\n@misc{b,\n  title = {B},\n}\n"
    assert fmt.format_text(out) == out


JUNK_LINE = st.lists(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r{}") |
    st.sampled_from(["\f", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x85", "\v", "%", "@", " ", "\t",
                     "someone@example.org (ping me)", "% @misc{old,", "@"]),
    max_size=12).map("".join).filter(lambda s: not re.match(r"[ \t]*@", s))
COMMANDS = st.sampled_from([
    '@string{va = "A"}', "@STRING( vb = {B} # va )", '@preamble{ "\\newcommand{\\x}{}" }', "@Comment{ x  y }",
    "@comment(anything {at} all)",
])
ENTRIES = st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9:_-]{0,6}", fullmatch=True),
                    st.sampled_from(['title = "T"', "title={T}, year=2025", "journal = va", "month = {8}", ""]),
                    st.sampled_from(["@misc", "@Article", "  @book"])).map(
    lambda t: f"{t[2]}{{{t[0]}, {t[1]}}}")


@st.composite
def hostile_bibs(draw):
    parts = draw(st.lists(JUNK_LINE | COMMANDS | ENTRIES, max_size=10))
    seps = [draw(st.sampled_from(["\n", "\n\n", "\r\n", " ", " % note\n", "\n\n\n"])) for _ in parts]
    text = draw(st.sampled_from(["", "\n", "% header\n\n"])) + "".join(p + s for p, s in zip(parts, seps, strict=True))
    return text


@PROPERTY
@given(hostile_bibs())
def test_text_outside_entries_survives_byte_for_byte(text):
    out = fmt.format_text(text)
    assert outside(out) == outside(text)
    assert keys(out) == keys(text)  # no entry lost, none made up


@PROPERTY
@given(hostile_bibs(), st.booleans())
def test_fmt_is_idempotent_on_hostile_text(text, sort):
    try:
        once = fmt.format_text(text, sort=sort)
    except fmt.SortError:
        assume(False)
    assert fmt.format_text(once, sort=sort) == once
    assert keys(once) == keys(text)


# -- line endings and BOM ----------------------------------------------------------------

CANONICAL = "% header\n\n@string{va = {A}}\n\n@misc{k,\n  title = {T},\n  journal = va,\n}\n% about j\n@misc{j,\n}\n"


def test_crlf_file_stays_crlf(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_bytes(b"% header\r\n@misc{k, title = \"T\"}\r\n\r\n\r\n@misc{j, title = {J}}\r\n")
    assert run(str(bib)) == 0
    assert bib.read_bytes() == (b"% header\r\n@misc{k,\r\n  title = {T},\r\n}\r\n\r\n"
                                b"@misc{j,\r\n  title = {J},\r\n}\r\n")
    capsys.readouterr()
    assert run("--check", str(bib)) == 0
    assert run("--diff", str(bib)) == 0
    assert capsys.readouterr().out == ""


def test_bom_is_kept(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_bytes(BOM + "@misc{k, title = \"Über\"}\n".encode())
    assert run(str(bib)) == 0
    assert bib.read_bytes() == BOM + "@misc{k,\n  title = {Über},\n}\n".encode()
    assert run("--check", str(bib)) == 0
    assert capsys.readouterr().out == ""


def test_not_utf8_is_one_line_with_its_line(tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    bib.write_bytes(b"@misc{k,\n  title = {caf\xe9},\n}\n")
    assert run(str(bib)) == 2
    assert capsys.readouterr().err == f"{bib}:2: not UTF-8 (byte 0xe9); save the file as UTF-8\n"


@PROPERTY
@given(st.lists(st.booleans(), min_size=CANONICAL.count("\n"), max_size=CANONICAL.count("\n")))
def test_only_line_endings_is_no_change(crlf):
    lines = CANONICAL.split("\n")
    text = "".join(line + ("\r\n" if flag else "\n") for line, flag in zip(lines, crlf, strict=False))
    assert fmt.format_text(text) == text
    assert fmt.changed_blocks("x.bib", fmt.tokenize(text), None) == []


@PROPERTY
@given(hostile_bibs(), st.data())
def test_rewritten_lines_get_the_majority_ending_and_others_keep_theirs(text, data):
    lines = text.replace("\r\n", "\n").split("\n")
    flags = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + ("\r\n" if flag else "\n") for line, flag in zip(lines, flags, strict=True))
    out = fmt.format_text(text)
    eol = fmt.line_ending(text)
    written = "".join(fmt.split_lines(text))
    for line in fmt.split_lines(out):  # a line fmt wrote anew ends with the file's majority ending
        content, ending = fmt._cut(line)
        if content.strip(" \t}") and content.strip(" \t") not in written:
            assert ending in (eol, "")
    assert outside(out) == outside(text)  # text it leaves alone keeps each line's ending
    assert out.replace("\r\n", "\n") == fmt.format_text(text.replace("\r\n", "\n"))


def test_majority_ending():
    assert fmt.line_ending("a\r\nb\r\nc\n") == "\r\n"
    assert fmt.line_ending("a\r\nb\nc\n") == "\n"
    assert fmt.line_ending("") == "\n"


def test_sample_bib_in_crlf_is_the_lf_result_in_crlf():
    sample = (Path(__file__).parent / "roots" / "test-survey" / "refs" / "survey.bib").read_text()
    crlf = sample.replace("\n", "\r\n")
    assert fmt.format_text(crlf) == fmt.format_text(sample).replace("\n", "\r\n")
