"""One way to fingerprint text and values: the hash, the encoding and the length of a short digest.

The core's digests (a paper's, its anchor's suffix) and every cache's go through
these functions, so they are decided here once.  SHA-1 is used for speed and
stable names, not for security.  :mod:`sphinx_tc_ext.cache.digest` adds the
digest of the code itself.
"""

from __future__ import annotations

import hashlib


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
