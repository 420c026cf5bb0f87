"""The taxonomy file: loading, validation messages, alias resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_tc_ext.problems import InputError, did_you_mean
from sphinx_tc_ext.taxonomy import load_taxonomy

REPO = Path(__file__).parent.parent


def test_real_taxonomy_loads():
    taxonomy = load_taxonomy(REPO / "refs" / "taxonomy.toml")
    assert [f.id for f in taxonomy.facets] == ["area", "category", "cost"]
    area = taxonomy.facet("areas")
    assert area is taxonomy.facet("area")
    assert area.multi and area.required
    assert {"image", "video", "audio", "vision-transformer", "audio-transformer"} <= set(area.value_ids)
    assert taxonomy.facet("category").value_ids == ("transformation", "similarity", "attention", "query")
    assert not taxonomy.facet("cost").multi
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
