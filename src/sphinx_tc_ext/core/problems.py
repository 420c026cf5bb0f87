"""Problems found in user input, reported like a linter: ``file:line: message``."""

from __future__ import annotations

import difflib
import sys
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

    def __init__(self, problems: list[Problem], exit_code: int = 2, partial: object = None) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.exit_code = exit_code  # what ``tc-survey`` exits with when a command lets it through
        #: what could be read despite the problems (e.g. the taxonomy without its broken parts),
        #: for callers that report and go on, as a Sphinx build does; None when nothing could
        self.partial = partial

    def report(self) -> int:
        """Print every problem to stderr (a command line's way to say it); return the exit code."""
        for problem in self.problems:
            print(problem, file=sys.stderr)
        return self.exit_code


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``(did you mean 'x'?)`` hint, or a list of the allowed values when nothing is close."""
    choices = list(choices)
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if close:
        match = next(c for c in choices if c.lower() == close[0])
        return f"did you mean '{match}'?"
    return "allowed: " + ", ".join(choices)
