"""Case protection of titles: the one rule for which title words need braces, and how to add them.

Sentence-case BibTeX styles (natbib's ``plainnat``, ``plain``, ``abbrv``, IEEE's...) lower every letter
of a title but the first, except inside braces: ``LLaVA-PruMerge`` prints as "Llava-prumerge".  A word
with a capital after its first character (an acronym, a CamelCase name, ``3D``, ``ViTs``) is therefore
written braced, each hyphen part on its own: ``{LLaVA}-{PruMerge}``.  The functions work on BibTeX
*values* (escaped LaTeX): braced groups, LaTeX commands with the word they take, math and escapes are
copied as written, so protecting never changes the text a reader sees, only what styles may lower.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

#: Accents written as a control symbol (``\'e``, ``\"U``): the letter after it belongs to the command.
_ACCENT_SYMBOLS = frozenset("'`^\"~=.")


def is_word_char(char: str) -> bool:
    """Letters, digits and combining marks (a decomposed ``é`` stays inside its word)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def needs_protection(word: str, glued: bool = False) -> bool:
    """A capital after the first character; ``glued``: the word continues a braced group (``{L}LaVA``)."""
    return any(c.isupper() for c in word[1:]) or (glued and word[:1].isupper())


def _group_end(value: str, start: int) -> int:
    """Index after the ``}`` closing the ``{`` at ``start`` (BibTeX counts every brace); ``len`` if unclosed."""
    depth = 0
    for i in range(start, len(value)):
        if value[i] == "{":
            depth += 1
        elif value[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(value)


def _math_end(value: str, start: int) -> int:
    """Index after the ``$`` closing the math that opens at ``start``; ``len`` if it never closes."""
    i = start + 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == "$":
            return i + 1
        i += 1
    return len(value)


def _word_end(value: str, start: int) -> int:
    end = start
    while end < len(value) and is_word_char(value[end]):
        end += 1
    return end


def _command_end(value: str, start: int) -> int:
    """Index after the command at ``start`` and the word it runs into (``\\'Ecole``, ``\\LaTeX Tools``)."""
    i = start + 1
    if i < len(value) and value[i].isascii() and value[i].isalpha():
        while i < len(value) and value[i].isascii() and value[i].isalpha():
            i += 1
        while i < len(value) and value[i] in " \t\n":  # TeX skips spaces after a control word
            i += 1
    elif i < len(value):
        i += 1
    return _word_end(value, i)


def _bare_words(value: str) -> Iterator[tuple[int, int]]:
    """Start and end of each word at brace depth 0, outside math and commands."""
    i = 0
    while i < len(value):
        char = value[i]
        if char == "{":
            i = _group_end(value, i)
        elif char == "\\":
            i = _command_end(value, i)
        elif char == "$":
            i = _math_end(value, i)
        elif is_word_char(char):
            end = _word_end(value, i)
            yield i, end
            i = end
        else:
            i += 1


def title_parts(value: str) -> Iterator[tuple[str, bool]]:
    """``value`` cut into ``(text, needs braces)`` parts that join back into it.

    A word needs braces when :func:`needs_protection` says so, or when it starts with a capital and a
    word hyphenated to it needs them: ``LLaVA-Scissor`` keeps its name whole as ``{LLaVA}-{Scissor}``.
    """
    compounds: list[list[tuple[int, int]]] = []
    for start, end in _bare_words(value):
        if compounds and value[compounds[-1][-1][1]:start] == "-":
            compounds[-1].append((start, end))
        else:
            compounds.append([(start, end)])
    plain = 0
    for words in compounds:
        needs = [needs_protection(value[s:e], glued=s > 0 and value[s - 1] == "}") for s, e in words]
        whole = any(needs)
        for (start, end), need in zip(words, needs, strict=True):
            if need or (whole and value[start].isupper()):
                if start > plain:
                    yield value[plain:start], False
                yield value[start:end], True
                plain = end
    if plain < len(value):
        yield value[plain:], False


def protect_title(value: str) -> str:
    """``value`` with each word that needs it braced: ``LLaVA-PruMerge: Tokens`` -> ``{LLaVA}-{PruMerge}: Tokens``.

    Idempotent, and braces stay balanced; words already braced are left as they are.
    """
    return "".join("{" + text + "}" if protect else text for text, protect in title_parts(value))


def unprotected_words(value: str) -> list[str]:
    """The words of ``value`` that sentence-case styles would lower (what :func:`protect_title` braces)."""
    return [text for text, protect in title_parts(value) if protect]
