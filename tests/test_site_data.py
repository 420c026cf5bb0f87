"""The survey's own data: the committed ``refs/survey.bib`` and ``refs/taxonomy.toml`` pass the tools.

These check the site's content, not the extension: the extension's tests use the small roots
under ``tests/roots/``, so editing the survey never breaks them; an edit that breaks the bib
fails here, as it fails ``tc-survey check`` in a pull request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_tc_ext.awesome.exporter import export_awesome
from sphinx_tc_ext.awesome.importer import import_awesome
from sphinx_tc_ext.core import bibsyntax, codes, lint
from sphinx_tc_ext.core.bibread import parse_bib_text
from sphinx_tc_ext.core.rules import load_venues
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import REPO

BIB = REPO / "refs" / "survey.bib"
TAXONOMY = REPO / "refs" / "taxonomy.toml"
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(TAXONOMY)


def test_survey_bib_has_no_errors(taxonomy):
    problems = lint.check_paths([str(BIB)], taxonomy)
    assert [str(p) + f" [{p.code}]" for p in problems if lint.severity(p) == codes.ERROR] == []


def test_survey_bib_is_formatted(taxonomy):
    text = BIB.read_text(encoding="utf-8")
    assert bibsyntax.format_text(text, taxonomy) == text, "run: tc-survey fmt"


def _write(files: dict[str, str], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.skipif(not (SHARED / "awesome-mtc-2026-05").is_dir(),
                    reason="the shared awesome list is not on this machine")
def test_newest_list_is_merged_into_the_committed_bib(taxonomy, tmp_path):
    """The committed bib holds the 2026-05 list: merging it again changes nothing, and so does its own export."""
    venues = load_venues()
    bib = tmp_path / "survey.bib"
    committed = BIB.read_bytes()
    bib.write_bytes(committed)
    merged = import_awesome(SHARED / "awesome-mtc-2026-05", bib, taxonomy, venues)
    assert merged.count == 206
    assert {action for action, _k, _d in merged.changes} == {"unchanged"}
    assert merged.text.encode("utf-8") == committed
    papers = parse_bib_text(committed.decode("utf-8"), str(bib), taxonomy).papers
    assert len(papers) == 206
    exported = export_awesome(parse_bib_text(committed.decode("utf-8"), str(bib), taxonomy), taxonomy, venues)
    again = import_awesome(_write(exported, tmp_path / "md"), bib, taxonomy, venues)
    assert again.text.encode("utf-8") == committed
    assert {action for action, _k, _d in again.changes} == {"unchanged"}
