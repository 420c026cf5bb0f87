"""Scale and speed benchmark of the survey site (GitHub issue 8).

One command, no network::

    .venv/bin/python benchmarks/run.py            # 1k, 5k and 20k entries, reference at 1k and 5k
    .venv/bin/python benchmarks/run.py --quick    # 1k only (about two minutes)

For each size N it grows a bib to N entries by copying the real entries under new keys
(``tests/synth.py``), copies the whole site (``conf.py``, ``docs/``, ``refs/``) into a
temporary folder with that bib, and measures, each build in a fresh ``sphinx-build`` process:

* the full (clean) build, ``-j 1`` and ``-j 2`` alternating, three times each below 20k
  (``--repeat``; the median counts), wall and CPU time and peak RSS (``wait4`` rusage of the
  child: the largest single process, so for ``-j 2`` it is the parent or one worker, not the sum);
* a rebuild with nothing changed;
* a rebuild after editing one entry's title, with the pages Sphinx re-read and re-wrote (parsed
  from its output) against the pages that actually show that entry; then those pages written
  again with the bib unchanged, and their HTML written by Sphinx and furo without the extension
  (the edit's floor, ``plain_site.make_floor_site``);
* the size of the all-papers page per card;
* a "one page" site (only the all-papers table, every paper once) and the reference: a site with
  ``.. bibliography:: :all:`` of sphinxcontrib-bibtex and furo on the same bib, built in the same run;
* at 20k (full run only), also a bib with 5% broken entries (``synth.grow_broken``).

Writes ``benchmarks/RESULTS.md`` (table, machine, date) and ``benchmarks/out/results-<date>.json``.
``--profile`` additionally runs the 5k full build and the 5k one-entry rebuild under cProfile
and writes the top functions to ``benchmarks/out/profile-*.txt`` (see ``PROFILE.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # synth.py lives with the tests that use it too

import synth  # noqa: E402

REPO = HERE.parent
#: The extension measured is this checkout's (the copied sites have no src/ for conf.py to find), not
#: whatever the Python environment has installed; the install scenario empties it to measure its own.
CODE_PATH = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))}
OUT = HERE / "out"
PYTHON = sys.executable
# "-j 1" prints one document per line; "-j N" one chunk per line ("first .. last")
STEP = re.compile(r"^(reading sources|writing output)\.\.\. \[\s*\d+%\] (\S+(?: \.\. \S+)?)\s*$", re.MULTILINE)
UPDATING = re.compile(r"updating environment: (?:\[[^\]]*\] )?(\d+) added, (\d+) changed, (\d+) removed")
CARD = re.compile(r'<article class="tc-card[^"]*"[^>]*>.*?</article>', re.DOTALL)
REFERENCE_CONF = """\
extensions = ["sphinxcontrib.bibtex"]
project = "reference"
bibtex_bibfiles = ["refs/survey.bib"]
bibtex_default_style = "plain"
html_theme = "furo"
exclude_patterns = ["_build"]
"""
REFERENCE_INDEX = "Reference\n=========\n\n.. bibliography::\n   :all:\n"
ONE_PAGE = "# All papers\n\n```{paper-table}\n:group-by: area, category\n:sort: -date, title\n```\n"


# -- sites -----------------------------------------------------------------------------------

ABSTRACT_WORDS = ("token", "compression", "visual", "pruning", "merging", "attention", "video", "audio", "frames",
                  "redundancy", "efficient", "multimodal", "language", "model", "inference", "budget", "accuracy",
                  "benchmark", "training-free", "layers", "spatial", "temporal", "encoder", "latency", "memory")
#: Set by ``--abstracts`` (issue 20): every grown entry gets an abstract of about 1,100 characters;
#: ``--abstracts hidden`` also sets ``[survey] bibtex_hidden = ["abstract"]`` in the copied taxonomy.
WITH_ABSTRACTS = ""


def add_abstracts(text: str) -> str:
    """An ``abstract`` of ~150 words (varying per entry) after each entry's first line."""
    def one(match: re.Match) -> str:
        seed = sum(map(ord, match.group(2)))
        words = [ABSTRACT_WORDS[(seed + i * 7 + i * i) % len(ABSTRACT_WORDS)] for i in range(150)]
        return f"{match.group(1)}\n  abstract = {{{' '.join(words).capitalize()}.}},"
    return re.sub(r"^(@\w+\{([^,\s]+),)$", one, text, flags=re.MULTILINE)


def write_bib(path: Path, n: int, broken: float = 0.0) -> dict:
    if broken:
        text, keys, bad = synth.grow_broken(n, broken)
    else:
        (text, keys), bad = synth.grow(n), {}
    if WITH_ABSTRACTS:
        text = add_abstracts(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return {"keys": keys, "broken": bad, "bytes": len(text.encode())}


def make_site(root: Path, n: int, kind: str = "site", broken: float = 0.0) -> tuple[Path, dict]:
    """A copy of the site (``kind="site"``), one all-papers page (``"onepage"``) or the reference."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if kind == "reference":
        # conf.py next to docs/, like ours; sphinxcontrib-bibtex resolves bib files against the srcdir
        bibfile = str(root / "refs" / "survey.bib")
        (root / "conf.py").write_text(REFERENCE_CONF.replace('"refs/survey.bib"', repr(bibfile)), encoding="utf-8")
        (root / "docs").mkdir()
        (root / "docs" / "index.rst").write_text(REFERENCE_INDEX, encoding="utf-8")
    else:
        shutil.copy2(REPO / "conf.py", root / "conf.py")
        shutil.copytree(REPO / "refs", root / "refs")
        if kind == "onepage":
            (root / "docs").mkdir()
            (root / "docs" / "index.md").write_text(ONE_PAGE, encoding="utf-8")
        else:
            shutil.copytree(REPO / "docs", root / "docs", ignore=shutil.ignore_patterns("_build"))
    info = write_bib(root / "refs" / "survey.bib", n, broken)
    if WITH_ABSTRACTS == "hidden" and kind != "reference":
        taxonomy = root / "refs" / "taxonomy.toml"
        text = taxonomy.read_text(encoding="utf-8")
        taxonomy.write_text(text.replace("[survey]\n", '[survey]\nbibtex_hidden = ["abstract"]\n', 1), encoding="utf-8")
    return root, info


# -- builds ----------------------------------------------------------------------------------

def build_env() -> dict[str, str]:
    """The environment of a measured build.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: an installed package has its bytecode compiled
    (pip does it at install, Read the Docs included), so the checkout's modules are compiled
    once (into their ``__pycache__``, ignored by git) instead of in every measured build.
    """
    env = {**os.environ, "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8", **CODE_PATH}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def build(root: Path, jobs: int = 1, strict: bool = True, profile: Path | None = None, outdir: str = "_build/html",
          extra: tuple[str, ...] = (), files: tuple[str, ...] = ()) -> dict:
    """One ``sphinx-build`` in a fresh process; wall time, peak RSS and what it read and wrote.

    ``files``: source files to write (Sphinx writes just those, and reads what is outdated).
    """
    args = ["-m", "sphinx", "-b", "html", "-c", ".", "--keep-going", "-n", *extra]
    if strict:
        args.append("-W")
    if jobs != 1:
        args += ["-j", str(jobs)]
    args += ["docs", outdir, *files]  # sphinx-build takes no option after its positional arguments
    if profile is not None:
        args = ["-m", "cProfile", "-o", str(profile), *args]
    logs = root / "_logs"
    logs.mkdir(exist_ok=True)
    stamp = f"{time.monotonic_ns()}"
    out_path, err_path = logs / f"{stamp}.out", logs / f"{stamp}.err"
    load_before = os.getloadavg()[0]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, *args], cwd=root, stdout=out, stderr=err,
                                env=build_env())
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    steps = STEP.findall(stdout)
    result = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "loadavg_before": round(load_before, 2),
        "returncode": proc.returncode,
        "read": sorted({doc for what, doc in steps if what == "reading sources"}),
        "written": sorted({doc for what, doc in steps if what == "writing output"}),
        "updating": [int(x) for x in m.groups()] if (m := UPDATING.search(stdout)) else None,
        "warnings": stderr.count("WARNING"),
        "traceback": "Traceback" in stderr,
    }
    if proc.returncode != 0:
        result["stderr_tail"] = stderr[-2000:]
        errors = [line for line in stderr.splitlines() if "rror" in line or "xception" in line]
        result["stderr_lines"] = errors[:3]
    return result


def pages_showing(outdir: Path, key: str) -> list[str]:
    needle = f'data-key="{key}"'
    return sorted(str(p.relative_to(outdir).with_suffix("")) for p in outdir.rglob("*.html")
                  if needle in p.read_text(encoding="utf-8"))


def page_stats(page: Path) -> dict:
    html = page.read_text(encoding="utf-8")
    cards = CARD.findall(html)
    size = len(html.encode())
    return {"page": page.name, "page_bytes": size, "cards": len(cards),
            "bytes_per_card": round(size / len(cards)) if cards else None,
            "card_markup_bytes": round(sum(len(c.encode()) for c in cards) / len(cards)) if cards else None}


def toctree_parents(doctreedir: Path, docnames: list[str]) -> list[str]:
    """Pages Sphinx itself writes again when ``docnames`` were re-read: those whose toctree holds them."""
    import pickle

    with (doctreedir / "environment.pickle").open("rb") as f:
        env = pickle.load(f)
    return sorted({parent for doc in docnames for parent in env.files_to_rebuild.get(doc, ())})


def html_bytes(outdir: Path) -> int:
    return sum(p.stat().st_size for p in outdir.rglob("*.html"))


def edit_one_entry(bib: Path, key: str) -> str:
    """Change the title of ``key`` (nothing else), as an author fixing a typo would."""
    text = bib.read_text(encoding="utf-8")
    start = text.index("{" + key + ",")
    m = re.compile(r"title\s*=\s*\{", re.IGNORECASE).search(text, start)
    marker = "Edited Benchmark Title "
    bib.write_text(text[:m.end()] + marker + text[m.end():], encoding="utf-8")
    return marker.strip()


def bump_mtime(path: Path) -> None:
    """Make an edit visible however coarse the file system's timestamps are."""
    later = time.time() + 2
    os.utime(path, (later, later))


# -- scenarios -------------------------------------------------------------------------------

def median_run(runs: list[dict], key: str) -> dict:
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def run_site(work: Path, n: int, log, with_parallel: bool = True, with_edit: bool = True, repeat: int = 1) -> dict:
    """Full builds (``-j 1`` and ``-j 2`` alternating, ``repeat`` times: the median counts), then
    no-change rebuilds and one-entry edits on the last ``-j 1`` output (``repeat`` times each, the
    median by CPU time counts; before each edit but the first the original bib is built again)."""
    root, info = make_site(work / f"site-{n}", n)
    res: dict = {"n": n, "bib_bytes": info["bytes"]}
    full_runs, parallel_runs = [], []
    for i in range(repeat):
        if with_parallel:
            log(f"[{n}] site: full build -j 2 ({i + 1}/{repeat})")
            shutil.rmtree(root / "_build" / "html-j2", ignore_errors=True)
            parallel_runs.append(build(root, jobs=2, outdir="_build/html-j2"))
        log(f"[{n}] site: full build -j 1 ({i + 1}/{repeat})")
        shutil.rmtree(root / "_build" / "html", ignore_errors=True)
        full_runs.append(build(root))
    res["full"] = median_run(full_runs, "cpu_seconds")
    res["full_runs"] = [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in full_runs]
    if parallel_runs:
        res["parallel"] = median_run(parallel_runs, "seconds")
        res["parallel_runs"] = [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in parallel_runs]
        res["full_wall_median"] = median_run(full_runs, "seconds")["seconds"]
    outdir = root / "_build" / "html"
    res["html_bytes"] = html_bytes(outdir)
    res["papers_page"] = page_stats(outdir / "papers.html")
    res["doctree_bytes"] = sum(p.stat().st_size for p in (outdir / ".doctrees").rglob("*") if p.is_file())
    log(f"[{n}] site: no-change rebuild ({repeat}x)")
    noop_runs = [build(root) for _ in range(repeat)]
    res["noop"] = median_run(noop_runs, "cpu_seconds")
    res["noop_runs"] = [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in noop_runs]
    if with_edit:
        key = info["keys"][len(info["keys"]) // 2]
        shows = pages_showing(outdir, key)
        bib = root / "refs" / "survey.bib"
        original = bib.read_bytes()
        edit_runs = []
        for i in range(repeat):  # each time: the original bib built again (not measured), then the edit
            if i:
                bib.write_bytes(original)
                bump_mtime(bib)
                build(root)
            marker = edit_one_entry(bib, key)
            bump_mtime(bib)
            log(f"[{n}] site: rebuild after editing {key} ({i + 1}/{repeat})")
            edit_runs.append(build(root))
        edit = median_run(edit_runs, "cpu_seconds")
        edit["runs"] = [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in edit_runs]
        edit["key"] = key
        # Cards carry the key; a list-layout page shows only the text, so also count the pages
        # that show the edited title now.
        shown_after = [str(p.relative_to(outdir).with_suffix("")) for p in outdir.rglob("*.html")
                       if marker in p.read_text("utf-8")]
        shows = sorted(set(shows) | set(shown_after))
        edit["pages_showing_entry"] = shows
        edit["edit_visible_on"] = sorted(p for p in shows if marker in (outdir / f"{p}.html").read_text("utf-8"))
        # Sphinx itself writes again the pages whose toctree holds a page it writes
        edit["toctree_parents"] = toctree_parents(outdir / ".doctrees", shows)
        res["edit"] = edit
        bib.write_bytes(original)
        bump_mtime(bib)
        build(root)
        res["floor"] = run_floor(work, root, shows, log, repeat)
    shutil.rmtree(root)
    return res


def run_floor(work: Path, root: Path, pages: list[str], log, repeat: int) -> dict:
    """What an edit that shows on ``pages`` costs at least, measured two ways (issue 19), alternating:

    * ``rewrite``: our site writing ``pages`` again with the bib unchanged (``sphinx-build ... FILES``):
      an edit without the re-selection and the parse, every card from the cache;
    * ``floor``: the same pages' built HTML as raw blocks in the plain copy of the site
      (``plain_site.make_floor_site``), written again: Sphinx and furo writing the same bytes,
      nothing of ours; and ``floor_noop``, a no-change rebuild of that site (its startup).
    """
    import plain_site

    floor = plain_site.make_floor_site(work / f"{root.name}-floor", root, pages)
    first = build(floor)
    # the pages' source files, named on the command line
    files = {site: tuple(str(plain_site.page_source(site / "docs", page).relative_to(site)) for page in pages)
             for site in (root, floor)}
    runs: dict[str, list[dict]] = {"rewrite": [], "floor": [], "floor_noop": []}
    for i in range(repeat):
        log(f"floor: the {len(pages)} pages showing the entry written again, ours and without the extension "
            f"({i + 1}/{repeat})")
        runs["rewrite"].append(build(root, files=files[root]))
        runs["floor"].append(build(floor, files=files[floor]))
        runs["floor_noop"].append(build(floor))
    res: dict = {name: median_run(series, "cpu_seconds") for name, series in runs.items()}
    res["runs"] = {name: [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in series]
                   for name, series in runs.items()}
    res["floor_first_build"] = {"returncode": first["returncode"], "warnings": first["warnings"]}
    res["pages_bytes"] = sum((root / "_build" / "html" / f"{page}.html").stat().st_size for page in pages)
    shutil.rmtree(floor)
    return res


def run_onepage(work: Path, n: int, log) -> dict:
    root, _info = make_site(work / f"onepage-{n}", n, "onepage")
    log(f"[{n}] one-page site: full build")
    res = build(root)
    res["page"] = page_stats(root / "_build" / "html" / "index.html")
    shutil.rmtree(root)
    return res


def run_reference(work: Path, n: int, log, with_noop: bool = False) -> dict:
    root, _info = make_site(work / f"reference-{n}", n, "reference")
    log(f"[{n}] reference (sphinxcontrib-bibtex :all: + furo): full build")
    res = {"full": build(root, strict=False)}
    page = root / "_build" / "html" / "index.html"
    res["page_bytes"] = page.stat().st_size
    if with_noop:
        log(f"[{n}] reference: no-change rebuild")
        res["noop"] = build(root, strict=False)
    shutil.rmtree(root)
    return res


def run_real_site(work: Path, log, repeat: int = 3) -> dict:
    """The real site (``conf.py``, ``docs/``, the newest ``refs/``) against the same pages without the extension.

    Clean builds, the two alternating ``repeat`` times (``plain_site.py`` makes the copy);
    the ratio is of the medians, by CPU time (wall time is given too).
    """
    import plain_site

    real = work / "real-site"
    if real.exists():
        shutil.rmtree(real)
    real.mkdir(parents=True)
    shutil.copy2(REPO / "conf.py", real / "conf.py")
    shutil.copytree(REPO / "refs", real / "refs")
    shutil.copytree(REPO / "docs", real / "docs", ignore=shutil.ignore_patterns("_build"))
    plain = plain_site.make_plain_site(work / "plain-site", REPO)
    runs: dict[str, list[dict]] = {"real": [], "plain": []}
    log("real site: a first build of each, not measured (bytecode, file caches)")
    for root in (real, plain):
        build(root)
    for i in range(repeat):
        for name, root in (("plain", plain), ("real", real)) if i % 2 else (("real", real), ("plain", plain)):
            shutil.rmtree(root / "_build", ignore_errors=True)
            log(f"real site: clean build, {name} ({i + 1}/{repeat})")
            runs[name].append(build(root))
    res: dict = {name: median_run(series, "cpu_seconds") for name, series in runs.items()}
    res["runs"] = {name: [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"], "load": r["loadavg_before"]}
                          for r in series] for name, series in runs.items()}
    res["ratio_cpu"] = round(res["real"]["cpu_seconds"] / res["plain"]["cpu_seconds"], 2)
    res["ratio_wall"] = round(median_run(runs["real"], "seconds")["seconds"]
                              / median_run(runs["plain"], "seconds")["seconds"], 2)
    res["pages"] = len(list((real / "_build" / "html").rglob("*.html")))
    shutil.rmtree(real)
    shutil.rmtree(plain)
    return res


def run_install(work: Path, log) -> dict:
    """What Read the Docs does: a fresh virtual environment, ``pip install .[docs]`` (no pip cache), a clean build.

    Needs PyPI; the time depends on the network, so the download size is given too.
    """
    venv = work / "rtd-venv"
    python = venv / "bin" / "python"
    log("install: fresh venv, pip install .[docs] (no cache)")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    source = work / "rtd-source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", "_build", ".venv", "out", "__pycache__",
                                                                 ".hypothesis", ".ruff_cache"))
    proc = subprocess.run([str(python), "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
                           "-q", ".[docs]"], cwd=source, capture_output=True, text=True, check=False)
    install = time.perf_counter() - start
    res: dict = {"install_seconds": round(install, 1), "returncode": proc.returncode}
    if proc.returncode:
        res["stderr_tail"] = proc.stderr[-1500:]
        return res
    site = venv / "lib"
    res["venv_mb"] = round(sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 2**20)
    freeze = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=False).stdout.split()
    res["packages"] = len(freeze)
    log("install: clean build with that environment")
    global PYTHON, CODE_PATH
    saved, PYTHON, CODE_PATH = (PYTHON, CODE_PATH), str(python), {"PYTHONPATH": ""}
    try:
        shutil.rmtree(source / "src")  # the installed package is what Read the Docs builds with
        res["build"] = build(source)
    finally:
        PYTHON, CODE_PATH = saved
    res["total_seconds"] = round(install + res["build"]["seconds"], 1)
    shutil.rmtree(venv)
    shutil.rmtree(source)
    return res


def run_broken(work: Path, n: int, log) -> dict:
    """The whole site on a bib with 5% broken entries, then the all-papers page with our extension alone."""
    res: dict = {}
    for kind, extra in (("site", ()), ("onepage", ("-D", "extensions=myst_parser,sphinx_tc_ext"))):
        root, info = make_site(work / f"broken-{kind}-{n}", n, kind, broken=0.05)
        log(f"[{n}] {kind} with 5% broken entries{' (sphinx_tc_ext alone)' if extra else ''}: full build")
        one = build(root, strict=False, extra=extra)
        page = root / "_build" / "html" / ("papers.html" if kind == "site" else "index.html")
        one["cards"] = page_stats(page)["cards"] if page.exists() else 0
        one["broken_entries"] = len(info["broken"])
        one["intact_entries"] = len(info["keys"])
        one["first_error"] = next((line for line in one.pop("stderr_lines", [])), "")
        res[kind] = one
        shutil.rmtree(root)
    return res


def run_profiles(work: Path, n: int, log) -> dict:
    import pstats

    root, info = make_site(work / f"profile-{n}", n)
    OUT.mkdir(exist_ok=True)
    found = {}
    for name in ("full", "noop", "edit"):
        if name == "edit":
            key = info["keys"][len(info["keys"]) // 2]
            bib = root / "refs" / "survey.bib"
            edit_one_entry(bib, key)
            bump_mtime(bib)
        prof = OUT / f"profile-{n}-{name}.prof"
        log(f"[{n}] cProfile: {name}")
        found[name] = build(root, profile=prof)
        with (OUT / f"profile-{n}-{name}.txt").open("w", encoding="utf-8") as fh:
            stats = pstats.Stats(str(prof), stream=fh)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
    shutil.rmtree(root)
    return found


# -- report ----------------------------------------------------------------------------------

def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {name: metadata.version(name) for name in ("sphinx", "pybtex", "sphinxcontrib-bibtex", "furo",
                                                          "myst-parser", "docutils")}
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "cpu": cpu,
            "cores": os.cpu_count(), "memory_gib": round(mem_gb, 1), "python": platform.python_version(),
            "platform": platform.platform(), **versions}


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def site_pages() -> str:
    pages = [p for p in (REPO / "docs").rglob("*") if p.suffix in (".md", ".rst")]
    tables = [p for p in pages if "paper-table" in p.read_text(encoding="utf-8")]
    return f"{len(pages)} pages, {len(tables)} with paper tables"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def t(build: dict) -> str:
    """Wall time with CPU time (user + system of the process tree) in parentheses."""
    return f"{build['seconds']:.1f} s ({build['cpu_seconds']:.1f})"


def ok(build: dict) -> str:
    return "ok" if build["returncode"] == 0 else f"exit {build['returncode']}, {build['warnings']} warnings"


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results (issues 8 and 19)",
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"Sphinx {m['sphinx']}, docutils {m['docutils']}, pybtex {m['pybtex']}, "
        f"sphinxcontrib-bibtex {m['sphinxcontrib-bibtex']}, furo {m['furo']}, myst-parser {m['myst-parser']}.",
        f"Command: `{shlex.join(['.venv/bin/python', 'benchmarks/run.py', *results['arguments']])}` "
        f"({results['total_seconds']:.0f} s in all). Every build is a fresh `sphinx-build` process "
        "(`-n -W --keep-going`, like `scripts/build-site`); times are wall clock with the CPU time "
        "(user + system) in parentheses; peak RSS is the largest single process (for `-j 2` not the sum).",
        f"Code measured: commit {results['commit']}"
        + (" with uncommitted changes in `src/`" if results["src_dirty"] else "") + f"; seed bib `{results['seed']}`.",
        f"Load average (1 min) before the builds: {results['load']} — the machine is shared, so wall times "
        "are inflated when it is busy; the verdicts on serial builds use CPU time, `-j 2` uses wall time.",
        "",
        f"## Our site (`conf.py` + `docs/`: {results['site_pages']}) on a grown bib"
        + (f" with an abstract in every entry (`--abstracts {results['abstracts']}`)" if results.get("abstracts")
           else ""),
        "",
        "| N | full -j1 | peak RSS | no-change rebuild | edit one entry | re-read / re-written / showing it "
        "| full -j2 | HTML total | all-papers page | per card | exit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results["sites"]:
        edit = s.get("edit")
        par = s.get("parallel")
        pp = s["papers_page"]
        lines.append(
            f"| {s['n']:,} | {t(s['full'])} | {s['full']['peak_rss_mb']:.0f} MB | {t(s['noop'])} | "
            + (f"{t(edit)} = {edit['cpu_seconds'] / s['full']['cpu_seconds']:.0%} | "
               f"{len(edit['read'])} / {len(edit['written'])} / {len(edit['pages_showing_entry'])} | "
               if edit else "– | – | ")
            + (f"{t(par)} | " if par else "– | ")
            + f"{s['html_bytes'] / 2**20:.1f} MB | {pp['page_bytes'] / 2**20:.1f} MB | "
            f"{pp['bytes_per_card'] or 0:,} B | {ok(s['full'])} |")
    repeated = [s for s in results["sites"] if len(s.get("full_runs", ())) > 1]
    if repeated:
        lines += ["", "Each full build, wall (CPU) seconds; the tables show the median (by CPU for `-j 1`, "
                  "by wall time for `-j 2`):", ""]
        for s in repeated:
            runs = ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f})" for r in s["full_runs"])
            par = ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f})" for r in s.get("parallel_runs", ()))
            lines.append(f"- N={s['n']:,}: `-j 1` {runs}" + (f"; `-j 2` {par}" if par else ""))
            for label, name in (("no-change", "noop_runs"), ("one-entry edit", "runs")):
                series = s.get(name) or (s.get("edit") or {}).get(name)
                if series:
                    lines.append(f"  {label}: " + ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f})"
                                                           for r in series))
    edits = [s for s in results["sites"] if s.get("edit")]
    if edits:
        lines += ["", "Pages after editing one entry's title (key in the middle of the bib):", ""]
        for s in edits:
            e = s["edit"]
            lines.append(f"- N={s['n']:,}, `{e['key']}`: shown on {', '.join(e['pages_showing_entry'])}; "
                         f"re-read {', '.join(e['read']) or 'none'}; re-written {', '.join(e['written']) or 'none'} "
                         f"(toctree parents of the pages showing it, which Sphinx re-writes itself: "
                         f"{', '.join(e.get('toctree_parents', ())) or 'none'}); "
                         f"edit visible on {len(e['edit_visible_on'])}/{len(e['pages_showing_entry'])} of them.")
            floor = s.get("floor")
            if floor:
                full = s["full"]["cpu_seconds"]
                failed = floor["floor_first_build"]["returncode"]
                lines.append(
                    f"  Those {len(e['pages_showing_entry'])} pages ({floor['pages_bytes'] / 2**20:.1f} MB) written "
                    f"again with the bib unchanged (`sphinx-build … FILES`): {t(floor['rewrite'])} = "
                    f"{floor['rewrite']['cpu_seconds'] / full:.0%} of the full build. Their HTML written by Sphinx "
                    f"and furo alone (the plain copy of the site with those pages as raw HTML, "
                    f"`plain_site.make_floor_site`): {t(floor['floor'])} = "
                    f"{floor['floor']['cpu_seconds'] / full:.0%}, of which that site's no-change rebuild "
                    f"{t(floor['floor_noop'])}" + (f" (its first build: exit {failed})" if failed else "") + ".")
    lines += ["", "## Against the reference (same bib, same run)", "",
              "| N | reference `:all:` full | our site full | CPU ratio | one-page site full | CPU ratio | "
              "reference no-change | reference page per entry | reference peak RSS |",
              "|---|---|---|---|---|---|---|---|---|"]
    for n, ref in sorted(results["reference"].items(), key=lambda kv: int(kv[0])):
        site = next((s for s in results["sites"] if s["n"] == int(n)), None)
        one = results["onepage"].get(n)
        rf = ref["full"]["cpu_seconds"]
        lines.append(
            f"| {int(n):,} | {t(ref['full'])} | "
            + (f"{t(site['full'])} | {site['full']['cpu_seconds'] / rf:.2f} | " if site else "– | – | ")
            + (f"{t(one)} | {one['cpu_seconds'] / rf:.2f} | " if one else "– | – | ")
            + (f"{t(ref['noop'])} | " if ref.get("noop") else "– | ")
            + f"{ref['page_bytes'] / int(n):,.0f} B | {ref['full']['peak_rss_mb']:.0f} MB |")
    lines += ["", "The one-page site is `conf.py` with a single page holding the all-papers table "
              "(every paper once, like the reference's one `:all:` page)."]
    real = results.get("real_site")
    if real:
        lines += ["", "## The real site against the same pages without the extension (issue 19)", "",
                  f"Clean builds of the real site ({real['pages']} pages, `refs/survey.bib` as committed) and of the "
                  "copy `benchmarks/plain_site.py` makes (the extension's and sphinxcontrib-bibtex's directives and "
                  "roles removed, both left out of `conf.py`), alternating; medians.", "",
                  "| build | median | each run, wall (CPU) | load before each |", "|---|---|---|---|"]
        for name in ("real", "plain"):
            series = real["runs"][name]
            lines.append(f"| {'real site' if name == 'real' else 'without the extension'} | {t(real[name])} | "
                         + ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f})" for r in series) + " | "
                         + ", ".join(f"{r['load']:.1f}" for r in series) + " |")
        lines += ["", f"Ratio: {real['ratio_cpu']:.2f}× by CPU time, {real['ratio_wall']:.2f}× by wall time."]
    inst = results.get("install")
    if inst:
        lines += ["", "## A Read the Docs-style install plus build", ""]
        if inst["returncode"]:
            lines.append(f"`pip install .[docs]` failed ({inst['returncode']}): {inst.get('stderr_tail', '')[-300:]}")
        else:
            lines.append(f"Fresh venv and `pip install --no-cache-dir .[docs]`: {inst['install_seconds']:.1f} s "
                         f"({inst['packages']} packages, {inst['venv_mb']} MB installed); then a clean build of the "
                         f"real site: {t(inst['build'])} ({ok(inst['build'])}); "
                         f"together {inst['total_seconds']:.1f} s.")
    if results.get("broken"):
        lines += ["", "## Hostile input: 5% broken entries", "",
                  "| build | entries (broken) | time | peak RSS | exit | warnings | traceback | cards on the "
                  "all-papers page | first error |", "|---|---|---|---|---|---|---|---|---|"]
        for kind, b in results["broken"].items():
            label = "whole site (conf.py as is)" if kind == "site" else "all-papers page, `sphinx_tc_ext` alone"
            lines.append(f"| {label} | {b['intact_entries'] + b['broken_entries']:,} ({b['broken_entries']:,}) | "
                         f"{t(b)} | {b['peak_rss_mb']:.0f} MB | {b['returncode']} | {b['warnings']:,} | "
                         f"{'yes' if b['traceback'] else 'no'} | {b['cards']:,} of {b['intact_entries']:,} | "
                         f"{b['first_error'][:150].replace('|', '/')} |")
    lines += ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for name, measured, passed in targets(results):
        lines.append(f"| {name} | {measured} | {verdict(passed)} |")
    lines += ["", "Raw numbers: `benchmarks/out/results-*.json`. Profile findings: `benchmarks/PROFILE.md`.", ""]
    return "\n".join(lines)


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    out = []
    real = results.get("real_site")
    if real:
        out.append(("real site ≤ 1.5 × the same pages without the extension (CPU, clean builds)",
                    f"{real['ratio_cpu']:.2f}× ({real['real']['cpu_seconds']:.1f} s vs "
                    f"{real['plain']['cpu_seconds']:.1f} s)", real["ratio_cpu"] <= 1.5))
        out.append(("… stretch: ≤ 1.25×", f"{real['ratio_cpu']:.2f}×", real["ratio_cpu"] <= 1.25))
    by_n = {s["n"]: s for s in results["sites"]}
    if not by_n:
        return out
    big = by_n.get(5000) or by_n[max(by_n)]
    n = big["n"]
    full = big["full"]["cpu_seconds"]
    ref = results["reference"].get(str(n))
    if ref:
        ratio = full / ref["full"]["cpu_seconds"]
        out.append((f"full build ≤ 0.25 × reference at N={n:,} (CPU)",
                    f"{ratio:.2f}× ({full:.1f} s vs {ref['full']['cpu_seconds']:.1f} s)", ratio <= 0.25))
        one = results["onepage"].get(str(n))
        if one:
            r1 = one["cpu_seconds"] / ref["full"]["cpu_seconds"]
            out.append(("… the one-page site instead (same content as the reference)", f"{r1:.2f}×", r1 <= 0.25))
    noop = big["noop"]
    out.append((f"no-change rebuild ≤ 1.5 s at N={n:,}",
                f"{noop['seconds']:.1f} s wall, {noop['cpu_seconds']:.1f} s CPU", noop["cpu_seconds"] <= 1.5))
    if big.get("edit"):
        e = big["edit"]
        share = e["cpu_seconds"] / full
        out.append((f"one-entry edit ≤ 15% of full at N={n:,} (CPU)", f"{share:.0%} ({e['cpu_seconds']:.1f} s)",
                    share <= 0.15))
        floor = big.get("floor")
        if floor:
            out.append(("… its floor: the same pages written by Sphinx and furo alone (no target)",
                        f"{floor['floor']['cpu_seconds'] / full:.0%} ({floor['floor']['cpu_seconds']:.1f} s)", None))
        shows = set(e["pages_showing_entry"])
        parents = set(e.get("toctree_parents", ()))
        only = set(e["read"]) <= shows and set(e["written"]) <= shows | parents
        out.append(("edit re-reads only pages showing the entry; re-writes those and their toctree parents",
                    f"read {len(e['read'])}, wrote {len(e['written'])}, shown on {len(shows)}, "
                    f"toctree parents {len(parents - shows)}", only))
    if 20000 in by_n:
        rss = by_n[20000]["full"]["peak_rss_mb"]
        out.append(("N=20,000 peak RSS ≤ 2 GiB", f"{rss:.0f} MB", rss <= 2048))
    if len(by_n) > 1:
        ns = sorted(by_n)
        per = [by_n[k]["full"]["cpu_seconds"] / k * 1000 for k in ns]
        rss = [by_n[k]["full"]["peak_rss_mb"] / k * 1000 for k in ns]
        desc = ", ".join(f"{k:,}: {p:.1f} ms, {r:.0f} kB" for k, p, r in zip(ns, per, rss, strict=True))
        # Near-linear: the cost per entry does not grow with N (fixed costs make it shrink).
        grows = any(b > 1.25 * a for series in (per, rss) for a, b in itertools.pairwise(series))
        out.append(("near-linear time and memory (CPU ms and peak kB per entry, not growing with N)", desc,
                    not grows))
    if big.get("parallel"):
        p, s1 = big["parallel"]["seconds"], big.get("full_wall_median", big["full"]["seconds"])
        runs = len(big.get("parallel_runs", [1]))
        out.append((f"-j 2 no slower than -j 1 at N={n:,} (wall, median of {runs})", f"{p:.1f} s vs {s1:.1f} s",
                    p <= s1 * 1.02))
    per_card = big["papers_page"]["bytes_per_card"] or 0
    out.append((f"all-papers page ≤ 2 KB per card at N={n:,}",
                f"{per_card:,} B (card markup alone {big['papers_page']['card_markup_bytes']:,} B)",
                per_card <= 2048))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k entries only, about two minutes")
    parser.add_argument("--sizes", help="comma-separated sizes (default 1000,5000,20000; --quick: 1000)")
    parser.add_argument("--reference-sizes", help="sizes to build the reference at (default 1000,5000; quick: 1000)")
    parser.add_argument("--no-broken", action="store_true", help="skip the 20k build with 5%% broken entries")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the 5k full build, no-change rebuild and one-entry rebuild")
    parser.add_argument("--profile-only", action="store_true", help="only the cProfile runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary sites")
    parser.add_argument("--no-real-site", action="store_true", help="skip the real site against its plain copy")
    parser.add_argument("--no-install", action="store_true",
                        help="skip the fresh venv + pip install .[docs] + build (needs PyPI)")
    parser.add_argument("--abstracts", nargs="?", const="shown", choices=["shown", "hidden"],
                        help="give every grown entry an abstract (issue 20; the reference gets them too); "
                        "'hidden': and keep it out of the cards' BibTeX (the taxonomy's bibtex_hidden)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="full builds (-j 1 and -j 2) per size below 20k; the median counts (default 3)")
    args = parser.parse_args(argv)
    global WITH_ABSTRACTS
    WITH_ABSTRACTS = args.abstracts or ""

    default_sizes = "1000" if args.quick else "1000,5000,20000"
    sizes = [int(s) for s in (default_sizes if args.sizes is None else args.sizes).split(",") if s]  # "": none
    ref_sizes = [int(s) for s in (args.reference_sizes or ("1000" if args.quick else "1000,5000")).split(",") if s]
    start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - start:7.1f}s  {msg}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="tc-bench-"))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    results: dict = {"machine": machine(), "load": load, "commit": git("rev-parse", "--short", "HEAD"),
                     "src_dirty": bool(git("status", "--porcelain", "--", "src")), "site_pages": site_pages(),
                     "quick": args.quick, "abstracts": args.abstracts,
                     "arguments": list(sys.argv[1:] if argv is None else argv),
                     "seed": str(synth.seed_path().relative_to(REPO)),
                     "sites": [], "onepage": {}, "reference": {}}
    try:
        if args.profile or args.profile_only:
            results["profile"] = run_profiles(work, 5000, log)
            if args.profile_only:
                return 0
        if not args.no_real_site:
            results["real_site"] = run_real_site(work, log, repeat=max(args.repeat, 3))
        if not args.no_install and not args.quick:
            results["install"] = run_install(work, log)
        for n in sizes:
            biggest = n >= 20000
            results["sites"].append(run_site(work, n, log, with_parallel=not biggest, with_edit=not biggest,
                                             repeat=1 if biggest or args.quick else args.repeat))
            if n in ref_sizes:
                results["onepage"][str(n)] = run_onepage(work, n, log)
                results["reference"][str(n)] = run_reference(work, n, log, with_noop=n <= 1000)
        if not args.quick and not args.no_broken and max(sizes) >= 20000:
            results["broken"] = run_broken(work, 20000, log)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["total_seconds"] = time.perf_counter() - start
    OUT.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}{'-quick' if args.quick else ''}.json").write_text(json.dumps(results, indent=1),
                                                                                encoding="utf-8")
    md = report(results)
    name = "RESULTS-quick.md" if args.quick else (f"RESULTS-abstracts-{args.abstracts}.md" if args.abstracts
                                                  else "RESULTS.md")
    (HERE / name).write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
