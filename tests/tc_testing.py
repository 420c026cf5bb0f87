"""Helpers shared by test modules (import as ``from tc_testing import ...``; ``tests/`` is on pythonpath)."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
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
        """Answer ``target`` (``path?query``, or ``"HEAD path"`` for one method only) with ``replies``."""
        self.routes[target] = list(replies)

    def reply(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """Record the request and choose its answer: a route for the method wins over the path's."""
        self.record(method, path, headers)
        return self.reply_for(f"{method} {path}" if f"{method} {path}" in self.routes else path)

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        self.requests.append((path, headers))

    def reply_for(self, target: str) -> Reply:
        replies = self.routes.get(target)
        if not replies:
            return Reply(404, b"not found")
        return replies.pop(0) if len(replies) > 1 else replies[0]


@contextlib.contextmanager
def serving(state: LookupServer) -> Iterator[LookupServer]:
    """Serve ``state``'s recorded replies on 127.0.0.1 (GET and HEAD; ``{base}`` in a header is the server's URL)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, body_too: bool) -> None:
            reply = state.reply(self.command, self.path, dict(self.headers))
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.payload()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value.replace("{base}", state.url))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body_too:
                    self.wfile.write(body)
            except OSError:  # the client timed out and left
                pass

        def do_GET(self) -> None:
            self.answer(True)

        def do_HEAD(self) -> None:
            self.answer(False)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
