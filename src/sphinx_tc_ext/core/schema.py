"""The bib schema: every field sphinx-tc-ext reads, documented in one place.

The site's field reference, ``tc-survey check`` and the renderer all read this
table, so the documentation cannot drift from the behaviour.  Taxonomy fields
(``areas``, ``categories``, ``cost`` for this survey) are not listed here: the
taxonomy file declares them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "text", "url", "date", "names", "year", "month", "id"
    description: str
    standard: bool  # a field BibTeX styles already know


FIELDS: tuple[Field, ...] = (
    Field("title", "text", "Title of the paper; LaTeX markup is rendered as text.", True),
    Field("author", "names", "Authors as BibTeX names joined by ``and``: ``Last, First and Last, First``. "
          "Brace corporate authors: ``{Qwen Team}``.", True),
    Field("year", "year", "Year of publication (four digits).", True),
    Field("month", "month", "Month of publication: ``jan`` ... ``dec`` or 1-12.", True),
    Field("journal", "text", "Full journal name, for ``@article``.", True),
    Field("booktitle", "text", "Full proceedings name, for ``@inproceedings``.", True),
    Field("eprint", "id", "arXiv identifier such as ``2507.20198``.", True),
    Field("archiveprefix", "text", "``arXiv`` when ``eprint`` is an arXiv identifier.", True),
    Field("primaryclass", "text", "arXiv primary class, e.g. ``cs.CV``.", True),
    Field("url", "url", "Landing page of the paper (http or https).", True),
    Field("doi", "id", "Digital Object Identifier, without the ``https://doi.org/`` prefix.", True),
    Field("note", "text", "Free text shown on the card.", True),
    Field("abstract", "text", "The paper's abstract: shown on the card folded under one line and found by both "
          "searches; kept in the BibTeX readers copy unless the taxonomy's ``[survey] bibtex_hidden`` lists it "
          "(``tc-survey new --arxiv`` writes it).", True),
    Field("shortvenue", "text", "Venue as shown on the badge: ``ICCV 2025``, ``CVPR 2024 Highlight``, "
          "``EMNLP 2024 Findings``, ``arXiv 2025.08``. A badge starting with ``arXiv`` marks a preprint.", False),
    Field("aka", "text", "The method's nickname (``FastV``): shown on the card and found by the search; "
          "``import-awesome`` reads it from a method table's name column.", False),
    Field("code", "url", "Source code repository (https).", False),
    Field("model", "url", "Released model weights (https).", False),
    Field("dataset", "url", "Released dataset (https).", False),
    Field("project", "url", "Project page (https).", False),
    Field("added", "date", "ISO date (``YYYY-MM-DD``) the paper entered the survey.", False),
    Field("updated", "date", "ISO date (``YYYY-MM-DD``) a merge of the awesome list last changed the paper's venue "
          "or title (a preprint published, a paper retitled); written by ``import-awesome``.", False),
)

FIELDS_BY_NAME = {f.name: f for f in FIELDS}

#: Link buttons of a card, in display order: (field, button label).
LINK_FIELDS: tuple[tuple[str, str], ...] = (
    ("code", "Code"),
    ("model", "Model"),
    ("dataset", "Dataset"),
    ("project", "Project"),
)

#: Fields that exist only for the site; stripped from "copy BibTeX".
SITE_ONLY_FIELDS = frozenset({"shortvenue", "aka", "code", "model", "dataset", "project", "added", "updated"})

#: Fields that hold an ISO date; the same checks apply to each.
DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "date")

#: Warning subtypes (``suppress_warnings = ["tc.<subtype>"]``) with what they mean.
WARNING_SUBTYPES: dict[str, str] = {
    "syntax": "A bib entry that cannot be parsed (unbalanced braces, missing key, bad field).",
    "duplicate": "Two entries share a citation key; the first one is kept.",
    "vocabulary": "A taxonomy field holds a value the taxonomy file does not declare.",
    "missing": "A required field (title, year, a required facet) is empty or missing.",
    "url": "A link that is not http(s) or is malformed; it is dropped.",
    "date": "A malformed ``added``, ``year`` or ``month``.",
    "taxonomy": "The taxonomy file itself is malformed.",
    "filter": "A ``paper-table`` option (filter, sort, group-by, facets) is invalid.",
    "config": "A ``tc_*`` configuration value is invalid.",
    "reference": "A taxonomy value names a section label that no page defines; its badges are not linked.",
}
