"""``tc-survey init [DIR]``: scaffold the companion site of a new survey.

The scaffold is a site that builds with ``sphinx-build -nW --keep-going -c . docs
_build/html`` as created::

    conf.py                   the Sphinx configuration (tc_* settings)
    requirements.txt          what the build needs: sphinx-tc-ext from where this copy was
                              installed (see :func:`requirement_line`), myst-parser
    README.md                 how to build, add papers, publish
    .readthedocs.yaml         Read the Docs runs the same sphinx-build command
    .pre-commit-config.yaml   the tc-survey-check and tc-survey-fmt hooks
    .gitignore
    refs/survey.bib           one example entry
    refs/taxonomy.toml        the facets (two examples, or those given with --facet)
    docs/index.md             the home page with the toctrees
    docs/papers.md            every paper, grouped by the first two facets
    docs/FACET/VALUE.md       one page per taxonomy value, starting with the
                              ``(FACET-VALUE)=`` target its ``section`` names

The files are rendered from the templates in ``templates/init/`` (package data):
``{{ name }}`` placeholders are replaced, and an unknown placeholder is an error,
so a template cannot silently ship half-filled.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from sphinx_tc_ext._version import __version__
from sphinx_tc_ext.cache.atomic import write_atomic

HOOKS_REPO = "https://github.com/cokeshao/sphinx-tc-ext"
DEFAULT_TITLE = "My Survey"
DEFAULT_AUTHOR = "The survey's authors"
#: The example facets when no ``--facet`` is given: the ids the awesome-list importer knows
#: (purple badges fill ``area``, green ones ``category``).
DEFAULT_FACETS = ("area:areas=image,video", "category:categories=pruning,merging")
#: Badge colours, dark enough for white text (WCAG AA), given to the values in turn.
PALETTE = ("#6f42c1", "#0b7285", "#166534", "#9d174d", "#1d4ed8", "#854d0e", "#4c1d95", "#b42318")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class InitError(Exception):
    """The scaffold cannot be written; the message says why and what to do."""


@dataclass(frozen=True)
class FacetSpec:
    id: str
    field: str
    values: tuple[str, ...]

    @property
    def label(self) -> str:
        return _humanize(self.id)


def _humanize(value_id: str) -> str:
    words = value_id.replace("-", " ")
    return words[:1].upper() + words[1:]


def parse_facet(spec: str) -> FacetSpec:
    """``ID[:FIELD]=VALUE,VALUE...`` -> :class:`FacetSpec` (FIELD defaults to ID)."""
    head, sep, tail = spec.partition("=")
    fid, _, field = head.strip().partition(":")
    fid, field = fid.strip().lower(), (field.strip() or fid.strip()).lower()
    values = tuple(v.strip().lower() for v in tail.split(",") if v.strip())
    if not sep or not values:
        raise InitError(f"--facet {spec!r}: write ID[:FIELD]=VALUE,VALUE..., e.g. 'area:areas=image,video'")
    if not _ID_RE.match(fid):
        raise InitError(f"--facet {spec!r}: the facet id {fid!r} must be lowercase letters, digits and '-'")
    if not _FIELD_RE.match(field):
        raise InitError(f"--facet {spec!r}: the field {field!r} must be a BibTeX field name (letters, digits, '_')")
    for value in values:
        if not _ID_RE.match(value):
            raise InitError(f"--facet {spec!r}: the value id {value!r} must be lowercase letters, digits and '-'")
    if len(set(values)) != len(values):
        raise InitError(f"--facet {spec!r}: a value is listed twice")
    return FacetSpec(fid, field, values)


def parse_facets(specs: list[str] | None) -> list[FacetSpec]:
    facets = [parse_facet(s) for s in (specs or DEFAULT_FACETS)]
    owners: dict[str, str] = {}  # facets are looked up by id or field: both must be unique
    for facet in facets:
        for name in {facet.id, facet.field}:
            if name in owners:
                raise InitError(f"--facet: {name!r} names two facets ({owners[name]!r} and {facet.id!r})")
        owners.update(dict.fromkeys((facet.id, facet.field), facet.id))
    return facets


# -- where sphinx-tc-ext comes from ------------------------------------------------------------

DIST_NAME = "sphinx-tc-ext"
#: The requirement names the extra: the scaffold's conf.py needs MyST and the docs dependencies.
REQUIREMENT = "sphinx-tc-ext[docs]"


class Distribution(Protocol):
    """What :func:`requirement_line` reads of an installed distribution (``importlib.metadata``'s, or a fake)."""

    @property
    def version(self) -> str: ...

    def read_text(self, filename: str) -> str | None: ...


def requirement_line(dist: Distribution | None = None) -> tuple[str, str]:
    """The requirement that installs this copy of sphinx-tc-ext again, and a comment saying where it points.

    Until the package is on PyPI, ``sphinx-tc-ext>=VERSION`` cannot install; what pip recorded at
    install time (PEP 610 ``direct_url.json``) can: a git URL at its commit, a local folder or
    archive (editable or not), else (installed from an index) the exact version.
    """
    if dist is None:
        try:
            dist = metadata.distribution(DIST_NAME)
        except metadata.PackageNotFoundError:  # run from a source tree on sys.path, never installed
            return f"{REQUIREMENT}>={__version__}", "not installed: the release of this version or newer"
    pinned = f"{REQUIREMENT}=={dist.version}", "the release this site was made with"
    try:
        raw = dist.read_text("direct_url.json")
        data = json.loads(raw) if raw else None
    except (OSError, ValueError):
        return pinned
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return pinned
    url: str = data["url"]
    scheme = urlsplit(url).scheme
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and scheme in ("https", "http", "ssh", "file"):
        commit = vcs.get("commit_id") or vcs.get("requested_revision") or ""
        line = f"{REQUIREMENT} @ git+{url}" + (f"@{commit}" if commit else "")
        subdirectory = data.get("subdirectory")
        if isinstance(subdirectory, str) and subdirectory:
            line += f"#subdirectory={subdirectory}"
        return line, "the git commit this site was made with"
    if scheme == "file":
        editable = isinstance(data.get("dir_info"), dict) and data["dir_info"].get("editable")
        return f"{REQUIREMENT} @ {url}", ("a local " + ("checkout (installed editable)" if editable else "path")
                                          + ": installs on this machine only; before publishing the site, replace "
                                          "it with a git URL or a release")
    if scheme in ("https", "http") and "archive_info" in data:
        return f"{REQUIREMENT} @ {url}", "the archive this site was made with"
    return pinned


# -- rendering -------------------------------------------------------------------------------

def template(name: str) -> str:
    folder = resources.files("sphinx_tc_ext").joinpath("templates").joinpath("init")
    return folder.joinpath(name).read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    text = template(name)

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {name}: no value for {{{{ {key} }}}}")
        return values[key]

    return _PLACEHOLDER.sub(replace, text)


def _toml(value: object) -> str:
    """A TOML literal: JSON strings, lists of strings and booleans are valid TOML."""
    return json.dumps(value, ensure_ascii=False)


def _md_text(text: str) -> str:
    """Text safe in a Markdown heading or paragraph (no markup, no line breaks)."""
    text = " ".join(text.split())
    return re.sub(r"([\\`*_\[\]<>#|{}])", r"\\\1", text)


def taxonomy_toml(title: str, facets: list[FacetSpec]) -> str:
    blocks = []
    color = 0
    for i, facet in enumerate(facets):
        values = []
        for value in facet.values:
            label = _humanize(value)
            values.append(render(
                "value.toml.tmpl", id=_toml(value), label=_toml(label),
                description=_toml(f"Papers about {label.lower()}; describe this value in a sentence."),
                color=_toml(PALETTE[color % len(PALETTE)]), section=_toml(f"{facet.id}-{value}"),
                aliases=_toml([])))
            color += 1
        blocks.append(render(
            "facet.toml.tmpl", id=_toml(facet.id), field=_toml(facet.field), label=_toml(facet.label),
            description=_toml(f"The {facet.label.lower()} of a paper; describe this facet in a sentence."),
            required=_toml(i == 0), values="".join(values).rstrip("\n")))
    one_line = " ".join(title.split())
    return render("taxonomy.toml.tmpl", title_comment=one_line, title_toml=_toml(one_line),
                  facets="".join(blocks))


def scaffold_files(title: str, author: str, facets: list[FacetSpec], hooks_repo: str = HOOKS_REPO,
                   today: datetime.date | None = None, requirement: tuple[str, str] | None = None) -> dict[str, str]:
    """Every file of the scaffold: relative path -> text (``requirement``: :func:`requirement_line`'s)."""
    today = today or datetime.date.today()
    requirement_text, requirement_source = requirement or requirement_line()
    one_line = " ".join(title.split())
    facet_fields = ", ".join(f.field for f in facets)
    group = facets[:2]
    files: dict[str, str] = {}
    in_docstring = one_line.replace("\\", "\\\\").replace('"', '\\"')
    files["conf.py"] = render(
        "conf.py.tmpl", title_text=in_docstring, version=__version__, title_py=repr(one_line),
        author_py=repr(author), copyright_py=repr(f"{today.year}, {author}"))
    files["requirements.txt"] = render("requirements.txt.tmpl", requirement=requirement_text,
                                       source=requirement_source)
    files[".readthedocs.yaml"] = render("readthedocs.yaml.tmpl")
    files[".pre-commit-config.yaml"] = render("pre-commit-config.yaml.tmpl", hooks_repo=hooks_repo,
                                              version=__version__)
    files[".gitignore"] = render("gitignore.tmpl")
    files["refs/taxonomy.toml"] = taxonomy_toml(title, facets)
    facet_lines = "".join(f"  {f.field} = {{{f.values[0]}}},\n" for f in facets)
    files["refs/survey.bib"] = render("survey.bib.tmpl", title_comment=one_line.replace("{", "(").replace("}", ")"),
                                      facet_fields=facet_fields, facet_lines=facet_lines, today=today.isoformat())
    toctrees = []
    for facet in facets:
        toctrees.append(render("toctree.md.tmpl", facet_label=_md_text(facet.label),
                               entries="\n".join(f"{facet.id}/{v}" for v in facet.values)))
        for value in facet.values:
            label = _humanize(value)
            files[f"docs/{facet.id}/{value}.md"] = render(
                "section.md.tmpl", label=f"{facet.id}-{value}", value_label_md=_md_text(label),
                description_md=f"Papers whose `{facet.field}` field lists `{value}`. Describe what they "
                               "have in common here.",
                field=facet.field, value_id=value)
    files["docs/index.md"] = render("index.md.tmpl", title_md=_md_text(one_line), facet_toctrees="".join(toctrees))
    files["docs/papers.md"] = render(
        "papers.md.tmpl", group_by=", ".join(f.id for f in group),
        group_by_text=" and then by ".join(f.label.lower() for f in group))
    files["README.md"] = render(
        "README.md.tmpl", title_md=_md_text(one_line), facet_fields=", ".join(f"`{f}`" for f in
                                                                               facet_fields.split(", ")),
        first_page=f"{facets[0].id}/{facets[0].values[0]}", hooks_repo=hooks_repo)
    return files


def init_site(target: Path, title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR,
              facet_specs: list[str] | None = None, force: bool = False, hooks_repo: str = HOOKS_REPO) -> list[Path]:
    """Write the scaffold into ``target``; return the files written."""
    facets = parse_facets(facet_specs)
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} is a file; give a folder to create the site in")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InitError(f"{target} is not empty; give an empty or new folder, or pass --force to write the "
                        "scaffold into it anyway (files of the same name are overwritten)")
    written = []
    for relative, text in scaffold_files(title, author, facets, hooks_repo).items():
        path = target / relative
        write_atomic(path, text)  # makes the folders; InputError (a file in the way, no permission): cli reports it
        written.append(path)
    return written


# -- command line ----------------------------------------------------------------------------

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "init", help="scaffold the companion site of a new survey",
        description="Create a survey site that builds with sphinx-build -nW as created: conf.py, docs/ (an "
                    "index, a papers page, one page per taxonomy value), refs/survey.bib with one example entry, "
                    "refs/taxonomy.toml, .readthedocs.yaml, .pre-commit-config.yaml, requirements.txt and a "
                    "README.")
    p.add_argument("directory", metavar="DIR", nargs="?", default=".",
                   help="folder to create the site in; must be empty or new (default: the current folder)")
    p.add_argument("--title", default=DEFAULT_TITLE, help=f"the survey's title (default: {DEFAULT_TITLE!r})")
    p.add_argument("--author", default=DEFAULT_AUTHOR, help="the survey's authors, for conf.py")
    p.add_argument("--facet", action="append", metavar="ID[:FIELD]=VALUES",
                   help="a taxonomy facet and its comma-separated value ids, e.g. 'area:areas=image,video,audio' "
                        "(FIELD is the BibTeX field, default ID); repeat for more facets (default: "
                        + " and ".join(repr(s) for s in DEFAULT_FACETS) + ")")
    p.add_argument("--hooks-repo", default=HOOKS_REPO, metavar="URL",
                   help="repository of the pre-commit hooks written to .pre-commit-config.yaml "
                        f"(default: {HOOKS_REPO})")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not empty, overwriting files of the same name")
    p.set_defaults(func=_cmd_init)


def _cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    try:
        written = init_site(target, title=args.title, author=args.author, facet_specs=args.facet,
                            force=args.force, hooks_repo=args.hooks_repo)
    except InitError as exc:
        print(f"tc-survey init: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"created {path}")
    where = "" if target.resolve() == Path.cwd().resolve() else f"cd {args.directory} && "
    print(f"\nNext: {where}pip install -r requirements.txt && sphinx-build -nW --keep-going -c . docs _build/html")
    return 0
