"""Shared fixtures: copy a test root to a temporary folder and build it with sphinx.testing."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tc_testing import ROOTS, LookupServer, serving

pytest_plugins = ("sphinx.testing.fixtures",)


@pytest.fixture
def copy_root(tmp_path: Path) -> Callable[..., Path]:
    """Copy ``tests/roots/<name>`` so builds never write into the repository."""

    def copy(name: str = "test-survey", dest: str | None = None) -> Path:
        target = tmp_path / (dest or name)
        shutil.copytree(ROOTS / name, target)
        return target

    return copy


@pytest.fixture
def build(make_app: Callable) -> Callable:
    """Build a source folder; returns the app (``app.outdir``, ``app.warning``)."""

    def run(srcdir: Path, buildername: str = "html", **kwargs):
        app = make_app(buildername, srcdir=srcdir, **kwargs)
        app.build()
        app.cleanup()  # unregister nodes/directives so the next app in this test starts clean
        return app

    return run


# -- no test reaches the network ---------------------------------------------------------------------------

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "", None}


def _is_loopback(host: object) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Fail any test that resolves or connects to a host other than the loopback (tests are offline)."""
    attempts: list[str] = []
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, \
        socket.getaddrinfo

    def guarded(address: object) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            attempts.append(str(address))
            raise OSError(f"tests must not use the network (connect to {address})")

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guarded(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guarded(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            attempts.append(f"resolve {host}")
            raise socket.gaierror(socket.EAI_NONAME, f"tests must not use the network (resolve {host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to use the network: {attempts}"


# -- a local stand-in for arXiv and doi.org ---------------------------------------------------------------

@pytest.fixture
def lookup_server(monkeypatch: pytest.MonkeyPatch):
    """An HTTP server on 127.0.0.1 standing in for both services; TC_ARXIV_API and TC_DOI_RESOLVER point at it."""
    with serving(LookupServer()) as state:
        monkeypatch.setenv("TC_ARXIV_API", state.url + "/api/query")
        monkeypatch.setenv("TC_DOI_RESOLVER", state.url + "/doi/")
        monkeypatch.setenv("TC_LOOKUP_TIMEOUT", "5")
        monkeypatch.setattr("sphinx_tc_ext.core.lookup.ARXIV_LIMIT.interval", 0.0)  # the limit has its own test
        yield state
