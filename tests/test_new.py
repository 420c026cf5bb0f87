"""``tc-survey new``: scaffold an entry from flags or prompts, append it, check it."""

from __future__ import annotations

import argparse
import datetime
import io
import shutil
from pathlib import Path

import pytest

from sphinx_tc_ext import cli
from sphinx_tc_ext.cli import new as scaffold
from sphinx_tc_ext.core import bibsyntax as fmt
from sphinx_tc_ext.core import lint
from sphinx_tc_ext.core.rules import citation_key, to_bibtex_name, unique_key
from sphinx_tc_ext.core.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
TEST_ROOT = ROOT / "tests" / "roots" / "test-survey" / "refs"
TITLE = "LLaVA-Scissor: Token Compression with Semantic Connected Components for Video LLMs"
ENTRY = """@article{sun2025llava,
  title = {{LLaVA}-{Scissor}: Token Compression with Semantic Connected Components for Video {LLMs}},
  author = {Sun, Boyuan and Zhao, Jiaxing and Wei, Xihan},
  year = {2025},
  month = jun,
  journal = {arXiv preprint arXiv:2506.21862},
  eprint = {2506.21862},
  archiveprefix = {arXiv},
  url = {https://arxiv.org/abs/2506.21862},
  areas = {video},
  categories = {similarity},
  cost = {training-free},
  shortvenue = {arXiv 2025.06},
  code = {https://github.com/HumanMLLM/LLaVA-Scissor},
  added = {2025-08-20},
}
"""
FLAGS = ["--title", TITLE, "--author", "Boyuan Sun", "--author", "Zhao, Jiaxing and Xihan Wei",
         "--arxiv", "https://arxiv.org/abs/2506.21862v2", "--areas", "video", "--categories", "similarity",
         "--cost", "training-free", "--code", "https://github.com/HumanMLLM/LLaVA-Scissor",
         "--added", "2025-08-20", "--offline"]


@pytest.fixture
def survey(tmp_path, monkeypatch):
    """A checkout-like directory: refs/survey.bib (the test root's, formatted) and refs/taxonomy.toml."""
    refs = tmp_path / "refs"
    refs.mkdir()
    shutil.copy(TEST_ROOT / "taxonomy.toml", refs / "taxonomy.toml")
    taxonomy = load_taxonomy(refs / "taxonomy.toml")
    (refs / "survey.bib").write_text(fmt.format_text((TEST_ROOT / "survey.bib").read_text(), taxonomy))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    return refs / "survey.bib"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    scaffold.register(parser.add_subparsers())
    args = parser.parse_args(["new", *argv])
    return args.func(args)


def test_dry_run_prints_the_entry_and_writes_nothing(survey, capsys):
    before = survey.read_text()
    assert run(*FLAGS, "--dry-run") == 0
    out, err = capsys.readouterr()
    assert out == ENTRY
    assert err == ""
    assert survey.read_text() == before


def test_appends_in_the_canonical_layout_and_passes_check(survey, capsys):
    before = survey.read_text()
    assert run(*FLAGS) == 0
    after = survey.read_text()
    assert after == before + "\n" + ENTRY
    assert fmt.format_text(after, load_taxonomy("refs/taxonomy.toml")) == after
    assert lint.check_paths([str(survey)], load_taxonomy("refs/taxonomy.toml")) == []
    assert f"added sun2025llava to refs/survey.bib (line {before.count(chr(10)) + 2})" in capsys.readouterr().err


def test_creates_a_missing_bib(survey, capsys):
    survey.unlink()
    assert run(*FLAGS, "--bib", "refs/new.bib") == 0
    assert Path("refs/new.bib").read_text() == ENTRY


def test_key_is_collision_free(survey):
    assert run(*FLAGS) == 0
    assert run(*FLAGS, "--force") == 1  # written, but TC112: the same arXiv paper twice
    no_arxiv = ["--title", "LLaVA-Scissor Two", "--author", "Sun, Boyuan", "--year", "2025", "--areas", "video"]
    assert run(*no_arxiv) == 0
    keys = [b.key for b in fmt.tokenize(survey.read_text()) if b.kind == "entry"]
    assert keys[-3:] == ["sun2025llava", "sun2025llavab", "sun2025llavac"]
    assert run(*no_arxiv, "--title", "Another Title", "--key", "SUN2025LLAVA") == 2


def test_errors_in_the_new_entry_prevent_writing(survey, capsys):
    assert run(*FLAGS) == 0
    before = survey.read_text()
    assert run(*FLAGS) == 1
    err = capsys.readouterr().err
    assert "TC112" in err and "not written" in err
    assert survey.read_text() == before


@pytest.mark.parametrize(("author", "year", "title", "key"), [
    ("Shao, Kele", "2025", "When Tokens Talk Too Much", "shao2025tokens"),
    ("Quan-Sheng Zeng", "2025", "A Glimpse to Compress", "zeng2025glimpse"),
    ("Shang, Yuzhang", "2025", "{LLaVA-PruMerge}: Adaptive Token Reduction", "shang2025llava"),
    ("Sch{\\\"o}n, Zo{\\\"e}", "2024", "On the Über-Token", "schon2024uber"),
    ("van der Berg, Jan", "2023", "The 3D Tokens", "vanderberg20233d"),
    ("{Qwen Team}", "2025", "Qwen2.5-VL Technical Report", "qwen2025qwen2"),
    ("Kierkegaard, Søren", "2025", "Less is More: Token Pruning", "kierkegaard2025less"),
])
def test_scholar_style_keys(author, year, title, key):
    assert citation_key(author, year, title) == key


def test_unique_key_suffixes():
    assert unique_key("a2025b", set()) == "a2025b"
    assert unique_key("a2025b", {"a2025b"}) == "a2025bb"
    assert unique_key("a2025b", {"a2025b", "a2025bb"}) == "a2025bc"
    taken = {"k"} | {f"k{c}" for c in "bcdefghijklmnopqrstuvwxyz"}
    assert unique_key("k", taken) == "kzb"
    assert unique_key("K", {"k"}) == "Kb"


def test_new_and_import_awesome_agree_on_keys_and_names(tmp_path, capsys):
    """One key builder and one name encoder serve both commands (they once gave different answers)."""
    for display, bibtex in (("Qwen Team", "{Qwen Team}"), ("Søren Kierkegaard", "Kierkegaard, Søren"),
                            ("Jan van der Berg", "van der Berg, Jan")):
        assert scaffold.bibtex_name(display) == to_bibtex_name(display) == bibtex
    bib = tmp_path / "survey.bib"
    bib.write_text("", encoding="utf-8")
    assert cli.main(["new", "--bib", str(bib), "--taxonomy", str(TEST_ROOT / "taxonomy.toml"), "--no-input",
                     "--title", "Less is More: Token Pruning", "--author", "Søren Kierkegaard",
                     "--author", "Qwen Team", "--year", "2025", "--field", "areas=video",
                     "--field", "categories=similarity", "--field", "cost=training-free", "--force"]) in (0, 1)
    text = bib.read_text(encoding="utf-8")
    key = citation_key(to_bibtex_name("Søren Kierkegaard"), 2025, "Less is More: Token Pruning")
    assert key == "kierkegaard2025less" and f"{{{key}," in text
    assert "Kierkegaard, Søren and {Qwen Team}" in text


def test_venue_from_the_venue_table(survey, capsys):
    assert run("--title", "A Paper", "--author", "Li, Wei", "--venue", "CVPR 2024 Highlight", "--areas", "image",
               "--added", "2025-08-20", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("@inproceedings{li2024paper,\n")
    assert "  year = {2024},\n" in out
    assert "  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition " \
           "(CVPR)},\n" in out
    assert "  shortvenue = {CVPR 2024 Highlight},\n" in out


def test_journal_venue_and_full_names(survey, capsys):
    assert run("--title", "A Paper", "--author", "Li, Wei", "--year", "2025", "--venue", "TMLR",
               "--areas", "image", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("@article{li2025paper,")
    assert "journal = {Transactions on Machine Learning Research}" in out and "shortvenue = {TMLR 2025}" in out
    assert run("--title", "A Paper", "--author", "Li, Wei", "--year", "2025", "--venue", "Workshop on Tokens & Co",
               "--areas", "image", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "booktitle = {Workshop on Tokens \\& Co}" in out and "shortvenue" not in out


def test_defaults_and_escaping(survey, capsys):
    assert run("--title", "Tokens & 50% of_them", "--author", "Li, Wei", "--year", "2025", "--areas", "Video-LLM",
               "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("@misc{li2025tokens,\n")
    assert "title = {Tokens \\& 50\\% of\\_them}" in out
    assert "areas = {video}" in out
    assert f"added = {{{datetime.date.today().isoformat()}}}" in out


@pytest.mark.parametrize(("flags", "message"), [
    (["--areas", "vidoe"], "unknown area 'vidoe' (did you mean 'video'?)"),
    (["--areas", "video", "--cost", "training-free,training-based"], "cost takes one value"),
    (["--areas", "video", "--arxiv", "2508.1548"], "is not an arXiv id"),
    (["--areas", "video", "--month", "Summer"], "month 'Summer' is not a month"),
    (["--areas", "video", "--type", "inproceeding"], "did you mean 'inproceedings'?"),
    ([], "missing --areas"),
])
def test_bad_flags_exit_2(survey, capsys, flags, message):
    before = survey.read_text()
    assert run("--title", "T", "--author", "Li, Wei", "--year", "2025", *flags) == 2
    assert message in capsys.readouterr().err
    assert survey.read_text() == before


def test_missing_values_without_a_terminal(survey, capsys):
    assert run("--areas", "video") == 2
    assert "missing --title, --author, --year" in capsys.readouterr().err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prompts_in_a_terminal(survey, monkeypatch, capsys):
    answers = [
        "arXiv:2507.20198",              # arXiv id (the sample bib has it already), --offline: nothing fetched
        "",                              # title: required, asked again
        "Token Pruning for Audio LLMs",  # title
        "Wei Li and Zhang, San",         # authors
        "",                              # venue: a preprint
        "audoi",                         # year: rejected at once, asked again
        "",                              # year: the default from the arXiv id
        "audoi",                         # area: rejected, asked again
        "audio, Audio-LLM",              # area
        "",                              # categories: optional
        "training-free",                 # cost
        "github.com/li/audio-prune",     # code: not a link, asked again
        "https://github.com/li/audio-prune",  # code
    ]
    monkeypatch.setattr("sys.stdin", FakeTerminal("\n".join(answers) + "\n"))
    code = run("--dry-run", "--added", "2025-08-20", "--offline")
    out, err = capsys.readouterr()
    assert "Area values: image (Image LLM), video (Video LLM), audio (Audio LLM)" in err
    assert "  an answer is required\n" in err
    assert "  year 'audoi' is not four digits; write e.g. 2025\n" in err
    assert "unknown area 'audoi' (did you mean 'audio'?); allowed: image, video, audio" in err
    assert "'github.com/li/audio-prune' is not an http(s) link" in err
    assert out.startswith("@article{li2025token,\n")
    assert "  author = {Li, Wei and Zhang, San},\n" in out
    assert "  year = {2025},\n  month = jul,\n" in out
    assert "  areas = {audio},\n" in out and "categories" not in out
    assert "  code = {https://github.com/li/audio-prune},\n" in out
    assert code == 1 and "TC112" in err  # the sample bib already has arXiv 2507.20198


def test_field_flag_and_facet_flags_come_from_the_taxonomy(survey, capsys):
    parser = argparse.ArgumentParser()
    scaffold.register(parser.add_subparsers())
    help_text = parser._subparsers._group_actions[0].choices["new"].format_help()
    assert "--areas VALUES" in help_text and "--categories VALUES" in help_text and "--cost VALUES" in help_text
    assert run("--title", "T", "--author", "Li, Wei", "--year", "2025", "--areas", "video",
               "--field", "pages=1--10", "--field", "volume=3", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "  pages = {1--10},\n  volume = {3},\n" in out


# -- the bib's own bytes stay: only the entry is appended ---------------------------------------

ENTRY_BYTES = ENTRY.encode()


def test_crlf_bib_keeps_its_bytes_and_gets_a_crlf_entry(survey):
    before = survey.read_bytes().replace(b"\n", b"\r\n")
    survey.write_bytes(before)
    assert run(*FLAGS) == 0
    after = survey.read_bytes()
    assert after == before + b"\r\n" + ENTRY_BYTES.replace(b"\n", b"\r\n")
    assert b"\n" not in after.replace(b"\r\n", b"")


def test_bom_stays_at_the_start(survey):
    before = b"\xef\xbb\xbf" + survey.read_bytes()
    survey.write_bytes(before)
    assert run(*FLAGS) == 0
    assert survey.read_bytes() == before + b"\n" + ENTRY_BYTES


def test_a_bib_of_only_a_bom_keeps_it(survey):
    survey.write_bytes(b"\xef\xbb\xbf")
    assert run(*FLAGS) == 0
    assert survey.read_bytes() == b"\xef\xbb\xbf" + ENTRY_BYTES


def test_a_bib_without_a_final_newline_gets_one_before_the_entry(survey):
    before = survey.read_bytes().rstrip(b"\n")
    survey.write_bytes(before)
    assert run(*FLAGS) == 0
    assert survey.read_bytes() == before + b"\n\n" + ENTRY_BYTES


@pytest.mark.parametrize("ending", [b"% the end, not formatted   ", b"@comment{ keep   this }\r\n",
                                    b"\n\n\n% trailing blank lines and a comment\n\n"])
def test_a_bib_ending_in_a_comment_is_left_as_it_is(survey, ending):
    """Even text that ``fmt`` would change is kept: ``new`` never rewrites what is there."""
    before = survey.read_bytes() + ending
    survey.write_bytes(before)
    assert run(*FLAGS) == 0
    after = survey.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].lstrip(b"\n") == ENTRY_BYTES
    keys = [b.key for b in fmt.tokenize(after.decode()) if b.kind == "entry"]
    assert keys[-1] == "sun2025llava"


def test_unformatted_entries_before_the_new_one_are_not_touched(survey):
    before = b"@ARTICLE{ old ,title={Old},author={Doe, J.},year=2020}\n"
    survey.write_bytes(before)
    assert run(*FLAGS, "--force") in (0, 1)
    assert survey.read_bytes().startswith(before)


def test_permissions_are_kept(survey):
    survey.chmod(0o640)
    assert run(*FLAGS) == 0
    assert survey.stat().st_mode & 0o777 == 0o640


def test_a_symlinked_bib_is_written_through_the_link(survey, tmp_path):
    """The link stays a link (a bib shared between checkouts); its target gets the entry."""
    shared = tmp_path / "shared.bib"
    before = survey.read_bytes()
    shared.write_bytes(before)
    survey.unlink()
    survey.symlink_to(shared)
    assert run(*FLAGS) == 0
    assert survey.is_symlink()
    assert shared.read_bytes() == before + b"\n" + ENTRY_BYTES


# -- the check of the new entry: the same problems as a check of the whole bib, at a fraction of the cost ----

EXISTING = r"""% duplicates of every kind, macros and anchors for the entry that follows
@string{venue = {arXiv preprint arXiv:2506.21862}}
@string{tt = {Token Pruning}}
@article{first2025,
  title = {{LLaVA-Sc\'{i}ssor}: Token Compression with Semantic Connected Components for Video {LLMs}},
  author = {Sun, Boyuan},
  year = {2025},
  journal = venue,
  url = {https://doi.org/10.1109/ICCV.2025.00123},
  areas = {video},
}
@inproceedings{smith2025:vit,
  title = {Vision Transformers at Scale},
  author = {Smith, Ann},
  year = {2025},
  booktitle = {CVPR},
  eprint = {2507.20198},
  areas = {video},
}
@misc{smith2025-vit-1d0f7bc4, title = {Other}, author = {Smith, Ann}, year = {2025}, areas = {video}}
@string{tt = {Token Merging}}
@misc{later, title = tt # { Again}, author = {Doe, J.}, year = {2024}, areas = {image}}
"""
NEW_ENTRIES = {
    "clean": "@misc{fresh2025,\n  title = {A Fresh Title},\n  author = {Doe, Jane},\n  year = {2025},\n"
             "  areas = {video},\n}\n",
    "duplicate key, other case": "@misc{FIRST2025,\n  title = {X},\n  author = {Doe, Jane},\n  year = {2025},\n"
                                 "  areas = {video},\n}\n",
    "duplicate arXiv, through a macro": "@article{a2025,\n  title = {Y},\n  author = {Doe, Jane},\n"
                                        "  year = {2025},\n  journal = {J},\n  eprint = {2506.21862},\n"
                                        "  areas = {video},\n}\n",
    "duplicate DOI, url and doi": "@misc{b2025,\n  title = {Z},\n  author = {Doe, Jane},\n  year = {2025},\n"
                                  "  doi = {10.1109/iccv.2025.00123},\n  areas = {video},\n}\n",
    "duplicate title, LaTeX aside": "@misc{c2025,\n  title = {LLaVA-Scíssor: token compression with semantic "
                                    "connected components for video LLMs},\n  author = {Doe, Jane},\n"
                                    "  year = {2025},\n  areas = {video},\n}\n",
    "anchor collision": "@misc{smith2025/vit,\n  title = {W},\n  author = {Doe, Jane},\n  year = {2025},\n"
                        "  areas = {video},\n}\n",
    "redefined macro, duplicate title": "@misc{d2025,\n  title = tt # { Again},\n  author = {Doe, Jane},\n"
                                        "  year = {2025},\n  areas = {video},\n}\n",
    "undefined macro": "@misc{e2025,\n  title = nope,\n  author = {Doe, Jane},\n  year = {2025},\n"
                       "  areas = {vidoe},\n  slides = {x},\n}\n",
    "broken new entry": "@misc{f2025,\n  title = {Broken\n  author = {Doe, Jane},\n}\n",
    "arXiv id conflict": "@article{g2025,\n  title = {V},\n  author = {Doe, Jane},\n  year = {2024},\n"
                         "  journal = {arXiv preprint arXiv:2507.20198},\n  eprint = {2507.20198},\n"
                         "  url = {https://arxiv.org/abs/2506.21862},\n  areas = {video},\n}\n",
}
BEFORE = {
    "as it is": EXISTING,
    "no final newline": EXISTING.rstrip("\n"),
    "a broken entry last": EXISTING + "@misc{broken,\n  title = {Unclosed\n",
    "an '@' between entries": EXISTING + "Maintainer: me@example.org\n",
    "an unclosed @comment(": EXISTING + "@comment(\n",
    "nothing": "",
}


def full_check(taxonomy, prefix: str, entry: str) -> list:
    """What ``new`` reported before it learnt to check only the new entry."""
    first_line = prefix.count("\n") + 1
    return [p for p in lint.Checker(taxonomy).check_text(prefix + entry, "refs/survey.bib") if p.line >= first_line]


@pytest.mark.parametrize("before", list(BEFORE))
@pytest.mark.parametrize("name", list(NEW_ENTRIES))
def test_the_new_entry_gets_the_problems_of_a_full_check(before, name):
    taxonomy = load_taxonomy(TEST_ROOT / "taxonomy.toml")
    existing, entry = BEFORE[before], NEW_ENTRIES[name]
    prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
    prefix += "\n" if prefix.strip() else ""
    expected = full_check(taxonomy, prefix, entry)
    got = scaffold.check_new_entry(taxonomy, existing, fmt.tokenize(existing), prefix, entry, "refs/survey.bib")
    assert got == expected
    shortcut = lint.Checker(taxonomy).check_appended(existing, fmt.tokenize(existing), entry,
                                                     prefix.count("\n") + 1, "refs/survey.bib")
    if before in ("as it is", "no final newline", "nothing") and name != "broken new entry":
        assert shortcut == expected  # the shortcut itself, not the full check it falls back to
    if before == "as it is":
        codes = {p.code for p in expected}
        wanted = {"clean": set(), "duplicate key, other case": {"TC111"}, "duplicate arXiv, through a macro":
                  {"TC112"}, "duplicate DOI, url and doi": {"TC113"}, "duplicate title, LaTeX aside": {"TC114"},
                  "anchor collision": {"TC115"}, "redefined macro, duplicate title": {"TC114"},
                  "undefined macro": {"TC101"}, "broken new entry": {"TC102"}}.get(name)
        assert wanted is None or wanted <= codes, expected


def test_new_checks_only_the_new_entry(survey, monkeypatch):
    """A bib of 20,000 entries took 20 s to check whole; the entries before the new one are only indexed."""
    import synth

    survey.write_text(synth.grow(300, seed=TEST_ROOT / "survey.bib")[0])
    checked = []
    original = lint.Checker.check_entry
    monkeypatch.setattr(lint.Checker, "check_entry", lambda self, block, *a: checked.append(block.key) or
                        original(self, block, *a))
    assert run(*FLAGS) == 0
    assert checked == ["sun2025llava"]
