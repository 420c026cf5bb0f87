"""Configuration values, validated once at ``config-inited``, and access to the loaded data.

``tc_bib_file`` and ``tc_taxonomy_file`` are resolved against the configuration
directory (where ``conf.py`` lives), so the site may keep its sources in ``docs/``
and its data in ``refs/``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from pybtex import errors as pybtex_errors
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging

from sphinx_tc_ext.cache import heap
from sphinx_tc_ext.cache.parse_cache import load_bibliography
from sphinx_tc_ext.core.filters import FilterError, parse_sort
from sphinx_tc_ext.core.model import Bibliography
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.taxonomy import Taxonomy, load_taxonomy

logger = logging.getLogger(__name__)

WARNING_TYPE = "tc"


@dataclass(frozen=True)
class TcConfig:
    """The extension's settings, validated and with the data files' paths resolved, once per build.

    Read through :func:`tc_config`, never as ``config.tc_*``: one place knows the names,
    the types and how paths are resolved.
    """

    confdir: str
    bib_path: Path
    taxonomy_path: Path
    shown_bib: str  # path as written in messages (relative to the confdir when possible)
    shown_taxonomy: str
    papers_page: str
    authors_shown: int
    default_sort: str
    show_bibtex: bool
    recent_date: str
    backlinks_exclude: tuple[str, ...]
    bibtex_subset: bool
    keep_citations: bool
    feed: bool
    feed_title: str
    feed_limit: int
    assets_on_every_page: bool
    parallel_parse_minimum: int


def tc_config(source: Sphinx | BuildEnvironment | Config) -> TcConfig:
    """The build's :class:`TcConfig` (from the application, the environment or the configuration).

    Made by :func:`validate_config` at ``config-inited``; kept in a ``_`` attribute, which
    Sphinx neither pickles nor compares between builds.
    """
    config = source if isinstance(source, Config) else source.config
    return config._tc_config


def _resolve(confdir: str | os.PathLike, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(confdir, path)


def _shown(confdir: str | os.PathLike, path: Path) -> str:
    try:
        relative = os.path.relpath(path, confdir)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def remember_cache_dir(app: Sphinx, config: Config) -> None:
    """Keep the per-entry parse of the bib next to Sphinx's own pickles (the doctree directory).

    Only this process, the main one, writes that file: forked workers of a parallel
    build may read it but leave it alone.
    """
    config._tc_cache_dir = str(app.doctreedir)  # not pickled, like _tc_config
    config._tc_cache_pid = os.getpid()
    config._tc_jobs = app.parallel  # -j N: a cold parse of the bib uses N processes too


def validate_config(app: Sphinx, config: Config) -> None:
    """Fail early, with one clear message, on settings nothing can be built from.

    Also shields sphinxcontrib-bibtex (see :func:`shield_sphinxcontrib_bibtex`).
    """
    bib = _resolve(app.confdir, config.tc_bib_file)
    tax = _resolve(app.confdir, config.tc_taxonomy_file)
    if not bib.is_file():
        raise ConfigError(f"tc_bib_file: {bib} does not exist; set tc_bib_file in conf.py to your .bib file")
    if not tax.is_file():
        raise ConfigError(f"tc_taxonomy_file: {tax} does not exist; set tc_taxonomy_file in conf.py "
                          "to your taxonomy TOML file")
    if config.tc_recent_date and not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", config.tc_recent_date):
        raise ConfigError(f"tc_recent_date: {config.tc_recent_date!r} is not YYYY-MM-DD; "
                          "leave it empty to count from the newest paper's month")
    if config.tc_authors_shown < 1:
        raise ConfigError("tc_authors_shown must be 1 or more")
    try:
        parse_sort(config.tc_default_sort)
    except FilterError as exc:
        raise ConfigError(f"tc_default_sort: {exc}") from None
    confdir = str(app.confdir)
    config._tc_config = TcConfig(  # "_": not pickled
        confdir=confdir, bib_path=bib, taxonomy_path=tax, shown_bib=_shown(confdir, bib),
        shown_taxonomy=_shown(confdir, tax), papers_page=config.tc_papers_page,
        authors_shown=config.tc_authors_shown, default_sort=config.tc_default_sort,
        show_bibtex=config.tc_show_bibtex, recent_date=config.tc_recent_date,
        backlinks_exclude=tuple(config.tc_backlinks_exclude), bibtex_subset=config.tc_bibtex_subset,
        keep_citations=config.tc_keep_citations, feed=config.tc_feed, feed_title=config.tc_feed_title,
        feed_limit=config.tc_feed_limit, assets_on_every_page=config.tc_assets_on_every_page,
        parallel_parse_minimum=config.tc_parallel_parse_minimum)
    get_taxonomy(config)  # warns about every taxonomy problem, once per build
    shield_sphinxcontrib_bibtex(app, config)


def shield_sphinxcontrib_bibtex(app: Sphinx, config: Config) -> None:
    """Keep sphinxcontrib-bibtex from stopping the build at the first broken bib entry.

    It parses the same bib with pybtex, whose strict mode raises on the first syntax
    error or repeated key.  In non-strict mode pybtex skips the entry and prints the
    error itself, which crashes on the ``Path`` file names sphinxcontrib-bibtex passes
    (pybtex 0.26); this extension already reports each problem with its file and line,
    so pybtex's own printing is replaced by a debug log.  Our parser is unaffected: it
    collects pybtex's errors itself.
    """
    if "sphinxcontrib.bibtex" not in config.extensions:
        return
    pybtex_errors.set_strict_mode(False)
    pybtex_errors.print_error = _quiet_pybtex_error


def _quiet_pybtex_error(exception: Exception, prefix: str = "") -> None:
    logger.debug("pybtex (for sphinxcontrib-bibtex): %s%s", prefix, exception)


_TAXONOMY_CACHE: dict[tuple[str, bytes], tuple[Taxonomy, list[Problem]]] = {}


def get_taxonomy(config: Config) -> Taxonomy:
    """The taxonomy, read once per build (cached on the config, which is per build and not pickled).

    A broken taxonomy file does not stop the build: each problem is a ``tc.taxonomy``
    warning at its line (so ``-W`` fails the build cleanly, without Sphinx's crash
    report) and the build goes on with the parts that could be read, as it does with
    the entries of a broken bib.
    """
    cached = getattr(config, "_tc_taxonomy", None)
    if cached is not None:
        return cached
    path = tc_config(config).taxonomy_path
    try:
        key = (str(path), path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"tc_taxonomy_file: cannot read {path}: {exc.strerror}") from None
    if key not in _TAXONOMY_CACHE:
        try:
            _TAXONOMY_CACHE[key] = load_taxonomy(path), []
        except InputError as exc:
            partial = exc.partial if isinstance(exc.partial, Taxonomy) else Taxonomy(str(path), "", "")
            shown = [replace(p, path=_shown(tc_config(config).confdir, Path(p.path))) for p in exc.problems]
            _TAXONOMY_CACHE[key] = partial, shown
    config._tc_taxonomy, problems = _TAXONOMY_CACHE[key]
    for problem in problems:
        warn_problem(problem)
    return config._tc_taxonomy


def get_bibliography(config: Config) -> Bibliography:
    """The parsed bib; its problems are logged once per build and bib version."""
    bib = getattr(config, "_tc_bib", None)  # once per build: the bib does not change while building
    if bib is not None:
        return bib
    conf = tc_config(config)
    main_process = getattr(config, "_tc_cache_pid", None) == os.getpid()
    with heap.long_lived():  # the parsed bib lives as long as the build
        bib = config._tc_bib = load_bibliography(
            conf.bib_path, get_taxonomy(config), display_path=conf.shown_bib,
            cache_dir=getattr(config, "_tc_cache_dir", None), write_cache=main_process,
            jobs=getattr(config, "_tc_jobs", 1) if main_process else 1,
            parallel_minimum=conf.parallel_parse_minimum)
    if getattr(config, "_tc_warned_for", None) is not bib:
        config._tc_warned_for = bib
        for problem in bib.problems:
            warn_problem(problem)
    return bib


def warn_problem(problem: Problem) -> None:
    logger.warning(problem.message, location=problem.location, type=WARNING_TYPE, subtype=problem.subtype)


def preload(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Parse the bib in the main process before parallel reading forks.

    Workers then share the parsed model and its warnings are logged once, not
    once per worker.  Skipped when no page that shows papers is read.
    """
    app.config._tc_read_count = len(docnames)  # tracking skips its digests when nothing was read
    shows_papers = set(env.get_domain("tc").tables)  # type: ignore[attr-defined]
    if any(d in shows_papers or d not in env.all_docs for d in docnames):
        get_bibliography(app.config)
