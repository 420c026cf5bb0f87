"""Helpers shared by test modules (import as ``from tc_testing import ...``; ``tests/`` is on pythonpath)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOTS = Path(__file__).parent / "roots"
REPO = Path(__file__).parent.parent


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


FETCH_DATA = Path(__file__).parent / "data" / "fetch"
SURVEY_TAXONOMY = ROOTS / "test-survey" / "refs" / "taxonomy.toml"


def survey_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bib: bytes) -> Path:
    """A site folder holding ``refs/survey.bib`` (``bib``, bytes as given) and the test survey's taxonomy,
    made the working directory, as a contributor runs ``tc-survey``; returns the bib's path."""
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "taxonomy.toml").write_bytes(SURVEY_TAXONOMY.read_bytes())
    path = refs / "survey.bib"
    path.write_bytes(bib)
    monkeypatch.chdir(tmp_path)
    return path


@dataclass
class Reply:
    """One recorded answer: status, body (a file of tests/data/fetch or bytes), headers, delay."""

    status: int = 200
    body: str | bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else (FETCH_DATA / self.body).read_bytes()


class LookupServer:
    """Routes ``path?query`` to recorded replies (a list is served in turn, the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.url = ""

    def route(self, target: str, *replies: Reply) -> None:
        self.routes[target] = list(replies)

    def reply_for(self, target: str) -> Reply:
        replies = self.routes.get(target)
        if not replies:
            return Reply(404, b"not found")
        return replies.pop(0) if len(replies) > 1 else replies[0]
