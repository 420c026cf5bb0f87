"""Users' text files as UTF-8: one decoder, so every command says where a bad byte is the same way.

A file saved as Latin-1 or Windows-1252 would otherwise surface as a ``UnicodeDecodeError``
with a byte offset.  :func:`decode_utf8` (strict: configuration, Markdown, bibs a command
rewrites) raises :class:`NotUTF8` with the line and column of the first bad byte;
:func:`decode_lenient` (the bib the site shows) replaces each bad run with U+FFFD and
reports one run per line.  A UTF-8 byte order mark is dropped by both; :func:`read_utf8`
reads a file for a command and turns either failure into an :class:`InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sphinx_tc_ext.core.problems import InputError, Problem

BOM = b"\xef\xbb\xbf"
_UNDECODED = re.compile("[\udc80-\udcff]+")


@dataclass(frozen=True)
class BadBytes:
    """Bytes that are not UTF-8: where they start (1-based line and column) and what they are."""

    line: int
    column: int  # bytes into the line (strict) or characters into the line (lenient)
    raw: bytes


class NotUTF8(ValueError):
    """The bytes are not UTF-8; ``bad`` says where the first bad byte is."""

    def __init__(self, bad: BadBytes) -> None:
        super().__init__(f"line {bad.line}, column {bad.column}: byte 0x{bad.raw[0]:02x} is not UTF-8")
        self.bad = bad


def decode_utf8(data: bytes) -> tuple[str, bool]:
    """The text (line endings as they are) and whether it had a byte order mark; :class:`NotUTF8` if not UTF-8."""
    bom = data.startswith(BOM)
    body = data[len(BOM):] if bom else data
    try:
        return body.decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NotUTF8(BadBytes(line, column, body[exc.start:exc.end])) from None


def decode_lenient(data: bytes) -> tuple[str, list[BadBytes]]:
    """The text with each run of bad bytes replaced by as many U+FFFD, and the first run of each line.

    One run a line is enough: the fix (re-save as UTF-8) is the same for all of them.  Columns
    count characters of the decoded line, as an editor shows them.
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    found: list[BadBytes] = []
    line, pos, last_line = 1, 0, 0
    for m in _UNDECODED.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if line == last_line:
            continue
        last_line = line
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        found.append(BadBytes(line, column, bytes(ord(c) - 0xDC00 for c in m.group())))
    return _UNDECODED.sub(lambda m: "\ufffd" * len(m.group()), text), found


def read_utf8(path: str | Path, what: str, subtype: str = "config") -> str:
    """A user's text file, or :class:`InputError` (``file:line: ...``) when it is unreadable or not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(str(path), 1, subtype, f"cannot read the {what}: {exc.strerror}")]) from None
    try:
        return decode_utf8(data)[0]
    except NotUTF8 as exc:
        bad = exc.bad
        message = (f"the {what} is not UTF-8: byte 0x{bad.raw[0]:02x} at column {bad.column} cannot be decoded; "
                   "re-save the file as UTF-8")
        raise InputError([Problem(str(path), bad.line, subtype, message, column=bad.column)]) from None
