"""``tc-survey export-json`` / ``export-csv``: the bib as CSL-JSON or CSV (:mod:`sphinx_tc_ext.core.export`)."""

from __future__ import annotations

import argparse
import sys

from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.cli._common import DEFAULT_TAXONOMY, load_for_command, output_file
from sphinx_tc_ext.core.export import to_csl_json, to_csv
from sphinx_tc_ext.core.problems import InputError
from sphinx_tc_ext.core.taxonomy import load_taxonomy


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, what, func in (("export-json", "CSL-JSON items with the survey's fields as extra keys", to_csl_json),
                             ("export-csv", "a flat CSV table, one row per paper", to_csv)):
        p = subparsers.add_parser(name, help=f"write the bib as {what}", description=f"Write the bib as {what}.")
        p.add_argument("bib", metavar="BIB")
        p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write ('-' for stdout)")
        p.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                       help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
        p.set_defaults(func=_command, render=func, example=f"papers.{name.partition('-')[2]}")


def _command(args: argparse.Namespace) -> int:
    try:
        taxonomy = load_taxonomy(args.taxonomy)
        out = None if args.output == "-" else output_file(args.output, args.example)
    except InputError as exc:  # checked before the bib is read: a wrong -o fails fast
        return InputError(exc.problems, exit_code=1).report()
    bib = load_for_command(args.bib, taxonomy)
    if bib is None:
        return 1
    text = args.render(bib, taxonomy)
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        print(f"wrote {len(bib.papers)} papers to {out}")
    return 0
