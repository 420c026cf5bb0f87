"""``tc-survey enrich``: abstracts, DOIs and published venues filled from arXiv and doi.org (a local server)."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext import cli
from sphinx_tc_ext.cli import enrich
from sphinx_tc_ext.core import lint
from sphinx_tc_ext.core.codes import CODES_BY_ID, ERROR
from sphinx_tc_ext.core.lookup import Found, LookupFailed, parse_atom_batch
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import FETCH_DATA, SURVEY_TAXONOMY, Reply, survey_folder

TAXONOMY = SURVEY_TAXONOMY
BATCH = "/api/query?id_list=2507.20198,2508.01548&max_results=2"
SURVEY = "/api/query?id_list=2507.20198&max_results=1"
GLIMPSE_DOI = "/doi/10.1109/ICCV.2025.00123"
RESNET_DOI = "/doi/10.1109/CVPR.2016.90"
CSL = {"Content-Type": "application/vnd.citationstyles.csl+json"}

GLIMPSE = """@Article{zeng2025glimpse,
  title = {A Glimpse to Compress},
  author = {Zeng, Quan-Sheng},
  journal = "arXiv preprint arXiv:2508.01548",
  eprint = {2508.01548},
  year = 2025,
  month = aug,
  areas = {image},
  shortvenue = {arXiv 2025.08},
  added = {2025-08-14}
}"""

BIB = """% my survey
@string{cvpr = {CVPR}}

@article{shao2025tokens,
  title = {When Tokens Talk Too Much},
  author = {Shao, Kele},
  journal = {arXiv preprint arXiv:2507.20198},
  eprint = {2507.20198},
  archivePrefix = {arXiv},
  year = {2025},
  month = jul,
  areas = {survey},
  shortvenue = {arXiv 2025.07},
  added = {2025-07-29},
}

GLIMPSE_PLACEHOLDER

@inproceedings{he2016deep,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming},
  booktitle = cvpr,
  year = {2016},
  doi = {10.1109/CVPR.2016.90},
  areas = {image},
  added = {2025-08-20},
}

@misc{noid2025,
  title = {No Identifier},
  author = {Nobody, A.},
  year = {2025},
  areas = {image},
  added = {2025-08-20},
}
""".replace("GLIMPSE_PLACEHOLDER", GLIMPSE)

SURVEY_ABSTRACT = (FETCH_DATA / "arxiv-2507.20198.xml").read_text(encoding="utf-8") \
    .split("<summary>")[1].split("</summary>")[0]
SURVEY_ABSTRACT = " ".join(SURVEY_ABSTRACT.split())
GLIMPSE_ABSTRACT = ("Visual token compression is critical for Large Vision-Language Models (LVLMs) to efficiently "
                    "process high-resolution inputs. We propose a human-inspired glimpse-based pruning that keeps "
                    "the tokens a question needs and drops the rest, with 100\\% of the accuracy at a fraction of "
                    "the cost.")
ICCV = "Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)"

WRITTEN = BIB.replace("""  month = jul,
""", f"""  month = jul,
  abstract = {{{SURVEY_ABSTRACT}}},
""").replace(GLIMPSE, f"""@Inproceedings{{zeng2025glimpse,
  title = {{A Glimpse to Compress}},
  author = {{Zeng, Quan-Sheng}},
  eprint = {{2508.01548}},
  year = 2025,
  month = aug,
  booktitle = {{{ICCV}}},
  doi = {{10.1109/ICCV.2025.00123}},
  abstract = {{{GLIMPSE_ABSTRACT}}},
  areas = {{image}},
  shortvenue = {{ICCV 2025}},
  added = {{2025-08-14}},
  updated = {{2026-01-02}}
}}""")
assert WRITTEN.count("abstract") == 2


@pytest.fixture
def bib(tmp_path, monkeypatch):
    path = survey_folder(tmp_path, monkeypatch, BIB.encode())
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return path


def serve_all(server) -> None:
    server.route(BATCH, Reply(200, "arxiv-batch-2507.20198-2508.01548.xml", {"Content-Type": "application/atom+xml"}))
    server.route(GLIMPSE_DOI, Reply(200, "doi-10.1109-iccv.2025.00123.json", CSL))
    server.route(RESNET_DOI, Reply(200, "doi-10.1109-cvpr.2016.90.json", CSL))
    server.route(SURVEY, Reply(200, "arxiv-2507.20198.xml", {"Content-Type": "application/atom+xml"}))


def run(*argv: str) -> int:
    return cli.main(["enrich", "--updated", "2026-01-02", *argv])


def short(text: str) -> str:
    return text if len(text) <= 72 else text[:69] + "..."


EXPECTED_REPORT = [
    f"refs/survey.bib:4: shao2025tokens: abstract: (none) -> {short(SURVEY_ABSTRACT)}",
    "refs/survey.bib:17: zeng2025glimpse: type: @Article -> @inproceedings",
    f"refs/survey.bib:17: zeng2025glimpse: abstract: (none) -> {short(GLIMPSE_ABSTRACT)}",
    "refs/survey.bib:17: zeng2025glimpse: doi: (none) -> 10.1109/ICCV.2025.00123",
    f"refs/survey.bib:17: zeng2025glimpse: booktitle: (none) -> {short(ICCV)}",
    "refs/survey.bib:20: zeng2025glimpse: journal: arXiv preprint arXiv:2508.01548 -> (removed)",
    "refs/survey.bib:25: zeng2025glimpse: shortvenue: arXiv 2025.08 -> ICCV 2025",
    "refs/survey.bib:17: zeng2025glimpse: updated: (none) -> 2026-01-02",
]


def test_a_dry_run_reports_every_change_and_writes_nothing(bib, lookup_server, capsys):
    serve_all(lookup_server)
    before = bib.read_bytes()
    assert run() == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == EXPECTED_REPORT
    assert "8 change(s) in 2 of 3 entries looked up; nothing written (dry run): pass --write" in err
    assert bib.read_bytes() == before
    # one arXiv query for both ids; the DOIs of the published version and of the entry without an abstract
    assert [p for p, _ in lookup_server.requests] == [BATCH, GLIMPSE_DOI, RESNET_DOI]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_write_changes_only_the_filled_fields(bib, lookup_server, capsys, newline):
    serve_all(lookup_server)
    bib.write_bytes(b"\xef\xbb\xbf" + BIB.replace("\n", newline).encode())
    assert run("--write") == 0
    assert bib.read_bytes() == b"\xef\xbb\xbf" + WRITTEN.replace("\n", newline).encode()
    assert "written to refs/survey.bib" in capsys.readouterr().err
    problems = lint.check_paths([str(bib)], load_taxonomy("refs/taxonomy.toml"))
    assert [p for p in problems if CODES_BY_ID[p.code].severity == ERROR] == []
    lookup_server.requests.clear()
    assert run("--write") == 0  # nothing left to fill: the second run changes nothing
    assert bib.read_bytes() == b"\xef\xbb\xbf" + WRITTEN.replace("\n", newline).encode()
    assert "0 change(s)" in capsys.readouterr().err


def test_present_fields_are_kept_unless_overwrite(bib, lookup_server, capsys):
    serve_all(lookup_server)
    bib.write_text(BIB.replace("  month = jul,\n", "  month = jul,\n  abstract = {Mine.},\n"), encoding="utf-8")
    assert run("--key", "shao2025tokens") == 0
    assert capsys.readouterr().out == ""
    assert run("--key", "shao2025tokens", "--overwrite", "--write") == 0
    expected = f"refs/survey.bib:12: shao2025tokens: abstract: Mine. -> {short(SURVEY_ABSTRACT)}\n"
    assert capsys.readouterr().out == expected
    assert f"  abstract = {{{SURVEY_ABSTRACT}}},\n" in bib.read_text(encoding="utf-8")


def test_key_and_limit_select_entries(bib, lookup_server, capsys):
    serve_all(lookup_server)
    assert run("--key", "HE2016DEEP") == 0
    assert capsys.readouterr().out == ""  # doi.org has no abstract for it
    assert [p for p, _ in lookup_server.requests] == [RESNET_DOI]
    assert run("--key", "he2016dep") == 2
    assert "no entry 'he2016dep' in refs/survey.bib (did you mean 'he2016deep'?)" in capsys.readouterr().err
    lookup_server.requests.clear()
    assert run("--limit", "1") == 0
    assert [p for p, _ in lookup_server.requests] == [SURVEY]


def test_only_limits_the_kinds_of_fields(bib, lookup_server, capsys):
    serve_all(lookup_server)
    assert run("--only", "doi") == 0
    assert capsys.readouterr().out.splitlines() == [EXPECTED_REPORT[3]]


def test_offline_is_refused(bib, lookup_server, capsys):
    assert run("--offline", "--write") == 2
    assert "enrich only fetches from arXiv and doi.org" in capsys.readouterr().err
    assert lookup_server.requests == []


@pytest.mark.parametrize(("reply", "message"), [
    (Reply(429, "arxiv-429.txt", {"Retry-After": "600"}), r"rate-limiting requests \(HTTP 429\); try again in 600 s"),
    (Reply(404, "doi-404.html"), r"does not know arXiv 2507.20198 and 1 more \(HTTP 404\); check the id"),
    (Reply(200, "arxiv-malformed.xml"), "arXiv sent a response that is not an Atom feed; try again later"),
    (Reply(200, "arxiv-unknown.xml"), "arXiv has no paper 2507.20198; check the id"),
    (Reply(200, "arxiv-batch-2507.20198-2508.01548.xml", delay=2.0), r"did not answer within 0.5 s"),
])
def test_arxiv_failures_are_one_line_per_entry_and_nothing_is_written(bib, lookup_server, monkeypatch, capsys,
                                                                     reply, message):
    import re

    monkeypatch.setenv("TC_LOOKUP_TIMEOUT", "0.5")
    serve_all(lookup_server)
    lookup_server.route(BATCH, reply)
    before = bib.read_bytes()
    assert run("--write") == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines[0].startswith("refs/survey.bib:4: shao2025tokens: ") and re.search(message, lines[0]), err
    assert lines[-1].endswith("lookup(s) failed, so nothing was written: run again later, or leave those entries "
                              "out with --key")
    assert "Traceback" not in err and out == ""  # doi.org knows no abstract of he2016deep: nothing to report
    assert bib.read_bytes() == before


def test_one_failing_entry_does_not_hide_the_others(bib, lookup_server, capsys):
    serve_all(lookup_server)
    lookup_server.route(GLIMPSE_DOI, Reply(404, "doi-404.html"))
    before = bib.read_bytes()
    assert run("--write") == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == EXPECTED_REPORT[:1]
    assert "refs/survey.bib:17: zeng2025glimpse: 127.0.0.1:" in err
    assert "does not know DOI 10.1109/ICCV.2025.00123 (HTTP 404)" in err
    assert err.count("\n") == 2
    assert bib.read_bytes() == before


def test_batches_keep_the_arxiv_delay(bib, lookup_server, monkeypatch, capsys):
    monkeypatch.setattr(enrich, "ARXIV_BATCH", 1)
    monkeypatch.setenv("TC_ARXIV_DELAY", "0.4")
    for arxiv_id in ("2507.20198", "2508.01548"):
        lookup_server.route(f"/api/query?id_list={arxiv_id}&max_results=1",
                            Reply(200, "arxiv-batch-2507.20198-2508.01548.xml"))
    lookup_server.route(GLIMPSE_DOI, Reply(200, "doi-10.1109-iccv.2025.00123.json", CSL))
    lookup_server.route(RESNET_DOI, Reply(200, "doi-10.1109-cvpr.2016.90.json", CSL))
    started = time.monotonic()
    assert run("--only", "abstract") == 0
    assert time.monotonic() - started >= 0.4
    assert [p for p, _ in lookup_server.requests][:2] == ["/api/query?id_list=2507.20198&max_results=1",
                                                         "/api/query?id_list=2508.01548&max_results=1"]
    assert capsys.readouterr().out.splitlines() == [EXPECTED_REPORT[0], EXPECTED_REPORT[2]]


def test_a_bad_delay_is_one_line(bib, lookup_server, monkeypatch, capsys):
    monkeypatch.setenv("TC_ARXIV_DELAY", "soon")
    assert run() == 2
    assert capsys.readouterr().err == "tc-survey enrich: TC_ARXIV_DELAY is not a number of seconds; fix or unset it\n"


BATCH_BODY = (FETCH_DATA / "arxiv-batch-2507.20198-2508.01548.xml").read_bytes()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["2507.20198", "2508.01548", "2401.00001", "2312.12345"]), min_size=1,
                max_size=4, unique=True))
def test_a_batch_answers_for_every_id_asked(ids):
    results = parse_atom_batch(BATCH_BODY, ids)
    assert list(results) == ids or set(results) == set(ids)
    for arxiv_id, result in results.items():
        if arxiv_id in ("2507.20198", "2508.01548"):
            assert isinstance(result, Found) and result.eprint == arxiv_id
        else:
            assert isinstance(result, LookupFailed) and str(result) == f"arXiv has no paper {arxiv_id}; check the id"


def test_an_unreadable_bib_is_one_line(bib, lookup_server, capsys):
    bib.write_bytes(BIB.encode().replace(b"Nobody", b"Nob\xf6dy"))
    assert run() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("refs/survey.bib:1: the bib is not UTF-8")
    bib.unlink()
    assert run() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("refs/survey.bib:1: cannot read the bib")
    assert lookup_server.requests == []


def test_no_connection_is_one_line_per_entry(bib, lookup_server, monkeypatch, capsys):
    monkeypatch.setenv("TC_ARXIV_API", "http://127.0.0.1:1/api/query")  # nothing listens on port 1
    serve_all(lookup_server)
    before = bib.read_bytes()
    assert run("--write", "--only", "doi") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("refs/survey.bib:4: shao2025tokens: cannot reach 127.0.0.1:1 for arXiv 2507.20198 and "
                             "1 more (")
    assert err[1].startswith("refs/survey.bib:17: zeng2025glimpse: cannot reach 127.0.0.1:1")
    assert len(err) == 3 and bib.read_bytes() == before


# -- every byte that is not a filled field stays ----------------------------------------------------------


@st.composite
def written_bibs(draw) -> tuple[str, str]:
    """A bib in one of many hand-written layouts (line ends, indentation, quoting, '=' spacing, comments)."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["  ", "\t", "    ", ""]))
    parts = [f"@string{{cvpr = {{CVPR}}}}{nl}"]
    for i in range(draw(st.integers(1, 4))):
        parts.append(draw(st.sampled_from(["", f"% a note{nl}", f"@comment{{kept}}{nl}", nl, f"{nl}{nl}"])))
        sep = draw(st.sampled_from([" = ", "=", " =  "]))
        title = f'"T{i}"' if draw(st.booleans()) else f"{{T{i}}}"
        fields = [("title", title), ("author", "{A, B}"), ("year", "2025")]
        fields.append(("journal", f"{{arXiv preprint arXiv:2507.2019{i}}}") if draw(st.booleans())
                      else ("booktitle", "cvpr"))
        fields.append(("eprint", f"{{2507.2019{i}}}"))
        if draw(st.booleans()):
            fields.append(("abstract", "{Mine.}"))
        fields.append(("added", "{2025-07-29}"))
        body = ("," + nl).join(f"{indent}{name}{sep}{value}" for name, value in fields)
        trailing = "," if draw(st.booleans()) else ""
        parts.append(f"@article{{k{i},{nl}{body}{trailing}{nl}}}{nl}")
    return "".join(parts), nl


@settings(max_examples=60, deadline=None)
@given(written_bibs())
def test_edits_keep_every_other_byte(case):
    from sphinx_tc_ext.awesome.bibedit import BibEditor
    from sphinx_tc_ext.core.bibsyntax import canonical_order, flatten, tokenize

    text, nl = case
    taxonomy = load_taxonomy(TAXONOMY)
    blocks = tokenize(text)
    editor = BibEditor(text, canonical_order(taxonomy))
    planned = {}
    for block in blocks:
        if block.kind != "entry":
            continue
        target = enrich.plan(block, False, set(enrich.FILLED))
        target.found = Found("arXiv", abstract="New & 50% better", doi=f"10.1000/{block.key}", venue="ICCV 2025",
                             year="2025")
        entry_type, edits = enrich.edits_for(target, "2026-01-02")
        editor.edit(block, entry_type, edits)
        planned[block.key] = (target, entry_type, edits)
    result = editor.result([])
    after = tokenize(result)
    assert [b.source for b in after if b.kind != "entry"] == [b.source for b in blocks if b.kind != "entry"]
    if nl == "\r\n":
        assert "\n" not in result.replace("\r\n", "")
    old_entries, new_entries = [b for b in blocks if b.kind == "entry"], [b for b in after if b.kind == "entry"]
    for old, new in zip(old_entries, new_entries, strict=True):
        target, entry_type, edits = planned[old.key]
        assert new.key == old.key and new.entry_type.lower() == (entry_type or old.entry_type.lower())
        for f in old.fields:
            if f.lname not in edits:  # untouched: the very same bytes (a last field's span ends with the spaces)
                g = new.get(f.lname)
                assert g is not None
                assert result[g.value_start:g.value_end].rstrip() == text[f.value_start:f.value_end].rstrip()
        for name, value in edits.items():
            g = new.get(name)
            assert (g is None) if value is None else (g is not None and flatten(g.pieces) == value)
        assert ("abstract" in edits) == ("abstract" not in target.values)
        assert new.get("abstract") is not None and new.get("doi") is not None
        if "venue" in target.wants:
            assert flatten(new.get("booktitle").pieces).endswith("(ICCV)") and new.get("journal") is None
