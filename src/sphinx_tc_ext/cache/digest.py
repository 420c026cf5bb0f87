"""One way to fingerprint what a cache, a stamp or a generated file name depends on.

Every digest in the package goes through these functions, so the hash, the encoding
of text and the length of a shortened digest are decided here once.  SHA-1 is used
for speed and stable names, not for security.  The pure functions live in
:mod:`sphinx_tc_ext.core.digest` (the core may not import this layer) and are
re-exported here, so the layers above import every digest from one place;
:func:`code_digest` reads the package's files, which is this layer's job.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from sphinx_tc_ext.core.digest import digest, raw_digest, value_digest

__all__ = ["OUTPUT_SHAPING", "PACKAGE_DIR", "code_digest", "digest", "raw_digest", "value_digest"]

#: The package's folder: its modules and static files shape what builds write.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Folders of the package whose files shape a build's output (the CLI and awesome-list code do not).
OUTPUT_SHAPING = ("core", "cache", "sphinx", "static")


@functools.cache
def code_digest() -> str:
    """Changes with any module or static file that shapes output, and with the version.

    Every cache that stores output (parsed entries, card markup) keys on it, so a
    checkout or an upgrade never serves what older code made.
    """
    from sphinx_tc_ext._version import __version__

    combined = hashlib.sha1(__version__.encode())
    for folder in OUTPUT_SHAPING:
        for path in sorted((PACKAGE_DIR / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".css", ".js"):
                combined.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
                combined.update(path.read_bytes())
    return combined.hexdigest()
