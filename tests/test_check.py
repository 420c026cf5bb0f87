"""``tc-survey check``: every code has a bib that triggers it and one that passes."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from sphinx_tc_ext import cli
from sphinx_tc_ext.cli import check as check_cli
from sphinx_tc_ext.cli import fmt as fmt_cli
from sphinx_tc_ext.core import bibread, codes, lint, rules
from sphinx_tc_ext.core.problems import Problem
from sphinx_tc_ext.core.schema import WARNING_SUBTYPES
from sphinx_tc_ext.core.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "check"
TAXONOMY = ROOT / "tests" / "roots" / "test-survey" / "refs" / "taxonomy.toml"
CODES = [c.code for c in codes.CODES]
#: The codes a bib file triggers without the network (``check --online``'s are tested in test_check_online.py).
OFFLINE_CODES = [c.code for c in codes.CODES if not c.online]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    check_cli.register(parser.add_subparsers())
    args = parser.parse_args(["check", "--taxonomy", str(TAXONOMY), *argv])
    return args.func(args)


def check(*paths: Path) -> list[Problem]:
    return lint.check_paths([str(p) for p in paths], load_taxonomy(TAXONOMY))


def expected_location(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    header = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.split(b"\n", 1)[0].decode()
    found = re.search(r"triggers (TC\d+) at (\d+):(\d+)", header)
    assert found, f"{path.name} has no 'triggers TCnnn at line:col' header"
    return int(found.group(2)), int(found.group(3))


# -- the table ---------------------------------------------------------------------------


def test_codes_table_is_well_formed():
    assert len(set(CODES)) == len(CODES)
    assert sorted(CODES) == CODES
    names = [c.name for c in codes.CODES]
    assert len(set(names)) == len(names)
    for code in codes.CODES:
        assert re.fullmatch(r"TC\d{3}", code.code)
        assert code.severity in (codes.ERROR, codes.WARNING)
        assert code.subtype in WARNING_SUBTYPES, code
        assert code.description and code.example
        # examples are shown in a table column: keep them narrow
        assert max(len(line) for line in code.example.splitlines()) <= 46, code.code


def test_every_code_has_a_bad_and_a_good_bib():
    on_disk = {p.name.split(".")[0] for p in DATA.glob("TC*.bib")}
    assert on_disk == set(OFFLINE_CODES)
    for code in OFFLINE_CODES:
        assert (DATA / f"{code}.bad.bib").is_file()
        assert (DATA / f"{code}.good.bib").is_file()


# -- each code ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", OFFLINE_CODES)
def test_bad_bib_triggers_exactly_its_code_at_the_field(code):
    path = DATA / f"{code}.bad.bib"
    problems = check(path)
    assert [p.code for p in problems] == [code], [str(p) for p in problems]
    line, column = expected_location(path)
    assert (problems[0].line, problems[0].column) == (line, column), problems[0]
    assert problems[0].path == str(path)
    assert problems[0].message


@pytest.mark.parametrize("code", OFFLINE_CODES)
def test_good_bib_passes(code):
    problems = check(DATA / f"{code}.good.bib")
    assert problems == [], [f"{p.code} {p}" for p in problems]


@pytest.mark.parametrize("code", OFFLINE_CODES)
def test_exit_status_follows_severity(code, capsys):
    bad = DATA / f"{code}.bad.bib"
    expected = 1 if codes.CODES_BY_ID[code].severity == codes.ERROR else 0
    assert run(str(bad)) == expected
    assert run("--strict", str(bad)) == 1
    assert run(str(DATA / f"{code}.good.bib")) == 0
    assert run("--strict", str(DATA / f"{code}.good.bib")) == 0


# -- messages ----------------------------------------------------------------------------


def test_did_you_mean_for_vocabulary_and_fields():
    (vocabulary,) = check(DATA / "TC105.bad.bib")
    assert "unknown area 'vidoe'" in vocabulary.message
    assert "did you mean 'video'?" in vocabulary.message
    (field,) = check(DATA / "TC104.bad.bib")
    assert "did you mean 'categories'?" in field.message
    (etype,) = check(DATA / "TC109.bad.bib")
    assert "did you mean '@inproceedings'?" in etype.message


def test_unprotected_capitals_name_each_word_and_the_fix():
    (word,) = check(DATA / "TC175.bad.bib")
    assert "title word 'LMMs'" in word.message and "write {LMMs}, or run tc-survey fmt" in word.message
    assert lint_entry("  note = {x},").count("TC175") == 0
    text = "@misc{k2025x,\n  title = name # {LLaVA-PruMerge in 3D},\n  author = {A, B},\n  year = {2025},\n}\n"
    problems = lint.Checker(load_taxonomy(TAXONOMY)).check_text("@string{name = {DivPrune}}\n" + text, "t.bib")
    found = [p.message.split("'")[1] for p in problems if p.code == "TC175"]
    assert found == ["LLaVA", "PruMerge", "3D"]  # the macro's text is not the title's to change


def test_duplicates_name_the_first_entry():
    (dup,) = check(DATA / "TC112.bad.bib")
    assert "2403.15388" in dup.message and "'shang2025llava'" in dup.message
    assert f"{DATA / 'TC112.bad.bib'}:3" in dup.message


def test_duplicate_keys_across_files(tmp_path):
    other = tmp_path / "other.bib"
    other.write_text((DATA / "TC111.good.bib").read_text().replace("zeng2025glimpse", "SHANG2025LLAVA"))
    problems = check(DATA / "TC111.good.bib", other)
    codes = [p.code for p in problems]
    assert "TC111" in codes and problems[codes.index("TC111")].path == str(other)
    # the copy also repeats the first file's papers
    assert {"TC112", "TC114"} <= set(codes)


def test_text_output_is_file_line_col_code_message(capsys):
    assert run(str(DATA / "TC105.bad.bib")) == 1
    out, err = capsys.readouterr()
    assert out.strip() == (f"{DATA / 'TC105.bad.bib'}:11:3: TC105 unknown area 'vidoe' in field 'areas' "
                           "(did you mean 'video'?); value ignored")
    assert "1 error(s), 0 warning(s)" in err


def test_json_output(capsys):
    assert run("--format", "json", str(DATA / "TC106.bad.bib")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == [{
        "path": str(DATA / "TC106.bad.bib"), "line": 11, "column": 3, "code": "TC106",
        "name": "value-alias", "severity": "warning", "message": data[0]["message"],
    }]
    assert run("--format", "json", str(DATA / "TC106.good.bib")) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_github_output(capsys):
    assert run("--format", "github", str(DATA / "TC105.bad.bib"), str(DATA / "TC162.bad.bib")) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"::error file={DATA / 'TC105.bad.bib'},line=11,col=3,title=TC105::unknown area")
    assert len(lines) == 2
    assert lines[1].startswith(f"::warning file={DATA / 'TC162.bad.bib'},line=7,col=3,title=TC162::")


def test_github_escaping():
    problem = Problem("a,b:c.bib", 2, "url", "100% wrong\nreally", 3, "TC131")
    assert lint.render([problem], "github") == \
        "::error file=a%2Cb%3Ac.bib,line=2,col=3,title=TC131::100%25 wrong%0Areally"


def test_select_and_ignore(capsys):
    bad = str(DATA / "TC105.bad.bib")
    assert run("--ignore", "TC105", bad) == 0
    assert run("--ignore", "TC10", bad) == 0
    assert run("--select", "TC13", bad) == 0
    assert run("--select", "TC105", bad) == 1
    assert run("--ignore", "TC999", bad) == 2
    assert "unknown check code" in capsys.readouterr().err


def test_invalid_taxonomy_is_reported(tmp_path, capsys):
    broken = tmp_path / "taxonomy.toml"
    broken.write_text("[[facets]]\nid = 'Bad Id'\n")
    parser = argparse.ArgumentParser()
    check_cli.register(parser.add_subparsers())
    args = parser.parse_args(["check", "--taxonomy", str(broken), str(DATA / "TC105.good.bib")])
    assert args.func(args) == 1
    assert "TC100" in capsys.readouterr().out


def test_missing_file_is_reported(tmp_path, capsys):
    assert run(str(tmp_path / "nope.bib")) == 1
    assert f"{tmp_path / 'nope.bib'}:1:1: TC100 cannot read the bib file" in capsys.readouterr().out


def test_registered_in_the_cli():
    expected = {"sphinx_tc_ext.cli.check", "sphinx_tc_ext.cli.fmt", "sphinx_tc_ext.cli.new"}
    assert expected <= set(cli.COMMAND_MODULES)


# -- individual rules --------------------------------------------------------------------


def lint_entry(body: str, entry_type: str = "misc") -> list[str]:
    text = f"@{entry_type}{{k2025x,\n  title = {{X}},\n  author = {{A, B}},\n  year = {{2025}},\n" \
           f"  areas = {{image}},\n{body}\n}}\n"
    checker = lint.Checker(load_taxonomy(TAXONOMY))
    return [p.code for p in checker.check_text(text, "t.bib")]


@pytest.mark.parametrize(("url", "ok"), [
    ("https://github.com/owner/repo", True),
    ("https://github.com/owner/repo/tree/main/src", True),
    ("https://www.github.com/owner/repo.git", True),
    ("https://gitlab.com/group/sub/repo", True),
    ("https://gitlab.example.edu/team/repo", True),
    ("https://bitbucket.org/owner/repo", True),
    ("https://huggingface.co/spaces/owner/demo", True),
    ("https://github.com/owner", False),
    ("https://huggingface.co/owner/model", False),
    ("https://owner.github.io/project", False),
    ("https://example.org/code.zip", False),
])
def test_repository_urls(url, ok):
    assert lint.is_repository_url(url) is ok
    assert ("TC133" in lint_entry(f"  code = {{{url}}},")) is not ok


@pytest.mark.parametrize(("url", "doubled"), [
    ("https://github.com/https://github.com/o/r", True),
    ("https://https://github.com/o/r", True),
    ("https://github.com/github.com/o/r", True),
    ("https://github.com/o/r", False),
    ("https://example.org/redirect?to=https://x.org", False),
])
def test_doubled_urls(url, doubled):
    assert ("TC130" in lint_entry(f"  project = {{{url}}},")) is doubled


@pytest.mark.parametrize(("arxiv_id", "ok"), [
    ("2508.01548", True), ("2508.01548v3", True), ("0704.0001", True), ("1412.9999", True),
    ("hep-th/9901001", True), ("math.GT/0309136", True),
    ("2508.1548", False), ("1412.12345", False), ("2513.01548", False), ("0612.0001", False), ("arXiv", False),
])
def test_arxiv_ids(arxiv_id, ok):
    assert rules.valid_arxiv_id(arxiv_id) is ok


def test_arxiv_dates():
    assert rules.arxiv_date("2508.01548") == (2025, 8)
    assert rules.arxiv_date("hep-th/9901001") == (1999, 1)
    assert rules.arxiv_date("math.GT/0309136") == (2003, 9)


@pytest.mark.parametrize(("text", "char"), [
    ("Tokens & Frames", "&"), ("50% fewer", "%"), ("Top_k", "_"), ("C# tokens", "#"), ("x^2", "^"),
    ("Tokens \\& Frames", None), ("50\\% fewer", None), ("$x_i^2$ and $\\#$", None),
    ("\\(a_b\\) ok", None), ("see \\url{https://x.org/a_b%20c#d}", None), ("{\\\"o}", None),
    ("$O(n)", "$"), ("\\\\& x", "&"),
])
def test_latex_special_characters(text, char):
    found = lint._latex_problem(text)
    assert (found[0] if found else None) == char


def test_url_fields_may_hold_special_characters():
    assert lint_entry("  url = {https://x.org/a_b%20c#d&e},") == []
    assert lint_entry("  note = {a_b},") == ["TC170"]


def test_required_fields_per_type():
    assert "TC120" in lint_entry("", "article")
    assert "TC120" not in lint_entry("  journal = {TMLR},", "article")
    assert "TC120" in lint_entry("", "phdthesis")
    assert "TC120" not in lint_entry("", "misc")


def test_missing_author():
    text = "@misc{k,\n  title = {X},\n  year = {2025},\n  areas = {image},\n}\n"
    problems = lint.Checker(load_taxonomy(TAXONOMY)).check_text(text, "t.bib")
    assert [(p.code, p.line) for p in problems] == [("TC120", 1)]
    assert "author" in problems[0].message


@pytest.mark.parametrize(("authors", "code"), [
    ("", "TC140"),
    ("Shao, Kele and", "TC140"),
    ("and Shao, Kele", "TC140"),
    ("Shao, Kele; Tao, Keda", "TC141"),
    ("Shao, Kele et al.", "TC141"),
    ("Shao, Kele, Tao, Keda", "TC141"),
    ("Shao, Kele and others", None),
    ("King, Jr, Martin Luther", None),
    ("{Qwen Team} and Shao, Kele", None),
    ("{Research, Inc.} and Shao, Kele", None),
])
def test_author_lists(authors, code):
    text = f"@misc{{k,\n  title = {{X}},\n  author = {{{authors}}},\n  year = {{2025}},\n  areas = {{image}},\n}}\n"
    codes = [p.code for p in lint.Checker(load_taxonomy(TAXONOMY)).check_text(text, "t.bib")]
    assert codes == ([code] if code else [])


def test_undefined_macro_is_a_syntax_error():
    assert "TC101" in lint_entry("  journal = tmlr,", "article")
    text = "@string{tmlr = {Transactions on Machine Learning Research}}\n\n" \
           "@article{k,\n  title = {X},\n  author = {A, B},\n  year = {2025},\n  journal = tmlr,\n" \
           "  areas = {image},\n}\n"
    assert lint.Checker(load_taxonomy(TAXONOMY)).check_text(text, "t.bib") == []


def test_nearest_uses_edit_distance():
    assert lint.nearest("yaer", ["year", "note"]) == ("year", 1)
    assert lint._osa_distance("catgories", "categories") == 1


def test_every_reader_problem_carries_its_code():
    """Codes are set where problems are made (never recovered from their wording) and match their subtype."""
    taxonomy = load_taxonomy(TAXONOMY)
    seen = set()
    for path in sorted(DATA.glob("TC*.bib")):
        text, problems = bibread.decode_bib(path.read_bytes(), path.name)
        if text is not None:
            problems += bibread.parse_bib_text(text, path.name, taxonomy).problems
        for problem in problems:
            assert problem.code in codes.CODES_BY_ID, problem
            assert codes.CODES_BY_ID[problem.code].subtype == problem.subtype, problem
            assert lint.code_for(problem) == problem.code
            seen.add(problem.code)
    assert {"TC100", "TC101", "TC102", "TC103", "TC105", "TC111", "TC173"} <= seen


def test_pre_commit_hooks_and_workflow_run_the_commands():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"tc-survey-check", "tc-survey-fmt"}
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    check_cli.register(subparsers)
    fmt_cli.register(subparsers)
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert re.search(hook["files"], "refs/survey.bib") and not re.search(hook["files"], "refs/survey.bibx")
        program, command = hook["entry"].split()
        assert program == "tc-survey" and command in subparsers.choices
    workflow = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    for step in ("tc-survey check --format github", "tc-survey fmt --check",
                 "sphinx-build -nW --keep-going -c . docs _build/html"):
        assert f"run: {step}\n" in workflow
    assert "cdn" not in workflow.lower()


def test_contributing_guide_renders_the_tables_without_warnings(tmp_path):
    """docs/contributing.md in a toctree, with the reference directives, builds under -nW."""
    from sphinx.cmd.build import build_main

    src = tmp_path / "src"
    (src / "refs").mkdir(parents=True)
    for name in ("survey.bib", "taxonomy.toml"):
        (src / "refs" / name).write_text((TAXONOMY.parent / name).read_text())
    (src / "contributing.md").write_text((ROOT / "docs" / "contributing.md").read_text())
    (src / "index.md").write_text("# Test\n\n```{toctree}\ncontributing\n```\n")
    (src / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx_tc_ext", "sphinx_tc_ext.sphinx.reference"]\n'
        'tc_bib_file = "refs/survey.bib"\ntc_taxonomy_file = "refs/taxonomy.toml"\nnitpicky = True\n'
        'exclude_patterns = ["_build"]\n')
    out = tmp_path / "html"
    status = build_main(["-nW", "--keep-going", "-q", "-b", "html", str(src), str(out)])
    assert status == 0
    html = (out / "contributing.html").read_text()
    for code in codes.CODES:
        assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{code.code}</span></code>" in html
    taxonomy = load_taxonomy(TAXONOMY)
    for facet in taxonomy.facets:
        for value in facet.values:
            assert f"<span class=\"pre\">{value.id}</span>" in html
    for subtype in WARNING_SUBTYPES:
        assert f"tc.{subtype}" in html
    assert html.count("<table") == 3 + len(taxonomy.facets)


# -- one bad spot, its own line (issue 15) -------------------------------------------------

GOOD_TWO = (DATA / "TC111.good.bib").read_text()


def test_a_stray_at_line_warns_there_and_keeps_both_entries(tmp_path, capsys):
    bib = tmp_path / "stray.bib"
    bib.write_text(GOOD_TWO.replace("\n@article", "\nMaintainer: someone@example.org (ping me)\n\n@article"))
    problems = check(bib)
    assert [(p.code, p.line, p.column) for p in problems] == [("TC174", 19, 20)], [str(p) for p in problems]
    assert "remove it or make it a '%' comment" in problems[0].message
    assert run(str(bib)) == 0  # a warning: BibTeX ignores the line
    assert run("--strict", str(bib)) == 1


def test_a_latin1_byte_is_an_error_at_its_line_and_column(tmp_path):
    bib = tmp_path / "latin1.bib"
    bib.write_bytes(GOOD_TWO.replace("Adaptive Token", "Adaptiv\xe9 Token").replace("Li, Yunheng", "L\xfc, Y")
                    .encode("latin-1"))
    problems = check(bib)
    assert [(p.code, p.line, p.column) for p in problems] == [("TC173", 4, 37), ("TC173", 21, 35)]
    assert "re-save the file as UTF-8, or write the character as a LaTeX command such as {\\'e}" in \
        problems[0].message
    assert run(str(bib)) == 1


def test_a_utf16_file_is_unreadable_with_a_fix(tmp_path):
    bib = tmp_path / "utf16.bib"
    bib.write_bytes(GOOD_TWO.encode("utf-16"))
    (problem,) = check(bib)
    assert (problem.code, problem.line) == ("TC100", 1) and "re-save it as UTF-8" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "% nothing yet\n", "@comment{x}\n@string{v = {V}}\n@preamble{\"p\"}\n"])
def test_a_bib_without_entries_is_an_error(tmp_path, text):
    bib = tmp_path / "empty.bib"
    bib.write_text(text)
    assert [(p.code, p.line) for p in check(bib)] == [("TC121", 1)]
    assert run(str(bib)) == 1


def test_keys_sharing_an_anchor_name_both_keys_and_lines(tmp_path):
    first = tmp_path / "a.bib"
    first.write_text(GOOD_TWO.replace("shang2025llava", "smith2025:vit").replace("zeng2025glimpse", "smith2025/vit"))
    (problem,) = check(first)
    assert (problem.code, problem.line) == ("TC115", 19)
    assert "'smith2025/vit'" in problem.message and f"'smith2025:vit' ({first}:3)" in problem.message
    assert run(str(first)) == 1
    # across files too: the site of either would be fine, both together are not
    other = tmp_path / "b.bib"
    other.write_text((DATA / "TC111.good.bib").read_text().replace("shang2025llava", "smith2025.vit")
                     .replace("zeng2025glimpse", "other2025"))
    second = tmp_path / "c.bib"
    second.write_text(GOOD_TWO.replace("shang2025llava", "smith2025+vit").replace("zeng2025glimpse", "x2025"))
    codes = [(p.code, p.path) for p in check(other, second) if p.code == "TC115"]
    assert codes == [("TC115", str(second))]
