"""Incremental builds at the granularity of one bib entry, and "Discussed in" bookkeeping.

Sphinx's own dependency tracking works per file: noting the bib as a dependency
would re-read every page with a table whenever any entry changes.  Instead:

* after a page is read, record where it cites papers and which filtered tables
  list them (:class:`~sphinx_tc_ext.sphinx.selection.Mention`), with the enclosing section;
* ``env-get-outdated``: when the bib changed, re-run the stored selections an edited
  entry may change and replace them in the domain (pages are not read again; only
  pages whose matrix or chart changed are);
* ``env-get-updated``: re-write (without re-reading) every page whose rendering
  inputs changed — an edited entry it shows, a new backlink, a moved canonical
  page — by comparing a digest of those inputs with the one last written.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
from collections.abc import Iterable
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from sphinx_tc_ext.cache.digest import digest, value_digest
from sphinx_tc_ext.core.filters import FilterError
from sphinx_tc_ext.core.model import COUNTED_DIGEST
from sphinx_tc_ext.sphinx.config import get_bibliography, get_taxonomy, tc_config
from sphinx_tc_ext.sphinx.domain import TCDomain
from sphinx_tc_ext.sphinx.nodes import paper_table
from sphinx_tc_ext.sphinx.selection import Mention

_CITE_KEY = re.compile(r"^\s*(?:\{[^{}]*\})?\s*([^{},\s]+)")


def _domain(env: BuildEnvironment) -> TCDomain:
    return env.get_domain("tc")  # type: ignore[return-value]


def _section_of(node: nodes.Node, page_title: str) -> tuple[str, str]:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    if parent is None or not parent["ids"]:
        return "", page_title
    title = parent.next_node(nodes.title)
    section_title = title.astext() if title is not None else page_title
    is_top = isinstance(parent.parent, nodes.document)
    return parent["ids"][0], page_title if is_top or section_title == page_title else \
        f"{page_title} › {section_title}"


def cited_keys(node: pending_xref) -> list[str]:
    """Keys of a sphinxcontrib-bibtex citation (``{pre}key{post}, key2``)."""
    keys = []
    for part in str(node.get("reftarget", "")).split(","):
        found = _CITE_KEY.match(part)
        if found:
            keys.append(found.group(1))
    return keys


def record_mentions(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: note where this page cites papers and which filtered tables list them."""
    env = app.env
    docname = env.docname
    if any(fnmatch.fnmatchcase(docname, pattern) for pattern in tc_config(app).backlinks_exclude):
        return  # e.g. a user guide whose examples show papers without discussing them
    domain = _domain(env)
    first_title = doctree.next_node(nodes.title)
    page_title = first_title.astext() if first_title is not None else docname
    records = domain.tables.get(docname, [])
    for table in doctree.findall(paper_table):
        if not table.get("filter"):
            continue  # a table of everything says nothing about one paper
        section_id, title = _section_of(table, page_title)
        mention = Mention(docname, section_id or table["table_id"], title, "lists")
        for i, record in enumerate(records):
            if record.table_id == table["table_id"]:
                records[i] = record._replace(mention=mention)  # kept for re-selections
                for key in record.keys:
                    domain.note_mention(key, mention)
    for ref in doctree.findall(pending_xref):
        if ref.get("refdomain") != "cite":
            continue
        section_id, title = _section_of(ref, page_title)
        for key in cited_keys(ref):
            domain.note_mention(key, Mention(docname, section_id, title, "cites"))


def _bib_stamp(app: Sphinx) -> str | None:
    """A digest of the bib's bytes: an edit is seen even within one tick of the file clock."""
    try:
        return digest(tc_config(app).bib_path.read_bytes())
    except OSError:
        return None


def outdated_by_bib(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str],
                    removed: set[str]) -> list[str]:
    """``env-get-outdated``: select again the tables an edit of the bib may change.

    A paper table's new selection replaces its record, and the page is written again
    (``env-get-updated`` sees its inputs changed) without being read again.  Pages whose
    matrix or chart changed, or whose filter fails, are read again.  Also re-reads pages
    holding a sphinxcontrib-bibtex bibliography whenever any page is re-read: they list
    what the other pages cite, which may have changed.
    """
    domain = _domain(env)
    stamp = _bib_stamp(app)
    bibliographies = _bibliography_pages(env) if (added or changed or removed) else []
    if stamp == domain.data["bib_stamp"] or _known_same_entries(app, domain.data["bib_stamp"], stamp):
        domain.data["bib_stamp"] = stamp
        return bibliographies
    bib = get_bibliography(app.config)
    taxonomy = get_taxonomy(app.config)
    digests = bib.digests()
    old_digests = domain.data["entry_digests"]
    edited = {key for key in digests.keys() | old_digests.keys() if digests.get(key) != old_digests.get(key)}
    # A title or author fix leaves every count alone: matrices and charts need no recount.
    counts_may_change = any(digests.get(key, "")[:COUNTED_DIGEST] != old_digests.get(key, "")[:COUNTED_DIGEST]
                            for key in edited)
    default_sort = tc_config(app).default_sort
    outdated = []
    for docname, records in list(domain.tables.items()):
        if docname in added or docname in changed or docname in removed:
            continue
        new_records = list(records)
        for i, record in enumerate(records):
            if not record.may_change(edited, bib, taxonomy) or (record.counted and not counts_may_change):
                continue
            try:
                new = record.reselect(bib, taxonomy, default_sort)
            except FilterError:
                outdated.append(docname)  # re-read so the warning is shown again
                break
            if new is record:
                continue
            if record.counted:
                outdated.append(docname)  # counts live in the doctree: read the page again
                break
            new_records[i] = new
        else:
            if new_records != records:
                domain.replace_tables(docname, new_records)
    if not edited:
        _note_same_entries(app, domain.data["bib_stamp"], stamp)
    domain.data["entry_digests"] = digests
    domain.data["bib_stamp"] = stamp
    return outdated + bibliographies


SAME_ENTRIES_FILE = "tc-bib-same.json"


def _note_same_entries(app: Sphinx, old: str | None, new: str | None) -> None:
    """Remember that two versions of the bib hold the same entries (an edit of layout or comments).

    Such an edit changes no page, and Sphinx pickles the environment only when a page
    is read or written: without this note every later build would parse the bib again
    to learn, again, that nothing changed (0.5 s at 5,000 entries).
    """
    with contextlib.suppress(OSError):
        Path(app.doctreedir).mkdir(parents=True, exist_ok=True)
        Path(app.doctreedir, SAME_ENTRIES_FILE).write_text(json.dumps({"from": old, "to": new}), encoding="utf-8")


def _known_same_entries(app: Sphinx, old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return False
    try:
        note = json.loads(Path(app.doctreedir, SAME_ENTRIES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(note, dict) and note.get("from") == old and note.get("to") == new


def _bibliography_pages(env: BuildEnvironment) -> list[str]:
    if "cite" not in env.domains:
        return []
    bibliographies = getattr(env.get_domain("cite"), "bibliographies", {})
    return sorted({key.docname for key in bibliographies if getattr(key, "docname", None) in env.all_docs})


def _render_inputs(app: Sphinx, env: BuildEnvironment, docname: str, shown: dict[str, str]) -> str:
    """Digest of everything outside the page's own source that its rendering depends on.

    ``shown`` memoizes, across the pages of one build, what a card of each paper shows
    from elsewhere (its entry and its links): a paper is on several pages.
    """
    domain = _domain(env)
    digests = domain.data["entry_digests"]
    parts: list[str] = []  # one line each (keys hold no line breaks): joined, not repr'd, 21,000 of them at 5k
    for record in domain.tables.get(docname, ()):
        parts.append(record.groups_digest)  # the order and grouping, not only which papers
        for key in record.keys:
            state = shown.get(key)
            if state is None:
                state = shown[key] = f"{key} {digests.get(key)} {domain.links_digest(key)}"
            parts.append(state)
    for key in domain.mentions.get(docname, {}):
        parts.append(f"{key} {domain.canonical_page(key)}")
    if domain.tables.get(docname):
        std = env.get_domain("std")
        taxonomy = get_taxonomy(app.config)
        labels = [v.section for f in taxonomy.facets for v in f.values if v.section]
        parts.append(repr([std.labels.get(label) for label in labels]))  # type: ignore[attr-defined]
    return digest("\n".join(parts))


SIGNATURES_FILE = "tc-signatures.json"


def rewrite_dependents(app: Sphinx, env: BuildEnvironment) -> Iterable[str]:
    """``env-get-updated``: pages to write again because something they show changed elsewhere.

    The digests of what each page was last written with live in a file next to the
    doctrees that is saved only when a build finishes: Sphinx pickles the environment
    before writing, so a build killed while writing must not count unwritten pages
    as up to date.
    """
    domain = _domain(env)
    if domain.data["bib_stamp"] is None:  # first build, or the bib was never needed
        domain.data["bib_stamp"] = _bib_stamp(app)
        bib = get_bibliography(app.config) if domain.tables else None
        domain.data["entry_digests"] = bib.digests() if bib else {}
    path = Path(app.doctreedir, SIGNATURES_FILE)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        written, written_stamp = saved["pages"], saved["stamp"]
    except (OSError, ValueError, KeyError, TypeError):
        written, written_stamp = {}, None
    # Nothing read, same bib, same taxonomy, same set of pages: every input is as last written
    # (this check is what keeps a no-change rebuild of a large bib fast).
    stamp = value_digest((domain.data["bib_stamp"], tc_config(app).taxonomy_path.read_bytes(), sorted(env.all_docs)))
    if getattr(app.config, "_tc_read_count", None) == 0 and stamp == written_stamp:
        app.config._tc_signatures = {"stamp": stamp, "pages": written}
        return []
    shown: dict[str, str] = {}
    current = {docname: _render_inputs(app, env, docname, shown)
               for docname in sorted(set(domain.tables) | set(domain.mentions))}
    app.config._tc_signatures = {"stamp": stamp, "pages": current}  # saved when the build succeeds
    return [docname for docname, signature in current.items() if written.get(docname) != signature]


def save_signatures(app: Sphinx, exception: Exception | None) -> None:
    current = getattr(app.config, "_tc_signatures", None)
    if exception is None and current is not None:
        Path(app.doctreedir).mkdir(parents=True, exist_ok=True)
        Path(app.doctreedir, SIGNATURES_FILE).write_text(json.dumps(current, sort_keys=True), encoding="utf-8")


# -- toctree parents of pages written without being read ------------------------------------
#
# Sphinx writes again every page whose toctree holds a page it writes, for the titles and
# entries that toctree shows.  Those change only when a page is read (or added, or removed):
# after a bib edit that reads none, the parents' HTML is what it was.  At 5,000 entries
# that is the home page, 0.1 s of a one-entry edit.


def note_outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str],
                  removed: set[str]) -> list[str]:
    """``env-get-outdated``, after the other handlers: whether this build adds, reads or removes a page."""
    app.builder._tc_reads_pages = bool(added or changed or removed)  # type: ignore[attr-defined]
    return []


def no_parents_without_reads(app: Sphinx, builder: object) -> None:
    """``write-started``: when no page was read, Sphinx adds no toctree parent to the pages to write.

    The map it takes them from is set aside until the first page is resolved, past the
    point where Sphinx reads it (``Builder.write``), and before any worker forks; the
    environment was pickled before writing began.
    """
    env = app.env
    if getattr(builder, "_tc_reads_pages", True) or getattr(builder, "_tc_parents", None) is not None:
        return
    builder._tc_parents = env.files_to_rebuild  # type: ignore[attr-defined]
    env.files_to_rebuild = {}


def restore_parents(app: Sphinx, *_args: object) -> None:
    """``doctree-resolved`` and ``build-finished``: put the toctree parents back."""
    saved = getattr(app.builder, "_tc_parents", None)
    if saved is not None:
        app.env.files_to_rebuild = saved
        app.builder._tc_parents = None  # type: ignore[attr-defined]
