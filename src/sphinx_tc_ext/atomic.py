"""Write a user's file the way editors and databases do: all of the new bytes, or none.

Every file a command writes (the bib, the taxonomy, exports, a scaffolded site) goes
through :func:`write_atomic`: the bytes go to a temporary file in the same folder,
are flushed and fsynced, take the permissions of the file they replace, and then
``os.replace`` swaps them in.  A kill, a full disk or a file-size limit at any moment
leaves the old file whole (and at worst a stray temporary file), never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .problems import InputError, Problem


def write_atomic(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically; text is encoded as given, with no newline translation.

    Raises :class:`~sphinx_tc_ext.problems.InputError` (``path:1: could not write ...``)
    when the folder is missing, the path is a folder or the disk refuses the bytes: the
    old file is then untouched and the temporary file removed.
    """
    target = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        if target.is_dir():
            raise IsADirectoryError(f"'{target}' is a folder")
        mode = _mode_of(target)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    except OSError as exc:
        raise _write_error(target, exc) from None
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
            raise _write_error(target, exc) from None
        raise
    _sync_folder(target.parent)


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
