"""``tc-survey import-awesome`` / ``export-awesome``: an awesome list of badge tables to the survey bib and back.

``tc-survey import-awesome DIR -o BIB`` reads every ``*.md`` file of ``DIR`` (or a
single Markdown file) written in the badge-table format of awesome lists such as
Awesome-Multimodal-Token-Compression (one row per paper, cells shortened here)::

    | **Title & Authors** | **Areas** | **Tags** | **Links** |
    | --- | --- | --- | :---: |
    |  [![Publish](https://img.shields.io/badge/ICCV-2025-blue)]() [![Star](...)](...)<br>[Title](URL)<br>A, B
       |  [![Area](https://img.shields.io/badge/Image--LLM-purple)]()
       |  [![Type](https://img.shields.io/badge/Attention--Based-green)]()<br> [![Cost](...Training--Free-yellow)]()
       |  [Paper](URL)<br> [GitHub](URL)<br> |

and writes one Google-Scholar-like BibTeX entry per paper.  ``tc-survey
export-awesome BIB -o OUTDIR`` writes the same format back: a README with the
recent papers per area and the papers of recent venues, and one file per area
with a section per year.  Importing the export gives back the same bib.

Rules, so that the output is predictable:

* **Which rows.**  Three layout families are read (the layout's ``[read] family``,
  ``detect`` by default): badge tables as above; method tables, whose name column
  (``| **FastV** | ... |``) becomes ``aka`` and whose venue may be a plain image whose
  alt text is the venue (``![ECCV 2024](...)``); and bullet lists of
  ``* [badges] [Title](url)`` items, the authors after the title link and the
  badges on the following lines.  A list with no paper at all is an error that
  shows the first tables and items it could not read.
  A table is a paper table when its header has a title column.
  Badges are recognised in every cell by their alt text, else their colour, as
  the list's layout says (the packaged ``data/awesome-layout.toml``, or an
  ``awesome-layout.toml`` next to the taxonomy file: red = arXiv, blue = venue,
  purple = area, green = mechanism, yellow = cost; ``github/stars`` = star badge);
  named links (``[Paper]``, ``[GitHub]``, ``[Model]``, ``[Dataset]``, ``[Project]``...)
  in every cell but the title's.
  Extra and missing cells are reported, never fatal.
* **One entry per paper.**  Rows are the same paper when they share an arXiv id,
  else the same normalised title (case, punctuation and spacing ignored).  The
  files are read in name order with ``README.md`` last.  Areas, mechanisms and
  links are merged over all rows (union); for the title and the authors the most
  frequent variant wins (ties: the first one read) and every other variant is
  reported.  Area badges are the truth for ``areas``: a row placed in a file or
  section of another area is reported, not re-tagged.
* **Keys** follow Google Scholar: first author's last name (ASCII-folded,
  lowercase; the first word for a corporate author such as ``{Qwen Team}``),
  the year, and the first title word that is not a stop word
  (``shao2025tokens``).  Clashes get ``b``, ``c``... in order of the papers'
  dates (older first).  Keys already in the output bib are never changed.
* **Dates.**  Preprints take ``year``/``month`` from the arXiv id (the badge's
  ``YYYY.MM`` when there is no id); published papers take ``year`` from the
  venue badge and no ``month``.  ``eprint``/``archivePrefix`` are written for
  every paper with an arXiv id.
* **added.**  The survey's v1 appeared on 2025-07-29 and the list's news of
  2025-08-14 announces the papers added since (the layout's ``[survey]`` dates).  A paper whose arXiv id is not
  newer than the survey's own id (2507.20198) -- or, without an id, whose
  year/month is not later than 2025-07 -- gets ``added = 2025-07-29``; newer
  papers get 2025-08-14 (``--added`` changes that second date for later
  imports).  An ``added`` already in the bib is kept.
* **Venues** come from a data table (``data/venues.toml``, ``--venues``): badge
  abbreviation to full name and kind; conferences become ``@inproceedings``
  with ``booktitle``, journals ``@article`` with ``journal``, preprints
  ``@article`` with ``journal = {arXiv preprint arXiv:ID}``.  Presentation
  labels (Oral, Highlight, Spotlight, Poster) stay in ``shortvenue`` only.
* **Order.**  Entries are written newest first: year, then month descending
  (entries without a month, i.e. published papers, after the dated ones of
  their year); then key ascending.  Running the
  import twice gives byte-identical files.
* **Merging.**  When ``-o`` names an existing bib, its entries are matched by
  arXiv id, else normalised title, and the file is edited in place: a field
  the list carries is rewritten only when the list now says something else
  than the bib's entry exported would (so a macro use, hand-written LaTeX or
  another quoting style is never a change), in its place and layout; a field
  the list leaves empty keeps its bib value, except the old venue's fields when
  a paper moved venue.  ``@book``, ``@proceedings`` and other types the list
  cannot express keep their type and container.  New papers are appended at
  the end in the canonical layout.  Every other byte (comments, ``@string``,
  ``@preamble``, blank lines, line endings, other fields and entries, entries
  that cannot be read with ``--force``) is kept, so exporting a bib and
  importing the export into it changes nothing.  What was added, updated and
  kept is printed.
* **A newer list.**  A preprint the list now gives a venue (or a new title) keeps its key and gets
  the venue, the title of the published rows and ``updated`` (``--date``, default today).  With
  ``--add-values`` the list's unknown tags become new values of the taxonomy file (inserted after
  the facet's last value, the rest of the file kept); a tag close to a known value is reported, not added.
* **Anomalies** are repaired where possible and always reported on stderr as
  ``file:line: what; what was done``, with a count per kind at the end.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from sphinx_tc_ext.awesome.exporter import export_awesome
from sphinx_tc_ext.awesome.importer import import_awesome, summarise
from sphinx_tc_ext.awesome.layout import Layout, layout_for, load_layout
from sphinx_tc_ext.awesome.newvalues import extend_taxonomy, unknown_tags
from sphinx_tc_ext.awesome.rows import UNREAD_SHOWN, markdown_files, unread_lines
from sphinx_tc_ext.awesome.summary import new_values, render_summary
from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.cli._common import iso_date, load_for_command, output_file, output_folder, positive_int, year_month
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.rules import VenueTable, load_venues
from sphinx_tc_ext.core.taxonomy import Taxonomy, load_taxonomy
from sphinx_tc_ext.core.textio import read_utf8

DEFAULT_TAXONOMY = "refs/taxonomy.toml"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-awesome", help="import an awesome list (badge tables, method tables, bullet lists) into the bib",
        description="Read an awesome list (a directory or one file: badge tables, method tables or bullet lists) "
                    "and write one BibTeX entry per paper; merges into an existing bib. Anomalies go to stderr.")
    p.add_argument("source", metavar="DIR", help="directory of *.md files (README.md is read last), or one file")
    p.add_argument("-o", "--output", required=True, metavar="BIB", help="bib file to write or merge into")
    p.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                   help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    p.add_argument("--venues", default=None, metavar="FILE",
                   help="venue table (default: the packaged data/venues.toml)")
    later = load_layout().later_added  # the packaged layout's; a survey's own layout may say otherwise
    p.add_argument("--added", default=None, metavar="DATE", type=iso_date,
                   help=f"'added' date of papers newer than the survey's v1 (default: {later})")
    p.add_argument("--date", default=None, metavar="DATE", type=iso_date,
                   help="date of this import: the 'updated' date of papers whose venue or title the merge changes "
                        "(default: today) and, unless --added is given, the 'added' date of new papers")
    p.add_argument("--add-values", action="store_true",
                   help="add the list's unknown tags to the taxonomy file as new values (to describe), then import")
    p.add_argument("--force", action="store_true",
                   help="merge even when the existing bib has entries that cannot be read (they are kept as they are)")
    p.add_argument("--summary", default=None, metavar="FILE",
                   help="also write a Markdown summary of the merge (for a pull request's body): counts, added, "
                        "published, retitled, retagged, new taxonomy values, anomalies; '-' for stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary of the anomalies")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when anomalies were found")
    p.set_defaults(func=_cmd_import)

    e = subparsers.add_parser(
        "export-awesome", help="write the bib as an awesome list of badge tables",
        description="Write README.md (recent papers, recent venues) and one Markdown file per area.")
    e.add_argument("bib", metavar="BIB")
    e.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    e.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                   help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    e.add_argument("--venues", default=None, metavar="FILE", help="venue table (default: packaged)")
    e.add_argument("--as-of", default=None, metavar="DATE", type=year_month,
                   help="date the 'recent' sections count back from (default: the newest paper's month)")
    e.add_argument("--recent-months", type=positive_int, default=6, metavar="N", help="months counted as recent (6)")
    e.set_defaults(func=_cmd_export)


def _load_common(args: argparse.Namespace) -> tuple[Taxonomy, VenueTable, Layout]:
    taxonomy = load_taxonomy(args.taxonomy)
    return taxonomy, load_venues(args.venues), layout_for(taxonomy)


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        if args.venues:  # load_venues reads it too, but would let a Latin-1 byte out as a traceback
            read_utf8(args.venues, "venue table")
        taxonomy, venues, layout = _load_common(args)
        if not Path(args.source).exists():
            raise InputError([Problem(args.source, 1, "config", "no such file or directory")])
        files = markdown_files(args.source)
        if not files:
            raise InputError([Problem(args.source, 1, "config", "no Markdown files (*.md) in this folder; "
                                      "give the folder of the awesome list or one of its files")])
        for path in files:  # a Latin-1 byte: say where, before anything is parsed or written
            read_utf8(path, "Markdown file")
        out = output_file(args.output, "survey.bib")
        summary_path = _summary_file(args.summary) if args.summary not in (None, "-") else None
        if out.exists():
            read_utf8(out, "bib to merge into", "syntax")
        before = taxonomy
        extension = extend_taxonomy(taxonomy, unknown_tags(files, taxonomy, layout)) if args.add_values else None
        if extension is not None:
            taxonomy = extension.taxonomy
        result = import_awesome(args.source, out, taxonomy, venues, later=args.added or args.date, force=args.force,
                                layout=layout, updated=args.date)
        if result.count == 0:
            unread = unread_lines(files, taxonomy, layout, venues)
            raise InputError([*unread, _no_papers(args.source, files, layout, len(unread))])
    except InputError as exc:
        return InputError(exc.problems, exit_code=1).report()
    problems = [*(extension.problems if extension else []), *result.problems]
    if not args.quiet:
        for problem in problems:
            print(problem, file=sys.stderr)
    print(f"{result.count} papers read; {summarise(problems)}", file=sys.stderr)
    if extension is not None and extension.added:
        write_atomic(taxonomy.path, extension.text)
    write_atomic(out, result.text)
    report = sys.stderr if args.summary == "-" else sys.stdout  # stdout is the summary's, then
    counts = Counter(action for action, _k, _d in result.changes)
    for action, key, detail in result.changes:
        if action != "unchanged":
            print(f"{action:8} {key}" + (f": {detail}" if detail else ""), file=report)
    if result.changes:
        updated = f"{counts.get('updated', 0)} updated"
        if result.published or result.retitled:
            updated += f" ({len(result.published)} published, {len(result.retitled)} retitled)"
        print(", ".join([f"{counts.get('added', 0)} added", updated,
                         *(f"{counts.get(a, 0)} {a}" for a in ("unchanged", "kept"))]), file=report)
    else:
        print(f"wrote {len(result.entries)} entries to {out}", file=report)
    if args.summary:
        added_values = new_values(before, taxonomy) if extension is not None and extension.added else []
        anomalies = [p for p in problems if not (p.code == "new-value" and p.message.startswith("added "))]
        source = Path(args.source)
        text = render_summary(result, taxonomy, added_values, anomalies, source=source.name,
                              base=source if source.is_dir() else source.parent)
        if summary_path is None:
            sys.stdout.write(text)
        else:
            write_atomic(summary_path, text)
    return 1 if args.strict and result.problems else 0


def _summary_file(value: str) -> Path:
    """The ``--summary`` file, checked before anything is written (a folder in the way is a usage error)."""
    if Path(value).is_dir():
        raise InputError([Problem(value, 1, "io", "--summary names a folder, not a file; give a file name such as "
                                  f"{Path(value) / 'sync-summary.md'}, or '-' for stdout")])
    return output_file(value, "sync-summary.md")


def _no_papers(source: str, files: list[Path], layout: Layout, unread: int) -> Problem:
    """The error of a list in which no table or item reads as a paper (rather than "0 papers read")."""
    what = ("badge tables, method tables and bullet lists" if layout.family == "detect"
            else f"{layout.family}s only ([read] family in {layout.path})")
    seen = (f"the first {UNREAD_SHOWN} tables and items it could not read are listed above" if unread >= UNREAD_SHOWN
            else "the tables and items it could not read are listed above" if unread
            else "it holds no table and no bullet item with a badge or link")
    return Problem(str(files[0] if len(files) == 1 else source), 1, "import",
                   f"no paper found in {len(files)} Markdown file(s) read as {what} ({seen}); write papers as table "
                   "rows under a header with a title column, or as '* [badges] [Title](url)' items; nothing written")


def _cmd_export(args: argparse.Namespace) -> int:
    try:
        if args.venues:  # load_venues reads it too, but would let a Latin-1 byte out as a traceback
            read_utf8(args.venues, "venue table")
        taxonomy, venues, layout = _load_common(args)
        out = output_folder(args.output)
    except InputError as exc:
        return InputError(exc.problems, exit_code=1).report()
    bib = load_for_command(args.bib, taxonomy)
    if bib is None:
        return 1
    files = export_awesome(bib, taxonomy, venues, as_of=args.as_of, recent_months=args.recent_months,
                           layout=layout)
    for name, text in sorted(files.items()):
        write_atomic(out / name, text)
        print(out / name)
    return 0
