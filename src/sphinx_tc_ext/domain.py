"""The ``tc`` domain: which page shows which paper, merged safely across parallel reads.

Per-document data keyed by docname, with ``clear_doc`` and ``merge_domaindata``,
is what makes ``parallel_read_safe = True`` true.  The domain also gives every
paper one canonical home (its permalink) and the ``:tc:paper:`key``` role.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from docutils import nodes
from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode


def paper_anchor(key: str) -> str:
    """The HTML id of a paper's card (same rule as :attr:`Paper.anchor`)."""
    return "paper-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


class TCDomain(Domain):
    name = "tc"
    label = "Survey papers"
    roles = {"paper": XRefRole()}
    initial_data: dict[str, Any] = {
        # docname -> list of (table id, keys shown in that table, in order)
        "tables": {},
    }
    data_version = 1

    @property
    def tables(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        return self.data.setdefault("tables", {})

    def note_table(self, docname: str, table_id: str, keys: Iterable[str]) -> None:
        self.tables.setdefault(docname, []).append((table_id, tuple(keys)))

    def clear_doc(self, docname: str) -> None:
        self.tables.pop(docname, None)

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            if docname in otherdata.get("tables", {}):
                self.tables[docname] = otherdata["tables"][docname]

    def pages_showing(self) -> dict[str, list[str]]:
        """key -> docnames whose tables show it, sorted by docname."""
        result: dict[str, list[str]] = {}
        for docname in sorted(self.tables):
            for _table_id, keys in self.tables[docname]:
                for key in keys:
                    pages = result.setdefault(key, [])
                    if not pages or pages[-1] != docname:
                        pages.append(docname)
        return result

    def canonical_page(self, key: str) -> str | None:
        """The one page whose card is the paper's permalink target."""
        pages = self._canonical_map().get(key)
        return pages

    def _canonical_map(self) -> dict[str, str]:
        # Recomputed when the set of tables changes; cached on the env for the write phase.
        stamp = tuple((d, tuple(t for t, _ in v)) for d, v in sorted(self.tables.items()))
        cached = getattr(self.env, "_tc_canonical", None)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        home = self.env.config.tc_papers_page
        mapping: dict[str, str] = {}
        for key, pages in self.pages_showing().items():
            mapping[key] = home if home in pages else pages[0]
        self.env._tc_canonical = (stamp, mapping)  # type: ignore[attr-defined]
        return mapping

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
        for key, docname in sorted(self._canonical_map().items()):
            yield key, key, "paper", docname, paper_anchor(key), 1


def setup(app: Sphinx) -> None:
    app.add_domain(TCDomain)


__all__ = ["TCDomain", "nodes", "paper_anchor"]
