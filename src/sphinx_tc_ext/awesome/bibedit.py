"""In-place edits of a bib text: the fields an import changed, every other byte kept.

The merge of ``import-awesome`` edits spans of the existing file rather than rewriting it,
so comments, ``@string`` uses, quoting styles and line endings survive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sphinx_tc_ext.core.bibsyntax import Block, RawField
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.rules import month_macro

#: How an inserted field's name is spelled where BibTeX's custom differs from lowercase.
_FIELD_CASE = {"archiveprefix": "archivePrefix"}


def bib_value(name: str, value: str) -> str:
    """A field value as written: a month as its macro, anything else braced."""
    macro = month_macro(value) if name == "month" else None
    return macro or "{" + value + "}"


_SPACES = re.compile(r"[ \t]*")
_COMMA = re.compile(r"\s*,")
_LINE_END = re.compile(r"[ \t]*\r?\n")


class BibEditor:
    """Span edits of one bib text: the entries the list changed, every other byte kept."""

    def __init__(self, text: str, order: Sequence[str]) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.rank = {name: i for i, name in enumerate(order)}
        self.edits: list[tuple[int, int, str]] = []

    def _name_start(self, f: RawField) -> int:
        return self.line_starts[f.line - 1] + f.column - 1

    def _indent(self, f: RawField) -> str | None:
        """The indentation of a field that starts its line (None when it shares the line)."""
        start = self._name_start(f)
        lead = self.text[self.text.rfind("\n", 0, start) + 1:start]
        return None if lead.strip() else lead

    def _delete(self, f: RawField) -> tuple[int, int, str]:
        """The field, its comma and, when it has its line to itself, the line."""
        start = self._name_start(f)
        comma = _COMMA.match(self.text, f.value_end)
        end = comma.end() if comma else f.value_end
        indent = self._indent(f)
        line_end = _LINE_END.match(self.text, end)
        if indent is not None and line_end:
            return start - len(indent), line_end.end(), ""
        if indent is not None:  # fields follow on its line: they move to its place
            return start, _SPACES.match(self.text, end).end(), ""  # type: ignore[union-attr]
        before = self.text[self.text.rfind("\n", 0, start) + 1:start]  # its line, not a copy of the whole text
        return start - (len(before) - len(before.rstrip(" \t"))), end, ""

    def edit(self, block: Block, entry_type: str | None, fields: dict[str, str | None]) -> None:
        if entry_type:
            at = block.start + re.match(r"@\s*", block.source).end()  # type: ignore[union-attr]
            old = block.entry_type
            shown = entry_type if old.islower() else entry_type.upper() if old.isupper() else entry_type.capitalize()
            self.edits.append((at, at + len(old), shown))
        kept = [f for f in block.fields if fields.get(f.lname, "") is not None]
        inserts: dict[tuple[int, str], tuple[RawField, list[tuple[int, str]]]] = {}
        last = len(self.rank)
        for name, value in fields.items():
            f = block.get(name)
            if f is not None:
                self.edits.append(self._delete(f) if value is None else
                                  (f.value_start, f.value_end, bib_value(name, value)))
                continue
            if value is None:
                continue
            # A new field goes after the last kept field that precedes it in fmt's order.
            rank = self.rank.get(name, last)
            before = [k for k in kept if self.rank.get(k.lname, last) < rank]
            anchor, where = (before[-1], "after") if before else (kept[0], "before")
            text = f"{_FIELD_CASE.get(name, name)} = {bib_value(name, value)}"
            inserts.setdefault((id(anchor), where), (anchor, []))[1].append((rank, text))
        for (_id, where), (anchor, items) in inserts.items():
            texts = [t for _r, t in sorted(items)]
            indent = self._indent(anchor)
            gap = self.newline + indent if indent is not None else " "
            if where == "after":  # right after the value: a last field without a comma ends after the spaces
                end = anchor.value_end
                while end > anchor.value_start and self.text[end - 1] in " \t\r\n":
                    end -= 1
                self.edits.append((end, end, "".join("," + gap + t for t in texts)))
            else:
                at = self._name_start(anchor)
                self.edits.append((at, at, "".join(t + "," + gap for t in texts)))

    def result(self, appended: Sequence[str]) -> str:
        """The edited text with ``appended`` entries (``\\n`` line ends) after a blank line at the end."""
        out: list[str] = []
        pos = 0
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], e[1])):
            out.append(self.text[pos:start])
            out.append(replacement)
            pos = end
        out.append(self.text[pos:])
        text = "".join(out)
        if appended:
            nl = self.newline
            text = (text if text.endswith("\n") else text + nl) + nl if text.strip() else ""
            text += (nl + nl).join(e.replace("\n", nl) for e in appended) + nl
        return text


def read_exact(path: Path) -> tuple[str, str]:
    """The bib's text exactly as stored (line endings kept) and its byte-order mark, if any."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), 1, "syntax", f"the bib is not UTF-8 ({exc.reason} at byte "
                                  f"{exc.start}); save it as UTF-8 and run the import again")]) from exc
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "io", f"cannot read the bib: {exc.strerror}")]) from exc
    if text.startswith("\ufeff"):
        return text[1:], "\ufeff"
    return text, ""

