"""Read the Docs: the config validates against RTD's schema, and its commands build the site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parent.parent


def test_config_matches_the_read_the_docs_schema():
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.readthedocs", str(REPO / ".readthedocs.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def tracked_files(dest: Path) -> None:
    """Copy what a clean checkout has: the files git tracks plus new files not ignored."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listing):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.mark.slow
def test_build_exactly_as_read_the_docs_would(tmp_path):
    checkout = tmp_path / "checkout"
    tracked_files(checkout)
    env_dir = tmp_path / "rtd-venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    output = tmp_path / "rtd-output"
    environ = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
               "READTHEDOCS": "True", "READTHEDOCS_OUTPUT": str(output),
               "READTHEDOCS_CANONICAL_URL": "https://tokens.example.org/en/latest/", "VIRTUAL_ENV": str(env_dir)}
    environ.pop("PYTHONPATH", None)
    config = yaml.safe_load((checkout / ".readthedocs.yaml").read_text(encoding="utf-8"))
    for command in config["build"]["commands"]:
        result = subprocess.run(["bash", "-c", command], cwd=checkout, env=environ, capture_output=True, text=True)
        assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    html = output / "html"
    assert (html / "index.html").is_file() and (html / "papers.html").is_file()
    assert not (html / "docs").exists()
    page = (html / "papers.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://tokens.example.org/en/latest/papers.html"' in page
