"""Does a change leave the site's output byte for byte as it was?

A refactoring or a speed-only change must not change a byte of what readers get. This
script builds the real site and the site grown to N entries (``synth.grow``, the same
bib for both sides) at two git revisions, each in a fresh ``sphinx-build`` process with
that revision's own sources, and compares the output trees file by file::

    .venv/bin/python benchmarks/same_output.py                  # HEAD against the working tree
    .venv/bin/python benchmarks/same_output.py main~3 HEAD      # two commits
    .venv/bin/python benchmarks/same_output.py --entries 0      # the real site only

Exits 0 when both trees are identical, 1 with the differing files listed otherwise.
Files that embed the build itself rather than its content are compared too: any
difference is reported, none is waved through.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # synth.py lives with the tests that use it too

import synth  # noqa: E402

REPO = HERE.parent
WORKTREE = "WORKTREE"  # stands for the uncommitted working tree


def checkout(rev: str, into: Path) -> Path:
    """The sources of ``rev`` (or the working tree) in ``into``: conf.py, docs, refs and src."""
    into.mkdir(parents=True)
    if rev == WORKTREE:
        for name in ("conf.py", "docs", "refs", "src"):
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("_build", "__pycache__"))
            else:
                shutil.copy2(source, into / name)
        return into
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "conf.py", "docs", "refs", "src"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def build(tree: Path, site: Path, bib_text: str | None, jobs: int) -> Path:
    """Build ``tree``'s site (with ``bib_text`` as its bib when given) in a fresh process; the output folder."""
    shutil.copy2(tree / "conf.py", site / "conf.py")
    shutil.copytree(tree / "docs", site / "docs", ignore=shutil.ignore_patterns("_build"))
    shutil.copytree(tree / "refs", site / "refs")
    if bib_text is not None:
        (site / "refs" / "survey.bib").write_text(bib_text, encoding="utf-8")
    out = site / "_build" / "html"
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
    args = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", ".", "docs", str(out), "--keep-going"]
    if jobs != 1:
        args += ["-j", str(jobs)]
    done = subprocess.run(args, cwd=site, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"build of {tree.name} failed:\n{done.stderr[-3000:]}")
    print(done.stderr, end="", file=sys.stderr)
    return out


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that exist on one side only or differ in their bytes."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(f"{prefix}{name} (only before)" for name in cmp.left_only)
        found.extend(f"{prefix}{name} (only after)" for name in cmp.right_only)
        _same, differ, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        found.extend(f"{prefix}{name}" for name in differ + errors)
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=[".doctrees"]), "")
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", nargs="?", default="HEAD", help="git revision (default HEAD)")
    parser.add_argument("after", nargs="?", default=WORKTREE, help="git revision (default: the working tree)")
    parser.add_argument("--entries", type=int, default=5000, help="also the site grown to N entries (0: skip)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="sphinx-build -j (default 1)")
    args = parser.parse_args(argv)

    grown = synth.grow(args.entries)[0] if args.entries else None
    failed = False
    with tempfile.TemporaryDirectory(prefix="tc-same-") as tmp:
        root = Path(tmp)
        trees = [checkout(rev, root / f"tree-{i}") for i, rev in enumerate((args.before, args.after))]
        for label, bib in (("real site", None), (f"{args.entries} entries", grown)):
            if label != "real site" and bib is None:
                continue
            outs = []
            for tree in trees:
                site = root / "site"  # one path for both: configuration values hold absolute paths
                site.mkdir()
                outs.append(build(tree, site, bib, args.jobs).rename(root / f"out-{len(outs)}-{label.split()[0]}"))
                shutil.rmtree(site)
            diff = differences(*outs)
            print(f"{label}: {args.before} vs {args.after}: " + (f"{len(diff)} files differ" if diff else "identical"))
            for name in diff[:50]:
                print(f"  {name}")
            failed = failed or bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
