"""``tc-survey`` never prints a traceback: hostile arguments and files get one ``file:line: ...`` line and an exit code.

Each case here printed a Python traceback before (a ``UnicodeDecodeError`` from a Latin-1
byte, ``FileExistsError`` from a file where a folder belongs, ``ValueError`` from a date).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sphinx_tc_ext.cli import main
from tc_testing import ROOTS

TINY = ROOTS / "test-taxonomy" / "refs"  # a two-paper bib and its one-facet taxonomy
AWESOME = Path(__file__).parent / "data" / "awesome" / "madeup"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the tiny bib and taxonomy as ``refs/``, the current directory of the command."""
    shutil.copytree(TINY, tmp_path / "refs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture, *argv: str, stdout: bool = False) -> tuple[int, str]:
    """Exit code and stderr (with ``stdout``: both) of ``tc-survey ARGV``; fails the test on a traceback."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err if stdout else err


COMMANDS = [
    ["check", "refs/survey.bib"],
    ["fmt", "--check", "refs/survey.bib"],
    ["export-json", "refs/survey.bib", "-o", "out.json"],
    ["export-csv", "refs/survey.bib", "-o", "out.csv"],
    ["export-awesome", "refs/survey.bib", "-o", "list"],
    ["import-awesome", str(AWESOME), "-o", "imported.bib"],
    ["new", "--bib", "refs/survey.bib", "--title", "T", "--author", "A B", "--year", "2025", "--no-input",
     "--dry-run"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("old", "new", "expected"), [
    ("multi = true", 'multi = "false"', "refs/taxonomy.toml:9: facet 'area': 'multi' must be true or false"),
    ('aliases = ["img"]', "aliases = 5", "refs/taxonomy.toml:14: value area:image: 'aliases' must be an array of "
                                         "strings, not the number 5"),
    ("[survey]", 'facets = ["area"]\n[surveys]', "refs/taxonomy.toml:2: the top level: 'facets' must be an array "
                                                 "of tables, not an array of strings"),
    ('label = "Image"', 'label = "Im\xe4ge"', "refs/taxonomy.toml:13: the taxonomy file is not UTF-8: byte 0xe4 "
                                             "at column 14 cannot be decoded; re-save the file as UTF-8"),
], ids=["bool-as-string", "aliases-number", "facets-strings", "latin-1"])
def test_a_bad_taxonomy_is_one_line_per_problem_in_every_command(work, capsys, command, old, new, expected):
    taxonomy = work / "refs" / "taxonomy.toml"
    text = taxonomy.read_text(encoding="utf-8")
    if old == "[survey]":  # the [[facets]] tables would clash with facets = [...]: keep only the header part
        text = text[:text.index("[[facets]]")]
    taxonomy.write_bytes(text.replace(old, new).encode("latin-1"))
    code, output = run(capsys, *command, "--taxonomy", "refs/taxonomy.toml", stdout=True)
    assert code in (1, 2)
    location, _, message = expected.partition(": ")
    assert re.search(f"^{re.escape(location)}:(1:)? (TC100 )?{re.escape(message)}", output, re.MULTILINE), output
    assert not any((work / name).exists() for name in ("out.json", "out.csv", "list", "imported.bib"))


@pytest.mark.parametrize("command", ["export-json", "export-csv"])
def test_export_to_a_folder_says_give_a_file(work, capsys, command):
    (work / "out").mkdir()
    code, err = run(capsys, command, "refs/survey.bib", "-o", "out", "--taxonomy", "refs/taxonomy.toml")
    suffix = command.partition("-")[2]
    assert (code, err) == (1, f"out:1: -o names a folder, not a file; give a file name such as out/papers.{suffix}\n")


def test_export_under_a_file_says_a_file_is_in_the_way(work, capsys):
    (work / "taken").write_text("x", encoding="utf-8")
    code, err = run(capsys, "export-json", "refs/survey.bib", "-o", "taken/papers.json",
                    "--taxonomy", "refs/taxonomy.toml")
    assert (code, err) == (1, "taken/papers.json:1: cannot create the folder 'taken' (a file is in the way); "
                              "give another path\n")


def test_export_awesome_to_a_file_says_give_a_folder(work, capsys):
    (work / "list.md").write_text("keep me", encoding="utf-8")
    code, err = run(capsys, "export-awesome", "refs/survey.bib", "-o", "list.md", "--taxonomy", "refs/taxonomy.toml")
    assert code == 1
    assert err.startswith("list.md:1: -o names a file, but this command writes a folder of files; give a folder")
    assert (work / "list.md").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--as-of", "notadate", "argument --as-of: 'notadate' is not a date; write YYYY-MM or YYYY-MM-DD"),
    ("--as-of", "2025-13", "argument --as-of: '2025-13' is not a date"),
    ("--recent-months", "-3", "argument --recent-months: '-3' is not a whole number of 1 or more"),
])
def test_export_awesome_checks_its_arguments(work, capsys, option, value, expected):
    code, err = run(capsys, "export-awesome", "refs/survey.bib", "-o", "list", option, value,
                    "--taxonomy", "refs/taxonomy.toml")
    assert code == 2 and expected in err
    assert not (work / "list").exists()


def test_export_awesome_accepts_a_month(work, capsys):
    code, _err = run(capsys, "export-awesome", "refs/survey.bib", "-o", "list", "--as-of", "2025-02",
                     "--taxonomy", "refs/taxonomy.toml")
    assert code == 0 and (work / "list" / "README.md").is_file()


def _import(capsys, *argv: str) -> tuple[int, str]:
    return run(capsys, "import-awesome", *argv, "--taxonomy", str(ROOTS / "test-survey" / "refs" / "taxonomy.toml"))


def test_import_to_a_folder_says_give_a_file(work, capsys):
    (work / "out").mkdir()
    code, err = _import(capsys, str(AWESOME), "-o", "out")
    assert (code, err) == (1, "out:1: -o names a folder, not a file; give a file name such as out/survey.bib\n")


def test_import_of_a_latin1_list_names_the_line(work, capsys):
    (work / "list").mkdir()
    (work / "list" / "README.md").write_bytes(b"# List\n\n| Title | Venue |\n|---|---|\n| Caf\xe9 | x |\n")
    code, err = _import(capsys, "list", "-o", "out.bib")
    assert (code, err) == (1, "list/README.md:5: the Markdown file is not UTF-8: byte 0xe9 at column 6 cannot be "
                              "decoded; re-save the file as UTF-8\n")
    assert not (work / "out.bib").exists()


def test_import_into_a_latin1_bib_leaves_it_alone(work, capsys):
    bib = work / "old.bib"
    bib.write_bytes(b"@article{a,\n  title = {Caf\xe9},\n}\n")
    code, err = _import(capsys, str(AWESOME), "-o", "old.bib")
    assert (code, err) == (1, "old.bib:2: the bib to merge into is not UTF-8: byte 0xe9 at column 15 cannot be "
                              "decoded; re-save the file as UTF-8\n")
    assert bib.read_bytes() == b"@article{a,\n  title = {Caf\xe9},\n}\n"


def test_import_from_a_folder_without_markdown(work, capsys):
    (work / "empty").mkdir()
    code, err = _import(capsys, "empty", "-o", "out.bib")
    assert code == 1 and err.startswith("empty:1: no Markdown files (*.md) in this folder")
    assert not (work / "out.bib").exists()


def test_import_checks_the_added_date(work, capsys):
    code, err = _import(capsys, str(AWESOME), "-o", "out.bib", "--added", "notadate")
    assert code == 2 and "argument --added: 'notadate' is not a date; write YYYY-MM-DD" in err


@pytest.mark.parametrize("command", [["import-awesome", str(AWESOME), "-o", "out.bib"],
                                     ["export-awesome", "refs/survey.bib", "-o", "list"]], ids=lambda c: c[0])
def test_a_latin1_venue_table_names_the_line(work, capsys, command):
    (work / "venues.toml").write_bytes(b'[venues.X]\nname = "Caf\xe9"\nkind = "conference"\n')
    code, err = run(capsys, *command, "--venues", "venues.toml", "--taxonomy", "refs/taxonomy.toml")
    assert (code, err) == (1, "venues.toml:2: the venue table is not UTF-8: byte 0xe9 at column 12 cannot be "
                              "decoded; re-save the file as UTF-8\n")
