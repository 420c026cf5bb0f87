"""``tc-survey preview``: one command builds the site like the pull request check and serves it on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from sphinx_tc_ext.cli import main
from sphinx_tc_ext.cli.init import init_site
from sphinx_tc_ext.cli.preview import build_command

REPO = Path(__file__).resolve().parent.parent


def _preview(site: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", "import sys; from sphinx_tc_ext.cli import main; sys.exit(main())",
                             "preview", *args], cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 directly, never a proxy
    with opener.open(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def test_preview_builds_and_serves_on_loopback(tmp_path):
    site = tmp_path / "site"
    init_site(site, title="Preview check")
    proc = _preview(site, "--port", "0")
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        assert lines and lines[0].startswith("$ sphinx-build -nW --keep-going -b html -c . docs _build/html"), lines
        match = re.fullmatch(r"Serving _build/html at (http://127\.0\.0\.1:(\d+)/) \(Ctrl\+C stops\)\n", lines[-1])
        assert match, lines
        status, page = _get(match.group(1) + "papers.html")
        assert status == 200 and 'data-key="doe2025example"' in page
        assert (site / "_build" / "html" / "index.html").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "GET /papers.html 200" in err


def test_a_failing_build_is_not_served(tmp_path, capsys, monkeypatch):
    site = tmp_path / "site"
    init_site(site, title="Broken")
    (site / "docs" / "index.md").write_text("# Broken\n\n{ref}`no-such-label`\n", encoding="utf-8")
    monkeypatch.chdir(site)
    assert main(["preview", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.rstrip().splitlines()[-1].startswith("conf.py:1: the build failed (exit status 1); fix the problems")


def test_a_taken_port_and_a_missing_conf_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["preview"]) == 1
    assert capsys.readouterr().err == ("conf.py:1: no conf.py here; run tc-survey preview at the top of the site's "
                                       "repository, or pass --conf-dir\n")
    init_site(tmp_path / "site")
    monkeypatch.chdir(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["preview", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"127.0.0.1:{port}:1: cannot serve on this port (") and err.count("\n") == 1


def test_build_command_is_the_pull_request_check():
    workflow = (REPO / ".github" / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    ours = " ".join(build_command("docs", ".", "_build/html")[3:])
    assert f"sphinx-build {ours.replace('-b html ', '')}" in workflow, "html is sphinx-build's default builder"

