"""Give sphinxcontrib-bibtex a small bib: the valid entries of ``tc_bib_file`` the sources can cite.

sphinxcontrib-bibtex parses every file of ``bibtex_bibfiles`` with pybtex at
``builder-inited`` (again whenever a file's mtime changed), keeps every parsed
entry in the pickled environment, and its ``bibliography`` directive makes the bib a
dependency of its page.  At 5,000 entries that is seconds for every bib edit and
megabytes of environment to unpickle on every build, for the few dozen entries a
survey's text cites.

When ``bibtex_bibfiles`` names ``tc_bib_file``, this module writes
``tc-cite.bib`` into the doctree folder (our parsed model: valid entries only,
without the site-only and taxonomy fields, in bib order, with the ``@preamble``)
and hands sphinxcontrib-bibtex that file instead of ours, for the duration of its
``builder-inited`` handler only:

* :func:`swap_in_generated_bib` runs before sphinxcontrib-bibtex's handler
  (priority 400; it connects at the default 500) and
  :func:`restore_bibtex_bibfiles` after it (600).  The configuration outside that
  window is the user's: the HTML builder hashes it into ``.buildinfo`` in
  ``builder.init()`` (before ``builder-inited``) and the environment pickles it
  after reading, so no doctree-folder path reaches either (checked for Sphinx 8.0
  and 9.0).
* The file is rewritten only when its content changes, so editing an entry nobody
  cites leaves its mtime alone: sphinxcontrib-bibtex finds its cache up to date and
  the bibliography pages are not re-read.
* Which entries: those whose key occurs as a token in any text file under the
  source folder (build folders, hidden folders, virtual environments and the bib
  files themselves excepted; files ``include``-d from outside the source folder
  and ``conf.py`` included), plus the entries they ``crossref``.  Every valid
  entry instead when ``tc_bibtex_subset = False``, when a ``bibliography``
  directive has ``:all:``, ``:notcited:`` or ``:filter:``, or when an extension
  outside :data:`SAFE_EXTENSIONS` is loaded (it might add citations from text
  outside the sources, such as docstrings).
* Nothing is swapped when a ``bibliography`` directive names bib files (they must
  be the configured ones) or ``bibtex_encoding`` is not UTF-8 (our model reads the
  bib as UTF-8).

Our own parse of the bib (a second or two at 5,000 entries) is skipped when
nothing it would change did: ``tc-cite.json`` next to the generated file keeps the
digests of the bib and taxonomy, the valid keys and the last selection.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from sphinx_tc_ext.cache.digest import digest
from sphinx_tc_ext.core.bibread import _URL
from sphinx_tc_ext.core.model import Paper
from sphinx_tc_ext.sphinx.config import get_bibliography, get_taxonomy, tc_config

logger = logging.getLogger(__name__)

GENERATED_NAME = "tc-cite.bib"
STAMP_NAME = "tc-cite.json"
STAMP_VERSION = 2  # 2: links that are not sane left out
#: sphinxcontrib-bibtex connects its ``builder-inited`` handler at Sphinx's default priority, 500.
BEFORE_BIBTEX = 400
AFTER_BIBTEX = 600

#: Extensions that bring no text from outside the source folder, so cannot add citations the
#: scan of the sources misses.  Sphinx's own ``sphinx.ext.*`` count too, except those that read
#: docstrings or generate pages (:data:`UNSAFE_SPHINX_EXTENSIONS`); so do this extension's modules.
SAFE_EXTENSIONS = frozenset({
    "sphinxcontrib.bibtex", "myst_parser",
    "sphinx_copybutton", "sphinx_design", "sphinx_togglebutton", "sphinx_inline_tabs", "sphinx_tabs.tabs",
    "sphinxext.opengraph", "sphinx_sitemap", "sphinxcontrib.mermaid", "sphinx_last_updated_by_git",
    "notfound.extension", "sphinxext.rediraffe", "sphinx_reredirects",
    "furo", "sphinx_rtd_theme", "pydata_sphinx_theme", "sphinx_book_theme",
})
UNSAFE_SPHINX_EXTENSIONS = ("sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.napoleon",
                            "sphinx.ext.apidoc")

HEADER = ("% Written by sphinx-tc-ext for sphinxcontrib-bibtex (tc_bibtex_subset): the valid entries of\n"
          "% tc_bib_file that the sources can cite, without site-only fields.  Do not edit: every build\n"
          "% rewrites it when it changes.  Edit tc_bib_file instead.\n")

# Characters of an ordinary key (the brief's ":", "-", ".", "_", "+", "/" and word characters).
# Any other character splits the text into tokens; a key that holds one is looked up as a
# substring instead, so no key is missed whatever it is made of.
_TOKEN = re.compile(r"[\w:.+/-]+")
_PLAIN_KEY = re.compile(r"[\w:.+/-]+\Z")
_TRIM = ".:/+-_"
# Directive starts: reST ``.. bibliography::`` / ``.. include::``, MyST fences ```{bibliography}```.
_RST_DIRECTIVE = re.compile(r"^([ \t]*)\.\.[ \t]+(bibliography|include)::(.*)$", re.MULTILINE)
_MYST_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*\{(bibliography|include)\}(.*)$", re.MULTILINE)
_LISTING_OPTION = re.compile(r"^[ \t]*:?(all|notcited|filter)[ \t]*:", re.MULTILINE)
_FENCE_END = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*$")
#: The fields pybtex's styles make links of, and what a value must look like to be linked: ``url`` is the
#: link itself (http(s) only, the rule of the cards), the others follow an https:// prefix.
LINKED_FIELDS = {
    "url": _URL,
    "doi": re.compile(r"10\.\d{4,9}/[^\s\"'<>\\]+\Z"),
    "eprint": re.compile(r"[\w.:/-]+\Z"),
    "pubmed": re.compile(r"\d+\Z"),
}
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tif", ".tiff", ".pdf", ".zip", ".gz",
    ".tgz", ".bz2", ".xz", ".7z", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm",
    ".ogg", ".wav", ".pickle", ".doctree", ".pyc", ".so", ".dll", ".exe", ".mo", ".npy", ".npz",
})


# -- what the sources can cite ---------------------------------------------------------------

@dataclass
class Sources:
    """What the scan of the sources found."""

    tokens: set[str] = field(default_factory=set)  # lower case
    texts: list[str] = field(default_factory=list)  # lower case, for keys with unusual characters
    listing: str = ""  # where a bibliography directive lists more than the cited entries
    names_bib_files: str = ""  # where a bibliography directive names its bib files

    def add(self, text: str, where: str) -> None:
        lowered = text.lower()
        self.texts.append(lowered)
        for token in set(_TOKEN.findall(lowered)):
            self.tokens.update((token, token.strip(_TRIM), token.rstrip(_TRIM), token.lstrip(_TRIM)))
        for start, argument, options in _bibliography_directives(text):
            if argument and not self.names_bib_files:
                self.names_bib_files = f"{where}:{start}"
            if _LISTING_OPTION.search(options) and not self.listing:
                self.listing = f"{where}:{start}"

    def mentions(self, key: str) -> bool:
        lowered = key.lower()  # pybtex looks keys up case-insensitively
        if _PLAIN_KEY.match(lowered):
            return lowered in self.tokens
        return any(lowered in text for text in self.texts)


def _bibliography_directives(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, argument, option lines) of each ``bibliography`` directive, reST or MyST.

    The argument of a reST directive continues on the indented lines up to the first
    blank line or option; options run up to the first blank line (or closing fence).
    """
    for match in _RST_DIRECTIVE.finditer(text):
        if match.group(2) != "bibliography":
            continue
        argument = [match.group(3).strip()]
        options = []
        for line in text[match.end() + 1:].split("\n"):
            if not line.strip() or not line[:1].isspace():
                break
            if line.strip().startswith(":"):
                options.append(line)
            elif not options:
                argument.append(line.strip())
        yield text.count("\n", 0, match.start()) + 1, " ".join(a for a in argument if a), "\n".join(options)
    for match in _MYST_DIRECTIVE.finditer(text):
        if match.group(1) != "bibliography":
            continue
        options = []
        for line in text[match.end() + 1:].split("\n"):
            if not line.strip() or _FENCE_END.match(line):
                break
            options.append(line)
        yield text.count("\n", 0, match.start()) + 1, match.group(2).strip(), "\n".join(options)


def _includes(text: str) -> Iterator[str]:
    for match in _RST_DIRECTIVE.finditer(text):
        if match.group(2) == "include" and match.group(3).strip():
            yield match.group(3).strip()
    for match in _MYST_DIRECTIVE.finditer(text):
        if match.group(1) == "include" and match.group(2).strip():
            yield match.group(2).strip()


def _read_text(path: Path) -> str | None:
    if path.suffix.lower() in BINARY_SUFFIXES:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _skipped_dir(path: Path, name: str, excluded: set[Path]) -> bool:
    return (name.startswith(".") or name in ("__pycache__", "node_modules") or path in excluded
            or (path / "pyvenv.cfg").is_file())


def _source_files(srcdir: Path, excluded_dirs: set[Path], excluded_files: set[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for root, dirs, files in os.walk(srcdir, followlinks=True):
        here = Path(root)
        real = here.resolve()
        if real in seen:  # a symlink loop
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not _skipped_dir((here / d).resolve(), d, excluded_dirs))
        for name in sorted(files):
            path = here / name
            if path.resolve() not in excluded_files:
                yield path


def build_folder(srcdir: Path, outdir: Path, doctreedir: Path) -> Path | None:
    """The folder holding both the output and the doctrees (``_build``) when it lies inside the sources."""
    try:
        common = Path(os.path.commonpath([outdir, doctreedir]))
    except ValueError:
        return None
    inside = common != srcdir and srcdir in common.parents
    return common if inside else None


def scan_sources(srcdir: Path, outdir: Path, doctreedir: Path, confdir: Path, skip_files: Iterable[Path],
                 extra_texts: Iterable[str] = ()) -> Sources:
    """Tokens of every text file under ``srcdir``, of ``conf.py`` and of files included from outside."""
    srcdir, outdir, doctreedir = srcdir.resolve(), outdir.resolve(), doctreedir.resolve()
    excluded_dirs = {outdir, doctreedir}
    if (folder := build_folder(srcdir, outdir, doctreedir)) is not None:
        excluded_dirs.add(folder)
    excluded_files = {Path(p).resolve() for p in skip_files}
    sources = Sources()
    queue = list(_source_files(srcdir, excluded_dirs, excluded_files))
    conf = (confdir / "conf.py").resolve()
    if srcdir not in conf.parents:
        queue.append(conf)
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0)
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        text = _read_text(path)
        if text is None:
            continue
        try:
            where = str(real.relative_to(srcdir))
        except ValueError:
            where = str(real)
        sources.add(text, where)
        for target in _includes(text):
            if target.startswith("<"):
                continue  # docutils' standard definition files
            included = (srcdir / target.lstrip("/")) if target.startswith("/") else (real.parent / target)
            included = included.resolve()
            if srcdir not in included.parents and included not in excluded_files and included.is_file():
                queue.append(included)  # under srcdir it is scanned anyway
    for text in extra_texts:
        sources.add(text, "conf.py")
    return sources


# -- which entries ---------------------------------------------------------------------------

def _extension_may_cite(name: str) -> bool:
    if name in SAFE_EXTENSIONS or name == "sphinx_tc_ext" or name.startswith("sphinx_tc_ext."):
        return False
    if name.startswith("sphinx.ext."):
        return any(name == unsafe or name.startswith(unsafe + ".") for unsafe in UNSAFE_SPHINX_EXTENSIONS)
    return True


def fallback_reason(config: Config, sources: Sources) -> str:
    """Why every valid entry goes to sphinxcontrib-bibtex; empty when the cited ones suffice."""
    if not config.tc_bibtex_subset:
        return "tc_bibtex_subset is False"
    if sources.listing:
        return f"a bibliography directive lists entries nobody cites (:all:, :notcited: or :filter:, {sources.listing})"
    for name in config.extensions:
        if _extension_may_cite(name):
            return f"extension {name!r} may add citations from outside the sources"
    return ""


def select_keys(keys: list[str], crossrefs: dict[str, str], sources: Sources, everything: bool) -> list[str]:
    """The keys to write, in bib order: those the sources mention and what they ``crossref``."""
    if everything:
        return list(keys)
    chosen = {key for key in keys if sources.mentions(key)}
    by_folded = {key.lower(): key for key in keys}
    todo = list(chosen)
    while todo:
        target = by_folded.get(crossrefs.get(todo.pop(), "").lower())
        if target is not None and target not in chosen:
            chosen.add(target)
            todo.append(target)
    return [key for key in keys if key in chosen]


def unsafe_links(paper: Paper) -> list[str]:
    """The fields of ``paper`` that would make a link other than http(s) (``javascript:``...) or a broken one."""
    return [name for name, sane in LINKED_FIELDS.items()
            if name in paper.fields and not sane.match(paper.fields[name].strip())]


def render_bib(bib, keys: list[str], hidden: Iterable[str]) -> str:
    """The generated bib: no page may link ``javascript:``, so links that are not sane are left out."""
    hidden = tuple(hidden)
    parts = [HEADER]
    if bib.preamble:
        parts.append("@preamble{{" + bib.preamble + "}}\n")
    parts.extend(bib.papers[key].clean_bibtex(hidden + tuple(unsafe_links(bib.papers[key]))) + "\n" for key in keys)
    return "\n".join(parts)


# -- the generated file ----------------------------------------------------------------------

def _digest(data: bytes) -> str:
    return digest(data)


def _load_stamp(path: Path) -> dict:
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) and stamp.get("version") == STAMP_VERSION else {}


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds it; a rewrite always gets a new mtime."""
    try:
        if path.read_bytes() == data:
            return False
        before = path.stat().st_mtime_ns
    except OSError:
        before = None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    after = path.stat().st_mtime_ns
    if after == before:  # within one tick of a coarse file clock: sphinxcontrib-bibtex compares mtimes
        os.utime(path, ns=(after + 1_000_000, after + 1_000_000))
    return True


def update_generated_bib(config: Config, generated: Path, sources: Sources, everything: bool) -> list[str]:
    """Bring ``generated`` up to date; returns the keys it holds."""
    conf = tc_config(config)
    bib_bytes = conf.bib_path.read_bytes()
    taxonomy_bytes = conf.taxonomy_path.read_bytes()
    inputs = [_digest(bib_bytes), _digest(taxonomy_bytes)]
    stamp_path = generated.with_name(STAMP_NAME)
    stamp = _load_stamp(stamp_path)
    if stamp.get("inputs") == inputs and isinstance(stamp.get("keys"), list) and \
            isinstance(stamp.get("crossrefs"), dict):
        selected = select_keys(stamp["keys"], stamp["crossrefs"], sources, everything)
        try:
            current = _digest(generated.read_bytes())
        except OSError:
            current = None
        if selected == stamp.get("selected") and current == stamp.get("generated"):
            return selected  # nothing changed: no need to parse the bib
    bib = get_bibliography(config)
    keys = list(bib.papers)
    crossrefs = {key: paper.fields["crossref"] for key, paper in bib.papers.items() if "crossref" in paper.fields}
    selected = select_keys(keys, crossrefs, sources, everything)
    data = render_bib(bib, selected, get_taxonomy(config).hidden_bibtex_fields).encode("utf-8")
    write_if_changed(generated, data)
    stamp = {"version": STAMP_VERSION, "inputs": inputs, "keys": keys, "crossrefs": crossrefs,
             "selected": selected, "generated": _digest(data)}
    stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    return selected


# -- the swap --------------------------------------------------------------------------------

def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def swap_in_generated_bib(app: Sphinx) -> None:
    """``builder-inited``, before sphinxcontrib-bibtex: point it at the generated bib.

    When the generated bib is not used, a stale copy from earlier builds is deleted:
    bibliography pages read with it depend on it, and a missing dependency makes
    Sphinx re-read them against the bib sphinxcontrib-bibtex reads now.
    """
    generated = Path(app.doctreedir) / GENERATED_NAME
    replaced = _bibfiles_with_generated(app, generated)
    if replaced is None:
        for stale in (generated, generated.with_name(STAMP_NAME)):
            with contextlib.suppress(OSError):
                stale.unlink(missing_ok=True)
        return
    app.config._tc_bibtex_bibfiles = app.config.bibtex_bibfiles  # "_": never pickled nor hashed
    app.config.bibtex_bibfiles = replaced


def _bibfiles_with_generated(app: Sphinx, generated: Path) -> list[str] | None:
    """``bibtex_bibfiles`` with ``generated`` for ours, once it is up to date; None when not applicable."""
    config = app.config
    if "sphinxcontrib.bibtex" not in config.extensions:
        return None
    original = getattr(config, "bibtex_bibfiles", None)
    if not original or isinstance(original, str):
        return None  # sphinxcontrib-bibtex reports a missing setting itself
    confdir = Path(app.confdir)
    conf = tc_config(config)
    ours = conf.bib_path.resolve()
    configured = [(confdir / file).resolve() for file in original]
    if ours not in configured:
        return None
    if not _is_utf8(getattr(config, "bibtex_encoding", "utf-8-sig")):
        logger.info(f"[tc] sphinxcontrib-bibtex reads {conf.shown_bib} itself: bibtex_encoding is not UTF-8")
        return None
    sources = scan_sources(Path(app.srcdir), Path(app.outdir), Path(app.doctreedir), confdir,
                           [*configured, generated],
                           extra_texts=[str(config.rst_prolog or ""), str(config.rst_epilog or "")])
    if sources.names_bib_files:
        logger.info(f"[tc] sphinxcontrib-bibtex reads {conf.shown_bib} itself: a bibliography directive "
                    f"names its bib files ({sources.names_bib_files})")
        return None
    reason = fallback_reason(config, sources)
    try:
        keys = update_generated_bib(config, generated, sources, everything=bool(reason))
    except OSError as exc:
        logger.info(f"[tc] sphinxcontrib-bibtex reads {conf.shown_bib} itself: cannot write {generated} ({exc})")
        return None
    if reason:
        logger.info(f"[tc] sphinxcontrib-bibtex gets every valid entry of {conf.shown_bib} ({len(keys)}): {reason}")
    else:
        logger.info(f"[tc] sphinxcontrib-bibtex gets the {len(keys)} entries of {conf.shown_bib} "
                    "the sources can cite")
    return [str(generated) if path == ours else file for file, path in zip(original, configured, strict=True)]


# Browsers drop tab and newlines anywhere in a URL ("java\tscript:" is javascript:), C0 and space at either
# end; pybtex turns a tab into a space.  Judged without any of them, "java script:" is javascript: too.
_URL_IGNORED = re.compile(r"[\x00-\x20]")
SAFE_SCHEMES = ("", "http", "https", "mailto")


def unlink_unsafe_citations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Bibliography entries link only http(s) (or relative) URLs, whatever bib sphinxcontrib-bibtex read.

    The generated bib has no other links, but sphinxcontrib-bibtex reads the user's bib itself when
    it is not swapped (a ``bibliography`` directive naming files, another encoding); a
    ``url = {javascript:...}`` there would be a live link.  The link becomes its text.
    """
    for entry in doctree.findall(lambda node: isinstance(node, (nodes.citation, nodes.footnote))):
        for ref in list(entry.findall(nodes.reference)):
            uri = _URL_IGNORED.sub("", ref.get("refuri", "")).lower()
            if uri and urlsplit(uri).scheme not in SAFE_SCHEMES:
                ref.replace_self(nodes.inline(ref.astext(), ref.astext()))


def restore_bibtex_bibfiles(app: Sphinx) -> None:
    """``builder-inited``, after sphinxcontrib-bibtex: the user's value again, for ``.buildinfo`` and the pickle."""
    original = getattr(app.config, "_tc_bibtex_bibfiles", None)
    if original is not None:
        app.config.bibtex_bibfiles = original
        app.config._tc_bibtex_bibfiles = None
