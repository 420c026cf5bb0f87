"""The ``tc`` domain: which page shows or cites which paper, merged safely across parallel reads.

Per-document data keyed by docname, with ``clear_doc`` and ``merge_domaindata``,
is what makes ``parallel_read_safe = True`` true.  The domain also gives every
paper one canonical home (its permalink), answers "where is this paper
discussed?", and provides the ``:tc:paper:`key``` role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode

from sphinx_tc_ext.cache.digest import value_digest
from sphinx_tc_ext.core.model import Paper, paper_anchor
from sphinx_tc_ext.sphinx.config import tc_config
from sphinx_tc_ext.sphinx.selection import Mention, TableRecord


class TCDomain(Domain):
    name = "tc"
    label = "Survey papers"
    roles = {"paper": XRefRole()}
    # A paper's object is its card, linked with the ``paper`` role.  Not named "paper": Sphinx's search
    # index shortens an anchor equal to "TYPE-NAME" and rebuilds it from the display name, which
    # here is longer than the name (see get_objects), so "paper-KEY" would come back wrong.
    object_types = {"card": ObjType("paper", "paper")}
    initial_data: dict[str, Any] = {
        "tables": {},  # docname -> [TableRecord]
        "mentions": {},  # docname -> {key: [Mention]}
        "entry_digests": {},  # key -> digest of the entry as last parsed
        "bib_stamp": None,  # digest of the bib's bytes those entry digests describe
        "names": {},  # key -> (title, search name) of each paper shown, from the bib last parsed
        "labels": {},  # standard label "paper-KEY" -> docname, the labels this domain added
    }
    data_version = 6  # 6: names and labels (sharing: search box, intersphinx)

    def get_type_name(self, type: ObjType, primary: bool = False) -> str:
        """"paper" in the search box's results ("paper, in All papers"), not "Survey papers paper"."""
        return type.lname

    # -- per-document data --------------------------------------------------------------

    @property
    def tables(self) -> dict[str, list[TableRecord]]:
        return self.data["tables"]

    @property
    def mentions(self) -> dict[str, dict[str, list[Mention]]]:
        return self.data["mentions"]

    def note_table(self, docname: str, record: TableRecord) -> None:
        self._derived_cache = None
        self.tables.setdefault(docname, []).append(record)

    def note_mention(self, key: str, mention: Mention) -> None:
        self._derived_cache = None
        places = self.mentions.setdefault(mention.docname, {}).setdefault(key, [])
        if mention not in places:
            places.append(mention)

    def table(self, docname: str, table_id: str) -> TableRecord | None:
        return next((r for r in self.tables.get(docname, ()) if r.table_id == table_id), None)

    def replace_tables(self, docname: str, records: list[TableRecord]) -> None:
        """A page's tables selected again (after a bib edit): its "lists" mentions follow.

        Rebuilt in the order :func:`~sphinx_tc_ext.sphinx.tracking.record_mentions` notes them
        (tables in page order, then citations), so the result equals a fresh read.
        """
        self._derived_cache = None
        self.tables[docname] = records
        cites = [(key, m) for key, places in self.mentions.get(docname, {}).items()
                 for m in places if m.kind == "cites"]
        self.mentions.pop(docname, None)
        for record in records:
            if record.mention is not None:
                for key in record.keys:
                    self.note_mention(key, record.mention)
        for key, mention in cites:
            self.note_mention(key, mention)

    def clear_doc(self, docname: str) -> None:
        self._derived_cache = None
        self.tables.pop(docname, None)
        self.mentions.pop(docname, None)

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict[str, Any]) -> None:
        self._derived_cache = None
        for docname in docnames:
            for name in ("tables", "mentions"):
                if docname in otherdata.get(name, {}):
                    self.data[name][docname] = otherdata[name][docname]

    # -- derived views (recomputed when the per-document data changes) -----------------

    _derived_cache: dict[str, Any] | None = None  # on the instance, never pickled

    def _derived(self) -> dict[str, Any]:
        if self._derived_cache is not None:
            return self._derived_cache
        pages: dict[str, list[str]] = {}
        for docname in sorted(self.tables):
            for record in self.tables[docname]:
                for key in record.keys:
                    shown = pages.setdefault(key, [])
                    if not shown or shown[-1] != docname:
                        shown.append(docname)
        home = tc_config(self.env).papers_page
        canonical = {key: (home if home in docs else docs[0]) for key, docs in pages.items()}
        backlinks: dict[str, list[Mention]] = {}
        for docname in sorted(self.mentions):
            for key, places in self.mentions[docname].items():
                backlinks.setdefault(key, []).extend(places)
        self._derived_cache = {"canonical": canonical, "backlinks": backlinks}
        return self._derived_cache

    def canonical_page(self, key: str) -> str | None:
        """The one page whose card is the paper's permalink target."""
        return self._derived()["canonical"].get(key)

    def canonical_pages(self) -> dict[str, str]:
        """:meth:`canonical_page` of every paper shown anywhere (for loops over thousands; do not change it)."""
        return self._derived()["canonical"]

    def backlinks(self, key: str) -> list[Mention]:
        """Every section that cites the paper or whose filtered table lists it, in page order."""
        return self._derived()["backlinks"].get(key, [])

    def links_digest(self, key: str) -> str:
        """Digest of what a paper's card shows from other pages (canonical page, backlinks).

        Memoized with the derived views: a rebuild asks once per card on every page written.
        """
        derived = self._derived()
        memo = derived.setdefault("links_digests", {})
        digest = memo.get(key)
        if digest is None:
            links = (self.canonical_page(key), tuple(self.backlinks(key)))
            by_links = derived.setdefault("links_digests_by_value", {})  # most papers share theirs
            digest = by_links.get(links)
            if digest is None:
                digest = by_links[links] = value_digest(links, 16)
            memo[key] = digest
        return digest

    # -- the :tc:paper: role --------------------------------------------------------------

    def resolve_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder, typ: str, target: str,
                     node: pending_xref, contnode: Element) -> Element | None:
        docname = self.canonical_page(target)
        if docname is None:
            return None
        return make_refnode(builder, fromdocname, docname, paper_anchor(target), contnode, target)

    def resolve_any_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder, target: str,
                         node: pending_xref, contnode: Element) -> list[tuple[str, Element]]:
        ref = self.resolve_xref(env, fromdocname, builder, "paper", target, node, contnode)
        return [("tc:paper", ref)] if ref is not None else []

    def get_objects(self) -> Iterable[tuple[str, str, str, str, str, int]]:
        """Every paper at its canonical card: in ``objects.inv`` (``tc:card``) and Sphinx's search box.

        The name is the key, which other projects link (``:external:tc:paper:`key```); the
        display name adds what readers type into the search box, which matches objects by it:
        the title, the nickname and the arXiv id.
        """
        names = self.data["names"]
        for key, docname in sorted(self._derived()["canonical"].items()):
            name = names.get(key, (key, key))[1]
            yield key, name, "card", docname, paper_anchor(key), 0  # 0: ranked above pages in the search box


def search_name(paper: Paper) -> str:
    """``key: Title (Nickname) arXiv:2412.16117``, the words the search box finds a paper by."""
    name = f"{paper.key}: {paper.title or paper.key}"
    if paper.aka:
        name += f" ({paper.aka})"
    if paper.arxiv_id:
        name += f" arXiv:{paper.arxiv_id}"
    return " ".join(name.split())


def add_paper_labels(app: Any, env: BuildEnvironment) -> list[str]:
    """``env-updated``: a standard label ``paper-KEY`` per paper, at its canonical card.

    So ``:ref:`paper-KEY``` works on the site, and any Sphinx project (no extension needed)
    links a paper through intersphinx with ``:external+survey:ref:`paper-KEY``` and gets its
    title as the link text.  Labels of papers no longer shown are removed; a label the site
    defines itself is left alone.  Titles and search names are refreshed from the bib when this
    build parsed it; a build that did not (nothing read, the bib unchanged) keeps the saved ones,
    so sharing never makes a build parse the bib.
    """
    domain: TCDomain = env.get_domain("tc")  # type: ignore[assignment]
    std = env.get_domain("std")  # env.domains.standard_domain needs Sphinx 9
    names: dict[str, tuple[str, str]] = domain.data["names"]
    ours: dict[str, str] = domain.data["labels"]
    canonical = domain.canonical_pages()
    bib = getattr(env.config, "_tc_bib", None)  # parsed in this build, else None
    if bib is not None:
        names.clear()
        for key in canonical:
            paper = bib.papers.get(key)
            if paper is not None:
                names[key] = (paper.title or key, search_name(paper))
    for name, docname in list(ours.items()):  # drop our labels first: papers may have moved or gone
        if std.anonlabels.get(name) == (docname, name):
            del std.anonlabels[name]
            std.labels.pop(name, None)
        del ours[name]
    for key, docname in sorted(canonical.items()):
        name = paper_anchor(key)
        if name in std.anonlabels or key not in names:
            continue
        std.anonlabels[name] = (docname, name)
        std.labels[name] = (docname, name, names[key][0])
        ours[name] = docname
    return []
