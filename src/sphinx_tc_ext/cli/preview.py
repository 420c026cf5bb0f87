"""``tc-survey preview``: build the site as the pull request check does, and serve it on 127.0.0.1.

A contributor sees their paper on the site before opening the pull request, with one command:
``sphinx-build -nW --keep-going -b html -c . docs _build/html`` (the pull request workflow's
build, so a warning that would fail the check fails here first), then a static server on the
loopback interface only, so nothing is exposed to the network.  The build runs in a child
process: the command line stays below the Sphinx layer, and a crashing build cannot take the
server down.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from sphinx_tc_ext.core.problems import InputError, Problem

DEFAULT_PORT = 8000
HOST = "127.0.0.1"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "preview", help="build the site and serve it on http://127.0.0.1:PORT/",
        description="Build the site the way the pull request check does (sphinx-build -nW --keep-going -b html "
                    "-c CONFDIR SOURCE OUTPUT) and serve OUTPUT on 127.0.0.1 until Ctrl+C.")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                   help=f"port to serve on (default: {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--source", default="docs", metavar="DIR", help="the site's sources (default: docs)")
    p.add_argument("--conf-dir", default=".", metavar="DIR", help="the folder of conf.py (default: .)")
    p.add_argument("-o", "--output", default="_build/html", metavar="DIR",
                   help="where the HTML is built (default: _build/html)")
    p.add_argument("--no-build", action="store_true", help="serve what OUTPUT holds, without building")
    p.add_argument("-j", "--jobs", default=None, metavar="N", help="sphinx-build's -j (e.g. auto)")
    p.set_defaults(func=_cmd_preview)


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port; give a number from 0 to 65535")
    return int(value)


def build_command(source: str, conf_dir: str, output: str, jobs: str | None = None) -> list[str]:
    """The pull request workflow's build, with this interpreter's Sphinx."""
    return [sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-b", "html", *(["-j", jobs] if jobs else []),
            "-c", conf_dir, source, output]


def serve(folder: Path, port: int, log: bool = True) -> http.server.ThreadingHTTPServer:
    """A static server of ``folder`` on 127.0.0.1 (not started); :class:`InputError` when the port is taken."""
    handler = functools.partial(_LoggingHandler if log else _SilentHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise InputError([Problem(f"{HOST}:{port}", 1, "io", f"cannot serve on this port ({why}); pass --port N "
                                  "with another number, or --port 0 for a free one")], exit_code=1) from None


class _LoggingHandler(http.server.SimpleHTTPRequestHandler):
    """Logs requests on stderr, one short line each (the default also does, with the client's address)."""

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")


class _SilentHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve ``folder`` from a background thread while the block runs; yields the base URL (ending in /).

    For scripts and tests that drive a browser against a built site (``scripts/screenshots.py``,
    the browser tests): a free port by default, no log.
    """
    server = serve(folder, port, log=False)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _cmd_preview(args: argparse.Namespace) -> int:
    conf = Path(args.conf_dir) / "conf.py"
    source = Path(args.source)
    output = Path(args.output)
    try:
        if not args.no_build:
            if not conf.is_file():
                raise InputError([Problem(str(conf), 1, "config", "no conf.py here; run tc-survey preview at the "
                                          "top of the site's repository, or pass --conf-dir")], exit_code=1)
            if not source.is_dir():
                raise InputError([Problem(str(source), 1, "config", "no such folder of sources; pass --source")],
                                 exit_code=1)
        elif not (output / "index.html").is_file():
            raise InputError([Problem(str(output / "index.html"), 1, "io", "nothing built yet; run without "
                                      "--no-build")], exit_code=1)
        server = serve(output, args.port)  # before the build: a taken port fails fast
    except InputError as exc:
        return exc.report()
    with server:
        if not args.no_build:
            command = build_command(str(source), args.conf_dir, str(output), args.jobs)
            print("$ " + " ".join(command[1:]).replace("-m sphinx", "sphinx-build", 1), flush=True)
            status = subprocess.run(command, check=False).returncode
            if status != 0:
                print(f"{conf}:1: the build failed (exit status {status}); fix the problems above (the pull "
                      "request's check fails on them too), then run tc-survey preview again", file=sys.stderr)
                return 1
        host, port = server.server_address[:2]
        print(f"Serving {output} at http://{host}:{port}/ (Ctrl+C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0
