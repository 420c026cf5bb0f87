"""The taxonomy file: loading, validation messages, alias resolution."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sphinx_tc_ext.core.problems import InputError, did_you_mean
from sphinx_tc_ext.core.taxonomy import load_taxonomy

REPO = Path(__file__).parent.parent


def test_real_taxonomy_loads():
    taxonomy = load_taxonomy(REPO / "refs" / "taxonomy.toml")
    assert [f.id for f in taxonomy.facets] == ["area", "category", "cost"]
    area = taxonomy.facet("areas")
    assert area is taxonomy.facet("area")
    assert area.multi and area.required
    assert {"image", "video", "audio", "vision-transformer", "audio-transformer"} <= set(area.value_ids)
    assert taxonomy.facet("category").value_ids == ("transformation", "similarity", "attention", "query")
    assert taxonomy.facet("cost").multi  # ToMe, PyramidDrop... work with and without training
    assert area.resolve_alias("Image-LLM") == "image"
    assert area.resolve_alias("VIDEO LLM") == "video"
    assert area.resolve_alias("nothing") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tax.toml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        load_taxonomy(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_syntax_error_names_the_line(tmp_path):
    (msg,) = messages(tmp_path, '[[facets]]\nid = "a"\nlabel = \n')
    assert msg.startswith(f"{tmp_path / 'tax.toml'}:3: not valid TOML")


def test_every_problem_is_listed(tmp_path):
    text = """
[[facets]]
id = "Bad Id"

[[facets]]
id = "topic"
  [[facets.values]]
  id = "x"
  color = "red"
  [[facets.values]]
  id = "x"

[[facets]]
id = "empty"
"""
    found = messages(tmp_path, text)
    assert any(":3: facet id 'Bad Id' must be lowercase" in m for m in found)
    assert any("colour 'red' of topic:x is not #rrggbb" in m for m in found)
    assert any("value id 'x' of facet 'topic' is empty, malformed or repeated" in m for m in found)
    assert any("facet 'empty' has no values" in m for m in found)


def test_no_facets(tmp_path):
    assert messages(tmp_path, '[survey]\ntitle = "x"\n') == [f"{tmp_path / 'tax.toml'}:1: no [[facets]] declared; "
                                                            "add at least one facet"]


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read the taxonomy file"):
        load_taxonomy(tmp_path / "missing.toml")


@pytest.mark.parametrize(("word", "expected"), [
    ("vidoe", "did you mean 'video'?"),
    ("Atention", "did you mean 'attention'?"),
    ("zzz", "allowed: image, video, attention"),
])
def test_did_you_mean(word, expected):
    assert did_you_mean(word, ["image", "video", "attention"]) == expected


def test_wrong_types_are_errors_at_the_line_of_their_key(tmp_path):
    text = """[survey]
title = "x"

[[facets]]
id = "area"
multi = "false"
required = "no"

  [[facets.values]]
  id = "image"
  aliases = "img"

  [[facets.values]]
  id = "video"
  aliases = 5
  label = 3

[[facets]]
id = "cat"
values = ["image"]

[[facets]]
id = 7
"""
    path = tmp_path / "tax.toml"
    assert messages(tmp_path, text) == [
        f"{path}:6: facet 'area': 'multi' must be true or false, without quotes, not the string \"false\"; "
        "write multi = false",
        f"{path}:7: facet 'area': 'required' must be true or false, without quotes, not the string \"no\"; "
        "write required = false",
        f"{path}:11: value area:image: 'aliases' must be an array of strings, not the string \"img\"; "
        "write aliases = [\"img\"]",
        f"{path}:15: value area:video: 'aliases' must be an array of strings, not the number 5; "
        "write aliases = [\"...\", \"...\"]",
        f"{path}:16: value area:video: 'label' must be a string in quotes, not the number 3; write label = \"3\"",
        f"{path}:20: facet 'cat': 'values' must be an array of tables, not an array of strings; "
        "declare each value as its own [[facets.values]] table with id = \"...\"",
        f"{path}:23: facet #3: 'id' must be a string in quotes, not the number 7; write id = \"7\"",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ('facets = ["area"]\n', ":1: the top level: 'facets' must be an array of tables, not an array of strings; "
                            "declare each facet as its own [[facets]] table"),
    ('survey = "x"\n[[facets]]\nid = "a"\n[[facets.values]]\nid = "b"\n',
     ":1: the top level: 'survey' must be a table, not the string \"x\""),
    ('[[facets]]\nid = "a"\nvalues = [{id = "b", aliases = [1]}]\n',
     ":3: value a:b: 'aliases' must be an array of strings, not an array of values"),
])
def test_wrong_types_at_the_top_and_inline(tmp_path, text, expected):
    (msg,) = messages(tmp_path, text)
    assert msg.startswith(f"{tmp_path / 'tax.toml'}{expected}")


def test_unknown_keys_at_every_level_name_the_nearest_known_key(tmp_path):
    text = """titel = "x"

[survey]
short_titel = "x"

[[facets]]
id = "area"
requried = true

  [[facets.values]]
  id = "image"
  colour = "#ffffff"
"""
    path = tmp_path / "tax.toml"
    assert messages(tmp_path, text) == [
        f"{path}:1: the top level: unknown key 'titel' (allowed: survey, facets); fix or remove it",
        f"{path}:4: [survey]: unknown key 'short_titel' (did you mean 'short_title'?); fix or remove it",
        f"{path}:8: facet 'area': unknown key 'requried' (did you mean 'required'?); fix or remove it",
        f"{path}:12: value area:image: unknown key 'colour' (did you mean 'color'?); fix or remove it",
    ]


def test_booleans_are_read_as_written(tmp_path):
    taxonomy = load_taxonomy(write(tmp_path, '[[facets]]\nid = "a"\nmulti = false\nrequired = true\n'
                                             '[[facets.values]]\nid = "b"\naliases = ["img"]\n'))
    (facet,) = taxonomy.facets
    assert (facet.multi, facet.required, facet.values[0].aliases) == (False, True, ("img",))


def test_lines_skip_multiline_strings_and_repeated_ids(tmp_path):
    text = '[[facets]]\nid = "a"\ndescription = """\nmulti = 1\n"""\nmulti = "yes"\n' \
           '[[facets.values]]\nid = "b"\n[[facets.values]]\nid = "b"\n'
    path = tmp_path / "tax.toml"
    assert messages(tmp_path, text) == [
        f"{path}:6: facet 'a': 'multi' must be true or false, without quotes, not the string \"yes\"; "
        "write multi = true",
        f"{path}:10: value id 'b' of facet 'a' is empty, malformed or repeated; use unique lowercase ids",
    ]


def test_not_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "tax.toml"
    path.write_bytes(b'[[facets]]\nid = "caf\xe9"\n')
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    (problem,) = info.value.problems
    assert str(problem) == (f"{path}:2: the taxonomy file is not UTF-8: byte 0xe9 at column 10 cannot be decoded; "
                            "re-save the file as UTF-8")
    assert problem.column == 10


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "tax.toml"
    path.write_bytes(b'\xef\xbb\xbf[[facets]]\nid = "a"\n[[facets.values]]\nid = "b"\n')
    assert load_taxonomy(path).facets[0].value_ids == ("b",)


# -- the Sphinx build: a tc warning at the file's line, never a traceback -----------

def _root_with(copy_root, old: str, new: str | bytes) -> Path:
    src = copy_root("test-taxonomy")
    path = src / "refs" / "taxonomy.toml"
    text = path.read_bytes()
    assert old.encode() in text
    path.write_bytes(text.replace(old.encode(), new if isinstance(new, bytes) else new.encode()))
    return src


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("multi = true", 'multi = "false"', r"refs/taxonomy.toml:9: facet 'area': 'multi' must be true or false"),
    ('aliases = ["img"]', "aliases = 5", r"refs/taxonomy.toml:14: value area:image: 'aliases' must be an array"),
    ("multi = true", "requried = true", r"refs/taxonomy.toml:9: facet 'area': unknown key 'requried' \(did you "
                                        r"mean 'required'\?\)"),
    ("[survey]", "[surveys]", r"refs/taxonomy.toml:2: the top level: unknown key 'surveys' \(did you mean 'survey'"),
    ('label = "Image"', b'label = "Im\xe4ge"', r"refs/taxonomy.toml:13: the taxonomy file is not UTF-8: byte 0xe4"),
])
def test_build_warns_about_a_bad_taxonomy_and_goes_on(copy_root, build, old, new, expected):
    # Sphinx 9 prints its crash report (with "Traceback") for any exception, ConfigError included:
    # a broken taxonomy is a tc.taxonomy warning at its line and the build goes on with the rest.
    app = build(_root_with(copy_root, old, new))
    warnings = app.warning.getvalue()
    assert re.search(expected.replace(": ", ": WARNING: ", 1), warnings), warnings
    assert "[tc.taxonomy]" in warnings and "Traceback" not in warnings
    assert (app.outdir / "index.html").is_file()


def test_a_label_with_dollar_signs_is_text_in_the_charts(copy_root, build):
    """No typesetting: a ``$...$`` label is drawn as written (escaped), with no warning."""
    app = build(_root_with(copy_root, 'label = "Image"', r"label = '$\undefinedmacro$ <b>'"))
    warnings = app.warning.getvalue()
    assert "WARNING" not in warnings and "Traceback" not in warnings
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert html.count('class="tc-chart"') == 2 and html.count("<svg") == 2
    assert "$\\undefinedmacro$ &lt;b&gt;</text>" in html and "<b>" not in html.split('class="tc-chart"')[1]
    assert not (app.outdir / "_static" / "tc-stats").exists()  # nothing but the page
