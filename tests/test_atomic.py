"""``write_atomic``: all of the new bytes or none, the old file's permissions, one clear line on failure."""

from __future__ import annotations

import errno
import io
import os
import stat

import pytest

from sphinx_tc_ext import cli
from sphinx_tc_ext.cache import atomic
from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.core.problems import InputError
from tc_testing import ROOTS

SURVEY = ROOTS / "test-survey" / "refs"
AWESOME = ROOTS.parent / "data" / "awesome" / "snapshot"

OLD = b"@misc{old,\r\n  title = {Old},\r\n}\r\n"


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def bib(tmp_path):
    path = tmp_path / "survey.bib"
    path.write_bytes(OLD)
    return path


def test_replaces_the_bytes_exactly_without_newline_translation(bib):
    write_atomic(bib, "@misc{new,\r\n}\r\n")
    assert bib.read_bytes() == b"@misc{new,\r\n}\r\n"
    write_atomic(bib, b"\xef\xbb\xbfraw")
    assert bib.read_bytes() == b"\xef\xbb\xbfraw"
    assert leftovers(bib.parent) == []


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   OSError(errno.EFBIG, "File too large")])
def test_a_failed_write_keeps_the_old_bytes_and_removes_the_temporary_file(bib, monkeypatch, error):
    def refuse(_fd):
        raise error

    monkeypatch.setattr(atomic.os, "fsync", refuse)
    with pytest.raises(InputError) as info:
        write_atomic(bib, "new text " * 1000)
    assert bib.read_bytes() == OLD
    assert leftovers(bib.parent) == []
    message = str(info.value)
    assert message.startswith(f"{bib}:1: could not write the file ({error.strerror})")
    assert "\n" not in message


def test_an_interrupt_keeps_the_old_bytes_and_is_raised_again(bib, monkeypatch):
    def interrupt(_fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(bib, "new")
    assert bib.read_bytes() == OLD
    assert leftovers(bib.parent) == []


def test_keeps_the_permissions_of_the_file_it_replaces(bib):
    bib.chmod(0o640)
    write_atomic(bib, "new")
    assert mode(bib) == 0o640
    bib.chmod(0o604)
    write_atomic(bib, "newer")
    assert mode(bib) == 0o604


def test_a_new_file_gets_the_mode_open_would_give_under_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.json", "{}")
        os.umask(0o002)
        write_atomic(tmp_path / "b.json", "{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a.json") == 0o640  # mkstemp alone would give 0600
    assert mode(tmp_path / "b.json") == 0o664


def test_a_folder_as_target_is_one_clear_line(tmp_path):
    (tmp_path / "out.json").mkdir()
    with pytest.raises(InputError) as info:
        write_atomic(tmp_path / "out.json", "{}")
    assert str(info.value) == (f"{tmp_path / 'out.json'}:1: could not write the file (it is a folder; give a file "
                               "name); it was left as it was: check the path, the free space and the permissions")
    assert leftovers(tmp_path) == []


def test_makes_missing_folders(tmp_path):
    write_atomic(tmp_path / "a" / "b" / "c.csv", "x\n")
    assert (tmp_path / "a" / "b" / "c.csv").read_text() == "x\n"


def test_a_file_where_a_folder_should_be_is_named(tmp_path):
    (tmp_path / "notes").write_text("keep me")
    with pytest.raises(InputError) as info:
        write_atomic(tmp_path / "notes" / "sub" / "out.csv", "x")
    assert f"'{tmp_path / 'notes'}' is a file, not a folder" in str(info.value)
    assert (tmp_path / "notes").read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_a_read_only_folder_is_one_clear_line_and_the_file_is_kept(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "survey.bib").write_bytes(OLD)
    folder.chmod(0o555)
    try:
        with pytest.raises(InputError) as info:
            write_atomic(folder / "survey.bib", "new")
        assert "Permission denied" in str(info.value)
        assert (folder / "survey.bib").read_bytes() == OLD
        assert leftovers(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_refused_temporary_file_is_one_clear_line(bib, monkeypatch):
    """A read-only folder, even when the tests run as root (who may write anywhere)."""
    def refuse(**_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match=r"survey\.bib:1: could not write the file \(Permission denied\)"):
        write_atomic(bib, "new")
    assert bib.read_bytes() == OLD


def test_writes_through_a_symlink_and_keeps_the_link(tmp_path):
    real = tmp_path / "data" / "survey.bib"
    real.parent.mkdir()
    real.write_bytes(OLD)
    real.chmod(0o640)
    link = tmp_path / "survey.bib"
    link.symlink_to(os.path.join("data", "survey.bib"))
    write_atomic(link, "new")
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("data", "survey.bib")
    assert real.read_bytes() == b"new"
    assert mode(real) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


@pytest.mark.parametrize("command", ["export-csv", "export-json", "export-awesome", "import-awesome", "init", "new"])
def test_every_command_reports_a_file_in_the_way_in_one_line(tmp_path, monkeypatch, capsys, command):
    """The commands let the writer's InputError through to cli.main, which prints it: no traceback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    (tmp_path / "blocker").write_text("keep me")
    out = tmp_path / "blocker" / "sub" / "out"
    taxonomy = ["--taxonomy", str(SURVEY / "taxonomy.toml")]
    argv = {
        "export-csv": ["export-csv", str(SURVEY / "survey.bib"), "-o", str(out), *taxonomy],
        "export-json": ["export-json", str(SURVEY / "survey.bib"), "-o", str(out), *taxonomy],
        "export-awesome": ["export-awesome", str(SURVEY / "survey.bib"), "-o", str(out), *taxonomy],
        "import-awesome": ["import-awesome", str(AWESOME), "-o", str(out), *taxonomy],
        "init": ["init", str(out)],
        "new": ["new", "--bib", str(out), *taxonomy, "--title", "Token Merging", "--author", "Doe, Jane",
                "--year", "2025", "--field", "areas=video", "--field", "categories=similarity",
                "--field", "cost=training-free"],
    }[command]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    # one line naming the file in the way (the commands that check -o first say so before any work)
    assert err.count("\n") == 1 and str(tmp_path / "blocker") in err
    assert "is a file, not a folder" in err or "a file is in the way" in err
    assert (tmp_path / "blocker").read_text() == "keep me"


