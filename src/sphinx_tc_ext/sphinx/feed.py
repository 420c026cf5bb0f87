"""An Atom feed of newly added and updated papers (``added`` and ``updated`` dates), so readers can subscribe.

An update (a preprint published, a retitle, new tags: the importer sets ``updated``) is an
entry of its own, "Updated: <title>", with an id of its own per date, so a feed reader shows
it as news rather than silently editing the entry of the paper's addition.

Written at the end of an HTML build, only when the bib changed since the feed
was last written (a no-change rebuild does not even parse the bib).  Entries
link to each paper's canonical card; with ``html_baseurl`` set (Read the Docs
sets it through ``READTHEDOCS_CANONICAL_URL``) the links are absolute.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

from docutils import nodes
from sphinx.application import Sphinx

from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.cache.digest import digest
from sphinx_tc_ext.core.latex import strip_control_characters
from sphinx_tc_ext.sphinx.config import get_bibliography, get_taxonomy, tc_config
from sphinx_tc_ext.sphinx.domain import TCDomain
from sphinx_tc_ext.sphinx.selection import news_of

ATOM = "http://www.w3.org/2005/Atom"
FEED_NAME = "feed.xml"
#: In the feed's stamp, so a feed written by older code is rewritten (2: ids are URIs, no control characters;
#: 3: updates are entries).
FEED_FORMAT = 3
#: RFC 4151 tag URI prefix of the ids of a feed without ``html_baseurl``.
TAG = "tag:sphinx-tc-ext,2025:"
# Characters a URI keeps as they are (RFC 3986 unreserved and reserved, "%" of escapes already made).
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"
_NOT_IN_SLUG = re.compile(r"[\s!-,/:-@\[-^`{-~]+")  # spaces and ASCII punctuation but "-", "." and "_"


def uri(value: str) -> str:
    """``value`` as a valid URI: spaces and other characters a URI cannot hold percent-encoded."""
    return quote(value, safe=_URI_SAFE)


def slug(title: str) -> str:
    """A URI segment made of a title: lower case, punctuation and spaces as "-", the rest percent-encoded."""
    return quote(_NOT_IN_SLUG.sub("-", title.lower()).strip("-"), safe="") or "feed"


def build_feed(app: Sphinx) -> bytes:
    bib = get_bibliography(app.config)
    taxonomy = get_taxonomy(app.config)
    domain: TCDomain = app.env.get_domain("tc")  # type: ignore[assignment]
    base = app.config.html_baseurl.rstrip("/") + "/" if app.config.html_baseurl else ""
    items = feed_items(bib)[: tc_config(app).feed_limit]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    title = tc_config(app).feed_title or f"{taxonomy.short_title or app.config.project}: new papers"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = strip_control_characters(title)
    feed_id = uri(urljoin(base, FEED_NAME)) if base else TAG + slug(title)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (items[0][0] if items else "1970-01-01") + "T00:00:00Z"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_id if base else FEED_NAME)
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "sphinx-tc-ext"
    for date, what, key in items:
        paper = bib.papers[key]
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        title = paper.title or strip_control_characters(paper.key)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"Updated: {title}" if what == "updated" else title
        home = domain.canonical_page(paper.key)
        link = f"{app.builder.get_target_uri(home)}#{paper.anchor}" if home else paper.links.get("paper", "")
        if link:
            ET.SubElement(entry, f"{{{ATOM}}}link", href=uri(urljoin(base, link) if base else link))
        entry_id = uri(urljoin(base, link)) if base and home else \
            f"urn:sphinx-tc-ext:paper:{quote(paper.key, safe='')}"  # as before for ordinary keys: ids never change
        if what == "updated":  # an id per update, so a reader shows it as news
            entry_id = f"urn:sphinx-tc-ext:paper:{quote(paper.key, safe='')}:updated:{date}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = date + "T00:00:00Z"
        for name in paper.authors[:20]:
            ET.SubElement(ET.SubElement(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = name
        labels = [facet.value(v).label for facet in taxonomy.facets for v in paper.facets.get(facet.id, ())
                  if facet.value(v)]
        summary = " · ".join(filter(None, [paper.venue, ", ".join(labels)]))
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = strip_control_characters(summary)
        for name in ("paper", "code"):
            if name in paper.links:
                ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", title=name, href=paper.links[name])
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def feed_items(bib: Any) -> list[tuple[str, str, str]]:
    """``(date, "added" or "updated", key)`` of every addition and update, newest first.

    The months of :func:`~sphinx_tc_ext.core.counts.news_by_month` (the What's new page),
    so the feed and the page tell the same news.
    """
    items = []
    for _month, added, updated in news_of(bib, 0):
        items += [(bib.papers[key].added, "added", key) for key in added]
        items += [(bib.papers[key].fields["updated"], "updated", key) for key in updated]
    return sorted(items, key=lambda item: (item[0], item[1] == "updated"), reverse=True)


def write_feed(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or not tc_config(app).feed:
        return
    domain: TCDomain = app.env.get_domain("tc")  # type: ignore[assignment]
    target = Path(app.outdir, FEED_NAME)
    stamp_file = Path(app.outdir, ".tc-feed-stamp")
    taxonomy = digest(tc_config(app).taxonomy_path.read_bytes())
    stamp = repr((FEED_FORMAT, domain.data.get("bib_stamp"), taxonomy, app.config.html_baseurl,
                  tc_config(app).feed_title, tc_config(app).feed_limit, sorted(domain.tables)))
    if target.exists() and stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp:
        return
    write_atomic(target, build_feed(app))
    write_atomic(stamp_file, stamp)


def feed_link(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if not tc_config(app).feed or getattr(app.builder, "implementation", None) is not None:
        return  # serializing builders (json, pickle) render no template, so no <head> to link from
    href = context["pathto"](FEED_NAME, 1)
    tag = f'<link rel="alternate" type="application/atom+xml" title="New papers" href="{href}" />'
    context["metatags"] = context.get("metatags", "") + "\n    " + tag


def feed_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: dict | None = None,
              content: list | None = None) -> tuple[list[nodes.Node], list]:
    """``:tc-feed:`Atom feed``` links to the feed from any page (fixed up per page when written)."""
    ref = nodes.reference(rawtext, text or "Atom feed", refuri=FEED_NAME, classes=["tc-feed-link"])
    return [ref], []


def fix_feed_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for ref in list(doctree.findall(nodes.reference)):
        if "tc-feed-link" not in ref["classes"]:
            continue
        if app.builder.format == "html" and tc_config(app).feed:
            page_dir = posixpath.dirname(app.builder.get_target_uri(docname))
            ref["refuri"] = posixpath.relpath(FEED_NAME, page_dir or ".")
        else:
            ref.replace_self(nodes.inline(ref.astext(), ref.astext(), classes=ref["classes"]))
