"""``tc-survey fmt``: rewrite bib files in the canonical layout of :mod:`sphinx_tc_ext.core.bibsyntax`."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from sphinx_tc_ext.cache.atomic import write_atomic
from sphinx_tc_ext.cli._common import DEFAULT_BIB, DEFAULT_TAXONOMY, optional_taxonomy
from sphinx_tc_ext.core.bibsyntax import (
    SortError,
    changed_blocks,
    format_blocks,
    line_ending,
    split_lines,
    tokenize,
)
from sphinx_tc_ext.core.textio import BOM, NotUTF8, decode_utf8


def run_fmt(args: argparse.Namespace) -> int:
    taxonomy = optional_taxonomy(args.taxonomy, args.taxonomy_given)  # InputError: cli prints, exit 2
    status = 0
    changed = 0
    for name in args.bib or [DEFAULT_BIB]:
        path = Path(name)
        try:
            text, bom = decode_utf8(path.read_bytes())
        except OSError as exc:
            print(f"{name}:1: cannot read the bib file: {exc}", file=sys.stderr)
            status = max(status, 2)
            continue
        except NotUTF8 as exc:
            print(f"{name}:{exc.bad.line}: not UTF-8 (byte {exc.bad.raw[0]:#04x}); save the file as UTF-8",
                  file=sys.stderr)
            status = max(status, 2)
            continue
        blocks = tokenize(text)
        for block in blocks:
            if block.kind == "invalid":
                print(f"{name}:{block.error_line}:{block.error_column}: entry "
                      f"{block.key or '(no key)'} left as is: {block.error}", file=sys.stderr)
                status = max(status, 1)
        try:
            formatted = format_blocks(blocks, taxonomy, args.sort, line_ending(text))
        except SortError as exc:
            print(f"{name}:{exc.line}: {exc.message}; {name} left unchanged", file=sys.stderr)
            status = max(status, 1)
            continue
        if formatted == text:
            continue
        changed += 1
        if args.check or args.diff:
            if args.diff:
                sys.stdout.writelines(difflib.unified_diff(
                    split_lines(text), split_lines(formatted), f"a/{name}", f"b/{name}"))
            if args.check:
                lines = changed_blocks(name, blocks, taxonomy)
                if args.sort and not lines:
                    lines = [f"{name}:1: entries are not sorted by key"]
                for line in lines or [f"{name}:1: blank lines or text between entries"]:
                    print(line)
                status = max(status, 1)
        else:
            write_atomic(path, (BOM if bom else b"") + formatted.encode("utf-8"))
            print(f"reformatted {name}", file=sys.stderr)
    if args.check and changed:
        print(f"{changed} file(s) would be reformatted; run: tc-survey fmt", file=sys.stderr)
    return status


class _Given(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        setattr(namespace, self.dest, values)
        namespace.taxonomy_given = True


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fmt", help="rewrite bib files in the canonical layout",
        description="Rewrite bib files in one canonical layout (see the contributing guide). "
                    "Lossless: values, comments, @string and @preamble are kept.")
    parser.add_argument("bib", nargs="*", metavar="BIB", help="bib files (default: refs/survey.bib)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; list the entries that would change and exit 1 if any")
    parser.add_argument("--diff", action="store_true", help="change nothing; print a unified diff")
    parser.add_argument("--sort", action="store_true", help="also order the entries by citation key")
    parser.add_argument("--taxonomy", default=DEFAULT_TAXONOMY, action=_Given, metavar="FILE",
                        help=f"taxonomy file, for the order of its fields (default: {DEFAULT_TAXONOMY})")
    parser.set_defaults(func=run_fmt, taxonomy_given=False)
