"""A newer awesome list merged into the bib: new tags, published preprints, retitled papers, the round trip.

The tests on ``../shared/data`` (the list of 2025-08-14 and of 2026-05) are skipped where it is absent.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.awesome.importer import build_entry, group_rows
from sphinx_tc_ext.awesome.rows import Vocabulary, markdown_files, parse_row, read_rows
from sphinx_tc_ext.cli import main
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.rules import load_venues
from sphinx_tc_ext.core.taxonomy import FacetValue, insert_values, load_taxonomy, parse_taxonomy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
TAXONOMY = REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
SHARED = REPO.parent / "shared" / "data"
OLD_LIST, NEW_LIST = SHARED / "awesome-mtc", SHARED / "awesome-mtc-2026-05"
HEAD = "| **Title & Authors** | **Areas** | **Tags** | **Links** |\n| --- | --- | --- | :---: |\n"


def _row(title: str, eprint: str, areas: list[str], venue: str = "") -> str:
    badge = (f"[![Publish](https://img.shields.io/badge/{venue}-blue)]()" if venue
             else f"[![Arxiv](https://img.shields.io/badge/arXiv-20{eprint[:2]}\\.{eprint[2:4]}-red)]()")
    area_badges = " ".join(f"[![Area](https://img.shields.io/badge/{a.replace('-', '--')}-purple)]()" for a in areas)
    return (f"|  {badge} <br>[{title}](https://arxiv.org/abs/{eprint})<br>Ann Author |  {area_badges} |  "
            f"[![Type](https://img.shields.io/badge/Attention--Based-green)]() |  "
            f"[Paper](https://arxiv.org/abs/{eprint})<br> |\n")


def _list(tmp_path: Path, rows: list[str]) -> Path:
    folder = tmp_path / "list"
    folder.mkdir()
    (folder / "README.md").write_text("# Papers\n\n" + HEAD + "".join(rows), encoding="utf-8")
    return folder


# -- new tags: --add-values --------------------------------------------------------------------------

@pytest.mark.parametrize("newline, bom", [("\n", False), ("\r\n", False), ("\r\n", True)], ids=["lf", "crlf", "bom"])
def test_add_values_inserts_new_tags_and_keeps_every_byte(tmp_path, capsys, newline, bom):
    original = ("\ufeff" if bom else "") + TAXONOMY.read_text(encoding="utf-8").replace(
        '  aliases = ["Position-Paper", "Position"]\n',
        '  aliases = ["Position-Paper", "Position"]   # trailing comment\n\n# the next facet: mechanisms\n'
    ).replace("\n", newline)
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_bytes(original.encode("utf-8"))
    folder = _list(tmp_path, [_row("Agents That Click", "2601.00001", ["GUI-Agent"]),
                              _row("Plural Video Tokens", "2601.00002", ["Video-LLMs"])])
    bib = tmp_path / "survey.bib"
    args = ["import-awesome", str(folder), "-o", str(bib), "--taxonomy", str(taxonomy), "--date", "2026-05-29"]

    # Without the flag: the tag is dropped and the message says how to keep it.
    assert main([*args]) == 0
    assert "--add-values" in capsys.readouterr().err

    bib.unlink()
    assert main([*args, "--add-values"]) == 0
    err = capsys.readouterr().err
    after = taxonomy.read_bytes().decode("utf-8")
    block = re.search(r"(\r?\n  \[\[facets\.values\]\]\r?\n  id = \"gui-agent\".*?\]\r?\n)", after, re.S).group(1)
    assert after.replace(block, "", 1) == original  # an insertion, nothing else
    assert after.index(block) < after.index("# the next facet")  # after the facet's last value, comments stay put
    assert after.count("\r\n") == after.count("\n") if newline == "\r\n" else "\r" not in after
    line = after[:after.index('id = "gui-agent"')].count("\n") + 1
    assert (f"{taxonomy}:{line}: added area value 'gui-agent' (tag GUI-Agent at {folder / 'README.md'}:5); "
            "fill in its label, colour and description") in err
    value = load_taxonomy(taxonomy).facet("area").value("gui-agent")
    assert value is not None and value.aliases == ("GUI-Agent",) and value.description == "TODO: describe"
    assert re.fullmatch(r"#[0-9a-f]{6}", value.color) and value.label == "GUI Agent"
    # A near-miss of an existing alias is not added: the report suggests the alias.
    assert "video-llms" not in after
    assert "area tag 'Video-LLMs'" in err and "add \"Video-LLMs\" to the aliases of 'video'" in err
    merged = parse_bib_text(bib.read_text(encoding="utf-8"), str(bib), load_taxonomy(taxonomy))
    areas = {p.title: p.facets.get("area") for p in merged.papers.values()}
    assert areas["Agents That Click"] == ("gui-agent",)

    # A second run adds nothing.
    assert main([*args, "--add-values"]) == 0
    assert "added area value" not in capsys.readouterr().err
    assert taxonomy.read_bytes().decode("utf-8") == after


_FACET_TAIL = st.sampled_from(["\n", "\n\n# a comment\n", "\n  # indented comment\n\n", "   # same line\n"])


@settings(max_examples=40, deadline=None)
@given(tail=_FACET_TAIL, newline=st.sampled_from(["\n", "\r\n"]), indent=st.sampled_from(["", "  ", "\t"]),
       facet=st.integers(0, 1), ids=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1,
                                             max_size=3, unique=True))
def test_insert_values_is_an_insertion(tail, newline, indent, facet, ids):
    text = (f'[[facets]]\nid = "a"\n\n{indent}[[facets.values]]\n{indent}id = "x"\n{indent}label = "X"{tail}'
            f'[[facets]]\nid = "b"\n{indent}[[facets.values]]\n{indent}id = "y"  # y\n{tail}').replace("\n", newline)
    values = [FacetValue(id="new-" + i, label=f'Q"{i}\\', description="TODO: describe", color="#123456",
                         aliases=(i,)) for i in ids]
    new_text, lines = insert_values(text, facet, values)
    parsed = parse_taxonomy(tomllib.loads(new_text), "t.toml", new_text)
    assert parsed.facets[facet].value_ids[1:] == tuple(v.id for v in values)
    assert parsed.facets[facet].values[1].label == values[0].label
    assert parsed.facets[1 - facet].value_ids == (("x",) if facet else ("y",))
    assert [new_text.splitlines()[n - 1].strip() for n in lines] == [f'id = "{v.id}"' for v in values]
    # Deleting the inserted lines gives back the original text.
    kept = new_text.splitlines(keepends=True)
    start = lines[0] - 3  # the blank line before the first new header; each value is 7 lines
    assert "".join(kept[:start] + kept[start + 7 * len(values):]) == text


# -- published preprints, retitled papers --------------------------------------------------------------

def test_published_row_title_wins_and_the_report_says_so():
    taxonomy, venues = load_taxonomy(TAXONOMY), load_venues()
    folder = Path(__file__).parent / "data"  # any path: rows are built in memory
    problems: list = []
    vocab = Vocabulary(taxonomy)
    roles = ["title", "areas", "tags", "links"]
    rows = [parse_row(_row(title, "2506.01097", ["Image-LLM"], venue).strip(), roles, str(folder / name), n, "",
                      vocab, problems)
            for n, (name, title, venue) in enumerate([
                ("a.md", "Generic Token Compression", ""), ("b.md", "Generic Token Compression", ""),
                ("c.md", "Task-Related Token Compression", "ICLR-2026")], start=1)]
    item = build_entry(group_rows(rows, problems)[0], taxonomy, venues, problems)
    assert item.entry.fields["title"] == "Task-Related Token Compression"
    notes = [p.message for p in problems if p.code == "title-mismatch"]
    assert len(notes) == 2 and all("(the published row)" in m and "kept 'Task-Related" in m for m in notes)


def test_merge_publishes_a_preprint_under_its_key_and_dates_it(tmp_path, capsys):
    taxonomy = TAXONOMY
    before = _list(tmp_path, [_row("Old Title Tokens", "2506.01097", ["Image-LLM"])])
    bib = tmp_path / "survey.bib"
    assert main(["import-awesome", str(before), "-o", str(bib), "--taxonomy", str(taxonomy), "-q"]) == 0
    key = next(iter(parse_bib_text(bib.read_text(), str(bib), load_taxonomy(taxonomy)).papers))
    after = tmp_path / "after"
    shutil.copytree(before, after)
    readme = after / "README.md"
    readme.write_text(readme.read_text() + _row("New Title Tokens", "2506.01097", ["Image-LLM"], "ICLR-2026"))
    capsys.readouterr()
    assert main(["import-awesome", str(after), "-o", str(bib), "--taxonomy", str(taxonomy), "-q",
                 "--date", "2026-05-29"]) == 0
    out = capsys.readouterr().out
    assert "0 added, 1 updated (1 published, 1 retitled), 0 unchanged, 0 kept" in out
    paper = parse_bib_text(bib.read_text(), str(bib), load_taxonomy(taxonomy)).papers[key]
    assert paper.title == "New Title Tokens" and paper.fields["shortvenue"] == "ICLR 2026"
    assert paper.fields["updated"] == "2026-05-29" and paper.fields["added"] == "2025-07-29"
    assert paper.entry_type == "inproceedings"


def test_updated_is_site_only_and_checked_like_added():
    taxonomy = load_taxonomy(TAXONOMY)
    assert "updated" in taxonomy.hidden_bibtex_fields
    bib = parse_bib_text("@misc{k, title = {A}, year = {2025}, updated = {2025-02-30}, areas = {image}}\n", "x.bib",
                         taxonomy)
    assert [(p.code, p.message.split(" is ")[0]) for p in bib.problems] == [("TC152", "k: updated date '2025-02-30'")]


# -- the real lists ----------------------------------------------------------------------------------

needs_lists = pytest.mark.skipif(not (OLD_LIST.is_dir() and NEW_LIST.is_dir()),
                                 reason="the shared awesome lists are not on this machine")


def _taxonomy_for_new_list(tmp_path: Path) -> Path:
    """A copy of refs/taxonomy.toml with cost multi-valued (as it will be once the branches are merged)."""
    taxonomy = tmp_path / "taxonomy.toml"
    text = (REPO / "refs" / "taxonomy.toml").read_text(encoding="utf-8")
    cost = text.index('id = "cost"')
    taxonomy.write_text(text[:cost] + text[cost:].replace("multi = false", "multi = true", 1), encoding="utf-8")
    return taxonomy


def _papers(folder: Path, taxonomy) -> dict[str, dict[str, str]]:
    """Each paper of a list (arXiv id, else title) with what the list says about it, read with the row reader."""
    problems: list = []
    rows = read_rows(markdown_files(folder), taxonomy, problems)
    entries = [build_entry(group, taxonomy, load_venues(), problems).entry for group in group_rows(rows, problems)]
    compared = ("title", "areas", "categories", "cost", "shortvenue", "journal", "booktitle", "url", "code", "model",
                "dataset", "project")
    return {e.fields.get("eprint") or e.fields["title"].lower(): {f: e.fields.get(f, "") for f in compared}
            for e in entries}


@needs_lists
def test_new_list_round_trips_through_the_merged_bib(tmp_path, capsys):
    taxonomy_path = _taxonomy_for_new_list(tmp_path)
    bib = tmp_path / "survey.bib"
    shutil.copy(REPO / "refs" / "survey.bib", bib)
    assert main(["import-awesome", str(NEW_LIST), "-o", str(bib), "--taxonomy", str(taxonomy_path), "-q",
                 "--add-values", "--date", "2026-05-29"]) == 0
    assert main(["export-awesome", str(bib), "-o", str(tmp_path / "md"), "--taxonomy", str(taxonomy_path)]) == 0
    capsys.readouterr()
    taxonomy = load_taxonomy(taxonomy_path)
    listed, exported = _papers(NEW_LIST, taxonomy), _papers(tmp_path / "md", taxonomy)
    same = [k for k in listed if exported.get(k) == listed[k]]
    differ = {k: (listed[k], exported.get(k)) for k in listed if k not in same}
    assert not differ, f"{len(same)}/{len(listed)} papers round-trip; first differences: {list(differ.items())[:3]}"
    assert len(same) == 206, f"{len(same)}/206"
    assert {"vla", "vln", "gui-agent", "omni-llm", "streaming-video-llm", "event-camera", "visual-coding"} <= {
        a for p in listed.values() for a in p["areas"].split(", ")}


@needs_lists
def test_old_list_then_new_list(tmp_path, capsys):
    taxonomy_path = _taxonomy_for_new_list(tmp_path)
    bib = tmp_path / "survey.bib"
    assert main(["import-awesome", str(OLD_LIST), "-o", str(bib), "--taxonomy", str(taxonomy_path), "-q"]) == 0
    capsys.readouterr()
    assert main(["import-awesome", str(NEW_LIST), "-o", str(bib), "--taxonomy", str(taxonomy_path), "-q",
                 "--date", "2026-05-29"]) == 0
    summary = capsys.readouterr().out.splitlines()[-1]
    assert re.match(r"40 added, \d+ updated \(8 published, 1 retitled\), \d+ unchanged, 0 kept", summary), summary
    merged = parse_bib_text(bib.read_text(encoding="utf-8"), str(bib), load_taxonomy(taxonomy_path))
    assert len(merged.papers) == 206
    dated = sorted(k for k, p in merged.papers.items() if p.fields.get("updated") == "2026-05-29")
    assert len(dated) == 8 and "lei2025generic" in dated
    assert merged.papers["lei2025generic"].title.startswith("Task-Related Token Compression")
