"""Shared fixtures: copy a test root to a temporary folder and build it with sphinx.testing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tc_testing import ROOTS

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
