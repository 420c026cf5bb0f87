"""``tc-survey check --online``: dead links (TC136) found by HEAD/GET against a local server; offline by default."""

from __future__ import annotations

import shutil
import time

import pytest

from sphinx_tc_ext import cli
from sphinx_tc_ext.core.linkcheck import HostPacer
from tc_testing import ROOTS, LookupServer, Reply, serving

TAXONOMY = ROOTS / "test-survey" / "refs" / "taxonomy.toml"


class LinkServer(LookupServer):
    """Records requests as (method, path): what a link check sends matters, not its headers."""

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        self.requests.append((method, path))  # type: ignore[arg-type]


@pytest.fixture
def link_server(monkeypatch):
    with serving(LinkServer()) as state:
        monkeypatch.setenv("TC_LINK_DELAY", "0")
        monkeypatch.setenv("TC_LINK_TIMEOUT", "5")
        monkeypatch.setenv("TC_DOI_RESOLVER", state.url + "/doi/")
        yield state


ENTRY = """@inproceedings{{{key},
  title = {{A Paper}},
  author = {{Doe, Jane}},
  booktitle = {{Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)}},
  year = {{2025}},
  areas = {{image}},
{links}  added = {{2025-08-14}},
}}
"""


def entry(key: str, **links: str) -> str:
    return ENTRY.format(key=key, links="".join(f"  {name} = {{{url}}},\n" for name, url in links.items()))


@pytest.fixture
def site(tmp_path, monkeypatch, link_server):
    refs = tmp_path / "refs"
    refs.mkdir()
    shutil.copy(TAXONOMY, refs / "taxonomy.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_bib(site, link_server, *entries: str) -> str:
    text = "\n".join(entries).replace("BASE", link_server.url)
    (site / "refs" / "survey.bib").write_text(text, encoding="utf-8")
    return text


def check(*argv: str) -> int:
    return cli.main(["check", "--select", "TC136", *argv])


def test_check_stays_offline_without_the_flag(site, link_server, capsys):
    write_bib(site, link_server, entry("doe2025a", url="BASE/gone", code="https://github.com/o/r"),
              entry("doe2025b", project="https://example.org/p", doi="10.1109/ICCV.2025.00123"))
    assert cli.main(["check"]) in (0, 1)
    assert link_server.requests == []  # and the autouse no_network guard saw no other host either


def test_dead_links_are_one_warning_each_with_file_line_and_code(site, link_server, capsys):
    link_server.route("/ok", Reply(200, b"fine"))
    link_server.route("/gone", Reply(404, b"not here"))
    link_server.route("/removed", Reply(410, b"gone"))
    link_server.route("/broken", Reply(500, b"oops"))
    link_server.route("/robots-not-welcome", Reply(403, b"no"))
    link_server.route("/busy", Reply(429, b"later"))
    link_server.route("HEAD /no-head", Reply(405, b""))
    link_server.route("/no-head", Reply(200, b"only GET"))
    link_server.route("/moved", Reply(301, b"", {"Location": "{base}/ok"}))
    link_server.route("/moved-away", Reply(302, b"", {"Location": "{base}/removed"}))
    link_server.route("/doi/10.1109/ICCV.2025.00123", Reply(404, b"DOI not found"))
    write_bib(site, link_server,
              entry("alive2025", url="BASE/ok", code="BASE/moved", project="BASE/no-head",
                    model="BASE/robots-not-welcome", dataset="BASE/busy"),
              entry("dead2025", url="BASE/gone", code="BASE/removed", project="BASE/broken",
                    model="BASE/moved-away", doi="10.1109/ICCV.2025.00123"))
    assert check("--online") == 0  # warnings: the exit status says nothing is wrong with the bib itself
    out, err = capsys.readouterr()
    base = link_server.url
    assert out.splitlines() == [
        f"refs/survey.bib:21:3: TC136 url link '{base}/gone' looks dead (HTTP 404); fix or remove it, "
        "or check it in a browser",
        f"refs/survey.bib:22:3: TC136 code link '{base}/removed' looks dead (HTTP 410); fix or remove it, "
        "or check it in a browser",
        f"refs/survey.bib:23:3: TC136 project link '{base}/broken' looks dead (HTTP 500); fix or remove it, "
        "or check it in a browser",
        f"refs/survey.bib:24:3: TC136 model link '{base}/moved-away' looks dead (HTTP 410); fix or remove it, "
        "or check it in a browser",
        "refs/survey.bib:25:3: TC136 doi '10.1109/ICCV.2025.00123' looks dead (HTTP 404); fix or remove it, "
        "or check it in a browser",
    ]
    assert "asking for 10 link(s) (--online)" in err and "0 error(s), 5 warning(s)" in err
    requests = link_server.requests
    assert ("HEAD", "/no-head") in requests and ("GET", "/no-head") in requests  # 405 to HEAD: GET
    assert ("HEAD", "/ok") in requests and ("GET", "/ok") not in requests  # HEAD is enough
    assert requests.count(("HEAD", "/ok")) == 2  # once for the link, once at the end of the redirect
    assert check("--online", "--strict") == 1


def test_timeouts_and_refused_connections_are_dead(site, link_server, monkeypatch, capsys):
    monkeypatch.setenv("TC_LINK_TIMEOUT", "0.5")
    link_server.route("/slow", Reply(200, b"late", delay=2.0))
    write_bib(site, link_server, entry("slow2025", url="BASE/slow", code="http://127.0.0.1:1/nothing"))
    assert check("--online") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "url link '" in lines[0] and "looks dead (no answer within 0.5 s)" in lines[0]
    assert "code link 'http://127.0.0.1:1/nothing' looks dead (cannot connect: " in lines[1]


def test_a_link_used_twice_is_asked_once_and_reported_twice(site, link_server, capsys):
    link_server.route("/gone", Reply(404, b""))
    write_bib(site, link_server, entry("a2025", url="BASE/gone"), entry("b2025", project="BASE/gone"))
    assert check("--online") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert link_server.requests == [("HEAD", "/gone")]


def test_one_host_is_asked_at_most_once_per_delay(site, link_server, monkeypatch, capsys):
    monkeypatch.setenv("TC_LINK_DELAY", "0.3")
    for name in ("a", "b", "c"):
        link_server.route(f"/{name}", Reply(200, b""))
    write_bib(site, link_server, entry("a2025", url="BASE/a", code="BASE/b", project="BASE/c"))
    started = time.monotonic()
    assert check("--online") == 0
    assert time.monotonic() - started >= 0.6
    assert capsys.readouterr().out == ""


def test_the_pacer_waits_per_host():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = HostPacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait("github.com")
    pacer.wait("huggingface.co")  # another host: no wait
    now[0] += 0.25
    pacer.wait("github.com")
    assert slept == [0.75]


def test_ignoring_the_code_asks_nothing(site, link_server, capsys):
    write_bib(site, link_server, entry("a2025", url="BASE/gone"))
    assert cli.main(["check", "--online", "--ignore", "TC136"]) == 0
    assert link_server.requests == []


def test_bad_settings_are_one_line(site, link_server, monkeypatch, capsys):
    monkeypatch.setenv("TC_LINK_TIMEOUT", "ten")
    write_bib(site, link_server, entry("a2025", url="BASE/gone"))
    assert check("--online") == 2
    assert capsys.readouterr().err == "tc-survey check: TC_LINK_TIMEOUT='ten' is not a number of seconds; " \
                                      "fix or unset it\n"


def test_github_annotations_carry_the_code(site, link_server, capsys):
    link_server.route("/gone", Reply(404, b""))
    write_bib(site, link_server, entry("a2025", url="BASE/gone"))
    assert check("--online", "--format", "github") == 0
    out = capsys.readouterr().out
    assert out.startswith("::warning file=refs/survey.bib,line=7,col=3,title=TC136::") and "HTTP 404" in out
