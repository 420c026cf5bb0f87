"""``tc-survey new --arxiv/--doi``: the entry filled from arXiv or doi.org (a local server), then checked."""

from __future__ import annotations

import io
import re

import pytest

from sphinx_tc_ext import cli
from sphinx_tc_ext.core import lint
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import FETCH_DATA, Reply, survey_folder

ARXIV_QUERY = "/api/query?id_list=2507.20198"
SURVEY_ENTRY_START = """@article{shao2025tokens,
  title = {When Tokens Talk Too Much: A Survey of Multimodal Long-Context Token Compression across Images, Videos, and Audios},
  author = {Shao, Kele and Tao, Keda and Zhang, Kejia and Feng, Sicheng and Cai, Mu and Shang, Yuzhang and You, Haoxuan and Qin, Can and Sui, Yang and Wang, Huan},
  year = {2025},
  month = jul,
  journal = {arXiv preprint arXiv:2507.20198},
  eprint = {2507.20198},
  archiveprefix = {arXiv},
  url = {https://arxiv.org/abs/2507.20198},
  abstract = {Multimodal large language models (MLLMs) have made remarkable strides,"""  # noqa: E501 (entry text)
SURVEY_ENTRY_END = """ promising area.},
  areas = {image, video, audio, survey},
  shortvenue = {arXiv 2025.07},
  code = {https://github.com/cokeshao/Awesome-Multimodal-Token-Compression},
  added = {2025-07-29},
}
"""
RESNET_ENTRY = """@inproceedings{he2016deep,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  year = {2016},
  month = jun,
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  url = {https://doi.org/10.1109/CVPR.2016.90},
  doi = {10.1109/CVPR.2016.90},
  areas = {image},
  categories = {similarity},
  cost = {training-free},
  shortvenue = {CVPR 2016},
  added = {2025-08-20},
}
"""
SURVEY_FLAGS = ["--areas", "image, video, audio, survey", "--code",
                "https://github.com/cokeshao/Awesome-Multimodal-Token-Compression", "--added", "2025-07-29"]
RESNET_FLAGS = ["--areas", "image", "--categories", "similarity", "--cost", "training-free", "--added", "2025-08-20"]


@pytest.fixture
def bib(tmp_path, monkeypatch):
    path = survey_folder(tmp_path, monkeypatch, b"% my survey\r\n@string{cvpr = {CVPR}}\r\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    return path


def new(*argv: str) -> int:
    return cli.main(["new", *argv])


def arxiv_ok(server) -> None:
    server.route(ARXIV_QUERY, Reply(200, "arxiv-2507.20198.xml", {"Content-Type": "application/atom+xml"}))


@pytest.mark.parametrize("identifier", ["2507.20198", "https://arxiv.org/abs/2507.20198v2", "arXiv:2507.20198"])
def test_new_from_an_arxiv_id_fills_every_field_a_service_knows(bib, lookup_server, capsys, identifier):
    arxiv_ok(lookup_server)
    before = bib.read_bytes()
    assert new("--arxiv", identifier, *SURVEY_FLAGS) == 0
    after = bib.read_bytes()
    assert after.startswith(before)  # only appended: comment, @string and CRLF kept
    entry = after[len(before):].decode().replace("\r\n", "\n").lstrip("\n")
    assert entry.startswith(SURVEY_ENTRY_START) and entry.endswith(SURVEY_ENTRY_END)
    assert lint.check_paths([str(bib)], load_taxonomy("refs/taxonomy.toml")) == []
    assert [p for p, _ in lookup_server.requests] == [ARXIV_QUERY]
    assert "added shao2025tokens to refs/survey.bib (line 4)" in capsys.readouterr().err


def test_new_from_a_doi(bib, lookup_server, capsys):
    lookup_server.route("/doi/10.1109/CVPR.2016.90", Reply(200, "doi-10.1109-cvpr.2016.90.json",
                                                         {"Content-Type": "application/vnd.citationstyles.csl+json"}))
    assert new("--doi", "https://doi.org/10.1109/CVPR.2016.90", *RESNET_FLAGS, "--dry-run") == 0
    out, err = capsys.readouterr()
    assert out == RESNET_ENTRY and err == ""


def test_flags_win_over_the_service(bib, lookup_server, capsys):
    arxiv_ok(lookup_server)
    assert new("--arxiv", "2507.20198", *SURVEY_FLAGS, "--title", "A Shorter Title", "--author", "Shao, Kele",
               "--venue", "TMLR 2026", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("@article{shao2026shorter,\n  title = {A Shorter Title},\n  author = {Shao, Kele},\n"
                          "  year = {2026},\n  journal = {Transactions on Machine Learning Research},\n")
    assert "  abstract = {Multimodal" in out and "  shortvenue = {TMLR 2026},\n" in out


def test_a_journal_ref_becomes_the_venue(bib, lookup_server, capsys):
    recorded = (FETCH_DATA / "arxiv-2507.20198.xml").read_bytes()
    journal_ref = b'<arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">TMLR 2026</arxiv:journal_ref>'
    body = recorded.replace(b"<arxiv:comment", journal_ref + b"<arxiv:comment")
    assert body != recorded
    lookup_server.route(ARXIV_QUERY, Reply(200, body))
    assert new("--arxiv", "2507.20198", *SURVEY_FLAGS, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "  year = {2026},\n  journal = {Transactions on Machine Learning Research},\n" in out
    assert "  eprint = {2507.20198},\n" in out and "  shortvenue = {TMLR 2026},\n" in out


@pytest.mark.parametrize(("reply", "message"), [
    (Reply(200, "arxiv-unknown.xml"), "arXiv has no paper 2507.20198; check the id"),
    (Reply(404, "doi-404.html"), r"127\.0\.0\.1:\d+ does not know arXiv 2507.20198 \(HTTP 404\); check the id"),
    (Reply(429, "arxiv-429.txt", {"Retry-After": "600"}), r"rate-limiting requests \(HTTP 429\); try again in 600 s"),
    (Reply(200, "arxiv-malformed.xml"), "arXiv sent a response that is not an Atom feed; try again later"),
    (Reply(500, b"oops"), r"answered HTTP 500 for arXiv 2507.20198; try again later"),
    (Reply(200, "arxiv-2507.20198.xml", delay=2.0), r"did not answer within 0.5 s for arXiv 2507.20198"),
])
def test_failures_are_one_line_exit_2_and_write_nothing(bib, lookup_server, monkeypatch, capsys, reply, message):
    monkeypatch.setenv("TC_LOOKUP_TIMEOUT", "0.5")
    lookup_server.route(ARXIV_QUERY, reply)
    before = bib.read_bytes()
    assert new("--arxiv", "2507.20198", *SURVEY_FLAGS) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tc-survey new: ") and err.endswith("; nothing written\n")
    assert re.search(message, err), err
    assert bib.read_bytes() == before


def test_offline_never_touches_the_network(bib, lookup_server, capsys):
    arxiv_ok(lookup_server)
    assert new("--arxiv", "2507.20198", "--offline", "--title", "T", "--author", "Shao, Kele", *SURVEY_FLAGS,
               "--doi", "10.1109/CVPR.2016.90", "--dry-run") == 0
    assert lookup_server.requests == []
    out = capsys.readouterr().out
    assert "  doi = {10.1109/CVPR.2016.90},\n" in out and "abstract" not in out


def test_without_offline_or_service_the_missing_fields_are_named(bib, lookup_server, capsys):
    assert new("--areas", "image", "--no-input") == 2
    assert "missing --title, --author, --year" in capsys.readouterr().err
    assert lookup_server.requests == []


def test_bad_identifiers_are_usage_errors(bib, lookup_server, capsys):
    assert new("--doi", "11.2/x", *SURVEY_FLAGS) == 2
    assert "'11.2/x' is not a DOI; write e.g. --doi 10.1109/CVPR.2016.90" in capsys.readouterr().err
    assert lookup_server.requests == []


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_only_what_no_service_knows_is_asked(bib, lookup_server, monkeypatch, capsys):
    arxiv_ok(lookup_server)
    answers = [
        "https://arxiv.org/pdf/2507.20198v1",  # the identifier
        "image, vidoe",                        # area: rejected at once with the nearest value
        "image, video, audio, survey",
        "",                                    # categories: optional
        "",                                    # cost: optional
        "https://github.com/cokeshao/Awesome-Multimodal-Token-Compression",
    ]
    monkeypatch.setattr("sys.stdin", FakeTerminal("\n".join(answers) + "\n"))
    assert new("--added", "2025-07-29") == 0
    err = capsys.readouterr().err
    assert "found on arXiv: When Tokens Talk Too Much" in err
    assert "unknown area 'vidoe' (did you mean 'video'?); allowed: image, video," in err
    for question in ("Title", "Authors", "Venue", "Year"):
        assert f"{question}" not in err.replace("found on arXiv", "")
    text = bib.read_text(encoding="utf-8")
    assert SURVEY_ENTRY_END.replace("\n", "\r\n") in text.replace("\n", "\r\n").replace("\r\r\n", "\r\n")
