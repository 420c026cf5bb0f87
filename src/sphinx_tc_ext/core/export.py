"""Export the survey bib as CSL-JSON or as a flat CSV table; COinS metadata for the cards.

``tc-survey export-json BIB -o FILE`` writes a JSON array of CSL-JSON items
(``id``, ``type``, ``title``, ``author``, ``issued``, ``container-title``,
``URL``, ``DOI``...), each with this project's own fields added as extra keys:
``shortvenue``, the taxonomy fields (``areas``, ``categories``, ``cost`` for this
survey, as lists for multi-valued facets), the links ``code``, ``model``,
``dataset``, ``project``, ``eprint`` and ``added``.  CSL processors ignore keys
they do not know.

``tc-survey export-csv BIB -o FILE`` writes one row per paper with the same
information flattened; multiple values (authors, areas...) are joined with
``"; "``.  A cell a spreadsheet would run as a formula (one that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'`` and
quotes, as OWASP advises against CSV injection.

Both write the papers in the bib's own order, so the output is as deterministic
as the bib (the commands are in :mod:`sphinx_tc_ext.cli.export`).  Text is plain unicode (LaTeX markup
rendered).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import quote_plus

from pybtex.database import Person
from pybtex.exceptions import PybtexError

from sphinx_tc_ext.core.latex import latex_to_text
from sphinx_tc_ext.core.model import Bibliography, Paper
from sphinx_tc_ext.core.schema import LINK_FIELDS
from sphinx_tc_ext.core.taxonomy import Taxonomy

#: Columns of the CSV export, in order.
CSV_BASE_COLUMNS = ("key", "type", "title", "authors", "year", "month", "venue", "shortvenue", "venue_kind",
                    "eprint", "doi", "url")
CSV_TAIL_COLUMNS = ("code", "model", "dataset", "project", "added")
MULTI_SEPARATOR = "; "


def csl_type(paper: Paper) -> str:
    """CSL item type: preprints are ``article``, proceedings papers ``paper-conference``."""
    if paper.venue_kind == "preprint":
        return "article"
    if paper.entry_type == "inproceedings" or paper.fields.get("booktitle"):
        return "paper-conference"
    if paper.entry_type == "article":
        return "article-journal"
    return {"book": "book", "incollection": "chapter", "phdthesis": "thesis", "mastersthesis": "thesis",
            "techreport": "report"}.get(paper.entry_type, "article")


def csl_name(raw: str) -> dict[str, str]:
    """A BibTeX name as a CSL name: ``{"family", "given"}``, or ``{"literal"}`` for corporate authors."""
    return dict(_csl_name_parts(raw.strip()))


@functools.lru_cache(maxsize=65536)
def _csl_name_parts(stripped: str) -> tuple[tuple[str, str], ...]:
    """Cached per distinct name: every card's COinS span needs its authors' names, and pybtex's
    name parser costs 35 µs a name (1.2 s of a 5,000-entry build, whose 34,000 names are 1,100)."""
    return tuple(_parse_csl_name(stripped).items())


def _parse_csl_name(stripped: str) -> dict[str, str]:
    if stripped.startswith("{") and stripped.endswith("}"):
        return {"literal": latex_to_text(stripped)}
    try:
        person = Person(stripped)
    except PybtexError:
        return {"literal": latex_to_text(stripped)}
    name: dict[str, str] = {}
    family = latex_to_text(" ".join(person.last_names))
    given = latex_to_text(" ".join(person.first_names + person.middle_names))
    particle = latex_to_text(" ".join(person.prelast_names))
    suffix = latex_to_text(" ".join(person.lineage_names))
    if family:
        name["family"] = family
    if given:
        name["given"] = given
    if particle:
        name["non-dropping-particle"] = particle
    if suffix:
        name["suffix"] = suffix
    return name or {"literal": latex_to_text(stripped)}


def _container(paper: Paper) -> str:
    return latex_to_text(paper.fields.get("booktitle") or paper.fields.get("journal") or "")


def csl_item(paper: Paper, taxonomy: Taxonomy) -> dict[str, Any]:
    """One CSL-JSON item with this project's fields as extra keys."""
    item: dict[str, Any] = {"id": paper.key, "type": csl_type(paper), "title": paper.title}
    if paper.authors_raw:
        item["author"] = [csl_name(a) for a in paper.authors_raw]
    if paper.year:
        parts = [paper.year] + ([paper.month] if paper.month else [])
        item["issued"] = {"date-parts": [parts]}
    eprint = paper.fields.get("eprint", "").strip()
    if paper.venue_kind == "preprint":
        if eprint:
            item["publisher"] = "arXiv"
            item["number"] = f"arXiv:{eprint}"
    else:
        container = _container(paper)
        if container:
            item["container-title"] = container
    for field, key in (("doi", "DOI"), ("volume", "volume"), ("number", "issue"), ("pages", "page"),
                       ("publisher", "publisher"), ("note", "note")):
        value = paper.fields.get(field, "").strip()
        if value and key not in item:
            item[key] = latex_to_text(value) if field != "doi" else value
    if "paper" in paper.links:
        item["URL"] = paper.links["paper"]
    # Our own fields, as extra keys.
    if paper.venue:
        item["shortvenue"] = paper.venue
    if eprint:
        item["eprint"] = eprint
    for facet in taxonomy.facets:
        values = list(paper.facets.get(facet.id, ()))
        if facet.multi:
            item[facet.field] = values
        elif values:
            item[facet.field] = values[0]
    for name, _label in LINK_FIELDS:
        if name in paper.links:
            item[name] = paper.links[name]
    if paper.added:
        item["added"] = paper.added
    return item


def to_csl_json(bib: Bibliography, taxonomy: Taxonomy) -> str:
    items = [csl_item(p, taxonomy) for p in bib.papers.values()]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def csv_columns(taxonomy: Taxonomy) -> list[str]:
    return [*CSV_BASE_COLUMNS, *(f.field for f in taxonomy.facets), *CSV_TAIL_COLUMNS]


def csv_row(paper: Paper, taxonomy: Taxonomy) -> dict[str, str]:
    row = {
        "key": paper.key,
        "type": paper.entry_type,
        "title": paper.title,
        "authors": MULTI_SEPARATOR.join(paper.authors),
        "year": str(paper.year or ""),
        "month": str(paper.month or ""),
        "venue": _container(paper),
        "shortvenue": paper.venue,
        "venue_kind": paper.venue_kind,
        "eprint": paper.fields.get("eprint", "").strip(),
        "doi": paper.fields.get("doi", "").strip(),
        "url": paper.links.get("paper", ""),
        "added": paper.added,
    }
    for facet in taxonomy.facets:
        row[facet.field] = MULTI_SEPARATOR.join(paper.facets.get(facet.id, ()))
    for name, _label in LINK_FIELDS:
        row[name] = paper.links.get(name, "")
    return row


#: What starts a formula in Excel, LibreOffice and Google Sheets (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """One cell as the ``csv`` module writes it, but a would-be formula is neutralised: ``'`` in front, quoted.

    The ``csv`` module cannot quote one cell and not the others, so the cells are written here.
    """
    formula = value.startswith(FORMULA_STARTS)
    if formula:
        value = "'" + value
    if formula or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def to_csv(bib: Bibliography, taxonomy: Taxonomy) -> str:
    columns = csv_columns(taxonomy)
    lines = [",".join(map(csv_cell, columns))]
    for paper in bib.papers.values():
        row = csv_row(paper, taxonomy)
        lines.append(",".join(csv_cell(row[name]) for name in columns))
    return "\n".join(lines) + "\n"


# -- COinS: the metadata Zotero and other reference managers read from a page ------------------

#: OpenURL (Z39.88-2004) format and genre for each CSL type we emit (:func:`csl_type`).
COINS_FORMATS: dict[str, tuple[str, str]] = {
    "article-journal": ("journal", "article"),
    "paper-conference": ("journal", "proceeding"),
    "article": ("journal", "preprint"),
    "book": ("book", "book"),
    "chapter": ("book", "bookitem"),
    "thesis": ("book", "document"),
    "report": ("book", "report"),
}


def coins_pairs(item: dict[str, Any]) -> list[tuple[str, str]]:
    """A CSL-JSON item (:func:`csl_item`) as OpenURL key/value pairs, the content of a COinS span.

    Made from the CSL item, so the two exports share one field mapping.  Authors are
    ``rft.au`` values in ``Family, Given`` form (one per author, in order), which Zotero
    splits back into names; the page script turns the same pairs into RIS and CSL-JSON.
    """
    fmt, genre = COINS_FORMATS.get(item.get("type", ""), ("journal", "article"))
    pairs = [("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", f"info:ofi/fmt:kev:mtx:{fmt}"), ("rft.genre", genre)]
    title_key = "rft.btitle" if genre == "book" else "rft.atitle"
    pairs.append((title_key, item.get("title", "")))
    container = item.get("container-title")
    if container:
        pairs.append(("rft.jtitle" if fmt == "journal" else "rft.btitle", container))
    for name in item.get("author", ()):
        if "literal" in name:
            pairs.append(("rft.au", name["literal"]))
            continue
        family = " ".join(filter(None, (name.get("non-dropping-particle"), name.get("family"))))
        given = name.get("given", "")
        pairs.append(("rft.au", f"{family}, {given}" if given else family))
    issued = item.get("issued", {}).get("date-parts", [[]])[0]
    if issued:
        pairs.append(("rft.date", "-".join(f"{part:02d}" if i else str(part) for i, part in enumerate(issued))))
    for key, kev in (("volume", "rft.volume"), ("issue", "rft.issue"), ("page", "rft.pages"),
                     ("publisher", "rft.pub")):
        if item.get(key):
            pairs.append((kev, str(item[key])))
    url = item.get("URL", "")
    if item.get("eprint") and not url.endswith(f"arxiv.org/abs/{item['eprint']}"):  # else the link says it
        pairs.append(("rft_id", f"info:arxiv/{item['eprint']}"))
    if item.get("DOI"):
        pairs.append(("rft_id", f"info:doi/{item['DOI']}"))
    if item.get("URL"):
        pairs.append(("rft_id", item["URL"]))
    return pairs


def coins_title(paper: Paper, taxonomy: Taxonomy) -> str:
    """The ``title`` of a paper's COinS span: its OpenURL context object, URL-encoded (not yet HTML-escaped).

    ``:``, ``/`` and ``,`` stay as they are (legal in a query string, and a card's bytes count).
    """
    return "&".join(f"{_form_quote(str(name))}={_form_quote(str(value))}"
                    for name, value in coins_pairs(csl_item(paper, taxonomy)))


# What ``quote_plus(..., safe=":/,")`` leaves as it is, space included (it becomes "+").
_FORM_PLAIN = re.compile(r"[^A-Za-z0-9_.~:/, -]")


class _CharQuotes(dict):
    """``quote_plus`` of one character (its UTF-8 bytes, percent-encoded), computed once."""

    def __missing__(self, char: str) -> str:
        quoted = self[char] = quote_plus(char, safe=":/,")
        return quoted


_CHAR_QUOTES = _CharQuotes()


def _form_quote(value: str) -> str:
    """``urlencode``'s quoting of one name or value: only the few characters to quote are replaced (fast on titles).

    "%" goes first (the others' replacements hold "%"); "+" is quoted before spaces become "+".
    """
    for char in sorted(set(_FORM_PLAIN.findall(value)), key=lambda c: c != "%"):
        value = value.replace(char, _CHAR_QUOTES[char])
    return value.replace(" ", "+")


# -- a plain-text reference made with a pybtex style --------------------------------------------

@functools.cache
def pybtex_style(style: str) -> type:
    """The pybtex formatting style named ``style``; ``ValueError`` (naming the known ones) if there is none.

    Cached: pybtex scans every installed distribution's entry points on each lookup (30 ms).
    """
    from pybtex.plugin import PluginNotFound, find_plugin

    try:
        return find_plugin("pybtex.style.formatting", style)
    except PluginNotFound:
        raise ValueError(f"unknown pybtex style '{style}' (pybtex has alpha, plain, unsrt, unsrtalpha)") from None


def text_reference(paper: Paper, style: str = "plain") -> str:
    """The paper as a reference list entry in text, formatted by the pybtex style ``style``.

    An entry the style cannot format (a field it requires is missing) gets a short
    "Authors. Title. Year." instead: the bib's checks already report such an entry.
    Raises ``ValueError`` for a style pybtex does not have.
    """
    from pybtex.database import Entry

    style_class = pybtex_style(style)
    persons = {"author": [Person(a) for a in paper.authors_raw]} if paper.authors_raw else {}
    entry = Entry(paper.entry_type, fields=dict(paper.fields), persons=persons)
    entry.key = paper.key
    try:
        formatted = next(iter(style_class().format_entries([entry])))
        return latex_to_text(formatted.text.render_as("text"))
    except (PybtexError, KeyError):  # pybtex's FieldIsMissing is both
        parts = [", ".join(paper.authors), paper.title or paper.key, str(paper.year or "")]
        return " ".join(f"{part}." for part in parts if part)
