"""The sync and release workflows: schema-valid, pinned, least privilege, and their shell steps run here.

The sync workflow's download needs the network; its other steps run locally on the shared snapshots
of the upstream list (skipped where ``../shared/data`` is absent), with the runner's variables set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import sphinx_tc_ext
from sphinx_tc_ext.cli import main
from test_sync_summary import NEW_LIST, OLD_LIST, needs_lists, taxonomy_before_new_list

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job: dict) -> list[dict]:
    return job["steps"]


def step(job: dict, name_or_use: str) -> dict:
    return next(s for s in steps(job) if name_or_use in (s.get("name", "") + " " + s.get("uses", "")))


def uses(data: dict) -> list[str]:
    return [s["uses"] for job in data["jobs"].values() for s in steps(job) if "uses" in s]


@pytest.mark.parametrize("name", ["sync-list.yml", "release.yml"])
def test_workflow_is_valid_and_pinned(name):
    data = load(name)
    assert data["permissions"] == {"contents": "read"}, "read-only unless a job asks for more"
    for action in uses(data):
        assert PINNED.match(action), f"{action}: pin a version tag or a commit, never a branch"
    checker = Path(sys.executable).with_name("check-jsonschema")
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed")
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOWS / name)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sync_workflow_runs_weekly_and_on_demand_in_order():
    data = load("sync-list.yml")
    assert "workflow_dispatch" in data["on"]
    (schedule,) = data["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and re.fullmatch(r"[0-6]", weekday) and minute.isdigit() and hour.isdigit()
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    order = ["actions/checkout", "actions/setup-python", "pip install .", "git clone", "import-awesome",
             "tc-survey fmt", "tc-survey check", "peter-evans/create-pull-request"]
    texts = [s.get("uses", "") + " " + s.get("run", "") for s in steps(job)]
    found = [next(i for i, text in enumerate(texts) if what in text) for what in order]
    assert found == sorted(found) and len(set(found)) == len(found), list(zip(order, found, strict=True))
    assert "Awesome-Multimodal-Token-Compression" in job["env"]["UPSTREAM"]
    merge = step(job, "Merge")
    assert "--summary" in merge["run"] and "--add-values" in merge["run"]
    pull = step(job, "peter-evans/create-pull-request")
    assert re.fullmatch(r"peter-evans/create-pull-request@v\d+\.\d+\.\d+", pull["uses"])
    assert pull["if"] == "steps.merge.outputs.changed == 'true'"
    assert pull["with"]["body-path"].endswith("/sync-summary.md")
    assert set(pull["with"]["add-paths"].split()) == {"refs/survey.bib", "refs/taxonomy.toml"}


def test_release_workflow_builds_checks_and_publishes_with_trusted_publishing(tmp_path):
    data = load("release.yml")
    assert data["on"] == {"push": {"tags": ["v*"]}}
    build, publish = data["jobs"]["build"], data["jobs"]["publish"]
    runs = " ".join(s.get("run", "") for s in steps(build))
    assert runs.index("python -m build") < runs.index("twine check")
    assert publish["needs"] == "build" and publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    (upload,) = [s for s in steps(publish) if "gh-action-pypi-publish" in s.get("uses", "")]
    assert re.fullmatch(r"pypa/gh-action-pypi-publish@v\d+\.\d+\.\d+", upload["uses"])
    assert "with" not in upload or not {"password", "user"} & set(upload["with"]), "no token: trusted publishing"

    # The tag check, run here: the version's tag passes, any other fails with a GitHub error annotation.
    script = step(build, "The tag").get("run")
    for tag, status in ((f"v{sphinx_tc_ext.__version__}", 0), ("v99.0.0", 1)):
        env = {**os.environ, "GITHUB_REF_NAME": tag, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
               f"{os.environ['PATH']}"}
        result = subprocess.run(["bash", "-e", "-c", script.replace("python ", f"{sys.executable} ")], cwd=REPO,
                                env=env, capture_output=True, text=True)
        assert result.returncode == status, result.stdout + result.stderr
        assert ("::error::tag v99.0.0" in result.stdout) == bool(status)


def _runner(tmp_path: Path) -> dict[str, str]:
    """The environment of a step: ``tc-survey`` from this checkout, the runner's temp folder and output file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "tc-survey"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; from sphinx_tc_ext.cli import main; "
                    "sys.exit(main())' \"$@\"\n", encoding="utf-8")
    shim.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(runner_temp),
            "GITHUB_OUTPUT": str(tmp_path / "github-output"), "UPSTREAM": "unused: no network in tests",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}


def _run(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)


@needs_lists
def test_sync_steps_on_the_snapshots(tmp_path):
    """Old list imported, then the steps after the download with the new list: a pull request's body, then none."""
    site = tmp_path / "site"
    (site / "refs").mkdir(parents=True)
    taxonomy = taxonomy_before_new_list(site / "refs")
    assert main(["import-awesome", str(OLD_LIST), "-o", str(site / "refs" / "survey.bib"), "--taxonomy",
                 str(taxonomy), "-q"]) == 0
    env = _runner(tmp_path)
    shutil.copytree(NEW_LIST, Path(env["RUNNER_TEMP"]) / "upstream")
    (job,) = load("sync-list.yml")["jobs"].values()
    after_download = steps(job)[[s.get("name") for s in steps(job)].index("Download the upstream list") + 1:]
    scripts = [s["run"] for s in after_download if "run" in s]
    assert len(scripts) == 3, "merge, fmt, check"

    for script in scripts:
        result = _run(script, env, site)
        assert result.returncode == 0, result.stdout + result.stderr
    outputs = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert outputs == "changed=true\n"
    body = (Path(env["RUNNER_TEMP"]) / "sync-summary.md").read_text(encoding="utf-8")
    assert re.search(r"^206 papers in the list: 40 added, 8 published, 1 retitled, .*7 new taxonomy values", body,
                     re.M)
    assert "\n## tc-survey check (exit status " in body and body.rstrip().endswith("```")
    assert "vla" in taxonomy.read_text(encoding="utf-8"), "--add-values wrote the new values"

    # The next week, with the same list: "No change", and the pull request step is skipped.
    Path(env["GITHUB_OUTPUT"]).unlink()
    result = _run(scripts[0], env, site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "changed=false\n"
