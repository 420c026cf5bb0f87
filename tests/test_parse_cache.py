"""The per-entry parse cache (ChunkCache): a warm parse equals a cold one, and re-parses only what changed."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_tc_ext.cache import parse_cache
from sphinx_tc_ext.cache.parse_cache import (
    ChunkCache,
    ParseStats,
    cache_context,
    clear_memory_cache,
    dependency_versions,
    last_parse,
    load_bibliography,
    parse_in_parallel,
)
from sphinx_tc_ext.cli._common import load_for_command
from sphinx_tc_ext.core.bibread import chunk_spans, entry_starts, parse_bib_text
from sphinx_tc_ext.core.taxonomy import load_taxonomy
from tc_testing import REPO, ROOTS, read

CACHE_FILE = "tc-bib-chunks.pickle"
TAXONOMY_PATH = REPO / "tests" / "data" / "corpus" / "taxonomy.toml"
TAXONOMY = load_taxonomy(TAXONOMY_PATH)
SURVEY = read(REPO / "tests" / "data" / "corpus" / "survey.bib")
BROKEN = read(ROOTS / "test-broken" / "refs" / "broken.bib")
BIBS = {"survey": ("refs/survey.bib", SURVEY), "broken": ("refs/broken.bib", BROKEN)}

NEW_ENTRY = """@article{inserted2025top,
  title = {An Entry Inserted at the Top},
  author = {Top, Tina},
  journal = {Journal of Tests},
  year = {2025},
  areas = {video},
}

"""


@pytest.fixture(autouse=True)
def fresh_memory_cache():
    """Every test starts as a new process would: nothing parsed in memory yet."""
    clear_memory_cache()


# -- helpers ------------------------------------------------------------------------------


def snapshot(bib) -> dict:
    """Everything a parse produces, in order: papers (all fields, digest, field lines), problems, preamble."""
    return {
        "path": bib.path,
        "keys": list(bib.papers),
        "papers": [(dataclasses.asdict(p), p.digest, dict(p.field_lines)) for p in bib.papers.values()],
        "problems": [(p.path, p.line, p.subtype, p.message, p.column, p.code) for p in bib.problems],
        "preamble": bib.preamble,
    }


def reloaded(cache: ChunkCache) -> ChunkCache:
    """The cache as the next process reads it back from its file (pickled, no object shared)."""
    return ChunkCache(*pickle.loads(pickle.dumps((cache.context, cache.chunks), protocol=pickle.HIGHEST_PROTOCOL)))


def filled(text: str, path: str, taxonomy=TAXONOMY) -> ChunkCache:
    cache = ChunkCache()
    parse_bib_text(text, path, taxonomy, cache)
    return reloaded(cache)


def assert_lines_match_text(bib, text: str) -> None:
    """A check that shares no code with the parser: a paper's line holds its ``@type{key,``, a field's its name."""
    lines = text.split("\n")
    for key, paper in bib.papers.items():
        found = list(re.finditer(r"^([^\n]*?)@\s*\w+\s*[{(]\s*" + re.escape(key) + r"\s*,", text, re.MULTILINE))
        starts = [text.count("\n", 0, m.start()) + 1 for m in found]
        if all(m.group(1).strip() == "" for m in found):
            assert paper.line in starts, (key, paper.line, starts)
        else:  # not first on its line: the entry is dated from the '@' that starts its chunk, further up
            assert re.match(r"\s*@", lines[paper.line - 1]) and paper.line <= max(starts), (key, paper.line)
        for name, number in paper.field_lines.items():
            assert re.search(r"(?i)\b" + re.escape(name) + r"\s*=", lines[number - 1]), (key, name, number)


def warm_and_cold(cache: ChunkCache, text: str, path: str, taxonomy=TAXONOMY):
    warm = parse_bib_text(text, path, taxonomy, cache)
    cold = parse_bib_text(text, path, taxonomy)
    assert snapshot(warm) == snapshot(cold)
    # Digests come with the chunk records: they must be those of the papers as parsed now.
    assert warm.digests() == {key: paper.digest for key, paper in warm.papers.items()} == cold.digests()
    assert_lines_match_text(warm, text)
    return warm, cold


def entry_span(text: str, key: str) -> tuple[int, int]:
    """Start and end of the entry ``key`` (up to the next entry), as the chunker cuts it."""
    found = re.search(r"^@\w+\{" + re.escape(key) + r",.*?(?=^@|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, key
    return found.span()


def entry_text(text: str, key: str) -> str:
    start, end = entry_span(text, key)
    return text[start:end]


def without_entry(text: str, key: str) -> str:
    start, end = entry_span(text, key)
    return text[:start] + text[end:]


def with_title(text: str, key: str, title: str) -> str:
    start, end = entry_span(text, key)
    entry, count = re.subn(r"title = \{.*\},", lambda _m: f"title = {{{title}}},", text[start:end], count=1)
    assert count == 1
    return text[:start] + entry + text[end:]


def second_key(text: str) -> str:
    """The second entry with a well-formed title line (broken.bib's second entry has none)."""
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, re.MULTILINE)
    return [k for k in keys if re.search(r"title = \{.*\},", entry_text(text, k))][1]


def tenth_key(text: str) -> str:
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, re.MULTILINE)
    return keys[min(9, len(keys) - 1)]


def chunk_count(text: str) -> int:
    return len(list(chunk_spans(text)))


def fresh_chunks(stats: ChunkCache | ParseStats | None, text: str) -> list[str]:
    """The text of every chunk of ``text`` the parse counted in ``stats`` parsed afresh, in the order parsed."""
    assert stats is not None, "no parse through a cache directory"
    stats = stats.stats() if isinstance(stats, ChunkCache) else stats
    by_key = {ChunkCache.key(text[start:end]): text[start:end] for start, end in chunk_spans(text)}
    return [by_key[key] for key in stats.fresh]


def loaded_fresh(text: str) -> list[str]:
    """The chunks the last :func:`load_bibliography` parsed afresh (``text``: the bib it read)."""
    return fresh_chunks(last_parse(), text)


# -- warm equals cold ---------------------------------------------------------------------


def edit_title(text: str) -> str:
    return with_title(text, second_key(text), "An Edited Title {\\\"u}ber Everything")


def insert_at_top(text: str) -> str:
    return NEW_ENTRY + text


def delete_entry(text: str) -> str:
    return without_entry(text, second_key(text))


def add_duplicate_key(text: str) -> str:
    """A second copy of the second entry (new title) in the middle, so it shifts every entry below it too."""
    copy = with_title(entry_text(text, second_key(text)), second_key(text), "The Duplicate Copy")
    start, _ = entry_span(text, tenth_key(text))
    return text[:start] + copy + text[start:]


EDITS = {"unchanged": lambda t: t, "title": edit_title, "insert-top": insert_at_top, "delete": delete_entry,
         "duplicate-key": add_duplicate_key}


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("bib", list(BIBS))
def test_warm_parse_after_an_edit_equals_cold(bib, edit):
    path, text = BIBS[bib]
    edited = EDITS[edit](text)
    assert (edited == text) == (edit == "unchanged")
    cache = filled(text, path)
    _, cold = warm_and_cold(cache, edited, path)
    assert cache.reused > 0  # the cache was used, not dropped
    assert len(cold.papers) > 3


def test_edits_move_lines_and_warm_parse_follows():
    """The line numbers of every paper and problem below an insertion move; the cache holds chunk-relative ones."""
    path, text = BIBS["broken"]
    before = parse_bib_text(text, path, TAXONOMY)
    cache = filled(text, path)
    warm, _ = warm_and_cold(cache, insert_at_top(text), path)
    shift = NEW_ENTRY.count("\n")
    for key, paper in before.papers.items():
        moved = warm.get(key)
        assert moved.line == paper.line + shift
        assert moved.field_lines == {name: n + shift for name, n in paper.field_lines.items()}
    assert [p.line for p in warm.problems] == [p.line + shift for p in before.problems]
    where = [re.search(r"at line (\d+):", p.message) for b in (before, warm) for p in b.problems
             if "unbalanced2025" in p.message]
    assert int(where[1].group(1)) == int(where[0].group(1)) + shift
    assert "(first defined at refs/broken.bib:9)" in next(p.message for p in warm.problems if p.subtype == "duplicate")


def test_deleting_the_first_copy_of_a_duplicate_key_validates_the_other():
    path, text = BIBS["broken"]
    cache = filled(text, path)
    start, end = entry_span(text, "good2025first")  # the first copy only
    edited = text[:start] + text[end:]
    warm, _ = warm_and_cold(cache, edited, path)
    assert warm.get("good2025first").title == "Duplicate Key"
    assert not [p for p in warm.problems if p.subtype == "duplicate"]


STRING = '@string{tcven = "Venue Alpha"}\n\n'
USES_STRING = """@inproceedings{macro2025user,
  title = {Uses a Macro},
  author = {Macro, Max},
  booktitle = tcven # " Workshop",
  year = {2025},
  areas = {image},
}

"""


@pytest.mark.parametrize("bib", list(BIBS))
def test_string_macros_and_their_edits(bib):
    path, text = BIBS[bib]
    with_string = STRING + USES_STRING + text
    edited = with_string.replace("Venue Alpha", "Venue Beta")
    dropped = edited.replace(STRING.replace("Alpha", "Beta"), "")
    cache = filled(text, path)

    def warm_parse(new_text: str) -> tuple[object, list[str]]:
        warm = parse_bib_text(new_text, path, TAXONOMY, cache)
        parsed = fresh_chunks(cache, new_text)
        assert snapshot(warm) == snapshot(parse_bib_text(new_text, path, TAXONOMY))
        return warm, parsed

    warm, parsed = warm_parse(with_string)
    assert warm.get("macro2025user").venue == "Venue Alpha Workshop 2025"
    assert len(parsed) == 2  # the @string and its user; nothing else

    cache = reloaded(cache)
    warm, parsed = warm_parse(edited)
    assert warm.get("macro2025user").venue == "Venue Beta Workshop 2025"
    assert len(parsed) == 2 and "macro2025user" in parsed[1]  # the @string, and the entry whose macro read changed

    cache = reloaded(cache)  # the string dropped: its user now reads an undefined macro
    warm, parsed = warm_parse(dropped)
    assert warm.get("macro2025user") is None
    assert any("macro2025user" in p.message and p.subtype == "syntax" for p in warm.problems)
    assert len(parsed) == 1


def renamed_taxonomy(tmp_path: Path):
    """refs/taxonomy.toml with the area value 'image' renamed (and its aliases gone): 'image' is unknown."""
    renamed = tmp_path / "taxonomy.toml"
    text = read(TAXONOMY_PATH).replace('id = "image"', 'id = "picture"')
    text = text.replace('aliases = ["Image-LLM", "Image"]', "aliases = []")
    renamed.write_text(text, encoding="utf-8")
    return load_taxonomy(renamed)


@pytest.mark.parametrize("bib", list(BIBS))
def test_taxonomy_change(bib, tmp_path):
    """A renamed value makes the entries that use it unknown-valued, though no entry's text changed."""
    path, text = BIBS[bib]
    other = renamed_taxonomy(tmp_path)
    cache = filled(text, path, TAXONOMY)
    warm, cold = warm_and_cold(cache, text, path, other)
    assert any("unknown area 'image'" in p.message for p in warm.problems)
    before = parse_bib_text(text, path, TAXONOMY)
    assert snapshot(before) != snapshot(cold)
    # and back: the cache now holds the renamed taxonomy's parse
    warm_and_cold(reloaded(cache), text, path, TAXONOMY)


@pytest.mark.parametrize("bib", list(BIBS))
def test_display_path_change(bib):
    path, text = BIBS[bib]
    cache = filled(text, path)
    warm, _ = warm_and_cold(cache, text, "elsewhere/moved.bib")
    assert {p.path for p in warm.papers.values()} == {"elsewhere/moved.bib"}
    assert {p.path for p in warm.problems} <= {"elsewhere/moved.bib"}


def test_returned_papers_are_copies():
    """A caller that edits a paper it got must not edit the cached parse of the next call."""
    path, text = BIBS["survey"]
    cache = ChunkCache()
    first = parse_bib_text(text, path, TAXONOMY, cache)
    for paper in first.papers.values():
        paper.fields["title"] = "scribbled"
        paper.authors.append("Scribbler")
        paper.facets["area"] = ("scribble",)
        paper.field_lines["title"] = -1
        paper.links.clear()
    warm_and_cold(cache, text, path)  # the same cache object, in the same process


# -- only what changed is parsed ----------------------------------------------------------


@pytest.mark.parametrize("bib", list(BIBS))
def test_only_new_or_changed_chunks_are_parsed(bib):
    path, text = BIBS[bib]
    chunks = chunk_count(text)
    first = ChunkCache()
    parse_bib_text(text, path, TAXONOMY, first)
    assert first.stats().parsed == len(first.stats().fresh) == chunks
    cache = reloaded(first)

    warm = reloaded(cache)
    warm_and_cold(warm, text, path)
    assert warm.stats().parsed == 0 and warm.stats().reused == chunks

    def parsed_warm(edited: str) -> list[str]:
        warm_cache = reloaded(cache)
        parse_bib_text(edited, path, TAXONOMY, warm_cache)
        assert warm_cache.stats().parsed == len(warm_cache.stats().fresh)
        return fresh_chunks(warm_cache, edited)

    assert parsed_warm(text) == []
    titled = parsed_warm(edit_title(text))
    assert len(titled) == 1 and "An Edited Title" in titled[0]
    top = parsed_warm(insert_at_top(text))
    assert len(top) == 1 and "inserted2025top" in top[0]
    assert parsed_warm(delete_entry(text)) == []
    duplicate = parsed_warm(add_duplicate_key(text))
    assert len(duplicate) == 1 and "The Duplicate Copy" in duplicate[0]


def test_a_changed_context_reparses_everything(tmp_path):
    path, text = BIBS["survey"]
    other = renamed_taxonomy(tmp_path)
    cache = filled(text, path)
    for shown, taxonomy in (("moved.bib", TAXONOMY), (path, other)):
        again = reloaded(cache)
        parse_bib_text(text, shown, taxonomy, again)
        assert again.stats().parsed == chunk_count(text) and again.stats().reused == 0


def test_a_repeated_chunk_is_parsed_once():
    path, text = BIBS["survey"]
    doubled = text + entry_text(text, second_key(text))  # the same text twice: one parse serves both
    cache = ChunkCache()
    parse_bib_text(doubled, path, TAXONOMY, cache)
    assert cache.stats().parsed == chunk_count(text) and cache.stats().reused == 1
    warm_and_cold(reloaded(cache), doubled, path)


def test_a_latexcodec_upgrade_drops_the_records(monkeypatch):
    """latexcodec decodes every title and name: records made by another version may differ from a fresh parse."""
    path, text = BIBS["survey"]
    cache = filled(text, path)
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "99.0" if name.lower() == "latexcodec" else real(name))
    dependency_versions.cache_clear()
    try:
        parse_bib_text(text, path, TAXONOMY, cache)
        assert cache.stats().parsed == chunk_count(text)
    finally:
        monkeypatch.undo()
        dependency_versions.cache_clear()


# -- the cache file -----------------------------------------------------------------------


@pytest.fixture
def bib_file(tmp_path) -> Path:
    path = tmp_path / "refs" / "survey.bib"
    path.parent.mkdir()
    path.write_text(SURVEY, encoding="utf-8")
    return path


def cold_of(path: Path, shown: str | None = None):
    return parse_bib_text(read(path), shown or str(path), TAXONOMY)


def test_cache_file_is_written_then_used(bib_file, tmp_path, monkeypatch):
    cache_dir = tmp_path / "doctrees"
    first = load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert (cache_dir / CACHE_FILE).is_file()
    assert snapshot(first) == snapshot(cold_of(bib_file))

    edited = edit_title(SURVEY)
    bib_file.write_text(edited, encoding="utf-8")
    clear_memory_cache()  # a new process
    second = load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(edited)) == 1
    assert snapshot(second) == snapshot(cold_of(bib_file))
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(edited)) == 1  # one entry in 166: the file was left alone, the entry parsed again

    monkeypatch.setattr(parse_cache, "UNSAVED_SHARE", 0)  # any edit is saved
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(edited)) == 1
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert loaded_fresh(edited) == []  # the edit was saved


def test_cache_file_is_rewritten_once_enough_entries_are_new(bib_file, tmp_path):
    """A few edits leave the file alone (writing megabytes costs more than parsing them); many do not."""
    cache_dir = tmp_path / "doctrees"
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    written = (cache_dir / CACHE_FILE).stat().st_mtime_ns
    keys = [key for key in re.findall(r"^@\w+\{([^,]+),", SURVEY, re.MULTILINE)
            if "title = {" in entry_text(SURVEY, key)]
    text = SURVEY
    for key in keys[:2]:
        text = with_title(text, key, "Edited Once")
    bib_file.write_text(text, encoding="utf-8")
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(text)) == 2
    assert (cache_dir / CACHE_FILE).stat().st_mtime_ns == written
    for key in keys[2:10]:
        text = with_title(text, key, "Edited Twice")
    bib_file.write_text(text, encoding="utf-8")
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(text)) == 10  # 10 of 166 is over 2%: saved
    clear_memory_cache()
    cached = load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert loaded_fresh(text) == []
    assert snapshot(cached) == snapshot(cold_of(bib_file))


def moved_macro() -> tuple[str, str, list[str]]:
    """The two definitions of a macro swapped: the @preamble that reads it is parsed again (no entry to validate)."""
    strings = '@string{tcven = "Venue Alpha"}\n\n', '@string{tcven = "Venue Beta"}\n\n'
    preamble = '@preamble{tcven # " preamble"}\n\n'
    return strings[0] + strings[1] + preamble + SURVEY, strings[1] + strings[0] + preamble + SURVEY, []


def moved_copy() -> tuple[str, str, list[str]]:
    """The second copy of a key moved above the first: no chunk is new, but the other copy is validated now."""
    key = second_key(SURVEY)
    copy = with_title(entry_text(SURVEY, key), key, "The Other Copy")
    start, _ = entry_span(SURVEY, key)
    return SURVEY + copy, SURVEY[:start] + copy + SURVEY[start:], [key]


@pytest.mark.parametrize("scenario", [moved_macro, moved_copy])
def test_records_remade_without_new_text_are_saved(scenario, tmp_path, monkeypatch):
    """Same chunks, new or newly validated records: they are saved, so the run after reuses them."""
    before, after, validated_keys = scenario()
    monkeypatch.setattr(parse_cache, "UNSAVED_SHARE", 0)  # any change is saved
    path = tmp_path / "in.bib"
    cache_dir = tmp_path / "doctrees"
    path.write_text(before, encoding="utf-8")
    load_bibliography(path, TAXONOMY, cache_dir=cache_dir)

    path.write_text(after, encoding="utf-8")
    clear_memory_cache()
    bib = load_bibliography(path, TAXONOMY, cache_dir=cache_dir)
    assert len(loaded_fresh(after)) == (0 if validated_keys else 1)
    assert list(last_parse().validated) == validated_keys
    stamp = (cache_dir / CACHE_FILE).stat()

    clear_memory_cache()
    again = load_bibliography(path, TAXONOMY, cache_dir=cache_dir)
    assert loaded_fresh(after) == [] and last_parse().validated == ()
    assert snapshot(again) == snapshot(bib) == snapshot(parse_bib_text(after, str(path), TAXONOMY))
    assert (cache_dir / CACHE_FILE).stat().st_ino == stamp.st_ino
    if validated_keys:
        assert again.get(validated_keys[0]).title == "The Other Copy"
    else:
        assert again.preamble == "Venue Alpha preamble"


def valid_cache_bytes(bib_file: Path, tmp_path: Path) -> bytes:
    load_bibliography(bib_file, TAXONOMY, cache_dir=tmp_path / "good")
    clear_memory_cache()
    return (tmp_path / "good" / CACHE_FILE).read_bytes()


BAD_CACHES = {
    "empty": lambda good: b"",
    "truncated": lambda good: good[: len(good) // 2],
    "garbage": lambda good: b"\x00not a pickle\xff" * 50,
    "flipped": lambda good: good[:100] + bytes(b ^ 0x5A for b in good[100:200]) + good[200:],
    "foreign-dict": lambda good: pickle.dumps({"context": (), "chunks": {}}),
    "foreign-pair": lambda good: pickle.dumps(("context", ["chunks"])),
    "foreign-triple": lambda good: pickle.dumps(((), {}, None)),
    "old-format": lambda good: pickle.dumps(((0, "0.0.1", "0.24", "x", "y", "z"), {b"k" * 20: "not a record"})),
    "missing-class": lambda good: b"cno_such_module\nThing\n.",
}


@pytest.mark.parametrize("kind", list(BAD_CACHES))
def test_bad_cache_file_is_ignored_and_rewritten(kind, bib_file, tmp_path):
    good = valid_cache_bytes(bib_file, tmp_path)
    cache_dir = tmp_path / "doctrees"
    cache_dir.mkdir()
    target = cache_dir / CACHE_FILE
    target.write_bytes(BAD_CACHES[kind](good))
    bib = load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert snapshot(bib) == snapshot(cold_of(bib_file))
    assert target.read_bytes() != BAD_CACHES[kind](good)
    rewritten = ChunkCache.load(cache_dir)
    assert rewritten.context == cache_context(str(bib_file), TAXONOMY)
    assert len(rewritten.chunks) == chunk_count(SURVEY)
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    assert loaded_fresh(SURVEY) == []


@pytest.mark.parametrize("bib", list(BIBS))
def test_file_not_rewritten_when_nothing_changed(bib, tmp_path):
    path = tmp_path / "in.bib"
    path.write_text(BIBS[bib][1], encoding="utf-8")
    cache_dir = tmp_path / "doctrees"
    load_bibliography(path, TAXONOMY, cache_dir=cache_dir)
    target = cache_dir / CACHE_FILE
    before = target.stat()
    clear_memory_cache()
    again = load_bibliography(path, TAXONOMY, cache_dir=cache_dir)
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert snapshot(again) == snapshot(cold_of(path))
    assert not list(cache_dir.glob("*.tmp"))


def test_no_cache_dir_writes_no_file(bib_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bib = load_bibliography(bib_file, TAXONOMY)
    assert snapshot(bib) == snapshot(cold_of(bib_file))
    assert not list(tmp_path.rglob(CACHE_FILE))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["refs", "survey.bib"]


def test_unusable_cache_dir_costs_nothing_but_time(bib_file, tmp_path):
    not_a_dir = tmp_path / "doctrees"
    not_a_dir.write_text("a file where the cache directory should be", encoding="utf-8")
    bib = load_bibliography(bib_file, TAXONOMY, cache_dir=not_a_dir)
    assert snapshot(bib) == snapshot(cold_of(bib_file))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doctrees", "refs"]


def test_write_cache_false_reads_but_leaves_the_file_alone(bib_file, tmp_path):
    cache_dir = tmp_path / "doctrees"
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir, write_cache=False)
    assert not (cache_dir / CACHE_FILE).exists()
    clear_memory_cache()
    load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir)
    before = (cache_dir / CACHE_FILE).stat()
    edited = edit_title(SURVEY)
    bib_file.write_text(edited, encoding="utf-8")
    clear_memory_cache()
    bib = load_bibliography(bib_file, TAXONOMY, cache_dir=cache_dir, write_cache=False)
    assert len(loaded_fresh(edited)) == 1  # read the file...
    assert snapshot(bib) == snapshot(cold_of(bib_file))
    after = (cache_dir / CACHE_FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # ...but did not write it


def test_command_line_read(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "broken.bib"
    broken.write_text(BROKEN, encoding="utf-8")
    bib = load_for_command(broken, TAXONOMY)
    assert snapshot(bib) == snapshot(cold_of(broken))
    printed = capsys.readouterr().err.splitlines()
    assert printed == [str(p) for p in bib.problems] and len(printed) == 12
    only_broken = tmp_path / "only.bib"
    only_broken.write_text(entry_text(BROKEN, "unbalanced2025"), encoding="utf-8")
    assert load_for_command(only_broken, TAXONOMY) is None
    assert not list(tmp_path.rglob(CACHE_FILE))


# -- property: random bibs, random edits --------------------------------------------------

TEMPLATES = [
    "@article{{k{n},\n  title = {{Title {n}}},\n  author = {{Doe, Jane{n} and Roe, R.}},\n  journal = {{J}},\n"
    "  year = {{2025}},\n  areas = {{image}},\n}}\n\n",
    '@string{{ven = "Venue {n}"}}\n',
    "@inproceedings{{k{n},\n  title = {{Macro {n}}},\n  booktitle = ven # {{ {n}}},\n  year = 2024,\n"
    "  month = mar,\n  areas = {{vidoe, audio}},\n  cost = {{training-free, training-based}},\n}}\n\n",
    "@article{{k{n},\n  title = {{Unbalanced {{x{n},\n  year = {{2025}},\n}}\n\n",
    '@preamble{{"pre{n}"}}\n',
    "@article{{, title = {{no key {n}}}}}\n",
    "@misc{{K{n}, title = {{Case {n}}}, year = {{20x5}}, url = {{ftp://x}}}} "
    "@misc{{same{n}, title = {{Same line}}, year = {{2025}}, areas = {{audio}}}}\n",
    "% a comment line {n}\n\n",
    "@article{{k{n}, title = {{Undefined macro}}, journal = nomacro{n}, year = {{2025}}, areas = {{image}}}}\n",
    "@comment{{ @article{{c{n}, title = {{inside a comment}}, year = {{2025}}, areas = {{image}}}} }}\n",
    "@article(p{n}, title = {{Parens}}, author = {{Who, Al}}, year = {{2023}}, areas = {{image}},\n"
    "  added = {{2023-02-30}})\n",
    "@string{{ven = ven # \" extended\"}}\n",
]

piece = st.tuples(st.integers(0, len(TEMPLATES) - 1), st.integers(0, 3)).map(lambda t: TEMPLATES[t[0]].format(n=t[1]))
edit = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 20), piece),
    st.tuples(st.just("delete"), st.integers(0, 20), st.none()),
    st.tuples(st.just("retitle"), st.integers(0, 20), st.text("abc{} \n", max_size=5)),
    st.tuples(st.just("swap"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("revenue"), st.integers(0, 20), st.sampled_from(["Venue 9", "", "ven"])),
)


def apply(parts: list[str], change) -> list[str]:
    what, i, arg = change
    parts = list(parts)
    if what == "insert":
        parts.insert(i % (len(parts) + 1), arg)
    elif parts:
        i %= len(parts)
        if what == "delete":
            del parts[i]
        elif what == "retitle":
            parts[i] = parts[i].replace("title = {", "title = {" + arg, 1)
        elif what == "swap":
            j = arg % len(parts)
            parts[i], parts[j] = parts[j], parts[i]
        else:
            parts[i] = re.sub(r'"Venue \d"', f'"{arg}"', parts[i])
    return parts


@settings(max_examples=150, deadline=None)
@given(st.lists(piece, min_size=1, max_size=8), st.lists(st.lists(edit, max_size=3), min_size=1, max_size=3))
def test_property_warm_equals_cold(parts, rounds):
    """Each round's text is parsed warm from the previous round's cache, on disk (pickled) and in memory."""
    texts = ["".join(parts)]
    for changes in rounds:
        for change in changes:
            parts = apply(parts, change)
        texts.append("".join(parts))
    on_disk = ChunkCache()
    in_memory = ChunkCache()
    for text in texts:
        cold_bib = parse_bib_text(text, "x.bib", TAXONOMY)
        assert_lines_match_text(cold_bib, text)
        cold = snapshot(cold_bib)
        assert snapshot(parse_bib_text(text, "x.bib", TAXONOMY, on_disk)) == cold
        assert snapshot(parse_bib_text(text, "x.bib", TAXONOMY, in_memory)) == cold
        on_disk = reloaded(on_disk)


# -- Sphinx -------------------------------------------------------------------------------


def test_sphinx_builds_keep_the_cache_in_the_doctree_dir(copy_root, make_app):
    src = copy_root()
    app = make_app("html", srcdir=src)
    app.build()
    cache_file = Path(app.doctreedir) / CACHE_FILE
    assert cache_file.is_file()
    assert list(Path(src).rglob(CACHE_FILE)) == [cache_file]  # one file only, the doctree dir's
    assert "LLaVA-PruMerge: Adaptive" in read(Path(app.outdir) / "papers.html")
    app.cleanup()

    bib = src / "refs" / "survey.bib"
    bib.write_text(read(bib).replace("{LLaVA-PruMerge}: Adaptive", "{LLaVA-PruMerge}: Cached Edit"), encoding="utf-8")
    clear_memory_cache()  # as a new sphinx-build process
    app2 = make_app("html", srcdir=src)
    app2.build()
    parsed = loaded_fresh(read(bib))
    assert len(parsed) == 1 and "Cached Edit" in parsed[0]
    page = read(Path(app2.outdir) / "papers.html")
    assert "LLaVA-PruMerge: Cached Edit" in page
    assert "LLaVA-PruMerge: Adaptive" not in page
    cache = ChunkCache.load(app2.doctreedir)
    assert len(cache.chunks) == chunk_count(read(bib))
    app2.cleanup()


# -- parsing in several processes (-j N) -----------------------------------------------------


def grown_with_macros(copies: int) -> str:
    """The survey copied under new keys, an @string defined half-way (used after it, and redefined
    later), a broken entry and a duplicate key: what the shares of a parallel parse must agree on."""
    pieces = [STRING]  # in the first share; its user in the last
    for n in range(copies):
        pieces.append(re.sub(r"(@\w+\{)([^,\s]+),", lambda m, n=n: f"{m.group(1)}{m.group(2)}x{n},", SURVEY))
    pieces.append(USES_STRING)
    pieces.append(STRING.replace("Alpha", "Gamma") + USES_STRING.replace("macro2025user", "macro2025late"))
    pieces.append("@article{broken2025x, title = {Unclosed\n\n")
    pieces.append(USES_STRING.replace("Uses a Macro", "Uses It Again"))  # a duplicate key
    return "".join(pieces)


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_parallel_parse_equals_the_serial_one(jobs):
    text = grown_with_macros(4)
    cache = ChunkCache()
    cache.begin(text, "refs/survey.bib", TAXONOMY)
    given = parse_in_parallel(text, "refs/survey.bib", TAXONOMY, cache, jobs, minimum=10)
    chunks = text.count("\n@")
    assert chunks * (jobs - 1) // jobs - 2 <= given < chunks  # the other processes did their shares
    parallel = parse_bib_text(text, "refs/survey.bib", TAXONOMY, cache)
    assert cache.stats().fresh == ()  # every chunk came from the shares, macros included
    serial = parse_bib_text(text, "refs/survey.bib", TAXONOMY)
    assert snapshot(parallel) == snapshot(serial)
    assert parallel.get("macro2025user").venue.startswith("Venue Alpha")
    assert parallel.get("macro2025late").venue.startswith("Venue Gamma")
    assert any(p.subtype == "duplicate" for p in parallel.problems)
    assert any("broken2025x" in p.message for p in parallel.problems)


def test_a_record_parsed_with_other_macros_is_parsed_again():
    """A record whose macro reads differ from the serial parse's is never reused: the result is the serial one.

    Here the records come from the text without its first ``@string``, as a share of a
    parallel parse that missed it would make them.
    """
    text = grown_with_macros(4)
    blind = ChunkCache()
    parse_bib_text(text.replace(STRING, "", 1), "refs/survey.bib", TAXONOMY, blind)
    cache = reloaded(blind)
    parsed = parse_bib_text(text, "refs/survey.bib", TAXONOMY, cache)
    reparsed = fresh_chunks(cache, text)  # the @string, then its user: the macro read differs now
    assert len(reparsed) == 2 and reparsed[0] == STRING and "macro2025user" in reparsed[-1]
    assert not any("macro2025late" in chunk for chunk in reparsed)
    assert snapshot(parsed) == snapshot(parse_bib_text(text, "refs/survey.bib", TAXONOMY))
    assert parsed.get("macro2025user").venue.startswith("Venue Alpha")


def test_a_cache_with_jobs_parses_in_parallel_first():
    text = grown_with_macros(4)
    cache = ChunkCache(jobs=2, parallel_minimum=10)
    parallel = parse_bib_text(text, "refs/survey.bib", TAXONOMY, cache)
    assert cache.stats().fresh == () and cache.stats().parsed > 0  # the shares made every record
    assert snapshot(parallel) == snapshot(parse_bib_text(text, "refs/survey.bib", TAXONOMY))


def test_small_or_serial_parses_fork_nothing():
    cache = ChunkCache()
    cache.begin(SURVEY, "refs/survey.bib", TAXONOMY)
    assert parse_in_parallel(SURVEY, "refs/survey.bib", TAXONOMY, cache, 2) == 0  # 166 < minimum
    assert parse_in_parallel(SURVEY, "refs/survey.bib", TAXONOMY, cache, 1, minimum=10) == 0
    assert not cache.chunks


def test_stray_at_lines_keep_every_entry_warm_cold_and_parallel():
    """A pasted ``me@example.org`` line between entries breaks no entry, whichever way the parse runs."""
    clean = grown_with_macros(1)
    middle = clean.index("\n@", len(clean) // 2) + 1
    text = clean[:middle] + "Maintainer: someone@example.org (ping me)\n" + clean[middle:]
    serial = parse_bib_text(text, "refs/survey.bib", TAXONOMY)
    assert list(serial.papers) == list(parse_bib_text(clean, "refs/survey.bib", TAXONOMY).papers)
    stray = [p for p in serial.problems if p.code == "TC174"]
    assert [p.line for p in stray] == [text[:text.index("Maintainer")].count("\n") + 1]
    cache = ChunkCache(jobs=2, parallel_minimum=10)
    assert snapshot(parse_bib_text(text, "refs/survey.bib", TAXONOMY, cache)) == snapshot(serial)
    warm = reloaded(cache)
    assert snapshot(parse_bib_text(text, "refs/survey.bib", TAXONOMY, warm)) == snapshot(serial)
    assert warm.stats().parsed == 0  # the chunk around the stray line is cached like any other


def test_chunks_of_a_bib_without_stray_at_are_cut_as_before():
    """Entry to next entry, trailing blank lines included: chunk cache files of earlier builds stay valid."""
    starts = entry_starts(SURVEY)
    assert list(chunk_spans(SURVEY)) == list(zip(starts, [*starts[1:], len(SURVEY)], strict=True))
