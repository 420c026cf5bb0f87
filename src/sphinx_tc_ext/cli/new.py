"""``tc-survey new``: write a new bib entry from flags or prompts, then check it.

The entry gets a Google-Scholar-style key (first author's last name, year, first
meaningful title word: ``shao2025tokens``) made unique against the bib, today's
``added`` date and the canonical layout of ``tc-survey fmt``.  Taxonomy fields get
one flag each (``--areas``, ``--categories``... read from ``refs/taxonomy.toml``
when the parser is built); ``--field NAME=VALUE`` sets any other field.  With ``--arxiv`` or
``--doi`` the title, authors, dates, venue and abstract come from arXiv or doi.org
(:mod:`sphinx_tc_ext.core.lookup`), so the contributor is asked only for what no service knows.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Callable
from pathlib import Path

from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.core.bibread import balanced_braces
from sphinx_tc_ext.core.bibsyntax import Block, entry_source, format_text, tokenize
from sphinx_tc_ext.core.codes import CODES_BY_ID, ERROR
from sphinx_tc_ext.core.lint import ENTRY_TYPES, Checker, render
from sphinx_tc_ext.core.lookup import Client, Found, LookupFailed, normalise_doi
from sphinx_tc_ext.core.problems import InputError, Problem, did_you_mean
from sphinx_tc_ext.core.rules import (
    MONTH_MACROS,
    arxiv_date,
    arxiv_id_in,
    citation_key,
    load_venues,
    month_macro,
    text_to_bib,
    to_bibtex_name,
    unique_key,
)
from sphinx_tc_ext.core.taxonomy import Facet, Taxonomy, load_taxonomy
from sphinx_tc_ext.core.titlecase import protect_title

DEFAULT_BIB = "refs/survey.bib"
DEFAULT_TAXONOMY = "refs/taxonomy.toml"
#: Words after a venue's abbreviation that label the presentation, not the venue.
PRESENTATION_LABELS = ("oral", "highlight", "spotlight", "poster", "best paper", "award")


class UsageError(Exception):
    """Bad input from the user; the message says how to fix it."""


# -- names, keys, values -------------------------------------------------------------------


def bibtex_name(name: str) -> str:
    """A name as typed: ``Last, First``, braces or LaTeX stay as written (the contributor wrote BibTeX);
    plain ``First Last`` goes through the one name encoder the importer uses (``{Qwen Team}`` stays whole)."""
    name = " ".join(name.split())
    if not name or name == "others" or any(c in name for c in ",{}\\"):
        return name
    return to_bibtex_name(name)


def split_authors(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        for part in re.split(r"\s+and\s+", value.strip()):
            if part.strip():
                names.append(bibtex_name(part))
    return names


def escape_latex(text: str) -> str:
    """Escape &, %, #, _ outside math so that LaTeX accepts the value."""
    out, math, i = [], False, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if c == "$":
            math = not math
        elif c in "&%#_" and not math:
            c = "\\" + c
        out.append(c)
        i += 1
    return "".join(out)


def parse_arxiv(text: str) -> str:
    """``2508.01548`` from ``2508.01548``, ``arXiv:2508.01548v2`` or an arxiv.org URL."""
    value = text.strip()
    if re.match(r"(?i)(?:www\.|export\.)?arxiv\.org/", value):  # a link pasted without its scheme
        value = "https://" + value
    found = arxiv_id_in(value.removesuffix(".pdf"))
    if not found:
        raise UsageError(f"'{text}' is not an arXiv id; write e.g. --arxiv 2508.01548")
    return found


def parse_doi(text: str) -> str:
    """``10.1109/cvpr.2016.90`` from the DOI, ``doi:...`` or a doi.org link."""
    found = normalise_doi(text)
    if not found:
        raise UsageError(f"'{text}' is not a DOI; write e.g. --doi 10.1109/CVPR.2016.90")
    return found


def parse_identifier(text: str) -> tuple[str, str]:
    """("arxiv", id) or ("doi", doi) for what a contributor pastes at the first question."""
    if normalise_doi(text):
        return "doi", parse_doi(text)
    try:
        return "arxiv", parse_arxiv(text)
    except UsageError:
        raise UsageError(f"'{text}' is neither an arXiv id nor a DOI; write e.g. 2507.20198 or "
                         "10.1109/CVPR.2016.90, or leave it empty") from None


def check_year(text: str) -> str:
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise UsageError(f"year '{text}' is not four digits; write e.g. 2025")
    return text.strip()


def check_month(text: str) -> str:
    """A typed month as its macro (``aug`` for ``August``, ``8``, ``08``)."""
    macro = month_macro(text)
    if not macro:
        raise UsageError(f"month '{text}' is not a month; write jan..dec, a month name or 1..12")
    return macro


def check_title(text: str) -> str:
    if not balanced_braces(text):
        raise UsageError(f"title has unbalanced braces: {text}; close every '{{' (or drop the braces)")
    return text


def check_authors(text: str) -> list[str]:
    """The typed names; an empty name (a doubled 'and') or 'et al.' is rejected while the answer can be retyped."""
    if re.search(r"(?i)\bet\s+al\b", text):
        raise UsageError("write every author ('and others' for the rest), not 'et al.'")
    parts = re.split(r"(?:^|\s)and(?=\s|$)", text.strip())
    if any(not part.strip() for part in parts):
        raise UsageError(f"'{text}' has an empty name (a doubled, leading or trailing 'and'); "
                         "write Last, First and Last, First")
    if not balanced_braces(text):
        raise UsageError(f"'{text}' has unbalanced braces; close every '{{'")
    return split_authors([text])


def check_venue(text: str) -> str:
    """A typed venue: braces balanced, and a bare abbreviation the venue table does not know rejected with
    the nearest one (a venue the table lacks is written by its full name)."""
    if not balanced_braces(text):
        raise UsageError(f"venue '{text}' has unbalanced braces; close every '{{'")
    if resolve_venue(text, "")["type"]:
        return text
    words = [w for w in text.split() if not re.fullmatch(r"\d{4}", w)]
    if len(words) == 1 and len(words[0]) <= 8 and re.fullmatch(r"[A-Z][A-Za-z-]*[A-Z][A-Za-z-]*", words[0]):
        keys = [v.key for v in load_venues().venues]
        raise UsageError(f"unknown venue '{words[0]}' ({did_you_mean(words[0], keys)}); write a venue of the table "
                         "(CVPR 2025) or the venue's full name")
    return text


def check_link(text: str) -> str:
    if not re.fullmatch(r"(?i)https?://[^\s/]+\S*", text.strip()):
        raise UsageError(f"'{text}' is not an http(s) link; write e.g. https://github.com/OWNER/REPO")
    return text.strip()


def bib_value(text: str) -> str:
    """A service's plain text as a BibTeX value: LaTeX kept when its braces balance, else everything escaped."""
    return escape_latex(text) if balanced_braces(text) else text_to_bib(text)


def resolve_values(facet: Facet, text: str) -> list[str]:
    values: list[str] = []
    for item in (v.strip() for v in text.split(",")):
        if not item:
            continue
        vid = item.lower() if facet.value(item.lower()) else facet.resolve_alias(item)
        if vid is None:
            raise UsageError(f"unknown {facet.id} '{item}' ({did_you_mean(item, facet.value_ids)})")
        if vid not in values:
            values.append(vid)
    if len(values) > 1 and not facet.multi:
        raise UsageError(f"{facet.field} takes one value, got {', '.join(values)}")
    return values


# -- venues --------------------------------------------------------------------------------


def resolve_venue(text: str, year: str) -> dict[str, str]:
    """Fields for ``--venue``: an abbreviation from the venue table (``ICCV``, ``CVPR 2024 Highlight``)
    becomes type, booktitle/journal and shortvenue; anything else is the full venue name."""
    table = load_venues()
    words = [w for w in text.split() if not re.fullmatch(r"\d{4}", w)]
    found_year = next((w for w in text.split() if re.fullmatch(r"\d{4}", w)), "")
    year = year or found_year
    for n in range(len(words), 0, -1):
        venue = table.lookup(" ".join(words[:n]))
        if venue is None:
            continue
        labels = " ".join(words[n:])
        if labels and not all(w.lower() in " ".join(PRESENTATION_LABELS).split() for w in words[n:]):
            continue
        number = int(year) if year.isdigit() else None
        badge = venue.shortvenue(number, labels.split())
        kind = "article" if venue.kind == "journal" else "inproceedings"
        return {"type": kind, "container": venue.full_name(number), "shortvenue": badge, "year": year}
    return {"type": "", "container": text.strip(), "shortvenue": "", "year": year}


def found_venue(found: Found) -> dict[str, str] | None:
    """:func:`resolve_venue`'s fields for a service's venue: a name of the venue table (``... (CVPR)`` too)
    or a journal_ref (``CVPR 2025``); else the name as the service wrote it; None for a preprint."""
    if not found.venue:
        return None
    table = load_venues()
    venue = table.by_name(found.venue) or table.lookup(found.venue)
    abbreviation = re.search(r"\(([A-Za-z][\w-]*)\)\s*$", found.venue)
    if venue is None and abbreviation:
        venue = table.lookup(abbreviation.group(1))
    number = int(found.year) if found.year.isdigit() else None
    if venue is not None:
        kind = "article" if venue.kind == "journal" else "inproceedings"
        return {"type": kind, "container": venue.full_name(number), "shortvenue": venue.shortvenue(number),
                "year": found.year}
    resolved = resolve_venue(found.venue, "")
    if resolved["type"]:
        return resolved
    kind = {"journal": "article", "proceedings": "inproceedings"}.get(found.venue_kind, "")
    if not kind:  # a journal_ref in free text ("Proc. of X, pp. 1-9"): keep it as a note of the preprint
        return {"type": "", "container": "", "shortvenue": "", "year": "", "note": found.venue}
    return {"type": kind, "container": found.venue, "shortvenue": "", "year": found.year}


def fetch_metadata(arxiv_id: str, doi: str, client: Client | None = None) -> Found:
    """What arXiv and doi.org know; the DOI's published version wins, arXiv fills what it lacks."""
    client = client or Client()
    preprint = client.arxiv(arxiv_id) if arxiv_id else None
    published = client.doi(doi) if doi else None
    if published is None:
        assert preprint is not None
        return preprint
    if preprint is not None:
        for name in ("title", "authors", "year", "month", "eprint", "abstract"):
            if not getattr(published, name):
                setattr(published, name, getattr(preprint, name))
    return published


# -- building the entry --------------------------------------------------------------------


def facet_flag(facet: Facet) -> str:
    return "--" + facet.field.replace("_", "-")


def facet_dest(facet: Facet) -> str:
    return "facet_" + re.sub(r"\W", "_", facet.field)


def ask_on_stderr(question: str) -> str:
    """Like :func:`input`, with the question on stderr so that stdout carries only the entry."""
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


class Prompter:
    """Ask for what the flags did not give, when stdin is a terminal."""

    def __init__(self, interactive: bool, ask: Callable[[str], str] | None = None) -> None:
        self.interactive = interactive
        self.ask = ask or ask_on_stderr

    def __call__(self, label: str, default: str = "", check: Callable[[str], object] | None = None,
                 required: bool = False) -> str:
        """The answer, checked as it is typed: a bad or missing required answer is asked again, at once."""
        if not self.interactive:
            return default
        while True:
            shown = f" [{default}]" if default else ""
            try:
                answer = self.ask(f"{label}{shown}: ").strip() or default
            except EOFError:
                return default
            if not answer and required:
                print("  an answer is required", file=sys.stderr)
                continue
            if check is None or not answer:
                return answer
            try:
                check(answer)
                return answer
            except UsageError as exc:
                print(f"  {exc}", file=sys.stderr)


def facet_answer(facet: Facet) -> Callable[[str], list[str]]:
    """The check of a typed taxonomy answer: its error names the nearest value and lists the allowed ones."""
    def check(text: str) -> list[str]:
        try:
            return resolve_values(facet, text)
        except UsageError as exc:
            if "allowed:" in str(exc):
                raise
            raise UsageError(f"{exc}; allowed: {', '.join(facet.value_ids)}") from None
    return check


def build_fields(args: argparse.Namespace, taxonomy: Taxonomy, prompt: Prompter,
                 client: Client | None = None) -> tuple[str, dict[str, str]]:
    """(entry type, fields) from the flags, what arXiv or doi.org know, and the answers (in that order)."""
    arxiv, doi_text = args.arxiv or "", args.doi or ""
    if not arxiv and not doi_text:
        identifier = prompt("arXiv id, arXiv link or DOI (empty to type every field)", check=parse_identifier)
        if identifier:
            kind, value = parse_identifier(identifier)
            arxiv, doi_text = (value, "") if kind == "arxiv" else ("", value)
    arxiv_id = parse_arxiv(arxiv) if arxiv else ""
    doi = parse_doi(doi_text) if doi_text else ""
    found = None
    if (arxiv_id or doi) and not args.offline:
        try:
            found = fetch_metadata(arxiv_id, doi, client)
        except LookupFailed as exc:
            raise UsageError(f"{exc}; nothing written") from None
        arxiv_id = arxiv_id or found.eprint
        if prompt.interactive:
            print(f"found on {found.source}: {found.title} ({found.year})", file=sys.stderr)
    title = args.title or ("" if found else prompt("Title", check=check_title, required=True))  # "": the service's
    if args.author:
        authors = split_authors(args.author)
    elif found:
        authors = [bibtex_name(a) for a in found.authors]
    else:
        authors = split_authors([a] if (a := prompt("Authors (Last, First and Last, First)", check=check_authors,
                                                     required=True)) else [])
    date = arxiv_date(arxiv_id) if arxiv_id else None
    posted = (str(date[0]), date[1]) if date else ("", 0)
    venue_text = args.venue if args.venue is not None else \
        "" if found else prompt("Venue (CVPR 2025, a full name, or empty for a preprint)", check=check_venue)
    venue = resolve_venue(venue_text, "") if venue_text else found_venue(found) if found else None
    year = args.year or (venue or {}).get("year") or (found.year if found else "") or \
        prompt("Year", default=posted[0], check=check_year, required=True)
    if not year and posted[0]:
        year = posted[0]
    # no identifier dates it and no service knows: asked, so the answer is checked now rather than at the end
    asked_month = "" if args.month or posted[1] or found else \
        prompt("Month (jan..dec or 1..12, empty if unknown)", check=check_month)
    missing = [name for name, value in (("--title", title or (found and found.title)), ("--author", authors),
                                        ("--year", year)) if not value]
    facet_values: dict[str, list[str]] = {}
    for facet in taxonomy.facets:
        given = getattr(args, facet_dest(facet), None)
        extra = dict(_field_pairs(args.field)).get(facet.field)
        text = given or extra
        if given is None and extra is None:  # a flag given empty is an answer: "none", not "ask me"
            offered = ", ".join(f"{v.id} ({v.label})" for v in facet.values)
            if prompt.interactive:
                print(f"{facet.label} values: {offered}", file=sys.stderr)
            text = prompt(f"{facet.label} ({facet.field}{', comma-separated' if facet.multi else ''}"
                          f"{'' if facet.required else ', optional'})", check=facet_answer(facet),
                          required=facet.required)
        values = resolve_values(facet, text) if text else []
        if facet.required and not values:
            missing.append(facet_flag(facet))
        facet_values[facet.field] = values
    code = args.code if args.code is not None else prompt("Code repository URL (empty if none)", check=check_link)
    if missing:
        raise UsageError("missing " + ", ".join(missing) + " (give the flags, or run in a terminal to be asked)")
    check_year(year)

    fields: dict[str, str] = {}
    note = args.note or (venue or {}).get("note", "")
    for name, value in (("title", title), ("note", note)):
        if value:
            if not balanced_braces(value):
                raise UsageError(f"{name} has unbalanced braces: {value}")
            fields[name] = escape_latex(protect_title(value) if name == "title" else value)
    if not title and found:  # the service's plain text: acronyms braced, LaTeX specials escaped
        fields["title"] = bib_value(protect_title(found.title))
    fields["author"] = " and ".join(authors)
    fields["year"] = year

    entry_type = args.type or ""
    shortvenue = args.shortvenue or ""
    if venue_text:
        venue = resolve_venue(venue_text, year)
    if venue and venue["container"]:
        entry_type = entry_type or venue["type"] or "inproceedings"
        container = escape_latex(venue["container"]) if venue_text else bib_value(venue["container"])
        fields["journal" if entry_type == "article" else "booktitle"] = container
        shortvenue = shortvenue or venue["shortvenue"]
    elif arxiv_id:
        entry_type = entry_type or "article"
        fields["journal" if entry_type == "article" else "note"] = f"arXiv preprint arXiv:{arxiv_id}"
        if posted[1]:
            shortvenue = shortvenue or f"arXiv {posted[0]}.{posted[1]:02d}"
    entry_type = entry_type or "misc"
    published = venue is not None and bool(venue["container"])
    # arXiv's month is the preprint's: it dates a preprint only; doi.org's dates the published version
    dates_entry = found and found.month and (not published or (found.source == "doi.org" and not args.venue))
    found_month = MONTH_MACROS[found.month - 1] if found and dates_entry else ""
    month = args.month or found_month or (MONTH_MACROS[posted[1] - 1] if posted[1] and not published else "") \
        or asked_month
    if month:
        macro = month_macro(month)
        if not macro:
            raise UsageError(f"month '{month}' is not a month; write jan..dec or 1..12")
        fields["month"] = macro
    if arxiv_id:
        fields["eprint"] = arxiv_id
        fields["archiveprefix"] = "arXiv"
        fields["url"] = args.url or f"https://arxiv.org/abs/{arxiv_id}"
    doi = doi or (found.doi if found else "")
    if not arxiv_id and (args.url or (found and found.url)):  # doi.org's link is the DOI's, spelled as given
        fields["url"] = args.url or f"https://doi.org/{doi}"
    if doi:
        fields["doi"] = doi
    if found and found.abstract:
        fields["abstract"] = bib_value(found.abstract)
    for name, values in facet_values.items():
        if values:
            fields[name] = ", ".join(values)
    if shortvenue:
        fields["shortvenue"] = escape_latex(shortvenue)
    for name, value in (("code", code), ("model", args.model), ("dataset", args.dataset),
                        ("project", args.project)):
        if value:
            fields[name] = value.strip()
    fields["added"] = args.added or datetime.date.today().isoformat()
    for name, value in _field_pairs(args.field):
        if name not in taxonomy.fields:
            fields[name] = value
    return entry_type, fields


def _field_pairs(items: list[str] | None) -> list[tuple[str, str]]:
    pairs = []
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z][\w:.+-]*", name.strip()):
            raise UsageError(f"--field takes NAME=VALUE, got '{item}'")
        pairs.append((name.strip().lower(), value.strip()))
    return pairs


def entry_text(entry_type: str, key: str, fields: dict[str, str], taxonomy: Taxonomy) -> str:
    return format_text(entry_source(entry_type, key, fields) + "\n", taxonomy)


def bib_text(raw: bytes) -> str:
    """The bib's text as :func:`~sphinx_tc_ext.fmt.read_bib` gives it (no BOM, ``\\n`` line ends)."""
    return raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def line_ending(raw: bytes) -> str:
    """The bib's own line ending: ``\\r\\n`` when most of its lines end so, else ``\\n``."""
    crlf = raw.count(b"\r\n")
    return "\r\n" if crlf > raw.count(b"\n") - crlf else "\n"


def check_new_entry(taxonomy: Taxonomy, existing: str, blocks: list[Block], prefix: str, entry: str,
                    path: str) -> list[Problem]:
    """The problems a check of the bib with ``entry`` appended finds at the entry's lines.

    Only the entry is checked, against an index of the entries before it (20,000 take 20 s
    to check, their index a few); a bib the shortcut cannot vouch for is checked whole.
    """
    first_line = prefix.count("\n") + 1
    problems = Checker(taxonomy).check_appended(existing, blocks, entry, first_line, path)
    if problems is None:
        problems = [p for p in Checker(taxonomy).check_text(prefix + entry, path) if p.line >= first_line]
    return problems


def run_new(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.taxonomy)  # InputError: cli prints it and exits 2
    bib_path = Path(args.bib)
    try:
        raw = bib_path.read_bytes() if bib_path.exists() else b""
        existing = bib_text(raw)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.bib}:1: cannot read the bib file: {exc}", file=sys.stderr)
        return 2
    interactive = not args.no_input and sys.stdin.isatty()
    try:
        entry_type, fields = build_fields(args, taxonomy, Prompter(interactive))
        if entry_type not in ENTRY_TYPES:
            raise UsageError(f"unknown entry type '{entry_type}' ({did_you_mean(entry_type, ENTRY_TYPES)})")
        blocks = tokenize(existing)
        taken = {b.key.lower() for b in blocks if b.kind in ("entry", "invalid") and b.key}
        if args.key:
            key = args.key
            if key.lower() in taken:
                raise UsageError(f"key '{key}' is already in {args.bib}; choose another or drop --key")
        else:
            first = fields["author"].split(" and ")[0]
            key = unique_key(citation_key(first, fields["year"], fields.get("title", "")), taken)
    except UsageError as exc:
        print(f"tc-survey new: {exc}", file=sys.stderr)
        return 2

    entry = entry_text(entry_type, key, fields, taxonomy)
    prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
    if prefix.strip():
        prefix += "\n"
    first_line = prefix.count("\n") + 1
    problems = check_new_entry(taxonomy, existing, blocks, prefix, entry, args.bib)
    errors = [p for p in problems if CODES_BY_ID[p.code].severity == ERROR]
    if args.dry_run:
        sys.stdout.write(entry)
    if problems:
        print(render(problems, "text"), file=sys.stderr)
    if args.dry_run:
        return 1 if errors else 0
    if errors and not args.force:
        if interactive:  # the answers are in the entry: show it rather than lose them
            sys.stdout.write(entry)
        print(f"not written: fix the {len(errors)} error(s) above, or pass --force", file=sys.stderr)
        return 1
    # append to the bytes as read (BOM, line endings, a missing final newline...): the diff is the entry
    write_atomic(bib_path, raw + (prefix[len(existing):] + entry).replace("\n", line_ending(raw)).encode("utf-8"))
    print(f"added {key} to {args.bib} (line {first_line})", file=sys.stderr)
    return 1 if errors else 0


def _taxonomy_for_flags() -> Taxonomy | None:
    try:
        return load_taxonomy(DEFAULT_TAXONOMY) if Path(DEFAULT_TAXONOMY).is_file() else None
    except InputError:
        return None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "new", help="add a paper to the bib from flags or prompts",
        description="Write a new entry (Google-Scholar-style key, today's 'added' date, canonical layout), "
                    "append it to the bib and check it. Missing values are asked for when stdin is a terminal.")
    parser.add_argument("--bib", default=DEFAULT_BIB, help=f"bib file to append to (default: {DEFAULT_BIB})")
    parser.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                        help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    parser.add_argument("--title")
    parser.add_argument("--author", action="append", metavar="NAME",
                        help="an author ('Last, First' or 'First Last'); repeat it, or join names with ' and '")
    parser.add_argument("--year")
    parser.add_argument("--month", help="jan..dec or 1..12 (default: the arXiv id's month for preprints)")
    parser.add_argument("--venue", help="a venue abbreviation with optional year and label (ICCV, 'CVPR 2024 "
                        "Highlight') or a full venue name; empty for a preprint")
    parser.add_argument("--shortvenue", help="badge text (default: from --venue or the arXiv id)")
    parser.add_argument("--type", help="entry type (default: from the venue; article for arXiv preprints)")
    parser.add_argument("--arxiv", help="arXiv id or URL: title, authors, dates, abstract (and the venue of a "
                        "journal_ref) come from arXiv's API; with --offline it sets eprint, url, year and month only")
    parser.add_argument("--doi", help="DOI or doi.org link: the published version's title, authors, venue and "
                        "date come from doi.org (they win over arXiv's when both are given)")
    parser.add_argument("--offline", action="store_true",
                        help="never use the network: --arxiv and --doi fill only what the identifiers say")
    parser.add_argument("--url")
    parser.add_argument("--note")
    for name in ("code", "model", "dataset", "project"):
        parser.add_argument(f"--{name}", metavar="URL")
    taxonomy = _taxonomy_for_flags()
    for facet in taxonomy.facets if taxonomy else ():
        parser.add_argument(facet_flag(facet), dest=facet_dest(facet), metavar="VALUES",
                            help=f"{facet.label}{' (required)' if facet.required else ''}: "
                                 + ", ".join(facet.value_ids))
    parser.add_argument("--field", action="append", metavar="NAME=VALUE",
                        help="set any other field (or a taxonomy field of another --taxonomy)")
    parser.add_argument("--key", help="citation key (default: firstauthorYEARword, made unique)")
    parser.add_argument("--added", help="date the paper entered the survey (default: today)")
    parser.add_argument("--dry-run", action="store_true", help="print the entry and its check; write nothing")
    parser.add_argument("--force", action="store_true", help="write the entry even if the check finds errors")
    parser.add_argument("--no-input", action="store_true", help="never prompt, even in a terminal")
    parser.set_defaults(func=run_new)

