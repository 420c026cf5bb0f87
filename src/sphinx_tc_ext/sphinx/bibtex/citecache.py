"""Keep sphinxcontrib-bibtex's formatted citations when none of their inputs changed.

At ``env-updated``, on every build, sphinxcontrib-bibtex formats each cited entry
with pybtex twice (the bibliography entry and the tooltip), even when no page was
read: a third of a no-change rebuild of this site.  Its results (the ``citations``
of its domain data) are pickled with the environment, so when nothing they depend
on changed, the pickled ones are what it would compute again.

What they depend on: the pages (their citations and ``bibliography`` directives;
unchanged when no page was read and none was added or removed), the bib files as
sphinxcontrib-bibtex parsed them (path and mtime, its own cache key), every
``bibtex_*`` option (most are "html" options, which re-read nothing when changed),
and the versions of sphinxcontrib-bibtex and pybtex.  A digest of those is stored
next to the citations; the domain subclass installed here formats again whenever it
differs or any page was read.

When it does format, each entry is formatted once, not twice: with
``bibtex_tooltips_style`` empty (the default) the tooltip is the bibliography
entry formatted again with the same style and label, so the same result is used
for both (half of the formatting of a clean build).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from pybtex.richtext import Tag
from sphinx.application import Sphinx
from sphinx.config import Config

from sphinx_tc_ext.cache.digest import value_digest
from sphinx_tc_ext.sphinx.config import tc_config

STAMP_KEY = "tc_inputs_digest"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def inputs_digest(domain: Any) -> str:
    """What the domain's ``env_updated`` reads besides the pages."""
    env = domain.env
    bibfiles = getattr(domain.data.get("bibdata"), "bibfiles", {})
    options = sorted((item.name, repr(item.value)) for item in env.config if item.name.startswith("bibtex_"))
    inputs = (
        _version("sphinxcontrib-bibtex"), _version("pybtex"),
        sorted((str(path), getattr(info, "mtime", None)) for path, info in bibfiles.items()),
        options, sorted(env.all_docs),
    )
    return value_digest(inputs)


def keeping_citations(base: type) -> type:
    """``base`` (sphinxcontrib-bibtex's domain class) with ``env_updated`` skipped when its inputs are unchanged."""

    class BibtexDomainKeepingCitations(base):  # type: ignore[valid-type, misc]
        def env_updated(self):  # returns whatever the base returns
            digest = inputs_digest(self)
            nothing_read = getattr(self.env.config, "_tc_read_count", None) == 0
            if nothing_read and self.data.get("citations") and self.data.get(STAMP_KEY) == digest:
                return []
            result = super().env_updated()
            self.data[STAMP_KEY] = digest
            return result

        def get_formatted_entries(self, bibliography_key, docnames, tooltips, tooltips_style):
            """The base's entries; a tooltip in the bibliography's own style is its entry, not a second formatting."""
            bibliography = self.bibliographies[bibliography_key]
            if not tooltips or (tooltips_style and tooltips_style != bibliography.style):
                yield from super().get_formatted_entries(bibliography_key, docnames, tooltips, tooltips_style)
                return
            for entry, formatted, _none in super().get_formatted_entries(bibliography_key, docnames, False, ""):
                # The base gives no tooltip for an entry it could not format (a missing field: a <b> tag).
                yield entry, formatted, (None if isinstance(formatted.text, Tag) else formatted)

    return BibtexDomainKeepingCitations


def install(app: Sphinx, config: Config) -> None:
    """``config-inited`` (extensions are loaded, the environment and its domains not yet made)."""
    if not tc_config(config).keep_citations or "sphinxcontrib.bibtex" not in app.extensions:
        return
    base = app.registry.domains.get("cite")
    if base is None or not callable(getattr(base, "env_updated", None)) or \
            getattr(base, "__module__", "") != "sphinxcontrib.bibtex.domain":
        return  # another extension replaced the domain, or a version without env_updated: leave it be
    app.add_domain(keeping_citations(base), override=True)
