"""``tc-survey check``: lint bib files like a compiler (the checks are :mod:`sphinx_tc_ext.core.lint`)."""

from __future__ import annotations

import argparse
import os
import sys

from sphinx_tc_ext.cli._common import DEFAULT_BIB, DEFAULT_TAXONOMY
from sphinx_tc_ext.core.codes import CODES_BY_ID, ERROR
from sphinx_tc_ext.core.linkcheck import LinkChecker, LinkSettingError
from sphinx_tc_ext.core.lint import check_paths, links_in_paths, online_problems, render, select, severity
from sphinx_tc_ext.core.problems import InputError, Problem
from sphinx_tc_ext.core.taxonomy import load_taxonomy


def code_list(text: str | None) -> set[str]:
    """The codes or prefixes of ``--select``/``--ignore`` (``TC1,TC105``); unknown ones are a usage error."""
    if not text:
        return set()
    codes = {c.strip().upper() for c in text.split(",") if c.strip()}
    unknown = sorted(c for c in codes if not any(k.startswith(c) for k in CODES_BY_ID))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown check code(s): {', '.join(unknown)}")
    return codes


def run_check(args: argparse.Namespace) -> int:
    try:
        selected, ignored = code_list(args.select), code_list(args.ignore)
    except argparse.ArgumentTypeError as exc:
        print(f"tc-survey check: {exc}", file=sys.stderr)
        return 2
    try:
        taxonomy = load_taxonomy(args.taxonomy)
    except InputError as exc:
        problems = [Problem(p.path, p.line, "taxonomy", p.message, 1, "TC100") for p in exc.problems]
    else:
        problems = check_paths(args.bib or [DEFAULT_BIB], taxonomy)
    if args.online and (not selected or any("TC136".startswith(c) for c in selected)) and \
            not any("TC136".startswith(c) for c in ignored):
        try:
            checker = LinkChecker()
        except LinkSettingError as exc:
            print(f"tc-survey check: {exc}", file=sys.stderr)
            return 2
        paths = args.bib or [DEFAULT_BIB]
        uses = links_in_paths(paths, os.environ.get("TC_DOI_RESOLVER") or "https://doi.org/")
        order = {path: i for i, path in enumerate(paths)}
        if args.format == "text":
            print(f"asking for {len({u.url for u in uses})} link(s) (--online)...", file=sys.stderr)
        problems = sorted([*problems, *online_problems(uses, checker.check_all(u.url for u in uses))],
                          key=lambda p: (order.get(p.path, len(order)), p.line, p.column, p.code))
    problems = select(problems, selected, ignored)
    text = render(problems, args.format)
    if text or args.format == "json":
        print(text)
    errors = sum(severity(p) == ERROR for p in problems)
    warnings = len(problems) - errors
    if args.format == "text":
        if problems:
            print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
        else:
            print("no problems found", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="lint bib files (schema, vocabulary, duplicates, links, arXiv ids, LaTeX)",
        description="Report every problem of the bib files as file:line:col: CODE message. "
                    "Exit status 1 when there are errors (or warnings, with --strict).")
    parser.add_argument("bib", nargs="*", metavar="BIB", help="bib files (default: refs/survey.bib)")
    parser.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, metavar="FILE",
                        help=f"taxonomy file (default: {DEFAULT_TAXONOMY})")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="text (file:line:col: CODE message), json, or github (workflow annotations)")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("--select", metavar="CODES", help="report only these codes or prefixes (TC1,TC105)")
    parser.add_argument("--ignore", metavar="CODES", help="do not report these codes or prefixes")
    parser.add_argument("--online", action="store_true",
                        help="also ask for every link (url, code, model, dataset, project, doi) and warn about "
                             "dead ones (TC136): HEAD requests, redirects followed, one request per host every "
                             "TC_LINK_DELAY s (1), TC_LINK_TIMEOUT s (10) each; without it check never uses the "
                             "network")
    parser.set_defaults(func=run_check)
