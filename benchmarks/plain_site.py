"""The real site without the extension: the baseline of the real-site ratio (issue 19).

Copies ``conf.py``, ``docs/`` and ``refs/`` into a folder and takes out what the
extension and sphinxcontrib-bibtex add, so that what is left is "the same pages":

* ``conf.py`` loads neither extension (the rest of it, theme and MyST included, is kept);
* MyST directives of either (``paper-table``, ``tc-stats``, ``bibliography``...) are removed
  with their options and content (inside a kept directive, such as a tab, their name in
  parentheses stays, so that it is not left empty); a live example ``{include}``-d from a
  file that holds one is removed too (its ``{literalinclude}`` stays: it is only text);
* roles become their text: ``{cite:p}`key``` becomes ``(key)``, ``{tc:paper}`key``` ``key``.

Code blocks are left as they are (they are text to the build).  The site builds with
``-n -W`` like the real one::

    python benchmarks/plain_site.py /tmp/plain && cd /tmp/plain && \\
        python -m sphinx -nW -b html -c . docs _build/html
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTENSIONS = ("sphinxcontrib.bibtex", "sphinx_tc_ext")
DIRECTIVES = frozenset({
    "paper-table", "tc-stats", "tc-matrix", "tc-bibtex", "tc-cli-reference", "tc-check-codes",
    "tc-field-reference", "tc-warning-types", "tc-whats-new", "bibliography",
})
ROLE = re.compile(r"\{(cite(?::[a-z]+)?|tc:paper|tc-feed|tc-last-updated)\}`([^`]*)`")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?(.*)$")
CONF_TAIL = f"""

# benchmarks/plain_site.py: the same pages without the extension and sphinxcontrib-bibtex
extensions = [name for name in extensions if name not in {EXTENSIONS!r}]
"""


def _role_text(match: re.Match) -> str:
    role, target = match.groups()
    return f"({target})" if role.startswith("cite") else target


def strip_text(text: str, dropped_includes: set[str]) -> str:
    """``text`` (a MyST page) without the extension's directives, roles made plain text."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    code_fence = ""  # the fence of the code block we are in ("" outside)
    open_directives: list[str] = []  # fences of the kept directives we are in
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        bare = bool(m) and m.group(3) is None and not m.group(5).strip()
        if code_fence:
            if bare and m.group(2) == code_fence:
                code_fence = ""
            out.append(line)
            i += 1
            continue
        if bare and open_directives and m.group(2) == open_directives[-1]:
            open_directives.pop()
            out.append(line)
            i += 1
            continue
        if m and m.group(3) is None:  # a code block opens: copy it untouched
            code_fence = m.group(2)
            out.append(line)
            i += 1
            continue
        if m and (m.group(4) in DIRECTIVES or (m.group(4) == "include" and m.group(5).strip() in dropped_includes)):
            fence = m.group(2)
            i += 1
            while i < len(lines) and lines[i].strip() != fence:
                i += 1
            i += 1  # the closing fence
            if open_directives:  # inside a kept directive (a tab-item): leave it some content
                out.append(f"({m.group(4)})")
            continue
        if m:
            open_directives.append(m.group(2))
        out.append(ROLE.sub(_role_text, line))
        i += 1
    return "\n".join(out)


def _uses_extension(text: str) -> bool:
    return bool(ROLE.search(text)) or any(m.group(4) in DIRECTIVES for m in map(FENCE.match, text.split("\n")) if m)


def make_plain_site(dest: Path, repo: Path = REPO, bib: Path | None = None) -> Path:
    """Write the plain copy of ``repo``'s site into ``dest`` (replaced if it exists)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    conf = (repo / "conf.py").read_text(encoding="utf-8")
    (dest / "conf.py").write_text(conf + CONF_TAIL, encoding="utf-8")
    shutil.copytree(repo / "refs", dest / "refs")
    if bib is not None:
        shutil.copy2(bib, dest / "refs" / "survey.bib")
    shutil.copytree(repo / "docs", dest / "docs", ignore=shutil.ignore_patterns("_build"))
    docs = dest / "docs"
    for page in sorted(docs.rglob("*")):
        if page.suffix != ".md":
            continue
        text = page.read_text(encoding="utf-8")
        dropped = set()
        for m in re.finditer(r"^\s*(?:`{3,}|:{3,})\{include\}\s*(\S+)\s*$", text, re.MULTILINE):
            target = page.parent / m.group(1)
            if target.is_file() and _uses_extension(target.read_text(encoding="utf-8")):
                dropped.add(m.group(1))
        page.write_text(strip_text(text, dropped), encoding="utf-8")
    return dest


ARTICLE_START = '<article role="main" id="furo-main-content">'
ARTICLE_END = "</article>"


def main_content(page_html: str) -> str:
    """What furo wrote inside a page's main ``<article>``: the page's own content."""
    return page_html[page_html.index(ARTICLE_START) + len(ARTICLE_START):page_html.rindex(ARTICLE_END)]


def page_source(docs: Path, page: str) -> Path:
    """The source file of the page named ``page`` (a docname) under ``docs``, whatever its suffix."""
    return next(docs.glob(f"{page}.*"))


def make_floor_site(dest: Path, site: Path, pages: list[str]) -> Path:
    """The plain copy of ``site`` in which each of ``pages`` is its built HTML as one raw block.

    ``site`` is a copy of the site that has been built (``_build/html``).  Each page of ``pages``
    becomes its title and a ``raw`` block with the main content furo wrote for it: the same bytes,
    with no directive, card or table of ours to make.  Writing those pages again is what Sphinx and
    furo themselves cost for a one-entry edit that shows on them (issue 19's floor).  The blocks
    are kept out of the search index (class ``no-search``): Sphinx would index raw HTML by
    stripping its tags, which costs more than the words our pages give it, so the floor is a
    lower bound.
    """
    make_plain_site(dest, site)
    built = site / "_build" / "html"
    for page in pages:
        body = main_content((built / f"{page}.html").read_text(encoding="utf-8"))
        heading = re.search(r"<h1>(.*?)<a class=\"headerlink\"", body, re.DOTALL)
        title = html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip() if heading else page
        raw = dest / "docs" / "_floor" / f"{page}.html"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(body, encoding="utf-8")
        source = page_source(dest / "docs", page)
        # its labels are kept: other pages link to them
        labels = re.findall(r"^\(\S+\)=$", source.read_text(encoding="utf-8"), re.MULTILINE)
        source.unlink()
        path = Path(os.path.relpath(raw, source.parent)).as_posix()  # docutils' raw reads it from the page's folder
        (dest / "docs" / f"{page}.md").write_text(
            "".join(f"{label}\n" for label in labels)
            + f"# {title}\n\n```{{raw}} html\n:file: {path}\n:class: no-search\n```\n", encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to write the plain site into (replaced)")
    args = parser.parse_args(argv)
    print(make_plain_site(args.dest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
