"""Tests of ``tc-survey import-awesome`` / ``export-awesome`` (sphinx_tc_ext.awesome, sphinx_tc_ext.cli.awesome).

``tests/data/awesome/snapshot`` is the awesome list's snapshot (MIT, see its
LICENSE): the five area files verbatim and the README's table sections (lines
82-253 of the original README, so README line N here is line N + 81 there).
``tests/data/awesome/madeup`` holds invented rows with every defect the
importer repairs.
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.awesome import importer as awesome
from sphinx_tc_ext.awesome.exporter import export_awesome
from sphinx_tc_ext.awesome.importer import added_date, import_awesome
from sphinx_tc_ext.awesome.markdown import (
    escape_badge_part,
    join_cells,
    parse_badge,
    split_badge_path,
    split_cells,
    unescape_badge_part,
)
from sphinx_tc_ext.awesome.rows import parse_markdown
from sphinx_tc_ext.cli import awesome as awesome_cli
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.rules import bib_to_text, citation_key, key_suffix, load_venues, text_to_bib, to_bibtex_name
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from sphinx_tc_ext.core.titlecase import protect_title

HERE = Path(__file__).parent
REPO = HERE.parent
DATA = HERE / "data" / "awesome"
SNAPSHOT = DATA / "snapshot"
MADEUP = DATA / "madeup"
ROOT_TAXONOMY = REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
ORIGINAL = REPO.parent / "shared" / "data" / "awesome-mtc"


def main(argv: list[str]) -> int:
    """``tc-survey`` with only this module's commands (other modules may be work in progress)."""
    parser = argparse.ArgumentParser(prog="tc-survey")
    awesome_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml")


@pytest.fixture(scope="module")
def venues():
    return load_venues()


@pytest.fixture(scope="module")
def snapshot(taxonomy, venues):
    return import_awesome(SNAPSHOT, None, taxonomy, venues)


@pytest.fixture(scope="module")
def snapshot_bib(snapshot, taxonomy):
    return parse_bib_text(snapshot.text, "survey.bib", taxonomy)


@pytest.fixture(scope="module")
def exported(snapshot_bib, taxonomy, venues):
    return export_awesome(snapshot_bib, taxonomy, venues)


@pytest.fixture(scope="module")
def madeup(taxonomy, venues):
    return import_awesome(MADEUP, None, taxonomy, venues)


def kinds(result) -> Counter:
    return Counter(p.code for p in result.problems)


def messages(result, kind: str) -> list[str]:
    return [str(p) for p in result.problems if p.code == kind]


def entry(result, key: str):
    return next(e for e in result.entries if e.key == key)


def by_eprint(result, eprint: str):
    return next(e for e in result.entries if e.fields.get("eprint") == eprint)


# -- the real snapshot ------------------------------------------------------------------------

def test_snapshot_has_166_unique_papers(snapshot, taxonomy):
    assert snapshot.count == 166
    assert len(snapshot.entries) == 166
    keys = [e.key for e in snapshot.entries]
    assert len({k.lower() for k in keys}) == 166
    eprints = [e.fields["eprint"] for e in snapshot.entries if "eprint" in e.fields]
    assert len(eprints) == len(set(eprints)) == 165  # one paper has no arXiv id
    bib = parse_bib_text(snapshot.text, "survey.bib", taxonomy)
    assert bib.problems == []
    assert len(bib.papers) == 166


@pytest.mark.skipif(not ORIGINAL.is_dir(), reason="the original snapshot is not on this machine")
def test_fixture_snapshot_loses_nothing_of_the_original(snapshot, taxonomy, venues):
    original = import_awesome(ORIGINAL, None, taxonomy, venues)
    assert original.text == snapshot.text
    assert kinds(original) == kinds(snapshot)


def test_snapshot_anomaly_report(snapshot):
    assert kinds(snapshot) == Counter({"doubled-prefix": 254, "tracking-query": 6, "area-placement": 6,
                                       "cost-conflict": 4, "whitespace": 3, "no-arxiv": 1, "venue-year": 1})
    doubled = messages(snapshot, "doubled-prefix")
    assert any(m.startswith(f"{SNAPSHOT / 'README.md'}:12: star badge link "
                            "'https://github.com/https://github.com/sihany077/VFlowOpt'") for m in doubled)
    assert all("; using https://github.com/" in m for m in doubled)
    tracking = "\n".join(messages(snapshot, "tracking-query"))
    for repo in ("khanrc/honeybee", "NVlabs/VILA", "KD-TAO/DyCoke"):
        assert f"using https://github.com/{repo}\n" in tracking + "\n"
    placement = messages(snapshot, "area-placement")
    assert all("audio-llm.md" in m and "listed under area 'audio'" in m for m in placement)
    cost = "\n".join(messages(snapshot, "cost-conflict"))
    assert "kept 'training-free'" in cost
    assert f"{SNAPSHOT / 'image-llm.md'}:90: title contains a non-breaking" in "\n".join(
        messages(snapshot, "whitespace"))
    assert "openaccess.thecvf.com" in messages(snapshot, "no-arxiv")[0]
    assert "2507.02279" in messages(snapshot, "venue-year")[0]


def test_snapshot_repairs_are_in_the_bib(snapshot):
    assert "https://github.com/https://" not in snapshot.text
    assert "readme-ov-file" not in snapshot.text
    assert "\u00a0" not in snapshot.text
    honeybee = next(e for e in snapshot.entries if "honeybee" in e.fields.get("code", ""))
    assert honeybee.fields["code"] == "https://github.com/khanrc/honeybee"
    dart = by_eprint(snapshot, "2502.11494")
    assert dart.fields["cost"] == "training-free"
    prumerge = by_eprint(snapshot, "2403.15388")
    assert prumerge.fields["title"] == \
        "{LLaVA}-{PruMerge}: Adaptive Token Reduction for Efficient Large Multimodal Models"


def test_snapshot_entries_follow_the_schema(snapshot):
    survey = entry(snapshot, "shao2025tokens")
    assert survey.entry_type == "article"
    assert survey.fields["journal"] == "arXiv preprint arXiv:2507.20198"
    assert survey.fields["author"].startswith("Shao, Kele and Tao, Keda and Zhang, Kejia")
    assert (survey.fields["year"], survey.fields["month"]) == ("2025", "jul")
    assert (survey.fields["eprint"], survey.fields["archiveprefix"]) == ("2507.20198", "arXiv")
    assert survey.fields["areas"] == "image, video, audio, survey"
    assert survey.fields["shortvenue"] == "arXiv 2025.07"
    assert survey.fields["added"] == "2025-07-29"
    assert "@article{shao2025tokens,\n  title = {When Tokens Talk Too Much" in awesome.render_bib([survey])
    assert "  month = jul,\n" in awesome.format_entry(survey)

    vflow = by_eprint(snapshot, "2508.05211")
    assert vflow.entry_type == "inproceedings"
    assert vflow.fields["booktitle"] == ("Proceedings of the IEEE/CVF International Conference on Computer "
                                         "Vision (ICCV)")
    assert vflow.fields["shortvenue"] == "ICCV 2025"
    assert "month" not in vflow.fields
    assert vflow.fields["added"] == "2025-08-14"
    assert vflow.fields["code"] == "https://github.com/sihany077/VFlowOpt"

    onevision = by_eprint(snapshot, "2408.03326")
    assert onevision.entry_type == "article"
    assert onevision.fields["journal"] == "Transactions on Machine Learning Research"
    assert onevision.fields["shortvenue"] == "TMLR 2025"

    assert by_eprint(snapshot, "2504.17343").fields["title"].startswith("{TimeChat}-{Online}: 80\\% Visual")
    assert by_eprint(snapshot, "2507.02279").fields["shortvenue"] == "EMNLP 2024 Findings"
    assert by_eprint(snapshot, "2507.02279").fields["booktitle"] == (
        "Findings of the Association for Computational Linguistics: EMNLP 2024")
    highlights = [e.fields["shortvenue"] for e in snapshot.entries if "Highlight" in e.fields["shortvenue"]]
    assert sorted(set(highlights)) == ["CVPR 2024 Highlight", "CVPR 2025 Highlight"]
    assert any(e.fields["author"] == "{Qwen Team}" for e in snapshot.entries)
    folder = by_eprint(snapshot, "2501.02430")
    assert "Quétu, Victor" in folder.fields["author"]  # unicode kept
    zero_shot = next(e for e in snapshot.entries if "eprint" not in e.fields)
    assert zero_shot.fields["url"].startswith("https://openaccess.thecvf.com/")
    assert zero_shot.fields["areas"] == "video, 3d"
    prompt = next(e for e in snapshot.entries if e.fields.get("eprint") == "2410.12388")
    assert prompt.fields["areas"] == "llm, survey"  # only in the README
    assert prompt.fields["shortvenue"] == "NAACL 2025 Oral"


def test_snapshot_added_rule(snapshot):
    later = {e.fields["eprint"] for e in snapshot.entries if e.fields["added"] == "2025-08-14"}
    assert later == {e.fields["eprint"] for e in snapshot.entries
                     if "eprint" in e.fields and e.fields["eprint"] > "2507.20198"}
    assert "2507.20630" in later and "2507.20198" not in later
    assert added_date("2507.20198", 2025, 7) == "2025-07-29"
    assert added_date("2507.20199", 2025, 7) == "2025-08-14"
    assert added_date(None, 2025, 7) == "2025-07-29"
    assert added_date(None, 2025, 8) == "2025-08-14"
    assert added_date(None, 2025, None) == "2025-07-29"
    assert added_date("2509.00001", 2025, 9, later="2025-10-01") == "2025-10-01"


def test_snapshot_order_is_newest_first(snapshot):
    order = [(e.year, e.month) for e in snapshot.entries]
    assert order == sorted(order, reverse=True)
    entries = [((e.year, e.month), e.key) for e in snapshot.entries]
    for (date_a, key_a), (date_b, key_b) in itertools.pairwise(entries):
        if date_a == date_b:
            assert key_a < key_b
    assert snapshot.entries[0].fields["eprint"].startswith("2508.")


def test_import_is_deterministic(snapshot, taxonomy, venues):
    again = import_awesome(SNAPSHOT, None, taxonomy, venues)
    assert again.text == snapshot.text
    assert [str(p) for p in again.problems] == [str(p) for p in snapshot.problems]


def test_collision_free_keys(snapshot):
    keys = {e.key for e in snapshot.entries}
    assert {"liu2025video", "liu2025videob", "qwen2025qwen2", "qwen2025qwen2b"} <= keys
    for key in keys:
        assert re.fullmatch(r"[a-z]+\d{4}[a-z0-9]+", key), key


# -- round trip -------------------------------------------------------------------------------

def _write(files: dict[str, str], out: Path) -> Path:
    out.mkdir()
    for file, text in files.items():
        (out / file).write_text(text, encoding="utf-8")
    return out


def test_round_trip_on_the_snapshot(snapshot, snapshot_bib, exported, taxonomy, venues, tmp_path):
    again = import_awesome(_write(exported, tmp_path / "md"), None, taxonomy, venues)
    assert again.text == snapshot.text  # the added rule round-trips too
    # The export carries none of the format defects; what is left is about the data.
    assert set(kinds(again)) == {"no-arxiv", "venue-year"}
    assert {"README.md", "image-llm.md", "video-llm.md", "audio-llm.md", "vision-transformer.md",
            "audio-transformer.md", "llm.md", "3d-llm.md"} <= set(exported)
    readme = exported["README.md"]
    assert "### Recent Papers (Last 6 Months)" in readme
    assert "### Published in Recent Conference/Journal" in readme
    assert "<summary><strong>ICCV 2025</strong></summary>" in readme
    image = exported["image-llm.md"]
    years = re.findall(r"<summary><strong>(\d{4}) Image LLM</strong></summary>", image)
    assert years == sorted(years, reverse=True) == ["2025", "2024", "2023", "2022"]
    assert "https://github.com/https://" not in "".join(exported.values())
    # The export is deterministic as well.
    assert export_awesome(snapshot_bib, taxonomy, venues) == exported


def test_export_recent_sections(exported):
    readme = exported["README.md"]
    recent = readme[readme.index("### Recent Papers"):readme.index("### Published in Recent")]
    assert "2508.05211" in recent and "2502.11494" in recent  # 2025.02 is six months before 2025-08-14
    assert "2501.02430" not in recent
    venues_part = readme[readme.index("### Published in Recent"):]
    assert "2403.15388" in venues_part  # LLaVA-PruMerge, ICCV 2025
    assert "<summary><strong>EMNLP 2024 Findings</strong></summary>" not in venues_part


def test_export_rows_look_like_the_list(exported):
    files = exported
    row = next(line for line in files["image-llm.md"].splitlines() if "2508.05211" in line)
    assert row.startswith("|  [![Publish](https://img.shields.io/badge/ICCV-2025-blue)]() [![Star](https://img."
                          "shields.io/github/stars/sihany077/VFlowOpt.svg?style=social&label=Star)]"
                          "(https://github.com/sihany077/VFlowOpt)<br>[VFlowOpt: ")
    assert "[![Area](https://img.shields.io/badge/Image--LLM-purple)]()" in row
    assert "[![Type](https://img.shields.io/badge/Attention--Based-green)]()<br> [![Cost](https://img.shields.io/" \
           "badge/Training--Based-yellow)]()" in row
    assert row.endswith("[Paper](https://arxiv.org/abs/2508.05211)<br> [GitHub](https://github.com/sihany077/"
                        "VFlowOpt)<br> | ")
    preprint = next(line for line in files["image-llm.md"].splitlines() if "2508.07871" in line)
    assert preprint.startswith("|  [![Arxiv](https://img.shields.io/badge/arXiv-2025\\.08-red)]() <br>[CATP")


def test_round_trip_on_made_up_tables(madeup, taxonomy, venues, tmp_path):
    files = export_awesome(parse_bib_text(madeup.text, "survey.bib", taxonomy), taxonomy, venues)
    again = import_awesome(_write(files, tmp_path / "md"), None, taxonomy, venues)
    assert again.text == madeup.text


def test_cli_round_trip_and_merge_messages(madeup, tmp_path, capsys):
    bib = tmp_path / "survey.bib"
    taxonomy = str(REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml")
    assert main(["import-awesome", str(MADEUP), "-o", str(bib), "--taxonomy", taxonomy]) == 0
    captured = capsys.readouterr()
    assert "7 papers read; anomalies: " in captured.err
    assert f"{MADEUP / 'image-llm.md'}:9: author cell is empty" in captured.err
    assert "wrote 7 entries" in captured.out
    first = bib.read_bytes()
    assert first.decode() == madeup.text
    assert main(["import-awesome", str(MADEUP), "-o", str(bib), "--taxonomy", taxonomy, "-q"]) == 0
    captured = capsys.readouterr()
    assert bib.read_bytes() == first
    assert "0 added, 0 updated, 7 unchanged, 0 kept" in captured.out
    assert "author cell is empty" not in captured.err  # -q: the summary only
    assert main(["export-awesome", str(bib), "-o", str(tmp_path / "md"), "--taxonomy", taxonomy]) == 0
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == ["README.md", "image-llm.md", "video-llm.md"]
    again = tmp_path / "again.bib"
    assert main(["import-awesome", str(tmp_path / "md"), "-o", str(again), "--taxonomy", taxonomy]) == 0
    assert again.read_text(encoding="utf-8").replace("again.bib", "survey.bib") == first.decode()
    assert main(["import-awesome", str(MADEUP), "-o", str(bib), "--taxonomy", taxonomy, "--strict", "-q"]) == 1
    assert main(["import-awesome", str(tmp_path / "nowhere"), "-o", str(bib), "--taxonomy", taxonomy]) == 1


# -- merging into an existing bib ---------------------------------------------------------------

HAND_ENTRY = """
@misc{hand2024notes,
  title = {Hand-Written Notes on Token Budgets},
  author = {Doe, Jane},
  year = {2024},
  areas = {image},
  added = {2024-12-01}
}
"""


def test_merge_keeps_hand_added_fields_and_entries(snapshot, taxonomy, venues, tmp_path):
    bib = tmp_path / "survey.bib"
    text = snapshot.text
    # Hand edits: a note and a doi, an earlier added date, case-protecting braces in a title,
    # a project link the list does not have, a stale code link, and a hand-written entry.
    text = text.replace("  eprint = {2507.20198},\n", "  eprint = {2507.20198},\n  doi = {10.48550/arXiv.2507.20198},\n"
                        "  note = {Our own survey},\n", 1)
    text = text.replace("title = {{LLaVA}-{PruMerge}: Adaptive", "title = {{LLaVA-PruMerge}: Adaptive", 1)
    assert "title = {{LLaVA-PruMerge}: Adaptive" in text
    text = text.replace("code = {https://github.com/sihany077/VFlowOpt}",
                        "code = {https://github.com/someone/else},\n  project = {https://vflowopt.example.org}", 1)
    assert "@inproceedings{yang2025vflowopt" in text
    text = text + HAND_ENTRY
    bib.write_text(text, encoding="utf-8")
    result = import_awesome(SNAPSHOT, bib, taxonomy, venues)
    merged = parse_bib_text(result.text, str(bib), taxonomy)
    assert merged.problems == []
    assert len(merged.papers) == 167
    survey = merged.papers["shao2025tokens"]
    assert survey.fields["doi"] == "10.48550/arXiv.2507.20198"
    assert survey.fields["note"] == "Our own survey"
    assert merged.papers["shang2025llava"].fields["title"].startswith("{LLaVA-PruMerge}: Adaptive")
    vflow = merged.papers["yang2025vflowopt"]
    assert vflow.fields["code"] == "https://github.com/sihany077/VFlowOpt"  # refreshed from the list
    assert vflow.fields["project"] == "https://vflowopt.example.org"  # hand-added, kept
    hand = merged.papers["hand2024notes"]
    assert hand.entry_type == "misc" and hand.added == "2024-12-01"
    changes = {(action, key): detail for action, key, detail in result.changes}
    assert changes[("updated", "yang2025vflowopt")] == "code"
    assert ("kept", "hand2024notes") in changes
    assert ("unchanged", "shang2025llava") in changes
    assert ("unchanged", "shao2025tokens") in changes
    assert sum(1 for action, _k, _d in result.changes if action == "unchanged") == 165
    # Merging again changes nothing.
    bib.write_text(result.text, encoding="utf-8")
    again = import_awesome(SNAPSHOT, bib, taxonomy, venues)
    assert again.text == result.text
    assert {a for a, _k, _d in again.changes} == {"unchanged", "kept"}


def test_merge_into_a_bib_without_case_braces_changes_nothing(snapshot, taxonomy, venues, tmp_path):
    """Braces that protect capitals are not a title change: a bib written before the import braced
    titles (or by hand, without them) merges as unchanged and keeps its text."""
    bib = tmp_path / "survey.bib"
    bare = re.sub(r"(?m)^(  title = \{)(.*)(\},)$",
                  lambda m: m[1] + re.sub(r"(?<![A-Za-z\\])\{(\w+)\}", r"\1", m[2]) + m[3], snapshot.text)
    assert "{ViT}" in snapshot.text and "{ViT}" not in bare
    assert "title = {LLaVA-PruMerge: Adaptive" in bare and bare != snapshot.text
    bib.write_text(bare, encoding="utf-8")
    result = import_awesome(SNAPSHOT, bib, taxonomy, venues)
    assert {a for a, _k, _d in result.changes} == {"unchanged"}
    assert result.text == bare


def test_merge_adds_new_papers_with_fresh_keys_and_keeps_added(taxonomy, venues, tmp_path):
    bib = tmp_path / "survey.bib"
    first = import_awesome(MADEUP, None, taxonomy, venues)
    # Drop one paper, rename another key by hand and backdate it: the key and the date survive.
    text = first.text.replace("@article{zhang2024token,", "@article{zhang2024everyone,")
    text = text.replace("  model = {https://huggingface.co/wz/tm},\n  added = {2025-07-29}",
                        "  model = {https://huggingface.co/wz/tm},\n  added = {2024-06-01}")
    start = text.index("@article{zhang2024tokenb,")
    text = text[:start] + text[text.index("\n}\n", start) + 3:]
    bib.write_text(text, encoding="utf-8")
    result = import_awesome(MADEUP, bib, taxonomy, venues)
    merged = parse_bib_text(result.text, str(bib), taxonomy)
    assert merged.problems == []
    assert len(merged.papers) == 7
    assert merged.papers["zhang2024everyone"].added == "2024-06-01"  # hand-set key and date survive
    assert merged.papers["zhang2024everyone"].title == "Token Merging for Everyone"
    added = [key for action, key, _d in result.changes if action == "added"]
    assert added == ["zhang2024token"]  # the base key is free again
    assert merged.papers["zhang2024token"].title == "Token Merging for Everyone, Again"


def test_merge_refuses_a_broken_bib(taxonomy, venues, tmp_path):
    bib = tmp_path / "survey.bib"
    bib.write_text("@article{broken,\n  title = {Unclosed\n}\n", encoding="utf-8")
    with pytest.raises(awesome.InputError):
        import_awesome(MADEUP, bib, taxonomy, venues)
    result = import_awesome(MADEUP, bib, taxonomy, venues, force=True)
    assert len(result.entries) == 7
    assert result.text.startswith("@article{broken,\n  title = {Unclosed\n}\n\n@")  # kept for the user to fix
    assert len(parse_bib_text(result.text, str(bib), taxonomy).papers) == 7


# -- made-up tables -------------------------------------------------------------------------------

def test_made_up_tables_anomalies(madeup):
    found = kinds(madeup)
    for kind in ("arxiv-placeholder", "badge-no-date", "empty-authors", "title-mismatch", "star-host",
                 "doubled-prefix", "unknown-tag", "unknown-venue", "cost-conflict", "et-al", "cells",
                 "tracking-query", "unknown-link", "badge-date", "venue-conflict", "no-arxiv", "area-placement"):
        assert found[kind] >= 1, kind
    assert madeup.count == 7
    report = "\n".join(str(p) for p in madeup.problems)
    image = MADEUP / "image-llm.md"
    assert f"{image}:9: arXiv link 'https://arxiv.org/abs/2506.xxxxx' has no valid arXiv id" in report
    assert f"{image}:9: arXiv badge 'arXiv' has no YYYY.MM date; date taken from the section" in report
    assert f"{MADEUP / 'README.md'}:10: author cell is empty; authors taken from {image}:8" in report
    assert f"{image}:10: star badge links to 'https://gitlab.com/bob/tok', not to GitHub" in report
    assert f"{image}:10: row has 2 cells, its header 4; missing cells read as empty" in report
    assert f"{MADEUP / 'video-llm.md'}:8: row has 7 cells, its header 6" in report
    unknown = next(p for p in madeup.problems if p.code == "unknown-tag")
    assert unknown.path.endswith("taxonomy.toml") and unknown.line == 13
    assert f"unknown area tag 'Robotics' at {image}:9" in unknown.message
    assert f"{MADEUP / 'README.md'}:10: title 'Pipes | Tokens: Merging and Pruning" in report
    assert "kept 'Pipes | Tokens: Merging & Pruning 100% of Väsentlig_Models'" in report


def test_made_up_tables_entries(madeup):
    pipes = entry(madeup, "angstrom2025pipes")
    assert pipes.fields["title"] == r"Pipes | Tokens: Merging \& Pruning 100\% of Väsentlig\_Models"
    assert pipes.fields["author"] == ("Ångström, Zoë and Álvarez-Muñiz, José and Van Gool, Luc and "
                                      "Tanaka, Jr., Hiroshi")
    assert pipes.fields["eprint"] == "2503.01234"  # the v2 suffix dropped
    assert pipes.fields["shortvenue"] == "CVPR 2025 Highlight"
    assert pipes.fields["areas"] == "image, video"  # union over the rows
    assert pipes.fields["categories"] == "similarity, attention"
    assert pipes.fields["model"] == "https://huggingface.co/alice/pipes"
    assert pipes.fields["project"] == "https://alice.example.org/pipes"
    placeholder = entry(madeup, "anon2025placeholder")
    assert "eprint" not in placeholder.fields and "url" not in placeholder.fields
    assert placeholder.fields["year"] == "2025" and "author" not in placeholder.fields
    assert placeholder.fields["cost"] == "training-free"
    missing = entry(madeup, "builder2024missing")
    assert missing.fields["code"] == "https://github.com/bob/tok"
    assert missing.fields["booktitle"] == "WeirdConf"
    stream = entry(madeup, "garcia2025streaming")
    assert stream.fields["journal"] == "Transactions on Machine Learning Research"
    assert stream.fields["code"] == "https://github.com/ana/stream"
    assert stream.fields["author"] == "García, Ana María and Xu, Q."
    frames = entry(madeup, "deepmind2024frames")
    assert frames.fields["author"] == "{DeepMind Team}"
    assert frames.fields["title"] == r"Frames \& Friends"
    assert frames.fields["shortvenue"] == "ICLR 2024 Oral"
    assert entry(madeup, "zhang2024token").fields["month"] == "may"  # the id wins over the badge
    assert entry(madeup, "zhang2024tokenb").fields["title"] == "Token Merging for Everyone, Again"


def test_table_without_title_column_is_ignored(taxonomy):
    problems: list = []
    rows = parse_markdown("| Name | Value |\n| --- | --- |\n| [a](b) | c |\n", "x.md", taxonomy, problems)
    assert rows == [] and problems == []


def test_row_without_header_delimiter_is_not_a_table(taxonomy):
    text = "| **Title & Authors** | **Areas** |\n| [T](https://arxiv.org/abs/2501.00001)<br>A B | |\n"
    assert parse_markdown(text, "x.md", taxonomy) == []


# -- small pieces -----------------------------------------------------------------------------------

def test_badges():
    badge = parse_badge("Publish", "https://img.shields.io/badge/Trans._Mach._Learn._Res.-2025-blue", "")
    assert (badge.label, badge.message, badge.color) == ("Trans. Mach. Learn. Res.", "2025", "blue")
    badge = parse_badge("Arxiv", r"https://img.shields.io/badge/arXiv-2025\.08-red", "")
    assert (badge.label, badge.message, badge.color) == ("arXiv", "2025.08", "red")
    badge = parse_badge("Arxiv", "https://img.shields.io/badge/arXiv-red", "")
    assert (badge.label, badge.message, badge.color) == ("arXiv", "", "red")
    badge = parse_badge("Area", "https://img.shields.io/badge/Image--LLM-purple", "")
    assert (badge.label, badge.message, badge.color) == ("Image-LLM", "", "purple")
    badge = parse_badge("Star", "https://img.shields.io/github/stars/x/y.svg?style=social&label=Star", "h")
    assert badge.star_repo == "x/y"
    assert split_badge_path("CVPR_Highlight-2025-blue") == ["CVPR Highlight", "2025", "blue"]
    assert split_badge_path("a__b-c%20d-red") == ["a_b", "c d", "red"]


def test_cells():
    assert split_cells(r"| a \| b | c |") == ["a | b", "c"]
    assert split_cells("|  x |  | y | ") == ["x", "", "y"]
    assert split_cells(r"| \[t\] |") == [r"\[t\]"]


def test_names_and_keys():
    assert to_bibtex_name("Christopher D. Manning") == "Manning, Christopher D."
    assert to_bibtex_name("Luc Van Gool") == "Van Gool, Luc"
    assert to_bibtex_name("Qwen Team") == "{Qwen Team}"
    assert to_bibtex_name("NVIDIA") == "{NVIDIA}"
    assert to_bibtex_name("Ludwig von Mises") == "von Mises, Ludwig"
    assert to_bibtex_name("R&D Group") == r"{R\&D Group}"
    assert citation_key("Shao, Kele", 2025, "When Tokens Talk Too Much: A Survey") == "shao2025tokens"
    assert citation_key("{Qwen Team}", 2025, "Qwen2.5-Omni Technical Report") == "qwen2025qwen2"
    assert citation_key("Ångström, Zoë", 2024, "On the Token") == "angstrom2024token"
    assert citation_key("Van Gool, Luc", 2023, "Towards a Better ViT") == "vangool2023better"
    assert citation_key("", 2023, "The") == "anon2023paper"
    assert [key_suffix(n) for n in (1, 24, 25, 26, 50)] == ["b", "y", "z", "zb", "zz"]


def test_venue_table(venues):
    assert venues.lookup("ICCV").name.startswith("Proceedings of the IEEE/CVF International Conference")
    venue, _base, quals = venues.resolve("CVPR Highlight")
    assert venue.key == "CVPR" and quals == ["Highlight"]
    venue, _base, quals = venues.resolve("EMNLP Findings")
    assert venue.key == "EMNLP Findings" and quals == []
    assert venue.full_name(2024) == "Findings of the Association for Computational Linguistics: EMNLP 2024"
    assert venue.shortvenue(2024) == "EMNLP 2024 Findings"
    naacl = venues.lookup("NAACL")
    assert "Nations of the Americas" in naacl.full_name(2025) and "North American" in naacl.full_name(2024)
    assert venues.lookup("Trans. Mach. Learn. Res.").key == "TMLR"
    assert venues.lookup("IJCV").kind == "journal"
    assert venues.by_name("Findings of the Association for Computational Linguistics: ACL 2025").key == \
        "ACL Findings"


def test_bad_venue_table(tmp_path):
    path = tmp_path / "venues.toml"
    path.write_text('[venues.X]\nname = "X"\nkind = "workshop"\n', encoding="utf-8")
    with pytest.raises(awesome.InputError) as err:
        load_venues(path)
    assert "venue 'X' needs a name and kind" in str(err.value)


# -- properties -------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=50)
@given(st.text(max_size=60))
def test_badge_unescaper_never_crashes(text):
    unescape_badge_part(text)
    split_badge_path(text)
    parse_badge("x", "https://img.shields.io/badge/" + text, "")


@settings(max_examples=50)
@given(_TEXT)
def test_badge_escape_round_trips(text):
    assert split_badge_path(escape_badge_part(text)) == [text]


@settings(max_examples=50)
@given(_TEXT.filter(lambda t: not t.startswith("-") and not t.endswith("-")),
       _TEXT.filter(lambda t: t != "" and not t.startswith("-") and not t.endswith("-")))
def test_badge_label_and_message_round_trip(label, message):
    assert split_badge_path(f"{escape_badge_part(label)}-{escape_badge_part(message)}-blue") == \
        [label, message, "blue"]


@settings(max_examples=50)
@given(st.text(max_size=80))
def test_cell_splitter_never_crashes(text):
    split_cells(text)
    split_cells("|" + text + "|")


@settings(max_examples=50)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                                      blacklist_characters="\\\n\r"), max_size=15)
                .map(str.strip), min_size=1, max_size=6))
def test_cell_splitter_round_trips(cells):
    assert split_cells(join_cells(cells)) == cells


@settings(max_examples=60)
@given(st.text(max_size=120))
def test_parser_never_crashes_on_any_row(taxonomy, text):
    header = "| **Title & Authors** | **Areas** | **Tags** | **Links** |\n| --- | --- | --- | :---: |\n"
    parse_markdown(header + "|" + text.replace("\n", " ") + "|\n", "x.md", taxonomy, [])


@settings(max_examples=50)
@given(_TEXT)
@example("{A\U00011C92")  # a braced word ending in a combining mark (hypothesis found it)
def test_bib_escaping_round_trips(text):
    normal = " ".join(text.split())
    escaped = text_to_bib(normal)
    assert bib_to_text(escaped) == normal
    assert bib_to_text(protect_title(escaped)) == normal  # the import writes titles case-protected
    depth = 0
    for ch in escaped:  # BibTeX counts escaped braces too
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


# "and" inside a name cannot survive the list's comma/"and"-separated author cells (like commas).
_WORD = st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=8).filter(
    lambda w: w.lower() != "and")


@settings(max_examples=40, deadline=None)
@given(title=_TEXT.map(lambda t: " ".join(t.split())).filter(lambda t: re.search(r"[A-Za-z0-9]", t)),
       names=st.lists(st.lists(_WORD, min_size=2, max_size=3).map(" ".join), min_size=1, max_size=3))
def test_exported_rows_read_back(taxonomy, venues, title, names):
    fields = {"title": protect_title(text_to_bib(title)), "author": " and ".join(to_bibtex_name(n) for n in names),
              "journal": "arXiv preprint arXiv:2501.00001", "year": "2025", "month": "jan",
              "eprint": "2501.00001", "archiveprefix": "arXiv", "url": "https://arxiv.org/abs/2501.00001",
              "shortvenue": "arXiv 2025.01", "areas": "image", "added": "2025-07-29"}
    text = awesome.render_bib([awesome.Entry("k2025x", "article", fields)])
    bib = parse_bib_text(text, "x.bib", taxonomy)
    assert not bib.problems
    files = export_awesome(bib, taxonomy, venues)
    rows = parse_markdown(files["image-llm.md"], "image-llm.md", taxonomy, [])
    assert len(rows) == 1
    assert rows[0].title == title
    assert rows[0].authors == [" ".join(n.split()) for n in names]


def test_merge_keeps_the_preamble_and_string_uses(taxonomy, venues, tmp_path):
    bib = tmp_path / "survey.bib"
    original = ('@preamble{"\\newcommand{\\tc}{TC}"}\n@string{ws = "Workshop on Tokens"}\n\n'
                "@inproceedings{hand2023ws,\n  title = {A Workshop Paper},\n  booktitle = ws,\n"
                "  year = 2023,\n  month = 7,\n  areas = {image}\n}\n")
    bib.write_text(original, encoding="utf-8")
    result = import_awesome(MADEUP, bib, taxonomy, venues)
    assert result.text.startswith(original + "\n@")  # kept byte for byte; the list's papers follow
    merged = parse_bib_text(result.text, str(bib), taxonomy)
    assert merged.problems == [] and merged.preamble == "\\newcommand{\\tc}{TC}"
    hand = merged.papers["hand2023ws"]
    assert hand.fields["booktitle"] == "Workshop on Tokens" and hand.month == 7
    assert len(merged.papers) == 8


# -- a merge edits the bib in place ---------------------------------------------------------------

ROUNDTRIP = DATA / "roundtrip" / "survey.bib"
SHARED = REPO.parent / "shared" / "data"


def _bib_copy(tmp_path: Path, newline: str = "\n", bom: bool = False) -> tuple[Path, bytes]:
    data = ("\ufeff" if bom else "") + ROUNDTRIP.read_text(encoding="utf-8").replace("\n", newline)
    bib = tmp_path / "survey.bib"
    bib.write_bytes(data.encode("utf-8"))
    return bib, bib.read_bytes()


@pytest.mark.parametrize("newline, bom", [("\n", False), ("\r\n", False), ("\r\n", True)], ids=["lf", "crlf", "bom"])
def test_export_then_import_leaves_the_bib_byte_for_byte(tmp_path, capsys, newline, bom):
    # Comments, @comment, @string uses, a @book and a @proceedings, quoted values, fields sharing a
    # line, a note with a paragraph break, two blank lines between entries: none of it may change.
    bib, before = _bib_copy(tmp_path, newline, bom)
    taxonomy = str(REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml")
    assert main(["export-awesome", str(bib), "-o", str(tmp_path / "md"), "--taxonomy", taxonomy]) == 0
    assert main(["import-awesome", str(tmp_path / "md"), "-o", str(bib), "--taxonomy", taxonomy, "-q"]) == 0
    assert "0 added, 0 updated, 5 unchanged, 0 kept" in capsys.readouterr().out
    assert bib.read_bytes() == before


def _edit_list(files: dict[str, str]) -> dict[str, str]:
    """The exported list with a venue changed, a tag added and a paper added (in every copy of a row)."""
    arxiv = "[![Arxiv](https://img.shields.io/badge/arXiv-2025\\.03-red)]()"
    cvpr = "[![Publish](https://img.shields.io/badge/CVPR-2025-blue)]()"
    similarity = "[![Type](https://img.shields.io/badge/Similarity--Based-green)]()"
    attention = "[![Type](https://img.shields.io/badge/Attention--Based-green)]()"
    new_row = ("|  [![Arxiv](https://img.shields.io/badge/arXiv-2506\\.04321-red)]() <br>[Brand New Tokens]"
               "(https://arxiv.org/abs/2506.04321)<br>Nia New |  [![Area](https://img.shields.io/badge/Video--LLM-"
               "purple)]() |  " + attention + " |  [Paper](https://arxiv.org/abs/2506.04321)<br> | ")
    edited = {}
    for name, text in files.items():
        lines = []
        for line in text.split("\n"):
            if "Quoted Video Tokens" in line:
                line = line.replace(arxiv, cvpr)
            if "tome-hand" in line:
                line = line.replace(similarity, similarity + " " + attention)
            lines.append(line)
            if name == "video-llm.md" and "Quoted Video Tokens" in line:
                lines.append(new_row)
        edited[name] = "\n".join(lines)
    return edited


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_merge_changes_exactly_what_the_list_changed(taxonomy, venues, tmp_path, newline):
    bib, before = _bib_copy(tmp_path, newline)
    files = export_awesome(parse_bib_text(ROUNDTRIP.read_text(encoding="utf-8"), "s.bib", taxonomy), taxonomy, venues)
    result = import_awesome(_write(_edit_list(files), tmp_path / "md"), bib, taxonomy, venues, updated="2026-05-29")
    changes = {(action, key): detail for action, key, detail in result.changes}
    assert changes == {
        ("updated", "quoted2025video"): "type, journal, booktitle, month, shortvenue, updated",
        ("updated", "hand2023iccv"): "categories",
        ("unchanged", "author2020book"): "", ("unchanged", "editor2024proc"): "",
        ("unchanged", "plain2024misc"): "",
        ("added", "new2025brand"): "Brand New Tokens",
    }
    original = before.decode("utf-8")
    expected = original.replace(
        "@article{quoted2025video,", "@inproceedings{quoted2025video,").replace(
        "  journal = {arXiv preprint arXiv:2503.01234},\n".replace("\n", newline), "").replace(
        "  year = {2025}, month = mar,", "  year = {2025},\n  booktitle = {Proceedings of the IEEE/CVF Conference on "
        "Computer Vision and Pattern Recognition (CVPR)},".replace("\n", newline)).replace(
        "shortvenue = {arXiv 2025.03}", "shortvenue = {CVPR 2025}").replace(
        "  added = {2025-07-29}\n}".replace("\n", newline),
        "  added = {2025-07-29},\n  updated = {2026-05-29}\n}".replace("\n", newline), 1).replace(
        "categories = {similarity},", "categories = {similarity, attention},")
    appended = ("\n@article{new2025brand,\n  title = {Brand New Tokens},\n  author = {New, Nia},\n  year = {2025},\n"
                "  month = jun,\n  journal = {arXiv preprint arXiv:2506.04321},\n  eprint = {2506.04321},\n"
                "  archiveprefix = {arXiv},\n  url = {https://arxiv.org/abs/2506.04321},\n  areas = {video},\n"
                "  categories = {attention},\n  shortvenue = {arXiv 2025.06},\n  added = {2025-07-29},\n}\n")
    assert result.text == expected + appended.replace("\n", newline)
    merged = parse_bib_text(result.text.replace("\r\n", "\n"), str(bib), taxonomy)
    assert merged.problems == []
    assert merged.papers["quoted2025video"].venue == "CVPR 2025"
    assert merged.papers["author2020book"].entry_type == "book"
    assert merged.papers["editor2024proc"].entry_type == "proceedings"
    assert "journal" not in merged.papers["editor2024proc"].fields  # no venue invented
    # The merged bib exported and imported again is stable.
    bib.write_bytes(result.text.encode("utf-8"))
    again = import_awesome(_write(export_awesome(merged, taxonomy, venues), tmp_path / "md2"), bib, taxonomy, venues)
    assert again.text == result.text


def test_merge_keeps_types_the_list_cannot_express(taxonomy, venues, tmp_path):
    # A @book whose badge the list changes keeps its type and gets no booktitle or journal.
    bib, before = _bib_copy(tmp_path)
    files = export_awesome(parse_bib_text(ROUNDTRIP.read_text(encoding="utf-8"), "s.bib", taxonomy), taxonomy, venues)
    book = "<br>Efficient Attention"
    files = {name: text.replace("[![Arxiv](https://img.shields.io/badge/arXiv-red)]() " + book,
                                "[![Publish](https://img.shields.io/badge/NeurIPS-2020-blue)]() " + book)
             for name, text in files.items()}
    result = import_awesome(_write(files, tmp_path / "md"), bib, taxonomy, venues, updated="2026-05-29")
    assert result.text == before.decode().replace("  areas     = {llm},\n",
                                                  "  areas     = {llm},\n  shortvenue = {NeurIPS 2020},\n").replace(
        "  added     = {2025-07-29},\n}", "  added     = {2025-07-29},\n  updated = {2026-05-29},\n}", 1)
    assert ("updated", "author2020book", "shortvenue, updated") in result.changes


_WORDS = st.lists(st.sampled_from(["Token", "Video", "Merging", "Sparse", "{LLaVA}", "Audio", "Fast", "M{\\\"u}ller",
                                   "Pruning", "3D", "Budget"]), min_size=1, max_size=4).map(" ".join)


@st.composite
def _hand_bibs(draw) -> str:
    """Bib text written by hand: any entry type, quoting, macros, layout, comments and line endings."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["  ", "\t", "    "]))
    parts = ["@string{venue = {Journal of Tokens}}"] if draw(st.booleans()) else []
    for n in range(draw(st.integers(1, 4))):
        areas = draw(st.sampled_from(["image", "video", "audio, video", "llm"]))
        fields = [("title", f"{{Paper {n} {draw(_WORDS)}}}"), ("author", f'"{draw(_WORDS)}, Ann"'),
                  ("year", draw(st.sampled_from(["2019", "{2024}", '"2025"']))), ("areas", f"{{{areas}}}")]
        if draw(st.booleans()):
            fields.append(("month", draw(st.sampled_from(["mar", "{March}", "3", "{dec}"]))))
        if parts and parts[0].startswith("@string") and draw(st.booleans()):
            fields.append(("journal", "venue"))
        if draw(st.booleans()):
            fields.append(("categories", draw(st.sampled_from(["{attention}", "{query, similarity}"]))))
        if draw(st.booleans()):
            fields.append(("note", f"{{One.{nl}{nl}Two.}}"))
        if draw(st.booleans()):
            fields.append(("eprint", f"{{25{n + 1:02d}.{n + 1:05d}}}"))
        fields = draw(st.permutations(fields))
        kind = draw(st.sampled_from(["article", "inproceedings", "Book", "proceedings", "misc"]))
        sep = "," + draw(st.sampled_from([nl + indent, " "]))
        body = sep.join(f"{name} = {value}" for name, value in fields)
        parts.append(f"@{kind}{{key{n},{nl}{indent}{body}{draw(st.sampled_from(['', ',']))}{nl}}}")
        if draw(st.booleans()):
            parts.append("% a comment" + nl + "@comment{kept as it is}")
    gap = draw(st.sampled_from([nl, nl + nl, nl + nl + nl]))
    return gap.join(parts) + nl


@settings(max_examples=30, deadline=None)
@given(text=_hand_bibs())
def test_export_then_import_is_the_identity_on_hand_written_bibs(taxonomy, venues, text):
    bib = parse_bib_text(text.replace("\r\n", "\n"), "survey.bib", taxonomy)
    assert not [p for p in bib.problems if p.subtype == "syntax"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.bib"
        path.write_bytes(text.encode("utf-8"))
        md = _write(export_awesome(bib, taxonomy, venues), Path(folder) / "md")
        result = import_awesome(md, path, taxonomy, venues)
    assert result.text == text
    assert {action for action, _k, _d in result.changes} == {"unchanged"}


def test_venue_table_toml_error_names_its_line(tmp_path):
    path = tmp_path / "venues.toml"
    path.write_text('[venues.X]\nname = "X"\nkind = \n', encoding="utf-8")
    with pytest.raises(awesome.InputError) as err:
        load_venues(path)
    assert str(err.value.problems[0]).startswith(f"{path}:3: ")


def test_a_layout_next_to_the_taxonomy_replaces_the_packaged_one(tmp_path, venues):
    """Badge colours and the survey's dates are data: a survey's own awesome-layout.toml decides them."""
    packaged = (REPO / "src" / "sphinx_tc_ext" / "data" / "awesome-layout.toml").read_text(encoding="utf-8")
    (tmp_path / "taxonomy.toml").write_bytes(ROOT_TAXONOMY.read_bytes())
    (tmp_path / "awesome-layout.toml").write_text(
        packaged.replace('color = "purple"', 'color = "orange"').replace('later_added = "2025-08-14"',
                                                                        'later_added = "2026-01-02"'),
        encoding="utf-8")
    own = load_taxonomy(tmp_path / "taxonomy.toml")
    result = import_awesome(SNAPSHOT, None, own, venues)
    bib = parse_bib_text(result.text, "x.bib", own)
    assert {p.added for p in bib.papers.values()} == {"2025-07-29", "2026-01-02"}
    files = export_awesome(bib, own, venues)
    assert "Image--LLM-orange" in files["image-llm.md"] and "-purple)" not in files["image-llm.md"]
    again = import_awesome(_write(files, tmp_path / "md"), None, own, venues)
    assert again.text == result.text
