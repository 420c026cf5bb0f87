"""One way to fingerprint what a cache, a stamp or a generated file name depends on.

Every digest in the package goes through these functions, so the hash, the encoding
of text and the length of a shortened digest are decided here once.  SHA-1 is used
for speed and stable names, not for security.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

#: The package's folder: its modules and static files shape what builds write.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Folders of the package whose files shape a build's output (the CLI and awesome-list code do not).
OUTPUT_SHAPING = ("core", "cache", "sphinx", "static")


def _bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")


def digest(data: bytes | str, length: int | None = None) -> str:
    """Hex SHA-1 of ``data`` (text as UTF-8, lone surrogates kept), its first ``length`` characters if given."""
    hexdigest = hashlib.sha1(_bytes(data)).hexdigest()
    return hexdigest[:length] if length else hexdigest


def raw_digest(data: bytes | str) -> bytes:
    """The 20-byte SHA-1 of ``data``: a compact dictionary key for many small texts."""
    return hashlib.sha1(_bytes(data)).digest()


def value_digest(value: object, length: int | None = None) -> str:
    """Digest of ``repr(value)``: for tuples, lists and dicts of plain values built in a fixed order."""
    return digest(repr(value), length)


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
