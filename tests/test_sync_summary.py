"""``import-awesome --summary``: the Markdown body of the sync workflow's pull request.

The tests on ``../shared/data`` (the list of 2025-08-14, then of 2026-05) are skipped where it is absent.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sphinx_tc_ext.awesome.summary import MAX_ANOMALIES, NO_CHANGE, md_escape
from sphinx_tc_ext.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
OLD_LIST, NEW_LIST = SHARED / "awesome-mtc", SHARED / "awesome-mtc-2026-05"
NEW_AREAS = ("event-camera", "gui-agent", "omni-llm", "streaming-video-llm", "vla", "vln", "visual-coding")
HEAD = "| **Title & Authors** | **Areas** | **Tags** | **Links** |\n| --- | --- | --- | :---: |\n"

needs_lists = pytest.mark.skipif(not (OLD_LIST.is_dir() and NEW_LIST.is_dir()),
                                 reason="the shared awesome lists are not on this machine")


def taxonomy_before_new_list(folder: Path) -> Path:
    """refs/taxonomy.toml as it was before the list of 2026-05: without the seven areas that list brought."""
    text = (REPO / "refs" / "taxonomy.toml").read_text(encoding="utf-8")
    names = "|".join(re.escape(v) for v in NEW_AREAS)
    stripped, n = re.subn(rf'\n  \[\[facets\.values\]\]\n  id = "({names})"\n.*?(?=\n\n|\Z)', "", text, flags=re.S)
    assert n == len(NEW_AREAS)
    path = folder / "taxonomy.toml"
    path.write_text(stripped, encoding="utf-8")
    return path


def sections(summary: str) -> dict[str, list[str]]:
    """``## Heading (n)`` -> its ``- `` items."""
    found: dict[str, list[str]] = {}
    current = None
    for line in summary.splitlines():
        if line.startswith("## "):
            current = re.sub(r" \(\d+\)$", "", line[3:])
            found[current] = []
        elif current and line.startswith("- "):
            found[current].append(line)
    return found


@needs_lists
def test_old_list_then_new_list_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    taxonomy = taxonomy_before_new_list(tmp_path)
    bib = tmp_path / "survey.bib"
    assert main(["import-awesome", str(OLD_LIST), "-o", str(bib), "--taxonomy", str(taxonomy), "-q",
                 "--summary", "first.md"]) == 0
    first = (tmp_path / "first.md").read_text(encoding="utf-8")
    assert "\n166 papers in the list: 166 added, 0 published" in first and len(sections(first)["Added"]) == 166
    anomalies = sections(first)["Anomalies"]  # more than MAX_ANOMALIES: the rest counted, for GitHub's limit
    assert len(anomalies) == MAX_ANOMALIES + 1 and anomalies[-1].endswith("more: see the job's log")
    assert len(first) < 65536
    shutil.copy(bib, tmp_path / "old.bib")
    shutil.copy(taxonomy, tmp_path / "old-taxonomy.toml")
    merge = ["import-awesome", str(NEW_LIST), "-o", str(bib), "--taxonomy", str(taxonomy), "-q", "--add-values",
             "--date", "2026-05-29", "--summary", "out/summary.md"]
    assert main(merge) == 0
    capsys.readouterr()
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert NO_CHANGE not in summary
    assert re.search(r"^206 papers in the list: 40 added, 8 published, 1 retitled, \d+ retagged, .*"
                     r"7 new taxonomy values, \d+ anomalies\.$", summary, re.M), summary[:600]
    parts = sections(summary)
    assert len(parts["Added"]) == 40 and len(parts["Published"]) == 8 and len(parts["Retitled"]) == 1
    assert parts["Added"] == sorted(parts["Added"]), "sorted by key"
    published = next(line for line in parts["Published"] if line.startswith("- `lei2025generic` "))
    assert published.endswith(": arXiv 2025.06 → ICLR 2026"), published
    (retitled,) = parts["Retitled"]
    assert retitled == ("- `lei2025generic` Generic Token Compression in Multimodal Large Language Models from an "
                        "Explainability Perspective → Task-Related Token Compression in Multimodal Large Language "
                        "Models from an Explainability Perspective")
    assert [re.match(r"- `area` `([a-z-]+)`", line).group(1) for line in parts["New taxonomy values"]] == list(
        NEW_AREAS)
    assert any("`areas`: `image` → `image`, `vla`" in line for line in parts["Retagged"])
    # The list's files relative to the list's folder, as in the upstream repository.
    assert all(re.match(r"- `[\w-]+\.md:\d+` \S", line) for line in parts["Anomalies"]), parts["Anomalies"][:3]
    assert "1 \\+ 1" not in summary and "Why 1 + 1 \\< 1" in summary, "titles escaped where markup could start"

    # The same merge again gives the same summary, byte for byte (the taxonomy as it was before, too).
    shutil.copy(tmp_path / "old.bib", bib)
    shutil.copy(tmp_path / "old-taxonomy.toml", taxonomy)
    assert main(merge) == 0
    assert (tmp_path / "out" / "summary.md").read_text(encoding="utf-8") == summary

    # Merged already: "No change", nothing to open a pull request for; stdout holds the summary alone.
    capsys.readouterr()
    assert main([*merge[:-1], "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Awesome list sync: awesome-mtc-2026-05\n\nNo change: the list's 206 papers")
    assert "0 added, 0 published, 0 retitled, 0 retagged" in out and "## Added" not in out
    assert "unchanged" not in out.split("\n\n", 2)[1], "the change listing went to stderr"


def _list(folder: Path, title: str) -> Path:
    folder.mkdir()
    (folder / "README.md").write_text(
        "# Papers\n\n" + HEAD + "|  [![Arxiv](https://img.shields.io/badge/arXiv-2026.01-red)]() <br>"
        f"[{title}](https://arxiv.org/abs/2601.00001)<br>Ann Author |  "
        "[![Area](https://img.shields.io/badge/Image--LLM-purple)]() |  "
        "[![Type](https://img.shields.io/badge/Attention--Based-green)]() |  "
        "[Paper](https://arxiv.org/abs/2601.00001)<br> |\n", encoding="utf-8")
    return folder


def test_summary_of_a_new_bib_escapes_titles(tmp_path, capsys):
    title = "Why 1 < 2 & *Bold* [link](javascript:x) `code` | pipe"
    folder = _list(tmp_path / "list", title.replace("|", "\\|"))
    taxonomy = REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
    summary = tmp_path / "summary.md"
    assert main(["import-awesome", str(folder), "-o", str(tmp_path / "s.bib"), "--taxonomy", str(taxonomy),
                 "-q", "--summary", str(summary)]) == 0
    text = summary.read_text(encoding="utf-8")
    (item,) = sections(text)["Added"]
    assert re.match(r"- `author2026\w+` Why 1 \\< 2 \\& ", item), item
    assert "\\[link\\]\\(javascript:x\\)" in text
    assert "\\*Bold\\*" in text and "\\`code\\`" in text and "\\| pipe" in text
    assert md_escape("a\nb  c") == "a b c"


def test_summary_into_a_folder_is_one_line_and_writes_nothing(tmp_path, capsys):
    folder = _list(tmp_path / "list", "Tokens")
    (tmp_path / "folder").mkdir()
    bib = tmp_path / "s.bib"
    taxonomy = REPO / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
    assert main(["import-awesome", str(folder), "-o", str(bib), "--taxonomy", str(taxonomy),
                 "--summary", str(tmp_path / "folder")]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and err.startswith(f"{tmp_path / 'folder'}:1: --summary names a folder")
    assert not bib.exists()
