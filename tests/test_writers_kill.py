"""Every command that writes a user's file leaves it whole: old bytes or new bytes, never a mix.

Each command runs in a subprocess on a generated bib (``tests/synth.py``).  The test
watches the folders it may write (inotify) and SIGKILLs the process the moment a file is
created, truncated or written there, a temporary one included (or after a randomised delay); a
file-size limit (``RLIMIT_FSIZE``) makes the disk refuse the bytes, with SIGXFSZ at its
default (the process dies) or ignored (the write fails: one line, no traceback).  Then every
file must hold exactly its old bytes or exactly the bytes a complete run writes.

``TC_KILL_TRIALS=N`` adds N-1 kills at random delays to each case (for measuring, not CI).
"""

from __future__ import annotations

import ctypes
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import sphinx_tc_ext
import synth
from tc_testing import REPO, ROOTS

SURVEY = ROOTS / "test-survey" / "refs"
SNAPSHOT = REPO / "tests" / "data" / "awesome" / "snapshot"
TRIALS = int(os.environ.get("TC_KILL_TRIALS", "1"))
SMALL, LARGE = 400, 20_000
#: Runs ``tc-survey ARGS`` with SIGXFSZ at its default ("dfl", the process dies) or ignored ("ign", the
#: write fails with EFBIG).  Python itself ignores SIGXFSZ at startup, so a preexec_fn cannot set it.
CHILD = ("import signal, sys\n"
         "if sys.argv[1] == 'dfl':\n"
         "    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
         "from sphinx_tc_ext.cli import main\n"
         "sys.exit(main(sys.argv[2:]))\n")
TEMPORARY = re.compile(r"^\..+\.tmp$")
NEW_FLAGS = ["--title", "Token Merging for Everything", "--author", "Doe, Jane", "--year", "2025", "--no-input",
             "--field", "areas=video", "--field", "categories=similarity", "--field", "cost=training-free",
             "--added", "2025-01-01"]


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    extra: tuple[tuple[str, bytes], ...] = ()  # files the command overwrites, with their old bytes


CASES = {
    "fmt": Case(("fmt", "refs/survey.bib", "--taxonomy", "refs/taxonomy.toml")),
    "new": Case(("new", "--bib", "refs/survey.bib", "--taxonomy", "refs/taxonomy.toml", *NEW_FLAGS)),
    "import-awesome": Case(("import-awesome", str(SNAPSHOT), "-o", "refs/survey.bib",
                            "--taxonomy", "refs/taxonomy.toml")),
    "export-awesome": Case(("export-awesome", "refs/survey.bib", "-o", "out", "--taxonomy", "refs/taxonomy.toml"),
                           (("out/README.md", b"# old list\n"), ("out/video-llm.md", b"old videos\n"))),
    "export-json": Case(("export-json", "refs/survey.bib", "-o", "out/items.json", "--taxonomy", "refs/taxonomy.toml"),
                        (("out/items.json", b"[]\n"),)),
    "export-csv": Case(("export-csv", "refs/survey.bib", "-o", "out/papers.csv", "--taxonomy", "refs/taxonomy.toml"),
                       (("out/papers.csv", b"key\n"),)),
    "init": Case(("init", "--force", "."), (("conf.py", b"project = 'old'\n"), ("docs/index.md", b"# Old\n"))),
}

_BIBS: dict[int, str] = {}


def big_bib(n: int) -> str:
    if n not in _BIBS:
        _BIBS[n] = synth.grow(n, seed=SURVEY / "survey.bib")[0]
    return _BIBS[n]


def prepare(work: Path, case: Case, n: int) -> None:
    (work / "refs").mkdir(parents=True)
    (work / "refs" / "survey.bib").write_text(big_bib(n), encoding="utf-8")
    shutil.copy(SURVEY / "taxonomy.toml", work / "refs" / "taxonomy.toml")
    for name, data in case.extra:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)


def files(work: Path) -> dict[str, bytes]:
    return {p.relative_to(work).as_posix(): p.read_bytes() for p in sorted(work.rglob("*")) if p.is_file()}


class Watcher:
    """Wakes the moment a file under ``work`` is created, truncated, written or renamed over (inotify).

    Blocking on inotify is what lets the test win the race against a plain ``write_text``: the kernel
    wakes the test on the truncation, before the bytes follow.  Reads of the bib make no event.
    """

    MASK = 0x2 | 0x4 | 0x8 | 0x80 | 0x100 | 0x200  # MODIFY ATTRIB CLOSE_WRITE MOVED_TO CREATE DELETE

    def __init__(self, work: Path) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            pytest.skip("no inotify")
        for folder in [work, *(p for p in work.rglob("*") if p.is_dir())]:
            if self.libc.inotify_add_watch(self.fd, str(folder).encode(), self.MASK) < 0:
                pytest.skip("inotify watch refused")

    def wait(self, timeout: float) -> bool:
        ready, _w, _x = select.select([self.fd], [], [], timeout)
        return bool(ready)

    def close(self) -> None:
        os.close(self.fd)


def child_env() -> dict[str, str]:
    src = str(Path(sphinx_tc_ext.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
            "PYTHONDONTWRITEBYTECODE": "1"}


def start(work: Path, case: Case, sigxfsz: str = "ign", preexec: Callable[[], None] | None = None
          ) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, sigxfsz, *case.argv], cwd=work, env=child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=preexec)


def kill_when_writing(work: Path, case: Case, delay: float | None = None) -> float:
    """Run the command; SIGKILL it when a file under ``work`` changes (or after ``delay``, unless it is done
    by then). Returns the time of the kill."""
    watcher = Watcher(work)
    proc = start(work, case)
    began = time.perf_counter()
    try:
        while proc.poll() is None:
            now = time.perf_counter() - began
            if delay is None:
                if watcher.wait(0.05):
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    return time.perf_counter() - began
            elif now >= delay:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return now
        if delay is not None:  # it finished first: a complete run
            return time.perf_counter() - began
        pytest.fail(f"{case.argv[0]} finished before it was killed: {proc.stderr.read().decode()[-2000:]}")
    finally:
        watcher.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    raise AssertionError  # unreachable


class Reference:
    """The files a complete run writes, computed once and only when a file differs from its old bytes."""

    def __init__(self, tmp: Path, case: Case, n: int) -> None:
        self.tmp, self.case, self.n, self._files = tmp, case, n, None

    def files(self) -> dict[str, bytes]:
        if self._files is None:
            work = self.tmp / "reference"
            prepare(work, self.case, self.n)
            # A child like the runs it is compared with: what `init` writes depends on how the package is found.
            done = subprocess.run([sys.executable, "-c", CHILD, "ign", *self.case.argv], cwd=work, env=child_env(),
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            self._files = files(work)
        return self._files


def assert_old_or_new(work: Path, old: dict[str, bytes], reference: Reference, temporary_allowed: bool) -> str:
    """Every file holds its old bytes or a complete run's.

    Returns 'old' when no file has changed, 'new' when the files are a complete run's, else 'part' (a
    command writing several files, each whole, was killed between two of them).
    """
    now = files(work)
    strays = [name for name in now if TEMPORARY.match(name.rsplit("/", 1)[-1])]
    if not temporary_allowed:
        assert strays == [], "a temporary file was left behind"
    changed = False
    for name in old:
        assert name in now, f"{name} was deleted"
    for name, data in now.items():
        if name in strays or old.get(name) == data:
            continue
        new = reference.files().get(name)
        assert data == new, (f"{name}: {len(data):,} bytes, neither the old {len(old.get(name, b'')):,} nor "
                             f"the new {len(new or b''):,}")
        changed = True
    if not changed:
        return "old"
    return "new" if {k: v for k, v in now.items() if k not in strays} == reference.files() else "part"


def run_kills(tmp_path: Path, name: str, n: int, trials: int, attempts: int = 3) -> list[str]:
    """Kill the command ``trials`` times; the first kill lands the moment a write starts, the others at
    random around it.  The first is tried again (up to ``attempts``) when the command still got to finish:
    on a busy machine the kernel may run the child on past the event, and then the kill proves nothing."""
    case = CASES[name]
    reference = Reference(tmp_path, case, n)
    outcomes, first, run = [], None, 0
    while len(outcomes) < trials:
        work = tmp_path / f"work{run}"
        run += 1
        prepare(work, case, n)
        old = files(work)
        delay = None if first is None else random.uniform(0.8 * first, 1.2 * first)
        at = kill_when_writing(work, case, delay)
        outcome = assert_old_or_new(work, old, reference, temporary_allowed=True)
        shutil.rmtree(work)
        if first is None and outcome == "new" and run < attempts:
            continue
        first = at if first is None else first
        outcomes.append(outcome)
    return outcomes


@pytest.mark.parametrize("name", list(CASES))
def test_sigkill_while_writing_leaves_old_or_new_bytes(tmp_path, name):
    outcomes = run_kills(tmp_path, name, SMALL, TRIALS)
    assert outcomes[0] != "new"  # killed as the write began: the run did not get to finish
    print(f"{name}: {outcomes.count('old')} old, {outcomes.count('part')} part, {outcomes.count('new')} new "
          f"in {len(outcomes)} kills")


@pytest.mark.slow
def test_sigkill_while_fmt_writes_a_20k_bib(tmp_path):
    """The issue's case: 0 of 20,000 entries were left after a kill during ``fmt``."""
    outcomes = run_kills(tmp_path, "fmt", LARGE, max(TRIALS, 2))
    assert outcomes[0] == "old"  # one file of 12 MB: the kill lands long before it is written
    print(f"fmt 20k: {outcomes.count('old')} old, {outcomes.count('new')} new in {len(outcomes)} kills")


def kill_each_when_writing(works: dict[str, tuple[Path, Case]], timeout: float = 900) -> dict[str, float]:
    """Run every command at once, each in its own folder under its own watch; SIGKILL each the moment a file
    in its folder changes.  Returns the time of each kill: the wall time is the slowest command's, not the sum."""
    watchers = {name: Watcher(work) for name, (work, _case) in works.items()}
    procs = {name: start(work, case) for name, (work, case) in works.items()}
    by_fd = {watcher.fd: name for name, watcher in watchers.items()}
    began = time.perf_counter()
    killed: dict[str, float] = {}
    try:
        while len(killed) < len(procs):
            if time.perf_counter() - began > timeout:
                pytest.fail(f"not killed within {timeout:.0f} s: {sorted(set(procs) - set(killed))}")
            ready, _w, _x = select.select([fd for fd, name in by_fd.items() if name not in killed], [], [], 0.05)
            for fd in ready:
                name = by_fd[fd]
                procs[name].send_signal(signal.SIGKILL)
                procs[name].wait()
                killed[name] = time.perf_counter() - began
            for name, proc in procs.items():
                if name not in killed and proc.poll() is not None:
                    pytest.fail(f"{name} finished before it was killed: {proc.stderr.read().decode()[-2000:]}")
    finally:
        for name, proc in procs.items():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stderr.close()
            watchers[name].close()
    return killed


@pytest.mark.slow
def test_sigkill_while_every_writer_writes_a_20k_bib(tmp_path):
    """Every writer, killed the moment it starts writing, on a 20,000-entry bib: the bib it rewrites
    (fmt, new, import-awesome) or the input of the files it exports (export-*), 12 MB either way.

    The commands run at once, each in its own folder, so the test takes as long as the slowest one.
    ``init`` writes no bib and reads none: a 20k bib would change nothing, so it runs on the usual 400.
    """
    sizes = {name: SMALL if name == "init" else LARGE for name in CASES}
    works, olds = {}, {}
    for name, case in CASES.items():
        works[name] = (tmp_path / name / "work", case)
        prepare(works[name][0], case, sizes[name])
        olds[name] = files(works[name][0])
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    killed = kill_each_when_writing(works)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"killed at {', '.join(f'{name} {at:.1f} s' for name, at in sorted(killed.items(), key=lambda kv: kv[1]))}"
          f"; {after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime:.0f} s of CPU, load {os.getloadavg()}")
    broken = {}
    for name, (work, case) in works.items():  # every writer's outcome, not only the first broken one's
        try:
            outcome = assert_old_or_new(work, olds[name], Reference(tmp_path / name, case, sizes[name]), True)
            assert outcome != "new", "finished before the kill"
        except AssertionError as exc:
            broken[name] = str(exc).splitlines()[0]
    assert not broken, "left broken:\n" + "\n".join(f"{name}: {what}" for name, what in broken.items())


def limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.mark.parametrize("sigxfsz", ["ign", "dfl"])
@pytest.mark.parametrize("name", list(CASES))
def test_file_size_limit_keeps_the_old_file(tmp_path, name, sigxfsz):
    case = CASES[name]
    work = tmp_path / "work"
    prepare(work, case, SMALL)
    old = files(work)
    proc = start(work, case, sigxfsz, limit_file_size(1024))  # every output is larger
    _out, err = proc.communicate(timeout=120)
    stderr = err.decode()
    assert "Traceback" not in stderr
    assert_old_or_new(work, old, Reference(tmp_path, case, SMALL), temporary_allowed=sigxfsz == "dfl")
    if sigxfsz == "dfl":
        assert proc.returncode == -signal.SIGXFSZ
    else:
        assert proc.returncode == 2
        last = stderr.splitlines()[-1]
        assert re.fullmatch(r"\S+:1: could not write the file \(File too large\); it was left as it was: "
                            r"check the path, the free space and the permissions", last), last
