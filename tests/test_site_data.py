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


@pytest.mark.skipif(not (SHARED / "awesome-mtc").is_dir(), reason="the shared awesome list is not on this machine")
def test_real_list_round_trips_into_the_committed_bib(taxonomy, tmp_path):
    venues = load_venues()
    bib = tmp_path / "survey.bib"
    committed = BIB.read_bytes()
    bib.write_bytes(committed)
    merged = import_awesome(SHARED / "awesome-mtc", bib, taxonomy, venues)
    # Cost became multi-valued after the bib was imported: until it is imported again, the merge gives the
    # papers with both cost badges their second value, and changes nothing else.
    both_costs = {"bolya2023token", "wen2025stop", "xing2025pyramiddrop", "zhang2024token"}
    assert {change for change in merged.changes if change[0] != "unchanged"} <= \
        {("updated", key, "cost") for key in both_costs}
    assert merged.text.replace("cost = {training-free, training-based}", "cost = {training-free}") == \
        committed.decode("utf-8")
    papers = parse_bib_text(merged.text, str(bib), taxonomy).papers
    assert {key for key, paper in papers.items() if len(paper.facets["cost"]) == 2} == both_costs
    bib.write_text(merged.text, encoding="utf-8")
    exported = export_awesome(parse_bib_text(merged.text, str(bib), taxonomy), taxonomy, venues)
    again = import_awesome(_write(exported, tmp_path / "md"), bib, taxonomy, venues)
    assert again.text == merged.text
    assert {action for action, _k, _d in again.changes} == {"unchanged"}
