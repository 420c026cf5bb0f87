"""``tc-survey enrich``: fill the abstracts, DOIs and published venues that entries of the bib lack.

The same two services as ``tc-survey new --arxiv/--doi`` (:mod:`sphinx_tc_ext.core.lookup`):
arXiv's Atom API for entries with an arXiv id (many ids in one query, one query every 3 s) and
DOI content negotiation when a DOI is known.  A dry run by default: the report says what would
change, one ``file:line: key: field: old -> new`` line each.  ``--write`` edits those fields in
place through :class:`~sphinx_tc_ext.awesome.bibedit.BibEditor` (every other byte, the line
endings and a BOM kept) and the atomic writer.  A field that is present is never replaced unless
``--overwrite`` says so; a published entry keeps its venue.  When a lookup fails, its entry gets
one line, the others' report is still printed, and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sphinx_tc_ext.awesome.bibedit import BibEditor, read_exact
from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.cli._common import DEFAULT_BIB, DEFAULT_TAXONOMY, iso_date, positive_int
from sphinx_tc_ext.cli.new import bib_value, found_venue
from sphinx_tc_ext.core.bibsyntax import BibSyntaxError, Block, canonical_order, flatten, tokenize
from sphinx_tc_ext.core.lookup import Client, Found, LookupFailed, normalise_doi
from sphinx_tc_ext.core.problems import did_you_mean
from sphinx_tc_ext.core.rules import arxiv_id_in
from sphinx_tc_ext.core.taxonomy import load_taxonomy

#: arXiv ids per query: arXiv answers a few hundred at once, but a failed query then costs them all.
ARXIV_BATCH = 50
#: Entry types a published venue may retype (a ``@book`` or ``@proceedings`` keeps its type and container).
RETYPED = frozenset({"article", "inproceedings", "misc", "unpublished"})
#: The fields ``enrich`` fills; ``venue`` stands for the entry type, journal/booktitle, shortvenue and year.
FILLED = ("abstract", "doi", "venue")
_REPORT_WIDTH = 72


@dataclass
class Target:
    """One entry to enrich: where it is, what identifies it, and what it lacks."""

    block: Block
    values: dict[str, str]
    arxiv: str
    doi: str
    wants: set[str]
    found: Found | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.block.key


def entry_values(block: Block) -> dict[str, str]:
    """Each field's text (the first of a duplicated field), macros left as their names."""
    values: dict[str, str] = {}
    for f in block.fields:
        values.setdefault(f.lname, " ".join(flatten(f.pieces).split()))
    return values


def entry_arxiv(values: dict[str, str]) -> str:
    """The entry's arXiv id, from eprint, an arxiv.org url or an 'arXiv preprint arXiv:ID' journal."""
    if values.get("eprint") and values.get("archiveprefix", "arxiv").lower() == "arxiv":
        found = arxiv_id_in(values["eprint"])
        if found:
            return found
    if values.get("url") and (found := arxiv_id_in(values["url"])) and "arxiv.org" in values["url"].lower():
        return found
    m = re.search(r"(?i)arxiv:\s*(\S+)", values.get("journal", "") or values.get("note", ""))
    return (arxiv_id_in(m.group(1).rstrip(".,;")) or "") if m else ""


def is_preprint(entry_type: str, values: dict[str, str]) -> bool:
    """No published venue yet: no booktitle, and no journal or an arXiv one."""
    if entry_type.lower() not in RETYPED or values.get("booktitle"):
        return False
    journal = values.get("journal", "").lower()
    return not journal or "arxiv" in journal or journal.startswith(("corr", "preprint"))


def plan(block: Block, overwrite: bool, wanted: set[str]) -> Target:
    values = entry_values(block)
    wants = set()
    if "abstract" in wanted and (overwrite or not values.get("abstract")):
        wants.add("abstract")
    if "doi" in wanted and (overwrite or not values.get("doi")):
        wants.add("doi")
    if "venue" in wanted and is_preprint(block.entry_type, values):
        wants.add("venue")
    doi = normalise_doi(values.get("doi", "")) or ""
    return Target(block, values, entry_arxiv(values), doi, wants)


# -- lookups ------------------------------------------------------------------------------------------


def _merge(preprint: Found | None, published: Found | None) -> Found | None:
    """The published version's metadata, with what only arXiv knows (its abstract, its journal_ref)."""
    if published is None or preprint is None:
        return published or preprint
    for name in ("abstract", "doi"):
        if not getattr(published, name):
            setattr(published, name, getattr(preprint, name))
    if not published.venue:
        published.venue, published.venue_kind = preprint.venue, preprint.venue_kind
        published.year = published.year or preprint.year
    return published


def _is_arxiv_doi(doi: str) -> bool:
    """arXiv's own DOIs (DataCite's 10.48550/arXiv.ID) say no more than arXiv's API."""
    return doi.lower().startswith("10.48550/arxiv.")


def look_up(targets: list[Target], client: Client) -> None:
    """Fill each target's ``found`` or ``failures``: arXiv in batches, then one DOI call per entry that needs it."""
    preprints: dict[str, Found] = {}
    failed: dict[str, str] = {}
    ids = list(dict.fromkeys(t.arxiv for t in targets if t.arxiv))
    for start in range(0, len(ids), ARXIV_BATCH):
        batch = ids[start:start + ARXIV_BATCH]
        try:
            results = client.arxiv_batch(batch)
        except LookupFailed as exc:
            failed.update((i, str(exc)) for i in batch)
            continue
        for arxiv_id, result in results.items():
            if isinstance(result, Found):
                preprints[arxiv_id] = result
            else:
                failed[arxiv_id] = str(result)
    for target in targets:
        preprint = preprints.get(target.arxiv)
        if target.arxiv in failed:
            target.failures.append(failed[target.arxiv])
            continue
        doi = target.doi or (preprint.doi if preprint else "")
        needs_doi = "venue" in target.wants or ("abstract" in target.wants and not (preprint and preprint.abstract))
        published = None
        if doi and needs_doi and not _is_arxiv_doi(doi):
            try:
                published = client.doi(doi)
            except LookupFailed as exc:
                target.failures.append(str(exc))
                continue
        target.found = _merge(preprint, published)


# -- edits --------------------------------------------------------------------------------------------


def edits_for(target: Target, updated: str) -> tuple[str | None, dict[str, str | None]]:
    """(new entry type or None, field edits; None deletes) of what the services know and the entry lacks."""
    found, values = target.found, target.values
    edits: dict[str, str | None] = {}
    entry_type: str | None = None
    if found is None:
        return None, edits
    if "abstract" in target.wants and found.abstract:
        value = bib_value(found.abstract)
        if value != values.get("abstract"):
            edits["abstract"] = value
    if "doi" in target.wants and found.doi and found.doi.lower() != values.get("doi", "").lower():
        edits["doi"] = found.doi
    venue = found_venue(found) if "venue" in target.wants else None
    if venue and venue["container"]:
        kind = venue["type"] or "inproceedings"
        old_kind = target.block.entry_type.lower()
        if kind != old_kind:
            entry_type = kind
        container = "journal" if kind == "article" else "booktitle"
        edits[container] = bib_value(venue["container"])
        other = "booktitle" if container == "journal" else "journal"
        if other in values:
            edits[other] = None
        if venue["shortvenue"]:
            edits["shortvenue"] = bib_value(venue["shortvenue"])
        elif values.get("shortvenue", "").lower().startswith("arxiv"):
            edits["shortvenue"] = None  # a preprint badge on a published paper would be wrong
        if venue["year"] and venue["year"] != values.get("year"):
            edits["year"] = venue["year"]
        edits["updated"] = updated  # the site shows that the preprint was published
    return entry_type, edits


def _shown(value: str | None) -> str:
    if value is None:
        return "(removed)"
    if not value:
        return "(none)"
    return value if len(value) <= _REPORT_WIDTH else value[:_REPORT_WIDTH - 3] + "..."


def report_lines(path: str, target: Target, entry_type: str | None, edits: dict[str, str | None]) -> list[str]:
    """``file:line: key: field: old -> new``, at the field's line (the entry's for a new field)."""
    lines = []
    if entry_type:
        lines.append(f"{path}:{target.block.line}: {target.key}: type: @{target.block.entry_type} -> @{entry_type}")
    for name, value in edits.items():
        raw = target.block.get(name)
        line = raw.line if raw else target.block.line
        lines.append(f"{path}:{line}: {target.key}: {name}: {_shown(target.values.get(name, ''))} -> {_shown(value)}")
    return lines


# -- the command --------------------------------------------------------------------------------------


def select_blocks(blocks: list[Block], keys: list[str] | None, path: str) -> list[Block]:
    """The entries to enrich, in file order (the first of a duplicated key); an unknown ``--key`` is an error."""
    entries: dict[str, Block] = {}
    for block in blocks:
        if block.kind == "entry" and block.key:
            entries.setdefault(block.key.lower(), block)
    if not keys:
        return list(entries.values())
    unknown = [k for k in keys if k.lower() not in entries]
    if unknown:
        names = [b.key for b in entries.values()]
        raise ValueError(f"no entry '{unknown[0]}' in {path} ({did_you_mean(unknown[0], names)})")
    wanted = {k.lower() for k in keys}
    return [b for k, b in entries.items() if k in wanted]


def run_enrich(args: argparse.Namespace) -> int:
    if args.offline:
        print("tc-survey enrich: --offline: enrich only fetches from arXiv and doi.org, so there is nothing to do "
              "offline; run it without --offline", file=sys.stderr)
        return 2
    taxonomy = load_taxonomy(args.taxonomy)  # InputError: cli prints it and exits 2
    path = Path(args.bib)
    text, bom = read_exact(path)
    try:
        blocks = tokenize(text)
        selected = select_blocks(blocks, args.key, args.bib)
    except BibSyntaxError as exc:
        print(f"{args.bib}:1: the bib cannot be read ({exc}); run tc-survey check and fix it", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"tc-survey enrich: {exc}", file=sys.stderr)
        return 2
    wanted = set(args.only or FILLED)
    targets = [t for t in (plan(b, args.overwrite, wanted) for b in selected) if t.wants and (t.arxiv or t.doi)]
    if args.limit:
        targets = targets[:args.limit]
    try:
        client = Client()
    except LookupFailed as exc:
        print(f"tc-survey enrich: {exc}", file=sys.stderr)
        return 2
    look_up(targets, client)

    editor = BibEditor(text, canonical_order(taxonomy))
    updated = args.updated or datetime.date.today().isoformat()
    changes = failures = changed_entries = 0
    for target in targets:  # file order: the report reads like the bib
        for message in target.failures:
            print(f"{args.bib}:{target.block.line}: {target.key}: {message}", file=sys.stderr)
            failures += 1
        entry_type, edits = edits_for(target, updated)
        lines = report_lines(args.bib, target, entry_type, edits)
        for line in lines:
            print(line)
        if lines:
            editor.edit(target.block, entry_type, edits)
            changes += len(lines)
            changed_entries += 1
    summary = f"{changes} change(s) in {changed_entries} of {len(targets)} entries looked up"
    if failures:
        print(f"{summary}; {failures} lookup(s) failed, so nothing was written: run again later, "
              "or leave those entries out with --key", file=sys.stderr)
        return 2
    if not args.write:
        print(f"{summary}; nothing written (dry run): pass --write to apply them", file=sys.stderr)
        return 0
    if changes:
        write_atomic(path, (bom + editor.result([])).encode("utf-8"))
    print(f"{summary}; {'written to ' + args.bib if changes else 'nothing to write'}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "enrich", help="fill missing abstracts, DOIs and published venues from arXiv and doi.org",
        description="Look up the entries that have an arXiv id or a DOI and lack an abstract, a doi or a "
                    "published venue, and report what would change (file:line: key: field: old -> new). "
                    "A dry run unless --write is given; --write edits only those fields and keeps every "
                    "other byte of the bib. Fields that are present are kept unless --overwrite is given. "
                    "arXiv is asked for many ids per query, at most once every 3 s (TC_ARXIV_DELAY).")
    parser.add_argument("--bib", default=DEFAULT_BIB, help=f"bib file to enrich (default: {DEFAULT_BIB})")
    parser.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                        help=f"taxonomy file, for the order of inserted fields (default: {DEFAULT_TAXONOMY})")
    parser.add_argument("--key", action="append", metavar="KEY",
                        help="enrich only this entry (repeat it for several; default: every entry)")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="look up at most N entries (the first ones, in file order, that lack something)")
    parser.add_argument("--only", action="append", choices=FILLED,
                        help="fill only this kind of field (repeat it; default: abstract, doi and venue)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an abstract or doi that is present when the service's differs "
                             "(a published venue is never replaced)")
    parser.add_argument("--updated", type=iso_date, metavar="YYYY-MM-DD",
                        help="the 'updated' date of entries that get a published venue (default: today)")
    parser.add_argument("--write", action="store_true", help="apply the changes to the bib (default: only report)")
    parser.add_argument("--offline", action="store_true", help="refused: enrich needs the network")
    parser.set_defaults(func=run_enrich)
