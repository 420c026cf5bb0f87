"""Interactive ``tc-survey new``: each answer is checked as it is typed, re-asked at once, and the others kept."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext import cli
from sphinx_tc_ext.cli import new as scaffold
from sphinx_tc_ext.core.rules import MONTH_MACROS
from tc_testing import Reply, survey_folder


class FakeTerminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal (``new`` prompts only then)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def bib(tmp_path, monkeypatch):
    return survey_folder(tmp_path, monkeypatch, b"% my survey\n")


def type_in(monkeypatch, answers: list[str]) -> list[str]:
    """Feed ``answers`` to the prompts; the returned list fills with the questions asked, in order."""
    monkeypatch.setattr("sys.stdin", FakeTerminal("\n".join(answers) + "\n"))
    asked: list[str] = []
    real = scaffold.ask_on_stderr

    def ask(question: str) -> str:
        asked.append(question.split(" (")[0].split(" [")[0].rstrip(": "))
        return real(question)

    monkeypatch.setattr(scaffold, "ask_on_stderr", ask)
    return asked


def test_every_bad_answer_is_asked_again_at_once_and_the_others_kept(bib, monkeypatch, capsys):
    asked = type_in(monkeypatch, [
        "",                                   # no identifier: every field is typed
        "{LLaVA-PruMerge: Adaptive",          # title: unbalanced braces, asked again
        "LLaVA-PruMerge: Adaptive Token Reduction",
        "Shang, Yuzhang et al.",              # authors: 'et al.', asked again
        "Shang, Yuzhang and and Cai, Mu",     # authors: an empty name, asked again
        "Shang, Yuzhang and Mu Cai",
        "CVRP 2025",                          # venue: not an abbreviation the table knows
        "ICCV 2025",                          # venue: its year answers the year question
        "Summer",                             # month: not a month
        "13",                                 # month: not a month
        "10",
        "image, vidoe",                       # areas: the nearest value and the allowed ones
        "image, video",
        "attention",                          # categories
        "training free",                      # cost: rejected
        "training-free",
        "github.com/42Shawn/LLaVA-PruMerge",   # code: not http(s)
        "https://github.com/42Shawn/LLaVA-PruMerge",
    ])
    assert cli.main(["new", "--added", "2025-07-29", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "  title has unbalanced braces: {LLaVA-PruMerge: Adaptive; close every '{'" in err
    assert "  write every author ('and others' for the rest), not 'et al.'\n" in err
    assert "has an empty name (a doubled, leading or trailing 'and')" in err
    assert "  unknown venue 'CVRP' (did you mean 'CVPR'?); write a venue of the table" in err
    assert "  month 'Summer' is not a month; write jan..dec, a month name or 1..12\n" in err
    assert "  month '13' is not a month" in err
    assert "  unknown area 'vidoe' (did you mean 'video'?); allowed: image, video, audio" in err
    assert "  unknown cost 'training free'" in err
    assert "  'github.com/42Shawn/LLaVA-PruMerge' is not an http(s) link" in err
    assert "Year" not in asked  # the venue gave it
    assert out == """@inproceedings{shang2025llava,
  title = {{LLaVA}-{PruMerge}: Adaptive Token Reduction},
  author = {Shang, Yuzhang and Cai, Mu},
  year = {2025},
  month = oct,
  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)},
  areas = {image, video},
  categories = {attention},
  cost = {training-free},
  shortvenue = {ICCV 2025},
  code = {https://github.com/42Shawn/LLaVA-PruMerge},
  added = {2025-07-29},
}
"""


def test_a_preprint_without_identifier_asks_year_and_month(bib, monkeypatch, capsys):
    asked = type_in(monkeypatch, ["", "Token Pruning", "Li, Wei", "", "audoi", "2025", "August", "audio", "", "",
                                  ""])
    assert cli.main(["new", "--added", "2025-08-20"]) == 0
    err = capsys.readouterr().err
    assert "  year 'audoi' is not four digits; write e.g. 2025\n" in err
    assert asked == ["arXiv id, arXiv link or DOI", "Title", "Authors", "Venue", "Year", "Year", "Month", "Area",
                     "Mechanism", "Training cost", "Code repository URL"]
    text = bib.read_text(encoding="utf-8")
    assert "  year = {2025},\n  month = aug,\n" in text and "added li2025token" not in text
    assert "added li2025token to refs/survey.bib" in err


def test_with_a_doi_only_what_no_service_knows_is_asked(bib, lookup_server, monkeypatch, capsys):
    lookup_server.route("/doi/10.1109/CVPR.2016.90", Reply(200, "doi-10.1109-cvpr.2016.90.json",
                                                         {"Content-Type": "application/vnd.citationstyles.csl+json"}))
    asked = type_in(monkeypatch, ["imagee", "image", "similarity", "training-free", ""])
    assert cli.main(["new", "--doi", "10.1109/CVPR.2016.90", "--added", "2025-08-20", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert asked == ["Area", "Area", "Mechanism", "Training cost", "Code repository URL"]
    assert "found on doi.org: Deep Residual Learning for Image Recognition (2016)" in err
    assert out.startswith("@inproceedings{he2016deep,\n") and "  month = jun,\n" in out


def test_flags_are_never_asked_again(bib, monkeypatch, capsys):
    asked = type_in(monkeypatch, ["", ""])  # identifier, code
    assert cli.main(["new", "--title", "T", "--author", "Li, Wei", "--venue", "", "--year", "2024", "--month", "3",
                     "--areas", "image", "--categories", "", "--cost", "", "--dry-run", "--added", "2025-01-01"]) == 0
    assert asked == ["arXiv id, arXiv link or DOI", "Code repository URL"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                        max_size=12), max_size=5))
def test_the_prompter_asks_until_an_answer_passes(bad_answers):
    """Whatever is typed before, a valid month ends the question with it; each rejected answer is one line."""
    typed = [a for a in bad_answers if a.strip() and not scaffold.month_macro(a)] + ["8"]
    feed = iter(typed)
    errors = io.StringIO()
    prompt = scaffold.Prompter(True, ask=lambda _question: next(feed))
    import contextlib

    with contextlib.redirect_stderr(errors):
        answer = prompt("Month", check=scaffold.check_month)
    assert answer == "8" and scaffold.check_month(answer) == MONTH_MACROS[7]
    assert errors.getvalue().count("\n") == len(typed) - 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_a_typed_answer_is_accepted_or_refused_in_one_line(text):
    """No answer makes a check fail otherwise than with a one-line UsageError (which the prompt prints)."""
    for check in (scaffold.check_title, scaffold.check_authors, scaffold.check_venue, scaffold.check_month,
                  scaffold.check_year, scaffold.check_link, scaffold.parse_identifier):
        try:
            check(text)
        except scaffold.UsageError as exc:
            assert str(exc) and "\n" not in str(exc).replace(text, "")
