"""Problems found in user input, reported like a linter: ``file:line: message``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input; ``subtype`` is the warning subtype (``tc.<subtype>``)."""

    path: str
    line: int
    subtype: str
    message: str
    column: int = 1
    code: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class InputError(Exception):
    """Input so broken that nothing useful can be built from it (e.g. an unreadable taxonomy)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``(did you mean 'x'?)`` hint, or a list of the allowed values when nothing is close."""
    choices = list(choices)
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if close:
        match = next(c for c in choices if c.lower() == close[0])
        return f"did you mean '{match}'?"
    return "allowed: " + ", ".join(choices)
