"""Write a user's file the way editors and databases do: all of the new bytes, or none.

Every file a command writes (the bib, the taxonomy, exports, a scaffolded site) goes
through :func:`write_atomic`: the bytes go to a temporary file in the same folder,
are flushed and fsynced, take the permissions of the file they replace, and then
``os.replace`` swaps them in.  A kill, a full disk or a file-size limit at any moment
leaves the old file whole (and at worst a stray temporary file), never a truncated one.
A symlinked file is written through the link (the link stays, its target gets the bytes);
missing folders are created, and every failure is one ``path:1:`` line, never a traceback.
Build caches use :func:`write_cache_file`, the same swap without the fsync.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import stat
import tempfile
from pathlib import Path

from sphinx_tc_ext.core.problems import InputError, Problem


def write_atomic(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically; text is encoded as given, with no newline translation.

    Missing folders are created.  Raises :class:`~sphinx_tc_ext.problems.InputError`
    (``path:1: could not write ...``) when a folder cannot be made, the path is a folder or
    the disk refuses the bytes: the old file is then untouched and the temporary file removed.
    """
    shown = Path(path)
    # through a symlink to its target: replacing the link itself would turn it into a copy
    target = Path(os.path.realpath(shown)) if shown.is_symlink() else shown
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder; give a file name")
        _make_folder(target.parent)
        mode = _mode_of(target)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    except OSError as exc:
        raise _write_error(shown, exc) from None
    try:
        with os.fdopen(descriptor, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as exc:  # a signal turned exception, a full disk, SIGXFSZ ignored: leave the old file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _write_error(shown, exc) from None
        raise
    _sync_folder(target.parent)


def write_cache_file(path: Path, value: object) -> None:
    """Pickle ``value`` to a build cache file: a temporary file beside it, then ``os.replace``.

    A killed build leaves the old file or the new, never half of one.  Unlike a user's
    file there is no fsync (a cache lost in a crash is rebuilt, and builds write many) and
    no permissions to keep.  An ``OSError`` is raised after the temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _make_folder(folder: Path) -> None:
    """Create the missing folders; a file where a folder should be is named in the error."""
    for parent in (folder, *folder.parents):
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, f"'{parent}' is a file, not a folder")
            break
    folder.mkdir(parents=True, exist_ok=True)


def _mode_of(target: Path) -> int:
    """The permissions the new file gets: the old file's, else what ``open`` would give under the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a folder be fsynced)."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(folder or ".", os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_error(target: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError([Problem(str(target), 1, "io", f"could not write the file ({reason}); "
                               "it was left as it was: check the path, the free space and the permissions")])
