"""Metadata from arXiv and doi.org (``core/lookup.py``), against recorded answers on 127.0.0.1."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.core import lookup
from sphinx_tc_ext.core.lookup import Client, LookupFailed, RateLimit, parse_atom, parse_bibtex, parse_csl_json
from tc_testing import FETCH_DATA, Reply

ARXIV_QUERY = "/api/query?id_list=2507.20198"
DOI = "10.1109/cvpr.2016.90"
AUTHORS = ["Kele Shao", "Keda Tao", "Kejia Zhang", "Sicheng Feng", "Mu Cai", "Yuzhang Shang", "Haoxuan You",
           "Can Qin", "Yang Sui", "Huan Wang"]
TITLE = ("When Tokens Talk Too Much: A Survey of Multimodal Long-Context Token Compression across Images, "
         "Videos, and Audios")


def test_atom_entry_of_the_survey():
    found = parse_atom((FETCH_DATA / "arxiv-2507.20198.xml").read_bytes(), "2507.20198")
    assert found.title == TITLE  # the feed wraps it over two lines
    assert found.authors == AUTHORS
    assert (found.year, found.month, found.eprint) == ("2025", 7, "2507.20198")
    assert found.url == "https://arxiv.org/abs/2507.20198"
    assert found.abstract.startswith("Multimodal large language models (MLLMs) have made remarkable strides, largely")
    assert "\n" not in found.abstract and "  " not in found.abstract
    assert (found.doi, found.venue) == ("", "")


def test_atom_journal_ref_and_doi():
    body = (FETCH_DATA / "arxiv-2507.20198.xml").read_bytes().replace(
        b"<arxiv:comment", b'<arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">TMLR 2026'
        b'</arxiv:journal_ref><arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1000/xyz.1</arxiv:doi>'
        b"<arxiv:comment")
    found = parse_atom(body, "2507.20198")
    assert (found.venue, found.doi) == ("TMLR 2026", "10.1000/xyz.1")


@pytest.mark.parametrize(("name", "wanted", "message"), [
    ("arxiv-unknown.xml", "2507.99999", "arXiv has no paper 2507.99999; check the id"),
    ("arxiv-2507.20198.xml", "2507.20199", "arXiv has no paper 2507.20199; check the id"),  # another paper
    ("arxiv-malformed.xml", "2507.20198", "not an Atom feed"),
    ("doi-404.html", "2507.20198", "not an Atom feed"),
])
def test_atom_failures_are_one_line(name, wanted, message):
    with pytest.raises(LookupFailed, match=message) as info:
        parse_atom((FETCH_DATA / name).read_bytes(), wanted)
    assert "\n" not in str(info.value)


def test_atom_error_entry_and_entities():
    error = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format'
             b'_for_1234</id><title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>')
    with pytest.raises(LookupFailed, match="incorrect id format for 1234; check the id"):
        parse_atom(error, "1234")
    bomb = b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom"/>'
    with pytest.raises(LookupFailed, match="DOCTYPE"):
        parse_atom(bomb, "2507.20198")


def test_csl_json_and_bibtex_of_a_doi_agree():
    csl = parse_csl_json((FETCH_DATA / "doi-10.1109-cvpr.2016.90.json").read_bytes(), DOI)
    bib = parse_bibtex((FETCH_DATA / "doi-10.1109-cvpr.2016.90.bib").read_bytes(), DOI)
    for found in (csl, bib):
        assert found.title == "Deep Residual Learning for Image Recognition"
        assert found.authors == ["He, Kaiming", "Zhang, Xiangyu", "Ren, Shaoqing", "Sun, Jian"]
        assert (found.year, found.month, found.doi) == ("2016", 6, DOI)
        assert found.venue == "2016 IEEE Conference on Computer Vision and Pattern Recognition (CVPR)"
        assert found.venue_kind == "proceedings"
        assert found.url == f"https://doi.org/{DOI}"


def test_csl_json_escapes_names_and_strips_jats():
    body = (b'{"title": ["A & B"], "type": "journal-article", "container-title": ["J. Tests"],'
            b' "author": [{"family": "O_Neil", "given": "Pat"}, {"literal": "Qwen Team"}],'
            b' "issued": {"date-parts": [[2024]]}, "abstract": "<jats:p>Fast &amp; small.</jats:p>"}')
    found = parse_csl_json(body, "10.1/x")
    assert found.authors == ["O\\_Neil, Pat", "{Qwen Team}"]
    assert (found.title, found.venue, found.venue_kind, found.year, found.month) == \
        ("A & B", "J. Tests", "journal", "2024", 0)
    assert found.abstract == "Fast & small."


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b"{}", b'{"title": 3}', b"\xff\xfe", b"[" * 5000])
def test_malformed_csl_json(body):
    with pytest.raises(LookupFailed):
        parse_csl_json(body, "10.1/x")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_parsers_never_raise_anything_but_lookup_failed(body):
    for parse in (lambda b: parse_atom(b, "2507.20198"), lambda b: parse_csl_json(b, "10.1/x"),
                  lambda b: parse_bibtex(b, "10.1/x")):
        try:
            parse(body)
        except LookupFailed as exc:
            assert "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["title", "author", "issued", "family", "given", "literal", "date-parts",
                                         "container-title", "type", "DOI", "abstract"]), inner, max_size=5),
                    max_leaves=20))
def test_csl_parser_on_junk_json(value):
    import json
    try:
        parse_csl_json(json.dumps(value).encode(), "10.1/x")
    except LookupFailed:
        pass


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet='<>/="abcdeintryuthorlsm:&; x\n', max_size=300))
def test_atom_parser_on_junk_xml(text):
    body = f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2507.20198</id>{text}'
    try:
        parse_atom(body.encode(), "2507.20198")
    except LookupFailed:
        pass


# -- HTTP, against the local server --------------------------------------------------------------------------


def test_arxiv_over_http(lookup_server):
    lookup_server.route(ARXIV_QUERY, Reply(200, "arxiv-2507.20198.xml", {"Content-Type": "application/atom+xml"}))
    found = Client().arxiv("2507.20198")
    assert found.authors == AUTHORS
    path, headers = lookup_server.requests[0]
    assert path == ARXIV_QUERY and headers["User-Agent"].startswith("sphinx-tc-ext/")


@pytest.mark.parametrize(("content_type", "name"), [("application/vnd.citationstyles.csl+json", "doi-10.1109-cvpr"
                                                     ".2016.90.json"), ("application/x-bibtex", "doi-10.1109-cvpr."
                                                                        "2016.90.bib")])
def test_doi_content_negotiation(lookup_server, content_type, name):
    lookup_server.route(f"/doi/{DOI}", Reply(200, name, {"Content-Type": content_type}))
    found = Client().doi(DOI)
    assert found.title == "Deep Residual Learning for Image Recognition" and found.year == "2016"
    assert "application/vnd.citationstyles.csl+json" in lookup_server.requests[0][1]["Accept"]


def test_unknown_doi(lookup_server):
    lookup_server.route("/doi/10.1109/cvpr.2016.99999", Reply(404, "doi-404.html", {"Content-Type": "text/html"}))
    with pytest.raises(LookupFailed, match=r"^127\.0\.0\.1:\d+ does not know DOI 10.1109/cvpr.2016.99999 \(HTTP 404\)"):
        Client().doi("10.1109/cvpr.2016.99999")


def test_429_with_a_short_retry_after_is_waited_for_once(lookup_server):
    lookup_server.route(ARXIV_QUERY, Reply(429, "arxiv-429.txt", {"Retry-After": "2"}),
                        Reply(200, "arxiv-2507.20198.xml"))
    slept: list[float] = []
    assert Client(sleep=slept.append).arxiv("2507.20198").title == TITLE
    assert slept == [2.0] and len(lookup_server.requests) == 2


@pytest.mark.parametrize(("retry_after", "message"), [("120", "try again in 120 s"), (None, "try again later")])
def test_429_with_a_long_or_no_retry_after_fails(lookup_server, retry_after, message):
    headers = {"Retry-After": retry_after} if retry_after else {}
    lookup_server.route(ARXIV_QUERY, Reply(429, "arxiv-429.txt", headers))
    slept: list[float] = []
    with pytest.raises(LookupFailed, match=f"rate-limiting requests \\(HTTP 429\\); {message}"):
        Client(sleep=slept.append).arxiv("2507.20198")
    assert slept == [] and len(lookup_server.requests) == 1


def test_a_second_429_fails(lookup_server):
    lookup_server.route(ARXIV_QUERY, Reply(429, "arxiv-429.txt", {"Retry-After": "1"}))
    with pytest.raises(LookupFailed, match="rate-limiting"):
        Client(sleep=lambda s: None).arxiv("2507.20198")
    assert len(lookup_server.requests) == 2


def test_slow_answer_times_out(lookup_server):
    lookup_server.route(ARXIV_QUERY, Reply(200, "arxiv-2507.20198.xml", delay=1.5))
    with pytest.raises(LookupFailed, match=r"did not answer within 0.3 s for arXiv 2507.20198; try again later"):
        Client(timeout=0.3).arxiv("2507.20198")


def test_malformed_body_over_http(lookup_server):
    lookup_server.route(ARXIV_QUERY, Reply(200, "arxiv-malformed.xml"))
    with pytest.raises(LookupFailed, match="not an Atom feed"):
        Client().arxiv("2507.20198")


def test_unreachable_server(monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LookupFailed, match=r"cannot reach 127.0.0.1:\d+ for arXiv 2507.20198 .*--offline"):
        Client(arxiv_api=f"http://127.0.0.1:{port}/api/query").arxiv("2507.20198")


def test_base_urls_must_be_http(monkeypatch):
    monkeypatch.setenv("TC_ARXIV_API", "file:///etc/passwd")
    with pytest.raises(LookupFailed, match="TC_ARXIV_API='file:///etc/passwd' is not an http"):
        Client()


def test_arxiv_rate_limit_spaces_calls_by_three_seconds():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(lookup.ARXIV_INTERVAL)
    limit.wait(lambda: now[0], sleep)
    now[0] += 1.0
    limit.wait(lambda: now[0], sleep)
    now[0] += 5.0
    limit.wait(lambda: now[0], sleep)
    assert slept == [2.0]
    assert lookup.ARXIV_INTERVAL == 3.0


def test_retry_after_as_a_date():
    assert lookup.retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert lookup.retry_after_seconds("soon") is None


def test_the_network_guard_stops_a_real_connection(no_network):
    with pytest.raises(OSError, match="must not use the network"):
        urllib.request.urlopen("http://example.org/", timeout=1)
    assert no_network == ["resolve example.org"]
    no_network.clear()  # the guard worked; let the test pass
